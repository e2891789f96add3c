//! The YAML custom rules file: add, disable, allow-list, size cap, errors.

use seawall_secrets::SecretScanner;

fn acme_token() -> String {
    format!("{}{}", "acme_", "k3J9x2Qm7Lp4Vn8Rt6Wy1Zb5Hc0Df3Gs")
}

#[test]
fn custom_rule_is_added_and_found() {
    let yaml = r#"
rules:
  - id: acme-api-token
    category: Acme
    title: Acme API token
    severity: CRITICAL
    keywords: [acme_]
    regex: 'acme_(?P<secret>[A-Za-z0-9]{32})'
    min-entropy: 3.0
"#;
    let s = SecretScanner::from_yaml(yaml, "acme.yaml").unwrap();
    assert!(s.rule_ids().contains(&"acme-api-token"));
    let data = format!("x = 1\nACME={}\n", acme_token());
    let found = s.scan("app/.env", data.as_bytes());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule_id, "acme-api-token");
    assert_eq!(found[0].category, "Acme");
    assert_eq!(found[0].line, 2);
    assert_eq!(found[0].severity, seawall_types::Severity::Critical);
    assert!(!found[0].context.contains(&acme_token()[5..]));
    // The builtin scanner does not know it.
    assert!(SecretScanner::builtin()
        .scan("app/.env", data.as_bytes())
        .is_empty());
}

#[test]
fn disable_rules_and_path_limited_custom_rules() {
    // Built from pieces so the source holds no whole token.
    let jwt = [
        "eyJhbGciOiJIUzI1NiJ9",
        "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
        "c2lnbmF0dXJlLXBhcnQtaGVyZQ",
    ]
    .join(".");
    let data = format!("Authorization: Bearer {jwt}\n");
    assert_eq!(
        SecretScanner::builtin()
            .scan("app/req.http", data.as_bytes())
            .len(),
        1
    );
    let s = SecretScanner::from_yaml("disable-rules: [jwt]\n", "d.yaml").unwrap();
    assert!(!s.rule_ids().contains(&"jwt"));
    assert!(s.scan("app/req.http", data.as_bytes()).is_empty());

    let yaml = r#"
rules:
  - id: internal-pin
    title: Internal PIN
    severity: LOW
    regex: 'PIN=(?P<secret>[0-9]{6})'
    path: '(^|/)pins\.conf$'
"#;
    let s = SecretScanner::from_yaml(yaml, "p.yaml").unwrap();
    assert_eq!(s.scan("etc/pins.conf", b"PIN=493817\n").len(), 1);
    assert!(s.scan("etc/other.conf", b"PIN=493817\n").is_empty());
}

#[test]
fn allow_rules_by_path_and_by_value_and_disabling_builtin_allow_rules() {
    let token = format!("{}{}", "ghp_", "Xy7Kp2Lm9Qr4St6Uv8Wx0Ab3Cd5Ef1Gh2Ij4");
    let data = format!("token: {token}\n");
    let yaml = r#"
allow-rules:
  - id: vendored
    description: vendored fixtures
    path: '^opt/vendor/'
  - id: known-revoked
    regex: 'Xy7Kp2Lm9Qr4'
    path: '^srv/'
"#;
    let s = SecretScanner::from_yaml(yaml, "a.yaml").unwrap();
    assert!(!s.wants("opt/vendor/x/config", 100));
    assert!(s.scan("opt/vendor/x/config", data.as_bytes()).is_empty());
    assert!(s.scan("srv/app/config", data.as_bytes()).is_empty());
    assert_eq!(s.scan("etc/app/config", data.as_bytes()).len(), 1);

    // /usr/share/doc is allow-listed by default, and can be re-enabled.
    assert!(SecretScanner::builtin()
        .scan("usr/share/doc/x/README", data.as_bytes())
        .is_empty());
    let s =
        SecretScanner::from_yaml("disable-allow-rules: [doc-and-man-pages]\n", "x.yaml").unwrap();
    assert_eq!(s.scan("usr/share/doc/x/README", data.as_bytes()).len(), 1);
}

#[test]
fn enable_builtin_rules_and_size_cap() {
    let s = SecretScanner::from_yaml(
        "enable-builtin-rules: [github-pat, aws-access-key-id]\nmax-file-size: 1000\n",
        "e.yaml",
    )
    .unwrap();
    assert_eq!(s.rule_ids(), vec!["aws-access-key-id", "github-pat"]);
    assert!(s.wants("a", 1000));
    assert!(!s.wants("a", 1001));
}

#[test]
fn with_custom_rules_reads_a_file_and_errors_name_the_file_and_problem() {
    let dir = std::env::temp_dir().join(format!("seawall-secrets-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("rules.yaml");
    std::fs::write(&good, "disable-rules: [jwt]\n").unwrap();
    assert!(SecretScanner::with_custom_rules(&good).is_ok());

    let missing = dir.join("nope.yaml");
    let e = SecretScanner::with_custom_rules(&missing)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("nope.yaml") && e.starts_with("cannot read secret rules file"),
        "{e}"
    );

    let bad_regex = dir.join("bad-regex.yaml");
    std::fs::write(
        &bad_regex,
        "rules:\n  - id: broken\n    title: t\n    severity: HIGH\n    regex: 'a(b'\n",
    )
    .unwrap();
    let e = SecretScanner::with_custom_rules(&bad_regex)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("\"broken\"") && e.contains("bad-regex.yaml") && e.contains("invalid regex"),
        "{e}"
    );

    let unknown = dir.join("unknown.yaml");
    std::fs::write(&unknown, "rulez: []\n").unwrap();
    let e = SecretScanner::with_custom_rules(&unknown)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown.yaml") && e.contains("rulez"), "{e}");

    let bad_sev = dir.join("sev.yaml");
    std::fs::write(
        &bad_sev,
        "rules:\n  - id: x\n    title: t\n    severity: SEVERE\n    regex: 'x'\n",
    )
    .unwrap();
    assert!(SecretScanner::with_custom_rules(&bad_sev).is_err());

    let dup = dir.join("dup.yaml");
    std::fs::write(
        &dup,
        "rules:\n  - id: github-pat\n    title: t\n    severity: HIGH\n    regex: 'x'\n",
    )
    .unwrap();
    let e = SecretScanner::with_custom_rules(&dup)
        .unwrap_err()
        .to_string();
    assert!(e.contains("defined twice"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
