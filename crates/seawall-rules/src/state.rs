//! State engine: thread table, fd tables, containers, users and groups,
//! maintained from the event stream.

use crate::fxhash::FxHashMap as HashMap;
use crate::pidmap::PidMap;
use std::net::IpAddr;
use std::sync::Arc;

use seawall_event::{
    ArgValue, ContainerInfo, Event, EventType, FdKind, GroupEntry, ProcInfo, ProcessSnapshot,
    SockFamily, SockTuple, UserEntry,
};

/// Most threads tracked at once; beyond this new threads are not recorded
/// (their events still evaluate, with what the event itself carries).
pub const MAX_THREADS: usize = 1 << 20;
/// Most fds tracked per process.
pub const MAX_FDS_PER_PROC: usize = 1 << 16;
/// Most fd paths interned.
const MAX_INTERNED_PATHS: usize = 1 << 16;
/// Most container ids interned.
const MAX_CONTAINER_IDS: usize = 100_000;
/// Longest parent chain walked.
pub const MAX_ANCESTORS: usize = 64;

const CLONE_THREAD: i64 = 0x10000;
const AT_FDCWD: i64 = -100;

/// What a process image is: set on execve, shared by threads and children.
#[derive(Debug, Default)]
pub struct Image {
    pub name: String,
    pub exe: String,
    pub exepath: String,
    /// The name and the arguments joined with spaces (Falco's
    /// `proc.cmdline`); the arguments are its end (see
    /// [`Image::args_joined`]).
    pub cmdline: String,
    /// Where the arguments start in `cmdline`.
    args_at: usize,
    pub env: Vec<String>,
    pub env_joined: String,
    pub exe_upper_layer: bool,
    pub exe_from_memfd: bool,
    pub exe_writable: bool,
    pub exe_ino: u64,
    pub exe_ino_ctime: u64,
    pub exe_ino_mtime: u64,
}

impl Image {
    pub fn from_proc(p: &ProcInfo) -> Image {
        let name = if !p.comm.is_empty() {
            p.comm.clone()
        } else {
            let src = if !p.exepath.is_empty() {
                &p.exepath
            } else {
                &p.exe
            };
            basename(src).to_string()
        };
        // `name args...`, or the name alone when the arguments join to
        // nothing; one allocation for both fields
        let len = p.args.iter().map(|a| a.len() + 1).sum::<usize>();
        let mut cmdline = String::with_capacity(name.len() + 1 + len);
        cmdline.push_str(&name);
        cmdline.push(' ');
        let mut args_at = cmdline.len();
        for (i, a) in p.args.iter().enumerate() {
            if i > 0 {
                cmdline.push(' ');
            }
            cmdline.push_str(a);
        }
        if cmdline.len() == args_at {
            cmdline.pop();
            args_at = cmdline.len();
        }
        Image {
            exe: p.exe.clone(),
            exepath: p.exepath.clone(),
            cmdline,
            args_at,
            env_joined: p.env.join(" "),
            env: p.env.clone(),
            exe_upper_layer: p.exe_upper_layer,
            exe_from_memfd: p.exe_from_memfd,
            exe_writable: p.exe_writable,
            exe_ino: p.exe_ino,
            exe_ino_ctime: p.exe_ino_ctime,
            exe_ino_mtime: p.exe_ino_mtime,
            name,
        }
    }

    /// The arguments joined with spaces (Falco's `proc.args`).
    pub fn args_joined(&self) -> &str {
        self.cmdline.get(self.args_at..).unwrap_or("")
    }
}

/// `fd.filename` and `fd.directory` of a path (shared with the kernel open
/// filter, which must split paths the same way).
pub use seawall_event::open_filter::{basename, dirname};

#[derive(Debug, Clone)]
pub struct Thread {
    pub tid: i64,
    pub pid: i64,
    pub ptid: i64,
    pub image: Arc<Image>,
    pub cwd: Arc<str>,
    pub uid: u32,
    pub gid: u32,
    pub loginuid: u32,
    pub tty: u32,
    pub sid: i64,
    pub pgid: i64,
    pub vpid: i64,
    pub vtid: i64,
    pub vpgid: i64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub cap_inheritable: u64,
    pub container_id: Option<Arc<str>>,
    /// Process start time (ns).
    pub start_ts: u64,
}

impl Thread {
    fn from_proc(tid: i64, pid: i64, ptid: i64, p: &ProcInfo, ts: u64) -> Thread {
        Thread {
            tid,
            pid,
            ptid,
            image: Arc::new(Image::from_proc(p)),
            cwd: Arc::from(p.cwd.as_str()),
            uid: p.euid.unwrap_or(p.uid),
            gid: p.egid.unwrap_or(p.gid),
            loginuid: p.loginuid,
            tty: p.tty,
            sid: p.sid.unwrap_or(0),
            pgid: p.pgid.unwrap_or(0),
            vpid: p.vpid.unwrap_or(pid),
            vtid: p.vtid.unwrap_or(tid),
            vpgid: p.vpgid.or(p.pgid).unwrap_or(0),
            cap_permitted: p.cap_permitted,
            cap_effective: p.cap_effective,
            cap_inheritable: p.cap_inheritable,
            container_id: None,
            start_ts: if p.start_ts != 0 { p.start_ts } else { ts },
        }
    }

    fn apply_proc(&mut self, p: &ProcInfo, ts: u64, execed: bool) {
        let start = self.start_ts;
        let (tid, pid, ptid, cid) = (self.tid, self.pid, self.ptid, self.container_id.take());
        *self = Thread::from_proc(tid, pid, ptid, p, ts);
        self.container_id = cid;
        if !execed && p.start_ts == 0 {
            self.start_ts = start;
        }
    }

    fn unknown(tid: i64, pid: i64, ptid: i64, ts: u64) -> Thread {
        Thread {
            tid,
            pid,
            ptid,
            image: Arc::new(Image::default()),
            cwd: Arc::from(""),
            uid: 0,
            gid: 0,
            loginuid: u32::MAX,
            tty: 0,
            sid: 0,
            pgid: 0,
            vpid: pid,
            vtid: tid,
            vpgid: 0,
            cap_permitted: 0,
            cap_effective: 0,
            cap_inheritable: 0,
            container_id: None,
            start_ts: ts,
        }
    }
}

/// Role of a socket fd.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    #[default]
    None,
    Client,
    Server,
}

/// An fd's name (`fd.name`) and the path as the process passed it
/// (`fd.nameraw`), shared by every fd of the same file (paths are interned).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FdNames {
    pub name: Box<str>,
    /// `None` when the raw name is the name itself.
    pub raw: Option<Box<str>>,
}

impl FdNames {
    fn new(name: &str, raw: &str) -> FdNames {
        FdNames {
            name: Box::from(name),
            raw: (raw != name).then(|| Box::from(raw)),
        }
    }
}

/// What only sockets have: addresses, protocol, role. An fd without one
/// reads as [`NetInfo::default`] (no address, no role).
#[derive(Debug, Clone, Default)]
pub struct NetInfo {
    pub l4proto: Option<Arc<str>>,
    pub family: Option<SockFamily>,
    pub sip: Option<IpAddr>,
    pub sport: Option<u16>,
    pub dip: Option<IpAddr>,
    pub dport: Option<u16>,
    pub role: Role,
    pub connected: bool,
    pub name_changed: bool,
    /// The fd's name is its tuple (`sip:sport->dip:dport`), rendered on
    /// first use into `rendered` (most sockets' names are never read).
    tuple_name: bool,
    rendered: std::sync::OnceLock<Box<str>>,
}

impl NetInfo {
    /// The tuple as [`render_tuple`] names it, compared without rendering:
    /// equal keys give equal names.
    fn tuple_key(&self) -> (Option<IpAddr>, Option<u16>, Option<(IpAddr, u16)>) {
        (self.sip, self.sport, self.dip.zip(self.dport))
    }

    /// The rendered tuple, made once.
    fn tuple_str(&self) -> &str {
        self.rendered.get_or_init(|| {
            render_tuple(self.sip, self.sport, self.dip, self.dport).into_boxed_str()
        })
    }
}

/// One fd. Small (48 bytes): the table holds one per open fd of every
/// process, and nearly every event reads or writes one; names are shared
/// and socket details live behind a pointer.
#[derive(Debug, Clone, Default)]
pub struct FdInfo {
    pub num: i64,
    pub flags: i64,
    /// Inode number of the open file, when the event that made the entry
    /// carried it (sensor events do; 0 = unknown). Sensor events that name
    /// an fd carry its inode too, so an entry left behind by an fd closed
    /// without a captured `close` is recognised and replaced.
    pub ino: u64,
    /// File path, or unix socket path (see [`FdInfo::name`]); `None` for
    /// an empty name and raw name.
    pub names: Option<Arc<FdNames>>,
    /// Socket details (see [`NetInfo`]).
    pub net: Option<Box<NetInfo>>,
    pub kind: FdKind,
}

/// A default [`NetInfo`] for fds without one.
static NO_NET: NetInfo = NetInfo {
    l4proto: None,
    family: None,
    sip: None,
    sport: None,
    dip: None,
    dport: None,
    role: Role::None,
    connected: false,
    name_changed: false,
    tuple_name: false,
    rendered: std::sync::OnceLock::new(),
};

impl FdInfo {
    /// `fd.name`: the file path, the unix socket path, or an inet socket's
    /// tuple (`sip:sport->dip:dport`).
    pub fn name(&self) -> &str {
        match &self.net {
            Some(n) if n.tuple_name => n.tuple_str(),
            _ => self.names.as_deref().map(|n| &*n.name).unwrap_or(""),
        }
    }

