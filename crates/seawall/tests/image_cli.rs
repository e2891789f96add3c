//! `seawall sbom` / `seawall image` against real images built by
//! scripts/build-test-images.sh (podman + runc from a debootstrap'd bookworm
//! root). The SBOM's package set must equal what the distro's own tools
//! report on the same final root (extracted with `podman export`), for every
//! image and every source kind, and a registry pull must give the same SBOM
//! as the docker-archive.
//!
//! Needs root, podman, skopeo, debootstrap, rpm, dpkg-query, pip, npm, go and
//! docker-registry: skipped with a message elsewhere, a failure under CI=true.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use seawall_testutil::run_ok;
use seawall_types::Ecosystem;

const IMAGES: &[&str] = &["deb-layers", "apps", "distroless"];

fn seawall() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_seawall"));
    c.env("SOURCE_DATE_EPOCH", "1700000000");
    c
}

fn tools_ok(test: &str) -> bool {
    if !seawall_testutil::is_root() {
        if seawall_testutil::in_ci() {
            panic!("{test}: must run as root in CI");
        }
        eprintln!("SKIPPED {test}: needs root to build images with podman");
        return false;
    }
    [
        "podman",
        "runc",
        "skopeo",
        "debootstrap",
        "rpm",
        "rpmbuild",
        "dpkg-query",
        "pip",
        "npm",
        "go",
        "docker-registry",
    ]
    .iter()
    .all(|t| seawall_testutil::require_tool(test, t))
}

/// Builds (or reuses) the test images; their directory.
fn images() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let script = seawall_testutil::repo_root().join("scripts/build-test-images.sh");
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .expect("run build-test-images.sh");
        assert!(
            out.status.success(),
            "build-test-images.sh failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

fn sbom(target: &str, format: &str, extra: &[&str]) -> seawall_sbom::Sbom {
    let mut c = seawall();
    c.args(["sbom", target, "--format", format]).args(extra);
    let out = run_ok(c);
    seawall_sbom::read(target, &out.stdout).unwrap()
}

type Set = BTreeSet<(String, String)>;

fn pkgs(s: &seawall_sbom::Sbom, eco: Ecosystem) -> Set {
    s.packages
        .iter()
        .filter(|p| p.ecosystem == eco)
        .map(|p| (norm_name(eco, &p.name), p.version.clone()))
        .collect()
}

fn norm_name(eco: Ecosystem, n: &str) -> String {
    match eco {
        Ecosystem::PyPI => n.to_ascii_lowercase().replace(['_', '.'], "-"),
        _ => n.to_string(),
    }
}

fn lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// dpkg's view: `dpkg-query --admindir` on the status file, or on status.d
/// entries joined into one status file (distroless).
fn dpkg_truth(root: &Path) -> Set {
    let admin = root.join("var/lib/dpkg");
    let tmp = tempfile_dir();
    let admindir = if admin.join("status").is_file() {
        admin
    } else if admin.join("status.d").is_dir() {
        let mut all = Vec::new();
        for e in std::fs::read_dir(admin.join("status.d")).unwrap() {
            let mut b = std::fs::read(e.unwrap().path()).unwrap();
            b.extend_from_slice(b"\n");
            all.extend(b);
        }
        std::fs::create_dir_all(tmp.join("info")).unwrap();
        std::fs::write(tmp.join("status"), all).unwrap();
        tmp.clone()
    } else {
        return Set::new();
    };
    let mut c = Command::new("dpkg-query");
    c.arg(format!("--admindir={}", admindir.display())).args([
        "-W",
        "-f",
        "${db:Status-Abbrev}|${Package}|${Version}\n",
    ]);
    let out = run_ok(c);
    let _ = std::fs::remove_dir_all(&tmp);
    lines(&out)
        .into_iter()
        .filter_map(|l| {
            let mut it = l.split('|');
            let st = it.next()?;
            let (n, v) = (it.next()?, it.next()?);
            st.starts_with("ii").then(|| (n.to_string(), v.to_string()))
        })
        .collect()
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "seawall-image-cli-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rpm_truth(root: &Path) -> Set {
    let mut set = Set::new();
    for db in ["var/lib/rpm", "usr/lib/sysimage/rpm"] {
        if !root.join(db).join("rpmdb.sqlite").is_file()
            && !root.join(db).join("Packages").is_file()
        {
            continue;
        }
        let mut c = Command::new("rpm");
        c.args(["-qa", "--root"])
            .arg(root)
            .args(["--dbpath", &format!("/{db}")])
            .args([
                "--qf",
                "%{NAME}|%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n",
            ]);
        for l in lines(&run_ok(c)) {
            if let Some((n, v)) = l.split_once('|') {
                set.insert((n.to_string(), v.to_string()));
            }
        }
    }
    set
}

fn find_dirs(root: &Path, pred: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 12 {
        return;
    }
    let Ok(rd) = std::fs::read_dir(root) else {
        return;
    };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            let p = e.path();
            if pred(&p) {
                out.push(p.clone());
            }
            find_dirs(&p, pred, out, depth + 1);
        }
    }
}

