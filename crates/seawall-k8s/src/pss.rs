//! Pod Security Standards, as decided by the upstream Pod Security Admission.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// PSS level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PssLevel {
    Privileged,
    Baseline,
    Restricted,
}

/// PSS policy version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PssVersion {
    Latest,
    /// `V(1, minor)`.
    V(u32, u32),
}

/// Level plus version, parsed from `baseline`, `restricted:v1.25`, `baseline:latest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PssSpec {
    pub level: PssLevel,
    pub version: PssVersion,
}

impl FromStr for PssSpec {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || crate::Error::PssSpec(s.to_string());
        let (lvl, ver) = match s.trim().split_once(':') {
            Some((l, v)) => (l, Some(v)),
            None => (s.trim(), None),
        };
        let level = match lvl.to_ascii_lowercase().as_str() {
            "privileged" => PssLevel::Privileged,
            "baseline" => PssLevel::Baseline,
            "restricted" => PssLevel::Restricted,
            _ => return Err(err()),
        };
        let version = match ver {
            None | Some("latest") => PssVersion::Latest,
            Some(v) => {
                let v = v.strip_prefix('v').ok_or_else(err)?;
                let (maj, min) = v.split_once('.').ok_or_else(err)?;
                let maj: u32 = maj.parse().map_err(|_| err())?;
                let min: u32 = min.parse().map_err(|_| err())?;
                if maj != 1 {
                    return Err(err());
                }
                PssVersion::V(maj, min)
            }
        };
        Ok(PssSpec { level, version })
    }
}

impl fmt::Display for PssSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = match self.level {
            PssLevel::Privileged => "privileged",
            PssLevel::Baseline => "baseline",
            PssLevel::Restricted => "restricted",
        };
        match self.version {
            PssVersion::Latest => write!(f, "{l}:latest"),
            PssVersion::V(a, b) => write!(f, "{l}:v{a}.{b}"),
        }
    }
}

/// One forbidden reason of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// PSA check id (`privileged`, `hostPathVolumes`, ...).
    pub check: &'static str,
    /// PSA forbidden reason (`privileged`).
    pub reason: String,
    /// PSA forbidden detail (`container "x" must not set securityContext.privileged=true`).
    pub detail: String,
    /// JSON pointers (relative to the pod spec, or `metadata/...`) of the offending fields.
    pub paths: Vec<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{} ({})", self.reason, self.detail)
        }
    }
}

/// Result of evaluating a pod against a level/version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PssResult {
    pub allowed: bool,
    pub violations: Vec<Violation>,
}

impl PssResult {
    /// PSA-style forbidden reasons, e.g.
    /// `privileged (container "x" must not set securityContext.privileged=true)`.
    pub fn reasons(&self) -> Vec<String> {
        self.violations.iter().map(|v| v.to_string()).collect()
    }
}

/// Newest policy version this evaluator knows; `Latest` means this.
pub const LATEST_MINOR: u32 = 37;

impl PssVersion {
    fn minor(self) -> u32 {
        match self {
            PssVersion::Latest => LATEST_MINOR,
            PssVersion::V(_, m) => m.min(LATEST_MINOR),
        }
    }
}

/// Static description of one PSA check.
#[derive(Debug, Clone, Copy)]
pub struct CheckInfo {
    pub id: &'static str,
    pub level: PssLevel,
    /// First policy minor version (1.x) the check applies to.
    pub since: u32,
    /// Baseline checks this one replaces at the restricted level.
    pub overrides: &'static [&'static str],
    pub title: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
}

const B: PssLevel = PssLevel::Baseline;
const R: PssLevel = PssLevel::Restricted;

