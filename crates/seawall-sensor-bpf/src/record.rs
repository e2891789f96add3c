//! Decoding of ring-buffer records (layout: `src/bpf/sensor.h`).

pub(crate) const KIND_SYSCALL: u16 = 1;
pub(crate) const KIND_EXEC: u16 = 2;
pub(crate) const KIND_FORK: u16 = 3;
pub(crate) const KIND_EXIT: u16 = 4;
pub(crate) const KIND_CGROUP: u16 = 5;

pub(crate) const EXE_WRITABLE: u32 = 1 << 0;
pub(crate) const EXE_UPPER_LAYER: u32 = 1 << 1;
pub(crate) const EXE_FROM_MEMFD: u32 = 1 << 2;
// bit 3 (EXE_LOWER_LAYER) is set by the kernel but has no event field
pub(crate) const FORK_THREAD: u32 = 1 << 0;
pub(crate) const SC_HAS_SOCK: u32 = 1 << 0;
pub(crate) const SC_HAS_FILE: u32 = 1 << 1;

pub(crate) const HDR_SIZE: usize = 224;

/// Socket description read from the kernel `struct sock`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RawSock {
    pub family: u16,
    pub sock_type: u16,
    pub proto: u16,
    pub lport: u16,
    pub rport: u16,
    pub laddr: [u8; 16],
    pub raddr: [u8; 16],
}

/// One decoded record.
#[derive(Clone, Debug, Default)]
pub(crate) struct Raw<'a> {
    pub ts: u64,
    pub cgid: u64,
    pub ret: i64,
    pub args: [u64; 6],
    pub tid: u32,
    pub pid: u32,
    pub ppid: u32,
    /// `uid` .. `vtid` and `comm` are set in exec records only; the others
    /// leave them zero (the thread table has them).
    pub uid: u32,
    pub gid: u32,
    pub loginuid: u32,
    pub tty: u32,
    pub vpid: u32,
    pub vtid: u32,
    pub kind: u16,
    pub nr: u16,
    pub flags: u32,
    pub comm: String,
    pub sock: RawSock,
    pub ino: u64,
    pub ctime_ns: u64,
    pub mtime_ns: u64,
    pub fmode: u32,
    /// Variable parameters (empty when absent).
    pub params: [&'a [u8]; 4],
}

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?))
}

/// Decode a record; `None` when it is truncated or inconsistent.
pub(crate) fn decode(b: &[u8]) -> Option<Raw<'_>> {
    if b.len() < HDR_SIZE {
        return None;
    }
    let mut args = [0u64; 6];
    for (i, a) in args.iter_mut().enumerate() {
        *a = u64_at(b, 24 + 8 * i)?;
    }
    let comm_raw = b.get(124..140)?;
    let end = comm_raw
        .iter()
        .position(|&c| c == 0)
        .unwrap_or(comm_raw.len());
    let comm = String::from_utf8_lossy(&comm_raw[..end]).into_owned();
    let mut laddr = [0u8; 16];
    laddr.copy_from_slice(b.get(156..172)?);
    let mut raddr = [0u8; 16];
    raddr.copy_from_slice(b.get(172..188)?);
    let sock = RawSock {
        family: u16_at(b, 140)?,
        sock_type: u16_at(b, 142)?,
        proto: u16_at(b, 144)?,
        lport: u16_at(b, 146)?,
        rport: u16_at(b, 148)?,
        laddr,
        raddr,
    };
    let mut params: [&[u8]; 4] = [&[]; 4];
    let mut off = HDR_SIZE;
    for (i, p) in params.iter_mut().enumerate() {
        let len = u16_at(b, 116 + 2 * i)? as usize;
        *p = b.get(off..off + len)?;
        off += len;
    }
    Some(Raw {
        ts: u64_at(b, 0)?,
        cgid: u64_at(b, 8)?,
        ret: u64_at(b, 16)? as i64,
        args,
        tid: u32_at(b, 72)?,
        pid: u32_at(b, 76)?,
        ppid: u32_at(b, 80)?,
        uid: u32_at(b, 84)?,
        gid: u32_at(b, 88)?,
        loginuid: u32_at(b, 92)?,
        tty: u32_at(b, 96)?,
        vpid: u32_at(b, 100)?,
        vtid: u32_at(b, 104)?,
        kind: u16_at(b, 108)?,
        nr: u16_at(b, 110)?,
        flags: u32_at(b, 112)?,
        comm,
        sock,
        ino: u64_at(b, 192)?,
        ctime_ns: u64_at(b, 200)?,
        mtime_ns: u64_at(b, 208)?,
        fmode: u32_at(b, 216)?,
        params,
    })
}

/// A NUL-terminated kernel string as text.
pub(crate) fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// NUL-separated strings (argv), dropping the trailing empty one.
pub(crate) fn split_nul(b: &[u8]) -> Vec<String> {
    let mut v: Vec<String> = b
        .split(|&c| c == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    if v.last().is_some_and(|s| s.is_empty()) {
        v.pop();
    }
    v
}

/// Path components written leaf first (NUL separated) turned into an
/// absolute path. A single pseudo component (`memfd:x`, `pipe:[1]`) is
/// returned as is, as Falco does.
pub(crate) fn join_path(b: &[u8]) -> Option<String> {
    if b.is_empty() {
        return None;
    }
    let comps = split_nul(b);
    if comps.len() == 1 {
        let c = &comps[0];
        if c.contains(':') && !c.starts_with('/') && (c.starts_with("memfd:") || c.contains(":[")) {
            return Some(c.clone());
        }
        if c == "/" {
            return Some("/".into());
        }
    }
    let mut out = String::new();
    for c in comps.iter().rev() {
        if c == "/" || c.is_empty() {
            continue;
        }
        out.push('/');
        out.push_str(c);
    }
    if out.is_empty() {
        out.push('/');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_leaf_first_components() {
        assert_eq!(join_path(b"shadow\0etc\0").as_deref(), Some("/etc/shadow"));
        assert_eq!(
            join_path(b"memfd:x (deleted)\0").as_deref(),
            Some("memfd:x (deleted)")
        );
        assert_eq!(join_path(b"").as_deref(), None);
        assert_eq!(join_path(b"/\0").as_deref(), Some("/"));
    }

    #[test]
    fn short_record_is_rejected() {
        assert!(decode(&[0u8; 10]).is_none());
        let mut b = vec![0u8; HDR_SIZE];
        b[116] = 5; // param 0 claims 5 bytes that are not there
        assert!(decode(&b).is_none());
        b[116] = 0;
        let r = decode(&b).unwrap();
        assert!(r.params.iter().all(|p| p.is_empty()));
    }

    #[test]
    fn argv_split() {
        assert_eq!(split_nul(b"sh\0-c\0id\0"), vec!["sh", "-c", "id"]);
    }
}
