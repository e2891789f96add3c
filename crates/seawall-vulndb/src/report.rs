//! The vulnerability report shared by `seawall image`, `seawall fs` and
//! SBOM scanning: filters (severity, `--ignore-unfixed`, ignore file,
//! OpenVEX `not_affected`) and renderers (table, JSON, SARIF, CycloneDX).
//!
//! The JSON form is documented in `docs/report-json.md` and is stable.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use seawall_types::{OsInfo, Package, Severity};

use crate::matcher::{Finding, Status};
use crate::{timeutil, Error};

/// What was scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// Image reference, directory or SBOM path as given.
    pub name: String,
    /// `image`, `filesystem` or `sbom`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub digest: Option<String>,
}

/// A finding removed by the ignore file or a VEX statement, kept in the
/// JSON report so suppressions stay visible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suppressed {
    pub id: String,
    pub package: String,
    pub installed_version: String,
    /// `ignorefile` or `vex`.
    pub by: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbInfo {
    pub built_at: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub newest_record: Option<String>,
    pub records: usize,
}

/// The full report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub artifact: Artifact,
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    pub vulnerabilities: Vec<Finding>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub suppressed: Vec<Suppressed>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub database: Option<DbInfo>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<String>,
}

/// Filters applied before rendering.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// Severities to keep; empty keeps all.
    pub severities: Vec<Severity>,
    pub ignore_unfixed: bool,
    pub ignore: Option<IgnoreFile>,
    pub vex: Vec<VexDocument>,
}

impl Report {
    pub fn new(
        artifact: Artifact,
        os: Option<OsInfo>,
        packages: Vec<Package>,
        vulnerabilities: Vec<Finding>,
    ) -> Report {
        Report {
            schema_version: 1,
            artifact,
            os,
            packages,
            vulnerabilities,
            suppressed: Vec::new(),
            database: None,
            warnings: Vec::new(),
        }
    }

    pub fn with_db(mut self, db: &crate::Db) -> Report {
        let m = db.meta();
        self.database = Some(DbInfo {
            built_at: m.built_at.clone(),
            newest_record: m.newest_modified.clone(),
            records: m.records,
        });
        self
    }

    /// Applies severity, unfixed, ignore-file and VEX filters. Expired
    /// ignore entries and ignore entries that matched nothing are reported
    /// in `warnings`.
    pub fn apply(&mut self, opts: &ReportOptions) {
        let today = timeutil::now_secs().div_euclid(86_400);
        let mut used = vec![false; opts.ignore.as_ref().map_or(0, |i| i.entries.len())];
        if let Some(ig) = &opts.ignore {
            for e in &ig.entries {
                if let Some(exp) = e.expires_days {
                    if exp < today {
                        self.warnings.push(format!(
                            "{}: ignore entry {} expired on {}; it no longer applies",
                            ig.path,
                            e.id,
                            e.expires.as_deref().unwrap_or("")
                        ));
                    }
                }
            }
        }
        let mut kept = Vec::new();
        for f in std::mem::take(&mut self.vulnerabilities) {
            if let Some(ig) = &opts.ignore {
                if let Some(k) = ig.matching(&f, today) {
                    used[k] = true;
                    self.suppressed.push(Suppressed {
                        id: f.id.clone(),
                        package: f.package.clone(),
                        installed_version: f.installed_version.clone(),
                        by: "ignorefile".into(),
                        reason: ig.entries[k].reason.clone(),
                    });
                    continue;
                }
            }
            if let Some(reason) = opts
                .vex
                .iter()
                .find_map(|d| d.not_affected(&f, &self.artifact))
            {
                self.suppressed.push(Suppressed {
                    id: f.id.clone(),
                    package: f.package.clone(),
                    installed_version: f.installed_version.clone(),
                    by: "vex".into(),
                    reason,
                });
                continue;
            }
            if opts.ignore_unfixed && f.status.is_unfixed() {
                continue;
            }
            if !opts.severities.is_empty() && !opts.severities.contains(&f.severity) {
                continue;
            }
            kept.push(f);
        }
        if let Some(ig) = &opts.ignore {
            for (k, e) in ig.entries.iter().enumerate() {
                let expired = e.expires_days.is_some_and(|x| x < today);
                if !used[k] && !expired {
                    self.warnings.push(format!(
                        "{}: ignore entry {} matched no finding",
                        ig.path, e.id
                    ));
                }
            }
        }
        self.vulnerabilities = kept;
    }

    pub fn fixable(&self) -> impl Iterator<Item = &Finding> {
        self.vulnerabilities
            .iter()
            .filter(|f| !f.status.is_unfixed())
    }

