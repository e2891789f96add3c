//! `seawall rules validate|list` and `seawall runtime replay`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn seawall() -> Command {
    Command::new(env!("CARGO_BIN_EXE_seawall"))
}

fn upstream() -> Option<Vec<PathBuf>> {
    seawall_testutil::falco_rules("rules_cli")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../seawall-rules/tests/events")
        .join(name)
}

#[test]
fn validate_upstream_prints_counts() {
    let Some(files) = upstream() else { return };
    let out = seawall()
        .arg("rules")
        .arg("validate")
        .args(&files)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("93 rules"), "{stdout}");
    assert!(stdout.contains("macros"), "{stdout}");
    assert!(stdout.contains("lists"), "{stdout}");
}

#[test]
fn validate_reports_positioned_errors() {
    let dir = std::env::temp_dir().join(format!("seawall-rules-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(
        &bad,
        "- rule: R\n  desc: d\n  condition: evt.type = open and (proc.name = x\n  output: o\n  priority: INFO\n",
    )
    .unwrap();
    let out = seawall()
        .args(["rules", "validate"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.yaml:3:"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn list_shows_rules() {
    let Some(files) = upstream() else { return };
    let out = seawall()
        .args(["rules", "list"])
        .arg(&files[0])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 25, "{stdout}");
    assert!(
        stdout.contains("Terminal shell in container\tNotice"),
        "{stdout}"
    );
}

#[test]
fn replay_fires_json_alerts() {
    let Some(files) = upstream() else { return };
    let out = seawall()
        .args(["runtime", "replay"])
        .arg(fixture("terminal_shell_in_container.fire.jsonl"))
        .arg("--rules")
        .args(&files)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let alerts: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        alerts
            .iter()
            .any(|a| a["rule"] == "Terminal shell in container"),
        "{stdout}"
    );
    for a in &alerts {
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
            assert!(a.get(k).is_some(), "{k} missing in {a}");
        }
    }
    // near miss: nothing from that rule; priority threshold filters the rest
    let out = seawall()
        .args(["runtime", "replay"])
        .arg(fixture("terminal_shell_in_container.miss.jsonl"))
        .arg("--rules")
        .args(&files)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Terminal shell"));
    let out = seawall()
        .args(["runtime", "replay"])
        .arg(fixture("terminal_shell_in_container.fire.jsonl"))
        .arg("--rules")
        .args(&files)
        .args(["--rule", "Terminal shell in container"])
        .args(["--min-priority", "critical", "--exit-code", "3"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "Notice rule filtered by critical threshold"
    );
    let out = seawall()
        .args(["runtime", "replay"])
        .arg(fixture("terminal_shell_in_container.fire.jsonl"))
        .arg("--rules")
        .args(&files)
        .args(["--rule", "Terminal shell in container", "--exit-code", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn replay_rejects_bad_events_with_line() {
    let Some(files) = upstream() else { return };
    let dir = std::env::temp_dir().join(format!("seawall-replay-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, "{\"kind\":\"host\",\"hostname\":\"h\"}\nnot json\n").unwrap();
    let out = seawall()
        .args(["runtime", "replay"])
        .arg(&bad)
        .arg("--rules")
        .args(&files[..1])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.jsonl:2:"));
    std::fs::remove_dir_all(&dir).ok();
}
