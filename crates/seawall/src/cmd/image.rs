//! `seawall image TARGET`: scan a container image (or a root directory, or
//! an existing SBOM file) for vulnerabilities, secrets and misconfigurations.
//!
//! One pass over the layers ([`seawall_image::scan_with`]) gives the package
//! inventory, and, through [`SecretInspector`], the secrets of every file of
//! every layer (files a later layer deleted included) and the metadata the
//! file-system hygiene checks need. The image config adds config secrets and
//! the config audit; the vulnerability database adds findings. The admission
//! webhook's image gate runs the same [`scan_image`].

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Context;
use seawall_image::{EntryKind, EntryMeta, ImageScan, Inspector, Platform, ScanOptions};
use seawall_secrets::{BaseImageAdvice, FileAudit, ImageFile, SecretMatch, SecretScanner};
use seawall_types::{Misconfig, Severity};
use seawall_vulndb::report::Artifact as VulnArtifact;
use seawall_vulndb::{match_packages, Db, Report};
use serde_json::{json, Value};

use crate::cmd::db::{open_for_scan, report_options, ReportArgs, ScanDbArgs};

/// How to reach the image: shared by `seawall image` and `seawall sbom`.
#[derive(clap::Args, Debug, Clone)]
pub struct SourceArgs {
    /// Layer cache directory [default: $XDG_CACHE_HOME/seawall or ~/.cache/seawall]
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Do not read or write the layer cache
    #[arg(long)]
    pub no_cache: bool,
    /// Allow plain HTTP to a registry on loopback
    #[arg(long)]
    pub insecure: bool,
    /// Platform to pick from multi-arch images
    #[arg(long, value_name = "OS/ARCH", default_value = "linux/amd64", value_parser = parse_platform)]
    pub platform: Platform,
}

fn parse_platform(s: &str) -> Result<Platform, String> {
    s.parse::<Platform>().map_err(|e| e.to_string())
}

impl SourceArgs {
    pub fn options(&self) -> ScanOptions {
        ScanOptions {
            cache_dir: if self.no_cache {
                None
            } else {
                self.cache_dir
                    .clone()
                    .or_else(seawall_image::default_cache_dir)
            },
            platform: self.platform.clone(),
            insecure: self.insecure,
            ..ScanOptions::default()
        }
    }
}

/// What `--scanners` can turn on.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScannerKind {
    /// Vulnerabilities in the packages (needs the database)
    Vuln,
    /// Secrets in every layer's files and in the image config
    Secret,
    /// Image config audit and file-system hygiene (root, setuid, sudo, ...)
    Config,
}

/// The scanners a scan runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scanners {
    pub vuln: bool,
    pub secret: bool,
    pub config: bool,
}

impl Scanners {
    pub fn from_list(l: &[ScannerKind]) -> Scanners {
        Scanners {
            vuln: l.contains(&ScannerKind::Vuln),
            secret: l.contains(&ScannerKind::Secret),
            config: l.contains(&ScannerKind::Config),
        }
    }
    fn names(self) -> Vec<&'static str> {
        [
            (self.vuln, "vuln"),
            (self.secret, "secret"),
            (self.config, "config"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| n)
        .collect()
    }
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// docker-archive:PATH, oci-archive:PATH, oci:DIR[:TAG], dir:PATH, HOST[:PORT]/REPO[:TAG|@sha256:..], or sbom:FILE (a CycloneDX or SPDX JSON SBOM)
    pub target: String,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Scanners to run, comma separated
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "vuln,secret,config"
    )]
    pub scanners: Vec<ScannerKind>,
    /// Custom secret rules (YAML; see docs/secrets.md)
    #[arg(long, value_name = "FILE")]
    pub secret_config: Option<PathBuf>,
    #[command(flatten)]
    pub db: ScanDbArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Secret scanning and hygiene metadata as an image inspector.
pub struct SecretInspector<'a> {
    pub scanner: &'a SecretScanner,
    pub secrets: bool,
    pub files: bool,
}

