//! `db update`: fetches the OSV bulk layout
//!
//! ```text
//! <base>/<ECOSYSTEM>/all.zip            every record of the ecosystem
//! <base>/<ECOSYSTEM>/modified_id.csv    `<modified RFC 3339>,<id>` per record
//! <base>/<ECOSYSTEM>/<id>.json          one record
//! ```
//!
//! The first update of an ecosystem downloads `all.zip`; later ones fetch
//! `modified_id.csv` (conditionally, with `If-None-Match` /
//! `If-Modified-Since`) and then only the records modified after the
//! stored watermark. Sources may be URLs or local directories with the same
//! layout; when several are given they are mirrors tried in order. Failed
//! requests are retried with exponential backoff. The result is committed
//! as a new store generation, so an interrupted update (even kill -9)
//! leaves the previous database in place.
//!
//! Release-specific ecosystems (`Debian:12`) are fetched from their base
//! folder (`Debian/`) and filtered on `affected[].package.ecosystem`.

use std::fs::{self, File};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::import::{self, Batch};
use crate::names::eco_base;
use crate::osv::Vulnerability;
use crate::store::{Builder, Db, FeedState};
use crate::{timeutil, Error};

pub const DEFAULT_SOURCE: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// Ecosystems updated when none are named.
pub const DEFAULT_ECOSYSTEMS: [&str; 14] = [
    "Debian",
    "Ubuntu",
    "Alpine",
    "Red Hat",
    "Rocky Linux",
    "AlmaLinux",
    "PyPI",
    "npm",
    "crates.io",
    "Go",
    "Maven",
    "RubyGems",
    "NuGet",
    "Packagist",
];

/// Largest download accepted (a full ecosystem zip).
const MAX_DOWNLOAD: u64 = 8 << 30;
const MAX_SMALL: u64 = 256 << 20;

#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// URLs or directories, tried in order; empty means [`DEFAULT_SOURCE`].
    pub sources: Vec<String>,
    /// OSV ecosystems (`PyPI`, `Debian:12`); empty means
    /// [`DEFAULT_ECOSYSTEMS`].
    pub ecosystems: Vec<String>,
    /// Attempts per request and source.
    pub attempts: u32,
    /// First retry delay; doubles per attempt.
    pub backoff: Duration,
    pub timeout: Duration,
    /// Print download progress to stderr.
    pub progress: bool,
}

