//! Condition semantics on replayed events (Falco's behaviour).

use seawall_event::{ContainerInfo, Event, EventType, ProcInfo, ProcessSnapshot, Record};
use seawall_rules::{Engine, EngineOptions, RuleSet};

fn engine(cond: &str) -> Engine {
    let src = format!(
        "- rule: R\n  desc: d\n  condition: {cond}\n  output: 'p=%proc.name a2=%proc.aname[2] f=%fd.name u=%user.name'\n  priority: WARNING\n  warn_evttypes: false\n"
    );
    let (rs, _) =
        RuleSet::load_sources(&[("t.yaml", &src)]).unwrap_or_else(|e| panic!("{cond}: {e}"));
    let mut e = Engine::new(rs, EngineOptions::default());
    // init <- sshd <- bash <- python (pid 4)
    for (tid, ppid, comm, path, args) in [
        (1, 0, "systemd", "/usr/lib/systemd/systemd", vec![]),
        (2, 1, "sshd", "/usr/sbin/sshd", vec!["-D"]),
        (3, 2, "bash", "/bin/bash", vec![]),
        (
            4,
            3,
            "python3",
            "/usr/bin/python3",
            vec!["app.py", "--port", "80"],
        ),
    ] {
        e.process_record(&Record::Process(ProcessSnapshot {
            tid,
            pid: tid,
            ppid,
            proc: ProcInfo {
                comm: comm.into(),
                exe: path.into(),
                exepath: path.into(),
                args: args.into_iter().map(String::from).collect(),
                cwd: "/srv".into(),
                loginuid: u32::MAX,
                env: vec!["HOME=/root".into(), "LANG=C".into()],
                ..Default::default()
            },
            container_id: None,
            fds: vec![],
        }));
    }
    e.process_record(&Record::Container(ContainerInfo {
        id: "abc".into(),
        image: "quay.io/org/app:1.0".into(),
        ..Default::default()
    }));
    e
}

fn open(path: &str) -> Event {
    Event::new(10, 4, 4, EventType::Openat, 5)
        .arg("dirfd", -100i64)
        .arg("name", path)
        .arg("flags", 0i64)
}

fn fires(cond: &str, ev: &Event) -> bool {
    !engine(cond).process(ev).is_empty()
}

#[test]
fn ancestors_without_index_match_any() {
    let ev = open("/etc/hosts");
    assert!(fires("evt.type=openat and proc.aname = sshd", &ev));
    assert!(fires(
        "evt.type=openat and proc.aname in (nginx, systemd)",
        &ev
    ));
    assert!(!fires("evt.type=openat and proc.aname = nginx", &ev));
    assert!(fires("evt.type=openat and proc.aname[2] = sshd", &ev));
    assert!(!fires("evt.type=openat and proc.aname[1] = sshd", &ev));
    assert!(fires("evt.type=openat and proc.aname[0] = python3", &ev));
    assert!(!fires("evt.type=openat and proc.aname[9] exists", &ev));
}

#[test]
fn null_fields_never_compare_true() {
    let ev = open("/etc/hosts");
    // no container: image fields are NULL, so both = and != are false
    assert!(!fires(
        "evt.type=openat and container.image.repository = x",
        &ev
    ));
    assert!(!fires(
        "evt.type=openat and container.image.repository != x",
        &ev
    ));
    assert!(fires(
        "evt.type=openat and not container.image.repository = x",
        &ev
    ));
    assert!(fires("evt.type=openat and container.id = host", &ev));
    let mut c = open("/etc/hosts");
    c.container_id = Some("abc".into());
    assert!(fires(
        "evt.type=openat and container.image.repository = quay.io/org/app",
        &c
    ));
    assert!(fires("evt.type=openat and container.image.tag = '1.0'", &c));
}

