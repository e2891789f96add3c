//! .NET: `*.deps.json` written next to published assemblies. Libraries of
//! type `package` are NuGet packages; `project` and `reference` entries are
//! the application's own assemblies.

use seawall_types::{Ecosystem, Package};
use serde_json::Value;

use crate::{new_package, CatalogError, Cataloger, FileMeta};

pub struct DotnetDeps;

impl Cataloger for DotnetDeps {
    fn id(&self) -> &'static str {
        "dotnet-deps"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        m.is_regular() && m.size <= 64 * 1024 * 1024 && m.file_name().ends_with(".deps.json")
    }
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let v: Value = serde_json::from_slice(data)
            .map_err(|e| CatalogError::parse(path, format!("invalid JSON: {e}")))?;
        let libs = v
            .get("libraries")
            .and_then(Value::as_object)
            .ok_or_else(|| CatalogError::parse(path, "no libraries object"))?;
        let mut out = Vec::new();
        for (key, lib) in libs {
            if lib.get("type").and_then(Value::as_str) != Some("package") {
                continue;
            }
            let Some((name, version)) = key.rsplit_once('/') else {
                continue;
            };
            if name.is_empty() || version.is_empty() {
                continue;
            }
            out.push(new_package(
                name,
                version,
                Ecosystem::NuGet,
                crate::purl::nuget(name, version),
                path,
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_only() {
        let d = br#"{"runtimeTarget":{"name":".NETCoreApp,Version=v6.0"},"libraries":{"app/1.0.0":{"type":"project"},"Newtonsoft.Json/13.0.1":{"type":"package","serviceable":true}}}"#;
        let p = DotnetDeps.parse("app/app.deps.json", d).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].purl, "pkg:nuget/Newtonsoft.Json@13.0.1");
        assert!(DotnetDeps
            .parse("app/app.deps.json", b"{}")
            .unwrap_err()
            .to_string()
            .contains("no libraries"));
    }
}
