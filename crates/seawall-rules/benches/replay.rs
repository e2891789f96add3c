//! Throughput benchmark: a generated, realistic mixed syscall stream
//! (>= 5M events: open/close/read/write/connect/accept/execve/clone/...)
//! replayed through all three upstream Falco rules files on one core.
//!
//! `cargo bench -p seawall-rules --bench replay` (EVENTS=N to change the count,
//! BATCH=N the batch size, PROFILE=1 for time per event type and alerts per
//! rule). Events per second per core are events over the CPU time of the
//! replaying thread (from schedstat); wall-clock throughput is printed too.
//!
//! Matches are counted; RENDER=text
//! also renders each alert's text line (as `runtime watch` prints it),
//! RENDER=alert builds each `Alert` (as `Engine::process` returns it),
//! RENDER=json also serialises it as JSON.
//! ONLY=type[,type...] keeps only events of those types in the stream (to
//! profile one type; the tables then differ from the full mix).
//!
//! Events go through `Engine::process_batch_with`, as `runtime watch` and
//! `runtime replay` hand them over; SERIAL=1 uses `process_with` one event
//! at a time. RUN=N makes the stream come in runs of one process's events
//! (mean length N, see `Sched`) instead of every event from a random one of
//! the NPROC (default 2000) processes. STATE_ONLY=1 selects no rule: only
//! the state tables' updates are timed.

use std::time::Instant;

use seawall_event::{
    ContainerInfo, Event, EventType, ProcInfo, ProcessSnapshot, Record, SockFamily, SockTuple,
    UserEntry,
};
use seawall_rules::{AlertRef, Engine, EngineOptions, RuleSet};

/// The allocator the `seawall` binary runs the engine with (see its
/// `main.rs`), so the bench times what `runtime watch` does.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// xorshift64*: deterministic and cheap.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

const PATHS: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/libc.so.6",
    "/etc/ld.so.cache",
    "/proc/self/status",
    "/var/lib/app/data.db",
    "/tmp/cache/obj-1234",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/usr/share/zoneinfo/UTC",
    "/var/log/app/app.log",
    "/sys/fs/cgroup/cpu.max",
    "/home/app/.config/settings.json",
    "/etc/passwd",
    "/dev/null",
    "/usr/lib/python3/dist-packages/six.py",
];

const PROCS: &[(&str, &str)] = &[
    ("nginx", "/usr/sbin/nginx"),
    ("python3", "/usr/bin/python3"),
    ("java", "/usr/bin/java"),
    ("node", "/usr/bin/node"),
    ("postgres", "/usr/lib/postgresql/15/bin/postgres"),
    ("bash", "/bin/bash"),
    ("sh", "/bin/sh"),
    ("curl", "/usr/bin/curl"),
    ("ls", "/bin/ls"),
    ("cat", "/bin/cat"),
    ("grep", "/bin/grep"),
    ("sshd", "/usr/sbin/sshd"),
];

fn proc_info(rng: &mut Rng) -> ProcInfo {
    let (comm, path) = *rng.pick(PROCS);
    ProcInfo {
        comm: comm.into(),
        exe: path.into(),
        exepath: path.into(),
        args: vec!["--serve".into(), format!("/srv/{}", rng.below(100))],
        cwd: "/srv".into(),
        uid: if rng.below(4) == 0 { 33 } else { 0 },
        loginuid: u32::MAX,
        cap_effective: 0xa80425fb,
        cap_permitted: 0xa80425fb,
        ..Default::default()
    }
}

fn setup(rng: &mut Rng, nproc: i64) -> Vec<Record> {
    let mut v = vec![
        Record::User(UserEntry {
            uid: 0,
            name: "root".into(),
            gid: 0,
            home: "/root".into(),
            shell: "/bin/bash".into(),
            container_id: None,
        }),
        Record::User(UserEntry {
            uid: 33,
            name: "www-data".into(),
            gid: 33,
            home: String::new(),
            shell: String::new(),
            container_id: None,
        }),
    ];
    for c in 0..20 {
        v.push(Record::Container(ContainerInfo {
            id: format!("c{c:011}"),
            name: format!("app-{c}"),
            image: format!("registry.example.com/team/app{c}:1.{c}"),
            ..Default::default()
        }));
    }
    for pid in 100..100 + nproc {
        v.push(Record::Process(ProcessSnapshot {
            tid: pid,
            pid,
            ppid: if pid % 10 == 0 { 1 } else { pid - pid % 10 },
            proc: proc_info(rng),
            container_id: if pid % 3 == 0 {
                None
            } else {
                Some(format!("c{:011}", pid % 20))
            },
            fds: vec![],
        }));
    }
    v
}