impl Inspector for SecretInspector<'_> {
    fn id(&self) -> String {
        format!(
            "seawall-secrets:{}:{}{}",
            self.scanner.fingerprint(),
            u8::from(self.secrets),
            u8::from(self.files)
        )
    }
    fn keep(&self, e: &EntryMeta) -> bool {
        self.files
            && matches!(e.kind, EntryKind::File | EntryKind::Dir)
            && FileAudit::wants_entry(&e.path, e.mode)
    }
    fn wants(&self, path: &str, size: u64) -> bool {
        self.secrets && self.scanner.wants(path, size)
    }
    fn inspect(&self, path: &str, content: &mut dyn Read) -> std::io::Result<Vec<Value>> {
        let (found, _cut) =
            self.scanner
                .scan_reader(path, content, self.scanner.max_file_size())?;
        Ok(found
            .into_iter()
            .filter_map(|m| serde_json::to_value(m).ok())
            .collect())
    }
}

/// Everything one image scan found.
#[derive(Debug, Clone)]
pub struct ImageReport {
    /// Packages, OS and vulnerabilities (the vulnerability report).
    pub vuln: Report,
    /// The image as seawall-image describes it (source kind, layers...).
    pub image: Option<seawall_image::Artifact>,
    pub secrets: Vec<SecretMatch>,
    pub misconfigurations: Vec<Misconfig>,
    pub advice: Option<BaseImageAdvice>,
    pub scanners: Scanners,
}

/// Scans `target` with the given scanners. `db` is needed when
/// `scanners.vuln`.
pub fn scan_image(
    target: &str,
    opts: &ScanOptions,
    scanners: Scanners,
    db: Option<&Db>,
    secrets: &SecretScanner,
) -> anyhow::Result<ImageReport> {
    if let Some(path) = target.strip_prefix("sbom:") {
        let sbom = seawall_sbom::read_file(std::path::Path::new(path))?;
        let findings = match (scanners.vuln, db) {
            (true, Some(db)) => match_packages(db, sbom.os.as_ref(), &sbom.packages),
            _ => Vec::new(),
        };
        let artifact = VulnArtifact {
            name: path.to_string(),
            kind: "sbom".into(),
            digest: sbom.image_id.clone(),
        };
        let mut vuln = Report::new(artifact, sbom.os, sbom.packages, findings);
        if let (true, Some(db)) = (scanners.vuln, db) {
            vuln = vuln.with_db(db);
        }
        return Ok(ImageReport {
            vuln,
            image: None,
            secrets: Vec::new(),
            misconfigurations: Vec::new(),
            advice: None,
            scanners: Scanners {
                secret: false,
                config: false,
                ..scanners
            },
        });
    }
    let inspector = SecretInspector {
        scanner: secrets,
        secrets: scanners.secret,
        files: scanners.config,
    };
    let inspectors: Vec<&dyn Inspector> = if scanners.secret || scanners.config {
        vec![&inspector]
    } else {
        Vec::new()
    };
    let scan = seawall_image::scan_with(target, opts, &inspectors)?;
    Ok(assemble(scan, scanners, db, secrets))
}

