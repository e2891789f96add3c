//! Vulnerability database benchmark (run with `bench/vulndb-bench.sh` or
//! `cargo bench -p seawall-vulndb --bench vulndb`). Prints figures, asserts
//! nothing about speed.
//!
//! 1. import of all of ../shared/vulndata
//! 2. import of a synthetic OSV `all.zip` with SEAWALL_BENCH_RECORDS
//!    records (default 600,000)
//! 3. open time and lookup time per (ecosystem, package)
//! 4. matching time for a 500-package image

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use seawall_types::{Ecosystem, OsInfo, Package};
use seawall_vulndb::{import_into, match_packages, Db};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("seawall-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const ECOS: [(&str, Ecosystem); 5] = [
    ("Debian:12", Ecosystem::Deb),
    ("PyPI", Ecosystem::PyPI),
    ("npm", Ecosystem::Npm),
    ("Go", Ecosystem::Go),
    ("crates.io", Ecosystem::Cargo),
];

fn synthetic_record(i: usize) -> String {
    let (eco, _) = ECOS[i % ECOS.len()];
    // ~60k distinct packages, ~10 advisories each
    let pkg = format!("pkg{}", (i / ECOS.len()) % 60_000);
    let ver = |x: usize| {
        if eco.starts_with("Debian") {
            format!("{}.{}-{}", x % 5, x % 7, 1 + x % 3)
        } else {
            format!("{}.{}.{}", x % 5, x % 7, x % 11)
        }
    };
    serde_json::json!({
        "schema_version": "1.7.0",
        "id": format!("SYN-{i:07}"),
        "modified": format!("2026-{:02}-{:02}T00:00:00Z", 1 + i % 12, 1 + i % 28),
        "aliases": [format!("CVE-2026-{i:07}")],
        "summary": format!("synthetic advisory {i} for {pkg}"),
        "details": "A synthetic advisory used to measure import speed. It carries a typical amount of text so record sizes resemble real OSV records.",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [{"package": {"ecosystem": eco, "name": pkg},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": ver(i)}]}]}],
        "references": [{"type": "ADVISORY", "url": format!("https://example.org/advisory/{i}")}]
    })
    .to_string()
}

fn main() {
    let n: usize = std::env::var("SEAWALL_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600_000);
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata");

    if shared.is_dir() {
        let db = tmp("shared");
        let t = Instant::now();
        let (meta, batch) = import_into(&db, &shared).unwrap();
        let el = t.elapsed();
        println!(
            "import ../shared/vulndata: {} records from {} files in {:.2} s ({} warnings)",
            meta.records,
            batch.files,
            el.as_secs_f64(),
            batch.warnings.len()
        );
        let _ = std::fs::remove_dir_all(&db);
    } else {
        println!("import ../shared/vulndata: skipped (not found)");
    }

    // synthetic all.zip
    let dir = tmp("synthetic");
    let zpath = dir.join("all.zip");
    let t = Instant::now();
    {
        let f = std::fs::File::create(&zpath).unwrap();
        let mut z = zip::ZipWriter::new(std::io::BufWriter::new(f));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1));
        for i in 0..n {
            z.start_file(format!("SYN-{i:07}.json"), opts).unwrap();
            z.write_all(synthetic_record(i).as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }
    let zsize = std::fs::metadata(&zpath).map(|m| m.len()).unwrap_or(0);
    println!(
        "generated synthetic all.zip: {n} records, {:.1} MB, in {:.1} s",
        zsize as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    let db = dir.join("db");
    let t = Instant::now();
    let (meta, _) = import_into(&db, &zpath).unwrap();
    let imp = t.elapsed().as_secs_f64();
    println!(
        "import synthetic dump: {} records in {:.2} s ({:.0} records/s; target < 60 s: {})",
        meta.records,
        imp,
        meta.records as f64 / imp,
        if imp < 60.0 { "met" } else { "MISSED" }
    );

    let t = Instant::now();
    let dbh = Db::open(&db).unwrap();
    println!("open: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);

    // lookups: candidates + record decode
    let lookups = 100_000;
    let t = Instant::now();
    let mut hits = 0usize;
    for k in 0..lookups {
        let (eco, _) = ECOS[k % ECOS.len()];
        hits += dbh
            .candidates(eco, &format!("pkg{}", (k * 7919) % 60_000))
            .len();
    }
    let per = t.elapsed().as_secs_f64() * 1e6 / lookups as f64;
    println!("index lookup (ecosystem, package): {per:.2} us each ({hits} candidate records)");
    let t = Instant::now();
    let mut recs = 0usize;
    for k in 0..10_000 {
        let (eco, _) = ECOS[k % ECOS.len()];
        recs += dbh
            .lookup(eco, &format!("pkg{}", (k * 7919) % 60_000))
            .unwrap()
            .len();
    }
    println!(
        "lookup with record decode: {:.1} us per package ({:.1} records each)",
        t.elapsed().as_secs_f64() * 1e6 / 10_000.0,
        recs as f64 / 10_000.0
    );

    // a 500-package image
    let os = OsInfo {
        family: "debian".into(),
        version: "12".into(),
        codename: None,
        pretty_name: None,
    };
    let pkgs: Vec<Package> = (0..500)
        .map(|k| {
            let (_, e) = ECOS[k % ECOS.len()];
            let name = format!("pkg{}", (k * 104_729) % 60_000);
            let version = if e == Ecosystem::Deb {
                "2.3-1".to_string()
            } else {
                "2.3.4".to_string()
            };
            Package {
                purl: format!("pkg:{}/{name}@{version}", e.purl_type()),
                source_name: (e == Ecosystem::Deb).then(|| name.clone()),
                source_version: (e == Ecosystem::Deb).then(|| version.clone()),
                name,
                version,
                ecosystem: e,
                arch: None,
                licenses: vec![],
                locations: vec![],
                dev: false,
            }
        })
        .collect();
    let t = Instant::now();
    let mut nf = 0;
    let runs = 20;
    for _ in 0..runs {
        nf = match_packages(&dbh, Some(&os), &pkgs).len();
    }
    println!(
        "match 500 packages: {:.1} ms per image ({nf} findings)",
        t.elapsed().as_secs_f64() * 1e3 / runs as f64
    );
    let _ = std::fs::remove_dir_all(&dir);
}
