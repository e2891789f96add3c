//! Small helpers shared by the catalogers.

/// Bytes as text, replacing invalid UTF-8 (metadata files are nominally UTF-8
/// but real ones contain Latin-1).
pub(crate) fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// First index of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..hay.len() - needle.len() + 1]
            .iter()
            .position(|&b| b == first)
        {
            Some(p) => {
                let at = i + p;
                if &hay[at..at + needle.len()] == needle {
                    return Some(at);
                }
                i = at + 1;
            }
            None => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn find_bytes() {
        assert_eq!(super::find(b"abcabd", b"abd"), Some(3));
        assert_eq!(super::find(b"ab", b"abc"), None);
        assert_eq!(super::find(b"aaa", b"a"), Some(0));
    }
}
