//! Fixed-rate load generator for the admission benchmark
//! (`bench/admission-load.sh`): sends AdmissionReview requests over TLS at a
//! given rate for a given time, and prints p50, p99, max and errors.
//!
//! Usage: `loadgen ADDR CA_CERT RATE SECONDS [CONNECTIONS]`
//!
//! Requests are scheduled on a fixed timetable (open loop), so a slow answer
//! shows up as latency rather than as a lower request rate: a request that
//! had to wait for the previous answer on its connection is timed from its
//! scheduled time. A request whose connection was idle at its scheduled time
//! is timed from when it is actually sent, so that the client's own timer
//! (tokio's has 1 ms resolution and wakes up to 1 ms late) is not counted
//! as server latency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use tokio::net::TcpStream;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: loadgen ADDR CA_CERT RATE SECONDS [CONNECTIONS]");
        std::process::exit(2);
    }
    let addr: std::net::SocketAddr = args[1].parse().expect("ADDR");
    let rate: u64 = args[3].parse().expect("RATE");
    let secs: u64 = args[4].parse().expect("SECONDS");
    let conns: usize = args.get(5).and_then(|c| c.parse().ok()).unwrap_or(8);

    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(&args[2]).expect("CA_CERT");
    for c in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(c.expect("certificate")).expect("add CA");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("tls versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));

    let body = Bytes::from(
        serde_json::json!({
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {
                "uid": "bench", "operation": "CREATE", "namespace": "default",
                "kind": {"group": "", "version": "v1", "kind": "Pod"},
                "resource": {"group": "", "version": "v1", "resource": "pods"},
                "userInfo": {"username": "bench"},
                "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                    "spec": {"containers": [{"name": "app", "image": "nginx:1.27",
                        "securityContext": {"privileged": true}}]}}
            }
        })
        .to_string(),
    );

    let total = rate * secs;
    let per_conn = total / conns as u64;
    let interval = Duration::from_nanos(1_000_000_000 * conns as u64 / rate.max(1));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..conns {
        let connector = connector.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per_conn as usize);
            let mut sched = Vec::with_capacity(per_conn as usize);
            let mut errors = 0u64;
            let tcp = TcpStream::connect(addr).await.expect("connect");
            tcp.set_nodelay(true).ok();
            let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
            let tls = connector.connect(name, tcp).await.expect("tls");
            let (mut send, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                    .await
                    .expect("handshake");
            tokio::spawn(conn);
            // Stagger connections across the first interval.
            let offset = interval * i as u32 / conns as u32;
            let mut prev_done = start;
            for n in 0..per_conn {
                let due = start + offset + interval * n as u32;
                tokio::time::sleep_until(due.into()).await;
                let req = http::Request::builder()
                    .method("POST")
                    .uri("/validate")
                    .header("host", "localhost")
                    .header("content-type", "application/json")
                    .body(Full::new(body.clone()))
                    .expect("request");
                // Open loop: queued behind a slow answer, the request is
                // late from its scheduled time; otherwise from its sending.
                let sent = Instant::now();
                let from = if prev_done > due { due } else { sent };
                let ok = async {
                    send.ready().await.ok()?;
                    let resp = send.send_request(req).await.ok()?;
                    let status = resp.status();
                    resp.into_body().collect().await.ok()?;
                    status.is_success().then_some(())
                }
                .await;
                prev_done = Instant::now();
                if ok.is_some() {
                    lat.push(prev_done - from);
                    sched.push(prev_done - due);
                } else {
                    errors += 1;
                }
            }
            (lat, sched, errors)
        }));
    }
    let mut all = Vec::new();
    let mut from_schedule = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, s, e) = t.await.expect("task");
        all.extend(l);
        from_schedule.extend(s);
        errors += e;
    }
    let elapsed = start.elapsed();
    all.sort();
    from_schedule.sort();
    let pct_of = |v: &[Duration], p: f64| -> Duration {
        if v.is_empty() {
            return Duration::ZERO;
        }
        let idx = ((v.len() as f64 - 1.0) * p).round() as usize;
        v[idx.min(v.len() - 1)]
    };
    let pct = |p: f64| pct_of(&all, p);
    println!(
        "requests={} errors={} elapsed={:.1}s rate={:.0}/s p50={:.3}ms p99={:.3}ms max={:.3}ms",
        all.len() as u64 + errors,
        errors,
        elapsed.as_secs_f64(),
        (all.len() as u64 + errors) as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        all.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    // The same answers timed from their scheduled times, client timer
    // lateness included (an upper bound).
    println!(
        "from schedule (incl. client timer lateness): p50={:.3}ms p99={:.3}ms",
        pct_of(&from_schedule, 0.50).as_secs_f64() * 1e3,
        pct_of(&from_schedule, 0.99).as_secs_f64() * 1e3,
    );
}
