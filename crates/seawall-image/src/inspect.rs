//! Inspectors: analyzers that look at every layer's entries besides the
//! package catalogers (secret scanning, file-system hygiene audits).
//!
//! An inspector sees each tar entry's metadata, may keep it (the merge then
//! yields the kept entries of the final file system), and may read a
//! regular file's content as a bounded stream. Its findings are opaque JSON
//! values, cached with the layer like the catalogers' results, and come back
//! with the layer that holds the file and, when a later layer deleted or
//! replaced the file, that layer too: a file "removed" by a later layer is
//! still extractable from the earlier layer's tarball.

use std::io::{self, Read};

use serde::{Deserialize, Serialize};

/// What a layer entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    HardLink,
    /// Devices, fifos and the like.
    Other,
}

/// Metadata of one tar entry (never a whiteout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryMeta {
    /// Path in the image, normalised, without a leading `/`.
    pub path: String,
    pub kind: EntryKind,
    /// Permission bits including setuid (0o4000), setgid (0o2000) and
    /// sticky (0o1000); no file-type bits.
    pub mode: u32,
    pub size: u64,
    pub uid: u64,
    pub gid: u64,
}

/// An analyzer over every layer's entries. Shared across layers and
/// threads: methods take `&self`.
pub trait Inspector: Send + Sync {
    /// Name and version of the analysis (rules included): part of the layer
    /// cache key, so change it whenever results could change.
    fn id(&self) -> String;
    /// Whether to keep this entry's metadata for the final file system view
    /// ([`crate::ImageScan::entries`]).
    fn keep(&self, entry: &EntryMeta) -> bool;
    /// Whether to read this regular file's content.
    fn wants(&self, path: &str, size: u64) -> bool;
    /// Reads a wanted file (a bounded stream of its content) and returns
    /// findings. Errors reading `content` are the layer's errors (a
    /// truncated layer); return them unchanged.
    fn inspect(&self, path: &str, content: &mut dyn Read) -> io::Result<Vec<serde_json::Value>>;
}

/// Findings of one inspector in one file of one layer, as cached.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FileFindings {
    pub inspector: usize,
    pub path: String,
    pub values: Vec<serde_json::Value>,
}

/// One finding of an inspector, placed in the image.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerFinding {
    /// Index of the inspector in the slice given to the scan.
    pub inspector: usize,
    /// 0-based index of the layer holding the file.
    pub layer_index: usize,
    /// That layer's diff id (`None` for a directory).
    pub layer: Option<String>,
    /// Path in the image, without a leading `/`.
    pub path: String,
    /// Diff id of the first later layer that deleted (whiteout, opaque
    /// directory) or replaced the file, when one did.
    pub deleted_in_layer: Option<String>,
    pub value: serde_json::Value,
}

/// 64-bit FNV-1a: a stable hash for path sets kept in the layer cache
/// (std's hasher may change between Rust releases).
pub(crate) fn path_hash(path: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in path.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A sorted set of path hashes, stored in the cache as one hex string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PathSet(Vec<u64>);

impl PathSet {
    pub(crate) fn from_unsorted(mut v: Vec<u64>) -> PathSet {
        v.sort_unstable();
        v.dedup();
        PathSet(v)
    }
    pub(crate) fn contains(&self, path: &str) -> bool {
        self.0.binary_search(&path_hash(path)).is_ok()
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for PathSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::with_capacity(self.0.len() * 8);
        for h in &self.0 {
            bytes.extend_from_slice(&h.to_be_bytes());
        }
        s.serialize_str(&hex::encode(bytes))
    }
}

impl<'de> Deserialize<'de> for PathSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bytes = hex::decode(s).map_err(serde::de::Error::custom)?;
        if bytes.len() % 8 != 0 {
            return Err(serde::de::Error::custom("path set length"));
        }
        let v: Vec<u64> = bytes
            .chunks_exact(8)
            .map(|c| {
                let mut a = [0u8; 8];
                a.copy_from_slice(c);
                u64::from_be_bytes(a)
            })
            .collect();
        Ok(PathSet::from_unsorted(v))
    }
}

/// A test inspector: reports files containing "SECRET", keeps setuid
/// entries and symlinks.
#[cfg(test)]
pub(crate) struct Grep;

#[cfg(test)]
impl Inspector for Grep {
    fn id(&self) -> String {
        "grep@1".into()
    }
    fn keep(&self, e: &EntryMeta) -> bool {
        e.mode & 0o4000 != 0 || e.kind == EntryKind::Symlink
    }
    fn wants(&self, _path: &str, size: u64) -> bool {
        size > 0
    }
    fn inspect(&self, path: &str, r: &mut dyn Read) -> io::Result<Vec<serde_json::Value>> {
        let mut s = String::new();
        r.read_to_string(&mut s)?;
        Ok(if s.contains("SECRET") {
            vec![serde_json::json!({ "file": path })]
        } else {
            vec![]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_set_round_trips_through_json() {
        let s = PathSet::from_unsorted(vec![path_hash("etc/passwd"), path_hash("usr/bin/sudo")]);
        let j = serde_json::to_string(&s).unwrap();
        let back: PathSet = serde_json::from_str(&j).unwrap();
        assert_eq!(s, back);
        assert!(back.contains("etc/passwd"));
        assert!(!back.contains("etc/shadow"));
        assert!(serde_json::from_str::<PathSet>("\"abc\"").is_err());
    }

    #[test]
    fn fnv_is_stable() {
        // Cached layer analyses depend on these exact values.
        assert_eq!(path_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(path_hash("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
