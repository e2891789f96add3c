//! Audit of the OCI / Docker image configuration JSON.
//!
//! Only the fields the checks need are modelled; unknown fields are ignored,
//! and Docker's `container_config` is not read (it describes the build
//! container, not the image).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;
use seawall_types::{Misconfig, Severity};
use serde::Deserialize;

use crate::scanner::{is_placeholder_text, redact};
use crate::{Error, SecretMatch, SecretScanner};

/// The parts of an image config (`application/vnd.oci.image.config.v1+json`
/// or Docker's `container.image.v1+json`) the audit reads.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ImageConfig {
    #[serde(default)]
    pub config: Option<RunConfig>,
    #[serde(default)]
    pub history: Vec<History>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunConfig {
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub env: Option<Vec<String>>,
    #[serde(default)]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    pub healthcheck: Option<Healthcheck>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Healthcheck {
    #[serde(default)]
    pub test: Option<Vec<String>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct History {
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub empty_layer: Option<bool>,
}

impl ImageConfig {
    pub fn parse(json: &[u8]) -> Result<Self, Error> {
        serde_json::from_slice(json).map_err(|e| Error::Config(e.to_string()))
    }
    fn run(&self) -> RunConfig {
        self.config.clone().unwrap_or_default()
    }
}

fn builtin_scanner() -> &'static SecretScanner {
    static S: OnceLock<SecretScanner> = OnceLock::new();
    S.get_or_init(SecretScanner::builtin)
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).unwrap_or_else(|e| unreachable!("static regex: {e}")))
}

/// Names of variables that hold secrets: `DB_PASSWORD`, `API_KEY`,
/// `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`...; not `*_FILE`/`*_PATH`.
fn secret_name(name: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    static NOT: OnceLock<Regex> = OnceLock::new();
    let r = re(
        &R,
        r"(?i)(?:^|_)(?:PASSWORD|PASSWD|PASS|PWD|SECRET|SECRET_KEY|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|AUTH_?TOKEN)(?:_|$)",
    );
    let not = re(
        &NOT,
        r"(?i)(?:_FILE|_PATH|_DIR|_URL|_HOST|_USER|_NAME|_LENGTH|_TTL|_TIMEOUT|_ENABLED|_METHOD)$",
    );
    r.is_match(name) && !not.is_match(name) && !name.eq_ignore_ascii_case("PWD")
}

/// A `NAME=value` pair whose name says secret and whose value looks set.
fn secret_assignment(name: &str, value: &str) -> bool {
    let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
    secret_name(name)
        && v.len() >= 4
        && !v.starts_with('/')
        && !v.starts_with('$')
        && !v.contains("${")
        && !is_placeholder_text(v)
        && !matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "false" | "none" | "null" | "yes" | "no" | "disabled" | "enabled"
        )
}

/// `|N K=V K2=V2 cmd` (build args recorded before a RUN) and `ARG K=V`.
fn history_args(created_by: &str) -> Vec<(String, String)> {
    static PIPE: OnceLock<Regex> = OnceLock::new();
    static ARG: OnceLock<Regex> = OnceLock::new();
    let mut out = Vec::new();
    let s = created_by.trim_start();
    let s = s.strip_prefix("RUN ").unwrap_or(s).trim_start();
    let pipe = re(&PIPE, r"^\|(\d{1,3}) ");
    if let Some(c) = pipe.captures(s) {
        let n: usize = c.get(1).and_then(|m| m.as_str().parse().ok()).unwrap_or(0);
        let rest = s
            .get(c.get(0).map(|m| m.end()).unwrap_or(0)..)
            .unwrap_or("");
        for tok in rest.split(' ').take(n) {
            if let Some((k, v)) = tok.split_once('=') {
                out.push((k.to_string(), v.to_string()));
            }
        }
    }
    let arg = re(
        &ARG,
        r"(?:^|#\(nop\)\s+)ARG\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)",
    );
    for c in arg.captures_iter(created_by) {
        if let (Some(k), Some(v)) = (c.get(1), c.get(2)) {
            out.push((k.as_str().to_string(), v.as_str().to_string()));
        }
    }
    out
}