impl Default for UpdateOptions {
    fn default() -> Self {
        UpdateOptions {
            sources: Vec::new(),
            ecosystems: Vec::new(),
            attempts: 3,
            backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(60),
            progress: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcoSummary {
    pub ecosystem: String,
    /// `full`, `incremental` or `unchanged`.
    pub mode: String,
    /// Records added or replaced.
    pub records: usize,
    pub source: String,
}

#[derive(Debug, Default)]
pub struct UpdateSummary {
    pub ecosystems: Vec<EcoSummary>,
    pub warnings: Vec<String>,
    /// HTTP requests (or file reads) made.
    pub requests: usize,
    pub total_records: usize,
}

enum Fetched {
    NotModified,
    Missing,
    Body {
        data: Body,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

enum Body {
    Mem(Vec<u8>),
    File(PathBuf),
}

struct Fetcher<'a> {
    opts: &'a UpdateOptions,
    agent: ureq::Agent,
    requests: usize,
    tmp_dir: PathBuf,
}

fn encode_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

impl Fetcher<'_> {
    /// GET `rel` below `source` with conditional headers; large bodies go
    /// to a temp file.
    fn get(
        &mut self,
        source: &str,
        rel: &str,
        etag: Option<&str>,
        last_mod: Option<&str>,
        to_file: bool,
    ) -> Result<Fetched, Error> {
        if !is_url(source) {
            return self.get_local(source, rel, etag);
        }
        let url = format!("{}/{}", source.trim_end_matches('/'), rel);
        let mut delay = self.opts.backoff;
        let mut last_err = String::new();
        for attempt in 1..=self.opts.attempts.max(1) {
            self.requests += 1;
            let mut req = self.agent.get(&url);
            if let Some(e) = etag {
                req = req.set("If-None-Match", e);
            }
            if let Some(m) = last_mod {
                req = req.set("If-Modified-Since", m);
            }
            let retryable = match req.call() {
                Ok(resp) if resp.status() == 304 => return Ok(Fetched::NotModified),
                Ok(resp) => {
                    let etag = resp.header("ETag").map(str::to_string);
                    let lm = resp.header("Last-Modified").map(str::to_string);
                    let total: Option<u64> =
                        resp.header("Content-Length").and_then(|v| v.parse().ok());
                    match self.read_body(resp.into_reader(), &url, total, to_file) {
                        Ok(data) => {
                            return Ok(Fetched::Body {
                                data,
                                etag,
                                last_modified: lm,
                            })
                        }
                        Err(e) => {
                            last_err = e.to_string();
                            true
                        }
                    }
                }
                Err(ureq::Error::Status(404, _)) => return Ok(Fetched::Missing),
                Err(ureq::Error::Status(code, _)) => {
                    last_err = format!("HTTP status {code}");
                    code == 429 || code >= 500
                }
                Err(e) => {
                    last_err = e.to_string();
                    true
                }
            };
            if !retryable || attempt == self.opts.attempts.max(1) {
                break;
            }
            std::thread::sleep(delay);
            delay = delay.saturating_mul(2);
        }
        Err(Error::Http { url, msg: last_err })
    }

    fn read_body(
        &self,
        mut r: impl Read,
        url: &str,
        total: Option<u64>,
        to_file: bool,
    ) -> Result<Body, Error> {
        let herr = |e: std::io::Error| Error::Http {
            url: url.to_string(),
            msg: format!("reading response: {e}"),
        };
        let limit = if to_file { MAX_DOWNLOAD } else { MAX_SMALL };
        let mut buf = vec![0u8; 1 << 16];
        let mut done: u64 = 0;
        let mut last_pct = u64::MAX;
        let mut sink: Box<dyn Write> = Box::new(Vec::new());
        let mut mem = Vec::new();
        let tmp = self
            .tmp_dir
            .join(format!("download-{}.tmp", std::process::id()));
        if to_file {
            let f = File::create(&tmp).map_err(|source| Error::Io {
                path: tmp.clone(),
                source,
            })?;
            sink = Box::new(std::io::BufWriter::new(f));
        }
        loop {
            let n = r.read(&mut buf).map_err(herr)?;
            if n == 0 {
                break;
            }
            done += n as u64;
            if done > limit {
                return Err(Error::Http {
                    url: url.to_string(),
                    msg: format!("response larger than {limit} bytes"),
                });
            }
            if to_file {
                sink.write_all(&buf[..n]).map_err(|source| Error::Io {
                    path: tmp.clone(),
                    source,
                })?;
            } else {
                mem.extend_from_slice(&buf[..n]);
            }
            if self.opts.progress {
                if let Some(t) = total.filter(|t| *t > 0) {
                    let pct = done * 100 / t;
                    if pct != last_pct {
                        last_pct = pct;
                        eprint!(
                            "\r{url}: {pct:3}% ({:.1}/{:.1} MB)",
                            done as f64 / 1e6,
                            t as f64 / 1e6
                        );
                    }
                }
            }
        }
        if self.opts.progress && total.is_some() {
            eprintln!();
        }
        if let Some(t) = total {
            if done != t {
                return Err(Error::Http {
                    url: url.to_string(),
                    msg: format!("truncated response ({done} of {t} bytes)"),
                });
            }
        }
        sink.flush().map_err(|source| Error::Io {
            path: tmp.clone(),
            source,
        })?;
        drop(sink);
        Ok(if to_file {
            Body::File(tmp)
        } else {
            Body::Mem(mem)
        })
    }

    fn get_local(&mut self, source: &str, rel: &str, etag: Option<&str>) -> Result<Fetched, Error> {
        self.requests += 1;
        let mut p = PathBuf::from(source);
        for seg in rel.split('/') {
            // undo our own URL encoding for directory sources
            p.push(seg.replace("%20", " "));
        }
        let md = match fs::metadata(&p) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Fetched::Missing),
            Err(source) => return Err(Error::Io { path: p, source }),
        };
        let mtime = md
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let tag = format!("\"{mtime:x}-{:x}\"", md.len());
        if etag == Some(tag.as_str()) {
            return Ok(Fetched::NotModified);
        }
        Ok(Fetched::Body {
            data: Body::File(p),
            etag: Some(tag),
            last_modified: None,
        })
    }
}

fn body_bytes(b: &Body) -> Result<Vec<u8>, Error> {
    match b {
        Body::Mem(v) => Ok(v.clone()),
        Body::File(p) => fs::read(p).map_err(|source| Error::Io {
            path: p.clone(),
            source,
        }),
    }
}

/// Keeps only the affected entries of `filter` (a release-specific
/// ecosystem like `Debian:12`); records left without entries are dropped.
fn filter_records(records: Vec<Vulnerability>, filter: &str) -> Vec<Vulnerability> {
    if !filter.contains(':') {
        return records;
    }
    records
        .into_iter()
        .filter_map(|mut v| {
            v.affected
                .retain(|a| a.package.as_ref().is_some_and(|p| p.ecosystem == filter));
            (!v.affected.is_empty()).then_some(v)
        })
        .collect()
}

/// Parses `modified_id.csv`: `<timestamp>,<id>` lines (the id may be
/// `<ecosystem>/<id>` in the all-ecosystem file).
pub fn parse_modified_csv(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (ts, id) = l.trim().split_once(',')?;
            let id = id.trim().rsplit('/').next()?.trim();
            if id.is_empty() || timeutil::parse_rfc3339(ts.trim()).is_none() {
                return None;
            }
            Some((ts.trim().to_string(), id.to_string()))
        })
        .collect()
}

