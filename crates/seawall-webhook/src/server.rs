//! The HTTPS server: rustls (TLS 1.2 and 1.3, ALPN h2 and http/1.1),
//! hyper's auto (HTTP/1.1 + h2) connection builder, hot reload of the
//! certificate and the config file, graceful shutdown.
//!
//! Failure policy: every request that can be understood gets an
//! AdmissionReview answer within `limits.requestTimeoutMs`; a request that
//! cannot (bad JSON, wrong content type, body too large, client too slow)
//! gets an HTTP error status, which kube-apiserver treats according to the
//! webhook's `failurePolicy` (`deploy/` uses `Fail` for `/validate`, i.e.
//! fail closed, and `Ignore` for `/mutate`, i.e. fail open).
//!
//! Namespace labels come from the Kubernetes API when the config has a
//! `kubernetes` section ([`crate::namespaces`]), from its static
//! `namespaces` map otherwise; see [`crate::config`] for what happens when
//! the API cannot be reached.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwap;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{Config, KubernetesApi, LookupFailure};
use crate::decide::{self, DecideInput};
use crate::gate::{Gate, ImageScanner};
use crate::metrics::Metrics;
use crate::mutate::secure_defaults_patch;
use crate::namespaces::{NamespaceLookup, Outcome};
use crate::podspec::{pod_spec_pointer, PodSpecRef};
use crate::review::{parse_review, response_json, Decision};
use crate::Error;

/// How to run the server.
#[derive(Clone)]
pub struct ServerOptions {
    pub listen: SocketAddr,
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    pub config: Option<PathBuf>,
    /// Image scanner for the image gate (the gate is off without one).
    pub scanner: Option<Arc<dyn ImageScanner>>,
    /// How often to look for changed certificate and config files.
    pub reload_interval: Duration,
}

impl ServerOptions {
    pub fn new(listen: SocketAddr, tls_cert: PathBuf, tls_key: PathBuf) -> Self {
        ServerOptions {
            listen,
            tls_cert,
            tls_key,
            config: None,
            scanner: None,
            reload_interval: Duration::from_secs(2),
        }
    }
}

/// Shared state of a running server.
struct State {
    config: ArcSwap<Config>,
    gate: ArcSwap<Option<Gate>>,
    scanner: Option<Arc<dyn ImageScanner>>,
    /// Namespace label lookups, when the config has a `kubernetes` section.
    namespaces: ArcSwap<Option<Arc<NamespaceLookup>>>,
    metrics: Metrics,
}

/// A server started by [`start`].
pub struct RunningServer {
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish (up to 10 s), returns.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }

    /// Runs until SIGINT or SIGTERM, then shuts down gracefully.
    pub async fn run_until_signal(self) {
        wait_for_signal().await;
        self.shutdown().await;
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Certificate resolver whose key can be swapped while serving.
#[derive(Debug)]
struct ReloadingCert(ArcSwap<CertifiedKey>);

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.load_full())
    }
}

fn load_certified_key(cert: &Path, key: &Path) -> Result<CertifiedKey, Error> {
    let io = |p: &Path, e: std::io::Error| Error::Io {
        path: p.display().to_string(),
        source: e,
    };
    let cert_pem = std::fs::read(cert).map_err(|e| io(cert, e))?;
    let key_pem = std::fs::read(key).map_err(|e| io(key, e))?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| Error::Tls(format!("{}: invalid certificate PEM: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(Error::Tls(format!(
            "{}: no certificate found",
            cert.display()
        )));
    }
    let key_der = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|e| Error::Tls(format!("{}: invalid key PEM: {e}", key.display())))?
        .ok_or_else(|| Error::Tls(format!("{}: no private key found", key.display())))?;
    let provider = rustls::crypto::ring::default_provider();
    let signing = provider
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| Error::Tls(format!("{}: unusable private key: {e}", key.display())))?;
    let ck = CertifiedKey::new(certs, signing);
    ck.keys_match().map_err(|e| {
        Error::Tls(format!(
            "{} does not match {}: {e}",
            key.display(),
            cert.display()
        ))
    })?;
    Ok(ck)
}

fn load_config(path: Option<&Path>) -> Result<Config, Error> {
    match path {
        Some(p) => Config::load(p),
        None => Ok(Config::default()),
    }
}

fn make_gate(cfg: &Config, scanner: &Option<Arc<dyn ImageScanner>>) -> Option<Gate> {
    match scanner {
        Some(s) if cfg.image_gate.enabled => Some(Gate::new(cfg.image_gate.clone(), s.clone())),
        _ => None,
    }
}

