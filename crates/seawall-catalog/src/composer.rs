//! PHP: `vendor/composer/installed.json` (Composer 1: an array; Composer 2:
//! `{"packages": [...], "dev-package-names": [...]}`).

use seawall_types::{Ecosystem, Package};
use serde_json::Value;

use crate::{new_package, CatalogError, Cataloger, FileMeta};

pub struct Composer;

impl Cataloger for Composer {
    fn id(&self) -> &'static str {
        "composer"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        m.is_regular()
            && m.size <= 64 * 1024 * 1024
            && (m.path == "vendor/composer/installed.json"
                || m.path.ends_with("/vendor/composer/installed.json"))
    }
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let v: Value = serde_json::from_slice(data)
            .map_err(|e| CatalogError::parse(path, format!("invalid JSON: {e}")))?;
        let (pkgs, dev_names): (&[Value], Vec<&str>) = match &v {
            Value::Array(a) => (a, Vec::new()),
            Value::Object(o) => (
                o.get("packages")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .ok_or_else(|| CatalogError::parse(path, "no packages array"))?,
                o.get("dev-package-names")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default(),
            ),
            _ => {
                return Err(CatalogError::parse(
                    path,
                    "expected an array or an object with packages",
                ))
            }
        };
        let mut out = Vec::new();
        for p in pkgs {
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
            pkg.dev = dev_names.contains(&name);
            pkg.licenses = match p.get("license") {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                Some(Value::String(s)) => vec![s.clone()],
                _ => Vec::new(),
            };
            out.push(pkg);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composer_one_and_two() {
        let v2 = br#"{"packages":[{"name":"symfony/console","version":"v6.0.0","license":["MIT"]},{"name":"phpunit/phpunit","version":"9.5.0"}],"dev":true,"dev-package-names":["phpunit/phpunit"]}"#;
        let p = Composer
            .parse("vendor/composer/installed.json", v2)
            .unwrap();
        assert_eq!(p[0].purl, "pkg:composer/symfony/console@v6.0.0");
        assert_eq!(p[0].licenses, vec!["MIT"]);
        assert!(p[1].dev);
        let v1 = br#"[{"name":"a/b","version":"1.0.0"}]"#;
        assert_eq!(
            Composer
                .parse("vendor/composer/installed.json", v1)
                .unwrap()
                .len(),
            1
        );
        assert!(Composer
            .parse("vendor/composer/installed.json", b"7")
            .is_err());
    }
}