/// Which process makes the next syscall. A thread runs on a core for a
/// while and makes several syscalls before the next one is scheduled, so a
/// host's stream comes in runs of one thread's events. Runs here have a
/// geometric length of mean `mean`, each from a process picked uniformly;
/// mean 1 is a stream with no locality at all (every event from a random
/// process).
struct Sched {
    mean: u64,
    cur: i64,
    left: u64,
}

impl Sched {
    fn pid(&mut self, rng: &mut Rng, nproc: i64) -> i64 {
        if self.mean <= 1 {
            return 100 + rng.below(nproc as u64) as i64;
        }
        if self.left == 0 {
            self.cur = 100 + rng.below(nproc as u64) as i64;
            self.left = 1;
            while rng.below(self.mean) != 0 {
                self.left += 1;
            }
        }
        self.left -= 1;
        self.cur
    }
}

/// One step of the workload; may emit several events.
fn gen(rng: &mut Rng, sched: &mut Sched, ts: &mut u64, nproc: i64, out: &mut Vec<Event>) {
    *ts += 1000;
    let pid = sched.pid(rng, nproc);
    let cid = if pid % 3 == 0 {
        None
    } else {
        Some(format!("c{:011}", pid % 20))
    };
    let mut push = |mut e: Event| {
        e.container_id = cid.clone();
        out.push(e);
    };
    let r = rng.below(100);
    let fd = 3 + rng.below(60) as i64;
    match r {
        0..=34 => {
            // reads anywhere; writes to app data, caches and logs
            let write = rng.below(5) == 0;
            let path = if write {
                *rng.pick(&[
                    "/var/lib/app/data.db",
                    "/tmp/cache/obj-1234",
                    "/var/log/app/app.log",
                ])
            } else {
                *rng.pick(PATHS)
            };
            let flags = if write { 0o2101 } else { 0o2000000 };
            let ok = rng.below(10) != 0;
            push(
                Event::new(*ts, pid, pid, EventType::Openat, if ok { fd } else { -2 })
                    .arg("dirfd", -100i64)
                    .arg("name", path)
                    .arg("flags", flags as i64)
                    .arg("mode", 0i64),
            );
        }
        35..=54 => push(Event::new(*ts, pid, pid, EventType::Close, 0).arg("fd", fd)),
        55..=69 => {
            let t = if r < 62 {
                EventType::Read
            } else {
                EventType::Write
            };
            push(
                Event::new(*ts, pid, pid, t, 512)
                    .arg("fd", fd)
                    .arg("size", 512i64),
            );
        }
        70..=75 => {
            push(
                Event::new(*ts, pid, pid, EventType::Socket, fd)
                    .arg("domain", 2i64)
                    .arg("type", 1i64)
                    .arg("proto", 6i64),
            );
            let dip = [10, 0, (rng.below(4)) as u8, rng.below(250) as u8 + 1];
            let public = rng.below(3) == 0;
            let t = SockTuple {
                family: SockFamily::Inet,
                l4proto: Some("tcp".into()),
                sip: Some([172, 17, 0, 2].into()),
                sport: Some(30000 + rng.below(30000) as u16),
                dip: Some(if public {
                    [93, 184, 216, 34].into()
                } else {
                    dip.into()
                }),
                dport: Some(*rng.pick(&[80u16, 443, 5432, 6379, 8080])),
                path: None,
            };
            push(
                Event::new(*ts, pid, pid, EventType::Connect, 0)
                    .arg("fd", fd)
                    .arg("tuple", t),
            );
        }
        76..=80 => {
            let t = SockTuple {
                family: SockFamily::Inet,
                l4proto: Some("tcp".into()),
                sip: Some([10, 1, 2, 3].into()),
                sport: Some(40000),
                dip: Some([172, 17, 0, 2].into()),
                dport: Some(8080),
                path: None,
            };
            push(
                Event::new(*ts, pid, pid, EventType::Accept4, fd)
                    .arg("fd", 3i64)
                    .arg("tuple", t),
            );
        }
        81..=86 => {
            let t = if r < 84 {
                EventType::Sendto
            } else {
                EventType::Recvfrom
            };
            push(
                Event::new(*ts, pid, pid, t, 100)
                    .arg("fd", fd)
                    .arg("size", 100i64),
            );
        }
        87..=90 => {
            // fork + exec + exit of a short-lived child (app helpers)
            let child = 100_000 + rng.below(50_000) as i64;
            push(Event::new(*ts, pid, pid, EventType::Clone, child).arg("flags", 17i64));
            let mut ex = Event::new(*ts + 1, child, child, EventType::Execve, 0);
            ex.proc = Some(Box::new(proc_info(rng)));
            push(ex);
            push(Event::new(*ts + 2, child, child, EventType::Procexit, 0));
        }
        91..=92 => push(
            Event::new(*ts, pid, pid, EventType::Dup2, 1)
                .arg("oldfd", fd)
                .arg("newfd", 1i64),
        ),
        93..=94 => push(
            Event::new(*ts, pid, pid, EventType::Unlinkat, 0)
                .arg("dirfd", -100i64)
                .arg("name", "/tmp/cache/obj-1234")
                .arg("flags", 0i64),
        ),
        95 => push(
            Event::new(*ts, pid, pid, EventType::Renameat2, 0)
                .arg("olddirfd", -100i64)
                .arg("oldpath", "/tmp/a")
                .arg("newdirfd", -100i64)
                .arg("newpath", "/tmp/b")
                .arg("flags", 0i64),
        ),
        96 => push(
            Event::new(*ts, pid, pid, EventType::Mkdirat, 0)
                .arg("dirfd", -100i64)
                .arg("path", "/tmp/d")
                .arg("mode", 0o755i64),
        ),
        97 => push(
            Event::new(*ts, pid, pid, EventType::Fchmodat, 0)
                .arg("dirfd", -100i64)
                .arg("filename", "/tmp/d")
                .arg("mode", 0o644i64),
        ),
        98 => push(Event::new(*ts, pid, pid, EventType::Setuid, 0).arg("uid", 33i64)),
        _ => push(
            Event::new(*ts, pid, pid, EventType::Mmap, 0)
                .arg("addr", 0i64)
                .arg("length", 4096i64),
        ),
    }
}