fn assemble(
    scan: ImageScan,
    scanners: Scanners,
    db: Option<&Db>,
    secrets: &SecretScanner,
) -> ImageReport {
    let ImageScan {
        artifact,
        os,
        packages,
        warnings,
        findings,
        entries,
        config,
    } = scan;
    let mut secret_list: Vec<SecretMatch> = Vec::new();
    for f in findings {
        match serde_json::from_value::<SecretMatch>(f.value) {
            Ok(mut m) => {
                m.layer = f.layer;
                m.deleted_in_layer = f.deleted_in_layer;
                secret_list.push(m);
            }
            Err(e) => eprintln!("seawall: warning: {}: bad cached finding: {e}", f.path),
        }
    }
    let mut misconfigs = Vec::new();
    let mut warnings = warnings;
    let image_ref = artifact
        .repo_tags
        .first()
        .cloned()
        .or_else(|| (artifact.kind == "registry").then(|| artifact.name.clone()));
    // Config secrets are always looked for: they also redact the history
    // shown in the layer advice.
    let mut config_secrets = Vec::new();
    if let Some(cfg) = config.as_deref() {
        match seawall_secrets::scan_config_secrets(cfg, secrets) {
            Ok(found) => config_secrets = found,
            Err(e) => warnings.push(format!("{}: image config: {e}", artifact.name)),
        }
        if scanners.config {
            match seawall_secrets::audit_config_with(cfg, image_ref.as_deref(), secrets) {
                Ok(found) => misconfigs.extend(found),
                Err(e) => warnings.push(format!("{}: image config: {e}", artifact.name)),
            }
        }
    }
    if scanners.config {
        let mut audit = FileAudit::new(os.as_ref());
        for e in &entries {
            audit.observe(&ImageFile {
                path: &e.path,
                mode: e.mode,
                size: e.size,
                uid: u32::try_from(e.uid).unwrap_or(u32::MAX),
                gid: u32::try_from(e.gid).unwrap_or(u32::MAX),
                is_dir: e.kind == EntryKind::Dir,
                is_symlink: e.kind == EntryKind::Symlink,
            });
        }
        let mut found = audit.finish(&packages);
        for m in &mut found {
            m.file = artifact.name.clone();
        }
        misconfigs.extend(found);
    }
    let vulns = match (scanners.vuln, db) {
        (true, Some(db)) => match_packages(db, os.as_ref(), &packages),
        _ => Vec::new(),
    };
    let advice = (!artifact.layers.is_empty()).then(|| {
        let history: Vec<Option<String>> = config
            .as_deref()
            .map(layer_history)
            .unwrap_or_default()
            .into_iter()
            .map(|(i, cb)| {
                let loc = format!("config:history[{i}]");
                match config_secrets.iter().find(|m| m.path == loc) {
                    Some(m) => Some(m.context.clone()),
                    None => cb,
                }
            })
            .collect();
        let layers: Vec<seawall_secrets::LayerInfo> = artifact
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| seawall_secrets::LayerInfo {
                digest: l.diff_id.clone(),
                size: l.size.unwrap_or(0),
                created_by: history.get(i).cloned().flatten(),
            })
            .collect();
        let mut by_purl: HashMap<String, usize> = HashMap::new();
        for f in &vulns {
            *by_purl.entry(f.purl.clone()).or_default() += 1;
        }
        seawall_secrets::base_image_advice(os.as_ref(), &layers, &packages, &by_purl)
    });
    let vuln_artifact = VulnArtifact {
        name: artifact.name.clone(),
        kind: if artifact.kind == "dir" {
            "filesystem".into()
        } else {
            "image".into()
        },
        digest: artifact
            .manifest_digest
            .clone()
            .or_else(|| artifact.image_id.clone()),
    };
    if scanners.secret {
        secret_list.extend(config_secrets);
    }
    let mut vuln = Report::new(vuln_artifact, os, packages, vulns);
    if let (true, Some(db)) = (scanners.vuln, db) {
        vuln = vuln.with_db(db);
    }
    vuln.warnings.extend(warnings);
    secret_list.sort_by(|a, b| {
        (a.layer.is_none(), &a.path, a.line, &a.rule_id).cmp(&(
            b.layer.is_none(),
            &b.path,
            b.line,
            &b.rule_id,
        ))
    });
    ImageReport {
        vuln,
        image: Some(artifact),
        secrets: secret_list,
        misconfigurations: misconfigs,
        advice,
        scanners,
    }
}

