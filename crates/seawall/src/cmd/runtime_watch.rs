//! `seawall runtime watch`: live detection with the eBPF sensor.
//!
//! Loads Falco-compatible rules, starts the sensor with in-kernel filtering
//! to the syscalls those rules need (plus the state-keeping ones), feeds the
//! initial `/proc` snapshot and then every event through the rules engine,
//! and writes alerts to the chosen outputs. `--metrics ADDR` serves
//! `/metrics` (Prometheus text) and `/healthz`. The rules files are watched:
//! an edit is loaded once the files have held still for half a second
//! (thread and fd state kept, the kernel filter rewritten for the new
//! rules); rules that fail to load leave the running ones in place.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use seawall_event::open_filter::OpenFilter;
use seawall_event::{EventType, Record};
use seawall_rules::output::Format;
use seawall_rules::{Alert, Engine, EngineOptions, Priority, RuleSet};
use seawall_sensor_bpf::{Sensor, SensorConfig};

/// Appended to every alert's text, as Falco's default `append_output`.
const APPEND_TEXT: &str = "container_id=%container.id container_name=%container.name \
     container_image_repository=%container.image.repository container_image_tag=%container.image.tag";
/// Extra fields every alert carries in `output_fields` (not in the text).
const APPEND_FIELDS: &str = "%container.image %container.type %proc.pid %proc.name %proc.exe \
     %proc.exepath %proc.cmdline %proc.pname %proc.tty %user.name %user.uid";

/// Where Falco installs its default rules.
const DEFAULT_RULES: &str = "/etc/falco/falco_rules.yaml";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Rules file(s), loaded in order (default: /etc/falco/falco_rules.yaml when present)
    #[arg(long = "rules", value_name = "FILE")]
    rules: Vec<PathBuf>,
    /// Write alerts as JSON lines (Falco's alert format) instead of text
    #[arg(long)]
    json: bool,
    /// Alert destination: stdout, file:PATH, http:URL (Falcosidekick-compatible POST) or syslog; repeatable
    #[arg(long = "output", value_name = "DEST", default_value = "stdout")]
    outputs: Vec<String>,
    /// Serve /metrics and /healthz on this address (e.g. 127.0.0.1:8765)
    #[arg(long, value_name = "ADDR")]
    metrics: Option<String>,
    /// Lowest rule priority to evaluate (emergency..debug)
    #[arg(long, default_value = "debug")]
    min_priority: String,
    /// Kill the offending process (bpf_send_signal, SIGKILL) when this rule fires; repeatable. Off by default
    #[arg(long = "kill-on", value_name = "RULE")]
    kill_on: Vec<String>,
    /// Also write every captured record as JSON lines (a replay file) to PATH
    #[arg(long, value_name = "PATH")]
    record: Option<PathBuf>,
    /// Record every open, not only those the loaded rules could match (the
    /// kernel otherwise leaves the others out; see docs/runtime.md)
    #[arg(long)]
    no_open_filter: bool,
    /// Stop after this many seconds (default: run until killed)
    #[arg(long, value_name = "SECS")]
    duration: Option<u64>,
}

/// How often the rules files are checked for changes.
const RULES_CHECK: Duration = Duration::from_millis(500);

/// Modification time and size of each rules file.
type Stamps = Vec<Option<(std::time::SystemTime, u64)>>;

/// The rules files and what they looked like when last loaded.
struct RulesWatch {
    files: Vec<PathBuf>,
    loaded: Stamps,
    /// A change seen at the last check, loaded once it holds still for a
    /// whole check interval: a file caught half written (truncated, then
    /// written) would otherwise load as an empty or broken rule set.
    settling: Option<Stamps>,
    checked: Instant,
}

impl RulesWatch {
    fn new(files: &[PathBuf]) -> RulesWatch {
        RulesWatch {
            files: files.to_vec(),
            loaded: files.iter().map(|f| stamp(f)).collect(),
            settling: None,
            checked: Instant::now(),
        }
    }

