//! The admission webhook's own manifests (`deploy/`) pass the restricted
//! Pod Security Standard and seawall's own checks, as issue #9 requires.

use std::process::Command;

#[test]
fn deploy_manifests_pass_pss_restricted() {
    let root = seawall_testutil::repo_root();
    let out = Command::new(env!("CARGO_BIN_EXE_seawall"))
        .args([
            "config",
            "--pss",
            "restricted",
            "--builtin",
            "--exit-code",
            "3",
            "--format",
            "json",
        ])
        .arg(root.join("deploy"))
        .output()
        .expect("run seawall");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("json report");
    let files = report["files"].as_array().map(Vec::len).unwrap_or(0);
    assert!(
        files >= 5,
        "expected the 5 deploy files to be checked: {report}"
    );
}
