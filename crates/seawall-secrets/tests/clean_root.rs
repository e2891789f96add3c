//! Acceptance: a clean Debian bookworm minbase root gives zero secret
//! findings, and the file audit finds no setuid binary beyond the defaults
//! and no world-writable directory without sticky bit.

mod common;

use std::os::unix::fs::MetadataExt;

use seawall_secrets::{FileAudit, ImageFile, SecretScanner};
use seawall_types::OsInfo;

#[test]
fn bookworm_minbase_has_no_secret_findings() {
    let Some(root) = common::bookworm_root("bookworm_minbase_has_no_secret_findings") else {
        return;
    };
    let scanner = SecretScanner::builtin();
    let mut findings = Vec::new();
    let (mut files, mut scanned, mut bytes) = (0usize, 0usize, 0u64);
    for (rel, md) in common::walk(&root) {
        if !md.is_file() {
            continue;
        }
        files += 1;
        if !scanner.wants(&rel, md.len()) {
            continue;
        }
        let data = std::fs::read(root.join(&rel)).expect("read file");
        scanned += 1;
        bytes += data.len() as u64;
        findings.extend(scanner.scan(&rel, &data));
    }
    eprintln!("bookworm minbase: {files} files, {scanned} scanned, {bytes} bytes");
    assert!(files > 3000, "root looks incomplete: {files} files");
    assert!(scanned > 1000, "too few files scanned: {scanned}");
    for f in &findings {
        eprintln!(
            "FALSE POSITIVE {} {}:{} {}",
            f.rule_id, f.path, f.line, f.context
        );
    }
    assert!(findings.is_empty(), "{} false positives", findings.len());
}

#[test]
fn bookworm_minbase_file_audit_only_reports_shell_and_package_manager() {
    let Some(root) =
        common::bookworm_root("bookworm_minbase_file_audit_only_reports_shell_and_package_manager")
    else {
        return;
    };
    let os = OsInfo {
        family: "debian".into(),
        version: "12".into(),
        codename: Some("bookworm".into()),
        pretty_name: None,
    };
    let mut audit = FileAudit::new(Some(&os));
    for (rel, md) in common::walk(&root) {
        audit.observe(&ImageFile {
            path: &rel,
            mode: md.mode(),
            size: md.len(),
            uid: md.uid(),
            gid: md.gid(),
            is_dir: md.is_dir(),
            is_symlink: md.file_type().is_symlink(),
        });
    }
    let found = audit.finish(&[]);
    let ids: Vec<&str> = found.iter().map(|m| m.id.as_str()).collect();
    for m in &found {
        eprintln!("{} {:?} {}", m.id, m.object, m.message);
    }
    assert_eq!(ids, vec!["SW-IMG-013", "SW-IMG-014"]);
}