    /// True (once) when the files changed and then stayed unchanged for a
    /// check interval; looks at the files at most every RULES_CHECK.
    fn changed(&mut self) -> bool {
        if self.checked.elapsed() < RULES_CHECK {
            return false;
        }
        self.checked = Instant::now();
        let now: Stamps = self.files.iter().map(|f| stamp(f)).collect();
        if now == self.loaded {
            self.settling = None;
            return false;
        }
        if self.settling.as_ref() == Some(&now) {
            self.settling = None;
            self.loaded = now;
            return true;
        }
        self.settling = Some(now);
        false
    }
}

/// Modification time and size of a file (None when it cannot be read).
fn stamp(f: &std::path::Path) -> Option<(std::time::SystemTime, u64)> {
    let m = std::fs::metadata(f).ok()?;
    Some((m.modified().ok()?, m.len()))
}

/// The opens the kernel records for a rule set (`None`: every open).
fn open_filter_for(ruleset: &RuleSet, disabled: bool) -> Option<OpenFilter> {
    if disabled {
        return None;
    }
    seawall_rules::kfilter::open_filter(ruleset)
}

/// The event types to capture for a rule set (all when it does not say).
fn wanted_types(ruleset: &RuleSet) -> Vec<EventType> {
    match ruleset.required_event_types() {
        Some(set) => set.iter().map(|n| EventType::from_name(n)).collect(),
        None => Vec::new(),
    }
}

#[derive(Default)]
struct Metrics {
    events: u64,
    records: u64,
    kernel_records: u64,
    drops: u64,
    opens_filtered: u64,
    decode_errors: u64,
    alerts: BTreeMap<String, u64>,
    output_errors: u64,
    kills: u64,
    rules_reloads: u64,
    rules_reload_failures: u64,
    ready: bool,
}

enum Sink {
    Stdout,
    File(std::fs::File),
    Http {
        host: String,
        port: u16,
        path: String,
    },
    Syslog(std::os::unix::net::UnixDatagram),
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let rules = if args.rules.is_empty() {
        let d = PathBuf::from(DEFAULT_RULES);
        if !d.exists() {
            bail!("no rules given: pass --rules FILE (e.g. falco_rules.yaml); {DEFAULT_RULES} does not exist");
        }
        vec![d]
    } else {
        args.rules.clone()
    };
    let min_priority = Priority::parse(&args.min_priority).with_context(|| {
        format!(
            "unknown priority {:?} for --min-priority",
            args.min_priority
        )
    })?;
    let mut rules_watch = RulesWatch::new(&rules);
    let (ruleset, report) = RuleSet::load(&rules).context("loading rules")?;
    let wanted = wanted_types(&ruleset);
    let open_filter = open_filter_for(&ruleset, args.no_open_filter);
    for name in &args.kill_on {
        if !ruleset.rules.iter().any(|r| &r.name == name) {
            bail!("--kill-on {name:?}: no such rule in the loaded rules");
        }
    }
    let mut engine = Engine::new(
        ruleset,
        EngineOptions {
            min_priority,
            ..Default::default()
        },
    );
    let mut sinks = args
        .outputs
        .iter()
        .map(|o| open_sink(o))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut recorder = match &args.record {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => None,
    };

    let metrics = Arc::new(Mutex::new(Metrics::default()));
    if let Some(addr) = &args.metrics {
        let listener = TcpListener::bind(addr)
            .with_context(|| format!("binding metrics listener on {addr}"))?;
        let m = metrics.clone();
        std::thread::spawn(move || serve_metrics(listener, m));
    }

