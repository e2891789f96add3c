//! Runtime event model shared by the eBPF sensor (producer) and the rules
//! engine (consumer), plus the JSON-lines codec used for replay files.
//!
//! The model is *exit-only*: one [`Event`] per completed syscall carrying all
//! of its parameters (the direction Falco is moving to). Besides syscalls a
//! stream carries metadata records so a replay file is self-contained:
//! container descriptions, user and group table entries, and an initial
//! process snapshot (what the sensor reads from `/proc` at start).
//!
//! The documented wire format is in `docs/events.md`. Every line of a replay
//! file is one [`Record`], a JSON object tagged by `"kind"`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, Write};
use std::net::IpAddr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod evtype;
pub mod open_filter;
pub use evtype::EventType;

/// One line of a replay stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// A completed syscall (or the `procexit` pseudo event).
    Syscall(Event),
    /// Container metadata; later records with the same id replace earlier ones.
    Container(ContainerInfo),
    /// A user table entry (host when `container_id` is absent).
    User(UserEntry),
    /// A group table entry (host when `container_id` is absent).
    Group(GroupEntry),
    /// A thread that existed before the stream started (from `/proc`).
    Process(ProcessSnapshot),
    /// Information about the machine the events come from.
    Host(HostInfo),
    /// A resolved DNS name (for `fd.sip.name` and friends).
    Dns(DnsEntry),
}

/// A DNS name and the addresses it resolved to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DnsEntry {
    pub name: String,
    pub addrs: Vec<IpAddr>,
}

/// One completed syscall.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Wall-clock time of the syscall exit, nanoseconds since the Unix epoch.
    pub ts_ns: u64,
    /// Thread id (host namespace).
    pub tid: i64,
    /// Process id, i.e. thread group id (host namespace).
    pub pid: i64,
    /// Parent process id when the producer knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ppid: Option<i64>,
    /// Syscall name in Falco's spelling (`openat`, `execve`, `procexit`, ...).
    #[serde(rename = "type")]
    pub evt_type: EventType,
    /// Return value; negative values are `-errno`.
    pub res: i64,
    /// Syscall parameters by Falco parameter name (`fd`, `name`, `flags`,
    /// `mode`, `dirfd`, `tuple`, `request`, `uid`, `oldpath`, ...). Values
    /// are the raw kernel values; flags stay numeric.
    #[serde(default, skip_serializing_if = "Args::is_empty")]
    pub args: Args,
    /// Full process information. Required on successful `execve`/`execveat`
    /// exits (the new image); allowed on any event, in which case the state
    /// engine refreshes its thread table entry from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proc: Option<Box<ProcInfo>>,
    /// Container id (12+ hex characters) when the thread runs in a container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
}

impl Event {
    /// A new event with no parameters.
    pub fn new(ts_ns: u64, tid: i64, pid: i64, evt_type: EventType, res: i64) -> Self {
        Event {
            ts_ns,
            tid,
            pid,
            ppid: None,
            evt_type,
            res,
            args: Args::default(),
            proc: None,
            container_id: None,
        }
    }

    /// Builder: add one parameter.
    pub fn arg(mut self, name: &str, value: impl Into<ArgValue>) -> Self {
        self.args.push(name, value.into());
        self
    }

    /// Look a parameter up by name.
    pub fn get_arg(&self, name: &str) -> Option<&ArgValue> {
        self.args.get(name)
    }
}

/// Syscall parameters: an ordered list of `(name, value)` pairs, written as
/// a JSON object. Lookup is a linear scan (syscalls have a handful of
/// parameters), which beats hashing for this size. The parameter names the
/// sensor and Falco use are static strings (see [`param_name`]): building
/// and dropping an event allocates nothing for them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Args(pub Vec<(Cow<'static, str>, ArgValue)>);

