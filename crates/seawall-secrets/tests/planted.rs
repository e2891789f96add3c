//! Acceptance: planted secrets of every builtin rule kind are found with the
//! right rule, on the right line, and never printed whole.
//!
//! The values are built at run time from pieces and a fixed pseudo-random
//! generator, so the repository holds no literal secret that would trip a
//! scanner, while each value has the real format.

use std::collections::BTreeSet;

use seawall_secrets::SecretScanner;

use seawall_testutil::planted::corpus;

#[test]
fn every_builtin_rule_has_a_planted_sample() {
    let scanner = SecretScanner::builtin();
    let planted: BTreeSet<&str> = corpus().iter().map(|c| c.0).collect();
    let missing: Vec<&str> = scanner
        .rule_ids()
        .into_iter()
        .filter(|id| !planted.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a planted sample: {missing:?}"
    );
    assert!(planted.len() >= 40, "{} kinds", planted.len());
}

#[test]
fn planted_secrets_are_found_with_the_right_rule_and_redacted() {
    let scanner = SecretScanner::builtin();
    let mut failures = Vec::new();
    for (id, path, content, secret) in corpus() {
        assert!(
            scanner.wants(&path, content.len() as u64),
            "{path} not wanted"
        );
        let found = scanner.scan(&path, content.as_bytes());
        let hit = found.iter().find(|m| m.rule_id == id);
        match hit {
            None => failures.push(format!(
                "{id}: not found in {path} (got {:?})",
                found.iter().map(|m| &m.rule_id).collect::<Vec<_>>()
            )),
            Some(m) => {
                // Findings point at the line where the match starts: the
                // BEGIN line of a key block, else the secret's line.
                let want = if id.starts_with("private-key") || id == "gcp-service-account" {
                    2
                } else {
                    let at = content.find(&secret).unwrap_or(0);
                    content[..at].matches('\n').count() as u32 + 1
                };
                if m.line != want {
                    failures.push(format!("{id}: line {} (want {want})", m.line));
                }
                println!("{id:30} {:>3} {:40} {}", m.line, m.redacted, m.context);
                if m.path != path {
                    failures.push(format!("{id}: path {}", m.path));
                }
            }
        }
        // Only the expected rule (a service account also holds a PKCS#8 key).
        let extra: Vec<&str> = found
            .iter()
            .map(|m| m.rule_id.as_str())
            .filter(|r| *r != id && !(id == "gcp-service-account" && *r == "private-key-pkcs8"))
            .collect();
        if !extra.is_empty() {
            failures.push(format!("{id}: extra findings {extra:?}"));
        }
        for m in &found {
            let s = &secret[..secret.len().min(40)];
            if m.redacted.contains(s) || m.context.contains(s) {
                failures.push(format!(
                    "{id}: secret printed: {} / {}",
                    m.redacted, m.context
                ));
            }
            if !m.redacted.contains('*') {
                failures.push(format!("{id}: redaction {:?} has no mask", m.redacted));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn all_planted_secrets_in_one_file_are_all_found() {
    let scanner = SecretScanner::builtin();
    let corpus = corpus();
    let mut all = String::new();
    for (id, _, content, _) in &corpus {
        // Path-limited rules only run on their file names.
        if matches!(
            *id,
            "pypirc-password" | "shadow-password-hash" | "netrc-password" | "htpasswd-hash"
        ) {
            continue;
        }
        all.push_str(content);
    }
    let found = scanner.scan("app/everything.txt", all.as_bytes());
    let ids: BTreeSet<&str> = found.iter().map(|m| m.rule_id.as_str()).collect();
    for (id, ..) in &corpus {
        if matches!(
            *id,
            "pypirc-password" | "shadow-password-hash" | "netrc-password" | "htpasswd-hash"
        ) {
            continue;
        }
        assert!(ids.contains(id), "{id} missing when mixed with the others");
    }
    // Lines are increasing and plausible.
    let total_lines = all.lines().count() as u32;
    assert!(found.iter().all(|m| m.line >= 1 && m.line <= total_lines));
}

/// The image-side flow on simulated layers: every planted file goes into
/// one of three layers; layer 1 whites out some layer-0 files, layer 2 makes
/// a layer-1 directory opaque. Every secret is found once per file with its
/// layer, and exactly the removed ones carry `deleted_in_layer`.
#[test]
fn layered_image_flow_marks_deleted_secrets() {
    use seawall_secrets::{mark_deleted, LayerWhiteouts};
    let scanner = SecretScanner::builtin();
    let corpus = corpus();
    let digests = ["sha256:l0", "sha256:l1", "sha256:l2"];
    // (layer index, path inside the layer, content, rule id)
    let mut files: Vec<(usize, String, String, &str)> = Vec::new();
    for (i, (id, path, content, _)) in corpus.iter().enumerate() {
        let layer = i % 3;
        // Layer 1 files live under srv/l1/ so layer 2 can make it opaque.
        let p = if layer == 1 {
            format!("srv/l1/{i}/{path}")
        } else {
            path.clone()
        };
        files.push((layer, p, content.clone(), id));
    }
    // Layer 1 deletes every other layer-0 file; layer 2 hides srv/l1.
    let mut entries: Vec<Vec<String>> =
        vec![vec![], vec![], vec!["srv/l1/.wh..wh..opq".to_string()]];
    let mut expect_deleted = std::collections::HashMap::new();
    for (n, (layer, path, _, _)) in files.iter().enumerate() {
        match layer {
            0 if n % 2 == 0 => {
                let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
                entries[1].push(if dir.is_empty() {
                    format!(".wh.{name}")
                } else {
                    format!("{dir}/.wh.{name}")
                });
                expect_deleted.insert(path.clone(), Some(digests[1]));
            }
            1 => {
                expect_deleted.insert(path.clone(), Some(digests[2]));
            }
            _ => {
                expect_deleted.insert(path.clone(), None);
            }
        }
    }
    let mut all = Vec::new();
    for (layer, path, content, _) in &files {
        assert!(scanner.wants(path, content.len() as u64));
        for mut m in scanner.scan(path, content.as_bytes()) {
            m.layer = Some(digests[*layer].to_string());
            all.push(m);
        }
    }
    let wh: Vec<LayerWhiteouts> = digests
        .iter()
        .zip(&entries)
        .map(|(d, e)| LayerWhiteouts::from_entries(d, e.iter().map(String::as_str)))
        .collect();
    mark_deleted(&mut all, &wh);
    let mut deleted = 0;
    for (layer, path, _, id) in &files {
        let m = all
            .iter()
            .find(|m| &m.path == path && m.rule_id == *id)
            .unwrap_or_else(|| panic!("{id} not found in {path}"));
        assert_eq!(m.layer.as_deref(), Some(digests[*layer]));
        assert_eq!(
            m.deleted_in_layer.as_deref(),
            expect_deleted[path],
            "{path}"
        );
        deleted += usize::from(m.deleted_in_layer.is_some());
    }
    assert!(deleted >= 20, "only {deleted} deleted secrets");
}
