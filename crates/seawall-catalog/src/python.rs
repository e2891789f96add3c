//! Python: installed distributions (`*.dist-info/METADATA`,
//! `*.egg-info/PKG-INFO`, and `*.egg-info` files written by distutils).

use seawall_types::{Ecosystem, Package};

use crate::{
    file_name, join_rel, new_package, parent_dir, CatalogError, Cataloger, FileMeta, ReadFn,
};

pub struct Python;

/// Licence files are read only when METADATA names them, and are small.
const MAX_LICENSE_FILE: u64 = 1024 * 1024;

fn dir_kind(dir: &str) -> Option<&'static str> {
    let d = file_name(dir);
    if d.ends_with(".dist-info") || d == "dist-info" {
        Some("dist")
    } else if d.ends_with(".egg-info") || d == "egg-info" {
        Some("egg")
    } else {
        None
    }
}

/// Whether `path` lies inside a `*.dist-info` directory (at any depth) and
/// looks like a licence file.
fn is_dist_info_license(path: &str) -> bool {
    let mut dir = parent_dir(path);
    while !dir.is_empty() {
        if dir_kind(dir) == Some("dist") {
            let rel = &path[dir.len() + 1..];
            let up = rel.to_ascii_uppercase();
            return rel.starts_with("licenses/")
                || up.contains("LICEN")
                || up.contains("COPYING")
                || up.contains("NOTICE");
        }
        dir = parent_dir(dir);
    }
    false
}

impl Cataloger for Python {
    fn id(&self) -> &'static str {
        "python"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        if !m.is_regular() {
            return false;
        }
        let name = m.file_name();
        let kind = dir_kind(parent_dir(m.path));
        match name {
            "METADATA" => kind == Some("dist"),
            "PKG-INFO" => kind == Some("egg"),
            _ if name.ends_with(".egg-info") => m.size < 4 * 1024 * 1024,
            _ => m.size <= MAX_LICENSE_FILE && is_dist_info_license(m.path),
        }
    }
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        self.parse_with(path, data, &|_| None)
    }
    fn parse_with(
        &self,
        path: &str,
        data: &[u8],
        read: ReadFn<'_>,
    ) -> Result<Vec<Package>, CatalogError> {
        let name = file_name(path);
        if !(name == "METADATA"
            || name == "PKG-INFO"
            || name.ends_with(".egg-info")
            || name.ends_with(".METADATA")
            || name.ends_with(".PKG-INFO"))
        {
            return Ok(Vec::new()); // a licence file, read through parse_with
        }
        parse_metadata(path, data, read).map(|p| vec![p])
    }
}

/// Core metadata (RFC 822 headers up to the first blank line).
pub(crate) fn parse_metadata(
    path: &str,
    data: &[u8],
    read: ReadFn<'_>,
) -> Result<Package, CatalogError> {
    let text = crate::util::text(data);
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim().is_empty() {
            // Old PKG-INFO files keep the description in an indented header
            // that may contain empty lines; the headers end at a blank line
            // followed by an unindented one.
            match lines.peek() {
                Some(n) if n.starts_with(' ') || n.starts_with('\t') || n.trim().is_empty() => {
                    continue
                }
                Some(n) if is_core_field(n) => continue,
                _ => break,
            }
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some((_, v)) = fields.last_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        match line.split_once(':') {
            Some((k, v)) if !k.contains(' ') => fields.push((k.to_string(), v.trim().to_string())),
            _ => {
                return Err(CatalogError::parse(
                    path,
                    format!(
                        "expected `Field: value` in the metadata header, got {:?}",
                        line.chars().take(60).collect::<String>()
                    ),
                ))
            }
        }
    }
    let get = |k: &str| {
        fields
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.trim())
    };
    let name = get("Name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| CatalogError::parse(path, "no Name field in package metadata"))?;
    let version = get("Version")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| CatalogError::parse(path, "no Version field in package metadata"))?;
    let mut p = new_package(
        name,
        version,
        Ecosystem::PyPI,
        crate::purl::pypi(name, version),
        path,
    );
    p.licenses = licenses(path, &fields, read);
    Ok(p)
}

