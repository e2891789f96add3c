//! Go binaries: the build information the linker embeds (`.go.buildinfo`,
//! found by its magic `\xff Go buildinf:`). Both layouts are read:
//!
//! * Go 1.18+ ("inline", flag bit 2): after the 32-byte header come two
//!   uvarint-length-prefixed strings, the Go version and the module info.
//! * Before 1.18: the header holds two pointers (of the header's pointer
//!   size and byte order) to Go string headers `{data, len}`, resolved
//!   through the ELF program headers.
//!
//! The module info lists `path`, `mod` (main module), `dep` lines, `=>`
//! replacements of the preceding line, and `build` settings. A main module
//! built from a checkout reports `(devel)`; its version is then taken from
//! `-ldflags "-X ...version=..."` or, failing that, a pseudo-version made
//! from `vcs.time`/`vcs.revision`.

use seawall_types::Package;

use crate::gomod::go_pkg;
use crate::util::find;
use crate::{CatalogError, Cataloger, FileMeta, MAX_FILE_SIZE};

pub struct GoBinary;

const MAGIC: &[u8] = b"\xff Go buildinf:";
/// Module info longer than this is not plausible (bounds allocations).
const MAX_MODINFO: usize = 16 * 1024 * 1024;

impl Cataloger for GoBinary {
    fn id(&self) -> &'static str {
        "gobinary"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        m.is_executable() && m.size >= 1024 && m.size <= MAX_FILE_SIZE
    }
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let Some(info) = read_build_info(data) else {
            return Ok(Vec::new());
        };
        Ok(packages(&info, path))
    }
}

/// Go version and module info of a Go binary, `None` when there is none.
#[derive(Debug, PartialEq, Eq)]
pub struct BuildInfo {
    pub go_version: String,
    pub modinfo: String,
}

pub fn read_build_info(data: &[u8]) -> Option<BuildInfo> {
    let mut from = 0;
    while let Some(i) = find(data.get(from..)?, MAGIC) {
        let at = from + i;
        if let Some(b) = decode_at(data, at) {
            return Some(b);
        }
        from = at + 1;
    }
    None
}

fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, &c) in b.iter().enumerate().take(10) {
        x |= u64::from(c & 0x7f) << (7 * i);
        if c & 0x80 == 0 {
            return Some((x, i + 1));
        }
    }
    None
}

fn strip_sentinels(m: &str) -> String {
    let b = m.as_bytes();
    if b.len() >= 33 && b[b.len() - 17] == b'\n' {
        String::from_utf8_lossy(&b[16..b.len() - 16]).into_owned()
    } else {
        m.to_string()
    }
}

fn decode_at(data: &[u8], at: usize) -> Option<BuildInfo> {
    let hdr = data.get(at..at + 32)?;
    let ptr_size = hdr[14] as usize;
    let flags = hdr[15];
    let (version, modinfo) = if flags & 2 != 0 {
        let mut rest = data.get(at + 32..)?;
        let mut strs = Vec::new();
        for _ in 0..2 {
            let (n, used) = uvarint(rest)?;
            let n = usize::try_from(n).ok().filter(|&n| n <= MAX_MODINFO)?;
            let s = rest.get(used..used + n)?;
            strs.push(String::from_utf8_lossy(s).into_owned());
            rest = &rest[used + n..];
        }
        let m = strs.pop()?;
        (strs.pop()?, m)
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return None;
        }
        let big = flags & 1 != 0;
        let rd = |b: &[u8]| -> Option<u64> {
            Some(match (ptr_size, big) {
                (4, false) => u64::from(u32::from_le_bytes(b.get(..4)?.try_into().ok()?)),
                (4, true) => u64::from(u32::from_be_bytes(b.get(..4)?.try_into().ok()?)),
                (_, false) => u64::from_le_bytes(b.get(..8)?.try_into().ok()?),
                (_, true) => u64::from_be_bytes(b.get(..8)?.try_into().ok()?),
            })
        };
        let elf = Elf::parse(data)?;
        let read_string = |addr: u64| -> Option<String> {
            let h = elf.read(data, addr, 2 * ptr_size)?;
            let p = rd(h)?;
            let n = usize::try_from(rd(&h[ptr_size..])?)
                .ok()
                .filter(|&n| n <= MAX_MODINFO)?;
            Some(String::from_utf8_lossy(elf.read(data, p, n)?).into_owned())
        };
        let vp = rd(&hdr[16..])?;
        let mp = rd(&hdr[16 + ptr_size..])?;
        (read_string(vp)?, read_string(mp)?)
    };
    if !version.starts_with("go") && !version.starts_with("devel") {
        return None;
    }
    Some(BuildInfo {
        go_version: version,
        modinfo: strip_sentinels(&modinfo),
    })
}

