//! Marking secrets that a later layer deleted (OCI whiteouts) but that are
//! still extractable from the earlier layer's tarball.

use crate::scanner::normalise;
use crate::SecretMatch;

/// What one layer deletes, from its whiteout entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerWhiteouts {
    /// Layer digest, as set in [`SecretMatch::layer`].
    pub digest: String,
    /// Paths removed by `.wh.NAME` entries (normalised, no leading `/`).
    pub removed: Vec<String>,
    /// Directories made opaque by `.wh..wh..opq`: everything lower layers
    /// had under them is hidden.
    pub opaque_dirs: Vec<String>,
}

impl LayerWhiteouts {
    /// Builds the whiteout view of a layer from its tar entry names (all of
    /// them or only the whiteouts; other names are ignored).
    pub fn from_entries<'a>(digest: &str, entries: impl IntoIterator<Item = &'a str>) -> Self {
        let mut w = LayerWhiteouts {
            digest: digest.to_string(),
            ..Default::default()
        };
        for e in entries {
            let e = normalise(e).trim_end_matches('/');
            let (dir, name) = match e.rsplit_once('/') {
                Some((d, n)) => (d, n),
                None => ("", e),
            };
            if name == ".wh..wh..opq" {
                w.opaque_dirs.push(dir.to_string());
            } else if let Some(target) = name.strip_prefix(".wh.") {
                if target.is_empty() {
                    continue;
                }
                w.removed.push(if dir.is_empty() {
                    target.to_string()
                } else {
                    format!("{dir}/{target}")
                });
            }
        }
        w
    }

    /// Whether this layer hides `path` as lower layers had it.
    pub fn hides(&self, path: &str) -> bool {
        let p = normalise(path).trim_end_matches('/');
        let below = |d: &str| d.is_empty() || p.strip_prefix(d).is_some_and(|r| r.starts_with('/'));
        self.removed.iter().any(|r| p == r || below(r)) || self.opaque_dirs.iter().any(|d| below(d))
    }
}

/// Sets `deleted_in_layer` on every file finding whose path a later layer
/// removed (whiteout of the file or of a parent directory, or an opaque
/// parent directory). `layers` are in image order (base first); a finding's
/// `layer` must be one of their digests. Config findings (`config:*`) and
/// findings without a layer are left alone.
pub fn mark_deleted(findings: &mut [SecretMatch], layers: &[LayerWhiteouts]) {
    for m in findings.iter_mut() {
        if m.path.starts_with("config:") {
            continue;
        }
        let Some(layer) = m.layer.as_deref() else {
            continue;
        };
        let Some(i) = layers.iter().position(|l| l.digest == layer) else {
            continue;
        };
        if let Some(later) = layers.iter().skip(i + 1).find(|l| l.hides(&m.path)) {
            m.deleted_in_layer = Some(later.digest.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seawall_types::Severity;

    fn finding(path: &str, layer: &str) -> SecretMatch {
        SecretMatch {
            rule_id: "github-pat".into(),
            category: "GitHub".into(),
            severity: Severity::Critical,
            title: "t".into(),
            path: path.into(),
            line: 1,
            redacted: "ghp_***".into(),
            context: String::new(),
            layer: Some(layer.into()),
            deleted_in_layer: None,
        }
    }

    #[test]
    fn whiteouts_and_opaque_dirs() {
        let l0 = LayerWhiteouts::from_entries("sha256:0", ["etc/passwd"]);
        let l1 = LayerWhiteouts::from_entries(
            "sha256:1",
            ["root/.wh..npmrc", "./app/.wh.secrets", "opt/x/"],
        );
        let l2 = LayerWhiteouts::from_entries("sha256:2", ["srv/cache/.wh..wh..opq"]);
        assert_eq!(l1.removed, vec!["root/.npmrc", "app/secrets"]);
        assert_eq!(l2.opaque_dirs, vec!["srv/cache"]);
        let layers = [l0, l1, l2];
        let mut f = vec![
            finding("root/.npmrc", "sha256:0"),
            finding("/app/secrets/key.pem", "sha256:0"),
            finding("app/secrets-not/key.pem", "sha256:0"),
            finding("srv/cache/token.txt", "sha256:1"),
            finding("srv/cache/token.txt", "sha256:2"),
            finding("root/.npmrc", "sha256:1"),
            finding("config:Env", "sha256:0"),
        ];
        mark_deleted(&mut f, &layers);
        let got: Vec<Option<&str>> = f.iter().map(|m| m.deleted_in_layer.as_deref()).collect();
        assert_eq!(
            got,
            vec![
                Some("sha256:1"),
                Some("sha256:1"),
                None,
                Some("sha256:2"),
                None, // a layer's own files are not hidden by its opaque marker
                None, // a whiteout only hides lower layers
                None,
            ]
        );
    }
}
