//! `seawall fs DIR`: finds the packages a project's lockfiles pin (via the
//! catalog crate) and reports their vulnerabilities.

use std::path::PathBuf;

use anyhow::Context;
use seawall_vulndb::report::Artifact;
use seawall_vulndb::{match_packages, Report};

use crate::cmd::db::{finish_report, open_for_scan, ReportArgs, ScanDbArgs};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Project directory to scan
    pub dir: PathBuf,
    #[command(flatten)]
    pub db: ScanDbArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let scan = seawall_catalog::scan_dir_report(&args.dir)
        .with_context(|| format!("scanning {}", args.dir.display()))?;
    let db = open_for_scan(&args.db)?;
    let findings = match_packages(&db, scan.os.as_ref(), &scan.packages);
    let artifact = Artifact {
        name: args.dir.display().to_string(),
        kind: "filesystem".into(),
        digest: None,
    };
    let mut report = Report::new(artifact, scan.os, scan.packages, findings).with_db(&db);
    report
        .warnings
        .extend(scan.errors.iter().map(|e| e.to_string()));
    finish_report(report, &args.report)
}
