//! OCI / Docker v2 manifest, index and config documents, and the walk from an
//! index to one platform's image, shared by OCI archives, layouts and
//! registries.

use serde::Deserialize;

use crate::source::{ImageMeta, LayerRef, Platform};
use crate::ImageError;

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Descriptor {
    pub digest: String,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub platform: Option<DescPlatform>,
    #[serde(default)]
    pub annotations: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DescPlatform {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

/// An index or a manifest: which one is decided by the fields present.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Document {
    #[serde(rename = "mediaType", default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    pub config: Option<Descriptor>,
    #[serde(default)]
    pub layers: Option<Vec<Descriptor>>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Config {
    #[serde(default)]
    pub os: Option<String>,
    #[serde(default)]
    pub architecture: Option<String>,
    pub rootfs: RootFs,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RootFs {
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    what: &str,
    bytes: &[u8],
) -> Result<T, ImageError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ImageError::invalid(what, format!("invalid JSON: {e}")))
}

/// Checks a digest is `sha256:<64 lowercase hex>` and returns the hex part
/// (safe to use as a file name).
pub(crate) fn digest_hex<'a>(what: &str, digest: &'a str) -> Result<&'a str, ImageError> {
    match digest.strip_prefix("sha256:") {
        Some(h)
            if h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            Ok(h)
        }
        _ => Err(ImageError::invalid(
            what,
            format!("unsupported or malformed digest {digest:?} (expected sha256:<64 hex>)"),
        )),
    }
}

/// Fetches documents by digest for [`resolve`].
pub(crate) trait Fetch {
    fn what(&self) -> String;
    /// A manifest or index by digest.
    fn manifest(&self, desc: &Descriptor) -> Result<Vec<u8>, ImageError>;
    /// A config blob by digest.
    fn blob_json(&self, desc: &Descriptor) -> Result<Vec<u8>, ImageError>;
}

fn platform_matches(p: &DescPlatform, want: &Platform) -> bool {
    p.os == want.os
        && p.architecture == want.architecture
        && match (&want.variant, &p.variant) {
            (Some(w), Some(v)) => w == v,
            (Some(_), None) => false,
            (None, _) => true,
        }
}

/// Picks from an index's manifests: by tag annotation when `tag` is given,
/// then by platform when several remain.
pub(crate) fn select<'a>(
    what: &str,
    manifests: &'a [Descriptor],
    tag: Option<&str>,
    platform: &Platform,
) -> Result<&'a Descriptor, ImageError> {
    let mut cands: Vec<&Descriptor> = manifests.iter().collect();
    if let Some(t) = tag {
        cands.retain(|d| {
            d.annotations
                .as_ref()
                .and_then(|a| a.get("org.opencontainers.image.ref.name"))
                .is_some_and(|n| n == t || n.rsplit(':').next() == Some(t))
        });
        if cands.is_empty() {
            return Err(ImageError::invalid(what, format!("no image tagged {t:?}")));
        }
    }
    if cands.len() == 1 {
        return Ok(cands[0]);
    }
    let with_platform: Vec<&Descriptor> = cands
        .iter()
        .copied()
        .filter(|d| {
            d.platform
                .as_ref()
                .is_some_and(|p| platform_matches(p, platform))
        })
        .collect();
    match with_platform.first() {
        Some(d) => Ok(d),
        None if cands.is_empty() => Err(ImageError::invalid(what, "index lists no manifests")),
        None => Err(ImageError::invalid(
            what,
            format!(
                "{} images and none for platform {platform} (use a tag or --platform)",
                cands.len()
            ),
        )),
    }
}

/// Follows `doc` (an index or manifest) to one image's manifest and config.
/// `digest` is the digest of `doc` when known.
pub(crate) fn resolve(
    fetch: &dyn Fetch,
    mut doc: Document,
    mut digest: Option<String>,
    tag: Option<&str>,
    platform: &Platform,
) -> Result<ImageMeta, ImageError> {
    let what = fetch.what();
    let mut tag = tag;
    // Nested indexes are legal; bound the depth.
    for _ in 0..4 {
        if let Some(ms) = &doc.manifests {
            let d = select(&what, ms, tag, platform)?.clone();
            tag = None;
            let bytes = fetch.manifest(&d)?;
            doc = parse_json(&format!("{what}: manifest {}", d.digest), &bytes)?;
            digest = Some(d.digest.clone());
            continue;
        }
        let (Some(cfg), Some(layers)) = (&doc.config, &doc.layers) else {
            return Err(ImageError::invalid(
                what,
                format!(
                    "manifest {} has neither layers+config nor manifests (media type {:?})",
                    digest.as_deref().unwrap_or("?"),
                    doc.media_type.as_deref().unwrap_or("")
                ),
            ));
        };
        let cfg_bytes = fetch.blob_json(cfg)?;
        let config: Config = parse_json(&format!("{what}: config {}", cfg.digest), &cfg_bytes)?;
        if config.rootfs.diff_ids.len() != layers.len() {
            return Err(ImageError::invalid(
                what,
                format!(
                    "manifest lists {} layers but config {} has {} diff_ids",
                    layers.len(),
                    cfg.digest,
                    config.rootfs.diff_ids.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(layers.len());
        for (l, diff) in layers.iter().zip(&config.rootfs.diff_ids) {
            digest_hex(&what, &l.digest)?;
            digest_hex(&what, diff)?;
            out.push(LayerRef {
                diff_id: diff.clone(),
                digest: Some(l.digest.clone()),
                size: l.size,
                locator: l.digest.clone(),
            });
        }
        return Ok(ImageMeta {
            name: String::new(),
            image_id: Some(cfg.digest.clone()),
            manifest_digest: digest,
            repo_tags: Vec::new(),
            os: config.os,
            architecture: config.architecture,
            layers: out,
            config: cfg_bytes,
        });
    }
    Err(ImageError::invalid(what, "indexes nested too deeply"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(digest: &str, os: &str, arch: &str, tag: Option<&str>) -> Descriptor {
        Descriptor {
            digest: digest.into(),
            size: None,
            platform: Some(DescPlatform {
                os: os.into(),
                architecture: arch.into(),
                variant: None,
            }),
            annotations: tag.map(|t| {
                [(
                    "org.opencontainers.image.ref.name".to_string(),
                    t.to_string(),
                )]
                .into_iter()
                .collect()
            }),
        }
    }

    #[test]
    fn picks_by_platform_then_tag() {
        let ms = vec![
            desc("sha256:a", "linux", "arm64", None),
            desc("sha256:b", "linux", "amd64", None),
        ];
        let amd = Platform::default();
        assert_eq!(select("idx", &ms, None, &amd).unwrap().digest, "sha256:b");
        let arm: Platform = "linux/arm64".parse().unwrap();
        assert_eq!(select("idx", &ms, None, &arm).unwrap().digest, "sha256:a");
        let s390: Platform = "linux/s390x".parse().unwrap();
        let e = select("idx", &ms, None, &s390).unwrap_err().to_string();
        assert!(e.contains("linux/s390x"), "{e}");
        let tagged = vec![
            desc("sha256:c", "linux", "amd64", Some("v1")),
            desc("sha256:d", "linux", "amd64", Some("v2")),
        ];
        assert_eq!(
            select("idx", &tagged, Some("v2"), &amd).unwrap().digest,
            "sha256:d"
        );
        assert!(select("idx", &tagged, Some("v3"), &amd).is_err());
    }
}
