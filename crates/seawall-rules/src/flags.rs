//! Rendering of raw syscall parameter values the way Falco prints them
//! (`O_RDONLY|O_CLOEXEC`, `PTRACE_ATTACH`, `AF_PACKET`, ...).

type Table = &'static [(i64, &'static str)];

const OPEN_FLAGS: Table = &[
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o10000, "O_DSYNC"),
    (0o20000, "O_ASYNC"),
    (0o40000, "O_DIRECT"),
    (0o100000, "O_LARGEFILE"),
    (0o200000, "O_DIRECTORY"),
    (0o400000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"),
    (0o4000000, "O_SYNC"),
    (0o10000000, "O_PATH"),
    (0o20000000, "O_TMPFILE"),
];

const MODE_FLAGS: Table = &[
    (0o1, "S_IXOTH"),
    (0o2, "S_IWOTH"),
    (0o4, "S_IROTH"),
    (0o10, "S_IXGRP"),
    (0o20, "S_IWGRP"),
    (0o40, "S_IRGRP"),
    (0o100, "S_IXUSR"),
    (0o200, "S_IWUSR"),
    (0o400, "S_IRUSR"),
    (0o1000, "S_ISVTX"),
    (0o2000, "S_ISGID"),
    (0o4000, "S_ISUID"),
];

const PTRACE: Table = &[
    (0, "PTRACE_TRACEME"),
    (1, "PTRACE_PEEKTEXT"),
    (2, "PTRACE_PEEKDATA"),
    (3, "PTRACE_PEEKUSR"),
    (4, "PTRACE_POKETEXT"),
    (5, "PTRACE_POKEDATA"),
    (6, "PTRACE_POKEUSR"),
    (7, "PTRACE_CONT"),
    (8, "PTRACE_KILL"),
    (9, "PTRACE_SINGLESTEP"),
    (12, "PTRACE_GETREGS"),
    (13, "PTRACE_SETREGS"),
    (14, "PTRACE_GETFPREGS"),
    (15, "PTRACE_SETFPREGS"),
    (16, "PTRACE_ATTACH"),
    (17, "PTRACE_DETACH"),
    (18, "PTRACE_GETFPXREGS"),
    (19, "PTRACE_SETFPXREGS"),
    (24, "PTRACE_SYSCALL"),
    (0x4200, "PTRACE_SETOPTIONS"),
    (0x4201, "PTRACE_GETEVENTMSG"),
    (0x4202, "PTRACE_GETSIGINFO"),
    (0x4203, "PTRACE_SETSIGINFO"),
    (0x4204, "PTRACE_GETREGSET"),
    (0x4205, "PTRACE_SETREGSET"),
    (0x4206, "PTRACE_SEIZE"),
    (0x4207, "PTRACE_INTERRUPT"),
    (0x4208, "PTRACE_LISTEN"),
    (0x4209, "PTRACE_PEEKSIGINFO"),
];

const AF: Table = &[
    (0, "AF_UNSPEC"),
    (1, "AF_UNIX"),
    (2, "AF_INET"),
    (3, "AF_AX25"),
    (4, "AF_IPX"),
    (5, "AF_APPLETALK"),
    (10, "AF_INET6"),
    (16, "AF_NETLINK"),
    (17, "AF_PACKET"),
    (31, "AF_BLUETOOTH"),
    (38, "AF_ALG"),
    (40, "AF_VSOCK"),
    (44, "AF_XDP"),
];

const SOCK_TYPE: Table = &[
    (1, "SOCK_STREAM"),
    (2, "SOCK_DGRAM"),
    (3, "SOCK_RAW"),
    (4, "SOCK_RDM"),
    (5, "SOCK_SEQPACKET"),
    (6, "SOCK_DCCP"),
    (10, "SOCK_PACKET"),
];

const AT_FLAGS: Table = &[
    (0x100, "AT_SYMLINK_NOFOLLOW"),
    (0x200, "AT_REMOVEDIR"),
    (0x400, "AT_SYMLINK_FOLLOW"),
    (0x800, "AT_NO_AUTOMOUNT"),
    (0x1000, "AT_EMPTY_PATH"),
];

const RENAME_FLAGS: Table = &[
    (1, "RENAME_NOREPLACE"),
    (2, "RENAME_EXCHANGE"),
    (4, "RENAME_WHITEOUT"),
];

const MFD_FLAGS: Table = &[
    (1, "MFD_CLOEXEC"),
    (2, "MFD_ALLOW_SEALING"),
    (4, "MFD_HUGETLB"),
    (8, "MFD_NOEXEC_SEAL"),
    (16, "MFD_EXEC"),
];

