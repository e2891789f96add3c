//! Initial `/proc` scan: one [`ProcessSnapshot`] per thread (fds on the
//! leader), the containers those threads run in, and the user tables, so
//! the rules engine has state for everything that started before the
//! sensor.

use std::collections::BTreeMap;
use std::path::Path;

use seawall_event::{FdKind, FdSnapshot, HostInfo, ProcInfo, ProcessSnapshot, Record};

use crate::container;

/// At most this many fds are reported per process.
const MAX_FDS: usize = 4096;

/// Scan `proc_root` (normally `/proc`). `self_pid` is skipped. The
/// container lookup is called once per container id found.
pub fn scan(
    proc_root: &Path,
    self_pid: u32,
    lookup: &mut dyn FnMut(&str, &str, Option<u32>) -> seawall_event::ContainerInfo,
) -> Vec<Record> {
    let mut out = Vec::new();
    out.push(Record::Host(HostInfo {
        hostname: read(&proc_root.join("sys/kernel/hostname"))
            .trim()
            .to_string(),
        boot_ts: boot_ts(proc_root),
    }));
    if let Some(t) = container::read_small(Path::new("/etc/passwd")) {
        out.extend(
            container::parse_passwd(&t, None)
                .into_iter()
                .map(Record::User),
        );
    }
    if let Some(t) = container::read_small(Path::new("/etc/group")) {
        out.extend(
            container::parse_group(&t, None)
                .into_iter()
                .map(Record::Group),
        );
    }
    let mut containers: BTreeMap<String, (String, u32)> = BTreeMap::new();
    let mut procs = Vec::new();
    let Ok(dir) = std::fs::read_dir(proc_root) else {
        return out;
    };
    let boot = boot_ts(proc_root);
    let ticks = clk_tck();
    for ent in dir.flatten() {
        let Some(pid) = ent.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == self_pid {
            continue;
        }
        let pdir = ent.path();
        let cid = container::container_id_from_proc_cgroup(&read(&pdir.join("cgroup")));
        if let Some((id, rt)) = &cid {
            containers
                .entry(id.clone())
                .or_insert_with(|| (rt.to_string(), pid));
        }
        let Some(leader) = proc_info(&pdir, boot, ticks) else {
            continue;
        };
        let ppid = stat_field(&pdir, 1).unwrap_or(0);
        let fds = scan_fds(&pdir);
        let tasks: Vec<u32> = std::fs::read_dir(pdir.join("task"))
            .map(|d| {
                d.flatten()
                    .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
                    .collect()
            })
            .unwrap_or_default();
        for tid in tasks.iter().copied().chain(tasks.is_empty().then_some(pid)) {
            let mut info = leader.clone();
            if tid != pid {
                let c = read(&pdir.join("task").join(tid.to_string()).join("comm"));
                if !c.is_empty() {
                    info.comm = c.trim_end().to_string();
                }
            }
            procs.push(ProcessSnapshot {
                tid: tid as i64,
                pid: pid as i64,
                ppid,
                proc: info,
                container_id: cid.as_ref().map(|c| container::short_id(&c.0)),
                fds: if tid == pid { fds.clone() } else { Vec::new() },
            });
        }
    }
    for (full, (rt, pid)) in &containers {
        let id = container::short_id(full);
        let mut info = lookup(full, rt, Some(*pid));
        info.id = id.clone();
        out.push(Record::Container(info));
        let root = proc_root.join(pid.to_string()).join("root");
        out.extend(crate::convert::container_tables(&root, &id));
    }
    // parents before children keeps the engine's ancestry walk simple
    procs.sort_by_key(|p| (p.pid, p.tid));
    out.extend(procs.into_iter().map(Record::Process));
    out
}

/// Container ids found in a scan's records.
pub fn container_ids(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Container(c) => Some(c.id.clone()),
            _ => None,
        })
        .collect()
}

fn read(p: &Path) -> String {
    container::read_small(p).unwrap_or_default()
}

fn clk_tck() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if v > 0 {
        v as u64
    } else {
        100
    }
}

fn boot_ts(proc_root: &Path) -> u64 {
    read(&proc_root.join("stat"))
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(|s| s * 1_000_000_000)
        .unwrap_or(0)
}

/// Field `n` (0-based, counting from the field after `comm`) of `stat`.
fn stat_fields(pdir: &Path) -> Vec<String> {
    let s = read(&pdir.join("stat"));
    let after = s.rfind(')').map(|i| &s[i + 1..]).unwrap_or("");
    after.split_whitespace().map(str::to_string).collect()
}

fn stat_field(pdir: &Path, n: usize) -> Option<i64> {
    stat_fields(pdir).get(n).and_then(|s| s.parse().ok())
}

fn status_ids(status: &str, key: &str) -> Vec<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|r| {
            r.split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn status_hex(status: &str, key: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|r| u64::from_str_radix(r.trim(), 16).ok())
        .unwrap_or(0)
}

