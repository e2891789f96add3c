//! Acceptance tests against the real advisory data in ../shared/vulndata.
//!
//! Language ecosystems: the expected advisories for each pinned package are
//! computed independently of our code, by python `packaging` (PyPI) and
//! node `semver` (npm, Go, crates.io) walking the raw advisory files with
//! the introduced/fixed interval reading of OSV ranges.
//!
//! Debian: Debian:12 OSV records are built from the bookworm changelogs
//! (a CVE named in a `+deb12uN`/`~deb12uN` entry is fixed in that version)
//! and matched through source packages. Alpine: the secdb files.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::PathBuf;
use std::process::Command;

use seawall_types::{Ecosystem, Location, OsInfo, Package};
use seawall_vulndb::{import_into, match_packages, Db, Finding};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("seawall-vulndb-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn pkg(eco: Ecosystem, name: &str, version: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        ecosystem: eco,
        purl: format!("pkg:{}/{}@{}", eco.purl_type(), name, version),
        arch: None,
        source_name: None,
        source_version: None,
        licenses: vec![],
        locations: vec![Location {
            layer: Some("sha256:feed".into()),
            path: format!("app/{name}"),
        }],
        dev: false,
    }
}

/// Every id a finding stands for (its id plus merged aliases).
fn covered(fs: &[Finding], name: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut primary = BTreeSet::new();
    let mut all = BTreeSet::new();
    for f in fs.iter().filter(|f| f.package == name) {
        primary.insert(f.id.clone());
        all.insert(f.id.clone());
        all.extend(f.aliases.iter().cloned());
    }
    (primary, all)
}

fn node_semver(test: &str) -> Option<PathBuf> {
    if !seawall_testutil::require_tool(test, "node") || !seawall_testutil::require_tool(test, "npm")
    {
        return None;
    }
    let dir = std::env::temp_dir().join("seawall-node-semver-7");
    if !dir.join("node_modules/semver/package.json").is_file() {
        std::fs::create_dir_all(&dir).unwrap();
        let ok = Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg("semver@7")
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                !seawall_testutil::in_ci(),
                "{test}: npm install semver failed"
            );
            eprintln!("SKIPPED {test}: npm install semver failed");
            return None;
        }
    }
    Some(dir.join("node_modules/semver"))
}

/// Independent checker for npm, Go and crates.io: prints `name<TAB>id` for
/// every non-withdrawn, non-informational advisory covering the version.
const NODE_CHECK: &str = r#"
const semver = require(process.argv[1]);
const fs = require('fs'), path = require('path');
const queries = JSON.parse(process.argv[2]); // [[ecosystem, name, version, dir]]
const clean = v => v.replace(/^v/, '');
for (const [eco, name, ver, dir] of queries) {
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    const rec = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    if (rec.withdrawn) continue;
    let hit = false;
    for (const a of rec.affected || []) {
      if (!a.package || a.package.ecosystem !== eco || a.package.name !== name) continue;
      if (a.database_specific && a.database_specific.informational) continue;
      if ((a.versions || []).includes(clean(ver)) || (a.versions || []).includes(ver)) hit = true;
      for (const r of a.ranges || []) {
        if (r.type !== 'SEMVER' && r.type !== 'ECOSYSTEM') continue;
        // pair each introduced with the next fixed / last_affected event
        const evs = r.events;
        for (let i = 0; i < evs.length; i++) {
          if (evs[i].introduced === undefined) continue;
          const lo = evs[i].introduced === '0' ? '0.0.0-0' : clean(evs[i].introduced);
          let end = null;
          for (let j = 0; j < evs.length; j++) {
            const e = evs[j];
            const v = e.fixed !== undefined ? e.fixed : e.last_affected;
            if (v === undefined) continue;
            if (semver.gt(clean(v), lo) || (e.last_affected !== undefined && semver.gte(clean(v), lo))) {
              if (end === null || semver.lt(clean(v), end.v)) end = {v: clean(v), last: e.last_affected !== undefined};
            }
          }
          const x = clean(ver);
          if (semver.gte(x, lo) && (end === null || (end.last ? semver.lte(x, end.v) : semver.lt(x, end.v)))) hit = true;
        }
      }
    }
    if (hit) console.log(name + '\t' + rec.id);
  }
}
"#;

