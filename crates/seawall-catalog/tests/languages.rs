//! Acceptance: language fixtures of ../shared/testdata/catalogers give the
//! counts and samples its README lists. Where the peers disagree on what
//! to list (the project itself, dev-only dependencies), the test says which
//! rule seawall follows and checks the peer's figure through it.

mod common;
use common::*;

use seawall_catalog::{scan_dir, Ecosystem, Package};

fn by_name<'a>(p: &'a [Package], n: &str) -> &'a Package {
    p.iter()
        .find(|p| p.name == n)
        .unwrap_or_else(|| panic!("no {n} in {:?}", ids(p)))
}

#[test]
fn python_metadata_files() {
    let Some(f) = fixtures("python_metadata_files") else {
        return;
    };
    let d = f.join("python/trivy-metadata");
    let mut all = Vec::new();
    for e in std::fs::read_dir(&d).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().into_string().unwrap();
        // each file as it would sit in site-packages
        let rel = if name.ends_with(".PKG-INFO") {
            format!(
                "usr/lib/python3/site-packages/{}.egg-info/PKG-INFO",
                name.trim_end_matches(".PKG-INFO")
            )
        } else if name.ends_with(".METADATA") {
            format!(
                "usr/lib/python3/site-packages/{}.dist-info/METADATA",
                name.trim_end_matches(".METADATA")
            )
        } else {
            format!("usr/lib/python3/site-packages/{name}")
        };
        let p = parse_as("python", &e.path(), &rel).unwrap();
        assert_eq!(p.len(), 1, "{name}");
        all.extend(p);
    }
    assert_eq!(all.len(), 9);
    assert_has(
        &all,
        &[
            "distlib@0.3.1",
            "asyncssh@2.14.2",
            "iniconfig@2.0.0",
            "zipp@3.12.1",
            "networkx@3.0",
            "pyphen@0.14.0",
            "simple@0.1.0",
            "setuptools@51.3.3",
        ],
    );
    assert_eq!(by_name(&all, "zipp").licenses, vec!["MIT"]);
    assert_eq!(by_name(&all, "iniconfig").licenses, vec!["MIT"]);
    assert_eq!(
        by_name(&all, "asyncssh").licenses,
        vec!["Eclipse Public License v2.0"]
    );
    assert_eq!(by_name(&all, "setuptools").licenses, vec!["MIT"]);
    assert_eq!(by_name(&all, "pyphen").licenses.len(), 3);
    assert_eq!(by_name(&all, "simple").purl, "pkg:pypi/simple@0.1.0");
}

#[test]
fn python_license_file_and_site_packages() {
    let Some(f) = fixtures("python_license_file_and_site_packages") else {
        return;
    };
    let (_, p) = scan_dir(&f.join("python/trivy-license-file-dist")).unwrap();
    assert_eq!(ids(&p), vec!["typing_extensions@4.4.0"]);
    assert_eq!(p[0].licenses, vec!["PSF-2.0"]);
    assert_eq!(p[0].purl, "pkg:pypi/typing-extensions@4.4.0");
    let (_, p) = scan_dir(&f.join("python/syft-site-packages-nested")).unwrap();
    assert_eq!(p.len(), 2, "{:?}", ids(&p));
    assert_has(&p, &["Pygments@2.6.1", "requests@2.22.0"]);
    assert_eq!(by_name(&p, "Pygments").purl, "pkg:pypi/pygments@2.6.1");
}

fn lock(f: &std::path::Path, name: &str) -> Vec<Package> {
    parse_as(
        "npm-lock",
        &f.join("npm").join(name),
        "app/package-lock.json",
    )
    .unwrap()
}

#[test]
fn npm_package_locks_trivy() {
    let Some(f) = fixtures("npm_package_locks_trivy") else {
        return;
    };
    for v in ["v1", "v2", "v3"] {
        let p = lock(&f, &format!("trivy/package-lock_{v}.json"));
        assert_eq!(p.len(), 31, "{v}: {:?}", ids(&p));
        assert_eq!(p.iter().filter(|p| p.dev).count(), 2, "{v}");
        assert_has(
            &p,
            &[
                "@babel/helper-string-parser@7.19.4",
                "body-parser@1.18.3",
                "debug@2.5.2",
            ],
        );
        assert_eq!(
            by_name(&p, "@babel/helper-string-parser").purl,
            "pkg:npm/%40babel/helper-string-parser@7.19.4"
        );
        assert!(p.iter().all(|p| p.ecosystem == Ecosystem::Npm));
    }
    assert_has(&lock(&f, "trivy/package-lock_v1.json"), &["asap@2.0.6"]);
    let p = lock(&f, "trivy/package-lock_v3_with_workspace.json");
    assert_eq!(p.len(), 6, "{:?}", ids(&p));
    assert_has(&p, &["debug@2.5.2", "function1@", "nested_func@1.0.0"]);
}