/// The history index and `created_by` of each layer-making history step,
/// in layer order.
fn layer_history(config: &[u8]) -> Vec<(usize, Option<String>)> {
    let Ok(v) = serde_json::from_slice::<Value>(config) else {
        return Vec::new();
    };
    v.get("history")
        .and_then(Value::as_array)
        .map(|h| {
            h.iter()
                .enumerate()
                .filter(|(_, e)| e.get("empty_layer").and_then(Value::as_bool) != Some(true))
                .map(|(i, e)| {
                    (
                        i,
                        e.get("created_by")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let scanners = Scanners::from_list(&args.scanners);
    let secrets = match &args.secret_config {
        Some(p) => SecretScanner::with_custom_rules(p)?,
        None => SecretScanner::builtin(),
    };
    let db = if scanners.vuln {
        Some(open_for_scan(&args.db)?)
    } else {
        None
    };
    let mut r = scan_image(
        &args.target,
        &args.source.options(),
        scanners,
        db.as_ref(),
        &secrets,
    )
    .with_context(|| format!("scanning {}", args.target))?;
    let opts = report_options(&args.report)?;
    r.vuln.apply(&opts);
    let sev = &args.report.filter.severity;
    r.secrets.retain(|s| sev.contains(&s.severity));
    r.misconfigurations.retain(|m| sev.contains(&m.severity));
    for w in &r.vuln.warnings {
        eprintln!("seawall: warning: {w}");
    }
    let text = render(&r, &args.report.format)?;
    write_output(args.report.output.as_deref(), text.as_bytes())?;
    let remaining = r.vuln.vulnerabilities.len() + r.secrets.len() + r.misconfigurations.len();
    Ok(args.report.filter.exit_for(remaining))
}

/// The JSON report: the vulnerability report's fields (docs/report-json.md)
/// plus `secrets`, `misconfigurations`, `layers` advice and `scanners`.
pub fn to_json(r: &ImageReport) -> Value {
    let mut v = serde_json::to_value(&r.vuln).unwrap_or(Value::Null);
    if let (Some(img), Some(obj)) = (&r.image, v.as_object_mut()) {
        let mut a = serde_json::to_value(img).unwrap_or(Value::Null);
        if let Some(ao) = a.as_object_mut() {
            // `type` and `digest` as in every report; the source kind stays
            // in `kind`.
            ao.insert("type".into(), json!(r.vuln.artifact.kind));
            if let Some(d) = &r.vuln.artifact.digest {
                ao.insert("digest".into(), json!(d));
            }
        }
        obj.insert("artifact".into(), a);
    }
    if let Some(obj) = v.as_object_mut() {
        obj.insert("scanners".into(), json!(r.scanners.names()));
        obj.insert("secrets".into(), json!(r.secrets));
        obj.insert("misconfigurations".into(), json!(r.misconfigurations));
        if let Some(a) = &r.advice {
            obj.insert("advice".into(), json!(a));
        }
    }
    v
}

fn render(r: &ImageReport, format: &str) -> anyhow::Result<String> {
    Ok(match format {
        "json" => {
            let mut s = serde_json::to_string_pretty(&to_json(r))?;
            s.push('\n');
            s
        }
        "table" => to_table(r),
        "sarif" => to_sarif(r)?,
        other => r.vuln.render(other)?,
    })
}

fn one_line(s: &str, max: usize) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().count() > max {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    } else {
        s
    }
}

fn short_layer(d: &str) -> String {
    let hex = d.strip_prefix("sha256:").unwrap_or(d);
    hex.chars().take(12).collect()
}

fn to_table(r: &ImageReport) -> String {
    let mut s = String::new();
    if r.scanners.vuln || r.image.is_none() {
        s.push_str(&r.vuln.to_table());
    } else {
        if let Some(img) = &r.image {
            s.push_str(&format!("{} ({})\n", img.name, img.kind));
        }
        let os = r
            .vuln
            .os
            .as_ref()
            .map(|o| format!("{} {}", o.family, o.version))
            .unwrap_or_else(|| "unknown".into());
        s.push_str(&format!("OS: {os}\nPackages: {}\n", r.vuln.packages.len()));
    }
    if r.scanners.secret {
        s.push_str(&format!("\nSecrets: {}\n", r.secrets.len()));
        let index = |d: &str| {
            r.image
                .as_ref()
                .and_then(|i| i.layers.iter().position(|l| l.diff_id == d))
                .map(|i| i + 1)
        };
        for m in &r.secrets {
            let loc = if m.path.starts_with("config:") {
                m.path.clone()
            } else {
                format!("/{}:{}", m.path, m.line)
            };
            let layer = match (&m.layer, &m.deleted_in_layer) {
                (Some(l), Some(d)) => format!(
                    " (layer {} {}, deleted in layer {} {}: still extractable)",
                    index(l).unwrap_or(0),
                    short_layer(l),
                    index(d).unwrap_or(0),
                    short_layer(d)
                ),
                (Some(l), None) => format!(" (layer {} {})", index(l).unwrap_or(0), short_layer(l)),
                _ => String::new(),
            };
            s.push_str(&format!(
                "  {:<8} {:<28} {}{}  {}\n",
                m.severity.as_str(),
                m.rule_id,
                loc,
                layer,
                one_line(&m.redacted, 40)
            ));
        }
    }
    if r.scanners.config {
        s.push_str(&format!(
            "\nMisconfigurations: {}\n",
            r.misconfigurations.len()
        ));
        for m in &r.misconfigurations {
            s.push_str(&format!(
                "  {:<8} {:<11} {}: {}\n           fix: {}\n",
                m.severity.as_str(),
                m.id,
                m.title,
                one_line(&m.message, 200),
                one_line(&m.fix, 200)
            ));
        }
    }
    if let Some(a) = &r.advice {
        s.push_str("\nLayers:\n");
        for l in &a.layers {
            s.push_str(&format!(
                "  {:>2} {} {:>10} bytes {:>5} packages {:>5} known vulnerabilities  {}\n",
                l.index + 1,
                short_layer(&l.digest),
                l.size,
                l.package_count,
                l.vuln_count,
                one_line(l.created_by.as_deref().unwrap_or(""), 60)
            ));
        }
        if let Some(best) = a.options.iter().max_by_key(|o| o.removed_count) {
            if best.removed_count > 0 {
                s.push_str(&format!(
                    "  a {} base would remove {} of {} OS packages and {} known vulnerabilities\n",
                    best.image, best.removed_count, a.os_package_count, best.vulns_removed
                ));
            }
        }
    }
    s
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        _ => "note",
    }
}

/// The vulnerability SARIF plus one rule per secret rule and config check.
fn to_sarif(r: &ImageReport) -> anyhow::Result<String> {
    let mut doc: Value = serde_json::from_str(&r.vuln.to_sarif())?;
    let mut rules: Vec<Value> = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for m in &r.secrets {
        if seen.insert(m.rule_id.clone()) {
            rules.push(json!({"id": m.rule_id, "name": m.rule_id,
                "shortDescription": {"text": m.title},
                "properties": {"tags": ["security", "secret"]}}));
        }
        let mut msg = format!("{} ({}): {}", m.title, m.severity, m.redacted);
        if let Some(d) = &m.deleted_in_layer {
            msg.push_str(&format!(
                "; deleted in layer {d} but still extractable from layer {}",
                m.layer.as_deref().unwrap_or("?")
            ));
        }
        let mut loc = json!({"physicalLocation": {"artifactLocation": {"uri": m.path}}});
        if m.line > 0 && !m.path.starts_with("config:") {
            loc["physicalLocation"]["region"] = json!({"startLine": m.line});
        }
        results.push(
            json!({"ruleId": m.rule_id, "level": sarif_level(m.severity),
            "message": {"text": msg}, "locations": [loc],
            "properties": {"layer": m.layer, "deleted_in_layer": m.deleted_in_layer}}),
        );
    }
    for m in &r.misconfigurations {
        if seen.insert(m.id.clone()) {
            rules.push(json!({"id": m.id, "name": m.id,
                "shortDescription": {"text": m.title},
                "help": {"text": m.fix},
                "properties": {"tags": ["security", "misconfiguration"]}}));
        }
        results.push(json!({"ruleId": m.id, "level": sarif_level(m.severity),
            "message": {"text": m.message},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": m.file}}}]}));
    }
    if let Some(run) = doc.get_mut("runs").and_then(|r| r.get_mut(0)) {
        if let Some(a) = run
            .pointer_mut("/tool/driver/rules")
            .and_then(Value::as_array_mut)
        {
            a.extend(rules);
        }
        if let Some(a) = run.get_mut("results").and_then(Value::as_array_mut) {
            a.extend(results);
        }
    }
    Ok(serde_json::to_string_pretty(&doc)?)
}

/// Scans the target for `seawall sbom` (packages only) and prints warnings
/// (skipped files) to stderr.
pub fn scan(target: &str, source: &SourceArgs) -> anyhow::Result<ImageScan> {
    let scan = seawall_image::scan(target, &source.options())?;
    for w in &scan.warnings {
        eprintln!("seawall: warning: {w}");
    }
    Ok(scan)
}

/// Writes to FILE (whole, after the scan succeeded) or stdout.
pub fn write_output(path: Option<&std::path::Path>, bytes: &[u8]) -> anyhow::Result<()> {
    match path {
        Some(p) => {
            std::fs::write(p, bytes).with_context(|| format!("{}: cannot write", p.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
            Ok(())
        }
    }
}
