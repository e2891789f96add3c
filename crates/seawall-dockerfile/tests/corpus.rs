//! The realistic corpus (tests/corpus/*.Dockerfile, >= 30 files):
//!
//! 1. seawall's findings include every true finding of hadolint: hadolint
//!    runs once over the whole corpus (`--format json`), each DL code maps to
//!    a seawall rule (rules.rs), and seawall must report that rule on the same
//!    line. Deliberate disagreements are listed with reasons in
//!    tests/corpus/hadolint-disagreements.txt; a listed entry that no longer
//!    disagrees fails the test so the list stays honest. ShellCheck (SC*)
//!    findings that hadolint embeds are out of scope (see that file).
//! 2. A reviewed golden file (tests/corpus/expected.txt) with every seawall
//!    finding; `SEAWALL_BLESS=1` rewrites it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use seawall_dockerfile::{lint_file, rules, Config};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn corpus_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|x| x.to_str()) == Some("Dockerfile"))
        .collect();
    v.sort();
    v
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn corpus_has_at_least_30_files() {
    assert!(corpus_files().len() >= 30, "{}", corpus_files().len());
}

#[test]
fn corpus_golden() {
    let mut out = String::new();
    for f in corpus_files() {
        for m in lint_file(&f, &Config::default()).unwrap() {
            out.push_str(&format!(
                "{}:{} {} {} {}\n",
                name(&f),
                m.line,
                m.id,
                m.severity,
                m.message
            ));
        }
    }
    let path = corpus_dir().join("expected.txt");
    if std::env::var("SEAWALL_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &out).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != out {
        let e: BTreeSet<&str> = expected.lines().collect();
        let a: BTreeSet<&str> = out.lines().collect();
        let gone: Vec<_> = e.difference(&a).collect();
        let new: Vec<_> = a.difference(&e).collect();
        panic!("corpus findings changed (SEAWALL_BLESS=1 after review)\nremoved: {gone:#?}\nadded: {new:#?}");
    }
}

/// `file:line:code` -> reason.
fn disagreements() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(corpus_dir().join("hadolint-disagreements.txt")).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (key, reason) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            assert!(
                !reason.trim().is_empty(),
                "disagreement {key} has no reason"
            );
            (key.to_string(), reason.trim().to_string())
        })
        .collect()
}

#[test]
fn seawall_covers_every_hadolint_finding() {
    if !seawall_testutil::require_tool("seawall_covers_every_hadolint_finding", "hadolint") {
        return;
    }
    let files = corpus_files();
    let out = Command::new("hadolint")
        .args(["--format", "json", "--no-fail"])
        .args(&files)
        .output()
        .expect("run hadolint");
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "hadolint json: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut ours: BTreeMap<String, BTreeSet<(u32, String)>> = BTreeMap::new();
    for f in &files {
        let set = ours.entry(name(f)).or_default();
        for m in lint_file(f, &Config::default()).unwrap() {
            set.insert((m.line, m.id));
        }
    }
    let allowed = disagreements();
    let mut used = BTreeSet::new();
    let mut missing = Vec::new();
    let mut matched = 0;
    let mut dl_total = 0;
    for h in found.as_array().unwrap() {
        let code = h["code"].as_str().unwrap_or("");
        if code.starts_with("SC") {
            continue;
        }
        dl_total += 1;
        let file = name(Path::new(h["file"].as_str().unwrap_or("")));
        let line = h["line"].as_u64().unwrap_or(0) as u32;
        let key = format!("{file}:{line}:{code}");
        if allowed.contains_key(&key) {
            used.insert(key);
            continue;
        }
        let Some(rule) = rules::by_hadolint(code) else {
            missing.push(format!("{key} (no seawall rule maps {code})"));
            continue;
        };
        let hit = ours
            .get(&file)
            .is_some_and(|s| s.contains(&(line, rule.id.to_string())));
        if hit {
            matched += 1;
        } else {
            missing.push(format!(
                "{key} -> {} not reported: {}",
                rule.id,
                h["message"].as_str().unwrap_or("")
            ));
        }
    }
    let stale: Vec<&String> = allowed.keys().filter(|k| !used.contains(*k)).collect();
    eprintln!(
        "hadolint DL findings: {dl_total}, matched by seawall: {matched}, listed disagreements: {}",
        used.len()
    );
    assert!(
        missing.is_empty(),
        "hadolint findings seawall misses:\n{}",
        missing.join("\n")
    );
    assert!(
        stale.is_empty(),
        "disagreements no longer reported by hadolint: {stale:?}"
    );
    assert!(
        dl_total > 60,
        "corpus should exercise hadolint ({dl_total} DL findings)"
    );
}