/// The lookup for `cfg`'s `kubernetes` section: the current one when its
/// settings did not change, a new client otherwise.
async fn make_lookup(
    cfg: &Config,
    config_path: Option<&Path>,
    current: Option<&Arc<NamespaceLookup>>,
) -> Result<Option<Arc<NamespaceLookup>>, Error> {
    let Some(settings) = &cfg.kubernetes else {
        return Ok(None);
    };
    if let Some(c) = current.filter(|c| c.settings() == settings) {
        return Ok(Some(c.clone()));
    }
    let path = config_path
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    NamespaceLookup::connect(settings)
        .await
        .map(|l| Some(Arc::new(l)))
        .map_err(|e| Error::Config {
            path,
            message: e.to_string(),
        })
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Binds, loads certificate and config, and starts serving in the
/// background. Errors (bad certificate, bad config, address in use) are
/// returned before anything is served.
pub async fn start(opts: ServerOptions) -> Result<RunningServer, Error> {
    let cfg = load_config(opts.config.as_deref())?;
    let lookup = make_lookup(&cfg, opts.config.as_deref(), None).await?;
    let key = load_certified_key(&opts.tls_cert, &opts.tls_key)?;
    let resolver = Arc::new(ReloadingCert(ArcSwap::from_pointee(key)));

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(resolver.clone());
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));

    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|e| Error::Io {
            path: opts.listen.to_string(),
            source: e,
        })?;
    let addr = listener.local_addr().map_err(|e| Error::Io {
        path: opts.listen.to_string(),
        source: e,
    })?;

    let state = Arc::new(State {
        gate: ArcSwap::from_pointee(make_gate(&cfg, &opts.scanner)),
        config: ArcSwap::from_pointee(cfg),
        scanner: opts.scanner.clone(),
        namespaces: ArcSwap::from_pointee(lookup),
        metrics: Metrics::default(),
    });
    let (tx, rx) = watch::channel(false);

    // Hot reload: poll mtimes; a bad new file keeps the old one in force.
    {
        let state = state.clone();
        let resolver = resolver.clone();
        let opts = opts.clone();
        let mut rx = rx.clone();
        tokio::spawn(async move {
            let mut seen = (
                mtime(&opts.tls_cert),
                mtime(&opts.tls_key),
                opts.config.as_deref().and_then(mtime),
            );
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(opts.reload_interval) => {}
                    _ = rx.changed() => return,
                }
                let now = (
                    mtime(&opts.tls_cert),
                    mtime(&opts.tls_key),
                    opts.config.as_deref().and_then(mtime),
                );
                if now.0 != seen.0 || now.1 != seen.1 {
                    match load_certified_key(&opts.tls_cert, &opts.tls_key) {
                        Ok(k) => {
                            resolver.0.store(Arc::new(k));
                            state.metrics.reload("certificate", true);
                        }
                        Err(e) => {
                            eprintln!("seawall admission: keeping the old certificate: {e}");
                            state.metrics.reload("certificate", false);
                        }
                    }
                }
                if now.2 != seen.2 {
                    let loaded = match load_config(opts.config.as_deref()) {
                        Ok(c) => {
                            let current = state.namespaces.load_full();
                            make_lookup(&c, opts.config.as_deref(), current.as_ref().as_ref())
                                .await
                                .map(|l| (c, l))
                        }
                        Err(e) => Err(e),
                    };
                    match loaded {
                        Ok((c, lookup)) => {
                            state.namespaces.store(Arc::new(lookup));
                            state.gate.store(Arc::new(make_gate(&c, &state.scanner)));
                            state.config.store(Arc::new(c));
                            state.metrics.reload("config", true);
                        }
                        Err(e) => {
                            eprintln!("seawall admission: keeping the old config: {e}");
                            state.metrics.reload("config", false);
                        }
                    }
                }
                seen = now;
            }
        });
    }

    let task = tokio::spawn(accept_loop(listener, acceptor, state, rx));
    Ok(RunningServer {
        addr,
        shutdown: tx,
        task,
    })
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (tcp, _peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(_) => {
                    // Out of file descriptors and the like: back off briefly.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let state = state.clone();
        let header_timeout =
            Duration::from_millis(state.config.load().limits.header_timeout_ms.max(100));
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // A client that never finishes the handshake is dropped.
            let tls = match tokio::time::timeout(header_timeout, acceptor.accept(tcp)).await {
                Ok(Ok(t)) => t,
                _ => return,
            };
            let svc = hyper::service::service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(handle(state, req).await) }
            });
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            builder.http2().timer(TokioTimer::new());
            let conn = builder
                .serve_connection(TokioIo::new(tls), svc)
                .into_owned();
            let conn = watcher.watch(conn);
            let _ = conn.await;
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(10)) => {}
    }
}

