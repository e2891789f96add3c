//! Image sources: what a TARGET string means, and the common view every
//! source gives of an image (its config, ordered layers, and a way to stream
//! one layer).

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::{archive, layout, registry, ImageError, ScanOptions};

/// Where an image (or root filesystem) comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `docker save` / `podman save` tar.
    DockerArchive(PathBuf),
    /// OCI image layout packed in a tar.
    OciArchive(PathBuf),
    /// A tar whose kind is detected from its contents.
    Archive(PathBuf),
    /// OCI image layout directory, optionally a tag (`ref.name` annotation).
    OciLayout { dir: PathBuf, tag: Option<String> },
    /// A plain root filesystem.
    Dir(PathBuf),
    /// A registry image.
    Registry(Reference),
}

impl Source {
    /// Parses a TARGET: `docker-archive:PATH`, `oci-archive:PATH`,
    /// `oci:DIR[:TAG]`, `dir:PATH`, `registry:REF` / `docker://REF`, or
    /// without prefix an existing file (archive kind detected), directory (OCI
    /// layout when it has an `oci-layout` file, else a root filesystem), or a
    /// registry reference `HOST[:PORT]/REPO[:TAG|@sha256:...]`.
    pub fn parse(target: &str) -> Result<Source, ImageError> {
        if target.is_empty() {
            return Err(ImageError::invalid("target", "empty image target"));
        }
        if let Some(p) = target.strip_prefix("docker-archive:") {
            return Ok(Source::DockerArchive(PathBuf::from(p)));
        }
        if let Some(p) = target.strip_prefix("oci-archive:") {
            return Ok(Source::OciArchive(PathBuf::from(p)));
        }
        if let Some(p) = target.strip_prefix("oci:") {
            if Path::new(p).is_dir() {
                return Ok(Source::OciLayout {
                    dir: PathBuf::from(p),
                    tag: None,
                });
            }
            return Ok(match p.rsplit_once(':') {
                Some((d, t)) if !t.contains('/') && !d.is_empty() => Source::OciLayout {
                    dir: PathBuf::from(d),
                    tag: Some(t.to_string()),
                },
                _ => Source::OciLayout {
                    dir: PathBuf::from(p),
                    tag: None,
                },
            });
        }
        if let Some(p) = target.strip_prefix("dir:") {
            return Ok(Source::Dir(PathBuf::from(p)));
        }
        if let Some(r) = target
            .strip_prefix("registry:")
            .or_else(|| target.strip_prefix("docker://"))
        {
            return Ok(Source::Registry(Reference::parse(r)?));
        }
        let p = Path::new(target);
        if p.is_dir() {
            if p.join("oci-layout").is_file() {
                return Ok(Source::OciLayout {
                    dir: p.to_path_buf(),
                    tag: None,
                });
            }
            return Ok(Source::Dir(p.to_path_buf()));
        }
        if p.exists() {
            return Ok(Source::Archive(p.to_path_buf()));
        }
        Reference::parse(target).map(Source::Registry).map_err(|_| {
            ImageError::invalid(
                target,
                "no such file or directory, and not a registry reference (HOST/REPO:TAG)",
            )
        })
    }

    /// The source kind name used in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Source::DockerArchive(_) => "docker-archive",
            Source::OciArchive(_) => "oci-archive",
            Source::Archive(_) => "archive",
            Source::OciLayout { .. } => "oci",
            Source::Dir(_) => "dir",
            Source::Registry(_) => "registry",
        }
    }
}

/// A registry image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `host[:port]` (docker.io is mapped to `registry-1.docker.io` when
    /// talking to it).
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Reference {
    pub fn parse(s: &str) -> Result<Reference, ImageError> {
        let bad = |m: &str| ImageError::invalid(format!("image reference {s:?}"), m.to_string());
        if s.is_empty() || s.len() > 4096 || s.chars().any(|c| c.is_whitespace()) {
            return Err(bad("not a valid reference"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                let hexpart = d
                    .strip_prefix("sha256:")
                    .ok_or_else(|| bad("digest must be sha256:<64 hex>"))?;
                if hexpart.len() != 64 || !hexpart.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad("digest must be sha256:<64 hex>"));
                }
                (r, Some(d.to_ascii_lowercase()))
            }
            None => (s, None),
        };
        let (registry, path) = match rest.split_once('/') {
            Some((h, p)) if h.contains('.') || h.contains(':') || h == "localhost" => {
                (h.to_string(), p.to_string())
            }
            _ => ("docker.io".to_string(), rest.to_string()),
        };
        // The tag is after the last ':' of the last path component.
        let last_slash = path.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (repository, tag) = match path[last_slash..].rfind(':') {
            Some(i) => (
                path[..last_slash + i].to_string(),
                Some(path[last_slash + i + 1..].to_string()),
            ),
            None => (path.clone(), None),
        };
        let repository = if registry == "docker.io" && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        let valid_repo = !repository.is_empty()
            && repository.split('/').all(|c| {
                !c.is_empty()
                    && c.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)
                    })
            });
        if !valid_repo {
            return Err(bad(
                "repository must be lowercase [a-z0-9._-] path components",
            ));
        }
        if let Some(t) = &tag {
            if t.is_empty()
                || t.len() > 128
                || !t
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            {
                return Err(bad("tag must be [A-Za-z0-9._-], at most 128 characters"));
            }
        }
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_string())
        } else {
            tag
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// What to ask the manifests endpoint for: the digest if given, else the tag.
    pub fn manifest_ref(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// `OS/ARCH[/VARIANT]`, default `linux/amd64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Default for Platform {
    fn default() -> Self {
        Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        }
    }
}

