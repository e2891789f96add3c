//! One layer, streamed: decompress (gzip, zstd or plain tar) under a size
//! bound, walk the tar entries once, read only the files a cataloger wants
//! (or small OS release files), and record what the merge needs: per-path
//! package results, whiteouts, opaque directories and symlinks.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use seawall_catalog::{Cataloger, FileMeta, OS_RELEASE_PATHS, S_IFREG};
use seawall_types::Package;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::inspect::{path_hash, EntryKind, EntryMeta, FileFindings, Inspector, PathSet};
use crate::{ImageError, Limits};

/// Release files larger than this are not OS release files.
const MAX_RELEASE_FILE: u64 = 64 << 10;
/// Wanted files up to this size are kept until the end of the layer so a
/// cataloger's `parse_with` can read sibling files (python licence files).
const SMALL_FILE: u64 = 256 << 10;
/// Memory budget for those kept files.
const SMALL_BUDGET: u64 = 32 << 20;
/// Most entries kept per kind (bounds the cached analysis).
const MAX_RECORDS: usize = 2_000_000;
/// Most entries in one layer (each costs 8 bytes in the path set).
const MAX_ENTRIES: usize = 20_000_000;

/// Packages found in one file of a layer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FileResult {
    pub path: String,
    pub packages: Vec<Package>,
}

/// Everything the merge needs from one layer; cached by layer digest.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct LayerAnalysis {
    /// Wanted files in tar order (an empty result still hides lower layers).
    pub files: Vec<FileResult>,
    /// Paths deleted by `.wh.NAME` entries.
    pub whiteouts: Vec<String>,
    /// Directories made opaque by `.wh..wh..opq`.
    pub opaque: Vec<String>,
    /// Symlinks: (path, target as stored).
    pub symlinks: Vec<(String, String)>,
    /// OS release files: (path, text).
    pub release: Vec<(String, String)>,
    /// Files skipped or not parseable.
    pub warnings: Vec<String>,
    /// Every (non-whiteout) entry path of the layer, hashed: an entry
    /// replaces whatever lower layers had at its path, wanted or not.
    #[serde(default)]
    pub paths: PathSet,
    /// Entries an inspector asked to keep.
    #[serde(default)]
    pub kept: Vec<EntryMeta>,
    /// Inspectors' findings.
    #[serde(default)]
    pub found: Vec<FileFindings>,
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Checks `data` has `digest` (`sha256:...`).
pub(crate) fn verify_digest(what: &str, digest: &str, data: &[u8]) -> Result<(), ImageError> {
    let got = format!("sha256:{}", sha256_hex(data));
    if got != digest {
        return Err(ImageError::invalid(
            what,
            format!("blob {digest} does not match its content (sha256 is {got})"),
        ));
    }
    Ok(())
}

/// Normalizes a path inside a layer. Leading `./` is fine; absolute paths
/// and `..` components are refused (they would escape the image root).
pub(crate) fn norm_entry_path(what: &str, raw: &[u8]) -> Result<String, ImageError> {
    let s = String::from_utf8_lossy(raw);
    if s.starts_with('/') {
        return Err(ImageError::invalid(
            what,
            format!("entry {s:?} has an absolute path"),
        ));
    }
    let mut out: Vec<&str> = Vec::new();
    for c in s.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                return Err(ImageError::invalid(
                    what,
                    format!("entry {s:?} has a '..' component (path traversal)"),
                ))
            }
            c => out.push(c),
        }
    }
    Ok(out.join("/"))
}