/// The 19 PSA checks.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo { id: "windowsHostProcess", level: B, since: 0, overrides: &[], title: "Windows HostProcess containers", why: "HostProcess containers run with privileged access to the Windows node", fix: "remove securityContext.windowsOptions.hostProcess=true" },
    CheckInfo { id: "hostNamespaces", level: B, since: 0, overrides: &[], title: "Host namespaces", why: "sharing the host network, PID or IPC namespace exposes the node and its other workloads", fix: "remove hostNetwork, hostPID and hostIPC (or set them to false)" },
    CheckInfo { id: "privileged", level: B, since: 0, overrides: &[], title: "Privileged containers", why: "a privileged container has all capabilities and device access, equivalent to root on the node", fix: "remove securityContext.privileged=true" },
    CheckInfo { id: "capabilities_baseline", level: B, since: 0, overrides: &[], title: "Non-default capabilities", why: "capabilities beyond the container runtime default widen the kernel attack surface", fix: "add only capabilities from the default set (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT)" },
    CheckInfo { id: "hostPathVolumes", level: B, since: 0, overrides: &[], title: "HostPath volumes", why: "hostPath volumes give the pod direct access to the node filesystem", fix: "replace hostPath volumes with emptyDir, configMap, secret or persistent volumes" },
    CheckInfo { id: "hostPorts", level: B, since: 0, overrides: &[], title: "Host ports", why: "host ports bind directly on the node and bypass network policy", fix: "remove hostPort from container ports; expose the pod through a Service" },
    CheckInfo { id: "appArmorProfile", level: B, since: 0, overrides: &[], title: "AppArmor profile", why: "disabling or overriding the default AppArmor profile removes a confinement layer", fix: "use AppArmor profile type RuntimeDefault or Localhost (annotation runtime/default or localhost/*)" },
    CheckInfo { id: "seLinuxOptions", level: B, since: 0, overrides: &[], title: "SELinux options", why: "custom SELinux users, roles or types can escape container confinement", fix: "leave seLinuxOptions.user and role unset and use type container_t, container_init_t, container_kvm_t or container_engine_t" },
    CheckInfo { id: "procMount", level: B, since: 0, overrides: &[], title: "/proc mount type", why: "an unmasked /proc exposes host kernel information and controls", fix: "remove securityContext.procMount or set it to Default" },
    CheckInfo { id: "seccompProfile_baseline", level: B, since: 0, overrides: &[], title: "Seccomp profile (baseline)", why: "an Unconfined seccomp profile lets the container call every system call", fix: "do not set seccompProfile.type to Unconfined" },
    CheckInfo { id: "sysctls", level: B, since: 0, overrides: &[], title: "Unsafe sysctls", why: "sysctls outside the safe set can disable security mechanisms or affect every pod on the node", fix: "only set namespaced safe sysctls" },
    CheckInfo { id: "hostProbesAndHostLifecycle", level: B, since: 34, overrides: &[], title: "Probe or lifecycle host", why: "a host in a probe or lifecycle handler makes the kubelet connect to arbitrary hosts (SSRF)", fix: "remove the host field from httpGet and tcpSocket probes and lifecycle handlers" },
    CheckInfo { id: "restrictedVolumes", level: R, since: 0, overrides: &["hostPathVolumes"], title: "Restricted volume types", why: "only ephemeral and projected volume types are allowed at the restricted level", fix: "use configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret volumes" },
    CheckInfo { id: "allowPrivilegeEscalation", level: R, since: 8, overrides: &[], title: "Privilege escalation", why: "without allowPrivilegeEscalation=false a process can gain more privileges than its parent (setuid binaries)", fix: "set securityContext.allowPrivilegeEscalation=false on every container" },
    CheckInfo { id: "runAsNonRoot", level: R, since: 0, overrides: &[], title: "Running as non-root", why: "containers running as root are one kernel bug away from root on the node", fix: "set securityContext.runAsNonRoot=true on the pod or on every container" },
    CheckInfo { id: "runAsUser", level: R, since: 23, overrides: &[], title: "Running as UID 0", why: "runAsUser=0 runs the container as root", fix: "set runAsUser to a non-zero UID or leave it unset" },
    CheckInfo { id: "seccompProfile_restricted", level: R, since: 19, overrides: &["seccompProfile_baseline"], title: "Seccomp profile (restricted)", why: "without a seccomp profile the container can call every system call", fix: "set securityContext.seccompProfile.type to RuntimeDefault or Localhost on the pod or every container" },
    CheckInfo { id: "capabilities_restricted", level: R, since: 22, overrides: &["capabilities_baseline"], title: "Capabilities (restricted)", why: "restricted containers must drop all capabilities and may add back only NET_BIND_SERVICE", fix: "set securityContext.capabilities.drop=[\"ALL\"] and add at most NET_BIND_SERVICE" },
    CheckInfo { id: "procMount_restricted", level: R, since: 35, overrides: &["procMount"], title: "/proc mount type (restricted)", why: "an unmasked /proc exposes host kernel information and controls, even in a user namespace", fix: "remove securityContext.procMount or set it to Default" },
];

/// Looks up a check's static description.
pub fn check_info(id: &str) -> Option<&'static CheckInfo> {
    CHECKS.iter().find(|c| c.id == id)
}

/// Ids of the checks that apply at a level and version, in PSA order.
pub fn checks_for(spec: &PssSpec) -> Vec<&'static CheckInfo> {
    let minor = spec.version.minor();
    let applies = |c: &CheckInfo| {
        c.since <= minor
            && match spec.level {
                PssLevel::Privileged => false,
                PssLevel::Baseline => c.level == PssLevel::Baseline,
                PssLevel::Restricted => true,
            }
    };
    let active: Vec<&CheckInfo> = CHECKS.iter().filter(|c| applies(c)).collect();
    let overridden: Vec<&str> = active
        .iter()
        .flat_map(|c| c.overrides.iter().copied())
        .collect();
    active
        .into_iter()
        .filter(|c| !overridden.contains(&c.id))
        .collect()
}

