//! x86_64 syscall table: number, Falco event type, and how each parameter
//! is captured in the kernel and named in the event (Falco's parameter
//! names, exit-only layout).

use seawall_event::EventType;

/// Where a parameter value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Src {
    /// Raw register argument `i`, sign-extended from 32 bits (fds, ints).
    Int(u8),
    /// Raw register argument `i` as a 64-bit value (flags, addresses).
    U64(u8),
    /// User string behind argument `i` (read in the kernel at exit).
    Str(u8),
    /// The syscall result.
    Ret,
    /// Absolute path of the file behind the fd, resolved in the kernel
    /// (omitted when the call failed).
    Path,
    /// Socket tuple of the fd (kernel) or the sockaddr argument.
    Tuple,
    /// Socket address read from the sockaddr argument (bind).
    Addr,
    /// A constant.
    Const(i64),
}

/// Capture specification of one syscall.
#[derive(Debug)]
pub(crate) struct Spec {
    pub nr: u32,
    pub name: &'static str,
    pub params: &'static [(&'static str, Src)],
    /// Register argument that holds a `struct sockaddr *` (length in the next one).
    pub sockaddr_arg: Option<u8>,
    /// Register argument (or 6 for the result) naming an fd the kernel describes.
    pub fd_arg: Option<u8>,
    /// Special handling in the kernel (1: openat2's `struct open_how`).
    pub special: u8,
}

impl Spec {
    pub fn evt_type(&self) -> EventType {
        EventType::from_name(self.name)
    }

    /// Register argument (or 6 for the result) naming the fd the kernel
    /// describes (inode, mode, path or socket tuple): the one the table
    /// says, else the `fd` parameter. Every call that names an fd carries
    /// its description, so the engine's fd table never has to trust an
    /// entry the process may have closed since (close is not captured
    /// unless a rule asks for it).
    pub fn described_fd(&self) -> Option<u8> {
        if self.name == "close" {
            // gone at exit
            return None;
        }
        self.fd_arg.or_else(|| {
            self.params.iter().find_map(|(n, s)| match (*n, s) {
                ("fd", Int(i)) => Some(*i),
                _ => None,
            })
        })
    }

    /// Bitmask of register arguments that are user strings.
    pub fn str_mask(&self) -> u8 {
        let mut m = 0u8;
        for (_, s) in self.params {
            if let Src::Str(i) = s {
                m |= 1 << i;
            }
        }
        m
    }
}

use Src::*;

const RET: Option<u8> = Some(6);

macro_rules! spec {
    ($nr:expr, $name:expr, [$($p:expr),* $(,)?]) => {
        Spec { nr: $nr, name: $name, params: &[$($p),*], sockaddr_arg: None, fd_arg: None, special: 0 }
    };
    ($nr:expr, $name:expr, [$($p:expr),* $(,)?], sa = $sa:expr, fd = $fd:expr) => {
        Spec { nr: $nr, name: $name, params: &[$($p),*], sockaddr_arg: $sa, fd_arg: $fd, special: 0 }
    };
}

