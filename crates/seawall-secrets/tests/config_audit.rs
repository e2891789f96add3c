//! Acceptance: each image-config and file-system finding fires on a config
//! (or file list) built to have it, and a hardened image (numeric non-root
//! USER, HEALTHCHECK, pinned reference, no shell, no setuid) is silent.

use serde_json::{json, Value};

use seawall_secrets::{audit_config, scan_config_secrets, FileAudit, ImageFile, SecretScanner};
use seawall_types::OsInfo;

const PINNED: &str = "registry.acme.io/app:1.4.2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn hardened() -> Value {
    json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "User": "10001:10001",
            "Env": ["PATH=/usr/local/bin:/usr/bin", "APP_PORT=8080", "DB_PASSWORD_FILE=/run/secrets/db"],
            "ExposedPorts": {"8080/tcp": {}},
            "Healthcheck": {"Test": ["CMD", "/app", "health"], "Interval": 30000000000u64},
            "Labels": {"org.opencontainers.image.source": "https://git.acme.io/app", "org.opencontainers.image.base.name": "gcr.io/distroless/static-debian12:nonroot"},
            "Entrypoint": ["/app"]
        },
        "history": [
            {"created_by": "COPY /app /app # buildkit"},
            {"created_by": "USER 10001:10001", "empty_layer": true},
            {"created_by": "HEALTHCHECK &{[\"CMD\" \"/app\" \"health\"]}", "empty_layer": true}
        ],
        "rootfs": {"type": "layers", "diff_ids": []}
    })
}

fn ids(cfg: &Value, image_ref: Option<&str>) -> Vec<String> {
    let bytes = serde_json::to_vec(cfg).unwrap();
    audit_config(&bytes, image_ref)
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect()
}

fn with(mut cfg: Value, f: impl FnOnce(&mut Value)) -> Value {
    f(&mut cfg);
    cfg
}

fn aws_key() -> String {
    format!("{}{}{}", "AK", "IA", "Q3EGRZ7WLVX5N2TB")
}

#[test]
fn hardened_config_is_silent() {
    assert_eq!(ids(&hardened(), Some(PINNED)), Vec::<String>::new());
    assert_eq!(ids(&hardened(), Some("app:1.4.2")), Vec::<String>::new());
    let secrets = scan_config_secrets(
        &serde_json::to_vec(&hardened()).unwrap(),
        &SecretScanner::builtin(),
    )
    .unwrap();
    assert!(secrets.is_empty(), "{secrets:?}");
}

#[test]
fn root_user_fires_for_every_root_spelling() {
    for user in [
        None,
        Some(""),
        Some("root"),
        Some("0"),
        Some("0:0"),
        Some("root:root"),
    ] {
        let cfg = with(hardened(), |c| match user {
            None => {
                c["config"].as_object_mut().unwrap().remove("User");
            }
            Some(u) => c["config"]["User"] = json!(u),
        });
        assert_eq!(ids(&cfg, Some(PINNED)), vec!["SW-IMG-001"], "user {user:?}");
    }
    for user in ["1000", "app", "nobody:nogroup", "65532"] {
        let cfg = with(hardened(), |c| c["config"]["User"] = json!(user));
        assert!(ids(&cfg, Some(PINNED)).is_empty(), "user {user}");
    }
}

#[test]
fn latest_or_untagged_fires() {
    for r in [
        "app:latest",
        "app",
        "registry.acme.io:5000/team/app",
        "docker.io/library/nginx:latest",
    ] {
        assert_eq!(ids(&hardened(), Some(r)), vec!["SW-IMG-002"], "{r}");
    }
    let cfg = with(hardened(), |c| {
        c["config"]["Labels"]["org.opencontainers.image.base.name"] = json!("debian:latest")
    });
    assert_eq!(ids(&cfg, Some(PINNED)), vec!["SW-IMG-002"]);
}

#[test]
fn missing_or_disabled_healthcheck_fires() {
    let none = with(hardened(), |c| {
        c["config"].as_object_mut().unwrap().remove("Healthcheck");
    });
    assert_eq!(ids(&none, Some(PINNED)), vec!["SW-IMG-003"]);
    let disabled = with(hardened(), |c| {
        c["config"]["Healthcheck"] = json!({"Test": ["NONE"]})
    });
    assert_eq!(ids(&disabled, Some(PINNED)), vec!["SW-IMG-003"]);
}

