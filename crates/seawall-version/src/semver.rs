//! SemVer 2.0 precedence (crates.io, npm, Hex, Pub), plus the Go module and
//! NuGet variants built on it.

use std::cmp::Ordering;

use crate::num::{cmp_digits, is_digits};

/// A version split into numeric core and prerelease identifiers; build
/// metadata is dropped since it never affects precedence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemVer {
    pub core: Vec<String>,
    pub pre: Vec<String>,
}

/// Strict SemVer 2.0 (`MAJOR.MINOR.PATCH[-PRE][+BUILD]`, optional leading
/// `v` or `=` as node-semver allows).
pub fn parse_strict(v: &str) -> Option<SemVer> {
    let v = v.trim();
    let v = v.strip_prefix('=').unwrap_or(v).trim_start();
    let v = v.strip_prefix('v').unwrap_or(v);
    let (main, _build) = match v.split_once('+') {
        Some((m, b)) => {
            if b.is_empty() || !b.split('.').all(valid_ident) {
                return None;
            }
            (m, Some(b))
        }
        None => (v, None),
    };
    let (core, pre) = match main.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (main, None),
    };
    let core: Vec<&str> = core.split('.').collect();
    if core.len() != 3
        || !core
            .iter()
            .all(|n| is_digits(n) && (n.len() == 1 || !n.starts_with('0')))
    {
        return None;
    }
    let pre: Vec<String> = match pre {
        Some(p) => {
            let ids: Vec<&str> = p.split('.').collect();
            if !ids
                .iter()
                .all(|i| valid_ident(i) && !(is_digits(i) && i.len() > 1 && i.starts_with('0')))
            {
                return None;
            }
            ids.into_iter().map(str::to_string).collect()
        }
        None => Vec::new(),
    };
    Some(SemVer {
        core: core.into_iter().map(str::to_string).collect(),
        pre,
    })
}

