//! Lock files of Python, Ruby, PHP and .NET projects (for `seawall fs`):
//! `requirements*.txt` (exact `==` pins), `poetry.lock`, `Pipfile.lock`,
//! `uv.lock`, `Gemfile.lock`, `composer.lock`, NuGet `packages.lock.json`.

use seawall_types::{Ecosystem, Package};
use serde_json::Value;

use crate::{file_name, new_package, CatalogError, Cataloger, FileMeta};

pub struct PythonLock;
pub struct GemfileLock;
pub struct ComposerLock;
pub struct NugetLock;

const MAX_LOCK: u64 = 64 * 1024 * 1024;

fn lock_wants(m: &FileMeta, names: &[&str]) -> bool {
    m.is_regular()
        && m.size <= MAX_LOCK
        && names.contains(&m.file_name())
        && !m.path.contains("site-packages/")
        && !m.path.contains("node_modules/")
        && !m.path.contains("vendor/bundle/")
}

fn pypi_pkg(name: &str, version: &str, path: &str) -> Package {
    new_package(
        name,
        version,
        Ecosystem::PyPI,
        crate::purl::pypi(name, version),
        path,
    )
}

fn is_requirements(name: &str) -> bool {
    name.ends_with(".txt") && name.starts_with("requirements")
}

impl Cataloger for PythonLock {
    fn id(&self) -> &'static str {
        "python-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        lock_wants(m, &["poetry.lock", "Pipfile.lock", "uv.lock"])
            || (is_requirements(m.file_name()) && lock_wants(m, &[m.file_name()]))
    }
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let name = file_name(path);
        if name.ends_with("Pipfile.lock") {
            return pipfile_lock(path, data);
        }
        if name.ends_with(".lock") {
            return toml_lock(path, data);
        }
        Ok(requirements(path, &crate::util::text(data)))
    }
}

/// `name==1.2.3` lines; ranges, URLs, options and includes are not pins.
fn requirements(path: &str, text: &str) -> Vec<Package> {
    let mut out = Vec::new();
    for line in text.lines() {
        let l = line.split(" #").next().unwrap_or(line).trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with('-') {
            continue;
        }
        let l = l.split(';').next().unwrap_or(l).trim(); // environment markers
        let Some((name, version)) = l.split_once("==") else {
            continue;
        };
        let name = name.split('[').next().unwrap_or(name).trim(); // extras
        let version = version.split([' ', '\\', ',']).next().unwrap_or("").trim();
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '!'))
        };
        if valid(name) && valid(version) && !version.contains('*') {
            out.push(pypi_pkg(name, version, path));
        }
    }
    out
}

/// poetry.lock and uv.lock: `[[package]]` tables with `name` and `version`.
fn toml_lock(path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
    let text = std::str::from_utf8(data)
        .map_err(|e| CatalogError::parse(path, format!("not UTF-8: {e}")))?;
    let v: toml::Value = toml::from_str(text)
        .map_err(|e| CatalogError::parse(path, format!("invalid TOML: {}", e.message())))?;
    let mut out = Vec::new();
    for p in v
        .get("package")
        .and_then(|p| p.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let (Some(name), Some(version)) = (
            p.get("name").and_then(|x| x.as_str()),
            p.get("version").and_then(|x| x.as_str()),
        ) else {
            continue;
        };
        // uv lists the project itself with a virtual/editable source
        let source = p.get("source");
        if source
            .and_then(|s| s.get("virtual").or_else(|| s.get("editable")))
            .is_some()
        {
            continue;
        }
        let mut pkg = pypi_pkg(name, version, path);
        pkg.dev = p.get("category").and_then(|c| c.as_str()) == Some("dev");
        out.push(pkg);
    }
    Ok(out)
}

fn pipfile_lock(path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
    let v: Value = serde_json::from_slice(data)
        .map_err(|e| CatalogError::parse(path, format!("invalid JSON: {e}")))?;
    let mut out = Vec::new();
    for (section, dev) in [("default", false), ("develop", true)] {
        let Some(deps) = v.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (name, d) in deps {
            let Some(version) = d
                .get("version")
                .and_then(Value::as_str)
                .and_then(|s| s.strip_prefix("=="))
            else {
                continue;
            };
            let mut p = pypi_pkg(name, version, path);
            p.dev = dev;
            out.push(p);
        }
    }
    Ok(out)
}

