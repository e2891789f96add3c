//! Malformed input is an error naming the file and line, never a panic.

use seawall_dockerfile::{lint_bytes, Config};

fn err(src: &[u8]) -> String {
    match lint_bytes("bad/Dockerfile", src, &Config::default()) {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unterminated_heredoc() {
    let e = err(b"FROM debian:12\nRUN <<EOF\napt-get update\n");
    assert_eq!(
        e,
        "bad/Dockerfile: line 2: unterminated heredoc <<EOF (no line \"EOF\" before end of file)"
    );
}

#[test]
fn unknown_instruction() {
    let e = err(b"FROM debian:12\n\nRUNN apt-get update\n");
    assert_eq!(e, "bad/Dockerfile: line 3: unknown instruction \"RUNN\"");
}

#[test]
fn empty_file() {
    assert_eq!(
        err(b""),
        "bad/Dockerfile: line 1: empty Dockerfile (no instructions)"
    );
    assert_eq!(
        err(b"\n  \n# just a comment\n"),
        "bad/Dockerfile: line 1: empty Dockerfile (no instructions)"
    );
}

#[test]
fn binary_file() {
    let e = err(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00");
    assert_eq!(e, "bad/Dockerfile: line 1: binary file (NUL byte)");
    let e = err(b"FROM a:1\nRUN x\n\x89PNG\r\n\x1a\n\x00\x00");
    assert_eq!(e, "bad/Dockerfile: line 5: binary file (NUL byte)");
}

#[test]
fn missing_arguments_and_bad_escape() {
    assert_eq!(
        err(b"FROM\n"),
        "bad/Dockerfile: line 1: FROM requires at least one argument"
    );
    assert_eq!(
        err(b"# escape=x\nFROM a:1\n"),
        "bad/Dockerfile: line 1: invalid escape directive \"x\" (must be \\ or `)"
    );
}

/// Deterministic mutations of the corpus (byte flips, truncation, splices)
/// never panic.
#[test]
fn mutated_corpus_never_panics() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let special: &[&[u8]] = &[
        b"\\",
        b"`",
        b"<<",
        b"<<-'X'",
        b"$(",
        b"${",
        b"\"",
        b"'",
        b"\n",
        b"[\"",
        b"--mount=",
        b"\xff\xfe",
        b"|",
        b"&&",
    ];
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().and_then(|x| x.to_str()) != Some("Dockerfile") {
            continue;
        }
        let src = std::fs::read(&p).unwrap();
        for _ in 0..60 {
            let mut m = src.clone();
            for _ in 0..(next() % 4 + 1) {
                if m.is_empty() {
                    break;
                }
                let at = (next() as usize) % m.len();
                match next() % 3 {
                    0 => m.truncate(at),
                    1 => {
                        let s = special[(next() as usize) % special.len()];
                        m.splice(at..at, s.iter().copied());
                    }
                    _ => {
                        if let Some(b) = m.get_mut(at) {
                            *b = (next() % 256) as u8;
                        }
                    }
                }
            }
            let _ = lint_bytes("fuzz/Dockerfile", &m, &Config::default());
            n += 1;
        }
    }
    assert!(n > 1000);
}