    /// `fd.nameraw`: the path exactly as the process passed it.
    pub fn nameraw(&self) -> &str {
        match self.names.as_deref() {
            Some(FdNames { raw: Some(r), .. }) => r,
            Some(n) => &n.name,
            None => "",
        }
    }

    /// Whether the name is a function of `names` and `kind` alone (not of
    /// the socket tuple).
    pub(crate) fn name_is_path(&self) -> bool {
        !self.net.as_ref().is_some_and(|n| n.tuple_name)
    }

    /// Socket details (defaults for an fd that is no socket).
    pub fn net(&self) -> &NetInfo {
        self.net.as_deref().unwrap_or(&NO_NET)
    }

    fn net_mut(&mut self) -> &mut NetInfo {
        self.net.get_or_insert_with(Default::default)
    }

    /// Sets name and raw name from text.
    fn set_names(&mut self, name: &str, raw: &str) {
        self.names =
            (!name.is_empty() || !raw.is_empty()).then(|| Arc::new(FdNames::new(name, raw)));
    }

    /// Names the fd by a path (not its tuple, if it is a socket).
    fn set_path(&mut self, name: &str, raw: &str) {
        self.set_names(name, raw);
        if let Some(n) = self.net.as_mut() {
            n.tuple_name = false;
            n.rendered.take();
        }
    }

    pub fn typechar(&self) -> &'static str {
        match self.kind {
            FdKind::File => "f",
            FdKind::Directory => "d",
            FdKind::Ipv4 => "4",
            FdKind::Ipv6 => "6",
            FdKind::Unix => "u",
            FdKind::Netlink => "n",
            FdKind::Pipe => "p",
            FdKind::Event => "e",
            FdKind::Signalfd => "s",
            FdKind::Eventpoll => "l",
            FdKind::Inotify => "i",
            FdKind::Timerfd => "t",
            FdKind::Netns => "n",
            FdKind::Memfd => "m",
            FdKind::Bpf => "b",
            FdKind::Userfaultfd => "u",
            FdKind::IoUring => "r",
            FdKind::Unknown => "o",
        }
    }
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            FdKind::File => "file",
            FdKind::Directory => "directory",
            FdKind::Ipv4 => "ipv4",
            FdKind::Ipv6 => "ipv6",
            FdKind::Unix => "unix",
            FdKind::Netlink => "netlink",
            FdKind::Pipe => "pipe",
            FdKind::Event => "event",
            FdKind::Signalfd => "signalfd",
            FdKind::Eventpoll => "eventpoll",
            FdKind::Inotify => "inotify",
            FdKind::Timerfd => "timerfd",
            FdKind::Netns => "netns",
            FdKind::Memfd => "memfd",
            FdKind::Bpf => "bpf",
            FdKind::Userfaultfd => "userfaultfd",
            FdKind::IoUring => "io_uring",
            FdKind::Unknown => "unknown",
        }
    }
    pub fn is_socket(&self) -> bool {
        matches!(self.kind, FdKind::Ipv4 | FdKind::Ipv6 | FdKind::Unix)
    }
    fn set_tuple(&mut self, t: &SockTuple) {
        match t.family {
            SockFamily::Inet => self.kind = FdKind::Ipv4,
            SockFamily::Inet6 => self.kind = FdKind::Ipv6,
            SockFamily::Unix => self.kind = FdKind::Unix,
            SockFamily::Netlink => self.kind = FdKind::Netlink,
            _ => {}
        }
        let raw = self.nameraw().to_string();
        let path = self
            .names
            .as_deref()
            .map(|n| &*n.name)
            .unwrap_or("")
            .to_string();
        let net = self.net.get_or_insert_with(Default::default);
        net.family = Some(t.family);
        if let Some(p) = &t.l4proto {
            // usually the protocol the socket was created with: keep it
            if net.l4proto.as_deref() != Some(p.as_str()) {
                net.l4proto = Some(l4proto(p));
            }
        }
        // the old name: the path, or the old tuple's text (rendered only
        // when it is compared with a different one)
        let old_tuple = net.tuple_name;
        let old = (net.sip, net.sport, net.dip, net.dport);
        let old_key = net.tuple_key();
        let old_rendered = net.rendered.take();
        let old_text = || -> String {
            if !old_tuple {
                return path.clone();
            }
            match &old_rendered {
                Some(r) => r.to_string(),
                None => render_tuple(old.0, old.1, old.2, old.3),
            }
        };
        if t.sip.is_some() {
            net.sip = t.sip;
        }
        if t.sport.is_some() {
            net.sport = t.sport;
        }
        if t.dip.is_some() {
            net.dip = t.dip;
        }
        if t.dport.is_some() {
            net.dport = t.dport;
        }
        match (&t.path, t.family) {
            (Some(p), _) => {
                net.name_changed = old_text() != *p;
                net.tuple_name = false;
                self.set_names(p, &raw);
            }
            (None, SockFamily::Inet | SockFamily::Inet6) => {
                let new = || render_tuple(net.sip, net.sport, net.dip, net.dport);
                net.name_changed = if old_tuple {
                    // the same fields give the same text
                    old_key != net.tuple_key() && old_text() != new()
                } else if path.is_empty() {
                    // unless the tuple renders empty
                    net.sip.is_some()
                        || net.sport.is_some()
                        || (net.dip.is_some() && net.dport.is_some())
                } else {
                    path != new()
                };
                net.tuple_name = true;
            }
            _ => {
                // the name stays what it was
                net.name_changed = false;
                if old_tuple {
                    net.tuple_name = false;
                    let text = old_text();
                    self.set_names(&text, &raw);
                }
            }
        }
    }
}

/// A layer-4 protocol name: one shared copy of each common one (sockets
/// are made all the time; their protocol names need no allocation each).
fn l4proto(p: &str) -> Arc<str> {
    static COMMON: std::sync::OnceLock<[Arc<str>; 4]> = std::sync::OnceLock::new();
    let common = COMMON.get_or_init(|| ["tcp", "udp", "icmp", "raw"].map(Arc::from));
    match common.iter().find(|c| ***c == *p) {
        Some(c) => c.clone(),
        None => Arc::from(p),
    }
}

/// Append an address as `Display` writes it (IPv4 without the formatter).
fn push_ip(out: &mut String, ip: &IpAddr) {
    match ip {
        IpAddr::V4(a) => {
            for (i, o) in a.octets().iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_uint(out, u64::from(*o));
            }
        }
        IpAddr::V6(_) => {
            use std::fmt::Write;
            let _ = write!(out, "{ip}");
        }
    }
}

/// Append an unsigned integer in decimal.
fn push_uint(out: &mut String, n: u64) {
    // digits from the most significant, without a buffer or UTF-8 check
    let mut div = 1;
    while div <= n / 10 {
        div *= 10;
    }
    loop {
        out.push(char::from(b'0' + ((n / div) % 10) as u8));
        if div == 1 {
            break;
        }
        div /= 10;
    }
}

/// `sip:sport->dip:dport`, as Falco names an inet socket.
fn render_tuple(
    sip: Option<IpAddr>,
    sport: Option<u16>,
    dip: Option<IpAddr>,
    dport: Option<u16>,
) -> String {
    let mut s = String::with_capacity(48);
    match (sip, sport) {
        (Some(ip), Some(p)) => {
            push_ip(&mut s, &ip);
            s.push(':');
            push_uint(&mut s, u64::from(p));
        }
        (Some(ip), None) => push_ip(&mut s, &ip),
        (None, Some(p)) => {
            s.push(':');
            push_uint(&mut s, u64::from(p));
        }
        _ => {}
    }
    if let (Some(ip), Some(p)) = (dip, dport) {
        s.push_str("->");
        push_ip(&mut s, &ip);
        s.push(':');
        push_uint(&mut s, u64::from(p));
    }
    s
}

#[derive(Debug, Clone)]
pub struct Container {
    pub info: ContainerInfo,
    pub repository: String,
    pub tag: String,
    pub mounts_joined: String,
}

