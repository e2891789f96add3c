//! Which open events a rule set can use, in a form the sensor tests in the
//! kernel before it records an open.
//!
//! Most opens on a host (libraries, /proc, caches) interest no rule; the
//! rules engine derives an [`OpenFilter`] from the loaded rules that every
//! open a rule could match passes (an over-approximation), and the sensor
//! drops the others before they cost a ring-buffer record. [`OpenFilter::keeps`]
//! is the reference for the decision the kernel makes.

use std::collections::BTreeSet;

/// Most terms a filter has (the kernel keeps one bit per term).
pub const MAX_TERMS: usize = 32;
/// Most distinct `contains` needles, per kind (raw name, path).
pub const MAX_NEEDLES: usize = 4;
/// Longest `contains` needle the kernel searches for.
pub const MAX_NEEDLE_LEN: usize = 8;
/// Bytes of a raw name the kernel searches; a longer name passes any
/// raw-name test.
pub const MAX_SCAN: usize = 256;
/// Deepest `startswith` prefix, in path components.
pub const MAX_PREFIX_DEPTH: usize = 6;

/// One conjunction: an open passes the term when it passes every test the
/// term has. A test on the path passes when the open failed (the kernel has
/// no resolved path then).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenTerm {
    /// Opened for writing (`O_WRONLY` or `O_RDWR`, as `evt.is_open_write`).
    pub write: bool,
    /// The open succeeded.
    pub success: bool,
    /// The open failed.
    pub failed: bool,
    /// The path is one of these.
    pub names: BTreeSet<String>,
    /// The path's directory is one of these.
    pub dirs: BTreeSet<String>,
    /// The path's last component is one of these.
    pub filenames: BTreeSet<String>,
    /// The path is one of these or below one (whole components: `/etc`
    /// means `/etc` and `/etc/...`).
    pub prefixes: BTreeSet<String>,
    /// The name the process passed contains one of these.
    pub raw_contains: BTreeSet<String>,
    /// The path contains one of these (none holds a `/`).
    pub path_contains: BTreeSet<String>,
}

/// An open as the kernel sees it at the syscall's exit.
#[derive(Clone, Copy, Debug)]
pub struct OpenSeen<'a> {
    /// Absolute path of the opened file; `None` when the open failed.
    pub path: Option<&'a str>,
    /// The name the process passed.
    pub raw: &'a [u8],
    /// Open flags (`creat` counts as `O_CREAT|O_WRONLY|O_TRUNC`).
    pub flags: u64,
    /// The result.
    pub ret: i64,
    /// The opened file is a directory.
    pub is_dir: bool,
}

/// Opens pass when some term holds; directories always pass (later calls
/// resolve paths against directory fds). No term: only directories pass.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenFilter {
    pub terms: Vec<OpenTerm>,
}

impl OpenTerm {
    /// Whether `o` passes every test of the term.
    pub fn holds(&self, o: &OpenSeen<'_>) -> bool {
        if self.write && !matches!(o.flags & 3, 1 | 2) {
            return false;
        }
        if self.success && o.ret < 0 {
            return false;
        }
        if self.failed && o.ret >= 0 {
            return false;
        }
        if !self.raw_contains.is_empty()
            && o.raw.len() <= MAX_SCAN
            && !self
                .raw_contains
                .iter()
                .any(|n| o.raw.windows(n.len()).any(|w| w == n.as_bytes()))
        {
            return false;
        }
        let Some(path) = o.path else {
            return true;
        };
        if !self.names.is_empty() && !self.names.contains(path) {
            return false;
        }
        if !self.dirs.is_empty() && !self.dirs.contains(dirname(path)) {
            return false;
        }
        if !self.filenames.is_empty() && !self.filenames.contains(basename(path)) {
            return false;
        }
        if !self.prefixes.is_empty()
            && !self.prefixes.iter().any(|p| {
                path == p
                    || path
                        .strip_prefix(p.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            })
        {
            return false;
        }
        if !self.path_contains.is_empty()
            && !self.path_contains.iter().any(|n| path.contains(n.as_str()))
        {
            return false;
        }
        true
    }

    /// Whether the term has no test (every open passes it).
    pub fn is_empty(&self) -> bool {
        *self == OpenTerm::default()
    }
}

impl OpenFilter {
    /// The kernel's decision for `o`.
    pub fn keeps(&self, o: &OpenSeen<'_>) -> bool {
        o.is_dir || self.terms.iter().any(|t| t.holds(o))
    }