    pub fn unfixed(&self) -> impl Iterator<Item = &Finding> {
        self.vulnerabilities
            .iter()
            .filter(|f| f.status.is_unfixed())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// Human table: fixable findings first, unfixed ones as their own
    /// group with their status, then suppressions and warnings.
    pub fn to_table(&self) -> String {
        let mut s = String::new();
        let os = self
            .os
            .as_ref()
            .map(|o| format!(" ({} {})", o.family, o.version))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "{}{}: {} packages, {} vulnerabilities",
            self.artifact.name,
            os,
            self.packages.len(),
            self.vulnerabilities.len()
        );
        let mut counts: BTreeMap<Severity, usize> = BTreeMap::new();
        for f in &self.vulnerabilities {
            *counts.entry(f.severity).or_default() += 1;
        }
        let summary: Vec<String> = Severity::ALL
            .iter()
            .rev()
            .map(|sv| format!("{}: {}", sv, counts.get(sv).copied().unwrap_or(0)))
            .collect();
        let _ = writeln!(s, "{}", summary.join(", "));
        let header = [
            "PACKAGE",
            "INSTALLED",
            "VULNERABILITY",
            "SEVERITY",
            "FIXED IN",
            "TITLE",
        ];
        let render = |s: &mut String, title: &str, rows: Vec<&Finding>| {
            if rows.is_empty() {
                return;
            }
            let _ = writeln!(s, "\n{title} ({})", rows.len());
            let cells: Vec<[String; 6]> = rows
                .iter()
                .map(|f| {
                    [
                        f.package.clone(),
                        f.installed_version.clone(),
                        f.id.clone(),
                        f.severity.to_string(),
                        f.fixed_version
                            .clone()
                            .unwrap_or_else(|| f.status.as_str().to_string()),
                        f.title.chars().take(60).collect(),
                    ]
                })
                .collect();
            let mut w = header.map(str::len);
            for c in &cells {
                for (k, x) in c.iter().enumerate() {
                    w[k] = w[k].max(x.chars().count());
                }
            }
            let line = |s: &mut String, c: &[String]| {
                let mut l = String::new();
                for (k, x) in c.iter().enumerate() {
                    if k + 1 == c.len() {
                        l.push_str(x);
                    } else {
                        let _ = write!(l, "{:<width$}  ", x, width = w[k]);
                    }
                }
                let _ = writeln!(s, "{}", l.trim_end());
            };
            line(s, &header.map(String::from));
            for c in &cells {
                line(s, c);
            }
        };
        render(&mut s, "Fixable", self.fixable().collect());
        render(
            &mut s,
            "Unfixed (no fix available, will not fix, end-of-life or unimportant)",
            self.unfixed().collect(),
        );
        if !self.suppressed.is_empty() {
            let _ = writeln!(s, "\nSuppressed ({})", self.suppressed.len());
            for x in &self.suppressed {
                let _ = writeln!(
                    s,
                    "  {} {} {} by {}: {}",
                    x.id, x.package, x.installed_version, x.by, x.reason
                );
            }
        }
        for w in &self.warnings {
            let _ = writeln!(s, "warning: {w}");
        }
        s
    }