impl Container {
    fn new(mut info: ContainerInfo) -> Container {
        let (repo, tag) = split_image(&info.image);
        let repository = if info.image_repository.is_empty() {
            repo
        } else {
            info.image_repository.clone()
        };
        let tag = if info.image_tag.is_empty() {
            tag
        } else {
            info.image_tag.clone()
        };
        info.mounts.truncate(4096);
        let mounts_joined = info
            .mounts
            .iter()
            .map(|m| {
                format!(
                    "{}:{}:{}:{}:{}",
                    m.source,
                    m.dest,
                    m.mode,
                    m.rw,
                    if m.propagation.is_empty() {
                        "rprivate"
                    } else {
                        &m.propagation
                    }
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        Container {
            info,
            repository,
            tag,
            mounts_joined,
        }
    }
}

/// Split `registry/repo:tag@digest` into repository and tag.
pub fn split_image(image: &str) -> (String, String) {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last_slash = no_digest.rfind('/').map(|i| i + 1).unwrap_or(0);
    match no_digest.get(last_slash..).and_then(|s| s.rfind(':')) {
        Some(c) => {
            let idx = last_slash + c;
            (
                no_digest.get(..idx).unwrap_or("").to_string(),
                no_digest.get(idx + 1..).unwrap_or("").to_string(),
            )
        }
        None => (no_digest.to_string(), String::new()),
    }
}

/// How many events ahead of the one being processed each stage of
/// [`State::prefetch`] runs: far enough that a stage's loads arrive before
/// the next stage follows them.
pub const PREFETCH_STAGES: [usize; 3] = [12, 8, 4];

/// Ask the CPU to start loading the cache lines of `len` bytes at `p`.
#[inline(always)]
fn prefetch_lines(p: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        let mut off = 0;
        while off < len {
            // SAFETY: a prefetch instruction never faults, whatever the
            // address, and changes nothing a program can observe.
            #[allow(unsafe_code)]
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    p.wrapping_add(off) as *const i8,
                )
            };
            off += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, len);
}

/// [`prefetch_lines`] for the whole of `v`.
#[inline(always)]
pub(crate) fn prefetch_value<T>(v: &T) {
    prefetch_lines(v as *const T as *const u8, std::mem::size_of::<T>());
}

/// Fds below this number live in a vector indexed by number.
const SMALL_FDS: usize = 1024;

/// One process's fds: the small numbers (nearly all fds) in a vector
/// indexed by fd, any others in a map.
#[derive(Debug, Clone, Default)]
pub struct FdTable {
    small: Vec<Option<FdInfo>>,
    big: HashMap<i64, FdInfo>,
    len: usize,
}

impl FdTable {
    fn slot(fd: i64) -> Option<usize> {
        usize::try_from(fd).ok().filter(|i| *i < SMALL_FDS)
    }
    pub fn get(&self, fd: &i64) -> Option<&FdInfo> {
        match Self::slot(*fd) {
            Some(i) => self.small.get(i).and_then(Option::as_ref),
            None => self.big.get(fd),
        }
    }
    pub fn get_mut(&mut self, fd: &i64) -> Option<&mut FdInfo> {
        match Self::slot(*fd) {
            Some(i) => self.small.get_mut(i).and_then(Option::as_mut),
            None => self.big.get_mut(fd),
        }
    }
    pub fn contains_key(&self, fd: &i64) -> bool {
        self.get(fd).is_some()
    }
    /// Insert or replace; returns the replaced entry.
    pub fn insert(&mut self, fd: i64, info: FdInfo) -> Option<FdInfo> {
        let old = match Self::slot(fd) {
            Some(i) => {
                if self.small.len() <= i {
                    self.small.resize_with(i + 1, || None);
                }
                self.small.get_mut(i).and_then(|s| s.replace(info))
            }
            None => self.big.insert(fd, info),
        };
        if old.is_none() {
            self.len += 1;
        }
        old
    }
    pub fn remove(&mut self, fd: &i64) -> Option<FdInfo> {
        let old = match Self::slot(*fd) {
            Some(i) => self.small.get_mut(i).and_then(Option::take),
            None => self.big.remove(fd),
        };
        if old.is_some() {
            self.len -= 1;
        }
        old
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Every fd, small numbers first in order.
    pub fn values(&self) -> impl Iterator<Item = &FdInfo> {
        self.small.iter().flatten().chain(self.big.values())
    }
}

/// All state tables.
#[derive(Debug, Default, Clone)]
pub struct State {
    pub threads: PidMap<Thread>,
    /// Fd tables by pid, shared copy-on-write: a fork shares its parent's
    /// table until either side changes it (same contents as a deep copy at
    /// the time of the clone, without copying every entry per fork).
    pub fds: PidMap<Arc<FdTable>>,
    pub containers: HashMap<String, Container>,
    /// Users by container id (`""` = host), then uid.
    pub users: HashMap<String, HashMap<u32, UserEntry>>,
    /// Groups by container id (`""` = host), then gid.
    pub groups: HashMap<String, HashMap<u32, GroupEntry>>,
    pub hostname: String,
    pub boot_ts: u64,
    /// Address to DNS name, from `dns` records.
    pub dns: HashMap<IpAddr, String>,
    /// Interned container ids (see `intern_cid`).
    cids: HashMap<Box<str>, Arc<str>>,
    /// Interned fd names whose raw name is the name, by name (see
    /// `intern_names`).
    paths: HashMap<Box<str>, Arc<FdNames>>,
    /// Interned fd names whose raw name differs, by raw name's length,
    /// `:`, raw name and name.
    path_pairs: HashMap<Box<str>, Arc<FdNames>>,
    /// Reused buffer for `path_pairs` keys.
    scratch: String,
    /// The current event's rendering of each [`RENDERED`] parameter, made
    /// on first use and keyed by the event's address and time; cleared by
    /// [`State::apply`] and [`State::finish`].
    pub(crate) rendered: [Rendered; RENDERED.len()],
}

/// Parameters whose Falco rendering (flags or a mode) the current event
/// keeps once made: rules test `evt.arg.flags` and `evt.arg.mode` several
/// times per event, and the guard index once more.
pub(crate) const RENDERED: [&str; 2] = ["flags", "mode"];

/// One parameter's rendering, keyed by the event (address, time).
pub(crate) type Rendered = std::cell::OnceCell<((usize, u64), Option<String>)>;

/// The shared copy of a container id in `cids` (see [`State::intern_cid`]).
fn intern_cid(cids: &mut HashMap<Box<str>, Arc<str>>, id: &str) -> Arc<str> {
    if let Some(a) = cids.get(id) {
        return a.clone();
    }
    let a: Arc<str> = Arc::from(id);
    if cids.len() < MAX_CONTAINER_IDS {
        cids.insert(Box::from(id), a.clone());
    }
    a
}

/// What every event tells about its thread: its container (ids are
/// interned, so threads of a container share one allocation and comparing
/// with the thread's is cheap), its process information (unless the thread
/// was just made from it: `fresh`), its parent.
fn update_thread(th: &mut Thread, cids: &mut HashMap<Box<str>, Arc<str>>, ev: &Event, fresh: bool) {
    if let Some(c) = &ev.container_id {
        if th.container_id.as_deref() != Some(c.as_str()) {
            th.container_id = Some(intern_cid(cids, c));
        }
    }
    if let (Some(p), false) = (&ev.proc, fresh) {
        let execed = matches!(ev.evt_type, EventType::Execve | EventType::Execveat) && ev.res == 0;
        th.apply_proc(p, ev.ts_ns, execed);
    }
    if let Some(pp) = ev.ppid {
        th.ptid = pp;
    }
}

/// Per-event context produced by [`State::apply`].
#[derive(Debug, Default)]
pub struct EventFd {
    /// The fd the event refers to when it is not (or no longer) in the
    /// table: the removed entry for `close`, a failed open.
    pub fd: Option<FdInfo>,
    /// The fd number to look up in the event's process table otherwise.
    pub fd_ref: Option<i64>,
}

fn arg_i64(ev: &Event, name: &str) -> Option<i64> {
    ev.args.get(name).and_then(ArgValue::as_i64)
}

/// An unsigned argument (an inode number), 0 when absent.
fn arg_u64(ev: &Event, name: &str) -> u64 {
    arg_i64(ev, name).map(|v| v as u64).unwrap_or(0)
}

fn arg_str<'a>(ev: &'a Event, name: &str) -> Option<&'a str> {
    ev.args.get(name).and_then(ArgValue::as_str)
}

fn arg_tuple<'a>(ev: &'a Event, name: &str) -> Option<&'a SockTuple> {
    match ev.args.get(name) {
        Some(ArgValue::Sock(t)) => Some(t),
        _ => None,
    }
}

const S_IFMT: i64 = 0o170000;
const S_IFSOCK: i64 = 0o140000;
const S_IFDIR: i64 = 0o040000;
const S_IFIFO: i64 = 0o010000;

/// Event types whose kernel fd description is of the fd they return.
fn creates_fd_from_result(t: &EventType) -> bool {
    matches!(
        t,
        EventType::Open
            | EventType::Openat
            | EventType::Openat2
            | EventType::Creat
            | EventType::Socket
            | EventType::Accept
            | EventType::Accept4
    )
}

/// Whether an fd entry of `kind` can be the file of mode `mode`.
fn kind_fits_mode(kind: FdKind, mode: i64) -> bool {
    match mode & S_IFMT {
        S_IFSOCK => matches!(
            kind,
            FdKind::Ipv4 | FdKind::Ipv6 | FdKind::Unix | FdKind::Netlink | FdKind::Unknown
        ),
        S_IFDIR => kind == FdKind::Directory,
        S_IFIFO => kind == FdKind::Pipe,
        _ => !matches!(
            kind,
            FdKind::Ipv4
                | FdKind::Ipv6
                | FdKind::Unix
                | FdKind::Netlink
                | FdKind::Directory
                | FdKind::Pipe
        ),
    }
}

/// Absolute, and no empty, `.` or `..` component: [`normalize`] would
/// return the same text.
fn is_normal(path: &str) -> bool {
    let b = path.as_bytes();
    if b.first() != Some(&b'/') || b.len() < 2 {
        return false;
    }
    // each component starts after a '/': check its first bytes only
    let mut i = 0;
    while i < b.len() {
        // b[i] == '/'
        match (b.get(i + 1), b.get(i + 2), b.get(i + 3)) {
            (None | Some(b'/'), _, _) => return false,
            (Some(b'.'), None | Some(b'/'), _) => return false,
            (Some(b'.'), Some(b'.'), None | Some(b'/')) => return false,
            _ => {}
        }
        match b
            .get(i + 1..)
            .and_then(|r| r.iter().position(|c| *c == b'/'))
        {
            Some(p) => i += 1 + p,
            None => break,
        }
    }
    true
}

/// Normalise a path: resolve `.` and `..` lexically, collapse slashes.
pub fn normalize(path: &str) -> String {
    // already normal (the common case): the same text
    if is_normal(path) {
        return path.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            x => parts.push(x),
        }
    }
    let mut out = String::with_capacity(path.len());
    for p in parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

