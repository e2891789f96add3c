//! Acceptance: dpkg, apk and rpm fixtures of ../shared/testdata/catalogers
//! give the counts and samples its README lists.

mod common;
use common::*;

use seawall_catalog::{scan_dir, scan_dir_report};

#[test]
fn dpkg_ubuntu_bionic_status() {
    let Some(f) = fixtures("dpkg_ubuntu_bionic_status") else {
        return;
    };
    let (os, pkgs) = scan_dir(&f.join("dpkg/trivy-ubuntu-bionic")).unwrap();
    assert!(os.is_none());
    assert_eq!(pkgs.len(), 90, "{:?}", ids(&pkgs));
    assert_has(
        &pkgs,
        &[
            "adduser@3.116ubuntu1",
            "apt@1.6.3ubuntu0.1",
            "base-files@10.1ubuntu2.2",
            "bash@4.4.18-2ubuntu1",
        ],
    );
    let bash = pkgs.iter().find(|p| p.name == "bash").unwrap();
    assert_eq!(bash.source_name.as_deref(), Some("bash"));
    assert_eq!(bash.locations[0].path, "var/lib/dpkg/status");
    assert_eq!(bash.locations[0].layer, None);
    // every package carries a source name and version
    assert!(pkgs
        .iter()
        .all(|p| p.source_name.is_some() && p.source_version.is_some()));
}

fn dpkg_txtar(name: &str) -> Vec<seawall_catalog::Package> {
    let f = fixtures(name).unwrap();
    let text = std::fs::read_to_string(f.join("dpkg/trivy-txtar").join(name)).unwrap();
    let files: Vec<(String, Vec<u8>)> = txtar(&text)
        .into_iter()
        .map(|(p, b)| (p, b.into_bytes()))
        .collect();
    let root = temp_root(name, &files);
    let (_, pkgs) = scan_dir(&root).unwrap();
    std::fs::remove_dir_all(root).unwrap();
    pkgs
}

#[test]
fn dpkg_txtar_cases() {
    if fixtures("dpkg_txtar_cases").is_none() {
        return;
    }
    let p = dpkg_txtar("third-party.txtar");
    assert_eq!(p.len(), 2);
    assert_has(
        &p,
        &[
            "apt@1.6.3ubuntu0.1",
            "docker-ce@5:20.10.7~3-0~debian-buster",
        ],
    );
    let p = dpkg_txtar("md5sums.txtar");
    assert_eq!(ids(&p), vec!["tar@1.29b-2"]);
    let p = dpkg_txtar("corrupsed.txtar");
    assert_eq!(p.len(), 4, "{:?}", ids(&p));
    assert_has(
        &p,
        &[
            "libgcc1@1:5.1.1-12ubuntu1",
            "libpam-modules-bin@1.1.8-3.1ubuntu3",
            "libpam-runtime@1.1.8-3.1ubuntu3",
        ],
    );
    let gcc = p.iter().find(|p| p.name == "libgcc1").unwrap();
    assert_eq!(gcc.source_name.as_deref(), Some("gcc-5"));
    assert_eq!(gcc.source_version.as_deref(), Some("5.1.1-12ubuntu1"));
}

#[test]
fn dpkg_status_d_files() {
    let Some(f) = fixtures("dpkg_status_d_files") else {
        return;
    };
    let d = f.join("dpkg/syft-status.d");
    let one = |n: &str| {
        parse_as(
            "dpkg",
            &d.join("var/lib/dpkg/status.d").join(n),
            &format!("var/lib/dpkg/status.d/{n}"),
        )
    };
    assert_eq!(ids(&one("single").unwrap()), vec!["apt@1.8.2"]);
    let m = one("multiple").unwrap();
    assert_eq!(m.len(), 3, "{:?}", ids(&m));
    assert_has(
        &m,
        &[
            "no-version@",
            "tzdata@2020a-0+deb10u1",
            "util-linux@2.33.1-0.1",
        ],
    );
    assert_eq!(
        ids(&one("deinstall").unwrap()),
        vec!["linux-image-6.14.0-1012-aws@6.14.0-1012.12~24.04.1"]
    );
    let e = one("corrupt").unwrap_err();
    assert!(
        e.to_string().contains("var/lib/dpkg/status.d/corrupt"),
        "{e}"
    );
    // the whole tree: 5 packages, and the corrupt file is reported by name
    let r = scan_dir_report(&d).unwrap();
    assert_eq!(r.packages.len(), 5);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].path(), "var/lib/dpkg/status.d/corrupt");
    let e = scan_dir(&d).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("var/lib/dpkg/status.d/corrupt: line"),
        "{e}"
    );
}

#[test]
fn dpkg_distroless_and_image_layouts() {
    let Some(f) = fixtures("dpkg_distroless_and_image_layouts") else {
        return;
    };
    let (_, p) = scan_dir(&f.join("dpkg/syft-distroless")).unwrap();
    assert_eq!(ids(&p), vec!["libsqlite3-0@3.34.1-3"]);
    // licences from usr/share/doc/libsqlite3-0/copyright
    assert_eq!(p[0].licenses, vec!["GPL-2", "GPL-2+", "public-domain"]);
    let (os, p) = scan_dir(&f.join("dpkg/syft-image-dpkg")).unwrap();
    assert_eq!(ids(&p), vec!["libpam-runtime@1.1.8-3.6"]);
    let os = os.expect("os-release present");
    assert_eq!(os.family, "debian");
    assert!(
        p[0].purl
            .starts_with("pkg:deb/debian/libpam-runtime@1.1.8-3.6?arch=all&distro=debian-"),
        "{}",
        p[0].purl
    );
    assert_eq!(p[0].source_name.as_deref(), Some("pam"));
    assert_eq!(p[0].licenses, vec!["GPL-1", "GPL-2", "LGPL-2.1"]);
}

