//! The test harness plays kube-apiserver: it calls a real server over TLS on
//! 127.0.0.1 trusting only the generated CA, wraps every upstream PSA
//! fixture as a Pod CREATE and a Deployment CREATE (plus UPDATE, DELETE and
//! dryRun requests), checks every response with kube-apiserver's rules,
//! applies returned patches and re-checks the result. Decisions must equal
//! the `seawall config --pss` evaluation (seawall-k8s) and the fixture's
//! pass/fail folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use seawall_webhook::review::verify_response;
use seawall_webhook::{certs, start, Config, ServerOptions};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Harness {
    addr: std::net::SocketAddr,
    connector: tokio_rustls::TlsConnector,
    dir: PathBuf,
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("seawall-webhook-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn connector(ca: &Path) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(ca).unwrap();
    for c in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
}

async fn harness(name: &str, config: Option<&str>) -> (Harness, seawall_webhook::RunningServer) {
    let dir = tmpdir(name);
    let files = certs::write_certs(&dir, &["localhost".into(), "127.0.0.1".into()]).unwrap();
    let mut opts = ServerOptions::new(
        "127.0.0.1:0".parse().unwrap(),
        files.cert.clone(),
        files.key.clone(),
    );
    if let Some(c) = config {
        let p = dir.join("config.yaml");
        std::fs::write(&p, c).unwrap();
        opts.config = Some(p);
    }
    opts.reload_interval = Duration::from_millis(100);
    let server = start(opts).await.unwrap();
    (
        Harness {
            addr: server.addr,
            connector: connector(&files.ca_cert),
            dir,
        },
        server,
    )
}

/// One HTTP/2 or HTTP/1.1 connection (by ALPN) to the server.
enum Conn {
    H1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
    H2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
}

impl Harness {
    async fn connect(&self, http2: bool) -> Conn {
        let tcp = TcpStream::connect(self.addr).await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let mut cfg = (**self.connector.config()).clone();
        cfg.alpn_protocols = if http2 {
            vec![b"h2".to_vec()]
        } else {
            vec![b"http/1.1".to_vec()]
        };
        let conn = tokio_rustls::TlsConnector::from(Arc::new(cfg));
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let tls = conn.connect(name, tcp).await.unwrap();
        let io = hyper_util::rt::TokioIo::new(tls);
        if http2 {
            let (send, c) =
                hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
                    .await
                    .unwrap();
            tokio::spawn(c);
            Conn::H2(send)
        } else {
            let (send, c) = hyper::client::conn::http1::handshake(io).await.unwrap();
            tokio::spawn(c);
            Conn::H1(send)
        }
    }
}

impl Conn {
    /// Sends one request on this connection and returns status and body.
    async fn send(&mut self, req: http::Request<Full<Bytes>>) -> (u16, Vec<u8>) {
        let resp = match self {
            Conn::H1(s) => {
                s.ready().await.unwrap();
                s.send_request(req).await.unwrap()
            }
            Conn::H2(s) => {
                s.ready().await.unwrap();
                s.send_request(req).await.unwrap()
            }
        };
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, body.to_vec())
    }

    async fn post(&mut self, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
        let req = http::Request::builder()
            .method("POST")
            .uri(format!("https://localhost{path}"))
            .header("content-type", content_type)
            .header("host", "localhost")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        self.send(req).await
    }

    async fn get(&mut self, path: &str) -> (u16, String) {
        let req = http::Request::builder()
            .method("GET")
            .uri(format!("https://localhost{path}"))
            .header("host", "localhost")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let (status, body) = self.send(req).await;
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// Sends a review, checks the response as kube-apiserver would, returns it.
    async fn review(&mut self, path: &str, review: &Value) -> Value {
        let (status, body) = self
            .post(
                path,
                "application/json",
                serde_json::to_vec(review).unwrap(),
            )
            .await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let resp: Value = serde_json::from_slice(&body).unwrap();
        verify_response(review, &resp, path == "/mutate")
            .unwrap_or_else(|e| panic!("response rejected by apiserver rules: {e}: {resp}"));
        resp
    }
}

// One argument per AdmissionRequest field the tests vary.
#[allow(clippy::too_many_arguments)]
fn review(
    uid: &str,
    kind: &str,
    group: &str,
    resource: &str,
    op: &str,
    ns: &str,
    object: Option<Value>,
    old: Option<Value>,
) -> Value {
    let mut req = json!({
        "uid": uid,
        "kind": {"group": group, "version": "v1", "kind": kind},
        "resource": {"group": group, "version": "v1", "resource": resource},
        "requestKind": {"group": group, "version": "v1", "kind": kind},
        "name": "x",
        "namespace": ns,
        "operation": op,
        "userInfo": {"username": "kubernetes-admin", "groups": ["system:masters"]},
        "dryRun": false,
    });
    if let Some(o) = object {
        req["object"] = o;
    }
    if let Some(o) = old {
        req["oldObject"] = o;
    }
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req})
}

