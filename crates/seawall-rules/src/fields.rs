//! Field registry and extraction from an event plus the state tables.

use std::borrow::Cow;
use std::net::IpAddr;

use seawall_event::{ArgValue, Event, EventType};

use crate::flags;
use crate::state::{basename, dirname, FdInfo, Role, State, Thread, MAX_ANCESTORS};

/// Type of a field's values (decides how right-hand operands parse).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FType {
    Str,
    Int,
    Bool,
    Ip,
    /// An IP compared against networks (`fd.net = 10.0.0.0/8`).
    Net,
    Bytes,
}

/// Which ancestor-style field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AKind {
    Name,
    Exe,
    Exepath,
    Pid,
    Cmdline,
}

/// Field identifiers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fid {
    EvtType,
    EvtNum,
    EvtRes,
    EvtRawres,
    EvtFailed,
    EvtDir,
    EvtTime,
    EvtRawtime,
    EvtDatetime,
    EvtHostname,
    EvtSource,
    EvtArg(String),
    EvtArgIdx(usize),
    EvtRawArg(String),
    EvtArgs,
    EvtIsOpenRead,
    EvtIsOpenWrite,
    EvtIsOpenExec,
    EvtIsOpenCreate,
    EvtBuffer,
    EvtBuflen,
    ProcName,
    ProcExe,
    ProcExepath,
    ProcArgs,
    ProcCmdline,
    ProcEnv(Option<String>),
    ProcCwd,
    ProcTty,
    ProcPid,
    ProcVpid,
    ProcPpid,
    ProcPname,
    ProcPexe,
    ProcPexepath,
    ProcPcmdline,
    /// Ancestor field; `None` = any ancestor.
    Anc(AKind, Option<usize>),
    ProcSname,
    ProcSid,
    ProcVpgid,
    ProcVpgidName,
    ProcVpgidExe,
    ProcVpgidExepath,
    ProcIsVpgidLeader,
    ProcIsSidLeader,
    ProcIsExeUpperLayer,
    ProcIsExeFromMemfd,
    ProcIsExeWritable,
    ProcExeIno,
    ProcExeInoCtime,
    ProcExeInoMtime,
    ProcExeInoCtimeDurationProcStart,
    ProcDuration,
    ProcPpidDuration,
    ProcStartTs,
    ProcFalse,
    ThreadTid,
    ThreadVtid,
    ThreadIsMain,
    ThreadCapPermitted,
    ThreadCapEffective,
    ThreadCapInheritable,
    UserUid,
    UserName,
    UserLoginuid,
    UserLoginname,
    UserHomedir,
    UserShell,
    GroupGid,
    GroupName,
    FdNum,
    FdName,
    FdNameraw,
    FdDirectory,
    FdFilename,
    FdType,
    FdTypechar,
    FdL4proto,
    FdSockfamily,
    FdIp,
    FdCip,
    FdSip,
    FdLip,
    FdRip,
    FdPort,
    FdCport,
    FdSport,
    FdLport,
    FdRport,
    FdNet,
    FdCnet,
    FdSnet,
    FdLnet,
    FdRnet,
    /// DNS name of an fd address (`c`, `s`, `l`, `r`), from `dns` records.
    FdIpName(char),
    FdConnected,
    FdNameChanged,
    FdIsServer,
    FdTypes,
    ContainerId,
    ContainerName,
    ContainerImage,
    ContainerImageRepository,
    ContainerImageTag,
    ContainerImageDigest,
    ContainerType,
    ContainerPrivileged,
    ContainerMounts,
    ContainerMount(Option<String>),
    ContainerMountSource(Option<String>),
    ContainerMountDest(Option<String>),
    ContainerMountMode(Option<String>),
    ContainerMountRw(Option<String>),
    ContainerStartTs,
    ContainerDuration,
    ContainerIp,
    K8sNsName,
    K8sPodName,
    K8sPodUid,
    K8sPodLabel(Option<String>),
}

/// A resolved field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub id: Fid,
    pub ftype: FType,
    /// Multi-valued: `in` requires every value in the set.
    pub multi: bool,
}

/// Why a field name cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldError {
    Unknown,
    BadArg(String),
}