impl Cataloger for GemfileLock {
    fn id(&self) -> &'static str {
        "gemfile-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        lock_wants(m, &["Gemfile.lock", "gems.locked"])
    }
    /// `specs:` entries indented four spaces: `name (version[-platform])`.
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let text = crate::util::text(data);
        let mut out: Vec<Package> = Vec::new();
        let mut in_specs = false;
        for line in text.lines() {
            if !line.starts_with(' ') {
                in_specs = false;
                continue;
            }
            if line.trim() == "specs:" {
                in_specs = true;
                continue;
            }
            if !in_specs || !line.starts_with("    ") || line.starts_with("     ") {
                continue;
            }
            let l = line.trim();
            let Some((name, rest)) = l.split_once(" (") else {
                continue;
            };
            let version = rest.trim_end_matches(')');
            let version = version.split('-').next().unwrap_or(version);
            if name.is_empty()
                || version.is_empty()
                || out.iter().any(|p| p.name == name && p.version == version)
            {
                continue;
            }
            out.push(new_package(
                name,
                version,
                Ecosystem::RubyGems,
                crate::purl::gem(name, version),
                path,
            ));
        }
        Ok(out)
    }
}

impl Cataloger for ComposerLock {
    fn id(&self) -> &'static str {
        "composer-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        lock_wants(m, &["composer.lock"])
    }
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let v: Value = serde_json::from_slice(data)
            .map_err(|e| CatalogError::parse(path, format!("invalid JSON: {e}")))?;
        if !v.is_object() {
            return Err(CatalogError::parse(path, "expected a JSON object"));
        }
        let mut out = Vec::new();
        for (section, dev) in [("packages", false), ("packages-dev", true)] {
            for p in v
                .get(section)
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let (Some(name), Some(version)) = (
                    p.get("name").and_then(Value::as_str),
                    p.get("version").and_then(Value::as_str),
                ) else {
                    continue;
                };
                let mut pkg = new_package(
                    name,
                    version,
                    Ecosystem::Packagist,
                    crate::purl::composer(name, version),
                    path,
                );
                pkg.dev = dev;
                pkg.licenses = p
                    .get("license")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                out.push(pkg);
            }
        }
        Ok(out)
    }
}

