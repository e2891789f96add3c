//! Namespace labels through the Kubernetes API (`kube` crate): one
//! `GET /api/v1/namespaces/NAME` per namespace per `cacheTtlMs`, bounded by
//! the lookup timeout, with concurrent requests for the same namespace
//! sharing one GET. Only the `pod-security.kubernetes.io/` labels are kept.
//!
//! A failed lookup (unreachable, timeout, forbidden, not found) falls back to
//! the last labels fetched for that namespace ([`Outcome::Stale`]) or reports
//! [`Outcome::Failed`], and is not retried for [`RETRY_AFTER_ERROR`] (or the
//! TTL, if shorter) so that an unreachable API server costs one timeout per
//! namespace every few seconds, not one per request.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::api::Api;
use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::config::KubernetesApi;
use crate::decide::LABEL_PREFIX;
use crate::Error;

/// How long a failed lookup is remembered before the API is asked again.
pub const RETRY_AFTER_ERROR: Duration = Duration::from_secs(5);

/// Most namespaces kept in the cache; past that, expired entries are dropped.
const MAX_ENTRIES: usize = 20_000;

pub type Labels = Arc<BTreeMap<String, String>>;

/// How a lookup was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// From the cache, within the TTL.
    Cached,
    /// Fetched from the API server just now.
    Fetched,
    /// The lookup failed; these are the labels last fetched (error text).
    Stale(String),
    /// The lookup failed and nothing was fetched before (error text).
    Failed(String),
}

impl Outcome {
    /// Label value for the lookups metric.
    pub fn metric(&self) -> &'static str {
        match self {
            Outcome::Cached => "cached",
            Outcome::Fetched => "fetched",
            Outcome::Stale(_) => "stale",
            Outcome::Failed(_) => "failed",
        }
    }
}

/// The PSA labels of one namespace (empty when the lookup failed).
#[derive(Debug, Clone)]
pub struct Lookup {
    pub labels: Labels,
    pub outcome: Outcome,
}

#[derive(Default)]
struct Slot {
    /// Last labels fetched, and when.
    labels: Option<(Labels, Instant)>,
    /// Last failure, and when (cleared by a success).
    failure: Option<(String, Instant)>,
}

/// Cached namespace label lookups against one API server.
pub struct NamespaceLookup {
    settings: KubernetesApi,
    api: Api<Namespace>,
    slots: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Slot>>>>,
}

