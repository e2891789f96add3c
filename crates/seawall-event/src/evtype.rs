//! Syscall / event type names (Falco's spelling).
use serde::{Deserialize, Deserializer, Serialize, Serializer};
macro_rules! event_types {
    ($($v:ident => $n:literal,)*) => {
        /// Event type. Known syscalls get a variant (and a dense code for
        /// table indexing); anything else is kept by name in `Other`.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventType {
            $($v,)*
            Other(String),
        }
        impl EventType {
            /// Dense code for known types (`None` for `Other`); O(1).
            pub fn code(&self) -> Option<usize> {
                #[allow(non_camel_case_types, dead_code)]
                #[repr(usize)]
                enum Code { $($v,)* }
                match self {
                    $(EventType::$v => Some(Code::$v as usize),)*
                    EventType::Other(_) => None,
                }
            }
            /// Every known event type, in code order.
            pub const KNOWN: &'static [EventType] = &[$(EventType::$v,)*];
            /// Number of known event types (codes are `0..COUNT`).
            pub const COUNT: usize = Self::KNOWN.len();
            /// Falco name of the event type.
            pub fn name(&self) -> &str {
                match self {
                    $(EventType::$v => $n,)*
                    EventType::Other(s) => s,
                }
            }
            /// Parse a name; unknown names become `Other`.
            pub fn from_name(s: &str) -> EventType {
                match s {
                    $($n => EventType::$v,)*
                    _ => EventType::Other(s.to_string()),
                }
            }
            /// The known type with this name, if any.
            pub fn known(s: &str) -> Option<EventType> {
                match Self::from_name(s) {
                    EventType::Other(_) => None,
                    t => Some(t),
                }
            }
        }
    };
}
event_types! {
    Execve => "execve",
    Execveat => "execveat",
    Clone => "clone",
    Clone3 => "clone3",
    Fork => "fork",
    Vfork => "vfork",
    Procexit => "procexit",
    Open => "open",
    Openat => "openat",
    Openat2 => "openat2",
    Creat => "creat",
    Close => "close",
    Dup => "dup",
    Dup2 => "dup2",
    Dup3 => "dup3",
    Fcntl => "fcntl",
    Pipe => "pipe",
    Pipe2 => "pipe2",
    Eventfd => "eventfd",
    Eventfd2 => "eventfd2",
    Signalfd => "signalfd",
    Signalfd4 => "signalfd4",
    TimerfdCreate => "timerfd_create",
    InotifyInit => "inotify_init",
    InotifyInit1 => "inotify_init1",
    EpollCreate => "epoll_create",
    EpollCreate1 => "epoll_create1",
    Socket => "socket",
    Socketpair => "socketpair",
    Connect => "connect",
    Accept => "accept",
    Accept4 => "accept4",
    Bind => "bind",
    Listen => "listen",
    Sendto => "sendto",
    Sendmsg => "sendmsg",
    Sendmmsg => "sendmmsg",
    Recvfrom => "recvfrom",
    Recvmsg => "recvmsg",
    Recvmmsg => "recvmmsg",
    Shutdown => "shutdown",
    Read => "read",
    Write => "write",
    Pread64 => "pread64",
    Pwrite64 => "pwrite64",
    Readv => "readv",
    Writev => "writev",
    MemfdCreate => "memfd_create",
    Userfaultfd => "userfaultfd",
    IoUringSetup => "io_uring_setup",
    Bpf => "bpf",
    PerfEventOpen => "perf_event_open",
    Symlink => "symlink",
    Symlinkat => "symlinkat",
    Link => "link",
    Linkat => "linkat",
    Unlink => "unlink",
    Unlinkat => "unlinkat",
    Rename => "rename",
    Renameat => "renameat",
    Renameat2 => "renameat2",
    Mkdir => "mkdir",
    Mkdirat => "mkdirat",
    Rmdir => "rmdir",
    Chmod => "chmod",
    Fchmod => "fchmod",
    Fchmodat => "fchmodat",
    Chown => "chown",
    Fchown => "fchown",
    Fchownat => "fchownat",
    Lchown => "lchown",
    Setuid => "setuid",
    Setgid => "setgid",
    Setreuid => "setreuid",
    Setregid => "setregid",
    Setresuid => "setresuid",
    Setresgid => "setresgid",
    Setfsuid => "setfsuid",
    Setfsgid => "setfsgid",
    Setns => "setns",
    Unshare => "unshare",
    Prctl => "prctl",
    Capset => "capset",
    Ptrace => "ptrace",
    Kill => "kill",
    Tkill => "tkill",
    Tgkill => "tgkill",
    Mmap => "mmap",
    Mprotect => "mprotect",
    Mount => "mount",
    Umount => "umount",
    Umount2 => "umount2",
    PivotRoot => "pivot_root",
    Chroot => "chroot",
    Chdir => "chdir",
    Fchdir => "fchdir",
    InitModule => "init_module",
    FinitModule => "finit_module",
    DeleteModule => "delete_module",
    Truncate => "truncate",
    Ftruncate => "ftruncate",
    Utimes => "utimes",
    Futimes => "futimes",
}

impl EventType {
    /// Whether this syscall, on success, creates a new thread or process.
    pub fn is_clone(&self) -> bool {
        matches!(
            self,
            EventType::Clone | EventType::Clone3 | EventType::Fork | EventType::Vfork
        )
    }

    /// Whether this syscall opens a file and returns an fd.
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            EventType::Open | EventType::Openat | EventType::Openat2 | EventType::Creat
        )
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for EventType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(EventType::from_name(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_dense() {
        for (i, t) in EventType::KNOWN.iter().enumerate() {
            assert_eq!(t.code(), Some(i));
            assert_eq!(EventType::from_name(t.name()), *t);
        }
        assert_eq!(EventType::from_name("zz").code(), None);
    }
}
