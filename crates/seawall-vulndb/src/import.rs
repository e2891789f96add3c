//! Importers: OSV JSON and YAML (files, directories, zips), Alpine secdb
//! (YAML release files and per-package JSON) and the Debian security
//! tracker JSON, all converted to OSV records.
//!
//! A malformed record is skipped with a warning naming the file and the
//! record id; it never aborts an import. A file that cannot be read at all
//! (a corrupt zip, an unreadable directory) is an error.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::Path;

use serde_json::{json, Value};

use crate::osv::{Affected, Event, PackageId, Range, Vulnerability};
use crate::Error;

/// Records and warnings from one import.
#[derive(Debug, Default)]
pub struct Batch {
    pub records: Vec<Vulnerability>,
    pub warnings: Vec<String>,
    /// Files read (records or not).
    pub files: usize,
}

impl Batch {
    fn warn(&mut self, file: &str, id: Option<&str>, msg: impl std::fmt::Display) {
        let w = match id {
            Some(id) => format!("{file}: skipped record {id}: {msg}"),
            None => format!("{file}: skipped: {msg}"),
        };
        self.warnings.push(w);
    }
}

/// Maximum size of one advisory file or zip entry we will parse.
const MAX_RECORD_BYTES: u64 = 64 << 20;
/// Directory depth limit for walking import folders.
const MAX_DEPTH: usize = 32;

/// Imports a file or directory (recursively).
pub fn import_path(path: &Path) -> Result<Batch, Error> {
    let mut b = Batch::default();
    let md = fs::metadata(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if md.is_dir() {
        walk(path, 0, &mut b)?;
    } else if !import_file(path, &mut b)? {
        // Named on the command line: a file we cannot read is an error, not
        // an empty import (inside a directory such files are skipped).
        return Err(Error::Parse {
            path: path.display().to_string(),
            msg: "not an OSV advisory file: expected a .json, .yaml or .yml record, a .zip of \
                  records (OSV's all.zip) or a directory of them"
                .to_string(),
        });
    }
    Ok(b)
}

fn walk(dir: &Path, depth: usize, b: &mut Batch) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        b.warn(
            &dir.display().to_string(),
            None,
            "directory nesting too deep",
        );
        return Ok(());
    }
    let rd = fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let Ok(ft) = fs::symlink_metadata(&p).map(|m| m.file_type()) else {
            continue;
        };
        if ft.is_dir() {
            walk(&p, depth + 1, b)?;
        } else if ft.is_file() {
            import_file(&p, b)?;
        }
    }
    Ok(())
}

