//! JavaScript: installed `node_modules/**/package.json` (cataloger `npm`) and
//! lock files `package-lock.json` v1-v3, `yarn.lock` (classic and berry),
//! `pnpm-lock.yaml` v5-v9 (cataloger `npm-lock`). The image side may prefer
//! `npm` alone for images (what is installed), both for source trees.

use std::collections::BTreeSet;

use seawall_types::{Ecosystem, Package};
use serde_json::Value;

use crate::{file_name, new_package, parent_dir, CatalogError, Cataloger, FileMeta};

pub struct NpmInstalled;
pub struct NpmLock;

/// Deepest nesting followed in a v1 lock's `dependencies` tree.
const MAX_DEPTH: usize = 64;

fn npm_pkg(name: &str, version: &str, path: &str) -> Package {
    new_package(
        name,
        version,
        Ecosystem::Npm,
        crate::purl::npm(name, version),
        path,
    )
}

impl Cataloger for NpmInstalled {
    fn id(&self) -> &'static str {
        "npm"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        if !m.is_regular() || m.file_name() != "package.json" || m.size > 8 * 1024 * 1024 {
            return false;
        }
        // .../node_modules/<name>/package.json or .../node_modules/@scope/<name>/package.json
        let dir = parent_dir(m.path);
        let up = parent_dir(dir);
        file_name(up) == "node_modules"
            || (file_name(up).starts_with('@') && file_name(parent_dir(up)) == "node_modules")
    }
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let v: Value = serde_json::from_slice(data)
            .map_err(|e| CatalogError::parse(path, format!("invalid JSON: {e}")))?;
        let (Some(name), Some(version)) = (
            v.get("name")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty()),
            v.get("version")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty()),
        ) else {
            return Ok(Vec::new()); // fixtures and stubs inside packages have no identity
        };
        let mut p = npm_pkg(name, version, path);
        p.licenses = package_json_licenses(&v);
        Ok(vec![p])
    }
}

/// `license: "MIT"`, `license: {type}`, `licenses: [{type}]`.
fn package_json_licenses(v: &Value) -> Vec<String> {
    let one = |l: &Value| match l {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("type").and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    let mut out: Vec<String> = v.get("license").and_then(one).into_iter().collect();
    if let Some(Value::Array(a)) = v.get("licenses") {
        out.extend(a.iter().filter_map(one));
    }
    out.retain(|s| !s.is_empty());
    out
}

impl Cataloger for NpmLock {
    fn id(&self) -> &'static str {
        "npm-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        m.is_regular()
            && m.size <= 64 * 1024 * 1024
            && matches!(
                m.file_name(),
                "package-lock.json" | "yarn.lock" | "pnpm-lock.yaml"
            )
            && !m.path.contains("node_modules/")
    }
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let name = file_name(path);
        if name.ends_with("yarn.lock") {
            parse_yarn(path, data)
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            parse_pnpm(path, data)
        } else {
            parse_package_lock(path, data)
        }
    }
}

/// Name of a lock `packages` key: the part after the last `node_modules/`.
fn name_from_key(key: &str) -> &str {
    key.rsplit("node_modules/").next().unwrap_or(key)
}

