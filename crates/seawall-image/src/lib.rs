//! Container image access for seawall: read an image from a docker/podman
//! archive, an OCI archive or layout, a registry (no daemon) or a plain root
//! directory, stream every layer once without unpacking it, let the package
//! catalogers see only the files they want, cache each layer's result by its
//! digest, and merge the layers (top-most wins, whiteouts delete) into the
//! final OS and package inventory.
//!
//! ```no_run
//! let opts = seawall_image::ScanOptions::default();
//! let scan = seawall_image::scan("docker-archive:/tmp/app.tar", &opts).unwrap();
//! println!("{:?}: {} packages", scan.os, scan.packages.len());
//! ```

mod archive;
mod cache;
mod dirwalk;
mod inspect;
mod layer;
mod layout;
mod merge;
mod oci;
mod registry;
mod source;

use std::path::PathBuf;

use serde::Serialize;

pub use inspect::{EntryKind, EntryMeta, Inspector, LayerFinding};
pub use seawall_types::{OsInfo, Package};
pub use source::{Platform, Reference, Source};

/// Something in the image (or the way to it) is wrong. Every message names
/// the file, layer or reference and the problem, on one line.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// Reading a local file failed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The input is not a valid image, or breaks a limit.
    #[error("{what}: {msg}")]
    Invalid { what: String, msg: String },
    /// Talking to a registry failed.
    #[error("registry {reference}: {msg}")]
    Registry { reference: String, msg: String },
}

impl ImageError {
    pub(crate) fn invalid(what: impl Into<String>, msg: impl Into<String>) -> Self {
        ImageError::Invalid {
            what: what.into(),
            msg: one_line(&msg.into()),
        }
    }
    pub(crate) fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        ImageError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Error text from parsers may quote the input: keep it on one short line.
pub(crate) fn one_line(s: &str) -> String {
    let mut out = String::new();
    let mut n = 0;
    for c in s.chars() {
        // bytes that were not text (lossy decoding) show as one '?'
        let c = match c {
            '\u{fffd}' => '?',
            c if c.is_control() => ' ',
            c => c,
        };
        if c == '?' && out.ends_with('?') {
            continue;
        }
        if n == 300 {
            out.push_str("...");
            break;
        }
        out.push(c);
        n += 1;
    }
    out
}

/// A tar reading error in words: the tar crate's header errors quote the
/// raw header bytes, which for a file that is not a tar is binary noise.
pub(crate) fn tar_error(e: &std::io::Error) -> String {
    let s = e.to_string();
    if s.contains("numeric field") || s.contains("cksum") || s.contains("checksum") {
        "invalid tar header (not a tar archive, or a corrupt one)".to_string()
    } else if e.kind() == std::io::ErrorKind::UnexpectedEof {
        "unexpected end of data".to_string()
    } else {
        s
    }
}

/// Resource bounds applied while reading untrusted images.
#[derive(Debug, Clone)]
pub struct Limits {
    /// A compressed layer may inflate to at most `max(min_layer_bytes,
    /// compressed * max_ratio)` bytes (gzip/zstd bomb guard).
    pub max_ratio: u64,
    /// Floor of the ratio bound, so small layers of empty files still work.
    pub min_layer_bytes: u64,
    /// Absolute bound on one layer's uncompressed size.
    pub max_layer_bytes: u64,
    /// Largest single file handed to a cataloger; bigger ones are skipped
    /// with a warning.
    pub max_file_bytes: u64,
    /// Largest manifest / config / index JSON read.
    pub max_json_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_ratio: 200,
            min_layer_bytes: 64 << 20,
            max_layer_bytes: 32 << 30,
            max_file_bytes: 128 << 20,
            max_json_bytes: 8 << 20,
        }
    }
}

/// How to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Layer cache directory; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Platform picked from multi-arch indexes.
    pub platform: Platform,
    /// Allow plain HTTP to registries (loopback only).
    pub insecure: bool,
    pub limits: Limits,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            cache_dir: default_cache_dir(),
            platform: Platform::default(),
            insecure: false,
            limits: Limits::default(),
        }
    }
}

/// `$XDG_CACHE_HOME/seawall` or `~/.cache/seawall`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("seawall"));
    }
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(|h| PathBuf::from(h).join(".cache").join("seawall"))
}

