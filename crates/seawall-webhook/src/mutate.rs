//! Secure-default mutation: fills in what the restricted Pod Security level
//! asks for, only where the author left the field unset, and returns the
//! change as an RFC 6902 patch. Applying the patch and mutating again yields
//! an empty patch (idempotent).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::podspec::{pod_spec_pointer, PodSpecRef};

/// Which defaults to apply. All but `read_only_root_filesystem` are on by
/// default.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct MutationConfig {
    pub enabled: bool,
    pub run_as_non_root: bool,
    pub allow_privilege_escalation_false: bool,
    pub drop_all_capabilities: bool,
    pub seccomp_runtime_default: bool,
    pub read_only_root_filesystem: bool,
}

impl Default for MutationConfig {
    fn default() -> Self {
        MutationConfig {
            enabled: true,
            run_as_non_root: true,
            allow_privilege_escalation_false: true,
            drop_all_capabilities: true,
            seccomp_runtime_default: true,
            read_only_root_filesystem: false,
        }
    }
}

/// Applies the defaults to the pod spec inside `object` (a Pod or a workload
/// with a pod template) and returns the patch, or `None` when nothing changes
/// or the object has no pod spec.
pub fn secure_defaults_patch(object: &Value, kind: &str, cfg: &MutationConfig) -> Option<Value> {
    if !cfg.enabled {
        return None;
    }
    let pointer = pod_spec_pointer(kind)?;
    let mut mutated = object.clone();
    let spec = mutated.pointer_mut(pointer)?;
    if !spec.is_object() {
        return None;
    }
    apply(spec, cfg);
    let patch = json_patch::diff(object, &mutated);
    let value = serde_json::to_value(&patch).ok()?;
    if value.as_array().is_some_and(Vec::is_empty) {
        None
    } else {
        Some(value)
    }
}

fn apply(spec: &mut Value, cfg: &MutationConfig) {
    let windows = PodSpecRef(spec).os_name() == Some("windows");
    let Some(spec) = spec.as_object_mut() else {
        return;
    };
    if cfg.run_as_non_root || (cfg.seccomp_runtime_default && !windows) {
        let psc = obj_entry(spec, "securityContext");
        if cfg.run_as_non_root {
            let uid_is_root = psc.get("runAsUser").and_then(Value::as_i64) == Some(0);
            if !psc.contains_key("runAsNonRoot") && !uid_is_root {
                psc.insert("runAsNonRoot".into(), Value::Bool(true));
            }
        }
        if cfg.seccomp_runtime_default && !windows && !psc.contains_key("seccompProfile") {
            psc.insert("seccompProfile".into(), json!({"type": "RuntimeDefault"}));
        }
    }
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        let Some(Value::Array(containers)) = spec.get_mut(list) else {
            continue;
        };
        for c in containers.iter_mut() {
            let Some(c) = c.as_object_mut() else { continue };
            container_defaults(c, cfg, windows);
        }
    }
}

fn container_defaults(c: &mut Map<String, Value>, cfg: &MutationConfig, windows: bool) {
    if windows && !cfg.read_only_root_filesystem {
        return;
    }
    let sc = obj_entry(c, "securityContext");
    let privileged = sc.get("privileged").and_then(Value::as_bool) == Some(true);
    if !windows {
        if cfg.allow_privilege_escalation_false
            && !privileged
            && !sc.contains_key("allowPrivilegeEscalation")
        {
            sc.insert("allowPrivilegeEscalation".into(), Value::Bool(false));
        }
        if cfg.drop_all_capabilities {
            let caps = obj_entry(sc, "capabilities");
            let drop = caps
                .entry("drop")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(d) = drop {
                let has_all = d
                    .iter()
                    .any(|x| x.as_str().is_some_and(|s| s.eq_ignore_ascii_case("ALL")));
                if !has_all {
                    d.push(Value::String("ALL".into()));
                }
            }
        }
    }
    if cfg.read_only_root_filesystem && !sc.contains_key("readOnlyRootFilesystem") {
        sc.insert("readOnlyRootFilesystem".into(), Value::Bool(true));
    }
}

/// The object at `key`, created (or replaced when it is `null` or not an
/// object) as an empty object.
fn obj_entry<'a>(m: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let v = m
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    match v {
        Value::Object(o) => o,
        _ => unreachable!("just made an object"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply_patch(doc: &Value, patch: &Value) -> Value {
        let mut d = doc.clone();
        let p: json_patch::Patch = serde_json::from_value(patch.clone()).unwrap();
        json_patch::patch(&mut d, &p).unwrap();
        d
    }

    #[test]
    fn pod_gets_defaults_and_is_idempotent() {
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "a", "image": "nginx:1.27"},
                                    {"name": "b", "image": "x", "securityContext": {"capabilities": {"drop": ["NET_RAW"]}}}]}
        });
        let cfg = MutationConfig::default();
        let patch = secure_defaults_patch(&pod, "Pod", &cfg).expect("patch");
        let out = apply_patch(&pod, &patch);
        assert_eq!(out["spec"]["securityContext"]["runAsNonRoot"], true);
        assert_eq!(
            out["spec"]["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        assert_eq!(
            out["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"],
            false
        );
        assert_eq!(
            out["spec"]["containers"][1]["securityContext"]["capabilities"]["drop"],
            json!(["NET_RAW", "ALL"])
        );
        assert!(
            secure_defaults_patch(&out, "Pod", &cfg).is_none(),
            "second pass must be a no-op"
        );
    }

    #[test]
    fn explicit_choices_are_kept() {
        let pod = json!({"spec": {
            "securityContext": {"runAsNonRoot": false, "seccompProfile": {"type": "Unconfined"}},
            "containers": [{"name": "a", "securityContext": {"allowPrivilegeEscalation": true, "capabilities": {"drop": ["all"]}}}]}});
        assert!(secure_defaults_patch(&pod, "Pod", &MutationConfig::default()).is_none());
    }

    #[test]
    fn deployment_template_and_cronjob() {
        let dep = json!({"spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}});
        let p = secure_defaults_patch(&dep, "Deployment", &MutationConfig::default()).unwrap();
        let out = apply_patch(&dep, &p);
        assert_eq!(
            out["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"],
            true
        );
        let cj = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}}}});
        let p = secure_defaults_patch(&cj, "CronJob", &MutationConfig::default()).unwrap();
        let out = apply_patch(&cj, &p);
        assert_eq!(
            out["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
                ["securityContext"]["allowPrivilegeEscalation"],
            false
        );
    }

    #[test]
    fn windows_pods_get_no_linux_fields() {
        let pod = json!({"spec": {"os": {"name": "windows"}, "containers": [{"name": "a"}]}});
        let p = secure_defaults_patch(&pod, "Pod", &MutationConfig::default()).unwrap();
        let out = apply_patch(&pod, &p);
        assert!(out["spec"]["securityContext"]
            .get("seccompProfile")
            .is_none());
        assert!(out["spec"]["containers"][0]
            .get("securityContext")
            .is_none());
    }

    #[test]
    fn non_objects_are_left_alone() {
        assert!(
            secure_defaults_patch(&json!({"spec": 3}), "Pod", &MutationConfig::default()).is_none()
        );
        assert!(
            secure_defaults_patch(&json!({"spec": {}}), "Service", &MutationConfig::default())
                .is_none()
        );
    }
}
