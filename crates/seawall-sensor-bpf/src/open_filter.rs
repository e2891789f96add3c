//! The open filter in the kernel's form: the `struct sw_open_filter`
//! bytes and the path-hash keys of `of_keys` (see sensor.h), compiled from
//! an [`OpenFilter`], and an emulation of the kernel's decision
//! (`open_kept` in sensor.bpf.c) that tests check against
//! [`OpenFilter::keeps`].

use std::collections::BTreeMap;

use seawall_event::open_filter::{OpenFilter, MAX_NEEDLES, MAX_PREFIX_DEPTH};

pub(crate) const SEED: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;
const TAG_NAME: u64 = 0x9e37_79b9_7f4a_7c15;
const TAG_DIR: u64 = 0xc2b2_ae3d_27d4_eb4f;
const TAG_FILENAME: u64 = 0x1656_67b1_9e37_79f9;
const TAG_PREFIX: u64 = 0x27d4_eb2f_1656_67c5;
/// Longest resolved path the kernel hashes (`SW_OF_PATH_SCAN`).
#[cfg(test)]
const PATH_SCAN: usize = 512;
/// `of_keys` size.
pub(crate) const MAX_KEYS: usize = 4096;
/// Size of `struct sw_open_filter`.
pub(crate) const CFG_SIZE: usize = 240;

/// 0x01 in every byte (SWAR byte search).
const REP: u64 = 0x0101_0101_0101_0101;

const WRITE: usize = 0;
const SUCCESS: usize = 1;
const FAILED: usize = 2;
const NAME: usize = 3;
const DIR: usize = 4;
const FILENAME: usize = 5;
const PREFIX: usize = 6;
const RAW: usize = 7;
const PATHC: usize = 8;
const CLASSES: usize = 9;

/// `struct sw_open_filter`, field by field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct KernelFilter {
    pub terms: u32,
    pub uses: [u32; CLASSES],
    pub raw_needle: [u64; MAX_NEEDLES],
    pub raw_mask: [u64; MAX_NEEDLES],
    pub raw_terms: [u32; MAX_NEEDLES],
    pub path_needle: [u64; MAX_NEEDLES],
    pub path_mask: [u64; MAX_NEEDLES],
    pub path_terms: [u32; MAX_NEEDLES],
    pub prefix_depth: u32,
    /// 1 when the filter applies.
    pub on: u32,
    /// Each raw needle's first byte in every byte (0: slot unused): the
    /// kernel skips the needle scan when none of them is in the name.
    pub raw_first: [u64; MAX_NEEDLES],
    /// `of_keys`: tagged path hash -> terms it satisfies.
    pub keys: BTreeMap<u64, u32>,
}

fn step(h: u64, c: u8) -> u64 {
    (h ^ u64::from(c)).wrapping_mul(PRIME)
}

/// Hash of path components as the kernel reads them: each component,
/// root first, as a NUL followed by its bytes reversed.
pub(crate) fn comps_hash<'a>(comps: impl IntoIterator<Item = &'a str>) -> u64 {
    let mut h = SEED;
    for c in comps {
        h = step(h, 0);
        for &b in c.as_bytes().iter().rev() {
            h = step(h, b);
        }
    }
    h
}

fn comps(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty())
}

fn mask(len: usize) -> u64 {
    if len >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * len)) - 1
    }
}

