//! Namespace labels through the Kubernetes API, without a cluster: a fake
//! API server on 127.0.0.1 (HTTPS with a CA generated here) serves
//! `GET /api/v1/namespaces/NAME`, a kubeconfig points the webhook at it with
//! that CA and a bearer token, and the webhook's decisions must follow the
//! served labels, reuse them within the TTL, share one GET between
//! concurrent requests, and fall back as documented when the API server is
//! unreachable, hangs, or fails.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use seawall_webhook::review::verify_response;
use seawall_webhook::{certs, start, RunningServer, ServerOptions};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};

const TOKEN: &str = "seawall-test-token";

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("seawall-webhook-ns-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn psa(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (format!("pod-security.kubernetes.io/{k}"), v.to_string()))
        .collect()
}

/// What the fake API server holds and saw.
#[derive(Default)]
struct ApiState {
    namespaces: HashMap<String, BTreeMap<String, String>>,
    /// Answer every request with 503 (the API server is failing).
    down: bool,
    /// GET requests per path.
    gets: HashMap<String, usize>,
    /// Authorization headers seen.
    auth: Vec<String>,
}

struct FakeApi {
    addr: SocketAddr,
    ca: PathBuf,
    state: Arc<Mutex<ApiState>>,
}

impl FakeApi {
    async fn start(dir: &Path) -> FakeApi {
        let files = certs::write_certs(&dir.join("api"), &["127.0.0.1".into(), "localhost".into()])
            .unwrap();
        let cert_pem = std::fs::read(&files.cert).unwrap();
        let key_pem = std::fs::read(&files.key).unwrap();
        let chain: Vec<_> = rustls_pemfile::certs(&mut cert_pem.as_slice())
            .collect::<Result<_, _>>()
            .unwrap();
        let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
            .unwrap()
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(ApiState::default()));
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let st = st.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let svc = hyper::service::service_fn(move |req| {
                        let st = st.clone();
                        async move { Ok::<_, Infallible>(api_answer(&st, &req)) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), svc)
                    .await;
                });
            }
        });
        FakeApi {
            addr,
            ca: files.ca_cert,
            state,
        }
    }

    fn set(&self, ns: &str, labels: BTreeMap<String, String>) {
        self.state
            .lock()
            .unwrap()
            .namespaces
            .insert(ns.into(), labels);
    }

    fn gets(&self, ns: &str) -> usize {
        let path = format!("/api/v1/namespaces/{ns}");
        self.state
            .lock()
            .unwrap()
            .gets
            .get(&path)
            .copied()
            .unwrap_or(0)
    }
}

fn api_answer(
    st: &Mutex<ApiState>,
    req: &http::Request<hyper::body::Incoming>,
) -> http::Response<Full<Bytes>> {
    let mut st = st.lock().unwrap();
    let path = req.uri().path().to_string();
    if let Some(a) = req.headers().get("authorization") {
        st.auth.push(a.to_str().unwrap_or_default().to_string());
    }
    let status = |code: u16, reason: &str, message: String| {
        let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason, "code": code});
        http::Response::builder()
            .status(code)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap()
    };
    if req.method() != http::Method::GET {
        return status(405, "MethodNotAllowed", "GET only".into());
    }
    *st.gets.entry(path.clone()).or_default() += 1;
    if st.down {
        return status(503, "ServiceUnavailable", "etcd is down".into());
    }
    let Some(name) = path.strip_prefix("/api/v1/namespaces/") else {
        return status(404, "NotFound", format!("{path} not found"));
    };
    let Some(labels) = st.namespaces.get(name) else {
        return status(404, "NotFound", format!("namespaces {name:?} not found"));
    };
    let body = json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "uid": "0c5d1f6e-0000-4000-8000-000000000001",
                     "resourceVersion": "1", "labels": labels},
        "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
    http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

/// A kubeconfig for `server` trusting `ca`, with a bearer token.
fn kubeconfig(dir: &Path, server: &str, ca: &Path) -> PathBuf {
    let ca_data = base64::engine::general_purpose::STANDARD.encode(std::fs::read(ca).unwrap());
    let text = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: {server}
    certificate-authority-data: {ca_data}
users:
- name: tester
  user:
    token: {TOKEN}
contexts:
- name: fake
  context:
    cluster: fake
    user: tester
current-context: fake
"
    );
    let p = dir.join("kubeconfig");
    std::fs::write(&p, text).unwrap();
    p
}

struct Webhook {
    server: RunningServer,
    connector: tokio_rustls::TlsConnector,
}