#[test]
fn remote_add_fires_for_buildkit_and_classic_history() {
    for cb in [
        "ADD https://downloads.acme.io/tool-1.2.tar.gz /opt/ # buildkit",
        "/bin/sh -c #(nop) ADD http://mirror.acme.io/x.bin /usr/local/bin/x",
        "ADD --chown=1000:1000 https://downloads.acme.io/a.tgz /a # buildkit",
    ] {
        let cfg = with(hardened(), |c| {
            c["history"]
                .as_array_mut()
                .unwrap()
                .push(json!({"created_by": cb}))
        });
        assert_eq!(ids(&cfg, Some(PINNED)), vec!["SW-IMG-004"], "{cb}");
    }
    // A local ADD is fine.
    let cfg = with(hardened(), |c| {
        c["history"].as_array_mut().unwrap().push(json!({"created_by": "/bin/sh -c #(nop) ADD file:4b03b5f551e3fbdf47ec609712007327828f7530cc3455c43bbcdcaf449a75a9 in / "}))
    });
    assert!(ids(&cfg, Some(PINNED)).is_empty());
}

#[test]
fn curl_pipe_shell_fires() {
    let cfg = with(hardened(), |c| {
        c["history"].as_array_mut().unwrap().push(
            json!({"created_by": "RUN /bin/sh -c curl -fsSL https://get.acme.io | sh # buildkit"}),
        )
    });
    assert_eq!(ids(&cfg, Some(PINNED)), vec!["SW-IMG-008"]);
}

#[test]
fn secrets_in_env_fire_by_rule_and_by_name() {
    let key = aws_key();
    let cfg = with(hardened(), |c| {
        c["config"]["Env"]
            .as_array_mut()
            .unwrap()
            .push(json!(format!("AWS_ACCESS_KEY_ID={key}")))
    });
    assert_eq!(ids(&cfg, Some(PINNED)), vec!["SW-IMG-005"]);
    let cfg = with(hardened(), |c| {
        c["config"]["Env"]
            .as_array_mut()
            .unwrap()
            .push(json!("DB_PASSWORD=Tr0ub4dor-and-3"))
    });
    let bytes = serde_json::to_vec(&cfg).unwrap();
    let found = audit_config(&bytes, Some(PINNED)).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, "SW-IMG-005");
    assert!(
        !found[0].message.contains("Tr0ub4dor-and-3"),
        "{}",
        found[0].message
    );
    // Empty, placeholder or reference values are not secrets.
    for v in [
        "DB_PASSWORD=",
        "DB_PASSWORD=changeme",
        "API_TOKEN=${API_TOKEN}",
        "SECRET_KEY=/run/secrets/k",
    ] {
        let cfg = with(hardened(), |c| {
            c["config"]["Env"].as_array_mut().unwrap().push(json!(v))
        });
        assert!(ids(&cfg, Some(PINNED)).is_empty(), "{v}");
    }
}

#[test]
fn secrets_in_build_args_and_history_fire() {
    let npm = format!("{}{}", "npm_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8");
    for cb in [
        format!("RUN |1 NPM_TOKEN={npm} /bin/sh -c npm ci # buildkit"),
        "RUN |2 DEPLOY_PASSWORD=Zq8-vR2-pL5x HOME=/root /bin/sh -c ./deploy # buildkit".to_string(),
        "/bin/sh -c #(nop) ARG API_TOKEN=9f8e7d6c5b4a39281706f5e4".to_string(),
    ] {
        let cfg = with(hardened(), |c| {
            c["history"]
                .as_array_mut()
                .unwrap()
                .push(json!({"created_by": cb}))
        });
        assert_eq!(ids(&cfg, Some(PINNED)), vec!["SW-IMG-006"], "{cb}");
    }
}

#[test]
fn expose_22_fires() {
    let cfg = with(hardened(), |c| {
        c["config"]["ExposedPorts"]["22/tcp"] = json!({})
    });
    assert_eq!(ids(&cfg, Some(PINNED)), vec!["SW-IMG-007"]);
}

