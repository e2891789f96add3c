//! `seawall runtime replay EVENTS --rules FILE...`: run a recorded JSON-lines
//! event stream (docs/events.md) through Falco-compatible rules.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

use anyhow::Context;
use seawall_rules::{Engine, EngineOptions, Priority, RuleSet};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// JSON-lines event file (`-` for standard input)
    events: PathBuf,
    /// Falco rules files, loaded in the given order
    #[arg(long = "rules", short = 'r', required = true, num_args = 1..)]
    rules: Vec<PathBuf>,
    /// Print Falco JSON alerts, one per line
    #[arg(long)]
    json: bool,
    /// Only run these rules (repeatable)
    #[arg(long = "rule")]
    rule: Vec<String>,
    /// Only run rules with one of these tags (repeatable)
    #[arg(long = "tag")]
    tag: Vec<String>,
    /// Leave out rules with these tags (repeatable)
    #[arg(long = "disable-tag")]
    disable_tag: Vec<String>,
    /// Only rules at least this severe (emergency..debug)
    #[arg(long = "min-priority", default_value = "debug")]
    min_priority: String,
    /// Report every matching rule per event instead of the first
    #[arg(long = "all-match")]
    all_match: bool,
    /// Exit with this code when any alert fired
    #[arg(long = "exit-code", default_value_t = 0)]
    exit_code: u8,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let min = Priority::parse(&args.min_priority)
        .with_context(|| format!("invalid --min-priority '{}'", args.min_priority))?;
    let (rs, report) = RuleSet::load(&args.rules)?;
    for s in &report.skipped {
        eprintln!(
            "warning: rule '{}' skipped: needs field '{}'",
            s.rule, s.field
        );
    }
    let opts = EngineOptions {
        min_priority: min,
        rules: args.rule,
        tags: args.tag,
        disable_tags: args.disable_tag,
        first_match: !args.all_match,
        ..Default::default()
    };
    let mut engine = Engine::new(rs, opts);
    let name = args.events.display().to_string();
    let input: Box<dyn BufRead> = if name == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(&args.events).with_context(|| format!("{name}: cannot open"))?,
        ))
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut count = 0u64;
    let mut err = None;
    seawall_rules::replay(&mut engine, input, &name, |a| {
        count += 1;
        let line = if args.json { a.to_json() } else { a.to_text() };
        if let Err(e) = writeln!(out, "{line}") {
            err.get_or_insert(e);
        }
    })?;
    if let Some(e) = err {
        return Err(e.into());
    }
    out.flush()?;
    eprintln!("{count} alert(s)");
    Ok(if count > 0 { args.exit_code } else { 0 })
}
