//! The package set equals what the package manager's own tools report on the
//! same files, in both directions: dpkg-query on this machine's dpkg
//! database, `pip list --path` on a site-packages directory, `npm ls --all`
//! on an installed node_modules tree, and `rpm -qa` on an rpm database made
//! here with rpmbuild and `rpm --initdb`.

mod common;
use common::*;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use seawall_catalog::{scan_dir, Ecosystem};

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[track_caller]
fn assert_same(ours: &BTreeSet<String>, theirs: &BTreeSet<String>, what: &str) {
    let missing: Vec<_> = theirs.difference(ours).collect();
    let extra: Vec<_> = ours.difference(theirs).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: missing {missing:?}, extra {extra:?}"
    );
    assert!(!theirs.is_empty(), "{what}: nothing to compare");
}

#[test]
fn dpkg_matches_dpkg_query() {
    let status = Path::new("/var/lib/dpkg/status");
    if !seawall_testutil::require_tool("dpkg_matches_dpkg_query", "dpkg-query") || !status.is_file()
    {
        return;
    }
    let q = stdout(Command::new("dpkg-query").args([
        "--admindir=/var/lib/dpkg",
        "-W",
        "-f",
        "${db:Status-Abbrev}|${Package}|${Version}|${source:Package}|${source:Version}\n",
    ]));
    let mut theirs = BTreeSet::new();
    let mut theirs_src = BTreeSet::new();
    for l in q.lines() {
        let f: Vec<&str> = l.split('|').collect();
        // installed, half-configured, unpacked, triggers: everything but
        // not-installed and config-files
        if f.len() == 5 && !matches!(f[0].as_bytes().get(1), Some(b'n' | b'c')) {
            theirs.insert(format!("{}@{}", f[1], f[2]));
            theirs_src.insert(format!("{}@{} {}@{}", f[1], f[2], f[3], f[4]));
        }
    }
    let pkgs = parse_as("dpkg", status, "var/lib/dpkg/status").unwrap();
    let ours: BTreeSet<String> = ids(&pkgs).into_iter().collect();
    assert_same(&ours, &theirs, "dpkg");
    let ours_src: BTreeSet<String> = pkgs
        .iter()
        .map(|p| {
            format!(
                "{}@{} {}@{}",
                p.name,
                p.version,
                p.source_name.as_deref().unwrap_or(""),
                p.source_version.as_deref().unwrap_or("")
            )
        })
        .collect();
    assert_same(&ours_src, &theirs_src, "dpkg source packages");
}

#[test]
fn python_matches_pip_list() {
    if !seawall_testutil::require_tool("python_matches_pip_list", "python3") {
        return;
    }
    let site = stdout(Command::new("python3").args([
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['purelib'])",
    ]));
    let site = Path::new(site.trim());
    let ok = Command::new("python3")
        .args(["-m", "pip", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok || !site.is_dir() {
        eprintln!("SKIPPED python_matches_pip_list: no pip or site-packages");
        return;
    }
    let json = stdout(
        Command::new("python3")
            .args(["-m", "pip", "list", "--path"])
            .arg(site)
            .args(["--format", "json", "--disable-pip-version-check"]),
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let norm = |n: &str| n.to_ascii_lowercase().replace(['_', '.'], "-");
    let theirs: BTreeSet<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}@{}",
                norm(p["name"].as_str().unwrap()),
                p["version"].as_str().unwrap()
            )
        })
        .collect();
    let (_, pkgs) = scan_dir(site).unwrap();
    let ours: BTreeSet<String> = pkgs
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::PyPI)
        .map(|p| format!("{}@{}", norm(&p.name), p.version))
        .collect();
    assert_same(&ours, &theirs, "pip");
}

