//! Where the pod spec lives in each workload kind, as PSA's
//! `PodSpecExtractor` sees it.

use serde_json::Value;

/// JSON pointer of the pod spec inside an object of `kind`.
pub fn pod_spec_pointer(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Pod" => "/spec",
        "PodTemplate" => "/template/spec",
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "ReplicationController" => "/spec/template/spec",
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        _ => return None,
    })
}

/// JSON pointer of the metadata that goes with the pod spec.
pub fn pod_meta_pointer(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Pod" => "/metadata",
        "PodTemplate" => "/template/metadata",
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "ReplicationController" => "/spec/template/metadata",
        "CronJob" => "/spec/jobTemplate/spec/template/metadata",
        _ => return None,
    })
}

/// Read-only helpers over a pod spec value.
pub struct PodSpecRef<'a>(pub &'a Value);

impl PodSpecRef<'_> {
    pub fn os_name(&self) -> Option<&str> {
        self.0.pointer("/os/name").and_then(Value::as_str)
    }

    pub fn runtime_class_name(&self) -> Option<&str> {
        self.0.get("runtimeClassName").and_then(Value::as_str)
    }

    /// Every container image (init, regular, ephemeral).
    pub fn images(&self) -> Vec<String> {
        let mut out = Vec::new();
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            if let Some(Value::Array(cs)) = self.0.get(list) {
                for c in cs {
                    if let Some(img) = c.get("image").and_then(Value::as_str) {
                        if !out.iter().any(|x| x == img) {
                            out.push(img.to_string());
                        }
                    }
                }
            }
        }
        out
    }
}
