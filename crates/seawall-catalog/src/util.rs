//! Small helpers shared by the catalogers.

/// Bytes as text, replacing invalid UTF-8 (metadata files are nominally UTF-8
/// but real ones contain Latin-1).
pub(crate) fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}
