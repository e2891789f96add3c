//! Software bills of materials for seawall inventories: CycloneDX 1.6 JSON
//! and SPDX 2.3 JSON writers, and readers for both so an SBOM can be scanned
//! later instead of the image.
//!
//! Every component carries its purl, licences where the metadata had them,
//! and where it was found: CycloneDX as `seawall:layer` / `seawall:path`
//! properties, SPDX in `sourceInfo` (`layer=sha256:... path=/...` lines).
//! Output is deterministic for the same inventory and `created` time
//! (`SOURCE_DATE_EPOCH` is honoured).

mod cyclonedx;
mod license;
mod spdx;
mod spdx_ids;

use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use seawall_types::{Ecosystem, Location, OsInfo, Package};
use sha2::{Digest, Sha256};

/// What an SBOM describes and contains.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sbom {
    /// The scanned target (image name, archive path, directory).
    pub name: String,
    /// Source kind: `docker-archive`, `oci-archive`, `oci`, `registry`, `dir`.
    pub kind: String,
    /// Image id (config digest) when the target is an image.
    pub image_id: Option<String>,
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    /// RFC 3339 UTC creation time; `None` = `SOURCE_DATE_EPOCH` or now.
    pub created: Option<String>,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    CycloneDx,
    Spdx,
}

impl FromStr for Format {
    type Err = SbomError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "cyclonedx" | "cyclonedx-json" | "cdx" => Ok(Format::CycloneDx),
            "spdx" | "spdx-json" => Ok(Format::Spdx),
            _ => Err(SbomError::Invalid {
                what: format!("format {s:?}"),
                msg: "expected cyclonedx or spdx".into(),
            }),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: {msg}")]
    Invalid { what: String, msg: String },
}

/// The SBOM as a JSON value.
pub fn to_json(sbom: &Sbom, format: Format) -> serde_json::Value {
    match format {
        Format::CycloneDx => cyclonedx::write(sbom),
        Format::Spdx => spdx::write(sbom),
    }
}

/// Writes the SBOM as pretty JSON with a trailing newline.
pub fn write(sbom: &Sbom, format: Format, w: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &to_json(sbom, format))?;
    w.write_all(b"\n")
}

/// Parses a CycloneDX (JSON) or SPDX 2.x (JSON) document; `what` names it in
/// errors.
pub fn read(what: &str, bytes: &[u8]) -> Result<Sbom, SbomError> {
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| SbomError::Invalid {
        what: what.to_string(),
        msg: format!("not JSON: {e}"),
    })?;
    if v.get("bomFormat").and_then(|b| b.as_str()) == Some("CycloneDX") {
        return cyclonedx::read(what, &v);
    }
    if v.get("spdxVersion").and_then(|b| b.as_str()).is_some() {
        return spdx::read(what, &v);
    }
    Err(SbomError::Invalid {
        what: what.to_string(),
        msg: "neither a CycloneDX (bomFormat) nor an SPDX (spdxVersion) JSON document".into(),
    })
}

/// Largest SBOM file read.
const MAX_SBOM_BYTES: u64 = 512 << 20;

/// Reads an SBOM file.
pub fn read_file(path: &Path) -> Result<Sbom, SbomError> {
    let what = path.display().to_string();
    let md = std::fs::metadata(path).map_err(|e| SbomError::Io {
        path: what.clone(),
        source: e,
    })?;
    if md.len() > MAX_SBOM_BYTES {
        return Err(SbomError::Invalid {
            what,
            msg: format!("larger than {MAX_SBOM_BYTES} bytes"),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| SbomError::Io {
        path: what.clone(),
        source: e,
    })?;
    read(&what, &bytes)
}

/// True when the bytes look like an SBOM this crate reads (cheap sniff).
pub fn looks_like_sbom(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let s = String::from_utf8_lossy(head);
    s.trim_start().starts_with('{')
        && (s.contains("\"bomFormat\"") || s.contains("\"spdxVersion\""))
}

pub(crate) fn created(sbom: &Sbom) -> String {
    if let Some(c) = &sbom.created {
        return c.clone();
    }
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
    rfc3339(secs)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn rfc3339(secs: u64) -> String {
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// A UUID (version-4 layout) derived from the SBOM's content, so the same
/// inventory gets the same serial number.
pub(crate) fn content_uuid(sbom: &Sbom, salt: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(sbom.name.as_bytes());
    h.update(sbom.image_id.as_deref().unwrap_or("").as_bytes());
    for p in &sbom.packages {
        h.update(p.purl.as_bytes());
        h.update([0]);
        for l in &p.locations {
            h.update(l.path.as_bytes());
            h.update(l.layer.as_deref().unwrap_or("").as_bytes());
        }
    }
    h.update(created(sbom).as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// The ecosystem of a purl type.
pub(crate) fn ecosystem_of_purl(purl: &str) -> Option<Ecosystem> {
    let t = purl.strip_prefix("pkg:")?.split('/').next()?;
    Some(match t.to_ascii_lowercase().as_str() {
        "deb" => Ecosystem::Deb,
        "apk" => Ecosystem::Apk,
        "rpm" => Ecosystem::Rpm,
        "pypi" => Ecosystem::PyPI,
        "npm" => Ecosystem::Npm,
        "cargo" => Ecosystem::Cargo,
        "golang" => Ecosystem::Go,
        "maven" => Ecosystem::Maven,
        "gem" => Ecosystem::RubyGems,
        "composer" => Ecosystem::Packagist,
        "nuget" => Ecosystem::NuGet,
        _ => return None,
    })
}

/// A purl qualifier value (`arch=amd64`), percent-decoding not needed for
/// the qualifiers seawall writes.
pub(crate) fn purl_qualifier(purl: &str, key: &str) -> Option<String> {
    let q = purl.split_once('?')?.1;
    let q = q.split('#').next().unwrap_or(q);
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| v.to_string())
    })
}

/// `/path` form of a root-relative location path.
pub(crate) fn abs_path(p: &str) -> String {
    if p.starts_with('/') {
        p.to_string()
    } else {
        format!("/{p}")
    }
}

pub(crate) fn rel_path(p: &str) -> String {
    p.trim_start_matches('/').to_string()
}

/// A package skeleton for the readers.
pub(crate) fn package_from(
    name: String,
    version: String,
    purl: String,
    licenses: Vec<String>,
    locations: Vec<Location>,
) -> Option<Package> {
    let ecosystem = ecosystem_of_purl(&purl)?;
    let arch = purl_qualifier(&purl, "arch");
    Some(Package {
        name,
        version,
        ecosystem,
        purl,
        arch,
        source_name: None,
        source_version: None,
        licenses,
        locations,
        dev: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(rfc3339(1_798_761_600), "2027-01-01T00:00:00Z");
    }

    #[test]
    fn formats_and_sniffing() {
        assert_eq!("CycloneDX".parse::<Format>().unwrap(), Format::CycloneDx);
        assert_eq!("spdx-json".parse::<Format>().unwrap(), Format::Spdx);
        assert!("xml".parse::<Format>().is_err());
        assert!(looks_like_sbom(br#"{"bomFormat": "CycloneDX"}"#));
        assert!(!looks_like_sbom(b"\x1f\x8b"));
        let e = read("x.json", b"{}").unwrap_err().to_string();
        assert!(e.starts_with("x.json: "), "{e}");
    }
}
