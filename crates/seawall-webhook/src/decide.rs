//! Admission decisions, modelled on the Pod Security Admission plugin
//! (`k8s.io/pod-security-admission/admission`):
//!
//! * Pods are enforced; workload resources (Deployment, CronJob, ...) and
//!   PodTemplates only get warnings and audit annotations.
//! * Levels and versions come per namespace from the
//!   `pod-security.kubernetes.io/{enforce,audit,warn}[-version]` labels, with
//!   the configured defaults for missing labels. An invalid label makes that
//!   mode `restricted:latest` (PSA fails closed) and is noted in an audit
//!   annotation.
//! * Exempt usernames, namespaces and runtime classes are allowed untouched.
//! * Pod UPDATEs are re-evaluated only when significant (a container image or
//!   a seccomp annotation changed, or containers were added), and the pod
//!   subresources PSA ignores (`exec`, `attach`, `binding`, `eviction`,
//!   `log`, `portforward`, `proxy`, `status`) are ignored.
//! * Warnings are not added to a request that is denied.
//!
//! On top of PSA: seawall's own checks and custom policies with a per-policy
//! action, and the image gate.

use std::collections::BTreeMap;

use seawall_k8s::{PssLevel, PssSpec, PssVersion};
use serde_json::Value;

use crate::config::{Action, Config};
use crate::podspec::{pod_meta_pointer, pod_spec_pointer, PodSpecRef};
use crate::review::{AdmissionRequest, Decision};

pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

/// Pod subresources that PSA does not evaluate.
const IGNORED_POD_SUBRESOURCES: &[&str] = &[
    "exec",
    "attach",
    "binding",
    "eviction",
    "log",
    "portforward",
    "proxy",
    "status",
];

/// Parses a level with optional version (`baseline`, `restricted:v1.25`).
pub fn parse_level(s: &str) -> Result<PssSpec, String> {
    s.parse::<PssSpec>().map_err(|e| e.to_string())
}

/// The levels in force for one namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespacePolicy {
    pub enforce: PssSpec,
    pub audit: PssSpec,
    pub warn: PssSpec,
    /// Label errors (invalid level or version), if any.
    pub errors: Vec<String>,
}

impl NamespacePolicy {
    pub fn fully_privileged(&self) -> bool {
        self.errors.is_empty()
            && [self.enforce, self.audit, self.warn]
                .iter()
                .all(|p| p.level == PssLevel::Privileged)
    }
}

/// Resolves a namespace's policy from its labels and the defaults.
pub fn namespace_policy(cfg: &Config, labels: &BTreeMap<String, String>) -> NamespacePolicy {
    let mut errors = Vec::new();
    let mut mode = |name: &str, default: &str| -> PssSpec {
        let default = parse_level(default).unwrap_or(PssSpec {
            level: PssLevel::Restricted,
            version: PssVersion::Latest,
        });
        let restricted = PssSpec {
            level: PssLevel::Restricted,
            version: PssVersion::Latest,
        };
        let mut spec = default;
        if let Some(level) = labels.get(&format!("{LABEL_PREFIX}{name}")) {
            match level.parse::<PssSpec>() {
                Ok(p) if !level.contains(':') => spec.level = p.level,
                _ => {
                    errors.push(format!("{LABEL_PREFIX}{name}={level:?}: invalid level"));
                    return restricted;
                }
            }
        }
        if let Some(version) = labels.get(&format!("{LABEL_PREFIX}{name}-version")) {
            match format!("baseline:{version}").parse::<PssSpec>() {
                Ok(p) => spec.version = p.version,
                Err(_) => {
                    errors.push(format!(
                        "{LABEL_PREFIX}{name}-version={version:?}: invalid version"
                    ));
                    return restricted;
                }
            }
        }
        spec
    };
    let enforce = mode("enforce", &cfg.defaults.enforce);
    let audit = mode("audit", &cfg.defaults.audit);
    let warn = mode("warn", &cfg.defaults.warn);
    NamespacePolicy {
        enforce,
        audit,
        warn,
        errors,
    }
}

/// What the decision needs to know besides the request.
pub struct DecideInput<'a> {
    pub config: &'a Config,
    /// Labels of the request's namespace.
    pub namespace_labels: &'a BTreeMap<String, String>,
}

