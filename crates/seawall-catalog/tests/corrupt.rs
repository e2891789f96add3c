//! No panics on corrupt input: every fixture, truncated at many points and
//! with bytes garbled, goes through every cataloger that wants its path. Any
//! error must name the file.

mod common;
use common::*;

use seawall_catalog::{builtin, FileMeta};

/// Deterministic xorshift, so a failure reproduces.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// (fixture file relative to testdata/catalogers, path it is given).
const FILES: &[(&str, &str)] = &[
    (
        "dpkg/trivy-ubuntu-bionic/var/lib/dpkg/status",
        "var/lib/dpkg/status",
    ),
    (
        "dpkg/syft-status.d/var/lib/dpkg/status.d/multiple",
        "var/lib/dpkg/status.d/multiple",
    ),
    (
        "apk/trivy-alpine/lib/apk/db/installed",
        "lib/apk/db/installed",
    ),
    (
        "rpm/ndb-sle15-bci/var/lib/rpm/Packages.db",
        "var/lib/rpm/Packages.db",
    ),
    (
        "rpm/bdb-libuuid/var/lib/rpm/Packages",
        "var/lib/rpm/Packages",
    ),
    (
        "rpm/bdb-syft-dive/var/lib/rpm/Packages",
        "var/lib/rpm/Packages",
    ),
    (
        "rpm/sqlite-cbl-mariner-2.0/var/lib/rpm/rpmdb.sqlite",
        "var/lib/rpm/rpmdb.sqlite",
    ),
    (
        "rpm/mariner-distroless-manifest/var/lib/rpmmanifest/container-manifest-2",
        "var/lib/rpmmanifest/container-manifest-2",
    ),
    (
        "python/trivy-metadata/zipp-3.12.1.METADATA",
        "site/zipp-3.12.1.dist-info/METADATA",
    ),
    (
        "python/trivy-metadata/setuptools-51.3.3-py3.8.egg-info.PKG-INFO",
        "site/setuptools.egg-info/PKG-INFO",
    ),
    ("npm/trivy/package-lock_v1.json", "app/package-lock.json"),
    (
        "npm/trivy/package-lock_v3_with_workspace.json",
        "app/package-lock.json",
    ),
    ("npm/syft/package-lock-2.json", "app/package-lock.json"),
    ("cargo/trivy/cargo_v3.lock", "app/Cargo.lock"),
    ("gomod/syft-many-packages/go.mod", "app/go.mod"),
    (
        "java/syft-pom-properties/extra.pom.properties",
        "x/META-INF/maven/g/a/pom.properties",
    ),
];

#[test]
fn truncated_and_garbled_fixtures_never_panic() {
    let Some(f) = fixtures("truncated_and_garbled_fixtures_never_panic") else {
        return;
    };
    let cats = builtin();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut runs = 0;
    for (file, rel) in FILES {
        let data = std::fs::read(f.join(file)).unwrap();
        let meta = FileMeta {
            path: rel,
            size: data.len() as u64,
            mode: 0o100644,
        };
        let wanted: Vec<_> = cats.iter().filter(|c| c.wants(&meta)).collect();
        assert!(!wanted.is_empty(), "nobody wants {rel}");
        // the intact file: every package is located at the path it was given
        for c in &wanted {
            for p in c.parse(rel, &data).unwrap() {
                assert_eq!(p.locations.len(), 1, "{}", c.id());
                assert_eq!(
                    (
                        p.locations[0].layer.as_deref(),
                        p.locations[0].path.as_str()
                    ),
                    (None, *rel)
                );
                assert!(
                    !p.name.is_empty() && p.purl.starts_with("pkg:"),
                    "{}: {p:?}",
                    c.id()
                );
            }
        }
        // big databases get fewer variants: each one is a full copy
        let n = if data.len() > 256 * 1024 { 12 } else { 48 };
        let mut variants: Vec<Vec<u8>> = Vec::new();
        for i in 0..n {
            let cut = (rng.next() as usize) % data.len().max(1);
            variants.push(data[..cut].to_vec());
            let mut g = data.clone();
            let flips = 1 + i % 8;
            for _ in 0..flips {
                let at = (rng.next() as usize) % g.len().max(1);
                if let Some(b) = g.get_mut(at) {
                    *b = rng.next() as u8;
                }
            }
            variants.push(g);
        }
        variants.push(Vec::new());
        for v in &variants {
            for c in &wanted {
                runs += 1;
                if let Err(e) = c.parse_with(rel, v, &|_| None) {
                    assert_eq!(e.path(), *rel, "{}: {e}", c.id());
                    assert!(e.to_string().starts_with(&format!("{rel}: ")), "{e}");
                }
            }
        }
    }
    assert!(runs > 1000);
}

/// Garbled executables and archives built in memory (the binary catalogers
/// want every executable, so they see arbitrary bytes).
#[test]
fn arbitrary_bytes_to_binary_and_archive_catalogers() {
    let cats = builtin();
    let mut rng = Rng(42);
    let seeds: [&[u8]; 4] = [
        b"\x7fELF\x02\x01\x01",
        b"\xff Go buildinf:\x08\x02",
        b"PK\x03\x04",
        b"SQLite format 3\0",
    ];
    for seed in seeds {
        for len in [0usize, 16, 64, 300, 5000] {
            let mut d = seed.to_vec();
            while d.len() < len {
                d.push(rng.next() as u8);
            }
            for (rel, mode) in [
                ("usr/bin/x", 0o100755),
                ("app/x.jar", 0o100644),
                ("var/lib/rpm/rpmdb.sqlite", 0o100644),
            ] {
                let meta = FileMeta {
                    path: rel,
                    size: d.len() as u64,
                    mode,
                };
                for c in cats.iter().filter(|c| c.wants(&meta)) {
                    if let Err(e) = c.parse(rel, &d) {
                        assert_eq!(e.path(), rel);
                    }
                }
            }
        }
    }
}