/// Imports one file by its extension; `false` when the extension is not one
/// the importer reads.
fn import_file(path: &Path, b: &mut Batch) -> Result<bool, Error> {
    let name = path.display().to_string();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "zip" => {
            let f = fs::File::open(path).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
            import_zip(f, &name, b).map(|()| true)
        }
        "json" | "yaml" | "yml" => {
            let md = fs::metadata(path).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
            if md.len() > MAX_RECORD_BYTES {
                b.warn(
                    &name,
                    None,
                    format!("file larger than {MAX_RECORD_BYTES} bytes"),
                );
                return Ok(true);
            }
            let data = fs::read(path).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
            b.files += 1;
            import_bytes(&data, &name, ext != "json", b);
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Imports every `.json`/`.yaml` entry of an OSV zip (the OSV bulk
/// `all.zip` layout). A file that is not a valid zip is an error.
pub fn import_zip<R: Read + std::io::Seek>(r: R, name: &str, b: &mut Batch) -> Result<(), Error> {
    let mut z = zip::ZipArchive::new(r).map_err(|e| Error::BadZip {
        path: name.to_string(),
        msg: e.to_string(),
    })?;
    let mut buf = Vec::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).map_err(|e| Error::BadZip {
            path: name.to_string(),
            msg: format!("entry {i}: {e}"),
        })?;
        if f.is_dir() {
            continue;
        }
        let ename = f.name().to_string();
        let lower = ename.to_ascii_lowercase();
        let yaml = lower.ends_with(".yaml") || lower.ends_with(".yml");
        if !lower.ends_with(".json") && !yaml {
            continue;
        }
        let full = format!("{name}:{ename}");
        if f.size() > MAX_RECORD_BYTES {
            b.warn(&full, None, "entry too large");
            continue;
        }
        buf.clear();
        (&mut f)
            .take(MAX_RECORD_BYTES)
            .read_to_end(&mut buf)
            .map_err(|e| Error::BadZip {
                path: name.to_string(),
                msg: format!("{ename}: {e}"),
            })?;
        b.files += 1;
        import_bytes(&buf, &full, yaml, b);
    }
    Ok(())
}

/// Parses one document and routes it by shape: OSV record (or a list of
/// them), Alpine secdb, or Debian tracker JSON.
pub fn import_bytes(data: &[u8], name: &str, yaml: bool, b: &mut Batch) {
    // fast path: a JSON OSV record parses straight into the model
    if !yaml {
        if let Ok(v) = serde_json::from_slice::<Vulnerability>(data) {
            if !v.id.is_empty() && !looks_like_secdb_json(data) {
                push_record(v, name, b);
                return;
            }
        }
    }
    let value: Value = if yaml {
        match serde_yaml::from_slice::<Value>(data) {
            Ok(v) => v,
            Err(e) => {
                b.warn(name, None, format!("invalid YAML: {e}"));
                return;
            }
        }
    } else {
        match serde_json::from_slice::<Value>(data) {
            Ok(v) => v,
            Err(e) => {
                b.warn(name, None, format!("invalid JSON: {e}"));
                return;
            }
        }
    };
    route_value(value, name, b);
}

fn looks_like_secdb_json(data: &[u8]) -> bool {
    // an OSV record never has a top-level "secfixes" or "distroversion"
    let head = &data[..data.len().min(4096)];
    let s = String::from_utf8_lossy(head);
    s.contains("\"secfixes\"") || s.contains("\"distroversion\"")
}

fn route_value(value: Value, name: &str, b: &mut Batch) {
    match value {
        Value::Array(items) => {
            for it in items {
                route_value(it, name, b);
            }
        }
        Value::Object(ref m) if m.contains_key("distroversion") || m.contains_key("secfixes") => {
            alpine_secdb(&value, name, b);
        }
        Value::Object(ref m)
            if m.contains_key("id")
                && (m.contains_key("affected")
                    || m.contains_key("modified")
                    || m.contains_key("schema_version")) =>
        {
            let id = m.get("id").and_then(Value::as_str).map(str::to_string);
            match serde_json::from_value::<Vulnerability>(value) {
                Ok(v) => push_record(v, name, b),
                Err(e) => b.warn(name, id.as_deref(), e),
            }
        }
        Value::Object(ref m) if is_debian_tracker(m) => debian_tracker(m, name, b),
        Value::Null => {}
        _ => b.warn(
            name,
            None,
            "not an OSV record, Alpine secdb or Debian tracker document",
        ),
    }
}

fn push_record(v: Vulnerability, name: &str, b: &mut Batch) {
    match v.validate() {
        Ok(()) => b.records.push(v),
        Err(e) => {
            let id = if v.id.is_empty() {
                None
            } else {
                Some(v.id.as_str())
            };
            b.warn(name, id, e);
        }
    }
}

fn event(kind: &str, v: &str) -> Event {
    let mut e = Event::default();
    match kind {
        "introduced" => e.introduced = Some(v.into()),
        "fixed" => e.fixed = Some(v.into()),
        _ => e.last_affected = Some(v.into()),
    }
    e
}

/// Alpine secdb: `{distroversion, reponame, packages: [{pkg: {name,
/// secfixes: {version: [CVE...]}}}]}` or one vuln-list entry
/// `{name, secfixes, distroversion}`. Each CVE fixed in version V becomes
/// `ALPINE-<CVE>` affecting `Alpine:vX.Y/<origin>` below V; a `0` key means
/// not affected in that branch and produces nothing.
fn alpine_secdb(v: &Value, name: &str, b: &mut Batch) {
    let Some(release) = v.get("distroversion").and_then(Value::as_str) else {
        b.warn(name, None, "Alpine secdb document without distroversion");
        return;
    };
    let eco = format!(
        "Alpine:{}",
        if release.starts_with('v') {
            release.to_string()
        } else {
            format!("v{release}")
        }
    );
    let mut pkgs: Vec<&Value> = Vec::new();
    if let Some(list) = v.get("packages").and_then(Value::as_array) {
        for p in list {
            pkgs.push(p.get("pkg").unwrap_or(p));
        }
    } else if v.get("secfixes").is_some() {
        pkgs.push(v);
    }
    let mut out: BTreeMap<String, Vulnerability> = BTreeMap::new();
    for p in pkgs {
        let Some(pname) = p.get("name").and_then(Value::as_str) else {
            b.warn(name, None, "secdb package without name");
            continue;
        };
        let Some(fixes) = p.get("secfixes").and_then(Value::as_object) else {
            continue;
        };
        for (ver, cves) in fixes {
            let ver = ver.trim();
            if ver == "0" || ver.is_empty() {
                continue;
            }
            if !seawall_version::apk::is_valid(ver) {
                b.warn(name, Some(pname), format!("bad fixed version {ver:?}"));
                continue;
            }
            let Some(cves) = cves.as_array() else {
                continue;
            };
            for c in cves {
                let Some(c) = c.as_str() else { continue };
                // entries look like "CVE-2019-1234" or "CVE-2019-1234 GHSA-..."
                for cve in c.split_whitespace().filter(|t| {
                    t.starts_with("CVE-") || t.starts_with("GHSA-") || t.starts_with("XSA-")
                }) {
                    let id = format!("ALPINE-{cve}");
                    let rec = out.entry(id.clone()).or_insert_with(|| Vulnerability {
                        schema_version: Some("1.7.0".into()),
                        id,
                        upstream: vec![cve.to_string()],
                        details: Some(format!("{cve} fixed in Alpine {release} packages")),
                        database_specific: json!({"seawall_merge": true, "source": "alpine-secdb"}),
                        ..Vulnerability::default()
                    });
                    rec.affected.push(Affected {
                        package: Some(PackageId {
                            ecosystem: eco.clone(),
                            name: pname.to_string(),
                            purl: Some(format!("pkg:apk/alpine/{pname}")),
                        }),
                        ranges: vec![Range {
                            kind: "ECOSYSTEM".into(),
                            events: vec![event("introduced", "0"), event("fixed", ver)],
                            ..Range::default()
                        }],
                        ..Affected::default()
                    });
                }
            }
        }
    }
    b.records.extend(out.into_values());
}

/// Debian release codenames and their numbers.
pub fn debian_release(codename: &str) -> Option<&'static str> {
    Some(match codename {
        "jessie" => "8",
        "stretch" => "9",
        "buster" => "10",
        "bullseye" => "11",
        "bookworm" => "12",
        "trixie" => "13",
        "forky" => "14",
        _ => return None,
    })
}