/// A parameter name as a static string when it is one of the known ones
/// (every name the sensor writes, and Falco's common ones); otherwise owned.
pub fn param_name(name: &str) -> Cow<'static, str> {
    let known: &'static str = match name {
        "addr" => "addr",
        "arg2_int" => "arg2_int",
        "args" => "args",
        "backlog" => "backlog",
        "cap_effective" => "cap_effective",
        "cap_inheritable" => "cap_inheritable",
        "cap_permitted" => "cap_permitted",
        "clockid" => "clockid",
        "cmd" => "cmd",
        "comm" => "comm",
        "cpu" => "cpu",
        "cwd" => "cwd",
        "data" => "data",
        "dev" => "dev",
        "dir" => "dir",
        "dirfd" => "dirfd",
        "domain" => "domain",
        "egid" => "egid",
        "entries" => "entries",
        "euid" => "euid",
        "exe" => "exe",
        "fd" => "fd",
        "fd1" => "fd1",
        "fd2" => "fd2",
        "fd_mode" => "fd_mode",
        "fd_path" => "fd_path",
        "fd_tuple" => "fd_tuple",
        "filename" => "filename",
        "flags" => "flags",
        "fmode" => "fmode",
        "gid" => "gid",
        "group_fd" => "group_fd",
        "how" => "how",
        "initval" => "initval",
        "ino" => "ino",
        "length" => "length",
        "linkdirfd" => "linkdirfd",
        "linkpath" => "linkpath",
        "loginuid" => "loginuid",
        "mode" => "mode",
        "name" => "name",
        "new_root" => "new_root",
        "newdir" => "newdir",
        "newdirfd" => "newdirfd",
        "newfd" => "newfd",
        "newpath" => "newpath",
        "nstype" => "nstype",
        "olddir" => "olddir",
        "olddirfd" => "olddirfd",
        "oldfd" => "oldfd",
        "oldpath" => "oldpath",
        "option" => "option",
        "path" => "path",
        "pathname" => "pathname",
        "pid" => "pid",
        "pos" => "pos",
        "prot" => "prot",
        "proto" => "proto",
        "ptid" => "ptid",
        "put_old" => "put_old",
        "request" => "request",
        "res" => "res",
        "resolve" => "resolve",
        "ret" => "ret",
        "rgid" => "rgid",
        "ruid" => "ruid",
        "sgid" => "sgid",
        "sig" => "sig",
        "size" => "size",
        "status" => "status",
        "suid" => "suid",
        "target" => "target",
        "tid" => "tid",
        "trusted_exepath" => "trusted_exepath",
        "tty" => "tty",
        "tuple" => "tuple",
        "type" => "type",
        "uargs" => "uargs",
        "uid" => "uid",
        _ => return Cow::Owned(name.to_string()),
    };
    Cow::Borrowed(known)
}

impl Args {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    #[inline]
    pub fn get(&self, name: &str) -> Option<&ArgValue> {
        let name = name.as_bytes();
        self.0
            .iter()
            .find(|(n, _)| same_name(n.as_bytes(), name))
            .map(|(_, v)| v)
    }
    /// Insert or replace.
    pub fn push(&mut self, name: &str, value: ArgValue) {
        let key = name.as_bytes();
        if let Some(slot) = self
            .0
            .iter_mut()
            .find(|(n, _)| same_name(n.as_bytes(), key))
        {
            slot.1 = value;
        } else {
            self.0.push((param_name(name), value));
        }
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ArgValue)> {
        self.0.iter().map(|(n, v)| (n.as_ref(), v))
    }
}

/// `a == b` for parameter names: a few bytes long, and nearly always
/// different in length or first byte, so those are compared before any
/// call to `memcmp`.
#[inline(always)]
fn same_name(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() || a.first() != b.first() {
        return false;
    }
    // same length, same first byte: compare the rest byte by byte (names
    // are short; a library call costs more than the loop)
    let mut i = 1;
    while i < a.len() {
        if a.get(i) != b.get(i) {
            return false;
        }
        i += 1;
    }
    true
}