#[test]
fn string_operators() {
    let ev = open("/etc/ssh/sshd_config");
    for (cond, want) in [
        ("fd.name startswith /etc/", true),
        ("fd.name endswith _config", true),
        ("fd.name contains ssh/", true),
        ("fd.name icontains SSHD", true),
        ("fd.name glob '/etc/*/sshd_*'", true),
        ("fd.name iglob '/ETC/*'", true),
        ("fd.name glob '/etc/ssh'", false),
        ("fd.name regex '/etc/ssh/.*'", true),
        ("fd.name regex 'ssh'", false),
        ("fd.name pmatch (/etc/ssh, /usr)", true),
        ("fd.name pmatch (/etc/ss)", false),
        ("fd.directory = /etc/ssh", true),
        ("fd.filename = sshd_config", true),
        ("fd.name in (/a, /etc/ssh/sshd_config)", true),
        ("fd.name bcontains 737368", true),
        ("fd.name bstartswith 2f657463", true),
        ("tolower(fd.name) = /etc/ssh/sshd_config", true),
        ("toupper(fd.filename) = SSHD_CONFIG", true),
        ("basename(fd.name) = sshd_config", true),
        ("len(fd.name) = 20", true),
        ("len(fd.name) > 30", false),
        ("proc.cmdline = 'python3 app.py --port 80'", true),
        ("proc.args contains '--port'", true),
        ("proc.env[LANG] = C", true),
        ("proc.env contains HOME=", true),
        ("proc.name = val(proc.aname[0])", true),
        ("proc.name = val(proc.pname)", false),
        (
            "user.name = root and user.uid = 0 and user.loginuid = -1",
            true,
        ),
        (
            "evt.is_open_read = true and evt.is_open_write = false",
            true,
        ),
        ("evt.arg.flags contains O_RDONLY", true),
        ("evt.res = SUCCESS and evt.rawres = 5 and fd.num = 5", true),
        ("fd.typechar = f and fd.type = file", true),
    ] {
        assert_eq!(
            fires(&format!("evt.type=openat and {cond}"), &ev),
            want,
            "{cond}"
        );
    }
}

#[test]
fn network_fields_and_multi_values() {
    let mut e = engine("evt.type=connect and fd.snet in (10.0.0.0/8) and fd.sport = 443 and fd.l4proto = tcp and fd.name = '192.168.0.2:4000->10.1.2.3:443' and fd.types intersects (ipv4) and fd.rip = 10.1.2.3");
    e.process(
        &Event::new(1, 4, 4, EventType::Socket, 3)
            .arg("domain", 2i64)
            .arg("type", 1i64)
            .arg("proto", 0i64),
    );
    let t = seawall_event::SockTuple {
        family: seawall_event::SockFamily::Inet,
        l4proto: None,
        sip: Some("192.168.0.2".parse().unwrap()),
        sport: Some(4000),
        dip: Some("10.1.2.3".parse().unwrap()),
        dport: Some(443),
        path: None,
    };
    let a = e.process(
        &Event::new(2, 4, 4, EventType::Connect, 0)
            .arg("fd", 3i64)
            .arg("tuple", t.clone()),
    );
    assert_eq!(a.len(), 1, "{a:?}");
    // fd.types in (...) requires every type in the set
    let mut e = engine("evt.type=connect and fd.types in (file)");
    e.process(
        &Event::new(1, 4, 4, EventType::Socket, 3)
            .arg("domain", 2i64)
            .arg("type", 1i64),
    );
    e.process(&open("/x"));
    assert!(e
        .process(
            &Event::new(2, 4, 4, EventType::Connect, 0)
                .arg("fd", 3i64)
                .arg("tuple", t)
        )
        .is_empty());
}

#[test]
fn output_and_alert_json() {
    let mut e = engine("evt.type=openat");
    let a = e.process(&open("/etc/hosts"));
    assert_eq!(a.len(), 1);
    let a = &a[0];
    assert!(
        a.output
            .ends_with("Warning p=python3 a2=sshd f=/etc/hosts u=root"),
        "{}",
        a.output
    );
    assert_eq!(a.output_fields["proc.aname[2]"], "sshd");
    assert_eq!(a.priority, "Warning");
    assert_eq!(a.source, "syscall");
    let v: serde_json::Value = serde_json::from_str(&a.to_json()).unwrap();
    assert_eq!(v["rule"], "R");
    assert!(v["time"].as_str().unwrap().ends_with('Z'));
    // missing values print <NA>
    let (rs, _) = RuleSet::load_sources(&[(
        "t.yaml",
        "- rule: R\n  desc: d\n  condition: evt.type=openat\n  output: 'img=%container.image.repository'\n  priority: INFO\n",
    )])
    .unwrap();
    let mut e = Engine::new(rs, EngineOptions::default());
    let a = e.process(&open("/x"));
    assert!(a[0].output.ends_with("img=<NA>"), "{}", a[0].output);
    assert_eq!(
        a[0].output_fields["container.image.repository"],
        serde_json::Value::Null
    );
}

