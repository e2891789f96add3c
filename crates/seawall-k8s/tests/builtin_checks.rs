//! Each built-in check has a fixture that fires and one that stays silent
//! (`tests/fixtures/builtin/<ID>/{fire,silent}.yaml`). Silent fixtures are
//! fully hardened: they must produce no built-in finding at all.

use std::path::PathBuf;

use seawall_k8s::{builtin, check_file, Options};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/builtin")
}

fn opts() -> Options {
    Options {
        builtin_checks: true,
        ..Options::default()
    }
}

#[test]
fn every_builtin_rule_fires_and_stays_silent() {
    let mut problems = Vec::new();
    for rule in builtin::RULES {
        if rule.id == "SW-K8S-017" {
            continue; // expired waivers: covered by tests/manifests.rs
        }
        let dir = fixtures().join(rule.id);
        let fire = check_file(&dir.join("fire.yaml"), &opts())
            .unwrap_or_else(|e| panic!("{}: {e}", rule.id));
        match fire.iter().find(|m| m.id == rule.id) {
            None => problems.push(format!("{}: fire.yaml did not fire: {fire:#?}", rule.id)),
            Some(m) => {
                if m.line == 0 || m.message.is_empty() || m.fix.is_empty() || m.docs.is_none() {
                    problems.push(format!("{}: incomplete finding {m:#?}", rule.id));
                }
            }
        }
        let silent = check_file(&dir.join("silent.yaml"), &opts())
            .unwrap_or_else(|e| panic!("{}: {e}", rule.id));
        if !silent.is_empty() {
            problems.push(format!(
                "{}: silent.yaml produced {:?}",
                rule.id,
                silent
                    .iter()
                    .map(|m| format!("{} line {}: {}", m.id, m.line, m.message))
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn findings_point_at_the_offending_line() {
    let ms = check_file(&fixtures().join("SW-K8S-001/fire.yaml"), &opts()).unwrap();
    let m = ms.iter().find(|m| m.id == "SW-K8S-001").unwrap();
    // `hostPath: {path: /var/run/docker.sock}` is line 12 of the fixture.
    assert_eq!(m.line, 12);
    assert_eq!(m.object.as_deref(), Some("Deployment/web"));
    let ms = check_file(&fixtures().join("SW-K8S-005/fire.yaml"), &opts()).unwrap();
    let m = ms.iter().find(|m| m.id == "SW-K8S-005").unwrap();
    assert_eq!(m.line, 13);
    assert_eq!(m.object.as_deref(), Some("Deployment/web (container app)"));
}

#[test]
fn pss_alone_runs_only_pss_checks() {
    let o = Options {
        pss: Some("baseline".parse().unwrap()),
        ..Options::default()
    };
    let ms = check_file(&fixtures().join("SW-K8S-002/fire.yaml"), &o).unwrap();
    assert!(!ms.is_empty());
    assert!(ms.iter().all(|m| m.id.starts_with("PSS-")), "{ms:#?}");
    assert_eq!(ms[0].id, "PSS-hostPathVolumes");
}
