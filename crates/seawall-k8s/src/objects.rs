//! Kubernetes objects in a manifest stream and the pod templates they carry.

use serde_json::Value;

use crate::yaml::Doc;
use crate::Error;

/// One Kubernetes object found in a document (a `List` yields several).
#[derive(Debug, Clone)]
pub struct Object<'a> {
    pub doc: &'a Doc,
    /// JSON pointer of the object inside the document (`""` or `/items/3`).
    pub pointer: String,
    pub value: &'a Value,
    pub kind: &'a str,
    pub api_version: &'a str,
    pub name: &'a str,
    pub namespace: Option<&'a str>,
}

impl Object<'_> {
    /// `Deployment/web`.
    pub fn display(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    /// Line of a node given by a pointer relative to the object.
    pub fn line_of(&self, rel: &str) -> u32 {
        self.doc.line_of(&format!("{}{rel}", self.pointer))
    }

    /// The pod template (metadata, spec and the pointer of the template
    /// relative to the object) for workload kinds.
    pub fn pod_template(&self) -> Option<PodTemplate<'_>> {
        let t = match self.kind {
            "Pod" => Some(("", self.value)),
            "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "ReplicationController"
            | "Job" => Some(("/spec/template", &self.value["spec"]["template"])),
            "CronJob" => Some((
                "/spec/jobTemplate/spec/template",
                &self.value["spec"]["jobTemplate"]["spec"]["template"],
            )),
            "PodTemplate" => Some(("/template", &self.value["template"])),
            _ => None,
        }?;
        let (ptr, v) = t;
        if !v.is_object() {
            return None;
        }
        Some(PodTemplate {
            pointer: ptr.to_string(),
            meta: &v["metadata"],
            spec: &v["spec"],
        })
    }
}

/// A pod (or pod template) inside an object.
#[derive(Debug, Clone)]
pub struct PodTemplate<'a> {
    /// Pointer of the template relative to the object; pod-relative paths
    /// (`spec/containers/0`) are appended after a `/`.
    pub pointer: String,
    pub meta: &'a Value,
    pub spec: &'a Value,
}

/// Kinds that carry a pod template.
pub const WORKLOAD_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "PodTemplate",
];

/// Built-in kinds per core API group that seawall recognises; an unknown
/// kind in one of these groups is most likely a typo and is reported.
fn known_builtin(group: &str, kind: &str) -> Option<bool> {
    let kinds: &[&str] = match group {
        "" => &[
            "Pod",
            "PodTemplate",
            "ReplicationController",
            "Service",
            "ConfigMap",
            "Secret",
            "ServiceAccount",
            "Namespace",
            "PersistentVolume",
            "PersistentVolumeClaim",
            "Endpoints",
            "LimitRange",
            "ResourceQuota",
            "Node",
            "Event",
            "Binding",
            "ComponentStatus",
        ],
        "apps" => &[
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "ReplicaSet",
            "ControllerRevision",
        ],
        "batch" => &["Job", "CronJob"],
        "extensions" => &[
            "Deployment",
            "DaemonSet",
            "ReplicaSet",
            "Ingress",
            "NetworkPolicy",
            "PodSecurityPolicy",
        ],
        "rbac.authorization.k8s.io" => {
            &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]
        }
        "networking.k8s.io" => &[
            "Ingress",
            "IngressClass",
            "NetworkPolicy",
            "ServiceCIDR",
            "IPAddress",
        ],
        "policy" => &["PodDisruptionBudget", "PodSecurityPolicy", "Eviction"],
        "autoscaling" => &["HorizontalPodAutoscaler", "Scale"],
        _ => return None,
    };
    Some(kinds.contains(&kind))
}

/// Bound on `List` nesting.
const MAX_LIST_DEPTH: usize = 8;

/// Splits documents into objects; `List` kinds are expanded. Empty
/// documents are skipped. Errors name the file, document and line.
pub fn objects<'a>(file: &str, docs: &'a [Doc]) -> Result<Vec<Object<'a>>, Error> {
    let mut out = Vec::new();
    for doc in docs {
        if doc.value.is_null() {
            continue;
        }
        collect(file, doc, &doc.value, String::new(), 0, &mut out)?;
    }
    Ok(out)
}

