//! The three upstream Falco rules files load together, in order, and every rule compiles.

use std::path::PathBuf;

use seawall_rules::RuleSet;

fn upstream() -> Option<Vec<PathBuf>> {
    seawall_testutil::falco_rules("upstream_rules")
}

#[test]
fn all_three_files_load_and_every_rule_compiles() {
    let Some(files) = upstream() else { return };
    let (rs, report) = match RuleSet::load(&files) {
        Ok(x) => x,
        Err(e) => panic!("load failed:\n{e}"),
    };
    assert!(report.skipped.is_empty(), "skipped: {:?}", report.skipped);
    assert_eq!(report.rules, 25 + 31 + 37, "rules");
    assert_eq!(rs.rules.len(), 93);
    assert_eq!(report.lists, 49 + 54 + 60 - overlap_lists(&files), "lists");
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    for r in rs
        .rules
        .iter()
        .filter(|r| r.enabled && r.event_types.is_none())
    {
        eprintln!("rule without event-type restriction: {}", r.name);
    }
    let types = rs.required_event_types();
    eprintln!("required event types: {types:?}");
}

#[test]
fn stable_file_loads_alone() {
    let Some(files) = upstream() else { return };
    let (rs, report) = RuleSet::load(&files[..1]).unwrap();
    assert_eq!(report.rules, 25);
    assert_eq!(report.macros, 87);
    assert_eq!(report.lists, 49);
    assert!(
        rs.required_event_types().is_some(),
        "every stable rule is indexed by event type"
    );
}

/// Lists redefined by later files count once.
fn overlap_lists(files: &[PathBuf]) -> usize {
    let mut seen = std::collections::HashSet::new();
    let mut dup = 0;
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        for line in text.lines() {
            if let Some(n) = line.strip_prefix("- list: ") {
                if !seen.insert(n.trim().to_string()) {
                    dup += 1;
                }
            }
        }
    }
    dup
}
