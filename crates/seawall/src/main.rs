//! `seawall`: the thin command-line layer. Parses arguments, calls the
//! library crates, prints the error chain and maps it to an exit code.
//!
//! Exit codes: 0 success, the `--exit-code N` value when findings remain,
//! 2 for any error.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "seawall",
    version,
    about = "Container security from build to runtime"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan a container image: packages, vulnerabilities, secrets, config
    Image(cmd::image::Args),
    /// Write a software bill of materials (CycloneDX or SPDX) for an image or directory
    Sbom(cmd::sbom::Args),
    /// Scan a project directory's lockfiles for vulnerable dependencies
    Fs(cmd::fs::Args),
    /// Check Dockerfiles and Kubernetes manifests
    Config(cmd::config::Args),
    /// Manage the vulnerability database
    Db(cmd::db::Args),
    /// Validate and list Falco-compatible rules
    Rules(cmd::rules::Args),
    /// Runtime detection: replay recorded events or watch live with eBPF
    Runtime(cmd::runtime::Args),
    /// Kubernetes admission webhook
    Admission(cmd::admission::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Image(a) => cmd::image::run(a),
        Command::Sbom(a) => cmd::sbom::run(a),
        Command::Fs(a) => cmd::fs::run(a),
        Command::Config(a) => cmd::config::run(a),
        Command::Db(a) => cmd::db::run(a),
        Command::Rules(a) => cmd::rules::run(a),
        Command::Runtime(a) => cmd::runtime::run(a),
        Command::Admission(a) => cmd::admission::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("seawall: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