async fn webhook(dir: &Path, config: &str) -> Webhook {
    let files = certs::write_certs(&dir.join("hook"), &["localhost".into()]).unwrap();
    let cfg_path = dir.join("config.yaml");
    std::fs::write(&cfg_path, config).unwrap();
    let mut opts = ServerOptions::new(
        "127.0.0.1:0".parse().unwrap(),
        files.cert.clone(),
        files.key.clone(),
    );
    opts.config = Some(cfg_path);
    opts.reload_interval = Duration::from_millis(100);
    let server = start(opts).await.unwrap();
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(&files.ca_cert).unwrap();
    for c in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Webhook {
        server,
        connector: tokio_rustls::TlsConnector::from(Arc::new(tls)),
    }
}

impl Webhook {
    async fn call(&self, method: &str, path: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
        let tcp = TcpStream::connect(self.server.addr).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let tls = self.connector.connect(name, tcp).await.unwrap();
        let (mut send, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .unwrap();
        tokio::spawn(conn);
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "localhost")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let resp = send.send_request(req).await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, body.to_vec())
    }

    /// Sends a review, checks the answer with kube-apiserver's rules and
    /// returns its `response`.
    async fn review(&self, path: &str, review: &Value) -> Value {
        let (status, body) = self
            .call("POST", path, serde_json::to_vec(review).unwrap())
            .await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let resp: Value = serde_json::from_slice(&body).unwrap();
        verify_response(review, &resp, path == "/mutate")
            .unwrap_or_else(|e| panic!("response rejected by apiserver rules: {e}: {resp}"));
        resp["response"].clone()
    }

    async fn validate(&self, ns: &str, pod: &Value) -> Value {
        self.review("/validate", &pod_review("CREATE", ns, pod))
            .await
    }

    async fn metrics(&self) -> String {
        let (status, body) = self.call("GET", "/metrics", Vec::new()).await;
        assert_eq!(status, 200);
        String::from_utf8(body).unwrap()
    }
}

fn pod_review(op: &str, ns: &str, pod: &Value) -> Value {
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "5a3c0c0e-1111-4a4a-9b9b-000000000001",
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "name": "p", "namespace": ns, "operation": op,
        "userInfo": {"username": "kubernetes-admin", "groups": ["system:masters"]},
        "object": pod}})
}

/// Runs as root: allowed by baseline, denied by restricted.
fn root_pod() -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"securityContext": {"runAsUser": 0},
                 "containers": [{"name": "c", "image": "nginx:1.27"}]}})
}

/// Privileged: denied by baseline, allowed by privileged.
fn privileged_pod() -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27",
                                 "securityContext": {"privileged": true}}]}})
}

fn allowed(resp: &Value) -> bool {
    resp["allowed"].as_bool().unwrap()
}