impl KernelFilter {
    /// The kernel form of `f`; `None` when it does not fit the kernel's
    /// limits (then the sensor records every open).
    pub(crate) fn compile(f: &OpenFilter) -> Option<KernelFilter> {
        if !f.fits_kernel() {
            return None;
        }
        let mut k = KernelFilter {
            on: 1,
            ..Default::default()
        };
        let mut raw: BTreeMap<&str, u32> = BTreeMap::new();
        let mut path: BTreeMap<&str, u32> = BTreeMap::new();
        for (i, t) in f.terms.iter().enumerate() {
            let bit = 1u32 << i;
            k.terms |= bit;
            let mut uses = |c: usize, on: bool| {
                if on {
                    k.uses[c] |= bit;
                }
            };
            uses(WRITE, t.write);
            uses(SUCCESS, t.success);
            uses(FAILED, t.failed);
            uses(NAME, !t.names.is_empty());
            uses(DIR, !t.dirs.is_empty());
            uses(FILENAME, !t.filenames.is_empty());
            uses(PREFIX, !t.prefixes.is_empty());
            uses(RAW, !t.raw_contains.is_empty());
            uses(PATHC, !t.path_contains.is_empty());
            let mut key = |h: u64, tag: u64| *k.keys.entry(h ^ tag).or_default() |= bit;
            for n in &t.names {
                key(comps_hash(comps(n)), TAG_NAME);
            }
            for d in &t.dirs {
                key(comps_hash(comps(d)), TAG_DIR);
            }
            // a last component never holds a '/'
            for n in t.filenames.iter().filter(|n| !n.contains('/')) {
                key(comps_hash([n.as_str()]), TAG_FILENAME);
            }
            for p in &t.prefixes {
                key(comps_hash(comps(p)), TAG_PREFIX);
                k.prefix_depth = k.prefix_depth.max(comps(p).count() as u32);
            }
            for n in &t.raw_contains {
                *raw.entry(n).or_default() |= bit;
            }
            for n in &t.path_contains {
                *path.entry(n).or_default() |= bit;
            }
        }
        if k.keys.len() > MAX_KEYS || k.prefix_depth as usize > MAX_PREFIX_DEPTH {
            return None;
        }
        for (i, (n, terms)) in raw.into_iter().enumerate() {
            let b = n.as_bytes();
            k.raw_needle[i] = b.iter().fold(0u64, |a, &c| (a << 8) | u64::from(c));
            k.raw_mask[i] = mask(b.len());
            k.raw_terms[i] = terms;
            k.raw_first[i] = b.first().map_or(0, |&c| u64::from(c) * REP);
        }
        for (i, (n, terms)) in path.into_iter().enumerate() {
            let b = n.as_bytes();
            k.path_needle[i] = b
                .iter()
                .enumerate()
                .fold(0u64, |a, (j, &c)| a | (u64::from(c) << (8 * j)));
            k.path_mask[i] = mask(b.len());
            k.path_terms[i] = terms;
        }
        Some(k)
    }

    /// The bytes of `struct sw_open_filter` (native endian).
    pub(crate) fn cfg_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(CFG_SIZE);
        b.extend(self.terms.to_ne_bytes());
        self.uses.iter().for_each(|v| b.extend(v.to_ne_bytes()));
        self.raw_needle
            .iter()
            .for_each(|v| b.extend(v.to_ne_bytes()));
        self.raw_mask.iter().for_each(|v| b.extend(v.to_ne_bytes()));
        self.raw_terms
            .iter()
            .for_each(|v| b.extend(v.to_ne_bytes()));
        self.path_needle
            .iter()
            .for_each(|v| b.extend(v.to_ne_bytes()));
        self.path_mask
            .iter()
            .for_each(|v| b.extend(v.to_ne_bytes()));
        self.path_terms
            .iter()
            .for_each(|v| b.extend(v.to_ne_bytes()));
        b.extend(self.prefix_depth.to_ne_bytes());
        b.extend(self.on.to_ne_bytes());
        self.raw_first
            .iter()
            .for_each(|v| b.extend(v.to_ne_bytes()));
        b
    }
}

/// The kernel's side, for tests.
#[cfg(test)]
impl KernelFilter {
    fn lookup(&self, key: u64) -> u32 {
        self.keys.get(&key).copied().unwrap_or(0)
    }

