//! seawall-image (work in progress).
