//! `docker save` / `podman save` archives and OCI archives: the outer tar is
//! indexed once (member name -> offset, size) and layers are streamed straight
//! from their byte range, never extracted.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::oci::{self, Descriptor, Document, Fetch};
use crate::source::{Image, ImageMeta, LayerRef, Platform};
use crate::{ImageError, Limits};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Docker,
    Oci,
    Detect,
}

/// Most members an outer archive may have (bounds the index).
const MAX_MEMBERS: usize = 1_000_000;

#[derive(Debug, Clone, Copy)]
struct Member {
    offset: u64,
    size: u64,
}

pub(crate) struct Archive {
    path: PathBuf,
    display: String,
    members: HashMap<String, Member>,
    links: HashMap<String, String>,
    meta: ImageMeta,
    kind: &'static str,
    max_json: u64,
}

#[derive(Deserialize)]
struct DockerManifestEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

/// Normalizes an archive member name: no leading `./` or `/`, no empty or
/// `.` components. `None` for names with `..`.
fn norm(name: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => return None,
            c => out.push(c),
        }
    }
    Some(out.join("/"))
}

pub(crate) fn open(
    path: &Path,
    kind: Kind,
    platform: &Platform,
    limits: &Limits,
) -> Result<Archive, ImageError> {
    let display = path.display().to_string();
    let file = File::open(path).map_err(|e| ImageError::io(&display, e))?;
    let file_len = file
        .metadata()
        .map_err(|e| ImageError::io(&display, e))?
        .len();
    if file_len == 0 {
        return Err(ImageError::invalid(
            &display,
            "empty file, not an image archive",
        ));
    }
    let mut members = HashMap::new();
    let mut links = HashMap::new();
    {
        let mut ar = tar::Archive::new(BufReader::new(file));
        let entries = ar.entries_with_seek().map_err(|e| {
            ImageError::invalid(
                &display,
                format!("not a tar archive: {}", crate::tar_error(&e)),
            )
        })?;
        for entry in entries {
            let entry = entry.map_err(|e| {
                ImageError::invalid(
                    &display,
                    format!("corrupt or truncated tar: {}", crate::tar_error(&e)),
                )
            })?;
            if members.len() + links.len() >= MAX_MEMBERS {
                return Err(ImageError::invalid(&display, "too many archive members"));
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Some(name) = norm(&name) else { continue };
            let et = entry.header().entry_type();
            if et.is_file() {
                let m = Member {
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                };
                if m.offset.saturating_add(m.size) > file_len {
                    return Err(ImageError::invalid(
                        &display,
                        format!("truncated tar: member {name} extends past the end of the file"),
                    ));
                }
                members.insert(name, m);
            } else if et.is_symlink() || et.is_hard_link() {
                if let Some(t) = entry.link_name_bytes() {
                    let t = String::from_utf8_lossy(&t).into_owned();
                    let target = if et.is_symlink() && !t.starts_with('/') {
                        match name.rsplit_once('/') {
                            Some((dir, _)) => format!("{dir}/{t}"),
                            None => t,
                        }
                    } else {
                        t
                    };
                    if let Some(target) = norm_dots(&target) {
                        links.insert(name, target);
                    }
                }
            }
        }
    }
    if members.is_empty() {
        return Err(ImageError::invalid(
            &display,
            "not a tar archive or an empty one",
        ));
    }
    let mut ar = Archive {
        path: path.to_path_buf(),
        display: display.clone(),
        members,
        links,
        meta: ImageMeta::default(),
        kind: "docker-archive",
        max_json: limits.max_json_bytes,
    };
    let has_docker = ar.lookup("manifest.json").is_some();
    let has_oci = ar.lookup("index.json").is_some();
    let use_docker = match kind {
        Kind::Docker => true,
        Kind::Oci => false,
        Kind::Detect => {
            if !has_docker && !has_oci {
                return Err(ImageError::invalid(
                    &display,
                    "not a container image archive (no manifest.json or index.json)",
                ));
            }
            has_docker
        }
    };
    if use_docker {
        if !has_docker {
            return Err(ImageError::invalid(
                &display,
                "not a docker archive (no manifest.json)",
            ));
        }
        ar.kind = "docker-archive";
        ar.meta = ar.docker_meta()?;
    } else {
        if !has_oci {
            return Err(ImageError::invalid(
                &display,
                "not an OCI archive (no index.json)",
            ));
        }
        ar.kind = "oci-archive";
        let idx = ar.read_member("index.json")?;
        let doc: Document = oci::parse_json(&format!("{display}: index.json"), &idx)?;
        ar.meta = oci::resolve(&ar, doc, None, None, platform)?;
        for l in &ar.meta.layers {
            if ar.lookup(&ar.blob_name(&l.locator)?).is_none() {
                return Err(ImageError::invalid(
                    &display,
                    format!("manifest names layer blob {}, which is missing", l.locator),
                ));
            }
        }
    }
    ar.meta.name = display;
    Ok(ar)
}

/// Resolves `.` and `..` lexically (archive-internal links); `None` when the
/// path would leave the archive root.
fn norm_dots(p: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            c => out.push(c),
        }
    }
    Some(out.join("/"))
}

