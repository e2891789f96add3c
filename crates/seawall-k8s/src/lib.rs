//! Kubernetes manifest policy for seawall.
//!
//! * Pod Security Standards evaluated exactly as the upstream Pod Security
//!   Admission plugin decides, for every policy version v1.0 to latest
//!   ([`evaluate_pod_spec`], usable on in-memory pod specs by the webhook).
//! * Anti-pattern checks on manifests (`SW-K8S-*`).
//! * Waivers (annotation and waiver file, with expiry).
//!
//! Entry points for the CLI: [`check_file`], [`check_str`], [`is_manifest_path`].

use std::path::{Path, PathBuf};

pub use seawall_types::{Misconfig, Severity};

pub mod builtin;
pub mod objects;
pub mod policy;
pub mod pss;
pub mod waiver;
pub mod yaml;

pub use pss::{evaluate_pod_spec, PssLevel, PssResult, PssSpec, PssVersion, Violation};

/// Errors reading or parsing manifests.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: file is {size} bytes, larger than the {limit} byte limit for manifests")]
    TooLarge { file: String, size: u64, limit: u64 },
    #[error("{file}:{line}:{column}: invalid yaml: {message}")]
    Yaml {
        file: String,
        line: u32,
        column: u32,
        message: String,
    },
    #[error("{file}: invalid json: {message}")]
    Json { file: String, message: String },
    #[error("{file}:{line}: {message}")]
    Manifest {
        file: String,
        line: u32,
        message: String,
    },
    #[error("{file}:{line}: {message}")]
    Limit {
        file: String,
        line: u32,
        message: String,
    },
    #[error("invalid pss level {0:?} (expected privileged, baseline or restricted, optionally with :vX.Y or :latest)")]
    PssSpec(String),
    #[error("{file}: {message}")]
    Waiver { file: String, message: String },
    #[error("{file}: {message}")]
    Policy { file: String, message: String },
}

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Pod Security Standards level and version; `None` = no PSS checks.
    pub pss: Option<PssSpec>,
    /// Run seawall's other (non-PSS) checks.
    pub builtin_checks: bool,
    /// Directory with custom CEL / Rego policies.
    pub policy_dir: Option<PathBuf>,
    /// Waiver file.
    pub waiver_file: Option<PathBuf>,
    /// `YYYY-MM-DD` used to decide waiver expiry; `None` = system date.
    pub today: Option<String>,
}

/// True for paths that look like Kubernetes manifests (`.yaml`, `.yml`, `.json`).
pub fn is_manifest_path(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref(),
        Some("yaml" | "yml" | "json")
    )
}

/// Documentation for the Pod Security Standards checks.
pub const PSS_DOCS: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";

/// A configured checker: waivers (and custom policies) are loaded once and
/// reused for every file.
#[derive(Debug)]
pub struct Checker {
    opts: Options,
    file_waivers: Vec<waiver::Waiver>,
    policies: policy::Policies,
    today: String,
}

impl Checker {
    /// Loads the waiver file and policy directory named in `opts`.
    pub fn new(opts: &Options) -> Result<Self, Error> {
        let file_waivers = match &opts.waiver_file {
            Some(p) => waiver::load_file(p)?,
            None => Vec::new(),
        };
        let today = match &opts.today {
            Some(t) if waiver::valid_date(t) => t.clone(),
            Some(t) => {
                return Err(Error::Waiver {
                    file: "--today".to_string(),
                    message: format!("invalid date {t:?} (expected YYYY-MM-DD)"),
                })
            }
            None => waiver::today_utc(),
        };
        let policies = match &opts.policy_dir {
            Some(d) => policy::Policies::load_dir(d)?,
            None => policy::Policies::default(),
        };
        Ok(Checker {
            opts: opts.clone(),
            file_waivers,
            policies,
            today,
        })
    }