type Body = Full<Bytes>;

fn text(code: StatusCode, body: impl Into<String>) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body.into())));
    *r.status_mut() = code;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn json_error(code: StatusCode, message: &str) -> Response<Body> {
    let body = serde_json::json!({
        "kind": "Status", "apiVersion": "v1", "status": "Failure",
        "message": message, "code": code.as_u16(),
    });
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = code;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Response<Body> {
    let started = Instant::now();
    let path = req.uri().path().to_string();
    let endpoint = match path.as_str() {
        "/validate" | "/mutate" | "/healthz" | "/readyz" | "/metrics" => path.clone(),
        _ => "other".to_string(),
    };
    let resp = route(&state, req, &path).await;
    state
        .metrics
        .request(&endpoint, resp.status().as_u16(), started.elapsed());
    resp
}

async fn route(state: &Arc<State>, req: Request<Incoming>, path: &str) -> Response<Body> {
    match (req.method(), path) {
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
        (&Method::GET, "/readyz") => text(StatusCode::OK, "ready\n"),
        (&Method::GET, "/metrics") => {
            let mut r = text(StatusCode::OK, state.metrics.render());
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            r
        }
        (&Method::POST, "/validate") => review(state, req, false).await,
        (&Method::POST, "/mutate") => review(state, req, true).await,
        (_, "/validate" | "/mutate" | "/healthz" | "/readyz" | "/metrics") => {
            json_error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        }
        _ => json_error(StatusCode::NOT_FOUND, "not found"),
    }
}

async fn review(state: &Arc<State>, req: Request<Incoming>, mutating: bool) -> Response<Body> {
    let cfg = state.config.load_full();
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
    {
        return json_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("content type must be application/json, got {content_type:?}"),
        );
    }
    let deadline = Duration::from_millis(cfg.limits.request_timeout_ms.max(1));
    let limit = cfg.limits.max_body_bytes;
    let body = match tokio::time::timeout(deadline, Limited::new(req.into_body(), limit).collect())
        .await
    {
        Err(_) => {
            return json_error(
                StatusCode::REQUEST_TIMEOUT,
                "request body not received in time",
            )
        }
        Ok(Err(e)) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                return json_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("request body larger than {limit} bytes"),
                );
            }
            return json_error(
                StatusCode::BAD_REQUEST,
                &format!("reading request body: {e}"),
            );
        }
        Ok(Ok(b)) => b.to_bytes(),
    };
    let review_in = match parse_review(&body) {
        Ok(r) => r,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let endpoint = if mutating { "/mutate" } else { "/validate" };
    let decided = tokio::time::timeout(
        deadline,
        decide_review(state, &cfg, &review_in, mutating, deadline),
    )
    .await;
    let decision = match decided {
        Ok(d) => d,
        // Answer within the webhook timeout rather than let the API server
        // time out: the request is denied (fail closed) with the reason.
        Err(_) => Decision::deny(format!(
            "seawall admission: no decision within {} ms",
            deadline.as_millis()
        )),
    };
    state.metrics.decision(endpoint, decision.allowed);
    let body = response_json(&review_in, &decision);
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

/// Whether the validating decision for `req` depends on its namespace's
/// labels (so that other requests never wait for the API server).
fn needs_namespace_labels(cfg: &Config, req: &crate::review::AdmissionRequest) -> bool {
    !req.namespace.is_empty()
        && (req.operation == "CREATE" || req.operation == "UPDATE")
        && (req.sub_resource.is_empty() || req.sub_resource == "ephemeralcontainers")
        && pod_spec_pointer(&req.kind.kind).is_some()
        && !cfg.exemptions.namespaces.contains(&req.namespace)
        && !cfg.exemptions.usernames.contains(&req.user_info.username)
}

/// A namespace's labels from the API (when configured) or the static map.
/// `Err` is the denial when the lookup failed and `onError` is `deny`.
async fn namespace_labels(
    state: &Arc<State>,
    cfg: &Config,
    settings: &KubernetesApi,
    namespace: &str,
    deadline: Duration,
    notes: &mut Vec<Note>,
) -> Result<Arc<BTreeMap<String, String>>, Decision> {
    let lookup = state.namespaces.load_full();
    let Some(lookup) = lookup.as_ref() else {
        // The config names an API but the client is not built yet (cannot
        // happen after start); use the static map.
        return Ok(Arc::new(
            cfg.namespaces.get(namespace).cloned().unwrap_or_default(),
        ));
    };
    let budget = Duration::from_millis(settings.lookup_timeout_ms.max(1)).min(deadline / 2);
    let found = lookup.labels(namespace, budget).await;
    state.metrics.namespace_lookup(found.outcome.metric());
    match found.outcome {
        Outcome::Cached | Outcome::Fetched => Ok(found.labels),
        Outcome::Stale(err) => {
            notes.push(Note::Audit(
                "namespace-lookup-error".into(),
                format!("{err}; using the labels read before"),
            ));
            Ok(found.labels)
        }
        Outcome::Failed(err) => {
            if settings.on_error == LookupFailure::Deny {
                let mut d = Decision::deny(format!(
                    "seawall admission: cannot read the labels of namespace {namespace:?}: {err}"
                ));
                d.code = 500;
                return Err(d);
            }
            let (source, labels) = match cfg.namespaces.get(namespace) {
                Some(l) => ("the static namespaces entry", l.clone()),
                None => ("the defaults", BTreeMap::new()),
            };
            notes.push(Note::Audit(
                "namespace-lookup-error".into(),
                format!("{err}; decided with {source}"),
            ));
            notes.push(Note::Warning(format!(
                "seawall: labels of namespace {namespace:?} unavailable, decided with {source}"
            )));
            Ok(Arc::new(labels))
        }
    }
}

/// Something to add to the decision once it is made.
enum Note {
    Warning(String),
    Audit(String, String),
}

async fn decide_review(
    state: &Arc<State>,
    cfg: &Config,
    review: &crate::review::ReviewIn,
    mutating: bool,
    deadline: Duration,
) -> Decision {
    let req = &review.request;
    let mut notes = Vec::new();
    let labels = match &cfg.kubernetes {
        Some(settings) if !mutating && needs_namespace_labels(cfg, req) => {
            match namespace_labels(state, cfg, settings, &req.namespace, deadline, &mut notes).await
            {
                Ok(l) => l,
                Err(denied) => return denied,
            }
        }
        Some(_) => Arc::new(BTreeMap::new()),
        None => Arc::new(
            cfg.namespaces
                .get(&req.namespace)
                .cloned()
                .unwrap_or_default(),
        ),
    };
    if mutating {
        // Mutation never denies. Pods are mutated on CREATE only (their
        // security context is immutable afterwards); workload templates on
        // CREATE and UPDATE.
        let mut d = Decision::allow();
        let kind = req.kind.kind.as_str();
        let eligible = req.sub_resource.is_empty()
            && match kind {
                "Pod" => req.operation == "CREATE",
                _ => req.operation == "CREATE" || req.operation == "UPDATE",
            };
        let exempt = cfg.exemptions.namespaces.contains(&req.namespace)
            || cfg.exemptions.usernames.contains(&req.user_info.username);
        if eligible && !exempt {
            if let Some(obj) = &req.object {
                d.patch = secure_defaults_patch(obj, kind, &cfg.mutation);
            }
        }
        return d;
    }
    let input = DecideInput {
        config: cfg,
        namespace_labels: &labels,
    };
    let mut d = decide::validate(&input, req);
    let gate = state.gate.load_full();
    if let (Some(gate), Some(obj)) = (gate.as_ref(), req.object.as_ref()) {
        let kind = req.kind.kind.as_str();
        let relevant = (req.operation == "CREATE" || req.operation == "UPDATE")
            && req.sub_resource.is_empty()
            && !cfg.exemptions.namespaces.contains(&req.namespace);
        if relevant {
            if let Some(spec) = pod_spec_pointer(kind).and_then(|p| obj.pointer(p)) {
                let images = PodSpecRef(spec).images();
                gate.apply(&images, kind == "Pod", &mut d).await;
            }
        }
    }
    for note in notes {
        match note {
            // Warnings are not added to a denied request (as PSA).
            Note::Warning(w) if d.allowed => d.warnings.push(w),
            Note::Warning(_) => {}
            Note::Audit(k, v) => d.audit_annotations.push((k, v)),
        }
    }
    d
}