fn split_path(p: &str) -> (&str, &str) {
    match p.rfind('/') {
        Some(i) => (&p[..i], &p[i + 1..]),
        None => ("", p),
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn is_release_path(path: &str) -> bool {
    OS_RELEASE_PATHS.contains(&path)
}

/// Counts bytes read from the stored (compressed) stream.
struct CountRead<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Bounds decompressed bytes (relative to the compressed bytes consumed and
/// absolutely) and hashes them.
struct LimitRead<R> {
    inner: R,
    raw: Rc<Cell<u64>>,
    out: u64,
    ratio: u64,
    floor: u64,
    max: u64,
    compressed: bool,
    tripped: Rc<Cell<Option<String>>>,
    hasher: Option<Sha256>,
}

impl<R: Read> Read for LimitRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let bound = if self.compressed {
            self.floor
                .max(self.raw.get().saturating_mul(self.ratio))
                .min(self.max)
        } else {
            self.max
        };
        if self.out > bound {
            let msg = if self.compressed && self.out <= self.max {
                format!(
                    "decompressed size exceeds {} times the compressed size (decompression bomb?)",
                    self.ratio
                )
            } else {
                format!("uncompressed layer exceeds the {} byte limit", self.max)
            };
            self.tripped.set(Some(msg.clone()));
            return Err(io::Error::other(msg));
        }
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

struct Stream<'a> {
    reader: LimitRead<Box<dyn Read + 'a>>,
    tripped: Rc<Cell<Option<String>>>,
}

fn decompress<'a>(
    what: &str,
    stored: Box<dyn Read + 'a>,
    limits: &Limits,
    hash: bool,
) -> Result<Stream<'a>, ImageError> {
    let raw = Rc::new(Cell::new(0u64));
    let counted = CountRead {
        inner: stored,
        count: raw.clone(),
    };
    let mut br = BufReader::with_capacity(256 << 10, counted);
    let head = br
        .fill_buf()
        .map_err(|e| ImageError::invalid(what, format!("cannot read layer: {e}")))?;
    let (inner, compressed): (Box<dyn Read + 'a>, bool) = if head.starts_with(&[0x1f, 0x8b]) {
        (Box::new(flate2::bufread::MultiGzDecoder::new(br)), true)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let d = zstd::stream::read::Decoder::with_buffer(br)
            .map_err(|e| ImageError::invalid(what, format!("bad zstd stream: {e}")))?;
        (Box::new(d), true)
    } else if head.starts_with(b"BZh") || head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z']) {
        return Err(ImageError::invalid(
            what,
            "layer uses an unsupported compression (bzip2/xz)",
        ));
    } else {
        (Box::new(br), false)
    };
    let tripped = Rc::new(Cell::new(None));
    Ok(Stream {
        reader: LimitRead {
            inner,
            raw,
            out: 0,
            ratio: limits.max_ratio,
            floor: limits.min_layer_bytes,
            max: limits.max_layer_bytes,
            compressed,
            tripped: tripped.clone(),
            hasher: hash.then(Sha256::new),
        },
        tripped,
    })
}

/// Maps a read error inside the layer to a one-line message, preferring the
/// limit message when a bound tripped.
fn layer_err(what: &str, tripped: &Cell<Option<String>>, e: io::Error) -> ImageError {
    if let Some(m) = tripped.take() {
        return ImageError::invalid(what, m);
    }
    let msg = match e.kind() {
        io::ErrorKind::UnexpectedEof => "truncated layer (unexpected end of data)".to_string(),
        _ => format!("corrupt layer: {}", crate::tar_error(&e)),
    };
    ImageError::invalid(what, msg)
}

/// Files a cataloger wants, pending parse.
struct Parser<'c> {
    catalogers: &'c [Box<dyn Cataloger>],
    what: String,
    store: HashMap<String, Vec<u8>>,
    used: u64,
    deferred: Vec<(String, Vec<usize>)>,
    out: LayerAnalysis,
}

impl<'c> Parser<'c> {
    fn wanted(&self, meta: &FileMeta) -> Vec<usize> {
        self.catalogers
            .iter()
            .enumerate()
            .filter(|(_, c)| c.wants(meta))
            .map(|(i, _)| i)
            .collect()
    }

    fn parse_now(&mut self, path: &str, data: &[u8], which: &[usize]) {
        let store = &self.store;
        let read = |p: &str| store.get(p).cloned();
        let mut pkgs = Vec::new();
        for &i in which {
            let Some(c) = self.catalogers.get(i) else {
                continue;
            };
            match c.parse_with(path, data, &read) {
                Ok(p) => pkgs.extend(p),
                Err(e) => self.out.warnings.push(format!("{}: {e}", self.what)),
            }
        }
        self.out.files.push(FileResult {
            path: path.to_string(),
            packages: pkgs,
        });
    }

    fn flush(&mut self) {
        let deferred = std::mem::take(&mut self.deferred);
        for (path, which) in deferred {
            let data = self.store.get(&path).cloned().unwrap_or_default();
            self.parse_now(&path, &data, &which);
        }
        self.store.clear();
        self.used = 0;
    }