fn is_env_instruction(created_by: &str) -> bool {
    let t = created_by.trim_start();
    t.starts_with("ENV ") || t.contains("#(nop) ENV ") || t.contains("#(nop)  ENV ")
}

/// Secrets in the config: every Env entry, every history `created_by`, and
/// every label, through the scanner's rules, plus variables whose name says
/// secret (`DB_PASSWORD=...`, rule id `config-secret-variable`).
pub fn scan_config_secrets(
    config_json: &[u8],
    scanner: &SecretScanner,
) -> Result<Vec<SecretMatch>, Error> {
    let cfg = ImageConfig::parse(config_json)?;
    Ok(config_secrets(&cfg, scanner))
}

fn named_match(location: &str, line: u32, name: &str, value: &str) -> SecretMatch {
    let red = redact(value.as_bytes());
    SecretMatch {
        rule_id: "config-secret-variable".into(),
        category: "Generic".into(),
        severity: Severity::High,
        title: "Secret-named variable with a value in the image config".into(),
        path: location.to_string(),
        line,
        redacted: red.clone(),
        context: format!("{name}={red}"),
        layer: None,
        deleted_in_layer: None,
    }
}

fn config_secrets(cfg: &ImageConfig, scanner: &SecretScanner) -> Vec<SecretMatch> {
    let run = cfg.run();
    let mut out = Vec::new();
    for (i, e) in run.env.iter().flatten().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let mut found = scanner.scan_text("config:Env", e);
        for m in &mut found {
            m.line = line;
        }
        if found.is_empty() {
            if let Some((k, v)) = e.split_once('=') {
                if secret_assignment(k, v) {
                    found.push(named_match("config:Env", line, k, v));
                }
            }
        }
        out.extend(found);
    }
    for (i, h) in cfg.history.iter().enumerate() {
        let Some(cb) = h.created_by.as_deref() else {
            continue;
        };
        let loc = format!("config:history[{i}]");
        let mut found = scanner.scan_text(&loc, cb);
        if found.is_empty() && !is_env_instruction(cb) {
            for (k, v) in history_args(cb) {
                if secret_assignment(&k, &v) {
                    found.push(named_match(&loc, 1, &k, &v));
                }
            }
        }
        out.extend(found);
    }
    for (i, (k, v)) in run.labels.iter().flatten().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let mut found = scanner.scan_text("config:Labels", &format!("{k}={v}"));
        for m in &mut found {
            m.line = line;
        }
        out.extend(found);
    }
    out
}

/// Audits an image config with the builtin secret rules. `image_ref` is the
/// reference the user scanned (`nginx:latest`, `registry/app@sha256:..`),
/// used for the `:latest` check and as the findings' `file`.
pub fn audit_config(config_json: &[u8], image_ref: Option<&str>) -> Result<Vec<Misconfig>, Error> {
    audit_config_with(config_json, image_ref, builtin_scanner())
}