impl NamespaceLookup {
    /// Builds a client from `settings`: its kubeconfig, the in-cluster
    /// service account, or (neither given) `$KUBECONFIG`, `~/.kube/config`,
    /// then the in-cluster config. Nothing is requested from the server yet.
    /// Must be called within a tokio runtime.
    pub async fn connect(settings: &KubernetesApi) -> Result<Self, Error> {
        // kube builds its rustls config with the process-wide provider; make
        // sure there is one (ring, as for the server side) whatever other
        // crates linked into the binary enable.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let options = KubeConfigOptions {
            context: settings.context.clone(),
            ..Default::default()
        };
        let mut config = if let Some(path) = &settings.kubeconfig {
            let kc = Kubeconfig::read_from(path)
                .map_err(|e| Error::Kube(format!("kubeconfig {}: {e}", path.display())))?;
            kube::Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(|e| Error::Kube(format!("kubeconfig {}: {e}", path.display())))?
        } else if settings.in_cluster {
            kube::Config::incluster().map_err(|e| Error::Kube(format!("in-cluster config: {e}")))?
        } else if settings.context.is_some() {
            kube::Config::from_kubeconfig(&options)
                .await
                .map_err(|e| Error::Kube(format!("kubeconfig: {e}")))?
        } else {
            kube::Config::infer()
                .await
                .map_err(|e| Error::Kube(format!("no kubeconfig or in-cluster config: {e}")))?
        };
        let timeout = Some(Duration::from_millis(settings.lookup_timeout_ms.max(1)));
        config.connect_timeout = timeout;
        config.read_timeout = timeout;
        config.write_timeout = timeout;
        // One GET per lookup: kube's retries (429, 503, 504) would spend the
        // request's budget; a failure is retried after RETRY_AFTER_ERROR.
        config.default_retry = false;
        let client = kube::Client::try_from(config)
            .map_err(|e| Error::Kube(format!("building the API client: {e}")))?;
        Ok(NamespaceLookup {
            settings: settings.clone(),
            api: Api::all(client),
            slots: Mutex::new(HashMap::new()),
        })
    }

    /// The settings this lookup was built from (to tell whether a reloaded
    /// config needs a new client).
    pub fn settings(&self) -> &KubernetesApi {
        &self.settings
    }

    /// The PSA labels of `namespace`, taking at most about `budget`.
    pub async fn labels(&self, namespace: &str, budget: Duration) -> Lookup {
        let started = Instant::now();
        let slot = self.slot(namespace);
        let ttl = Duration::from_millis(self.settings.cache_ttl_ms);
        let retry = RETRY_AFTER_ERROR.min(ttl);
        // One GET per namespace at a time: the others wait for its result.
        let Ok(mut slot) = tokio::time::timeout(budget, slot.lock()).await else {
            return Lookup {
                labels: Labels::default(),
                outcome: Outcome::Failed(format!(
                    "namespace {namespace:?}: lookup still running after {} ms",
                    budget.as_millis()
                )),
            };
        };
        if let Some((labels, at)) = &slot.labels {
            if at.elapsed() < ttl {
                return Lookup {
                    labels: labels.clone(),
                    outcome: Outcome::Cached,
                };
            }
        }
        if let Some((err, at)) = &slot.failure {
            if at.elapsed() < retry {
                return failed(&slot, err.clone());
            }
        }
        let left = budget.saturating_sub(started.elapsed());
        let result = match tokio::time::timeout(left, self.api.get(namespace)).await {
            Ok(Ok(ns)) => Ok(psa_labels(ns)),
            Ok(Err(e)) => Err(describe(namespace, &e)),
            Err(_) => Err(format!(
                "namespace {namespace:?}: no answer from the API server within {} ms",
                budget.as_millis()
            )),
        };
        match result {
            Ok(labels) => {
                let labels = Arc::new(labels);
                slot.labels = Some((labels.clone(), Instant::now()));
                slot.failure = None;
                Lookup {
                    labels,
                    outcome: Outcome::Fetched,
                }
            }
            Err(err) => {
                // Logged once per attempt (at most one per namespace every
                // RETRY_AFTER_ERROR), not once per request.
                eprintln!("seawall admission: namespace labels unavailable: {err}");
                slot.failure = Some((err.clone(), Instant::now()));
                failed(&slot, err)
            }
        }
    }

    fn slot(&self, namespace: &str) -> Arc<tokio::sync::Mutex<Slot>> {
        let mut slots = match self.slots.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(s) = slots.get(namespace) {
            return s.clone();
        }
        if slots.len() >= MAX_ENTRIES {
            let ttl = Duration::from_millis(self.settings.cache_ttl_ms);
            // Keep entries in use or still fresh; drop the rest.
            slots.retain(|_, s| match s.try_lock() {
                Ok(slot) => slot
                    .labels
                    .as_ref()
                    .is_some_and(|(_, at)| at.elapsed() < ttl),
                Err(_) => true,
            });
        }
        let s = Arc::new(tokio::sync::Mutex::new(Slot::default()));
        if slots.len() < MAX_ENTRIES {
            slots.insert(namespace.to_string(), s.clone());
        }
        s
    }
}

fn failed(slot: &Slot, err: String) -> Lookup {
    match &slot.labels {
        Some((labels, _)) => Lookup {
            labels: labels.clone(),
            outcome: Outcome::Stale(err),
        },
        None => Lookup {
            labels: Labels::default(),
            outcome: Outcome::Failed(err),
        },
    }
}

fn psa_labels(ns: Namespace) -> BTreeMap<String, String> {
    ns.metadata
        .labels
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k.starts_with(LABEL_PREFIX))
        .collect()
}

fn describe(namespace: &str, e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) => format!(
            "namespace {namespace:?}: API server answered {} {}",
            status.code, status.message
        ),
        other => format!("namespace {namespace:?}: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_psa_labels_are_kept() {
        let mut ns = Namespace::default();
        ns.metadata.labels = Some(
            [
                ("pod-security.kubernetes.io/enforce", "restricted"),
                ("team", "a"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        );
        let l = psa_labels(ns);
        assert_eq!(l.len(), 1);
        assert_eq!(l["pod-security.kubernetes.io/enforce"], "restricted");
        assert!(psa_labels(Namespace::default()).is_empty());
    }

    #[tokio::test]
    async fn missing_kubeconfig_is_an_error_naming_the_file() {
        let settings = KubernetesApi {
            kubeconfig: Some("/nonexistent/seawall/kubeconfig".into()),
            ..Default::default()
        };
        let Err(e) = NamespaceLookup::connect(&settings).await else {
            panic!("connect succeeded without a kubeconfig");
        };
        assert!(
            e.to_string().contains("/nonexistent/seawall/kubeconfig"),
            "{e}"
        );
    }
}
