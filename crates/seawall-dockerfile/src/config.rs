//! The seawall config file (TOML), shared by `seawall config` for Dockerfiles
//! and Kubernetes manifests:
//!
//! ```toml
//! disable = ["SW-DF-049"]            # rule ids never reported
//! enable = ["SW-DF-048"]             # rules that are off by default
//! trusted_registries = ["docker.io", "*.corp.example"]
//! required_labels = ["org.opencontainers.image.source"]
//!
//! [severity]                         # per-rule severity overrides
//! "SW-DF-009" = "HIGH"
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use seawall_types::{Misconfig, Severity};
use serde::Deserialize;

/// Validated configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    pub disable: Vec<String>,
    pub enable: Vec<String>,
    pub trusted_registries: Vec<String>,
    pub required_labels: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    enable: Vec<String>,
    #[serde(default)]
    trusted_registries: Vec<String>,
    #[serde(default)]
    required_labels: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, String>,
}

/// Errors reading the config file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Invalid { path: String, message: String },
}

impl Config {
    /// Read and validate a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(&text, &path.display().to_string())
    }

    /// Parse config text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: origin.to_string(),
            message: e.message().to_string(),
        })?;
        let mut severity = BTreeMap::new();
        for (id, s) in raw.severity {
            let sev = s.parse::<Severity>().map_err(|e| ConfigError::Invalid {
                path: origin.to_string(),
                message: format!("severity for {id}: {e}"),
            })?;
            severity.insert(id.to_ascii_uppercase(), sev);
        }
        Ok(Config {
            disable: raw.disable.iter().map(|s| s.to_ascii_uppercase()).collect(),
            enable: raw.enable.iter().map(|s| s.to_ascii_uppercase()).collect(),
            trusted_registries: raw.trusted_registries,
            required_labels: raw.required_labels,
            severity,
        })
    }

    /// Whether a rule is on: not disabled, and enabled by default or in `enable`.
    pub fn is_enabled(&self, id: &str, default_enabled: bool) -> bool {
        let id = id.to_ascii_uppercase();
        if self.disable.contains(&id) {
            return false;
        }
        default_enabled || self.enable.contains(&id)
    }

    /// Drop disabled findings and apply severity overrides (any finding
    /// source: Dockerfile, Kubernetes).
    pub fn apply(&self, findings: &mut Vec<Misconfig>) {
        findings.retain(|m| !self.disable.contains(&m.id.to_ascii_uppercase()));
        for m in findings.iter_mut() {
            if let Some(s) = self.severity.get(&m.id.to_ascii_uppercase()) {
                m.severity = *s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_applies() {
        let c = Config::parse(
            "disable=[\"sw-df-049\"]\ntrusted_registries=[\"ghcr.io\"]\n[severity]\n\"SW-DF-009\"=\"high\"\n",
            "t.toml",
        )
        .unwrap();
        assert!(!c.is_enabled("SW-DF-049", true));
        assert!(!c.is_enabled("SW-DF-048", false));
        assert_eq!(c.severity.get("SW-DF-009"), Some(&Severity::High));
        let e = Config::parse("bogus = 1", "t.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.toml"), "{e}");
        let e = Config::parse("[severity]\nX=\"huge\"", "t.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("severity for X"), "{e}");
    }
}