const CLONE_FLAGS: Table = &[
    (0x100, "CLONE_VM"),
    (0x200, "CLONE_FS"),
    (0x400, "CLONE_FILES"),
    (0x800, "CLONE_SIGHAND"),
    (0x1000, "CLONE_PIDFD"),
    (0x2000, "CLONE_PTRACE"),
    (0x4000, "CLONE_VFORK"),
    (0x8000, "CLONE_PARENT"),
    (0x10000, "CLONE_THREAD"),
    (0x20000, "CLONE_NEWNS"),
    (0x40000, "CLONE_SYSVSEM"),
    (0x80000, "CLONE_SETTLS"),
    (0x100000, "CLONE_PARENT_SETTID"),
    (0x200000, "CLONE_CHILD_CLEARTID"),
    (0x400000, "CLONE_DETACHED"),
    (0x800000, "CLONE_UNTRACED"),
    (0x1000000, "CLONE_CHILD_SETTID"),
    (0x2000000, "CLONE_NEWCGROUP"),
    (0x4000000, "CLONE_NEWUTS"),
    (0x8000000, "CLONE_NEWIPC"),
    (0x10000000, "CLONE_NEWUSER"),
    (0x20000000, "CLONE_NEWPID"),
    (0x40000000, "CLONE_NEWNET"),
    (0x80000000, "CLONE_IO"),
];

const FCNTL_CMD: Table = &[
    (0, "F_DUPFD"),
    (1, "F_GETFD"),
    (2, "F_SETFD"),
    (3, "F_GETFL"),
    (4, "F_SETFL"),
    (5, "F_GETLK"),
    (6, "F_SETLK"),
    (7, "F_SETLKW"),
    (8, "F_SETOWN"),
    (9, "F_GETOWN"),
    (1024, "F_SETLEASE"),
    (1025, "F_GETLEASE"),
    (1026, "F_NOTIFY"),
    (1030, "F_DUPFD_CLOEXEC"),
    (1031, "F_SETPIPE_SZ"),
    (1032, "F_GETPIPE_SZ"),
];

const UFFD_FLAGS: Table = &[(0o4000, "O_NONBLOCK"), (0o2000000, "O_CLOEXEC")];

const CAPS: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

const ERRNO: &[&str] = &[
    "", "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD",
    "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV",
    "ENOTDIR", "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC",
    "ESPIPE", "EROFS", "EMLINK", "EPIPE", "EDOM", "ERANGE",
];

fn bits(v: i64, t: Table, out: &mut String) {
    for (bit, name) in t {
        if *bit != 0 && v & bit == *bit {
            if !out.is_empty() {
                out.push('|');
            }
            out.push_str(name);
        }
    }
}

fn enumerated(v: i64, t: Table) -> Option<String> {
    t.iter().find(|(x, _)| *x == v).map(|(_, n)| n.to_string())
}

/// Open flags, with an optional kernel `fmode` for `O_F_CREATED`.
pub fn open_flags(v: i64, created: bool) -> String {
    let mut s = String::with_capacity(96);
    s.push_str(match v & 3 {
        0 => "O_RDONLY",
        1 => "O_WRONLY",
        _ => "O_RDWR",
    });
    bits(v, OPEN_FLAGS, &mut s);
    if created {
        s.push_str("|O_F_CREATED");
    }
    s
}

pub fn mode(v: i64) -> String {
    // room for every name: one allocation, no regrowth
    let mut s = String::with_capacity(96);
    bits(v, MODE_FLAGS, &mut s);
    if s.is_empty() {
        s.push('0');
    }
    s
}

pub fn caps(v: u64) -> String {
    let mut s = String::new();
    for (i, name) in CAPS.iter().enumerate() {
        if v & (1u64 << i) != 0 {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(name);
        }
    }
    s
}

/// Error name for a negative return value (`-2` -> `ENOENT`).
pub fn errno_name(res: i64) -> String {
    let e = res.unsigned_abs();
    match usize::try_from(e).ok().and_then(|i| ERRNO.get(i)) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => match e {
            36 => "ENAMETOOLONG".into(),
            38 => "ENOSYS".into(),
            39 => "ENOTEMPTY".into(),
            40 => "ELOOP".into(),
            95 => "EOPNOTSUPP".into(),
            97 => "EAFNOSUPPORT".into(),
            98 => "EADDRINUSE".into(),
            101 => "ENETUNREACH".into(),
            104 => "ECONNRESET".into(),
            110 => "ETIMEDOUT".into(),
            111 => "ECONNREFUSED".into(),
            113 => "EHOSTUNREACH".into(),
            114 => "EALREADY".into(),
            115 => "EINPROGRESS".into(),
            _ => format!("E{e}"),
        },
    }
}

