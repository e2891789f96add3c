//! RubyGems versions, ordered like `Gem::Version#<=>`.

use std::cmp::Ordering;

use crate::num::cmp_digits;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Num(String),
    Str(String),
}

fn canonical(v: &str) -> Vec<Seg> {
    let v = v.trim().replace('-', ".pre.");
    let mut segs = Vec::new();
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let st = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let t = v[st..i].trim_start_matches('0');
            segs.push(Seg::Num(if t.is_empty() { "0".into() } else { t.into() }));
        } else if b[i].is_ascii_alphabetic() {
            let st = i;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            segs.push(Seg::Str(v[st..i].to_string()));
        } else {
            i += 1;
        }
    }
    let split = segs
        .iter()
        .position(|s| matches!(s, Seg::Str(_)))
        .unwrap_or(segs.len());
    let mut strs = segs.split_off(split);
    let mut nums = segs;
    let zero = |s: &Seg| matches!(s, Seg::Num(n) if n == "0");
    while nums.last().is_some_and(zero) {
        nums.pop();
    }
    while strs.last().is_some_and(zero) {
        strs.pop();
    }
    nums.extend(strs);
    nums
}

pub fn compare(a: &str, b: &str) -> Ordering {
    let x = canonical(a);
    let y = canonical(b);
    let zero = Seg::Num("0".into());
    for k in 0..x.len().max(y.len()) {
        let l = x.get(k).unwrap_or(&zero);
        let r = y.get(k).unwrap_or(&zero);
        let o = match (l, r) {
            (Seg::Num(p), Seg::Num(q)) => cmp_digits(p, q),
            (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
            (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
            (Seg::Str(p), Seg::Str(q)) => p.cmp(q),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn gem_ordering() {
        assert_eq!(compare("1.0.0", "1"), Equal);
        assert_eq!(compare("1.0.a", "1.0"), Less);
        assert_eq!(compare("1.0.a", "1.0.b"), Less);
        assert_eq!(compare("1.0.0-rc1", "1.0.0"), Less);
        assert_eq!(compare("1.0.0.rc1", "1.0.0.beta2"), Greater);
        assert_eq!(compare("5.2.4.3", "5.2.4.10"), Less);
    }
}