#[test]
fn apk_databases() {
    let Some(f) = fixtures("apk_databases") else {
        return;
    };
    let (_, p) = scan_dir(&f.join("apk/trivy-alpine")).unwrap();
    assert_eq!(p.len(), 15, "{:?}", ids(&p));
    assert_has(
        &p,
        &[
            "musl@1.1.14-r10",
            "busybox@1.24.2-r9",
            "alpine-baselayout@3.0.3-r0",
            "test@2.9.11_pre20061021-r2",
        ],
    );
    let (_, p) = scan_dir(&f.join("apk/syft-multiple-1")).unwrap();
    assert_eq!(p.len(), 4);
    assert_has(
        &p,
        &[
            "bash@5.2.21-r0",
            "busybox-binsh@1.36.1-r15",
            "musl@1.2.4_git20230717-r4",
            "readline@8.2.1-r2",
        ],
    );
    let binsh = p.iter().find(|p| p.name == "busybox-binsh").unwrap();
    assert_eq!(binsh.source_name.as_deref(), Some("busybox"));
    let (_, p) = scan_dir(&f.join("apk/syft-multiple-2")).unwrap();
    assert_eq!(p.len(), 14);
    let names: Vec<&str> = p.iter().map(|p| p.name.as_str()).collect();
    for n in ["alpine-baselayout-data", "musl", "busybox"] {
        assert!(names.contains(&n), "{n}");
    }
    let p = parse_as(
        "apk",
        &f.join("apk/syft-single-entry/base"),
        "lib/apk/db/installed",
    )
    .unwrap();
    assert_eq!(ids(&p), vec!["alpine-baselayout@3.2.0-r6"]);
    assert_eq!(p[0].licenses, vec!["GPL-2.0-only"]);
    let e = scan_dir(&f.join("apk/syft-corrupt")).unwrap_err();
    assert!(e.to_string().starts_with("lib/apk/db/installed: "), "{e}");
}

#[test]
fn rpm_ndb_sle15() {
    let Some(f) = fixtures("rpm_ndb_sle15") else {
        return;
    };
    let (_, p) = scan_dir(&f.join("rpm/ndb-sle15-bci")).unwrap();
    assert_eq!(p.len(), 35, "{:?}", ids(&p));
    assert_has(
        &p,
        &[
            "glibc@2.31-9.3.2",
            "bash@4.4-19.6.1",
            "coreutils@8.32-3.2.1",
        ],
    );
    assert!(p.iter().all(|p| !p.version.contains(':')));
}

#[test]
fn rpm_sqlite_mariner() {
    let Some(f) = fixtures("rpm_sqlite_mariner") else {
        return;
    };
    let (_, p) = scan_dir(&f.join("rpm/sqlite-cbl-mariner-2.0")).unwrap();
    assert_eq!(p.len(), 129);
    let curl = p.iter().find(|p| p.name == "curl").unwrap();
    assert_eq!(curl.version, "7.76.0-6.cm2");
    assert_eq!(curl.arch.as_deref(), Some("x86_64"));
    assert_eq!(curl.source_name.as_deref(), Some("curl"));
    assert_eq!(curl.source_version.as_deref(), Some("7.76.0-6.cm2"));
    assert_eq!(curl.licenses, vec!["MIT"]);
    assert_eq!(curl.purl, "pkg:rpm/mariner/curl@7.76.0-6.cm2?arch=x86_64");
    assert!(p.iter().any(|p| p.name == "glibc") && p.iter().any(|p| p.name == "openssl"));
}

#[test]
fn rpm_bdb_packages() {
    let Some(f) = fixtures("rpm_bdb_packages") else {
        return;
    };
    let (_, p) = scan_dir(&f.join("rpm/bdb-libuuid")).unwrap();
    let u = p.iter().find(|p| p.name == "libuuid").unwrap();
    assert_eq!(u.version, "2.32.1-42.el8_8");
    assert_eq!(u.arch.as_deref(), Some("x86_64"));
    assert_eq!(u.source_name.as_deref(), Some("util-linux"));
    assert_eq!(u.source_version.as_deref(), Some("2.32.1-42.el8_8"));
    assert_eq!(u.licenses, vec!["BSD"]);
    let (_, p) = scan_dir(&f.join("rpm/bdb-syft-dive")).unwrap();
    assert_eq!(ids(&p), vec!["dive@0.9.2-1"]);
    assert_eq!(p[0].arch.as_deref(), Some("x86_64"));
}

#[test]
fn rpm_mariner_manifest() {
    let Some(f) = fixtures("rpm_mariner_manifest") else {
        return;
    };
    let (_, p) = scan_dir(&f.join("rpm/mariner-distroless-manifest")).unwrap();
    assert_eq!(p.len(), 5);
    assert_has(
        &p,
        &[
            "mariner-release@2.0-12.cm2",
            "glibc@2.35-2.cm2",
            "vim@2:9.0-1.cm2",
        ],
    );
    let vim = p.iter().find(|p| p.name == "vim").unwrap();
    assert_eq!(
        vim.purl,
        "pkg:rpm/mariner/vim@9.0-1.cm2?arch=x86_64&epoch=2"
    );
}