#[test]
fn selection_priority_and_first_match() {
    let src = "- rule: A\n  desc: d\n  condition: evt.type=openat\n  output: a\n  priority: NOTICE\n  tags: [t1]\n- rule: B\n  desc: d\n  condition: evt.type=openat\n  output: b\n  priority: CRITICAL\n  tags: [t2]\n";
    let run = |opts: EngineOptions| {
        let (rs, _) = RuleSet::load_sources(&[("t.yaml", src)]).unwrap();
        let mut e = Engine::new(rs, opts);
        e.process(&open("/x"))
            .into_iter()
            .map(|a| a.rule)
            .collect::<Vec<_>>()
    };
    assert_eq!(run(EngineOptions::default()), vec!["A"]);
    assert_eq!(
        run(EngineOptions {
            first_match: false,
            ..Default::default()
        }),
        vec!["A", "B"]
    );
    assert_eq!(
        run(EngineOptions {
            min_priority: seawall_rules::Priority::Error,
            ..Default::default()
        }),
        vec!["B"]
    );
    assert_eq!(
        run(EngineOptions {
            tags: vec!["t2".into()],
            ..Default::default()
        }),
        vec!["B"]
    );
    assert_eq!(
        run(EngineOptions {
            rules: vec!["B".into()],
            ..Default::default()
        }),
        vec!["B"]
    );
}

#[test]
fn garbage_events_do_not_panic() {
    let mut e = engine("evt.type in (openat, connect, close, dup2, execve) and fd.name exists");
    for ev in [
        Event::new(0, -1, -1, EventType::Openat, -2),
        Event::new(0, 7, 7, EventType::Close, 0).arg("fd", "x"),
        Event::new(0, 7, 7, EventType::Dup2, 1).arg("oldfd", 99i64),
        Event::new(0, 7, 7, EventType::Connect, 0)
            .arg("fd", 3i64)
            .arg("tuple", "oops"),
        Event::new(0, 7, 7, EventType::Execve, 0),
        Event::new(0, 7, 7, EventType::Clone, 7).arg("flags", -1i64),
        Event::new(
            u64::MAX,
            i64::MAX,
            i64::MIN,
            EventType::from_name("weird"),
            i64::MIN,
        ),
    ] {
        e.process(&ev);
    }
}

/// Rules `A`, `B`, ... (one per condition), every match reported.
fn all_match(conds: &[&str]) -> Engine {
    let mut src = String::new();
    for (i, c) in conds.iter().enumerate() {
        src.push_str(&format!(
            "- rule: R{i}\n  desc: d\n  condition: {c}\n  output: 'f=%evt.arg.flags m=%evt.arg.mode ip=%fd.ip'\n  priority: WARNING\n  warn_evttypes: false\n"
        ));
    }
    let (rs, _) = RuleSet::load_sources(&[("t.yaml", &src)]).unwrap();
    Engine::new(
        rs,
        EngineOptions {
            first_match: false,
            ..Default::default()
        },
    )
}

fn fired(e: &mut Engine, ev: &Event) -> Vec<String> {
    e.process(ev).into_iter().map(|a| a.rule).collect()
}

#[test]
fn flags_rendered_on_demand_match_every_event() {
    // evt.arg.flags is rendered once per event on first use and shared by
    // later rules and the output; it must never leak into the next event
    let mut e = all_match(&[
        "evt.type=openat and evt.arg.flags contains O_CREAT",
        "evt.type=openat and evt.arg.flags contains O_RDONLY",
        "evt.type=openat and not evt.arg.flags contains O_CREAT",
    ]);
    let create = Event::new(1, 4, 4, EventType::Openat, 5)
        .arg("dirfd", -100i64)
        .arg("name", "/tmp/x")
        .arg("flags", 0o101i64);
    let read = open("/etc/hosts");
    for _ in 0..3 {
        let a = e.process(&create);
        let names: Vec<_> = a.iter().map(|a| a.rule.as_str()).collect();
        assert_eq!(names, ["R0"], "create");
        assert!(
            a[0].output.contains("f=O_WRONLY|O_CREAT"),
            "{}",
            a[0].output
        );
        assert_eq!(fired(&mut e, &read), ["R1", "R2"], "read");
        // same address and timestamp, other flags: not served from the cache
        let mut same = create.clone();
        same.args = read.args.clone();
        same.ts_ns = create.ts_ns;
        assert_eq!(fired(&mut e, &same), ["R1", "R2"], "reused event");
    }
    // execve without a flags parameter renders the exe flags
    let mut e = all_match(&["evt.type=execve and evt.arg.flags contains EXE_LOWER_LAYER"]);
    let mut ex = Event::new(1, 9, 9, EventType::Execve, 0);
    ex.proc = Some(Box::new(ProcInfo {
        comm: "ls".into(),
        exe: "/bin/ls".into(),
        exepath: "/bin/ls".into(),
        ..Default::default()
    }));
    assert_eq!(fired(&mut e, &ex), ["R0"]);
}