/// Evaluates a pod (metadata + spec, as in an AdmissionReview) with PSA semantics.
pub fn evaluate_pod_spec(pod_meta: &Value, pod_spec: &Value, spec: &PssSpec) -> PssResult {
    let minor = spec.version.minor();
    let pod = Pod {
        meta: pod_meta,
        spec: pod_spec,
    };
    let mut violations = Vec::new();
    for c in checks_for(spec) {
        if let Some(v) = run_check(c.id, &pod, minor) {
            violations.push(v);
        }
    }
    PssResult {
        allowed: violations.is_empty(),
        violations,
    }
}

struct Pod<'a> {
    meta: &'a Value,
    spec: &'a Value,
}

/// A container with its pointer relative to the pod (`spec/containers/0`).
struct Ctr<'a> {
    name: &'a str,
    v: &'a Value,
    path: String,
}

impl Ctr<'_> {
    fn sc(&self) -> &Value {
        &self.v["securityContext"]
    }
}

impl<'a> Pod<'a> {
    fn sc(&self) -> &'a Value {
        &self.spec["securityContext"]
    }
    fn containers(&self) -> Vec<Ctr<'a>> {
        let mut out = Vec::new();
        for kind in ["containers", "initContainers", "ephemeralContainers"] {
            if let Some(list) = self.spec[kind].as_array() {
                for (i, c) in list.iter().enumerate() {
                    out.push(Ctr {
                        name: c["name"].as_str().unwrap_or(""),
                        v: c,
                        path: format!("spec/{kind}/{i}"),
                    });
                }
            }
        }
        out
    }
    fn is_windows(&self) -> bool {
        self.spec["os"]["name"].as_str() == Some("windows")
    }
    fn host_users_false(&self) -> bool {
        self.spec["hostUsers"] == Value::Bool(false)
    }
}

fn truthy(v: &Value) -> bool {
    v == &Value::Bool(true)
}

fn str_of(v: &Value) -> Option<&str> {
    v.as_str()
}

