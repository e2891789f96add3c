//! Container context: the container id from cgroup path components, the
//! container metadata from the runtime (`podman inspect`, or the OCI
//! bundle's `config.json`/`state.json`), and user names from the
//! container's own `/etc/passwd`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use seawall_event::{ContainerInfo, GroupEntry, Mount, UserEntry};

/// Prefixes runtimes put in front of a 64-hex container id in cgroup names.
const PREFIXES: &[(&str, &str)] = &[
    ("libpod-conmon-", ""),
    ("libpod-", "podman"),
    ("docker-", "docker"),
    ("crio-conmon-", ""),
    ("crio-", "cri-o"),
    ("cri-containerd-", "containerd"),
    ("containerd-", "containerd"),
    ("", ""),
];

fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
}

/// Container id and runtime hint for one cgroup name component, e.g.
/// `libpod-<64hex>.scope`, `docker-<64hex>.scope`, a bare `<64hex>`
/// (cgroupfs layouts of docker and Kubernetes). A 32-hex name (systemd
/// machine or sandbox ids) is not a container. `libpod-conmon-*` is the
/// monitor outside the container and is not one either.
pub fn container_id_from_component(name: &str) -> Option<(String, &'static str)> {
    let base = name.strip_suffix(".scope").unwrap_or(name);
    for (prefix, runtime) in PREFIXES {
        if let Some(rest) = base.strip_prefix(prefix) {
            if prefix.contains("conmon") {
                return None;
            }
            if is_hex64(rest) {
                return Some((rest.to_string(), runtime));
            }
        }
    }
    None
}

/// Container id from cgroup path components ordered leaf first (as the
/// kernel reports them); the innermost matching component wins, so a
/// nested `.../libpod-<id>/container` layout still resolves.
pub fn container_id_from_components(leaf_first: &[String]) -> Option<(String, &'static str)> {
    leaf_first
        .iter()
        .find_map(|c| container_id_from_component(c))
}

/// Container id from a `/proc/<pid>/cgroup` text (v1 and v2 lines).
pub fn container_id_from_proc_cgroup(text: &str) -> Option<(String, &'static str)> {
    for line in text.lines() {
        let path = line.splitn(3, ':').nth(2).unwrap_or("");
        let comps: Vec<String> = path.rsplit('/').map(str::to_string).collect();
        if let Some(hit) = container_id_from_components(&comps) {
            return Some(hit);
        }
    }
    None
}

/// Falco's `container.id`: the first 12 characters of the full id.
pub fn short_id(full: &str) -> String {
    full.get(..12).unwrap_or(full).to_string()
}

/// Metadata for a container id: `podman inspect` first (name, image,
/// privileged, mounts, labels), then the OCI runtime state, so a container
/// always gets at least its id and whatever the bundle says.
///
/// The returned `id` is the short (12 character) id, as Falco's
/// `container.id`; events carry the same short id.
pub fn lookup(id: &str, runtime_hint: &str, pid: Option<u32>) -> ContainerInfo {
    let mut info = lookup_full(id, runtime_hint, pid);
    info.id = short_id(&info.id);
    info
}

fn lookup_full(id: &str, runtime_hint: &str, pid: Option<u32>) -> ContainerInfo {
    // Kubernetes nodes: ask the CRI runtime first (containerd, CRI-O).
    let cri_first = matches!(runtime_hint, "containerd" | "cri-o");
    if cri_first {
        if let Some(info) = crictl_inspect(id, runtime_hint) {
            return info;
        }
    }
    if let Some(mut info) = podman_inspect(id) {
        if info.runtime.is_empty() {
            info.runtime = "podman".into();
        }
        return info;
    }
    if !cri_first {
        if let Some(info) = crictl_inspect(id, runtime_hint) {
            return info;
        }
    }
    let mut info = oci_state(id).unwrap_or_else(|| ContainerInfo {
        id: id.to_string(),
        ..Default::default()
    });
    if info.runtime.is_empty() {
        info.runtime = runtime_hint.to_string();
    }
    if info.name.is_empty() {
        if let Some(pid) = pid {
            if let Ok(h) = std::fs::read_to_string(format!("/proc/{pid}/root/etc/hostname")) {
                info.name = h.trim().to_string();
            }
        }
    }
    info
}

fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Option<Vec<u8>> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        use std::io::Read;
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let start = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let out = reader.join().ok()?;
                return status.success().then_some(out);
            }
            Ok(None) if start.elapsed() < timeout => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

fn podman_inspect(id: &str) -> Option<ContainerInfo> {
    let mut cmd = Command::new("podman");
    cmd.args(["container", "inspect", "--format", "json", id]);
    let out = run_with_timeout(cmd, Duration::from_secs(5))?;
    parse_podman_inspect(&out)
}

/// `crictl inspect -o json ID` (the CRI ContainerStatus, verbose), when
/// crictl is installed; its runtime endpoint comes from
/// `/etc/crictl.yaml` or `CONTAINER_RUNTIME_ENDPOINT` as usual.
fn crictl_inspect(id: &str, runtime_hint: &str) -> Option<ContainerInfo> {
    let mut cmd = Command::new("crictl");
    cmd.args(["inspect", "-o", "json", id]);
    let out = run_with_timeout(cmd, Duration::from_secs(5))?;
    let mut info = parse_crictl_inspect(&out)?;
    if info.runtime.is_empty() {
        info.runtime = if runtime_hint.is_empty() {
            "cri".into()
        } else {
            runtime_hint.to_string()
        };
    }
    Some(info)
}

/// Parse `crictl inspect -o json` output: `status` is the CRI
/// ContainerStatus (metadata, image, imageRef, labels, mounts, createdAt),
/// `info` the runtime's verbose info (containerd keeps privileged under
/// `config.linux.security_context`, CRI-O at the top level or in the
/// runtime spec). Kubernetes names come from the CRI labels, as in Falco.
pub fn parse_crictl_inspect(json: &[u8]) -> Option<ContainerInfo> {
    let v: serde_json::Value = serde_json::from_slice(json).ok()?;
    let st = v.get("status")?;
    let s = |p: &str| {
        st.pointer(p)
            .and_then(|x| x.as_str())
            .unwrap_or("")
            .to_string()
    };
    let id = s("/id");
    if id.is_empty() {
        return None;
    }
    let mut info = ContainerInfo {
        id,
        name: s("/metadata/name"),
        ..Default::default()
    };
    if let Some(labels) = st.get("labels").and_then(|m| m.as_object()) {
        for (k, v) in labels.iter().take(256) {
            if let Some(v) = v.as_str() {
                info.labels.insert(k.clone(), v.to_string());
            }
        }
    }
    if info.name.is_empty() {
        if let Some(n) = info.labels.get("io.kubernetes.container.name") {
            info.name = n.clone();
        }
    }
    let image = s("/image/image");
    let image_ref = s("/imageRef");
    if let Some((_, d)) = image_ref.split_once('@') {
        info.image_digest = d.to_string();
    } else if image_ref.starts_with("sha256:") {
        info.image_digest = image_ref.clone();
    }
    let image = if image.is_empty() || image.starts_with("sha256:") {
        image_ref.split('@').next().unwrap_or("").to_string()
    } else {
        image
    };
    let (repo, tag) = split_image(&image);
    info.image_repository = repo;
    info.image_tag = tag;
    info.image = image;
    if let Some(mounts) = st.get("mounts").and_then(|m| m.as_array()) {
        for m in mounts.iter().take(256) {
            let g = |k: &str| m.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
            let ro = m.get("readonly").and_then(|x| x.as_bool()).unwrap_or(false);
            let prop = g("propagation");
            info.mounts.push(Mount {
                source: g("hostPath"),
                dest: g("containerPath"),
                mode: if ro { "ro".into() } else { "rw".into() },
                rw: !ro,
                propagation: match prop.as_str() {
                    "PROPAGATION_PRIVATE" => "private".into(),
                    "PROPAGATION_HOST_TO_CONTAINER" => "rslave".into(),
                    "PROPAGATION_BIDIRECTIONAL" => "rshared".into(),
                    _ => prop.to_ascii_lowercase(),
                },
            });
        }
    }
    if let Some(ts) = st.get("createdAt") {
        info.start_ts = match ts {
            serde_json::Value::String(t) => t
                .parse::<u64>()
                .ok()
                .or_else(|| parse_rfc3339_ns(t))
                .unwrap_or(0),
            serde_json::Value::Number(n) => n.as_u64().unwrap_or(0),
            _ => 0,
        };
    }
    let priv_at = |p: &str| v.pointer(p).and_then(|x| x.as_bool());
    info.privileged = priv_at("/info/config/linux/security_context/privileged")
        .or_else(|| priv_at("/info/privileged"))
        .or_else(|| priv_at("/info/runtimeSpec/annotations/io.kubernetes.cri-o.Privileged"))
        .or_else(|| {
            v.pointer("/info/runtimeSpec/annotations/io.kubernetes.cri-o.Privileged")
                .and_then(|x| x.as_str())
                .map(|x| x == "true")
        })
        .unwrap_or(false);
    Some(info)
}