/// A line starting with a core metadata field name (after an old-style
/// indented Description).
fn is_core_field(line: &str) -> bool {
    const FIELDS: &[&str] = &[
        "Keywords",
        "Platform",
        "Classifier",
        "License",
        "License-File",
        "License-Expression",
        "Requires-Dist",
        "Requires-Python",
        "Provides-Extra",
        "Project-URL",
        "Supported-Platform",
        "Description-Content-Type",
        "Provides-Dist",
        "Obsoletes-Dist",
        "Requires-External",
    ];
    line.split_once(':')
        .is_some_and(|(k, _)| FIELDS.iter().any(|f| f.eq_ignore_ascii_case(k)))
}

fn licenses(path: &str, fields: &[(String, String)], read: ReadFn<'_>) -> Vec<String> {
    fn all<'a>(fields: &'a [(String, String)], k: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        fields
            .iter()
            .filter(move |(f, _)| f.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.trim())
    }
    if let Some(e) = all(fields, "License-Expression").find(|v| !v.is_empty()) {
        return vec![e.to_string()];
    }
    if let Some(l) = all(fields, "License").find(|v| {
        !v.is_empty() && !v.eq_ignore_ascii_case("UNKNOWN") && !v.contains('\n') && v.len() <= 100
    }) {
        return vec![l.to_string()];
    }
    let from_classifiers: Vec<String> = all(fields, "Classifier")
        .filter_map(|c| c.strip_prefix("License ::"))
        .filter_map(|c| c.rsplit("::").next())
        .map(str::trim)
        .filter(|c| !c.is_empty() && *c != "OSI Approved")
        .map(crate::license::from_classifier)
        .collect();
    if !from_classifiers.is_empty() {
        return from_classifiers;
    }
    let dir = parent_dir(path);
    let mut out = Vec::new();
    for f in all(fields, "License-File") {
        let candidates = [
            join_rel(dir, f),
            join_rel(dir, &format!("licenses/{f}")),
            join_rel(dir, file_name(f)),
        ];
        let text = candidates.iter().flatten().find_map(|c| read(c));
        if let Some(id) = text
            .and_then(|t| crate::license::classify_text(&crate::util::text(&t)).map(str::to_string))
        {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_layouts() {
        let m = |p: &'static str| FileMeta {
            path: p,
            size: 100,
            mode: 0o100644,
        };
        assert!(Python.wants(&m(
            "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"
        )));
        assert!(Python.wants(&m("x/requests-2.0.egg-info/PKG-INFO")));
        assert!(Python.wants(&m("x/distlib-0.3.1-py3.9.egg-info")));
        assert!(Python.wants(&m("x/a-1.dist-info/licenses/LICENSE.txt")));
        assert!(!Python.wants(&m("x/a-1.dist-info/RECORD")));
        assert!(!Python.wants(&m("x/a-1.egg-info/PKG-INFO-INVALID")));
    }

    #[test]
    fn license_file_read_through_parse_with() {
        let meta =
            b"Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0\nLicense-File: LICENSE\n\nbody";
        let read = |p: &str| {
            (p == "site/foo_bar-1.0.dist-info/LICENSE")
                .then(|| b"Permission is hereby granted, free of charge, to".to_vec())
        };
        let p = Python
            .parse_with("site/foo_bar-1.0.dist-info/METADATA", meta, &read)
            .unwrap();
        assert_eq!(p[0].licenses, vec!["MIT"]);
        assert_eq!(p[0].purl, "pkg:pypi/foo-bar@1.0");
        assert!(Python
            .parse("a/x.dist-info/METADATA", b"Version: 1\n")
            .unwrap_err()
            .to_string()
            .contains("no Name"));
    }
}
