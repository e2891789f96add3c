//! Go: `go.mod` (cataloger `gomod`). Lists the required modules after
//! `replace` and `exclude` directives, plus `stdlib` at the `toolchain`
//! version when the file names one. The module itself (it has no version in
//! go.mod) is not listed; modules replaced by a local directory are dropped.

use seawall_types::{Ecosystem, Package};

use crate::{new_package, CatalogError, Cataloger, FileMeta};

pub struct GoMod;

impl Cataloger for GoMod {
    fn id(&self) -> &'static str {
        "gomod"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        m.is_regular()
            && m.file_name() == "go.mod"
            && m.size <= 4 * 1024 * 1024
            && !m.path.contains("/pkg/mod/") // the module cache holds thousands
    }
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        parse_go_mod(path, data)
    }
}

pub(crate) fn go_pkg(module: &str, version: &str, path: &str) -> Package {
    new_package(
        module,
        version,
        Ecosystem::Go,
        crate::purl::golang(module, version),
        path,
    )
}

struct Replace {
    old: String,
    old_version: Option<String>,
    new: String,
    new_version: Option<String>,
}

fn strip_comment(l: &str) -> &str {
    match l.find("//") {
        Some(i) => &l[..i],
        None => l,
    }
    .trim()
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches('"').trim_matches('`').to_string()
}

pub(crate) fn parse_go_mod(path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
    let text = std::str::from_utf8(data)
        .map_err(|e| CatalogError::parse(path, format!("not UTF-8: {e}")))?;
    let mut requires: Vec<(String, String)> = Vec::new();
    let mut replaces: Vec<Replace> = Vec::new();
    let mut excludes: Vec<(String, String)> = Vec::new();
    let mut toolchain: Option<String> = None;
    let mut module_seen = false;
    let mut block: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let l = strip_comment(raw);
        if l.is_empty() {
            continue;
        }
        let err = |m: &str| CatalogError::parse(path, format!("line {}: {m}", i + 1));
        let (verb, rest) = match &block {
            Some(b) => {
                if l == ")" {
                    block = None;
                    continue;
                }
                (b.clone(), l.to_string())
            }
            None => {
                let (verb, rest) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
                let rest = rest.trim();
                if rest == "(" {
                    block = Some(verb.to_string());
                    continue;
                }
                (verb.to_string(), rest.to_string())
            }
        };
        let f: Vec<String> = rest.split_whitespace().map(unquote).collect();
        match verb.as_str() {
            "module" => module_seen = true,
            "go" | "retract" | "godebug" | "tool" | "ignore" => {}
            "toolchain" => toolchain = f.first().cloned(),
            "require" => match f.as_slice() {
                [m, v, ..] => requires.push((m.clone(), v.clone())),
                _ => return Err(err("require needs a module path and a version")),
            },
            "exclude" => {
                if let [m, v, ..] = f.as_slice() {
                    excludes.push((m.clone(), v.clone()))
                }
            }
            "replace" => {
                let arrow = f
                    .iter()
                    .position(|x| x == "=>")
                    .ok_or_else(|| err("replace without =>"))?;
                let (lhs, rhs) = (&f[..arrow], &f[arrow + 1..]);
                let (Some(old), Some(new)) = (lhs.first(), rhs.first()) else {
                    return Err(err("replace needs a module on both sides"));
                };
                replaces.push(Replace {
                    old: old.clone(),
                    old_version: lhs.get(1).cloned(),
                    new: new.clone(),
                    new_version: rhs.get(1).cloned(),
                });
            }
            other => return Err(err(&format!("unknown directive {other:?}"))),
        }
    }
    if !module_seen {
        return Err(CatalogError::parse(path, "no module directive"));
    }
    let mut out = Vec::new();
    for (m, v) in requires {
        if excludes.iter().any(|(em, ev)| em == &m && ev == &v) {
            continue;
        }
        let r = replaces
            .iter()
            .rev()
            .find(|r| r.old == m && r.old_version.as_ref().is_none_or(|ov| ov == &v));
        let (m, v) = match r {
            Some(r) => match &r.new_version {
                Some(nv) => (r.new.clone(), nv.clone()),
                None => continue, // local directory replacement
            },
            None => (m, v),
        };
        out.push(go_pkg(&m, &v, path));
    }
    if let Some(t) = toolchain.and_then(|t| t.strip_prefix("go").map(str::to_string)) {
        out.push(go_pkg("stdlib", &format!("v{t}"), path));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_replace_and_errors() {
        let p = parse_go_mod(
            "go.mod",
            b"module a\nrequire (\n b v1.0.0\n c v1.0.0\n)\nreplace b => ../b\n",
        )
        .unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].purl, "pkg:golang/c@v1.0.0");
        assert!(parse_go_mod("go.mod", b"require b\n").is_err());
        assert!(parse_go_mod("go.mod", b"bogus x\n")
            .unwrap_err()
            .to_string()
            .contains("line 1"));
    }
}
