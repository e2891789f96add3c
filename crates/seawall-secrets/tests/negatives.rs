//! Near misses that must not be reported: documentation placeholders,
//! variable references, key headers without a body, tokens of the wrong
//! shape.

use seawall_secrets::SecretScanner;

#[test]
fn placeholders_and_references_are_not_secrets() {
    let s = SecretScanner::builtin();
    let cases = [
        format!("aws_access_key_id = {}{}", "AKIA", "IOSFODNN7EXAMPLE"),
        format!(
            "aws_secret_access_key = {}",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ),
        "password = ${DB_PASSWORD}".to_string(),
        "DATABASE_URL=postgres://user:password@db:5432/app".to_string(),
        "DATABASE_URL=postgres://app:$(cat /run/secrets/db)@db/app".to_string(),
        "DATABASE_URL=mysql://root:%s@%s/%s".to_string(),
        "api_key: your_api_key_here".to_string(),
        "token = os.environ['TOKEN']".to_string(),
        "secret_key = 'xxxxxxxxxxxxxxxxxxxxxxxx'".to_string(),
        "-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----".to_string(),
        "pem = \"-----BEGIN PRIVATE KEY-----\" + body".to_string(),
        format!("{}{}", "ghp_", "short"),
        format!(
            "Authorization: Bearer {}.{}.{}",
            "eyJub3RhbGciOjF9", "eyJzdWIiOiIxMjM0NTY3ODkwIn0", "c2lnbmF0dXJlLXBhcnQtaGVyZQ"
        ),
        "{\"auths\": {\"r.io\": {\"auth\": \"bm90LWEtY3JlZGVudGlhbA==\"}}}".to_string(),
        "password: hunter".to_string(),
        "session_token_ttl = 3600000000000".to_string(),
        "PASSWORD_HASH_ALGORITHM=argon2id-v19-m65536".to_string(),
        "url = https://user:pass@example.com/repo".to_string(),
    ];
    for c in &cases {
        let found = s.scan("app/settings.conf", c.as_bytes());
        assert!(
            found.is_empty(),
            "{c:?} gave {:?}",
            found.iter().map(|m| &m.rule_id).collect::<Vec<_>>()
        );
    }
}

#[test]
fn code_identifiers_are_not_generic_secrets() {
    let s = SecretScanner::builtin();
    let cases = [
        ("src/lib.rs", "pub token_create: bpf_token_create_opts2,"),
        (
            "src/win.rs",
            "pub const MsV1_0LookupToken: MSV1_0_PROTOCOL_MESSAGE_TYPE = 1;",
        ),
        (
            "app/x.py",
            "credentials: oauth2client.client.OAuth2Credentials",
        ),
        (
            "app/x.py",
            "'service_account_token': 'V1ServiceAccountTokenProjection',",
        ),
        ("app/x.go", "secret := getSecretFromVault2(ctx)"),
    ];
    for (p, c) in cases {
        let found = s.scan(p, c.as_bytes());
        assert!(
            found.is_empty(),
            "{c:?} gave {:?}",
            found.iter().map(|m| &m.rule_id).collect::<Vec<_>>()
        );
    }
}

#[test]
fn context_rules_skip_library_doc_and_test_trees_but_token_rules_do_not() {
    let s = SecretScanner::builtin();
    let generic = b"client_secret: \"q8Zr2Lk5Vx9Tn3Bw7Hy4Md6Pf1Gs0Jc\"\n";
    assert_eq!(s.scan("app/config.yaml", generic).len(), 1);
    for p in [
        "usr/lib/python3/dist-packages/oauthlib/params.py",
        "usr/local/lib/python3.12/site-packages/x/y.yaml",
        "app/node_modules/pkg/config.yaml",
        "app/tests/config.yaml",
        "app/README.md",
    ] {
        assert!(s.scan(p, generic).is_empty(), "{p}");
    }
    let token = format!("x = {}{}\n", "ghp_", "Xy7Kp2Lm9Qr4St6Uv8Wx0Ab3Cd5Ef1Gh2Ij4");
    assert_eq!(
        s.scan("usr/lib/python3/dist-packages/x.py", token.as_bytes())
            .len(),
        1
    );
}
