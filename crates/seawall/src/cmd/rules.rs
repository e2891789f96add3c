//! `seawall rules validate FILE...` and `seawall rules list FILE...`.

use std::path::PathBuf;

use clap::Subcommand;
use seawall_rules::{LoadError, RuleSet};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Subcommand, Debug)]
enum Sub {
    /// Load rules files in order; exit 0 when everything loads, non-zero with positioned errors otherwise
    Validate {
        /// Falco rules files, loaded in the given order
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print warnings too
        #[arg(long)]
        warnings: bool,
    },
    /// List the rules (name, priority, enabled, event types, tags)
    List {
        /// Falco rules files, loaded in the given order
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    match args.command {
        Sub::Validate { files, warnings } => match RuleSet::load(&files) {
            Ok((_, report)) => {
                if warnings {
                    for w in &report.warnings {
                        eprintln!("warning: {w}");
                    }
                }
                for s in &report.skipped {
                    eprintln!(
                        "{}:{}: rule '{}' skipped: needs field '{}'",
                        s.file, s.line, s.rule, s.field
                    );
                }
                println!(
                    "ok: {} rules ({} enabled), {} macros, {} lists loaded from {} file(s); {} warnings",
                    report.rules,
                    report.enabled_rules,
                    report.macros,
                    report.lists,
                    files.len(),
                    report.warnings.len()
                );
                Ok(0)
            }
            Err(LoadError::Invalid(diags)) => {
                for d in &diags {
                    eprintln!("error: {d}");
                }
                eprintln!("{} error(s)", diags.len());
                Ok(1)
            }
            Err(e) => Err(e.into()),
        },
        Sub::List { files, json } => {
            let (rs, _) = RuleSet::load(&files)?;
            if json {
                let v: Vec<serde_json::Value> = rs
                    .rules
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "name": r.name,
                            "priority": r.priority.as_str(),
                            "enabled": r.enabled,
                            "source": r.source,
                            "tags": r.tags,
                            "event_types": r.event_types,
                            "file": r.file,
                            "line": r.line,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for r in &rs.rules {
                    let types = match &r.event_types {
                        Some(t) => t.iter().cloned().collect::<Vec<_>>().join(","),
                        None => "*".into(),
                    };
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        r.name,
                        r.priority,
                        if r.enabled { "enabled" } else { "disabled" },
                        types,
                        r.tags.join(",")
                    );
                }
            }
            Ok(0)
        }
    }
}
