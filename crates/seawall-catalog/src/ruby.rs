//! Ruby: installed gem specifications (`specifications/*.gemspec`, the
//! Ruby source RubyGems writes for each installed gem).

use seawall_types::{Ecosystem, Package};

use crate::{file_name, new_package, parent_dir, CatalogError, Cataloger, FileMeta};

pub struct Gemspec;

impl Cataloger for Gemspec {
    fn id(&self) -> &'static str {
        "gemspec"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        let dir = file_name(parent_dir(m.path));
        m.is_regular()
            && m.size <= 4 * 1024 * 1024
            && m.file_name().ends_with(".gemspec")
            && (dir == "specifications"
                || (dir == "default"
                    && file_name(parent_dir(parent_dir(m.path))) == "specifications"))
    }
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        parse_gemspec(path, data).map(|p| vec![p])
    }
}

/// Quoted strings in a Ruby expression (`"a".freeze, 'b'`).
fn quoted(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '"' || c == '\'' {
            let mut v = String::new();
            for d in chars.by_ref() {
                if d == c {
                    break;
                }
                v.push(d);
            }
            out.push(v);
        }
    }
    out
}

/// Right-hand side of `s.FIELD = ...` (any receiver name).
fn assignment<'a>(line: &'a str, field: &str) -> Option<&'a str> {
    let l = line.trim();
    let (lhs, rhs) = l.split_once('=')?;
    let lhs = lhs.trim();
    let (_, f) = lhs.rsplit_once('.')?;
    (f == field).then_some(rhs)
}

pub(crate) fn parse_gemspec(path: &str, data: &[u8]) -> Result<Package, CatalogError> {
    let text = crate::util::text(data);
    let (mut name, mut version, mut licenses) = (None, None, Vec::new());
    for line in text.lines() {
        if let Some(r) = assignment(line, "name") {
            name = name.or_else(|| quoted(r).into_iter().next());
        } else if let Some(r) = assignment(line, "version") {
            version = version.or_else(|| quoted(r).into_iter().next());
        } else if let Some(r) = assignment(line, "licenses").or_else(|| assignment(line, "license"))
        {
            licenses.extend(quoted(r));
        }
    }
    let name = name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| CatalogError::parse(path, "gemspec sets no name"))?;
    let version = version
        .filter(|n| !n.is_empty())
        .ok_or_else(|| CatalogError::parse(path, "gemspec sets no version"))?;
    let mut p = new_package(
        &name,
        &version,
        Ecosystem::RubyGems,
        crate::purl::gem(&name, &version),
        path,
    );
    p.licenses = licenses;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_gemspec() {
        let g = b"# -*- encoding: utf-8 -*-\nGem::Specification.new do |s|\n  s.name = \"rake\".freeze\n  s.version = \"13.0.6\"\n  s.licenses = [\"MIT\".freeze]\n  s.required_rubygems_version = Gem::Requirement.new(\">= 1.3.2\".freeze)\nend\n";
        let p = parse_gemspec(
            "usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
            g,
        )
        .unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str()), ("rake", "13.0.6"));
        assert_eq!(p.licenses, vec!["MIT"]);
        assert_eq!(p.purl, "pkg:gem/rake@13.0.6");
        assert!(parse_gemspec("x.gemspec", b"nothing")
            .unwrap_err()
            .to_string()
            .starts_with("x.gemspec: gemspec sets no name"));
        let m = FileMeta {
            path: "var/lib/gems/3.1.0/specifications/default/json-2.6.1.gemspec",
            size: 10,
            mode: 0o100644,
        };
        assert!(Gemspec.wants(&m));
    }
}
