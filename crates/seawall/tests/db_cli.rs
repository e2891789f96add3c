//! `seawall db` end to end against a fixture OSV bucket served from
//! 127.0.0.1: full then incremental updates (requests counted), conditional
//! requests, retries, mirrors, a corrupt zip, kill -9 mid-update, import,
//! and `seawall fs` reports through the shared report flags.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_seawall"));
    c.env_remove("SEAWALL_DB");
    c
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("seawall-dbcli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[derive(Default)]
struct State {
    files: HashMap<String, Vec<u8>>,
    hits: HashMap<String, usize>,
    /// paths that answer 503 this many more times
    fail: HashMap<String, usize>,
    /// paths whose body is sent slowly, forever
    stall: Vec<String>,
    stalled: bool,
}

#[derive(Clone)]
struct Bucket {
    base: String,
    st: Arc<Mutex<State>>,
}

impl Bucket {
    fn start() -> Bucket {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", l.local_addr().unwrap());
        let st = Arc::new(Mutex::new(State::default()));
        let s2 = st.clone();
        std::thread::spawn(move || {
            for c in l.incoming().flatten() {
                let s3 = s2.clone();
                std::thread::spawn(move || serve(c, s3));
            }
        });
        Bucket { base, st }
    }
    fn put(&self, path: &str, data: Vec<u8>) {
        self.st.lock().unwrap().files.insert(path.to_string(), data);
    }
    fn hits(&self, path: &str) -> usize {
        self.st.lock().unwrap().hits.get(path).copied().unwrap_or(0)
    }
    fn total(&self) -> usize {
        self.st.lock().unwrap().hits.values().sum()
    }
    fn reset(&self) {
        self.st.lock().unwrap().hits.clear();
    }
}

fn etag_of(d: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in d {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    format!("\"{h:x}\"")
}

fn serve(c: TcpStream, st: Arc<Mutex<State>>) {
    let mut r = BufReader::new(c.try_clone().unwrap());
    let mut line = String::new();
    if r.read_line(&mut line).is_err() {
        return;
    }
    let path = line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .trim_start_matches('/')
        .replace("%20", " ");
    let mut inm = None;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("if-none-match") {
                inm = Some(v.trim().to_string());
            }
        }
    }
    let mut w = c;
    let (body, fail, stall) = {
        let mut s = st.lock().unwrap();
        *s.hits.entry(path.clone()).or_default() += 1;
        let fail = match s.fail.get_mut(&path) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        };
        (s.files.get(&path).cloned(), fail, s.stall.contains(&path))
    };
    if fail {
        let _ = w.write_all(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    }
    let Some(body) = body else {
        let _ = w
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    };
    let tag = etag_of(&body);
    if inm.as_deref() == Some(tag.as_str()) {
        let _ = w.write_all(
            format!("HTTP/1.1 304 Not Modified\r\nETag: {tag}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        return;
    }
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: {tag}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = w.write_all(head.as_bytes());
    if stall {
        let _ = w.write_all(&body[..body.len() / 2]);
        let _ = w.flush();
        st.lock().unwrap().stalled = true;
        std::thread::sleep(Duration::from_secs(60));
        return;
    }
    let _ = w.write_all(&body);
}

fn record(id: &str, pkg: &str, fixed: &str, modified: &str) -> String {
    record_in("PyPI", id, pkg, fixed, modified)
}

fn record_in(eco: &str, id: &str, pkg: &str, fixed: &str, modified: &str) -> String {
    serde_json::json!({
        "schema_version": "1.7.0", "id": id, "modified": modified, "aliases": [format!("CVE-2099-{}", &id[id.len() - 4..])],
        "summary": format!("{pkg} issue {id}"),
        "affected": [{"package": {"ecosystem": eco, "name": pkg},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}],
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]
    })
    .to_string()
}

/// Builds a zip with python's zipfile (the CLI crate has no zip
/// dependency of its own).
fn make_zip(entries: &[(String, String)]) -> Vec<u8> {
    // One directory per zip: tests run in parallel and each builds its own.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = tmpdir(&format!("zip{n}"));
    for (n, d) in entries {
        std::fs::write(dir.join(n), d).unwrap();
    }
    let out = dir.join("all.zip");
    let py = "import sys, zipfile, os\nz = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\nfor f in sorted(os.listdir(sys.argv[2])):\n    if f.endswith('.json'):\n        z.write(os.path.join(sys.argv[2], f), f)\nz.close()\n";
    let st = Command::new("python3")
        .args(["-c", py])
        .arg(&out)
        .arg(&dir)
        .status()
        .unwrap();
    assert!(st.success());
    let zip = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    zip
}

fn run(cmd: &mut Command) -> Output {
    let o = cmd.output().unwrap();
    eprintln!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn update(db: &Path, sources: &[&str], eco: &str) -> Output {
    let mut c = bin();
    c.args([
        "db",
        "update",
        "--no-progress",
        "--backoff-ms",
        "10",
        "--ecosystem",
        eco,
        "--db",
    ])
    .arg(db);
    for s in sources {
        c.args(["--source", s]);
    }
    run(&mut c)
}

fn info(db: &Path) -> serde_json::Value {
    let o = run(bin().args(["db", "info", "--json", "--db"]).arg(db));
    assert!(o.status.success());
    serde_json::from_slice(&o.stdout).unwrap()
}

fn scan_json(db: &Path, project: &Path, extra: &[&str]) -> serde_json::Value {
    let o = run(bin()
        .args(["fs", "--offline", "--format", "json", "--db"])
        .arg(db)
        .arg(project)
        .args(extra));
    assert!(o.status.success(), "fs failed");
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn update_full_then_incremental_then_unchanged() {
    if !seawall_testutil::require_tool("update_full_then_incremental_then_unchanged", "python3") {
        return;
    }
    let b = Bucket::start();
    let mut recs: Vec<(String, String)> = (0..20)
        .map(|i| {
            let id = format!("PYSEC-2099-{i:04}");
            (
                format!("{id}.json"),
                record(&id, &format!("demo-{i}"), "2.0", "2099-01-01T00:00:00Z"),
            )
        })
        .collect();
    b.put("PyPI/all.zip", make_zip(&recs));
    let csv: String = recs
        .iter()
        .map(|(n, _)| format!("2099-01-01T00:00:00Z,{}\n", n.trim_end_matches(".json")))
        .collect();
    b.put("PyPI/modified_id.csv", csv.into_bytes());
    let db = tmpdir("incr");

    // first run: everything, from the zip
    let o = update(&db, &[&b.base], "PyPI");
    assert!(o.status.success());
    assert_eq!(b.hits("PyPI/all.zip"), 1);
    assert_eq!(b.total(), 1, "first run should only fetch all.zip");
    assert_eq!(info(&db)["records"], 20);

    // two records change, one is new
    b.reset();
    recs[3].1 = record("PYSEC-2099-0003", "demo-3", "3.0", "2099-02-01T00:00:00Z");
    recs[7].1 = record("PYSEC-2099-0007", "demo-7", "3.0", "2099-02-02T00:00:00Z");
    recs.push((
        "PYSEC-2099-0100.json".into(),
        record("PYSEC-2099-0100", "demo-new", "1.5", "2099-02-03T00:00:00Z"),
    ));
    let mut csv = String::from("2099-02-03T00:00:00Z,PYSEC-2099-0100\n2099-02-02T00:00:00Z,PYSEC-2099-0007\n2099-02-01T00:00:00Z,PYSEC-2099-0003\n");
    for (n, d) in &recs {
        b.put(&format!("PyPI/{n}"), d.clone().into_bytes());
        let id = n.trim_end_matches(".json");
        if !["PYSEC-2099-0100", "PYSEC-2099-0007", "PYSEC-2099-0003"].contains(&id) {
            csv.push_str(&format!("2099-01-01T00:00:00Z,{id}\n"));
        }
    }
    b.put("PyPI/modified_id.csv", csv.into_bytes());
    let o = update(&db, &[&b.base], "PyPI");
    assert!(o.status.success());
    assert_eq!(
        b.hits("PyPI/all.zip"),
        0,
        "incremental run must not fetch the zip"
    );
    assert_eq!(b.hits("PyPI/modified_id.csv"), 1);
    assert_eq!(b.total(), 4, "csv plus exactly the three changed records");
    assert_eq!(info(&db)["records"], 21);

    // the changed record's new fix is in effect
    let project = tmpdir("proj");
    std::fs::write(
        project.join("requirements.txt"),
        "demo-3==2.5\ndemo-new==1.0\ndemo-4==2.5\n",
    )
    .unwrap();
    let rep = scan_json(&db, &project, &[]);
    let ids: Vec<&str> = rep["vulnerabilities"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v["id"].as_str()).collect())
        .unwrap_or_default();
    if rep["packages"].as_array().is_some_and(|p| !p.is_empty()) {
        assert!(ids.contains(&"PYSEC-2099-0003"), "{ids:?}");
        assert!(ids.contains(&"PYSEC-2099-0100"), "{ids:?}");
        assert!(!ids.contains(&"PYSEC-2099-0004"), "{ids:?}");
    }

    // nothing changed: one conditional request answered 304
    b.reset();
    let o = update(&db, &[&b.base], "PyPI");
    assert!(o.status.success());
    assert_eq!(b.total(), 1);
    assert!(String::from_utf8_lossy(&o.stdout).contains("unchanged"));
}

#[test]
fn retries_mirrors_and_corrupt_zip() {
    if !seawall_testutil::require_tool("retries_mirrors_and_corrupt_zip", "python3") {
        return;
    }
    let good = Bucket::start();
    let recs = vec![(
        "GHSA-aaaa-0001.json".to_string(),
        record("GHSA-aaaa-0001", "demo", "2.0", "2099-01-01T00:00:00Z"),
    )];
    good.put("PyPI/all.zip", make_zip(&recs));
    good.st
        .lock()
        .unwrap()
        .fail
        .insert("PyPI/all.zip".into(), 2);
    let db = tmpdir("retry");
    let o = update(&db, &[&good.base], "PyPI");
    assert!(o.status.success(), "should succeed after two 503s");
    assert_eq!(good.hits("PyPI/all.zip"), 3);

    // a dead first mirror falls through to the second
    let dead = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let a = format!("http://{}", l.local_addr().unwrap());
        drop(l);
        a
    };
    good.reset();
    let db2 = tmpdir("mirror");
    let o = update(&db2, &[&dead, &good.base], "PyPI");
    assert!(o.status.success());
    assert_eq!(good.hits("PyPI/all.zip"), 1);

    // a corrupt zip is rejected with a clear error and the database kept
    let bad = Bucket::start();
    bad.put(
        "npm/all.zip",
        b"PK\x03\x04 this is not really a zip".to_vec(),
    );
    let before = info(&db);
    let o = update(&db, &[&bad.base], "npm");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("npm/all.zip") && err.contains("not a valid zip archive"),
        "{err}"
    );
    let after = info(&db);
    assert_eq!(before["records"], after["records"]);
    assert_eq!(before["built_at"], after["built_at"]);
}

