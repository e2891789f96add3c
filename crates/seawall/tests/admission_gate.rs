//! The admission webhook's image gate for real: two images built with podman
//! and runc, pushed to Debian's docker-registry on 127.0.0.1, one pinning a
//! crate with a CRITICAL advisory and one with the fixed version. `seawall
//! admission serve` (HTTPS, its own generated CA) with the gate on denies a
//! Pod using the first and admits the second; the database is imported from
//! ../shared/vulndata. Requests are sent with curl trusting only that CA.
//!
//! Needs root, podman, runc, skopeo, docker-registry and curl: skipped with a
//! message elsewhere, a failure under CI=true.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use seawall_testutil::run_ok as ok;

use serde_json::{json, Value};

fn seawall() -> Command {
    Command::new(env!("CARGO_BIN_EXE_seawall"))
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Builds FROM scratch with a Cargo.lock pinning smallvec at `version`,
/// pushes it as `127.0.0.1:PORT/seawall/gate:TAG`.
fn push_image(dir: &Path, port: u16, tag: &str, version: &str) -> String {
    let ctx = dir.join(format!("ctx-{tag}"));
    std::fs::create_dir_all(ctx.join("src/app")).unwrap();
    std::fs::write(
        ctx.join("src/app/Cargo.lock"),
        format!(
            "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n\
             [[package]]\nname = \"smallvec\"\nversion = \"{version}\"\n\
             source = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        ),
    )
    .unwrap();
    std::fs::write(ctx.join("Containerfile"), "FROM scratch\nCOPY src/ /src/\n").unwrap();
    let local = format!("localhost/seawall-gate-{}/app:{tag}", std::process::id());
    seawall_testutil::podman_build(&local, &ctx, &[]);
    let remote = format!("127.0.0.1:{port}/seawall/gate:{tag}");
    ok({
        let mut c = Command::new("skopeo");
        c.args(["copy", "--quiet", "--dest-tls-verify=false"])
            .arg(format!("containers-storage:{local}"))
            .arg(format!("docker://{remote}"));
        c
    });
    let _ = Command::new("podman").args(["rmi", "-f", &local]).output();
    remote
}

fn review(uid: &str, image: &str) -> Value {
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
            "requestResource": {"group": "", "version": "v1", "resource": "pods"},
            "name": "app",
            "namespace": "default",
            "operation": "CREATE",
            "userInfo": {"username": "alice"},
            "object": {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "app", "namespace": "default"},
                "spec": {"containers": [{"name": "app", "image": image}]}
            },
            "oldObject": null,
            "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}
        }
    })
}

fn post(port: u16, ca: &Path, body: &Value) -> Value {
    let out = ok({
        let mut c = Command::new("curl");
        c.args(["-sS", "--max-time", "60", "--cacert"])
            .arg(ca)
            .args(["-H", "Content-Type: application/json", "--data-binary"])
            .arg(body.to_string())
            .arg(format!("https://127.0.0.1:{port}/validate"));
        c
    });
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn image_gate_denies_a_critical_image_from_a_local_registry_and_admits_the_fixed_one() {
    let test = "image_gate_denies_a_critical_image_from_a_local_registry_and_admits_the_fixed_one";
    if !seawall_testutil::is_root() {
        assert!(!seawall_testutil::in_ci(), "{test}: must run as root in CI");
        eprintln!("SKIPPED {test}: needs root for podman");
        return;
    }
    if !["podman", "runc", "skopeo", "docker-registry", "curl"]
        .iter()
        .all(|t| seawall_testutil::require_tool(test, t))
    {
        return;
    }
    let Some(data) = seawall_testutil::shared_path(test, "vulndata") else {
        return;
    };
    let dir: PathBuf = std::env::temp_dir().join(format!("seawall-gate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("db");
    ok({
        let mut c = seawall();
        c.args(["db", "import"]).arg(&data).arg("--db").arg(&db);
        c
    });
    let reg = seawall_testutil::registry::Registry::start("gate");
    let bad = push_image(&dir, reg.port, "vulnerable", "1.6.0");
    let good = push_image(&dir, reg.port, "fixed", "1.13.2");

    let certs = dir.join("certs");
    ok({
        let mut c = seawall();
        c.args([
            "admission",
            "certs",
            "--service",
            "seawall",
            "--namespace",
            "test",
        ])
        .args(["--san", "127.0.0.1", "--out-dir"])
        .arg(&certs);
        c
    });
    let cfg = dir.join("config.yaml");
    std::fs::write(
        &cfg,
        "imageGate:\n  enabled: true\n  severity: CRITICAL\n  secrets: true\n  action: deny\n  \
         unknownImage: deny\n  scanBudgetMs: 60000\nlimits:\n  requestTimeoutMs: 90000\n",
    )
    .unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let _server = Server(
        seawall()
            .args([
                "admission",
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .arg("--tls-cert")
            .arg(certs.join("tls.crt"))
            .arg("--tls-key")
            .arg(certs.join("tls.key"))
            .arg("--config")
            .arg(&cfg)
            .arg("--db")
            .arg(&db)
            .arg("--insecure")
            .arg("--cache-dir")
            .arg(dir.join("cache"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let ca = certs.join("ca.crt");

    let r = post(
        port,
        &ca,
        &review("11111111-1111-1111-1111-111111111111", &bad),
    );
    let resp = &r["response"];
    assert_eq!(resp["uid"], "11111111-1111-1111-1111-111111111111");
    assert_eq!(resp["allowed"], false, "{r:#}");
    let msg = resp["status"]["message"].as_str().unwrap_or("");
    assert!(
        msg.contains("image gate") && msg.contains("CRITICAL"),
        "{msg}"
    );

    let r = post(
        port,
        &ca,
        &review("22222222-2222-2222-2222-222222222222", &good),
    );
    assert_eq!(r["response"]["allowed"], true, "{r:#}");

    // The verdict is cached by digest: asking again is immediate and the same.
    let r = post(
        port,
        &ca,
        &review("33333333-3333-3333-3333-333333333333", &bad),
    );
    assert_eq!(r["response"]["allowed"], false, "{r:#}");
    drop(reg);
    let _ = std::fs::remove_dir_all(&dir);
}
