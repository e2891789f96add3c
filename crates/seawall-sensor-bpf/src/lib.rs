//! seawall-sensor-bpf: the eBPF runtime sensor.
//!
//! A CO-RE C program (`src/bpf/sensor.bpf.c`, compiled by clang in
//! `build.rs`) captures syscalls at `sys_exit` only (BTF tracepoint; the
//! arguments are read from the saved user registers, which x86-64 keeps
//! intact until the return to user space) and the process lifecycle at
//! `sched_process_{exec,fork,exit}` (BTF tracepoints). Every
//! record carries all parameters plus the task's identity and cgroup id;
//! paths of file descriptors, the executable and the working directory are
//! resolved in the kernel relative to the task's root, and socket tuples are
//! read from `struct sock`. Records arrive through one ring buffer whose
//! failed reservations are counted (drops).
//!
//! User space ([`Sensor`]) turns records into [`seawall_event::Record`]s:
//! syscall events in Falco's exit-only form, container descriptions (id from
//! the cgroup path, metadata from `podman inspect` or the OCI bundle), user
//! and group tables (the container's own `/etc/passwd`), and an initial
//! `/proc` snapshot of threads and fds so state exists for processes that
//! started before the sensor.
//!
//! Which syscalls are captured is a BPF map rewritten by
//! [`Sensor::set_wanted`]: the event types the rules need plus those that
//! keep thread and fd state.
//!
//! This is the only crate of the workspace allowed `unsafe`; it needs none
//! beyond what the generated skeleton contains.

#![allow(unsafe_code)]

pub mod container;
mod convert;
#[cfg_attr(not(seawall_bpf), allow(dead_code))]
mod open_filter;
pub mod procscan;
mod record;
mod syscalls;

use std::collections::BTreeSet;
#[cfg(not(seawall_bpf))]
use std::time::Duration;

use seawall_event::open_filter::OpenFilter;
use seawall_event::EventType;
#[cfg(not(seawall_bpf))]
use seawall_event::Record;

pub use convert::Converter;

/// Size of the kernel's syscall-id indexed configuration map.
pub(crate) const MAX_SYSCALLS: usize = 512;

/// Sensor errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The crate was built without the BPF object.
    #[error("the eBPF sensor is not available in this build: {0}")]
    NotBuilt(String),
    /// Loading or attaching needs privileges or kernel features that are missing.
    #[error("cannot {what}: {detail}")]
    Bpf { what: String, detail: String },
    /// Reading the ring buffer failed.
    #[error("reading the sensor ring buffer failed: {0}")]
    Poll(String),
    /// An unknown event type was requested.
    #[error("event type {0} cannot be captured by the sensor")]
    Unsupported(String),
}

/// Counters exposed for `/metrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Records the kernel wrote into the ring buffer.
    pub kernel_records: u64,
    /// Records lost because the ring buffer was full.
    pub kernel_drops: u64,
    /// Opens the open filter left out (no loaded rule could use them).
    pub opens_filtered: u64,
    /// Signals sent by the kill response.
    pub signals_sent: u64,
    /// Records decoded in user space.
    pub records_read: u64,
    /// Records that could not be decoded.
    pub decode_errors: u64,
}

/// Sensor options.
#[derive(Clone, Debug, Default)]
pub struct SensorConfig {
    /// Event types to capture (besides the state-keeping ones). Empty means
    /// every supported syscall.
    pub wanted: Vec<EventType>,
    /// Opens the rules can use (see [`seawall_event::open_filter`]); `None`
    /// records every open.
    pub open_filter: Option<OpenFilter>,
}

/// Event types the sensor can produce.
pub fn supported_event_types() -> Vec<EventType> {
    let mut v: BTreeSet<EventType> = syscalls::SPECS.iter().map(|s| s.evt_type()).collect();
    for n in syscalls::LIFECYCLE {
        v.insert(EventType::from_name(n));
    }
    v.into_iter().collect()
}

/// Syscalls always captured because they keep thread and fd state.
pub fn state_event_types() -> Vec<EventType> {
    syscalls::STATE_SYSCALLS
        .iter()
        .chain(syscalls::LIFECYCLE)
        .map(|n| EventType::from_name(n))
        .collect()
}

/// `open_flags` of the kernel's per-syscall configuration: where an open's
/// flags are (1 + the argument; openat2's after the kernel replaced its
/// `struct open_how *` with `how->flags`), 0 for other syscalls.
fn open_flags_arg(name: &str) -> u8 {
    match name {
        "open" => 2,
        "openat" | "openat2" => 3,
        "creat" => 0x80,
        _ => 0,
    }
}

/// `open_name`: the argument holding an open's name.
fn open_name_arg(name: &str) -> u8 {
    match name {
        "openat" | "openat2" => 1,
        _ => 0,
    }
}

/// Syscalls that can change the path of files already looked up (rename,
/// mounts): the kernel forgets the open filter's cached path decisions
/// when one succeeds, whether or not it is captured.
pub(crate) const MOVES: [u32; 9] = [82, 264, 316, 165, 166, 155, 161, 429, 442];