/// [`audit_config`] with a given (custom) scanner.
pub fn audit_config_with(
    config_json: &[u8],
    image_ref: Option<&str>,
    scanner: &SecretScanner,
) -> Result<Vec<Misconfig>, Error> {
    let cfg = ImageConfig::parse(config_json)?;
    let file = image_ref.unwrap_or("image config").to_string();
    let run = cfg.run();
    let mut out = Vec::new();
    let mk =
        |id: &str, sev: Severity, title: &str, msg: String, fix: &str, object: &str| Misconfig {
            id: id.to_string(),
            severity: sev,
            title: title.to_string(),
            message: msg,
            fix: fix.to_string(),
            file: file.clone(),
            line: 0,
            column: 0,
            object: Some(object.to_string()),
            docs: Some(format!("docs/secrets.md#{}", id.to_ascii_lowercase())),
            references: Vec::new(),
        };

    // SW-IMG-001 runs as root.
    let user = run.user.as_deref().unwrap_or("").trim();
    let name = user.split(':').next().unwrap_or("").trim();
    if name.is_empty() || name == "root" || name == "0" {
        let what = if name.is_empty() {
            "the image sets no USER, so its processes run as root (uid 0)".to_string()
        } else {
            format!("the image's USER is {user:?}, which is root (uid 0)")
        };
        out.push(mk(
            "SW-IMG-001",
            Severity::High,
            "Image runs as root",
            format!("{what}; a compromised process then owns the container and has the easiest path to the host (kernel and runtime escapes, writable mounts)"),
            "Add a dedicated user and a numeric `USER 10001:10001` as the last USER instruction (Kubernetes `runAsNonRoot` can then verify it)",
            "config.User",
        ));
    }

    // SW-IMG-002 :latest or untagged.
    let base_label = run
        .labels
        .as_ref()
        .and_then(|l| l.get("org.opencontainers.image.base.name"))
        .cloned();
    for (what, r) in [
        ("image reference", image_ref.map(str::to_string)),
        (
            "base image (label org.opencontainers.image.base.name)",
            base_label,
        ),
    ] {
        let Some(r) = r else { continue };
        if let Some(problem) = floating_tag(&r) {
            out.push(mk(
                "SW-IMG-002",
                Severity::Medium,
                "Image reference is :latest or untagged",
                format!("the {what} {r:?} {problem}: it moves, so rebuilds and deployments silently pick up different (possibly vulnerable or malicious) content and scan results do not carry over"),
                "Pin a specific version tag, and preferably the digest (`image:1.2.3@sha256:...`)",
                "reference",
            ));
        }
    }

    // SW-IMG-003 no HEALTHCHECK.
    let hc_ok = run
        .healthcheck
        .as_ref()
        .and_then(|h| h.test.as_ref())
        .and_then(|t| t.first())
        .is_some_and(|t| !t.eq_ignore_ascii_case("NONE"));
    if !hc_ok {
        out.push(mk(
            "SW-IMG-003",
            Severity::Low,
            "No HEALTHCHECK",
            "the image defines no HEALTHCHECK, so Docker cannot tell a hung or compromised service from a healthy one and will not restart it".into(),
            "Add `HEALTHCHECK CMD [\"/app\", \"health\"]` (or rely on Kubernetes liveness/readiness probes and note it)",
            "config.Healthcheck",
        ));
    }

    // History checks.
    static ADD: OnceLock<Regex> = OnceLock::new();
    static PIPE_SH: OnceLock<Regex> = OnceLock::new();
    let add = re(
        &ADD,
        r"(?i)(?:^|\s|#\(nop\)\s+)ADD\s+(?:--\S+\s+)*(https?://\S+)",
    );
    let pipe_sh = re(
        &PIPE_SH,
        r"(?i)\b(?:curl|wget)\b[^|;&\n]*\|\s*(?:sudo\s+)?(?:/usr)?(?:/bin/)?(?:ba|da|z|k)?sh\b",
    );
    for (i, h) in cfg.history.iter().enumerate() {
        let Some(cb) = h.created_by.as_deref() else {
            continue;
        };
        let object = format!("history[{i}]");
        if let Some(url) = add.captures(cb).and_then(|c| c.get(1)) {
            out.push(mk(
                "SW-IMG-004",
                Severity::Medium,
                "ADD of a remote URL",
                format!("history[{i}] ADDs {:?}: the download is not verified (no checksum), is fetched again on cache misses and can change between builds", url.as_str()),
                "Download with `ADD --checksum=sha256:...` or `RUN curl -fsSLo f URL && echo 'SHA256  f' | sha256sum -c`, or COPY a vendored file",
                &object,
            ));
        }
        if pipe_sh.is_match(cb) {
            out.push(mk(
                "SW-IMG-008",
                Severity::Medium,
                "Remote script piped into a shell",
                format!("history[{i}] pipes a download straight into a shell: whatever the server (or anyone in the path) sends runs as the build user, unverified"),
                "Download to a file, verify its checksum or signature, then run it",
                &object,
            ));
        }
    }

    // SW-IMG-005 / SW-IMG-006 secrets in ENV / ARG / history.
    for m in config_secrets(&cfg, scanner) {
        let (id, title, why, fix) = if m.path == "config:Env" {
            (
                "SW-IMG-005",
                "Secret in ENV",
                "is baked into the image config: anyone who can pull the image reads it with `docker inspect`, and every container (and its child processes and crash dumps) inherits it",
                "Remove it from ENV; pass it at run time (orchestrator secrets, mounted files such as /run/secrets/NAME)",
            )
        } else if m.path == "config:Labels" {
            (
                "SW-IMG-006",
                "Secret in a LABEL",
                "is stored in the image labels, readable by anyone who can pull or inspect the image",
                "Remove the label; labels are public metadata",
            )
        } else {
            (
                "SW-IMG-006",
                "Secret in a build ARG or history",
                "is recorded in the image history (`docker history --no-trunc`), readable by anyone who can pull the image, even if a later layer removes the file that used it",
                "Use BuildKit secrets (`RUN --mount=type=secret,id=NAME`) instead of ARG/ENV or inline values, and rotate the exposed secret",
            )
        };
        out.push(mk(
            id,
            m.severity.max(Severity::High),
            title,
            format!("{} ({}, {}) {why}", m.title, m.rule_id, m.redacted),
            fix,
            &format!("{}:{}", m.path, m.line),
        ));
    }

    // SW-IMG-007 EXPOSE 22.
    for port in run.exposed_ports.iter().flat_map(|p| p.keys()) {
        let num = port.split('/').next().unwrap_or("");
        if num == "22" {
            out.push(mk(
                "SW-IMG-007",
                Severity::Medium,
                "SSH port exposed",
                format!("the image exposes {port}: an SSH daemon in a container adds a long-lived credential and a remote login path that bypasses the orchestrator"),
                "Remove `EXPOSE 22` and the SSH server; use `kubectl exec` / `docker exec` for debugging",
                "config.ExposedPorts",
            ));
        }
    }
    Ok(out)
}

