//! Turning kernel records into `seawall_event` records, with the little
//! state the sensor itself keeps: cgroup id → container id, which
//! containers were already described, and the clock offset.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use seawall_event::{
    ArgValue, Bytes, ContainerInfo, Event, EventType, ProcInfo, Record, SockFamily, SockTuple,
};

use crate::container;
use crate::record::{self, Raw, RawSock};
use crate::syscalls::{self, Spec, Src};

/// Looks container metadata up; replaceable in tests.
pub type ContainerLookup = Box<dyn FnMut(&str, &str, Option<u32>) -> ContainerInfo>;

/// Converts decoded kernel records into event records.
pub struct Converter {
    boot_offset_ns: i128,
    cgroups: HashMap<u64, Option<(String, &'static str)>>,
    described: HashSet<String>,
    table: Vec<Option<&'static Spec>>,
    lookup: ContainerLookup,
    /// Root directory for `/proc` reads (tests point it elsewhere).
    proc_root: PathBuf,
}

impl Default for Converter {
    fn default() -> Self {
        Self::new()
    }
}

impl Converter {
    pub fn new() -> Self {
        Converter {
            boot_offset_ns: boot_offset_ns(),
            cgroups: HashMap::new(),
            described: HashSet::new(),
            table: syscalls::table(),
            lookup: Box::new(container::lookup),
            proc_root: PathBuf::from("/proc"),
        }
    }

    /// Replace the container metadata lookup (tests).
    pub fn with_lookup(mut self, lookup: ContainerLookup) -> Self {
        self.lookup = lookup;
        self
    }

    /// Mark a container as already described (from the initial scan).
    pub fn mark_described(&mut self, id: &str) {
        self.described.insert(id.to_string());
    }

    fn wall(&self, boot_ns: u64) -> u64 {
        let v = boot_ns as i128 + self.boot_offset_ns;
        u64::try_from(v).unwrap_or(0)
    }

    /// Container id for a record: from the cgroup announcement, else from
    /// `/proc/<pid>/cgroup` when the announcement was lost.
    fn container_of(&mut self, cgid: u64, pid: u32) -> Option<(String, &'static str)> {
        if cgid == 0 {
            return None;
        }
        if let Some(c) = self.cgroups.get(&cgid) {
            return c.clone();
        }
        let found = std::fs::read_to_string(self.proc_root.join(pid.to_string()).join("cgroup"))
            .ok()
            .and_then(|t| container::container_id_from_proc_cgroup(&t));
        self.cgroups.insert(cgid, found.clone());
        found
    }

    /// Emit the container description and its users the first time a
    /// container id shows up (`full` is the 64-hex id).
    fn describe(&mut self, full: &str, runtime: &str, pid: u32, out: &mut dyn FnMut(Record)) {
        let id = container::short_id(full);
        if self.described.contains(&id) {
            return;
        }
        self.described.insert(id.clone());
        let mut info = (self.lookup)(full, runtime, Some(pid));
        info.id = id.clone();
        out(Record::Container(info));
        let root = self.proc_root.join(pid.to_string()).join("root");
        for r in container_tables(&root, &id) {
            out(r);
        }
    }

    /// Convert one raw ring-buffer record.
    pub fn convert(&mut self, bytes: &[u8], out: &mut dyn FnMut(Record)) -> bool {
        let Some(r) = record::decode(bytes) else {
            return false;
        };
        if r.kind == record::KIND_CGROUP {
            let comps: Vec<String> = r
                .params
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| record::cstr(p))
                .collect();
            let hit = container::container_id_from_components(&comps);
            self.cgroups.insert(r.cgid, hit);
            return true;
        }
        let cont = self.container_of(r.cgid, r.pid);
        if let Some((id, rt)) = &cont {
            let (id, rt) = (id.clone(), *rt);
            self.describe(&id, rt, r.pid, out);
        }
        let ev = match r.kind {
            record::KIND_EXEC => self.exec(&r),
            record::KIND_FORK => self.fork(&r),
            record::KIND_EXIT => self.exit(&r),
            record::KIND_SYSCALL => match self.syscall(&r) {
                Some(e) => e,
                None => return false,
            },
            _ => return false,
        };
        let mut ev = ev;
        ev.container_id = cont.map(|c| container::short_id(&c.0));
        out(Record::Syscall(ev));
        true
    }

    fn base(&self, r: &Raw<'_>, t: EventType) -> Event {
        let mut e = Event::new(self.wall(r.ts), r.tid as i64, r.pid as i64, t, r.ret);
        if r.ppid != 0 {
            e.ppid = Some(r.ppid as i64);
        }
        e
    }