#[test]
fn modes_rendered_on_demand_match_every_event() {
    // evt.arg.mode is kept once rendered, like evt.arg.flags: several rules,
    // and the output, read one rendering that never leaks into the next event
    let mut e = all_match(&[
        "evt.type=fchmodat and evt.arg.mode contains S_ISUID",
        "evt.type=fchmodat and (evt.arg.mode contains S_ISUID or evt.arg.mode contains S_ISGID)",
        "evt.type=fchmodat and evt.arg.mode contains S_IXUSR and evt.arg.flags exists",
    ]);
    let chmod = |mode: i64| {
        Event::new(1, 4, 4, EventType::Fchmodat, 0)
            .arg("dirfd", -100i64)
            .arg("filename", "/tmp/x")
            .arg("mode", mode)
            .arg("flags", 0i64)
    };
    for _ in 0..3 {
        assert_eq!(fired(&mut e, &chmod(0o4755)), ["R0", "R1", "R2"], "setuid");
        assert_eq!(fired(&mut e, &chmod(0o2644)), ["R1"], "setgid");
        assert!(fired(&mut e, &chmod(0o644)).is_empty(), "plain");
    }
    let mut e = all_match(&["evt.type=fchmodat and evt.arg.mode contains S_ISGID"]);
    let a = e.process(&chmod(0o2640));
    assert_eq!(a.len(), 1);
    assert!(
        a[0].output.contains("S_IWUSR|S_IRUSR|S_ISGID"),
        "{}",
        a[0].output
    );
}

#[test]
fn any_of_fields_without_lists() {
    // fd.ip / fd.net / fd.port / indexless proc.aname match when any
    // candidate does; missing fds and threads never match, not even `!=`
    let mut e = all_match(&[
        "evt.type=connect and fd.ip = 10.1.2.3",
        "evt.type=connect and fd.ip = 192.168.0.2",
        "evt.type=connect and fd.ip != 10.1.2.3",
        "evt.type=connect and fd.net = 10.0.0.0/8",
        "evt.type=connect and fd.net != 10.0.0.0/8",
        "evt.type=connect and fd.port in (443, 1)",
        "evt.type=connect and fd.port = 4001",
        "evt.type=connect and fd.ip exists",
        "evt.type=connect and proc.aname in (sshd, nginx)",
        "evt.type=connect and proc.aname = python3",
        "evt.type=connect and proc.aname exists",
        "evt.type=connect and proc.aname != sshd",
        "evt.type=connect and proc.aname startswith syst",
    ]);
    // python3 (4) <- bash (3) <- sshd (2) <- systemd (1)
    for (tid, ppid, comm) in [
        (1, 0, "systemd"),
        (2, 1, "sshd"),
        (3, 2, "bash"),
        (4, 3, "python3"),
    ] {
        e.process_record(&Record::Process(ProcessSnapshot {
            tid,
            pid: tid,
            ppid,
            proc: ProcInfo {
                comm: comm.into(),
                ..Default::default()
            },
            container_id: None,
            fds: vec![],
        }));
    }
    let t = seawall_event::SockTuple {
        family: seawall_event::SockFamily::Inet,
        l4proto: Some("tcp".into()),
        sip: Some("192.168.0.2".parse().unwrap()),
        sport: Some(4000),
        dip: Some("10.1.2.3".parse().unwrap()),
        dport: Some(443),
        path: None,
    };
    let conn = |pid: i64| {
        Event::new(2, pid, pid, EventType::Connect, 0)
            .arg("fd", 3i64)
            .arg("tuple", t.clone())
    };
    assert_eq!(
        fired(&mut e, &conn(4)),
        ["R0", "R1", "R2", "R3", "R4", "R5", "R7", "R8", "R10", "R11", "R12"]
    );
    // systemd has no ancestors: every indexless proc.aname check is false
    assert_eq!(
        fired(&mut e, &conn(1)),
        ["R0", "R1", "R2", "R3", "R4", "R5", "R7"]
    );
    // no fd at all (close of an unknown fd): fd.ip checks are all false
    let mut e2 = all_match(&[
        "evt.type=close and fd.ip != 1.2.3.4",
        "evt.type=close and fd.port exists",
    ]);
    assert!(fired(
        &mut e2,
        &Event::new(3, 4, 4, EventType::Close, 0).arg("fd", 77i64)
    )
    .is_empty());
}