impl Archive {
    fn lookup(&self, name: &str) -> Option<Member> {
        let mut n = norm(name)?;
        for _ in 0..16 {
            if let Some(m) = self.members.get(&n) {
                return Some(*m);
            }
            n = self.links.get(&n)?.clone();
        }
        None
    }

    fn open_member(&self, name: &str) -> Result<(Box<dyn Read + '_>, u64), ImageError> {
        let m = self.lookup(name).ok_or_else(|| {
            ImageError::invalid(&self.display, format!("archive has no member {name}"))
        })?;
        let mut f = File::open(&self.path).map_err(|e| ImageError::io(&self.display, e))?;
        f.seek(SeekFrom::Start(m.offset))
            .map_err(|e| ImageError::io(&self.display, e))?;
        Ok((
            Box::new(BufReader::with_capacity(256 << 10, f).take(m.size)),
            m.size,
        ))
    }

    fn read_member(&self, name: &str) -> Result<Vec<u8>, ImageError> {
        let (r, size) = self.open_member(name)?;
        if size > self.max_json {
            return Err(ImageError::invalid(
                &self.display,
                format!(
                    "{name} is {size} bytes, more than the {} allowed",
                    self.max_json
                ),
            ));
        }
        let mut buf = Vec::with_capacity(size as usize);
        r.take(self.max_json)
            .read_to_end(&mut buf)
            .map_err(|e| ImageError::io(format!("{}: {name}", self.display), e))?;
        Ok(buf)
    }

    fn docker_meta(&self) -> Result<ImageMeta, ImageError> {
        let what = format!("{}: manifest.json", self.display);
        let bytes = self.read_member("manifest.json")?;
        let entries: Vec<DockerManifestEntry> = oci::parse_json(&what, &bytes)?;
        let Some(entry) = entries.into_iter().next() else {
            return Err(ImageError::invalid(what, "lists no images"));
        };
        let cfg_bytes = self.read_member(&entry.config)?;
        let config: oci::Config =
            oci::parse_json(&format!("{}: {}", self.display, entry.config), &cfg_bytes)?;
        if config.rootfs.diff_ids.len() != entry.layers.len() {
            return Err(ImageError::invalid(
                what,
                format!(
                    "lists {} layers but the config has {} diff_ids",
                    entry.layers.len(),
                    config.rootfs.diff_ids.len()
                ),
            ));
        }
        let mut layers = Vec::new();
        for (l, diff) in entry.layers.iter().zip(&config.rootfs.diff_ids) {
            oci::digest_hex(&what, diff)?;
            let m = self.lookup(l).ok_or_else(|| {
                ImageError::invalid(
                    &what,
                    format!("names layer {l}, which is not in the archive"),
                )
            })?;
            layers.push(LayerRef {
                diff_id: diff.clone(),
                digest: None,
                size: Some(m.size),
                locator: l.clone(),
            });
        }
        let config_name = entry.config.rsplit('/').next().unwrap_or(&entry.config);
        let id_hex = config_name.trim_end_matches(".json");
        let image_id = (id_hex.len() == 64 && id_hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| format!("sha256:{id_hex}"));
        Ok(ImageMeta {
            name: String::new(),
            image_id,
            manifest_digest: None,
            repo_tags: entry.repo_tags.unwrap_or_default(),
            os: config.os,
            architecture: config.architecture,
            layers,
            config: cfg_bytes,
        })
    }

    fn blob_name(&self, digest: &str) -> Result<String, ImageError> {
        let hex = oci::digest_hex(&self.display, digest)?;
        Ok(format!("blobs/sha256/{hex}"))
    }
}

impl Fetch for Archive {
    fn what(&self) -> String {
        self.display.clone()
    }
    fn manifest(&self, desc: &Descriptor) -> Result<Vec<u8>, ImageError> {
        self.blob_json(desc)
    }
    fn blob_json(&self, desc: &Descriptor) -> Result<Vec<u8>, ImageError> {
        let name = self.blob_name(&desc.digest)?;
        if self.lookup(&name).is_none() {
            return Err(ImageError::invalid(
                &self.display,
                format!("manifest names blob {}, which is missing", desc.digest),
            ));
        }
        let b = self.read_member(&name)?;
        crate::layer::verify_digest(&self.display, &desc.digest, &b)?;
        Ok(b)
    }
}

impl Image for Archive {
    fn kind(&self) -> &'static str {
        self.kind
    }
    fn meta(&self) -> &ImageMeta {
        &self.meta
    }
    fn open_layer(&self, idx: usize) -> Result<Box<dyn Read + '_>, ImageError> {
        let l = self
            .meta
            .layers
            .get(idx)
            .ok_or_else(|| ImageError::invalid(&self.display, "layer index out of range"))?;
        let name = if self.kind == "oci-archive" {
            self.blob_name(&l.locator)?
        } else {
            l.locator.clone()
        };
        if self.lookup(&name).is_none() {
            return Err(ImageError::invalid(
                &self.display,
                format!("manifest names layer blob {}, which is missing", l.locator),
            ));
        }
        Ok(self.open_member(&name)?.0)
    }
}