    /// SARIF 2.1.0: one rule per advisory id, one result per finding.
    pub fn to_sarif(&self) -> String {
        let mut rules: BTreeMap<&str, Value> = BTreeMap::new();
        let mut results = Vec::new();
        for f in &self.vulnerabilities {
            let level = match f.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                _ => "note",
            };
            rules.entry(&f.id).or_insert_with(|| {
                json!({
                    "id": f.id,
                    "name": f.id,
                    "shortDescription": {"text": if f.title.is_empty() { f.id.clone() } else { f.title.clone() }},
                    "helpUri": f.references.first().cloned().unwrap_or_else(|| format!("https://osv.dev/vulnerability/{}", f.id)),
                    "properties": {"security-severity": f.cvss_score.map(|s| format!("{s:.1}")).unwrap_or_else(|| severity_score(f.severity).to_string()), "tags": ["security", "vulnerability"]}
                })
            });
            let uri = f.path.clone().unwrap_or_else(|| self.artifact.name.clone());
            results.push(json!({
                "ruleId": f.id,
                "level": level,
                "message": {"text": format!("{} {} is affected by {} ({}); {}", f.package, f.installed_version, f.id, f.severity,
                    f.fixed_version.as_ref().map_or_else(|| format!("status: {}", f.status.as_str()), |v| format!("fixed in {v}")))},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}],
                "properties": {"package": f.package, "installed_version": f.installed_version, "status": f.status.as_str(), "purl": f.purl}
            }));
        }
        let doc = json!({
            "version": "2.1.0",
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "runs": [{
                "tool": {"driver": {"name": "seawall", "informationUri": "https://github.com/seawall", "rules": rules.into_values().collect::<Vec<_>>()}},
                "results": results
            }]
        });
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }

    /// CycloneDX 1.5 JSON with components and the vulnerabilities section.
    pub fn to_cyclonedx(&self) -> String {
        let components: Vec<Value> = self
            .packages
            .iter()
            .map(|p| {
                let mut c = json!({"type": "library", "bom-ref": bom_ref(p), "name": p.name, "version": p.version});
                if !p.purl.is_empty() {
                    c["purl"] = json!(p.purl);
                }
                c
            })
            .collect();
        let mut by_id: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        for f in &self.vulnerabilities {
            by_id.entry(&f.id).or_default().push(f);
        }
        let vulns: Vec<Value> = by_id
            .into_iter()
            .map(|(id, fs)| {
                let f0 = fs[0];
                let mut rating = json!({"severity": f0.severity.as_str().to_ascii_lowercase(), "source": {"name": f0.severity_source}});
                if let Some(sc) = f0.cvss_score {
                    rating["score"] = json!(sc);
                }
                if let Some(v) = &f0.cvss_vector {
                    rating["vector"] = json!(v);
                    rating["method"] = json!(if v.starts_with("CVSS:4") { "CVSSv4" } else if v.starts_with("CVSS:3.1") { "CVSSv31" } else if v.starts_with("CVSS:3") { "CVSSv3" } else { "CVSSv2" });
                }
                let affects: Vec<Value> = fs
                    .iter()
                    .map(|f| {
                        let r = self.packages.iter().find(|p| p.purl == f.purl && p.name == f.package).map(bom_ref).unwrap_or_else(|| f.purl.clone());
                        json!({"ref": r, "versions": [{"version": f.installed_version, "status": "affected"}]})
                    })
                    .collect();
                let mut v = json!({
                    "bom-ref": format!("vuln:{id}"),
                    "id": id,
                    "source": {"name": f0.data_source, "url": format!("https://osv.dev/vulnerability/{id}")},
                    "ratings": [rating],
                    "description": f0.title,
                    "affects": affects,
                    "analysis": {"state": "exploitable", "detail": format!("status: {}", f0.status.as_str())},
                });
                if !f0.aliases.is_empty() {
                    v["references"] = json!(f0.aliases.iter().map(|a| json!({"id": a, "source": {"name": alias_source(a)}})).collect::<Vec<_>>());
                }
                if let Some(fix) = &f0.fixed_version {
                    v["recommendation"] = json!(format!("upgrade {} to {}", f0.package, fix));
                }
                v
            })
            .collect();
        let doc = json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "version": 1,
            "metadata": {
                "timestamp": timeutil::now_rfc3339(),
                "tools": {"components": [{"type": "application", "name": "seawall", "version": env!("CARGO_PKG_VERSION")}]},
                "component": {"type": if self.artifact.kind == "image" { "container" } else { "application" }, "name": self.artifact.name, "bom-ref": "artifact"}
            },
            "components": components,
            "vulnerabilities": vulns
        });
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }

    /// Renders in one of `table`, `json`, `sarif`, `cyclonedx`.
    pub fn render(&self, format: &str) -> Result<String, Error> {
        match format {
            "table" => Ok(self.to_table()),
            "json" => Ok(self.to_json()),
            "sarif" => Ok(self.to_sarif()),
            "cyclonedx" => Ok(self.to_cyclonedx()),
            other => Err(Error::Other(format!(
                "unknown report format {other:?} (expected table, json, sarif or cyclonedx)"
            ))),
        }
    }
}

fn severity_score(s: Severity) -> f64 {
    match s {
        Severity::Critical => 9.5,
        Severity::High => 8.0,
        Severity::Medium => 5.5,
        Severity::Low => 2.0,
        Severity::Unknown => 0.0,
    }
}

fn alias_source(id: &str) -> &'static str {
    if id.starts_with("CVE-") {
        "NVD"
    } else if id.starts_with("GHSA-") {
        "GitHub"
    } else {
        "OSV"
    }
}

fn bom_ref(p: &Package) -> String {
    if p.purl.is_empty() {
        format!("{}@{}", p.name, p.version)
    } else {
        p.purl.clone()
    }
}