    /// The kernel's decision, step for step as `open_kept` takes it, for
    /// an open with raw name `raw` and, when the kernel resolved it, the
    /// path `path` in the kernel's layout (components leaf first, each
    /// NUL-terminated).
    pub(crate) fn emulate(
        &self,
        raw: &[u8],
        path: Option<&[u8]>,
        flags: u64,
        ret: i64,
        is_dir: bool,
    ) -> bool {
        if is_dir || self.on == 0 {
            return true;
        }
        let mut sat = self.terms;
        if !matches!(flags & 3, 1 | 2) {
            sat &= !self.uses[WRITE];
        }
        if ret < 0 {
            sat &= !self.uses[SUCCESS];
        } else {
            sat &= !self.uses[FAILED];
        }
        if sat == 0 {
            return false;
        }
        if sat & self.uses[RAW] != 0 && raw.len() <= seawall_event::open_filter::MAX_SCAN {
            let (mut hits, mut win) = (0u32, 0u64);
            // the kernel scans only when a needle's first byte is in the
            // name (8 bytes at a time; bytes past the name may only add
            // false candidates)
            let mut any = 0u64;
            for w in raw.chunks(8) {
                let mut x = [0xffu8; 8];
                x[..w.len()].copy_from_slice(w);
                let x = u64::from_ne_bytes(x);
                for first in self.raw_first.iter().filter(|&&f| f != 0) {
                    let y = x ^ first;
                    any |= y.wrapping_sub(REP) & !y & (REP << 7);
                }
            }
            for &c in raw.iter().take(if any != 0 { raw.len() } else { 0 }) {
                win = (win << 8) | u64::from(c);
                for k in 0..MAX_NEEDLES {
                    if self.raw_mask[k] != 0 && win & self.raw_mask[k] == self.raw_needle[k] {
                        hits |= self.raw_terms[k];
                    }
                }
            }
            sat &= hits | !self.uses[RAW];
            if sat == 0 {
                return false;
            }
        }
        let Some(p) = path.filter(|p| !p.is_empty() && p.len() <= PATH_SCAN) else {
            return sat != 0;
        };
        let path_classes = self.uses[NAME]
            | self.uses[DIR]
            | self.uses[FILENAME]
            | self.uses[PREFIX]
            | self.uses[PATHC];
        if sat & path_classes == 0 {
            return sat != 0;
        }
        let (mut h, mut g, mut hdir, mut win) = (SEED, SEED, SEED, 0u64);
        let (mut depth, mut prefix_hits, mut pathc_hits) = (0u32, 0u32, 0u32);
        let pdepth = if sat & self.uses[PREFIX] != 0 {
            self.prefix_depth
        } else {
            0
        };
        for (i, &c) in p.iter().rev().enumerate() {
            if c == 0 {
                if i > 0 {
                    depth += 1;
                    hdir = h;
                    if depth <= pdepth {
                        prefix_hits |= self.lookup(h ^ TAG_PREFIX);
                    }
                }
                g = SEED;
            } else {
                win = (win << 8) | u64::from(c);
                for k in 0..MAX_NEEDLES {
                    if self.path_mask[k] != 0 && win & self.path_mask[k] == self.path_needle[k] {
                        pathc_hits |= self.path_terms[k];
                    }
                }
            }
            h = step(h, c);
            g = step(g, c);
        }
        depth += 1;
        if depth <= pdepth {
            prefix_hits |= self.lookup(h ^ TAG_PREFIX);
        }
        if sat & self.uses[PREFIX] != 0 {
            sat &= prefix_hits | !self.uses[PREFIX];
        }
        if sat & self.uses[PATHC] != 0 {
            sat &= pathc_hits | !self.uses[PATHC];
        }
        if sat & self.uses[NAME] != 0 {
            sat &= self.lookup(h ^ TAG_NAME) | !self.uses[NAME];
        }
        if sat & self.uses[DIR] != 0 {
            sat &= self.lookup(hdir ^ TAG_DIR) | !self.uses[DIR];
        }
        if sat & self.uses[FILENAME] != 0 {
            sat &= self.lookup(g ^ TAG_FILENAME) | !self.uses[FILENAME];
        }
        sat != 0
    }
}

