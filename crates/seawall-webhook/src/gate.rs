//! Image gate: deny (or warn about) pods whose images have vulnerabilities
//! at or above a severity, or baked-in secrets.
//!
//! Scan results are cached by image digest (in memory and, with a cache
//! directory, on disk as one JSON file per digest). An image with no cached
//! result is scanned within the configured time budget; if the scan does not
//! finish in time the configured fallback decides (allow with a warning, or
//! deny) and the scan carries on in the background to fill the cache.
//!
//! The scanner itself is a trait so the decision logic is tested without a
//! registry; the CLI plugs in the real image scanner.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use seawall_types::Severity;
use serde::{Deserialize, Serialize};

use crate::config::{Action, ImageGate, UnknownImage};
use crate::review::Decision;

/// What the gate needs to know about one scanned image.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ScanSummary {
    /// `sha256:...` of the image manifest.
    pub digest: String,
    /// Vulnerability counts by severity.
    pub vulnerabilities: BTreeMap<Severity, usize>,
    /// A few vulnerability ids at the highest severities, for messages.
    #[serde(default)]
    pub top_ids: Vec<String>,
    /// Number of secrets found in the image.
    pub secrets: usize,
}

impl ScanSummary {
    /// Vulnerabilities at or above `min`.
    pub fn count_at_least(&self, min: Severity) -> usize {
        self.vulnerabilities
            .iter()
            .filter(|(s, _)| **s >= min)
            .map(|(_, n)| n)
            .sum()
    }
}

/// Resolves image references and scans images. Implementations block; the
/// gate runs them on a blocking thread.
pub trait ImageScanner: Send + Sync + 'static {
    /// The manifest digest a reference points at (network lookup for tags).
    fn resolve(&self, image: &str) -> Result<String, String>;
    /// Scans the image.
    fn scan(&self, image: &str, digest: &str) -> Result<ScanSummary, String>;
}

/// Scan result cache keyed by digest.
#[derive(Default)]
pub struct ScanCache {
    mem: Mutex<HashMap<String, ScanSummary>>,
    dir: Option<PathBuf>,
}

impl ScanCache {
    pub fn new(dir: Option<PathBuf>) -> Self {
        ScanCache {
            mem: Mutex::new(HashMap::new()),
            dir,
        }
    }

    fn file(&self, digest: &str) -> Option<PathBuf> {
        let safe: String = digest
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        self.dir.as_ref().map(|d| d.join(format!("{safe}.json")))
    }

    pub fn get(&self, digest: &str) -> Option<ScanSummary> {
        if let Some(s) = self.mem.lock().ok()?.get(digest) {
            return Some(s.clone());
        }
        let path = self.file(digest)?;
        let data = std::fs::read(path).ok()?;
        let s: ScanSummary = serde_json::from_slice(&data).ok()?;
        if s.digest != digest {
            return None;
        }
        if let Ok(mut m) = self.mem.lock() {
            m.insert(digest.to_string(), s.clone());
        }
        Some(s)
    }

    pub fn put(&self, summary: ScanSummary) {
        if let Some(path) = self.file(&summary.digest) {
            if let Some(parent) = path.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            // Write then rename so a reader never sees half a file.
            let tmp = path.with_extension("json.tmp");
            if let Ok(data) = serde_json::to_vec(&summary) {
                if std::fs::write(&tmp, data).is_ok() {
                    let _ = std::fs::rename(&tmp, &path);
                }
            }
        }
        if let Ok(mut m) = self.mem.lock() {
            m.insert(summary.digest.clone(), summary);
        }
    }
}

/// The gate: configuration, scanner and cache.
pub struct Gate {
    pub config: ImageGate,
    pub scanner: Arc<dyn ImageScanner>,
    pub cache: Arc<ScanCache>,
}

enum Verdict {
    Pass,
    Fail(String),
    Unknown(String),
}

impl Gate {
    pub fn new(config: ImageGate, scanner: Arc<dyn ImageScanner>) -> Self {
        let cache = Arc::new(ScanCache::new(config.cache_dir.clone()));
        Gate {
            config,
            scanner,
            cache,
        }
    }

    /// Applies the gate to the images of one pod, updating `decision`.
    /// `enforce` is false for workload templates (warnings only).
    pub async fn apply(&self, images: &[String], enforce: bool, decision: &mut Decision) {
        if !self.config.enabled || self.config.action == Action::Off {
            return;
        }
        let budget = Duration::from_millis(self.config.scan_budget_ms);
        let mut failures = Vec::new();
        let mut unknown = Vec::new();
        for image in images {
            match self.check(image, budget).await {
                Verdict::Pass => {}
                Verdict::Fail(m) => failures.push(m),
                Verdict::Unknown(m) => unknown.push(m),
            }
        }
        let deny = enforce && self.config.action == Action::Deny;
        if !failures.is_empty() {
            let msg = format!("image gate: {}", failures.join("; "));
            if deny && decision.allowed {
                decision.allowed = false;
                decision.code = 403;
                decision.message = msg;
            } else if self.config.action == Action::Audit {
                decision.audit_annotations.push(("image-gate".into(), msg));
            } else if decision.allowed {
                decision
                    .warnings
                    .extend(failures.iter().map(|f| format!("image gate: {f}")));
            }
        }
        if !unknown.is_empty() {
            let msg = format!("image gate: {}", unknown.join("; "));
            if deny && self.config.unknown_image == UnknownImage::Deny && decision.allowed {
                decision.allowed = false;
                decision.code = 403;
                decision.message = msg;
            } else if decision.allowed {
                decision
                    .warnings
                    .extend(unknown.iter().map(|u| format!("image gate: {u}")));
            }
        }
    }