fn deployment_of(pod: &Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"selector": {"matchLabels": {"a": "b"}},
                 "template": {"metadata": pod.get("metadata").cloned().unwrap_or(json!({})),
                              "spec": pod.get("spec").cloned().unwrap_or(json!({}))}}
    })
}

fn apply_patch(obj: &Value, resp: &Value) -> Value {
    use base64::Engine as _;
    let mut out = obj.clone();
    if let Some(p) = resp["response"]["patch"].as_str() {
        let raw = base64::engine::general_purpose::STANDARD.decode(p).unwrap();
        let patch: json_patch::Patch = serde_json::from_slice(&raw).unwrap();
        json_patch::patch(&mut out, &patch).unwrap();
    }
    out
}

struct Fixture {
    level: String,
    version: String,
    pass: bool,
    pod: Value,
}

fn fixtures(root: &Path) -> Vec<Fixture> {
    let mut out = Vec::new();
    for level in ["baseline", "restricted"] {
        let Ok(versions) = std::fs::read_dir(root.join(level)) else {
            continue;
        };
        for v in versions.flatten() {
            let version = v.file_name().to_string_lossy().into_owned();
            for (sub, pass) in [("pass", true), ("fail", false)] {
                let Ok(files) = std::fs::read_dir(v.path().join(sub)) else {
                    continue;
                };
                for f in files.flatten() {
                    let text = std::fs::read_to_string(f.path()).unwrap();
                    let pod: Value = serde_yaml_ng::from_str(&text).unwrap();
                    out.push(Fixture {
                        level: level.into(),
                        version: version.clone(),
                        pass,
                        pod,
                    });
                }
            }
        }
    }
    out
}

