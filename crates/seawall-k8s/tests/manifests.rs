//! Manifest handling end to end: streams, lists, workload kinds, JSON, line
//! numbers, waivers, and clear errors with bounded time and memory on bad input.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use seawall_k8s::{check_file, check_str, Error, Options};

fn builtin() -> Options {
    Options {
        builtin_checks: true,
        today: Some("2026-06-01".to_string()),
        ..Options::default()
    }
}

fn pss(level: &str) -> Options {
    Options {
        pss: Some(level.parse().unwrap()),
        ..Options::default()
    }
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("seawall-k8s-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

const POD_SPEC: &str = "containers:
- name: c
  image: busybox:1.36
  securityContext:
    privileged: true
";

fn indent(s: &str, n: usize) -> String {
    s.lines()
        .map(|l| format!("{}{l}\n", " ".repeat(n)))
        .collect()
}

#[test]
fn every_workload_kind_reaches_the_pod_spec_with_lines() {
    let cases = [
        ("v1", "Pod", "spec:\n".to_string() + &indent(POD_SPEC, 2)),
        (
            "apps/v1",
            "Deployment",
            format!("spec:\n  template:\n    spec:\n{}", indent(POD_SPEC, 6)),
        ),
        (
            "apps/v1",
            "StatefulSet",
            format!("spec:\n  template:\n    spec:\n{}", indent(POD_SPEC, 6)),
        ),
        (
            "apps/v1",
            "DaemonSet",
            format!("spec:\n  template:\n    spec:\n{}", indent(POD_SPEC, 6)),
        ),
        (
            "apps/v1",
            "ReplicaSet",
            format!("spec:\n  template:\n    spec:\n{}", indent(POD_SPEC, 6)),
        ),
        (
            "v1",
            "ReplicationController",
            format!("spec:\n  template:\n    spec:\n{}", indent(POD_SPEC, 6)),
        ),
        (
            "batch/v1",
            "Job",
            format!("spec:\n  template:\n    spec:\n{}", indent(POD_SPEC, 6)),
        ),
        (
            "batch/v1",
            "CronJob",
            format!(
                "spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n{}",
                indent(POD_SPEC, 10)
            ),
        ),
        (
            "v1",
            "PodTemplate",
            format!("template:\n  spec:\n{}", indent(POD_SPEC, 4)),
        ),
    ];
    for (api, kind, body) in cases {
        let text = format!("apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: x\n{body}");
        let ms = check_str("k.yaml", &text, &pss("baseline")).unwrap();
        assert_eq!(ms.len(), 1, "{kind}: {ms:#?}");
        assert_eq!(ms[0].id, "PSS-privileged");
        assert_eq!(ms[0].object.as_deref(), Some(format!("{kind}/x").as_str()));
        let want = text
            .lines()
            .position(|l| l.contains("privileged: true"))
            .unwrap()
            + 1;
        assert_eq!(ms[0].line as usize, want, "{kind}");
    }
}

#[test]
fn streams_lists_and_json() {
    let text = "---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec: {hostPID: true, containers: [{name: c, image: x}]}\n---\n# empty document\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec:\n  hostIPC: true\n  containers: [{name: c, image: x}]\n";
    let ms = check_str("s.yaml", text, &pss("baseline")).unwrap();
    let got: Vec<_> = ms
        .iter()
        .map(|m| (m.object.clone().unwrap(), m.line))
        .collect();
    assert_eq!(
        got,
        vec![("Pod/a".to_string(), 8), ("Pod/b".to_string(), 16)]
    );

    let json = r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"},
 "spec": {"containers": [{"name": "c", "image": "x",
   "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]}}"#;
    let ms = check_str("p.json", json, &pss("baseline")).unwrap();
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0].id, "PSS-capabilities_baseline");
    assert_eq!(ms[0].line, 3);
}

#[test]
fn pss_levels_and_versions_are_honoured() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: x}]\n";
    assert!(check_str("p.yaml", text, &pss("baseline"))
        .unwrap()
        .is_empty());
    assert!(check_str("p.yaml", text, &pss("privileged"))
        .unwrap()
        .is_empty());
    let ids: Vec<String> = check_str("p.yaml", text, &pss("restricted:v1.7"))
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(ids, vec!["PSS-runAsNonRoot"]);
    let n = check_str("p.yaml", text, &pss("restricted:latest"))
        .unwrap()
        .len();
    assert_eq!(
        n, 4,
        "runAsNonRoot, allowPrivilegeEscalation, seccomp, capabilities"
    );
}

#[test]
fn non_workload_and_custom_resources_are_accepted() {
    let text = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: shop}\nspec: {}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: m, namespace: shop}\n";
    assert!(check_str("c.yaml", text, &builtin()).unwrap().is_empty());
}

