//! `cargo bench -p seawall-catalog`: parse throughput of the package
//! databases in ../shared/testdata/catalogers and of a large Go binary, as
//! MB/s and packages/s. Prints figures; asserts nothing about speed.

use std::time::{Duration, Instant};

use seawall_catalog::{builtin, Cataloger};

fn bench(c: &dyn Cataloger, label: &str, rel: &str, data: &[u8]) {
    let mut n = 0u32;
    let mut pkgs = 0;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(500) || n < 3 {
        pkgs = c.parse(rel, data).map(|p| p.len()).unwrap_or(0);
        n += 1;
    }
    let per = start.elapsed() / n;
    let mbs = data.len() as f64 / per.as_secs_f64() / 1e6;
    println!(
        "{label:<34} {:>9} bytes {pkgs:>5} pkgs {per:>10.2?}/parse {mbs:>9.1} MB/s",
        data.len()
    );
}

fn main() {
    let cats = builtin();
    let get = |id: &str| {
        cats.iter()
            .find(|c| c.id() == id)
            .map(|c| c.as_ref())
            .unwrap()
    };
    if let Some(dir) = seawall_testutil::shared_path("catalog bench", "testdata/catalogers") {
        let cases = [
            (
                "rpm",
                "rpm sqlite (mariner, 129)",
                "rpm/sqlite-cbl-mariner-2.0/var/lib/rpm/rpmdb.sqlite",
                "var/lib/rpm/rpmdb.sqlite",
            ),
            (
                "rpm",
                "rpm ndb (sle15, 35)",
                "rpm/ndb-sle15-bci/var/lib/rpm/Packages.db",
                "var/lib/rpm/Packages.db",
            ),
            (
                "rpm",
                "rpm bdb (libuuid)",
                "rpm/bdb-libuuid/var/lib/rpm/Packages",
                "var/lib/rpm/Packages",
            ),
            (
                "dpkg",
                "dpkg status (bionic, 90)",
                "dpkg/trivy-ubuntu-bionic/var/lib/dpkg/status",
                "var/lib/dpkg/status",
            ),
            (
                "apk",
                "apk installed (14)",
                "apk/syft-multiple-2/lib/apk/db/installed",
                "lib/apk/db/installed",
            ),
            (
                "npm-lock",
                "package-lock v3 (31)",
                "npm/trivy/package-lock_v3.json",
                "package-lock.json",
            ),
        ];
        for (id, label, file, rel) in cases {
            let data = std::fs::read(dir.join(file)).unwrap();
            bench(get(id), label, rel, &data);
        }
    }
    // A real Go binary (the toolchain's own), when present.
    for go in ["/usr/lib/go/bin/go", "/usr/local/go/bin/go"] {
        if let Ok(data) = std::fs::read(go) {
            bench(get("gobinary"), "go binary build info", "usr/bin/go", &data);
            bench(
                get("cargo-auditable"),
                "cargo-auditable (absent) on it",
                "usr/bin/go",
                &data,
            );
            break;
        }
    }
}
