//! The embedded store: one directory per database generation, switched
//! atomically through a `CURRENT` pointer file.
//!
//! ```text
//! <db>/CURRENT                 name of the live generation (written via rename)
//! <db>/gen-<time>-<pid>/records.bin   compact OSV JSON records, back to back
//! <db>/gen-<time>-<pid>/index.bin     record offsets + ids + (ecosystem, name) -> records
//! <db>/gen-<time>-<pid>/meta.json     sources, counts, feed watermarks
//! ```
//!
//! A writer builds a whole new generation in `*.tmp`, fsyncs it, renames
//! the folder, then replaces `CURRENT` with a rename. A crash or kill -9 at
//! any point leaves `CURRENT` naming a complete generation. Readers load
//! only the index and read records on demand with positioned reads.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::names::{eco_base, index_key};
use crate::osv::Vulnerability;
use crate::timeutil;
use crate::Error;

const MAGIC: &[u8; 8] = b"SWIDX001";
pub const FORMAT: u32 = 1;

/// Database metadata (`meta.json`), shown by `seawall db info`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Meta {
    pub format: u32,
    pub built_at: String,
    pub records: usize,
    pub withdrawn: usize,
    /// Records per OSV ecosystem (full name, e.g. `Debian:12`).
    pub by_ecosystem: BTreeMap<String, usize>,
    pub newest_modified: Option<String>,
    pub sources: Vec<SourceInfo>,
    /// Per-ecosystem state of `db update` feeds.
    #[serde(default)]
    pub feeds: BTreeMap<String, FeedState>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SourceInfo {
    pub location: String,
    pub kind: String,
    pub imported_at: String,
    pub records: usize,
}

/// What `db update` remembers about one ecosystem feed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FeedState {
    pub source: String,
    /// Newest `modified` time imported; incremental updates fetch records
    /// modified after it.
    pub watermark: Option<String>,
    pub zip_etag: Option<String>,
    pub zip_last_modified: Option<String>,
    pub csv_etag: Option<String>,
    pub csv_last_modified: Option<String>,
    pub updated_at: String,
}

/// An open database.
pub struct Db {
    root: PathBuf,
    gen_dir: PathBuf,
    meta: Meta,
    file: File,
    offsets: Vec<(u64, u32)>,
    ids: Vec<Box<str>>,
    index: HashMap<Box<str>, Vec<u32>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("root", &self.root)
            .field("records", &self.offsets.len())
            .finish()
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn str(&mut self) -> Option<&'a str> {
        let n = self.u16()? as usize;
        std::str::from_utf8(self.take(n)?).ok()
    }
}