fn pip_truth(root: &Path) -> Set {
    let mut dirs = Vec::new();
    let is_site = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n == "site-packages" || n == "dist-packages")
    };
    find_dirs(root, &is_site, &mut dirs, 0);
    let mut set = Set::new();
    for d in dirs {
        let mut c = Command::new("pip");
        c.args(["list", "--format", "json", "--path"]).arg(&d);
        c.env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
        let out = run_ok(c);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for p in v.as_array().unwrap() {
            set.insert((
                norm_name(Ecosystem::PyPI, p["name"].as_str().unwrap()),
                p["version"].as_str().unwrap().to_string(),
            ));
        }
    }
    set
}

fn npm_walk(v: &serde_json::Value, set: &mut Set, depth: usize) {
    if depth > 64 {
        return;
    }
    if let Some(deps) = v.get("dependencies").and_then(|d| d.as_object()) {
        for (name, d) in deps {
            if let Some(ver) = d.get("version").and_then(|x| x.as_str()) {
                set.insert((name.clone(), ver.to_string()));
            }
            npm_walk(d, set, depth + 1);
        }
    }
}

/// `npm ls --all --json` in every directory holding node_modules.
fn npm_truth(root: &Path) -> Set {
    let mut dirs = Vec::new();
    let has_nm = |p: &Path| {
        p.join("node_modules").is_dir()
            && p.join("package.json").is_file()
            && !p.components().any(|c| c.as_os_str() == "node_modules")
    };
    find_dirs(root, &has_nm, &mut dirs, 0);
    let mut set = Set::new();
    for d in dirs {
        let out = Command::new("npm")
            .args(["ls", "--all", "--json"])
            .current_dir(&d)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        npm_walk(&v, &mut set, 0);
    }
    set
}

/// `go version -m` module lines recorded by the build script.
fn go_truth(dir: &Path) -> Set {
    let Ok(t) = std::fs::read_to_string(dir.join("expected/go-version-m.txt")) else {
        return Set::new();
    };
    let mut set = Set::new();
    for l in t.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if let ["mod" | "dep", path, ver, ..] = f.as_slice() {
            set.insert((path.to_string(), ver.to_string()));
        }
        if let [_, gover] = f.as_slice() {
            if gover.starts_with("go1") {
                set.insert(("stdlib".to_string(), gover.to_string()));
            }
        }
    }
    set
}

fn pairs_file(dir: &Path, name: &str) -> Set {
    std::fs::read_to_string(dir.join("expected").join(name))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn check_against_truth(image: &str, target: &str, s: &seawall_sbom::Sbom) {
    let dir = images();
    let root = dir.join(format!("{image}.rootfs"));
    let checks: Vec<(Ecosystem, Set)> = vec![
        (Ecosystem::Deb, dpkg_truth(&root)),
        (Ecosystem::Rpm, rpm_truth(&root)),
        (Ecosystem::PyPI, pip_truth(&root)),
        (Ecosystem::Npm, npm_truth(&root)),
    ];
    for (eco, truth) in checks {
        let got = pkgs(s, eco);
        let missing: Vec<_> = truth.difference(&got).collect();
        let extra: Vec<_> = got.difference(&truth).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{image} via {target}, {eco:?}: missing {missing:?}, extra {extra:?}"
        );
    }
    if image == "apps" {
        let maven: Set = s
            .packages
            .iter()
            .filter(|p| p.ecosystem == Ecosystem::Maven)
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        let want = pairs_file(dir, "maven.txt");
        assert!(
            want.iter().all(|(n, v)| maven
                .iter()
                .any(|(mn, mv)| (mn == n || n.ends_with(&format!(":{mn}"))) && mv == v)),
            "{target}: maven {maven:?} lacks {want:?}"
        );
        let cargo = pkgs(s, Ecosystem::Cargo);
        assert_eq!(
            cargo,
            pairs_file(dir, "cargo.txt"),
            "{target}: cargo-auditable"
        );
        // `go version -m` prints go1.19.8 and (devel) where purls use
        // v1.19.8 and the -ldflags -X version.
        let bare = |v: &str| {
            v.trim_start_matches("go")
                .trim_start_matches('v')
                .to_string()
        };
        let go = pkgs(s, Ecosystem::Go);
        for (m, v) in go_truth(dir) {
            assert!(
                go.iter()
                    .any(|(gn, gv)| gn == &m && (bare(gv) == bare(&v) || v == "(devel)")),
                "{target}: go module {m} {v} not in {go:?}"
            );
        }
    }
}

