//! The webhook's configuration file (YAML or JSON).
//!
//! ```yaml
//! defaults:                 # used where a namespace has no PSA label
//!   enforce: baseline:latest
//!   warn: restricted:latest
//!   audit: restricted:latest
//! namespaces:               # static namespace labels (no cluster access)
//!   kube-system:
//!     pod-security.kubernetes.io/enforce: privileged
//! kubernetes:               # read namespace labels through the API instead
//!   kubeconfig: /etc/seawall/kubeconfig   # or inCluster: true; neither:
//!                                          # $KUBECONFIG, ~/.kube/config,
//!                                          # then the in-cluster config
//!   context: admin@prod     # kubeconfig context (default: current-context)
//!   cacheTtlMs: 30000       # how long fetched labels are reused
//!   lookupTimeoutMs: 1000   # per lookup, capped at requestTimeoutMs / 2
//!   onError: defaults       # API unreachable: defaults | deny
//! exemptions:
//!   usernames: [system:serviceaccount:kube-system:replicaset-controller]
//!   namespaces: [kube-system]
//!   runtimeClassNames: [kata]
//! checks: warn              # seawall's own checks: deny | warn | audit | off
//! policies:                 # custom CEL/Rego policy folders
//!   - dir: /etc/seawall/policies
//!     action: deny
//! imageGate:
//!   enabled: true
//!   severity: CRITICAL      # deny at or above
//!   secrets: true           # deny images with baked-in secrets
//!   action: deny            # or warn
//!   unknownImage: allow     # allow (with a warning) | deny
//!   scanBudgetMs: 3000
//! mutation:
//!   readOnlyRootFilesystem: false
//! limits:
//!   maxBodyBytes: 3145728
//!   requestTimeoutMs: 8000
//! ```
//!
//! With no file at all the server behaves like a cluster whose default is
//! enforce `baseline:latest` and warn `restricted:latest` in every namespace.
//!
//! With a `kubernetes` section, the PSA labels of a request's namespace are
//! read with `GET /api/v1/namespaces/NAME` (RBAC: `get` on `namespaces`) and
//! cached for `cacheTtlMs`. When a lookup fails (API unreachable, timeout,
//! forbidden, not found) the last labels fetched for that namespace are used
//! if there are any; otherwise `onError: defaults` (the default) decides with
//! the static `namespaces` entry for that namespace, if any, else the
//! `defaults`, adds a warning and an audit annotation, and counts the failure
//! in `seawall_admission_namespace_lookups_total{result="failed"}`;
//! `onError: deny` denies the request instead, as kube-apiserver's built-in
//! PSA does. A failed lookup is retried after at most 5 s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use seawall_types::Severity;
use serde::{Deserialize, Serialize};

use crate::mutate::MutationConfig;
use crate::Error;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    pub defaults: Defaults,
    pub namespaces: BTreeMap<String, BTreeMap<String, String>>,
    /// Namespace labels through the Kubernetes API (static map otherwise).
    pub kubernetes: Option<KubernetesApi>,
    pub exemptions: Exemptions,
    pub checks: Action,
    pub policies: Vec<PolicyDir>,
    pub image_gate: ImageGate,
    pub mutation: MutationConfig,
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            defaults: Defaults::default(),
            namespaces: BTreeMap::new(),
            kubernetes: None,
            exemptions: Exemptions::default(),
            checks: Action::Off,
            policies: Vec::new(),
            image_gate: ImageGate::default(),
            mutation: MutationConfig::default(),
            limits: Limits::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Defaults {
    pub enforce: String,
    pub audit: String,
    pub warn: String,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            enforce: "baseline:latest".into(),
            audit: "privileged:latest".into(),
            warn: "restricted:latest".into(),
        }
    }
}

/// Where and how to read namespace labels from the Kubernetes API.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct KubernetesApi {
    /// A kubeconfig file (relative paths are relative to the config file).
    pub kubeconfig: Option<PathBuf>,
    /// Use the pod's service account (`KUBERNETES_SERVICE_HOST` and
    /// `/var/run/secrets/kubernetes.io/serviceaccount`).
    pub in_cluster: bool,
    /// Kubeconfig context; the file's current-context by default.
    pub context: Option<String>,
    /// How long labels fetched from the API are reused.
    pub cache_ttl_ms: u64,
    /// Time allowed for one lookup; capped at half of
    /// `limits.requestTimeoutMs` so the request still gets its answer.
    pub lookup_timeout_ms: u64,
    /// What to do when the labels cannot be read and none were read before.
    pub on_error: LookupFailure,
}

impl Default for KubernetesApi {
    fn default() -> Self {
        KubernetesApi {
            kubeconfig: None,
            in_cluster: false,
            context: None,
            cache_ttl_ms: 30_000,
            lookup_timeout_ms: 1000,
            on_error: LookupFailure::Defaults,
        }
    }
}