impl Serialize for Args {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Args {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Args;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of syscall parameters")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Args, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = a.next_entry::<Cow<'de, str>, ArgValue>()? {
                    out.push((param_name(&k), v));
                }
                Ok(Args(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A syscall parameter value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ArgValue {
    /// Integers: fds, flags, modes, uids, errno, pids.
    Int(i64),
    /// Unsigned integers above `i64::MAX` (rare: 64-bit flag words).
    UInt(u64),
    /// Paths and other strings.
    Str(String),
    /// String arrays (argv, envp).
    List(Vec<String>),
    /// Raw data buffers, written as `{"b64": "..."}`.
    Bytes(Bytes),
    /// Socket addresses and connection tuples (boxed: most parameters are
    /// integers and strings, and every parameter is as large as the largest
    /// variant).
    Sock(Box<SockTuple>),
}

impl ArgValue {
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ArgValue::Int(i) => Some(*i),
            ArgValue::UInt(u) => Some(*u as i64),
            ArgValue::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ArgValue::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl From<i64> for ArgValue {
    fn from(v: i64) -> Self {
        ArgValue::Int(v)
    }
}
impl From<i32> for ArgValue {
    fn from(v: i32) -> Self {
        ArgValue::Int(v as i64)
    }
}
impl From<u32> for ArgValue {
    fn from(v: u32) -> Self {
        ArgValue::Int(v as i64)
    }
}
impl From<u64> for ArgValue {
    fn from(v: u64) -> Self {
        match i64::try_from(v) {
            Ok(i) => ArgValue::Int(i),
            Err(_) => ArgValue::UInt(v),
        }
    }
}
impl From<&str> for ArgValue {
    fn from(v: &str) -> Self {
        ArgValue::Str(v.to_string())
    }
}
impl From<String> for ArgValue {
    fn from(v: String) -> Self {
        ArgValue::Str(v)
    }
}
impl From<Vec<String>> for ArgValue {
    fn from(v: Vec<String>) -> Self {
        ArgValue::List(v)
    }
}
impl From<SockTuple> for ArgValue {
    fn from(v: SockTuple) -> Self {
        ArgValue::Sock(Box::new(v))
    }
}

/// A byte buffer; JSON form `{"b64": "<standard base64>"}`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("b64", &b64_encode(&self.0))?;
        m.end()
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct B {
            b64: String,
        }
        let b = B::deserialize(d)?;
        b64_decode(&b.b64)
            .map(Bytes)
            .ok_or_else(|| serde::de::Error::custom("invalid base64 in b64 buffer"))
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 (padding optional, whitespace ignored); `None` on bad input.
pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Address family of a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SockFamily {
    #[default]
    Inet,
    Inet6,
    Unix,
    Netlink,
    Packet,
    Other,
}

impl SockFamily {
    /// The family of a socket domain / address family number (`AF_UNIX`
    /// 1, `AF_INET` 2, `AF_INET6` 10, `AF_NETLINK` 16, `AF_PACKET` 17).
    pub fn from_domain(domain: i64) -> SockFamily {
        match domain {
            1 => SockFamily::Unix,
            2 => SockFamily::Inet,
            10 => SockFamily::Inet6,
            16 => SockFamily::Netlink,
            17 => SockFamily::Packet,
            _ => SockFamily::Other,
        }
    }
}

/// A socket address or connection tuple.
///
/// For `connect`/`accept`/`sendto`... (`tuple` parameter) `s*` is the
/// source (client, local side for connect) and `d*` the destination
/// (server). For `bind` (`addr`) only `sip`/`sport` are set. Unix sockets
/// set `path`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SockTuple {
    pub family: SockFamily,
    /// `tcp`, `udp`, `icmp`, `raw` when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l4proto: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sport: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dip: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dport: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Full process (thread) information: what `execve` establishes and what
/// the `/proc` snapshot reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ProcInfo {
    /// Task command name (`comm`, at most 15 bytes in the kernel); Falco's
    /// `proc.name`. When empty the basename of `exepath` is used.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub comm: String,
    /// `argv[0]` as the process was started (Falco's `proc.exe`).
    pub exe: String,
    /// Full path of the executable file (Falco's `proc.exepath`).
    pub exepath: String,
    /// Arguments after `argv[0]`.
    pub args: Vec<String>,
    /// Environment as `KEY=VALUE` strings (may be empty if not captured).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    pub cwd: String,
    pub uid: u32,
    pub gid: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub euid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub egid: Option<u32>,
    /// Audit login uid; `u32::MAX` (4294967295) when unset, shown as -1.
    pub loginuid: u32,
    /// Controlling terminal device number, 0 when none.
    pub tty: u32,
    /// Process group and session ids (host namespace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pgid: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<i64>,
    /// Ids inside the process's pid namespace (equal to the host ids on the host).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpid: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vtid: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpgid: Option<i64>,
    /// Capability sets as kernel bitmasks.
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub cap_inheritable: u64,
    /// The executable lives in the upper (writable) layer of an overlayfs.
    pub exe_upper_layer: bool,
    /// The executable was started from a `memfd_create` file.
    pub exe_from_memfd: bool,
    /// The executable is writable by the process's user.
    pub exe_writable: bool,
    /// Executable inode number and its ctime/mtime (ns since epoch).
    #[serde(skip_serializing_if = "is_zero")]
    pub exe_ino: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub exe_ino_ctime: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub exe_ino_mtime: u64,
    /// Process start time (ns since epoch); the state engine uses the event
    /// time of the clone/execve when absent.
    #[serde(skip_serializing_if = "is_zero")]
    pub start_ts: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// A thread present before the stream started.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcessSnapshot {
    pub tid: i64,
    pub pid: i64,
    pub ppid: i64,
    pub proc: ProcInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
    /// Open file descriptors of the process (only needed on the leader).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fds: Vec<FdSnapshot>,
}

/// Kind of object an fd refers to, in Falco's vocabulary (`fd.type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FdKind {
    #[default]
    File,
    Directory,
    Ipv4,
    Ipv6,
    Unix,
    Netlink,
    Pipe,
    Event,
    Signalfd,
    Eventpoll,
    Inotify,
    Timerfd,
    Netns,
    Memfd,
    Bpf,
    Userfaultfd,
    #[serde(rename = "io_uring")]
    IoUring,
    Unknown,
}

/// One open fd in the `/proc` snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FdSnapshot {
    pub fd: i64,
    #[serde(rename = "type")]
    pub kind: FdKind,
    /// Path for files and directories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Open flags for files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<u32>,
    /// Addresses for sockets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuple: Option<SockTuple>,
    /// Inode number of the open file (what `stat` on the fd gives).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ino: Option<u64>,
}

/// Container metadata.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ContainerInfo {
    pub id: String,
    pub name: String,
    /// Full image reference as given (`docker.io/library/nginx:1.25`).
    pub image: String,
    /// Repository without tag or digest; derived from `image` when empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image_repository: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image_tag: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image_digest: String,
    /// Runtime: `docker`, `podman`, `containerd`, `cri-o`.
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub runtime: String,
    pub privileged: bool,
    pub mounts: Vec<Mount>,
    /// Creation time, ns since epoch.
    #[serde(skip_serializing_if = "is_zero")]
    pub start_ts: u64,
    /// Labels; Kubernetes pods carry `io.kubernetes.pod.name`,
    /// `io.kubernetes.pod.namespace`, `io.kubernetes.pod.uid`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

/// One container mount.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Mount {
    pub source: String,
    pub dest: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mode: String,
    pub rw: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub propagation: String,
}

