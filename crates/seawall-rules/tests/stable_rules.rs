//! For each rule of the stable falco_rules.yaml, a replayed event sequence
//! that fires it (`*.fire.jsonl`) and a near miss that does not (`*.miss.jsonl`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use seawall_rules::{Engine, EngineOptions, RuleSet};

fn stable() -> Option<PathBuf> {
    seawall_testutil::shared_path("stable_rules_replay", "rules/falco/falco_rules.yaml")
}

fn fired(rules: &Path, events: &Path) -> BTreeSet<String> {
    let (rs, _) = RuleSet::load(&[rules.to_path_buf()]).unwrap();
    let mut engine = Engine::new(
        rs,
        EngineOptions {
            first_match: false,
            include_disabled: true,
            hostname: Some("test".into()),
            ..Default::default()
        },
    );
    let f = std::fs::File::open(events).unwrap();
    let mut out = BTreeSet::new();
    seawall_rules::replay(
        &mut engine,
        std::io::BufReader::new(f),
        &events.display().to_string(),
        |a| {
            // every alert is valid Falco JSON with the required keys
            let v: serde_json::Value = serde_json::from_str(&a.to_json()).unwrap();
            for k in [
                "time",
                "rule",
                "priority",
                "source",
                "output",
                "output_fields",
                "tags",
                "hostname",
            ] {
                assert!(v.get(k).is_some(), "alert lacks {k}: {v}");
            }
            out.insert(a.rule.clone());
        },
    )
    .unwrap();
    out
}

fn expected_rule(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("# rule: "))
        .unwrap_or_else(|| panic!("{} has no '# rule:' header", path.display()))
        .to_string()
}

#[test]
fn every_stable_rule_fires_and_has_a_near_miss() {
    let Some(rules) = stable() else { return };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/events");
    let (rs, _) = RuleSet::load(std::slice::from_ref(&rules)).unwrap();
    let all: BTreeSet<String> = rs.rules.iter().map(|r| r.name.clone()).collect();
    let mut covered = BTreeSet::new();
    let mut failures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let fire = name.ends_with(".fire.jsonl");
        let miss = name.ends_with(".miss.jsonl");
        if !fire && !miss {
            continue;
        }
        let rule = expected_rule(&p);
        assert!(all.contains(&rule), "{name}: unknown rule '{rule}'");
        let got = fired(&rules, &p);
        if fire {
            covered.insert(rule.clone());
            if !got.contains(&rule) {
                failures.push(format!("{name}: '{rule}' did not fire (fired: {got:?})"));
            }
        } else if got.contains(&rule) {
            failures.push(format!("{name}: near miss fired '{rule}'"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let missing: Vec<_> = all.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "stable rules without a fixture: {missing:?}"
    );
}

/// Every fire and near-miss sequence, one after the other through one
/// engine: a batch (`process_records_with`, which fetches tables ahead)
/// gives the same alerts, in the same order and for the same records, as
/// the records one at a time.
#[test]
fn a_batch_gives_the_alerts_of_one_record_at_a_time() {
    let Some(rules) = stable() else { return };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/events");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut records = Vec::new();
    for f in &files {
        let text = std::fs::File::open(f).unwrap();
        for r in
            seawall_event::RecordReader::new(std::io::BufReader::new(text), f.display().to_string())
        {
            records.push(r.unwrap());
        }
    }
    let engine = || {
        let (rs, _) = RuleSet::load(std::slice::from_ref(&rules)).unwrap();
        Engine::new(
            rs,
            EngineOptions {
                hostname: Some("test".into()),
                ..Default::default()
            },
        )
    };
    let mut one = engine();
    let mut serial = Vec::new();
    for (i, r) in records.iter().enumerate() {
        for a in one.process_record(r) {
            serial.push((i, a.rule, a.output));
        }
    }
    let mut batch = Vec::new();
    engine().process_records_with(&records, |i, a| {
        let a = a.to_alert();
        batch.push((i, a.rule, a.output));
    });
    assert!(
        serial.len() > files.len() / 2,
        "{} alerts from {} files",
        serial.len(),
        files.len()
    );
    assert_eq!(batch, serial);
}