/// Decision when a namespace's labels cannot be read.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LookupFailure {
    /// Decide with the static `namespaces` entry, else the `defaults`, and
    /// say so in a warning and an audit annotation.
    Defaults,
    /// Deny the request (what kube-apiserver's built-in PSA does).
    Deny,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Exemptions {
    pub usernames: Vec<String>,
    pub namespaces: Vec<String>,
    pub runtime_class_names: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Deny,
    Warn,
    Audit,
    Off,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PolicyDir {
    pub dir: PathBuf,
    pub action: Action,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum UnknownImage {
    /// Allow the pod, with a warning saying the image was not scanned.
    Allow,
    /// Deny the pod until the image has been scanned.
    Deny,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ImageGate {
    pub enabled: bool,
    pub severity: Severity,
    pub secrets: bool,
    pub action: Action,
    pub unknown_image: UnknownImage,
    pub scan_budget_ms: u64,
    pub cache_dir: Option<PathBuf>,
}

impl Default for ImageGate {
    fn default() -> Self {
        ImageGate {
            enabled: false,
            severity: Severity::Critical,
            secrets: true,
            action: Action::Deny,
            unknown_image: UnknownImage::Allow,
            scan_budget_ms: 3000,
            cache_dir: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Limits {
    /// Largest request body accepted (kube-apiserver's own limit for an
    /// object is 3 MiB).
    pub max_body_bytes: usize,
    /// Deadline for one request, kept under the webhook's `timeoutSeconds`
    /// (10 s by default) so the API server hears our answer, not a timeout.
    pub request_timeout_ms: u64,
    /// How long a client may take to send its request headers.
    pub header_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 3 * 1024 * 1024,
            request_timeout_ms: 8000,
            header_timeout_ms: 5000,
        }
    }
}

impl Config {
    /// Reads a YAML or JSON config file.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let mut cfg: Config = serde_yaml_ng::from_str(&text).map_err(|e| Error::Config {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        if let Some(kc) = cfg.kubernetes.as_mut().and_then(|k| k.kubeconfig.as_mut()) {
            if kc.is_relative() {
                if let Some(dir) = path.parent() {
                    *kc = dir.join(&*kc);
                }
            }
        }
        cfg.validate().map_err(|message| Error::Config {
            path: path.display().to_string(),
            message,
        })?;
        Ok(cfg)
    }

    /// Checks that the level strings parse.
    pub fn validate(&self) -> Result<(), String> {
        for (mode, s) in [
            ("enforce", &self.defaults.enforce),
            ("audit", &self.defaults.audit),
            ("warn", &self.defaults.warn),
        ] {
            crate::decide::parse_level(s).map_err(|e| format!("defaults.{mode}: {e}"))?;
        }
        if let Some(k) = &self.kubernetes {
            if k.in_cluster && k.kubeconfig.is_some() {
                return Err("kubernetes: give either kubeconfig or inCluster, not both".into());
            }
            if k.in_cluster && k.context.is_some() {
                return Err("kubernetes: context needs a kubeconfig, not inCluster".into());
            }
            if k.lookup_timeout_ms == 0 {
                return Err("kubernetes.lookupTimeoutMs must be at least 1".into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_example() {
        let doc = r#"
defaults: {enforce: "restricted:v1.25", warn: "restricted:latest", audit: "baseline"}
namespaces:
  kube-system: {pod-security.kubernetes.io/enforce: privileged}
exemptions: {usernames: [alice], namespaces: [ops], runtimeClassNames: [kata]}
checks: warn
imageGate: {enabled: true, severity: HIGH, unknownImage: deny}
mutation: {readOnlyRootFilesystem: true}
limits: {maxBodyBytes: 1000}
"#;
        let cfg: Config = serde_yaml_ng::from_str(doc).unwrap();
        cfg.validate().unwrap();
        assert_eq!(cfg.image_gate.severity, Severity::High);
        assert_eq!(cfg.image_gate.unknown_image, UnknownImage::Deny);
        assert!(cfg.mutation.read_only_root_filesystem);
        assert_eq!(cfg.limits.request_timeout_ms, 8000);
    }

    #[test]
    fn kubernetes_section() {
        let cfg: Config = serde_yaml_ng::from_str("kubernetes: {}").unwrap();
        let k = cfg.kubernetes.as_ref().unwrap();
        assert_eq!(k, &KubernetesApi::default());
        assert_eq!(k.on_error, LookupFailure::Defaults);
        cfg.validate().unwrap();
        let cfg: Config =
            serde_yaml_ng::from_str("kubernetes: {kubeconfig: kc.yaml, inCluster: true}").unwrap();
        assert!(cfg.validate().is_err());
        let cfg: Config = serde_yaml_ng::from_str(
            "kubernetes: {inCluster: true, cacheTtlMs: 5, lookupTimeoutMs: 7, onError: deny}",
        )
        .unwrap();
        cfg.validate().unwrap();
        assert_eq!(cfg.kubernetes.unwrap().on_error, LookupFailure::Deny);
        assert!(serde_yaml_ng::from_str::<Config>("kubernetes: {onError: maybe}").is_err());
        assert!(Config::default().kubernetes.is_none());

        // A relative kubeconfig is found beside the config file.
        let dir = std::env::temp_dir().join(format!("seawall-cfg-kc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("config.yaml");
        std::fs::write(&p, "kubernetes: {kubeconfig: kc.yaml}").unwrap();
        let cfg = Config::load(&p).unwrap();
        assert_eq!(
            cfg.kubernetes.unwrap().kubeconfig,
            Some(dir.join("kc.yaml"))
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn unknown_keys_and_bad_levels_are_errors() {
        assert!(serde_yaml_ng::from_str::<Config>("bogus: 1").is_err());
        let cfg: Config = serde_yaml_ng::from_str("defaults: {enforce: superstrict}").unwrap();
        assert!(cfg.validate().is_err());
    }
}
