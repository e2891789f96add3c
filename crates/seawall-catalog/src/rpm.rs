//! rpm: the package database in its three formats (BerkeleyDB hash
//! `Packages`, NDB `Packages.db`, SQLite `rpmdb.sqlite`), the rpm header blob
//! each of them stores per package, and CBL-Mariner's distroless text
//! manifest `var/lib/rpmmanifest/container-manifest-2`.
//!
//! Written from the formats: BerkeleyDB's `db_page.h` page layout, rpm's
//! `lib/backend/ndb/rpmpkg.c` and `lib/header.c`.

use seawall_types::{Ecosystem, Package};

use crate::{file_name, new_package, parent_dir, CatalogError, Cataloger, FileMeta};

pub struct Rpm;

const DB_DIRS: &[&str] = &["var/lib/rpm", "usr/lib/sysimage/rpm", "usr/share/rpm"];
const MANIFEST: &str = "var/lib/rpmmanifest/container-manifest-2";

/// Most packages read from one database (bounds memory on corrupt input).
const MAX_PACKAGES: usize = 200_000;

impl Cataloger for Rpm {
    fn id(&self) -> &'static str {
        "rpm"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        m.is_regular()
            && (m.path == MANIFEST
                || (DB_DIRS.contains(&parent_dir(m.path))
                    && matches!(m.file_name(), "Packages" | "Packages.db" | "rpmdb.sqlite")))
    }
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        if path.ends_with("container-manifest-2") {
            return parse_manifest(path, data);
        }
        let blobs = if data.starts_with(b"SQLite format 3\0") {
            sqlite_blobs(path, data)?
        } else if data.starts_with(b"RpmP") {
            ndb_blobs(path, data)?
        } else if bdb_swapped(data).is_some() {
            bdb_blobs(path, data)?
        } else {
            return Err(CatalogError::parse(
                path,
                format!(
                    "not an rpm database ({} is neither SQLite, NDB nor BerkeleyDB hash)",
                    file_name(path)
                ),
            ));
        };
        let mut out = Vec::with_capacity(blobs.len());
        for (i, b) in blobs.iter().enumerate() {
            let h = Header::parse(b)
                .map_err(|m| CatalogError::parse(path, format!("package header {}: {m}", i + 1)))?;
            if let Some(p) = h.package(path) {
                out.push(p);
            }
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------- header

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_VENDOR: u32 = 1011;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;
const TAG_SOURCERPM: u32 = 1044;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// An rpm header blob as stored in the database: `il` (index entry count,
/// big-endian u32), `dl` (data length), `il` 16-byte entries (tag, type,
/// offset, count), then `dl` bytes of data.
pub(crate) struct Header<'a> {
    index: &'a [u8],
    data: &'a [u8],
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl<'a> Header<'a> {
    pub(crate) fn parse(blob: &'a [u8]) -> Result<Self, String> {
        let il = be32(blob, 0).ok_or("header blob shorter than 8 bytes")? as usize;
        let dl = be32(blob, 4).ok_or("header blob shorter than 8 bytes")? as usize;
        if il == 0 || il > 0x10000 || dl > 256 * 1024 * 1024 {
            return Err(format!("implausible header sizes (il {il}, dl {dl})"));
        }
        let index_end = 8 + il * 16;
        let data_end = index_end + dl;
        if blob.len() < data_end {
            return Err(format!(
                "header blob truncated ({} bytes, {data_end} needed)",
                blob.len()
            ));
        }
        Ok(Header {
            index: &blob[8..index_end],
            data: &blob[index_end..data_end],
        })
    }

    fn entry(&self, tag: u32) -> Option<(u32, usize, usize)> {
        self.index.chunks_exact(16).find_map(|e| {
            (be32(e, 0)? == tag).then_some(())?;
            Some((be32(e, 4)?, be32(e, 8)? as usize, be32(e, 12)? as usize))
        })
    }

    pub(crate) fn string(&self, tag: u32) -> Option<String> {
        let (ty, off, _) = self.entry(tag)?;
        if !matches!(ty, TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY) {
            return None;
        }
        let rest = self.data.get(off..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        Some(String::from_utf8_lossy(&rest[..end]).into_owned())
    }

    pub(crate) fn int32(&self, tag: u32) -> Option<u32> {
        let (ty, off, count) = self.entry(tag)?;
        if ty != TYPE_INT32 || count == 0 {
            return None;
        }
        be32(self.data, off)
    }

    fn package(&self, path: &str) -> Option<Package> {
        let name = self.string(TAG_NAME).filter(|n| !n.is_empty())?;
        let ver = self.string(TAG_VERSION).unwrap_or_default();
        let rel = self.string(TAG_RELEASE).unwrap_or_default();
        let epoch = self.int32(TAG_EPOCH);
        let vr = if rel.is_empty() {
            ver
        } else {
            format!("{ver}-{rel}")
        };
        let version = match epoch {
            Some(e) => format!("{e}:{vr}"),
            None => vr,
        };
        let mut p = new_package(name, version, Ecosystem::Rpm, String::new(), path);
        p.arch = self.string(TAG_ARCH).filter(|a| !a.is_empty());
        if let Some(l) = self.string(TAG_LICENSE).filter(|l| !l.is_empty()) {
            p.licenses.push(l);
        }
        set_source(&mut p, self.string(TAG_SOURCERPM).as_deref(), epoch);
        let vendor = self.string(TAG_VENDOR);
        p.purl = rpm_purl(&p, vendor.as_deref());
        Some(p)
    }
}

/// Purl before the OS is known: namespace from the vendor; [`crate::finalize`]
/// replaces it with the OS family.
fn rpm_purl(p: &Package, vendor: Option<&str>) -> String {
    let ns = crate::purl::rpm_namespace_from_vendor(vendor);
    let mut q = p.clone();
    q.purl = match ns {
        Some(ns) => format!("pkg:rpm/{ns}/"),
        None => String::new(),
    };
    crate::purl::os_purl(&q, None).unwrap_or_default()
}

/// `util-linux-2.32.1-42.el8_8.src.rpm` -> (`util-linux`, `2.32.1-42.el8_8`).
fn split_source_rpm(s: &str) -> Option<(String, String)> {
    let base = s
        .strip_suffix(".src.rpm")
        .or_else(|| s.strip_suffix(".nosrc.rpm"))?;
    let (nv, rel) = base.rsplit_once('-')?;
    let (name, ver) = nv.rsplit_once('-')?;
    if name.is_empty() || ver.is_empty() || rel.is_empty() {
        return None;
    }
    Some((name.to_string(), format!("{ver}-{rel}")))
}

fn set_source(p: &mut Package, srpm: Option<&str>, epoch: Option<u32>) {
    if let Some((n, vr)) = srpm.and_then(split_source_rpm) {
        p.source_name = Some(n);
        p.source_version = Some(match epoch {
            Some(e) => format!("{e}:{vr}"),
            None => vr,
        });
    }
}

// ---------------------------------------------------------------- BerkeleyDB

const BDB_HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
const H_OFFPAGE: u8 = 3;

/// `Some(swapped)` when `data` starts with a BerkeleyDB hash metadata page.
fn bdb_swapped(data: &[u8]) -> Option<bool> {
    let m = data.get(12..16)?;
    let le = u32::from_le_bytes([m[0], m[1], m[2], m[3]]);
    if le == BDB_HASH_MAGIC {
        Some(false)
    } else if le.swap_bytes() == BDB_HASH_MAGIC {
        Some(true)
    } else {
        None
    }
}

struct Bdb<'a> {
    data: &'a [u8],
    swapped: bool,
    page_size: usize,
}

impl Bdb<'_> {
    fn u32_at(&self, b: &[u8], at: usize) -> Option<u32> {
        let s = b.get(at..at + 4)?;
        let v = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
        Some(if self.swapped { v.swap_bytes() } else { v })
    }
    fn u16_at(&self, b: &[u8], at: usize) -> Option<u16> {
        let s = b.get(at..at + 2)?;
        let v = u16::from_le_bytes([s[0], s[1]]);
        Some(if self.swapped { v.swap_bytes() } else { v })
    }
    fn page(&self, n: u32) -> Option<&[u8]> {
        let start = (n as usize).checked_mul(self.page_size)?;
        self.data.get(start..start.checked_add(self.page_size)?)
    }
}