fn metric(text: &str, result: &str) -> u64 {
    let key = format!("seawall_admission_namespace_lookups_total{{result=\"{result}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key))
        .map(|n| n.trim().parse().unwrap())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_follow_the_served_labels_and_are_cached() {
    let dir = tmpdir("served");
    let api = FakeApi::start(&dir).await;
    api.set("locked", psa(&[("enforce", "restricted")]));
    api.set(
        "open",
        psa(&[
            ("enforce", "privileged"),
            ("audit", "privileged"),
            ("warn", "privileged"),
        ]),
    );
    api.set("plain", BTreeMap::new());
    api.set("burst", psa(&[("enforce", "restricted")]));
    let kc = kubeconfig(&dir, &format!("https://{}", api.addr), &api.ca);
    // The static map says the opposite of the API for "open" and "locked":
    // with a `kubernetes` section the API is what counts.
    let hook = webhook(
        &dir,
        &format!(
            "kubernetes: {{kubeconfig: {}, cacheTtlMs: 60000}}
namespaces:
  open: {{pod-security.kubernetes.io/enforce: restricted}}
  locked: {{pod-security.kubernetes.io/enforce: privileged}}
",
            kc.display()
        ),
    )
    .await;

    for _ in 0..5 {
        let r = hook.validate("locked", &root_pod()).await;
        assert!(!allowed(&r), "{r}");
        let msg = r["status"]["message"].as_str().unwrap();
        assert!(msg.contains("restricted:latest"), "{msg}");
        assert!(msg.contains("runAsNonRoot"), "{msg}");
    }
    for _ in 0..5 {
        let r = hook.validate("open", &root_pod()).await;
        assert!(allowed(&r), "{r}");
        assert!(r.get("warnings").is_none(), "{r}");
        let r = hook.validate("open", &privileged_pod()).await;
        assert!(allowed(&r), "{r}");
    }
    // No labels: the defaults (enforce baseline, warn restricted).
    let r = hook.validate("plain", &root_pod()).await;
    assert!(allowed(&r), "{r}");
    assert!(
        r["warnings"].as_array().is_some_and(|w| !w.is_empty()),
        "{r}"
    );
    let r = hook.validate("plain", &privileged_pod()).await;
    assert!(!allowed(&r), "{r}");

    // One GET per namespace, with the kubeconfig's token.
    assert_eq!(api.gets("locked"), 1);
    assert_eq!(api.gets("open"), 1);
    assert_eq!(api.gets("plain"), 1);
    assert!(api
        .state
        .lock()
        .unwrap()
        .auth
        .iter()
        .all(|a| a == &format!("Bearer {TOKEN}")));

    // Concurrent requests for a namespace not yet cached share one GET.
    let hook = Arc::new(hook);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let hook = hook.clone();
        tasks.push(tokio::spawn(async move {
            hook.validate("burst", &root_pod()).await
        }));
    }
    for t in tasks {
        assert!(!allowed(&t.await.unwrap()));
    }
    assert_eq!(api.gets("burst"), 1);

    // Requests whose decision does not depend on labels do not look up.
    let r = hook
        .review("/mutate", &pod_review("CREATE", "elsewhere", &root_pod()))
        .await;
    assert!(allowed(&r));
    let r = hook
        .review("/validate", &pod_review("DELETE", "elsewhere", &root_pod()))
        .await;
    assert!(allowed(&r));
    assert_eq!(api.gets("elsewhere"), 0);

    let m = hook.metrics().await;
    assert_eq!(metric(&m, "fetched"), 4, "{m}");
    assert_eq!(metric(&m, "cached"), 5 + 10 + 2 - 3 + 15, "{m}");
    assert_eq!(metric(&m, "failed"), 0, "{m}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_are_refetched_after_the_ttl_and_kept_when_the_api_fails() {
    let dir = tmpdir("ttl");
    let api = FakeApi::start(&dir).await;
    api.set("team", psa(&[("enforce", "restricted")]));
    let kc = kubeconfig(&dir, &format!("https://{}", api.addr), &api.ca);
    let hook = webhook(
        &dir,
        &format!(
            "kubernetes: {{kubeconfig: {}, cacheTtlMs: 300}}",
            kc.display()
        ),
    )
    .await;
    assert!(!allowed(&hook.validate("team", &root_pod()).await));
    // Relabelled to privileged: the cached labels hold until the TTL ends.
    api.set("team", psa(&[("enforce", "privileged")]));
    assert!(!allowed(&hook.validate("team", &root_pod()).await));
    assert_eq!(api.gets("team"), 1);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(allowed(&hook.validate("team", &root_pod()).await));
    assert_eq!(api.gets("team"), 2);

    // The API server fails: the labels read before stay in force, and the
    // audit annotation says why.
    api.state.lock().unwrap().down = true;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let r = hook.validate("team", &privileged_pod()).await;
    assert!(allowed(&r), "{r}");
    let note = r["auditAnnotations"]["namespace-lookup-error"]
        .as_str()
        .unwrap();
    assert!(note.contains("503"), "{note}");
    assert!(note.contains("labels read before"), "{note}");
    assert_eq!(api.gets("team"), 3);
    // A namespace never read before gets the defaults, with a warning.
    let r = hook.validate("fresh", &root_pod()).await;
    assert!(allowed(&r), "{r}");
    let warnings = r["warnings"].to_string();
    assert!(warnings.contains("unavailable"), "{warnings}");
    let m = hook.metrics().await;
    assert_eq!(metric(&m, "stale"), 1, "{m}");
    assert_eq!(metric(&m, "failed"), 1, "{m}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_api_falls_back_to_the_static_map_then_the_defaults() {
    let dir = tmpdir("unreachable");
    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let ca = certs::write_certs(&dir.join("nobody"), &["127.0.0.1".into()])
        .unwrap()
        .ca_cert;
    let kc = kubeconfig(&dir, &format!("https://127.0.0.1:{port}"), &ca);
    let hook = webhook(
        &dir,
        &format!(
            "kubernetes: {{kubeconfig: {}, lookupTimeoutMs: 500}}
namespaces:
  mapped: {{pod-security.kubernetes.io/enforce: restricted}}
",
            kc.display()
        ),
    )
    .await;
    // Defaults (enforce baseline): a root pod passes with a warning saying
    // the labels were unavailable; a privileged pod is denied.
    let r = hook.validate("anywhere", &root_pod()).await;
    assert!(allowed(&r), "{r}");
    let warnings = r["warnings"].to_string();
    assert!(
        warnings.contains("labels of namespace \\\"anywhere\\\" unavailable"),
        "{warnings}"
    );
    assert!(
        r["auditAnnotations"]["namespace-lookup-error"]
            .as_str()
            .unwrap()
            .contains("the defaults"),
        "{r}"
    );
    let r = hook.validate("anywhere", &privileged_pod()).await;
    assert!(!allowed(&r), "{r}");
    assert!(r["status"]["message"]
        .as_str()
        .unwrap()
        .contains("baseline:latest"));
    // A namespace in the static map: its entry (enforce restricted).
    let r = hook.validate("mapped", &root_pod()).await;
    assert!(!allowed(&r), "{r}");
    assert!(
        r["auditAnnotations"]["namespace-lookup-error"]
            .as_str()
            .unwrap()
            .contains("static namespaces entry"),
        "{r}"
    );
    let m = hook.metrics().await;
    assert_eq!(metric(&m, "failed"), 3, "{m}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_api_is_cut_off_within_the_request_deadline_and_can_deny() {
    let dir = tmpdir("hang");
    // Accepts connections and never says a word.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let ca = certs::write_certs(&dir.join("nobody"), &["127.0.0.1".into()])
        .unwrap()
        .ca_cert;
    let kc = kubeconfig(&dir, &format!("https://{addr}"), &ca);
    // The lookup may take 5 s, but the request deadline is 1 s: the lookup
    // gets half of it.
    let hook = webhook(
        &dir,
        &format!(
            "kubernetes: {{kubeconfig: {}, lookupTimeoutMs: 5000, onError: deny}}
limits: {{requestTimeoutMs: 1000}}
",
            kc.display()
        ),
    )
    .await;
    let t = Instant::now();
    let r = hook.validate("anywhere", &root_pod()).await;
    let took = t.elapsed();
    assert!(!allowed(&r), "{r}");
    assert_eq!(r["status"]["code"], 500, "{r}");
    assert_eq!(r["status"]["reason"], "InternalError", "{r}");
    let msg = r["status"]["message"].as_str().unwrap();
    assert!(msg.contains("cannot read the labels"), "{msg}");
    assert!(msg.contains("500 ms"), "{msg}");
    assert!(took < Duration::from_millis(900), "took {took:?}");
    // The failure is remembered: the next request does not wait again.
    let t = Instant::now();
    let r = hook.validate("anywhere", &root_pod()).await;
    assert!(!allowed(&r), "{r}");
    assert!(
        t.elapsed() < Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_kubeconfig_stops_the_start_with_its_name() {
    let dir = tmpdir("badkc");
    let kc = dir.join("kubeconfig");
    std::fs::write(&kc, "apiVersion: v1\nkind: Config\nclusters: 7\n").unwrap();
    let files = certs::write_certs(&dir.join("hook"), &["localhost".into()]).unwrap();
    let cfg = dir.join("config.yaml");
    std::fs::write(&cfg, "kubernetes: {kubeconfig: kubeconfig}\n").unwrap();
    let mut opts = ServerOptions::new("127.0.0.1:0".parse().unwrap(), files.cert, files.key);
    opts.config = Some(cfg);
    let Err(e) = start(opts).await else {
        panic!("started with a broken kubeconfig");
    };
    let e = e.to_string();
    assert!(e.contains("config.yaml"), "{e}");
    assert!(e.contains(&kc.display().to_string()), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reloaded_config_switches_from_the_static_map_to_the_api() {
    let dir = tmpdir("reload");
    let api = FakeApi::start(&dir).await;
    api.set("team", psa(&[("enforce", "privileged")]));
    let hook = webhook(
        &dir,
        "namespaces: {team: {pod-security.kubernetes.io/enforce: restricted}}\n",
    )
    .await;
    assert!(!allowed(&hook.validate("team", &root_pod()).await));
    assert_eq!(api.gets("team"), 0);
    let kc = kubeconfig(&dir, &format!("https://{}", api.addr), &api.ca);
    // Written through a rename so the reloader never sees half a file; the
    // sleep makes the modification time differ on coarse-grained clocks.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let tmp = dir.join("config.yaml.tmp");
    std::fs::write(
        &tmp,
        format!("kubernetes: {{kubeconfig: {}}}\n", kc.display()),
    )
    .unwrap();
    std::fs::rename(&tmp, dir.join("config.yaml")).unwrap();
    let mut switched = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if allowed(&hook.validate("team", &root_pod()).await) {
            switched = true;
            break;
        }
    }
    assert!(switched, "the reloaded config never used the API's labels");
    assert_eq!(api.gets("team"), 1);
    let _ = std::fs::remove_dir_all(dir);
}
