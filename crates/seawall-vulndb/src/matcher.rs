//! Matching installed packages to advisories.
//!
//! * OS packages match by source package and source version, in the
//!   release stream of the scanned OS only: `Debian:<major>`,
//!   `Ubuntu:<YY.MM>` (optionally `:LTS`, never `Pro`), `Alpine:v<X.Y>`.
//!   RHEL-family packages match by binary name in the same major release.
//! * Language packages match by the ecosystem's normalised name (PEP 503
//!   for PyPI, ...). Nothing is ever matched by product name or CPE.
//! * Withdrawn records and RustSec informational notices (unmaintained,
//!   unsound) are not vulnerabilities and are skipped.
//! * Findings about the same package that share an id, alias or upstream
//!   id are merged into one.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use seawall_types::{Ecosystem, Location, OsInfo, Package, Severity};
use seawall_version::{compare, Scheme};

use crate::names::{eco_base, eco_release, normalize_name};
use crate::osv::{Affected, Vulnerability};
use crate::severity::{rate, Rating};
use crate::store::Db;

/// What the distribution says about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// A fixed version exists.
    Fixed,
    /// Affected, no fix released yet.
    AffectedNoFix,
    /// The vendor decided not to fix it.
    WillNotFix,
    /// The release is end-of-life for this package.
    EndOfLife,
    /// The vendor rates it as not worth fixing (Debian `unimportant`,
    /// Ubuntu `negligible`).
    Unimportant,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fixed => "fixed",
            Status::AffectedNoFix => "affected-no-fix",
            Status::WillNotFix => "will-not-fix",
            Status::EndOfLife => "end-of-life",
            Status::Unimportant => "unimportant",
        }
    }

    /// True when no fixed version is available to upgrade to.
    pub fn is_unfixed(self) -> bool {
        self != Status::Fixed
    }
}

/// One vulnerability in one installed package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub aliases: Vec<String>,
    /// The package as inventoried.
    pub package: String,
    pub ecosystem: Ecosystem,
    pub purl: String,
    pub installed_version: String,
    /// The package the advisory names (the source package for distros).
    pub advisory_package: String,
    /// Version compared against the advisory (the source version for
    /// distros).
    pub matched_version: String,
    /// Lowest fixed version above the installed one; `None` when unfixed.
    pub fixed_version: Option<String>,
    /// Every fixed version the advisory lists for this package.
    pub fixed_versions: Vec<String>,
    pub status: Status,
    pub severity: Severity,
    /// Where the severity came from (`ghsa`, `debian`, `ubuntu`,
    /// `cvss_v3`, `cvss_v4`, `none`).
    pub severity_source: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cvss_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cvss_vector: Option<String>,
    pub title: String,
    pub references: Vec<String>,
    /// OSV ecosystem of the matching advisory entry (`Debian:12`).
    pub data_source: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub layer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub locations: Vec<Location>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub published: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub modified: String,
}

/// The OSV ecosystem stream a package is matched in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    /// Ecosystem base (`Debian`, `PyPI`).
    pub base: String,
    /// Release constraint; empty for language ecosystems.
    pub release: Release,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    Any,
    /// Exact release after the base (`12`, `v3.20`).
    Exact(String),
    /// Ubuntu `YY.MM` with optional `:LTS`, excluding Pro streams.
    Ubuntu(String),
    /// Major version of an RPM distribution (`9`).
    Major(String),
}

impl Release {
    fn accepts(&self, eco_rel: &str) -> bool {
        match self {
            Release::Any => true,
            Release::Exact(r) => eco_rel == r,
            Release::Ubuntu(v) => eco_rel == v || eco_rel.strip_suffix(":LTS") == Some(v.as_str()),
            Release::Major(m) => {
                // "9", "9.2", "enterprise_linux:9::appstream", "8-stream"
                eco_rel.split([':', ' ']).any(|part| {
                    let lead: String = part.chars().take_while(char::is_ascii_digit).collect();
                    !lead.is_empty() && &lead == m
                })
            }
        }
    }
}