    fn exec(&self, r: &Raw<'_>) -> Event {
        let t = if r.nr == 322 {
            EventType::Execveat
        } else {
            EventType::Execve
        };
        let filename = record::cstr(r.params[0]);
        let argv = record::split_nul(r.params[1]);
        let cwd = record::join_path(r.params[3]).unwrap_or_else(|| "/".into());
        let exepath = record::join_path(r.params[2])
            .filter(|p| p != "/")
            .unwrap_or_else(|| resolve(&cwd, &filename));
        let exe = argv.first().cloned().unwrap_or_else(|| filename.clone());
        let args: Vec<String> = argv.iter().skip(1).cloned().collect();
        let mut e = self.base(r, t);
        e.args.push("exe", ArgValue::Str(exe.clone()));
        e.args.push("args", ArgValue::List(args.clone()));
        e.args.push("tid", ArgValue::Int(r.tid as i64));
        e.args.push("pid", ArgValue::Int(r.pid as i64));
        e.args.push("ptid", ArgValue::Int(r.ppid as i64));
        e.args.push("cwd", ArgValue::Str(cwd.clone()));
        e.args.push("comm", ArgValue::Str(r.comm.clone()));
        e.args.push("filename", ArgValue::Str(filename));
        e.args.push("uid", ArgValue::Int(r.uid as i64));
        e.args.push("gid", ArgValue::Int(r.gid as i64));
        e.args.push("loginuid", ArgValue::Int(r.loginuid as i64));
        e.args.push("tty", ArgValue::Int(r.tty as i64));
        e.args.push("flags", ArgValue::Int((r.flags & 0xf) as i64));
        e.args
            .push("trusted_exepath", ArgValue::Str(exepath.clone()));
        e.proc = Some(Box::new(ProcInfo {
            comm: r.comm.clone(),
            exe,
            exepath,
            args,
            cwd,
            uid: r.uid,
            gid: r.gid,
            loginuid: r.loginuid,
            tty: r.tty,
            vpid: Some(r.vpid as i64),
            vtid: Some(r.vtid as i64),
            exe_upper_layer: r.flags & record::EXE_UPPER_LAYER != 0,
            exe_from_memfd: r.flags & record::EXE_FROM_MEMFD != 0,
            exe_writable: r.flags & record::EXE_WRITABLE != 0,
            exe_ino: r.ino,
            exe_ino_ctime: r.ctime_ns,
            exe_ino_mtime: r.mtime_ns,
            start_ts: self.wall(r.ts),
            // written by sensor.bpf.c's sw_exec (args[0] is the old pid)
            cap_permitted: r.args[1],
            cap_effective: r.args[2],
            cap_inheritable: r.args[3],
            ..Default::default()
        }));
        e
    }

    /// Recorded in the parent, as the engine expects: `res` is the child.
    fn fork(&self, r: &Raw<'_>) -> Event {
        let ptid = r.args[0] as i64;
        let ppid = r.args[1] as i64;
        let mut e = Event::new(self.wall(r.ts), ptid, ppid, EventType::Clone, r.tid as i64);
        let thread = r.flags & record::FORK_THREAD != 0;
        e.args.push(
            "flags",
            ArgValue::Int(if thread { 0x0001_0f00 } else { 0x11 }),
        );
        e
    }

    fn exit(&self, r: &Raw<'_>) -> Event {
        let mut e = self.base(r, EventType::Procexit);
        let status = r.ret;
        e.res = 0;
        e.args.push("status", ArgValue::Int(status));
        e.args.push("ret", ArgValue::Int((status >> 8) & 0xff));
        e.args.push("sig", ArgValue::Int(status & 0x7f));
        e
    }