    let mut sensor = Sensor::start(SensorConfig {
        wanted,
        open_filter: None,
    })
    .context("starting the eBPF sensor")?;
    // whether the kernel applies it (a filter beyond its limits is not)
    let filtered = sensor
        .set_open_filter(open_filter.as_ref())
        .context("setting the kernel's open filter")?;
    let mut pending: Vec<Record> = sensor.initial_records();
    eprintln!(
        "seawall: sensor running: {} rules active ({} loaded), {} processes from /proc, {}",
        engine.active_rules(),
        report.rules,
        pending
            .iter()
            .filter(|r| matches!(r, Record::Process(_)))
            .count(),
        if filtered {
            "opens filtered in the kernel to those the rules can match"
        } else {
            "every open recorded"
        }
    );
    let deadline = args
        .duration
        .map(|s| Instant::now() + Duration::from_secs(s));
    let json = args.json;
    let mut last_stats = Instant::now();
    {
        let mut m = metrics.lock().unwrap_or_else(|e| e.into_inner());
        m.ready = true;
    }
    let mut kills: Vec<u32> = Vec::new();
    let append_text =
        Format::parse(APPEND_TEXT).map_err(|e| anyhow::anyhow!("append format: {e}"))?;
    let append_fields =
        Format::parse(APPEND_FIELDS).map_err(|e| anyhow::anyhow!("append format: {e}"))?;
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        if rules_watch.changed() {
            reload_rules(
                &rules,
                &args.kill_on,
                args.no_open_filter,
                &mut engine,
                &mut sensor,
                &metrics,
            );
        }
        // everything waiting, as one batch: the engine fetches each
        // event's tables from memory while it evaluates the ones before
        let mut batch: Vec<Record> = std::mem::take(&mut pending);
        sensor
            .poll(Duration::from_millis(100), &mut |rec| batch.push(rec))
            .context("reading sensor events")?;
        let nrec = batch.len() as u64;
        let nev = batch
            .iter()
            .filter(|r| matches!(r, Record::Syscall(_)))
            .count() as u64;
        if let Some(w) = recorder.as_mut() {
            for rec in &batch {
                let _ = seawall_event::write_record(w, rec);
            }
        }
        let mut alerts: Vec<Alert> = Vec::new();
        engine.process_records_with(&batch, |_, fired| {
            let mut a = fired.to_alert();
            let ctx = fired.ctx();
            let (text, tfields) = append_text.render(ctx);
            let (_, xfields) = append_fields.render(ctx);
            a.output.push(' ');
            a.output.push_str(&text);
            for (k, v) in tfields.iter().chain(xfields.iter()) {
                a.output_fields
                    .entry(k.clone())
                    .or_insert_with(|| v.clone());
            }
            let pid = fired.event().pid;
            if args.kill_on.iter().any(|r| r == &a.rule) && pid > 0 {
                kills.push(pid as u32);
            }
            alerts.push(a);
        });
        for pid in kills.drain(..) {
            if sensor.kill_on_next_syscall(pid, 9).is_ok() {
                metrics.lock().unwrap_or_else(|e| e.into_inner()).kills += 1;
            }
        }
        let mut out_errors = 0;
        for a in &alerts {
            for s in sinks.iter_mut() {
                if let Err(e) = emit(s, a, json) {
                    out_errors += 1;
                    eprintln!("seawall: output failed: {e:#}");
                }
            }
        }
        if let Some(w) = recorder.as_mut() {
            let _ = w.flush();
        }
        let mut m = metrics.lock().unwrap_or_else(|e| e.into_inner());
        m.records += nrec;
        m.events += nev;
        m.output_errors += out_errors;
        for a in &alerts {
            *m.alerts.entry(a.rule.clone()).or_default() += 1;
        }
        if last_stats.elapsed() >= Duration::from_millis(500) || !alerts.is_empty() {
            let s = sensor.stats();
            m.kernel_records = s.kernel_records;
            m.drops = s.kernel_drops;
            m.opens_filtered = s.opens_filtered;
            m.decode_errors = s.decode_errors;
            last_stats = Instant::now();
        }
    }
    let s = sensor.stats();
    eprintln!(
        "seawall: sensor stopped: {} kernel records, {} dropped",
        s.kernel_records, s.kernel_drops
    );
    Ok(0)
}

