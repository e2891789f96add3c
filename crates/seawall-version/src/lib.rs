//! seawall-version (work in progress).