/// Loadable segments of an ELF file: (vaddr, file offset, file size).
struct Elf {
    segs: Vec<(u64, u64, u64)>,
}

impl Elf {
    fn parse(d: &[u8]) -> Option<Elf> {
        if d.get(..4)? != b"\x7fELF" {
            return None;
        }
        let is64 = *d.get(4)? == 2;
        let big = *d.get(5)? == 2;
        let u16_at = |o: usize| -> Option<u64> {
            let b: [u8; 2] = d.get(o..o + 2)?.try_into().ok()?;
            Some(u64::from(if big {
                u16::from_be_bytes(b)
            } else {
                u16::from_le_bytes(b)
            }))
        };
        let u32_at = |o: usize| -> Option<u64> {
            let b: [u8; 4] = d.get(o..o + 4)?.try_into().ok()?;
            Some(u64::from(if big {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }))
        };
        let u64_at = |o: usize| -> Option<u64> {
            let b: [u8; 8] = d.get(o..o + 8)?.try_into().ok()?;
            Some(if big {
                u64::from_be_bytes(b)
            } else {
                u64::from_le_bytes(b)
            })
        };
        let (phoff, phentsize, phnum) = if is64 {
            (u64_at(0x20)?, u16_at(0x36)?, u16_at(0x38)?)
        } else {
            (u32_at(0x1c)?, u16_at(0x2a)?, u16_at(0x2c)?)
        };
        let mut segs = Vec::new();
        for i in 0..phnum.min(512) {
            let o = usize::try_from(phoff.checked_add(i.checked_mul(phentsize)?)?).ok()?;
            if u32_at(o)? != 1 {
                continue; // PT_LOAD only
            }
            let seg = if is64 {
                (u64_at(o + 16)?, u64_at(o + 8)?, u64_at(o + 32)?)
            } else {
                (u32_at(o + 8)?, u32_at(o + 4)?, u32_at(o + 16)?)
            };
            segs.push(seg);
        }
        Some(Elf { segs })
    }

    fn read<'a>(&self, d: &'a [u8], addr: u64, n: usize) -> Option<&'a [u8]> {
        let (va, off, sz) = self
            .segs
            .iter()
            .find(|(va, _, sz)| addr >= *va && addr - va < *sz)?;
        let _ = sz;
        let start = usize::try_from(off.checked_add(addr - va)?).ok()?;
        d.get(start..start.checked_add(n)?)
    }
}

/// Version given by `-ldflags "-X pkg.version=..."` among the build settings.
fn ldflags_version(ldflags: &str) -> Option<String> {
    let toks: Vec<&str> = ldflags.split_whitespace().collect();
    let mut best: Option<(u8, String)> = None;
    for (i, t) in toks.iter().enumerate() {
        let arg = if *t == "-X" || *t == "--X" {
            toks.get(i + 1).copied()
        } else {
            t.strip_prefix("-X=").or_else(|| t.strip_prefix("-X"))
        };
        let Some(arg) = arg.filter(|a| !a.is_empty()) else {
            continue;
        };
        let arg = arg.trim_matches(|c| c == '\'' || c == '"');
        let Some((key, value)) = arg.split_once('=') else {
            continue;
        };
        let var = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
        let rank = match var.as_str() {
            "version" => 3,
            "gitversion" | "buildversion" | "appversion" | "releaseversion" => 2,
            "ver" | "tag" | "gittag" | "release" => 1,
            _ => continue,
        };
        let value = value.trim_matches(|c| c == '\'' || c == '"');
        if value.is_empty() || !value.starts_with(|c: char| c.is_ascii_digit() || c == 'v') {
            continue;
        }
        let rank = rank + if key.starts_with("main.") { 3 } else { 0 };
        if best.as_ref().is_none_or(|(r, _)| rank > *r) {
            best = Some((rank, value.to_string()));
        }
    }
    best.map(|(_, v)| {
        if v.starts_with('v') {
            v
        } else {
            format!("v{v}")
        }
    })
}

