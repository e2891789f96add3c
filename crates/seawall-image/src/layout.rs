//! OCI image layout directories (`oci:DIR[:TAG]`).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::oci::{self, Descriptor, Document, Fetch};
use crate::source::{Image, ImageMeta, Platform};
use crate::{ImageError, Limits};

pub(crate) struct Layout {
    dir: PathBuf,
    display: String,
    meta: ImageMeta,
    max_json: u64,
}

pub(crate) fn open(
    dir: &Path,
    tag: Option<&str>,
    platform: &Platform,
    limits: &Limits,
) -> Result<Layout, ImageError> {
    let display = dir.display().to_string();
    if !dir.is_dir() {
        return Err(ImageError::invalid(
            &display,
            "not a directory (expected an OCI image layout)",
        ));
    }
    if !dir.join("index.json").is_file() {
        return Err(ImageError::invalid(
            &display,
            "not an OCI image layout (no index.json)",
        ));
    }
    let mut l = Layout {
        dir: dir.to_path_buf(),
        display: display.clone(),
        meta: ImageMeta::default(),
        max_json: limits.max_json_bytes,
    };
    let idx = l.read_file(&dir.join("index.json"), "index.json")?;
    let doc: Document = oci::parse_json(&format!("{display}/index.json"), &idx)?;
    l.meta = oci::resolve(&l, doc, None, tag, platform)?;
    for layer in &l.meta.layers {
        if !l.blob_path(&layer.locator)?.is_file() {
            return Err(ImageError::invalid(
                &display,
                format!(
                    "manifest names layer blob {}, which is missing",
                    layer.locator
                ),
            ));
        }
    }
    l.meta.name = match tag {
        Some(t) => format!("{display}:{t}"),
        None => display,
    };
    Ok(l)
}

impl Layout {
    fn blob_path(&self, digest: &str) -> Result<PathBuf, ImageError> {
        let hex = oci::digest_hex(&self.display, digest)?;
        Ok(self.dir.join("blobs").join("sha256").join(hex))
    }

    fn read_file(&self, p: &Path, name: &str) -> Result<Vec<u8>, ImageError> {
        let f = File::open(p).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ImageError::invalid(&self.display, format!("{name} is missing"))
            } else {
                ImageError::io(p.display().to_string(), e)
            }
        })?;
        let mut buf = Vec::new();
        f.take(self.max_json + 1)
            .read_to_end(&mut buf)
            .map_err(|e| ImageError::io(p.display().to_string(), e))?;
        if buf.len() as u64 > self.max_json {
            return Err(ImageError::invalid(
                &self.display,
                format!("{name} is larger than the {} bytes allowed", self.max_json),
            ));
        }
        Ok(buf)
    }
}

impl Fetch for Layout {
    fn what(&self) -> String {
        self.display.clone()
    }
    fn manifest(&self, desc: &Descriptor) -> Result<Vec<u8>, ImageError> {
        self.blob_json(desc)
    }
    fn blob_json(&self, desc: &Descriptor) -> Result<Vec<u8>, ImageError> {
        let p = self.blob_path(&desc.digest)?;
        if !p.is_file() {
            return Err(ImageError::invalid(
                &self.display,
                format!("manifest names blob {}, which is missing", desc.digest),
            ));
        }
        let b = self.read_file(&p, &desc.digest)?;
        crate::layer::verify_digest(&self.display, &desc.digest, &b)?;
        Ok(b)
    }
}

impl Image for Layout {
    fn kind(&self) -> &'static str {
        "oci"
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
        let p = self.blob_path(&l.locator)?;
        let f = File::open(&p).map_err(|e| ImageError::io(p.display().to_string(), e))?;
        Ok(Box::new(BufReader::with_capacity(256 << 10, f)))
    }
}
