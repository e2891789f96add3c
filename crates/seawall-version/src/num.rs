//! Arbitrary-length decimal numbers compared without overflow.

use std::cmp::Ordering;

/// Compares two ASCII digit strings numerically (leading zeros ignored).
pub fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Leading-zero-free form of a digit string (`"0"` for zero).
pub fn canon(a: &str) -> String {
    let t = a.trim_start_matches('0');
    if t.is_empty() {
        "0".to_string()
    } else {
        t.to_string()
    }
}

pub fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}