impl State {
    pub fn add_container(&mut self, c: ContainerInfo) {
        if self.containers.len() < 100_000 || self.containers.contains_key(&c.id) {
            self.containers.insert(c.id.clone(), Container::new(c));
        }
    }
    pub fn add_user(&mut self, u: UserEntry) {
        let key = u.container_id.clone().unwrap_or_default();
        if self.users.len() < 100_000 || self.users.contains_key(&key) {
            let t = self.users.entry(key).or_default();
            if t.len() < 100_000 {
                t.insert(u.uid, u);
            }
        }
    }
    pub fn add_group(&mut self, g: GroupEntry) {
        let key = g.container_id.clone().unwrap_or_default();
        if self.groups.len() < 100_000 || self.groups.contains_key(&key) {
            let t = self.groups.entry(key).or_default();
            if t.len() < 100_000 {
                t.insert(g.gid, g);
            }
        }
    }
    pub fn add_process(&mut self, p: ProcessSnapshot) {
        if self.threads.len() >= MAX_THREADS {
            return;
        }
        let mut t = Thread::from_proc(p.tid, p.pid, p.ppid, &p.proc, 0);
        t.container_id = p.container_id.as_deref().map(|c| self.intern_cid(c));
        self.threads.insert(p.tid, t);
        if !p.fds.is_empty() {
            let table = Arc::make_mut(self.fds.get_or_default(p.pid));
            for f in p.fds.into_iter().take(MAX_FDS_PER_PROC) {
                let mut info = FdInfo {
                    num: f.fd,
                    kind: f.kind,
                    flags: f.flags.map(i64::from).unwrap_or(0),
                    ino: f.ino.unwrap_or(0),
                    ..Default::default()
                };
                if let Some(t) = &f.tuple {
                    info.set_tuple(t);
                    let net = info.net_mut();
                    net.connected = t.dip.is_some();
                    net.role = if t.dip.is_some() {
                        Role::Client
                    } else {
                        Role::Server
                    };
                }
                if let Some(n) = f.name {
                    info.set_path(&n, &n);
                }
                if let Some(net) = info.net.as_mut() {
                    net.name_changed = false;
                }
                table.insert(f.fd, info);
            }
        }
    }

    pub fn user_name(&self, container: Option<&str>, uid: u32) -> Option<&str> {
        if let Some(u) = self.user(container, uid) {
            return Some(&u.name);
        }
        if uid == 0 {
            return Some("root");
        }
        None
    }

    /// The container's entry, falling back to the host table.
    pub fn user(&self, container: Option<&str>, uid: u32) -> Option<&UserEntry> {
        container
            .and_then(|c| self.users.get(c))
            .and_then(|t| t.get(&uid))
            .or_else(|| self.users.get("").and_then(|t| t.get(&uid)))
    }

    pub fn group_name(&self, container: Option<&str>, gid: u32) -> Option<&str> {
        if let Some(g) = container
            .and_then(|c| self.groups.get(c))
            .and_then(|t| t.get(&gid))
            .or_else(|| self.groups.get("").and_then(|t| t.get(&gid)))
        {
            return Some(&g.name);
        }
        if gid == 0 {
            return Some("root");
        }
        None
    }

    /// The shared copy of a container id (threads of a container point to
    /// one allocation, so "same container" is a pointer comparison).
    fn intern_cid(&mut self, id: &str) -> Arc<str> {
        intern_cid(&mut self.cids, id)
    }

    /// The shared names of an fd with this name and raw name (bounded
    /// tables; beyond them names are not shared); `None` when both are
    /// empty.
    fn intern_names(&mut self, name: &str, raw: &str) -> Option<Arc<FdNames>> {
        if name.is_empty() && raw.is_empty() {
            return None;
        }
        if name == raw {
            if let Some(a) = self.paths.get(name) {
                return Some(a.clone());
            }
            let a = Arc::new(FdNames::new(name, raw));
            if self.paths.len() < MAX_INTERNED_PATHS {
                self.paths.insert(Box::from(name), a.clone());
            }
            return Some(a);
        }
        let mut key = std::mem::take(&mut self.scratch);
        key.clear();
        push_uint(&mut key, raw.len() as u64);
        key.push(':');
        key.push_str(raw);
        key.push_str(name);
        let a = match self.path_pairs.get(key.as_str()) {
            Some(a) => a.clone(),
            None => {
                let a = Arc::new(FdNames::new(name, raw));
                if self.path_pairs.len() < MAX_INTERNED_PATHS {
                    self.path_pairs.insert(Box::from(key.as_str()), a.clone());
                }
                a
            }
        };
        self.scratch = key;
        Some(a)
    }

    /// Make sure the event's thread is in the table. Returns true when it was
    /// created just now from the event's own process info.
    fn ensure_thread(&mut self, ev: &Event) -> bool {
        if self.threads.contains_key(&ev.tid) {
            return false;
        }
        if self.threads.len() >= MAX_THREADS {
            return false;
        }
        let ptid = ev.ppid.unwrap_or(0);
        // A thread of a known process inherits the leader's view.
        let t = if ev.tid != ev.pid {
            self.threads.get(&ev.pid).map(|l| {
                let mut t = l.clone();
                t.tid = ev.tid;
                t.vtid = ev.tid;
                t
            })
        } else {
            None
        };
        let mut from_proc = false;
        let t = t.unwrap_or_else(|| match &ev.proc {
            Some(p) => {
                from_proc = true;
                Thread::from_proc(ev.tid, ev.pid, ptid, p, ev.ts_ns)
            }
            None => Thread::unknown(ev.tid, ev.pid, ptid, ev.ts_ns),
        });
        self.threads.insert(ev.tid, t);
        from_proc
    }

    fn fd_table(&mut self, pid: i64) -> &mut FdTable {
        Arc::make_mut(self.fds.get_or_default(pid))
    }

    pub fn lookup_fd(&self, pid: i64, fd: i64) -> Option<&FdInfo> {
        self.fds.get(&pid).and_then(|t| t.get(&fd))
    }

    /// Remove an fd; a shared table is only copied when it holds the fd.
    fn remove_fd(&mut self, pid: i64, fd: i64) -> Option<FdInfo> {
        let t = self.fds.get_mut(&pid)?;
        if !t.contains_key(&fd) {
            return None;
        }
        Arc::make_mut(t).remove(&fd)
    }

    /// An fd for changing; a shared table is only copied when it holds the fd.
    fn fd_mut(&mut self, pid: i64, fd: i64) -> Option<&mut FdInfo> {
        let t = self.fds.get_mut(&pid)?;
        if !t.contains_key(&fd) {
            return None;
        }
        Arc::make_mut(t).get_mut(&fd)
    }

    /// Insert or replace an fd (unless the process has too many); whether
    /// it is in the table now.
    fn insert_fd(&mut self, pid: i64, info: FdInfo) -> bool {
        self.try_insert_fd(pid, info).is_ok()
    }

    /// [`State::insert_fd`], giving the fd back when it is left out.
    fn try_insert_fd(&mut self, pid: i64, info: FdInfo) -> Result<(), FdInfo> {
        let t = self.fd_table(pid);
        if t.len() < MAX_FDS_PER_PROC || t.contains_key(&info.num) {
            t.insert(info.num, info);
            Ok(())
        } else {
            Err(info)
        }
    }

    /// Insert an fd that the event refers to: in the table, the event's
    /// context finds it there; else it is the event's own.
    fn insert_event_fd(&mut self, pid: i64, info: FdInfo, out: &mut EventFd) {
        let n = info.num;
        match self.try_insert_fd(pid, info) {
            Ok(()) => out.fd_ref = Some(n),
            Err(info) => out.fd = Some(info),
        }
    }

    /// Make the table's entry for `fd` agree with the kernel's description
    /// carried by the event (inode `ino`, `fd_mode`, `fd_path` or a tuple).
    /// Without a captured `close`, the entry may be left from an earlier
    /// file with the same number (or missing, when the open that made this
    /// one was filtered out in the kernel): then the entry is rebuilt from
    /// the description. An entry of unknown inode (a replayed event, or a
    /// /proc scan without fdinfo inodes) is kept when its kind fits.
    fn reconcile_fd(&mut self, ev: &Event, fd: i64, ino: u64) {
        if ino == 0 || fd < 0 {
            return;
        }
        let mode = arg_i64(ev, "fd_mode").unwrap_or(0);
        if let Some(f) = self.lookup_fd(ev.pid, fd) {
            if f.ino == ino {
                return;
            }
            if f.ino == 0 && kind_fits_mode(f.kind, mode) {
                if let Some(f) = self.fd_mut(ev.pid, fd) {
                    f.ino = ino;
                }
                return;
            }
        }
        let mut info = FdInfo {
            num: fd,
            ino,
            ..Default::default()
        };
        match mode & S_IFMT {
            S_IFSOCK => {
                info.kind = FdKind::Unknown;
                let tuple = arg_tuple(ev, "fd_tuple").or_else(|| arg_tuple(ev, "tuple"));
                if let Some(tp) = tuple {
                    info.set_tuple(tp);
                    info.net_mut().connected = tp.dip.is_some() && tp.sip.is_some();
                }
                if let Some(net) = info.net.as_mut() {
                    net.name_changed = false;
                }
            }
            S_IFIFO => info.kind = FdKind::Pipe,
            m => {
                let path = arg_str(ev, "fd_path").unwrap_or("");
                let (kind, name) = if m == S_IFDIR {
                    (FdKind::Directory, path)
                } else if let Some(n) = path
                    .strip_prefix("memfd:")
                    .or_else(|| path.strip_prefix("/memfd:"))
                {
                    (FdKind::Memfd, n.strip_suffix(" (deleted)").unwrap_or(n))
                } else if path.contains(":[") || path.starts_with("/[") {
                    (FdKind::Unknown, path)
                } else {
                    (FdKind::File, path)
                };
                info.kind = kind;
                if kind == FdKind::Memfd {
                    let name = format!("memfd:{name}");
                    info.set_names(&name, &name);
                } else {
                    info.names = self.intern_names(name, name);
                }
            }
        }
        self.insert_fd(ev.pid, info);
    }

