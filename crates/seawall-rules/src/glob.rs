//! fnmatch-style glob: `*`, `?`, `[...]` (with `!`/`^` negation and ranges),
//! `\` escapes. `*` matches `/` too, as Falco's glob operator does.

/// Match `text` against `pat`; iterative with single backtrack point (linear-ish).
pub fn glob_match(pat: &str, text: &str, icase: bool) -> bool {
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
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        let mut advanced = false;
        if let Some(&pc) = p.get(pi) {
            match pc {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    advanced = true;
                }
                '[' => {
                    if let Some((matched, next)) = class(&p, pi, t[ti]) {
                        if matched {
                            pi = next;
                            ti += 1;
                            advanced = true;
                        }
                    } else if t[ti] == '[' {
                        pi += 1;
                        ti += 1;
                        advanced = true;
                    }
                }
                '\\' if pi + 1 < p.len() => {
                    if p[pi + 1] == t[ti] {
                        pi += 2;
                        ti += 1;
                        advanced = true;
                    }
                }
                c => {
                    if c == t[ti] {
                        pi += 1;
                        ti += 1;
                        advanced = true;
                    }
                }
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
    while p.get(pi) == Some(&'*') {
        pi += 1;
    }
    pi == p.len()
}

/// Parse a `[...]` class at `p[start]`; returns (matched, index after `]`).
fn class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let neg = matches!(p.get(i), Some('!') | Some('^'));
    if neg {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let ch = *p.get(i)?;
        if ch == ']' && !first {
            return Some((matched != neg, i + 1));
        }
        first = false;
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|x| *x != ']') {
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
    use super::glob_match;

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
}
