//! seawall-report (work in progress).