/// `v0.0.0-20240603093900-cf8a8d29271d` from `vcs.time` and `vcs.revision`.
fn pseudo_version(time: &str, rev: &str) -> Option<String> {
    let digits: String = time.chars().filter(char::is_ascii_digit).take(14).collect();
    let rev = rev.get(..12)?;
    if digits.len() != 14 || !rev.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(format!("v0.0.0-{digits}-{rev}"))
}

fn packages(info: &BuildInfo, path: &str) -> Vec<Package> {
    let mut main: Option<(String, String)> = None;
    let mut deps: Vec<(String, String)> = Vec::new();
    let mut settings: Vec<(String, String)> = Vec::new();
    let mut last_is_main = false;
    for line in info.modinfo.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["mod", m, v, ..] => {
                main = Some((m.to_string(), v.to_string()));
                last_is_main = true;
            }
            ["mod", m] => {
                main = Some((m.to_string(), String::new()));
                last_is_main = true;
            }
            ["dep", m, v, ..] => {
                deps.push((m.to_string(), v.to_string()));
                last_is_main = false;
            }
            ["=>", m, v, ..] if !v.is_empty() && !m.starts_with(['.', '/']) => {
                let slot = if last_is_main {
                    main.as_mut()
                } else {
                    deps.last_mut()
                };
                if let Some(s) = slot {
                    *s = (m.to_string(), v.to_string());
                }
            }
            ["=>", ..] => {
                // Replaced by a local directory: the code is not the
                // published version, so the version is unknown.
                if let Some(s) = deps.last_mut().filter(|_| !last_is_main) {
                    s.1 = "(devel)".into();
                }
            }
            ["build", kv] => {
                if let Some((k, v)) = kv.split_once('=') {
                    settings.push((k.to_string(), v.trim_matches('"').to_string()));
                }
            }
            _ => {}
        }
    }
    let setting = |k: &str| {
        settings
            .iter()
            .find(|(s, _)| s == k)
            .map(|(_, v)| v.as_str())
    };
    let mut out = Vec::new();
    if let Some((m, mut v)) = main.filter(|(m, _)| !m.is_empty()) {
        if v.is_empty() || v == "(devel)" {
            if let Some(lv) = setting("-ldflags").and_then(ldflags_version) {
                v = lv;
            } else if let Some(pv) = setting("vcs.time")
                .zip(setting("vcs.revision"))
                .and_then(|(t, r)| pseudo_version(t, r))
            {
                // as Go 1.24 stamps it: uncommitted changes mark the build dirty
                let dirty = setting("vcs.modified") == Some("true");
                v = if dirty { format!("{pv}+dirty") } else { pv };
            } else {
                v = "(devel)".into();
            }
        }
        out.push(go_pkg(&m, &v, path));
    }
    for (m, v) in deps {
        out.push(go_pkg(&m, &v, path));
    }
    if let Some(gv) = info.go_version.strip_prefix("go") {
        // "go1.22.5 X:boringcrypto" -> v1.22.5
        let gv = gv.split_whitespace().next().unwrap_or(gv);
        out.push(go_pkg("stdlib", &format!("v{gv}"), path));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modinfo_with_sentinels(body: &str) -> String {
        let s = "0123456789abcdef";
        format!("{s}{body}\n{s}")
    }

    #[test]
    fn inline_format() {
        let mi = modinfo_with_sentinels("path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.0\th1:x=\ndep\tgithub.com/a/b\tv1.0.0\th1:y=\n=>\tgithub.com/c/b\tv1.1.0\th1:z=\nbuild\t-ldflags=\"-s -X main.version=1.2.3\"");
        let mut d = vec![0u8; 64];
        d.extend_from_slice(MAGIC);
        d.push(8);
        d.push(2);
        d.extend_from_slice(&[0u8; 16]);
        d.push(8);
        d.extend_from_slice(b"go1.21.0");
        d.push((mi.len() & 0x7f) as u8 | 0x80);
        d.push((mi.len() >> 7) as u8);
        d.extend_from_slice(mi.as_bytes());
        let p = GoBinary.parse("usr/bin/app", &d).unwrap();
        let ids: Vec<String> = p
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(
            ids,
            vec![
                "example.com/app@v1.2.3",
                "golang.org/x/text@v0.3.0",
                "github.com/c/b@v1.1.0",
                "stdlib@v1.21.0"
            ]
        );
        // every truncation is handled without panicking
        for n in 0..d.len() {
            let _ = GoBinary.parse("x", &d[..n]);
        }
    }

    #[test]
    fn pointer_format_in_elf64() {
        // A minimal ELF64 LE with one PT_LOAD mapping vaddr 0x400000 -> offset 0.
        let mut d = vec![0u8; 0x1000];
        d[..4].copy_from_slice(b"\x7fELF");
        d[4] = 2;
        d[5] = 1;
        d[0x20..0x28].copy_from_slice(&64u64.to_le_bytes()); // phoff
        d[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        d[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes());
        d[64..68].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        d[64 + 8..64 + 16].copy_from_slice(&0u64.to_le_bytes());
        d[64 + 16..64 + 24].copy_from_slice(&0x400000u64.to_le_bytes());
        d[64 + 32..64 + 40].copy_from_slice(&0x1000u64.to_le_bytes());
        let base = 0x400000u64;
        let ver = b"go1.16.15";
        let mi = modinfo_with_sentinels(
            "path\tx.io/tool\nmod\tx.io/tool\tv0.9.1\th1:a=\ndep\tx.io/dep\tv1.0.0\th1:b=",
        );
        d[0x300..0x300 + ver.len()].copy_from_slice(ver);
        d[0x400..0x400 + mi.len()].copy_from_slice(mi.as_bytes());
        // string headers
        d[0x200..0x208].copy_from_slice(&(base + 0x300).to_le_bytes());
        d[0x208..0x210].copy_from_slice(&(ver.len() as u64).to_le_bytes());
        d[0x210..0x218].copy_from_slice(&(base + 0x400).to_le_bytes());
        d[0x218..0x220].copy_from_slice(&(mi.len() as u64).to_le_bytes());
        // buildinfo header at 0x100
        d[0x100..0x100 + 14].copy_from_slice(MAGIC);
        d[0x100 + 14] = 8;
        d[0x100 + 15] = 0;
        d[0x110..0x118].copy_from_slice(&(base + 0x200).to_le_bytes());
        d[0x118..0x120].copy_from_slice(&(base + 0x210).to_le_bytes());
        let p = GoBinary.parse("bin/tool", &d).unwrap();
        let ids: Vec<String> = p
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(
            ids,
            vec!["x.io/tool@v0.9.1", "x.io/dep@v1.0.0", "stdlib@v1.16.15"]
        );
        for n in (0..d.len()).step_by(7) {
            let _ = GoBinary.parse("x", &d[..n]);
        }
    }

    #[test]
    fn ldflags_forms() {
        assert_eq!(
            ldflags_version("-X main.version=1.2.3").as_deref(),
            Some("v1.2.3")
        );
        assert_eq!(
            ldflags_version(
                "-s -w -X github.com/x/y/internal/version.Version=v0.5.0 -X main.commit=abc"
            )
            .as_deref(),
            Some("v0.5.0")
        );
        assert_eq!(
            ldflags_version("-X 'main.Version=2.0.0'").as_deref(),
            Some("v2.0.0")
        );
        assert_eq!(ldflags_version("-X main.commit=abc"), None);
        assert_eq!(
            pseudo_version("2024-06-03T09:39:00Z", "cf8a8d29271d0000").as_deref(),
            Some("v0.0.0-20240603093900-cf8a8d29271d")
        );
    }
}
