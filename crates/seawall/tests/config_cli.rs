//! `seawall config` end to end: file discovery, formats, filters, exit
//! codes, config file, errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

static N: AtomicUsize = AtomicUsize::new(0);

struct TempDir(PathBuf);
impl TempDir {
    fn new() -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "seawall-config-cli-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn seawall(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seawall"))
        .arg("config")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const BAD: &str =
    "FROM ubuntu:latest\nRUN curl -fsSL https://get.example.sh | sh\nRUN chmod 777 /srv\n";
const CLEAN: &str = "FROM debian:12.7\nUSER 10001\nCMD [\"true\"]\n";

fn project() -> TempDir {
    let t = TempDir::new();
    t.write("Dockerfile", BAD);
    t.write("svc/api.Dockerfile", CLEAN);
    t.write("svc/Containerfile", CLEAN);
    t.write(
        "svc/Dockerfile.prod",
        "FROM alpine:3.20\nRUN apk add curl\nUSER 1000\n",
    );
    t.write("docs/notes.md", "FROM nothing\n");
    t.write(".git/Dockerfile", "FROM hidden\n");
    t.write("node_modules/x/Dockerfile", "FROM skipped\n");
    t
}

#[test]
fn walks_directories_and_picks_dockerfiles() {
    let t = project();
    let o = seawall(&["--format", "json", "."], &t.0);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let files: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        vec![
            "./Dockerfile",
            "./svc/Containerfile",
            "./svc/Dockerfile.prod",
            "./svc/api.Dockerfile"
        ]
    );
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    for id in [
        "SW-DF-002",
        "SW-DF-062",
        "SW-DF-064",
        "SW-DF-018",
        "SW-DF-019",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let f = &v["findings"][0];
    assert_eq!(f["file"], "./Dockerfile");
    assert!(f["references"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "hadolint:DL3007"));
}

#[test]
fn table_is_the_default_and_names_rules() {
    let t = project();
    let o = seawall(&["Dockerfile"], &t.0);
    let s = stdout(&o);
    assert!(
        s.contains("SW-DF-062") && s.contains("Remote script piped to a shell"),
        "{s}"
    );
    assert!(s.contains("fix:"), "{s}");
}

#[test]
fn severity_filter_and_exit_code() {
    let t = project();
    let o = seawall(
        &[
            "--format",
            "json",
            "--severity",
            "CRITICAL,HIGH",
            "--exit-code",
            "3",
            "Dockerfile",
        ],
        &t.0,
    );
    assert_eq!(o.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for f in v["findings"].as_array().unwrap() {
        assert!(
            matches!(f["severity"].as_str(), Some("HIGH") | Some("CRITICAL")),
            "{f}"
        );
    }
    // Nothing left after filtering: exit 0 even with --exit-code.
    let o = seawall(
        &[
            "--severity",
            "CRITICAL",
            "--exit-code",
            "3",
            "svc/api.Dockerfile",
        ],
        &t.0,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn config_file_disables_and_overrides() {
    let t = project();
    t.write(
        "seawall.toml",
        "disable = [\"SW-DF-062\"]\n[severity]\n\"SW-DF-064\" = \"CRITICAL\"\n",
    );
    let o = seawall(
        &["--format", "json", "--config", "seawall.toml", "Dockerfile"],
        &t.0,
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = v["findings"].as_array().unwrap();
    assert!(!f.iter().any(|m| m["id"] == "SW-DF-062"));
    assert!(f
        .iter()
        .any(|m| m["id"] == "SW-DF-064" && m["severity"] == "CRITICAL"));
    t.write("broken.toml", "disable = 3\n");
    let o = seawall(&["--config", "broken.toml", "Dockerfile"], &t.0);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("broken.toml"));
}

#[test]
fn sarif_and_junit_to_output_file() {
    let t = project();
    let o = seawall(
        &["--format", "sarif", "-o", "out.sarif", "Dockerfile"],
        &t.0,
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t.0.join("out.sarif")).unwrap()).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .any(|r| r["ruleId"] == "SW-DF-062" && r["level"] == "error"));
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "Dockerfile"
    );
    let o = seawall(&["--format", "junit", "--output", "out.xml", "."], &t.0);
    assert_eq!(o.status.code(), Some(0));
    let x = std::fs::read_to_string(t.0.join("out.xml")).unwrap();
    assert!(
        x.starts_with("<?xml") && x.contains("<testsuite name=\"./svc/api.Dockerfile\""),
        "{x}"
    );
}

#[test]
fn malformed_file_is_reported_and_exit_is_2() {
    let t = project();
    t.write(
        "broken/Dockerfile",
        "FROM debian:12\nRUN <<EOF\necho never closed\n",
    );
    let o = seawall(&["--format", "json", "."], &t.0);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("broken/Dockerfile: line 2: unterminated heredoc"),
        "{err}"
    );
    // The other files are still checked and reported.
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["errors"][0]["file"], "./broken/Dockerfile");
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == "SW-DF-062"));
    let o = seawall(&["missing/Dockerfile"], &t.0);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bad_flags_are_rejected() {
    let t = project();
    let o = seawall(&["--format", "xml", "."], &t.0);
    assert_eq!(o.status.code(), Some(2));
    let o = seawall(&["--severity", "SEVERE", "."], &t.0);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn kubernetes_manifests_are_checked_too() {
    let t = project();
    t.write(
        "k8s/pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx:1.27\n    securityContext:\n      privileged: true\n",
    );
    t.write("k8s/package.json", "{\"name\": \"not-k8s\"}\n");
    let o = seawall(&["--format", "json", "."], &t.0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let files: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"./k8s/pod.yaml"),
        "{files:?} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let k8s: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["file"] == "./k8s/pod.yaml")
        .collect();
    assert!(!k8s.is_empty());
    // --pss alone: only Pod Security Standards checks.
    let o = seawall(
        &["--format", "json", "--pss", "baseline", "k8s/pod.yaml"],
        &t.0,
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(
        !ids.is_empty() && ids.iter().all(|i| i.starts_with("PSS-")),
        "{ids:?}"
    );
    let o = seawall(&["--pss", "extreme", "k8s/pod.yaml"], &t.0);
    assert_eq!(o.status.code(), Some(2));
}