/// A user table entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserEntry {
    pub uid: u32,
    pub name: String,
    #[serde(default)]
    pub gid: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub home: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub shell: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
}

/// A group table entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupEntry {
    pub gid: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
}

/// The machine the stream comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct HostInfo {
    pub hostname: String,
    /// Boot time, ns since epoch (for durations computed from snapshots).
    #[serde(skip_serializing_if = "is_zero")]
    pub boot_ts: u64,
}

/// A replay line that could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("{file}:{line}: invalid event record: {msg}")]
    Parse {
        file: String,
        line: usize,
        msg: String,
    },
    #[error("{file}: read failed: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}: line longer than {max} bytes")]
    TooLong {
        file: String,
        line: usize,
        max: usize,
    },
}

/// Longest accepted replay line (argv/env can be large, but not unbounded).
pub const MAX_LINE: usize = 4 << 20;

/// Streaming reader of a JSON-lines replay file. Blank lines and lines
/// starting with `#` are skipped.
pub struct RecordReader<R> {
    inner: R,
    file: String,
    line: usize,
    buf: String,
}

impl<R: BufRead> RecordReader<R> {
    /// `file` is only used in error messages.
    pub fn new(inner: R, file: impl Into<String>) -> Self {
        RecordReader {
            inner,
            file: file.into(),
            line: 0,
            buf: String::new(),
        }
    }
}

impl<R: BufRead> Iterator for RecordReader<R> {
    type Item = Result<Record, CodecError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            self.line += 1;
            let n = match std::io::Read::take(&mut self.inner, MAX_LINE as u64 + 1)
                .read_line(&mut self.buf)
            {
                Ok(n) => n,
                Err(source) => {
                    return Some(Err(CodecError::Io {
                        file: self.file.clone(),
                        source,
                    }))
                }
            };
            if n == 0 {
                return None;
            }
            if n > MAX_LINE {
                return Some(Err(CodecError::TooLong {
                    file: self.file.clone(),
                    line: self.line,
                    max: MAX_LINE,
                }));
            }
            let t = self.buf.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            return Some(parse_record(t).map_err(|msg| CodecError::Parse {
                file: self.file.clone(),
                line: self.line,
                msg,
            }));
        }
    }
}