/// Parse `podman container inspect` JSON output (an array of one object).
pub fn parse_podman_inspect(json: &[u8]) -> Option<ContainerInfo> {
    let v: serde_json::Value = serde_json::from_slice(json).ok()?;
    let c = v.as_array().and_then(|a| a.first()).unwrap_or(&v);
    let s = |p: &str| {
        c.pointer(p)
            .and_then(|x| x.as_str())
            .unwrap_or("")
            .to_string()
    };
    let id = s("/Id");
    if id.is_empty() {
        return None;
    }
    let mut image = s("/ImageName");
    if image.is_empty() {
        image = s("/Config/Image");
    }
    let mut info = ContainerInfo {
        id,
        name: s("/Name").trim_start_matches('/').to_string(),
        image_digest: s("/ImageDigest"),
        privileged: c
            .pointer("/HostConfig/Privileged")
            .and_then(|x| x.as_bool())
            .unwrap_or(false),
        ..Default::default()
    };
    let (repo, tag) = split_image(&image);
    info.image_repository = repo;
    info.image_tag = tag;
    info.image = image;
    if let Some(mounts) = c.pointer("/Mounts").and_then(|m| m.as_array()) {
        for m in mounts.iter().take(256) {
            let g = |k: &str| m.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
            info.mounts.push(Mount {
                source: g("Source"),
                dest: g("Destination"),
                mode: g("Mode"),
                rw: m.get("RW").and_then(|x| x.as_bool()).unwrap_or(false),
                propagation: g("Propagation"),
            });
        }
    }
    if let Some(labels) = c.pointer("/Config/Labels").and_then(|m| m.as_object()) {
        for (k, v) in labels.iter().take(256) {
            if let Some(v) = v.as_str() {
                info.labels.insert(k.clone(), v.to_string());
            }
        }
    }
    if let Some(ts) = c.pointer("/State/StartedAt").and_then(|x| x.as_str()) {
        info.start_ts = parse_rfc3339_ns(ts).unwrap_or(0);
    }
    let ip = s("/NetworkSettings/IPAddress");
    if !ip.is_empty() {
        info.ip = Some(ip);
    }
    Some(info)
}

/// Split an image reference into repository and tag (digest references
/// keep an empty tag).
pub fn split_image(image: &str) -> (String, String) {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last_slash = no_digest.rfind('/').map(|i| i + 1).unwrap_or(0);
    match no_digest[last_slash..].rfind(':') {
        Some(i) => (
            no_digest[..last_slash + i].to_string(),
            no_digest[last_slash + i + 1..].to_string(),
        ),
        None => (no_digest.to_string(), String::new()),
    }
}