fn major(v: &str) -> String {
    v.split(['.', '-']).next().unwrap_or(v).to_string()
}

/// The stream a package's advisories live in, or `None` when the OS is
/// unknown or unsupported (OS packages are then not matched at all rather
/// than matched against the wrong release).
pub fn stream_for(pkg: &Package, os: Option<&OsInfo>) -> Option<Stream> {
    let lang = |base: &str| {
        Some(Stream {
            base: base.to_string(),
            release: Release::Any,
        })
    };
    match pkg.ecosystem {
        Ecosystem::PyPI => lang("PyPI"),
        Ecosystem::Npm => lang("npm"),
        Ecosystem::Cargo => lang("crates.io"),
        Ecosystem::Go => lang("Go"),
        Ecosystem::Maven => lang("Maven"),
        Ecosystem::RubyGems => lang("RubyGems"),
        Ecosystem::Packagist => lang("Packagist"),
        Ecosystem::NuGet => lang("NuGet"),
        Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm => {
            let os = os?;
            let fam = os.family.to_ascii_lowercase();
            let ver = os.version.trim();
            let (base, release) = match (pkg.ecosystem, fam.as_str()) {
                (Ecosystem::Deb, "debian") if !ver.is_empty() => {
                    ("Debian", Release::Exact(major(ver)))
                }
                (Ecosystem::Deb, "ubuntu") if !ver.is_empty() => {
                    ("Ubuntu", Release::Ubuntu(ver.to_string()))
                }
                (Ecosystem::Apk, "alpine") if !ver.is_empty() => {
                    let mut it = ver.split('.');
                    let mm = format!("v{}.{}", it.next().unwrap_or(""), it.next().unwrap_or(""));
                    ("Alpine", Release::Exact(mm))
                }
                (Ecosystem::Apk, "wolfi") => ("Wolfi", Release::Any),
                (Ecosystem::Apk, "chainguard") => ("Chainguard", Release::Any),
                (Ecosystem::Rpm, "rhel" | "centos") if !ver.is_empty() => {
                    ("Red Hat", Release::Major(major(ver)))
                }
                (Ecosystem::Rpm, "rocky") if !ver.is_empty() => {
                    ("Rocky Linux", Release::Major(major(ver)))
                }
                (Ecosystem::Rpm, "almalinux") if !ver.is_empty() => {
                    ("AlmaLinux", Release::Major(major(ver)))
                }
                (Ecosystem::Rpm, "opensuse-leap") if !ver.is_empty() => ("openSUSE", Release::Any),
                (Ecosystem::Rpm, "sles") => ("SUSE", Release::Any),
                (Ecosystem::Rpm, "mariner" | "azurelinux") if !ver.is_empty() => {
                    ("Azure Linux", Release::Major(major(ver)))
                }
                _ => return None,
            };
            Some(Stream {
                base: base.to_string(),
                release,
            })
        }
    }
}

/// Name and version compared against advisories: distros publish by
/// source package (Debian, Ubuntu, Alpine origin); RPM distributions by
/// binary name.
pub fn match_identity<'a>(pkg: &'a Package, stream: &Stream) -> (&'a str, &'a str) {
    match pkg.ecosystem {
        Ecosystem::Deb | Ecosystem::Apk => {
            let name = pkg
                .source_name
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or(&pkg.name);
            let ver = pkg
                .source_version
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or(&pkg.version);
            (name, ver)
        }
        _ => {
            let _ = stream;
            (&pkg.name, &pkg.version)
        }
    }
}

/// Result of evaluating one affected entry against a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub affected: bool,
    /// Lowest fixed version above the installed one in a range that
    /// covers it.
    pub next_fix: Option<String>,
    pub all_fixes: Vec<String>,
}

fn is_zero(v: &str) -> bool {
    v == "0"
}

