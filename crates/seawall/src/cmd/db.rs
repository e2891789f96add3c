//! `seawall db update|import|info`, plus the database and report flags
//! every vulnerability-scanning command shares (`--db`, `--offline`,
//! `--skip-db-update`, `--format`, `--ignore-unfixed`, `--ignorefile`,
//! `--vex`), so `seawall image`, `seawall fs` and SBOM scanning behave the
//! same way.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use seawall_vulndb::report::{IgnoreFile, VexDocument};
use seawall_vulndb::{update, Db, Report, ReportOptions};

use crate::cmd::common::FilterArgs;

/// Days after which a database is reported as old.
const OLD_AFTER_DAYS: i64 = 7;

#[derive(clap::Args, Debug, Clone)]
pub struct DbArgs {
    /// Vulnerability database directory [default: <user cache dir>/seawall/db]
    #[arg(long, env = "SEAWALL_DB", value_name = "DIR", global = true)]
    pub db: Option<PathBuf>,
}

impl DbArgs {
    pub fn dir(&self) -> PathBuf {
        self.db
            .clone()
            .unwrap_or_else(seawall_vulndb::default_db_dir)
    }
}

/// Database flags for scanning commands.
#[derive(clap::Args, Debug, Clone)]
pub struct ScanDbArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Do not update the vulnerability database before scanning
    #[arg(long)]
    pub skip_db_update: bool,
    /// Never touch the network: implies --skip-db-update
    #[arg(long)]
    pub offline: bool,
}