    fn syscall(&self, r: &Raw<'_>) -> Option<Event> {
        let spec = (*self.table.get(r.nr as usize)?)?;
        let mut e = self.base(r, spec.evt_type());
        let mask = spec.str_mask();
        let string_slot = |i: u8| -> usize { (mask & ((1u8 << i) - 1)).count_ones() as usize };
        for (name, src) in spec.params {
            let v = match *src {
                Src::Ret => ArgValue::Int(r.ret),
                Src::Int(i) => ArgValue::Int(r.args[i as usize] as i32 as i64),
                Src::U64(i) => ArgValue::from(r.args[i as usize]),
                Src::Const(c) => ArgValue::Int(c),
                Src::Str(i) => {
                    let p = r.params.get(string_slot(i)).copied().unwrap_or(&[]);
                    ArgValue::Str(record::cstr(p))
                }
                Src::Path => {
                    // resolved by the kernel from the new fd
                    if r.flags & record::SC_HAS_FILE == 0 || r.ret < 0 {
                        continue;
                    }
                    match record::join_path(r.params[3]) {
                        Some(p) => ArgValue::Str(p),
                        None => continue,
                    }
                }
                Src::Tuple => match tuple(r, spec.name) {
                    Some(t) => ArgValue::from(t),
                    None => continue,
                },
                Src::Addr => match sockaddr(r.params[2]) {
                    Some(t) => ArgValue::from(t),
                    None => continue,
                },
            };
            e.args.push(name, v);
        }
        if r.flags & record::SC_HAS_FILE != 0 {
            // the kernel's description of the fd the call names, so the
            // engine's fd table need not rely on having seen its open
            // (nor its close)
            e.args.push("ino", ArgValue::from(r.ino));
            e.args.push("fd_mode", ArgValue::Int(r.fmode as i64));
            let has = |k: fn(&Src) -> bool| spec.params.iter().any(|(_, s)| k(s));
            if r.flags & record::SC_HAS_SOCK != 0 {
                if !has(|s| matches!(s, Src::Tuple)) {
                    if let Some(t) = tuple(r, spec.name) {
                        e.args.push("fd_tuple", ArgValue::from(t));
                    }
                }
            } else if !has(|s| matches!(s, Src::Path)) {
                if let Some(p) = record::join_path(r.params[3]) {
                    e.args.push("fd_path", ArgValue::Str(p));
                }
            }
        }
        if spec.name == "openat2" {
            // the kernel replaced the struct pointer with how->flags/mode
            e.args.push("resolve", ArgValue::Int(0));
        }
        Some(e)
    }
}

/// Users and groups of a container from its root filesystem.
pub(crate) fn container_tables(root: &std::path::Path, id: &str) -> Vec<Record> {
    let mut out = Vec::new();
    if let Some(t) = container::read_small(&root.join("etc/passwd")) {
        out.extend(
            container::parse_passwd(&t, Some(id))
                .into_iter()
                .map(Record::User),
        );
    }
    if let Some(t) = container::read_small(&root.join("etc/group")) {
        out.extend(
            container::parse_group(&t, Some(id))
                .into_iter()
                .map(Record::Group),
        );
    }
    out
}

fn resolve(cwd: &str, p: &str) -> String {
    if p.starts_with('/') || p.is_empty() {
        return p.to_string();
    }
    let p = p.strip_prefix("./").unwrap_or(p);
    if cwd.ends_with('/') {
        format!("{cwd}{p}")
    } else {
        format!("{cwd}/{p}")
    }
}

fn l4(s: &RawSock) -> Option<String> {
    Some(
        match (s.sock_type, s.proto) {
            (_, 6) => "tcp",
            (_, 17) => "udp",
            (_, 1) | (_, 58) => "icmp",
            (3, _) => "raw",
            (1, _) => "tcp",
            (2, _) => "udp",
            _ => return None,
        }
        .to_string(),
    )
}

fn ip(family: u16, b: &[u8; 16]) -> Option<IpAddr> {
    match family {
        2 => Some(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))),
        10 => Some(IpAddr::V6(Ipv6Addr::from(*b))),
        _ => None,
    }
}

/// Connection tuple: for connect/send the local side is the source, for
/// accept the peer is.
fn tuple(r: &Raw<'_>, syscall: &str) -> Option<SockTuple> {
    if r.flags & record::SC_HAS_SOCK == 0 {
        // not a socket the kernel could read; fall back to the sockaddr
        return sockaddr(r.params[2]).map(|mut t| {
            std::mem::swap(&mut t.sip, &mut t.dip);
            std::mem::swap(&mut t.sport, &mut t.dport);
            t
        });
    }
    let s = &r.sock;
    let fam = SockFamily::from_domain(i64::from(s.family));
    let mut t = SockTuple {
        family: fam,
        l4proto: l4(s),
        ..Default::default()
    };
    match fam {
        SockFamily::Inet | SockFamily::Inet6 => {
            let local = (ip(s.family, &s.laddr), Some(s.lport));
            let mut remote = (ip(s.family, &s.raddr), Some(s.rport));
            if syscall == "connect" && s.rport == 0 {
                // not connected yet (e.g. UDP without a peer): use the sockaddr
                if let Some(a) = sockaddr(r.params[2]) {
                    remote = (a.sip, a.sport);
                }
            }
            let (src, dst) = if syscall.starts_with("accept") {
                (remote, local)
            } else {
                (local, remote)
            };
            t.sip = src.0;
            t.sport = src.1;
            t.dip = dst.0;
            t.dport = dst.1;
        }
        SockFamily::Unix => {
            t.path = sockaddr(r.params[2]).and_then(|a| a.path);
        }
        _ => {}
    }
    Some(t)
}