/// Evaluates OSV `ranges` (ECOSYSTEM and SEMVER; GIT ranges cannot be
/// decided from a version and are skipped) and the explicit `versions`
/// list, per the OSV specification's algorithm.
pub fn evaluate(scheme: Scheme, version: &str, a: &Affected) -> Verdict {
    let cmp = |x: &str, y: &str| -> Ordering {
        match (is_zero(x), is_zero(y)) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => compare(scheme, x, y),
        }
    };
    let mut affected = a
        .versions
        .iter()
        .any(|v| v == version || (scheme != Scheme::Generic && cmp(v, version) == Ordering::Equal));
    let mut next_fix: Option<String> = None;
    let mut all_fixes = Vec::new();
    for r in &a.ranges {
        if r.kind != "ECOSYSTEM" && r.kind != "SEMVER" {
            continue;
        }
        let sch = if r.kind == "SEMVER" && scheme == Scheme::Generic {
            Scheme::SemVer
        } else {
            scheme
        };
        let cmp_r = |x: &str, y: &str| -> Ordering {
            match (is_zero(x), is_zero(y)) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                _ => compare(sch, x, y),
            }
        };
        // (version, kind order, kind) sorted; at equal versions introduced
        // is applied before fixed so `introduced X, fixed X` is empty
        let mut evs: Vec<(&str, u8)> = Vec::new();
        for e in &r.events {
            if let Some(v) = &e.introduced {
                evs.push((v, 0));
            } else if let Some(v) = &e.fixed {
                evs.push((v, 1));
                all_fixes.push(v.clone());
            } else if let Some(v) = &e.last_affected {
                evs.push((v, 2));
            }
        }
        evs.sort_by(|x, y| cmp_r(x.0, y.0).then(x.1.cmp(&y.1)));
        let mut in_range = false;
        for (v, k) in &evs {
            match k {
                0 if cmp_r(version, v) != Ordering::Less => in_range = true,
                1 if cmp_r(version, v) != Ordering::Less => in_range = false,
                2 if cmp_r(version, v) == Ordering::Greater => in_range = false,
                _ => {}
            }
        }
        if in_range {
            affected = true;
            let fix = evs
                .iter()
                .filter(|(v, k)| *k == 1 && cmp_r(v, version) == Ordering::Greater)
                .map(|(v, _)| *v)
                .min_by(|x, y| cmp_r(x, y));
            if let Some(f) = fix {
                if next_fix
                    .as_deref()
                    .is_none_or(|n| cmp_r(f, n) == Ordering::Less)
                {
                    next_fix = Some(f.to_string());
                }
            }
        }
    }
    if !affected {
        next_fix = None;
    }
    all_fixes.dedup();
    Verdict {
        affected,
        next_fix,
        all_fixes,
    }
}

fn informational(v: &Vulnerability, a: &Affected) -> bool {
    let inf = |x: &Value| x.get("informational").is_some_and(|i| !i.is_null());
    inf(&a.database_specific) || inf(&v.database_specific)
}