fn newer(a: &str, b: &str) -> bool {
    match (timeutil::parse_rfc3339(a), timeutil::parse_rfc3339(b)) {
        (Some(x), Some(y)) => x > y,
        _ => a > b,
    }
}

/// Runs an update of the database at `root`.
pub fn update(root: &Path, opts: &UpdateOptions) -> Result<UpdateSummary, Error> {
    fs::create_dir_all(root).map_err(|source| Error::Io {
        path: root.to_path_buf(),
        source,
    })?;
    let sources: Vec<String> = if opts.sources.is_empty() {
        vec![DEFAULT_SOURCE.to_string()]
    } else {
        opts.sources.clone()
    };
    let ecosystems: Vec<String> = if opts.ecosystems.is_empty() {
        DEFAULT_ECOSYSTEMS.iter().map(|s| s.to_string()).collect()
    } else {
        opts.ecosystems.clone()
    };
    let mut builder = match Db::open(root) {
        Ok(db) => Builder::from_db(&db)?,
        Err(Error::NoDatabase { .. }) => Builder::new(),
        Err(e) => return Err(e),
    };
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(opts.timeout)
        .timeout_read(opts.timeout)
        .user_agent(concat!("seawall/", env!("CARGO_PKG_VERSION")))
        .build();
    let mut f = Fetcher {
        opts,
        agent,
        requests: 0,
        tmp_dir: root.to_path_buf(),
    };
    let mut summary = UpdateSummary::default();
    let mut errors: Vec<String> = Vec::new();
    let mut changed = false;
    for eco in &ecosystems {
        let folder = encode_segment(eco_base(eco));
        let state = builder.meta.feeds.get(eco.as_str()).cloned();
        let mut done = false;
        let mut last_error = None;
        for src in &sources {
            match update_one(&mut f, &mut builder, eco, &folder, src, state.as_ref()) {
                Ok((s, warns, ch)) => {
                    changed |= ch;
                    summary.warnings.extend(warns);
                    summary.ecosystems.push(s);
                    done = true;
                    break;
                }
                // a corrupt archive is a data problem, not an outage: a
                // mirror may still have a good copy
                Err(e) => last_error = Some(e),
            }
        }
        if !done {
            if let Some(e) = last_error {
                errors.push(format!("{eco}: {e}"));
            }
        }
    }
    let leftover = root.join(format!("download-{}.tmp", std::process::id()));
    let _ = fs::remove_file(leftover);
    summary.requests = f.requests;
    if changed {
        let meta = builder.commit(root)?;
        summary.total_records = meta.records;
    } else {
        summary.total_records = builder.len();
    }
    if !errors.is_empty() {
        return Err(Error::Other(format!(
            "update failed for {} (other ecosystems were updated): {}",
            errors.len(),
            errors.join("; ")
        )));
    }
    Ok(summary)
}