/// One ignore entry: an advisory id (matching the finding's id or any
/// alias), optionally limited to a package, with a reason and an optional
/// expiry date after which it stops applying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreEntry {
    pub id: String,
    pub package: Option<String>,
    pub reason: String,
    pub expires: Option<String>,
    expires_days: Option<i64>,
}

/// An ignore file. Two forms are read:
///
/// ```yaml
/// vulnerabilities:
///   - id: CVE-2023-1234
///     reason: not reachable, see ticket 42
///     expires: 2026-12-31
///     package: openssl        # optional
/// ```
///
/// or plain lines `ID [exp:YYYY-MM-DD] [# reason]` (Trivy's `.trivyignore`).
#[derive(Debug, Clone, Default)]
pub struct IgnoreFile {
    pub path: String,
    pub entries: Vec<IgnoreEntry>,
}

impl IgnoreFile {
    pub fn load(path: &Path) -> Result<IgnoreFile, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        IgnoreFile::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, name: &str) -> Result<IgnoreFile, Error> {
        let perr = |msg: String| Error::Parse {
            path: name.to_string(),
            msg,
        };
        let mut entries = Vec::new();
        let trimmed = text.trim_start();
        let yamlish = trimmed.starts_with("vulnerabilities:")
            || trimmed.starts_with('{')
            || text.lines().any(|l| l.trim_start().starts_with("- id:"));
        if yamlish {
            #[derive(Deserialize)]
            struct Doc {
                #[serde(default)]
                vulnerabilities: Vec<Raw>,
            }
            #[derive(Deserialize)]
            struct Raw {
                id: String,
                #[serde(default)]
                reason: Option<String>,
                #[serde(default, alias = "expired_at", alias = "expiry")]
                expires: Option<serde_yaml::Value>,
                #[serde(default)]
                package: Option<String>,
            }
            let doc: Doc = serde_yaml::from_str(text)
                .map_err(|e| perr(format!("invalid ignore file: {e}")))?;
            for (k, r) in doc.vulnerabilities.into_iter().enumerate() {
                let exp = match r.expires {
                    None | Some(serde_yaml::Value::Null) => None,
                    Some(serde_yaml::Value::String(s)) => Some(s),
                    Some(other) => Some(
                        serde_yaml::to_string(&other)
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                    ),
                };
                let days = match &exp {
                    Some(e) => Some(timeutil::parse_date(e).ok_or_else(|| {
                        perr(format!(
                            "entry {} ({}): bad expiry date {e:?} (expected YYYY-MM-DD)",
                            k + 1,
                            r.id
                        ))
                    })?),
                    None => None,
                };
                entries.push(IgnoreEntry {
                    id: r.id,
                    package: r.package,
                    reason: r.reason.unwrap_or_default(),
                    expires: exp,
                    expires_days: days,
                });
            }
        } else {
            for (n, line) in text.lines().enumerate() {
                let (body, comment) = match line.split_once('#') {
                    Some((b, c)) => (b, c.trim()),
                    None => (line, ""),
                };
                let mut parts = body.split_whitespace();
                let Some(id) = parts.next() else { continue };
                let mut exp = None;
                let mut days = None;
                for p in parts {
                    if let Some(d) = p.strip_prefix("exp:") {
                        days = Some(timeutil::parse_date(d).ok_or_else(|| {
                            perr(format!(
                                "line {}: bad expiry date {d:?} (expected exp:YYYY-MM-DD)",
                                n + 1
                            ))
                        })?);
                        exp = Some(d.to_string());
                    } else {
                        return Err(perr(format!(
                            "line {}: unexpected {p:?} (expected `ID [exp:YYYY-MM-DD] [# reason]`)",
                            n + 1
                        )));
                    }
                }
                entries.push(IgnoreEntry {
                    id: id.to_string(),
                    package: None,
                    reason: comment.to_string(),
                    expires: exp,
                    expires_days: days,
                });
            }
        }
        Ok(IgnoreFile {
            path: name.to_string(),
            entries,
        })
    }

    fn matching(&self, f: &Finding, today: i64) -> Option<usize> {
        self.entries.iter().position(|e| {
            e.expires_days.is_none_or(|d| d >= today)
                && (e.id == f.id || f.aliases.contains(&e.id))
                && e.package
                    .as_ref()
                    .is_none_or(|p| *p == f.package || *p == f.advisory_package)
        })
    }
}

/// An OpenVEX document; only `not_affected` (and `fixed`) statements
/// suppress findings.
#[derive(Debug, Clone, Default)]
pub struct VexDocument {
    pub path: String,
    statements: Vec<VexStatement>,
}

#[derive(Debug, Clone)]
struct VexStatement {
    ids: Vec<String>,
    products: Vec<String>,
    status: String,
    justification: String,
}

