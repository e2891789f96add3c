//! Runs the sensor as `runtime watch` configures it for a rule set (the
//! event types the rules need and their open filter) and drains the ring
//! without evaluating anything: a harness to measure the BPF programs' cost
//! per syscall (with `kernel.bpf_stats_enabled=1`) independently of the
//! rules engine. `cargo run --release -p seawall-sensor-bpf --example
//! sensor-cost -- SECONDS RULES.yaml...` (as root). `NO_OPEN_FILTER=1`
//! records every open.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use seawall_event::EventType;
use seawall_rules::RuleSet;
use seawall_sensor_bpf::{Sensor, SensorConfig};

fn main() {
    let mut args = std::env::args().skip(1);
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let files: Vec<PathBuf> = args.map(PathBuf::from).collect();
    if let Err(e) = run(secs, &files) {
        eprintln!("sensor-cost: {e}");
        std::process::exit(2);
    }
}

fn run(secs: u64, files: &[PathBuf]) -> Result<(), Box<dyn std::error::Error>> {
    let (ruleset, _) = RuleSet::load(files)?;
    let wanted = match ruleset.required_event_types() {
        Some(set) => set.iter().map(|n| EventType::from_name(n)).collect(),
        None => Vec::new(),
    };
    let filter = if std::env::var_os("NO_OPEN_FILTER").is_some() {
        None
    } else {
        seawall_rules::kfilter::open_filter(&ruleset)
    };
    let mut s = Sensor::start(SensorConfig {
        wanted,
        open_filter: None,
    })?;
    let applied = s.set_open_filter(filter.as_ref())?;
    let _ = s.initial_records();
    eprintln!("sensor-cost: running (open filter applied: {applied})");
    let end = Instant::now() + Duration::from_secs(secs);
    let mut records = 0u64;
    while Instant::now() < end {
        s.poll(Duration::from_millis(100), &mut |_| records += 1)?;
    }
    let st = s.stats();
    eprintln!("sensor-cost: {records} records, stats {st:?}");
    Ok(())
}