fn valid_ident(i: &str) -> bool {
    !i.is_empty() && i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Lenient parse for versions that are not strict SemVer (`1.2`, `1.2.3.4`,
/// `v1`): numeric parts, then the rest after the first `-` as prerelease.
pub fn parse_lenient(v: &str) -> SemVer {
    if let Some(s) = parse_strict(v) {
        return s;
    }
    let v = v.trim();
    let v = v.strip_prefix('v').unwrap_or(v);
    let main = v.split('+').next().unwrap_or("");
    let (core, pre) = match main.split_once('-') {
        Some((c, p)) => (c, p),
        None => (main, ""),
    };
    let mut nums: Vec<String> = Vec::new();
    let mut extra_pre = Vec::new();
    for part in core.split('.') {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() || !extra_pre.is_empty() {
            if !part.is_empty() {
                extra_pre.push(part.to_string());
            }
            continue;
        }
        nums.push(digits.clone());
        if digits.len() < part.len() {
            extra_pre.push(part[digits.len()..].to_string());
        }
    }
    while nums.len() < 3 {
        nums.push("0".into());
    }
    let mut pre_ids: Vec<String> = extra_pre;
    pre_ids.extend(pre.split('.').filter(|s| !s.is_empty()).map(str::to_string));
    SemVer {
        core: nums,
        pre: pre_ids,
    }
}

fn cmp_ident(a: &str, b: &str, fold_case: bool) -> Ordering {
    match (is_digits(a), is_digits(b)) {
        (true, true) => cmp_digits(a, b),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => {
            if fold_case {
                a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase())
            } else {
                a.cmp(b)
            }
        }
    }
}

fn cmp_pre(a: &[String], b: &[String], fold_case: bool) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    for (x, y) in a.iter().zip(b) {
        match cmp_ident(x, y, fold_case) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    a.len().cmp(&b.len())
}

fn cmp_core(a: &[String], b: &[String]) -> Ordering {
    let n = a.len().max(b.len());
    for k in 0..n {
        let x = a.get(k).map_or("0", String::as_str);
        let y = b.get(k).map_or("0", String::as_str);
        match cmp_digits(x, y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

impl Ord for SemVer {
    fn cmp(&self, o: &Self) -> Ordering {
        cmp_core(&self.core, &o.core).then_with(|| cmp_pre(&self.pre, &o.pre, false))
    }
}
impl PartialOrd for SemVer {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// SemVer precedence (lenient on malformed input).
pub fn compare(a: &str, b: &str) -> Ordering {
    parse_lenient(a).cmp(&parse_lenient(b))
}

/// Go module versions: `v1.2.3`, pseudo-versions
/// (`v0.0.0-20191109021931-daa7c04131f5`, ordered as prereleases),
/// `+incompatible` (build metadata, ignored), and toolchain versions
/// (`go1.21.3`, `go1.22rc1`, `1.21`) as the Go vulnerability database writes
/// them (`1.22.0-rc.1`).
pub fn go_normalize(v: &str) -> String {
    let v = v.trim();
    let v = v.strip_prefix("go").unwrap_or(v);
    let v = v.strip_prefix('v').unwrap_or(v);
    // go1.22rc1 / 1.21beta2 style toolchain prereleases
    if let Some(pos) = v.find(|c: char| c.is_ascii_alphabetic()) {
        let (num, rest) = v.split_at(pos);
        if !num.is_empty()
            && !num.contains('-')
            && num.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && (rest.starts_with("rc") || rest.starts_with("beta") || rest.starts_with("alpha"))
        {
            let label: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
            let n = &rest[label.len()..];
            let mut parts: Vec<&str> = num.trim_end_matches('.').split('.').collect();
            while parts.len() < 3 {
                parts.push("0");
            }
            return format!(
                "{}-{}.{}",
                parts.join("."),
                label,
                if n.is_empty() { "0" } else { n }
            );
        }
    }
    v.to_string()
}

pub fn go_compare(a: &str, b: &str) -> Ordering {
    compare(&go_normalize(a), &go_normalize(b))
}

/// NuGet versions: up to four numeric parts, prerelease labels compared
/// case-insensitively, metadata ignored.
pub fn nuget_compare(a: &str, b: &str) -> Ordering {
    let x = parse_lenient(a);
    let y = parse_lenient(b);
    cmp_core(&x.core, &y.core).then_with(|| cmp_pre(&x.pre, &y.pre, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn semver_precedence_from_spec() {
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.10.0",
        ];
        for w in ordered.windows(2) {
            assert_eq!(compare(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(compare("1.0.0+build", "1.0.0"), Equal);
        assert!(parse_strict("01.0.0").is_none());
        assert!(parse_strict("1.0").is_none());
        assert_eq!(compare("1.2", "1.2.0"), Equal);
    }

    #[test]
    fn go_versions() {
        assert_eq!(
            go_compare(
                "v0.0.0-20191109021931-daa7c04131f5",
                "0.0.0-20200101000000-aaaaaaaaaaaa"
            ),
            Less
        );
        assert_eq!(go_compare("v2.0.0+incompatible", "2.0.0"), Equal);
        assert_eq!(go_compare("go1.22rc1", "1.22.0"), Less);
        assert_eq!(go_compare("go1.22rc1", "1.22.0-rc.1"), Equal);
        assert_eq!(go_compare("go1.21.3", "1.21.4"), Less);
        assert_eq!(
            go_compare("v1.2.4-0.20200101000000-abcdef123456", "1.2.3"),
            Greater
        );
        assert_eq!(
            go_compare("v1.2.4-0.20200101000000-abcdef123456", "1.2.4"),
            Less
        );
    }

    #[test]
    fn nuget_versions() {
        assert_eq!(nuget_compare("1.0.0.1", "1.0.0"), Greater);
        assert_eq!(nuget_compare("1.0.0-Beta", "1.0.0-beta"), Equal);
        assert_eq!(nuget_compare("1.0", "1.0.0.0"), Equal);
    }
}