/// One layer of a scanned image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerInfo {
    /// Uncompressed digest (config `rootfs.diff_ids`): the layer's identity in
    /// package locations, the same for every source kind.
    pub diff_id: String,
    /// Blob digest as stored (compressed for OCI/registry), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Stored size in bytes, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Whether the result came from the layer cache.
    pub cached: bool,
}

/// What was scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Artifact {
    /// The target as given (without the source prefix).
    pub name: String,
    /// `docker-archive`, `oci-archive`, `oci`, `dir` or `registry`.
    pub kind: &'static str,
    /// Config digest (the image id), when the source is an image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// Manifest digest, when known (OCI sources and registries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repo_tags: Vec<String>,
    /// Image config `os` / `architecture`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<LayerInfo>,
}

/// The result of scanning one target.
#[derive(Debug, Clone)]
pub struct ImageScan {
    pub artifact: Artifact,
    pub os: Option<OsInfo>,
    /// Finalized packages (purls filled, deduplicated, sorted); each location
    /// names the layer (diff id) that brought the file in.
    pub packages: Vec<Package>,
    /// Files skipped or not parseable (each names the file and problem).
    pub warnings: Vec<String>,
    /// The inspectors' findings in every layer, files later deleted
    /// included (with the layer that deleted them).
    pub findings: Vec<LayerFinding>,
    /// Entries the inspectors kept, as they are in the final file system
    /// (sorted by path; deleted and replaced ones gone).
    pub entries: Vec<EntryMeta>,
    /// The image config JSON as stored (`None` for a directory).
    pub config: Option<Vec<u8>>,
}

/// Reads only what names the image (manifest and config, never a layer):
/// the artifact a scan would report, with `manifest_digest` for registry
/// and OCI sources. What an admission controller needs to key cached scan
/// results by digest.
pub fn describe(target: &str, opts: &ScanOptions) -> Result<Artifact, ImageError> {
    let src = Source::parse(target)?;
    if let Source::Dir(path) = &src {
        return Err(ImageError::invalid(
            path.display().to_string(),
            "a directory has no manifest to describe",
        ));
    }
    let image = source::open(&src, opts)?;
    Ok(merge::artifact_of(image.as_ref(), Vec::new()))
}

/// Scans `target` (see [`Source::parse`] for the accepted forms).
pub fn scan(target: &str, opts: &ScanOptions) -> Result<ImageScan, ImageError> {
    scan_with(target, opts, &[])
}

/// Scans `target` with inspectors besides the package catalogers.
pub fn scan_with(
    target: &str,
    opts: &ScanOptions,
    inspectors: &[&dyn Inspector],
) -> Result<ImageScan, ImageError> {
    let src = Source::parse(target)?;
    scan_source_with(&src, opts, inspectors)
}

/// Scans an already parsed source.
pub fn scan_source(src: &Source, opts: &ScanOptions) -> Result<ImageScan, ImageError> {
    scan_source_with(src, opts, &[])
}

/// Scans an already parsed source with inspectors.
pub fn scan_source_with(
    src: &Source,
    opts: &ScanOptions,
    inspectors: &[&dyn Inspector],
) -> Result<ImageScan, ImageError> {
    let catalogers = seawall_catalog::builtin();
    match src {
        Source::Dir(path) => {
            let r = seawall_catalog::scan_dir_report(path)
                .map_err(|e| ImageError::invalid(path.display().to_string(), e.to_string()))?;
            let mut warnings: Vec<String> = r.errors.iter().map(|e| e.to_string()).collect();
            let (findings, entries) = if inspectors.is_empty() {
                (Vec::new(), Vec::new())
            } else {
                dirwalk::inspect_dir(path, inspectors, &mut warnings)?
            };
            Ok(ImageScan {
                artifact: Artifact {
                    name: path.display().to_string(),
                    kind: "dir",
                    image_id: None,
                    manifest_digest: None,
                    repo_tags: Vec::new(),
                    os: None,
                    architecture: None,
                    layers: Vec::new(),
                },
                os: r.os,
                packages: r.packages,
                warnings,
                findings,
                entries,
                config: None,
            })
        }
        _ => {
            let image = source::open(src, opts)?;
            merge::scan_image(image.as_ref(), &catalogers, inspectors, opts)
        }
    }
}