    /// Whether the kernel can apply the filter as it is (sizes within the
    /// kernel's limits). A filter that cannot be applied keeps every open.
    pub fn fits_kernel(&self) -> bool {
        let needles = |f: fn(&OpenTerm) -> &BTreeSet<String>| {
            let all: BTreeSet<&String> = self.terms.iter().flat_map(f).collect();
            all.len() <= MAX_NEEDLES
                && all
                    .iter()
                    .all(|n| !n.is_empty() && n.len() <= MAX_NEEDLE_LEN)
        };
        self.terms.len() <= MAX_TERMS
            && !self.terms.iter().any(OpenTerm::is_empty)
            && needles(|t| &t.raw_contains)
            && needles(|t| &t.path_contains)
            && self
                .terms
                .iter()
                .flat_map(|t| &t.path_contains)
                .all(|n| !n.contains('/'))
            && self.terms.iter().flat_map(|t| &t.prefixes).all(|p| {
                p.starts_with('/')
                    && p.len() > 1
                    && !p.ends_with('/')
                    && p.split('/').skip(1).all(|c| !c.is_empty())
                    && p.split('/').count() - 1 <= MAX_PREFIX_DEPTH
            })
    }
}

/// `fd.directory` of a file: the path up to its last `/` (`/` for a file
/// in the root).
pub fn dirname(s: &str) -> &str {
    match s.bytes().rposition(|b| b == b'/') {
        Some(0) => "/",
        Some(i) => s.get(..i).unwrap_or(""),
        None => "",
    }
}

/// `fd.filename`: the last component.
pub fn basename(s: &str) -> &str {
    let t = s.trim_end_matches('/');
    match t.rfind('/') {
        Some(i) => t.get(i + 1..).unwrap_or(""),
        None => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn open<'a>(path: Option<&'a str>, raw: &'a str, flags: u64, ret: i64) -> OpenSeen<'a> {
        OpenSeen {
            path,
            raw: raw.as_bytes(),
            flags,
            ret,
            is_dir: false,
        }
    }

    #[test]
    fn terms_are_conjunctions_and_filters_disjunctions() {
        let f = OpenFilter {
            terms: vec![
                OpenTerm {
                    write: true,
                    ..Default::default()
                },
                OpenTerm {
                    success: true,
                    names: set(&["/etc/shadow"]),
                    ..Default::default()
                },
                OpenTerm {
                    success: true,
                    dirs: set(&["/etc/pam.d"]),
                    ..Default::default()
                },
                OpenTerm {
                    prefixes: set(&["/root/.ssh"]),
                    raw_contains: set(&["../"]),
                    ..Default::default()
                },
            ],
        };
        assert!(f.fits_kernel());
        assert!(!f.keeps(&open(Some("/etc/hostname"), "/etc/hostname", 0, 3)));
        assert!(f.keeps(&open(Some("/etc/hostname"), "/etc/hostname", 1, 3)));
        assert!(f.keeps(&open(Some("/etc/hostname"), "/etc/hostname", 2, 3)));
        assert!(f.keeps(&open(Some("/etc/shadow"), "shadow", 0, 3)));
        // a failed open has no path: path tests pass, `success` does not
        assert!(!f.keeps(&open(None, "/etc/shadow", 0, -2)));
        assert!(f.keeps(&open(None, "x/../y", 0, -2)));
        assert!(f.keeps(&open(Some("/etc/pam.d/login"), "login", 0, 3)));
        assert!(!f.keeps(&open(Some("/etc/pam.d"), "/etc/pam.d", 0, 3)));
        let mut dir = open(Some("/etc/pam.d"), "/etc/pam.d", 0, 3);
        dir.is_dir = true;
        assert!(f.keeps(&dir));
        assert!(f.keeps(&open(Some("/root/.ssh/id_rsa"), "../.ssh/id_rsa", 0, 3)));
        assert!(!f.keeps(&open(Some("/root/.ssh/id_rsa"), "/root/.ssh/id_rsa", 0, 3)));
        assert!(!f.keeps(&open(Some("/root/.sshx"), "../.sshx", 0, 3)));
        assert!(f.keeps(&open(Some("/root/.ssh"), "x/../.ssh", 0, 3)));
        // a raw name longer than the kernel searches passes its tests
        let long = format!("/{}", "a".repeat(MAX_SCAN));
        assert!(f.keeps(&open(Some("/root/.ssh/k"), &long, 0, 3)));
    }

    #[test]
    fn limits() {
        let term = |p: &str| OpenTerm {
            prefixes: set(&[p]),
            ..Default::default()
        };
        for bad in ["/", "etc", "/etc/", "/a//b", "/1/2/3/4/5/6/7"] {
            assert!(
                !OpenFilter {
                    terms: vec![term(bad)]
                }
                .fits_kernel(),
                "{bad}"
            );
        }
        assert!(OpenFilter {
            terms: vec![term("/1/2/3/4/5/6")]
        }
        .fits_kernel());
        // no term: only directories pass
        assert!(OpenFilter::default().fits_kernel());
        assert!(!OpenFilter {
            terms: vec![OpenTerm::default()]
        }
        .fits_kernel());
        let needles = |v: &[&str]| OpenFilter {
            terms: vec![OpenTerm {
                raw_contains: set(v),
                ..Default::default()
            }],
        };
        assert!(needles(&["a", "b", "c", "d"]).fits_kernel());
        assert!(!needles(&["a", "b", "c", "d", "e"]).fits_kernel());
        assert!(!needles(&["123456789"]).fits_kernel());
    }
}