/// Report flags for scanning commands.
#[derive(clap::Args, Debug, Clone)]
pub struct ReportArgs {
    /// Output format
    #[arg(long, value_parser = ["table", "json", "sarif", "cyclonedx"], default_value = "table")]
    pub format: String,
    /// Write the report to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Hide findings without a fixed version (affected-no-fix, will-not-fix, end-of-life, unimportant)
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Ignore file: YAML `vulnerabilities: [{id, reason, expires}]` or lines `ID [exp:YYYY-MM-DD] [# reason]`
    #[arg(long, value_name = "FILE")]
    pub ignorefile: Option<PathBuf>,
    /// OpenVEX document; not_affected statements suppress findings (repeatable)
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// Opens the database for a scan, updating it first when it is missing or
/// older than a day unless `--offline`/`--skip-db-update`. An update
/// failure with a usable database only warns.
pub fn open_for_scan(args: &ScanDbArgs) -> anyhow::Result<Db> {
    let dir = args.db.dir();
    if !args.offline && !args.skip_db_update {
        let stale = match Db::open(&dir) {
            Ok(db) => age_days(&db).is_none_or(|d| d >= 1),
            Err(_) => true,
        };
        if stale {
            let opts = update::UpdateOptions {
                progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
                ..Default::default()
            };
            if let Err(e) = update::update(&dir, &opts) {
                eprintln!("seawall: warning: database update failed: {e}");
            }
        }
    }
    let db = Db::open(&dir)
        .with_context(|| format!("opening vulnerability database {}", dir.display()))?;
    warn_if_old(&db);
    Ok(db)
}

fn age_days(db: &Db) -> Option<i64> {
    let built = seawall_vulndb::timeutil::parse_rfc3339(&db.meta().built_at)?;
    Some((seawall_vulndb::timeutil::now_secs() - built) / 86_400)
}

fn warn_if_old(db: &Db) {
    if let Some(d) = age_days(db).filter(|d| *d >= OLD_AFTER_DAYS) {
        eprintln!(
            "seawall: warning: the vulnerability database is {d} days old; run `seawall db update`"
        );
    }
}

/// The report filters the flags ask for (loads the ignore file and VEX
/// documents).
pub fn report_options(args: &ReportArgs) -> anyhow::Result<ReportOptions> {
    let ignore = match &args.ignorefile {
        Some(p) => Some(IgnoreFile::load(p)?),
        None => None,
    };
    let vex = args
        .vex
        .iter()
        .map(|p| VexDocument::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ReportOptions {
        severities: args.filter.severity.clone(),
        ignore_unfixed: args.ignore_unfixed,
        ignore,
        vex,
    })
}

/// Applies the report flags and writes the report. Returns the exit code.
pub fn finish_report(mut report: Report, args: &ReportArgs) -> anyhow::Result<u8> {
    let opts = report_options(args)?;
    report.apply(&opts);
    for w in &report.warnings {
        eprintln!("seawall: warning: {w}");
    }
    let text = report.render(&args.format)?;
    write_out(args.output.as_deref(), &text)?;
    Ok(args.filter.exit_for(report.vulnerabilities.len()))
}

fn write_out(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match path {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            if !text.ends_with('\n') {
                out.write_all(b"\n")?;
            }
            Ok(())
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(clap::Subcommand, Debug)]
pub enum Cmd {
    /// Download or refresh advisories from the OSV bulk layout (<base>/<ECOSYSTEM>/all.zip)
    Update {
        /// Base URL or directory of the OSV bulk layout; repeat for mirrors, tried in order
        #[arg(long, value_name = "URL|DIR")]
        source: Vec<String>,
        /// OSV ecosystem to fetch (PyPI, npm, Debian, Debian:12, ...); repeatable [default: all supported]
        #[arg(long, value_name = "NAME")]
        ecosystem: Vec<String>,
        /// Attempts per request before trying the next mirror
        #[arg(long, default_value_t = 3)]
        attempts: u32,
        /// First retry delay in milliseconds (doubles per retry)
        #[arg(long, default_value_t = 500)]
        backoff_ms: u64,
        /// Hide the progress display
        #[arg(long)]
        no_progress: bool,
    },
    /// Import OSV JSON/YAML files, directories or zips, Alpine secdb or Debian tracker JSON
    Import {
        /// File or directory to import
        path: PathBuf,
    },
    /// Show sources, record counts, newest record and age
    Info {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let dir = args.db.dir();
    match args.cmd {
        Cmd::Update {
            source,
            ecosystem,
            attempts,
            backoff_ms,
            no_progress,
        } => {
            let opts = update::UpdateOptions {
                sources: source,
                ecosystems: ecosystem,
                attempts,
                backoff: Duration::from_millis(backoff_ms),
                progress: !no_progress && std::io::IsTerminal::is_terminal(&std::io::stderr()),
                ..Default::default()
            };
            let s = update::update(&dir, &opts)
                .with_context(|| format!("updating {}", dir.display()))?;
            for w in &s.warnings {
                eprintln!("seawall: warning: {w}");
            }
            for e in &s.ecosystems {
                println!(
                    "{}: {} ({} records) from {}",
                    e.ecosystem, e.mode, e.records, e.source
                );
            }
            println!(
                "{} records in {} ({} requests)",
                s.total_records,
                dir.display(),
                s.requests
            );
            Ok(0)
        }
        Cmd::Import { path } => {
            let (meta, batch) = seawall_vulndb::import_into(&dir, &path)
                .with_context(|| format!("importing {}", path.display()))?;
            for w in &batch.warnings {
                eprintln!("seawall: warning: {w}");
            }
            println!(
                "imported {} records from {} ({} files, {} skipped); {} records in {}",
                batch
                    .records
                    .len()
                    .max(meta.sources.last().map_or(0, |s| s.records)),
                path.display(),
                batch.files,
                batch.warnings.len(),
                meta.records,
                dir.display()
            );
            Ok(0)
        }
        Cmd::Info { json } => {
            let db = Db::open(&dir)?;
            let m = db.meta();
            if json {
                println!("{}", serde_json::to_string_pretty(m)?);
            } else {
                println!("database:  {}", dir.display());
                println!("built:     {}", m.built_at);
                println!("records:   {} ({} withdrawn)", m.records, m.withdrawn);
                println!(
                    "newest:    {}",
                    m.newest_modified.as_deref().unwrap_or("unknown")
                );
                println!("sources:");
                for s in &m.sources {
                    println!(
                        "  {} ({}, {} records, {})",
                        s.location, s.kind, s.records, s.imported_at
                    );
                }
                for (eco, f) in &m.feeds {
                    println!(
                        "  {eco}: {} (watermark {}, updated {})",
                        f.source,
                        f.watermark.as_deref().unwrap_or("-"),
                        f.updated_at
                    );
                }
                println!("ecosystems:");
                for (e, n) in &m.by_ecosystem {
                    println!("  {e}: {n}");
                }
            }
            warn_if_old(&db);
            Ok(0)
        }
    }
}