/// syft lists the project itself and leaves dev-only dependencies out;
/// seawall leaves the project out (it is not a dependency) and keeps dev
/// dependencies flagged `dev`. syft's count = our non-dev count + 1 for v2/v3
/// (the root), = our non-dev count for v1 (that file has no root entry).
#[test]
fn npm_package_locks_syft() {
    let Some(f) = fixtures("npm_package_locks_syft") else {
        return;
    };
    let non_dev = |p: &[Package]| p.iter().filter(|p| !p.dev).count();
    let p = lock(&f, "syft/package-lock.json");
    assert_eq!(non_dev(&p), 11, "{:?}", ids(&p));
    assert_has(
        &p,
        &["@actions/core@1.6.0", "ansi-regex@3.0.0", "cowsay@1.4.0"],
    );
    let p = lock(&f, "syft/package-lock-2.json");
    assert_eq!(non_dev(&p) + 1, 5);
    assert_has(&p, &["@types/prop-types@15.7.5", "@types/react@18.0.17"]);
    assert!(
        !p.iter().any(|p| p.name == "npm"),
        "the root project is not a dependency"
    );
    assert_eq!(by_name(&p, "@types/react").licenses, vec!["MIT"]);
    let p = lock(&f, "syft/package-lock-3.json");
    assert_eq!(non_dev(&p) + 1, 5);
    assert_has(&p, &["@types/prop-types@15.7.5", "@types/react@18.0.20"]);
}

#[test]
fn cargo_locks() {
    let Some(f) = fixtures("cargo_locks") else {
        return;
    };
    let c = |n: &str| parse_as("cargo", &f.join("cargo").join(n), "src/app/Cargo.lock");
    for n in ["trivy/cargo_normal.lock", "trivy/cargo_mixed.lock"] {
        let p = c(n).unwrap();
        assert_eq!(p.len(), 8, "{n}: {:?}", ids(&p));
        assert_has(&p, &["normal@0.1.0", "libc@0.2.54", "typemap@0.3.3"]);
    }
    let p = c("trivy/cargo_v3.lock").unwrap();
    assert_eq!(p.len(), 9);
    assert_has(&p, &["aho-corasick@0.7.20", "memchr@1.0.2", "memchr@2.5.0"]);
    let e = c("trivy/cargo_invalid.lock").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("src/app/Cargo.lock: invalid Cargo.lock"),
        "{e}"
    );
    let p = c("syft/Cargo.lock").unwrap();
    assert_eq!(p.len(), 14);
    assert_has(&p, &["ansi_term@0.12.1", "errno@0.3.9", "matches@0.1.8"]);
    assert_eq!(by_name(&p, "errno").purl, "pkg:cargo/errno@0.3.9");
}

/// seawall does not list the module itself (go.mod gives it no version):
/// trivy's counts include it, so ours are one less. `stdlib` comes from the
/// `toolchain` directive. Indirect requirements are kept (as syft does).
#[test]
fn go_mod_files() {
    let Some(f) = fixtures("go_mod_files") else {
        return;
    };
    let g = |n: &str| {
        parse_as(
            "gomod",
            &f.join("gomod").join(n).join("go.mod"),
            "src/go.mod",
        )
        .unwrap()
    };
    let p = g("trivy-normal");
    assert_eq!(p.len(), 7 - 1, "{:?}", ids(&p));
    assert_has(
        &p,
        &[
            "github.com/aquasecurity/go-version@v0.0.0-20240603093900-cf8a8d29271d",
            "github.com/stretchr/testify@v1.9.0",
            "stdlib@v1.22.5",
        ],
    );
    let p = g("trivy-replaced");
    assert_eq!(p.len(), 3 - 1);
    assert_has(
        &p,
        &[
            "github.com/aquasecurity/go-dep-parser@v0.0.0-20220406074731-71021a481237",
            "golang.org/x/xerrors@v0.0.0-20200804184101-5ec99f83aff1",
        ],
    );
    let p = g("trivy-go116");
    assert_has(
        &p,
        &["github.com/aquasecurity/go-dep-parser@v0.0.0-20211224170007-df43bca6b6ff"],
    );
    let p = g("syft-many-packages");
    assert_eq!(p.len(), 6, "{:?}", ids(&p));
    assert_has(
        &p,
        &[
            "github.com/anchore/archiver/v3@v3.5.2",
            "github.com/bmatcuk/doublestar@v8.8.8",
            "github.com/go-test/deep@v1.0.6",
        ],
    );
    assert_eq!(
        by_name(&p, "github.com/anchore/archiver/v3").purl,
        "pkg:golang/github.com/anchore/archiver/v3@v3.5.2"
    );
    let p = g("syft-one-package");
    assert_eq!(ids(&p), vec!["github.com/bmatcuk/doublestar@v1.3.1"]);
}

#[test]
fn java_pom_properties() {
    let Some(f) = fixtures("java_pom_properties") else {
        return;
    };
    let d = f.join("java/syft-pom-properties");
    let one = |n: &str| {
        let p = parse_as(
            "java",
            &d.join(format!("{n}.pom.properties")),
            &format!("app/META-INF/maven/x/{n}/pom.properties"),
        )
        .unwrap();
        assert_eq!(p.len(), 1, "{n}");
        p.into_iter().next().unwrap()
    };
    for n in ["small", "extra", "colon-delimited"] {
        let p = one(n);
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("org.anchore:example-java-app-maven", "0.1.0"),
            "{n}"
        );
        assert_eq!(p.purl, "pkg:maven/org.anchore/example-java-app-maven@0.1.0");
    }
    let p = one("equals-delimited-with-colons");
    assert_eq!(
        (p.name.as_str(), p.version.as_str()),
        ("org.anchore:example-java:app-maven", "0.1.0:something")
    );
    let p = one("colon-delimited-with-equals");
    assert_eq!(
        (p.name.as_str(), p.version.as_str()),
        ("org.anchore:example-java=app-maven", "0.1.0=something")
    );
}