/// The PSA part of the decision (plus seawall's checks), without the image
/// gate, for the `/validate` endpoint.
pub fn validate(input: &DecideInput<'_>, req: &AdmissionRequest) -> Decision {
    let cfg = input.config;
    // Only CREATE and UPDATE carry an object to judge.
    if req.operation != "CREATE" && req.operation != "UPDATE" {
        return Decision::allow();
    }
    let kind = req.kind.kind.as_str();
    let is_pod = kind == "Pod" && req.kind.group.is_empty();
    if is_pod {
        if IGNORED_POD_SUBRESOURCES.contains(&req.sub_resource.as_str()) {
            return Decision::allow();
        }
        if !req.sub_resource.is_empty() && req.sub_resource != "ephemeralcontainers" {
            return Decision::allow();
        }
    } else if !req.sub_resource.is_empty() {
        return Decision::allow();
    }
    if cfg.exemptions.namespaces.contains(&req.namespace)
        || cfg.exemptions.usernames.contains(&req.user_info.username)
    {
        return Decision::allow();
    }
    let Some(object) = req.object.as_ref() else {
        return Decision::allow();
    };
    let (Some(spec_ptr), Some(meta_ptr)) = (pod_spec_pointer(kind), pod_meta_pointer(kind)) else {
        return Decision::allow();
    };
    let Some(pod_spec) = object.pointer(spec_ptr) else {
        return Decision::allow();
    };
    let empty = Value::Object(Default::default());
    let pod_meta = object.pointer(meta_ptr).unwrap_or(&empty);

    if let Some(rc) = PodSpecRef(pod_spec).runtime_class_name() {
        if cfg.exemptions.runtime_class_names.iter().any(|r| r == rc) {
            return Decision::allow();
        }
    }
    let ns = namespace_policy(cfg, input.namespace_labels);
    let skip_pss = ns.fully_privileged()
        || (is_pod
            && req.operation == "UPDATE"
            && req
                .old_object
                .as_ref()
                .is_some_and(|old| !is_significant_pod_update(object, old)));

    let mut decision = Decision::allow();
    if !ns.errors.is_empty() {
        decision
            .audit_annotations
            .push(("error".into(), ns.errors.join("; ")));
    }
    if !skip_pss {
        pss_decision(&mut decision, &ns, pod_meta, pod_spec, is_pod);
    }
    if cfg.checks != Action::Off {
        seawall_checks(&mut decision, cfg.checks, object, is_pod);
    }
    decision
}