fn purl_base(p: &str) -> &str {
    // pkg:type/ns/name@version?qualifiers#subpath -> pkg:type/ns/name
    let p = p.split(['?', '#']).next().unwrap_or(p);
    match p.rfind('@') {
        Some(i) if i > p.rfind('/').unwrap_or(0) => &p[..i],
        _ => p,
    }
}

fn purl_version(p: &str) -> Option<&str> {
    let p = p.split(['?', '#']).next().unwrap_or(p);
    let i = p.rfind('@')?;
    (i > p.rfind('/').unwrap_or(0)).then(|| &p[i + 1..])
}

impl VexDocument {
    pub fn load(path: &Path) -> Result<VexDocument, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        VexDocument::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, name: &str) -> Result<VexDocument, Error> {
        let v: Value = serde_json::from_str(text).map_err(|e| Error::Parse {
            path: name.to_string(),
            msg: format!("invalid OpenVEX JSON: {e}"),
        })?;
        let Some(stmts) = v.get("statements").and_then(Value::as_array) else {
            return Err(Error::Parse {
                path: name.to_string(),
                msg: "not an OpenVEX document (no statements array)".into(),
            });
        };
        let id_of = |x: &Value| -> Vec<String> {
            match x {
                Value::String(s) => vec![s.clone()],
                Value::Object(o) => {
                    let mut ids: Vec<String> = o
                        .get("name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .into_iter()
                        .collect();
                    if let Some(al) = o.get("aliases").and_then(Value::as_array) {
                        ids.extend(al.iter().filter_map(Value::as_str).map(str::to_string));
                    }
                    if let Some(id) = o.get("@id").and_then(Value::as_str) {
                        ids.push(id.rsplit('/').next().unwrap_or(id).to_string());
                    }
                    ids
                }
                _ => Vec::new(),
            }
        };
        let mut statements = Vec::new();
        for s in stmts {
            let ids = s.get("vulnerability").map(id_of).unwrap_or_default();
            let mut products = Vec::new();
            if let Some(ps) = s.get("products").and_then(Value::as_array) {
                for p in ps {
                    match p {
                        Value::String(x) => products.push(x.clone()),
                        Value::Object(o) => {
                            if let Some(x) = o.get("@id").and_then(Value::as_str) {
                                products.push(x.to_string());
                            }
                            if let Some(subs) = o.get("subcomponents").and_then(Value::as_array) {
                                for sc in subs {
                                    if let Some(x) = sc
                                        .get("@id")
                                        .and_then(Value::as_str)
                                        .or_else(|| sc.as_str())
                                    {
                                        products.push(x.to_string());
                                    }
                                }
                            }
                            if let Some(ids) = o.get("identifiers").and_then(Value::as_object) {
                                if let Some(x) = ids.get("purl").and_then(Value::as_str) {
                                    products.push(x.to_string());
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            statements.push(VexStatement {
                ids,
                products,
                status: s
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                justification: s
                    .get("justification")
                    .or_else(|| s.get("impact_statement"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            });
        }
        Ok(VexDocument {
            path: name.to_string(),
            statements,
        })
    }

    /// The reason when a statement marks this finding not affected (or
    /// fixed). Products match by purl (a product purl without version
    /// covers every version) or by the scanned artifact's name.
    pub fn not_affected(&self, f: &Finding, artifact: &Artifact) -> Option<String> {
        for s in &self.statements {
            if s.status != "not_affected" && s.status != "fixed" {
                continue;
            }
            if !s.ids.iter().any(|i| *i == f.id || f.aliases.contains(i)) {
                continue;
            }
            let hit = s.products.is_empty()
                || s.products.iter().any(|p| {
                    if p.starts_with("pkg:") && !f.purl.is_empty() {
                        purl_base(p) == purl_base(&f.purl)
                            && purl_version(p).is_none_or(|v| {
                                Some(v) == purl_version(&f.purl) || v == f.installed_version
                            })
                    } else {
                        *p == artifact.name
                            || artifact.digest.as_deref().is_some_and(|d| p.contains(d))
                    }
                });
            if hit {
                let j = if s.justification.is_empty() {
                    s.status.clone()
                } else {
                    format!("{}: {}", s.status, s.justification)
                };
                return Some(format!("{} ({})", j, self.path));
            }
        }
        None
    }
}

/// Unfixed statuses in display order.
pub const UNFIXED: [Status; 4] = [
    Status::AffectedNoFix,
    Status::WillNotFix,
    Status::EndOfLife,
    Status::Unimportant,
];
