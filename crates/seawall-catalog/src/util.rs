//! Small helpers shared by the catalogers.

/// Bytes as text, replacing invalid UTF-8 (metadata files are nominally UTF-8
/// but real ones contain Latin-1).
pub(crate) fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// First index of `needle` in `hay` (SIMD search: this runs over every
/// executable in an image).
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    memchr::memmem::find(hay, needle)
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
