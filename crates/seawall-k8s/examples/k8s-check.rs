//! Minimal driver for benchmarks and manual runs, until `seawall config` is
//! wired: `k8s-check [--pss LEVEL[:vX.Y]] [--builtin] [--waivers FILE] PATH...`
//! Walks directories, prints one line per finding, and a summary on stderr.
//! Exit code 1 when findings remain, 2 on errors.

use std::path::{Path, PathBuf};

use seawall_k8s::{is_manifest_path, Checker, Options};

fn walk(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        let Ok(rd) = std::fs::read_dir(p) else { return };
        let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        v.sort();
        for c in v {
            walk(&c, out);
        }
    } else if is_manifest_path(p) {
        out.push(p.to_path_buf());
    }
}

fn main() {
    let mut opts = Options::default();
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    let mut quiet = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--pss" => match args.next().map(|s| s.parse()) {
                Some(Ok(s)) => opts.pss = Some(s),
                Some(Err(e)) => {
                    eprintln!("error: {e}");
                    std::process::exit(2)
                }
                None => {
                    eprintln!("error: --pss needs a value");
                    std::process::exit(2)
                }
            },
            "--builtin" => opts.builtin_checks = true,
            "--quiet" => quiet = true,
            "--waivers" => opts.waiver_file = args.next().map(PathBuf::from),
            "--policies" => opts.policy_dir = args.next().map(PathBuf::from),
            _ => paths.push(PathBuf::from(a)),
        }
    }
    if opts.pss.is_none() {
        opts.builtin_checks = true;
    }
    let checker = match Checker::new(&opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2)
        }
    };
    let mut files = Vec::new();
    for p in &paths {
        walk(p, &mut files);
    }
    let (mut findings, mut errors, mut flagged) = (0usize, 0usize, 0usize);
    for f in &files {
        match checker.check_file(f) {
            Ok(ms) => {
                if !ms.is_empty() {
                    flagged += 1;
                }
                findings += ms.len();
                if !quiet {
                    for m in ms {
                        println!(
                            "{}:{}: {} {} [{}] {}",
                            m.file,
                            m.line,
                            m.severity,
                            m.id,
                            m.object.unwrap_or_default(),
                            m.message
                        );
                    }
                }
            }
            Err(e) => {
                errors += 1;
                eprintln!("error: {e}");
            }
        }
    }
    eprintln!(
        "{} files, {flagged} with findings, {findings} findings, {errors} errors",
        files.len()
    );
    std::process::exit(if errors > 0 {
        2
    } else if findings > 0 {
        1
    } else {
        0
    })
}
