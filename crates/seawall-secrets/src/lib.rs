//! seawall-secrets (work in progress).
