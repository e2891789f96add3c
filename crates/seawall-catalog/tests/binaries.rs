//! Binaries and archives built here: Go programs (Debian's golang-go), a
//! cargo-auditable Rust program, and jar/war files written with the zip crate.

mod common;
use common::*;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use seawall_catalog::{scan_dir, FileMeta};

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sw-catalog-bin-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(p: &Path, s: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, s).unwrap();
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn parse_bin(id: &str, file: &Path, rel: &str) -> Vec<String> {
    let c = cataloger(id);
    let md = std::fs::metadata(file).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert!(
        c.wants(&FileMeta {
            path: rel,
            size: md.len(),
            mode: md.mode()
        }),
        "{id} should want {rel}"
    );
    ids(&c.parse(rel, &std::fs::read(file).unwrap()).unwrap())
}

/// A module with a local dependency replaced by a directory, built three
/// ways: plain, with `-ldflags -X main.version`, and with `-trimpath`.
#[test]
fn go_binaries_build_info() {
    if !seawall_testutil::require_tool("go_binaries_build_info", "go") {
        return;
    }
    let d = tmp("go");
    write(&d.join("go.mod"), "module example.com/hello\n\ngo 1.18\n\nrequire example.com/greet v1.4.0\n\nreplace example.com/greet => ./greet\n");
    write(
        &d.join("greet/go.mod"),
        "module example.com/greet\n\ngo 1.18\n",
    );
    write(
        &d.join("greet/greet.go"),
        "package greet\n\nfunc Hello() string { return \"hello\" }\n",
    );
    write(&d.join("main.go"), "package main\n\nimport (\n\t\"fmt\"\n\t\"example.com/greet\"\n)\n\nvar version = \"dev\"\n\nfunc main() { fmt.Println(greet.Hello(), version) }\n");
    let go = |out: &str, extra: &[&str]| {
        let mut c = Command::new("go");
        c.current_dir(&d)
            .args(["build", "-o", out])
            .args(extra)
            .env("GOFLAGS", "-mod=mod")
            .env("GOPROXY", "off")
            .env("GOWORK", "off")
            .env("GOTOOLCHAIN", "local")
            .env("GOPATH", d.join("gopath"));
        run(&mut c);
        d.join(out)
    };
    let gov = String::from_utf8(
        Command::new("go")
            .arg("env")
            .arg("GOVERSION")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let stdlib = format!("stdlib@v{}", gov.trim().trim_start_matches("go"));

    let plain = go("plain", &[]);
    let p = parse_bin("gobinary", &plain, "usr/local/bin/plain");
    assert_eq!(
        p,
        vec![
            "example.com/hello@(devel)".to_string(),
            "example.com/greet@(devel)".into(),
            stdlib.clone()
        ]
    );

    let ld = go("ld", &["-ldflags", "-s -X main.version=1.2.3"]);
    let p = parse_bin("gobinary", &ld, "usr/local/bin/ld");
    assert_eq!(p[0], "example.com/hello@v1.2.3");

    // With -trimpath the go command leaves -ldflags out of the build info,
    // so the main module stays (devel); dependencies and stdlib still read.
    let tp = go("tp", &["-trimpath", "-ldflags=-X main.version=v0.9.0-rc.1"]);
    let p = parse_bin("gobinary", &tp, "usr/local/bin/tp");
    assert_eq!(
        p,
        vec![
            "example.com/hello@(devel)".to_string(),
            "example.com/greet@(devel)".into(),
            stdlib.clone()
        ]
    );
    let info = seawall_catalog::read_build_info(&std::fs::read(&tp).unwrap()).unwrap();
    assert!(
        info.modinfo.contains("build\t-trimpath=true"),
        "{}",
        info.modinfo
    );

    // built inside a git checkout: a pseudo-version from vcs.time/vcs.revision
    if seawall_testutil::require_tool("go_binaries_build_info", "git") {
        let git = |args: &[&str]| {
            let mut c = Command::new("git");
            c.current_dir(&d)
                .args(args)
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@e")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@e")
                .env("GIT_AUTHOR_DATE", "2024-06-03T09:39:00Z")
                .env("GIT_COMMITTER_DATE", "2024-06-03T09:39:00Z");
            run(&mut c);
        };
        write(
            &d.join(".gitignore"),
            "plain\nld\ntp\nvcs\ngopath/\nroot/\n",
        );
        git(&["init", "-q"]);
        git(&["add", "."]);
        git(&["commit", "-q", "-m", "init"]);
        let rev = String::from_utf8(
            Command::new("git")
                .current_dir(&d)
                .args(["rev-parse", "HEAD"])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        let vcs = go("vcs", &["-buildvcs=true"]);
        let p = parse_bin("gobinary", &vcs, "usr/local/bin/vcs");
        assert_eq!(
            p[0],
            format!(
                "example.com/hello@v0.0.0-20240603093900-{}",
                &rev.trim()[..12]
            )
        );
    }

    // end to end through scan_dir: only the executables are read
    let root = d.join("root");
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::copy(&ld, root.join("usr/bin/ld")).unwrap();
    let (_, pkgs) = scan_dir(&root).unwrap();
    let hello = pkgs.iter().find(|p| p.name == "example.com/hello").unwrap();
    assert_eq!(hello.purl, "pkg:golang/example.com/hello@v1.2.3");
    assert_eq!(hello.locations[0].path, "usr/bin/ld");
    // a Go binary has no cargo-auditable data
    assert!(cataloger("cargo-auditable")
        .parse("usr/bin/ld", &std::fs::read(&ld).unwrap())
        .unwrap()
        .is_empty());
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn cargo_auditable_binary() {
    if !seawall_testutil::require_tool("cargo_auditable_binary", "cargo-auditable") {
        return;
    }
    let d = tmp("aud");
    write(&d.join("Cargo.toml"), "[package]\nname = \"hello-aud\"\nversion = \"0.3.1\"\nedition = \"2021\"\n\n[dependencies]\ntiny-dep = { path = \"tiny-dep\" }\n\n[workspace]\n");
    write(
        &d.join("src/main.rs"),
        "fn main() { println!(\"{}\", tiny_dep::hi()); }\n",
    );
    write(
        &d.join("tiny-dep/Cargo.toml"),
        "[package]\nname = \"tiny-dep\"\nversion = \"0.2.0\"\nedition = \"2021\"\n",
    );
    write(
        &d.join("tiny-dep/src/lib.rs"),
        "pub fn hi() -> &'static str { \"hi\" }\n",
    );
    let mut c = Command::new("cargo");
    c.current_dir(&d)
        .args(["auditable", "build", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", d.join("target"))
        .env_remove("RUSTC_WRAPPER");
    run(&mut c);
    let bin = d.join("target/debug/hello-aud");
    let mut p = parse_bin("cargo-auditable", &bin, "usr/local/bin/hello-aud");
    p.sort();
    assert_eq!(p, vec!["hello-aud@0.3.1", "tiny-dep@0.2.0"]);
    assert!(cataloger("gobinary")
        .parse("x", &std::fs::read(&bin).unwrap())
        .unwrap()
        .is_empty());
    std::fs::remove_dir_all(&d).unwrap();
}

fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn jar_war_nested() {
    let inner = zip_bytes(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\n"),
        (
            "META-INF/maven/com.google.guava/guava/pom.properties",
            b"groupId=com.google.guava\nartifactId=guava\nversion=31.1-jre\n",
        ),
    ]);
    let manifest_only = zip_bytes(&[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nImplementation-Title: commons-io\r\nImplementation-Version: 2.11.0\r\nImplementation-Vendor-Id: commons-io\r\n\r\n")]);
    let name_only = zip_bytes(&[("a/B.class", b"\xca\xfe\xba\xbe")]);
    let war = zip_bytes(&[
        (
            "META-INF/maven/com.example/shop/pom.properties",
            b"groupId=com.example\nartifactId=shop\nversion=2.0.0\n",
        ),
        ("WEB-INF/lib/guava-31.1-jre.jar", &inner),
        ("WEB-INF/lib/commons-io.jar", &manifest_only),
        ("WEB-INF/lib/jsr305-3.0.2.jar", &name_only),
        ("WEB-INF/lib/broken.jar", b"not a zip"),
    ]);
    let root = temp_root(
        "jar",
        &[
            ("opt/app/shop.war".into(), war.clone()),
            ("opt/app/lib/guava.jar".into(), inner),
        ],
    );
    let (_, p) = scan_dir(&root).unwrap();
    let got = ids(&p);
    for w in [
        "com.example:shop@2.0.0",
        "com.google.guava:guava@31.1-jre",
        "commons-io:commons-io@2.11.0",
        "jsr305@3.0.2",
    ] {
        assert!(got.contains(&w.to_string()), "missing {w} in {got:?}");
    }
    let guava = p
        .iter()
        .find(|p| p.name == "com.google.guava:guava")
        .unwrap();
    assert_eq!(guava.purl, "pkg:maven/com.google.guava/guava@31.1-jre");
    assert_eq!(guava.locations.len(), 2, "found in the war and on its own");
    // a truncated war is an error naming it
    let e = cataloger("java")
        .parse("opt/app/shop.war", &war[..war.len() / 2])
        .unwrap_err();
    assert!(e.to_string().starts_with("opt/app/shop.war: "), "{e}");
    std::fs::remove_dir_all(root).unwrap();
}
