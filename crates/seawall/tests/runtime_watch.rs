//! Root tests of `seawall runtime watch`: the eBPF sensor with the upstream
//! Falco rules watching real podman (runc) containers.
//!
//! The test image is built on the fly from host binaries: busybox-static
//! plus `tests/fixtures/sensor/swtool.c` (compiled `-static`), a helper for
//! the syscalls busybox cannot make (memfd exec, ptrace attach, packet
//! socket, outbound connect as `ssh`). Every test runs its attack inside a
//! fresh container and waits at most 2 s after the container command ends
//! for the upstream rule's alert, then checks the container and process
//! fields of the alert against what podman says.
//!
//! Scripts call busybox applets by absolute path: Debian's busybox-static
//! runs bare applet names through `/proc/self/exe`, which makes every
//! process's name `exe` (as Falco would see it too).
//!
//! One sensor per rules set is shared by the tests of this binary; the
//! restart test runs its own.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

const IMAGE: &str = "localhost/seawall-sensor-test:v2";

fn seawall() -> &'static str {
    env!("CARGO_BIN_EXE_seawall")
}

/// Preconditions; `None` (with a message) when the test cannot run here.
fn ready(test: &str) -> Option<PathBuf> {
    if !seawall_testutil::is_root() {
        if seawall_testutil::in_ci() {
            panic!("{test}: the sensor tests must run as root in CI");
        }
        eprintln!("SKIPPED {test}: needs root");
        return None;
    }
    for tool in ["podman", "runc", "gcc"] {
        if !seawall_testutil::require_tool(test, tool) {
            return None;
        }
    }
    if !Path::new("/bin/busybox").exists() {
        if seawall_testutil::in_ci() {
            panic!("{test}: /bin/busybox (busybox-static) is required");
        }
        eprintln!("SKIPPED {test}: /bin/busybox (busybox-static) not installed");
        return None;
    }
    let rules = seawall_testutil::shared_path(test, "rules/falco/falco_rules.yaml")?;
    image();
    Some(rules)
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("seawall-sensor-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}

fn sh(cmd: &str) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .output()
        .expect("run sh")
}

/// Build (once) the busybox + swtool image.
fn image() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let out = Command::new("podman")
            .args(["image", "exists", IMAGE])
            .status()
            .expect("podman");
        if out.success() {
            return;
        }
        let dir = tmpdir("image");
        let root = dir.join("root");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sensor/swtool.c");
        let script = format!(
            r#"set -e
R={root}
mkdir -p $R/bin $R/usr/bin $R/etc $R/tmp $R/var/log $R/root $R/dev/shm $R/proc $R/sys $R/srv
cp /bin/busybox $R/bin/busybox
for a in $(/bin/busybox --list); do [ -e $R/bin/$a ] || ln -s busybox $R/bin/$a; done
gcc -static -O2 -o $R/usr/bin/swtool {src}
cp $R/usr/bin/swtool $R/usr/bin/ssh
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\nswuser:x:1234:1234:sw:/tmp:/bin/sh\n' > $R/etc/passwd
printf 'root:x:0:\nnobody:x:65534:\nswuser:x:1234:\n' > $R/etc/group
printf 'root:*:19000:0:99999:7:::\n' > $R/etc/shadow
chmod 600 $R/etc/shadow
echo 'boot ok' > $R/var/log/syslog
echo '<h1>hello</h1>' > $R/srv/index.html
chmod 1777 $R/tmp
tar -C $R -cf {dir}/root.tar .
podman import --change 'CMD ["/bin/sh"]' {dir}/root.tar {IMAGE}
"#,
            root = root.display(),
            src = src.display(),
            dir = dir.display(),
        );
        let o = sh(&script);
        assert!(
            o.status.success(),
            "building the test image failed: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// A running `seawall runtime watch`.
struct Watch {
    child: Child,
    /// The wrapper's stdin: when it closes (the watch is dropped, or this
    /// test process ends, even without running destructors, as the shared
    /// sensors in statics do) the wrapper stops the sensor.
    stdin: Option<std::process::ChildStdin>,
    alerts: PathBuf,
    metrics: String,
}

impl Watch {
    fn start(name: &str, rules: &[PathBuf], extra: &[&str]) -> Watch {
        let dir = tmpdir(name);
        let alerts = dir.join("alerts.jsonl");
        let port = free_port();
        let metrics = format!("127.0.0.1:{port}");
        // sh runs the sensor in the background and stops it (SIGTERM, then
        // waits) when its stdin, a pipe from this process, reaches EOF: a
        // sensor must never outlive the tests and load the machine.
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg("\"$0\" \"$@\" & pid=$!; cat >/dev/null; kill $pid 2>/dev/null; wait $pid")
            .arg(seawall());
        cmd.args(["runtime", "watch", "--json", "--metrics", &metrics]);
        cmd.arg("--output")
            .arg(format!("file:{}", alerts.display()));
        for r in rules {
            cmd.arg("--rules").arg(r);
        }
        cmd.args(extra);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn seawall runtime watch");
        let stdin = child.stdin.take();
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[sensor] {line}");
                if !sent && line.contains("sensor running") {
                    let _ = tx.send(Ok(()));
                    sent = true;
                }
            }
            if !sent {
                let _ = tx.send(Err(()));
            }
        });
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(Ok(())) => {}
            other => {
                drop(stdin);
                let _ = child.wait();
                panic!("the sensor did not start: {other:?}");
            }
        }
        Watch {
            child,
            stdin,
            alerts,
            metrics,
        }
    }

    fn alerts(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.alerts)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Wait until an alert of `rule` for container `cname` shows up.
    fn wait_alert(&self, rule: &str, cname: &str, within: Duration) -> Option<Value> {
        let start = Instant::now();
        loop {
            if let Some(a) = self
                .alerts()
                .into_iter()
                .find(|a| a["rule"] == rule && a["output_fields"]["container.name"] == cname)
            {
                return Some(a);
            }
            if start.elapsed() > within {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn http_get(&self, path: &str) -> String {
        use std::io::{Read, Write};
        let mut c = std::net::TcpStream::connect(&self.metrics).expect("connect metrics");
        write!(
            c,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut s = String::new();
        c.read_to_string(&mut s).unwrap();
        s
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The shared sensor with the stable rules (plus, for the write-below
/// tests, the sandbox file that holds those rules).
fn shared(rules: &Path, with_sandbox: bool) -> &'static Mutex<Watch> {
    static STABLE: OnceLock<Mutex<Watch>> = OnceLock::new();
    static FULL: OnceLock<Mutex<Watch>> = OnceLock::new();
    if with_sandbox {
        FULL.get_or_init(|| {
            let dir = rules.parent().expect("rules dir");
            Mutex::new(Watch::start(
                "full",
                &[
                    rules.to_path_buf(),
                    dir.join("falco-incubating_rules.yaml"),
                    dir.join("falco-sandbox_rules.yaml"),
                ],
                &[],
            ))
        })
    } else {
        STABLE.get_or_init(|| Mutex::new(Watch::start("stable", &[rules.to_path_buf()], &[])))
    }
}

fn unique(name: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "sw-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// `podman run` a shell command in a new container; returns (full id, name).
fn run_container(name: &str, script: &str, tty: bool, extra: &[&str]) -> (String, String) {
    let (id, cname, _) = run_container_output(name, script, tty, extra);
    (id, cname)
}

/// Like [`run_container`], also returning the container's output.
fn run_container_output(
    name: &str,
    script: &str,
    tty: bool,
    extra: &[&str],
) -> (String, String, String) {
    let cname = unique(name);
    let mut cmd = Command::new("podman");
    cmd.args(["--runtime", "runc", "run", "--name", &cname]);
    cmd.args([
        "--ulimit",
        "nofile=1024:1024",
        "--ulimit",
        "nproc=1024:1024",
    ]);
    if tty {
        cmd.arg("-t");
    }
    cmd.args(extra);
    // keep the container (no --rm) so its id can be checked, remove it after
    cmd.args([IMAGE, "sh", "-c", script]);
    cmd.stdin(Stdio::null());
    let out = cmd.output().expect("podman run");
    let id = String::from_utf8_lossy(
        &Command::new("podman")
            .args(["inspect", "--format", "{{.Id}}", &cname])
            .output()
            .expect("podman inspect")
            .stdout,
    )
    .trim()
    .to_string();
    let _ = Command::new("podman").args(["rm", "-f", &cname]).output();
    assert_eq!(
        id.len(),
        64,
        "container {cname} id {id:?}; podman said {out:?}"
    );
    (id, cname, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Run `script` in a container and expect `rule` within 2 s, with correct
/// container and process fields. Returns the alert.
fn expect_rule(
    test: &str,
    with_sandbox: bool,
    script: &str,
    rule: &str,
    tty: bool,
) -> Option<Value> {
    expect_rule_in(test, with_sandbox, script, rule, tty, &[])
}

/// [`expect_rule`] with extra `podman run` arguments.
fn expect_rule_in(
    test: &str,
    with_sandbox: bool,
    script: &str,
    rule: &str,
    tty: bool,
    extra: &[&str],
) -> Option<Value> {
    let rules = ready(test)?;
    let w = shared(&rules, with_sandbox)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    // a short sleep keeps the container alive while the sensor looks it up
    let (id, cname) = run_container(test, &format!("{script}; sleep 0.3"), tty, extra);
    let a = w
        .wait_alert(rule, &cname, Duration::from_secs(2))
        .unwrap_or_else(|| {
            let seen: Vec<String> = w
                .alerts()
                .iter()
                .filter(|a| a["output_fields"]["container.name"] == cname.as_str())
                .map(|a| a["rule"].to_string())
                .collect();
            panic!(
                "{test}: no {rule:?} alert for container {cname} within 2 s; its alerts: {seen:?}"
            )
        });
    let f = &a["output_fields"];
    assert_eq!(f["container.id"], &id[..12], "{a}");
    assert_eq!(f["container.name"], cname.as_str(), "{a}");
    assert_eq!(f["container.image"], IMAGE, "{a}");
    assert_eq!(f["user.name"], "root", "{a}");
    assert!(
        f["proc.name"]
            .as_str()
            .is_some_and(|s| !s.is_empty() && s != "<NA>"),
        "{a}"
    );
    Some(a)
}

#[test]
fn terminal_shell_in_container() {
    if let Some(a) = expect_rule(
        "terminal_shell",
        false,
        "true",
        "Terminal shell in container",
        true,
    ) {
        assert_eq!(a["output_fields"]["proc.name"], "sh", "{a}");
        assert_ne!(a["output_fields"]["proc.tty"], 0, "{a}");
    }
}

#[test]
fn read_etc_shadow() {
    if let Some(a) = expect_rule(
        "read_shadow",
        false,
        "/bin/cat /etc/shadow >/dev/null",
        "Read sensitive file untrusted",
        false,
    ) {
        assert_eq!(a["output_fields"]["fd.name"], "/etc/shadow", "{a}");
        assert_eq!(a["output_fields"]["proc.name"], "cat", "{a}");
    }
}

#[test]
fn netcat_remote_shell() {
    if let Some(a) = expect_rule(
        "netcat",
        false,
        "/bin/nc -w 1 -e /bin/sh 127.0.0.1 9 || true",
        "Netcat Remote Code Execution in Container",
        false,
    ) {
        assert_eq!(a["output_fields"]["proc.name"], "nc", "{a}");
        assert!(
            a["output_fields"]["proc.cmdline"]
                .as_str()
                .unwrap_or("")
                .contains("-e /bin/sh"),
            "{a}"
        );
    }
}

#[test]
fn write_below_etc() {
    if let Some(a) = expect_rule(
        "write_etc",
        true,
        "echo x > /etc/seawall-test.conf",
        "Write below etc",
        false,
    ) {
        assert_eq!(
            a["output_fields"]["fd.name"], "/etc/seawall-test.conf",
            "{a}"
        );
    }
}

#[test]
fn write_below_binary_dir() {
    if let Some(a) = expect_rule(
        "write_bin",
        true,
        "echo x > /bin/seawall-dropped",
        "Write below binary dir",
        false,
    ) {
        assert_eq!(a["output_fields"]["fd.name"], "/bin/seawall-dropped", "{a}");
    }
}

#[test]
fn drop_and_execute_new_binary() {
    if let Some(a) = expect_rule(
        "drop_exec",
        false,
        "/bin/cp /usr/bin/swtool /tmp/dropped && /tmp/dropped noop",
        "Drop and execute new binary in container",
        false,
    ) {
        assert_eq!(a["output_fields"]["proc.exe"], "/tmp/dropped", "{a}");
    }
}

/// podman mounts /dev/shm `noexec` (as Docker does), so an exec from it
/// fails with EACCES and no process is spawned; Kubernetes pods and hosts
/// often have an executable /dev/shm, which this container gets with
/// `--tmpfs /dev/shm:exec`.
#[test]
fn execution_from_dev_shm() {
    if let Some(a) = expect_rule_in(
        "dev_shm",
        false,
        "/bin/cp /usr/bin/swtool /dev/shm/x && /dev/shm/x noop",
        "Execution from /dev/shm",
        false,
        &["--tmpfs", "/dev/shm:rw,exec,nosuid,nodev,size=65536k"],
    ) {
        assert_eq!(a["output_fields"]["proc.exepath"], "/dev/shm/x", "{a}");
    }
}

#[test]
fn fileless_execution_via_memfd() {
    expect_rule(
        "memfd",
        false,
        "/usr/bin/swtool memfd-exec",
        "Fileless execution via memfd_create",
        false,
    );
}

#[test]
fn ptrace_attach() {
    if let Some(a) = expect_rule(
        "ptrace",
        false,
        "/usr/bin/swtool ptrace",
        "PTRACE attached to process",
        false,
    ) {
        assert_eq!(a["output_fields"]["proc.name"], "swtool", "{a}");
    }
}

#[test]
fn packet_socket() {
    expect_rule(
        "packet",
        false,
        "/usr/bin/swtool packet",
        "Packet socket created in container",
        false,
    );
}

#[test]
fn symlink_over_etc_shadow() {
    if let Some(a) = expect_rule(
        "symlink",
        false,
        "/bin/ln -s /etc/shadow /tmp/shadow-link",
        "Create Symlink Over Sensitive Files",
        false,
    ) {
        assert_eq!(a["output_fields"]["evt.arg.target"], "/etc/shadow", "{a}");
    }
}

#[test]
fn clearing_logs() {
    if let Some(a) = expect_rule(
        "clear_log",
        false,
        ": > /var/log/syslog",
        "Clear Log Activities",
        false,
    ) {
        assert_eq!(a["output_fields"]["fd.name"], "/var/log/syslog", "{a}");
    }
}

#[test]
fn searching_private_keys() {
    expect_rule(
        "private_keys",
        false,
        "/bin/find / -xdev -name id_rsa >/dev/null 2>&1 || true",
        "Search Private Keys or Passwords",
        false,
    );
}

#[test]
fn looking_for_aws_credentials() {
    expect_rule(
        "aws",
        false,
        "/bin/grep -r aws_secret_access_key /root >/dev/null 2>&1 || true",
        "Find AWS Credentials",
        false,
    );
}

#[test]
fn outbound_ssh_to_non_standard_port() {
    if let Some(a) = expect_rule(
        "ssh",
        false,
        "/usr/bin/ssh 203.0.113.5 443",
        "Disallowed SSH Connection Non Standard Port",
        false,
    ) {
        assert_eq!(a["output_fields"]["fd.rport"], 443, "{a}");
    }
}

/// A benign workload of the same length fires nothing at WARNING or above.
#[test]
fn benign_workload_is_quiet() {
    let Some(rules) = ready("benign") else { return };
    let w = shared(&rules, false)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let script = "mkdir -p /srv/app && cd /srv/app && \
        printf 'int main(){return 0;}\\n' > main.c && cp main.c main.o && \
        (httpd -f -p 127.0.0.1:8080 -h /srv & ) && sleep 0.2 && \
        wget -q -O /tmp/page http://127.0.0.1:8080/index.html && grep -q hello /tmp/page && \
        ls -la /srv /tmp >/dev/null && tar -cf /tmp/app.tar /srv/app && gzip /tmp/app.tar && \
        sort /etc/passwd | uniq | wc -l >/dev/null && sleep 0.5";
    let (_id, cname) = run_container("benign", script, false, &[]);
    std::thread::sleep(Duration::from_secs(2));
    let loud: Vec<Value> = w
        .alerts()
        .into_iter()
        .filter(|a| a["output_fields"]["container.name"] == cname.as_str())
        .filter(|a| {
            matches!(
                a["priority"].as_str(),
                Some("Warning" | "Error" | "Critical" | "Alert" | "Emergency")
            )
        })
        .collect();
    assert!(loud.is_empty(), "benign workload alerted: {loud:#?}");
}

/// Killing and restarting the sensor while a container runs: the new
/// sensor learns the container and its processes from /proc and podman,
/// and alerts on them with full context.
#[test]
fn restart_recovers_state() {
    let Some(rules) = ready("restart") else {
        return;
    };
    let cname = unique("restart");
    let run = Command::new("podman")
        .args(["--runtime", "runc", "run", "-d", "--name", &cname])
        .args([
            "--ulimit",
            "nofile=1024:1024",
            "--ulimit",
            "nproc=1024:1024",
        ])
        .args([IMAGE, "sh", "-c", "while true; do sleep 0.2; done"])
        .output()
        .expect("podman run -d");
    assert!(run.status.success(), "{run:?}");
    let id = String::from_utf8_lossy(&run.stdout).trim().to_string();
    let cleanup = Cleanup(cname.clone());
    let first = Watch::start("restart1", std::slice::from_ref(&rules), &[]);
    drop(first);
    let w = Watch::start("restart2", std::slice::from_ref(&rules), &[]);
    // the loop shell existed before this sensor started: its reads come
    // from the /proc snapshot, and a new exec inherits its context
    let ex = Command::new("podman")
        .args([
            "exec",
            &cname,
            "sh",
            "-c",
            "/bin/cat /etc/shadow >/dev/null",
        ])
        .output()
        .expect("podman exec");
    assert!(ex.status.success(), "{ex:?}");
    let a = w
        .wait_alert(
            "Read sensitive file untrusted",
            &cname,
            Duration::from_secs(2),
        )
        .unwrap_or_else(|| panic!("no alert after restart; alerts: {:?}", w.alerts()));
    let f = &a["output_fields"];
    assert_eq!(f["container.id"], &id[..12], "{a}");
    assert_eq!(f["container.image"], IMAGE, "{a}");
    assert_eq!(f["user.name"], "root", "{a}");
    let health = w.http_get("/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let metrics = w.http_get("/metrics");
    assert!(metrics.contains("seawall_sensor_events_total"), "{metrics}");
    assert!(
        metrics.contains("seawall_sensor_drops_total 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("seawall_alerts_total{rule=\"Read sensitive file untrusted\"}"),
        "{metrics}"
    );
    drop(cleanup);
}

struct Cleanup(String);
impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = Command::new("podman")
            .args(["rm", "-f", "-t", "0", &self.0])
            .output();
    }
}

/// The opt-in response: a rule configured with --kill-on kills the process.
#[test]
fn kill_response_terminates_offender() {
    let Some(rules) = ready("kill") else { return };
    let w = Watch::start(
        "kill",
        std::slice::from_ref(&rules),
        &["--kill-on", "Read sensitive file untrusted"],
    );
    // without the response cat would stream /dev/zero until timeout's SIGTERM (143)
    let (_id, cname, out) = run_container_output(
        "kill",
        "/bin/timeout 10 /bin/cat /etc/shadow /dev/zero > /dev/null; echo status=$?",
        false,
        &[],
    );
    assert!(w
        .wait_alert(
            "Read sensitive file untrusted",
            &cname,
            Duration::from_secs(2)
        )
        .is_some());
    assert!(
        out.contains("status=137"),
        "cat was not killed by SIGKILL: {out}"
    );
    let metrics = w.http_get("/metrics");
    assert!(
        metrics.contains("seawall_sensor_kills_total 1"),
        "{metrics}"
    );
}

/// Editing a rules file while the sensor runs: the new rules apply within
/// seconds, the kernel starts capturing a syscall only the new rules need,
/// and a broken edit leaves the running rules in place.
#[test]
fn rules_edit_is_reloaded_and_refilters_the_kernel() {
    if ready("reload").is_none() {
        return;
    }
    let dir = tmpdir("reload-rules");
    let rules = dir.join("rules.yaml");
    let probe = dir.join("probe");
    std::fs::create_dir_all(&probe).unwrap();
    let tag = unique("swreload");
    let rule_a = format!(
        "- rule: reload probe open\n  desc: test\n  condition: evt.type in (open, openat) and fd.name contains {tag}\n  output: opened %fd.name\n  priority: WARNING\n"
    );
    // mkdir is neither wanted by the first rules nor kept for state: it
    // reaches the engine only if the kernel filter follows the reload
    let rule_b = format!(
        "- rule: reload probe mkdir\n  desc: test\n  condition: evt.type in (mkdir, mkdirat) and evt.arg.path contains {tag}\n  output: made %evt.arg.path\n  priority: WARNING\n"
    );
    std::fs::write(&rules, &rule_a).unwrap();
    let w = Watch::start("reload", std::slice::from_ref(&rules), &[]);
    let count = |rule: &str| w.alerts().iter().filter(|a| a["rule"] == rule).count();
    let mut n = 0;
    // fire `act` until `rule` has more than `before` alerts (10 s at most)
    let mut fire_until = |rule: &str, before: usize, act: &dyn Fn(usize)| -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            n += 1;
            act(n);
            std::thread::sleep(Duration::from_millis(300));
            if count(rule) > before {
                return true;
            }
        }
        false
    };
    let open = |i: usize| {
        let _ = std::fs::write(probe.join(format!("{tag}-f{i}")), b"x");
    };
    let mkdir = |i: usize| {
        let _ = std::fs::create_dir(probe.join(format!("{tag}-d{i}")));
    };
    assert!(
        fire_until("reload probe open", 0, &open),
        "the first rules never fired: {:?}",
        w.alerts()
    );

    std::fs::write(&rules, &rule_b).unwrap();
    assert!(
        fire_until("reload probe mkdir", 0, &mkdir),
        "the edited rules never fired: {:?}",
        w.alerts()
    );
    let opens = count("reload probe open");
    open(9999);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        count("reload probe open"),
        opens,
        "the old rule still fires"
    );

    // a broken edit: the running rules stay
    std::fs::write(&rules, format!("{rule_b}- rule: [broken\n")).unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let made = count("reload probe mkdir");
    assert!(
        fire_until("reload probe mkdir", made, &mkdir),
        "the rules stopped working after a broken edit"
    );
    let metrics = w.http_get("/metrics");
    assert!(
        metrics.contains("seawall_rules_reloads_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("seawall_rules_reload_failures_total 1"),
        "{metrics}"
    );
}

/// thread.cap_effective of a process exec'd after the sensor started comes
/// from the exec record and follows capset: the release_agent rule needs
/// CAP_SYS_ADMIN, so it fires for a container given that capability, not
/// for a default one, and not after the process dropped it.
#[test]
fn release_agent_write_needs_cap_sys_admin() {
    let script = "echo x > /tmp/release_agent";
    let rule = "Detect release_agent File Container Escapes";
    let Some(rules) = ready("release_agent") else {
        return;
    };
    {
        let w = shared(&rules, false)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let (_, cname) = run_container("ra_plain", &format!("{script}; sleep 0.3"), false, &[]);
        std::thread::sleep(Duration::from_secs(1));
        assert!(
            w.wait_alert(rule, &cname, Duration::from_millis(10))
                .is_none(),
            "fired without CAP_SYS_ADMIN"
        );
    }
    {
        // the capability dropped with capset before the write: the thread
        // table follows capset, so no alert although exec granted it
        let w = shared(&rules, false)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let (_, cname, out) = run_container_output(
            "ra_dropped",
            "/usr/bin/swtool dropcap-write 21 /tmp/release_agent && echo wrote; sleep 0.3",
            false,
            &["--cap-add", "SYS_ADMIN"],
        );
        assert!(out.contains("wrote"), "swtool dropcap-write failed: {out}");
        std::thread::sleep(Duration::from_secs(1));
        assert!(
            w.wait_alert(rule, &cname, Duration::from_millis(10))
                .is_none(),
            "fired after CAP_SYS_ADMIN was dropped: {:?}",
            w.alerts()
        );
    }
    if let Some(a) = expect_rule_in(
        "release_agent",
        false,
        script,
        rule,
        false,
        &["--cap-add", "SYS_ADMIN"],
    ) {
        let f = &a["output_fields"];
        assert_eq!(f["fd.name"], "/tmp/release_agent", "{a}");
        assert!(
            f["thread.cap_effective"]
                .as_str()
                .is_some_and(|c| c.contains("CAP_SYS_ADMIN")),
            "{a}"
        );
    }
}

/// Opens the kernel records under rules whose conditions give every kind
/// of open-filter test: each open of a corpus is recorded exactly when the
/// rules' filter ([`seawall_rules::kfilter`]) keeps it.
#[test]
fn kernel_open_filter_decides_as_the_rules_filter() {
    let test = "kernel_open_filter_decides_as_the_rules_filter";
    if ready(test).is_none() {
        return;
    }
    let d = tmpdir("ofilter");
    let ds = d.display().to_string();
    for sub in ["keep", "dir", "any", "pre/deep", "trav/sub", "other", "w"] {
        std::fs::create_dir_all(d.join(sub)).expect("mkdir");
    }
    for f in [
        "keep/name.txt",
        "keep/nope.txt",
        "dir/x",
        "any/fname.key",
        "any/other.key",
        "pre/deep/x",
        "trav/sub/t",
        "other/has_needle_in",
        "other/plain",
        "w/x",
    ] {
        std::fs::write(d.join(f), "x").expect("write");
    }
    let rule = |name: &str, cond: &str| {
        format!(
            "- rule: OF {name}\n  desc: t\n  condition: {cond}\n  output: \"of %fd.name\"\n  priority: NOTICE\n"
        )
    };
    let opens = "evt.type in (open, openat, openat2)";
    let rules_text = [
        rule("names", &format!("{opens} and fd.num >= 0 and fd.name in ({ds}/keep/name.txt, {ds}/keep/gone.txt)")),
        rule("dirs", &format!("{opens} and fd.num >= 0 and fd.directory = {ds}/dir")),
        rule("filenames", &format!("{opens} and fd.num >= 0 and fd.filename = fname.key")),
        rule("prefix", &format!("{opens} and fd.num >= 0 and fd.name startswith {ds}/pre/")),
        rule("raw", &format!("{opens} and fd.num >= 0 and fd.nameraw contains \"../\" and fd.name startswith {ds}/trav/")),
        rule("pathc", &format!("{opens} and fd.num >= 0 and fd.name contains needle")),
        rule("write", &format!("{opens} and evt.is_open_write = true and fd.num >= 0 and fd.name startswith {ds}/w/")),
        rule("failed", &format!("{opens} and fd.num = -1 and fd.nameraw contains missing")),
    ]
    .concat();
    let rules = d.join("of.yaml");
    std::fs::write(&rules, rules_text).expect("write rules");
    let (rs, _) = seawall_rules::RuleSet::load(std::slice::from_ref(&rules)).expect("rules load");
    let filter = seawall_rules::kfilter::open_filter(&rs).expect("the rules give an open filter");
    assert!(filter.fits_kernel(), "{filter:?}");

    let record = d.join("rec.jsonl");
    let w = Watch::start(
        "ofilter-watch",
        std::slice::from_ref(&rules),
        &["--record", &record.display().to_string()],
    );
    // (raw name, write?) opened from the cwd trav/sub
    let corpus: Vec<(String, bool)> = [
        (format!("{ds}/keep/name.txt"), false),
        (format!("{ds}/keep/nope.txt"), false),
        (format!("{ds}/dir/x"), false),
        (format!("{ds}/any/fname.key"), false),
        (format!("{ds}/any/other.key"), false),
        (format!("{ds}/pre/deep/x"), false),
        (format!("{ds}/other/has_needle_in"), false),
        (format!("{ds}/other/plain"), false),
        (format!("{ds}/other/plain"), true),
        (format!("{ds}/w/x"), true),
        (format!("{ds}/w/x"), false),
        (format!("{ds}/missing/x"), false),
        (format!("{ds}/nothere/x"), false),
        (format!("{ds}/other"), false),
        ("../../trav/sub/t".to_string(), false),
        ("t".to_string(), false),
        ("../../keep/name.txt".to_string(), false),
        ("../../other/plain".to_string(), false),
        ("../../missing".to_string(), false),
    ]
    .into_iter()
    .collect();
    // The corpus twice (the second time the kernel's cached path
    // decisions answer), then a file whose directory is renamed onto one
    // the rules watch: its next open must be decided on its new path.
    std::fs::create_dir_all(d.join("mvsrc")).expect("mkdir");
    std::fs::write(d.join("mvsrc/moved"), "x").expect("write");
    // Then the corpus through openat2 (whose flags the kernel reads from
    // struct open_how before it decides), under names spelt differently
    // ("//x", "./x") so that their records are told apart.
    let mut input: String = corpus
        .iter()
        .chain(corpus.iter())
        .map(|(r, wr)| format!("{r}\t{}\n", u8::from(*wr)))
        .collect();
    input.extend(corpus.iter().map(|(r, wr)| {
        let respelt = if r.starts_with('/') {
            format!("/{r}")
        } else {
            format!("./{r}")
        };
        format!("{respelt}\t{}\n", 2 + u8::from(*wr))
    }));
    input.push_str(&format!("{ds}/mvsrc/moved\t0\n"));
    input.push_str(&format!("!mv\t{ds}/dir\t{ds}/dir_old\n"));
    input.push_str(&format!("!mv\t{ds}/mvsrc\t{ds}/dir\n"));
    input.push_str(&format!("{ds}/dir/moved\t0\n"));
    let script = "import ctypes, os, sys\n\
        libc = ctypes.CDLL(None, use_errno=True)\n\
        class How(ctypes.Structure):\n\
        \x20   _fields_ = [('flags', ctypes.c_uint64), ('mode', ctypes.c_uint64), ('resolve', ctypes.c_uint64)]\n\
        def openat2(p, fl):\n\
        \x20   h = How(fl, 0, 0)\n\
        \x20   fd = libc.syscall(437, -100, p.encode(), ctypes.byref(h), ctypes.c_size_t(ctypes.sizeof(h)))\n\
        \x20   if fd < 0:\n\
        \x20       raise OSError(ctypes.get_errno(), 'openat2')\n\
        \x20   return fd\n\
        os.chdir(sys.argv[1])\n\
        print(os.getpid())\n\
        for line in sys.stdin.read().splitlines():\n\
        \x20   a, b = line.split('\\t', 1)\n\
        \x20   if a == '!mv':\n\
        \x20       os.rename(*b.split('\\t'))\n\
        \x20       continue\n\
        \x20   fl = os.O_WRONLY if b in ('1', '3') else os.O_RDONLY\n\
        \x20   try:\n\
        \x20       fd = openat2(a, fl) if b in ('2', '3') else os.open(a, fl)\n\
        \x20       os.close(fd)\n\
        \x20       print('%s\\t%d\\t%d' % (a, fl, fd))\n\
        \x20   except OSError as e:\n\
        \x20       print('%s\\t%d\\t%d' % (a, fl, -e.errno))\n";
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(d.join("trav/sub"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("feed python");
    }
    let out = child.wait_with_output().expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    let pid: i64 = lines.next().and_then(|l| l.parse().ok()).expect("pid");
    let done: Vec<(String, u64, i64)> = lines
        .filter_map(|l| {
            let mut p = l.split('\t');
            Some((
                p.next()?.to_string(),
                p.next()?.parse().ok()?,
                p.next()?.parse().ok()?,
            ))
        })
        .collect();
    assert_eq!(done.len(), 3 * corpus.len() + 2, "python said {text}");
    std::thread::sleep(Duration::from_millis(1500));
    let recorded: Vec<Value> = std::fs::read_to_string(&record)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| {
            v["pid"].as_i64() == Some(pid)
                && v["type"].as_str().is_some_and(|t| t.starts_with("open"))
        })
        .collect();
    // the absolute path, lexically ('..' taken out; no symlinks below d)
    let lexical = |raw: &str| -> String {
        let joined = if raw.starts_with('/') {
            raw.to_string()
        } else {
            format!("{ds}/trav/sub/{raw}")
        };
        let mut out: Vec<&str> = Vec::new();
        for c in joined.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    out.pop();
                }
                c => out.push(c),
            }
        }
        format!("/{}", out.join("/"))
    };
    let mut want_count: std::collections::BTreeMap<(String, u64), usize> = Default::default();
    let mut kept = 0;
    for (raw, flags, ret) in &done {
        let path = lexical(raw);
        let is_dir = *ret >= 0 && path == format!("{ds}/other");
        let want = filter.keeps(&seawall_event::open_filter::OpenSeen {
            path: (*ret >= 0).then_some(path.as_str()),
            raw: raw.as_bytes(),
            flags: *flags,
            ret: *ret,
            is_dir,
        });
        *want_count.entry((raw.clone(), *flags & 3)).or_default() += usize::from(want);
        kept += usize::from(want);
    }
    for ((raw, flags), want) in &want_count {
        let got = recorded
            .iter()
            .filter(|v| {
                v["args"]["name"].as_str() == Some(raw.as_str())
                    && v["args"]["flags"].as_u64().map(|f| f & 3) == Some(*flags)
            })
            .count();
        assert_eq!(
            got, *want,
            "{raw} flags={flags}: recorded {got} times, the filter keeps {want}"
        );
    }
    let moved = |n: &str| want_count.get(&(format!("{ds}/{n}"), 0)).copied();
    assert_eq!(
        moved("mvsrc/moved"),
        Some(0),
        "not watched before the rename"
    );
    assert_eq!(moved("dir/moved"), Some(1), "watched after it");
    // both outcomes are in the corpus
    assert!(
        kept >= 8 && kept + 5 <= done.len(),
        "{kept} of {} kept",
        done.len()
    );
    let metrics = w.http_get("/metrics");
    let filtered: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("seawall_sensor_opens_filtered_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert!(filtered > 0, "{metrics}");
}
