//! Rust: `Cargo.lock` (cataloger `cargo`) and binaries built with
//! cargo-auditable (cataloger `cargo-auditable`, the `.dep-v0` section read
//! with the auditable-info crate).

use seawall_types::{Ecosystem, Package};
use serde::Deserialize;

use crate::{new_package, CatalogError, Cataloger, FileMeta, MAX_FILE_SIZE};

pub struct CargoLock;
pub struct CargoAuditable;

fn cargo_pkg(name: &str, version: &str, path: &str) -> Package {
    new_package(
        name,
        version,
        Ecosystem::Cargo,
        crate::purl::cargo(name, version),
        path,
    )
}

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockPackage>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: String,
    version: String,
}

impl Cataloger for CargoLock {
    fn id(&self) -> &'static str {
        "cargo"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        m.is_regular()
            && m.file_name() == "Cargo.lock"
            && m.size <= 32 * 1024 * 1024
            // sources of downloaded crates are not the project's dependencies
            && !m.path.contains(".cargo/registry/")
            && !m.path.contains(".cargo/git/")
    }
    /// Every `[[package]]`, the workspace's own crates included (Cargo.lock
    /// does not mark them).
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let text = std::str::from_utf8(data)
            .map_err(|e| CatalogError::parse(path, format!("not UTF-8: {e}")))?;
        let lock: Lock = toml::from_str(text).map_err(|e| {
            CatalogError::parse(path, format!("invalid Cargo.lock: {}", e.message()))
        })?;
        let mut out: Vec<Package> = Vec::new();
        for p in lock.package {
            if !out
                .iter()
                .any(|q| q.name == p.name && q.version == p.version)
            {
                out.push(cargo_pkg(&p.name, &p.version, path));
            }
        }
        Ok(out)
    }
}

/// Decompressed dependency list limit (auditable-info's recommended bound).
const MAX_AUDIT_JSON: usize = 8 * 1024 * 1024;

#[derive(Deserialize)]
struct AuditData {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    #[serde(default)]
    kind: Option<String>,
}

impl Cataloger for CargoAuditable {
    fn id(&self) -> &'static str {
        "cargo-auditable"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        m.is_executable() && m.size >= 1024 && m.size <= MAX_FILE_SIZE
    }
    /// Runtime dependencies recorded by cargo-auditable, the binary's own
    /// crate included; build-only dependencies are left out. Executables
    /// without the section give nothing.
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        if crate::util::find(data, b".dep-v0").is_none() {
            return Ok(Vec::new());
        }
        let json = match auditable_info::json_from_slice(data, MAX_AUDIT_JSON) {
            Ok(j) => j,
            // Not an executable format auditable-extract knows, or no section.
            Err(auditable_info::Error::NoAuditData | auditable_info::Error::BinaryParsing(_)) => {
                return Ok(Vec::new())
            }
            Err(e) => {
                return Err(CatalogError::parse(
                    path,
                    format!("cargo-auditable data: {}", lower_first(&e.to_string())),
                ))
            }
        };
        let d: AuditData = serde_json::from_str(&json)
            .map_err(|e| CatalogError::parse(path, format!("cargo-auditable data: {e}")))?;
        Ok(d.packages
            .iter()
            .filter(|p| p.kind.as_deref() != Some("build"))
            .map(|p| cargo_pkg(&p.name, &p.version, path))
            .collect())
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}