fn targets(image: &str) -> Vec<String> {
    let d = images();
    let mut t = vec![
        format!(
            "docker-archive:{}",
            d.join(format!("{image}.docker.tar")).display()
        ),
        format!(
            "oci-archive:{}",
            d.join(format!("{image}.oci.tar")).display()
        ),
        format!("oci:{}:latest", d.join(format!("{image}.oci")).display()),
    ];
    if d.join(format!("{image}.zstd.oci")).is_dir() {
        t.push(format!(
            "oci:{}",
            d.join(format!("{image}.zstd.oci")).display()
        ));
    }
    t
}

#[test]
fn image_sbom_matches_distro_tools_for_every_image_and_source() {
    if !tools_ok("image_sbom_matches_distro_tools_for_every_image_and_source") {
        return;
    }
    for image in IMAGES {
        let mut first: Option<Vec<seawall_types::Package>> = None;
        for target in targets(image) {
            let s = sbom(&target, "cyclonedx", &["--no-cache"]);
            check_against_truth(image, &target, &s);
            match &first {
                None => first = Some(s.packages.clone()),
                Some(f) => assert_eq!(f, &s.packages, "{target} differs from the docker-archive"),
            }
        }
    }
}

#[test]
fn removed_and_whited_out_packages_are_absent() {
    if !tools_ok("removed_and_whited_out_packages_are_absent") {
        return;
    }
    let t = format!(
        "docker-archive:{}",
        images().join("deb-layers.docker.tar").display()
    );
    let s = sbom(&t, "spdx", &["--no-cache"]);
    let names: Vec<(&str, &str)> = s
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    assert!(
        !names.iter().any(|(n, _)| *n == "less"),
        "less was purged in an upper layer"
    );
    assert!(
        !names.iter().any(|(n, _)| n.starts_with("hidden")),
        "whiteout-hidden dist-info"
    );
    assert!(
        names.contains(&("six", "1.16.0")) && !names.contains(&("six", "1.15.0")),
        "opaque dir"
    );
    assert!(names.iter().any(|(n, _)| *n == "jq"));
    assert!(names.iter().any(|(n, _)| *n == "express"));
    let os = s.os.as_ref().unwrap();
    assert_eq!((os.family.as_str(), os.version.as_str()), ("debian", "12"));
    // Every package says which layer brought it in.
    assert!(s.packages.iter().all(|p| p
        .locations
        .iter()
        .all(|l| l.layer.as_deref().is_some_and(|d| d.starts_with("sha256:")))));
    let openssl = s.packages.iter().find(|p| p.name == "openssl").unwrap();
    assert!(
        openssl.purl.starts_with("pkg:deb/debian/openssl@")
            && openssl.purl.contains("arch=amd64")
            && openssl.purl.contains("distro=debian-12"),
        "{}",
        openssl.purl
    );
}

fn python_ok(code: &str, file: &Path) -> Result<(), String> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(code)
        .arg(file)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

