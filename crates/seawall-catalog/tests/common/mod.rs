//! Helpers shared by the fixture tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use seawall_catalog::{builtin, Cataloger, Package};

/// The shared cataloger fixtures, or `None` (skip) outside CI.
pub fn fixtures(test: &str) -> Option<PathBuf> {
    seawall_testutil::shared_path(test, "testdata/catalogers")
}

pub fn cataloger(id: &str) -> Box<dyn Cataloger> {
    builtin()
        .into_iter()
        .find(|c| c.id() == id)
        .unwrap_or_else(|| panic!("no cataloger {id}"))
}

/// Parses one file with one cataloger, as the image side would (`rel` is the
/// root-relative path the file would have in an image).
pub fn parse_as(
    id: &str,
    file: &Path,
    rel: &str,
) -> Result<Vec<Package>, seawall_catalog::CatalogError> {
    let data = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let c = cataloger(id);
    c.parse(rel, &data)
}

/// `name@version` of each package.
pub fn ids(pkgs: &[Package]) -> Vec<String> {
    pkgs.iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect()
}

#[track_caller]
pub fn assert_has(pkgs: &[Package], want: &[&str]) {
    let ids = ids(pkgs);
    for w in want {
        assert!(ids.iter().any(|i| i == w), "missing {w} in {ids:?}");
    }
}

/// Files of a txtar archive (`-- path --` headers).
pub fn txtar(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        let t = line.trim_end();
        if let Some(name) = t.strip_prefix("-- ").and_then(|r| r.strip_suffix(" --")) {
            out.push((name.to_string(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
        }
    }
    out
}

/// Writes `files` under a fresh temp dir and returns it.
pub fn temp_root(tag: &str, files: &[(String, Vec<u8>)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sw-catalog-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (p, data) in files {
        let f = dir.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, data).unwrap();
    }
    dir
}
