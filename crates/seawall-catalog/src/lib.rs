//! seawall-catalog (work in progress).
