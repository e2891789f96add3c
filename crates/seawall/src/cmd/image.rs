//! `seawall image TARGET`: scan a container image (or root directory).
//!
//! The report is built in stages over one [`seawall_image::ImageScan`]: the
//! package inventory now; vulnerabilities (seawall-vulndb), secrets
//! (seawall-secrets) and misconfigurations slot in as further fields of
//! [`Report`] filled by further stages in [`run`].

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use seawall_image::{Artifact, ImageScan, OsInfo, Package, Platform, ScanOptions};
use serde::Serialize;

use crate::cmd::common::FilterArgs;

/// How to reach the image: shared by `seawall image` and `seawall sbom`.
#[derive(clap::Args, Debug, Clone)]
pub struct SourceArgs {
    /// Layer cache directory [default: $XDG_CACHE_HOME/seawall or ~/.cache/seawall]
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Do not read or write the layer cache
    #[arg(long)]
    pub no_cache: bool,
    /// Allow plain HTTP to a registry on loopback
    #[arg(long)]
    pub insecure: bool,
    /// Platform to pick from multi-arch images
    #[arg(long, value_name = "OS/ARCH", default_value = "linux/amd64", value_parser = parse_platform)]
    pub platform: Platform,
}

fn parse_platform(s: &str) -> Result<Platform, String> {
    s.parse::<Platform>().map_err(|e| e.to_string())
}

impl SourceArgs {
    pub fn options(&self) -> ScanOptions {
        ScanOptions {
            cache_dir: if self.no_cache {
                None
            } else {
                self.cache_dir
                    .clone()
                    .or_else(seawall_image::default_cache_dir)
            },
            platform: self.platform.clone(),
            insecure: self.insecure,
            ..ScanOptions::default()
        }
    }
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// docker-archive:PATH, oci-archive:PATH, oci:DIR[:TAG], dir:PATH or HOST[:PORT]/REPO[:TAG|@sha256:..]
    pub target: String,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
    /// Write the report to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// The `seawall image` JSON report.
#[derive(Debug, Serialize)]
pub struct Report {
    pub artifact: Artifact,
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
}

/// Scans the target and prints warnings (skipped files) to stderr.
pub fn scan(target: &str, source: &SourceArgs) -> anyhow::Result<ImageScan> {
    let scan = seawall_image::scan(target, &source.options())?;
    for w in &scan.warnings {
        eprintln!("seawall: warning: {w}");
    }
    Ok(scan)
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let scan = scan(&args.target, &args.source)?;
    let report = Report {
        artifact: scan.artifact,
        os: scan.os,
        packages: scan.packages,
    };
    // Findings that count towards --exit-code: none until vulnerabilities,
    // secrets and misconfigurations are part of the report.
    let findings = 0usize;
    let mut buf = Vec::new();
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut buf, &report)?;
            buf.push(b'\n');
        }
        OutputFormat::Table => write_table(&mut buf, &report)?,
    }
    write_output(args.output.as_deref(), &buf)?;
    Ok(args.filter.exit_for(findings))
}

/// Writes to FILE (whole, after the scan succeeded) or stdout.
pub fn write_output(path: Option<&std::path::Path>, bytes: &[u8]) -> anyhow::Result<()> {
    match path {
        Some(p) => {
            std::fs::write(p, bytes).with_context(|| format!("{}: cannot write", p.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
            Ok(())
        }
    }
}

fn write_table(w: &mut dyn Write, r: &Report) -> std::io::Result<()> {
    writeln!(w, "{} ({})", r.artifact.name, r.artifact.kind)?;
    match &r.os {
        Some(os) => writeln!(w, "OS: {} {}", os.family, os.version)?,
        None => writeln!(w, "OS: unknown")?,
    }
    writeln!(w, "Packages: {}", r.packages.len())?;
    if r.packages.is_empty() {
        return Ok(());
    }
    let rows: Vec<[String; 4]> = r
        .packages
        .iter()
        .map(|p| {
            [
                p.name.clone(),
                p.version.clone(),
                p.ecosystem.purl_type().to_string(),
                p.locations
                    .first()
                    .map(|l| format!("/{}", l.path))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let head = ["NAME", "VERSION", "TYPE", "PATH"];
    let mut width = head.map(str::len);
    for row in &rows {
        for (i, c) in row.iter().enumerate() {
            width[i] = width[i].max(c.chars().count()).min(60);
        }
    }
    writeln!(w)?;
    writeln!(
        w,
        "{:w0$}  {:w1$}  {:w2$}  {}",
        head[0],
        head[1],
        head[2],
        head[3],
        w0 = width[0],
        w1 = width[1],
        w2 = width[2]
    )?;
    for row in rows {
        writeln!(
            w,
            "{:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2]
        )?;
    }
    Ok(())
}