    fn add(&mut self, path: String, data: Vec<u8>, which: Vec<usize>) {
        let len = data.len() as u64;
        if len > SMALL_FILE {
            self.parse_now(&path, &data, &which);
            return;
        }
        if self.used + len > SMALL_BUDGET {
            self.flush();
        }
        self.used += len;
        self.store.insert(path.clone(), data);
        self.deferred.push((path, which));
    }
}

struct PendingLink {
    path: String,
    target: String,
    which: Vec<usize>,
    release: bool,
}

/// Reads an entry's content, bounded.
fn read_entry(r: &mut dyn Read, size: u64) -> io::Result<Vec<u8>> {
    let mut data = Vec::with_capacity(size.min(64 << 20) as usize);
    r.take(size).read_to_end(&mut data)?;
    Ok(data)
}

/// Streams one layer. `open` gives the stored bytes (called again only when
/// a wanted hard link needs its target's content). `what` names the layer in
/// messages; `diff_id` is verified against the uncompressed content.
pub(crate) fn analyze<'a>(
    open: &dyn Fn() -> Result<Box<dyn Read + 'a>, ImageError>,
    what: &str,
    diff_id: Option<&str>,
    catalogers: &[Box<dyn Cataloger>],
    inspectors: &[&dyn Inspector],
    limits: &Limits,
) -> Result<LayerAnalysis, ImageError> {
    let mut hashes: Vec<u64> = Vec::new();
    let mut parser = Parser {
        catalogers,
        what: what.to_string(),
        store: HashMap::new(),
        used: 0,
        deferred: Vec::new(),
        out: LayerAnalysis::default(),
    };
    let mut pending: Vec<PendingLink> = Vec::new();
    let stream = decompress(what, open()?, limits, diff_id.is_some())?;
    let tripped = stream.tripped.clone();
    let mut ar = tar::Archive::new(stream.reader);
    let mut n_entries = 0usize;
    {
        let entries = ar.entries().map_err(|e| layer_err(what, &tripped, e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| layer_err(what, &tripped, e))?;
            n_entries += 1;
            let path = norm_entry_path(what, &entry.path_bytes())?;
            if path.is_empty() {
                continue;
            }
            let (dir, base) = split_path(&path);
            if let Some(w) = base.strip_prefix(".wh.") {
                if w == ".wh..opq" {
                    parser.out.opaque.push(dir.to_string());
                } else if !w.is_empty() {
                    parser.out.whiteouts.push(join(dir, w));
                }
                continue;
            }
            if hashes.len() >= MAX_ENTRIES {
                return Err(ImageError::invalid(
                    what,
                    format!("more than {MAX_ENTRIES} entries in one layer"),
                ));
            }
            hashes.push(path_hash(&path));
            let out = &parser.out;
            if out.files.len()
                + out.symlinks.len()
                + out.whiteouts.len()
                + pending.len()
                + out.kept.len()
                + out.found.len()
                > MAX_RECORDS
            {
                return Err(ImageError::invalid(
                    what,
                    "too many wanted files in one layer",
                ));
            }
            let header = entry.header();
            let et = header.entry_type();
            let perm = header.mode().unwrap_or(0o644) & 0o7777;
            if !inspectors.is_empty() {
                let kind = if et.is_file() || et.is_gnu_sparse() {
                    EntryKind::File
                } else if et.is_dir() {
                    EntryKind::Dir
                } else if et.is_symlink() {
                    EntryKind::Symlink
                } else if et.is_hard_link() {
                    EntryKind::HardLink
                } else {
                    EntryKind::Other
                };
                let meta = EntryMeta {
                    path: path.clone(),
                    kind,
                    mode: perm,
                    size: entry.size(),
                    uid: header.uid().unwrap_or(0),
                    gid: header.gid().unwrap_or(0),
                };
                if inspectors.iter().any(|i| i.keep(&meta)) {
                    parser.out.kept.push(meta);
                }
            }
            if et.is_symlink() {
                let target = entry
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                parser.out.symlinks.push((path, target));
                continue;
            }
            if et.is_hard_link() {
                let Some(t) = entry.link_name_bytes() else {
                    continue;
                };
                let target = norm_entry_path(what, &t)?;
                let meta = FileMeta {
                    path: &path,
                    size: 0,
                    mode: S_IFREG | perm,
                };
                let which = parser.wanted(&meta);
                let release = is_release_path(&path);
                if !which.is_empty() || release {
                    pending.push(PendingLink {
                        path,
                        target,
                        which,
                        release,
                    });
                }
                continue;
            }
            if !(et.is_file() || et.is_gnu_sparse()) {
                continue;
            }
            let size = entry.size();
            let meta = FileMeta {
                path: &path,
                size,
                mode: S_IFREG | perm,
            };
            let which = parser.wanted(&meta);
            let release = is_release_path(&path) && size <= MAX_RELEASE_FILE;
            let inspect: Vec<usize> = inspectors
                .iter()
                .enumerate()
                .filter(|(_, i)| i.wants(&path, size))
                .map(|(k, _)| k)
                .collect();
            if which.is_empty() && !release {
                if let [k] = inspect[..] {
                    // Only one inspector reads it: stream, never buffer.
                    let values = inspectors[k]
                        .inspect(&path, &mut (&mut entry).take(size))
                        .map_err(|e| layer_err(what, &tripped, e))?;
                    if !values.is_empty() {
                        parser.out.found.push(FileFindings {
                            inspector: k,
                            path,
                            values,
                        });
                    }
                    continue;
                }
                if inspect.is_empty() || size > limits.max_file_bytes {
                    continue;
                }
            }
            if size > limits.max_file_bytes {
                parser.out.warnings.push(format!(
                    "{what}: {path}: skipped, {size} bytes is more than the {} byte per-file limit",
                    limits.max_file_bytes
                ));
                parser.out.files.push(FileResult {
                    path,
                    packages: Vec::new(),
                });
                continue;
            }
            let data = read_entry(&mut entry, size).map_err(|e| layer_err(what, &tripped, e))?;
            for k in inspect {
                let values = inspectors[k]
                    .inspect(&path, &mut io::Cursor::new(&data[..]))
                    .map_err(|e| layer_err(what, &tripped, e))?;
                if !values.is_empty() {
                    parser.out.found.push(FileFindings {
                        inspector: k,
                        path: path.clone(),
                        values,
                    });
                }
            }
            if release {
                parser
                    .out
                    .release
                    .push((path.clone(), String::from_utf8_lossy(&data).into_owned()));
            }
            if !which.is_empty() {
                parser.add(path, data, which);
            }
        }
    }
    if n_entries == 0 {
        return Err(ImageError::invalid(
            what,
            "layer is not a tar archive or is empty",
        ));
    }
    // Hash the rest (tar padding) and check the layer is what the config says.
    let mut reader = ar.into_inner();
    io::copy(&mut reader, &mut io::sink()).map_err(|e| layer_err(what, &tripped, e))?;
    if let (Some(want), Some(h)) = (diff_id, reader.hasher.take()) {
        let got = format!("sha256:{}", hex::encode(h.finalize()));
        if got != want {
            return Err(ImageError::invalid(
                what,
                format!("content does not match its diff_id {want} (sha256 is {got})"),
            ));
        }
    }
    parser.out.paths = PathSet::from_unsorted(hashes);
    parser.flush();
    if !pending.is_empty() {
        resolve_links(open, what, limits, &mut parser, pending)?;
    }
    Ok(parser.out)
}