/// Loads the rules files again after an edit. The engine keeps its thread,
/// fd and container state and the kernel filter follows the new rules; when
/// the files do not load, the running rules stay.
fn reload_rules(
    files: &[PathBuf],
    kill_on: &[String],
    no_open_filter: bool,
    engine: &mut Engine,
    sensor: &mut Sensor,
    metrics: &Arc<Mutex<Metrics>>,
) {
    let (ruleset, report) = match RuleSet::load(files) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("seawall: rules changed but do not load, keeping the running rules: {e:#}");
            metrics
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .rules_reload_failures += 1;
            return;
        }
    };
    for name in kill_on {
        if !ruleset.rules.iter().any(|r| &r.name == name) {
            eprintln!("seawall: warning: --kill-on {name:?}: the reloaded rules have no such rule");
        }
    }
    let wanted = wanted_types(&ruleset);
    let open_filter = open_filter_for(&ruleset, no_open_filter);
    engine.replace_rules(ruleset);
    if let Err(e) = sensor
        .set_wanted(&wanted)
        .and_then(|_| sensor.set_open_filter(open_filter.as_ref()))
    {
        eprintln!("seawall: warning: rules reloaded but the kernel filter was not updated: {e}");
    }
    eprintln!(
        "seawall: rules reloaded: {} rules active ({} loaded)",
        engine.active_rules(),
        report.rules
    );
    metrics
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .rules_reloads += 1;
}

fn open_sink(spec: &str) -> anyhow::Result<Sink> {
    if spec == "stdout" {
        return Ok(Sink::Stdout);
    }
    if spec == "syslog" {
        let sock = std::os::unix::net::UnixDatagram::unbound().context("creating syslog socket")?;
        sock.connect("/dev/log")
            .context("connecting to syslog at /dev/log")?;
        return Ok(Sink::Syslog(sock));
    }
    if let Some(path) = spec.strip_prefix("file:") {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening alert file {path}"))?;
        return Ok(Sink::File(f));
    }
    if let Some(url) = spec.strip_prefix("http:") {
        let url = if url.starts_with("//") {
            format!("http:{url}")
        } else {
            url.to_string()
        };
        let rest = url
            .strip_prefix("http://")
            .with_context(|| format!("--output http:{url}: only http:// URLs are supported"))?;
        let (hostport, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse::<u16>()
                    .with_context(|| format!("--output {spec}: bad port {p:?}"))?,
            ),
            None => (hostport.to_string(), 80),
        };
        return Ok(Sink::Http {
            host,
            port,
            path: path.to_string(),
        });
    }
    bail!("unknown --output {spec:?}: use stdout, file:PATH, http:URL or syslog")
}

fn emit(sink: &mut Sink, a: &Alert, json: bool) -> anyhow::Result<()> {
    let line = if json { a.to_json() } else { a.to_text() };
    match sink {
        Sink::Stdout => {
            let mut o = std::io::stdout().lock();
            writeln!(o, "{line}")?;
            o.flush()?;
        }
        Sink::File(f) => {
            writeln!(f, "{line}")?;
        }
        Sink::Syslog(s) => {
            let sev = match Priority::parse(&a.priority) {
                Some(Priority::Emergency) => 0,
                Some(Priority::Alert) => 1,
                Some(Priority::Critical) => 2,
                Some(Priority::Error) => 3,
                Some(Priority::Warning) => 4,
                Some(Priority::Notice) => 5,
                Some(Priority::Informational) => 6,
                _ => 7,
            };
            // facility user (1)
            let msg = format!("<{}>seawall: {}", 8 + sev, line);
            s.send(msg.as_bytes()).context("writing to syslog")?;
        }
        Sink::Http { host, port, path } => {
            // Falcosidekick accepts Falco's JSON alert as the body.
            let body = a.to_json();
            let mut c = TcpStream::connect((host.as_str(), *port))
                .with_context(|| format!("connecting to http://{host}:{port}"))?;
            c.set_write_timeout(Some(Duration::from_secs(2)))?;
            c.set_read_timeout(Some(Duration::from_secs(2)))?;
            write!(
                c,
                "POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: seawall\r\n\r\n{body}",
                body.len()
            )?;
            let mut status = String::new();
            BufReader::new(c)
                .read_line(&mut status)
                .with_context(|| format!("reading the response of http://{host}:{port}{path}"))?;
            let code = status.split_whitespace().nth(1).unwrap_or("");
            if !code.starts_with('2') {
                bail!("http://{host}:{port}{path} answered {:?}", status.trim());
            }
        }
    }
    Ok(())
}