/// The config: one namespace per (level, version), labelled for enforce,
/// audit and warn at that level.
fn namespaces_config(fx: &[Fixture]) -> String {
    let mut ns: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for f in fx {
        let name = format!("{}-{}", f.level, f.version.replace('.', "-"));
        let mut labels = BTreeMap::new();
        for mode in ["enforce", "audit", "warn"] {
            labels.insert(
                format!("pod-security.kubernetes.io/{mode}"),
                f.level.clone(),
            );
            labels.insert(
                format!("pod-security.kubernetes.io/{mode}-version"),
                f.version.clone(),
            );
        }
        ns.insert(name, labels);
    }
    serde_json::to_string(&json!({"namespaces": ns})).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_psa_fixture_as_pod_and_deployment_over_tls() {
    let Some(root) = seawall_testutil::shared_path("every_psa_fixture", "testdata/psa") else {
        return;
    };
    let fx = fixtures(&root);
    assert!(
        fx.len() >= 4537,
        "expected the 4,537 upstream fixtures, found {}",
        fx.len()
    );
    let (h, server) = harness("psa", Some(&namespaces_config(&fx))).await;
    let mut c1 = h.connect(false).await;
    let mut c2 = h.connect(true).await;
    let mut mismatches = Vec::new();
    for (i, f) in fx.iter().enumerate() {
        let ns = format!("{}-{}", f.level, f.version.replace('.', "-"));
        let spec: seawall_k8s::PssSpec = format!("{}:{}", f.level, f.version).parse().unwrap();
        let expected = seawall_k8s::evaluate_pod_spec(&f.pod["metadata"], &f.pod["spec"], &spec);
        assert_eq!(
            expected.allowed, f.pass,
            "seawall-k8s disagrees with the fixture folder"
        );
        let conn = if i % 2 == 0 { &mut c1 } else { &mut c2 };

        // Pod CREATE: enforced.
        let r = review(
            &format!("pod-{i}"),
            "Pod",
            "",
            "pods",
            "CREATE",
            &ns,
            Some(f.pod.clone()),
            None,
        );
        let resp = conn.review("/validate", &r).await;
        let allowed = resp["response"]["allowed"].as_bool().unwrap();
        if allowed != f.pass {
            mismatches.push(format!(
                "{} {} {}: pod allowed={allowed}",
                f.level, f.version, f.pod["metadata"]["name"]
            ));
        }
        if !allowed {
            let msg = resp["response"]["status"]["message"].as_str().unwrap();
            assert!(
                msg.starts_with(&format!(
                    "violates PodSecurity \"{}:{}\"",
                    f.level, f.version
                )),
                "{msg}"
            );
        }

        // Deployment CREATE: never denied, warned when the template fails.
        let dep = deployment_of(&f.pod);
        let r = review(
            &format!("dep-{i}"),
            "Deployment",
            "apps",
            "deployments",
            "CREATE",
            &ns,
            Some(dep),
            None,
        );
        let resp = conn.review("/validate", &r).await;
        assert_eq!(resp["response"]["allowed"], true);
        let warned = resp["response"].get("warnings").is_some();
        if warned == f.pass {
            mismatches.push(format!(
                "{} {} {}: deployment warned={warned}",
                f.level, f.version, f.pod["metadata"]["name"]
            ));
        }

        // Mutation: the patch applies and the patched pod is accepted by a
        // second mutate pass with no further change (idempotent).
        if i % 7 == 0 {
            let r = review(
                &format!("mut-{i}"),
                "Pod",
                "",
                "pods",
                "CREATE",
                &ns,
                Some(f.pod.clone()),
                None,
            );
            let resp = conn.review("/mutate", &r).await;
            assert_eq!(resp["response"]["allowed"], true);
            let patched = apply_patch(&f.pod, &resp);
            let r2 = review(
                &format!("mut2-{i}"),
                "Pod",
                "",
                "pods",
                "CREATE",
                &ns,
                Some(patched),
                None,
            );
            let resp2 = conn.review("/mutate", &r2).await;
            assert!(
                resp2["response"].get("patch").is_none(),
                "mutation not idempotent"
            );
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&h.dir);
}

fn privileged_pod() -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "image": "nginx:1.27", "securityContext": {"privileged": true}}]}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_config_updates_deletes_dry_run_and_subresources() {
    let (h, server) = harness("ops", None).await;
    let mut c = h.connect(false).await;
    let pod = privileged_pod();
    // No config: enforce baseline:latest.
    let resp = c
        .review(
            "/validate",
            &review(
                "1",
                "Pod",
                "",
                "pods",
                "CREATE",
                "default",
                Some(pod.clone()),
                None,
            ),
        )
        .await;
    assert_eq!(resp["response"]["allowed"], false);
    // A restricted-only violation is allowed with a warning.
    let mut loose = privileged_pod();
    loose["spec"]["containers"][0]["securityContext"] = json!({});
    let resp = c
        .review(
            "/validate",
            &review(
                "2",
                "Pod",
                "",
                "pods",
                "CREATE",
                "default",
                Some(loose.clone()),
                None,
            ),
        )
        .await;
    assert_eq!(resp["response"]["allowed"], true);
    assert!(resp["response"]["warnings"][0]
        .as_str()
        .unwrap()
        .contains("restricted:latest"));
    // dryRun is decided the same way.
    let mut dry = review(
        "3",
        "Pod",
        "",
        "pods",
        "CREATE",
        "default",
        Some(pod.clone()),
        None,
    );
    dry["request"]["dryRun"] = json!(true);
    assert_eq!(
        c.review("/validate", &dry).await["response"]["allowed"],
        false
    );
    // DELETE carries no object and is allowed.
    let resp = c
        .review(
            "/validate",
            &review(
                "4",
                "Pod",
                "",
                "pods",
                "DELETE",
                "default",
                None,
                Some(pod.clone()),
            ),
        )
        .await;
    assert_eq!(resp["response"]["allowed"], true);
    // An UPDATE that only relabels an existing (violating) pod is not significant.
    let mut relabelled = pod.clone();
    relabelled["metadata"]["labels"] = json!({"x": "y"});
    let resp = c
        .review(
            "/validate",
            &review(
                "5",
                "Pod",
                "",
                "pods",
                "UPDATE",
                "default",
                Some(relabelled),
                Some(pod.clone()),
            ),
        )
        .await;
    assert_eq!(resp["response"]["allowed"], true);
    // An UPDATE that changes an image is re-evaluated.
    let mut new_image = pod.clone();
    new_image["spec"]["containers"][0]["image"] = json!("nginx:1.28");
    let resp = c
        .review(
            "/validate",
            &review(
                "6",
                "Pod",
                "",
                "pods",
                "UPDATE",
                "default",
                Some(new_image),
                Some(pod.clone()),
            ),
        )
        .await;
    assert_eq!(resp["response"]["allowed"], false);
    // Ignored subresources.
    let mut status = review(
        "7",
        "Pod",
        "",
        "pods",
        "UPDATE",
        "default",
        Some(pod.clone()),
        Some(pod.clone()),
    );
    status["request"]["subResource"] = json!("status");
    assert_eq!(
        c.review("/validate", &status).await["response"]["allowed"],
        true
    );
    // Mutating a pod UPDATE never patches (immutable security context).
    let upd = review(
        "8",
        "Pod",
        "",
        "pods",
        "UPDATE",
        "default",
        Some(loose.clone()),
        Some(loose.clone()),
    );
    assert!(c.review("/mutate", &upd).await["response"]
        .get("patch")
        .is_none());
    // The mutated restricted-violating pod passes restricted.
    let resp = c
        .review(
            "/mutate",
            &review(
                "9",
                "Pod",
                "",
                "pods",
                "CREATE",
                "default",
                Some(loose.clone()),
                None,
            ),
        )
        .await;
    let patched = apply_patch(&loose, &resp);
    let spec: seawall_k8s::PssSpec = "restricted:latest".parse().unwrap();
    let r = seawall_k8s::evaluate_pod_spec(&patched["metadata"], &patched["spec"], &spec);
    assert!(
        r.allowed,
        "patched pod still violates restricted: {:?}",
        r.violations
    );
    // Health and metrics.
    assert_eq!(c.get("/healthz").await.0, 200);
    assert_eq!(c.get("/readyz").await.0, 200);
    let (code, metrics) = c.get("/metrics").await;
    assert_eq!(code, 200);
    assert!(metrics
        .contains("seawall_admission_decisions_total{endpoint=\"/validate\",decision=\"deny\"}"));
    assert!(metrics.contains("seawall_admission_request_duration_seconds_bucket"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exemptions() {
    let cfg = r#"{"exemptions": {"usernames": ["ops-bot"], "namespaces": ["kube-system"], "runtimeClassNames": ["kata"]}}"#;
    let (h, server) = harness("exempt", Some(cfg)).await;
    let mut c = h.connect(true).await;
    let pod = privileged_pod();
    assert_eq!(
        c.review(
            "/validate",
            &review(
                "1",
                "Pod",
                "",
                "pods",
                "CREATE",
                "kube-system",
                Some(pod.clone()),
                None
            )
        )
        .await["response"]["allowed"],
        true
    );
    let mut by_bot = review(
        "2",
        "Pod",
        "",
        "pods",
        "CREATE",
        "apps",
        Some(pod.clone()),
        None,
    );
    by_bot["request"]["userInfo"]["username"] = json!("ops-bot");
    assert_eq!(
        c.review("/validate", &by_bot).await["response"]["allowed"],
        true
    );
    let mut kata = pod.clone();
    kata["spec"]["runtimeClassName"] = json!("kata");
    assert_eq!(
        c.review(
            "/validate",
            &review("3", "Pod", "", "pods", "CREATE", "apps", Some(kata), None)
        )
        .await["response"]["allowed"],
        true
    );
    assert_eq!(
        c.review(
            "/validate",
            &review("4", "Pod", "", "pods", "CREATE", "apps", Some(pod), None)
        )
        .await["response"]["allowed"],
        false
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_errors_and_the_server_keeps_serving() {
    let cfg = r#"{"limits": {"headerTimeoutMs": 500, "requestTimeoutMs": 1000}}"#;
    let (h, server) = harness("bad", Some(cfg)).await;
    let mut c = h.connect(false).await;
    assert_eq!(
        c.post("/validate", "application/json", b"{not json".to_vec())
            .await
            .0,
        400
    );
    assert_eq!(
        c.post("/validate", "text/plain", b"{}".to_vec()).await.0,
        415
    );
    let big = vec![b' '; 10 * 1024 * 1024];
    let mut c2 = h.connect(true).await;
    assert_eq!(c2.post("/validate", "application/json", big).await.0, 413);
    let wrong_kind = json!({"apiVersion": "v1", "kind": "Pod"});
    assert_eq!(
        c.post(
            "/validate",
            "application/json",
            serde_json::to_vec(&wrong_kind).unwrap()
        )
        .await
        .0,
        400
    );

    // A slow client that never finishes its headers is cut off...
    let tcp = TcpStream::connect(h.addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut cfg = (**h.connector.config()).clone();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let mut slow = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(name, tcp)
        .await
        .unwrap();
    slow.write_all(b"POST /validate HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "slow client was not disconnected");

    // ...while others are served.
    let ok = review(
        "1",
        "Pod",
        "",
        "pods",
        "CREATE",
        "default",
        Some(privileged_pod()),
        None,
    );
    let mut c3 = h.connect(true).await;
    assert_eq!(
        c3.review("/validate", &ok).await["response"]["allowed"],
        false
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_and_config_hot_reload() {
    let (h, server) = harness("reload", Some("{}")).await;
    let mut c = h.connect(false).await;
    let pod = privileged_pod();
    assert_eq!(
        c.review(
            "/validate",
            &review(
                "1",
                "Pod",
                "",
                "pods",
                "CREATE",
                "dev",
                Some(pod.clone()),
                None
            )
        )
        .await["response"]["allowed"],
        false
    );
    // Make `dev` privileged; the running connection sees the new config.
    let cfg = json!({"namespaces": {"dev": {"pod-security.kubernetes.io/enforce": "privileged"}}});
    std::fs::write(h.dir.join("config.yaml"), cfg.to_string()).unwrap();
    let mut allowed = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let r = c
            .review(
                "/validate",
                &review(
                    "2",
                    "Pod",
                    "",
                    "pods",
                    "CREATE",
                    "dev",
                    Some(pod.clone()),
                    None,
                ),
            )
            .await;
        if r["response"]["allowed"] == true {
            allowed = true;
            break;
        }
    }
    assert!(allowed, "config change not picked up");
    // A broken config keeps the old one.
    std::fs::write(h.dir.join("config.yaml"), "defaults: {enforce: nonsense}").unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let r = c
        .review(
            "/validate",
            &review(
                "3",
                "Pod",
                "",
                "pods",
                "CREATE",
                "dev",
                Some(pod.clone()),
                None,
            ),
        )
        .await;
    assert_eq!(r["response"]["allowed"], true);

    // New certificate from a new CA: new connections trust only the new CA.
    let newdir = h.dir.join("new");
    let files = certs::write_certs(&newdir, &["localhost".into()]).unwrap();
    std::fs::rename(&files.cert, h.dir.join("tls.crt")).unwrap();
    std::fs::rename(&files.key, h.dir.join("tls.key")).unwrap();
    let fresh = connector(&files.ca_cert);
    let mut ok = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let tcp = TcpStream::connect(h.addr).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        if fresh.connect(name, tcp).await.is_ok() {
            ok = true;
            break;
        }
    }
    assert!(ok, "certificate change not picked up");
    // The old connection keeps working.
    assert_eq!(c.get("/healthz").await.0, 200);
    server.shutdown().await;
    let _ = Config::default();
}