/// CPU time consumed by this thread so far (the first field of
/// /proc/thread-self/schedstat, in ns): on a machine shared with other jobs,
/// wall time also counts the time the thread waited for a core. Zero when
/// unavailable (the figure then falls back to wall time).
fn thread_cpu() -> std::time::Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map(std::time::Duration::from_nanos)
        .unwrap_or_default()
}

fn main() {
    let Some(files) = seawall_testutil::falco_rules("bench_replay") else {
        return;
    };
    let target: usize = std::env::var("EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5_000_000);
    // STATE_ONLY=1: no rule selected, so only the state tables' updates are
    // timed (the rules' share is the difference)
    let state_only = std::env::var_os("STATE_ONLY").is_some();
    let t_load = Instant::now();
    let (rs, report) = RuleSet::load(&files).expect("upstream rules load");
    let load_time = t_load.elapsed();
    let mut engine = Engine::new(
        rs,
        EngineOptions {
            hostname: Some("bench".into()),
            rules: if state_only {
                vec!["(no rule)".into()]
            } else {
                Vec::new()
            },
            ..Default::default()
        },
    );
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // NPROC=N: processes in the stream (fewer shrink the tables, to see
    // what their cache misses cost)
    let nproc: i64 = std::env::var("NPROC")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|n| *n >= 10)
        .unwrap_or(2000);
    for r in setup(&mut rng, nproc) {
        engine.process_record(&r);
    }
    // Generate in small batches and time only their processing: a sensor
    // decodes a batch from its ring buffer and evaluates it while the events
    // are still in cache (large batches would time cache misses on event data
    // the generator wrote long before, not the engine).
    let mut ts = 1_700_000_000_000_000_000u64;
    let batch: usize = std::env::var("BATCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1024);
    let mut buf = Vec::with_capacity(batch + 8);
    // SERIAL=1: one event at a time (`process_with`) instead of the batch
    // (`process_batch_with`, as `runtime watch` does)
    let serial = std::env::var_os("SERIAL").is_some();
    // RUN=N: mean run of one process's steps (see `Sched`)
    let run: u64 = std::env::var("RUN")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut sched = Sched {
        mean: run.max(1),
        cur: 0,
        left: 0,
    };
    let (mut n, mut alerts) = (0usize, 0usize);
    let mut busy = std::time::Duration::ZERO;
    let mut cpu = std::time::Duration::ZERO;
    let mut by_type: std::collections::BTreeMap<String, usize> = Default::default();
    // PROFILE=1 prints time per event type and alerts per rule
    let profile = std::env::var_os("PROFILE").is_some();
    let mut per_type: std::collections::BTreeMap<String, (usize, std::time::Duration)> =
        Default::default();
    let mut per_rule: std::collections::BTreeMap<String, usize> = Default::default();
    let render = std::env::var("RENDER").unwrap_or_default();
    let only: Option<Vec<String>> = std::env::var("ONLY")
        .ok()
        .map(|s| s.split(',').map(str::to_string).collect());
    let (text, json, alert) = (render == "text", render == "json", render == "alert");
    // what each match costs to hand on: counted only, or rendered as
    // `runtime watch` prints it (text line, `Alert`, Falco JSON); bytes made
    let render_one = |a: &AlertRef<'_>| {
        if text {
            a.output().len()
        } else if json {
            a.to_alert().to_json().len()
        } else if alert {
            a.to_alert().output.len()
        } else {
            0
        }
    };
    let mut rendered = 0usize;
    while n < target {
        buf.clear();
        while buf.len() < batch {
            gen(&mut rng, &mut sched, &mut ts, nproc, &mut buf);
            if let Some(only) = &only {
                buf.retain(|e| only.iter().any(|t| t == e.evt_type.name()));
            }
        }
        if n < 1 << 16 {
            for e in &buf {
                *by_type.entry(e.evt_type.name().to_string()).or_default() += 1;
            }
        }
        let t = Instant::now();
        let c = thread_cpu();
        if profile {
            for e in &buf {
                let t1 = Instant::now();
                let mut names = Vec::new();
                alerts += engine.process_with(e, |a| {
                    rendered += render_one(a);
                    names.push(a.rule().name.as_str().to_string());
                });
                let d = t1.elapsed();
                let slot = per_type.entry(e.evt_type.name().to_string()).or_default();
                slot.0 += 1;
                slot.1 += d;
                for x in names {
                    *per_rule.entry(x).or_default() += 1;
                }
            }
        } else {
            let mut sink = |a: &AlertRef<'_>| rendered += render_one(a);
            if serial {
                for e in &buf {
                    alerts += engine.process_with(e, &mut sink);
                }
            } else {
                alerts += engine.process_batch_with(&buf, |_, a| sink(a));
            }
        }
        cpu += thread_cpu().saturating_sub(c);
        busy += t.elapsed();
        n += buf.len();
    }
    let wall_eps = n as f64 / busy.as_secs_f64();
    // per core: events over the CPU time the replaying thread consumed
    let eps = if cpu.is_zero() {
        wall_eps
    } else {
        n as f64 / cpu.as_secs_f64()
    };
    if profile {
        for (t, (c, d)) in &per_type {
            println!(
                "  {t:12} {c:9} events {:8.0} ns/event",
                d.as_nanos() as f64 / *c as f64
            );
        }
        for (r, c) in &per_rule {
            println!("  {c:9} alerts  {r}");
        }
    }
    println!(
        "rules: {} loaded ({} enabled) from 3 files in {:.1} ms",
        report.rules,
        report.enabled_rules,
        load_time.as_secs_f64() * 1e3
    );
    println!("mix (first 64Ki events): {by_type:?}");
    println!(
        "alerts rendered: {}",
        match (text, json, alert) {
            (true, ..) => format!("text ({rendered} bytes)"),
            (_, true, _) => format!("json ({rendered} bytes)"),
            (.., true) => format!("alerts built ({rendered} bytes of text)"),
            _ => "none (RENDER=text, alert or json to render them)".into(),
        }
    );
    println!(
        "replayed {n} events in {:.3} s CPU ({:.3} s wall) on one core: {:.2} M events/s per core ({:.2} M events/s wall) ({alerts} alerts); target 2.00 M events/s: {}",
        cpu.as_secs_f64(),
        busy.as_secs_f64(),
        eps / 1e6,
        wall_eps / 1e6,
        if state_only {
            "does not apply (STATE_ONLY: no rule evaluated)"
        } else if eps >= 2e6 {
            "met"
        } else {
            "NOT met"
        }
    );
}