/// Independent checker for PyPI using python `packaging`.
const PY_CHECK: &str = r#"
import sys, os, json, re, yaml
from packaging.version import Version, InvalidVersion
root = sys.argv[1]
queries = json.loads(sys.argv[2])
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
files = []
for d, _, fs in os.walk(root):
    files += [os.path.join(d, f) for f in fs if f.endswith('.yaml')]
recs = []
for f in files:
    with open(f) as fh:
        r = yaml.safe_load(fh)
    if isinstance(r, dict) and 'id' in r:
        recs.append(r)
for name, ver in queries:
    v = Version(ver)
    for r in recs:
        if r.get('withdrawn'):
            continue
        hit = False
        for a in r.get('affected') or []:
            p = a.get('package') or {}
            if p.get('ecosystem') != 'PyPI' or norm(p.get('name', '')) != norm(name):
                continue
            for x in a.get('versions') or []:
                try:
                    if Version(str(x)) == v:
                        hit = True
                except InvalidVersion:
                    pass
            for rg in a.get('ranges') or []:
                if rg.get('type') != 'ECOSYSTEM':
                    continue
                evs = rg.get('events') or []
                for e in evs:
                    if 'introduced' not in e:
                        continue
                    lo = str(e['introduced'])
                    lov = None if lo == '0' else Version(lo)
                    end = None
                    for e2 in evs:
                        k = 'fixed' if 'fixed' in e2 else 'last_affected' if 'last_affected' in e2 else None
                        if k is None:
                            continue
                        x = Version(str(e2[k]))
                        if lov is None or x > lov or (k == 'last_affected' and x >= lov):
                            if end is None or x < end[0]:
                                end = (x, k)
                    ok_lo = lov is None or v >= lov
                    ok_hi = end is None or (v <= end[0] if end[1] == 'last_affected' else v < end[0])
                    if ok_lo and ok_hi:
                        hit = True
        if hit:
            print(name + '@' + ver + '\t' + r['id'])
"#;

fn parse_expected(out: &[u8]) -> BTreeMap<String, BTreeSet<String>> {
    let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for l in String::from_utf8_lossy(out).lines() {
        if let Some((n, id)) = l.split_once('\t') {
            m.entry(n.to_string()).or_default().insert(id.to_string());
        }
    }
    m
}

fn assert_exact(fs: &[Finding], expected: &BTreeMap<String, BTreeSet<String>>, names: &[&str]) {
    for n in names {
        let want = expected.get(*n).cloned().unwrap_or_default();
        let (primary, all) = covered(fs, n);
        for id in &want {
            assert!(
                all.contains(id),
                "{n}: expected advisory {id} not reported (got {primary:?})"
            );
        }
        for id in &primary {
            assert!(want.contains(id), "{n}: reported {id}, which the independent check says does not cover the version (expected {want:?})");
        }
    }
}

fn shared_db(test: &str) -> Option<(PathBuf, PathBuf)> {
    let data = seawall_testutil::shared_path(test, "vulndata")?;
    let db = tmpdir(test);
    let (meta, batch) = import_into(&db, &data).unwrap();
    assert!(
        meta.records > 8000,
        "only {} records imported",
        meta.records
    );
    // README.md and the DSA list are not advisories and are passed over;
    // the only records skipped are old secdb entries whose fixed version is
    // not a valid apk version (e.g. "4.8.0.-r1"), each named in a warning
    let other: Vec<&String> = batch
        .warnings
        .iter()
        .filter(|w| !(w.contains("alpine-secdb") && w.contains("bad fixed version")))
        .collect();
    assert!(other.is_empty(), "warnings: {other:#?}");
    assert!(
        batch.warnings.len() < 40,
        "{} warnings",
        batch.warnings.len()
    );
    Some((db, data))
}

