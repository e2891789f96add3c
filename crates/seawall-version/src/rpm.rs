//! RPM versions: `rpmvercmp` (with `~` and `^`) and `[epoch:]version[-release]`
//! comparison as rpm 4.18's `rpmverCmp` (what `rpm.vercmp` in lua calls).

use std::cmp::Ordering;

/// rpm's `rpmvercmp` on one version or release string.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let a = a.as_bytes();
    let b = b.as_bytes();
    let (mut i, mut j) = (0usize, 0usize);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        if i >= a.len() && j >= b.len() {
            break;
        }
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let ca = a.get(i).copied();
        let cb = b.get(j).copied();
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(c1), Some(_)) = (ca, cb) else {
            break;
        };
        let (mut e1, mut e2) = (i, j);
        let isnum = c1.is_ascii_digit();
        if isnum {
            while e1 < a.len() && a[e1].is_ascii_digit() {
                e1 += 1;
            }
            while e2 < b.len() && b[e2].is_ascii_digit() {
                e2 += 1;
            }
        } else {
            while e1 < a.len() && a[e1].is_ascii_alphabetic() {
                e1 += 1;
            }
            while e2 < b.len() && b[e2].is_ascii_alphabetic() {
                e2 += 1;
            }
        }
        if e1 == i {
            return Ordering::Less;
        }
        if e2 == j {
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut s1, mut s2) = (&a[i..e1], &b[j..e2]);
        if isnum {
            while s1.first() == Some(&b'0') {
                s1 = &s1[1..];
            }
            while s2.first() == Some(&b'0') {
                s2 = &s2[1..];
            }
            match s1.len().cmp(&s2.len()) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match s1.cmp(s2) {
            Ordering::Equal => {}
            o => return o,
        }
        i = e1;
        j = e2;
    }
    match (i < a.len(), j < b.len()) {
        (false, false) => Ordering::Equal,
        (true, _) => Ordering::Greater,
        (false, true) => Ordering::Less,
    }
}

/// `[epoch:]version[-release]` split as rpm's `parseEVR`.
pub fn parse_evr(evr: &str) -> (Option<&str>, &str, Option<&str>) {
    let digits = evr.bytes().take_while(u8::is_ascii_digit).count();
    let (epoch, rest) = if evr.as_bytes().get(digits) == Some(&b':') {
        let e = &evr[..digits];
        (Some(if e.is_empty() { "0" } else { e }), &evr[digits + 1..])
    } else {
        (None, evr)
    };
    // rpm searches for the last '-' after the epoch digits
    let search_from = if epoch.is_some() { 0 } else { digits };
    match rest[search_from..].rfind('-') {
        Some(k) => {
            let k = k + search_from;
            (epoch, &rest[..k], Some(&rest[k + 1..]))
        }
        None => (epoch, rest, None),
    }
}

/// Compares two `[epoch:]version[-release]` strings (a missing epoch is 0, a
/// version without a release sorts before one with a release).
pub fn compare(a: &str, b: &str) -> Ordering {
    let (e1, v1, r1) = parse_evr(a);
    let (e2, v2, r2) = parse_evr(b);
    rpmvercmp(e1.unwrap_or("0"), e2.unwrap_or("0"))
        .then_with(|| rpmvercmp(v1, v2))
        .then_with(|| match (r1, r2) {
            (Some(x), Some(y)) => rpmvercmp(x, y),
            // rpm 4.18: a version with a release sorts after one without
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            (None, None) => Ordering::Equal,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn rpmvercmp_cases() {
        for (a, b, o) in [
            ("1.0", "1.0", Equal),
            ("1.0", "2.0", Less),
            ("2.0.1a", "2.0.1", Greater),
            ("1.0~rc1", "1.0", Less),
            ("1.0~rc1", "1.0~rc2", Less),
            ("1.0^", "1.0", Greater),
            ("1.0^git1", "1.0", Greater),
            ("1.0^git1", "1.01", Less),
            ("1.0^git1", "1.0~rc1", Greater),
            ("a", "1", Less),
            ("10", "9", Greater),
            ("1.0a", "1.0.a", Equal),
        ] {
            assert_eq!(rpmvercmp(a, b), o, "{a} vs {b}");
        }
    }

    #[test]
    fn evr_cases() {
        assert_eq!(compare("1:1.0", "2.0"), Greater);
        assert_eq!(compare("1.0-2", "1.0"), Greater);
        assert_eq!(compare("0:1.0", "1.0"), Equal);
        assert_eq!(compare("a:1", "1"), Less);
        assert_eq!(compare("1.2-3.el9", "1.2-10.el9"), Less);
    }
}