    /// Resolve a path argument relative to `dirfd` (or the cwd).
    fn resolve(&self, ev: &Event, path: &str, dirfd: Option<i64>) -> String {
        if path.starts_with('/') {
            return normalize(path);
        }
        if path.is_empty() {
            return String::new();
        }
        let base = match dirfd {
            Some(d) if d != AT_FDCWD => self
                .lookup_fd(ev.pid, d)
                .map(|f| f.name().to_string())
                .unwrap_or_default(),
            _ => self
                .threads
                .get(&ev.tid)
                .map(|t| t.cwd.to_string())
                .unwrap_or_default(),
        };
        if base.is_empty() {
            return path.to_string();
        }
        normalize(&format!("{base}/{path}"))
    }

    /// Apply an event's effects on the tables. Returns the fd the event
    /// refers to. Must be followed by [`State::finish`] after evaluation.
    pub fn apply(&mut self, ev: &Event) -> EventFd {
        self.rendered.iter_mut().for_each(|c| drop(c.take()));
        // one table lookup for a known thread (nearly every event)
        let known = match self.threads.get_mut(&ev.tid) {
            Some(th) => {
                update_thread(th, &mut self.cids, ev, false);
                true
            }
            None => false,
        };
        if !known {
            // a thread made just now from the event's process info already
            // is what refreshing it from that info would give
            let fresh = self.ensure_thread(ev);
            if let Some(th) = self.threads.get_mut(&ev.tid) {
                update_thread(th, &mut self.cids, ev, fresh);
            }
        }
        let t = &ev.evt_type;
        let ok = ev.res >= 0;
        let mut out = EventFd::default();
        // a sensor event describes the fd it names: make the table agree
        if !creates_fd_from_result(t) {
            if let Some(ino) = arg_i64(ev, "ino") {
                if let Some(fd) = arg_i64(ev, "oldfd").or_else(|| arg_i64(ev, "fd")) {
                    self.reconcile_fd(ev, fd, ino as u64);
                }
            }
        }
        match t {
            EventType::Clone | EventType::Clone3 | EventType::Fork | EventType::Vfork => {
                if ev.res > 0 {
                    let flags = arg_i64(ev, "flags").unwrap_or(0);
                    let is_thread = flags & CLONE_THREAD != 0;
                    if let Some(parent) = self.threads.get(&ev.tid).cloned() {
                        if self.threads.len() < MAX_THREADS {
                            let mut c = parent;
                            c.tid = ev.res;
                            c.vtid = ev.res;
                            if is_thread {
                                // same process, same parent
                            } else {
                                c.pid = ev.res;
                                c.vpid = ev.res;
                                c.ptid = ev.pid;
                                c.start_ts = ev.ts_ns;
                            }
                            self.threads.insert(ev.res, c);
                        }
                        // a new process gets a copy of the table (with
                        // CLONE_FILES it is shared; a copy is the closest
                        // per-process model and equal at the time of the clone)
                        if !is_thread {
                            if let Some(tab) = self.fds.get(&ev.pid).cloned() {
                                self.fds.insert(ev.res, tab);
                            }
                        }
                    }
                }
            }
            EventType::Open | EventType::Openat | EventType::Openat2 | EventType::Creat => {
                let raw_s = arg_str(ev, "name").unwrap_or("");
                let name_s: std::borrow::Cow<str> = match arg_str(ev, "path") {
                    Some(p) if !p.is_empty() => normalize(p).into(),
                    // already normal: the name is the raw path itself
                    _ if is_normal(raw_s) => raw_s.into(),
                    _ => {
                        let dirfd = if matches!(t, EventType::Openat | EventType::Openat2) {
                            arg_i64(ev, "dirfd")
                        } else {
                            None
                        };
                        self.resolve(ev, raw_s, dirfd).into()
                    }
                };
                let names = self.intern_names(&name_s, raw_s);
                let mut flags = arg_i64(ev, "flags").unwrap_or(0);
                if *t == EventType::Creat {
                    flags |= 0o100 | 0o1000 | 1;
                }
                let info = FdInfo {
                    num: if ok { ev.res } else { -1 },
                    kind: if flags & 0o200000 != 0 {
                        FdKind::Directory
                    } else {
                        FdKind::File
                    },
                    names,
                    flags,
                    ino: if ok { arg_u64(ev, "ino") } else { 0 },
                    net: None,
                };
                if ok {
                    let n = info.num;
                    self.insert_fd(ev.pid, info);
                    out.fd_ref = Some(n);
                } else {
                    out.fd = Some(info);
                }
            }
            EventType::Close => {
                if let Some(fd) = arg_i64(ev, "fd") {
                    if ok {
                        out.fd = self.remove_fd(ev.pid, fd);
                    } else {
                        out.fd = self.lookup_fd(ev.pid, fd).cloned();
                    }
                }
            }
            EventType::Dup | EventType::Dup2 | EventType::Dup3 | EventType::Fcntl => {
                let old = arg_i64(ev, "oldfd").or_else(|| arg_i64(ev, "fd"));
                let is_dup = *t != EventType::Fcntl || matches!(arg_i64(ev, "cmd"), Some(0 | 1030));
                if let Some(old) = old {
                    if ok && is_dup && ev.res != old {
                        if let Some(mut s) = self.lookup_fd(ev.pid, old).cloned() {
                            s.num = ev.res;
                            self.insert_fd(ev.pid, s);
                        } else {
                            self.remove_fd(ev.pid, ev.res);
                        }
                    }
                    out.fd_ref = Some(old);
                }
            }
            EventType::Socket => {
                if ok {
                    let domain = arg_i64(ev, "domain").unwrap_or(0);
                    let ty = arg_i64(ev, "type").unwrap_or(0) & 0xf;
                    let proto = arg_i64(ev, "proto").unwrap_or(0);
                    let kind = match domain {
                        1 => FdKind::Unix,
                        2 => FdKind::Ipv4,
                        10 => FdKind::Ipv6,
                        16 => FdKind::Netlink,
                        _ => FdKind::Unknown,
                    };
                    let l4 = match (ty, proto) {
                        (_, 1) | (_, 58) => Some("icmp"),
                        (1, _) => Some("tcp"),
                        (2, _) => Some("udp"),
                        (3, _) => Some("raw"),
                        _ => None,
                    };
                    let info = FdInfo {
                        num: ev.res,
                        kind,
                        ino: arg_u64(ev, "ino"),
                        net: Some(Box::new(NetInfo {
                            l4proto: if matches!(kind, FdKind::Ipv4 | FdKind::Ipv6) {
                                l4.map(l4proto)
                            } else {
                                None
                            },
                            family: Some(SockFamily::from_domain(domain)),
                            ..Default::default()
                        })),
                        ..Default::default()
                    };
                    self.insert_event_fd(ev.pid, info, &mut out);
                }
            }
            EventType::Connect => {
                if let Some(fd) = arg_i64(ev, "fd") {
                    let tuple = arg_tuple(ev, "tuple").or_else(|| arg_tuple(ev, "addr"));
                    let pid = ev.pid;
                    let success = ev.res == 0 || ev.res == -115;
                    let connect = |info: &mut FdInfo| {
                        if let Some(tp) = tuple {
                            info.set_tuple(tp);
                        }
                        let net = info.net_mut();
                        if tuple.is_none() {
                            net.name_changed = false;
                        }
                        net.role = Role::Client;
                        net.connected |= success;
                    };
                    let unknown = || FdInfo {
                        num: fd,
                        kind: FdKind::Unknown,
                        ..Default::default()
                    };
                    // a connected socket changes in its table (made when
                    // missing); a failed connect only shows on the event
                    let in_table = success
                        && (self.fd_mut(pid, fd).is_some() || self.insert_fd(pid, unknown()));
                    if in_table {
                        if let Some(info) = self.fd_mut(pid, fd) {
                            connect(info);
                            out.fd_ref = Some(fd);
                        }
                    } else {
                        let mut info = self.lookup_fd(pid, fd).cloned().unwrap_or_else(unknown);
                        connect(&mut info);
                        out.fd = Some(info);
                    }
                }
            }
            EventType::Accept | EventType::Accept4 => {
                let listen = arg_i64(ev, "fd").and_then(|fd| self.lookup_fd(ev.pid, fd));
                if ok {
                    let mut info = FdInfo {
                        num: ev.res,
                        ino: arg_u64(ev, "ino"),
                        kind: listen.map(|l| l.kind).unwrap_or(FdKind::Ipv4),
                        net: Some(Box::new(NetInfo {
                            l4proto: listen.and_then(|l| l.net().l4proto.clone()),
                            ..Default::default()
                        })),
                        ..Default::default()
                    };
                    if let Some(tp) = arg_tuple(ev, "tuple") {
                        info.set_tuple(tp);
                    }
                    let net = info.net_mut();
                    net.role = Role::Server;
                    net.connected = true;
                    self.insert_event_fd(ev.pid, info, &mut out);
                } else {
                    out.fd = listen.cloned();
                }
            }
            EventType::Bind => {
                if let Some(fd) = arg_i64(ev, "fd") {
                    let pid = ev.pid;
                    if let Some(mut info) = self.lookup_fd(pid, fd).cloned() {
                        if let (true, Some(a)) = (ok, arg_tuple(ev, "addr")) {
                            // a bound address is the server side of future tuples
                            let server = SockTuple {
                                family: a.family,
                                l4proto: a.l4proto.clone(),
                                sip: None,
                                sport: None,
                                dip: a.sip.or(a.dip),
                                dport: a.sport.or(a.dport),
                                path: a.path.clone(),
                            };
                            info.set_tuple(&server);
                            info.net_mut().role = Role::Server;
                            self.insert_fd(pid, info.clone());
                        }
                        out.fd = Some(info);
                    }
                }
            }
            EventType::Listen => {
                if let Some(fd) = arg_i64(ev, "fd") {
                    if let Some(info) = self.fd_mut(ev.pid, fd) {
                        info.net_mut().role = Role::Server;
                        out.fd_ref = Some(fd);
                    }
                }
            }
            EventType::Pipe | EventType::Pipe2 => {
                if ok {
                    for k in ["fd1", "fd2"] {
                        if let Some(fd) = arg_i64(ev, k) {
                            self.insert_fd(
                                ev.pid,
                                FdInfo {
                                    num: fd,
                                    kind: FdKind::Pipe,
                                    ..Default::default()
                                },
                            );
                        }
                    }
                }
            }
            EventType::MemfdCreate => {
                let name = format!("memfd:{}", arg_str(ev, "name").unwrap_or(""));
                let mut info = FdInfo {
                    num: if ok { ev.res } else { -1 },
                    kind: FdKind::Memfd,
                    ..Default::default()
                };
                info.set_names(&name, &name);
                if ok {
                    self.insert_event_fd(ev.pid, info, &mut out);
                } else {
                    out.fd = Some(info);
                }
            }
            EventType::Userfaultfd
            | EventType::Eventfd
            | EventType::Eventfd2
            | EventType::Signalfd
            | EventType::Signalfd4
            | EventType::TimerfdCreate
            | EventType::InotifyInit
            | EventType::InotifyInit1
            | EventType::EpollCreate
            | EventType::EpollCreate1
            | EventType::Bpf
            | EventType::IoUringSetup => {
                if ok {
                    let kind = match t {
                        EventType::Userfaultfd => FdKind::Userfaultfd,
                        EventType::Eventfd | EventType::Eventfd2 => FdKind::Event,
                        EventType::Signalfd | EventType::Signalfd4 => FdKind::Signalfd,
                        EventType::TimerfdCreate => FdKind::Timerfd,
                        EventType::InotifyInit | EventType::InotifyInit1 => FdKind::Inotify,
                        EventType::EpollCreate | EventType::EpollCreate1 => FdKind::Eventpoll,
                        EventType::Bpf => FdKind::Bpf,
                        _ => FdKind::IoUring,
                    };
                    let info = FdInfo {
                        num: ev.res,
                        kind,
                        ..Default::default()
                    };
                    self.insert_event_fd(ev.pid, info, &mut out);
                }
            }
            EventType::Chdir => {
                if ok {
                    if let Some(p) = arg_str(ev, "path") {
                        let newcwd = self.resolve(ev, p, None);
                        self.set_cwd(ev.pid, &newcwd);
                    }
                }
            }
            EventType::Fchdir => {
                if ok {
                    if let Some(name) = arg_i64(ev, "fd")
                        .and_then(|fd| self.lookup_fd(ev.pid, fd))
                        .map(|f| f.name().to_string())
                    {
                        self.set_cwd(ev.pid, &name);
                    }
                }
            }
            EventType::Setuid
            | EventType::Setresuid
            | EventType::Setreuid
            | EventType::Setfsuid => {
                if ok {
                    let uid = arg_i64(ev, "euid").or_else(|| arg_i64(ev, "uid"));
                    if let (Some(uid), Some(th)) = (uid, self.threads.get_mut(&ev.tid)) {
                        if uid >= 0 {
                            th.uid = uid as u32;
                        }
                    }
                }
            }
            EventType::Capset => {
                // the sets in force after the call (Falco's capset exit)
                if ok {
                    let set = |n: &str| ev.args.get(n).and_then(ArgValue::as_i64).map(|v| v as u64);
                    if let (Some(inh), Some(prm), Some(eff), Some(th)) = (
                        set("cap_inheritable"),
                        set("cap_permitted"),
                        set("cap_effective"),
                        self.threads.get_mut(&ev.tid),
                    ) {
                        th.cap_inheritable = inh;
                        th.cap_permitted = prm;
                        th.cap_effective = eff;
                    }
                }
            }
            EventType::Setgid
            | EventType::Setresgid
            | EventType::Setregid
            | EventType::Setfsgid => {
                if ok {
                    let gid = arg_i64(ev, "egid").or_else(|| arg_i64(ev, "gid"));
                    if let (Some(gid), Some(th)) = (gid, self.threads.get_mut(&ev.tid)) {
                        if gid >= 0 {
                            th.gid = gid as u32;
                        }
                    }
                }
            }
            _ => {
                if let Some(fd) = arg_i64(ev, "fd") {
                    if let Some(tp) = arg_tuple(ev, "tuple") {
                        if let Some(i) = self.fd_mut(ev.pid, fd) {
                            i.set_tuple(tp);
                        }
                    }
                    out.fd_ref = Some(fd);
                }
            }
        }
        out
    }

