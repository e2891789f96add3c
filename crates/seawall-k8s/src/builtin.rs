//! seawall's own manifest checks (`SW-K8S-*`): the anti-patterns PSS does not
//! cover or covers only at a level a team may not enforce.

use seawall_types::Severity;
use serde_json::Value;

use crate::objects::Object;

/// Static description of a rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
}

/// Rule documentation (this crate's README, one anchor per rule id).
pub const DOCS_BASE: &str = "crates/seawall-k8s/README.md";

/// All built-in rules. Ids are stable: never renumber.
pub const RULES: &[Rule] = &[
    Rule { id: "SW-K8S-001", severity: Severity::Critical, title: "Container runtime socket mounted", why: "a container that can reach the container runtime socket can start privileged containers and take over the node", fix: "remove the hostPath volume for the runtime socket; use a narrowly scoped API instead" },
    Rule { id: "SW-K8S-002", severity: Severity::Critical, title: "Host root filesystem mounted", why: "mounting / from the node gives the container read (and usually write) access to every file on the host", fix: "mount only the specific host directory needed, read-only, or avoid hostPath entirely" },
    Rule { id: "SW-K8S-003", severity: Severity::Medium, title: "Missing resource limits", why: "without CPU and memory limits one container can starve the node and its neighbours (denial of service)", fix: "set resources.limits.cpu and resources.limits.memory" },
    Rule { id: "SW-K8S-004", severity: Severity::Low, title: "Missing resource requests", why: "without requests the scheduler cannot place the pod sensibly and it is first to be evicted", fix: "set resources.requests.cpu and resources.requests.memory" },
    Rule { id: "SW-K8S-005", severity: Severity::Medium, title: "Image tag latest or missing", why: "a mutable tag means the deployed image can change without review and rollbacks are not reproducible", fix: "pin the image to a version tag, ideally with a digest (image:1.2.3@sha256:...)" },
    Rule { id: "SW-K8S-006", severity: Severity::Low, title: "Writable root filesystem", why: "a writable root filesystem lets an attacker drop tools and persist changes inside the container", fix: "set securityContext.readOnlyRootFilesystem=true and mount emptyDir volumes where writes are needed" },
    Rule { id: "SW-K8S-007", severity: Severity::Low, title: "Service account token automounted", why: "every process in the pod can use the mounted API token; most workloads never talk to the API server", fix: "set automountServiceAccountToken: false in the pod spec (or on its ServiceAccount)" },
    Rule { id: "SW-K8S-008", severity: Severity::Low, title: "Object in the default namespace", why: "the default namespace mixes unrelated workloads and usually lacks quotas, network policies and RBAC boundaries", fix: "deploy into a dedicated namespace" },
    Rule { id: "SW-K8S-009", severity: Severity::Medium, title: "NET_RAW capability not dropped", why: "NET_RAW allows raw packet crafting (ARP and DNS spoofing of neighbouring pods)", fix: "add NET_RAW (or ALL) to securityContext.capabilities.drop and do not add it back" },
    Rule { id: "SW-K8S-010", severity: Severity::Medium, title: "Service exposed through NodePort", why: "a NodePort opens the port on every node's address, bypassing load balancer and ingress controls", fix: "use a ClusterIP service behind an Ingress or a LoadBalancer with source ranges" },
    Rule { id: "SW-K8S-011", severity: Severity::High, title: "Secret in environment variable", why: "literal secrets in manifests end up in version control, in the API server and in `kubectl describe` output", fix: "move the value to a Secret and use env[].valueFrom.secretKeyRef" },
    Rule { id: "SW-K8S-012", severity: Severity::High, title: "RBAC wildcard", why: "wildcard verbs or resources grant today's and all future permissions, including secrets and escalation verbs", fix: "list the exact apiGroups, resources and verbs the subject needs" },
    Rule { id: "SW-K8S-013", severity: Severity::Critical, title: "cluster-admin binding", why: "binding cluster-admin gives the subjects full control of the cluster", fix: "bind a role with only the permissions required" },
    Rule { id: "SW-K8S-014", severity: Severity::High, title: "Ingress snippet annotation", why: "ingress-nginx snippet annotations inject raw nginx configuration and have led to controller takeover and secret disclosure (CVE-2021-25742, CVE-2025-1974)", fix: "remove the *-snippet annotation; use supported annotations or a ConfigMap owned by the cluster admins" },
    Rule { id: "SW-K8S-015", severity: Severity::Low, title: "Missing liveness probe", why: "without a liveness probe a hung container keeps receiving traffic and is never restarted", fix: "add a livenessProbe" },
    Rule { id: "SW-K8S-016", severity: Severity::Low, title: "Missing readiness probe", why: "without a readiness probe traffic is sent to the container before it can serve", fix: "add a readinessProbe" },
    Rule { id: "SW-K8S-017", severity: Severity::Medium, title: "Expired waiver", why: "a waiver past its expiry date no longer suppresses its finding and needs review", fix: "fix the finding, or renew the waiver with a new reason and expiry date" },
];

pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// A raw finding from a check, turned into a `Misconfig` by the caller.
#[derive(Debug, Clone)]
pub struct Hit {
    pub id: &'static str,
    /// Pointer relative to the object (`/spec/template/spec/containers/0/image`).
    pub pointer: String,
    pub message: String,
    pub container: Option<String>,
}

struct Ctr<'a> {
    name: &'a str,
    v: &'a Value,
    /// Pointer relative to the object.
    ptr: String,
    init: bool,
}

fn containers<'a>(spec: &'a Value, base: &str) -> Vec<Ctr<'a>> {
    let mut out = Vec::new();
    for kind in ["containers", "initContainers", "ephemeralContainers"] {
        if let Some(list) = spec[kind].as_array() {
            for (i, c) in list.iter().enumerate() {
                out.push(Ctr {
                    name: c["name"].as_str().unwrap_or(""),
                    v: c,
                    ptr: format!("{base}/spec/{kind}/{i}"),
                    init: kind != "containers",
                });
            }
        }
    }
    out
}

/// Runs every built-in check on one object.
pub fn check(obj: &Object<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut hit = |id: &'static str, pointer: String, message: String, container: Option<&str>| {
        hits.push(Hit {
            id,
            pointer,
            message,
            container: container.map(str::to_string),
        })
    };

    if obj.namespace == Some("default") {
        hit(
            "SW-K8S-008",
            "/metadata/namespace".into(),
            format!("{} is deployed to the default namespace", obj.display()),
            None,
        );
    }

    match obj.kind {
        "Service" => {
            let spec = &obj.value["spec"];
            if spec["type"].as_str() == Some("NodePort") {
                hit(
                    "SW-K8S-010",
                    "/spec/type".into(),
                    format!("service {} is of type NodePort", obj.name),
                    None,
                );
            }
        }
        "Role" | "ClusterRole" => {
            if let Some(rules) = obj.value["rules"].as_array() {
                for (i, r) in rules.iter().enumerate() {
                    let mut wild = Vec::new();
                    for f in ["verbs", "resources", "apiGroups", "nonResourceURLs"] {
                        if r[f]
                            .as_array()
                            .is_some_and(|a| a.iter().any(|x| x.as_str() == Some("*")))
                        {
                            wild.push(f);
                        }
                    }
                    // apiGroups "*" alone (with explicit resources and verbs) is
                    // common and far less dangerous; flag verbs/resources.
                    if wild.iter().any(|f| *f != "apiGroups") {
                        hit(
                            "SW-K8S-012",
                            format!("/rules/{i}"),
                            format!(
                                "{} rule {} uses \"*\" in {}",
                                obj.display(),
                                i + 1,
                                wild.join(", ")
                            ),
                            None,
                        );
                    }
                }
            }
        }
        "RoleBinding" | "ClusterRoleBinding" => {
            let rr = &obj.value["roleRef"];
            if rr["name"].as_str() == Some("cluster-admin") {
                let subjects: Vec<String> = obj.value["subjects"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|s| {
                                format!(
                                    "{} {}",
                                    s["kind"].as_str().unwrap_or("?"),
                                    s["name"].as_str().unwrap_or("?")
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                hit(
                    "SW-K8S-013",
                    "/roleRef/name".into(),
                    format!(
                        "{} grants cluster-admin to {}",
                        obj.display(),
                        if subjects.is_empty() {
                            "no listed subjects".to_string()
                        } else {
                            subjects.join(", ")
                        }
                    ),
                    None,
                );
            }
        }
        "Ingress" => {
            if let Some(a) = obj.value["metadata"]["annotations"].as_object() {
                for k in a.keys() {
                    let lk = k.to_ascii_lowercase();
                    if lk.contains("ingress.kubernetes.io/") && lk.ends_with("-snippet") {
                        hit(
                            "SW-K8S-014",
                            format!(
                                "/metadata/annotations/{}",
                                k.replace('~', "~0").replace('/', "~1")
                            ),
                            format!("ingress {} sets annotation {k}", obj.name),
                            None,
                        );
                    }
                }
            }
        }
        _ => {}
    }

    let Some(t) = obj.pod_template() else {
        return hits;
    };
    let base = t.pointer.as_str();
    let spec = t.spec;

    if let Some(vols) = spec["volumes"].as_array() {
        for (i, v) in vols.iter().enumerate() {
            let Some(path) = v["hostPath"]["path"].as_str() else {
                continue;
            };
            let vname = v["name"].as_str().unwrap_or("");
            let p = format!("{base}/spec/volumes/{i}/hostPath/path");
            if is_host_root(path) {
                hit(
                    "SW-K8S-002",
                    p,
                    format!("volume {vname:?} mounts the host root filesystem {path:?}"),
                    None,
                );
            } else if is_runtime_socket(path) {
                hit(
                    "SW-K8S-001",
                    p,
                    format!("volume {vname:?} mounts the container runtime socket {path:?}"),
                    None,
                );
            }
        }
    }

    if spec["automountServiceAccountToken"] != Value::Bool(false) {
        let p = if spec["automountServiceAccountToken"].is_null() {
            format!("{base}/spec")
        } else {
            format!("{base}/spec/automountServiceAccountToken")
        };
        hit(
            "SW-K8S-007",
            p,
            format!(
                "{} does not set automountServiceAccountToken: false",
                obj.display()
            ),
            None,
        );
    }

    let long_running = !matches!(obj.kind, "Job" | "CronJob");
    for c in containers(spec, base) {
        let name = Some(c.name);
        let cn = c.name;
        // Ephemeral containers have no resources/probes.
        let ephemeral = c.ptr.contains("/ephemeralContainers/");
        if !ephemeral {
            let lim = &c.v["resources"]["limits"];
            let missing: Vec<&str> = ["cpu", "memory"]
                .into_iter()
                .filter(|k| lim[*k].is_null())
                .collect();
            if !missing.is_empty() {
                hit(
                    "SW-K8S-003",
                    format!("{}/resources", c.ptr),
                    format!("container {cn:?} has no {} limit", missing.join(" or ")),
                    name,
                );
            }
            let req = &c.v["resources"]["requests"];
            let missing: Vec<&str> = ["cpu", "memory"]
                .into_iter()
                .filter(|k| req[*k].is_null() && lim[*k].is_null())
                .collect();
            if !missing.is_empty() {
                hit(
                    "SW-K8S-004",
                    format!("{}/resources", c.ptr),
                    format!("container {cn:?} has no {} request", missing.join(" or ")),
                    name,
                );
            }
        }
        if let Some(image) = c.v["image"].as_str() {
            if let Some(problem) = image_tag_problem(image) {
                hit(
                    "SW-K8S-005",
                    format!("{}/image", c.ptr),
                    format!("container {cn:?} image {image:?} {problem}"),
                    name,
                );
            }
        }
        let sc = &c.v["securityContext"];
        if sc["readOnlyRootFilesystem"] != Value::Bool(true) {
            hit(
                "SW-K8S-006",
                format!("{}/securityContext", c.ptr),
                format!(
                    "container {cn:?} does not set securityContext.readOnlyRootFilesystem=true"
                ),
                name,
            );
        }
        let caps = &sc["capabilities"];
        let has = |list: &Value, want: &[&str]| {
            list.as_array().is_some_and(|a| {
                a.iter()
                    .any(|x| x.as_str().is_some_and(|s| want.contains(&s)))
            })
        };
        if has(&caps["add"], &["NET_RAW", "ALL"]) {
            hit(
                "SW-K8S-009",
                format!("{}/securityContext/capabilities/add", c.ptr),
                format!("container {cn:?} adds NET_RAW"),
                name,
            );
        } else if !has(&caps["drop"], &["NET_RAW", "ALL"]) && sc["privileged"] != Value::Bool(true)
        {
            hit("SW-K8S-009", format!("{}/securityContext", c.ptr), format!("container {cn:?} does not drop NET_RAW (capabilities.drop lacks NET_RAW and ALL)"), name);
        }
        if let Some(env) = c.v["env"].as_array() {
            for (i, e) in env.iter().enumerate() {
                let (Some(k), Some(v)) = (e["name"].as_str(), e["value"].as_str()) else {
                    continue;
                };
                if let Some(why) = secret_env(k, v) {
                    hit(
                        "SW-K8S-011",
                        format!("{}/env/{i}/value", c.ptr),
                        format!("container {cn:?} env {k} {why}"),
                        name,
                    );
                }
            }
        }
        if long_running && !c.init && !ephemeral {
            if c.v["livenessProbe"].is_null() {
                hit(
                    "SW-K8S-015",
                    c.ptr.clone(),
                    format!("container {cn:?} has no livenessProbe"),
                    name,
                );
            }
            if c.v["readinessProbe"].is_null() {
                hit(
                    "SW-K8S-016",
                    c.ptr.clone(),
                    format!("container {cn:?} has no readinessProbe"),
                    name,
                );
            }
        }
    }
    hits
}

fn normalize_path(p: &str) -> String {
    let mut parts = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

fn is_host_root(p: &str) -> bool {
    p.starts_with('/') && normalize_path(p) == "/"
}

fn is_runtime_socket(p: &str) -> bool {
    let n = normalize_path(p);
    const DIRS: &[&str] = &[
        "/var/run",
        "/run",
        "/var/run/docker",
        "/run/docker",
        "/var/run/containerd",
        "/run/containerd",
        "/var/run/crio",
        "/run/crio",
        "/run/podman",
        "/var/run/podman",
        "/var/run/cri-dockerd",
        "/run/cri-dockerd",
    ];
    if DIRS.contains(&n.as_str()) {
        return true;
    }
    let file = n.rsplit('/').next().unwrap_or("");
    file.ends_with(".sock")
        && [
            "docker",
            "containerd",
            "crio",
            "podman",
            "cri-dockerd",
            "dockershim",
        ]
        .iter()
        .any(|r| n.contains(r))
}

/// Why an image reference is mutable, if it is.
pub fn image_tag_problem(image: &str) -> Option<&'static str> {
    if image.contains('@') {
        return None; // pinned by digest
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some("has no tag (defaults to latest)"),
        Some((_, "latest")) => Some("uses the latest tag"),
        Some((_, "")) => Some("has an empty tag"),
        Some(_) => None,
    }
}

const SECRET_NAME_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "AUTH_KEY",
    "CLIENT_KEY",
];

/// Why an env var looks like it carries a literal secret, if it does.
pub fn secret_env(name: &str, value: &str) -> Option<&'static str> {
    let v = value.trim();
    if v.is_empty() || v.starts_with("$(") || v.starts_with("${") {
        return None;
    }
    if looks_like_known_secret(v) {
        return Some("holds a value that looks like a credential");
    }
    let upper = name.to_ascii_uppercase();
    // Names that describe a location of a secret, not the secret itself.
    let is_reference = [
        "_FILE",
        "_PATH",
        "_DIR",
        "_NAME",
        "_URL",
        "_ENDPOINT",
        "_HEADER",
        "_TTL",
        "_LENGTH",
        "_EXPIRY",
        "_EXPIRATION",
        "_TIMEOUT",
        "_ENABLED",
    ]
    .iter()
    .any(|s| upper.ends_with(s));
    let placeholder = matches!(
        v.to_ascii_lowercase().as_str(),
        "true" | "false" | "none" | "null" | "changeme" | "xxx" | "redacted" | "<redacted>" | "***"
    );
    if !is_reference
        && !placeholder
        && v.len() >= 4
        && SECRET_NAME_WORDS.iter().any(|w| upper.contains(w))
    {
        return Some("has a secret-looking name and a literal value");
    }
    None
}