fn pss_decision(
    decision: &mut Decision,
    ns: &NamespacePolicy,
    meta: &Value,
    spec: &Value,
    enforce: bool,
) {
    let eval = |p: &PssSpec| seawall_k8s::evaluate_pod_spec(meta, spec, p);
    let detail = |r: &seawall_k8s::PssResult| {
        r.violations
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let enforce_result = eval(&ns.enforce);
    if enforce {
        decision
            .audit_annotations
            .push(("enforce-policy".into(), ns.enforce.to_string()));
        if !enforce_result.allowed {
            decision.allowed = false;
            decision.code = 403;
            decision.message = format!(
                "violates PodSecurity {:?}: {}",
                ns.enforce.to_string(),
                detail(&enforce_result)
            );
        }
    }
    let audit_result = if ns.audit == ns.enforce {
        enforce_result.clone()
    } else {
        eval(&ns.audit)
    };
    if !audit_result.allowed {
        decision.audit_annotations.push((
            "audit-violations".into(),
            format!(
                "would violate PodSecurity {:?}: {}",
                ns.audit.to_string(),
                detail(&audit_result)
            ),
        ));
    }
    if decision.allowed {
        let warn_result = if ns.warn == ns.enforce {
            enforce_result
        } else if ns.warn == ns.audit {
            audit_result
        } else {
            eval(&ns.warn)
        };
        if !warn_result.allowed {
            // One short warning per violated check rather than one long line
            // the API server would truncate.
            for v in &warn_result.violations {
                decision.warnings.push(format!(
                    "would violate PodSecurity {:?}: {v}",
                    ns.warn.to_string()
                ));
            }
        }
    }
}

fn seawall_checks(decision: &mut Decision, action: Action, object: &Value, is_pod: bool) {
    let opts = seawall_k8s::Options {
        pss: None,
        builtin_checks: true,
        ..Default::default()
    };
    let text = match serde_json::to_string(object) {
        Ok(t) => t,
        Err(_) => return,
    };
    let findings = match seawall_k8s::check_str("admission-request", &text, &opts) {
        Ok(f) => f,
        Err(e) => {
            decision
                .audit_annotations
                .push(("seawall-error".into(), e.to_string()));
            return;
        }
    };
    if findings.is_empty() {
        return;
    }
    let summary: Vec<String> = findings
        .iter()
        .map(|f| format!("{} {}", f.id, f.title))
        .collect();
    match action {
        // Workload templates are never denied, as with PSA.
        Action::Deny if is_pod && decision.allowed => {
            decision.allowed = false;
            decision.code = 403;
            decision.message = format!("violates seawall checks: {}", summary.join(", "));
        }
        Action::Deny | Action::Warn => {
            if decision.allowed {
                decision
                    .warnings
                    .extend(summary.iter().map(|s| format!("seawall: {s}")));
            }
        }
        Action::Audit => decision
            .audit_annotations
            .push(("seawall-findings".into(), summary.join(", "))),
        Action::Off => {}
    }
}

/// PSA's `isSignificantPodUpdate`: only image changes, seccomp annotation
/// changes and added/removed containers make an update worth re-evaluating.
pub fn is_significant_pod_update(new: &Value, old: &Value) -> bool {
    const POD_SECCOMP: &str = "seccomp.security.alpha.kubernetes.io/pod";
    const CONTAINER_SECCOMP: &str = "container.seccomp.security.alpha.kubernetes.io/";
    let ann = |v: &Value, k: &str| -> Option<String> {
        v.pointer("/metadata/annotations")
            .and_then(|a| a.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    if ann(new, POD_SECCOMP) != ann(old, POD_SECCOMP) {
        return true;
    }
    let list = |v: &Value, l: &str| -> Vec<Value> {
        v.pointer(&format!("/spec/{l}"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let significant = |c: &Value, o: &Value| -> bool {
        if c.get("image") != o.get("image") {
            return true;
        }
        let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
        let key = format!("{CONTAINER_SECCOMP}{name}");
        ann(new, &key) != ann(old, &key)
    };
    for l in ["containers", "initContainers"] {
        let (n, o) = (list(new, l), list(old, l));
        if n.len() != o.len() {
            return true;
        }
        if n.iter().zip(o.iter()).any(|(c, oc)| significant(c, oc)) {
            return true;
        }
    }
    let old_eph = list(old, "ephemeralContainers");
    for c in list(new, "ephemeralContainers") {
        let name = c.get("name");
        match old_eph.iter().find(|o| o.get("name") == name) {
            None => return true,
            Some(o) if significant(&c, o) => return true,
            Some(_) => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (format!("{LABEL_PREFIX}{k}"), v.to_string()))
            .collect()
    }

    #[test]
    fn labels_override_defaults() {
        let cfg = Config::default();
        let p = namespace_policy(
            &cfg,
            &labels(&[("enforce", "restricted"), ("enforce-version", "v1.25")]),
        );
        assert_eq!(p.enforce.to_string(), "restricted:v1.25");
        assert_eq!(p.warn.to_string(), "restricted:latest");
        let p = namespace_policy(&cfg, &BTreeMap::new());
        assert_eq!(p.enforce.to_string(), "baseline:latest");
    }

    #[test]
    fn invalid_labels_fail_closed() {
        let p = namespace_policy(&Config::default(), &labels(&[("enforce", "bogus")]));
        assert_eq!(p.enforce.to_string(), "restricted:latest");
        assert_eq!(p.errors.len(), 1);
        let p = namespace_policy(&Config::default(), &labels(&[("warn-version", "2.0")]));
        assert_eq!(p.warn.to_string(), "restricted:latest");
    }

    #[test]
    fn privileged_everywhere_is_fully_privileged() {
        let p = namespace_policy(
            &Config::default(),
            &labels(&[
                ("enforce", "privileged"),
                ("audit", "privileged"),
                ("warn", "privileged"),
            ]),
        );
        assert!(p.fully_privileged());
    }

    #[test]
    fn significant_updates() {
        let old = json!({"metadata": {}, "spec": {"containers": [{"name": "a", "image": "x:1"}]}});
        let mut relabel = old.clone();
        relabel["metadata"]["labels"] = json!({"a": "b"});
        assert!(!is_significant_pod_update(&relabel, &old));
        let mut image = old.clone();
        image["spec"]["containers"][0]["image"] = json!("x:2");
        assert!(is_significant_pod_update(&image, &old));
        let mut eph = old.clone();
        eph["spec"]["ephemeralContainers"] = json!([{"name": "debug", "image": "busybox"}]);
        assert!(is_significant_pod_update(&eph, &old));
        let mut seccomp = old.clone();
        seccomp["metadata"]["annotations"] =
            json!({"seccomp.security.alpha.kubernetes.io/pod": "unconfined"});
        assert!(is_significant_pod_update(&seccomp, &old));
    }
}