fn collect<'a>(
    file: &str,
    doc: &'a Doc,
    v: &'a Value,
    pointer: String,
    depth: usize,
    out: &mut Vec<Object<'a>>,
) -> Result<(), Error> {
    let line = doc.line_of(&pointer);
    let err = |message: String| Error::Manifest {
        file: file.to_string(),
        line,
        message,
    };
    if !v.is_object() {
        return Err(err(format!(
            "document {} is not a kubernetes object (expected a mapping with apiVersion and kind)",
            doc.index
        )));
    }
    let kind = v["kind"].as_str().unwrap_or("");
    let api_version = v["apiVersion"].as_str().unwrap_or("");
    if kind.is_empty() || api_version.is_empty() {
        return Err(err(format!(
            "document {} is not a kubernetes object: missing {}",
            doc.index,
            if kind.is_empty() {
                "kind"
            } else {
                "apiVersion"
            }
        )));
    }
    if kind == "List" || (kind.ends_with("List") && v["items"].is_array()) {
        if depth >= MAX_LIST_DEPTH {
            return Err(err(format!(
                "lists nested deeper than {MAX_LIST_DEPTH} levels"
            )));
        }
        if let Some(items) = v["items"].as_array() {
            for (i, item) in items.iter().enumerate() {
                collect(
                    file,
                    doc,
                    item,
                    format!("{pointer}/items/{i}"),
                    depth + 1,
                    out,
                )?;
            }
        }
        return Ok(());
    }
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    if known_builtin(group, kind) == Some(false) {
        return Err(err(format!(
            "unknown kind {kind:?} for apiVersion {api_version:?} (document {})",
            doc.index
        )));
    }
    let meta = &v["metadata"];
    let obj = Object {
        doc,
        pointer,
        value: v,
        kind,
        api_version,
        name: meta["name"]
            .as_str()
            .or_else(|| meta["generateName"].as_str())
            .unwrap_or("<unnamed>"),
        namespace: meta["namespace"].as_str(),
    };
    if let Some(t) = obj.pod_template() {
        if let Some((rel, what, found)) = pod_shape_error(t.spec) {
            let ptr = format!("{}/spec{rel}", t.pointer);
            return Err(Error::Manifest {
                file: file.to_string(),
                line: obj.line_of(&ptr),
                message: format!(
                    "{}: {} must be {what}, found {found}",
                    obj.display(),
                    field_path(&ptr)
                ),
            });
        }
    }
    out.push(obj);
    Ok(())
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// `/spec/containers/0/ports` as Kubernetes writes it: `spec.containers[0].ports`.
fn field_path(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').filter(|s| !s.is_empty()) {
        if seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
    }
    out
}

/// The first place where a pod spec does not have the shape the API server
/// requires of the fields the checks read (the API server would reject the
/// object, so no verdict on it would mean anything): its pointer relative
/// to the spec, what it must be and what it is.
fn pod_shape_error(spec: &Value) -> Option<(String, &'static str, &'static str)> {
    let ok = |v: &Value, mapping: bool| -> bool {
        v.is_null() || if mapping { v.is_object() } else { v.is_array() }
    };
    if !ok(spec, true) {
        return Some((String::new(), "a mapping", json_type(spec)));
    }
    for key in ["securityContext", "nodeSelector"] {
        if !ok(&spec[key], true) {
            return Some((format!("/{key}"), "a mapping", json_type(&spec[key])));
        }
    }
    if !ok(&spec["volumes"], false) {
        return Some(("/volumes".into(), "a list", json_type(&spec["volumes"])));
    }
    for kind in ["containers", "initContainers", "ephemeralContainers"] {
        let list = &spec[kind];
        if !ok(list, false) {
            return Some((format!("/{kind}"), "a list of containers", json_type(list)));
        }
        for (i, c) in list.as_array().into_iter().flatten().enumerate() {
            if !c.is_object() {
                return Some((
                    format!("/{kind}/{i}"),
                    "a container (a mapping)",
                    json_type(c),
                ));
            }
            for key in ["securityContext", "resources"] {
                if !ok(&c[key], true) {
                    return Some((
                        format!("/{kind}/{i}/{key}"),
                        "a mapping",
                        json_type(&c[key]),
                    ));
                }
            }
            for key in ["ports", "volumeMounts", "env"] {
                if !ok(&c[key], false) {
                    return Some((format!("/{kind}/{i}/{key}"), "a list", json_type(&c[key])));
                }
            }
        }
    }
    None
}