#[test]
fn waivers_suppress_and_expired_waivers_are_reported() {
    let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  namespace: shop\n  annotations:\n    seawall.dev/ignore: \"SW-K8S-010 reason=legacy load balancer expires=2026-12-31\"\nspec: {type: NodePort}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n  namespace: shop\n  annotations:\n    seawall.dev/ignore: \"SW-K8S-010 reason=legacy expires=2026-01-31\"\nspec: {type: NodePort}\n";
    let ms = check_str("w.yaml", text, &builtin()).unwrap();
    let got: Vec<_> = ms
        .iter()
        .map(|m| (m.id.as_str(), m.object.as_deref().unwrap(), m.line))
        .collect();
    assert_eq!(
        got,
        vec![
            ("SW-K8S-017", "Service/b", 16),
            ("SW-K8S-010", "Service/b", 17)
        ]
    );
    assert!(
        ms[0].message.contains("expired on 2026-01-31"),
        "{}",
        ms[0].message
    );

    // The same file with a waiver file instead.
    let wf = tmp("waivers.yaml");
    std::fs::write(
        &wf,
        "waivers:\n- id: SW-K8S-010\n  object: Service/b\n  reason: migrating\n  expires: 2026-07-01\n- ids: [SW-K8S-0*]\n  file: \"*.yaml\"\n  object: Service/c\n",
    )
    .unwrap();
    let text2 = text.replace("seawall.dev/ignore", "other");
    let mut o = builtin();
    o.waiver_file = Some(wf.clone());
    let ms = check_str("w.yaml", &text2, &o).unwrap();
    let ids: Vec<_> = ms
        .iter()
        .map(|m| (m.id.as_str(), m.object.as_deref().unwrap()))
        .collect();
    assert_eq!(ids, vec![("SW-K8S-010", "Service/a")]);
    o.today = Some("2026-07-02".to_string());
    let ms = check_str("w.yaml", &text2, &o).unwrap();
    let ids: Vec<_> = ms.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, vec!["SW-K8S-010", "SW-K8S-010", "SW-K8S-017"]);
    assert!(
        ms[2].message.contains("waivers.yaml:2"),
        "{}",
        ms[2].message
    );

    std::fs::write(&wf, "waivers:\n- id: X\n  expires: tomorrow\n").unwrap();
    let e = check_str("w.yaml", text, &o).unwrap_err().to_string();
    assert!(e.contains("invalid expires"), "{e}");
}

#[test]
fn malformed_yaml_is_a_clear_error() {
    let e = check_str(
        "bad.yaml",
        "apiVersion: v1\nkind: Pod\nspec: [a, b\n",
        &builtin(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Yaml { .. }), "{e:?}");
    let s = e.to_string();
    assert!(s.starts_with("bad.yaml:"), "{s}");
    assert!(s.contains("invalid yaml"), "{s}");

    let e = check_str("s.yaml", "just a string\n", &builtin())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a kubernetes object"), "{e}");
    let e = check_str(
        "s.yaml",
        "apiVersion: v1\nmetadata: {name: x}\n",
        &builtin(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("missing kind"), "{e}");
}

#[test]
fn unknown_kinds_are_a_clear_error() {
    let e = check_str(
        "k.yaml",
        "apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: x}\n",
        &builtin(),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "k.yaml:1: unknown kind \"Deploymnet\" for apiVersion \"apps/v1\" (document 1)"
    );
}

#[test]
fn pod_specs_of_the_wrong_shape_are_a_clear_error() {
    let err = |text: &str| {
        check_str("s.yaml", text, &pss("baseline"))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers: 5\n"),
        "s.yaml:5: Pod/x: spec.containers must be a list of containers, found a number"
    );
    assert_eq!(
        err("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: nginx\n        securityContext: [privileged]\n"),
        "s.yaml:10: Deployment/d: spec.template.spec.containers[0].securityContext must be a mapping, found a list"
    );
    assert_eq!(
        err("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - nginx\n"),
        "s.yaml:6: Pod/x: spec.containers[0] must be a container (a mapping), found a string"
    );
    // absent and null fields are fine
    assert!(check_str(
        "s.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  volumes: null\n  containers:\n  - name: a\n    image: nginx:1.27\n",
        &pss("baseline"),
    )
    .is_ok());
}

#[test]
fn billion_laughs_is_refused_quickly() {
    let mut t = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let mut prev = 'a';
    for c in 'b'..='i' {
        t.push_str(&format!("  {c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
        prev = c;
    }
    let start = Instant::now();
    let e = check_str("lol.yaml", &t, &builtin())
        .unwrap_err()
        .to_string();
    assert!(e.contains("alias bomb"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn deep_nesting_is_refused() {
    let t = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep}}\ndata: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let e = check_str("deep.yaml", &t, &builtin())
        .unwrap_err()
        .to_string();
    // Either our depth limit or the parser's own recursion limit.
    assert!(
        e.contains("nesting deeper") || e.contains("recursion limit"),
        "{e}"
    );
    assert!(e.starts_with("deep.yaml:"), "{e}");
}

#[test]
fn fifty_megabyte_file_is_refused_without_reading_it() {
    let p = tmp("big.yaml");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
        let line = "# padding padding padding padding padding padding padding padding\n";
        let mut written = 0usize;
        while written < 50 * 1024 * 1024 {
            f.write_all(line.as_bytes()).unwrap();
            written += line.len();
        }
    }
    let start = Instant::now();
    let e = check_file(&p, &builtin()).unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e:?}");
    assert!(e.to_string().contains("larger than"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(5));
    std::fs::remove_file(&p).ok();
    // Text handed over in memory is bounded the same way.
    let big = "#".repeat(17 * 1024 * 1024);
    assert!(matches!(
        check_str("mem.yaml", &big, &builtin()),
        Err(Error::TooLarge { .. })
    ));
}

#[test]
fn missing_file_names_the_path() {
    let e = check_file(std::path::Path::new("/nonexistent/x.yaml"), &builtin())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("cannot read /nonexistent/x.yaml"), "{e}");
}
