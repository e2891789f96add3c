//! Custom policies: the CEL (ValidatingAdmissionPolicy) and Rego examples
//! under examples/policies fire on violating manifests and stay silent on
//! compliant ones; broken policies are clear errors.

use std::path::PathBuf;

use seawall_k8s::{check_str, Options, Severity};

fn opts() -> Options {
    Options {
        policy_dir: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/policies")),
        ..Options::default()
    }
}

const BAD: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: prod
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: api
        image: docker.io/library/nginx:1.27
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  labels: {team: sre}
spec:
  hostAliases: [{ip: 10.0.0.1, hostnames: [db]}]
  containers: [{name: c, image: registry.example.com/tools:1}]
";

const GOOD: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: prod
  labels: {team: payments}
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: api
        image: registry.example.com/api:2.1.0
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: prod}
spec: {ports: [{port: 80}]}
";

#[test]
fn cel_and_rego_examples_fire() {
    let ms = check_str("bad.yaml", BAD, &opts()).unwrap();
    let mut got: Vec<_> = ms
        .iter()
        .map(|m| (m.id.as_str(), m.object.as_deref().unwrap(), m.line))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("ORG-001", "Deployment/api", 1),
            ("ORG-002", "Deployment/api", 1),
            ("ORG-003", "Deployment/api", 1),
            ("REGO-seawall.hostaliases", "Pod/debug", 14),
        ],
        "{ms:#?}"
    );
    let org2 = ms.iter().find(|m| m.id == "ORG-002").unwrap();
    assert_eq!(org2.severity, Severity::High);
    assert_eq!(org2.message, "images must come from registry.example.com");
    let org3 = ms.iter().find(|m| m.id == "ORG-003").unwrap();
    assert!(org3.message.contains("runs 1 replica"), "{}", org3.message);
}

#[test]
fn compliant_manifests_stay_silent() {
    let ms = check_str("good.yaml", GOOD, &opts()).unwrap();
    assert!(ms.is_empty(), "{ms:#?}");
}

#[test]
fn policy_findings_can_be_waived() {
    let text = BAD.replace(
        "  namespace: prod\n",
        "  namespace: prod\n  annotations:\n    seawall.dev/ignore: \"ORG-001,ORG-002,ORG-003 reason=migration\"\n",
    );
    let ms = check_str("bad.yaml", &text, &opts()).unwrap();
    assert_eq!(ms.len(), 1, "{ms:#?}");
}

fn dir_with(name: &str, content: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("seawall-k8s-pol-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(name), content).unwrap();
    d
}

#[test]
fn broken_policies_are_clear_errors() {
    let d = dir_with(
        "bad.yaml",
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: broken}\nspec:\n  validations:\n  - expression: \"object.metadata.name ==\"\n",
    );
    let o = Options {
        policy_dir: Some(d),
        ..Options::default()
    };
    let e = check_str("x.yaml", GOOD, &o).unwrap_err().to_string();
    assert!(
        e.contains("bad.yaml") && e.contains("invalid CEL expression"),
        "{e}"
    );

    let d = dir_with("bad.rego", "package x\ndeny contains msg if {\n");
    let o = Options {
        policy_dir: Some(d),
        ..Options::default()
    };
    let e = check_str("x.yaml", GOOD, &o).unwrap_err().to_string();
    assert!(e.contains("bad.rego") && e.contains("invalid rego"), "{e}");
}
