//! seawall's vulnerability database: the OSV data model, importers (OSV
//! JSON/YAML directories and zips, Alpine secdb, Debian security tracker),
//! an embedded store, `db update` from the OSV bulk layout, matching of
//! installed packages to advisories, and the vulnerability report with its
//! renderers and filters (ignore file, OpenVEX).
//!
//! ```no_run
//! use seawall_vulndb::{match_packages, Db};
//! # fn f(pkgs: &[seawall_types::Package], os: Option<&seawall_types::OsInfo>) -> Result<(), seawall_vulndb::Error> {
//! let db = Db::open(&seawall_vulndb::default_db_dir())?;
//! let findings = match_packages(&db, os, pkgs);
//! # Ok(()) }
//! ```

use std::path::PathBuf;

pub mod import;
pub mod matcher;
pub mod names;
pub mod osv;
pub mod report;
pub mod severity;
pub mod store;
pub mod timeutil;
pub mod update;

pub use matcher::{match_packages, Finding, Status};
pub use osv::Vulnerability;
pub use report::{Report, ReportOptions};
pub use store::{Builder, Db, Meta};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no vulnerability database at {} (run `seawall db update` or `seawall db import PATH`)", path.display())]
    NoDatabase { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: corrupt database: {msg}", path.display())]
    Corrupt { path: PathBuf, msg: String },
    #[error("{path}: not a valid zip archive: {msg}")]
    BadZip { path: String, msg: String },
    #[error("{path}: {msg}")]
    Parse { path: String, msg: String },
    #[error("{url}: {msg}")]
    Http { url: String, msg: String },
    #[error("{0}")]
    Other(String),
}

/// The database directory: `$SEAWALL_DB`, else `$XDG_CACHE_HOME/seawall/db`,
/// else `~/.cache/seawall/db`.
pub fn default_db_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("SEAWALL_DB").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| std::env::temp_dir().join("seawall-cache"));
    cache.join("seawall").join("db")
}

/// Imports a file or directory into the database at `root` (added to what
/// is there). Returns the new metadata and the import warnings.
pub fn import_into(
    root: &std::path::Path,
    path: &std::path::Path,
) -> Result<(Meta, import::Batch), Error> {
    let batch = import::import_path(path)?;
    let mut b = match Db::open(root) {
        Ok(db) => Builder::from_db(&db)?,
        Err(Error::NoDatabase { .. }) => Builder::new(),
        Err(e) => return Err(e),
    };
    let n = batch.records.len();
    let mut batch = batch;
    for r in std::mem::take(&mut batch.records) {
        b.add(r)?;
    }
    let loc = std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string();
    b.meta.sources.retain(|s| s.location != loc);
    b.meta.sources.push(store::SourceInfo {
        location: loc,
        kind: "import".into(),
        imported_at: timeutil::now_rfc3339(),
        records: n,
    });
    let meta = b.commit(root)?;
    Ok((meta, batch))
}