#[cfg(test)]
/// An absolute path in the kernel's layout: components leaf first, each
/// NUL-terminated (what `put_path` writes).
pub(crate) fn kernel_layout(path: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for c in path.split('/').filter(|c| !c.is_empty()).rev() {
        out.extend_from_slice(c.as_bytes());
        out.push(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use seawall_event::open_filter::{OpenSeen, OpenTerm};
    use std::collections::BTreeSet;

    fn set(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn sample_filter() -> OpenFilter {
        OpenFilter {
            terms: vec![
                OpenTerm {
                    write: true,
                    prefixes: set(&["/etc", "/usr/bin", "/var/lib/dpkg/info"]),
                    ..Default::default()
                },
                OpenTerm {
                    success: true,
                    names: set(&["/etc/shadow", "/etc/sudoers", "/root/.aws/credentials"]),
                    ..Default::default()
                },
                OpenTerm {
                    success: true,
                    dirs: set(&["/etc/sudoers.d", "/etc/pam.d", "/"]),
                    ..Default::default()
                },
                OpenTerm {
                    raw_contains: set(&["../", "id_rsa"]),
                    prefixes: set(&["/etc", "/root"]),
                    ..Default::default()
                },
                OpenTerm {
                    failed: true,
                    filenames: set(&["release_agent", "core_pattern"]),
                    ..Default::default()
                },
                OpenTerm {
                    success: true,
                    path_contains: set(&["liblzma", ".pem"]),
                    ..Default::default()
                },
            ],
        }
    }

    fn corpus() -> Vec<(&'static str, &'static str)> {
        vec![
            ("/etc/hostname", "/etc/hostname"),
            ("/etc/shadow", "/etc/shadow"),
            ("/etc/shadow", "shadow"),
            ("/etc/shadow", "../../etc/shadow"),
            ("/etc/shadowx", "/etc/shadowx"),
            ("/etc/pam.d/sshd", "/etc/pam.d/sshd"),
            ("/etc/pam.d", "/etc/pam.d"),
            ("/etc", "/etc"),
            ("/etcx/passwd", "/etcx/passwd"),
            ("/x", "/x"),
            ("/usr/bin/ls", "/usr/bin/ls"),
            ("/usr/bin", "bin"),
            ("/usr/binx/ls", "/usr/binx/ls"),
            ("/usr/lib/x86_64-linux-gnu/liblzma.so.5", "liblzma.so.5"),
            ("/usr/lib/x86_64-linux-gnu/libz.so.1", "libz.so.1"),
            ("/root/.ssh/id_rsa", "/root/.ssh/id_rsa"),
            ("/root/.ssh/id_rsa", "x/../id_rsa"),
            ("/home/u/.ssh/id_rsa", "../.ssh/id_rsa"),
            (
                "/sys/fs/cgroup/release_agent",
                "/sys/fs/cgroup/release_agent",
            ),
            ("/proc/sys/kernel/core_pattern", "core_pattern"),
            ("/var/lib/dpkg/info/x.list", "/var/lib/dpkg/info/x.list"),
            ("/var/lib/dpkg/info", "/var/lib/dpkg/info"),
            ("/srv/cert.pem", "cert.pem"),
            ("/srv/cert.pe", "cert.pe"),
            ("/root/.aws/credentials", "credentials"),
            ("/a/b/c/d/e/f/g/h", "h"),
        ]
    }

    #[test]
    fn the_kernel_form_decides_as_the_filter() {
        let f = sample_filter();
        let k = KernelFilter::compile(&f).expect("fits");
        assert_eq!(k.cfg_bytes().len(), CFG_SIZE);
        let long_raw = format!("/{}/../x", "a".repeat(300));
        let long_path = format!("/{}", "b/".repeat(300));
        let mut checked = 0;
        for (path, raw) in corpus()
            .into_iter()
            .map(|(p, r)| (p.to_string(), r.to_string()))
            .chain([
                ("/etc/x".to_string(), long_raw),
                (long_path.trim_end_matches('/').to_string(), "b".to_string()),
            ])
        {
            for flags in [0u64, 1, 2, 0o100 | 1] {
                for ret in [3i64, -2] {
                    let seen = OpenSeen {
                        path: (ret >= 0).then_some(path.as_str()),
                        raw: raw.as_bytes(),
                        flags,
                        ret,
                        is_dir: false,
                    };
                    let layout = kernel_layout(&path);
                    // the kernel resolves no path for a failed open, and
                    // passes the path tests of one too long to hash
                    let kpath = (ret >= 0).then_some(layout.as_slice());
                    let want = if ret >= 0 && layout.len() > PATH_SCAN {
                        f.keeps(&OpenSeen { path: None, ..seen })
                    } else {
                        f.keeps(&seen)
                    };
                    assert_eq!(
                        k.emulate(raw.as_bytes(), kpath, flags, ret, false),
                        want,
                        "{path} raw={raw} flags={flags:o} ret={ret}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 200);
        // the corpus has both outcomes
        let kept =
            |p: &str, r: &str, fl| k.emulate(r.as_bytes(), Some(&kernel_layout(p)), fl, 3, false);
        assert!(!kept("/etc/hostname", "/etc/hostname", 0));
        assert!(kept("/etc/hostname", "/etc/hostname", 1));
        assert!(kept("/etc/shadow", "shadow", 0));
        assert!(kept("/etc/pam.d/sshd", "sshd", 0));
        assert!(kept("/x", "/x", 0), "dirs has /");
        assert!(!kept("/usr/binx/ls", "/usr/binx/ls", 1));
        assert!(kept("/usr/lib/liblzma.so.5", "liblzma.so.5", 0));
        assert!(
            k.emulate(b"x", Some(&kernel_layout("/a/b")), 0, 3, true),
            "directories pass"
        );
    }

    #[test]
    fn hashes_follow_the_kernel_layout() {
        // the path read backwards: NUL "cte" NUL "wodahs"
        let mut h = SEED;
        for c in b"\0cte\0wodahs" {
            h = step(h, *c);
        }
        assert_eq!(comps_hash(["etc", "shadow"]), h);
        assert_eq!(kernel_layout("/etc/shadow"), b"shadow\0etc\0");
        assert_eq!(comps_hash(comps("/")), SEED);
    }

    #[test]
    fn filters_beyond_the_kernel_limits_are_not_compiled() {
        let many = OpenFilter {
            terms: vec![OpenTerm {
                names: (0..MAX_KEYS + 1).map(|i| format!("/f/{i}")).collect(),
                ..Default::default()
            }],
        };
        assert!(KernelFilter::compile(&many).is_none());
        // no term: on, and only directories pass
        let none = KernelFilter::compile(&OpenFilter::default()).unwrap();
        assert_eq!(none.on, 1);
        let layout = kernel_layout("/etc/shadow");
        assert!(!none.emulate(b"/etc/shadow", Some(&layout), 1, 3, false));
        assert!(none.emulate(b"/etc", Some(&kernel_layout("/etc")), 0, 3, true));
        assert!(KernelFilter::default().emulate(b"/etc/shadow", Some(&layout), 0, 3, false));
    }
}
