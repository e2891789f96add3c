//! Severity of a finding: the vendor's own rating first (GHSA
//! `database_specific.severity`, Ubuntu priority, Debian urgency, ...),
//! then the base score computed from a CVSS v4.0 or v3.x vector, then a
//! CVSS v2 vector's base score (what NVD rated older CVEs with).

use std::str::FromStr;

use serde_json::Value;

use seawall_types::Severity;

use crate::osv::{Affected, SeverityEntry, Vulnerability};

#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub severity: Severity,
    pub source: String,
    pub score: Option<f64>,
    pub vector: Option<String>,
}

fn word(s: &str) -> Option<Severity> {
    match s.trim().to_ascii_lowercase().as_str() {
        "critical" => Some(Severity::Critical),
        "high" | "important" => Some(Severity::High),
        "medium" | "moderate" => Some(Severity::Medium),
        "low" | "negligible" | "unimportant" => Some(Severity::Low),
        _ => None,
    }
}

fn from_score(s: f64) -> Severity {
    if s >= 9.0 {
        Severity::Critical
    } else if s >= 7.0 {
        Severity::High
    } else if s >= 4.0 {
        Severity::Medium
    } else if s > 0.0 {
        Severity::Low
    } else {
        Severity::Unknown
    }
}

/// Base score of a CVSS v3.x or v4.0 vector.
pub fn cvss_score(vector: &str) -> Option<f64> {
    cvss::Cvss::from_str(vector.trim()).ok().map(|c| c.score())
}

/// CVSS v2 base score (the v2 specification's equations).
pub fn cvss2_score(vector: &str) -> Option<f64> {
    let mut m = std::collections::HashMap::new();
    for part in vector
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split('/')
    {
        let (k, v) = part.split_once(':')?;
        m.insert(k, v);
    }
    let av = match *m.get("AV")? {
        "L" => 0.395,
        "A" => 0.646,
        "N" => 1.0,
        _ => return None,
    };
    let ac = match *m.get("AC")? {
        "H" => 0.35,
        "M" => 0.61,
        "L" => 0.71,
        _ => return None,
    };
    let au = match *m.get("Au")? {
        "M" => 0.45,
        "S" => 0.56,
        "N" => 0.704,
        _ => return None,
    };
    let cia = |k: &str| -> Option<f64> {
        Some(match *m.get(k)? {
            "N" => 0.0,
            "P" => 0.275,
            "C" => 0.660,
            _ => return None,
        })
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let impact = 10.41 * (1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a));
    let expl = 20.0 * av * ac * au;
    let f = if impact == 0.0 { 0.0 } else { 1.176 };
    let base = ((0.6 * impact) + (0.4 * expl) - 1.5) * f;
    Some((base * 10.0).round() / 10.0)
}

fn vendor(v: &Vulnerability, a: &Affected) -> Option<(Severity, String)> {
    // per-package vendor ratings
    for (holder, key) in [
        (&a.ecosystem_specific, "severity"),
        (&a.database_specific, "severity"),
        (&a.ecosystem_specific, "priority"),
    ] {
        if let Some(s) = holder.get(key).and_then(Value::as_str).and_then(word) {
            return Some((s, vendor_name(&v.id, a)));
        }
    }
    if let Some(u) = a.ecosystem_specific.get("urgency").and_then(Value::as_str) {
        if let Some(s) = word(u.trim_end_matches('*')) {
            return Some((s, "debian".into()));
        }
    }
    // record-level: GHSA database_specific.severity, Ubuntu severity entry
    if let Some(s) = v
        .database_specific
        .get("severity")
        .and_then(Value::as_str)
        .and_then(word)
    {
        return Some((s, vendor_name(&v.id, a)));
    }
    for e in v.severity.iter().chain(&a.severity) {
        if matches!(e.kind.as_str(), "Ubuntu" | "Debian" | "Alpine" | "Red Hat") {
            if let Some(s) = word(&e.score) {
                return Some((s, e.kind.to_ascii_lowercase().replace(' ', "")));
            }
        }
    }
    None
}

fn vendor_name(id: &str, a: &Affected) -> String {
    let prefix = id.split('-').next().unwrap_or("").to_ascii_lowercase();
    match prefix.as_str() {
        "ghsa" => "ghsa".into(),
        "usn" | "ubuntu" => "ubuntu".into(),
        "dsa" | "dla" | "debian" => "debian".into(),
        _ => a
            .package
            .as_ref()
            .map(|p| crate::names::eco_base(&p.ecosystem).to_ascii_lowercase())
            .unwrap_or(prefix),
    }
}

fn best_cvss<'a>(
    entries: impl Iterator<Item = &'a SeverityEntry>,
) -> Option<(f64, String, &'static str)> {
    let mut v4 = None;
    let mut v3 = None;
    let mut v2 = None;
    for e in entries {
        match e.kind.as_str() {
            "CVSS_V4" if v4.is_none() => {
                v4 = cvss_score(&e.score).map(|s| (s, e.score.clone(), "cvss_v4"))
            }
            "CVSS_V3" if v3.is_none() => {
                v3 = cvss_score(&e.score).map(|s| (s, e.score.clone(), "cvss_v3"))
            }
            "CVSS_V2" if v2.is_none() => {
                v2 = cvss2_score(&e.score).map(|s| (s, e.score.clone(), "cvss_v2"))
            }
            _ => {}
        }
    }
    v4.or(v3).or(v2)
}

/// Rates one affected entry of a record.
pub fn rate(v: &Vulnerability, a: &Affected) -> Rating {
    let cv = best_cvss(a.severity.iter().chain(&v.severity));
    if let Some((s, src)) = vendor(v, a) {
        return Rating {
            severity: s,
            source: src,
            score: cv.as_ref().map(|c| c.0),
            vector: cv.map(|c| c.1),
        };
    }
    if let Some((score, vector, src)) = cv {
        return Rating {
            severity: from_score(score),
            source: src.into(),
            score: Some(score),
            vector: Some(vector),
        };
    }
    Rating {
        severity: Severity::Unknown,
        source: "none".into(),
        score: None,
        vector: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores() {
        assert_eq!(
            cvss_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Some(9.8)
        );
        assert_eq!(
            cvss_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H"),
            Some(10.0)
        );
        assert_eq!(cvss2_score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), Some(7.5));
        assert_eq!(cvss2_score("AV:N/AC:M/Au:N/C:P/I:P/A:N"), Some(5.8));
    }

    #[test]
    fn vendor_first() {
        let v: Vulnerability = serde_json::from_str(
            r#"{"id":"GHSA-x","database_specific":{"severity":"MODERATE"},"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected":[{}]}"#,
        )
        .unwrap();
        let r = rate(&v, &v.affected[0]);
        assert_eq!(r.severity, Severity::Medium);
        assert_eq!(r.source, "ghsa");
        assert_eq!(r.score, Some(9.8));
    }
}
