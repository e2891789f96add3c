//! Every rule has a fixture that fires it and one that does not, and a
//! reviewed golden file (`fires.expected`) with everything seawall reports
//! for the firing fixture. Docs pages are generated from the rule table and
//! must match it. `SEAWALL_BLESS=1` rewrites golden files and docs.

use std::path::{Path, PathBuf};

use seawall_dockerfile::{lint_file, rules, Config, RULES};

fn bless() -> bool {
    std::env::var("SEAWALL_BLESS").is_ok_and(|v| v == "1")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

fn config_for(dir: &Path) -> Config {
    let p = dir.join("config.toml");
    if p.exists() {
        Config::load(&p).unwrap()
    } else {
        Config::default()
    }
}

fn render(findings: &[seawall_types::Misconfig]) -> String {
    findings
        .iter()
        .map(|m| {
            format!(
                "{}:{} {} {} {}\n",
                m.line, m.column, m.id, m.severity, m.message
            )
        })
        .collect()
}

fn check_golden(path: &Path, actual: &str, failures: &mut Vec<String>) {
    if bless() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(expected) if expected == actual => {}
        Ok(expected) => failures.push(format!(
            "{} differs (SEAWALL_BLESS=1 to accept)\n--- expected\n{expected}--- actual\n{actual}",
            path.display()
        )),
        Err(_) => failures.push(format!(
            "{} missing (SEAWALL_BLESS=1 to create)",
            path.display()
        )),
    }
}

#[test]
fn every_rule_fires_and_passes() {
    let mut failures = Vec::new();
    for r in RULES {
        let dir = fixtures().join(r.id);
        let cfg = config_for(&dir);
        let fires = dir.join("fires.Dockerfile");
        let passes = dir.join("passes.Dockerfile");
        if !fires.exists() || !passes.exists() {
            failures.push(format!(
                "{}: fires.Dockerfile and passes.Dockerfile required",
                r.id
            ));
            continue;
        }
        let got = lint_file(&fires, &cfg).unwrap();
        if !got.iter().any(|m| m.id == r.id) {
            failures.push(format!(
                "{}: does not fire on {}:\n{}",
                r.id,
                fires.display(),
                render(&got)
            ));
        }
        check_golden(&dir.join("fires.expected"), &render(&got), &mut failures);
        let got = lint_file(&passes, &cfg).unwrap();
        if got.iter().any(|m| m.id == r.id) {
            failures.push(format!(
                "{}: fires on {}:\n{}",
                r.id,
                passes.display(),
                render(&got)
            ));
        }
    }
    // No fixture directory without a rule.
    for e in std::fs::read_dir(fixtures()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if rules::rule(&name).is_none() {
            failures.push(format!("fixture directory {name} has no rule"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn docs_pages_match_rule_table() {
    let docs = seawall_testutil::repo_root().join("docs/rules/dockerfile");
    let mut failures = Vec::new();
    if bless() {
        std::fs::create_dir_all(&docs).unwrap();
    }
    for r in RULES {
        check_golden(
            &docs.join(format!("{}.md", r.id)),
            &rules::docs_page(r),
            &mut failures,
        );
    }
    check_golden(&docs.join("README.md"), &rules::docs_index(), &mut failures);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_why_fix_and_a_mapping_or_is_new() {
    for r in RULES {
        assert!(r.why.len() > 20 && r.fix.len() > 10, "{}", r.id);
        assert!(r.why.ends_with('.') && r.fix.ends_with('.'), "{}", r.id);
    }
}