impl Db {
    /// Opens the database under `root` (the `--db` directory).
    pub fn open(root: &Path) -> Result<Db, Error> {
        // a concurrent update may delete the generation we just read the
        // name of; read the pointer again once in that case
        match Self::open_once(root) {
            Err(Error::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound
                    && root.join("CURRENT").is_file() =>
            {
                Self::open_once(root)
            }
            r => r,
        }
    }

    fn open_once(root: &Path) -> Result<Db, Error> {
        let cur = root.join("CURRENT");
        let name = match fs::read_to_string(&cur) {
            Ok(s) => s.trim().to_string(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NoDatabase {
                    path: root.to_path_buf(),
                })
            }
            Err(e) => return Err(io_err(&cur)(e)),
        };
        if name.is_empty() || name.contains('/') || name.contains("..") {
            return Err(Error::Corrupt {
                path: cur,
                msg: format!("bad generation name {name:?}"),
            });
        }
        let gen_dir = root.join(&name);
        let meta_path = gen_dir.join("meta.json");
        let meta_bytes = fs::read(&meta_path).map_err(io_err(&meta_path))?;
        let meta: Meta = serde_json::from_slice(&meta_bytes).map_err(|e| Error::Corrupt {
            path: meta_path.clone(),
            msg: e.to_string(),
        })?;
        if meta.format != FORMAT {
            return Err(Error::Corrupt {
                path: meta_path,
                msg: format!("database format {} is not supported (expected {FORMAT}); run `seawall db update`", meta.format),
            });
        }
        let idx_path = gen_dir.join("index.bin");
        let raw = fs::read(&idx_path).map_err(io_err(&idx_path))?;
        let corrupt = |msg: &str| Error::Corrupt {
            path: idx_path.clone(),
            msg: msg.to_string(),
        };
        let mut r = Reader { b: &raw, pos: 0 };
        if r.take(8) != Some(MAGIC.as_slice()) {
            return Err(corrupt("bad magic"));
        }
        let n = r.u32().ok_or_else(|| corrupt("truncated header"))? as usize;
        let mut offsets = Vec::with_capacity(n.min(raw.len() / 14));
        let mut ids = Vec::with_capacity(n.min(raw.len() / 14));
        for _ in 0..n {
            let off = r.u64().ok_or_else(|| corrupt("truncated record table"))?;
            let len = r.u32().ok_or_else(|| corrupt("truncated record table"))?;
            let id = r.str().ok_or_else(|| corrupt("truncated record id"))?;
            offsets.push((off, len));
            ids.push(Box::from(id));
        }
        let k = r.u32().ok_or_else(|| corrupt("truncated key table"))? as usize;
        let mut index = HashMap::with_capacity(k.min(raw.len() / 8));
        for _ in 0..k {
            let key = r.str().ok_or_else(|| corrupt("truncated key"))?;
            let m = r.u32().ok_or_else(|| corrupt("truncated key"))? as usize;
            let mut v = Vec::with_capacity(m.min(n));
            for _ in 0..m {
                let i = r.u32().ok_or_else(|| corrupt("truncated key"))?;
                if i as usize >= n {
                    return Err(corrupt("record number out of range"));
                }
                v.push(i);
            }
            index.insert(Box::from(key), v);
        }
        let rec_path = gen_dir.join("records.bin");
        let file = File::open(&rec_path).map_err(io_err(&rec_path))?;
        Ok(Db {
            root: root.to_path_buf(),
            gen_dir,
            meta,
            file,
            offsets,
            ids,
            index,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn generation_dir(&self) -> &Path {
        &self.gen_dir
    }

    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// Record numbers indexed under (ecosystem, package name); the
    /// ecosystem may carry a release (`Debian:12`), only its base is used.
    pub fn candidates(&self, eco: &str, name: &str) -> &[u32] {
        self.index
            .get(index_key(eco, name).as_str())
            .map_or(&[], Vec::as_slice)
    }

    pub fn raw_record(&self, i: u32) -> Result<Vec<u8>, Error> {
        let rec_path = self.gen_dir.join("records.bin");
        let (off, len) = *self.offsets.get(i as usize).ok_or_else(|| Error::Corrupt {
            path: rec_path.clone(),
            msg: format!("no record {i}"),
        })?;
        let mut buf = vec![0u8; len as usize];
        self.file
            .read_exact_at(&mut buf, off)
            .map_err(io_err(&rec_path))?;
        Ok(buf)
    }

    pub fn record(&self, i: u32) -> Result<Vulnerability, Error> {
        let raw = self.raw_record(i)?;
        serde_json::from_slice(&raw).map_err(|e| Error::Corrupt {
            path: self.gen_dir.join("records.bin"),
            msg: format!("record {i}: {e}"),
        })
    }

    /// All records about (ecosystem, package name), withdrawn ones included.
    pub fn lookup(&self, eco: &str, name: &str) -> Result<Vec<Vulnerability>, Error> {
        self.candidates(eco, name)
            .iter()
            .map(|&i| self.record(i))
            .collect()
    }

    /// The record with this id, if any.
    pub fn get(&self, id: &str) -> Result<Option<Vulnerability>, Error> {
        match self.ids.iter().position(|x| &**x == id) {
            Some(i) => self.record(i as u32).map(Some),
            None => Ok(None),
        }
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().map(|s| &**s)
    }

    /// Record numbers grouped by index key (for rebuilding).
    fn keys_by_record(&self) -> Vec<Vec<String>> {
        let mut out = vec![Vec::new(); self.offsets.len()];
        for (k, v) in &self.index {
            for &i in v {
                if let Some(slot) = out.get_mut(i as usize) {
                    slot.push(k.to_string());
                }
            }
        }
        out
    }
}

struct Stored {
    id: String,
    modified: String,
    json: Vec<u8>,
    keys: Vec<String>,
    ecosystems: Vec<String>,
    withdrawn: bool,
}

/// Builds a new database generation from records.
#[derive(Default)]
pub struct Builder {
    recs: Vec<Option<Stored>>,
    by_id: HashMap<String, usize>,
    pub meta: Meta,
}

fn stored_from(v: &Vulnerability) -> Result<Stored, serde_json::Error> {
    let mut keys: Vec<String> = Vec::new();
    let mut ecosystems: Vec<String> = Vec::new();
    for a in &v.affected {
        if let Some(p) = &a.package {
            if p.ecosystem.is_empty() || p.name.is_empty() {
                continue;
            }
            let k = index_key(&p.ecosystem, &p.name);
            if !keys.contains(&k) {
                keys.push(k);
            }
            if !ecosystems.contains(&p.ecosystem) {
                ecosystems.push(p.ecosystem.clone());
            }
        }
    }
    Ok(Stored {
        id: v.id.clone(),
        modified: v.modified.clone(),
        json: serde_json::to_vec(v)?,
        keys,
        ecosystems,
        withdrawn: v.is_withdrawn(),
    })
}

fn wants_merge(v: &Vulnerability) -> bool {
    v.database_specific
        .get("seawall_merge")
        .and_then(|x| x.as_bool())
        == Some(true)
}

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Starts from every record of an existing database (for incremental
    /// updates and imports that add to it).
    pub fn from_db(db: &Db) -> Result<Builder, Error> {
        let mut b = Builder {
            meta: db.meta.clone(),
            ..Builder::default()
        };
        let keys = db.keys_by_record();
        for (i, keys) in keys.into_iter().enumerate() {
            let json = db.raw_record(i as u32)?;
            // ecosystems and withdrawn/modified are needed for meta; a
            // cheap partial parse keeps this fast
            #[derive(Deserialize)]
            struct Head {
                #[serde(default)]
                modified: String,
                #[serde(default)]
                withdrawn: Option<String>,
                #[serde(default)]
                affected: Vec<HeadAff>,
            }
            #[derive(Deserialize)]
            struct HeadAff {
                #[serde(default)]
                package: Option<HeadPkg>,
            }
            #[derive(Deserialize)]
            struct HeadPkg {
                #[serde(default)]
                ecosystem: String,
            }
            let head: Head = serde_json::from_slice(&json).map_err(|e| Error::Corrupt {
                path: db.gen_dir.join("records.bin"),
                msg: format!("record {i}: {e}"),
            })?;
            let mut ecosystems: Vec<String> = Vec::new();
            for a in head.affected {
                if let Some(p) = a.package {
                    if !p.ecosystem.is_empty() && !ecosystems.contains(&p.ecosystem) {
                        ecosystems.push(p.ecosystem);
                    }
                }
            }
            let id = db.ids.get(i).map(|s| s.to_string()).unwrap_or_default();
            b.by_id.insert(id.clone(), b.recs.len());
            b.recs.push(Some(Stored {
                id,
                modified: head.modified,
                json,
                keys,
                ecosystems,
                withdrawn: head.withdrawn.is_some_and(|w| !w.is_empty()),
            }));
        }
        Ok(b)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Adds or replaces a record (by id). Records produced by converters
    /// (Alpine secdb, Debian tracker) carry `database_specific.seawall_merge`
    /// and are merged per (ecosystem, package) into an existing record of
    /// the same id instead, so importing one Alpine release does not drop
    /// another's entries.
    pub fn add(&mut self, mut v: Vulnerability) -> Result<(), Error> {
        if let Some(&slot) = self.by_id.get(&v.id) {
            if wants_merge(&v) {
                if let Some(old) = self.recs[slot].as_ref() {
                    if let Ok(prev) = serde_json::from_slice::<Vulnerability>(&old.json) {
                        let mut merged = prev;
                        for a in v.affected.drain(..) {
                            merged.affected.retain(|x| x.package != a.package);
                            merged.affected.push(a);
                        }
                        for u in v.upstream.drain(..) {
                            if !merged.upstream.contains(&u) {
                                merged.upstream.push(u);
                            }
                        }
                        if v.modified > merged.modified {
                            merged.modified = v.modified.clone();
                        }
                        v = merged;
                    }
                }
            }
            let s = stored_from(&v).map_err(|e| Error::Other(format!("record {}: {e}", v.id)))?;
            self.recs[slot] = Some(s);
            return Ok(());
        }
        let s = stored_from(&v).map_err(|e| Error::Other(format!("record {}: {e}", v.id)))?;
        self.by_id.insert(v.id.clone(), self.recs.len());
        self.recs.push(Some(s));
        Ok(())
    }

    /// Drops every record whose affected packages all belong to this
    /// ecosystem base (before a full re-download of that ecosystem).
    pub fn remove_ecosystem(&mut self, base: &str) -> usize {
        let mut n = 0;
        for slot in self.recs.iter_mut() {
            let drop = slot.as_ref().is_some_and(|s| {
                !s.ecosystems.is_empty() && s.ecosystems.iter().all(|e| eco_base(e) == base)
            });
            if drop {
                if let Some(s) = slot.take() {
                    self.by_id.remove(&s.id);
                    n += 1;
                }
            }
        }
        n
    }

    /// Drops records whose affected ecosystems (full names) satisfy `pred`.
    pub fn remove_where(&mut self, pred: impl Fn(&[String]) -> bool) -> usize {
        let mut n = 0;
        for slot in self.recs.iter_mut() {
            if slot
                .as_ref()
                .is_some_and(|s| !s.ecosystems.is_empty() && pred(&s.ecosystems))
            {
                if let Some(s) = slot.take() {
                    self.by_id.remove(&s.id);
                    n += 1;
                }
            }
        }
        n
    }

    pub fn modified_of(&self, id: &str) -> Option<&str> {
        self.by_id
            .get(id)
            .and_then(|&i| self.recs[i].as_ref())
            .map(|s| s.modified.as_str())
    }

    /// Writes a new generation under `root` and makes it current.
    pub fn commit(mut self, root: &Path) -> Result<Meta, Error> {
        fs::create_dir_all(root).map_err(io_err(root))?;
        cleanup_stale(root);
        let stamp = format!("gen-{}-{}", timeutil::now_secs(), std::process::id());
        let mut name = stamp.clone();
        let mut k = 0;
        while root.join(&name).exists() || root.join(format!("{name}.tmp")).exists() {
            k += 1;
            name = format!("{stamp}-{k}");
        }
        let tmp = root.join(format!("{name}.tmp"));
        fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;

        let live: Vec<Stored> = self.recs.drain(..).flatten().collect();
        let mut meta = std::mem::take(&mut self.meta);
        meta.format = FORMAT;
        meta.built_at = timeutil::now_rfc3339();
        meta.records = live.len();
        meta.withdrawn = live.iter().filter(|s| s.withdrawn).count();
        meta.by_ecosystem.clear();
        meta.newest_modified = None;
        for s in &live {
            for e in &s.ecosystems {
                *meta.by_ecosystem.entry(e.clone()).or_default() += 1;
            }
            if !s.modified.is_empty()
                && !s.modified.starts_with("0001-")
                && meta
                    .newest_modified
                    .as_deref()
                    .is_none_or(|m| s.modified.as_str() > m)
            {
                meta.newest_modified = Some(s.modified.clone());
            }
        }

        let rec_path = tmp.join("records.bin");
        let f = File::create(&rec_path).map_err(io_err(&rec_path))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        let mut offsets = Vec::with_capacity(live.len());
        let mut off = 0u64;
        for s in &live {
            w.write_all(&s.json).map_err(io_err(&rec_path))?;
            offsets.push((off, s.json.len() as u32));
            off += s.json.len() as u64;
        }
        let f = w
            .into_inner()
            .map_err(|e| io_err(&rec_path)(e.into_error()))?;
        f.sync_all().map_err(io_err(&rec_path))?;

        let mut index: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        for (i, s) in live.iter().enumerate() {
            for k in &s.keys {
                index.entry(k.as_str()).or_default().push(i as u32);
            }
        }
        let idx_path = tmp.join("index.bin");
        let f = File::create(&idx_path).map_err(io_err(&idx_path))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        let mut out: Vec<u8> = Vec::with_capacity(64);
        let put_str = |out: &mut Vec<u8>, s: &str| {
            let b = s.as_bytes();
            let b = &b[..b.len().min(u16::MAX as usize)];
            out.extend_from_slice(&(b.len() as u16).to_le_bytes());
            out.extend_from_slice(b);
        };
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(live.len() as u32).to_le_bytes());
        w.write_all(&out).map_err(io_err(&idx_path))?;
        for (s, (o, l)) in live.iter().zip(&offsets) {
            out.clear();
            out.extend_from_slice(&o.to_le_bytes());
            out.extend_from_slice(&l.to_le_bytes());
            put_str(&mut out, &s.id);
            w.write_all(&out).map_err(io_err(&idx_path))?;
        }
        out.clear();
        out.extend_from_slice(&(index.len() as u32).to_le_bytes());
        w.write_all(&out).map_err(io_err(&idx_path))?;
        for (k, v) in &index {
            out.clear();
            put_str(&mut out, k);
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
            for i in v {
                out.extend_from_slice(&i.to_le_bytes());
            }
            w.write_all(&out).map_err(io_err(&idx_path))?;
        }
        let f = w
            .into_inner()
            .map_err(|e| io_err(&idx_path)(e.into_error()))?;
        f.sync_all().map_err(io_err(&idx_path))?;

        let meta_path = tmp.join("meta.json");
        let mj = serde_json::to_vec_pretty(&meta).map_err(|e| Error::Other(e.to_string()))?;
        write_synced(&meta_path, &mj)?;
        sync_dir(&tmp);

        let final_dir = root.join(&name);
        fs::rename(&tmp, &final_dir).map_err(io_err(&final_dir))?;
        sync_dir(root);
        let cur_tmp = root.join("CURRENT.tmp");
        write_synced(&cur_tmp, name.as_bytes())?;
        let cur = root.join("CURRENT");
        fs::rename(&cur_tmp, &cur).map_err(io_err(&cur))?;
        sync_dir(root);
        cleanup_stale(root);
        Ok(meta)
    }
}

fn write_synced(path: &Path, data: &[u8]) -> Result<(), Error> {
    let mut f = File::create(path).map_err(io_err(path))?;
    f.write_all(data).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Removes generations other than the current one and leftovers of
/// interrupted writers. Errors are ignored: stale folders only cost space.
fn cleanup_stale(root: &Path) {
    let current = fs::read_to_string(root.join("CURRENT"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let Ok(rd) = fs::read_dir(root) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        // a download left behind by a killed updater (`download-PID.tmp`)
        if let Some(pid) = name
            .strip_prefix("download-")
            .and_then(|r| r.strip_suffix(".tmp"))
            .and_then(|p| p.parse::<u32>().ok())
        {
            if pid == std::process::id() || !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = fs::remove_file(e.path());
            }
            continue;
        }
        if !name.starts_with("gen-") || name == current {
            continue;
        }
        // another writer's in-progress folder belongs to a live process
        if name.ends_with(".tmp") {
            if let Some(pid) = name
                .trim_end_matches(".tmp")
                .split('-')
                .nth(2)
                .and_then(|p| p.parse::<u32>().ok())
            {
                if pid != std::process::id() && Path::new(&format!("/proc/{pid}")).exists() {
                    continue;
                }
            }
        }
        let _ = fs::remove_dir_all(e.path());
    }
}
