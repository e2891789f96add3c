//! `seawall`: the thin command-line layer. Parses arguments, calls the
//! library crates, prints the error chain and maps it to an exit code.
//!
//! Exit codes: 0 success, the `--exit-code N` value when findings remain,
//! 2 for any error.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc (its v2 line) instead of the system allocator. The runtime
/// engine keeps its thread and fd tables in many small allocations that
/// are visited in event order, all over the heap, and makes and frees
/// tables on every fork, exec and exit: with mimalloc's size-segregated
/// pages `cargo bench -p seawall-rules --bench replay` runs about 15%
/// faster than with glibc's malloc (the bench uses the same allocator).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
            eprintln!("seawall: error: {}", error_chain(&err));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes joined by ": ", leaving out a cause whose text
/// the message before it already ends with (library errors that print
/// their source and also expose it as `source()`).
fn error_chain(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::error_chain;

    /// Shaped like a thiserror error with `{source}` in its message and a
    /// `#[source]` field.
    #[derive(Debug)]
    struct ReadFailed {
        file: String,
        source: std::io::Error,
    }
    impl std::fmt::Display for ReadFailed {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{}: read failed: {}", self.file, self.source)
        }
    }
    impl std::error::Error for ReadFailed {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.source)
        }
    }

    #[test]
    fn error_chain_prints_a_repeated_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8");
        let e = anyhow::Error::new(ReadFailed {
            file: "x.jsonl".into(),
            source: io,
        })
        .context("replaying");
        assert_eq!(
            error_chain(&e),
            "replaying: x.jsonl: read failed: not UTF-8"
        );
    }
}