fn looks_like_known_secret(v: &str) -> bool {
    let b = v.as_bytes();
    let alnum_run = |start: usize, n: usize, upper_only: bool| {
        b.get(start..start + n).is_some_and(|s| {
            s.iter().all(|c| {
                if upper_only {
                    c.is_ascii_uppercase() || c.is_ascii_digit()
                } else {
                    c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-'
                }
            })
        })
    };
    (v.starts_with("AKIA") && alnum_run(4, 16, true))
        || (v.starts_with("ASIA") && alnum_run(4, 16, true))
        || (["ghp_", "gho_", "ghs_", "ghu_", "ghr_"]
            .iter()
            .any(|p| v.starts_with(p))
            && alnum_run(4, 30, false))
        || (v.starts_with("github_pat_") && alnum_run(11, 30, false))
        || (v.starts_with("glpat-") && alnum_run(6, 20, false))
        || (["xoxb-", "xoxp-", "xoxa-", "xoxs-"]
            .iter()
            .any(|p| v.starts_with(p))
            && v.len() > 20)
        || (["sk_live_", "rk_live_"].iter().any(|p| v.starts_with(p)) && alnum_run(8, 16, false))
        || v.contains("-----BEGIN") && v.contains("PRIVATE KEY")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags() {
        assert!(image_tag_problem("nginx").is_some());
        assert!(image_tag_problem("nginx:latest").is_some());
        assert!(image_tag_problem("registry:5000/nginx").is_some());
        assert!(image_tag_problem("registry:5000/nginx:1.25").is_none());
        assert!(image_tag_problem("nginx@sha256:abcd").is_none());
    }

    #[test]
    fn host_paths() {
        assert!(is_host_root("/"));
        assert!(is_host_root("//./"));
        assert!(!is_host_root("/data"));
        assert!(is_runtime_socket("/var/run/docker.sock"));
        assert!(is_runtime_socket("/run/containerd/containerd.sock"));
        assert!(is_runtime_socket("/var/run/"));
        assert!(!is_runtime_socket("/var/log"));
    }

    #[test]
    fn secret_envs() {
        assert!(secret_env("DB_PASSWORD", "hunter22").is_some());
        assert!(secret_env("DB_PASSWORD_FILE", "/run/secrets/db").is_none());
        assert!(secret_env("X", "AKIAIOSFODNN7EXAMPLE").is_some());
        assert!(secret_env("LOG_LEVEL", "debug").is_none());
        assert!(secret_env("API_TOKEN", "$(TOKEN_FROM_FILE)").is_none());
    }
}