fn bdb_blobs(path: &str, data: &[u8]) -> Result<Vec<Vec<u8>>, CatalogError> {
    let err = |m: String| CatalogError::parse(path, format!("berkeleydb: {m}"));
    let swapped = bdb_swapped(data).ok_or_else(|| err("bad magic".into()))?;
    let mut db = Bdb {
        data,
        swapped,
        page_size: 0,
    };
    let page_size = db
        .u32_at(data, 20)
        .ok_or_else(|| err("short metadata page".into()))?;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(err(format!("unexpected page size {page_size}")));
    }
    db.page_size = page_size as usize;
    let last = db
        .u32_at(data, 32)
        .ok_or_else(|| err("short metadata page".into()))?;
    let pages = data.len() / db.page_size;
    if (last as usize) >= pages {
        return Err(err(format!(
            "file truncated: last page {last} but only {pages} pages present"
        )));
    }
    let mut out = Vec::new();
    for n in 1..=last {
        let Some(page) = db.page(n) else { break };
        let ptype = page[25];
        if ptype != P_HASH && ptype != P_HASH_UNSORTED {
            continue;
        }
        let entries = db.u16_at(page, 20).unwrap_or(0) as usize;
        if entries & 1 == 1 {
            return Err(err(format!(
                "page {n}: odd number of hash entries ({entries})"
            )));
        }
        // Entries alternate key, value; the values of interest are off-page.
        for i in (1..entries).step_by(2) {
            let off = db
                .u16_at(page, PAGE_HEADER + 2 * i)
                .ok_or_else(|| err(format!("page {n}: index past end")))?
                as usize;
            let Some(&kind) = page.get(off) else {
                return Err(err(format!("page {n}: entry offset {off} past end")));
            };
            if kind != H_OFFPAGE {
                continue;
            }
            let first = db
                .u32_at(page, off + 4)
                .ok_or_else(|| err(format!("page {n}: truncated off-page entry")))?;
            let total = db
                .u32_at(page, off + 8)
                .ok_or_else(|| err(format!("page {n}: truncated off-page entry")))?
                as usize;
            out.push(bdb_overflow(&db, first, total).map_err(|m| err(format!("page {n}: {m}")))?);
            if out.len() > MAX_PACKAGES {
                return Err(err("too many packages".into()));
            }
        }
    }
    Ok(out)
}