fn serve_metrics(listener: TcpListener, m: Arc<Mutex<Metrics>>) {
    for conn in listener.incoming() {
        let Ok(mut c) = conn else { continue };
        let _ = c.set_read_timeout(Some(Duration::from_secs(2)));
        // Read the whole request head (bounded), however the client split
        // its writes; answering early and closing would reset the client.
        let mut head = Vec::with_capacity(512);
        let mut buf = [0u8; 1024];
        while head.len() < 8192 && !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match c.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(buf.get(..n).unwrap_or(&[])),
            }
        }
        let req = String::from_utf8_lossy(&head).into_owned();
        let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
        let (status, body) = match path.as_str() {
            "/healthz" => {
                let ready = m.lock().map(|g| g.ready).unwrap_or(false);
                if ready {
                    ("200 OK", "ok\n".to_string())
                } else {
                    ("503 Service Unavailable", "starting\n".to_string())
                }
            }
            "/metrics" => ("200 OK", render_metrics(&m)),
            _ => ("404 Not Found", "not found\n".to_string()),
        };
        let _ = write!(
            c,
            "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    }
}

fn render_metrics(m: &Arc<Mutex<Metrics>>) -> String {
    let g = m.lock().unwrap_or_else(|e| e.into_inner());
    let mut s = String::new();
    let mut line = |name: &str, help: &str, v: u64| {
        s.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}\n"
        ));
    };
    line(
        "seawall_sensor_events_total",
        "Syscall events processed.",
        g.events,
    );
    line(
        "seawall_sensor_records_total",
        "Records processed (events and metadata).",
        g.records,
    );
    line(
        "seawall_sensor_kernel_records_total",
        "Records written by the kernel programs.",
        g.kernel_records,
    );
    line(
        "seawall_sensor_drops_total",
        "Records lost because the ring buffer was full.",
        g.drops,
    );
    line(
        "seawall_sensor_opens_filtered_total",
        "Opens the kernel left out because no loaded rule could match them.",
        g.opens_filtered,
    );
    line(
        "seawall_sensor_decode_errors_total",
        "Records that could not be decoded.",
        g.decode_errors,
    );
    line(
        "seawall_sensor_output_errors_total",
        "Alerts that an output failed to deliver.",
        g.output_errors,
    );
    line(
        "seawall_sensor_kills_total",
        "Kill responses queued.",
        g.kills,
    );
    line(
        "seawall_rules_reloads_total",
        "Rules reloads after an edit of a rules file.",
        g.rules_reloads,
    );
    line(
        "seawall_rules_reload_failures_total",
        "Edits of rules files that did not load (the running rules stayed).",
        g.rules_reload_failures,
    );
    s.push_str(
        "# HELP seawall_alerts_total Alerts per rule.\n# TYPE seawall_alerts_total counter\n",
    );
    for (rule, n) in &g.alerts {
        let r = rule.replace('\\', "\\\\").replace('"', "\\\"");
        s.push_str(&format!("seawall_alerts_total{{rule=\"{r}\"}} {n}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A watch that looks at the files on every call.
    fn check(w: &mut RulesWatch) -> bool {
        w.checked = Instant::now() - RULES_CHECK;
        w.changed()
    }

    #[test]
    fn an_edit_loads_once_the_files_hold_still() {
        let dir = std::env::temp_dir().join(format!("seawall-rules-watch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("rules.yaml");
        std::fs::write(&f, "- list: a\n  items: [x]\n").unwrap();
        let mut w = RulesWatch::new(std::slice::from_ref(&f));
        assert!(!check(&mut w), "unchanged");
        // caught half written: truncated, then the new text
        std::fs::write(&f, "").unwrap();
        assert!(!check(&mut w), "a change is not loaded at first sight");
        std::fs::write(&f, "- list: a\n  items: [x, y, z]\n").unwrap();
        assert!(!check(&mut w), "still moving");
        assert!(check(&mut w), "held still for an interval: load");
        assert!(!check(&mut w), "loaded once");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