/// Resolve a field name and its optional `[arg]`.
pub fn resolve(name: &str, arg: Option<&str>) -> Result<Field, FieldError> {
    use FType::*;
    use Fid::*;
    let f = |id, ftype| {
        Ok(Field {
            id,
            ftype,
            multi: false,
        })
    };
    let need_no_arg = |r: Result<Field, FieldError>| -> Result<Field, FieldError> {
        if arg.is_some() {
            Err(FieldError::BadArg(format!(
                "field '{name}' does not take an argument"
            )))
        } else {
            r
        }
    };
    let idx = || -> Result<Option<usize>, FieldError> {
        match arg {
            None => Ok(None),
            Some(a) => a.trim().parse::<usize>().map(Some).map_err(|_| {
                FieldError::BadArg(format!("field '{name}' needs a numeric index, got '{a}'"))
            }),
        }
    };
    if let Some(p) = name.strip_prefix("evt.arg.") {
        return need_no_arg(f(EvtArg(p.to_string()), Str));
    }
    if let Some(p) = name.strip_prefix("evt.rawarg.") {
        return need_no_arg(f(EvtRawArg(p.to_string()), Str));
    }
    let with_arg = match name {
        "evt.arg" => Some(match arg {
            Some(a) => match a.trim().parse::<usize>() {
                Ok(i) => f(EvtArgIdx(i), Str),
                Err(_) => f(EvtArg(a.to_string()), Str),
            },
            None => Err(FieldError::BadArg(
                "field 'evt.arg' needs an argument".into(),
            )),
        }),
        "evt.rawarg" => Some(match arg {
            Some(a) => f(EvtRawArg(a.to_string()), Str),
            None => Err(FieldError::BadArg(
                "field 'evt.rawarg' needs an argument".into(),
            )),
        }),
        "proc.env" => Some(f(ProcEnv(arg.map(str::to_string)), Str)),
        "proc.aname" => Some(idx().and_then(|i| f(Anc(AKind::Name, i), Str))),
        "proc.aexe" => Some(idx().and_then(|i| f(Anc(AKind::Exe, i), Str))),
        "proc.aexepath" => Some(idx().and_then(|i| f(Anc(AKind::Exepath, i), Str))),
        "proc.acmdline" => Some(idx().and_then(|i| f(Anc(AKind::Cmdline, i), Str))),
        "proc.apid" => Some(idx().and_then(|i| f(Anc(AKind::Pid, i), Int))),
        "container.mount" => Some(f(ContainerMount(arg.map(str::to_string)), Str)),
        "container.mount.source" => Some(f(ContainerMountSource(arg.map(str::to_string)), Str)),
        "container.mount.dest" => Some(f(ContainerMountDest(arg.map(str::to_string)), Str)),
        "container.mount.mode" => Some(f(ContainerMountMode(arg.map(str::to_string)), Str)),
        "container.mount.rw" => Some(f(ContainerMountRw(arg.map(str::to_string)), Str)),
        "k8s.pod.label" => Some(f(K8sPodLabel(arg.map(str::to_string)), Str)),
        _ => None,
    };
    if let Some(r) = with_arg {
        // indexless mount fields are lists
        return r.map(|mut fl| {
            if matches!(
                fl.id,
                ContainerMountSource(None)
                    | ContainerMountDest(None)
                    | ContainerMountMode(None)
                    | ContainerMountRw(None)
                    | ContainerMount(None)
            ) {
                fl.multi = true;
            }
            fl
        });
    }
    let r = match name {
        "evt.type" => f(EvtType, Str),
        "evt.num" => f(EvtNum, Int),
        "evt.res" => f(EvtRes, Str),
        "evt.rawres" => f(EvtRawres, Int),
        "evt.failed" => f(EvtFailed, Bool),
        "evt.dir" => f(EvtDir, Str),
        "evt.time" => f(EvtTime, Str),
        "evt.rawtime" => f(EvtRawtime, Int),
        "evt.datetime" => f(EvtDatetime, Str),
        "evt.hostname" => f(EvtHostname, Str),
        "evt.source" => f(EvtSource, Str),
        "evt.args" => f(EvtArgs, Str),
        "evt.is_open_read" => f(EvtIsOpenRead, Bool),
        "evt.is_open_write" => f(EvtIsOpenWrite, Bool),
        "evt.is_open_exec" => f(EvtIsOpenExec, Bool),
        "evt.is_open_create" => f(EvtIsOpenCreate, Bool),
        "evt.buffer" => f(EvtBuffer, Bytes),
        "evt.buflen" => f(EvtBuflen, Int),
        "proc.name" => f(ProcName, Str),
        "proc.exe" => f(ProcExe, Str),
        "proc.exepath" => f(ProcExepath, Str),
        "proc.args" => f(ProcArgs, Str),
        "proc.cmdline" => f(ProcCmdline, Str),
        "proc.cwd" => f(ProcCwd, Str),
        "proc.tty" => f(ProcTty, Int),
        "proc.pid" => f(ProcPid, Int),
        "proc.vpid" => f(ProcVpid, Int),
        "proc.ppid" => f(ProcPpid, Int),
        "proc.pname" => f(ProcPname, Str),
        "proc.pexe" => f(ProcPexe, Str),
        "proc.pexepath" => f(ProcPexepath, Str),
        "proc.pcmdline" => f(ProcPcmdline, Str),
        "proc.sname" => f(ProcSname, Str),
        "proc.sid" => f(ProcSid, Int),
        "proc.vpgid" => f(ProcVpgid, Int),
        "proc.vpgid.name" => f(ProcVpgidName, Str),
        "proc.vpgid.exe" => f(ProcVpgidExe, Str),
        "proc.vpgid.exepath" => f(ProcVpgidExepath, Str),
        "proc.is_vpgid_leader" => f(ProcIsVpgidLeader, Bool),
        "proc.is_sid_leader" => f(ProcIsSidLeader, Bool),
        "proc.is_exe_upper_layer" => f(ProcIsExeUpperLayer, Bool),
        "proc.is_exe_from_memfd" => f(ProcIsExeFromMemfd, Bool),
        "proc.is_exe_writable" => f(ProcIsExeWritable, Bool),
        "proc.exe_ino" => f(ProcExeIno, Int),
        "proc.exe_ino.ctime" => f(ProcExeInoCtime, Int),
        "proc.exe_ino.mtime" => f(ProcExeInoMtime, Int),
        "proc.exe_ino.ctime_duration_proc_start" => f(ProcExeInoCtimeDurationProcStart, Int),
        "proc.duration" => f(ProcDuration, Int),
        "proc.ppid.duration" => f(ProcPpidDuration, Int),
        "proc.pid.ts" | "proc.start_ts" => f(ProcStartTs, Int),
        "proc.is_container_healthcheck"
        | "proc.is_container_liveness_probe"
        | "proc.is_container_readiness_probe" => f(ProcFalse, Bool),
        "thread.tid" => f(ThreadTid, Int),
        "thread.vtid" => f(ThreadVtid, Int),
        "thread.ismain" => f(ThreadIsMain, Bool),
        "thread.cap_permitted" => f(ThreadCapPermitted, Str),
        "thread.cap_effective" => f(ThreadCapEffective, Str),
        "thread.cap_inheritable" => f(ThreadCapInheritable, Str),
        "user.uid" => f(UserUid, Int),
        "user.name" => f(UserName, Str),
        "user.loginuid" => f(UserLoginuid, Int),
        "user.loginname" => f(UserLoginname, Str),
        "user.homedir" => f(UserHomedir, Str),
        "user.shell" => f(UserShell, Str),
        "group.gid" => f(GroupGid, Int),
        "group.name" => f(GroupName, Str),
        "fd.num" => f(FdNum, Int),
        "fd.name" => f(FdName, Str),
        "fd.nameraw" => f(FdNameraw, Str),
        "fd.directory" => f(FdDirectory, Str),
        "fd.filename" => f(FdFilename, Str),
        "fd.type" => f(FdType, Str),
        "fd.typechar" => f(FdTypechar, Str),
        "fd.l4proto" => f(FdL4proto, Str),
        "fd.sockfamily" => f(FdSockfamily, Str),
        "fd.ip" => f(FdIp, Ip),
        "fd.cip" => f(FdCip, Ip),
        "fd.sip" => f(FdSip, Ip),
        "fd.lip" => f(FdLip, Ip),
        "fd.rip" => f(FdRip, Ip),
        "fd.port" => f(FdPort, Int),
        "fd.cport" => f(FdCport, Int),
        "fd.sport" => f(FdSport, Int),
        "fd.lport" => f(FdLport, Int),
        "fd.rport" => f(FdRport, Int),
        "fd.net" => f(FdNet, Net),
        "fd.cnet" => f(FdCnet, Net),
        "fd.snet" => f(FdSnet, Net),
        "fd.lnet" => f(FdLnet, Net),
        "fd.rnet" => f(FdRnet, Net),
        "fd.cip.name" => f(FdIpName('c'), Str),
        "fd.sip.name" => f(FdIpName('s'), Str),
        "fd.lip.name" => f(FdIpName('l'), Str),
        "fd.rip.name" => f(FdIpName('r'), Str),
        "fd.connected" => f(FdConnected, Bool),
        "fd.name_changed" => f(FdNameChanged, Bool),
        "fd.is_server" => f(FdIsServer, Bool),
        "fd.types" => Ok(Field {
            id: FdTypes,
            ftype: Str,
            multi: true,
        }),
        "container.id" => f(ContainerId, Str),
        "container.name" => f(ContainerName, Str),
        "container.image" => f(ContainerImage, Str),
        "container.image.repository" => f(ContainerImageRepository, Str),
        "container.image.tag" => f(ContainerImageTag, Str),
        "container.image.digest" => f(ContainerImageDigest, Str),
        "container.type" => f(ContainerType, Str),
        "container.privileged" => f(ContainerPrivileged, Bool),
        "container.mounts" => f(ContainerMounts, Str),
        "container.start_ts" => f(ContainerStartTs, Int),
        "container.duration" => f(ContainerDuration, Int),
        "container.ip" => f(ContainerIp, Str),
        "k8s.ns.name" => f(K8sNsName, Str),
        "k8s.pod.name" => f(K8sPodName, Str),
        "k8s.pod.uid" => f(K8sPodUid, Str),
        _ => Err(FieldError::Unknown),
    };
    need_no_arg(r)
}