/// Second pass for wanted hard links: read their targets' content.
fn resolve_links<'a>(
    open: &dyn Fn() -> Result<Box<dyn Read + 'a>, ImageError>,
    what: &str,
    limits: &Limits,
    parser: &mut Parser<'_>,
    pending: Vec<PendingLink>,
) -> Result<(), ImageError> {
    let targets: HashSet<&str> = pending.iter().map(|p| p.target.as_str()).collect();
    let mut contents: HashMap<String, Vec<u8>> = HashMap::new();
    let mut held = 0u64;
    let stream = decompress(what, open()?, limits, false)?;
    let tripped = stream.tripped.clone();
    let mut ar = tar::Archive::new(stream.reader);
    for entry in ar.entries().map_err(|e| layer_err(what, &tripped, e))? {
        let mut entry = entry.map_err(|e| layer_err(what, &tripped, e))?;
        let et = entry.header().entry_type();
        if !(et.is_file() || et.is_gnu_sparse()) {
            continue;
        }
        let path = norm_entry_path(what, &entry.path_bytes())?;
        if !targets.contains(path.as_str()) {
            continue;
        }
        let size = entry.size();
        if size > limits.max_file_bytes || held + size > limits.max_file_bytes * 2 {
            parser.out.warnings.push(format!(
                "{what}: {path}: hard link target skipped, too large"
            ));
            continue;
        }
        held += size;
        let data = read_entry(&mut entry, size).map_err(|e| layer_err(what, &tripped, e))?;
        contents.insert(path, data);
    }
    for p in pending {
        let Some(data) = contents.get(&p.target) else {
            parser.out.warnings.push(format!(
                "{what}: {}: hard link to {}, which is not a regular file in this layer",
                p.path, p.target
            ));
            continue;
        };
        if p.release && data.len() as u64 <= MAX_RELEASE_FILE {
            parser
                .out
                .release
                .push((p.path.clone(), String::from_utf8_lossy(data).into_owned()));
        }
        if !p.which.is_empty() {
            parser.parse_now(&p.path, data, &p.which);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths() {
        assert_eq!(norm_entry_path("l", b"./usr//bin/x").unwrap(), "usr/bin/x");
        assert_eq!(norm_entry_path("l", b"./").unwrap(), "");
        let e = norm_entry_path("layer sha256:ab", b"../../etc/passwd").unwrap_err();
        assert!(e.to_string().contains("'..'"), "{e}");
        assert!(norm_entry_path("l", b"/etc/passwd")
            .unwrap_err()
            .to_string()
            .contains("absolute"));
    }

    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (p, d) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(d.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            h.set_cksum();
            b.append_data(&mut h, p, *d).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn records_whiteouts_release_files_and_checks_diff_id() {
        let t = tar_of(&[
            ("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n"),
            ("opt/.wh.gone", b""),
            ("var/.wh..wh..opq", b""),
        ]);
        let diff = format!("sha256:{}", sha256_hex(&t));
        let open =
            || -> Result<Box<dyn Read>, ImageError> { Ok(Box::new(io::Cursor::new(t.clone()))) };
        let a = analyze(&open, "layer x", Some(&diff), &[], &[], &Limits::default()).unwrap();
        assert_eq!(a.whiteouts, vec!["opt/gone"]);
        assert_eq!(a.opaque, vec!["var"]);
        assert_eq!(a.release.len(), 1);
        let bad = format!("sha256:{}", "0".repeat(64));
        let e = analyze(&open, "layer x", Some(&bad), &[], &[], &Limits::default()).unwrap_err();
        assert!(e.to_string().contains("does not match its diff_id"), "{e}");
    }

    #[test]
    fn gzip_bomb_is_refused() {
        use std::io::Write;
        let zeros = vec![0u8; 1 << 20];
        let mut tarball = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        let total = 8u64 << 20;
        h.set_size(total);
        h.set_mode(0o644);
        h.set_cksum();
        let data = std::iter::repeat_n(&zeros[..], 8)
            .flatten()
            .copied()
            .collect::<Vec<u8>>();
        tarball.append_data(&mut h, "zeros", &data[..]).unwrap();
        let t = tarball.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&t).unwrap();
        let gz = gz.finish().unwrap();
        let limits = Limits {
            min_layer_bytes: 1 << 20,
            ..Limits::default()
        };
        let open =
            || -> Result<Box<dyn Read>, ImageError> { Ok(Box::new(io::Cursor::new(gz.clone()))) };
        let e = analyze(&open, "layer bomb", None, &[], &[], &limits).unwrap_err();
        assert!(e.to_string().contains("decompression bomb"), "{e}");
        // The same layer passes under the default floor.
        analyze(&open, "layer ok", None, &[], &[], &Limits::default()).unwrap();
    }

    #[test]
    fn truncated_and_not_tar() {
        let t = tar_of(&[("a/b", &[7u8; 5000])]);
        let cut = t[..2000].to_vec();
        let open =
            || -> Result<Box<dyn Read>, ImageError> { Ok(Box::new(io::Cursor::new(cut.clone()))) };
        let e = analyze(&open, "layer t", None, &[], &[], &Limits::default()).unwrap_err();
        assert!(e.to_string().starts_with("layer t: "), "{e}");
        let junk = b"hello, not a tar".to_vec();
        let open =
            || -> Result<Box<dyn Read>, ImageError> { Ok(Box::new(io::Cursor::new(junk.clone()))) };
        assert!(analyze(&open, "layer j", None, &[], &[], &Limits::default()).is_err());
    }
}
