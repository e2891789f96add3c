//! `cargo run -p seawall-catalog --example scan_dir -- DIR`: catalogue a
//! directory and print the OS, package counts per ecosystem, errors and the
//! time taken.

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: scan_dir DIR");
        std::process::exit(2);
    };
    let t = std::time::Instant::now();
    let r = match seawall_catalog::scan_dir_report(std::path::Path::new(&dir)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("scan_dir: {e}");
            std::process::exit(1);
        }
    };
    let elapsed = t.elapsed();
    println!("os: {:?}", r.os);
    let mut counts = std::collections::BTreeMap::new();
    for p in &r.packages {
        *counts.entry(format!("{:?}", p.ecosystem)).or_insert(0usize) += 1;
    }
    for (k, v) in counts {
        println!("{k}: {v}");
    }
    for e in &r.errors {
        println!("error: {e}");
    }
    println!("{} packages in {:.2?}", r.packages.len(), elapsed);
}