/// An extracted value.
#[derive(Clone, Debug, PartialEq)]
pub enum V<'a> {
    Null,
    S(Cow<'a, str>),
    I(i64),
    B(bool),
    Ip(IpAddr),
    Bytes(Cow<'a, [u8]>),
    /// Several candidate values, any of which may match (ancestors, fd.ip).
    Any(Vec<V<'a>>),
    /// A list-valued field.
    Multi(Vec<V<'a>>),
}

impl V<'_> {
    /// Falco-like rendering for outputs; `None` for NULL.
    pub fn render(&self) -> Option<String> {
        match self {
            V::Null => None,
            V::S(s) => Some(s.to_string()),
            V::I(i) => Some(i.to_string()),
            V::B(b) => Some(b.to_string()),
            V::Ip(ip) => Some(ip.to_string()),
            V::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
            V::Any(v) => v.iter().find_map(|x| x.render()),
            V::Multi(v) => Some(
                v.iter()
                    .filter_map(|x| x.render())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        }
    }
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            V::Null => serde_json::Value::Null,
            V::I(i) => serde_json::Value::from(*i),
            V::B(b) => serde_json::Value::from(*b),
            V::Any(v) => v
                .iter()
                .find(|x| !matches!(x, V::Null))
                .map(|x| x.to_json())
                .unwrap_or(serde_json::Value::Null),
            other => other
                .render()
                .map(serde_json::Value::from)
                .unwrap_or(serde_json::Value::Null),
        }
    }
}

/// An integer or boolean field value (see [`Ctx::num_field`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Num {
    I(i64),
    B(bool),
}

impl Num {
    pub fn to_v(self) -> V<'static> {
        match self {
            Num::I(i) => V::I(i),
            Num::B(b) => V::B(b),
        }
    }
}

/// Everything extraction needs for one event.
pub struct Ctx<'a> {
    pub ev: &'a Event,
    pub st: &'a State,
    pub th: Option<&'a Thread>,
    pub fd: Option<&'a FdInfo>,
    pub evtnum: u64,
    /// `ev.evt_type.code()`, computed once per event.
    pub code: Option<usize>,
    /// `evt.arg.flags` already rendered (see [`render_flags`]); when `None`
    /// it is rendered on demand, with the same result.
    pub flags: Option<&'a str>,
    /// Per-event macro results by macro id, then the table's generation
    /// (see `compile::memo_cell`; all zero: nothing known; empty: no
    /// memo).
    pub memo: &'a [std::cell::Cell<u8>],
}

impl<'a> Ctx<'a> {
    /// The context for `ev` once [`State::apply`] has run on it: its thread,
    /// and its fd (the one the event carries, else the table's entry).
    pub fn new(
        ev: &'a Event,
        st: &'a State,
        efd: &'a crate::state::EventFd,
        evtnum: u64,
        memo: &'a [std::cell::Cell<u8>],
    ) -> Ctx<'a> {
        let fd = efd
            .fd
            .as_ref()
            .or_else(|| efd.fd_ref.and_then(|n| st.lookup_fd(ev.pid, n)));
        Ctx {
            ev,
            st,
            th: st.threads.get(&ev.tid),
            fd,
            evtnum,
            code: ev.evt_type.code(),
            flags: None,
            memo,
        }
    }
}

/// Render the event's `flags` parameter, when it is an integer with a
/// Falco rendering; the engine does this once per event because many rules
/// test `evt.arg.flags`.
pub fn render_flags(ev: &Event) -> Option<String> {
    render_param(ev, "flags")
}

/// Render an integer parameter of the event, when Falco renders it as
/// flags or a name (`flags`, `mode`, ...).
pub fn render_param(ev: &Event, name: &str) -> Option<String> {
    match ev.args.get(name) {
        Some(ArgValue::Int(i)) => {
            let created = ev
                .args
                .get("fmode")
                .and_then(ArgValue::as_i64)
                .is_some_and(|m| m & 0x100000 != 0);
            flags::render(ev.evt_type.name(), name, *i, created)
        }
        _ => None,
    }
}

/// `evt.arg.*` names [`Ctx::arg_by_name`] does not just look up: rendered
/// or derived values, and values taken from the tables when the event has
/// no such parameter.
pub fn arg_has_fallback(name: &str) -> bool {
    matches!(
        name,
        "flags" | "res" | "res_or_fd" | "fd" | "exe" | "cwd" | "args" | "filename"
    )
}

fn s(v: &str) -> V<'_> {
    V::S(Cow::Borrowed(v))
}

fn opt_s(v: &str) -> V<'_> {
    if v.is_empty() {
        V::Null
    } else {
        V::S(Cow::Borrowed(v))
    }
}