/// How a given (event type, parameter) pair renders.
pub fn render(evt: &str, param: &str, v: i64, created: bool) -> Option<String> {
    // flag names are short: this holds a typical rendering without regrowth
    let mut s = String::with_capacity(64);
    match (evt, param) {
        ("open" | "openat" | "openat2" | "creat", "flags") => return Some(open_flags(v, created)),
        (_, "mode") => return Some(mode(v)),
        ("ptrace", "request") => {
            return Some(enumerated(v, PTRACE).unwrap_or_else(|| v.to_string()))
        }
        ("socket" | "socketpair", "domain") => {
            return Some(enumerated(v, AF).unwrap_or_else(|| v.to_string()))
        }
        ("socket" | "socketpair", "type") => {
            let mut s = enumerated(v & 0xf, SOCK_TYPE).unwrap_or_else(|| (v & 0xf).to_string());
            if v & 0o4000 != 0 {
                s.push_str("|SOCK_NONBLOCK");
            }
            if v & 0o2000000 != 0 {
                s.push_str("|SOCK_CLOEXEC");
            }
            return Some(s);
        }
        ("unlinkat" | "linkat" | "execveat" | "fchmodat" | "fchownat" | "newfstatat", "flags") => {
            bits(v, AT_FLAGS, &mut s)
        }
        ("renameat2", "flags") => bits(v, RENAME_FLAGS, &mut s),
        ("memfd_create", "flags") => bits(v, MFD_FLAGS, &mut s),
        ("clone" | "clone3" | "fork" | "vfork" | "unshare", "flags") | ("setns", "nstype") => {
            bits(v, CLONE_FLAGS, &mut s)
        }
        ("fcntl", "cmd") => return Some(enumerated(v, FCNTL_CMD).unwrap_or_else(|| v.to_string())),
        ("userfaultfd" | "pipe2" | "dup3" | "accept4" | "eventfd2" | "inotify_init1", "flags") => {
            bits(v, UFFD_FLAGS, &mut s)
        }
        _ => return None,
    }
    Some(s)
}

/// [`render`]'s text when it is one name of a table of values (a socket
/// domain, a ptrace request, an fcntl command): the same text, without
/// building it; `None` otherwise.
pub fn render_static(evt: &str, param: &str, v: i64) -> Option<&'static str> {
    let table = match (evt, param) {
        ("ptrace", "request") => PTRACE,
        ("socket" | "socketpair", "domain") => AF,
        ("fcntl", "cmd") => FCNTL_CMD,
        _ => return None,
    };
    table.iter().find(|(x, _)| *x == v).map(|(_, n)| *n)
}

/// Parse a hex string (`cafebabe`) to bytes, as `bcontains` operands are written.
pub fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.len() & 1 == 1 {
        return None;
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len() / 2);
    for pair in b.chunks(2) {
        let hi = (pair.first().copied()? as char).to_digit(16)?;
        let lo = (pair.get(1).copied()? as char).to_digit(16)?;
        out.push((hi * 16 + lo) as u8);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_renders_are_the_renders() {
        let mut seen = 0;
        for (evt, param) in [
            ("ptrace", "request"),
            ("socket", "domain"),
            ("socketpair", "domain"),
            ("fcntl", "cmd"),
            ("socket", "type"),
            ("openat", "flags"),
            ("fchmodat", "mode"),
        ] {
            for v in (-2..0x4300).chain([i64::MAX, i64::MIN]) {
                for created in [false, true] {
                    if let Some(s) = render_static(evt, param, v) {
                        assert_eq!(render(evt, param, v, created).as_deref(), Some(s));
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen > 50, "{seen}");
    }

    #[test]
    fn renders() {
        assert_eq!(open_flags(0o1101, false), "O_WRONLY|O_CREAT|O_TRUNC");
        assert_eq!(
            open_flags(0o2000000, true),
            "O_RDONLY|O_CLOEXEC|O_F_CREATED"
        );
        assert_eq!(
            render("ptrace", "request", 16, false).unwrap(),
            "PTRACE_ATTACH"
        );
        assert_eq!(render("socket", "domain", 17, false).unwrap(), "AF_PACKET");
        assert!(render("chmod", "mode", 0o4755, false)
            .unwrap()
            .contains("S_ISUID"));
        assert_eq!(
            render("unlinkat", "flags", 0x200, false).unwrap(),
            "AT_REMOVEDIR"
        );
        assert_eq!(errno_name(-2), "ENOENT");
        assert_eq!(errno_name(-115), "EINPROGRESS");
        assert!(caps(1 << 21).contains("CAP_SYS_ADMIN"));
        assert_eq!(parse_hex("cafebabe").unwrap(), vec![0xca, 0xfe, 0xba, 0xbe]);
    }
}