fn proc_info(pdir: &Path, boot_ts: u64, ticks: u64) -> Option<ProcInfo> {
    let status = container::read_small(&pdir.join("status"))?;
    let comm = read(&pdir.join("comm")).trim_end().to_string();
    let cmdline = std::fs::read(pdir.join("cmdline")).unwrap_or_default();
    let argv: Vec<String> = cmdline
        .split(|&c| c == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    let exepath = std::fs::read_link(pdir.join("exe"))
        .map(|p| {
            p.to_string_lossy()
                .trim_end_matches(" (deleted)")
                .to_string()
        })
        .unwrap_or_default();
    let cwd = std::fs::read_link(pdir.join("cwd"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "/".into());
    let uids = status_ids(&status, "Uid:");
    let gids = status_ids(&status, "Gid:");
    let loginuid = read(&pdir.join("loginuid"))
        .trim()
        .parse()
        .unwrap_or(u32::MAX);
    let f = stat_fields(pdir);
    let num = |i: usize| f.get(i).and_then(|s| s.parse::<i64>().ok());
    let start_ticks = num(19).unwrap_or(0).max(0) as u64;
    let nspid = status_ids(&status, "NSpid:");
    let nstgid = status_ids(&status, "NStgid:");
    let exe = argv.first().cloned().unwrap_or_else(|| comm.clone());
    Some(ProcInfo {
        comm,
        exe,
        exepath: if exepath.is_empty() {
            argv.first().cloned().unwrap_or_default()
        } else {
            exepath
        },
        args: argv.into_iter().skip(1).collect(),
        cwd,
        uid: uids.first().copied().unwrap_or(0),
        gid: gids.first().copied().unwrap_or(0),
        euid: uids.get(1).copied(),
        egid: gids.get(1).copied(),
        loginuid,
        tty: num(4).unwrap_or(0).max(0) as u32,
        pgid: num(2),
        sid: num(3),
        vpid: nstgid.last().map(|&v| v as i64),
        vtid: nspid.last().map(|&v| v as i64),
        cap_permitted: status_hex(&status, "CapPrm:"),
        cap_effective: status_hex(&status, "CapEff:"),
        cap_inheritable: status_hex(&status, "CapInh:"),
        start_ts: boot_ts + start_ticks * 1_000_000_000 / ticks.max(1),
        ..Default::default()
    })
}

fn scan_fds(pdir: &Path) -> Vec<FdSnapshot> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(pdir.join("fd")) else {
        return out;
    };
    for ent in dir.flatten().take(MAX_FDS) {
        let Some(fd) = ent.file_name().to_str().and_then(|s| s.parse::<i64>().ok()) else {
            continue;
        };
        let Ok(target) = std::fs::read_link(ent.path()) else {
            continue;
        };
        let t = target.to_string_lossy().into_owned();
        let info = read(&pdir.join("fdinfo").join(fd.to_string()));
        let field = |k: &str| info.lines().find_map(|l| l.strip_prefix(k)).map(str::trim);
        let flags = field("flags:").and_then(|v| u32::from_str_radix(v, 8).ok());
        // the inode lets the engine tell this file from a later one with the same number
        let ino = field("ino:").and_then(|v| v.parse::<u64>().ok());
        let (kind, name) = classify(&t, &ent.path());
        out.push(FdSnapshot {
            fd,
            kind,
            name,
            flags,
            tuple: None,
            ino,
        });
    }
    out.sort_by_key(|f| f.fd);
    out
}

fn classify(target: &str, link: &Path) -> (FdKind, Option<String>) {
    if let Some(rest) = target.strip_prefix("anon_inode:") {
        let k = match rest.trim_matches(|c| c == '[' || c == ']') {
            "eventfd" => FdKind::Event,
            "eventpoll" => FdKind::Eventpoll,
            "inotify" => FdKind::Inotify,
            "signalfd" => FdKind::Signalfd,
            "timerfd" => FdKind::Timerfd,
            "bpf-map" | "bpf-prog" | "bpf_link" | "bpf-link" => FdKind::Bpf,
            "[userfaultfd]" | "userfaultfd" => FdKind::Userfaultfd,
            "[io_uring]" | "io_uring" => FdKind::IoUring,
            _ => FdKind::Unknown,
        };
        return (k, Some(target.to_string()));
    }
    if target.starts_with("socket:") {
        return (FdKind::Unknown, Some(target.to_string()));
    }
    if target.starts_with("pipe:") {
        return (FdKind::Pipe, Some(target.to_string()));
    }
    if target.starts_with("/memfd:") {
        return (
            FdKind::Memfd,
            Some(target.trim_start_matches('/').to_string()),
        );
    }
    let is_dir = std::fs::metadata(link).map(|m| m.is_dir()).unwrap_or(false);
    (
        if is_dir {
            FdKind::Directory
        } else {
            FdKind::File
        },
        Some(target.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_own_process_tree() {
        let mut n = 0;
        let recs = scan(Path::new("/proc"), 0, &mut |id, _, _| {
            n += 1;
            seawall_event::ContainerInfo {
                id: id.to_string(),
                ..Default::default()
            }
        });
        let me = std::process::id() as i64;
        let mine = recs.iter().find_map(|r| match r {
            Record::Process(p) if p.tid == me => Some(p),
            _ => None,
        });
        let p = mine.expect("own process in the scan");
        assert_eq!(p.pid, me);
        assert!(!p.proc.exepath.is_empty());
        assert!(p.fds.iter().any(|f| f.fd == 0 || f.fd == 1 || f.fd == 2));
        assert!(matches!(recs.first(), Some(Record::Host(_))));
        assert!(recs
            .iter()
            .any(|r| matches!(r, Record::User(u) if u.uid == 0)));
    }

    #[test]
    fn missing_proc_root_is_empty_not_panic() {
        let recs = scan(Path::new("/nonexistent-proc"), 0, &mut |id, _, _| {
            seawall_event::ContainerInfo {
                id: id.to_string(),
                ..Default::default()
            }
        });
        assert!(recs.iter().all(|r| !matches!(r, Record::Process(_))));
    }
}