fn quote_join(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural<'s>(one: &'s str, many: &'s str, n: usize) -> &'s str {
    if n == 1 {
        one
    } else {
        many
    }
}

fn sorted_unique(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

fn viol(
    check: &'static str,
    reason: impl Into<String>,
    detail: String,
    paths: Vec<String>,
) -> Violation {
    Violation {
        check,
        reason: reason.into(),
        detail,
        paths,
    }
}

fn containers_detail(names: &[String]) -> String {
    format!(
        "{} {}",
        plural("container", "containers", names.len()),
        quote_join(names)
    )
}

const CAPS_BASELINE: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

const SYSCTLS_V1_0: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
];
const SYSCTLS_V1_27: &[&str] = &["net.ipv4.ip_local_reserved_ports"];
const SYSCTLS_V1_29: &[&str] = &[
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const SYSCTLS_V1_32: &[&str] = &["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];
const SYSCTLS_V1_37: &[&str] = &[
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

fn sysctl_allowed(name: &str, minor: u32) -> bool {
    SYSCTLS_V1_0.contains(&name)
        || (minor >= 27 && SYSCTLS_V1_27.contains(&name))
        || (minor >= 29 && SYSCTLS_V1_29.contains(&name))
        || (minor >= 32 && SYSCTLS_V1_32.contains(&name))
        || (minor >= 37 && SYSCTLS_V1_37.contains(&name))
}

/// Volume sources allowed at the restricted level.
const RESTRICTED_VOLUMES_OK: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];
/// Volume sources forbidden at the restricted level, in PSA's order.
const RESTRICTED_VOLUMES_BAD: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

fn present(v: &Value) -> bool {
    !v.is_null()
}

fn run_check(id: &str, pod: &Pod<'_>, minor: u32) -> Option<Violation> {
    match id {
        "windowsHostProcess" => windows_host_process(pod),
        "hostNamespaces" => host_namespaces(pod),
        "privileged" => privileged(pod),
        "capabilities_baseline" => capabilities_baseline(pod),
        "hostPathVolumes" => host_path_volumes(pod),
        "hostPorts" => host_ports(pod),
        "appArmorProfile" => app_armor(pod),
        "seLinuxOptions" => se_linux(pod, minor),
        "procMount" => {
            if minor >= 35 && pod.host_users_false() {
                None
            } else {
                proc_mount(pod, "procMount")
            }
        }
        "procMount_restricted" => proc_mount(pod, "procMount_restricted"),
        "seccompProfile_baseline" => {
            if minor >= 19 {
                seccomp_baseline_fields(pod)
            } else {
                seccomp_baseline_annotations(pod)
            }
        }
        "sysctls" => sysctls(pod, minor),
        "hostProbesAndHostLifecycle" => host_probes(pod),
        "restrictedVolumes" => restricted_volumes(pod),
        "allowPrivilegeEscalation" => {
            if minor >= 25 && pod.is_windows() {
                None
            } else {
                allow_privilege_escalation(pod)
            }
        }
        "runAsNonRoot" => {
            if minor >= 35 && pod.host_users_false() {
                None
            } else {
                run_as_non_root(pod)
            }
        }
        "runAsUser" => {
            if minor >= 35 && pod.host_users_false() {
                None
            } else {
                run_as_user(pod)
            }
        }
        "seccompProfile_restricted" => {
            if minor >= 25 && pod.is_windows() {
                None
            } else {
                seccomp_restricted(pod)
            }
        }
        "capabilities_restricted" => {
            if minor >= 25 && pod.is_windows() {
                None
            } else {
                capabilities_restricted(pod)
            }
        }
        _ => None,
    }
}

fn windows_host_process(pod: &Pod<'_>) -> Option<Violation> {
    let mut names = Vec::new();
    let mut paths = Vec::new();
    for c in pod.containers() {
        if truthy(&c.sc()["windowsOptions"]["hostProcess"]) {
            names.push(c.name.to_string());
            paths.push(format!(
                "{}/securityContext/windowsOptions/hostProcess",
                c.path
            ));
        }
    }
    let pod_set = truthy(&pod.sc()["windowsOptions"]["hostProcess"]);
    if pod_set {
        paths.insert(
            0,
            "spec/securityContext/windowsOptions/hostProcess".to_string(),
        );
    }
    if names.is_empty() && !pod_set {
        return None;
    }
    let mut who = Vec::new();
    if pod_set {
        who.push("pod".to_string());
    }
    if !names.is_empty() {
        who.push(containers_detail(&names));
    }
    Some(viol(
        "windowsHostProcess",
        "hostProcess",
        format!(
            "{} must not set securityContext.windowsOptions.hostProcess=true",
            who.join(" and ")
        ),
        paths,
    ))
}

fn host_namespaces(pod: &Pod<'_>) -> Option<Violation> {
    let mut set = Vec::new();
    let mut paths = Vec::new();
    for f in ["hostNetwork", "hostPID", "hostIPC"] {
        if truthy(&pod.spec[f]) {
            set.push(format!("{f}=true"));
            paths.push(format!("spec/{f}"));
        }
    }
    if set.is_empty() {
        return None;
    }
    Some(viol(
        "hostNamespaces",
        "host namespaces",
        set.join(", "),
        paths,
    ))
}

fn privileged(pod: &Pod<'_>) -> Option<Violation> {
    let mut names = Vec::new();
    let mut paths = Vec::new();
    for c in pod.containers() {
        if truthy(&c.sc()["privileged"]) {
            names.push(c.name.to_string());
            paths.push(format!("{}/securityContext/privileged", c.path));
        }
    }
    if names.is_empty() {
        return None;
    }
    Some(viol(
        "privileged",
        "privileged",
        format!(
            "{} must not set securityContext.privileged=true",
            containers_detail(&names)
        ),
        paths,
    ))
}

fn cap_list(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn capabilities_baseline(pod: &Pod<'_>) -> Option<Violation> {
    let mut names = Vec::new();
    let mut caps = Vec::new();
    let mut paths = Vec::new();
    for c in pod.containers() {
        let bad: Vec<String> = cap_list(&c.sc()["capabilities"]["add"])
            .into_iter()
            .filter(|cap| !CAPS_BASELINE.contains(&cap.as_str()))
            .collect();
        if !bad.is_empty() {
            names.push(c.name.to_string());
            paths.push(format!("{}/securityContext/capabilities/add", c.path));
            caps.extend(bad);
        }
    }
    if names.is_empty() {
        return None;
    }
    let caps = sorted_unique(caps);
    Some(viol(
        "capabilities_baseline",
        "non-default capabilities",
        format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_detail(&names),
            quote_join(&caps)
        ),
        paths,
    ))
}

fn volumes<'a>(pod: &Pod<'a>) -> Vec<(usize, &'a Value)> {
    pod.spec["volumes"]
        .as_array()
        .map(|a| a.iter().enumerate().collect())
        .unwrap_or_default()
}

fn host_path_volumes(pod: &Pod<'_>) -> Option<Violation> {
    let mut names = Vec::new();
    let mut paths = Vec::new();
    for (i, v) in volumes(pod) {
        if present(&v["hostPath"]) {
            names.push(v["name"].as_str().unwrap_or("").to_string());
            paths.push(format!("spec/volumes/{i}/hostPath"));
        }
    }
    if names.is_empty() {
        return None;
    }
    Some(viol(
        "hostPathVolumes",
        "hostPath volumes",
        format!(
            "{} {}",
            plural("volume", "volumes", names.len()),
            quote_join(&names)
        ),
        paths,
    ))
}

fn restricted_volumes(pod: &Pod<'_>) -> Option<Violation> {
    let mut names = Vec::new();
    let mut types = Vec::new();
    let mut paths = Vec::new();
    for (i, v) in volumes(pod) {
        if RESTRICTED_VOLUMES_OK.iter().any(|k| present(&v[*k])) {
            continue;
        }
        if let Some(bad) = RESTRICTED_VOLUMES_BAD.iter().find(|k| present(&v[**k])) {
            names.push(v["name"].as_str().unwrap_or("").to_string());
            types.push(bad.to_string());
            paths.push(format!("spec/volumes/{i}/{bad}"));
        }
    }
    if names.is_empty() {
        return None;
    }
    let types = sorted_unique(types);
    Some(viol(
        "restrictedVolumes",
        "restricted volume types",
        format!(
            "{} {} {} {} {}",
            plural("volume", "volumes", names.len()),
            quote_join(&names),
            plural("uses", "use", names.len()),
            plural(
                "restricted volume type",
                "restricted volume types",
                types.len()
            ),
            quote_join(&types)
        ),
        paths,
    ))
}

fn host_ports(pod: &Pod<'_>) -> Option<Violation> {
    let mut names = Vec::new();
    let mut ports = Vec::new();
    let mut paths = Vec::new();
    for c in pod.containers() {
        let mut bad = false;
        if let Some(list) = c.v["ports"].as_array() {
            for (i, p) in list.iter().enumerate() {
                let hp = &p["hostPort"];
                let nonzero = match hp {
                    Value::Number(n) => n.as_f64() != Some(0.0),
                    Value::Null => false,
                    Value::String(s) => !s.is_empty() && s != "0",
                    _ => true,
                };
                if nonzero {
                    bad = true;
                    ports.push(match hp {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
                    paths.push(format!("{}/ports/{i}/hostPort", c.path));
                }
            }
        }
        if bad {
            names.push(c.name.to_string());
        }
    }
    if names.is_empty() {
        return None;
    }
    Some(viol(
        "hostPorts",
        "hostPort",
        format!(
            "{} {} {} {}",
            containers_detail(&names),
            plural("uses", "use", names.len()),
            plural("hostPort", "hostPorts", ports.len()),
            ports.join(", ")
        ),
        paths,
    ))
}

fn app_armor(pod: &Pod<'_>) -> Option<Violation> {
    let allowed_type = |t: &Value| matches!(t.as_str(), Some("RuntimeDefault" | "Localhost"));
    let mut setters = Vec::new();
    let mut values = Vec::new();
    let mut paths = Vec::new();
    let pod_prof = &pod.sc()["appArmorProfile"];
    if present(pod_prof) && !allowed_type(&pod_prof["type"]) {
        setters.push("pod".to_string());
        values.push(pod_prof["type"].as_str().unwrap_or("").to_string());
        paths.push("spec/securityContext/appArmorProfile/type".to_string());
    }
    let mut names = Vec::new();
    for c in pod.containers() {
        let p = &c.sc()["appArmorProfile"];
        if present(p) && !allowed_type(&p["type"]) {
            names.push(c.name.to_string());
            values.push(p["type"].as_str().unwrap_or("").to_string());
            paths.push(format!("{}/securityContext/appArmorProfile/type", c.path));
        }
    }
    if !names.is_empty() {
        setters.push(containers_detail(&names));
    }
    let mut values = sorted_unique(values);
    let mut annots = Vec::new();
    if let Some(a) = pod.meta["annotations"].as_object() {
        for (k, v) in a {
            if !k.starts_with("container.apparmor.security.beta.kubernetes.io/") {
                continue;
            }
            let val = v.as_str().unwrap_or("");
            if !(val.is_empty() || val == "runtime/default" || val.starts_with("localhost/")) {
                annots.push(format!("{k}={val:?}"));
                paths.push(format!(
                    "metadata/annotations/{}",
                    k.replace('~', "~0").replace('/', "~1")
                ));
            }
        }
    }
    if !annots.is_empty() {
        annots.sort();
        setters.push(plural("annotation", "annotations", annots.len()).to_string());
        values.extend(annots);
    }
    if setters.is_empty() {
        return None;
    }
    Some(viol(
        "appArmorProfile",
        plural(
            "forbidden AppArmor profile",
            "forbidden AppArmor profiles",
            values.len(),
        ),
        format!(
            "{} must not set AppArmor profile type to {}",
            setters.join(" and "),
            quote_join(&values)
        ),
        paths,
    ))
}

fn se_linux(pod: &Pod<'_>, minor: u32) -> Option<Violation> {
    let type_ok = |t: &str| {
        matches!(
            t,
            "" | "container_t" | "container_init_t" | "container_kvm_t"
        ) || (minor >= 31 && t == "container_engine_t")
    };
    let mut bad_types = Vec::new();
    let mut user_set = false;
    let mut role_set = false;
    let mut setters = Vec::new();
    let mut paths = Vec::new();
    let mut check = |opts: &Value, path: String| -> bool {
        if !present(opts) {
            return false;
        }
        let mut bad = false;
        let t = opts["type"].as_str().unwrap_or("");
        if !type_ok(t) {
            bad_types.push(t.to_string());
            paths.push(format!("{path}/type"));
            bad = true;
        }
        if !opts["user"].as_str().unwrap_or("").is_empty() {
            user_set = true;
            paths.push(format!("{path}/user"));
            bad = true;
        }
        if !opts["role"].as_str().unwrap_or("").is_empty() {
            role_set = true;
            paths.push(format!("{path}/role"));
            bad = true;
        }
        bad
    };
    if check(
        &pod.sc()["seLinuxOptions"],
        "spec/securityContext/seLinuxOptions".to_string(),
    ) {
        setters.push("pod".to_string());
    }
    let mut names = Vec::new();
    for c in pod.containers() {
        if check(
            &c.sc()["seLinuxOptions"],
            format!("{}/securityContext/seLinuxOptions", c.path),
        ) {
            names.push(c.name.to_string());
        }
    }
    if !names.is_empty() {
        setters.push(containers_detail(&names));
    }
    if setters.is_empty() {
        return None;
    }
    let mut what = Vec::new();
    let bad_types = sorted_unique(bad_types);
    if !bad_types.is_empty() {
        what.push(format!(
            "{} {}",
            plural("type", "types", bad_types.len()),
            quote_join(&bad_types)
        ));
    }
    if user_set {
        what.push("user may not be set".to_string());
    }
    if role_set {
        what.push("role may not be set".to_string());
    }
    Some(viol(
        "seLinuxOptions",
        "seLinuxOptions",
        format!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            setters.join(" and "),
            what.join("; ")
        ),
        paths,
    ))
}

fn proc_mount(pod: &Pod<'_>, check: &'static str) -> Option<Violation> {
    let mut names = Vec::new();
    let mut types = Vec::new();
    let mut paths = Vec::new();
    for c in pod.containers() {
        let pm = &c.sc()["procMount"];
        if present(pm) && pm.as_str() != Some("Default") {
            names.push(c.name.to_string());
            types.push(
                pm.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| pm.to_string()),
            );
            paths.push(format!("{}/securityContext/procMount", c.path));
        }
    }
    if names.is_empty() {
        return None;
    }
    let types = sorted_unique(types);
    Some(viol(
        check,
        "procMount",
        format!(
            "{} must not set securityContext.procMount to {}",
            containers_detail(&names),
            quote_join(&types)
        ),
        paths,
    ))
}

fn seccomp_baseline_annotations(pod: &Pod<'_>) -> Option<Violation> {
    let mut forbidden = Vec::new();
    let mut paths = Vec::new();
    if let Some(a) = pod.meta["annotations"].as_object() {
        let pod_key = "seccomp.security.alpha.kubernetes.io/pod";
        let ctr_prefix = "container.seccomp.security.alpha.kubernetes.io/";
        for (k, v) in a {
            if (k == pod_key || k.starts_with(ctr_prefix)) && v.as_str() == Some("unconfined") {
                forbidden.push(format!("{k}=\"unconfined\""));
                paths.push(format!(
                    "metadata/annotations/{}",
                    k.replace('~', "~0").replace('/', "~1")
                ));
            }
        }
    }
    if forbidden.is_empty() {
        return None;
    }
    forbidden.sort();
    Some(viol(
        "seccompProfile_baseline",
        "seccompProfile",
        format!(
            "forbidden {} {}",
            plural("annotation", "annotations", forbidden.len()),
            forbidden.join(", ")
        ),
        paths,
    ))
}

fn seccomp_baseline_fields(pod: &Pod<'_>) -> Option<Violation> {
    let mut setters = Vec::new();
    let mut paths = Vec::new();
    if pod.sc()["seccompProfile"]["type"].as_str() == Some("Unconfined") {
        setters.push("pod".to_string());
        paths.push("spec/securityContext/seccompProfile/type".to_string());
    }
    let mut names = Vec::new();
    for c in pod.containers() {
        if c.sc()["seccompProfile"]["type"].as_str() == Some("Unconfined") {
            names.push(c.name.to_string());
            paths.push(format!("{}/securityContext/seccompProfile/type", c.path));
        }
    }
    if !names.is_empty() {
        setters.push(containers_detail(&names));
    }
    if setters.is_empty() {
        return None;
    }
    Some(viol(
        "seccompProfile_baseline",
        "seccompProfile",
        format!(
            "{} must not set securityContext.seccompProfile.type to \"Unconfined\"",
            setters.join(" and ")
        ),
        paths,
    ))
}

fn sysctls(pod: &Pod<'_>, minor: u32) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut paths = Vec::new();
    if let Some(list) = pod.sc()["sysctls"].as_array() {
        for (i, s) in list.iter().enumerate() {
            let name = str_of(&s["name"]).unwrap_or("");
            if !sysctl_allowed(name, minor) {
                bad.push(name.to_string());
                paths.push(format!("spec/securityContext/sysctls/{i}/name"));
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    Some(viol("sysctls", "forbidden sysctls", bad.join(", "), paths))
}

fn host_probes(pod: &Pod<'_>) -> Option<Violation> {
    let mut names = Vec::new();
    let mut hosts = Vec::new();
    let mut paths = Vec::new();
    for c in pod.containers() {
        let mut bad = false;
        let handlers = [
            ("livenessProbe", &c.v["livenessProbe"]),
            ("readinessProbe", &c.v["readinessProbe"]),
            ("startupProbe", &c.v["startupProbe"]),
            ("lifecycle/postStart", &c.v["lifecycle"]["postStart"]),
            ("lifecycle/preStop", &c.v["lifecycle"]["preStop"]),
        ];
        for (hname, h) in handlers {
            for kind in ["httpGet", "tcpSocket"] {
                if let Some(host) = h[kind]["host"].as_str() {
                    if !host.is_empty() {
                        bad = true;
                        hosts.push(host.to_string());
                        paths.push(format!("{}/{hname}/{kind}/host", c.path));
                    }
                }
            }
        }
        if bad {
            names.push(c.name.to_string());
        }
    }
    if names.is_empty() {
        return None;
    }
    let names = sorted_unique(names);
    let hosts = sorted_unique(hosts);
    Some(viol(
        "hostProbesAndHostLifecycle",
        "probe or lifecycle host",
        format!(
            "{} {} {} {}",
            containers_detail(&names),
            plural("uses", "use", names.len()),
            plural(
                "probe or lifecycle host",
                "probe or lifecycle hosts",
                hosts.len()
            ),
            quote_join(&hosts)
        ),
        paths,
    ))
}

fn allow_privilege_escalation(pod: &Pod<'_>) -> Option<Violation> {
    let mut names = Vec::new();
    let mut paths = Vec::new();
    for c in pod.containers() {
        if c.sc()["allowPrivilegeEscalation"] != Value::Bool(false) {
            names.push(c.name.to_string());
            paths.push(format!(
                "{}/securityContext/allowPrivilegeEscalation",
                c.path
            ));
        }
    }
    if names.is_empty() {
        return None;
    }
    Some(viol(
        "allowPrivilegeEscalation",
        "allowPrivilegeEscalation != false",
        format!(
            "{} must set securityContext.allowPrivilegeEscalation=false",
            containers_detail(&names)
        ),
        paths,
    ))
}

fn run_as_non_root(pod: &Pod<'_>) -> Option<Violation> {
    let pod_val = &pod.sc()["runAsNonRoot"];
    let mut bad_setters = Vec::new();
    let mut paths = Vec::new();
    if pod_val == &Value::Bool(false) {
        bad_setters.push("pod".to_string());
        paths.push("spec/securityContext/runAsNonRoot".to_string());
    }
    let pod_true = truthy(pod_val);
    let mut explicit = Vec::new();
    let mut implicit = Vec::new();
    for c in pod.containers() {
        let v = &c.sc()["runAsNonRoot"];
        match v {
            Value::Bool(false) => {
                explicit.push(c.name.to_string());
                paths.push(format!("{}/securityContext/runAsNonRoot", c.path));
            }
            Value::Bool(true) => {}
            _ => {
                if !pod_true {
                    implicit.push(c.name.to_string());
                    paths.push(format!("{}/securityContext/runAsNonRoot", c.path));
                }
            }
        }
    }
    if !explicit.is_empty() {
        bad_setters.push(containers_detail(&explicit));
    }
    let mut detail = Vec::new();
    if !bad_setters.is_empty() {
        detail.push(format!(
            "{} must not set securityContext.runAsNonRoot=false",
            bad_setters.join(" and ")
        ));
    }
    if !implicit.is_empty() {
        detail.push(format!(
            "pod or {} must set securityContext.runAsNonRoot=true",
            containers_detail(&implicit)
        ));
    }
    if detail.is_empty() {
        return None;
    }
    Some(viol(
        "runAsNonRoot",
        "runAsNonRoot != true",
        detail.join("; "),
        paths,
    ))
}

fn is_zero(v: &Value) -> bool {
    matches!(v, Value::Number(n) if n.as_f64() == Some(0.0))
}

fn run_as_user(pod: &Pod<'_>) -> Option<Violation> {
    let mut setters = Vec::new();
    let mut paths = Vec::new();
    if is_zero(&pod.sc()["runAsUser"]) {
        setters.push("pod".to_string());
        paths.push("spec/securityContext/runAsUser".to_string());
    }
    let mut names = Vec::new();
    for c in pod.containers() {
        if is_zero(&c.sc()["runAsUser"]) {
            names.push(c.name.to_string());
            paths.push(format!("{}/securityContext/runAsUser", c.path));
        }
    }
    if !names.is_empty() {
        setters.push(containers_detail(&names));
    }
    if setters.is_empty() {
        return None;
    }
    Some(viol(
        "runAsUser",
        "runAsUser=0",
        format!("{} must not set runAsUser=0", setters.join(" and ")),
        paths,
    ))
}

fn seccomp_restricted(pod: &Pod<'_>) -> Option<Violation> {
    let ok = |t: &Value| matches!(t.as_str(), Some("RuntimeDefault" | "Localhost"));
    let pod_prof = &pod.sc()["seccompProfile"];
    let pod_ok = present(pod_prof) && ok(&pod_prof["type"]);
    let mut setters = Vec::new();
    let mut values = Vec::new();
    let mut paths = Vec::new();
    if present(pod_prof) && !pod_ok {
        setters.push("pod".to_string());
        values.push(pod_prof["type"].as_str().unwrap_or("").to_string());
        paths.push("spec/securityContext/seccompProfile/type".to_string());
    }
    let mut explicit = Vec::new();
    let mut implicit = Vec::new();
    for c in pod.containers() {
        let p = &c.sc()["seccompProfile"];
        if present(p) {
            if !ok(&p["type"]) {
                explicit.push(c.name.to_string());
                values.push(p["type"].as_str().unwrap_or("").to_string());
                paths.push(format!("{}/securityContext/seccompProfile/type", c.path));
            }
        } else if !pod_ok {
            implicit.push(c.name.to_string());
            paths.push(format!("{}/securityContext/seccompProfile", c.path));
        }
    }
    if !explicit.is_empty() {
        setters.push(containers_detail(&explicit));
    }
    let mut detail = Vec::new();
    if !setters.is_empty() {
        let values = sorted_unique(values);
        detail.push(format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            setters.join(" and "),
            quote_join(&values)
        ));
    }
    if !implicit.is_empty() {
        detail.push(format!(
            "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
            containers_detail(&implicit)
        ));
    }
    if detail.is_empty() {
        return None;
    }
    Some(viol(
        "seccompProfile_restricted",
        "seccompProfile",
        detail.join("; "),
        paths,
    ))
}

fn capabilities_restricted(pod: &Pod<'_>) -> Option<Violation> {
    let mut no_drop = Vec::new();
    let mut bad_add = Vec::new();
    let mut caps = Vec::new();
    let mut paths = Vec::new();
    for c in pod.containers() {
        let caps_v = &c.sc()["capabilities"];
        if !cap_list(&caps_v["drop"]).iter().any(|d| d == "ALL") {
            no_drop.push(c.name.to_string());
            paths.push(format!("{}/securityContext/capabilities/drop", c.path));
        }
        let bad: Vec<String> = cap_list(&caps_v["add"])
            .into_iter()
            .filter(|cap| cap != "NET_BIND_SERVICE")
            .collect();
        if !bad.is_empty() {
            bad_add.push(c.name.to_string());
            paths.push(format!("{}/securityContext/capabilities/add", c.path));
            caps.extend(bad);
        }
    }
    let mut detail = Vec::new();
    if !no_drop.is_empty() {
        detail.push(format!(
            "{} must set securityContext.capabilities.drop=[\"ALL\"]",
            containers_detail(&no_drop)
        ));
    }
    if !bad_add.is_empty() {
        let caps = sorted_unique(caps);
        detail.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_detail(&bad_add),
            quote_join(&caps)
        ));
    }
    if detail.is_empty() {
        return None;
    }
    Some(viol(
        "capabilities_restricted",
        "unrestricted capabilities",
        detail.join("; "),
        paths,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(spec: Value, level: &str) -> PssResult {
        evaluate_pod_spec(&json!({}), &spec, &level.parse().unwrap())
    }

    #[test]
    fn parse_spec() {
        let s: PssSpec = "restricted:v1.25".parse().unwrap();
        assert_eq!(s.level, PssLevel::Restricted);
        assert_eq!(s.version, PssVersion::V(1, 25));
        assert_eq!(
            "baseline:latest".parse::<PssSpec>().unwrap().version,
            PssVersion::Latest
        );
        assert!("root".parse::<PssSpec>().is_err());
        assert!("baseline:1.2".parse::<PssSpec>().is_err());
    }

    #[test]
    fn privileged_reason_matches_psa() {
        let r = eval(
            json!({"containers": [{"name": "x", "securityContext": {"privileged": true}}]}),
            "baseline",
        );
        assert!(!r.allowed);
        assert_eq!(
            r.reasons(),
            vec!["privileged (container \"x\" must not set securityContext.privileged=true)"]
        );
        assert!(eval(json!({"containers": [{"name": "x"}]}), "baseline").allowed);
        assert!(
            eval(
                json!({"containers": [{"name": "x", "securityContext": {"privileged": true}}]}),
                "privileged"
            )
            .allowed
        );
    }

    #[test]
    fn restricted_overrides_baseline_checks() {
        let ids: Vec<_> = checks_for(&"restricted:v1.37".parse().unwrap())
            .iter()
            .map(|c| c.id)
            .collect();
        assert!(!ids.contains(&"hostPathVolumes"));
        assert!(!ids.contains(&"procMount"));
        assert!(ids.contains(&"procMount_restricted"));
        let ids: Vec<_> = checks_for(&"restricted:v1.18".parse().unwrap())
            .iter()
            .map(|c| c.id)
            .collect();
        assert!(ids.contains(&"seccompProfile_baseline"));
        let ids: Vec<_> = checks_for(&"restricted:v1.7".parse().unwrap())
            .iter()
            .map(|c| c.id)
            .collect();
        assert!(!ids.contains(&"allowPrivilegeEscalation"));
    }
}
