//! fnmatch-style glob: `*`, `?`, `[...]` (with `!`/`^` negation and ranges),
//! `\` escapes. `*` matches `/` too, as Falco's glob operator does.

/// A pattern character: `char` in general, `u8` when pattern and text are
/// both ASCII (same results, no decoding or allocation).
trait GChar: Copy + PartialEq + PartialOrd {
    fn a(b: u8) -> Self;
}
impl GChar for u8 {
    fn a(b: u8) -> u8 {
        b
    }
}
impl GChar for char {
    fn a(b: u8) -> char {
        char::from(b)
    }
}

/// Match `text` against `pat`; iterative with single backtrack point (linear-ish).
pub fn glob_match(pat: &str, text: &str, icase: bool) -> bool {
    if !icase && pat.is_ascii() && text.is_ascii() {
        return glob_core(pat.as_bytes(), text.as_bytes());
    }
    let p: Vec<char> = if icase {
        pat.chars().flat_map(char::to_lowercase).collect()
    } else {
        pat.chars().collect()
    };
    let t: Vec<char> = if icase {
        text.chars().flat_map(char::to_lowercase).collect()
    } else {
        text.chars().collect()
    };
    glob_core(&p, &t)
}

/// A glob compiled once: the literal text before the first and after the
/// last special character must start and end any match, so most
/// non-matching values are rejected without running the matcher.
#[derive(Debug, Clone)]
pub struct Glob {
    pat: String,
    prefix: String,
    suffix: String,
}

impl Glob {
    pub fn new(pat: &str) -> Glob {
        let special = |c: char| matches!(c, '*' | '?' | '[' | ']' | '\\');
        let (prefix, suffix) = match (pat.find(special), pat.rfind(special)) {
            (Some(a), Some(b)) => (pat.get(..a).unwrap_or(""), pat.get(b + 1..).unwrap_or("")),
            // no special character: the whole text must equal the pattern
            _ => (pat, ""),
        };
        Glob {
            pat: pat.to_string(),
            prefix: prefix.to_string(),
            suffix: suffix.to_string(),
        }
    }

    /// Text every match starts with.
    pub fn literal_prefix(&self) -> &str {
        &self.prefix
    }

    /// Text every match ends with.
    pub fn literal_suffix(&self) -> &str {
        &self.suffix
    }

    /// Same result as `glob_match(pattern, text, false)`.
    pub fn is_match(&self, text: &str) -> bool {
        if !text.starts_with(self.prefix.as_str()) || !text.ends_with(self.suffix.as_str()) {
            return false;
        }
        glob_match(&self.pat, text, false)
    }
}

fn glob_core<T: GChar>(p: &[T], t: &[T]) -> bool {
    let (star_c, q_c, lb_c, bs_c) = (T::a(b'*'), T::a(b'?'), T::a(b'['), T::a(b'\\'));
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&tc) = t.get(ti) {
        let mut advanced = false;
        if let Some(&pc) = p.get(pi) {
            if pc == star_c {
                star = Some((pi, ti));
                pi += 1;
                continue;
            } else if pc == q_c {
                pi += 1;
                ti += 1;
                advanced = true;
            } else if pc == lb_c {
                if let Some((matched, next)) = class(p, pi, tc) {
                    if matched {
                        pi = next;
                        ti += 1;
                        advanced = true;
                    }
                } else if tc == lb_c {
                    pi += 1;
                    ti += 1;
                    advanced = true;
                }
            } else if pc == bs_c && pi + 1 < p.len() {
                if p.get(pi + 1) == Some(&tc) {
                    pi += 2;
                    ti += 1;
                    advanced = true;
                }
            } else if pc == tc {
                pi += 1;
                ti += 1;
                advanced = true;
            }
        }
        if !advanced {
            match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            }
        }
    }
    while p.get(pi) == Some(&star_c) {
        pi += 1;
    }
    pi == p.len()
}

/// Parse a `[...]` class at `p[start]`; returns (matched, index after `]`).
fn class<T: GChar>(p: &[T], start: usize, c: T) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let neg = matches!(p.get(i), Some(x) if *x == T::a(b'!') || *x == T::a(b'^'));
    if neg {
        i += 1;
    }
    let (rb, dash) = (T::a(b']'), T::a(b'-'));
    let mut matched = false;
    let mut first = true;
    loop {
        let ch = *p.get(i)?;
        if ch == rb && !first {
            return Some((matched != neg, i + 1));
        }
        first = false;
        if p.get(i + 1) == Some(&dash) && p.get(i + 2).is_some_and(|x| *x != rb) {
            let hi = *p.get(i + 2)?;
            if ch <= c && c <= hi {
                matched = true;
            }
            i += 3;
        } else {
            if ch == c {
                matched = true;
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{glob_match, Glob};

    #[test]
    fn globs() {
        assert!(glob_match("/etc/*", "/etc/passwd", false));
        assert!(glob_match("/etc/*", "/etc/a/b", false));
        assert!(glob_match("*.sh", "x.sh", false));
        assert!(!glob_match("*.sh", "x.shh", false));
        assert!(glob_match("a?c", "abc", false));
        assert!(glob_match("[a-c]x", "bx", false));
        assert!(!glob_match("[!a-c]x", "bx", false));
        assert!(glob_match("*SSH*", "my_ssh_key", true));
        assert!(glob_match("", "", false));
        assert!(!glob_match("a", "", false));
        assert!(glob_match(
            "*a*a*a*a*a*b",
            &"a".repeat(30).to_string().replace(
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaab"
            ),
            false
        ));
    }

    #[test]
    fn compiled_glob_agrees_with_the_matcher() {
        let pats = [
            "/proc/*/environ",
            "/etc/*",
            "*.sh",
            "a?c",
            "[a-c]x",
            "[!a-c]x",
            "/dev/sd[a-z]",
            "/dev/sd[a-z]*",
            "x]y",
            "a\\*b",
            "a\\",
            "[",
            "ab[",
            "/etc/ssh",
            "",
            "*",
            "*ssh*",
            "/home/*/.ssh/*",
            "é*ü",
        ];
        let texts = [
            "/proc/1/environ",
            "/proc/self/environ",
            "/proc/environ",
            "/etc/passwd",
            "/etc",
            "x.sh",
            "abc",
            "bx",
            "dx",
            "/dev/sda",
            "/dev/sda1",
            "x]y",
            "a*b",
            "axb",
            "a\\",
            "a",
            "[",
            "ab[",
            "/etc/ssh",
            "",
            "/home/u/.ssh/id_rsa",
            "éxü",
            "/ÉTC",
        ];
        for p in pats {
            let g = Glob::new(p);
            for t in texts {
                assert_eq!(g.is_match(t), glob_match(p, t, false), "{p:?} on {t:?}");
            }
        }
        // the byte and char matchers agree
        assert!(glob_match("é*ü", "éxü", false));
        assert!(glob_match("[a-z]*", "q/é", false));
        assert_eq!(glob_match("?", "é", true), glob_match("?", "é", false));
    }
}