fn is_debian_tracker(m: &serde_json::Map<String, Value>) -> bool {
    m.values().take(5).any(|pkg| {
        pkg.as_object().is_some_and(|cves| {
            cves.iter().take(3).any(|(k, v)| {
                (k.starts_with("CVE-") || k.starts_with("TEMP-")) && v.get("releases").is_some()
            })
        })
    })
}

/// Debian security tracker JSON: `{src: {CVE: {description, releases:
/// {codename: {status, fixed_version, urgency, nodsa_reason}}}}}`.
/// Produces `DEBIAN-<CVE>` records with one `Debian:<N>` entry per release.
/// The tracker's judgement goes into `ecosystem_specific`: `urgency`
/// (`unimportant`, `end-of-life`, ...) and `status` (`open`, `resolved`,
/// `undetermined`) plus `nodsa_reason` (`ignored` means will not fix).
fn debian_tracker(m: &serde_json::Map<String, Value>, _name: &str, b: &mut Batch) {
    let mut out: BTreeMap<String, Vulnerability> = BTreeMap::new();
    for (src, cves) in m {
        let Some(cves) = cves.as_object() else {
            continue;
        };
        for (cve, info) in cves {
            // entries with no per-release data (not yet triaged) say nothing
            // about any release
            let Some(releases) = info.get("releases").and_then(Value::as_object) else {
                continue;
            };
            for (codename, r) in releases {
                let Some(num) = debian_release(codename) else {
                    continue;
                };
                let status = r.get("status").and_then(Value::as_str).unwrap_or("");
                let fixed = r.get("fixed_version").and_then(Value::as_str).unwrap_or("");
                let urgency = r
                    .get("urgency")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .trim_end_matches('*')
                    .to_string();
                let events = match status {
                    "resolved" if fixed == "0" || fixed.is_empty() => continue, // never affected
                    "resolved" => vec![event("introduced", "0"), event("fixed", fixed)],
                    "open" | "undetermined" => vec![event("introduced", "0")],
                    _ => continue,
                };
                let id = format!("DEBIAN-{cve}");
                let rec = out.entry(id.clone()).or_insert_with(|| Vulnerability {
                    schema_version: Some("1.7.0".into()),
                    id,
                    upstream: vec![cve.clone()],
                    details: info.get("description").and_then(Value::as_str).map(str::to_string),
                    references: vec![crate::osv::Reference {
                        kind: "ADVISORY".into(),
                        url: format!("https://security-tracker.debian.org/tracker/{cve}"),
                    }],
                    database_specific: json!({"seawall_merge": true, "source": "debian-security-tracker"}),
                    ..Vulnerability::default()
                });
                let mut es = serde_json::Map::new();
                es.insert("urgency".into(), Value::String(urgency));
                es.insert("status".into(), Value::String(status.to_string()));
                if let Some(reason) = r.get("nodsa_reason").and_then(Value::as_str) {
                    es.insert("nodsa_reason".into(), Value::String(reason.to_string()));
                }
                rec.affected.push(Affected {
                    package: Some(PackageId {
                        ecosystem: format!("Debian:{num}"),
                        name: src.clone(),
                        purl: Some(format!("pkg:deb/debian/{src}?arch=source")),
                    }),
                    ranges: vec![Range {
                        kind: "ECOSYSTEM".into(),
                        events,
                        ..Range::default()
                    }],
                    ecosystem_specific: Value::Object(es),
                    ..Affected::default()
                });
            }
        }
    }
    b.records.extend(out.into_values());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_file_named_directly_is_an_error_but_skipped_in_a_directory() {
        let dir = std::env::temp_dir().join(format!("seawall-import-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let junk = dir.join("garbage.bin");
        fs::write(&junk, [0u8, 159, 146, 150]).unwrap();
        let e = import_path(&junk).unwrap_err().to_string();
        assert!(
            e.contains("garbage.bin") && e.contains("not an OSV advisory file"),
            "{e}"
        );
        fs::write(
            dir.join("OK-1.json"),
            br#"{"id":"OK-1","modified":"2024-01-01T00:00:00Z","affected":[]}"#,
        )
        .unwrap();
        let b = import_path(&dir).unwrap();
        assert_eq!(b.records.len(), 1);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn malformed_record_is_skipped_with_file_and_id() {
        let mut b = Batch::default();
        import_bytes(
            br#"{"id":"BAD-1","modified":"2024-01-01T00:00:00Z","affected":"nope"}"#,
            "x/BAD-1.json",
            false,
            &mut b,
        );
        import_bytes(
            br#"{"id":"OK-1","modified":"2024-01-01T00:00:00Z","affected":[]}"#,
            "x/OK-1.json",
            false,
            &mut b,
        );
        import_bytes(b"{not json", "x/broken.json", false, &mut b);
        assert_eq!(b.records.len(), 1);
        assert_eq!(b.records[0].id, "OK-1");
        assert!(
            b.warnings
                .iter()
                .any(|w| w.contains("x/BAD-1.json") && w.contains("BAD-1")),
            "{:?}",
            b.warnings
        );
        assert!(
            b.warnings.iter().any(|w| w.contains("x/broken.json")),
            "{:?}",
            b.warnings
        );
    }

    #[test]
    fn event_with_two_fields_is_rejected() {
        let mut b = Batch::default();
        import_bytes(
            br#"{"id":"E-1","modified":"x","affected":[{"package":{"ecosystem":"PyPI","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}]}]}"#,
            "e.json",
            false,
            &mut b,
        );
        assert!(b.records.is_empty());
        assert!(b.warnings[0].contains("E-1"));
    }

    #[test]
    fn secdb_zero_key_means_not_affected() {
        let mut b = Batch::default();
        let doc = br#"{"distroversion":"v3.20","reponame":"main","packages":[{"pkg":{"name":"musl","secfixes":{"0":["CVE-2000-1"],"1.2.5-r1":["CVE-2025-26519"]}}}]}"#;
        import_bytes(doc, "main.json", false, &mut b);
        assert_eq!(b.records.len(), 1, "{:?}", b.warnings);
        let r = &b.records[0];
        assert_eq!(r.id, "ALPINE-CVE-2025-26519");
        assert_eq!(
            r.affected[0].package.as_ref().unwrap().ecosystem,
            "Alpine:v3.20"
        );
    }
}
