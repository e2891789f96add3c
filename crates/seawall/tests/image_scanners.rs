//! `seawall image --scanners secret,config,vuln` on real images built here
//! with podman + runc (FROM scratch plus Debian's static busybox, so no
//! network is needed), and on the bookworm-based test images of
//! scripts/build-test-images.sh.
//!
//! * Every planted secret (one per builtin rule kind, split over two
//!   layers, some deleted by a later layer, plus ENV and build-arg history)
//!   is reported with its rule, path and layer, deleted ones with the layer
//!   that deleted them, and no secret is ever printed whole.
//! * Each image config / file-system check fires on an image built to have
//!   it and nothing fires on a hardened one.
//! * With the database imported from ../shared/vulndata, vulnerable
//!   Python, npm, Go and Rust pins planted in an image get exactly the
//!   advisories the library matcher gives for those versions (whose
//!   exactness tests/acceptance.rs of seawall-vulndb checks against
//!   independent oracles), and the pins outside every range get none.
//!
//! Needs root, podman, runc and busybox: skipped with a message elsewhere, a
//! failure under CI=true.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use seawall_testutil::run_ok as ok;
use serde_json::Value;

fn seawall() -> Command {
    Command::new(env!("CARGO_BIN_EXE_seawall"))
}

fn ready(test: &str) -> bool {
    if !seawall_testutil::is_root() {
        if seawall_testutil::in_ci() {
            panic!("{test}: must run as root in CI");
        }
        eprintln!("SKIPPED {test}: needs root to build images with podman");
        return false;
    }
    ["podman", "runc", "busybox"]
        .iter()
        .all(|t| seawall_testutil::require_tool(test, t))
}

