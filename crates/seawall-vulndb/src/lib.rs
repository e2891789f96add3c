//! seawall-vulndb (work in progress).