impl<'a> Ctx<'a> {
    fn parent(&self, t: &Thread) -> Option<&'a Thread> {
        if t.ptid <= 0 || t.ptid == t.tid {
            return None;
        }
        self.st.threads.get(&t.ptid)
    }

    fn container(&self) -> Option<&'a crate::state::Container> {
        let id = self
            .th
            .and_then(|t| t.container_id.as_deref())
            .or(self.ev.container_id.as_deref())?;
        self.st.containers.get(id)
    }

    fn container_id(&self) -> Option<&'a str> {
        self.th
            .and_then(|t| t.container_id.as_deref())
            .or(self.ev.container_id.as_deref())
    }

    fn anc_value(&self, t: &'a Thread, k: AKind) -> V<'a> {
        match k {
            AKind::Name => opt_s(&t.image.name),
            AKind::Exe => opt_s(&t.image.exe),
            AKind::Exepath => opt_s(&t.image.exepath),
            AKind::Cmdline => opt_s(&t.image.cmdline),
            AKind::Pid => V::I(t.pid),
        }
    }

    fn is_open(&self) -> bool {
        self.ev.evt_type.is_open()
    }

    fn open_flags(&self) -> i64 {
        self.fd.map(|f| f.flags).unwrap_or(0)
    }

    /// Render a parameter the way Falco's `evt.arg.X` does.
    fn render_arg(&self, name: &str, v: &'a ArgValue) -> V<'a> {
        let et = self.ev.evt_type.name();
        match v {
            ArgValue::Int(i) => {
                let created = self.created();
                if let Some(r) = flags::render(et, name, *i, created) {
                    return V::S(Cow::Owned(r));
                }
                if matches!(name, "uid" | "euid" | "ruid" | "suid") {
                    if let Ok(u) = u32::try_from(*i) {
                        if let Some(n) = self.st.user_name(self.container_id(), u) {
                            return s(n);
                        }
                    }
                }
                V::S(Cow::Owned(i.to_string()))
            }
            ArgValue::UInt(u) => V::S(Cow::Owned(u.to_string())),
            ArgValue::Str(x) => s(x),
            ArgValue::List(l) => V::S(Cow::Owned(l.join(" "))),
            ArgValue::Bytes(b) => V::S(String::from_utf8_lossy(&b.0)),
            ArgValue::Sock(t) => {
                let src = match (t.sip, t.sport) {
                    (Some(ip), Some(p)) => format!("{ip}:{p}"),
                    (Some(ip), None) => ip.to_string(),
                    _ => t.path.clone().unwrap_or_default(),
                };
                let r = match (t.dip, t.dport) {
                    (Some(ip), Some(p)) => format!("{src}->{ip}:{p}"),
                    _ => src,
                };
                V::S(Cow::Owned(r))
            }
        }
    }

    fn created(&self) -> bool {
        self.ev
            .args
            .get("fmode")
            .and_then(ArgValue::as_i64)
            .is_some_and(|m| m & 0x100000 != 0)
    }

    fn exe_flags(&self) -> V<'a> {
        let Some(t) = self.th else { return V::Null };
        let mut v = Vec::new();
        if t.image.exe_writable {
            v.push("EXE_WRITABLE");
        }
        if t.image.exe_upper_layer {
            v.push("EXE_UPPER_LAYER");
        } else {
            v.push("EXE_LOWER_LAYER");
        }
        if t.image.exe_from_memfd {
            v.push("EXE_FROM_MEMFD");
        }
        V::S(Cow::Owned(v.join("|")))
    }

    fn arg_by_name(&self, name: &str) -> V<'a> {
        let ev: &'a Event = self.ev;
        if let Some(slot) = crate::state::RENDERED.iter().position(|p| *p == name) {
            if let (true, Some(f)) = (slot == 0, self.flags) {
                return s(f);
            }
            // rendered on demand (few conditions look at it), once per event
            let key = (ev as *const Event as usize, ev.ts_ns);
            if let Some(cell) = self.st.rendered.get(slot) {
                let cached = cell.get_or_init(|| (key, render_param(ev, name)));
                if cached.0 == key {
                    if let Some(f) = &cached.1 {
                        return s(f);
                    }
                } else if let Some(f) = render_param(ev, name) {
                    return V::S(Cow::Owned(f));
                }
            }
        }
        if matches!(ev.evt_type, EventType::Execve | EventType::Execveat) && name == "flags" {
            return self.exe_flags();
        }
        match name {
            "res" => return V::S(self.res_string()),
            "res_or_fd" | "fd"
                if !ev.args.iter().any(|(n, _)| n == name)
                    && (name == "res_or_fd" || ev.res >= 0) =>
            {
                return V::S(Cow::Owned(ev.res.to_string()));
            }
            _ => {}
        }
        match ev.args.get(name) {
            Some(v) => self.render_arg(name, v),
            None => match (name, &ev.evt_type) {
                // execve's exit parameters live in the process info
                ("exe", _) => self.th.map(|t| opt_s(&t.image.exe)).unwrap_or(V::Null),
                ("cwd", _) => self.th.map(|t| opt_s(&t.cwd)).unwrap_or(V::Null),
                ("args", EventType::Execve | EventType::Execveat) => self
                    .th
                    .map(|t| opt_s(t.image.args_joined()))
                    .unwrap_or(V::Null),
                ("filename", EventType::Execve | EventType::Execveat) => {
                    self.th.map(|t| opt_s(&t.image.exepath)).unwrap_or(V::Null)
                }
                _ => V::Null,
            },
        }
    }

    fn res_string(&self) -> Cow<'static, str> {
        if self.ev.res >= 0 {
            Cow::Borrowed("SUCCESS")
        } else {
            Cow::Owned(flags::errno_name(self.ev.res))
        }
    }

    fn fd_ip(&self, which: char) -> V<'a> {
        let Some(fd) = self.fd else { return V::Null };
        let fd = fd.net();
        // c = client (source), s = server (dest), l = local, r = remote
        let (c, s_) = (fd.sip, fd.dip);
        let v = match which {
            'c' => c,
            's' => s_,
            'l' => {
                if fd.role == Role::Server {
                    s_
                } else {
                    c
                }
            }
            'r' => {
                if fd.role == Role::Server {
                    c
                } else {
                    s_
                }
            }
            _ => None,
        };
        v.map(V::Ip).unwrap_or(V::Null)
    }

    fn fd_port(&self, which: char) -> V<'a> {
        let Some(fd) = self.fd else { return V::Null };
        let fd = fd.net();
        let (c, s_) = (fd.sport, fd.dport);
        let v = match which {
            'c' => c,
            's' => s_,
            'l' => {
                if fd.role == Role::Server {
                    s_
                } else {
                    c
                }
            }
            'r' => {
                if fd.role == Role::Server {
                    c
                } else {
                    s_
                }
            }
            _ => None,
        };
        v.map(|p| V::I(i64::from(p))).unwrap_or(V::Null)
    }

    fn mount_field(&self, arg: &Option<String>, part: u8) -> V<'a> {
        let Some(c) = self.container() else {
            return V::Null;
        };
        let render = |m: &'a seawall_event::Mount| -> V<'a> {
            match part {
                0 => V::S(Cow::Owned(format!(
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
                ))),
                1 => s(&m.source),
                2 => s(&m.dest),
                3 => s(&m.mode),
                _ => V::S(Cow::Borrowed(if m.rw { "true" } else { "false" })),
            }
        };
        match arg {
            None => V::Multi(c.info.mounts.iter().map(render).collect()),
            Some(a) => {
                if let Ok(i) = a.trim().parse::<usize>() {
                    return c.info.mounts.get(i).map(render).unwrap_or(V::Null);
                }
                // by glob on the source path (Falco keys mounts by source)
                let hit = c
                    .info
                    .mounts
                    .iter()
                    .find(|m| crate::glob::glob_match(a, &m.source, false));
                hit.map(render).unwrap_or(V::Null)
            }
        }
    }

    fn label(&self, key: &str) -> V<'a> {
        self.container()
            .and_then(|c| c.info.labels.get(key))
            .map(|v| s(v))
            .unwrap_or(V::Null)
    }

    /// For an "any of" field (see [`is_any_of`]): whether `f` holds for one
    /// of the candidate values [`Ctx::extract`] would list in a [`V::Any`]
    /// (false when there are none), without building the list.
    pub fn any_of(&self, id: &Fid, f: &mut dyn FnMut(&V<'a>) -> bool) -> bool {
        match id {
            Fid::FdIp | Fid::FdNet => f(&self.fd_ip('c')) || f(&self.fd_ip('s')),
            Fid::FdPort => f(&self.fd_port('c')) || f(&self.fd_port('s')),
            Fid::Anc(k, None) => {
                let Some(t) = self.th else { return false };
                let mut cur = t;
                for _ in 0..MAX_ANCESTORS {
                    match self.parent(cur) {
                        Some(p) if p.tid != t.tid => {
                            if f(&self.anc_value(p, *k)) {
                                return true;
                            }
                            cur = p;
                        }
                        _ => break,
                    }
                }
                false
            }
            other => f(&self.extract(other)),
        }
    }

    /// For the common fields whose value is a borrowed string or NULL: the
    /// value [`Ctx::extract`] gives (`Some(None)` for NULL) without building
    /// a [`V`]; `None` for every other field.
    pub fn str_field(&self, id: &Fid) -> Option<Option<&'a str>> {
        use Fid::*;
        fn opt(v: &str) -> Option<&str> {
            if v.is_empty() {
                None
            } else {
                Some(v)
            }
        }
        let th = self.th;
        let parent = || th.and_then(|t| self.parent(t));
        Some(match id {
            EvtType => Some(self.ev.evt_type.name()),
            ProcName => th.and_then(|t| opt(&t.image.name)),
            ProcExe => th.and_then(|t| opt(&t.image.exe)),
            ProcExepath => th.and_then(|t| opt(&t.image.exepath)),
            ProcArgs => th.map(|t| t.image.args_joined()),
            ProcCmdline => th.and_then(|t| opt(&t.image.cmdline)),
            ProcCwd => th.and_then(|t| opt(&t.cwd)),
            ProcPname => parent().and_then(|p| opt(&p.image.name)),
            ProcPexe => parent().and_then(|p| opt(&p.image.exe)),
            ProcPexepath => parent().and_then(|p| opt(&p.image.exepath)),
            ProcPcmdline => parent().and_then(|p| opt(&p.image.cmdline)),
            FdName => self.fd.and_then(|f| opt(f.name())),
            FdNameraw => self.fd.and_then(|f| opt(f.nameraw())),
            FdDirectory => self
                .fd
                .filter(|f| {
                    matches!(
                        f.kind,
                        seawall_event::FdKind::File | seawall_event::FdKind::Directory
                    )
                })
                .map(|f| {
                    if f.kind == seawall_event::FdKind::Directory {
                        f.name()
                    } else {
                        dirname(f.name())
                    }
                }),
            FdFilename => self
                .fd
                .filter(|f| f.kind == seawall_event::FdKind::File)
                .map(|f| basename(f.name())),
            FdType => self.fd.map(|f| f.type_name()),
            FdTypechar => self.fd.map(|f| f.typechar()),
            FdL4proto => self.fd.and_then(|f| f.net().l4proto.as_deref()),
            ProcSname => th
                .and_then(|t| self.st.threads.get(&t.sid))
                .and_then(|p| opt(&p.image.name)),
            UserName => th.and_then(|t| self.st.user_name(self.container_id(), t.uid)),
            UserLoginname => th.and_then(|t| {
                if t.loginuid == u32::MAX {
                    None
                } else {
                    self.st.user_name(None, t.loginuid)
                }
            }),
            UserHomedir => th.and_then(|t| {
                self.st
                    .user(self.container_id(), t.uid)
                    .map(|u| u.home.as_str())
            }),
            UserShell => th.and_then(|t| {
                self.st
                    .user(self.container_id(), t.uid)
                    .map(|u| u.shell.as_str())
            }),
            GroupName => th.and_then(|t| self.st.group_name(self.container_id(), t.gid)),
            ContainerName => match (self.container_id(), self.container()) {
                (None, _) => Some("host"),
                (Some(_), Some(c)) => opt(&c.info.name),
                (Some(_), None) => None,
            },
            ContainerType => match self.container_id() {
                None => Some("host"),
                Some(_) => self.container().and_then(|c| opt(&c.info.runtime)),
            },
            ContainerId => Some(self.container_id().unwrap_or("host")),
            ContainerImage => self.container().and_then(|c| opt(&c.info.image)),
            ContainerImageRepository => self.container().and_then(|c| opt(&c.repository)),
            ContainerImageTag => self.container().and_then(|c| opt(&c.tag)),
            // a string parameter as `arg_by_name` renders it; absent, NULL
            // unless a fallback or rendering applies
            EvtArg(n) if !arg_has_fallback(n) => match self.ev.args.get(n) {
                Some(ArgValue::Str(x)) => Some(x.as_str()),
                // a value rendered as one name of a table (`AF_INET`)
                Some(ArgValue::Int(i)) => {
                    match flags::render_static(self.ev.evt_type.name(), n, *i) {
                        Some(r) => Some(r),
                        None => return None,
                    }
                }
                Some(_) => return None,
                None => None,
            },
            _ => return None,
        })
    }

    /// For the common integer and boolean fields: the value
    /// [`Ctx::extract`] gives, as `Some(Some(Num::I(..)))` for `V::I`,
    /// `Some(Some(Num::B(..)))` for `V::B`, `Some(None)` for NULL, without
    /// building a [`V`]; `None` for every other field.
    pub fn num_field(&self, id: &Fid) -> Option<Option<Num>> {
        use Fid::*;
        let ev = self.ev;
        let th = self.th;
        Some(match id {
            EvtNum => Some(Num::I(self.evtnum as i64)),
            EvtRawres => Some(Num::I(ev.res)),
            EvtFailed => Some(Num::B(ev.res < 0)),
            EvtIsOpenRead => Some(Num::B(
                self.is_open() && matches!(self.open_flags() & 3, 0 | 2),
            )),
            EvtIsOpenWrite => Some(Num::B(
                self.is_open() && matches!(self.open_flags() & 3, 1 | 2),
            )),
            ProcPid => th.map(|t| Num::I(t.pid)),
            ProcPpid => th.map(|t| Num::I(t.ptid)),
            ProcTty => th.map(|t| Num::I(i64::from(t.tty))),
            ProcDuration => th.map(|t| Num::I(ev.ts_ns.saturating_sub(t.start_ts) as i64)),
            ProcIsExeUpperLayer => th.map(|t| Num::B(t.image.exe_upper_layer)),
            ProcIsExeFromMemfd => th.map(|t| Num::B(t.image.exe_from_memfd)),
            ProcIsExeWritable => th.map(|t| Num::B(t.image.exe_writable)),
            ThreadTid => Some(Num::I(ev.tid)),
            ThreadIsMain => Some(Num::B(ev.tid == ev.pid)),
            UserUid => th.map(|t| Num::I(i64::from(t.uid))),
            UserLoginuid => th.map(|t| {
                Num::I(if t.loginuid == u32::MAX {
                    -1
                } else {
                    i64::from(t.loginuid)
                })
            }),
            GroupGid => th.map(|t| Num::I(i64::from(t.gid))),
            FdNum => self.fd.map(|f| Num::I(f.num)),
            FdConnected => self.fd.map(|f| Num::B(f.net().connected)),
            FdIsServer => self.fd.map(|f| Num::B(f.net().role == Role::Server)),
            _ => return None,
        })
    }

    /// Extract a field value.
    pub fn extract(&self, id: &Fid) -> V<'a> {
        use Fid::*;
        let ev: &'a Event = self.ev;
        let th = self.th;
        macro_rules! thv {
            ($t:ident => $e:expr) => {
                match th {
                    Some($t) => $e,
                    None => V::Null,
                }
            };
        }
        match id {
            EvtType => s(ev.evt_type.name()),
            EvtNum => V::I(self.evtnum as i64),
            EvtRes => V::S(self.res_string()),
            EvtRawres => V::I(ev.res),
            EvtFailed => V::B(ev.res < 0),
            EvtDir => s("<"),
            EvtTime => V::S(Cow::Owned(fmt_time(ev.ts_ns, false))),
            EvtDatetime => V::S(Cow::Owned(fmt_time(ev.ts_ns, true))),
            EvtRawtime => V::I(ev.ts_ns as i64),
            EvtHostname => opt_s(&self.st.hostname),
            EvtSource => s("syscall"),
            EvtArg(n) => self.arg_by_name(n),
            EvtArgIdx(i) => match ev.args.0.get(*i) {
                Some((n, v)) => self.render_arg(n, v),
                None => V::Null,
            },
            EvtRawArg(n) => match ev.args.get(n) {
                Some(ArgValue::Int(i)) => V::I(*i),
                Some(ArgValue::UInt(u)) => V::I(*u as i64),
                Some(v) => self.render_arg(n, v),
                None => V::Null,
            },
            EvtArgs => {
                let mut out = String::new();
                for (n, v) in ev.args.iter() {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(n);
                    out.push('=');
                    out.push_str(&self.render_arg(n, v).render().unwrap_or_default());
                }
                V::S(Cow::Owned(out))
            }
            EvtIsOpenRead => V::B(self.is_open() && matches!(self.open_flags() & 3, 0 | 2)),
            EvtIsOpenWrite => V::B(self.is_open() && matches!(self.open_flags() & 3, 1 | 2)),
            EvtIsOpenExec => V::B(
                self.is_open()
                    && ev
                        .args
                        .get("fmode")
                        .and_then(ArgValue::as_i64)
                        .is_some_and(|m| m & 0x20 != 0),
            ),
            EvtIsOpenCreate => {
                V::B(self.is_open() && (self.created() || ev.evt_type == EventType::Creat))
            }
            EvtBuffer => match ev.args.get("data") {
                Some(ArgValue::Bytes(b)) => V::Bytes(Cow::Borrowed(&b.0)),
                Some(ArgValue::Str(x)) => V::Bytes(Cow::Borrowed(x.as_bytes())),
                _ => V::Null,
            },
            EvtBuflen => match ev.args.get("data") {
                Some(ArgValue::Bytes(b)) => V::I(b.0.len() as i64),
                Some(ArgValue::Str(x)) => V::I(x.len() as i64),
                _ => ev
                    .args
                    .get("size")
                    .and_then(ArgValue::as_i64)
                    .map(V::I)
                    .unwrap_or(V::Null),
            },
            ProcName => thv!(t => opt_s(&t.image.name)),
            ProcExe => thv!(t => opt_s(&t.image.exe)),
            ProcExepath => thv!(t => opt_s(&t.image.exepath)),
            ProcArgs => thv!(t => s(t.image.args_joined())),
            ProcCmdline => thv!(t => opt_s(&t.image.cmdline)),
            ProcEnv(None) => thv!(t => s(&t.image.env_joined)),
            ProcEnv(Some(k)) => thv!(t => t
                .image
                .env
                .iter()
                .find_map(|e| e.strip_prefix(k.as_str()).and_then(|r| r.strip_prefix('=')))
                .map(s)
                .unwrap_or(V::Null)),
            ProcCwd => thv!(t => opt_s(&t.cwd)),
            ProcTty => thv!(t => V::I(i64::from(t.tty))),
            ProcPid => thv!(t => V::I(t.pid)),
            ProcVpid => thv!(t => V::I(t.vpid)),
            ProcPpid => thv!(t => V::I(t.ptid)),
            ProcPname => thv!(t => self.parent(t).map(|p| opt_s(&p.image.name)).unwrap_or(V::Null)),
            ProcPexe => thv!(t => self.parent(t).map(|p| opt_s(&p.image.exe)).unwrap_or(V::Null)),
            ProcPexepath => {
                thv!(t => self.parent(t).map(|p| opt_s(&p.image.exepath)).unwrap_or(V::Null))
            }
            ProcPcmdline => {
                thv!(t => self.parent(t).map(|p| opt_s(&p.image.cmdline)).unwrap_or(V::Null))
            }
            Anc(k, Some(0)) => thv!(t => self.anc_value(t, *k)),
            Anc(k, Some(n)) => thv!(t => {
                let mut cur = t;
                let mut ok = true;
                for _ in 0..(*n).min(MAX_ANCESTORS) {
                    match self.parent(cur) {
                        Some(p) => cur = p,
                        None => {
                            ok = false;
                            break;
                        }
                    }
                }
                if ok && *n <= MAX_ANCESTORS {
                    self.anc_value(cur, *k)
                } else {
                    V::Null
                }
            }),
            Anc(k, None) => thv!(t => {
                let mut v = Vec::new();
                let mut cur = t;
                for _ in 0..MAX_ANCESTORS {
                    match self.parent(cur) {
                        Some(p) if p.tid != t.tid => {
                            v.push(self.anc_value(p, *k));
                            cur = p;
                        }
                        _ => break,
                    }
                }
                if v.is_empty() { V::Null } else { V::Any(v) }
            }),
            ProcSname => {
                thv!(t => self.st.threads.get(&t.sid).map(|p| opt_s(&p.image.name)).unwrap_or(V::Null))
            }
            ProcSid => thv!(t => V::I(t.sid)),
            ProcVpgid => thv!(t => V::I(t.vpgid)),
            ProcVpgidName | ProcVpgidExe | ProcVpgidExepath => thv!(t => {
                // the group leader, looked up by host pgid
                let leader = self.st.threads.get(&t.pgid);
                match (leader, id) {
                    (Some(l), ProcVpgidName) => opt_s(&l.image.name),
                    (Some(l), ProcVpgidExe) => opt_s(&l.image.exe),
                    (Some(l), _) => opt_s(&l.image.exepath),
                    (None, _) => V::Null,
                }
            }),
            ProcIsVpgidLeader => thv!(t => V::B(t.pgid != 0 && t.pid == t.pgid)),
            ProcIsSidLeader => thv!(t => V::B(t.sid != 0 && t.pid == t.sid)),
            ProcIsExeUpperLayer => thv!(t => V::B(t.image.exe_upper_layer)),
            ProcIsExeFromMemfd => thv!(t => V::B(t.image.exe_from_memfd)),
            ProcIsExeWritable => thv!(t => V::B(t.image.exe_writable)),
            ProcExeIno => thv!(t => nz(t.image.exe_ino)),
            ProcExeInoCtime => thv!(t => nz(t.image.exe_ino_ctime)),
            ProcExeInoMtime => thv!(t => nz(t.image.exe_ino_mtime)),
            ProcExeInoCtimeDurationProcStart => thv!(t => {
                if t.image.exe_ino_ctime == 0 {
                    V::Null
                } else {
                    V::I(t.start_ts as i64 - t.image.exe_ino_ctime as i64)
                }
            }),
            ProcDuration => thv!(t => V::I(ev.ts_ns.saturating_sub(t.start_ts) as i64)),
            ProcPpidDuration => thv!(t => self
                .parent(t)
                .map(|p| V::I(ev.ts_ns.saturating_sub(p.start_ts) as i64))
                .unwrap_or(V::Null)),
            ProcStartTs => thv!(t => V::I(t.start_ts as i64)),
            ProcFalse => V::B(false),
            ThreadTid => V::I(ev.tid),
            ThreadVtid => thv!(t => V::I(t.vtid)),
            ThreadIsMain => V::B(ev.tid == ev.pid),
            ThreadCapPermitted => thv!(t => V::S(Cow::Owned(flags::caps(t.cap_permitted)))),
            ThreadCapEffective => thv!(t => V::S(Cow::Owned(flags::caps(t.cap_effective)))),
            ThreadCapInheritable => thv!(t => V::S(Cow::Owned(flags::caps(t.cap_inheritable)))),
            UserUid => thv!(t => V::I(i64::from(t.uid))),
            UserName => thv!(t => self
                .st
                .user_name(self.container_id(), t.uid)
                .map(s)
                .unwrap_or(V::Null)),
            UserLoginuid => {
                thv!(t => V::I(if t.loginuid == u32::MAX { -1 } else { i64::from(t.loginuid) }))
            }
            UserLoginname => thv!(t => {
                if t.loginuid == u32::MAX {
                    V::Null
                } else {
                    self.st.user_name(None, t.loginuid).map(s).unwrap_or(V::Null)
                }
            }),
            UserHomedir => {
                thv!(t => self.st.user(self.container_id(), t.uid).map(|u| s(&u.home)).unwrap_or(V::Null))
            }
            UserShell => {
                thv!(t => self.st.user(self.container_id(), t.uid).map(|u| s(&u.shell)).unwrap_or(V::Null))
            }
            GroupGid => thv!(t => V::I(i64::from(t.gid))),
            GroupName => thv!(t => self
                .st
                .group_name(self.container_id(), t.gid)
                .map(s)
                .unwrap_or(V::Null)),
            FdNum => match self.fd {
                Some(f) => V::I(f.num),
                None => V::Null,
            },
            FdName => self.fd.map(|f| opt_s(f.name())).unwrap_or(V::Null),
            FdNameraw => self.fd.map(|f| opt_s(f.nameraw())).unwrap_or(V::Null),
            FdDirectory => self
                .fd
                .filter(|f| {
                    matches!(
                        f.kind,
                        seawall_event::FdKind::File | seawall_event::FdKind::Directory
                    )
                })
                .map(|f| {
                    if f.kind == seawall_event::FdKind::Directory {
                        s(f.name())
                    } else {
                        s(dirname(f.name()))
                    }
                })
                .unwrap_or(V::Null),
            FdFilename => self
                .fd
                .filter(|f| f.kind == seawall_event::FdKind::File)
                .map(|f| s(basename(f.name())))
                .unwrap_or(V::Null),
            FdType => self.fd.map(|f| s(f.type_name())).unwrap_or(V::Null),
            FdTypechar => self.fd.map(|f| s(f.typechar())).unwrap_or(V::Null),
            FdL4proto => self
                .fd
                .and_then(|f| f.net().l4proto.as_deref())
                .map(s)
                .unwrap_or(V::Null),
            FdSockfamily => self
                .fd
                .and_then(|f| f.net().family)
                .map(|fam| {
                    s(match fam {
                        seawall_event::SockFamily::Inet => "ip",
                        seawall_event::SockFamily::Inet6 => "ip",
                        seawall_event::SockFamily::Unix => "unix",
                        seawall_event::SockFamily::Netlink => "netlink",
                        seawall_event::SockFamily::Packet => "packet",
                        seawall_event::SockFamily::Other => "other",
                    })
                })
                .unwrap_or(V::Null),
            FdIp | FdNet => V::Any(vec![self.fd_ip('c'), self.fd_ip('s')]),
            FdCip | FdCnet => self.fd_ip('c'),
            FdSip | FdSnet => self.fd_ip('s'),
            FdLip | FdLnet => self.fd_ip('l'),
            FdRip | FdRnet => self.fd_ip('r'),
            FdPort => V::Any(vec![self.fd_port('c'), self.fd_port('s')]),
            FdCport => self.fd_port('c'),
            FdSport => self.fd_port('s'),
            FdLport => self.fd_port('l'),
            FdRport => self.fd_port('r'),
            FdIpName(w) => match self.fd_ip(*w) {
                V::Ip(ip) => self.st.dns.get(&ip).map(|n| s(n)).unwrap_or(V::Null),
                _ => V::Null,
            },
            FdConnected => self.fd.map(|f| V::B(f.net().connected)).unwrap_or(V::Null),
            FdNameChanged => self
                .fd
                .map(|f| V::B(f.net().name_changed))
                .unwrap_or(V::Null),
            FdIsServer => self
                .fd
                .map(|f| V::B(f.net().role == Role::Server))
                .unwrap_or(V::Null),
            FdTypes => match self.st.fds.get(&ev.pid) {
                Some(tab) => {
                    let mut v: Vec<&'static str> = tab.values().map(|f| f.type_name()).collect();
                    v.sort_unstable();
                    v.dedup();
                    V::Multi(v.into_iter().map(s).collect())
                }
                None => V::Null,
            },
            ContainerId => match self.container_id() {
                Some(id) => s(id),
                None => s("host"),
            },
            ContainerName => match (self.container_id(), self.container()) {
                (None, _) => s("host"),
                (Some(_), Some(c)) => opt_s(&c.info.name),
                (Some(_), None) => V::Null,
            },
            ContainerImage => self
                .container()
                .map(|c| opt_s(&c.info.image))
                .unwrap_or(V::Null),
            ContainerImageRepository => self
                .container()
                .map(|c| opt_s(&c.repository))
                .unwrap_or(V::Null),
            ContainerImageTag => self.container().map(|c| opt_s(&c.tag)).unwrap_or(V::Null),
            ContainerImageDigest => self
                .container()
                .map(|c| opt_s(&c.info.image_digest))
                .unwrap_or(V::Null),
            ContainerType => match self.container_id() {
                None => s("host"),
                Some(_) => self
                    .container()
                    .map(|c| opt_s(&c.info.runtime))
                    .unwrap_or(V::Null),
            },
            ContainerPrivileged => self
                .container()
                .map(|c| V::B(c.info.privileged))
                .unwrap_or(V::Null),
            ContainerMounts => self
                .container()
                .map(|c| s(&c.mounts_joined))
                .unwrap_or(V::Null),
            ContainerMount(a) => self.mount_field(a, 0),
            ContainerMountSource(a) => self.mount_field(a, 1),
            ContainerMountDest(a) => self.mount_field(a, 2),
            ContainerMountMode(a) => self.mount_field(a, 3),
            ContainerMountRw(a) => self.mount_field(a, 4),
            ContainerStartTs => self
                .container()
                .map(|c| nz(c.info.start_ts))
                .unwrap_or(V::Null),
            ContainerDuration => self
                .container()
                .filter(|c| c.info.start_ts != 0)
                .map(|c| V::I(ev.ts_ns.saturating_sub(c.info.start_ts) as i64))
                .unwrap_or(V::Null),
            ContainerIp => self
                .container()
                .and_then(|c| c.info.ip.as_deref())
                .map(s)
                .unwrap_or(V::Null),
            K8sNsName => self.label("io.kubernetes.pod.namespace"),
            K8sPodName => self.label("io.kubernetes.pod.name"),
            K8sPodUid => self.label("io.kubernetes.pod.uid"),
            K8sPodLabel(Some(k)) => self.label(k),
            K8sPodLabel(None) => V::Null,
        }
    }
}