#[test]
fn config_secrets_have_locations_and_are_redacted() {
    let key = aws_key();
    let gh = format!("{}{}", "ghp_", "Xy7Kp2Lm9Qr4St6Uv8Wx0Ab3Cd5Ef1Gh2Ij4");
    let cfg = with(hardened(), |c| {
        c["config"]["Env"]
            .as_array_mut()
            .unwrap()
            .push(json!(format!("AWS_ACCESS_KEY_ID={key}")));
        c["history"].as_array_mut().unwrap().push(json!({"created_by": format!("RUN /bin/sh -c git clone https://x-access-token:{gh}@github.com/acme/app # buildkit")}));
        c["config"]["Labels"]["ci.token"] = json!(gh.clone());
    });
    let found = scan_config_secrets(
        &serde_json::to_vec(&cfg).unwrap(),
        &SecretScanner::builtin(),
    )
    .unwrap();
    let locs: Vec<(String, String, u32)> = found
        .iter()
        .map(|m| (m.rule_id.clone(), m.path.clone(), m.line))
        .collect();
    assert!(
        locs.contains(&("aws-access-key-id".into(), "config:Env".into(), 4)),
        "{locs:?}"
    );
    assert!(
        locs.contains(&("github-pat".into(), "config:history[3]".into(), 1)),
        "{locs:?}"
    );
    assert!(
        locs.iter()
            .any(|l| l.0 == "github-pat" && l.1 == "config:Labels"),
        "{locs:?}"
    );
    for m in &found {
        assert!(!m.redacted.contains(&key) && !m.context.contains(&key));
        assert!(!m.redacted.contains(&gh) && !m.context.contains(&gh));
        let json = serde_json::to_value(m).unwrap();
        for field in ["rule_id", "severity", "path", "line", "redacted"] {
            assert!(json.get(field).is_some(), "{field} missing in {json}");
        }
    }
}

fn file(path: &str, mode: u32, is_dir: bool) -> ImageFile<'_> {
    ImageFile {
        path,
        mode,
        size: 1000,
        uid: 0,
        gid: 0,
        is_dir,
        is_symlink: false,
    }
}

fn debian() -> OsInfo {
    OsInfo {
        family: "debian".into(),
        version: "12".into(),
        codename: None,
        pretty_name: None,
    }
}

fn file_ids(files: &[ImageFile]) -> Vec<String> {
    let os = debian();
    let mut a = FileAudit::new(Some(&os));
    for f in files {
        a.observe(f);
    }
    a.finish(&[]).into_iter().map(|m| m.id).collect()
}

#[test]
fn hardened_file_system_is_silent() {
    let files = [
        file("app", 0o755, false),
        file("etc/passwd", 0o644, false),
        file("tmp", 0o1777, true),
        file("etc", 0o755, true),
    ];
    assert!(file_ids(&files).is_empty());
}

#[test]
fn each_file_finding_fires() {
    let cases: Vec<(ImageFile, &str)> = vec![
        (file("usr/bin/sudo", 0o4755, false), "SW-IMG-010"),
        (file("usr/local/bin/helper", 0o4755, false), "SW-IMG-011"),
        (file("opt/tool/bin/run", 0o2755, false), "SW-IMG-011"),
        (file("var/www/uploads", 0o777, true), "SW-IMG-012"),
        (file("bin/sh", 0o755, false), "SW-IMG-013"),
        (file("usr/bin/apt-get", 0o755, false), "SW-IMG-014"),
        (file("etc/app.conf", 0o666, false), "SW-IMG-015"),
    ];
    for (f, want) in cases {
        assert_eq!(file_ids(&[f]), vec![want], "{}", f.path);
    }
    // Distribution defaults stay silent.
    assert!(file_ids(&[
        file("usr/bin/passwd", 0o4755, false),
        file("usr/sbin/unix_chkpwd", 0o2755, false)
    ])
    .is_empty());
}

#[test]
fn sudo_and_package_manager_from_packages() {
    use seawall_types::{Ecosystem, Package};
    let p = |n: &str| Package {
        name: n.into(),
        version: "1".into(),
        ecosystem: Ecosystem::Deb,
        purl: format!("pkg:deb/debian/{n}@1"),
        arch: None,
        source_name: None,
        source_version: None,
        licenses: vec![],
        locations: vec![],
        dev: false,
    };
    let out: Vec<String> = FileAudit::new(None)
        .finish(&[p("sudo"), p("dpkg")])
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(out, vec!["SW-IMG-010", "SW-IMG-014"]);
}

#[test]
fn every_finding_has_why_and_fix() {
    let mut cfg = hardened();
    cfg["config"].as_object_mut().unwrap().remove("User");
    cfg["config"].as_object_mut().unwrap().remove("Healthcheck");
    cfg["config"]["ExposedPorts"]["22/tcp"] = json!({});
    let found = audit_config(&serde_json::to_vec(&cfg).unwrap(), Some("app")).unwrap();
    assert!(found.len() >= 4);
    for m in found {
        assert!(m.message.len() > 40 && !m.fix.is_empty(), "{m:?}");
        assert!(m.id.starts_with("SW-IMG-"));
    }
}
