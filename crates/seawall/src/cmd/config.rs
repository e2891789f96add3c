//! `seawall config PATH...`: check Dockerfiles and Kubernetes manifests.
//!
//! Walks the given files and directories (sorted, hidden directories and
//! `node_modules`/`target`/`vendor` skipped, symlinked directories not
//! followed). Dockerfiles (`Dockerfile`, `Containerfile`, `*.Dockerfile`,
//! `Dockerfile.*`) go to `seawall-dockerfile`, manifests (`*.yaml`, `*.yml`,
//! `*.json`) to `seawall-k8s`. A file named explicitly on the command line
//! that is neither is linted as a Dockerfile.
//!
//! Errors: a file that cannot be read or parsed is reported (stderr, and in
//! the JSON/SARIF/JUnit output) and the other files are still checked. A
//! manifest-looking file found while walking a directory that turns out not
//! to be a Kubernetes object (a compose file, `package.json`) is skipped
//! silently; named explicitly, it is an error. Exit code: 2 if any file
//! failed, otherwise `--exit-code N` when findings remain after
//! `--severity` filtering, otherwise 0.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use seawall_report::{FileError, Format, Report};

use crate::cmd::common::FilterArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files or directories to check
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format: table, json, sarif or junit
    #[arg(long, default_value = "table", value_parser = parse_format)]
    pub format: Format,
    /// Write the report to FILE instead of stdout
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// seawall config file (TOML): disable, enable, [severity], trusted_registries, required_labels
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Kubernetes: check Pod Security Standards LEVEL[:VERSION] (e.g. restricted:v1.30); alone, only PSS checks run
    #[arg(long, value_name = "LEVEL[:VERSION]")]
    pub pss: Option<String>,
    /// Kubernetes: run seawall's own checks too when --pss is given
    #[arg(long)]
    pub builtin: bool,
    /// Kubernetes: directory of custom policies
    #[arg(long, value_name = "DIR")]
    pub policy_dir: Option<PathBuf>,
    /// Kubernetes: waiver file
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse::<Format>().map_err(|e| e.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dockerfile,
    Manifest,
}

const SKIP_DIRS: &[&str] = &["node_modules", "target", "vendor", "__pycache__"];
const MAX_DEPTH: usize = 64;

/// Files to check, in a stable order; `explicit` marks command-line files.
fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<(PathBuf, Kind, bool)>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("cannot read {}", p.display()))?;
        if meta.is_dir() {
            walk(p, 0, &mut out)?;
        } else {
            let kind = if seawall_dockerfile::is_dockerfile_path(p) {
                Kind::Dockerfile
            } else if seawall_k8s::is_manifest_path(p) {
                Kind::Manifest
            } else {
                Kind::Dockerfile
            };
            out.push((p.clone(), kind, true));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<(PathBuf, Kind, bool)>) -> anyhow::Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read directory {}", dir.display()))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            if name.starts_with('.') || SKIP_DIRS.contains(&name.as_str()) {
                continue;
            }
            walk(&path, depth + 1, out)?;
        } else if ft.is_file() || (ft.is_symlink() && path.is_file()) {
            if seawall_dockerfile::is_dockerfile_path(&path) {
                out.push((path, Kind::Dockerfile, false));
            } else if seawall_k8s::is_manifest_path(&path) {
                out.push((path, Kind::Manifest, false));
            }
        }
    }
    Ok(())
}

/// Whether a k8s error means "this YAML/JSON is not a Kubernetes object".
fn not_a_manifest(err: &seawall_k8s::Error) -> bool {
    match err {
        seawall_k8s::Error::Manifest { message, .. } => {
            message.contains("is not a kubernetes object")
        }
        seawall_k8s::Error::Json { .. } => true,
        _ => false,
    }
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let cfg = match &args.config {
        Some(p) => seawall_dockerfile::Config::load(p)?,
        None => seawall_dockerfile::Config::default(),
    };
    let pss = match &args.pss {
        Some(s) => Some(
            s.parse::<seawall_k8s::PssSpec>()
                .map_err(|e| anyhow::anyhow!("--pss: {e}"))?,
        ),
        None => None,
    };
    let files = collect(&args.paths)?;
    let needs_k8s = files.iter().any(|(_, k, _)| *k == Kind::Manifest);
    let checker = if needs_k8s || args.waivers.is_some() || args.policy_dir.is_some() {
        let opts = seawall_k8s::Options {
            builtin_checks: pss.is_none() || args.builtin,
            pss,
            policy_dir: args.policy_dir.clone(),
            waiver_file: args.waivers.clone(),
            today: None,
        };
        Some(seawall_k8s::Checker::new(&opts).context("kubernetes options")?)
    } else {
        None
    };

    let mut report = Report::default();
    for (path, kind, explicit) in &files {
        let shown = path.display().to_string();
        let result: Result<Vec<seawall_types::Misconfig>, String> = match kind {
            Kind::Dockerfile => {
                seawall_dockerfile::lint_file(path, &cfg).map_err(|e| e.to_string())
            }
            Kind::Manifest => match &checker {
                Some(c) => match c.check_file(path) {
                    Ok(v) => Ok(v),
                    Err(e) if !explicit && not_a_manifest(&e) => continue,
                    Err(e) => Err(e.to_string()),
                },
                None => continue,
            },
        };
        match result {
            Ok(found) => {
                report.files.push(shown);
                report.findings.extend(found);
            }
            Err(message) => {
                eprintln!("seawall: error: {message}");
                report.errors.push(FileError {
                    file: shown,
                    message,
                });
            }
        }
    }
    cfg.apply(&mut report.findings);
    report.findings.retain(|m| args.filter.wants(m.severity));
    report.sort();

    match &args.output {
        Some(p) => {
            let mut f = File::create(p).with_context(|| format!("cannot write {}", p.display()))?;
            seawall_report::render(&report, args.format, &mut f)
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
        None => {
            let stdout = io::stdout();
            let mut lock = stdout.lock();
            seawall_report::render(&report, args.format, &mut lock)?;
            lock.flush()?;
        }
    }
    if !report.errors.is_empty() {
        return Ok(2);
    }
    Ok(args.filter.exit_for(report.findings.len()))
}
