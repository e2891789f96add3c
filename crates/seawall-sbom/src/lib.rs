//! seawall-sbom (work in progress).