/// Every syscall the sensor can capture.
pub(crate) static SPECS: &[Spec] = &[
    spec!(0, "read", [("res", Ret), ("fd", Int(0)), ("size", U64(2))]),
    spec!(1, "write", [("res", Ret), ("fd", Int(0)), ("size", U64(2))]),
    spec!(
        2,
        "open",
        [
            ("fd", Ret),
            ("name", Str(0)),
            ("path", Path),
            ("flags", U64(1)),
            ("mode", U64(2))
        ],
        sa = None,
        fd = RET
    ),
    spec!(3, "close", [("res", Ret), ("fd", Int(0))]),
    spec!(
        9,
        "mmap",
        [
            ("res", Ret),
            ("addr", U64(0)),
            ("length", U64(1)),
            ("prot", U64(2)),
            ("flags", U64(3)),
            ("fd", Int(4))
        ]
    ),
    spec!(
        10,
        "mprotect",
        [
            ("res", Ret),
            ("addr", U64(0)),
            ("length", U64(1)),
            ("prot", U64(2))
        ]
    ),
    spec!(
        17,
        "pread64",
        [
            ("res", Ret),
            ("fd", Int(0)),
            ("size", U64(2)),
            ("pos", U64(3))
        ]
    ),
    spec!(
        18,
        "pwrite64",
        [
            ("res", Ret),
            ("fd", Int(0)),
            ("size", U64(2)),
            ("pos", U64(3))
        ]
    ),
    spec!(19, "readv", [("res", Ret), ("fd", Int(0))]),
    spec!(20, "writev", [("res", Ret), ("fd", Int(0))]),
    spec!(22, "pipe", [("res", Ret)]),
    spec!(
        32,
        "dup",
        [("res", Ret), ("oldfd", Int(0))],
        sa = None,
        fd = Some(0)
    ),
    spec!(
        33,
        "dup2",
        [("res", Ret), ("oldfd", Int(0)), ("newfd", Int(1))],
        sa = None,
        fd = Some(0)
    ),
    spec!(
        41,
        "socket",
        [
            ("res", Ret),
            ("domain", Int(0)),
            ("type", Int(1)),
            ("proto", Int(2))
        ],
        sa = None,
        fd = RET
    ),
    spec!(
        42,
        "connect",
        [
            ("res", Ret),
            ("fd", Int(0)),
            ("addr", Addr),
            ("tuple", Tuple)
        ],
        sa = Some(1),
        fd = Some(0)
    ),
    spec!(
        43,
        "accept",
        [("res", Ret), ("fd", Int(0)), ("tuple", Tuple)],
        sa = None,
        fd = RET
    ),
    spec!(
        44,
        "sendto",
        [
            ("res", Ret),
            ("fd", Int(0)),
            ("size", U64(2)),
            ("tuple", Tuple)
        ],
        sa = None,
        fd = Some(0)
    ),
    spec!(
        45,
        "recvfrom",
        [
            ("res", Ret),
            ("fd", Int(0)),
            ("size", U64(2)),
            ("tuple", Tuple)
        ],
        sa = None,
        fd = Some(0)
    ),
    spec!(
        46,
        "sendmsg",
        [("res", Ret), ("fd", Int(0)), ("tuple", Tuple)],
        sa = None,
        fd = Some(0)
    ),
    spec!(
        47,
        "recvmsg",
        [("res", Ret), ("fd", Int(0)), ("tuple", Tuple)],
        sa = None,
        fd = Some(0)
    ),
    spec!(
        48,
        "shutdown",
        [("res", Ret), ("fd", Int(0)), ("how", Int(1))]
    ),
    spec!(
        49,
        "bind",
        [("res", Ret), ("fd", Int(0)), ("addr", Addr)],
        sa = Some(1),
        fd = None
    ),
    spec!(
        50,
        "listen",
        [("res", Ret), ("fd", Int(0)), ("backlog", Int(1))]
    ),
    spec!(
        53,
        "socketpair",
        [
            ("res", Ret),
            ("domain", Int(0)),
            ("type", Int(1)),
            ("proto", Int(2))
        ]
    ),
    spec!(62, "kill", [("res", Ret), ("pid", Int(0)), ("sig", Int(1))]),
    spec!(72, "fcntl", [("res", Ret), ("fd", Int(0)), ("cmd", Int(1))]),
    spec!(
        76,
        "truncate",
        [("res", Ret), ("path", Str(0)), ("length", U64(1))]
    ),
    spec!(
        77,
        "ftruncate",
        [("res", Ret), ("fd", Int(0)), ("length", U64(1))]
    ),
    spec!(80, "chdir", [("res", Ret), ("path", Str(0))]),
    spec!(81, "fchdir", [("res", Ret), ("fd", Int(0))]),
    spec!(
        82,
        "rename",
        [("res", Ret), ("oldpath", Str(0)), ("newpath", Str(1))]
    ),
    spec!(
        83,
        "mkdir",
        [("res", Ret), ("path", Str(0)), ("mode", U64(1))]
    ),
    spec!(84, "rmdir", [("res", Ret), ("path", Str(0))]),
    spec!(
        85,
        "creat",
        [
            ("fd", Ret),
            ("name", Str(0)),
            ("path", Path),
            ("mode", U64(1)),
            ("flags", Const(0o1101))
        ],
        sa = None,
        fd = RET
    ),
    spec!(
        86,
        "link",
        [("res", Ret), ("oldpath", Str(0)), ("newpath", Str(1))]
    ),
    spec!(87, "unlink", [("res", Ret), ("path", Str(0))]),
    spec!(
        88,
        "symlink",
        [("res", Ret), ("target", Str(0)), ("linkpath", Str(1))]
    ),
    spec!(
        90,
        "chmod",
        [("res", Ret), ("filename", Str(0)), ("mode", U64(1))]
    ),
    spec!(
        91,
        "fchmod",
        [("res", Ret), ("fd", Int(0)), ("mode", U64(1))]
    ),
    spec!(
        92,
        "chown",
        [
            ("res", Ret),
            ("path", Str(0)),
            ("uid", Int(1)),
            ("gid", Int(2))
        ]
    ),
    spec!(
        93,
        "fchown",
        [
            ("res", Ret),
            ("fd", Int(0)),
            ("uid", Int(1)),
            ("gid", Int(2))
        ]
    ),
    spec!(
        94,
        "lchown",
        [
            ("res", Ret),
            ("path", Str(0)),
            ("uid", Int(1)),
            ("gid", Int(2))
        ]
    ),
    spec!(
        101,
        "ptrace",
        [
            ("res", Ret),
            ("request", Int(0)),
            ("pid", Int(1)),
            ("addr", U64(2)),
            ("data", U64(3))
        ]
    ),
    spec!(105, "setuid", [("res", Ret), ("uid", Int(0))]),
    spec!(106, "setgid", [("res", Ret), ("gid", Int(0))]),
    spec!(
        113,
        "setreuid",
        [("res", Ret), ("ruid", Int(0)), ("euid", Int(1))]
    ),
    spec!(
        114,
        "setregid",
        [("res", Ret), ("rgid", Int(0)), ("egid", Int(1))]
    ),
    spec!(
        117,
        "setresuid",
        [
            ("res", Ret),
            ("ruid", Int(0)),
            ("euid", Int(1)),
            ("suid", Int(2))
        ]
    ),
    spec!(
        119,
        "setresgid",
        [
            ("res", Ret),
            ("rgid", Int(0)),
            ("egid", Int(1)),
            ("sgid", Int(2))
        ]
    ),
    spec!(122, "setfsuid", [("res", Ret), ("uid", Int(0))]),
    spec!(123, "setfsgid", [("res", Ret), ("gid", Int(0))]),
    // the kernel side replaces args[2..4] with the task's capability sets
    // after the call (special 2), as Falco's capset exit event carries them
    Spec {
        nr: 126,
        name: "capset",
        params: &[
            ("res", Ret),
            ("cap_inheritable", U64(2)),
            ("cap_permitted", U64(3)),
            ("cap_effective", U64(4)),
        ],
        sockaddr_arg: None,
        fd_arg: None,
        special: 2,
    },
    spec!(
        155,
        "pivot_root",
        [("res", Ret), ("new_root", Str(0)), ("put_old", Str(1))]
    ),
    spec!(
        157,
        "prctl",
        [("res", Ret), ("option", Int(0)), ("arg2_int", U64(1))]
    ),
    spec!(161, "chroot", [("res", Ret), ("path", Str(0))]),
    spec!(
        165,
        "mount",
        [
            ("res", Ret),
            ("dev", Str(0)),
            ("dir", Str(1)),
            ("flags", U64(3))
        ]
    ),
    spec!(
        166,
        "umount2",
        [("res", Ret), ("name", Str(0)), ("flags", Int(1))]
    ),
    spec!(
        175,
        "init_module",
        [("res", Ret), ("length", U64(1)), ("uargs", Str(2))]
    ),
    spec!(
        176,
        "delete_module",
        [("res", Ret), ("name", Str(0)), ("flags", Int(1))]
    ),
    spec!(
        200,
        "tkill",
        [("res", Ret), ("tid", Int(0)), ("sig", Int(1))]
    ),
    spec!(213, "epoll_create", [("res", Ret), ("size", Int(0))]),
    spec!(
        234,
        "tgkill",
        [
            ("res", Ret),
            ("pid", Int(0)),
            ("tid", Int(1)),
            ("sig", Int(2))
        ]
    ),
    spec!(235, "utimes", [("res", Ret), ("filename", Str(0))]),
    spec!(253, "inotify_init", [("res", Ret)]),
    spec!(
        257,
        "openat",
        [
            ("fd", Ret),
            ("dirfd", Int(0)),
            ("name", Str(1)),
            ("path", Path),
            ("flags", U64(2)),
            ("mode", U64(3))
        ],
        sa = None,
        fd = RET
    ),
    spec!(
        258,
        "mkdirat",
        [
            ("res", Ret),
            ("dirfd", Int(0)),
            ("path", Str(1)),
            ("mode", U64(2))
        ]
    ),
    spec!(
        260,
        "fchownat",
        [
            ("res", Ret),
            ("dirfd", Int(0)),
            ("pathname", Str(1)),
            ("uid", Int(2)),
            ("gid", Int(3)),
            ("flags", Int(4))
        ]
    ),
    spec!(
        263,
        "unlinkat",
        [
            ("res", Ret),
            ("dirfd", Int(0)),
            ("name", Str(1)),
            ("flags", Int(2))
        ]
    ),
    spec!(
        264,
        "renameat",
        [
            ("res", Ret),
            ("olddirfd", Int(0)),
            ("oldpath", Str(1)),
            ("newdirfd", Int(2)),
            ("newpath", Str(3))
        ]
    ),
    spec!(
        265,
        "linkat",
        [
            ("res", Ret),
            ("olddir", Int(0)),
            ("oldpath", Str(1)),
            ("newdir", Int(2)),
            ("newpath", Str(3)),
            ("flags", Int(4))
        ]
    ),
    spec!(
        266,
        "symlinkat",
        [
            ("res", Ret),
            ("target", Str(0)),
            ("linkdirfd", Int(1)),
            ("linkpath", Str(2))
        ]
    ),
    spec!(
        268,
        "fchmodat",
        [
            ("res", Ret),
            ("dirfd", Int(0)),
            ("filename", Str(1)),
            ("mode", U64(2))
        ]
    ),
    spec!(272, "unshare", [("res", Ret), ("flags", U64(0))]),
    spec!(282, "signalfd", [("res", Ret), ("fd", Int(0))]),
    spec!(
        283,
        "timerfd_create",
        [("res", Ret), ("clockid", Int(0)), ("flags", Int(1))]
    ),
    spec!(284, "eventfd", [("res", Ret), ("initval", U64(0))]),
    spec!(
        288,
        "accept4",
        [
            ("res", Ret),
            ("fd", Int(0)),
            ("tuple", Tuple),
            ("flags", Int(3))
        ],
        sa = None,
        fd = RET
    ),
    spec!(
        289,
        "signalfd4",
        [("res", Ret), ("fd", Int(0)), ("flags", Int(3))]
    ),
    spec!(
        290,
        "eventfd2",
        [("res", Ret), ("initval", U64(0)), ("flags", Int(1))]
    ),
    spec!(291, "epoll_create1", [("res", Ret), ("flags", Int(0))]),
    spec!(
        292,
        "dup3",
        [
            ("res", Ret),
            ("oldfd", Int(0)),
            ("newfd", Int(1)),
            ("flags", Int(2))
        ],
        sa = None,
        fd = Some(0)
    ),
    spec!(293, "pipe2", [("res", Ret), ("flags", Int(1))]),
    spec!(294, "inotify_init1", [("res", Ret), ("flags", Int(0))]),
    spec!(
        298,
        "perf_event_open",
        [
            ("res", Ret),
            ("pid", Int(1)),
            ("cpu", Int(2)),
            ("group_fd", Int(3)),
            ("flags", U64(4))
        ]
    ),
    spec!(299, "recvmmsg", [("res", Ret), ("fd", Int(0))]),
    spec!(307, "sendmmsg", [("res", Ret), ("fd", Int(0))]),
    spec!(
        308,
        "setns",
        [("res", Ret), ("fd", Int(0)), ("nstype", Int(1))]
    ),
    spec!(
        313,
        "finit_module",
        [
            ("res", Ret),
            ("fd", Int(0)),
            ("uargs", Str(1)),
            ("flags", Int(2))
        ]
    ),
    spec!(
        316,
        "renameat2",
        [
            ("res", Ret),
            ("olddirfd", Int(0)),
            ("oldpath", Str(1)),
            ("newdirfd", Int(2)),
            ("newpath", Str(3)),
            ("flags", Int(4))
        ]
    ),
    spec!(
        319,
        "memfd_create",
        [("res", Ret), ("name", Str(0)), ("flags", U64(1))]
    ),
    spec!(321, "bpf", [("res", Ret), ("cmd", Int(0))]),
    spec!(323, "userfaultfd", [("res", Ret), ("flags", Int(0))]),
    spec!(425, "io_uring_setup", [("res", Ret), ("entries", U64(0))]),
    Spec {
        nr: 437,
        name: "openat2",
        params: &[
            ("fd", Ret),
            ("dirfd", Int(0)),
            ("name", Str(1)),
            ("path", Path),
            ("flags", U64(2)),
            ("mode", U64(3)),
        ],
        sockaddr_arg: None,
        fd_arg: RET,
        special: 1,
    },
    // execve/execveat: successes come from sched_process_exec; these
    // entries describe failed calls (the old image is still there).
    spec!(59, "execve", [("res", Ret), ("filename", Str(0))]),
    spec!(
        322,
        "execveat",
        [
            ("res", Ret),
            ("dirfd", Int(0)),
            ("pathname", Str(1)),
            ("flags", Int(4))
        ]
    ),
];

