//! Waivers: the `seawall.dev/ignore` annotation and a waiver file, both with
//! optional expiry dates. An expired waiver no longer suppresses its finding
//! and is itself reported (`SW-K8S-017`).

use std::path::Path;

use serde::Deserialize;

use crate::Error;

/// Annotation carrying waivers on an object or pod template.
pub const ANNOTATION: &str = "seawall.dev/ignore";

/// One waiver.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// Rule ids; `*` or a trailing `*` (`PSS-*`) match several.
    #[serde(default)]
    pub ids: Vec<String>,
    #[serde(default)]
    pub id: Option<String>,
    /// `Kind/name`; absent = every object.
    #[serde(default)]
    pub object: Option<String>,
    /// File glob (`*` matches any run of characters); absent = every file.
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    /// `YYYY-MM-DD`, last day the waiver applies.
    #[serde(default)]
    pub expires: Option<String>,
    /// Where the waiver was written (`file:line`), for reports.
    #[serde(skip)]
    pub origin: String,
    /// Line of the annotation (annotation waivers only).
    #[serde(skip)]
    pub line: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverFile {
    #[serde(default)]
    waivers: Vec<Waiver>,
}

impl Waiver {
    fn all_ids(&self) -> impl Iterator<Item = &str> {
        self.ids
            .iter()
            .map(String::as_str)
            .chain(self.id.as_deref())
    }

    pub fn matches_id(&self, id: &str) -> bool {
        self.all_ids().any(|w| glob(w, id))
    }

    pub fn matches(&self, id: &str, object: Option<&str>, file: &str) -> bool {
        self.matches_id(id)
            && self.object.as_deref().is_none_or(|o| {
                object.is_some_and(|obj| obj == o || obj.starts_with(&format!("{o} ")))
            })
            && self.file.as_deref().is_none_or(|g| {
                glob(g, file)
                    || file.ends_with(&format!("/{g}"))
                    || glob(g, file.trim_start_matches("./"))
            })
    }

    /// True when the expiry date is before `today` (or unparseable).
    pub fn expired(&self, today: &str) -> bool {
        match &self.expires {
            None => false,
            Some(d) => !valid_date(d) || d.as_str() < today,
        }
    }

    pub fn ids_display(&self) -> String {
        self.all_ids().collect::<Vec<_>>().join(",")
    }
}

/// `*`-only glob.
fn glob(pat: &str, s: &str) -> bool {
    let parts: Vec<&str> = pat.split('*').collect();
    if parts.len() == 1 {
        return pat == s;
    }
    let (first, rest) = match parts.split_first() {
        Some(x) => x,
        None => return false,
    };
    let Some(mut s) = s.strip_prefix(first) else {
        return false;
    };
    let last = rest.last().copied().unwrap_or("");
    for mid in &rest[..rest.len().saturating_sub(1)] {
        match s.find(mid) {
            Some(i) => s = &s[i + mid.len()..],
            None => return false,
        }
    }
    s.ends_with(last)
}

pub fn valid_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && matches!(d[5..7].parse::<u32>(), Ok(1..=12))
        && matches!(d[8..10].parse::<u32>(), Ok(1..=31))
}

/// Parses an annotation value: entries separated by `;`, each
/// `ID[,ID] [reason=...] [expires=YYYY-MM-DD]`.
pub fn parse_annotation(value: &str, origin: &str, line: u32) -> Vec<Waiver> {
    let mut out = Vec::new();
    for entry in value.split(';') {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let mut ids = Vec::new();
        let mut reason: Option<String> = None;
        let mut expires = None;
        let mut in_reason = false;
        for (i, tok) in entry.split_whitespace().enumerate() {
            if let Some(r) = tok.strip_prefix("reason=") {
                reason = Some(r.to_string());
                in_reason = true;
            } else if let Some(e) = tok.strip_prefix("expires=") {
                expires = Some(e.trim_matches(|c| c == '"' || c == '\'').to_string());
                in_reason = false;
            } else if in_reason {
                if let Some(r) = reason.as_mut() {
                    r.push(' ');
                    r.push_str(tok);
                }
            } else if i == 0 || ids.is_empty() || tok.starts_with(',') {
                ids.extend(
                    tok.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                );
            }
        }
        let reason = reason.map(|r| r.trim_matches(|c| c == '"' || c == '\'').to_string());
        if !ids.is_empty() {
            out.push(Waiver {
                ids,
                id: None,
                object: None,
                file: None,
                reason,
                expires,
                origin: origin.to_string(),
                line,
            });
        }
    }
    out
}

/// Loads a waiver file (YAML or JSON: `waivers: [{id, object, file, reason, expires}]`).
pub fn load_file(path: &Path) -> Result<Vec<Waiver>, Error> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: name.clone(),
        source,
    })?;
    let docs = crate::yaml::load(&name, &text)?;
    let mut out = Vec::new();
    for d in docs {
        if d.value.is_null() {
            continue;
        }
        let wf: WaiverFile =
            serde_json::from_value(d.value.clone()).map_err(|e| Error::Waiver {
                file: name.clone(),
                message: format!("invalid waiver file: {e}"),
            })?;
        for (i, mut w) in wf.waivers.into_iter().enumerate() {
            if w.ids.is_empty() && w.id.is_none() {
                return Err(Error::Waiver {
                    file: name.clone(),
                    message: format!("waiver {} has no id", i + 1),
                });
            }
            if let Some(e) = &w.expires {
                if !valid_date(e) {
                    return Err(Error::Waiver {
                        file: name.clone(),
                        message: format!(
                            "waiver {} has invalid expires {e:?} (expected YYYY-MM-DD)",
                            i + 1
                        ),
                    });
                }
            }
            w.line = d.line_of(&format!("/waivers/{i}"));
            w.origin = format!("{name}:{}", w.line);
            out.push(w);
        }
    }
    Ok(out)
}

/// Today's UTC date as `YYYY-MM-DD`.
pub fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_grammar() {
        let w = parse_annotation(
            "SW-K8S-005,PSS-privileged reason=needs host access for the CNI expires=2030-01-31; SW-K8S-015",
            "f",
            3,
        );
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].ids, vec!["SW-K8S-005", "PSS-privileged"]);
        assert_eq!(
            w[0].reason.as_deref(),
            Some("needs host access for the CNI")
        );
        assert_eq!(w[0].expires.as_deref(), Some("2030-01-31"));
        assert!(w[1].matches_id("SW-K8S-015"));
        assert!(!w[1].expired("2099-01-01"));
        assert!(w[0].expired("2030-02-01"));
        assert!(!w[0].expired("2030-01-31"));
    }

    #[test]
    fn globs_and_dates() {
        assert!(glob("PSS-*", "PSS-privileged"));
        assert!(glob("*", "x"));
        assert!(!glob("PSS-*", "SW-K8S-001"));
        assert!(glob("deploy/*.yaml", "deploy/web.yaml"));
        assert!(valid_date("2026-02-28"));
        assert!(!valid_date("2026-13-01"));
        assert_eq!(today_utc().len(), 10);
    }
}
