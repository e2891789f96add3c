//! Ecosystem and package-name normalisation shared by the index and the
//! matcher, so both sides agree on what "the same package" means.

/// The part of an OSV ecosystem before the first `:` (`Debian:12` ->
/// `Debian`).
pub fn eco_base(eco: &str) -> &str {
    eco.split(':').next().unwrap_or(eco).trim()
}

/// The release part after the base (`Debian:12` -> `12`, `Alpine:v3.20` ->
/// `v3.20`, `Ubuntu:22.04:LTS` -> `22.04:LTS`).
pub fn eco_release(eco: &str) -> &str {
    eco.split_once(':').map_or("", |(_, r)| r.trim())
}

/// Package name as the ecosystem compares it: PEP 503 for PyPI
/// (lowercase, runs of `-_.` become `-`), lowercase for case-insensitive
/// registries, unchanged elsewhere.
pub fn normalize_name(eco_base: &str, name: &str) -> String {
    let name = name.trim();
    match eco_base {
        "PyPI" => {
            let mut out = String::with_capacity(name.len());
            let mut sep = false;
            for c in name.chars() {
                if matches!(c, '-' | '_' | '.') {
                    sep = true;
                } else {
                    if sep && !out.is_empty() {
                        out.push('-');
                    }
                    sep = false;
                    out.push(c.to_ascii_lowercase());
                }
            }
            out
        }
        "NuGet" | "Packagist" | "Hex" | "Pub" => name.to_ascii_lowercase(),
        "crates.io" => name.to_ascii_lowercase().replace('_', "-"),
        _ => name.to_string(),
    }
}

/// The store's index key for an (ecosystem, package) pair.
pub fn index_key(eco: &str, name: &str) -> String {
    let base = eco_base(eco);
    format!("{base}\u{0}{}", normalize_name(base, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        assert_eq!(
            normalize_name("PyPI", "Django_REST.framework"),
            "django-rest-framework"
        );
        assert_eq!(normalize_name("PyPI", "zope.interface"), "zope-interface");
        assert_eq!(index_key("Debian:12", "openssl"), "Debian\u{0}openssl");
        assert_eq!(eco_release("Ubuntu:22.04:LTS"), "22.04:LTS");
    }
}