/// Concatenates an overflow page chain.
fn bdb_overflow(db: &Bdb, first: u32, total: usize) -> Result<Vec<u8>, String> {
    if total > db.data.len() {
        return Err(format!("overflow item of {total} bytes exceeds the file"));
    }
    let mut out = Vec::with_capacity(total);
    let mut cur = first;
    let mut hops = 0usize;
    while cur != 0 {
        hops += 1;
        if hops > db.data.len() / db.page_size + 1 {
            return Err("overflow chain loops".into());
        }
        let page = db
            .page(cur)
            .ok_or_else(|| format!("overflow page {cur} past end of file"))?;
        if page[25] != P_OVERFLOW {
            return Err(format!("page {cur} is not an overflow page"));
        }
        let next = db.u32_at(page, 16).unwrap_or(0);
        let used = db.u16_at(page, 22).unwrap_or(0) as usize;
        let body = if next == 0 {
            page.get(PAGE_HEADER..PAGE_HEADER + used)
                .ok_or_else(|| format!("overflow page {cur}: length {used} past end"))?
        } else {
            &page[PAGE_HEADER..]
        };
        out.extend_from_slice(body);
        cur = next;
    }
    out.truncate(total);
    Ok(out)
}

// ---------------------------------------------------------------- NDB

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn ndb_blobs(path: &str, data: &[u8]) -> Result<Vec<Vec<u8>>, CatalogError> {
    let err = |m: String| CatalogError::parse(path, format!("ndb: {m}"));
    let version = le32(data, 4).ok_or_else(|| err("truncated header".into()))?;
    let slot_pages = le32(data, 12).ok_or_else(|| err("truncated header".into()))? as usize;
    if version != 0 {
        return Err(err(format!("unsupported version {version}")));
    }
    if slot_pages == 0 || slot_pages > 2048 {
        return Err(err(format!("implausible slot page count {slot_pages}")));
    }
    let slots_end = slot_pages * 4096;
    if data.len() < slots_end {
        return Err(err("file truncated inside the slot pages".into()));
    }
    let mut out = Vec::new();
    // The first two 16-byte slots hold the file header.
    for at in (32..slots_end).step_by(16) {
        let (Some(magic), Some(pkg), Some(blk)) =
            (le32(data, at), le32(data, at + 4), le32(data, at + 8))
        else {
            break;
        };
        if &magic.to_le_bytes() != b"Slot" {
            return Err(err(format!("bad slot magic at offset {at}")));
        }
        if pkg == 0 {
            continue;
        }
        let boff = (blk as usize) * 16;
        let bmagic = le32(data, boff)
            .ok_or_else(|| err(format!("package {pkg}: blob offset {boff} past end")))?;
        if &bmagic.to_le_bytes() != b"BlbS" {
            return Err(err(format!("package {pkg}: bad blob magic")));
        }
        if le32(data, boff + 4) != Some(pkg) {
            return Err(err(format!(
                "package {pkg}: blob belongs to another package"
            )));
        }
        let len = le32(data, boff + 12).unwrap_or(0) as usize;
        let blob = data
            .get(boff + 16..(boff + 16).saturating_add(len))
            .ok_or_else(|| err(format!("package {pkg}: blob of {len} bytes truncated")))?;
        out.push(blob.to_vec());
        if out.len() > MAX_PACKAGES {
            return Err(err("too many packages".into()));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- SQLite

fn sqlite_blobs(path: &str, data: &[u8]) -> Result<Vec<Vec<u8>>, CatalogError> {
    let err = |m: String| CatalogError::parse(path, format!("sqlite: {m}"));
    let mut bytes = data.to_vec();
    // rpm keeps the database in WAL mode; an in-memory copy must claim the
    // legacy journal or SQLite refuses to open it.
    if bytes.len() > 19 {
        bytes[18] = 1;
        bytes[19] = 1;
    }
    let mut conn = rusqlite::Connection::open_in_memory().map_err(|e| err(e.to_string()))?;
    let len = bytes.len();
    conn.deserialize_read_exact(rusqlite::MAIN_DB, &bytes[..], len, true)
        .map_err(|e| err(e.to_string()))?;
    let mut stmt = conn
        .prepare("SELECT blob FROM Packages ORDER BY hnum")
        .map_err(|e| err(e.to_string()))?;
    let rows = stmt
        .query_map([], |r| r.get::<_, Vec<u8>>(0))
        .map_err(|e| err(e.to_string()))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r.map_err(|e| err(e.to_string()))?);
        if out.len() > MAX_PACKAGES {
            return Err(err("too many packages".into()));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- manifest

/// CBL-Mariner distroless manifest: tab-separated name, version-release,
/// install time, build time, vendor, epoch (`(none)`), size, arch, epoch
/// again, source rpm.
fn parse_manifest(path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
    let text = crate::util::text(data);
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 10 {
            return Err(CatalogError::parse(
                path,
                format!(
                    "line {}: expected 10 tab-separated fields, got {}",
                    i + 1,
                    f.len()
                ),
            ));
        }
        let epoch = f[5].trim().parse::<u32>().ok();
        let version = match epoch {
            Some(e) => format!("{e}:{}", f[1]),
            None => f[1].to_string(),
        };
        let mut p = new_package(f[0], version, Ecosystem::Rpm, String::new(), path);
        p.arch = Some(f[7].to_string()).filter(|a| !a.is_empty());
        set_source(&mut p, Some(f[9].trim()), epoch);
        p.purl = rpm_purl(&p, Some(f[4]));
        out.push(p);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a header blob from (tag, type, bytes) entries.
    pub(crate) fn blob(entries: &[(u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, ty, bytes) in entries {
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&ty.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&1u32.to_be_bytes());
            data.extend_from_slice(bytes);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    fn s(v: &str) -> Vec<u8> {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        b
    }

    #[test]
    fn header_with_epoch_and_source() {
        let b = blob(&[
            (TAG_NAME, TYPE_STRING, s("vim-minimal")),
            (TAG_VERSION, TYPE_STRING, s("8.0.1763")),
            (TAG_RELEASE, TYPE_STRING, s("19.el8_6.4")),
            (TAG_EPOCH, TYPE_INT32, 2u32.to_be_bytes().to_vec()),
            (TAG_ARCH, TYPE_STRING, s("x86_64")),
            (
                TAG_SOURCERPM,
                TYPE_STRING,
                s("vim-8.0.1763-19.el8_6.4.src.rpm"),
            ),
            (TAG_VENDOR, TYPE_STRING, s("Red Hat, Inc.")),
        ]);
        let p = Header::parse(&b)
            .unwrap()
            .package("var/lib/rpm/rpmdb.sqlite")
            .unwrap();
        assert_eq!(p.version, "2:8.0.1763-19.el8_6.4");
        assert_eq!(p.source_name.as_deref(), Some("vim"));
        assert_eq!(p.source_version.as_deref(), Some("2:8.0.1763-19.el8_6.4"));
        assert_eq!(
            p.purl,
            "pkg:rpm/redhat/vim-minimal@8.0.1763-19.el8_6.4?arch=x86_64&epoch=2&upstream=vim"
        );
    }

    #[test]
    fn truncated_header_is_an_error() {
        let b = blob(&[(TAG_NAME, TYPE_STRING, s("bash"))]);
        for n in 0..b.len() {
            assert!(Header::parse(&b[..n]).is_err());
        }
    }

    #[test]
    fn unknown_file_is_named() {
        let e = Rpm.parse("var/lib/rpm/Packages", b"hello").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("var/lib/rpm/Packages: not an rpm database"),
            "{e}"
        );
    }
}