    fn set_cwd(&mut self, pid: i64, cwd: &str) {
        let cwd: Arc<str> = Arc::from(cwd);
        for th in self.threads.values_mut() {
            if th.pid == pid {
                th.cwd = cwd.clone();
            }
        }
    }

    /// Start loading into the cache what processing `ev` will read, in
    /// three stages ([`PREFETCH_STAGES`]) called for an event some places
    /// ahead of the one being processed, the farthest first. The first
    /// asks for the thread's and the fd table's entries without reading
    /// them ([`PidMap::prefetch`]: a lookup that compared keys would wait
    /// for the entry's line right there) and for the event's parameters;
    /// each later stage follows pointers the one before brought in (image,
    /// parent, fd slot, parameter strings). A hint only: nothing changes.
    ///
    /// The tables of thousands of processes do not fit in a core's cache
    /// and each event reads a random part of them: without this, every
    /// event waits for several loads from memory one after the other.
    pub fn prefetch(&self, ev: &Event, stage: usize) {
        match stage {
            0 => {
                // start the loads only: waiting for them here would stall
                // the event being processed
                self.threads.prefetch(ev.tid);
                self.fds.prefetch(ev.pid);
                // the event's own parameters and container id
                let args = &ev.args.0;
                prefetch_lines(
                    args.as_ptr() as *const u8,
                    std::mem::size_of_val(args.as_slice()),
                );
                if let Some(c) = &ev.container_id {
                    prefetch_lines(c.as_ptr(), c.len().min(64));
                }
            }
            1 => {
                for (_, v) in &ev.args.0 {
                    match v {
                        ArgValue::Str(s) => prefetch_lines(s.as_ptr(), s.len().min(64)),
                        ArgValue::Sock(t) => prefetch_value::<SockTuple>(t),
                        _ => {}
                    }
                }
                if let Some(t) = self.threads.get(&ev.tid) {
                    prefetch_value::<Image>(&t.image);
                    self.threads.prefetch(t.ptid);
                }
                if let Some(tab) = self.fds.get(&ev.pid) {
                    prefetch_value::<FdTable>(tab);
                }
            }
            _ => {
                if let Some(t) = self.threads.get(&ev.tid) {
                    prefetch_lines(t.image.name.as_ptr(), t.image.name.len().min(64));
                    if let Some(p) = self.threads.get(&t.ptid) {
                        prefetch_value::<Image>(&p.image);
                    }
                }
                if let Some(slot) = self.fd_slot(ev) {
                    prefetch_value(slot);
                }
            }
        }
    }

    /// The slot in its process's table of the fd `ev` names or makes.
    fn fd_slot(&self, ev: &Event) -> Option<&Option<FdInfo>> {
        let fd = match ev.args.get("fd") {
            Some(v) => v.as_i64(),
            None if creates_fd_from_result(&ev.evt_type) => Some(ev.res),
            None => None,
        };
        self.fds.get(&ev.pid)?.small.get(FdTable::slot(fd?)?)
    }