/// A `struct sockaddr` from user memory (address in `sip`/`sport`).
fn sockaddr(b: &[u8]) -> Option<SockTuple> {
    let fam = u16::from_le_bytes(b.get(0..2)?.try_into().ok()?);
    let mut t = SockTuple {
        family: SockFamily::from_domain(i64::from(fam)),
        ..Default::default()
    };
    match fam {
        2 => {
            t.sport = Some(u16::from_be_bytes(b.get(2..4)?.try_into().ok()?));
            let a: [u8; 4] = b.get(4..8)?.try_into().ok()?;
            t.sip = Some(IpAddr::V4(Ipv4Addr::from(a)));
        }
        10 => {
            t.sport = Some(u16::from_be_bytes(b.get(2..4)?.try_into().ok()?));
            let a: [u8; 16] = b.get(8..24)?.try_into().ok()?;
            t.sip = Some(IpAddr::V6(Ipv6Addr::from(a)));
        }
        1 => {
            let p = b.get(2..).unwrap_or(&[]);
            let p = if p.first() == Some(&0) {
                // abstract socket: Falco shows a leading '@'
                format!("@{}", record::cstr(p.get(1..).unwrap_or(&[])))
            } else {
                record::cstr(p)
            };
            t.path = Some(p);
        }
        _ => return None,
    }
    Some(t)
}

/// Offset from CLOCK_BOOTTIME to wall-clock time.
fn boot_offset_ns() -> i128 {
    let mut real = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let mut boot = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the valid timespec we pass.
    unsafe {
        libc::clock_gettime(libc::CLOCK_REALTIME, &mut real);
        libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut boot);
    }
    let ns = |t: &libc::timespec| t.tv_sec as i128 * 1_000_000_000 + t.tv_nsec as i128;
    ns(&real) - ns(&boot)
}

