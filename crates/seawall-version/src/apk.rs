//! Alpine package versions, compared as current apk-tools (`src/version.c`:
//! token_first/token_next/token_cmp, with `~hash` commit suffixes and
//! string ordering for digit runs with a leading zero).

use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tok {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffix values: pre-release suffixes sort below `NONE`, post-release above.
const SUFFIXES: [(&str, u8); 9] = [
    ("alpha", 1),
    ("beta", 2),
    ("pre", 3),
    ("rc", 4),
    ("cvs", 6),
    ("svn", 7),
    ("git", 8),
    ("hg", 9),
    ("p", 10),
];
const SUFFIX_NONE: u8 = 5;

struct State<'a> {
    tok: Tok,
    suffix: u8,
    number: u64,
    value: &'a [u8],
}

struct Blob<'a> {
    s: &'a [u8],
}

impl<'a> Blob<'a> {
    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let n = self.s.iter().take_while(|&&c| f(c)).count();
        let (head, tail) = self.s.split_at(n);
        self.s = tail;
        head
    }
}

fn parse_digits<'a>(t: &mut State<'a>, b: &mut Blob<'a>) {
    let d = b.take_while(|c| c.is_ascii_digit());
    t.number = d.iter().fold(0u64, |n, &c| {
        n.saturating_mul(10).saturating_add(u64::from(c - b'0'))
    });
    t.value = d;
    if d.is_empty() {
        t.tok = Tok::Invalid;
    }
}

fn first<'a>(b: &mut Blob<'a>) -> State<'a> {
    let mut t = State {
        tok: Tok::InitialDigit,
        suffix: 0,
        number: 0,
        value: &[],
    };
    parse_digits(&mut t, b);
    t
}

fn next<'a>(t: &mut State<'a>, b: &mut Blob<'a>) {
    let Some(&c) = b.s.first() else {
        t.tok = Tok::End;
        return;
    };
    match c {
        b'a'..=b'z' => {
            if t.tok > Tok::Digit {
                t.tok = Tok::Invalid;
                return;
            }
            t.value = &b.s[..1];
            t.tok = Tok::Letter;
            b.s = &b.s[1..];
        }
        b'.' | b'0'..=b'9' => {
            if c == b'.' {
                if t.tok > Tok::Digit {
                    t.tok = Tok::Invalid;
                    return;
                }
                b.s = &b.s[1..];
            }
            t.tok = match t.tok {
                Tok::InitialDigit | Tok::Digit => Tok::Digit,
                Tok::Suffix => Tok::SuffixNo,
                _ => {
                    t.tok = Tok::Invalid;
                    return;
                }
            };
            parse_digits(t, b);
        }
        b'_' => {
            if t.tok > Tok::SuffixNo {
                t.tok = Tok::Invalid;
                return;
            }
            b.s = &b.s[1..];
            let v = b.take_while(|c| c.is_ascii_lowercase());
            t.value = v;
            match SUFFIXES.iter().find(|(s, _)| s.as_bytes() == v) {
                Some((_, n)) => {
                    t.suffix = *n;
                    t.tok = Tok::Suffix;
                }
                None => t.tok = Tok::Invalid,
            }
        }
        b'~' => {
            if t.tok >= Tok::CommitHash {
                t.tok = Tok::Invalid;
                return;
            }
            b.s = &b.s[1..];
            let v = b.take_while(|c| c.is_ascii_hexdigit());
            t.value = v;
            t.tok = if v.is_empty() {
                Tok::Invalid
            } else {
                Tok::CommitHash
            };
        }
        b'-' => {
            if t.tok >= Tok::RevisionNo || !b.s.starts_with(b"-r") {
                t.tok = Tok::Invalid;
                return;
            }
            b.s = &b.s[2..];
            t.tok = Tok::RevisionNo;
            parse_digits(t, b);
        }
        _ => t.tok = Tok::Invalid,
    }
}

fn token_cmp(a: &State<'_>, b: &State<'_>) -> Ordering {
    match a.tok {
        Tok::Digit if a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0') => {
            a.value.cmp(b.value)
        }
        Tok::Digit | Tok::InitialDigit | Tok::SuffixNo | Tok::RevisionNo => a.number.cmp(&b.number),
        Tok::Letter => a.value.first().cmp(&b.value.first()),
        Tok::Suffix => a.suffix.cmp(&b.suffix),
        _ => a.value.cmp(b.value),
    }
}

/// Compares two apk versions (`1.2.3_rc1-r0`, `2.36a-r2`, `1.0~abc12-r1`).
pub fn compare(a: &str, b: &str) -> Ordering {
    let mut ba = Blob { s: a.as_bytes() };
    let mut bb = Blob { s: b.as_bytes() };
    let mut ta = first(&mut ba);
    let mut tb = first(&mut bb);
    while ta.tok == tb.tok && ta.tok < Tok::End {
        let r = token_cmp(&ta, &tb);
        if r != Ordering::Equal {
            return r;
        }
        next(&mut ta, &mut ba);
        next(&mut tb, &mut bb);
    }
    if ta.tok == tb.tok {
        return Ordering::Equal;
    }
    if ta.tok == Tok::Suffix && ta.suffix < SUFFIX_NONE {
        return Ordering::Less;
    }
    if tb.tok == Tok::Suffix && tb.suffix < SUFFIX_NONE {
        return Ordering::Greater;
    }
    tb.tok.cmp(&ta.tok)
}

/// True when apk-tools would accept the string as a version.
pub fn is_valid(v: &str) -> bool {
    let mut b = Blob { s: v.as_bytes() };
    let mut t = first(&mut b);
    while t.tok < Tok::End {
        next(&mut t, &mut b);
    }
    t.tok == Tok::End
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn known_orderings() {
        for (a, b, o) in [
            ("1.0", "1.0", Equal),
            ("1.0-r1", "1.0-r0", Greater),
            ("1.0_rc1", "1.0", Less),
            ("1.0_p1", "1.0", Greater),
            ("1.0a", "1.0", Greater),
            ("1.0a", "1.0b", Less),
            ("1.2.2_pre2-r0", "1.2.1-r0", Greater),
            ("1.2.2_pre2-r0", "1.2.2-r0", Less),
            ("3.3.7-r0", "3.3.10-r0", Less),
            ("1.01", "1.1", Less),
            ("1.0~abc-r0", "1.0-r0", Greater),
            ("1.2.5-r3", "1.2.5-r10", Less),
            ("1.35.0-r29", "1.36.1-r0", Less),
            ("1.0_alpha", "1.0_beta", Less),
            ("1.0_rc1", "1.0_p1", Less),
            ("2.9.3-r0", "2.10-r0", Less),
        ] {
            assert_eq!(compare(a, b), o, "{a} vs {b}");
            assert_eq!(compare(b, a), o.reverse(), "{b} vs {a}");
        }
        assert!(is_valid("1.2.3_rc1-r0"));
        assert!(!is_valid("1.2.3-x"));
    }
}