/// Decode one JSON record.
pub fn parse_record(line: &str) -> Result<Record, String> {
    serde_json::from_str(line).map_err(|e| e.to_string())
}

/// Write one record as a JSON line.
pub fn write_record<W: Write>(w: &mut W, rec: &Record) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, rec).map_err(std::io::Error::other)?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_syscall() {
        let mut e = Event::new(1_700_000_000_000_000_000, 10, 10, EventType::Openat, 3)
            .arg("fd", 3i64)
            .arg("dirfd", -100i64)
            .arg("name", "/etc/shadow")
            .arg("flags", 1i64)
            .arg("mode", 0i64);
        e.container_id = Some("abcdef012345".into());
        let rec = Record::Syscall(e);
        let mut out = Vec::new();
        write_record(&mut out, &rec).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("\"kind\":\"syscall\""), "{s}");
        assert!(s.contains("\"type\":\"openat\""), "{s}");
        let back = parse_record(s.trim()).unwrap();
        assert_eq!(back, rec);
    }

    #[test]
    fn roundtrip_tuple_and_bytes() {
        let t = SockTuple {
            family: SockFamily::Inet,
            l4proto: Some("tcp".into()),
            sip: Some("10.0.0.1".parse().unwrap()),
            sport: Some(40000),
            dip: Some("1.2.3.4".parse().unwrap()),
            dport: Some(443),
            path: None,
        };
        let e = Event::new(1, 2, 2, EventType::Connect, 0)
            .arg("fd", 4i64)
            .arg("tuple", t)
            .arg("data", ArgValue::Bytes(Bytes(b"hello\0world".to_vec())))
            .arg("argv", vec!["a".to_string(), "b".to_string()]);
        let rec = Record::Syscall(e);
        let mut out = Vec::new();
        write_record(&mut out, &rec).unwrap();
        let back = parse_record(std::str::from_utf8(&out).unwrap().trim()).unwrap();
        assert_eq!(back, rec);
    }

    #[test]
    fn b64() {
        for s in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
            assert_eq!(b64_decode(&b64_encode(s)).unwrap(), s);
        }
        assert_eq!(b64_encode(b"foobar"), "Zm9vYmFy");
        assert!(b64_decode("@@").is_none());
    }

    #[test]
    fn unknown_event_type_kept() {
        let r = parse_record(
            r#"{"kind":"syscall","ts_ns":1,"tid":1,"pid":1,"type":"frobnicate","res":0}"#,
        )
        .unwrap();
        match r {
            Record::Syscall(e) => assert_eq!(e.evt_type.name(), "frobnicate"),
            _ => panic!("wrong kind"),
        }
    }

    #[test]
    fn reader_positions() {
        let data = "# comment\n\n{\"kind\":\"host\",\"hostname\":\"h\"}\n{bad\n";
        let mut r = RecordReader::new(data.as_bytes(), "x.jsonl");
        assert!(matches!(r.next(), Some(Ok(Record::Host(_)))));
        match r.next() {
            Some(Err(e)) => assert!(e.to_string().starts_with("x.jsonl:4:"), "{e}"),
            other => panic!("{other:?}"),
        }
        assert!(r.next().is_none());
    }

    #[test]
    fn other_records() {
        for line in [
            r#"{"kind":"container","id":"abc","name":"web","image":"nginx:1.25","privileged":true,"mounts":[{"source":"/","dest":"/host","rw":true}]}"#,
            r#"{"kind":"user","uid":0,"name":"root"}"#,
            r#"{"kind":"group","gid":0,"name":"root"}"#,
            r#"{"kind":"process","tid":1,"pid":1,"ppid":0,"proc":{"exe":"/sbin/init","exepath":"/sbin/init","cwd":"/","loginuid":4294967295},"fds":[{"fd":0,"type":"file","name":"/dev/null"}]}"#,
        ] {
            let r = parse_record(line).unwrap();
            let mut out = Vec::new();
            write_record(&mut out, &r).unwrap();
            assert_eq!(
                parse_record(std::str::from_utf8(&out).unwrap().trim()).unwrap(),
                r
            );
        }
    }
}