/// Raw data buffer argument (unused by the kernel side today, kept for
/// `write` captures).
#[allow(dead_code)]
fn bytes(b: &[u8]) -> ArgValue {
    ArgValue::Bytes(Bytes(b.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(kind: u16, nr: u16, params: &[&[u8]]) -> Vec<u8> {
        let mut b = vec![0u8; record::HDR_SIZE];
        b[108..110].copy_from_slice(&kind.to_le_bytes());
        b[110..112].copy_from_slice(&nr.to_le_bytes());
        b[72..76].copy_from_slice(&42u32.to_le_bytes());
        b[76..80].copy_from_slice(&42u32.to_le_bytes());
        b[124..128].copy_from_slice(b"cat\0");
        for (i, p) in params.iter().enumerate() {
            b[116 + 2 * i..118 + 2 * i].copy_from_slice(&(p.len() as u16).to_le_bytes());
        }
        for p in params {
            b.extend_from_slice(p);
        }
        b
    }

    fn collect(c: &mut Converter, b: &[u8]) -> Vec<Record> {
        let mut v = Vec::new();
        c.convert(b, &mut |r| v.push(r));
        v
    }

    #[test]
    fn openat_uses_kernel_resolved_path() {
        let mut c = Converter::new();
        let mut b = rec(
            record::KIND_SYSCALL,
            257,
            &[b"shadow\0", b"", b"", b"shadow\0etc\0"],
        );
        b[112..116].copy_from_slice(&record::SC_HAS_FILE.to_le_bytes());
        b[16..24].copy_from_slice(&3i64.to_le_bytes());
        b[24..32].copy_from_slice(&(-100i64 as u64).to_le_bytes());
        let out = collect(&mut c, &b);
        let Some(Record::Syscall(e)) = out.last() else {
            panic!("{out:?}")
        };
        assert_eq!(e.evt_type, EventType::Openat);
        assert_eq!(e.get_arg("name").and_then(|a| a.as_str()), Some("shadow"));
        assert_eq!(
            e.get_arg("path").and_then(|a| a.as_str()),
            Some("/etc/shadow")
        );
        assert_eq!(e.get_arg("fd").and_then(|a| a.as_i64()), Some(3));
        assert_eq!(e.get_arg("dirfd").and_then(|a| a.as_i64()), Some(-100));
        assert_eq!(e.res, 3);
    }

    #[test]
    fn exec_builds_proc_info() {
        let mut c = Converter::new();
        let mut b = rec(
            record::KIND_EXEC,
            59,
            &[
                b"/bin/nc\0",
                b"nc\0-e\0/bin/sh\0",
                b"busybox\0bin\0",
                b"tmp\0",
            ],
        );
        b[112..116]
            .copy_from_slice(&(record::EXE_UPPER_LAYER | record::EXE_WRITABLE).to_le_bytes());
        b[32..40].copy_from_slice(&0x1ff_ffff_ffffu64.to_le_bytes());
        b[40..48].copy_from_slice(&0xa80425fbu64.to_le_bytes());
        b[48..56].copy_from_slice(&0u64.to_le_bytes());
        let out = collect(&mut c, &b);
        let Some(Record::Syscall(e)) = out.last() else {
            panic!()
        };
        let p = e.proc.as_ref().unwrap();
        assert_eq!(p.exe, "nc");
        assert_eq!(p.args, vec!["-e", "/bin/sh"]);
        assert_eq!(p.exepath, "/bin/busybox");
        assert_eq!(p.cwd, "/tmp");
        assert!(p.exe_upper_layer && p.exe_writable && !p.exe_from_memfd);
        assert_eq!(e.get_arg("flags").and_then(|a| a.as_i64()), Some(3));
        assert_eq!(
            (p.cap_permitted, p.cap_effective, p.cap_inheritable),
            (0x1ff_ffff_ffff, 0xa80425fb, 0)
        );
    }

    #[test]
    fn cgroup_announcement_maps_container() {
        let id = "4f2b8c1d0e9a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c";
        let mut c = Converter::new().with_lookup(Box::new(|id, _, _| ContainerInfo {
            id: id.to_string(),
            name: "web".into(),
            ..Default::default()
        }));
        let leaf = format!("libpod-{id}\0");
        let mut cg = rec(
            record::KIND_CGROUP,
            0,
            &[leaf.as_bytes(), b"libpod_parent\0"],
        );
        cg[8..16].copy_from_slice(&77u64.to_le_bytes());
        assert!(collect(&mut c, &cg).is_empty());
        let mut ev = rec(record::KIND_EXIT, 60, &[]);
        ev[8..16].copy_from_slice(&77u64.to_le_bytes());
        let out = collect(&mut c, &ev);
        assert!(matches!(&out[0], Record::Container(ci) if ci.name == "web"));
        let Some(Record::Syscall(e)) = out.last() else {
            panic!()
        };
        assert_eq!(e.container_id.as_deref(), Some(&id[..12]));
        // second event: no second description
        let out = collect(&mut c, &ev);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn connect_tuple_from_sock() {
        let mut c = Converter::new();
        let mut b = rec(record::KIND_SYSCALL, 42, &[b"", b"", b"", b""]);
        b[112..116].copy_from_slice(&(record::SC_HAS_SOCK | record::SC_HAS_FILE).to_le_bytes());
        b[16..24].copy_from_slice(&(-115i64).to_le_bytes());
        b[140..142].copy_from_slice(&2u16.to_le_bytes());
        b[142..144].copy_from_slice(&1u16.to_le_bytes());
        b[144..146].copy_from_slice(&6u16.to_le_bytes());
        b[146..148].copy_from_slice(&40000u16.to_le_bytes());
        b[148..150].copy_from_slice(&443u16.to_le_bytes());
        b[156..160].copy_from_slice(&[10, 88, 0, 4]);
        b[172..176].copy_from_slice(&[203, 0, 113, 5]);
        let out = collect(&mut c, &b);
        let Some(Record::Syscall(e)) = out.last() else {
            panic!()
        };
        let Some(ArgValue::Sock(t)) = e.get_arg("tuple") else {
            panic!("{e:?}")
        };
        assert_eq!(t.dport, Some(443));
        assert_eq!(t.dip, Some("203.0.113.5".parse().unwrap()));
        assert_eq!(t.sip, Some("10.88.0.4".parse().unwrap()));
        assert_eq!(t.l4proto.as_deref(), Some("tcp"));
        assert_eq!(e.res, -115);
    }

    #[test]
    fn garbage_is_rejected_without_panic() {
        let mut c = Converter::new();
        assert!(collect(&mut c, &[1, 2, 3]).is_empty());
        let b = rec(record::KIND_SYSCALL, 499, &[]);
        assert!(collect(&mut c, &b).is_empty());
    }
}