/// Fields whose value is "any of" several candidates ([`V::Any`]).
pub fn is_any_of(id: &Fid) -> bool {
    matches!(id, Fid::FdIp | Fid::FdNet | Fid::FdPort | Fid::Anc(_, None))
}

fn nz(v: u64) -> V<'static> {
    if v == 0 {
        V::Null
    } else {
        V::I(v as i64)
    }
}

/// Append `n` in decimal, zero-padded to `width` digits.
fn push_padded(out: &mut String, n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        if let Some(b) = buf.get_mut(i) {
            *b = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    let start = i.min(buf.len().saturating_sub(width));
    out.push_str(std::str::from_utf8(buf.get(start..).unwrap_or(&[])).unwrap_or(""));
}

/// `HH:MM:SS.nnnnnnnnn`
fn push_clock(out: &mut String, secs: u64, ns: u64) {
    push_padded(out, (secs / 3600) % 24, 2);
    out.push(':');
    push_padded(out, (secs / 60) % 60, 2);
    out.push(':');
    push_padded(out, secs % 60, 2);
    out.push('.');
    push_padded(out, ns, 9);
}

/// `YYYY-MM-DD`
fn push_date(out: &mut String, secs: u64) {
    let (y, mo, d) = civil(secs / 86400);
    push_padded(out, y.max(0) as u64, 4);
    out.push('-');
    push_padded(out, u64::from(mo), 2);
    out.push('-');
    push_padded(out, u64::from(d), 2);
}

/// `HH:MM:SS.nnnnnnnnn` (UTC), or with the date for `evt.datetime`.
pub fn fmt_time(ts: u64, with_date: bool) -> String {
    let secs = ts / 1_000_000_000;
    let ns = ts % 1_000_000_000;
    let mut out = String::with_capacity(32);
    if with_date {
        push_date(&mut out, secs);
        out.push(' ');
    }
    push_clock(&mut out, secs, ns);
    out
}

/// RFC 3339 with nanoseconds, as Falco's JSON `time`.
pub fn rfc3339(ts: u64) -> String {
    let secs = ts / 1_000_000_000;
    let ns = ts % 1_000_000_000;
    let mut out = String::with_capacity(32);
    push_date(&mut out, secs);
    out.push('T');
    push_clock(&mut out, secs, ns);
    out.push('Z');
    out
}

/// Days since epoch to (year, month, day) (Howard Hinnant's algorithm).
fn civil(days: u64) -> (i64, u32, u32) {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_fields() {
        assert!(resolve("proc.name", None).is_ok());
        assert!(matches!(
            resolve("proc.name", Some("1")),
            Err(FieldError::BadArg(_))
        ));
        assert_eq!(
            resolve("proc.aname", Some("2")).unwrap().id,
            Fid::Anc(AKind::Name, Some(2))
        );
        assert!(matches!(
            resolve("proc.aname", Some("x")),
            Err(FieldError::BadArg(_))
        ));
        assert_eq!(
            resolve("evt.arg.flags", None).unwrap().id,
            Fid::EvtArg("flags".into())
        );
        assert_eq!(resolve("evt.arg", Some("0")).unwrap().id, Fid::EvtArgIdx(0));
        assert_eq!(resolve("nope.field", None), Err(FieldError::Unknown));
    }

    #[test]
    fn str_field_agrees_with_extract() {
        use seawall_event::{ContainerInfo, ProcInfo, ProcessSnapshot, SockFamily, SockTuple};
        let names = [
            "evt.type",
            "proc.name",
            "proc.exe",
            "proc.exepath",
            "proc.args",
            "proc.cmdline",
            "proc.cwd",
            "proc.pname",
            "proc.pexe",
            "proc.pexepath",
            "proc.pcmdline",
            "fd.name",
            "fd.nameraw",
            "fd.directory",
            "fd.filename",
            "fd.type",
            "fd.typechar",
            "fd.l4proto",
            "container.id",
            "container.image",
            "container.image.repository",
            "container.image.tag",
            "container.name",
            "container.type",
            "proc.sname",
            "user.name",
            "user.loginname",
            "user.homedir",
            "user.shell",
            "group.name",
        ];
        let mut st = State::default();
        st.add_container(ContainerInfo {
            id: "c1".into(),
            name: "web".into(),
            runtime: "docker".into(),
            image: "quay.io/a/b:1".into(),
            ..Default::default()
        });
        for (uid, name, cid) in [(0, "root", None), (0, "croot", Some("c1")), (5, "", None)] {
            st.add_user(seawall_event::UserEntry {
                uid,
                name: name.into(),
                gid: uid,
                home: format!("/home/{name}"),
                shell: String::new(),
                container_id: cid.map(String::from),
            });
        }
        st.add_group(seawall_event::GroupEntry {
            gid: 0,
            name: "wheel".into(),
            container_id: Some("c1".into()),
        });
        st.add_process(ProcessSnapshot {
            tid: 1,
            pid: 1,
            ppid: 0,
            proc: ProcInfo {
                comm: "init".into(),
                exe: "/sbin/init".into(),
                ..Default::default()
            },
            container_id: None,
            fds: vec![],
        });
        st.add_process(ProcessSnapshot {
            tid: 2,
            pid: 2,
            ppid: 1,
            proc: ProcInfo {
                comm: "sh".into(),
                args: vec!["-c".into()],
                cwd: "/".into(),
                sid: Some(1),
                loginuid: 5,
                ..Default::default()
            },
            container_id: Some("c1".into()),
            fds: vec![],
        });
        let open = |pid, res, name: &str, flags: i64| {
            Event::new(1, pid, pid, EventType::Openat, res)
                .arg("dirfd", -100i64)
                .arg("name", name)
                .arg("flags", flags)
        };
        let tuple = SockTuple {
            family: SockFamily::Inet,
            l4proto: Some("tcp".into()),
            sip: None,
            sport: None,
            dip: Some([10, 0, 0, 1].into()),
            dport: Some(80),
            path: None,
        };
        let mut unknown_container = open(2, 6, "x/../y", 0);
        let names: Vec<&str> = names
            .iter()
            .copied()
            .chain([
                "evt.arg.name",
                "evt.arg.path",
                "evt.arg.oldpath",
                "evt.arg.nosuch",
                "evt.arg.domain",
            ])
            .collect();
        unknown_container.container_id = Some("c2".into());
        let events = [
            open(2, 3, "/etc/passwd", 0),
            open(2, 4, "/etc/ssl", 0o200000),
            open(2, -2, "/nope", 0),
            open(1, 5, "rel", 0),
            Event::new(2, 2, 2, EventType::Socket, 7)
                .arg("domain", 2i64)
                .arg("type", 1i64),
            Event::new(3, 2, 2, EventType::Connect, 0)
                .arg("fd", 7i64)
                .arg("tuple", tuple),
            Event::new(4, 99, 99, EventType::Read, 5).arg("fd", 5i64),
            Event::new(5, 2, 2, EventType::Close, 0).arg("fd", 3i64),
            unknown_container,
        ];
        let events = events.into_iter().chain([
            Event::new(6, 2, 2, EventType::Unlinkat, 0)
                .arg("dirfd", -100i64)
                .arg("name", "/tmp/a")
                .arg("flags", 0i64),
            Event::new(7, 2, 2, EventType::Renameat2, 0)
                .arg("oldpath", "")
                .arg("newpath", "/b"),
        ]);
        for ev in events {
            let ev = &ev;
            let efd = st.apply(ev);
            {
                let ctx = Ctx::new(ev, &st, &efd, 1, &[]);
                for n in names.iter().copied() {
                    let f = resolve(n, None).unwrap();
                    let fast = ctx.str_field(&f.id).expect(n);
                    let want = ctx.extract(&f.id);
                    assert_eq!(
                        fast.map(|s| V::S(Cow::Borrowed(s))).unwrap_or(V::Null),
                        want,
                        "{n} on {:?}",
                        ev.evt_type
                    );
                }
                assert!(ctx
                    .str_field(&resolve("evt.res", None).unwrap().id)
                    .is_none());
                for n in [
                    "evt.num",
                    "evt.rawres",
                    "evt.failed",
                    "evt.is_open_read",
                    "evt.is_open_write",
                    "proc.pid",
                    "proc.ppid",
                    "proc.tty",
                    "proc.duration",
                    "proc.is_exe_upper_layer",
                    "proc.is_exe_from_memfd",
                    "proc.is_exe_writable",
                    "thread.tid",
                    "thread.ismain",
                    "user.uid",
                    "user.loginuid",
                    "group.gid",
                    "fd.num",
                    "fd.connected",
                    "fd.is_server",
                ] {
                    let f = resolve(n, None).unwrap();
                    let fast = ctx.num_field(&f.id).expect(n);
                    let want = ctx.extract(&f.id);
                    assert_eq!(
                        fast.map(Num::to_v).unwrap_or(V::Null),
                        want,
                        "{n} on {:?}",
                        ev.evt_type
                    );
                }
                assert!(ctx
                    .num_field(&resolve("proc.vpid", None).unwrap().id)
                    .is_none());
            }
            st.finish(ev);
        }
    }

    #[test]
    fn time_format_matches_the_formatter() {
        for ts in [
            0u64,
            1,
            999_999_999,
            1_000_000_000,
            1_700_000_000_123_456_789,
            951_782_400_000_000_000, // 2000-02-29
            4_102_444_799_999_999_999,
            u64::MAX,
        ] {
            let secs = ts / 1_000_000_000;
            let ns = ts % 1_000_000_000;
            let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
            let (y, mo, d) = civil(secs / 86400);
            assert_eq!(fmt_time(ts, false), format!("{h:02}:{m:02}:{s:02}.{ns:09}"));
            assert_eq!(
                fmt_time(ts, true),
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02}:{s:02}.{ns:09}")
            );
            assert_eq!(
                rfc3339(ts),
                format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}.{ns:09}Z")
            );
        }
    }

    #[test]
    fn time_format() {
        assert_eq!(
            rfc3339(1_700_000_000_123_456_789),
            "2023-11-14T22:13:20.123456789Z"
        );
    }
}
