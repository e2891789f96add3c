//! Acceptance: binary files, a 2 GB stream, invalid UTF-8 and very long
//! lines are handled with bounded memory and linear work. No timing is
//! asserted here (speed is measured by bench/secrets-vs-rg.sh); the 2 GB
//! stream is generated lazily and the test checks how much of it is read.

use std::io::Read;

use seawall_secrets::{SecretScanner, CHUNK_OVERLAP, MAX_MATCHES_PER_FILE, READ_CHUNK};

fn gh_token(seed: u8) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let body: String = (0..36u32)
        .map(|i| alphabet[((i * 7 + u32::from(seed) * 13) % 62) as usize] as char)
        .collect();
    format!("{}{}", "ghp_", body)
}

const LINE: &[u8] = b"the password token secret api_key is not here, just some text to scan 0123\n";

/// A lazily generated text stream of `len` bytes: lines of prose with a few
/// secret-ish keywords, and `planted` inserted at `at`.
struct Stream {
    len: u64,
    pos: u64,
    planted: Vec<u8>,
    at: u64,
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() && self.pos < self.len {
            let b = if self.pos >= self.at && self.pos < self.at + self.planted.len() as u64 {
                self.planted[(self.pos - self.at) as usize]
            } else {
                LINE[(self.pos % LINE.len() as u64) as usize]
            };
            buf[n] = b;
            n += 1;
            self.pos += 1;
        }
        Ok(n)
    }
}

#[test]
fn two_gigabyte_stream_is_not_wanted_and_reads_stop_at_the_cap() {
    let scanner = SecretScanner::builtin();
    let two_gb: u64 = 2 << 30;
    assert!(!scanner.wants("var/lib/app/huge.log", two_gb));
    assert!(scanner.wants("var/lib/app/small.log", 1000));

    let token = gh_token(1);
    let mut planted = b"\nGITHUB_TOKEN=".to_vec();
    planted.extend_from_slice(token.as_bytes());
    planted.push(b'\n');
    let mut s = Stream {
        len: two_gb,
        pos: 0,
        planted,
        at: 5_000_000,
    };
    let cap = scanner.max_file_size();
    let (found, truncated) = scanner
        .scan_reader("var/lib/app/huge.log", &mut s, cap)
        .unwrap();
    assert!(truncated, "a 2 GB stream must be cut at the cap");
    // At most the cap plus the one byte that tells there is more.
    assert!(s.pos <= cap + 1, "read {} bytes with cap {cap}", s.pos);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule_id, "github-pat");
    // Line: 5_000_000 bytes of LINE, then the planted newline.
    assert_eq!(found[0].line, (5_000_000 / LINE.len()) as u32 + 2);
    assert!(!found[0].context.contains(&token));
}

#[test]
fn chunked_scan_matches_whole_scan_across_chunk_boundaries() {
    let scanner = SecretScanner::builtin();
    let mut data = Vec::new();
    let mut line = 0;
    // Three chunks of text, with tokens planted right across each boundary.
    while data.len() < 3 * READ_CHUNK + 1000 {
        data.extend_from_slice(b"ordinary words and more words here\n");
        line += 1;
    }
    let _ = line;
    let mut tokens = Vec::new();
    for (i, boundary) in [READ_CHUNK - CHUNK_OVERLAP, 2 * (READ_CHUNK - CHUNK_OVERLAP)]
        .iter()
        .enumerate()
    {
        let t = gh_token(i as u8 + 2);
        let at = boundary - 10;
        data.splice(at..at, format!("\nk={t}\n").bytes());
        tokens.push(t);
    }
    let whole = scanner.scan("app/big.txt", &data);
    let (chunked, truncated) = scanner
        .scan_reader("app/big.txt", std::io::Cursor::new(&data), u64::MAX)
        .unwrap();
    assert!(!truncated);
    assert_eq!(whole.len(), 2, "{whole:?}");
    let key = |m: &seawall_secrets::SecretMatch| (m.rule_id.clone(), m.line, m.redacted.clone());
    assert_eq!(
        whole.iter().map(key).collect::<Vec<_>>(),
        chunked.iter().map(key).collect::<Vec<_>>()
    );
}

#[test]
fn binary_files_are_skipped() {
    let scanner = SecretScanner::builtin();
    let token = gh_token(3);
    let mut elf = b"\x7fELF\x02\x01\x01\x00\x00\x00".to_vec();
    elf.extend_from_slice(format!("token={token}\n").as_bytes());
    assert!(scanner.scan("usr/bin/tool", &elf).is_empty());
    let (r, _) = scanner
        .scan_reader("usr/bin/tool", std::io::Cursor::new(&elf), u64::MAX)
        .unwrap();
    assert!(r.is_empty());
    // A NUL far past the sniff window does not make a text file binary.
    let mut text = vec![b'a'; 10_000];
    text.extend_from_slice(format!("\ntoken={token}\n").as_bytes());
    text.push(0);
    assert_eq!(scanner.scan("app/data.txt", &text).len(), 1);
    // Known binary formats are not even wanted.
    for p in [
        "usr/lib/x86_64-linux-gnu/libc.so.6",
        "app/static/logo.png",
        "root/cache.tar.gz",
    ] {
        assert!(!scanner.wants(p, 100), "{p}");
    }
}

#[test]
fn invalid_utf8_around_a_secret_is_fine() {
    let scanner = SecretScanner::builtin();
    let token = gh_token(4);
    let mut data = vec![0xff, 0xfe, 0xc3, 0x28, b'\n', 0xe2, 0x82];
    data.extend_from_slice(format!("tok\u{e9}n: {token} \u{1F600}").as_bytes());
    data.extend_from_slice(&[0xf0, 0x28, 0x8c, 0xbc, b'\n']);
    let found = scanner.scan("app/latin1.cfg", &data);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].line, 2);
    assert!(found[0].context.contains('\u{FFFD}'));
    assert!(!found[0].context.contains(&token));
}

#[test]
fn very_long_lines_are_scanned_whole() {
    let scanner = SecretScanner::builtin();
    // 16 MiB on one line, full of keywords that wake the context rules,
    // with one real token in the middle.
    let filler = b"password=short token: x secret = y api_key: z ";
    let mut data = Vec::with_capacity(16 << 20);
    while data.len() < 8 << 20 {
        data.extend_from_slice(filler);
    }
    let token = gh_token(5);
    data.extend_from_slice(token.as_bytes());
    data.push(b' ');
    while data.len() < 16 << 20 {
        data.extend_from_slice(filler);
    }
    let big = SecretScanner::from_yaml("max-file-size: 33554432", "test").unwrap();
    assert!(big.wants("app/one-line.js", data.len() as u64));
    let found = big.scan("app/one-line.js", &data);
    assert_eq!(
        found.len(),
        1,
        "{:?}",
        found.iter().map(|m| &m.rule_id).collect::<Vec<_>>()
    );
    assert_eq!(found[0].line, 1);
    assert!(found[0].context.chars().count() <= 160);
    let _ = scanner;
}

#[test]
fn findings_per_file_are_capped() {
    let scanner = SecretScanner::builtin();
    let mut data = String::new();
    for i in 0..(MAX_MATCHES_PER_FILE * 3) {
        data.push_str(&format!("t{i}={}\n", gh_token((i % 250) as u8)));
    }
    let found = scanner.scan("app/many.env", data.as_bytes());
    assert_eq!(found.len(), MAX_MATCHES_PER_FILE);
}
