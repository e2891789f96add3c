//! Acceptance: every upstream Pod Security Admission fixture, at every level
//! and policy version, gets exactly PSA's decision, and rejections name the
//! check the fixture was written for.

use std::path::Path;

use seawall_k8s::yaml;
use seawall_k8s::{check_str, evaluate_pod_spec, Options, PssSpec};

fn check_prefix(file_stem: &str) -> String {
    file_stem
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .to_string()
}

#[test]
fn psa_fixtures_all_levels_all_versions() {
    let Some(dir) =
        seawall_testutil::shared_path("psa_fixtures_all_levels_all_versions", "testdata/psa")
    else {
        return;
    };
    let mut total = 0usize;
    let mut failures = Vec::new();
    for level in ["baseline", "restricted"] {
        for minor in 0..=37u32 {
            let vdir = dir.join(level).join(format!("v1.{minor}"));
            let spec: PssSpec = format!("{level}:v1.{minor}").parse().unwrap();
            for outcome in ["pass", "fail"] {
                let d = vdir.join(outcome);
                let mut entries: Vec<_> = std::fs::read_dir(&d)
                    .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .collect();
                entries.sort();
                for path in entries {
                    total += 1;
                    if let Some(msg) = check_one(&path, &spec, outcome == "fail") {
                        failures.push(msg);
                    }
                }
            }
        }
    }
    assert_eq!(total, 4537, "fixture count changed");
    assert!(
        failures.is_empty(),
        "{} of {total} fixtures wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn check_one(path: &Path, spec: &PssSpec, expect_reject: bool) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let docs = match yaml::load(&path.display().to_string(), &text) {
        Ok(d) => d,
        Err(e) => return Some(format!("{}: {e}", path.display())),
    };
    let doc = docs.first()?;
    let r = evaluate_pod_spec(&doc.value["metadata"], &doc.value["spec"], spec);
    let stem = path.file_stem()?.to_str()?;
    // The same pod as a Deployment's template, through the manifest path
    // (JSON text this time): same decision.
    let deployment = serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": stem},
        "spec": {"template": {"metadata": doc.value["metadata"], "spec": doc.value["spec"]}},
    });
    let opts = Options {
        pss: Some(*spec),
        ..Options::default()
    };
    match check_str("deploy.json", &deployment.to_string(), &opts) {
        Ok(ms) if ms.is_empty() == r.allowed => {}
        Ok(ms) => {
            return Some(format!(
                "{} [{spec}] as Deployment: {} findings, pod allowed={}",
                path.display(),
                ms.len(),
                r.allowed
            ))
        }
        Err(e) => return Some(format!("{} as Deployment: {e}", path.display())),
    }
    if expect_reject {
        if r.allowed {
            return Some(format!(
                "{} [{spec}]: accepted, expected rejection",
                path.display()
            ));
        }
        let want = check_prefix(stem);
        // A restricted check that replaces a baseline one (restrictedVolumes
        // for hostPathVolumes...) reports under its own id.
        let names_check = |id: &str| {
            id.to_ascii_lowercase() == want
                || seawall_k8s::pss::check_info(id)
                    .is_some_and(|c| c.overrides.iter().any(|o| o.to_ascii_lowercase() == want))
        };
        if !r.violations.iter().any(|v| names_check(v.check)) {
            return Some(format!(
                "{} [{spec}]: rejected by {:?}, expected check {want}",
                path.display(),
                r.reasons()
            ));
        }
    } else if !r.allowed {
        return Some(format!(
            "{} [{spec}]: rejected: {:?}",
            path.display(),
            r.reasons()
        ));
    }
    None
}