fn busybox() -> PathBuf {
    let out = Command::new("sh")
        .args(["-c", "command -v busybox"])
        .output()
        .unwrap();
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn work_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // Runs of this test binary that have ended leave their dirs: remove them.
        if let Ok(rd) = std::fs::read_dir(std::env::temp_dir()) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(pid) = name.strip_prefix("seawall-image-scanners-") {
                    if !Path::new("/proc").join(pid).exists() {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
        }
        let d = std::env::temp_dir().join(format!("seawall-image-scanners-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

fn write(path: &Path, data: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

fn copy_busybox(to: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(busybox(), to).unwrap();
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Builds `ctx` (with its Containerfile) as `localhost/seawall-scanners-PID/NAME:TAG`,
/// saves it as a docker-archive and removes it from podman's storage.
fn build(name: &str, tag: &str, ctx: &Path, args: &[(&str, &str)]) -> PathBuf {
    let reference = format!(
        "localhost/seawall-scanners-{}/{name}:{tag}",
        std::process::id()
    );
    let mut extra: Vec<String> = vec!["--format".into(), "docker".into()];
    for (k, v) in args {
        extra.push("--build-arg".into());
        extra.push(format!("{k}={v}"));
    }
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    seawall_testutil::podman_build(&reference, ctx, &extra);
    let out = work_dir().join(format!("{name}.docker.tar"));
    let mut save = Command::new("podman");
    save.args(["save", "--format", "docker-archive", "-o"])
        .arg(&out)
        .arg(&reference);
    ok(save);
    let _ = Command::new("podman")
        .args(["rmi", "-f", &reference])
        .output();
    out
}

fn scan(archive: &Path, extra: &[&str]) -> (Output, Value) {
    let mut c = seawall();
    c.arg("image")
        .arg(format!("docker-archive:{}", archive.display()))
        .args(["--no-cache", "--format", "json"])
        .args(extra);
    let out = c.output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{c:?}: not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, v)
}

// ------------------------------------------------------------------ secrets

/// A GitHub token for the ENV and a npm token for a build arg, built from
/// pieces like the planted corpus (no literal secret in the repository).
fn config_secrets() -> (String, String) {
    let gh = format!("{}{}", "gh", "p_Zq8RkT2mWv7YxN4bLc9HdF3jPs6GtA1uE0oI");
    let npm = format!("{}{}", "np", "m_Vb3Nm8Qw2Er5Ty7Ui9Op1As4Df6Gh0JkLzXc");
    (gh, npm)
}

struct Planted {
    archive: PathBuf,
    /// (rule id, path, secret, layer index, deleted in layer index)
    files: Vec<(String, String, String, usize, Option<usize>)>,
}

fn planted_image() -> &'static Planted {
    static IMG: OnceLock<Planted> = OnceLock::new();
    IMG.get_or_init(|| {
        let ctx = work_dir().join("secrets");
        copy_busybox(&ctx.join("busybox"), 0o755);
        let mut files = Vec::new();
        let mut deleted = Vec::new();
        for (i, (id, path, content, secret)) in
            seawall_testutil::planted::corpus().into_iter().enumerate()
        {
            // Layers: 0 busybox, 1 first half of the files, 2 second half,
            // 3 deletes every third file.
            let layer = if i % 2 == 0 { 1 } else { 2 };
            let dir = if layer == 1 { "a" } else { "b" };
            write(&ctx.join(dir).join(&path), content.as_bytes());
            let gone = (i % 3 == 0).then_some(3);
            if gone.is_some() {
                deleted.push(format!("/{path}"));
            }
            files.push((id.to_string(), path, secret, layer, gone));
        }
        let (gh, _) = config_secrets();
        let rm: Vec<String> = deleted.iter().map(|p| format!("{p:?}")).collect();
        let cf = format!(
            "FROM scratch\n\
             COPY busybox /bin/busybox\n\
             COPY a/ /\n\
             COPY b/ /\n\
             RUN [\"/bin/busybox\", \"rm\", \"-f\", {}]\n\
             ENV GITHUB_TOKEN={gh} LANG=C.UTF-8\n\
             ARG NPM_TOKEN\n\
             RUN [\"/bin/busybox\", \"true\"]\n",
            rm.join(", ")
        );
        write(&ctx.join("Containerfile"), cf.as_bytes());
        let (_, npm) = config_secrets();
        let archive = build("secrets", "1.0", &ctx, &[("NPM_TOKEN", &npm)]);
        Planted { archive, files }
    })
}

#[test]
fn planted_secrets_are_found_in_every_layer_with_their_layer_and_deletion() {
    let test = "planted_secrets_are_found_in_every_layer_with_their_layer_and_deletion";
    if !ready(test) {
        return;
    }
    let p = planted_image();
    let (out, v) = scan(&p.archive, &["--scanners", "secret", "--exit-code", "3"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let layers: Vec<String> = v["artifact"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["diff_id"].as_str().unwrap().to_string())
        .collect();
    assert!(layers.len() >= 4, "{layers:?}");
    let secrets = v["secrets"].as_array().unwrap();
    let mut missing = Vec::new();
    let mut kinds = BTreeSet::new();
    for (id, path, _, layer, gone) in &p.files {
        let hit = secrets.iter().find(|s| {
            s["rule_id"] == id.as_str()
                && s["path"] == path.as_str()
                && s["layer"] == layers[*layer].as_str()
        });
        match hit {
            None => missing.push(format!("{id} in {path} (layer {layer})")),
            Some(s) => {
                let want = gone.map(|g| Value::from(layers[g].as_str()));
                assert_eq!(
                    s.get("deleted_in_layer").cloned(),
                    want,
                    "{id} in {path}: deleted_in_layer"
                );
                assert!(s["severity"].is_string());
                kinds.insert(id.clone());
            }
        }
    }
    assert!(missing.is_empty(), "not found: {missing:#?}");
    assert!(kinds.len() >= 20, "{} kinds", kinds.len());
    assert!(p.files.iter().filter(|f| f.4.is_some()).count() >= 5);

    // The image config: ENV and the build arg recorded in the history.
    let (gh, npm) = config_secrets();
    let env = secrets
        .iter()
        .find(|s| s["path"] == "config:Env")
        .unwrap_or_else(|| panic!("no config:Env secret in {secrets:#?}"));
    assert_eq!(env["rule_id"], "github-pat");
    assert!(env.get("layer").is_none());
    let hist: Vec<&Value> = secrets
        .iter()
        .filter(|s| {
            s["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("config:history["))
        })
        .collect();
    assert!(
        hist.iter().any(|s| s["rule_id"] == "npm-access-token"),
        "no npm token in the history: {hist:#?}"
    );

    // Nothing is printed whole, in JSON or in the table.
    let mut table = seawall();
    table
        .arg("image")
        .arg(format!("docker-archive:{}", p.archive.display()))
        .args(["--no-cache", "--scanners", "secret"]);
    let table = ok(table);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("still extractable"), "{text}");
    let json = String::from_utf8_lossy(&out.stdout);
    for (id, _, secret, ..) in &p.files {
        let s = &secret[..secret.len().min(40)];
        assert!(!json.contains(s), "{id}: secret printed in JSON");
        assert!(!text.contains(s), "{id}: secret printed in the table");
    }
    for s in [&gh, &npm] {
        assert!(!json.contains(s.as_str()) && !text.contains(s.as_str()));
    }
}

// ------------------------------------------------------------------- config

fn risky_image() -> PathBuf {
    let ctx = work_dir().join("risky");
    copy_busybox(&ctx.join("root/bin/busybox"), 0o755);
    copy_busybox(&ctx.join("root/bin/sh"), 0o755);
    copy_busybox(&ctx.join("root/usr/bin/apt-get"), 0o755);
    copy_busybox(&ctx.join("root/usr/bin/sudo"), 0o755);
    copy_busybox(&ctx.join("root/usr/local/bin/helper"), 0o755);
    write(&ctx.join("root/srv/shared.txt"), b"shared\n");
    std::fs::create_dir_all(ctx.join("root/srv/drop")).unwrap();
    let token = format!("{}{}", "glp", "at-Xk4Rm9Tq2Wz7Yv5Bn8Lp");
    let cf = format!(
        "FROM scratch\n\
         COPY root/ /\n\
         RUN [\"/bin/busybox\", \"chmod\", \"4755\", \"/usr/bin/sudo\", \"/usr/local/bin/helper\"]\n\
         RUN [\"/bin/busybox\", \"chmod\", \"0777\", \"/srv/drop\"]\n\
         RUN [\"/bin/busybox\", \"chmod\", \"0666\", \"/srv/shared.txt\"]\n\
         RUN /bin/busybox true || /bin/busybox wget -qO- http://get.example.invalid/install.sh | sh\n\
         ENV DB_PASSWORD=Sup3rS3cretPassw0rd\n\
         LABEL deploy.token={token}\n\
         EXPOSE 22\n\
         CMD [\"/bin/sh\"]\n"
    );
    write(&ctx.join("Containerfile"), cf.as_bytes());
    build("risky", "latest", &ctx, &[])
}

fn hardened_image() -> PathBuf {
    let ctx = work_dir().join("hardened");
    copy_busybox(&ctx.join("app/server"), 0o755);
    let cf = "FROM scratch\n\
              COPY app/ /app/\n\
              USER 65532:65532\n\
              HEALTHCHECK CMD [\"/app/server\", \"true\"]\n\
              ENTRYPOINT [\"/app/server\"]\n";
    write(&ctx.join("Containerfile"), cf.as_bytes());
    build("hardened", "1.0", &ctx, &[])
}

#[test]
fn config_checks_fire_on_an_image_built_to_have_them_and_not_on_a_hardened_one() {
    let test = "config_checks_fire_on_an_image_built_to_have_them_and_not_on_a_hardened_one";
    if !ready(test) {
        return;
    }
    let (_, v) = scan(&risky_image(), &["--scanners", "secret,config"]);
    let ids: BTreeSet<&str> = v["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    // SW-IMG-004 (ADD of a remote URL) cannot be built here: podman records
    // `ADD <digest> in DEST` for URLs, without the URL (unit tests cover the
    // BuildKit/Docker history forms).
    let want: BTreeSet<&str> = [
        "SW-IMG-001",
        "SW-IMG-002",
        "SW-IMG-003",
        "SW-IMG-005",
        "SW-IMG-006",
        "SW-IMG-007",
        "SW-IMG-008",
        "SW-IMG-010",
        "SW-IMG-011",
        "SW-IMG-012",
        "SW-IMG-013",
        "SW-IMG-014",
        "SW-IMG-015",
    ]
    .into_iter()
    .collect();
    assert_eq!(ids, want, "{:#}", v["misconfigurations"]);
    let setuid: Vec<&Value> = v["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["id"] == "SW-IMG-011")
        .collect();
    assert_eq!(setuid.len(), 1, "{setuid:#?}");
    assert!(setuid[0]["message"]
        .as_str()
        .unwrap()
        .contains("usr/local/bin/helper"));
    for m in v["misconfigurations"].as_array().unwrap() {
        assert!(!m["fix"].as_str().unwrap_or("").is_empty(), "{m}");
    }

    let (out, v) = scan(
        &hardened_image(),
        &["--scanners", "secret,config", "--exit-code", "4"],
    );
    assert_eq!(v["misconfigurations"], Value::Array(vec![]), "{:#}", v);
    assert_eq!(v["secrets"], Value::Array(vec![]));
    assert_eq!(out.status.code(), Some(0));
}

/// The bookworm-based images of scripts/build-test-images.sh (a clean
/// debootstrap'd base plus Debian packages, Python wheels and node modules):
/// no secret anywhere.
#[test]
fn bookworm_images_have_no_secret_findings() {
    let test = "bookworm_images_have_no_secret_findings";
    if !ready(test) || !seawall_testutil::require_tool(test, "debootstrap") {
        return;
    }
    let script = seawall_testutil::repo_root().join("scripts/build-test-images.sh");
    let out = ok({
        let mut c = Command::new("bash");
        c.arg(&script);
        c
    });
    let dir = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    for name in ["deb-layers", "apps"] {
        let (_, v) = scan(
            &dir.join(format!("{name}.docker.tar")),
            &["--scanners", "secret,config"],
        );
        assert_eq!(
            v["secrets"],
            Value::Array(vec![]),
            "{name}: {:#}",
            v["secrets"]
        );
        let ids: BTreeSet<&str> = v["misconfigurations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        // Debian's own setuid binaries are the distribution defaults.
        assert!(!ids.contains("SW-IMG-011"), "{name}: {ids:?}");
        assert!(ids.contains("SW-IMG-013") && ids.contains("SW-IMG-014"));
    }
}

// -------------------------------------------------------------------- vulns

const PYPI: &[(&str, &str)] = &[
    ("django", "3.2.0"),
    ("jinja2", "2.10"),
    ("requests", "2.19.0"),
    ("urllib3", "1.24.1"),
    ("pyyaml", "5.3"),
    ("django", "5.1.2"),
];
const NPM: &[(&str, &str)] = &[
    ("lodash", "4.17.15"),
    ("express", "4.17.1"),
    ("braces", "2.3.0"),
    ("semver", "7.5.1"),
    ("axios", "1.6.0"),
    ("lodash", "4.17.21"),
];
const GO: &[(&str, &str)] = &[
    ("golang.org/x/net", "v0.7.0"),
    ("github.com/gin-gonic/gin", "v1.6.0"),
    ("golang.org/x/text", "v0.3.5"),
];
const CRATES: &[(&str, &str)] = &[
    ("tokio", "1.0.0"),
    ("smallvec", "1.6.0"),
    ("regex", "1.5.4"),
    ("itoa", "1.0.11"),
];

fn vuln_image() -> PathBuf {
    let ctx = work_dir().join("vuln");
    for (i, (n, v)) in PYPI.iter().enumerate() {
        write(
            &ctx.join(format!(
                "root/opt/py{i}/site-packages/{n}-{v}.dist-info/METADATA"
            )),
            format!("Metadata-Version: 2.1\nName: {n}\nVersion: {v}\n").as_bytes(),
        );
    }
    for (i, (n, v)) in NPM.iter().enumerate() {
        write(
            &ctx.join(format!("root/srv/js{i}/node_modules/{n}/package.json")),
            format!("{{\"name\": \"{n}\", \"version\": \"{v}\"}}").as_bytes(),
        );
    }
    let mut gomod = String::from("module example.com/app\n\ngo 1.20\n\nrequire (\n");
    for (n, v) in GO {
        gomod.push_str(&format!("\t{n} {v}\n"));
    }
    gomod.push_str(")\n");
    write(&ctx.join("root/src/goapp/go.mod"), gomod.as_bytes());
    let mut lock =
        String::from("version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n");
    for (n, v) in CRATES {
        lock.push_str(&format!(
            "\n[[package]]\nname = \"{n}\"\nversion = \"{v}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        ));
    }
    write(&ctx.join("root/src/rsapp/Cargo.lock"), lock.as_bytes());
    write(&ctx.join("Containerfile"), b"FROM scratch\nCOPY root/ /\n");
    build("vuln", "1.0", &ctx, &[])
}

#[test]
fn vulnerable_language_pins_in_an_image_get_exactly_the_covering_advisories() {
    let test = "vulnerable_language_pins_in_an_image_get_exactly_the_covering_advisories";
    if !ready(test) {
        return;
    }
    let Some(data) = seawall_testutil::shared_path(test, "vulndata") else {
        return;
    };
    let db = work_dir().join("db");
    ok({
        let mut c = seawall();
        c.args(["db", "import"]).arg(&data).arg("--db").arg(&db);
        c
    });
    let archive = vuln_image();
    let (out, v) = scan(
        &archive,
        &[
            "--scanners",
            "vuln",
            "--offline",
            "--db",
            db.to_str().unwrap(),
            "--exit-code",
            "5",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(v["database"]["records"].as_u64().unwrap() > 8000);

    // What the image reports, per (ecosystem, name, version).
    let mut got: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    for f in v["vulnerabilities"].as_array().unwrap() {
        let key = (
            f["ecosystem"].as_str().unwrap().to_string(),
            f["package"].as_str().unwrap().to_ascii_lowercase(),
            f["installed_version"].as_str().unwrap().to_string(),
        );
        assert!(
            f["layer"]
                .as_str()
                .is_some_and(|l| l.starts_with("sha256:")),
            "{f}"
        );
        assert!(f["path"].is_string(), "{f}");
        got.entry(key)
            .or_default()
            .insert(f["id"].as_str().unwrap().to_string());
    }
    // What the library matcher says for the same versions.
    let dbh = seawall_vulndb::Db::open(&db).unwrap();
    use seawall_types::Ecosystem;
    let mut want: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    let mut safe = Vec::new();
    for (eco, list) in [
        (Ecosystem::PyPI, PYPI),
        (Ecosystem::Npm, NPM),
        (Ecosystem::Go, GO),
        (Ecosystem::Cargo, CRATES),
    ] {
        for (n, ver) in list {
            let pkg = seawall_types::Package {
                name: n.to_string(),
                version: ver.to_string(),
                ecosystem: eco,
                purl: String::new(),
                arch: None,
                source_name: None,
                source_version: None,
                licenses: vec![],
                locations: vec![],
                dev: false,
            };
            let ids: BTreeSet<String> = seawall_vulndb::match_packages(&dbh, None, &[pkg])
                .into_iter()
                .map(|f| f.id)
                .collect();
            if ids.is_empty() {
                safe.push(format!("{n} {ver}"));
                continue;
            }
            let first = v["vulnerabilities"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| {
                    f["package"]
                        .as_str()
                        .is_some_and(|p| p.eq_ignore_ascii_case(n))
                })
                .map(|f| f["ecosystem"].as_str().unwrap().to_string())
                .unwrap_or_else(|| panic!("{n} {ver}: nothing reported, want {ids:?}"));
            want.insert((first, n.to_ascii_lowercase(), ver.to_string()), ids);
        }
    }
    assert_eq!(got, want);
    // The pins outside every range (django 5.1.2, lodash 4.17.21, itoa) and
    // at least one vulnerable pin per ecosystem.
    assert!(safe.contains(&"django 5.1.2".to_string()), "{safe:?}");
    assert!(safe.contains(&"lodash 4.17.21".to_string()), "{safe:?}");
    assert!(safe.contains(&"itoa 1.0.11".to_string()), "{safe:?}");
    let ecos: BTreeSet<&str> = got.keys().map(|k| k.0.as_str()).collect();
    assert_eq!(ecos.len(), 4, "{ecos:?}");

    // The same image's SBOM, scanned as a file (CycloneDX and SPDX), gives
    // the same advisories.
    let ids = |v: &Value| -> BTreeSet<(String, String)> {
        v["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap().to_string(),
                    f["installed_version"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    for format in ["cyclonedx", "spdx"] {
        let file = work_dir().join(format!("vuln.{format}.json"));
        ok({
            let mut c = seawall();
            c.arg("sbom")
                .arg(format!("docker-archive:{}", archive.display()))
                .args(["--no-cache", "--format", format, "-o"])
                .arg(&file);
            c
        });
        let out = ok({
            let mut c = seawall();
            c.arg("image")
                .arg(format!("sbom:{}", file.display()))
                .args(["--offline", "--format", "json", "--db"])
                .arg(&db);
            c
        });
        let from_sbom: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(from_sbom["artifact"]["type"], "sbom");
        assert_eq!(ids(&from_sbom), ids(&v), "{format}");
    }
}