/// Syscalls the sensor always captures because they keep thread and fd
/// state current (besides the process lifecycle tracepoints). `close` is
/// not one: every captured call that names an fd carries the kernel's
/// description of it ([`Spec::described_fd`]), which replaces a table
/// entry the process closed since, and recording every close would double
/// the cost of the commonest syscall pair there is.
pub(crate) const STATE_SYSCALLS: &[&str] = &[
    "execve",
    "execveat",
    "open",
    "openat",
    "openat2",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "socket",
    "connect",
    "accept",
    "accept4",
    "bind",
    "chdir",
    "fchdir",
    "memfd_create",
    "capset",
    "setuid",
    "setgid",
    "setresuid",
    "setresgid",
    "setreuid",
    "setregid",
];

/// Event types produced by the lifecycle tracepoints (always on).
pub(crate) const LIFECYCLE: &[&str] = &[
    "execve", "execveat", "clone", "clone3", "fork", "vfork", "procexit",
];

#[cfg(test)]
pub(crate) fn by_nr(nr: u32) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.nr == nr)
}

pub(crate) fn by_name(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.name == name)
}

/// A dense lookup table from syscall number to spec index.
pub(crate) fn table() -> Vec<Option<&'static Spec>> {
    let mut t = vec![None; crate::MAX_SYSCALLS];
    for s in SPECS {
        if let Some(slot) = t.get_mut(s.nr as usize) {
            *slot = Some(s);
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_known_event_types_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for s in SPECS {
            assert!(
                EventType::known(s.name).is_some(),
                "{} is not a known event type",
                s.name
            );
            assert!(seen.insert(s.nr), "duplicate syscall number {}", s.nr);
            assert!((s.nr as usize) < crate::MAX_SYSCALLS);
            let strings = s.params.iter().filter(|(_, p)| matches!(p, Str(_))).count();
            assert!(
                strings <= 2,
                "{}: the kernel captures at most two strings",
                s.name
            );
        }
        for n in STATE_SYSCALLS {
            assert!(by_name(n).is_some(), "{n}");
        }
    }

    #[test]
    fn masks() {
        assert_eq!(by_name("openat").unwrap().str_mask(), 0b10);
        assert_eq!(by_name("symlinkat").unwrap().str_mask(), 0b101);
        assert_eq!(by_nr(101).unwrap().name, "ptrace");
    }
}
