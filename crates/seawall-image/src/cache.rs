//! Per-layer analysis cache: one JSON file per (layer diff id, cataloger ids
//! and versions). A missing, unreadable or corrupt entry is a miss; writes
//! are atomic (temp file + rename) and failures to write only cost speed.

use std::fs;
use std::path::{Path, PathBuf};

use seawall_catalog::Cataloger;
use sha2::{Digest, Sha256};

use crate::inspect::Inspector;
use crate::layer::LayerAnalysis;

/// Bumped when the layer analysis format or the walk's semantics change.
const FORMAT: &str = "seawall-image-layer-v2";

pub(crate) struct Cache {
    dir: PathBuf,
    analyzers: String,
}

impl Cache {
    pub(crate) fn new(
        root: &Path,
        catalogers: &[Box<dyn Cataloger>],
        inspectors: &[&dyn Inspector],
    ) -> Cache {
        let analyzers = catalogers
            .iter()
            .map(|c| format!("{}@{}", c.id(), c.version()))
            .chain(inspectors.iter().map(|i| format!("inspector:{}", i.id())))
            .collect::<Vec<_>>()
            .join(",");
        Cache {
            dir: root.join("layers"),
            analyzers,
        }
    }

    fn path(&self, diff_id: &str) -> PathBuf {
        let mut h = Sha256::new();
        h.update(FORMAT.as_bytes());
        h.update([0]);
        h.update(diff_id.as_bytes());
        h.update([0]);
        h.update(self.analyzers.as_bytes());
        self.dir.join(format!("{}.json", hex::encode(h.finalize())))
    }

    pub(crate) fn get(&self, diff_id: &str) -> Option<LayerAnalysis> {
        let bytes = fs::read(self.path(diff_id)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Stores an analysis; returns a warning on failure.
    pub(crate) fn put(&self, diff_id: &str, a: &LayerAnalysis) -> Option<String> {
        let path = self.path(diff_id);
        let res = (|| -> std::io::Result<()> {
            fs::create_dir_all(&self.dir)?;
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            fs::write(&tmp, serde_json::to_vec(a).map_err(std::io::Error::other)?)?;
            fs::rename(&tmp, &path)
        })();
        res.err()
            .map(|e| format!("layer cache {}: cannot write: {e}", self.dir.display()))
    }
}