#[test]
fn kill_9_mid_update_leaves_the_old_database_working() {
    if !seawall_testutil::require_tool(
        "kill_9_mid_update_leaves_the_old_database_working",
        "python3",
    ) {
        return;
    }
    let b = Bucket::start();
    let recs = vec![(
        "PYSEC-2099-0001.json".to_string(),
        record("PYSEC-2099-0001", "demo", "2.0", "2099-01-01T00:00:00Z"),
    )];
    b.put("PyPI/all.zip", make_zip(&recs));
    let db = tmpdir("kill");
    assert!(update(&db, &[&b.base], "PyPI").status.success());
    let before = info(&db);

    // a big Go zip that stalls half way
    let big: Vec<(String, String)> = (0..3000)
        .map(|i| {
            (
                format!("GO-2099-{i:04}.json"),
                record(
                    &format!("GO-2099-{i:04}"),
                    &format!("example.com/m{i}"),
                    "2.0",
                    "2099-01-01T00:00:00Z",
                ),
            )
        })
        .collect();
    b.put("Go/all.zip", make_zip(&big));
    b.st.lock().unwrap().stall.push("Go/all.zip".into());
    let mut child = bin()
        .args([
            "db",
            "update",
            "--no-progress",
            "--ecosystem",
            "Go",
            "--source",
            &b.base,
            "--db",
        ])
        .arg(&db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while !b.st.lock().unwrap().stalled {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "download never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let after = info(&db);
    assert_eq!(before["records"], after["records"]);
    assert_eq!(before["built_at"], after["built_at"]);
    // and it still answers queries
    let db_open = seawall_vulndb::Db::open(&db).unwrap();
    assert_eq!(db_open.candidates("PyPI", "demo").len(), 1);

    // the next update succeeds and cleans up
    b.st.lock().unwrap().stall.clear();
    assert!(update(&db, &[&b.base], "Go").status.success());
    assert_eq!(info(&db)["records"], 3001);
    let leftovers: Vec<String> = std::fs::read_dir(&db)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn import_info_and_report_filters() {
    let src = tmpdir("import-src");
    std::fs::write(
        src.join("A.json"),
        record_in(
            "crates.io",
            "RUSTSEC-2099-0001",
            "demo",
            "2.0.0",
            "2099-01-01T00:00:00Z",
        ),
    )
    .unwrap();
    std::fs::write(src.join("B.json"), r#"{"id":"RUSTSEC-2099-0002","modified":"2099-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"crates.io","name":"demo"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"#).unwrap();
    std::fs::write(src.join("broken.json"), r#"{"id":"RUSTSEC-2099-0003","affected":[{"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}]}]}"#).unwrap();
    let db = tmpdir("import-db");
    let o = run(bin()
        .args(["db", "import"])
        .arg(&src)
        .env("SEAWALL_DB", &db));
    assert!(o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("broken.json")
            && String::from_utf8_lossy(&o.stderr).contains("RUSTSEC-2099-0003")
    );
    let i = info(&db);
    assert_eq!(i["records"], 2);
    let text = run(bin().args(["db", "info"]).env("SEAWALL_DB", &db));
    assert!(String::from_utf8_lossy(&text.stdout).contains("records:   2"));

    // no database: a clear error
    let empty = tmpdir("empty-db");
    let o = run(bin().args(["db", "info", "--db"]).arg(&empty));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no vulnerability database"));

    let project = tmpdir("filters");
    std::fs::write(
        project.join("Cargo.lock"),
        "version = 3\n\n[[package]]\nname = \"demo\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    )
    .unwrap();
    let rep = scan_json(&db, &project, &[]);
    assert_eq!(
        rep["packages"].as_array().map(Vec::len),
        Some(1),
        "catalog did not find the Cargo.lock package"
    );
    for k in ["artifact", "os", "packages", "vulnerabilities"] {
        assert!(rep.get(k).is_some(), "report lacks {k}");
    }
    let v = rep["vulnerabilities"].as_array().unwrap();
    assert_eq!(v.len(), 2);
    for f in v {
        for k in [
            "id",
            "aliases",
            "package",
            "installed_version",
            "fixed_version",
            "status",
            "severity",
        ] {
            assert!(f.get(k).is_some(), "finding lacks {k}: {f}");
        }
    }
    let unfixed = v.iter().find(|f| f["id"] == "RUSTSEC-2099-0002").unwrap();
    assert_eq!(unfixed["status"], "affected-no-fix");
    assert!(unfixed["fixed_version"].is_null());
    let fixed = v.iter().find(|f| f["id"] == "RUSTSEC-2099-0001").unwrap();
    assert_eq!(fixed["severity"], "CRITICAL");
    assert_eq!(fixed["severity_source"], "cvss_v3");

    // --ignore-unfixed
    let rep = scan_json(&db, &project, &["--ignore-unfixed"]);
    assert_eq!(rep["vulnerabilities"].as_array().unwrap().len(), 1);
    // ignore file by alias, with an expired entry warning
    let ig = project.join("ignore.yaml");
    std::fs::write(&ig, "vulnerabilities:\n  - id: CVE-2099-0001\n    reason: not reachable\n    expires: 2999-01-01\n  - id: RUSTSEC-2099-0002\n    reason: old\n    expires: 2000-01-01\n").unwrap();
    let o = run(bin()
        .args(["fs", "--offline", "--format", "json", "--db"])
        .arg(&db)
        .arg(&project)
        .arg("--ignorefile")
        .arg(&ig));
    let rep: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = rep["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["id"].as_str())
        .collect();
    assert_eq!(ids, ["RUSTSEC-2099-0002"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("expired"));
    // OpenVEX not_affected
    let vex = project.join("vex.json");
    std::fs::write(&vex, r#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"RUSTSEC-2099-0002"},"products":[{"@id":"pkg:cargo/demo"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}"#).unwrap();
    let rep = scan_json(&db, &project, &["--vex", vex.to_str().unwrap()]);
    let ids: Vec<&str> = rep["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["id"].as_str())
        .collect();
    assert_eq!(ids, ["RUSTSEC-2099-0001"]);
    assert_eq!(rep["suppressed"][0]["by"], "vex");
    // exit code and other formats
    let o = run(bin()
        .args(["fs", "--offline", "--exit-code", "5", "--db"])
        .arg(&db)
        .arg(&project));
    assert_eq!(o.status.code(), Some(5));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("Fixable") && out.contains("Unfixed"), "{out}");
    for fmt in ["sarif", "cyclonedx"] {
        let o = run(bin()
            .args(["fs", "--offline", "--format", fmt, "--db"])
            .arg(&db)
            .arg(&project));
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        if fmt == "sarif" {
            assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 2);
        } else {
            assert_eq!(doc["vulnerabilities"].as_array().unwrap().len(), 2);
        }
    }
}