#[test]
fn sboms_validate_against_the_official_schemas() {
    if !tools_ok("sboms_validate_against_the_official_schemas") {
        return;
    }
    let tmp = tempfile_dir();
    for image in IMAGES {
        let t = format!(
            "docker-archive:{}",
            images().join(format!("{image}.docker.tar")).display()
        );
        let cdx = tmp.join(format!("{image}.cdx.json"));
        let spdx = tmp.join(format!("{image}.spdx.json"));
        let mut c = seawall();
        c.args(["sbom", &t, "--format", "cyclonedx", "--no-cache", "-o"])
            .arg(&cdx);
        run_ok(c);
        let mut c = seawall();
        c.args(["sbom", &t, "--format", "spdx", "--no-cache", "-o"])
            .arg(&spdx);
        run_ok(c);
        python_ok(
            "import sys\nfrom cyclonedx.schema import SchemaVersion\nfrom cyclonedx.validation.json import JsonStrictValidator\n\
             e = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())\n\
             sys.exit(str(e) if e else 0)",
            &cdx,
        )
        .unwrap_or_else(|e| panic!("{image}: CycloneDX invalid: {e}"));
        let out = Command::new("pyspdxtools")
            .arg("-i")
            .arg(&spdx)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{image}: SPDX invalid: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn warm_rescan_uses_the_layer_cache() {
    if !tools_ok("warm_rescan_uses_the_layer_cache") {
        return;
    }
    let tmp = tempfile_dir();
    let cache = tmp.join("cache");
    let t = format!(
        "docker-archive:{}",
        images().join("apps.docker.tar").display()
    );
    let scan = |c: &Path| -> serde_json::Value {
        let mut cmd = seawall();
        cmd.args([
            "image",
            &t,
            "--scanners",
            "secret,config",
            "--format",
            "json",
        ])
        .arg("--cache-dir")
        .arg(c);
        serde_json::from_slice(&run_ok(cmd).stdout).unwrap()
    };
    let cold = scan(&cache);
    let warm = scan(&cache);
    let cached = |v: &serde_json::Value| -> Vec<bool> {
        v["artifact"]["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["cached"].as_bool().unwrap())
            .collect()
    };
    assert!(cached(&cold).iter().all(|c| !c));
    assert!(cached(&warm).iter().all(|c| *c));
    assert_eq!(cold["packages"], warm["packages"]);
    assert!(!cold["packages"].as_array().unwrap().is_empty());
    // Everything the scan wrote is inside the cache dir.
    let entries: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("cache")]);
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn registry_pull_gives_the_same_sbom_as_the_docker_archive() {
    if !tools_ok("registry_pull_gives_the_same_sbom_as_the_docker_archive") {
        return;
    }
    let reg = seawall_testutil::registry::Registry::start("image-cli");
    for image in IMAGES {
        let reference = format!("127.0.0.1:{}/seawall/{image}:v1", reg.port);
        let mut c = Command::new("skopeo");
        c.args(["copy", "--quiet", "--dest-tls-verify=false"])
            .arg(format!(
                "oci:{}:latest",
                images().join(format!("{image}.oci")).display()
            ))
            .arg(format!("docker://{reference}"));
        run_ok(c);
        let from_reg = sbom(&reference, "cyclonedx", &["--insecure", "--no-cache"]);
        let t = format!(
            "docker-archive:{}",
            images().join(format!("{image}.docker.tar")).display()
        );
        let from_tar = sbom(&t, "cyclonedx", &["--no-cache"]);
        assert_eq!(from_reg.packages, from_tar.packages, "{image}");
        assert_eq!(from_reg.os, from_tar.os, "{image}");
        assert_eq!(from_reg.image_id, from_tar.image_id, "{image}");
        // By digest too.
        let out = run_ok({
            let mut c = Command::new("skopeo");
            c.args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"])
                .arg(format!("docker://{reference}"));
            c
        });
        let digest = String::from_utf8(out.stdout).unwrap().trim().to_string();
        let by_digest = sbom(
            &format!("127.0.0.1:{}/seawall/{image}@{digest}", reg.port),
            "cyclonedx",
            &["--insecure", "--no-cache"],
        );
        assert_eq!(by_digest.packages, from_tar.packages, "{image} by digest");
    }
    // Plain HTTP only with --insecure; a missing tag is a one-line error.
    let mut c = seawall();
    c.args([
        "sbom",
        &format!("127.0.0.1:{}/seawall/nope:v1", reg.port),
        "--insecure",
        "--no-cache",
    ]);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("seawall/nope") && err.contains("404"), "{err}");
}

#[test]
fn bad_archives_fail_with_one_line_errors_and_exit_2() {
    if !seawall_testutil::require_tool("bad_archives_fail_with_one_line_errors_and_exit_2", "tar") {
        return;
    }
    let tmp = tempfile_dir();
    std::fs::write(tmp.join("hello.txt"), "hi").unwrap();
    run_ok({
        let mut c = Command::new("tar");
        c.arg("-C")
            .arg(&tmp)
            .args(["-cf", "plain.tar", "hello.txt"]);
        c.current_dir(&tmp);
        c
    });
    let plain = tmp.join("plain.tar");
    let bytes = std::fs::read(&plain).unwrap();
    let trunc = tmp.join("trunc.tar");
    std::fs::write(&trunc, &bytes[..700]).unwrap();
    for (f, want) in [(&plain, "not a docker archive"), (&trunc, "trunc.tar")] {
        let mut c = seawall();
        c.args([
            "sbom",
            &format!("docker-archive:{}", f.display()),
            "--no-cache",
        ]);
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{f:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(
            err.contains(want) && err.contains(&*f.file_name().unwrap().to_string_lossy()),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A multi-arch index (linux/amd64 and linux/arm64 images that differ in
/// one Python package) pushed to the registry and saved as an OCI layout:
/// `--platform` picks the image, linux/amd64 by default, and a platform the
/// index lacks is a clear error.
#[test]
fn multi_arch_index_is_resolved_by_platform() {
    let test = "multi_arch_index_is_resolved_by_platform";
    if !tools_ok(test) {
        return;
    }
    let tmp = tempfile_dir();
    let tag = format!("localhost/seawall-multi-{}", std::process::id());
    let list = format!("{tag}/list:v1");
    let _ = Command::new("podman")
        .args(["manifest", "rm", &list])
        .output();
    run_ok({
        let mut c = Command::new("podman");
        c.args(["manifest", "create", &list]);
        c
    });
    for arch in ["amd64", "arm64"] {
        let ctx = tmp.join(arch);
        let meta = ctx.join(format!("site/only_{arch}-1.0.dist-info/METADATA"));
        std::fs::create_dir_all(meta.parent().unwrap()).unwrap();
        std::fs::write(
            &meta,
            format!("Metadata-Version: 2.1\nName: only-{arch}\nVersion: 1.0\n"),
        )
        .unwrap();
        std::fs::write(
            ctx.join("Containerfile"),
            "FROM scratch\nCOPY site/ /usr/lib/python3/dist-packages/\n",
        )
        .unwrap();
        let r = format!("{tag}/{arch}:v1");
        let platform = format!("linux/{arch}");
        seawall_testutil::podman_build(&r, &ctx, &["--platform", &platform]);
        run_ok({
            let mut c = Command::new("podman");
            c.args(["manifest", "add", &list])
                .arg(format!("containers-storage:{r}"));
            c
        });
    }
    let reg = seawall_testutil::registry::Registry::start("multi");
    let remote = format!("127.0.0.1:{}/seawall/multi:v1", reg.port);
    run_ok({
        let mut c = Command::new("podman");
        c.args(["manifest", "push", "--all", "--tls-verify=false", &list])
            .arg(format!("docker://{remote}"));
        c
    });
    let layout = tmp.join("multi.oci");
    run_ok({
        let mut c = Command::new("skopeo");
        c.args(["copy", "--quiet", "--all", "--src-tls-verify=false"])
            .arg(format!("docker://{remote}"))
            .arg(format!("oci:{}:v1", layout.display()));
        c
    });
    let names = |s: &seawall_sbom::Sbom| -> BTreeSet<String> {
        s.packages.iter().map(|p| p.name.clone()).collect()
    };
    let targets = [remote.clone(), format!("oci:{}:v1", layout.display())];
    for t in &targets {
        let default = sbom(t, "cyclonedx", &["--insecure", "--no-cache"]);
        assert_eq!(
            names(&default),
            BTreeSet::from(["only-amd64".to_string()]),
            "{t}"
        );
        let arm = sbom(
            t,
            "cyclonedx",
            &["--insecure", "--no-cache", "--platform", "linux/arm64"],
        );
        assert_eq!(
            names(&arm),
            BTreeSet::from(["only-arm64".to_string()]),
            "{t}"
        );
        let mut c = seawall();
        c.args([
            "sbom",
            t,
            "--insecure",
            "--no-cache",
            "--platform",
            "linux/s390x",
        ]);
        let out = c.output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("linux/s390x") && err.lines().count() <= 3,
            "{err}"
        );
    }
    let _ = Command::new("podman")
        .args(["manifest", "rm", &list])
        .output();
    for arch in ["amd64", "arm64"] {
        let _ = Command::new("podman")
            .args(["rmi", "-f", &format!("{tag}/{arch}:v1")])
            .output();
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