/// `2024-05-01T10:00:00.123456789Z` or with a numeric offset (podman
/// prints `2024-05-01 10:00:00.1 +0000 UTC` too).
fn parse_rfc3339_ns(s: &str) -> Option<u64> {
    let s = s.trim();
    let date = s.get(0..10)?;
    let time = s.get(11..19)?;
    let mut d = date.split('-').map(|x| x.parse::<i64>());
    let (y, mo, da) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let mut t = time.split(':').map(|x| x.parse::<i64>());
    let (h, mi, se) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    let mut frac_ns = 0i64;
    if let Some(rest) = s.get(19..) {
        if let Some(f) = rest.strip_prefix('.') {
            let digits: String = f.chars().take_while(|c| c.is_ascii_digit()).collect();
            let padded = format!("{digits:0<9}");
            frac_ns = padded.get(0..9)?.parse().ok()?;
        }
    }
    // days from civil (Howard Hinnant)
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = if y2 >= 0 { y2 } else { y2 - 399 } / 400;
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + da - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    let secs = days * 86400 + h * 3600 + mi * 60 + se;
    u64::try_from(secs)
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(frac_ns as u64)
}

/// OCI runtime state: `/run/runc/<id>/state.json` (or crun's) gives the
/// bundle; its `config.json` gives mounts, privileges and annotations.
fn oci_state(id: &str) -> Option<ContainerInfo> {
    let roots = [
        "/run/runc",
        "/run/crun",
        "/run/containerd/runc/k8s.io",
        "/run/docker/runtime-runc/moby",
    ];
    for root in roots {
        let state_path = Path::new(root).join(id).join("state.json");
        let Ok(text) = std::fs::read(&state_path) else {
            continue;
        };
        let Ok(state) = serde_json::from_slice::<serde_json::Value>(&text) else {
            continue;
        };
        let bundle = state
            .pointer("/config/labels")
            .and_then(|l| l.as_array())
            .and_then(|l| {
                l.iter()
                    .filter_map(|x| x.as_str())
                    .find_map(|x| x.strip_prefix("bundle=").map(str::to_string))
            })
            .or_else(|| {
                state
                    .get("bundle")
                    .and_then(|b| b.as_str())
                    .map(str::to_string)
            });
        let mut info = ContainerInfo {
            id: id.to_string(),
            ..Default::default()
        };
        if let Some(bundle) = bundle {
            if let Ok(cfg) = std::fs::read(Path::new(&bundle).join("config.json")) {
                if let Ok(cfg) = serde_json::from_slice::<serde_json::Value>(&cfg) {
                    apply_oci_config(&mut info, &cfg);
                }
            }
        }
        return Some(info);
    }
    None
}

fn apply_oci_config(info: &mut ContainerInfo, cfg: &serde_json::Value) {
    let ann = cfg.get("annotations").and_then(|a| a.as_object());
    let get = |k: &str| {
        ann.and_then(|a| a.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    if let Some(n) =
        get("io.kubernetes.cri.container-name").or_else(|| get("io.kubernetes.container.name"))
    {
        info.name = n;
    }
    if let Some(i) =
        get("io.kubernetes.cri.image-name").or_else(|| get("io.kubernetes.cri-o.ImageName"))
    {
        let (r, t) = split_image(&i);
        info.image = i;
        info.image_repository = r;
        info.image_tag = t;
    }
    let mut labels = BTreeMap::new();
    for (k, key) in [
        ("io.kubernetes.pod.name", "io.kubernetes.cri.sandbox-name"),
        (
            "io.kubernetes.pod.namespace",
            "io.kubernetes.cri.sandbox-namespace",
        ),
        ("io.kubernetes.pod.uid", "io.kubernetes.cri.sandbox-uid"),
    ] {
        if let Some(v) = get(key) {
            labels.insert(k.to_string(), v);
        }
    }
    info.labels = labels;
    if let Some(mounts) = cfg.get("mounts").and_then(|m| m.as_array()) {
        for m in mounts.iter().take(256) {
            let opts: Vec<&str> = m
                .get("options")
                .and_then(|o| o.as_array())
                .map(|o| o.iter().filter_map(|x| x.as_str()).collect())
                .unwrap_or_default();
            info.mounts.push(Mount {
                source: m
                    .get("source")
                    .and_then(|x| x.as_str())
                    .unwrap_or("")
                    .to_string(),
                dest: m
                    .get("destination")
                    .and_then(|x| x.as_str())
                    .unwrap_or("")
                    .to_string(),
                mode: String::new(),
                rw: !opts.contains(&"ro"),
                propagation: opts
                    .iter()
                    .find(|o| {
                        o.ends_with("private") || o.ends_with("shared") || o.ends_with("slave")
                    })
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
            });
        }
    }
    // Privileged containers get every capability in the bounding set.
    let caps = cfg
        .pointer("/process/capabilities/bounding")
        .and_then(|c| c.as_array())
        .map(|c| c.len())
        .unwrap_or(0);
    info.privileged = caps >= 38;
}

/// Users from a passwd file text.
pub fn parse_passwd(text: &str, container_id: Option<&str>) -> Vec<UserEntry> {
    text.lines()
        .take(10_000)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(UserEntry {
                name: f.first()?.to_string(),
                uid: f.get(2)?.parse().ok()?,
                gid: f.get(3)?.parse().unwrap_or(0),
                home: f.get(5).unwrap_or(&"").to_string(),
                shell: f.get(6).unwrap_or(&"").to_string(),
                container_id: container_id.map(str::to_string),
            })
        })
        .collect()
}

