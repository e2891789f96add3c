//! seawall-rules (work in progress).