/// Status from the vendor's notes on an affected entry, given whether a
/// fixed version exists.
fn status_of(a: &Affected, has_fix: bool) -> Status {
    if has_fix {
        return Status::Fixed;
    }
    let s = |k: &str| {
        a.ecosystem_specific
            .get(k)
            .or_else(|| a.database_specific.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let urgency = s("urgency");
    let priority = s("priority");
    if urgency == "unimportant" || priority == "negligible" {
        return Status::Unimportant;
    }
    if urgency == "end-of-life" || s("status") == "end-of-life" {
        return Status::EndOfLife;
    }
    if s("nodsa_reason") == "ignored" || s("status") == "will-not-fix" || s("status") == "ignored" {
        return Status::WillNotFix;
    }
    Status::AffectedNoFix
}

fn primary_location(pkg: &Package) -> (Option<String>, Option<String>) {
    pkg.locations
        .first()
        .map_or((None, None), |l| (l.layer.clone(), Some(l.path.clone())))
}

fn finding_from(
    pkg: &Package,
    name: &str,
    ver: &str,
    v: &Vulnerability,
    a: &Affected,
    eco: &str,
    verdict: Verdict,
) -> Finding {
    let Rating {
        severity,
        source,
        score,
        vector,
    } = rate(v, a);
    let (layer, path) = primary_location(pkg);
    let has_fix = verdict.next_fix.is_some();
    let title = v
        .summary
        .clone()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| v.details.as_ref().map(|d| first_sentence(d)))
        .unwrap_or_default();
    Finding {
        id: v.id.clone(),
        aliases: {
            let mut al: Vec<String> = v
                .aliases
                .iter()
                .chain(&v.upstream)
                .filter(|x| **x != v.id)
                .cloned()
                .collect();
            al.sort();
            al.dedup();
            al
        },
        package: pkg.name.clone(),
        ecosystem: pkg.ecosystem,
        purl: pkg.purl.clone(),
        installed_version: pkg.version.clone(),
        advisory_package: name.to_string(),
        matched_version: ver.to_string(),
        fixed_version: verdict.next_fix,
        fixed_versions: verdict.all_fixes,
        status: status_of(a, has_fix),
        severity,
        severity_source: source,
        cvss_score: score,
        cvss_vector: vector,
        title,
        references: v
            .references
            .iter()
            .map(|r| r.url.clone())
            .filter(|u| !u.is_empty())
            .collect(),
        data_source: eco.to_string(),
        layer,
        path,
        locations: pkg.locations.clone(),
        published: v.published.clone(),
        modified: v.modified.clone(),
    }
}

fn first_sentence(d: &str) -> String {
    let line = d.trim().lines().next().unwrap_or("").trim();
    let cut = line.find(". ").map_or(line.len(), |i| i + 1);
    let s = &line[..cut];
    if s.chars().count() > 160 {
        let t: String = s.chars().take(157).collect();
        format!("{t}...")
    } else {
        s.to_string()
    }
}

/// Matches every package against the database. Errors reading individual
/// records are skipped (the database was validated at import).
pub fn match_packages(db: &Db, os: Option<&OsInfo>, pkgs: &[Package]) -> Vec<Finding> {
    let mut cache: HashMap<u32, Option<Vulnerability>> = HashMap::new();
    let mut out = Vec::new();
    for pkg in pkgs {
        let Some(stream) = stream_for(pkg, os) else {
            continue;
        };
        let (name, ver) = match_identity(pkg, &stream);
        let norm = normalize_name(&stream.base, name);
        let mut found: Vec<Finding> = Vec::new();
        for &i in db.candidates(&stream.base, name) {
            let rec = cache.entry(i).or_insert_with(|| db.record(i).ok());
            let Some(v) = rec.as_ref() else { continue };
            if v.is_withdrawn() {
                continue;
            }
            for a in &v.affected {
                let Some(p) = &a.package else { continue };
                if eco_base(&p.ecosystem) != stream.base
                    || !stream.release.accepts(eco_release(&p.ecosystem))
                    || normalize_name(&stream.base, &p.name) != norm
                    || informational(v, a)
                {
                    continue;
                }
                let scheme = Scheme::for_osv_ecosystem(&p.ecosystem);
                let verdict = evaluate(scheme, ver, a);
                if verdict.affected {
                    found.push(finding_from(pkg, name, ver, v, a, &p.ecosystem, verdict));
                    break;
                }
            }
        }
        out.extend(dedupe(found));
    }
    out.sort_by(|a, b| {
        a.package
            .cmp(&b.package)
            .then(a.installed_version.cmp(&b.installed_version))
            .then(b.severity.cmp(&a.severity))
            .then(a.id.cmp(&b.id))
    });
    out
}

/// How preferred an id is as the primary one of a merged finding: distro
/// advisories first, then GHSA, then ecosystem databases, then CVE.
fn id_rank(id: &str) -> u8 {
    let p = id.split('-').next().unwrap_or("");
    match p {
        "DSA" | "DLA" | "DTSA" | "USN" | "RHSA" | "ALSA" | "RLSA" | "SUSE" | "openSUSE" => 0,
        "DEBIAN" | "UBUNTU" | "ALPINE" => 1,
        "GHSA" => 2,
        "PYSEC" | "RUSTSEC" | "GO" => 3,
        "CVE" => 5,
        _ => 4,
    }
}

/// Merges findings for one package whose id/alias sets intersect.
pub fn dedupe(mut found: Vec<Finding>) -> Vec<Finding> {
    found.sort_by(|a, b| id_rank(&a.id).cmp(&id_rank(&b.id)).then(a.id.cmp(&b.id)));
    let mut groups: Vec<Finding> = Vec::new();
    'next: for f in found {
        for g in groups.iter_mut() {
            let gids: Vec<&str> = std::iter::once(g.id.as_str())
                .chain(g.aliases.iter().map(String::as_str))
                .collect();
            let overlap = std::iter::once(f.id.as_str())
                .chain(f.aliases.iter().map(String::as_str))
                .any(|x| gids.contains(&x));
            if overlap {
                for x in std::iter::once(&f.id).chain(&f.aliases) {
                    if *x != g.id && !g.aliases.contains(x) {
                        g.aliases.push(x.clone());
                    }
                }
                g.aliases.sort();
                if g.fixed_version.is_none() && f.fixed_version.is_some() {
                    g.fixed_version = f.fixed_version.clone();
                    g.status = f.status;
                }
                for fx in &f.fixed_versions {
                    if !g.fixed_versions.contains(fx) {
                        g.fixed_versions.push(fx.clone());
                    }
                }
                if g.severity_source == "none" && f.severity_source != "none" {
                    g.severity = f.severity;
                    g.severity_source = f.severity_source.clone();
                    g.cvss_score = f.cvss_score;
                    g.cvss_vector = f.cvss_vector.clone();
                }
                if g.title.is_empty() {
                    g.title = f.title.clone();
                }
                for r in &f.references {
                    if !g.references.contains(r) {
                        g.references.push(r.clone());
                    }
                }
                continue 'next;
            }
        }
        groups.push(f);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osv::{Event, Range};

    fn ev(i: Option<&str>, f: Option<&str>, l: Option<&str>) -> Event {
        Event {
            introduced: i.map(Into::into),
            fixed: f.map(Into::into),
            last_affected: l.map(Into::into),
            limit: None,
        }
    }

    fn aff(events: Vec<Event>) -> Affected {
        Affected {
            ranges: vec![Range {
                kind: "ECOSYSTEM".into(),
                events,
                ..Range::default()
            }],
            ..Affected::default()
        }
    }

    #[test]
    fn ranges_follow_the_osv_algorithm() {
        let a = aff(vec![
            ev(Some("0"), None, None),
            ev(None, Some("1.5"), None),
            ev(Some("2.0"), None, None),
            ev(None, Some("2.3"), None),
        ]);
        let s = Scheme::Pep440;
        assert!(evaluate(s, "1.0", &a).affected);
        assert_eq!(evaluate(s, "1.0", &a).next_fix.as_deref(), Some("1.5"));
        assert!(!evaluate(s, "1.5", &a).affected);
        assert!(!evaluate(s, "1.9", &a).affected);
        assert_eq!(evaluate(s, "2.1", &a).next_fix.as_deref(), Some("2.3"));
        assert!(!evaluate(s, "2.3", &a).affected);
        let la = aff(vec![
            ev(Some("1.0"), None, None),
            ev(None, None, Some("1.2")),
        ]);
        assert!(evaluate(s, "1.2", &la).affected);
        assert!(!evaluate(s, "1.2.1", &la).affected);
        assert!(evaluate(s, "1.1", &la).next_fix.is_none());
        let open = aff(vec![ev(Some("0"), None, None)]);
        assert!(evaluate(Scheme::Dpkg, "1:2.0-1", &open).affected);
    }

    #[test]
    fn release_streams() {
        assert!(Release::Ubuntu("22.04".into()).accepts("22.04:LTS"));
        assert!(!Release::Ubuntu("22.04".into()).accepts("Pro:22.04:LTS"));
        assert!(Release::Major("9".into()).accepts("enterprise_linux:9::appstream"));
        assert!(!Release::Major("9".into()).accepts("enterprise_linux:8::appstream"));
        assert!(Release::Exact("12".into()).accepts("12"));
        assert!(!Release::Exact("12".into()).accepts("11"));
    }
}
