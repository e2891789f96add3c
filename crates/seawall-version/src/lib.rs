//! Version comparison for every package ecosystem seawall matches
//! advisories in. Each scheme follows its package manager's own algorithm,
//! verified against the real tools where they exist (dpkg, rpm, python
//! `packaging`, node `semver`) by differential tests in `tests/oracle.rs`.
//!
//! ```
//! use seawall_version::{compare, Scheme};
//! use std::cmp::Ordering;
//! assert_eq!(compare(Scheme::Dpkg, "1.0~rc1", "1.0"), Ordering::Less);
//! assert_eq!(Scheme::for_osv_ecosystem("Debian:12"), Scheme::Dpkg);
//! ```

use std::cmp::Ordering;

pub mod apk;
pub mod dpkg;
pub mod maven;
mod num;
pub mod pep440;
pub mod rpm;
pub mod rubygems;
pub mod semver;

/// A version ordering scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Dpkg,
    Rpm,
    Apk,
    Pep440,
    SemVer,
    Go,
    Maven,
    RubyGems,
    NuGet,
    /// Numeric and alphabetic runs compared piecewise (Packagist and
    /// anything unknown).
    Generic,
}

impl Scheme {
    /// The scheme for an OSV `affected[].package.ecosystem` value
    /// (`Debian:12`, `Alpine:v3.20`, `Ubuntu:22.04:LTS`, `PyPI`, ...).
    pub fn for_osv_ecosystem(eco: &str) -> Scheme {
        let base = eco.split(':').next().unwrap_or(eco);
        match base {
            "Debian" | "Ubuntu" | "Linux Mint" => Scheme::Dpkg,
            "Alpine"
            | "Alpaquita"
            | "BellSoft Hardened Containers"
            | "Wolfi"
            | "Chainguard"
            | "MinimOS" => Scheme::Apk,
            "Red Hat" | "Rocky Linux" | "AlmaLinux" | "openSUSE" | "SUSE" | "Mageia"
            | "Photon OS" | "Azure Linux" | "CBL-Mariner" | "openEuler" | "Oracle Linux"
            | "Amazon Linux" | "Fedora" | "CentOS" => Scheme::Rpm,
            "PyPI" => Scheme::Pep440,
            "npm" | "crates.io" | "Hex" | "Pub" | "SwiftURL" | "Bitnami" => Scheme::SemVer,
            "Go" => Scheme::Go,
            "Maven" => Scheme::Maven,
            "RubyGems" => Scheme::RubyGems,
            "NuGet" => Scheme::NuGet,
            _ => Scheme::Generic,
        }
    }
}

/// Compares two versions under `scheme`. Never panics; input that is not
/// valid for the scheme falls back to a lenient reading so the result is
/// still a deterministic order.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Ordering {
    match scheme {
        Scheme::Dpkg => dpkg::compare(a, b),
        Scheme::Rpm => rpm::compare(a, b),
        Scheme::Apk => apk::compare(a, b),
        Scheme::Pep440 => match (pep440::parse(a), pep440::parse(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => generic_compare(a, b),
        },
        Scheme::SemVer => semver::compare(a, b),
        Scheme::Go => semver::go_compare(a, b),
        Scheme::Maven => maven::compare(a, b),
        Scheme::RubyGems => rubygems::compare(a, b),
        Scheme::NuGet => semver::nuget_compare(a, b),
        Scheme::Generic => generic_compare(a, b),
    }
}

/// True when `v` is a well-formed version for `scheme` (schemes without a
/// strict grammar accept any non-empty string).
pub fn is_valid(scheme: Scheme, v: &str) -> bool {
    match scheme {
        Scheme::Pep440 => pep440::parse(v).is_some(),
        Scheme::Apk => apk::is_valid(v),
        Scheme::Dpkg => dpkg::parse(v).is_some_and(|p| {
            p.upstream
                .as_bytes()
                .first()
                .is_some_and(u8::is_ascii_digit)
        }),
        _ => !v.trim().is_empty(),
    }
}

/// Piecewise comparison of digit runs (numerically) and other runs
/// (lexically), ignoring separators.
pub fn generic_compare(a: &str, b: &str) -> Ordering {
    fn runs(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let st = i;
            if b[i].is_ascii_digit() {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                out.push((true, &s[st..i]));
            } else if b[i].is_ascii_alphabetic() {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                out.push((false, &s[st..i]));
            } else {
                i += 1;
            }
        }
        out
    }
    let x = runs(a);
    let y = runs(b);
    for (p, q) in x.iter().zip(&y) {
        let o = match (p, q) {
            ((true, m), (true, n)) => num::cmp_digits(m, n),
            ((true, _), (false, _)) => Ordering::Greater,
            ((false, _), (true, _)) => Ordering::Less,
            ((false, m), (false, n)) => m.cmp(n),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    x.len().cmp(&y.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystem_schemes() {
        assert_eq!(Scheme::for_osv_ecosystem("Alpine:v3.20"), Scheme::Apk);
        assert_eq!(
            Scheme::for_osv_ecosystem("Ubuntu:Pro:16.04:LTS"),
            Scheme::Dpkg
        );
        assert_eq!(Scheme::for_osv_ecosystem("crates.io"), Scheme::SemVer);
        assert_eq!(
            Scheme::for_osv_ecosystem("Red Hat:enterprise_linux:9::appstream"),
            Scheme::Rpm
        );
        assert_eq!(generic_compare("1.10", "1.9"), Ordering::Greater);
    }
}
