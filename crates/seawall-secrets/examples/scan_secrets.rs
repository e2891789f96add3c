//! Scans a directory tree like the image side scans a layer: every regular
//! file the scanner wants, read whole, scanned. Prints findings (redacted)
//! and a throughput summary on stderr. Used by bench/secrets-vs-rg.sh.
//!
//! Usage: scan_secrets [--rules FILE] [--quiet] DIR
//!        scan_secrets --print-patterns      (the builtin regexes, one a line)

use std::path::{Path, PathBuf};
use std::time::Instant;

use seawall_secrets::SecretScanner;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut rules: Option<PathBuf> = None;
    let mut quiet = false;
    let mut dir: Option<PathBuf> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--print-patterns" => {
                // Named groups become plain groups: ripgrep joins all
                // patterns into one regex, where `secret` would repeat.
                for p in seawall_secrets::builtin_patterns() {
                    println!("{}", unname_groups(&p));
                }
                return;
            }
            "--rules" => rules = args.next().map(PathBuf::from),
            "--quiet" => quiet = true,
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: scan_secrets [--rules FILE] [--quiet] DIR");
        std::process::exit(2);
    };
    let scanner = match rules {
        Some(r) => match SecretScanner::with_custom_rules(&r) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(2);
            }
        },
        None => SecretScanner::builtin(),
    };
    let start = Instant::now();
    let (mut files, mut scanned, mut bytes, mut total, mut findings) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(md) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if md.is_dir() {
                stack.push(p);
                continue;
            }
            if !md.is_file() {
                continue;
            }
            files += 1;
            total += md.len();
            let rel = rel(&dir, &p);
            if !scanner.wants(&rel, md.len()) {
                continue;
            }
            let Ok(data) = std::fs::read(&p) else {
                continue;
            };
            scanned += 1;
            bytes += data.len() as u64;
            for m in scanner.scan(&rel, &data) {
                findings += 1;
                if !quiet {
                    println!(
                        "{}\t{}\t{}:{}\t{}",
                        m.severity, m.rule_id, m.path, m.line, m.context
                    );
                }
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "files={files} total_bytes={total} scanned_files={scanned} scanned_bytes={bytes} findings={findings} seconds={secs:.3} mb_per_s={:.1}",
        total as f64 / 1e6 / secs.max(1e-9)
    );
}

fn unname_groups(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut rest = p;
    while let Some(i) = rest.find("(?P<") {
        out.push_str(&rest[..i]);
        out.push('(');
        let after = &rest[i + 4..];
        rest = after.find('>').map(|j| &after[j + 1..]).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .map(|r| r.to_string_lossy().to_string())
        .unwrap_or_else(|_| p.to_string_lossy().to_string())
}
