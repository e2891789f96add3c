//! PEP 440 versions (PyPI), parsed and ordered like python `packaging.version`.

use std::cmp::Ordering;

use crate::num::{canon, cmp_digits};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pep440 {
    pub epoch: String,
    /// Release numbers with trailing zeros removed (the comparison form).
    pub release: Vec<String>,
    /// `(label, n)` with label one of `a`, `b`, `rc`.
    pub pre: Option<(&'static str, String)>,
    pub post: Option<String>,
    pub dev: Option<String>,
    pub local: Option<Vec<LocalPart>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalPart {
    Num(String),
    Str(String),
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn sep(&mut self) -> bool {
        if matches!(self.s.get(self.i), Some(b'-' | b'_' | b'.')) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn digits(&mut self) -> Option<String> {
        let st = self.i;
        while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        (self.i > st).then(|| String::from_utf8_lossy(&self.s[st..self.i]).into_owned())
    }
    fn word(&mut self, w: &str) -> bool {
        if self.s[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            true
        } else {
            false
        }
    }
    /// Optional separator, one of `labels`, optional separator and number.
    fn labelled(&mut self, labels: &[(&str, &'static str)]) -> Option<(&'static str, String)> {
        let save = self.i;
        self.sep();
        for (w, norm) in labels {
            if self.word(w) {
                let after = self.i;
                self.sep();
                let n = match self.digits() {
                    Some(n) => n,
                    None => {
                        // keep a consumed trailing separator: the regex does too
                        let _ = after;
                        "0".to_string()
                    }
                };
                return Some((norm, canon(&n)));
            }
        }
        self.i = save;
        None
    }
}

/// Parses a version; `None` when it is not valid PEP 440.
pub fn parse(v: &str) -> Option<Pep440> {
    let lower = v.trim().to_ascii_lowercase();
    let mut p = P {
        s: lower.as_bytes(),
        i: 0,
    };
    if p.s.first() == Some(&b'v') {
        p.i = 1;
    }
    let mut epoch = "0".to_string();
    let save = p.i;
    if let Some(d) = p.digits() {
        if p.s.get(p.i) == Some(&b'!') {
            p.i += 1;
            epoch = canon(&d);
        } else {
            p.i = save;
        }
    }
    let mut release = vec![canon(&p.digits()?)];
    loop {
        let save = p.i;
        if p.s.get(p.i) == Some(&b'.') {
            p.i += 1;
            if let Some(d) = p.digits() {
                release.push(canon(&d));
                continue;
            }
        }
        p.i = save;
        break;
    }
    while release.len() > 1 && release.last().is_some_and(|x| x == "0") {
        release.pop();
    }
    if release.len() == 1 && release[0] == "0" {
        release.clear();
    }
    let pre = p.labelled(&[
        ("alpha", "a"),
        ("a", "a"),
        ("beta", "b"),
        ("b", "b"),
        ("preview", "rc"),
        ("pre", "rc"),
        ("c", "rc"),
        ("rc", "rc"),
    ]);
    let mut post = None;
    let save = p.i;
    if p.s.get(p.i) == Some(&b'-') {
        p.i += 1;
        match p.digits() {
            Some(d) => post = Some(canon(&d)),
            None => p.i = save,
        }
    }
    if post.is_none() {
        post = p
            .labelled(&[("post", "post"), ("rev", "post"), ("r", "post")])
            .map(|(_, n)| n);
    }
    let dev = p.labelled(&[("dev", "dev")]).map(|(_, n)| n);
    let mut local = None;
    if p.s.get(p.i) == Some(&b'+') {
        p.i += 1;
        let rest = std::str::from_utf8(&p.s[p.i..]).ok()?;
        let mut parts = Vec::new();
        for seg in rest.split(['.', '-', '_']) {
            if seg.is_empty() || !seg.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return None;
            }
            if seg.bytes().all(|b| b.is_ascii_digit()) {
                parts.push(LocalPart::Num(canon(seg)));
            } else {
                parts.push(LocalPart::Str(seg.to_string()));
            }
        }
        p.i = p.s.len();
        local = Some(parts);
    }
    if p.i != p.s.len() {
        return None;
    }
    Some(Pep440 {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

fn cmp_release(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match cmp_digits(x, y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    a.len().cmp(&b.len())
}

/// Infinity-extended keys, as `packaging._cmpkey`.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Ext<T> {
    NegInf,
    Val(T),
    Inf,
}

struct Digits<'a>(&'a str);
impl PartialEq for Digits<'_> {
    fn eq(&self, o: &Self) -> bool {
        cmp_digits(self.0, o.0) == Ordering::Equal
    }
}
impl Eq for Digits<'_> {}
impl PartialOrd for Digits<'_> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Digits<'_> {
    fn cmp(&self, o: &Self) -> Ordering {
        cmp_digits(self.0, o.0)
    }
}

impl Pep440 {
    fn pre_key(&self) -> Ext<(&str, Digits<'_>)> {
        match (&self.pre, &self.post, &self.dev) {
            (None, None, Some(_)) => Ext::NegInf,
            (None, _, _) => Ext::Inf,
            (Some((l, n)), _, _) => Ext::Val((l, Digits(n))),
        }
    }
    fn post_key(&self) -> Ext<Digits<'_>> {
        self.post
            .as_deref()
            .map_or(Ext::NegInf, |n| Ext::Val(Digits(n)))
    }
    fn dev_key(&self) -> Ext<Digits<'_>> {
        self.dev
            .as_deref()
            .map_or(Ext::Inf, |n| Ext::Val(Digits(n)))
    }
}

fn cmp_local(a: &Option<Vec<LocalPart>>, b: &Option<Vec<LocalPart>>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => {
            for (p, q) in x.iter().zip(y) {
                let o = match (p, q) {
                    (LocalPart::Num(m), LocalPart::Num(n)) => cmp_digits(m, n),
                    (LocalPart::Num(_), LocalPart::Str(_)) => Ordering::Greater,
                    (LocalPart::Str(_), LocalPart::Num(_)) => Ordering::Less,
                    (LocalPart::Str(m), LocalPart::Str(n)) => m.cmp(n),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
    }
}

impl Ord for Pep440 {
    fn cmp(&self, o: &Self) -> Ordering {
        cmp_digits(&self.epoch, &o.epoch)
            .then_with(|| cmp_release(&self.release, &o.release))
            .then_with(|| self.pre_key().cmp(&o.pre_key()))
            .then_with(|| self.post_key().cmp(&o.post_key()))
            .then_with(|| self.dev_key().cmp(&o.dev_key()))
            .then_with(|| cmp_local(&self.local, &o.local))
    }
}

impl PartialOrd for Pep440 {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(a: &str, b: &str) -> Ordering {
        parse(a).unwrap().cmp(&parse(b).unwrap())
    }

    #[test]
    fn ordering_examples_from_pep440() {
        let ordered = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
        ];
        for w in ordered.windows(2) {
            assert_eq!(c(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(c("1.0", "1.0.0"), Ordering::Equal);
        assert_eq!(c("v1.0-1", "1.0.post1"), Ordering::Equal);
        assert_eq!(c("1.0C1", "1.0rc1"), Ordering::Equal);
        assert_eq!(c("1!0.1", "2.0"), Ordering::Greater);
        assert!(parse("1.0-").is_none());
        assert!(parse("not a version").is_none());
        assert!(parse("1.0+").is_none());
    }
}
