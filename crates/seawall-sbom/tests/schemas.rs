//! Writers against the official schemas (cyclonedx-python-lib's strict 1.6
//! validator, spdx-tools' `pyspdxtools`) and read-back round trips.

use std::process::Command;

use seawall_sbom::{read, to_json, Format, Sbom};
use seawall_types::{Ecosystem, Location, OsInfo, Package};

fn pkg(name: &str, version: &str, eco: Ecosystem, purl: &str, lic: &[&str]) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        ecosystem: eco,
        purl: purl.into(),
        arch: purl.contains("arch=amd64").then(|| "amd64".to_string()),
        source_name: (eco == Ecosystem::Deb).then(|| format!("{name}-src")),
        source_version: (eco == Ecosystem::Deb).then(|| version.to_string()),
        licenses: lic.iter().map(|s| s.to_string()).collect(),
        locations: vec![
            Location {
                layer: Some(format!("sha256:{}", "ab".repeat(32))),
                path: "var/lib/dpkg/status".into(),
            },
            Location {
                layer: None,
                path: "usr/lib/x".into(),
            },
        ],
        dev: false,
    }
}

fn sample() -> Sbom {
    Sbom {
        name: "docker-archive:/tmp/img.tar".into(),
        kind: "docker-archive".into(),
        image_id: Some(format!("sha256:{}", "cd".repeat(32))),
        os: Some(OsInfo {
            family: "debian".into(),
            version: "12".into(),
            codename: Some("bookworm".into()),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
        }),
        packages: vec![
            pkg(
                "openssl",
                "3.0.17-1~deb12u2",
                Ecosystem::Deb,
                "pkg:deb/debian/openssl@3.0.17-1~deb12u2?arch=amd64&distro=debian-12",
                &["Apache-2.0", "GPL-2+", "BSD License"],
            ),
            pkg(
                "serde",
                "1.0.200",
                Ecosystem::Cargo,
                "pkg:cargo/serde@1.0.200",
                &["MIT OR Apache-2.0"],
            ),
            pkg(
                "@types/node",
                "20.1.0",
                Ecosystem::Npm,
                "pkg:npm/%40types/node@20.1.0",
                &["MIT", "(MIT OR Apache-2.0)"],
            ),
            pkg("six", "1.16.0", Ecosystem::PyPI, "pkg:pypi/six@1.16.0", &[]),
            // The same purl twice (two copies): bom-refs must stay unique.
            pkg(
                "six",
                "1.16.0",
                Ecosystem::PyPI,
                "pkg:pypi/six@1.16.0",
                &["MIT"],
            ),
        ],
        created: Some("2026-01-02T03:04:05Z".into()),
    }
}

fn python_available(test: &str, module: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if seawall_testutil::in_ci() {
            panic!("{test}: python module {module} missing");
        }
        eprintln!("SKIPPED {test}: python module {module} not installed");
    }
    ok
}

#[test]
fn cyclonedx_validates_strictly_and_round_trips() {
    let s = sample();
    let v = to_json(&s, Format::CycloneDx);
    let back = read("x.cdx.json", v.to_string().as_bytes()).unwrap();
    assert_eq!(back.os.as_ref().unwrap().family, "debian");
    assert_eq!(back.image_id, s.image_id);
    assert_eq!(back.kind, "docker-archive");
    assert_eq!(back.packages.len(), 5);
    let o = back.packages.iter().find(|p| p.name == "openssl").unwrap();
    assert_eq!(o.locations, s.packages[0].locations);
    assert_eq!(o.licenses, s.packages[0].licenses);
    assert_eq!(o.source_name.as_deref(), Some("openssl-src"));
    assert_eq!(o.arch.as_deref(), Some("amd64"));
    if !python_available("cyclonedx_validates_strictly_and_round_trips", "cyclonedx") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bom.json");
    std::fs::write(&f, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(
            "import sys\nfrom cyclonedx.schema import SchemaVersion\n\
             from cyclonedx.validation.json import JsonStrictValidator\n\
             e = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())\n\
             sys.exit(str(e) if e else 0)",
        )
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "CycloneDX invalid: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn spdx_validates_and_round_trips() {
    let s = sample();
    let v = to_json(&s, Format::Spdx);
    let back = read("x.spdx.json", v.to_string().as_bytes()).unwrap();
    assert_eq!(back.name, s.name);
    assert_eq!(back.os.as_ref().unwrap().version, "12");
    assert_eq!(back.packages.len(), 5);
    let o = back.packages.iter().find(|p| p.name == "openssl").unwrap();
    assert_eq!(o.locations, s.packages[0].locations);
    assert_eq!(
        o.licenses, s.packages[0].licenses,
        "LicenseRefs map back to the text"
    );
    let serde = back.packages.iter().find(|p| p.name == "serde").unwrap();
    assert_eq!(serde.licenses, vec!["MIT OR Apache-2.0"]);
    if !python_available("spdx_validates_and_round_trips", "spdx_tools") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("doc.spdx.json");
    std::fs::write(&f, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let out = Command::new("pyspdxtools")
        .arg("-i")
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "SPDX invalid: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn output_is_deterministic() {
    let a = to_json(&sample(), Format::CycloneDx);
    let b = to_json(&sample(), Format::CycloneDx);
    assert_eq!(a, b);
    let a = to_json(&sample(), Format::Spdx);
    assert_eq!(a, to_json(&sample(), Format::Spdx));
}

#[test]
fn garbage_is_an_error_naming_the_file() {
    let e = read("bad.json", b"[1,2").unwrap_err().to_string();
    assert!(e.starts_with("bad.json: not JSON"), "{e}");
    let e = read("v3.json", br#"{"spdxVersion":"SPDX-3.0"}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("v3.json") && e.contains("SPDX-3.0"), "{e}");
    let e = seawall_sbom::read_file(std::path::Path::new("/nonexistent/x.json"))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("/nonexistent/x.json"), "{e}");
}
