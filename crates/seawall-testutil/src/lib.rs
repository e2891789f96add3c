//! Test helpers shared by the workspace (dev-dependency only).
//!
//! The shared material (`../shared` beside the checkout) is read-only test
//! data. A test that needs it calls [`shared_dir`]: under `CI=true` a missing
//! folder is a failure, elsewhere the test prints a visible skip message and
//! returns early.

pub mod planted;
pub mod registry;

use std::path::{Path, PathBuf};

/// Root of the repository checkout.
pub fn repo_root() -> PathBuf {
    // crates/seawall-testutil -> repo root
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .expect("crate lives two levels below the repo root")
        .to_path_buf()
}

/// True when running in CI (`CI=true`).
pub fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

/// The `../shared` folder (or `$SEAWALL_SHARED`), or `None` with a printed
/// skip message. Panics under `CI=true` when it is missing.
pub fn shared_dir(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("SEAWALL_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("..").join("shared"));
    if dir.is_dir() {
        return Some(dir);
    }
    if in_ci() {
        panic!("{test}: shared test data missing at {}", dir.display());
    }
    eprintln!(
        "SKIPPED {test}: shared test data not found at {} (set SEAWALL_SHARED)",
        dir.display()
    );
    None
}

/// Like [`shared_dir`] but for a sub-path, e.g. `testdata/psa`.
pub fn shared_path(test: &str, sub: &str) -> Option<PathBuf> {
    let p = shared_dir(test)?.join(sub);
    if p.exists() {
        return Some(p);
    }
    if in_ci() {
        panic!("{test}: shared test data missing at {}", p.display());
    }
    eprintln!("SKIPPED {test}: {} not found", p.display());
    None
}

/// The three upstream Falco rules files in load order (stable, incubating,
/// sandbox), from `../shared/rules/falco` (see [`shared_path`]).
pub fn falco_rules(test: &str) -> Option<Vec<PathBuf>> {
    let dir = shared_path(test, "rules/falco")?;
    Some(
        [
            "falco_rules.yaml",
            "falco-incubating_rules.yaml",
            "falco-sandbox_rules.yaml",
        ]
        .iter()
        .map(|f| dir.join(f))
        .collect(),
    )
}

/// Whether a system tool is on PATH. Under `CI=true` a missing tool that a
/// test needs is a failure (CI installs everything); elsewhere the test skips
/// with a message.
pub fn require_tool(test: &str, tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    if found {
        return true;
    }
    if in_ci() {
        panic!("{test}: required tool `{tool}` is not installed");
    }
    eprintln!("SKIPPED {test}: `{tool}` not installed");
    false
}

/// True when running as root (needed for eBPF and container tests).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Runs `c` and returns its output; panics naming the command, its status,
/// stdout and stderr when it fails.
pub fn run_ok(mut c: std::process::Command) -> std::process::Output {
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("{c:?}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{c:?} failed: {}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `podman --runtime runc build` of `ctx` as `reference`, with the flags
/// this kernel needs (runc, host network, ulimits) and `extra` arguments
/// before the context.
pub fn podman_build(reference: &str, ctx: &Path, extra: &[&str]) {
    let mut c = std::process::Command::new("podman");
    c.args(["--runtime", "runc", "build", "--network", "host"])
        .args([
            "--ulimit",
            "nofile=1024:1024",
            "--ulimit",
            "nproc=1024:1024",
        ])
        .args(extra)
        .args(["-t", reference])
        .arg(ctx);
    run_ok(c);
}