#[test]
fn grouped_or_string_tests() {
    // `or`s of =, in and startswith on one field are evaluated with one
    // extraction; results must equal the tests taken one by one
    let cases = [
        ("fd.name startswith /dev/sd or fd.name = /etc/hosts or fd.name in (/a, /b)", ["/etc/hosts", "/dev/sda1", "/b", "/x"], [true, true, true, false]),
        ("fd.name startswith /x or fd.name startswith /etc/ or proc.name = nomatch", ["/etc/hosts", "/dev/sda1", "/b", "/x/y"], [true, false, false, true]),
        ("not (fd.name startswith /dev or fd.name = /b)", ["/etc/hosts", "/dev/sda1", "/b", "/x"], [true, false, false, true]),
        ("fd.name = /b or fd.directory = /etc or fd.name startswith /dev or fd.directory in (/x)", ["/etc/hosts", "/dev/sda1", "/b", "/x/y"], [true, true, true, true]),
        ("fd.name = /nomatch or fd.name startswith ''", ["/etc/hosts", "/dev/sda1", "/b", "/x"], [true, true, true, true]),
    ];
    for (cond, paths, want) in cases {
        let mut e = engine(&format!("evt.type=openat and ({cond})"));
        for (p, w) in paths.iter().zip(want) {
            assert_eq!(!e.process(&open(p)).is_empty(), w, "{cond} on {p}");
        }
    }
    // a NULL field fails every grouped test, and so does its negation of each
    let mut c = open("/etc/hosts");
    c.container_id = Some("nope".into());
    let mut e = engine(
        "evt.type=openat and (container.image = x or container.image startswith quay or container.image in (a))",
    );
    assert!(e.process(&c).is_empty());
    let mut e = engine(
        "evt.type=openat and not (container.image = x or container.image startswith quay or container.image in (a))",
    );
    assert!(!e.process(&c).is_empty());
    c.container_id = Some("abc".into());
    let mut e = engine(
        "evt.type=openat and (container.image = x or container.image startswith quay or container.image in (a))",
    );
    assert!(!e.process(&c).is_empty());
}

#[test]
fn conditions_specialised_to_their_event_types() {
    // evt.type tests that are constant over a rule's event types fold away;
    // the ones that are not must still decide per event
    let mut e = all_match(&[
        "(evt.type in (openat, open) and fd.name = /a) or (evt.type = connect and fd.num = 3)",
        "evt.type in (openat, execve) and not evt.type = execve and fd.name = /a",
        "evt.type = openat and (evt.type != openat or fd.name = /a)",
        "evt.type = openat and (evt.type = openat or fd.name = /nomatch)",
        "evt.type in (openat, unknown_evt) and fd.name = /a",
    ]);
    assert_eq!(fired(&mut e, &open("/a")), ["R0", "R1", "R2", "R3", "R4"]);
    assert_eq!(fired(&mut e, &open("/b")), ["R3"]);
    let t = seawall_event::SockTuple {
        family: seawall_event::SockFamily::Inet,
        l4proto: None,
        sip: None,
        sport: None,
        dip: Some("10.0.0.1".parse().unwrap()),
        dport: Some(80),
        path: None,
    };
    let conn = Event::new(2, 4, 4, EventType::Connect, 0)
        .arg("fd", 3i64)
        .arg("tuple", t);
    assert_eq!(fired(&mut e, &conn), ["R0"]);
    let mut ex = Event::new(3, 4, 4, EventType::Execve, 0);
    ex.proc = Some(Box::new(ProcInfo {
        comm: "ls".into(),
        ..Default::default()
    }));
    assert!(fired(&mut e, &ex).is_empty());
}

#[test]
fn contains_with_a_prebuilt_searcher() {
    for (path, cond, want) in [
        ("/etc/ssh/sshd_config", "fd.name contains sshd_", true),
        ("/etc/ssh/sshd_config", "fd.name contains 'config'", true),
        (
            "/etc/ssh/sshd_config",
            "fd.name contains sshd_configx",
            false,
        ),
        ("/etc/ssh/sshd_config", "fd.name contains ''", true),
        ("/tmp/é-ü", "fd.name contains 'é-ü'", true),
        ("/tmp/é-ü", "fd.name contains 'ü-é'", false),
        ("/tmp/x", "not fd.name contains /tmp", false),
        ("/tmp/x", "fd.name contains val(fd.filename)", true),
    ] {
        assert_eq!(
            fires(&format!("evt.type=openat and {cond}"), &open(path)),
            want,
            "{cond} on {path}"
        );
    }
}