/// Why a reference floats, or `None` when it is pinned.
fn floating_tag(r: &str) -> Option<&'static str> {
    if r.contains('@') {
        return None; // digest-pinned
    }
    let last = r.rsplit('/').next().unwrap_or(r);
    match last.split_once(':') {
        None => Some("has no tag (it means :latest)"),
        Some((_, "latest")) => Some("uses the :latest tag"),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floating_tags() {
        assert!(floating_tag("nginx").is_some());
        assert!(floating_tag("nginx:latest").is_some());
        assert!(floating_tag("localhost:5000/app").is_some());
        assert!(floating_tag("localhost:5000/app:1.2").is_none());
        assert!(floating_tag("nginx@sha256:abc").is_none());
    }

    #[test]
    fn history_args_parse() {
        let a = history_args("RUN |2 DB_PASSWORD=s3cr3tvalue9 X=1 /bin/sh -c make");
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].0, "DB_PASSWORD");
        let b = history_args("/bin/sh -c #(nop) ARG API_TOKEN=abcd1234efgh");
        assert_eq!(b, vec![("API_TOKEN".into(), "abcd1234efgh".into())]);
    }

    #[test]
    fn secret_names() {
        assert!(secret_name("DB_PASSWORD"));
        assert!(secret_name("GITHUB_TOKEN"));
        assert!(secret_name("api_key"));
        assert!(!secret_name("PASSWORD_FILE"));
        assert!(!secret_name("GPG_KEY"));
        assert!(!secret_name("PWD"));
        assert!(!secret_name("PATH"));
        assert!(!secret_name("PYTHON_SHA256"));
    }

    #[test]
    fn bad_json_is_an_error_naming_the_problem() {
        let e = audit_config(b"{not json", None).unwrap_err();
        assert!(e.to_string().starts_with("invalid image config json"));
    }
}