fn update_one(
    f: &mut Fetcher<'_>,
    builder: &mut Builder,
    eco: &str,
    folder: &str,
    src: &str,
    state: Option<&FeedState>,
) -> Result<(EcoSummary, Vec<String>, bool), Error> {
    let now = timeutil::now_rfc3339();
    if let Some(st) = state.filter(|s| s.watermark.is_some()) {
        let rel = format!("{folder}/modified_id.csv");
        match f.get(
            src,
            &rel,
            st.csv_etag.as_deref(),
            st.csv_last_modified.as_deref(),
            false,
        )? {
            Fetched::NotModified => {
                return Ok((
                    EcoSummary {
                        ecosystem: eco.into(),
                        mode: "unchanged".into(),
                        records: 0,
                        source: src.into(),
                    },
                    Vec::new(),
                    false,
                ))
            }
            Fetched::Missing => {} // fall through to a full download
            Fetched::Body {
                data,
                etag,
                last_modified,
            } => {
                let text = String::from_utf8_lossy(&body_bytes(&data)?).into_owned();
                let wm = st.watermark.clone().unwrap_or_default();
                let entries: Vec<(String, String)> = parse_modified_csv(&text)
                    .into_iter()
                    .filter(|(ts, _)| newer(ts, &wm))
                    .collect();
                let mut batch = Batch::default();
                let mut new_wm = wm.clone();
                for (ts, id) in &entries {
                    if builder.modified_of(id).is_some_and(|m| !newer(ts, m)) {
                        continue; // already have this revision
                    }
                    let rel = format!("{folder}/{}.json", encode_segment(id));
                    match f.get(src, &rel, None, None, false)? {
                        Fetched::Body { data, .. } => {
                            let bytes = body_bytes(&data)?;
                            import::import_bytes(
                                &bytes,
                                &format!("{src}/{rel}"),
                                false,
                                &mut batch,
                            );
                        }
                        _ => batch.warnings.push(format!(
                            "{src}/{rel}: listed in modified_id.csv but missing"
                        )),
                    }
                    if newer(ts, &new_wm) {
                        new_wm = ts.clone();
                    }
                }
                let records = filter_records(std::mem::take(&mut batch.records), eco);
                let n = records.len();
                for r in records {
                    builder.add(r)?;
                }
                builder.meta.feeds.insert(
                    eco.to_string(),
                    FeedState {
                        source: src.into(),
                        watermark: Some(new_wm),
                        csv_etag: etag,
                        csv_last_modified: last_modified,
                        updated_at: now,
                        ..st.clone()
                    },
                );
                return Ok((
                    EcoSummary {
                        ecosystem: eco.into(),
                        mode: "incremental".into(),
                        records: n,
                        source: src.into(),
                    },
                    batch.warnings,
                    true,
                ));
            }
        }
    }
    // full download
    let rel = format!("{folder}/all.zip");
    let zip_url = format!("{}/{rel}", src.trim_end_matches('/'));
    let (data, etag, lm) = match f.get(src, &rel, None, None, true)? {
        Fetched::Body {
            data,
            etag,
            last_modified,
        } => (data, etag, last_modified),
        Fetched::Missing => {
            return Err(Error::Http {
                url: zip_url,
                msg: "not found".into(),
            })
        }
        Fetched::NotModified => unreachable_not_modified(&zip_url)?,
    };
    let path = match &data {
        Body::File(p) => p.clone(),
        Body::Mem(_) => return Err(Error::Other("internal: zip body not on disk".into())),
    };
    let mut file = File::open(&path).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    let _ = file.rewind();
    let mut batch = Batch::default();
    import::import_zip(&mut file, &zip_url, &mut batch)?;
    drop(file);
    if path.starts_with(&f.tmp_dir) {
        let _ = fs::remove_file(&path);
    }
    let records = filter_records(std::mem::take(&mut batch.records), eco);
    let watermark = records
        .iter()
        .map(|r| r.modified.clone())
        .filter(|m| timeutil::parse_rfc3339(m).is_some())
        .max_by(|a, b| {
            if newer(a, b) {
                std::cmp::Ordering::Greater
            } else if newer(b, a) {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Equal
            }
        });
    // a full download replaces what we had for this ecosystem
    if eco.contains(':') {
        builder.remove_where(|ecos| ecos.iter().all(|e| e == eco));
    } else {
        builder.remove_ecosystem(eco);
    }
    let n = records.len();
    for r in records {
        builder.add(r)?;
    }
    builder.meta.feeds.insert(
        eco.to_string(),
        FeedState {
            source: src.into(),
            watermark: watermark.or_else(|| Some(timeutil::now_rfc3339())),
            zip_etag: etag,
            zip_last_modified: lm,
            csv_etag: None,
            csv_last_modified: None,
            updated_at: now,
        },
    );
    Ok((
        EcoSummary {
            ecosystem: eco.into(),
            mode: "full".into(),
            records: n,
            source: src.into(),
        },
        batch.warnings,
        true,
    ))
}

fn unreachable_not_modified<T>(url: &str) -> Result<T, Error> {
    Err(Error::Http {
        url: url.to_string(),
        msg: "server answered 304 to an unconditional request".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines() {
        let rows = parse_modified_csv(
            "2024-01-02T00:00:00Z,PYSEC-1\n2024-01-01T00:00:00Z,PyPI/PYSEC-2\ngarbage\n",
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].1, "PYSEC-2");
        assert!(newer("2024-01-02T00:00:00Z", "2024-01-01T23:59:59Z"));
        assert_eq!(encode_segment("Red Hat"), "Red%20Hat");
    }
}