#[test]
fn language_packages_report_exactly_the_covering_advisories() {
    let test = "language_packages_report_exactly_the_covering_advisories";
    let Some((dbdir, data)) = shared_db(test) else {
        return;
    };
    let db = Db::open(&dbdir).unwrap();

    // vulnerable pins and pins outside every range
    let pypi = [
        ("django", "3.2.0"),
        ("Jinja2", "2.10"),
        ("requests", "2.19.0"),
        ("urllib3", "1.24.1"),
        ("PyYAML", "5.3"),
        ("pillow", "8.1.0"),
        ("django", "5.1.2"),
        ("requests", "2.32.3"),
    ];
    let npm = [
        ("lodash", "4.17.15"),
        ("express", "4.17.1"),
        ("braces", "2.3.0"),
        ("semver", "7.5.1"),
        ("path-to-regexp", "0.1.7"),
        ("axios", "1.5.1"),
        ("axios", "1.6.0"),
        ("lodash", "4.17.21"),
        ("semver", "7.6.3"),
    ];
    let go = [
        ("golang.org/x/net", "v0.7.0"),
        ("github.com/gin-gonic/gin", "v1.6.0"),
        ("golang.org/x/crypto", "v0.0.0-20200622213623-75b288015ac9"),
        ("golang.org/x/text", "v0.3.5"),
        ("golang.org/x/net", "v0.99.0"),
    ];
    let crates = [
        ("tokio", "1.0.0"),
        ("hyper", "0.14.0"),
        ("smallvec", "1.6.0"),
        ("time", "0.1.43"),
        ("regex", "1.5.4"),
        ("tokio", "1.99.0"),
    ];

    let mut pkgs = Vec::new();
    pkgs.extend(pypi.iter().map(|(n, v)| pkg(Ecosystem::PyPI, n, v)));
    pkgs.extend(npm.iter().map(|(n, v)| pkg(Ecosystem::Npm, n, v)));
    pkgs.extend(go.iter().map(|(n, v)| pkg(Ecosystem::Go, n, v)));
    pkgs.extend(crates.iter().map(|(n, v)| pkg(Ecosystem::Cargo, n, v)));

    // one package per test call so same-name pins at other versions do not mix
    let mut by_pkg: Vec<(Package, Vec<Finding>)> = Vec::new();
    for p in &pkgs {
        by_pkg.push((
            p.clone(),
            match_packages(&db, None, std::slice::from_ref(p)),
        ));
    }
    // every finding carries the package's location
    for (_, fs) in &by_pkg {
        for f in fs {
            assert_eq!(f.layer.as_deref(), Some("sha256:feed"));
            assert!(f.path.as_deref().is_some_and(|p| p.starts_with("app/")));
        }
    }

    // PyPI via python packaging (one process for all pins)
    if seawall_testutil::require_tool(test, "python3") {
        let q = serde_json::to_string(&pypi.to_vec()).unwrap();
        let out = Command::new("python3")
            .args(["-c", PY_CHECK])
            .arg(data.join("pypa/vulns"))
            .arg(q)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let exp = parse_expected(&out.stdout);
        for (n, v) in pypi {
            let fs = &by_pkg
                .iter()
                .find(|(p, _)| p.name == n && p.version == v)
                .unwrap()
                .1;
            let want: BTreeMap<String, BTreeSet<String>> = [(
                n.to_string(),
                exp.get(&format!("{n}@{v}")).cloned().unwrap_or_default(),
            )]
            .into_iter()
            .collect();
            assert_exact(fs, &want, &[n]);
            if v == "3.2.0" || v == "2.10" {
                assert!(!fs.is_empty(), "{n} {v} should be vulnerable");
            }
        }
    }

    // npm, Go, crates.io via node semver
    if let Some(semver) = node_semver(test) {
        let mut queries: Vec<(String, String, String, String, Ecosystem)> = Vec::new();
        for (n, v) in npm {
            queries.push((
                "npm".into(),
                n.into(),
                v.into(),
                data.join("ghsa-npm-sample").display().to_string(),
                Ecosystem::Npm,
            ));
        }
        for (n, v) in go {
            queries.push((
                "Go".into(),
                n.into(),
                v.into(),
                data.join("go-vulndb/osv").display().to_string(),
                Ecosystem::Go,
            ));
        }
        for (n, v) in crates {
            queries.push((
                "crates.io".into(),
                n.into(),
                v.into(),
                data.join("rustsec/osv").display().to_string(),
                Ecosystem::Cargo,
            ));
        }
        for (eco, n, v, dir, e) in &queries {
            let q = serde_json::to_string(&vec![(eco, n, v, dir)]).unwrap();
            let out = Command::new("node")
                .args(["-e", NODE_CHECK])
                .arg(&semver)
                .arg(q)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let exp = parse_expected(&out.stdout);
            let fs = &by_pkg
                .iter()
                .find(|(p, _)| p.name == *n && p.version == *v && p.ecosystem == *e)
                .unwrap()
                .1;
            assert_exact(fs, &exp, &[n.as_str()]);
            let expect_some = !(v.starts_with("v0.99")
                || v.starts_with("1.99")
                || *v == "4.17.21"
                || *v == "7.6.3"
                || (n == "axios" && v == "1.6.0"));
            assert_eq!(
                !fs.is_empty(),
                expect_some,
                "{n} {v}: {:?}",
                fs.iter().map(|f| &f.id).collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn withdrawn_records_are_ignored() {
    let test = "withdrawn_records_are_ignored";
    let Some(rustsec) = seawall_testutil::shared_path(test, "vulndata/rustsec/osv") else {
        return;
    };
    let dbdir = tmpdir(test);
    import_into(&dbdir, &rustsec).unwrap();
    let db = Db::open(&dbdir).unwrap();
    let mut checked = 0;
    for e in std::fs::read_dir(&rustsec).unwrap().flatten() {
        let v: seawall_vulndb::Vulnerability =
            serde_json::from_slice(&std::fs::read(e.path()).unwrap()).unwrap();
        if !v.is_withdrawn() {
            continue;
        }
        for a in &v.affected {
            let Some(p) = &a.package else { continue };
            // a version inside the record's first range
            let Some(intro) = a
                .ranges
                .iter()
                .flat_map(|r| &r.events)
                .find_map(|e| e.introduced.clone())
            else {
                continue;
            };
            let ver = if intro == "0" {
                "0.0.1".to_string()
            } else {
                intro
            };
            let verdict =
                seawall_vulndb::matcher::evaluate(seawall_version::Scheme::SemVer, &ver, a);
            if !verdict.affected {
                continue;
            }
            let fs = match_packages(&db, None, &[pkg(Ecosystem::Cargo, &p.name, &ver)]);
            assert!(
                !fs.iter().any(|f| f.id == v.id || f.aliases.contains(&v.id)),
                "withdrawn {} reported for {} {ver}",
                v.id,
                p.name
            );
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} withdrawn records exercised");
}

struct Entry {
    version: String,
    dist: String,
    date_days: Option<i64>,
    cves: BTreeSet<String>,
}

fn month(m: &str) -> Option<u32> {
    [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|x| *x == m)
    .map(|i| i as u32 + 1)
}

/// Parses a Debian changelog into entries (newest first).
fn parse_changelog(text: &str) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    for line in text.lines() {
        if !line.starts_with(' ')
            && !line.trim().is_empty()
            && line.contains(" (")
            && line.contains(';')
        {
            let Some((_, rest)) = line.split_once(" (") else {
                continue;
            };
            let Some((ver, rest)) = rest.split_once(')') else {
                continue;
            };
            let dist = rest.split(';').next().unwrap_or("").trim().to_string();
            out.push(Entry {
                version: ver.to_string(),
                dist,
                date_days: None,
                cves: BTreeSet::new(),
            });
        } else if let Some(e) = out.last_mut() {
            if line.starts_with(" -- ") {
                // " -- Name <mail>  Sat, 10 Jun 2023 10:00:00 +0200"
                if let Some((_, date)) = line.rsplit_once(">  ") {
                    let parts: Vec<&str> = date.split_whitespace().collect();
                    if parts.len() >= 4 {
                        if let (Ok(d), Some(m), Ok(y)) = (
                            parts[1].parse::<u32>(),
                            month(parts[2]),
                            parts[3].parse::<i64>(),
                        ) {
                            e.date_days = Some(seawall_vulndb::timeutil::days_from_civil(y, m, d));
                        }
                    }
                }
            } else {
                let mut s = line;
                while let Some(i) = s.find("CVE-") {
                    let id: String = s[i..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                        .collect();
                    let ok = id.len() >= 13 && id[4..8].chars().all(|c| c.is_ascii_digit());
                    if ok {
                        e.cves.insert(id.trim_end_matches('-').to_string());
                    }
                    s = &s[i + 4..];
                }
            }
        }
    }
    out
}

/// Source package -> binary packages installed on this machine.
fn binaries_by_source() -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let Ok(status) = std::fs::read_to_string("/var/lib/dpkg/status") else {
        return m;
    };
    for para in status.split("\n\n") {
        let mut name = None;
        let mut src = None;
        for l in para.lines() {
            if let Some(v) = l.strip_prefix("Package: ") {
                name = Some(v.trim().to_string());
            } else if let Some(v) = l.strip_prefix("Source: ") {
                src = Some(v.split_whitespace().next().unwrap_or("").to_string());
            }
        }
        if let Some(n) = name {
            m.entry(src.unwrap_or_else(|| n.clone()))
                .or_default()
                .push(n);
        }
    }
    m
}

#[test]
fn debian_bookworm_cves_reported_through_source_packages() {
    let test = "debian_bookworm_cves_reported_through_source_packages";
    let Some(dir) = seawall_testutil::shared_path(test, "vulndata/debian-changelogs") else {
        return;
    };
    let release_day = seawall_vulndb::timeutil::days_from_civil(2023, 6, 10);
    let bins = binaries_by_source();
    // source -> (bookworm release version, installed version, {CVE: fixed})
    let mut sources: BTreeMap<String, (String, String, BTreeMap<String, String>)> = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let fname = e.file_name().to_string_lossy().into_owned();
        let Some(stem) = fname.strip_suffix(".changelog.Debian.gz") else {
            continue;
        };
        let Some((src, ver)) = stem.split_once('_') else {
            continue;
        };
        let installed = ver.replace("%3a", ":");
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(e.path()).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let entries = parse_changelog(&text);
        let Some(release) = entries.iter().find(|x| {
            x.date_days.is_some_and(|d| d <= release_day) && !x.dist.contains("experimental")
        }) else {
            continue;
        };
        let mut fixes: BTreeMap<String, String> = BTreeMap::new();
        // oldest entries first so the first fixing version wins
        for x in entries.iter().rev() {
            if (x.version.contains("deb12u")) && x.dist.contains("bookworm") {
                for c in &x.cves {
                    fixes.entry(c.clone()).or_insert_with(|| x.version.clone());
                }
            }
        }
        // only CVEs fixed after the release matter for the release version
        fixes.retain(|_, v| seawall_version::dpkg::compare(&release.version, v).is_lt());
        if !fixes.is_empty() {
            sources.insert(src.to_string(), (release.version.clone(), installed, fixes));
        }
    }
    assert!(
        sources.len() >= 50,
        "only {} source packages with bookworm fixes",
        sources.len()
    );
    assert!(
        sources.get("openssl").is_some_and(
            |s| s.2.get("CVE-2025-15467").map(String::as_str) == Some("3.0.18-1~deb12u2")
        )
    );

    // Debian:12 OSV records, one per CVE, plus a Debian:11 decoy
    let recdir = tmpdir("debian-records");
    let mut by_cve: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (src, (_, _, fixes)) in &sources {
        for (cve, v) in fixes {
            by_cve
                .entry(cve.clone())
                .or_default()
                .push((src.clone(), v.clone()));
        }
    }
    for (cve, list) in &by_cve {
        let affected: Vec<serde_json::Value> = list
            .iter()
            .map(|(src, v)| serde_json::json!({"package": {"ecosystem": "Debian:12", "name": src}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": v}]}]}))
            .collect();
        let rec = serde_json::json!({"id": format!("DEBIAN-{cve}"), "upstream": [cve], "modified": "2026-11-19T00:00:00Z", "affected": affected});
        std::fs::write(recdir.join(format!("DEBIAN-{cve}.json")), rec.to_string()).unwrap();
    }
    let decoy = serde_json::json!({"id": "DEBIAN-CVE-1999-0001", "modified": "2026-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "Debian:11", "name": "openssl"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]});
    std::fs::write(recdir.join("decoy.json"), decoy.to_string()).unwrap();
    let dbdir = tmpdir(test);
    import_into(&dbdir, &recdir).unwrap();
    let db = Db::open(&dbdir).unwrap();

    let os = OsInfo {
        family: "debian".into(),
        version: "12".into(),
        codename: Some("bookworm".into()),
        pretty_name: None,
    };
    let mk = |src: &str, ver: &str| -> Vec<Package> {
        let names = bins
            .get(src)
            .cloned()
            .unwrap_or_else(|| vec![src.to_string()]);
        names
            .into_iter()
            .map(|b| {
                let mut p = pkg(Ecosystem::Deb, &b, ver);
                p.purl = format!("pkg:deb/debian/{b}@{ver}?distro=debian-12");
                p.source_name = Some(src.to_string());
                p.source_version = Some(ver.to_string());
                p
            })
            .collect()
    };
    let mut at_release = Vec::new();
    let mut at_installed = Vec::new();
    for (src, (rel, inst, _)) in &sources {
        at_release.extend(mk(src, rel));
        at_installed.extend(mk(src, inst));
    }
    let found = match_packages(&db, Some(&os), &at_release);
    let got: BTreeSet<(String, String)> = found
        .iter()
        .map(|f| {
            (
                f.package.clone(),
                f.aliases.first().cloned().unwrap_or_default(),
            )
        })
        .collect();
    let mut want = BTreeSet::new();
    for p in &at_release {
        let src = p.source_name.clone().unwrap();
        for cve in sources[&src].2.keys() {
            want.insert((p.name.clone(), cve.clone()));
        }
    }
    assert_eq!(
        got, want,
        "bookworm release versions: reported (binary, CVE) pairs differ"
    );
    for f in &found {
        assert_eq!(f.data_source, "Debian:12");
        assert!(f.fixed_version.is_some());
        assert_eq!(f.status, seawall_vulndb::Status::Fixed);
        let p = at_release.iter().find(|p| p.name == f.package).unwrap();
        assert_eq!(p.source_name.as_deref(), Some(f.advisory_package.as_str()));
    }
    assert!(
        found
            .iter()
            .any(|f| f.package == "libssl3" || f.package == "openssl"),
        "no openssl binary findings"
    );
    assert!(
        !found.iter().any(|f| f.id == "DEBIAN-CVE-1999-0001"),
        "Debian:11 record leaked into a Debian 12 scan"
    );

    let fixed = match_packages(&db, Some(&os), &at_installed);
    assert!(
        fixed.is_empty(),
        "fixed versions still reported: {:?}",
        fixed
            .iter()
            .take(5)
            .map(|f| (&f.package, &f.id, &f.installed_version))
            .collect::<Vec<_>>()
    );

    // The same through a real root file system: a dpkg status database and
    // os-release, cataloged the way `seawall image dir:ROOT` and image
    // layers are (binary packages with their Source: fields).
    let root_scan = |name: &str, pkgs: &[Package]| -> Vec<seawall_vulndb::Finding> {
        let root = tmpdir(name);
        std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(
            root.join("etc/os-release"),
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
        )
        .unwrap();
        let mut status = String::new();
        for p in pkgs {
            let src = p.source_name.clone().unwrap_or_default();
            status.push_str(&format!(
                "Package: {}\nStatus: install ok installed\nArchitecture: amd64\nSource: {src}\nVersion: {}\nDescription: test\n\n",
                p.name, p.version
            ));
        }
        std::fs::write(root.join("var/lib/dpkg/status"), status).unwrap();
        let r = seawall_catalog::scan_dir_report(&root).unwrap();
        assert_eq!(r.packages.len(), pkgs.len(), "{name}: cataloged packages");
        let os = r.os.clone().expect("os-release detected");
        assert_eq!((os.family.as_str(), os.version.as_str()), ("debian", "12"));
        let found = match_packages(&db, Some(&os), &r.packages);
        let _ = std::fs::remove_dir_all(&root);
        found
    };
    let from_root: BTreeSet<(String, String)> = root_scan("root-release", &at_release)
        .iter()
        .map(|f| {
            (
                f.package.clone(),
                f.aliases.first().cloned().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(from_root, want, "root with the release versions");
    assert!(root_scan("root-fixed", &at_installed).is_empty());

    // the same packages on another release stream match nothing
    let os11 = OsInfo {
        version: "11".into(),
        ..os.clone()
    };
    let on11 = match_packages(&db, Some(&os11), &at_release);
    assert!(
        on11.iter().all(|f| f.id == "DEBIAN-CVE-1999-0001"),
        "Debian:12 records matched a Debian 11 scan"
    );
}

#[test]
fn alpine_secdb_matches_by_release_and_origin() {
    let test = "alpine_secdb_matches_by_release_and_origin";
    let Some(sample) = seawall_testutil::shared_path(test, "vulndata/alpine-vuln-list-sample")
    else {
        return;
    };
    let Some(old) = seawall_testutil::shared_path(test, "vulndata/alpine-secdb") else {
        return;
    };
    let dbdir = tmpdir(test);
    import_into(&dbdir, &old).unwrap();
    import_into(&dbdir, &sample).unwrap();
    let db = Db::open(&dbdir).unwrap();
    let os = OsInfo {
        family: "alpine".into(),
        version: "3.20.3".into(),
        codename: None,
        pretty_name: None,
    };
    let mut checked = 0;
    for e in std::fs::read_dir(sample.join("3.20/main"))
        .unwrap()
        .flatten()
    {
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(e.path()).unwrap()).unwrap();
        let name = doc["name"].as_str().unwrap().to_string();
        let fixes: Vec<(String, Vec<String>)> = doc["secfixes"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.as_str() != "0")
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_array()
                        .unwrap()
                        .iter()
                        .map(|c| {
                            c.as_str()
                                .unwrap()
                                .split_whitespace()
                                .next()
                                .unwrap()
                                .to_string()
                        })
                        .collect(),
                )
            })
            .collect();
        for (installed, _) in &fixes {
            // a subpackage (libcrypto3 from openssl) matches through its origin
            let mut p = pkg(Ecosystem::Apk, &format!("{name}-libs"), installed);
            p.source_name = Some(name.clone());
            let got: BTreeSet<String> = match_packages(&db, Some(&os), &[p])
                .into_iter()
                .flat_map(|f| f.aliases)
                .collect();
            let want: BTreeSet<String> = fixes
                .iter()
                .filter(|(v, _)| seawall_version::apk::compare(installed, v).is_lt())
                .flat_map(|(_, c)| c.iter().cloned())
                .filter(|c| c.starts_with("CVE-"))
                .collect();
            assert_eq!(got, want, "{name} {installed} on Alpine 3.20");
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} Alpine versions checked");
    // an old release's entries: openssl on 3.11 at a version fixed there
    let os311 = OsInfo {
        version: "3.11.6".into(),
        ..os.clone()
    };
    let old_hits = match_packages(
        &db,
        Some(&os311),
        &[pkg(Ecosystem::Apk, "openssl", "1.1.1d-r0")],
    );
    assert!(!old_hits.is_empty(), "no Alpine 3.11 openssl findings");
    assert!(old_hits.iter().all(|f| f.data_source == "Alpine:v3.11"));
}

#[test]
fn malformed_record_is_skipped_with_a_warning_naming_file_and_id() {
    let dir = tmpdir("malformed-src");
    std::fs::write(dir.join("GOOD-1.json"), r#"{"id":"GOOD-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"demo"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]}"#).unwrap();
    std::fs::write(dir.join("BAD-7.json"), r#"{"id":"BAD-7","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"demo"},"ranges":[{"type":"ECOSYSTEM","events":"oops"}]}]}"#).unwrap();
    std::fs::write(dir.join("BAD-8.yaml"), "id: BAD-8\naffected: [\n").unwrap();
    let dbdir = tmpdir("malformed-db");
    let (meta, batch) = import_into(&dbdir, &dir).unwrap();
    assert_eq!(meta.records, 1);
    assert!(
        batch
            .warnings
            .iter()
            .any(|w| w.contains("BAD-7.json") && w.contains("BAD-7")),
        "{:?}",
        batch.warnings
    );
    assert!(
        batch.warnings.iter().any(|w| w.contains("BAD-8.yaml")),
        "{:?}",
        batch.warnings
    );
    let db = Db::open(&dbdir).unwrap();
    let fs = match_packages(&db, None, &[pkg(Ecosystem::PyPI, "Demo", "1.0")]);
    assert_eq!(fs.len(), 1);
    assert_eq!(fs[0].fixed_version.as_deref(), Some("2.0"));
}