impl Cataloger for NugetLock {
    fn id(&self) -> &'static str {
        "nuget-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        lock_wants(m, &["packages.lock.json"])
    }
    /// `dependencies.<framework>.<name>.resolved`; project references skipped.
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let v: Value = serde_json::from_slice(data)
            .map_err(|e| CatalogError::parse(path, format!("invalid JSON: {e}")))?;
        let fws = v
            .get("dependencies")
            .and_then(Value::as_object)
            .ok_or_else(|| CatalogError::parse(path, "no dependencies object"))?;
        let mut out: Vec<Package> = Vec::new();
        for deps in fws.values().filter_map(Value::as_object) {
            for (name, d) in deps {
                if d.get("type").and_then(Value::as_str) == Some("Project") {
                    continue;
                }
                let Some(version) = d.get("resolved").and_then(Value::as_str) else {
                    continue;
                };
                if !out.iter().any(|p| &p.name == name && p.version == version) {
                    out.push(new_package(
                        name,
                        version,
                        Ecosystem::NuGet,
                        crate::purl::nuget(name, version),
                        path,
                    ));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(p: &[Package]) -> Vec<String> {
        p.iter()
            .map(|p| {
                format!(
                    "{}@{}{}",
                    p.name,
                    p.version,
                    if p.dev { " dev" } else { "" }
                )
            })
            .collect()
    }

    #[test]
    fn requirements_pins_only() {
        let t = "# c\nDjango==4.2.1\nrequests[socks]==2.31.0 ; python_version > '3.7'  # why\nflask>=2\n-r other.txt\nnumpy==1.26.* \nurllib3==2.0.7 \\\n    --hash=sha256:abc\n";
        let p = PythonLock.parse("requirements.txt", t.as_bytes()).unwrap();
        assert_eq!(
            ids(&p),
            vec!["Django@4.2.1", "requests@2.31.0", "urllib3@2.0.7"]
        );
        assert_eq!(p[0].purl, "pkg:pypi/django@4.2.1");
    }

    #[test]
    fn poetry_uv_pipfile() {
        let poetry = b"[[package]]\nname = \"click\"\nversion = \"8.1.7\"\ncategory = \"main\"\n\n[[package]]\nname = \"pytest\"\nversion = \"7.4.0\"\ncategory = \"dev\"\n";
        assert_eq!(
            ids(&PythonLock.parse("poetry.lock", poetry).unwrap()),
            vec!["click@8.1.7", "pytest@7.4.0 dev"]
        );
        let uv = b"version = 1\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\n\n[[package]]\nname = \"idna\"\nversion = \"3.7\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
        assert_eq!(
            ids(&PythonLock.parse("uv.lock", uv).unwrap()),
            vec!["idna@3.7"]
        );
        let pf = br#"{"_meta":{},"default":{"six":{"version":"==1.16.0"}},"develop":{"black":{"version":"==23.1.0"}}}"#;
        assert_eq!(
            ids(&PythonLock.parse("Pipfile.lock", pf).unwrap()),
            vec!["six@1.16.0", "black@23.1.0 dev"]
        );
        assert!(PythonLock
            .parse("poetry.lock", b"[[package]\n")
            .unwrap_err()
            .to_string()
            .starts_with("poetry.lock: invalid TOML"));
    }

    #[test]
    fn gemfile_composer_nuget() {
        let g = "GEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.15.4-x86_64-linux)\n      racc (~> 1.4)\n    racc (1.7.1)\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  nokogiri\n";
        assert_eq!(
            ids(&GemfileLock.parse("Gemfile.lock", g.as_bytes()).unwrap()),
            vec!["nokogiri@1.15.4", "racc@1.7.1"]
        );
        let c = br#"{"packages":[{"name":"monolog/monolog","version":"3.4.0","license":["MIT"]}],"packages-dev":[{"name":"phpunit/phpunit","version":"10.3.2"}]}"#;
        let p = ComposerLock.parse("composer.lock", c).unwrap();
        assert_eq!(
            ids(&p),
            vec!["monolog/monolog@3.4.0", "phpunit/phpunit@10.3.2 dev"]
        );
        assert_eq!(p[0].purl, "pkg:composer/monolog/monolog@3.4.0");
        let n = br#"{"version":1,"dependencies":{"net6.0":{"Newtonsoft.Json":{"type":"Direct","requested":"[13.0.1, )","resolved":"13.0.1"},"lib":{"type":"Project"}}}}"#;
        assert_eq!(
            ids(&NugetLock.parse("packages.lock.json", n).unwrap()),
            vec!["Newtonsoft.Json@13.0.1"]
        );
        assert!(NugetLock.parse("packages.lock.json", b"{}").is_err());
    }

    #[test]
    fn truncations_never_panic() {
        let samples: [(&str, &[u8]); 4] = [
            (
                "poetry.lock",
                b"[[package]]\nname = \"click\"\nversion = \"8.1.7\"\n",
            ),
            (
                "Gemfile.lock",
                "GEM\n  specs:\n    nokogiri (1.15.4-x86_64-linux)\n    é (1)\n".as_bytes(),
            ),
            (
                "composer.lock",
                br#"{"packages":[{"name":"a/b","version":"1"}]}"#,
            ),
            (
                "packages.lock.json",
                br#"{"dependencies":{"net6.0":{"A":{"resolved":"1"}}}}"#,
            ),
        ];
        let cats: [&dyn Cataloger; 4] = [&PythonLock, &GemfileLock, &ComposerLock, &NugetLock];
        for (path, data) in samples {
            for n in 0..=data.len() {
                for c in cats {
                    if let Err(e) = c.parse(path, &data[..n]) {
                        assert_eq!(e.path(), path);
                    }
                }
            }
        }
    }
}