#[test]
fn npm_matches_npm_ls() {
    if !seawall_testutil::require_tool("npm_matches_npm_ls", "npm") {
        return;
    }
    let root = stdout(Command::new("npm").args(["root", "-g"]));
    let dir = Path::new(root.trim()).join("npm");
    if !dir.join("node_modules").is_dir() {
        eprintln!(
            "SKIPPED npm_matches_npm_ls: {} has no node_modules",
            dir.display()
        );
        return;
    }
    let out = Command::new("npm")
        .args(["ls", "--all", "--json", "--prefix"])
        .arg(&dir)
        .output()
        .unwrap();
    // npm ls exits 1 when optional dev tooling is missing; the JSON is complete
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut theirs = BTreeSet::new();
    let mut stack = vec![&v];
    while let Some(n) = stack.pop() {
        if let Some(deps) = n.get("dependencies").and_then(|d| d.as_object()) {
            for (name, d) in deps {
                if let (Some(ver), None) =
                    (d.get("version").and_then(|v| v.as_str()), d.get("missing"))
                {
                    theirs.insert(format!("{name}@{ver}"));
                }
                stack.push(d);
            }
        }
    }
    let (_, pkgs) = scan_dir(&dir).unwrap();
    let ours: BTreeSet<String> = pkgs
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Npm)
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    assert_same(&ours, &theirs, "npm");
}

#[test]
fn rpm_sqlite_matches_rpm_qa() {
    if !seawall_testutil::require_tool("rpm_sqlite_matches_rpm_qa", "rpmbuild")
        || !seawall_testutil::require_tool("rpm_sqlite_matches_rpm_qa", "rpm")
    {
        return;
    }
    let top = std::env::temp_dir().join(format!("sw-catalog-rpm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&top);
    std::fs::create_dir_all(top.join("SPECS")).unwrap();
    let specs = [
        (
            "sw-hello",
            "1.2.3",
            "4",
            Some(2),
            "MIT AND BSD-3-Clause",
            "noarch",
        ),
        ("sw-lib", "0.9", "1.el9", None, "GPL-2.0-or-later", "noarch"),
        ("sw-tool", "10.0.1", "7", Some(0), "Apache-2.0", "noarch"),
    ];
    for (name, ver, rel, epoch, lic, arch) in specs {
        let epoch = epoch.map(|e| format!("Epoch: {e}\n")).unwrap_or_default();
        let spec = format!("Name: {name}\nVersion: {ver}\nRelease: {rel}\n{epoch}Summary: t\nLicense: {lic}\nBuildArch: {arch}\n%description\nt\n%files\n");
        let p = top.join("SPECS").join(format!("{name}.spec"));
        std::fs::write(&p, spec).unwrap();
        stdout(
            Command::new("rpmbuild")
                .arg("--quiet")
                .arg("--define")
                .arg(format!("_topdir {}", top.display()))
                .arg("-bb")
                .arg(&p),
        );
    }
    let root = top.join("root");
    std::fs::create_dir_all(&root).unwrap();
    let rpm = || {
        let mut c = Command::new("rpm");
        c.arg("--root")
            .arg(&root)
            .args(["--dbpath", "/var/lib/rpm"]);
        c
    };
    stdout(rpm().arg("--initdb"));
    let rpms: Vec<_> = std::fs::read_dir(top.join("RPMS/noarch"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    stdout(rpm().args(["-i", "--nodeps", "--justdb"]).args(&rpms));
    let qa = stdout(rpm().args([
        "-qa",
        "--qf",
        "%{NAME}@%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE} %{ARCH} %{LICENSE} %{SOURCERPM}\n",
    ]));
    let theirs: BTreeSet<String> = qa.lines().map(str::to_string).collect();
    let db = root.join("var/lib/rpm/rpmdb.sqlite");
    assert!(db.is_file(), "rpm wrote no sqlite database");
    let (_, pkgs) = scan_dir(&root).unwrap();
    let ours: BTreeSet<String> = pkgs
        .iter()
        .map(|p| {
            let src = format!(
                "{}-{}.src.rpm",
                p.source_name.as_deref().unwrap_or(""),
                p.source_version
                    .as_deref()
                    .unwrap_or("")
                    .rsplit(':')
                    .next()
                    .unwrap_or("")
            );
            format!(
                "{}@{} {} {} {}",
                p.name,
                p.version,
                p.arch.as_deref().unwrap_or(""),
                p.licenses.join(","),
                src
            )
        })
        .collect();
    assert_same(&ours, &theirs, "rpm");
    let hello = pkgs.iter().find(|p| p.name == "sw-hello").unwrap();
    assert_eq!(hello.purl, "pkg:rpm/sw-hello@1.2.3-4?arch=noarch&epoch=2");
    std::fs::remove_dir_all(&top).unwrap();
}