/// Groups from a group file text.
pub fn parse_group(text: &str, container_id: Option<&str>) -> Vec<GroupEntry> {
    text.lines()
        .take(10_000)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(GroupEntry {
                name: f.first()?.to_string(),
                gid: f.get(2)?.parse().ok()?,
                container_id: container_id.map(str::to_string),
            })
        })
        .collect()
}

/// Read at most 1 MiB of a file below a process's root.
pub fn read_small(path: &Path) -> Option<String> {
    use std::io::Read;
    let f = std::fs::File::open(path).ok()?;
    let mut s = String::new();
    f.take(1 << 20).read_to_string(&mut s).ok()?;
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "4f2b8c1d0e9a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c";

    #[test]
    fn ids_from_runtime_cgroup_names() {
        for name in [
            format!("libpod-{ID}"),
            format!("libpod-{ID}.scope"),
            format!("docker-{ID}.scope"),
            format!("crio-{ID}.scope"),
            format!("cri-containerd-{ID}.scope"),
            ID.to_string(),
        ] {
            assert_eq!(
                container_id_from_component(&name).map(|x| x.0).as_deref(),
                Some(ID),
                "{name}"
            );
        }
        assert_eq!(
            container_id_from_component(&format!("libpod-{ID}"))
                .unwrap()
                .1,
            "podman"
        );
    }

    #[test]
    fn non_containers() {
        // this machine's own sandbox cgroup: 32 hex
        assert!(container_id_from_component("25a733adf69d0c427886b7bf35faff62").is_none());
        assert!(container_id_from_component(&format!("libpod-conmon-{ID}.scope")).is_none());
        assert!(container_id_from_component("user.slice").is_none());
        assert!(container_id_from_component(&ID.to_uppercase()).is_none());
        assert!(container_id_from_component(&ID[..63]).is_none());
    }

    #[test]
    fn proc_cgroup_v1_and_v2() {
        let v1 = format!("4:memory:/libpod_parent/libpod-{ID}\n1:cpu:/\n0::/\n");
        assert_eq!(container_id_from_proc_cgroup(&v1).unwrap().0, ID);
        let v2 = format!("0::/machine.slice/libpod-{ID}.scope/container\n");
        assert_eq!(container_id_from_proc_cgroup(&v2).unwrap().0, ID);
        let host = "4:memory:/process_api/25a733adf69d0c427886b7bf35faff62\n0::/\n";
        assert!(container_id_from_proc_cgroup(host).is_none());
    }

    #[test]
    fn images() {
        assert_eq!(
            split_image("localhost/sw-test:latest"),
            ("localhost/sw-test".into(), "latest".into())
        );
        assert_eq!(
            split_image("registry:5000/a/b"),
            ("registry:5000/a/b".into(), String::new())
        );
        assert_eq!(
            split_image("nginx@sha256:abc"),
            ("nginx".into(), String::new())
        );
    }

    #[test]
    fn inspect_json() {
        let j = format!(
            r#"[{{"Id":"{ID}","Name":"web","ImageName":"localhost/sw:1","HostConfig":{{"Privileged":true}},
            "Mounts":[{{"Source":"/data","Destination":"/d","RW":true,"Propagation":"rprivate"}}],
            "State":{{"StartedAt":"2024-01-02T03:04:05.5Z"}}}}]"#
        );
        let c = parse_podman_inspect(j.as_bytes()).unwrap();
        assert_eq!(c.name, "web");
        assert_eq!(c.image_repository, "localhost/sw");
        assert!(c.privileged);
        assert_eq!(c.mounts[0].dest, "/d");
        assert_eq!(c.start_ts, 1_704_164_645_500_000_000);
        assert!(parse_podman_inspect(b"[]").is_none());
        assert!(parse_crictl_inspect(b"{}").is_none());
        assert!(parse_crictl_inspect(b"garbage").is_none());
        assert!(parse_podman_inspect(b"garbage").is_none());
    }

    #[test]
    fn passwd() {
        let u = parse_passwd(
            "root:x:0:0:root:/root:/bin/sh\nbad\nnobody:x:65534:65534::/:/sbin/nologin\n",
            Some("c"),
        );
        assert_eq!(u.len(), 2);
        assert_eq!(u[1].name, "nobody");
        assert_eq!(u[1].container_id.as_deref(), Some("c"));
    }

    /// The shape `crictl inspect -o json` prints for a containerd pod
    /// container (trimmed).
    #[test]
    fn crictl_inspect_containerd() {
        let j = r#"{
          "status": {
            "id": "3ad7b26ded6d0a1f7c7c1b3b2c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f",
            "metadata": {"attempt": 0, "name": "nginx"},
            "state": "CONTAINER_RUNNING",
            "createdAt": "2026-11-29T10:00:00.5Z",
            "image": {"annotations": {}, "image": "docker.io/library/nginx:1.25"},
            "imageRef": "docker.io/library/nginx@sha256:aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999",
            "labels": {
              "io.kubernetes.container.name": "nginx",
              "io.kubernetes.pod.name": "web-7d4b9c",
              "io.kubernetes.pod.namespace": "shop",
              "io.kubernetes.pod.uid": "5f0c9c0e-1111-2222-3333-444455556666"
            },
            "mounts": [
              {"containerPath": "/var/run/secrets/kubernetes.io/serviceaccount",
               "hostPath": "/var/lib/kubelet/pods/x/volumes/kube-api-access",
               "propagation": "PROPAGATION_PRIVATE", "readonly": true},
              {"containerPath": "/host", "hostPath": "/",
               "propagation": "PROPAGATION_HOST_TO_CONTAINER", "readonly": false}
            ]
          },
          "info": {
            "sandboxID": "abc", "pid": 4242,
            "config": {"linux": {"security_context": {"privileged": true}}}
          }
        }"#;
        let c = parse_crictl_inspect(j.as_bytes()).unwrap();
        assert_eq!(short_id(&c.id), "3ad7b26ded6d");
        assert_eq!(c.name, "nginx");
        assert_eq!(c.image, "docker.io/library/nginx:1.25");
        assert_eq!(c.image_repository, "docker.io/library/nginx");
        assert_eq!(c.image_tag, "1.25");
        assert!(c.image_digest.starts_with("sha256:aaaa"));
        assert!(c.privileged);
        assert_eq!(c.labels["io.kubernetes.pod.namespace"], "shop");
        assert_eq!(c.mounts.len(), 2);
        assert_eq!(c.mounts[0].mode, "ro");
        assert!(!c.mounts[0].rw);
        assert_eq!(c.mounts[1].dest, "/host");
        assert_eq!(c.mounts[1].propagation, "rslave");
        assert!(c.mounts[1].rw);
        assert_eq!(c.start_ts, 1_795_946_400_500_000_000);
    }

    /// CRI-O: privileged at the top of `info`, image by id only.
    #[test]
    fn crictl_inspect_crio() {
        let j = r#"{"status": {"id": "ffee", "metadata": {"name": "app"},
            "image": {"image": "sha256:1234"},
            "imageRef": "quay.io/acme/app@sha256:9999", "labels": {}},
          "info": {"privileged": false}}"#;
        let c = parse_crictl_inspect(j.as_bytes()).unwrap();
        assert_eq!(c.image, "quay.io/acme/app");
        assert_eq!(c.image_digest, "sha256:9999");
        assert!(!c.privileged);
    }
}
