//! Test helper: a debootstrap'd Debian bookworm minbase root, built once and
//! cached under /var/cache/seawall-test-roots/bookworm-minbase/<VERSION>/root.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Bump to rebuild the cached root. `SEAWALL_TEST_ROOTS` overrides the
/// cache directory (default /var/cache/seawall-test-roots/bookworm-minbase).
pub const ROOT_VERSION: &str = "v1";
const CACHE: &str = "/var/cache/seawall-test-roots/bookworm-minbase";

/// The Debian mirror apt is configured with here (deb822 `.sources` or
/// one-line `.list`), else deb.debian.org.
pub fn apt_mirror() -> String {
    let mut texts = Vec::new();
    if let Ok(t) = std::fs::read_to_string("/etc/apt/sources.list") {
        texts.push(t);
    }
    if let Ok(rd) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut paths: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let name = p.to_string_lossy().to_string();
            if name.ends_with(".sources") || name.ends_with(".list") {
                if let Ok(t) = std::fs::read_to_string(&p) {
                    texts.push(t);
                }
            }
        }
    }
    for t in &texts {
        for line in t.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            let candidates: Vec<&str> = if let Some(rest) = line.strip_prefix("URIs:") {
                rest.split_whitespace().collect()
            } else if line.starts_with("deb ") {
                line.split_whitespace()
                    .filter(|w| w.starts_with("http"))
                    .collect()
            } else {
                vec![]
            };
            for u in candidates {
                if u.contains("debian") && !u.contains("security") {
                    return u.trim_end_matches('/').to_string();
                }
            }
        }
    }
    "http://deb.debian.org/debian".to_string()
}

/// The cached root, building it when missing. `None` (with a visible skip
/// message) outside CI when not root or debootstrap is missing; under
/// `CI=true` those are failures.
pub fn bookworm_root(test: &str) -> Option<PathBuf> {
    // Tests of one binary run in parallel threads: build once.
    static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let cache = std::env::var_os("SEAWALL_TEST_ROOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(CACHE));
    let dir = cache.join(ROOT_VERSION);
    let root = dir.join("root");
    if dir.join("complete").is_file() && root.is_dir() {
        return Some(root);
    }
    if !seawall_testutil::is_root() {
        if seawall_testutil::in_ci() {
            panic!("{test}: building the bookworm root needs root");
        }
        eprintln!(
            "SKIPPED {test}: not root, cannot debootstrap (and no cached root at {})",
            root.display()
        );
        return None;
    }
    if !seawall_testutil::require_tool(test, "debootstrap") {
        return None;
    }
    std::fs::create_dir_all(&dir).expect("create cache dir");
    // A per-process temporary root, renamed into place: two processes
    // building at once both succeed, one rename wins.
    let tmp = dir.join(format!("root.tmp.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let mirror = apt_mirror();
    eprintln!(
        "{test}: debootstrap --variant=minbase bookworm {} {mirror}",
        tmp.display()
    );
    let st = Command::new("debootstrap")
        .args(["--variant=minbase", "bookworm"])
        .arg(&tmp)
        .arg(&mirror)
        .status()
        .expect("run debootstrap");
    assert!(st.success(), "{test}: debootstrap failed: {st}");
    if dir.join("complete").is_file() && root.is_dir() {
        let _ = std::fs::remove_dir_all(&tmp);
        return Some(root);
    }
    let _ = std::fs::remove_dir_all(&root);
    std::fs::rename(&tmp, &root).expect("move root into place");
    std::fs::write(dir.join("complete"), format!("{ROOT_VERSION} {mirror}\n")).expect("marker");
    Some(root)
}

/// Every entry under `root` (not following symlinks), with its path relative
/// to root, depth-first in sorted order.
pub fn walk(root: &Path) -> Vec<(String, std::fs::Metadata)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            let Ok(md) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            let rel = p
                .strip_prefix(root)
                .map(|r| r.to_string_lossy().to_string())
                .unwrap_or_default();
            if md.is_dir() {
                stack.push(p.clone());
            }
            out.push((rel, md));
        }
    }
    out
}