    async fn check(&self, image: &str, budget: Duration) -> Verdict {
        let scanner = self.scanner.clone();
        let cache = self.cache.clone();
        let img = image.to_string();
        let job = tokio::task::spawn_blocking(move || -> Result<ScanSummary, String> {
            let digest = match img.split_once('@') {
                Some((_, d)) if d.starts_with("sha256:") => d.to_string(),
                _ => scanner.resolve(&img)?,
            };
            if let Some(s) = cache.get(&digest) {
                return Ok(s);
            }
            let s = scanner.scan(&img, &digest)?;
            cache.put(s.clone());
            Ok(s)
        });
        // On timeout the blocking job keeps running and fills the cache.
        match tokio::time::timeout(budget, job).await {
            Err(_) => Verdict::Unknown(format!(
                "{image} not scanned yet (scan budget {} ms exceeded)",
                budget.as_millis()
            )),
            Ok(Err(e)) => Verdict::Unknown(format!("{image} could not be scanned: {e}")),
            Ok(Ok(Err(e))) => Verdict::Unknown(format!("{image} could not be scanned: {e}")),
            Ok(Ok(Ok(summary))) => self.judge(image, &summary),
        }
    }

    fn judge(&self, image: &str, s: &ScanSummary) -> Verdict {
        let mut reasons = Vec::new();
        let n = s.count_at_least(self.config.severity);
        if n > 0 {
            let ids = if s.top_ids.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    s.top_ids
                        .iter()
                        .take(3)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            reasons.push(format!(
                "{n} vulnerabilities at or above {}{ids}",
                self.config.severity
            ));
        }
        if self.config.secrets && s.secrets > 0 {
            reasons.push(format!("{} secrets baked into the image", s.secrets));
        }
        if reasons.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail(format!("{image}: {}", reasons.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake {
        delay: Duration,
    }

    impl ImageScanner for Fake {
        fn resolve(&self, image: &str) -> Result<String, String> {
            if image.contains("missing") {
                return Err("manifest unknown".into());
            }
            Ok(format!("sha256:{:0>64}", image.len()))
        }
        fn scan(&self, image: &str, digest: &str) -> Result<ScanSummary, String> {
            std::thread::sleep(self.delay);
            let mut v = BTreeMap::new();
            if image.contains("vulnerable") {
                v.insert(Severity::Critical, 2);
            }
            v.insert(Severity::Low, 5);
            Ok(ScanSummary {
                digest: digest.to_string(),
                vulnerabilities: v,
                top_ids: vec!["CVE-2024-0001".into()],
                secrets: usize::from(image.contains("secret")),
            })
        }
    }

    fn gate(delay_ms: u64, unknown: UnknownImage) -> Gate {
        Gate::new(
            ImageGate {
                enabled: true,
                unknown_image: unknown,
                scan_budget_ms: 200,
                ..Default::default()
            },
            Arc::new(Fake {
                delay: Duration::from_millis(delay_ms),
            }),
        )
    }

    #[tokio::test]
    async fn denies_critical_and_secrets_allows_clean() {
        let g = gate(0, UnknownImage::Allow);
        let mut d = Decision::allow();
        g.apply(&["r/vulnerable:1".into()], true, &mut d).await;
        assert!(!d.allowed);
        assert!(d.message.contains("CVE-2024-0001"), "{}", d.message);
        let mut d = Decision::allow();
        g.apply(&["r/secret:1".into()], true, &mut d).await;
        assert!(!d.allowed);
        let mut d = Decision::allow();
        g.apply(&["r/clean:1".into()], true, &mut d).await;
        assert!(d.allowed && d.warnings.is_empty());
        // Templates only warn.
        let mut d = Decision::allow();
        g.apply(&["r/vulnerable:1".into()], false, &mut d).await;
        assert!(d.allowed && !d.warnings.is_empty());
    }

    #[tokio::test]
    async fn slow_scan_uses_fallback_then_cache() {
        let g = gate(600, UnknownImage::Deny);
        let mut d = Decision::allow();
        g.apply(&["r/clean:2".into()], true, &mut d).await;
        assert!(!d.allowed, "unknown image denied by fallback");
        // The background scan finishes and fills the cache.
        tokio::time::sleep(Duration::from_millis(800)).await;
        let mut d = Decision::allow();
        g.apply(&["r/clean:2".into()], true, &mut d).await;
        assert!(d.allowed, "{d:?}");
    }

    #[tokio::test]
    async fn unresolvable_image_follows_fallback() {
        let g = gate(0, UnknownImage::Allow);
        let mut d = Decision::allow();
        g.apply(&["r/missing:1".into()], true, &mut d).await;
        assert!(d.allowed);
        assert!(d.warnings[0].contains("could not be scanned"));
    }

    #[test]
    fn disk_cache_round_trip() {
        let dir = std::env::temp_dir().join(format!("seawall-gate-{}", std::process::id()));
        let c = ScanCache::new(Some(dir.clone()));
        let s = ScanSummary {
            digest: "sha256:abc".into(),
            secrets: 1,
            ..Default::default()
        };
        c.put(s.clone());
        let c2 = ScanCache::new(Some(dir.clone()));
        assert_eq!(c2.get("sha256:abc"), Some(s));
        let _ = std::fs::remove_dir_all(dir);
    }
}