/// package-lock.json. The root project itself is not listed; dev-only
/// dependencies are kept with `dev = true`; workspace members (reached through
/// `link: true` entries) are listed under their link name.
pub(crate) fn parse_package_lock(path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
    let v: Value = serde_json::from_slice(data)
        .map_err(|e| CatalogError::parse(path, format!("invalid JSON: {e}")))?;
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut push =
        |name: &str, version: &str, dev: bool, license: Vec<String>, out: &mut Vec<Package>| {
            if name.is_empty() || !seen.insert((name.to_string(), version.to_string())) {
                return;
            }
            let mut p = npm_pkg(name, version, path);
            p.dev = dev;
            p.licenses = license;
            out.push(p);
        };
    if let Some(Value::Object(pkgs)) = v.get("packages") {
        for (key, e) in pkgs {
            if key.is_empty() {
                continue;
            }
            let dev = e.get("dev").and_then(Value::as_bool).unwrap_or(false);
            if e.get("link").and_then(Value::as_bool) == Some(true) {
                // Workspace member: its own entry (if any) carries the version.
                let target = e.get("resolved").and_then(Value::as_str).unwrap_or("");
                let version = pkgs
                    .get(target)
                    .and_then(|t| t.get("version"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                push(name_from_key(key), version, dev, Vec::new(), &mut out);
                continue;
            }
            if !key.contains("node_modules/") {
                continue; // a workspace directory, reached through its link
            }
            let name = e
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_else(|| name_from_key(key));
            let Some(version) = e.get("version").and_then(Value::as_str) else {
                continue;
            };
            push(name, version, dev, package_json_licenses(e), &mut out);
        }
        return Ok(out);
    }
    if let Some(Value::Object(deps)) = v.get("dependencies") {
        let mut stack: Vec<(&serde_json::Map<String, Value>, usize)> = vec![(deps, 0)];
        while let Some((deps, depth)) = stack.pop() {
            for (key, e) in deps {
                let dev = e.get("dev").and_then(Value::as_bool).unwrap_or(false);
                if let Some(version) = e.get("version").and_then(Value::as_str) {
                    if !version.starts_with("file:") && !version.starts_with("link:") {
                        push(name_from_key(key), version, dev, Vec::new(), &mut out);
                    }
                }
                if let Some(Value::Object(sub)) = e.get("dependencies") {
                    if depth < MAX_DEPTH {
                        stack.push((sub, depth + 1));
                    }
                }
            }
        }
        return Ok(out);
    }
    if v.get("lockfileVersion").is_none() {
        return Err(CatalogError::parse(
            path,
            "not a package-lock.json (no lockfileVersion, packages or dependencies)",
        ));
    }
    Ok(out)
}

/// Package name of a yarn spec `name@range` / `@scope/name@npm:range`.
fn yarn_spec_name(spec: &str) -> &str {
    let s = spec.trim().trim_matches('"');
    // the first '@' after the first character (a scope starts with '@')
    match s.char_indices().skip(1).find(|(_, c)| *c == '@') {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// yarn.lock, classic (`version "1.2.3"`) and berry (`version: 1.2.3`).
pub(crate) fn parse_yarn(path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
    let text = crate::util::text(data);
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut cur: Option<String> = None;
    let mut workspace = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            let key = line.trim_end().strip_suffix(':').ok_or_else(|| {
                CatalogError::parse(
                    path,
                    format!("line {}: expected an entry header ending in ':'", i + 1),
                )
            })?;
            if key == "__metadata" {
                cur = None;
                continue;
            }
            let first = key.split(',').next().unwrap_or(key);
            workspace =
                key.contains("@workspace:") || key.contains("@link:") || key.contains("@file:");
            cur = Some(yarn_spec_name(first).to_string());
            continue;
        }
        let l = line.trim();
        let version = l
            .strip_prefix("version ")
            .or_else(|| l.strip_prefix("version:"))
            .map(|v| v.trim().trim_matches('"'));
        if let (Some(v), Some(name)) = (version, cur.as_ref()) {
            if !workspace && !name.is_empty() && seen.insert((name.clone(), v.to_string())) {
                out.push(npm_pkg(name, v, path));
            }
        }
    }
    Ok(out)
}

/// pnpm-lock.yaml: `packages` keys `/name/1.0.0` (v5), `/name@1.0.0(peer)`
/// (v6), `name@1.0.0` (v9).
pub(crate) fn parse_pnpm(path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
    let v: serde_yaml::Value = serde_yaml::from_slice(data)
        .map_err(|e| CatalogError::parse(path, format!("invalid YAML: {e}")))?;
    let Some(pkgs) = v.get("packages").and_then(|p| p.as_mapping()) else {
        if v.get("lockfileVersion").is_some() {
            return Ok(Vec::new());
        }
        return Err(CatalogError::parse(
            path,
            "not a pnpm lock file (no lockfileVersion)",
        ));
    };
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (k, e) in pkgs {
        let Some(key) = k.as_str() else { continue };
        let key = key.strip_prefix('/').unwrap_or(key);
        let key = key.split('(').next().unwrap_or(key);
        let (name, version) = match key.rfind('@').filter(|&i| i > 0) {
            Some(i) => (&key[..i], &key[i + 1..]),
            None => match key.rsplit_once('/') {
                Some((n, v)) => (n, v.split('_').next().unwrap_or(v)),
                None => continue,
            },
        };
        let (name, version) = match (
            e.get("name").and_then(|n| n.as_str()),
            e.get("version").and_then(|n| n.as_str()),
        ) {
            (Some(n), Some(v)) => (n, v),
            _ => (name, version),
        };
        if name.is_empty() || !version.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        if !seen.insert((name.to_string(), version.to_string())) {
            continue;
        }
        let mut p = npm_pkg(name, version, path);
        p.dev = e.get("dev").and_then(|d| d.as_bool()).unwrap_or(false);
        out.push(p);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yarn_classic_and_berry() {
        let classic = b"# yarn lockfile v1\n\n\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.10.4\":\n  version \"7.12.13\"\n  resolved \"https://x\"\n\nlodash@^4.17.20:\n  version \"4.17.21\"\n";
        let p = parse_yarn("yarn.lock", classic).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].purl, "pkg:npm/%40babel/code-frame@7.12.13");
        let berry = b"__metadata:\n  version: 6\n\n\"lodash@npm:^4.17.20\":\n  version: 4.17.21\n  resolution: \"lodash@npm:4.17.21\"\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n";
        let p = parse_yarn("yarn.lock", berry).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str()),
            ("lodash", "4.17.21")
        );
        assert!(parse_yarn("yarn.lock", b"garbage\n").is_err());
    }

    #[test]
    fn pnpm_versions() {
        let v5 = b"lockfileVersion: 5.4\npackages:\n  /@babel/core/7.0.0_x:\n    dev: true\n  /lodash/4.17.21:\n    dev: false\n";
        let p = parse_pnpm("pnpm-lock.yaml", v5).unwrap();
        let ids: Vec<_> = p
            .iter()
            .map(|p| format!("{}@{}:{}", p.name, p.version, p.dev))
            .collect();
        assert_eq!(ids, vec!["@babel/core@7.0.0:true", "lodash@4.17.21:false"]);
        let v6 = b"lockfileVersion: '6.0'\npackages:\n  /@babel/core@7.0.0(supports-color@5.5.0):\n    dev: false\n";
        assert_eq!(
            parse_pnpm("pnpm-lock.yaml", v6).unwrap()[0].version,
            "7.0.0"
        );
        let v9 = b"lockfileVersion: '9.0'\npackages:\n  ms@2.1.3:\n    resolution: {integrity: x}\n  '@types/node@20.1.0':\n    resolution: {integrity: y}\n";
        let p = parse_pnpm("pnpm-lock.yaml", v9).unwrap();
        assert_eq!(p.len(), 2);
        assert!(parse_pnpm("pnpm-lock.yaml", b"a: [").is_err());
    }

    #[test]
    fn installed_package_json() {
        let m = |p: &'static str| FileMeta {
            path: p,
            size: 100,
            mode: 0o100644,
        };
        assert!(NpmInstalled.wants(&m("app/node_modules/express/package.json")));
        assert!(NpmInstalled.wants(&m("app/node_modules/@types/node/package.json")));
        assert!(!NpmInstalled.wants(&m("app/node_modules/express/lib/package.json")));
        assert!(!NpmInstalled.wants(&m("app/package.json")));
        let p = NpmInstalled
            .parse(
                "n/node_modules/@types/node/package.json",
                br#"{"name":"@types/node","version":"20.1.0","license":"MIT"}"#,
            )
            .unwrap();
        assert_eq!(p[0].purl, "pkg:npm/%40types/node@20.1.0");
        assert_eq!(p[0].licenses, vec!["MIT"]);
        assert!(NpmInstalled
            .parse("n/node_modules/x/package.json", b"{")
            .is_err());
    }
}

#[cfg(test)]
mod unicode_tests {
    use super::*;

    #[test]
    fn multibyte_keys_do_not_panic() {
        assert_eq!(yarn_spec_name("é@1"), "é");
        assert_eq!(yarn_spec_name("@s/é@npm:1"), "@s/é");
        let p = parse_pnpm(
            "pnpm-lock.yaml",
            "lockfileVersion: '9.0'\npackages:\n  é@1.0.0: {}\n  'é': {}\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(p.len(), 1);
    }
}