    /// Effects that apply after evaluation (thread removal on `procexit`).
    pub fn finish(&mut self, ev: &Event) {
        self.rendered.iter_mut().for_each(|c| drop(c.take()));
        if ev.evt_type == EventType::Procexit {
            if let Some(t) = self.threads.remove(&ev.tid) {
                if t.tid == t.pid {
                    self.fds.remove(&t.pid);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capset_replaces_the_thread_capabilities() {
        let mut st = State::default();
        let mut exec = Event::new(1, 9, 9, EventType::Execve, 0);
        exec.proc = Some(Box::new(ProcInfo {
            comm: "tool".into(),
            cap_permitted: 0x1ff_ffff_ffff,
            cap_effective: 0x1ff_ffff_ffff,
            ..Default::default()
        }));
        st.apply(&exec);
        let caps = |st: &State| {
            let t = &st.threads[&9];
            (t.cap_inheritable, t.cap_permitted, t.cap_effective)
        };
        let capset = |res: i64, eff: u64| {
            Event::new(2, 9, 9, EventType::Capset, res)
                .arg("cap_inheritable", 0i64)
                .arg("cap_permitted", eff as i64)
                .arg("cap_effective", eff as i64)
        };
        // a failed capset changes nothing
        st.apply(&capset(-1, 0));
        assert_eq!(caps(&st), (0, 0x1ff_ffff_ffff, 0x1ff_ffff_ffff));
        st.apply(&capset(0, 0x1ff_ffdf_ffff));
        assert_eq!(caps(&st), (0, 0x1ff_ffdf_ffff, 0x1ff_ffdf_ffff));
    }

    /// The command line and the joined arguments, built together, are
    /// the name and `args.join(" ")` as before.
    #[test]
    fn image_command_lines() {
        for args in [
            vec![],
            vec![""],
            vec!["", ""],
            vec!["-c", "x y"],
            vec!["a", "", "b"],
            vec!["é"],
        ] {
            let p = ProcInfo {
                comm: "sh".into(),
                args: args.iter().map(|a| a.to_string()).collect(),
                ..Default::default()
            };
            let img = Image::from_proc(&p);
            let joined = args.join(" ");
            let want = if joined.is_empty() {
                "sh".to_string()
            } else {
                format!("sh {joined}")
            };
            assert_eq!(
                (img.cmdline.as_str(), img.args_joined()),
                (want.as_str(), joined.as_str())
            );
        }
    }

    #[test]
    fn images() {
        assert_eq!(
            split_image("docker.io/library/nginx:1.25"),
            ("docker.io/library/nginx".into(), "1.25".into())
        );
        assert_eq!(
            split_image("localhost:5000/app@sha256:abc"),
            ("localhost:5000/app".into(), "".into())
        );
        assert_eq!(split_image("busybox"), ("busybox".into(), "".into()));
    }

    #[test]
    fn uints_render_as_display_does() {
        for n in [
            0u64,
            1,
            9,
            10,
            99,
            100,
            255,
            1000,
            65535,
            99_999,
            u64::MAX / 10,
            u64::MAX,
        ] {
            let mut s = String::from("x");
            push_uint(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
    }

    #[test]
    fn tuples_render_as_display_does() {
        let fmt_old = |fd: &NetInfo| {
            let s = match (fd.sip, fd.sport) {
                (Some(ip), Some(p)) => format!("{ip}:{p}"),
                (Some(ip), None) => ip.to_string(),
                (None, Some(p)) => format!(":{p}"),
                _ => String::new(),
            };
            match (fd.dip, fd.dport) {
                (Some(ip), Some(p)) => format!("{s}->{ip}:{p}"),
                _ => s,
            }
        };
        let ips: [Option<IpAddr>; 5] = [
            None,
            Some("0.0.0.0".parse().unwrap()),
            Some("255.255.10.1".parse().unwrap()),
            Some("::1".parse().unwrap()),
            Some("fe80::1:2".parse().unwrap()),
        ];
        for sip in ips {
            for dip in ips {
                for (sport, dport) in [(None, None), (Some(0), Some(65535)), (Some(8080), None)] {
                    let fd = NetInfo {
                        sip,
                        dip,
                        sport,
                        dport,
                        ..Default::default()
                    };
                    assert_eq!(render_tuple(sip, sport, dip, dport), fmt_old(&fd));
                }
            }
        }
    }

    /// Socket names rendered on demand decide as names rendered at every
    /// tuple did: random tuple sequences on fds named by paths or
    /// nothing give the same `fd.name` and `fd.name_changed` as the eager
    /// rendering (the old `set_tuple`, kept here as the reference).
    #[test]
    fn lazy_socket_names_agree_with_eager_rendering() {
        #[derive(Default)]
        struct Eager {
            name: String,
            sip: Option<IpAddr>,
            sport: Option<u16>,
            dip: Option<IpAddr>,
            dport: Option<u16>,
            changed: bool,
        }
        impl Eager {
            fn set_tuple(&mut self, t: &SockTuple) {
                if t.sip.is_some() {
                    self.sip = t.sip;
                }
                if t.sport.is_some() {
                    self.sport = t.sport;
                }
                if t.dip.is_some() {
                    self.dip = t.dip;
                }
                if t.dport.is_some() {
                    self.dport = t.dport;
                }
                let old = std::mem::take(&mut self.name);
                self.name = match (&t.path, t.family) {
                    (Some(p), _) => p.clone(),
                    (None, SockFamily::Inet | SockFamily::Inet6) => {
                        render_tuple(self.sip, self.sport, self.dip, self.dport)
                    }
                    _ => old.clone(),
                };
                self.changed = old != self.name;
            }
        }
        let ips: [Option<IpAddr>; 4] = [
            None,
            Some("10.0.0.1".parse().unwrap()),
            Some("10.0.0.2".parse().unwrap()),
            Some("::1".parse().unwrap()),
        ];
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n) as usize
        };
        for _ in 0..300 {
            let start = ["", "/tmp/f", "/run/s.sock"][next(3)];
            let mut eager = Eager {
                name: start.to_string(),
                ..Default::default()
            };
            let mut fd = FdInfo::default();
            fd.set_path(start, start);
            for _ in 0..8 {
                let t = SockTuple {
                    family: [
                        SockFamily::Inet,
                        SockFamily::Inet6,
                        SockFamily::Unix,
                        SockFamily::Other,
                    ][next(4)],
                    l4proto: None,
                    sip: ips[next(4)],
                    sport: [None, Some(80), Some(8080)][next(3)],
                    dip: ips[next(4)],
                    dport: [None, Some(80), Some(443)][next(3)],
                    path: [None, Some("/run/s.sock".to_string()), Some("/x".into())][next(3)]
                        .clone(),
                };
                eager.set_tuple(&t);
                fd.set_tuple(&t);
                assert_eq!(fd.name(), eager.name, "{t:?}");
                assert_eq!(fd.net().name_changed, eager.changed, "{t:?}");
                assert_eq!(fd.nameraw(), start);
            }
        }
    }

    #[test]
    fn paths() {
        assert_eq!(normalize("/a/./b/../c//d"), "/a/c/d");
        assert_eq!(normalize("/.."), "/");
        // the already-normal fast path and its edges
        for (p, want) in [
            ("/etc/passwd", "/etc/passwd"),
            ("/", "/"),
            ("//", "/"),
            ("/etc/", "/etc"),
            ("/etc/.", "/etc"),
            ("/etc/..", "/"),
            ("/etc/.hidden", "/etc/.hidden"),
            ("/etc/..x/...", "/etc/..x/..."),
            ("etc/passwd", "/etc/passwd"),
            ("", "/"),
            ("/a/./b", "/a/b"),
            ("/a/../b", "/b"),
            ("/a//b", "/a/b"),
            ("/.a/..b/.../c.", "/.a/..b/.../c."),
            ("/..", "/"),
            ("/.", "/"),
            ("/a/.", "/a"),
        ] {
            assert_eq!(normalize(p), want, "{p}");
        }
        // the fast check never accepts what the slow path would change
        for p in [
            "/",
            "//",
            "/.",
            "/..",
            "/a",
            "/a/",
            "/a/.",
            "/a/..",
            "/a/./b",
            "/a/../b",
            "/a//b",
            "a",
            "/.a",
            "/..a",
            "/a.",
            "/a..",
            "/...",
            "/a/.b/..c",
            "/é/ü",
        ] {
            if is_normal(p) {
                assert_eq!(normalize(p), p, "{p}");
            }
        }
        assert!(is_normal("/usr/lib/x86_64-linux-gnu/libc.so.6"));
        assert!(is_normal("/a/.b/..c/..."));
        assert_eq!(basename("/usr/bin/cat"), "cat");
        assert_eq!(dirname("/usr/bin/cat"), "/usr/bin");
        assert_eq!(dirname("/x"), "/");
    }

    #[test]
    fn fd_table_agrees_with_a_map() {
        // random inserts, replaces and removes over small, large and
        // negative fd numbers: the same contents as a plain map
        let mut t = FdTable::default();
        let mut m: std::collections::HashMap<i64, i64> = Default::default();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for step in 0..20_000i64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let fd = match x % 4 {
                0 => (x >> 8) as i64 % 64,
                1 => 1000 + (x >> 8) as i64 % 50,
                2 => (x >> 8) as i64 % 100_000,
                _ => -((x >> 8) as i64 % 5),
            };
            if (x >> 40).is_multiple_of(3) {
                assert_eq!(t.remove(&fd).map(|f| f.flags), m.remove(&fd), "{fd}");
            } else {
                let info = FdInfo {
                    num: fd,
                    flags: step,
                    ..Default::default()
                };
                assert_eq!(t.insert(fd, info).map(|f| f.flags), m.insert(fd, step));
            }
            assert_eq!(t.len(), m.len());
            assert_eq!(t.get(&fd).map(|f| f.flags), m.get(&fd).copied());
            assert_eq!(t.contains_key(&fd), m.contains_key(&fd));
        }
        let mut a: Vec<(i64, i64)> = t.values().map(|f| (f.num, f.flags)).collect();
        let mut b: Vec<(i64, i64)> = m.into_iter().collect();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        assert!(!t.is_empty());
    }

    #[test]
    fn fd_lifecycle() {
        let mut s = State::default();
        let mut e = Event::new(1, 10, 10, EventType::Execve, 0);
        e.proc = Some(Box::new(ProcInfo {
            exe: "cat".into(),
            exepath: "/bin/cat".into(),
            cwd: "/root".into(),
            ..Default::default()
        }));
        s.apply(&e);
        let o = s.apply(
            &Event::new(2, 10, 10, EventType::Openat, 3)
                .arg("dirfd", -100i64)
                .arg("name", "../etc/passwd")
                .arg("flags", 0i64),
        );
        assert_eq!(
            s.lookup_fd(10, o.fd_ref.unwrap()).unwrap().name(),
            "/etc/passwd"
        );
        let d = s.apply(
            &Event::new(3, 10, 10, EventType::Dup2, 1)
                .arg("oldfd", 3i64)
                .arg("newfd", 1i64),
        );
        assert_eq!(d.fd_ref, Some(3));
        assert_eq!(s.lookup_fd(10, 1).unwrap().name(), "/etc/passwd");
        let c = s.apply(&Event::new(4, 10, 10, EventType::Close, 0).arg("fd", 3i64));
        assert_eq!(c.fd.unwrap().name(), "/etc/passwd");
        assert!(s.lookup_fd(10, 3).is_none());
        // fork copies fds
        s.apply(&Event::new(5, 10, 10, EventType::Clone, 11).arg("flags", 17i64));
        assert_eq!(s.threads[&11].ptid, 10);
        assert!(s.lookup_fd(11, 1).is_some());
        s.finish(&Event::new(6, 11, 11, EventType::Procexit, 0));
        assert!(!s.threads.contains_key(&11));
    }

    #[test]
    fn kernel_fd_descriptions_replace_entries_left_by_uncaptured_closes() {
        let mut s = State::default();
        s.apply(&Event::new(1, 10, 10, EventType::Execve, 0));
        let tuple = SockTuple {
            family: SockFamily::Inet,
            l4proto: Some("tcp".into()),
            sip: Some("10.0.0.2".parse().unwrap()),
            sport: Some(40000),
            dip: Some("10.0.0.9".parse().unwrap()),
            dport: Some(4444),
            path: None,
        };
        // fd 3: a file (inode 100), closed without a captured close, then
        // a socket with the same number that the table never saw made
        s.apply(
            &Event::new(2, 10, 10, EventType::Openat, 3)
                .arg("dirfd", -100i64)
                .arg("name", "/etc/hosts")
                .arg("flags", 0i64)
                .arg("ino", 100i64)
                .arg("fd_mode", 0o100644i64),
        );
        assert_eq!(s.lookup_fd(10, 3).unwrap().ino, 100);
        let dup = |ino: i64, mode: i64| {
            Event::new(3, 10, 10, EventType::Dup2, 1)
                .arg("oldfd", 3i64)
                .arg("newfd", 1i64)
                .arg("ino", ino)
                .arg("fd_mode", mode)
        };
        s.apply(&dup(200, 0o140777).arg("fd_tuple", ArgValue::from(tuple.clone())));
        for fd in [3, 1] {
            let f = s.lookup_fd(10, fd).unwrap();
            assert_eq!(
                (f.kind, f.ino, f.typechar()),
                (FdKind::Ipv4, 200, "4"),
                "fd {fd}"
            );
            assert_eq!(f.name(), "10.0.0.2:40000->10.0.0.9:4444");
        }
        // and back: the socket closed, a file the table never saw opened
        s.apply(&dup(300, 0o100600).arg("fd_path", "/tmp/out.log"));
        let f = s.lookup_fd(10, 1).unwrap();
        assert_eq!(
            (f.kind, f.name(), f.ino),
            (FdKind::File, "/tmp/out.log", 300)
        );
        // a described fd the table agrees with keeps what only its open knew
        s.apply(
            &Event::new(4, 10, 10, EventType::Openat, 5)
                .arg("dirfd", -100i64)
                .arg("name", "/var/log/x")
                .arg("flags", 0o1001i64)
                .arg("ino", 400i64)
                .arg("fd_mode", 0o100644i64),
        );
        let w = Event::new(5, 10, 10, EventType::Write, 1)
            .arg("fd", 5i64)
            .arg("ino", 400i64)
            .arg("fd_mode", 0o100644i64)
            .arg("fd_path", "/var/log/x");
        assert_eq!(s.apply(&w).fd_ref, Some(5));
        assert_eq!(s.lookup_fd(10, 5).unwrap().flags, 0o1001);
        // an entry of unknown inode (a /proc scan without fdinfo inodes, a
        // replayed event) is kept when its kind fits, and learns the inode
        s.apply(
            &Event::new(6, 10, 10, EventType::Pipe, 0)
                .arg("fd1", 6i64)
                .arg("fd2", 7i64),
        );
        s.apply(
            &Event::new(7, 10, 10, EventType::Write, 1)
                .arg("fd", 6i64)
                .arg("ino", 500i64)
                .arg("fd_mode", 0o010600i64),
        );
        let f = s.lookup_fd(10, 6).unwrap();
        assert_eq!((f.kind, f.ino), (FdKind::Pipe, 500));
        // ... and replaced when it does not
        s.apply(
            &Event::new(8, 10, 10, EventType::Write, 1)
                .arg("fd", 7i64)
                .arg("ino", 600i64)
                .arg("fd_mode", 0o040755i64)
                .arg("fd_path", "/srv"),
        );
        let f = s.lookup_fd(10, 7).unwrap();
        assert_eq!((f.kind, f.name()), (FdKind::Directory, "/srv"));
        // events without a description use the table as before
        s.apply(&Event::new(9, 10, 10, EventType::Write, 1).arg("fd", 3i64));
        assert_eq!(s.lookup_fd(10, 3).unwrap().ino, 300);
    }

    #[test]
    fn interned_paths_keep_names_and_raw_names_apart() {
        let mut s = State::default();
        let mut e = Event::new(1, 10, 10, EventType::Execve, 0);
        e.proc = Some(Box::new(ProcInfo {
            cwd: "/root".into(),
            ..Default::default()
        }));
        s.apply(&e);
        let open = |pid, fd, name: &str| {
            Event::new(2, pid, pid, EventType::Openat, fd)
                .arg("dirfd", -100i64)
                .arg("name", name)
                .arg("flags", 0i64)
        };
        s.apply(&open(10, 3, "/etc/hosts"));
        s.apply(&open(11, 3, "/etc/hosts"));
        s.apply(&open(10, 4, "../etc/hosts"));
        s.apply(&open(10, 5, "/etc//hosts"));
        let (a, b) = (s.lookup_fd(10, 3).unwrap(), s.lookup_fd(11, 3).unwrap());
        let (an, bn) = (a.names.as_ref().unwrap(), b.names.as_ref().unwrap());
        assert!(Arc::ptr_eq(an, bn));
        assert_eq!((a.name(), a.nameraw()), ("/etc/hosts", "/etc/hosts"));
        assert!(an.raw.is_none(), "one copy of a name that is its raw name");
        let r = s.lookup_fd(10, 4).unwrap();
        assert_eq!((r.name(), r.nameraw()), ("/etc/hosts", "../etc/hosts"));
        let r = s.lookup_fd(10, 5).unwrap();
        assert_eq!((r.name(), r.nameraw()), ("/etc/hosts", "/etc//hosts"));
        // past the table's bound paths are still right, only not shared
        for i in 0..MAX_INTERNED_PATHS {
            s.paths
                .insert(format!("/fill/{i}").into(), Arc::new(FdNames::default()));
        }
        s.apply(&open(10, 6, "/new/path"));
        assert_eq!(s.lookup_fd(10, 6).unwrap().name(), "/new/path");
        assert!(s.paths.len() <= MAX_INTERNED_PATHS + 14);
    }

    #[test]
    fn forked_fd_tables_are_independent_copies() {
        // fork shares the table copy-on-write: changes on either side after
        // the clone must not show on the other, exactly as with a deep copy
        let mut s = State::default();
        let open = |ts, pid, fd, name: &str| {
            Event::new(ts, pid, pid, EventType::Openat, fd)
                .arg("dirfd", -100i64)
                .arg("name", name)
                .arg("flags", 0i64)
        };
        s.apply(&open(1, 10, 3, "/etc/passwd"));
        s.apply(&open(2, 10, 4, "/etc/hosts"));
        s.apply(&Event::new(3, 10, 10, EventType::Clone, 11).arg("flags", 17i64));
        // child closes 3, parent keeps it
        let c = s.apply(&Event::new(4, 11, 11, EventType::Close, 0).arg("fd", 3i64));
        assert_eq!(c.fd.unwrap().name(), "/etc/passwd");
        assert!(s.lookup_fd(11, 3).is_none());
        assert_eq!(s.lookup_fd(10, 3).unwrap().name(), "/etc/passwd");
        // parent opens 5 and replaces 4, child sees neither
        s.apply(&open(5, 10, 5, "/etc/shadow"));
        s.apply(&open(6, 10, 4, "/etc/group"));
        assert!(s.lookup_fd(11, 5).is_none());
        assert_eq!(s.lookup_fd(11, 4).unwrap().name(), "/etc/hosts");
        assert_eq!(s.lookup_fd(10, 4).unwrap().name(), "/etc/group");
        // closing an fd the shared table does not hold changes nothing
        s.apply(&Event::new(7, 10, 10, EventType::Clone, 12).arg("flags", 17i64));
        let c = s.apply(&Event::new(8, 12, 12, EventType::Close, 0).arg("fd", 42i64));
        assert!(c.fd.is_none());
        assert_eq!(s.lookup_fd(12, 5).unwrap().name(), "/etc/shadow");
        // exit of the child leaves the parent's table whole
        s.finish(&Event::new(9, 11, 11, EventType::Procexit, 0));
        assert_eq!(s.lookup_fd(10, 3).unwrap().name(), "/etc/passwd");
        assert!(!s.fds.contains_key(&11));
    }
}