impl std::str::FromStr for Platform {
    type Err = ImageError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: None,
            }),
            [os, arch, v] if !os.is_empty() && !arch.is_empty() && !v.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: Some(v.to_string()),
            }),
            _ => Err(ImageError::invalid(
                format!("platform {s:?}"),
                "expected OS/ARCH or OS/ARCH/VARIANT",
            )),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// One layer as a source knows it.
#[derive(Debug, Clone)]
pub(crate) struct LayerRef {
    pub diff_id: String,
    pub digest: Option<String>,
    pub size: Option<u64>,
    /// Source-specific locator (archive member path, blob digest).
    pub locator: String,
}

/// Image metadata common to every source.
#[derive(Debug, Clone, Default)]
pub(crate) struct ImageMeta {
    pub name: String,
    pub image_id: Option<String>,
    pub manifest_digest: Option<String>,
    pub repo_tags: Vec<String>,
    pub os: Option<String>,
    pub architecture: Option<String>,
    pub layers: Vec<LayerRef>,
    /// The image config JSON as stored (for config audits).
    pub config: Vec<u8>,
}

/// A readable image.
pub(crate) trait Image {
    fn kind(&self) -> &'static str;
    fn meta(&self) -> &ImageMeta;
    /// The stored (possibly compressed) bytes of layer `idx`.
    fn open_layer(&self, idx: usize) -> Result<Box<dyn Read + '_>, ImageError>;
}

/// Opens an image source (not `Dir`).
pub(crate) fn open(src: &Source, opts: &ScanOptions) -> Result<Box<dyn Image>, ImageError> {
    match src {
        Source::DockerArchive(p) => Ok(Box::new(archive::open(
            p,
            archive::Kind::Docker,
            &opts.platform,
            &opts.limits,
        )?)),
        Source::OciArchive(p) => Ok(Box::new(archive::open(
            p,
            archive::Kind::Oci,
            &opts.platform,
            &opts.limits,
        )?)),
        Source::Archive(p) => Ok(Box::new(archive::open(
            p,
            archive::Kind::Detect,
            &opts.platform,
            &opts.limits,
        )?)),
        Source::OciLayout { dir, tag } => Ok(Box::new(layout::open(
            dir,
            tag.as_deref(),
            &opts.platform,
            &opts.limits,
        )?)),
        Source::Registry(r) => Ok(Box::new(registry::open(r, opts)?)),
        Source::Dir(p) => Err(ImageError::invalid(
            p.display().to_string(),
            "a directory is not an image",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
        let r = Reference::parse("127.0.0.1:5000/seawall/deb:latest").unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "seawall/deb");
        assert_eq!(r.tag.as_deref(), Some("latest"));
        let r = Reference::parse("alpine").unwrap();
        assert_eq!(r.registry, "docker.io");
        assert_eq!(r.repository, "library/alpine");
        assert_eq!(r.manifest_ref(), "latest");
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("localhost:5000/x@{d}")).unwrap();
        assert_eq!(r.tag, None);
        assert_eq!(r.manifest_ref(), d);
        assert!(Reference::parse("localhost:5000/UPPER:x").is_err());
        assert!(Reference::parse("localhost/x@sha256:zz").is_err());
        assert!(Reference::parse("a b").is_err());
    }

    #[test]
    fn parses_targets() {
        assert_eq!(
            Source::parse("docker-archive:/x.tar").unwrap(),
            Source::DockerArchive("/x.tar".into())
        );
        assert_eq!(
            Source::parse("oci:/nonexistent/dir:v1").unwrap(),
            Source::OciLayout {
                dir: "/nonexistent/dir".into(),
                tag: Some("v1".into())
            }
        );
        assert!(matches!(
            Source::parse("localhost:5000/a/b:c").unwrap(),
            Source::Registry(_)
        ));
        assert!(Source::parse("/no/such/file.tar").is_err());
        assert_eq!(
            "linux/arm64/v8"
                .parse::<Platform>()
                .unwrap()
                .variant
                .as_deref(),
            Some("v8")
        );
        assert!("linux".parse::<Platform>().is_err());
    }
}
