//! Licence strings from package metadata are free text ("MIT", "GPL-2+",
//! "BSD License", "MIT OR Apache-2.0"). Both SBOM schemas are strict about
//! identifiers, so only listed SPDX ids and well-formed expressions over them
//! are written as such; anything else becomes a name (CycloneDX) or a
//! `LicenseRef-` with the original text (SPDX).

use sha2::{Digest, Sha256};

use crate::spdx_ids::SPDX_IDS;

/// A listed SPDX license or exception id (exact case).
pub(crate) fn is_spdx_id(id: &str) -> bool {
    SPDX_IDS.binary_search(&id).is_ok()
}

fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in s.chars() {
        match ch {
            '(' | ')' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(ch.to_string());
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn is_ref(t: &str) -> bool {
    t.strip_prefix("LicenseRef-").is_some_and(|r| {
        !r.is_empty()
            && r.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    })
}

/// A well-formed SPDX expression whose ids are all listed (or LicenseRefs).
pub(crate) fn is_expression(s: &str) -> bool {
    let toks = tokens(s);
    if toks.is_empty() {
        return false;
    }
    let mut depth = 0i32;
    let mut want_operand = true;
    for t in &toks {
        match t.as_str() {
            "(" if want_operand => depth += 1,
            ")" if !want_operand => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            "AND" | "OR" | "WITH" if !want_operand => want_operand = true,
            id if want_operand && id != "(" && id != ")" => {
                let base = id.strip_suffix('+').unwrap_or(id);
                if !(is_spdx_id(id) || is_spdx_id(base) || is_ref(id)) {
                    return false;
                }
                want_operand = false;
            }
            _ => return false,
        }
    }
    depth == 0 && !want_operand
}

/// True when the expression has an operator (not a single id).
pub(crate) fn is_compound(s: &str) -> bool {
    tokens(s)
        .iter()
        .any(|t| matches!(t.as_str(), "AND" | "OR" | "WITH"))
}

/// A stable `LicenseRef-` for free text.
pub(crate) fn license_ref(text: &str) -> String {
    let mut slug: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    slug.truncate(40);
    let slug = slug.trim_matches('-');
    let h = hex::encode(&Sha256::digest(text.as_bytes())[..4]);
    if slug.is_empty() {
        format!("LicenseRef-{h}")
    } else {
        format!("LicenseRef-{slug}-{h}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_expressions() {
        assert!(is_spdx_id("MIT"));
        assert!(is_spdx_id("Apache-2.0"));
        assert!(!is_spdx_id("BSD License"));
        assert!(is_expression("MIT OR Apache-2.0"));
        assert!(is_expression("(MIT OR Apache-2.0) AND BSD-3-Clause"));
        assert!(is_expression(
            "GPL-2.0-or-later WITH Classpath-exception-2.0"
        ));
        assert!(!is_expression("GPL-2+ and BSD"));
        assert!(!is_expression("MIT OR"));
        assert!(!is_expression("(MIT"));
        assert!(!is_expression(""));
        assert!(is_compound("MIT OR Apache-2.0"));
        let r = license_ref("BSD License");
        assert!(r.starts_with("LicenseRef-BSD-License-"), "{r}");
        assert!(is_expression(&r));
    }
}