/// Configuration of the kernel's per-syscall map for a set of wanted event
/// types: `(syscall nr, str_mask, sockaddr_arg, fd_arg, special)` for each
/// captured syscall. Unknown types are returned in the second vector.
#[allow(clippy::type_complexity)]
pub(crate) fn kernel_config(wanted: &[EventType]) -> (Vec<(u32, [u8; 8])>, Vec<String>) {
    let mut names: BTreeSet<&str> = syscalls::STATE_SYSCALLS.iter().copied().collect();
    let mut unknown = Vec::new();
    if wanted.is_empty() {
        names.extend(syscalls::SPECS.iter().map(|s| s.name));
    }
    for t in wanted {
        let n = t.name();
        if syscalls::LIFECYCLE.contains(&n) {
            continue;
        }
        match syscalls::by_name(n) {
            Some(s) => {
                names.insert(s.name);
            }
            None => unknown.push(n.to_string()),
        }
    }
    let mut out = Vec::new();
    for n in names {
        if let Some(s) = syscalls::by_name(n) {
            out.push((
                s.nr,
                [
                    1,
                    s.str_mask(),
                    s.sockaddr_arg.unwrap_or(0xff),
                    s.described_fd().unwrap_or(0xff),
                    s.special,
                    open_flags_arg(s.name),
                    open_name_arg(s.name),
                    u8::from(MOVES.contains(&s.nr)),
                ],
            ));
        }
    }
    (out, unknown)
}

#[cfg(seawall_bpf)]
#[allow(
    clippy::all,
    unsafe_code,
    missing_docs,
    dead_code,
    unused_imports,
    unused_qualifications
)]
mod skel {
    include!(concat!(env!("OUT_DIR"), "/sensor.skel.rs"));
}

#[cfg(seawall_bpf)]
mod live;
#[cfg(seawall_bpf)]
pub use live::Sensor;

/// Stand-in used when the crate was built without clang/BTF: every
/// constructor fails with [`Error::NotBuilt`] naming what was missing.
#[cfg(not(seawall_bpf))]
pub struct Sensor {
    _never: std::convert::Infallible,
}

#[cfg(not(seawall_bpf))]
impl Sensor {
    pub fn start(_cfg: SensorConfig) -> Result<Sensor, Error> {
        let why = include_str!(concat!(env!("OUT_DIR"), "/bpf_unavailable.txt"));
        Err(Error::NotBuilt(if why.trim().is_empty() {
            "the BPF object was not compiled".into()
        } else {
            why.trim().to_string()
        }))
    }
    pub fn initial_records(&mut self) -> Vec<Record> {
        match self._never {}
    }
    pub fn poll(
        &mut self,
        _timeout: Duration,
        _out: &mut dyn FnMut(Record),
    ) -> Result<usize, Error> {
        match self._never {}
    }
    pub fn set_wanted(&mut self, _wanted: &[EventType]) -> Result<Vec<String>, Error> {
        match self._never {}
    }
    pub fn set_open_filter(&mut self, _filter: Option<&OpenFilter>) -> Result<bool, Error> {
        match self._never {}
    }
    pub fn kill_on_next_syscall(&mut self, _pid: u32, _signal: i32) -> Result<(), Error> {
        match self._never {}
    }
    pub fn stats(&self) -> Stats {
        match self._never {}
    }
}

/// Check the conditions the sensor needs, naming what is missing:
/// root (or CAP_BPF + CAP_PERFMON), kernel BTF, tracefs/raw tracepoints.
pub fn preflight() -> Result<(), Error> {
    let euid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(str::to_string))
        })
        .unwrap_or_default();
    if euid != "0" {
        return Err(Error::Bpf {
            what: "load the eBPF sensor".into(),
            detail: "it must run as root (CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE are needed)"
                .into(),
        });
    }
    if !std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
        return Err(Error::Bpf {
            what: "load the eBPF sensor".into(),
            detail: "kernel BTF /sys/kernel/btf/vmlinux is missing (CONFIG_DEBUG_INFO_BTF=y is required for CO-RE)".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_config_includes_state_and_wanted() {
        let (cfg, unknown) = kernel_config(&[EventType::Ptrace, EventType::from_name("nosuch")]);
        assert_eq!(unknown, vec!["nosuch".to_string()]);
        let nrs: Vec<u32> = cfg.iter().map(|c| c.0).collect();
        assert!(nrs.contains(&101), "ptrace");
        assert!(nrs.contains(&257), "openat is state");
        assert!(!nrs.contains(&0), "read not wanted");
        let (all, _) = kernel_config(&[]);
        assert!(all.iter().any(|c| c.0 == 0));
    }

    #[test]
    fn supported_types_cover_lifecycle() {
        let t = supported_event_types();
        assert!(t.contains(&EventType::Procexit));
        assert!(t.contains(&EventType::Clone));
        assert!(t.contains(&EventType::Connect));
    }
}