    /// Checks one manifest file.
    pub fn check_file(&self, path: &Path) -> Result<Vec<Misconfig>, Error> {
        let name = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|source| Error::Io {
            path: name.clone(),
            source,
        })?;
        if meta.len() > yaml::MAX_FILE_BYTES {
            return Err(Error::TooLarge {
                file: name,
                size: meta.len(),
                limit: yaml::MAX_FILE_BYTES,
            });
        }
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: name.clone(),
            source,
        })?;
        self.check_str(&name, &text)
    }

    /// Checks manifest text; `name` is the file name used in findings.
    pub fn check_str(&self, name: &str, text: &str) -> Result<Vec<Misconfig>, Error> {
        let docs = yaml::load(name, text)?;
        let objs = objects::objects(name, &docs)?;
        let mut custom: Vec<Vec<Misconfig>> = vec![Vec::new(); objs.len()];
        if !self.policies.is_empty() {
            for (i, h) in self.policies.check(&objs) {
                let (Some(slot), Some(obj)) = (custom.get_mut(i), objs.get(i)) else {
                    continue;
                };
                slot.push(Misconfig {
                    id: h.id,
                    severity: h.severity,
                    title: h.title,
                    message: h.message,
                    fix: String::new(),
                    file: name.to_string(),
                    line: obj.line_of(""),
                    column: 0,
                    object: Some(obj.display()),
                    docs: Some(h.source),
                    references: Vec::new(),
                });
            }
        }
        let mut out = Vec::new();
        for (obj, extra) in objs.iter().zip(custom) {
            self.check_object(name, obj, extra, &mut out);
        }
        out.sort_by(|a, b| (a.line, &a.id).cmp(&(b.line, &b.id)));
        Ok(out)
    }

    fn check_object(
        &self,
        file: &str,
        obj: &objects::Object<'_>,
        mut found: Vec<Misconfig>,
        out: &mut Vec<Misconfig>,
    ) {
        let template = obj.pod_template();
        if let (Some(spec), Some(t)) = (&self.opts.pss, &template) {
            if spec.level != PssLevel::Privileged {
                let r = evaluate_pod_spec(t.meta, t.spec, spec);
                for v in r.violations {
                    let info = pss::check_info(v.check);
                    let first = v.paths.first().map(String::as_str).unwrap_or("spec");
                    let line = obj.line_of(&format!("{}/{first}", t.pointer));
                    let severity = match v.check {
                        "privileged" | "hostNamespaces" | "windowsHostProcess" => {
                            Severity::Critical
                        }
                        _ if info.is_some_and(|i| i.level == PssLevel::Baseline) => Severity::High,
                        _ => Severity::Medium,
                    };
                    found.push(Misconfig {
                        id: format!("PSS-{}", v.check),
                        severity,
                        title: info.map(|i| i.title).unwrap_or(v.check).to_string(),
                        message: format!(
                            "{v} [PodSecurity {spec}]: {}",
                            info.map(|i| i.why).unwrap_or("")
                        ),
                        fix: info.map(|i| i.fix).unwrap_or("").to_string(),
                        file: file.to_string(),
                        line,
                        column: 0,
                        object: Some(obj.display()),
                        docs: Some(PSS_DOCS.to_string()),
                        references: vec![format!("psa:{}", v.check)],
                    });
                }
            }
        }
        if self.opts.builtin_checks {
            for h in builtin::check(obj) {
                let Some(rule) = builtin::rule(h.id) else {
                    continue;
                };
                found.push(Misconfig {
                    id: h.id.to_string(),
                    severity: rule.severity,
                    title: rule.title.to_string(),
                    message: format!("{}: {}", h.message, rule.why),
                    fix: rule.fix.to_string(),
                    file: file.to_string(),
                    line: obj.line_of(&h.pointer),
                    column: 0,
                    object: Some(match &h.container {
                        Some(c) => format!("{} (container {c})", obj.display()),
                        None => obj.display(),
                    }),
                    docs: Some(format!(
                        "{}#{}",
                        builtin::DOCS_BASE,
                        h.id.to_ascii_lowercase()
                    )),
                    references: Vec::new(),
                });
            }
        }
        self.apply_waivers(file, obj, template.as_ref(), found, out);
    }

    fn apply_waivers(
        &self,
        file: &str,
        obj: &objects::Object<'_>,
        template: Option<&objects::PodTemplate<'_>>,
        found: Vec<Misconfig>,
        out: &mut Vec<Misconfig>,
    ) {
        let mut local = Vec::new();
        let mut sources = vec![(
            "/metadata/annotations",
            &obj.value["metadata"]["annotations"],
        )];
        if let Some(t) = template {
            if !t.pointer.is_empty() {
                sources.push(("", &t.meta["annotations"]));
            }
        }
        for (i, (ptr, ann)) in sources.into_iter().enumerate() {
            if let Some(v) = ann[waiver::ANNOTATION].as_str() {
                let pointer = if i == 0 {
                    format!("{ptr}/seawall.dev~1ignore")
                } else {
                    format!(
                        "{}/metadata/annotations/seawall.dev~1ignore",
                        template.map(|t| t.pointer.as_str()).unwrap_or("")
                    )
                };
                let line = obj.line_of(&pointer);
                local.extend(waiver::parse_annotation(v, &format!("{file}:{line}"), line));
            }
        }
        let mut expired_reported: Vec<String> = Vec::new();
        for m in found {
            let w = local.iter().find(|w| w.matches_id(&m.id)).or_else(|| {
                self.file_waivers
                    .iter()
                    .find(|w| w.matches(&m.id, m.object.as_deref(), file))
            });
            match w {
                Some(w) if !w.expired(&self.today) => continue,
                Some(w) => {
                    let key = format!("{}|{}", w.origin, w.ids_display());
                    if !expired_reported.contains(&key) {
                        expired_reported.push(key);
                        if let Some(rule) = builtin::rule("SW-K8S-017") {
                            out.push(Misconfig {
                                id: rule.id.to_string(),
                                severity: rule.severity,
                                title: rule.title.to_string(),
                                message: format!(
                                    "waiver for {} at {} expired on {}{}: {}",
                                    w.ids_display(),
                                    w.origin,
                                    w.expires.as_deref().unwrap_or("?"),
                                    w.reason
                                        .as_deref()
                                        .map(|r| format!(" (reason: {r})"))
                                        .unwrap_or_default(),
                                    rule.why
                                ),
                                fix: rule.fix.to_string(),
                                file: file.to_string(),
                                line: if w.line > 0 && w.origin.starts_with(file) {
                                    w.line
                                } else {
                                    m.line
                                },
                                column: 0,
                                object: Some(obj.display()),
                                docs: Some(format!("{}#sw-k8s-017", builtin::DOCS_BASE)),
                                references: Vec::new(),
                            });
                        }
                    }
                    out.push(m);
                }
                None => out.push(m),
            }
        }
    }
}

/// Checks one manifest file.
pub fn check_file(path: &Path, opts: &Options) -> Result<Vec<Misconfig>, Error> {
    Checker::new(opts)?.check_file(path)
}

/// Checks manifest text; `name` is the file name used in findings.
pub fn check_str(name: &str, text: &str, opts: &Options) -> Result<Vec<Misconfig>, Error> {
    Checker::new(opts)?.check_str(name, text)
}
