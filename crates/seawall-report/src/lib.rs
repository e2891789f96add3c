/*!
Renderers for misconfiguration findings ([`seawall_types::Misconfig`]):
a human table, JSON, SARIF 2.1.0 and JUnit XML. Shared by `seawall config`
for Dockerfiles and Kubernetes manifests.

Output is deterministic: files in the order given, findings sorted by file,
line, column and id.
*/

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::str::FromStr;

use seawall_types::{Misconfig, Severity};
use serde::Serialize;
use serde_json::json;

/// SARIF schema URI written into reports.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Project page used as the SARIF tool's information URI.
pub const INFO_URI: &str = "https://github.com/seawall-sec/seawall";

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Sarif,
    Junit,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown format {0:?} (expected table, json, sarif or junit)")]
pub struct ParseFormatError(pub String);

impl FromStr for Format {
    type Err = ParseFormatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            "junit" => Ok(Format::Junit),
            _ => Err(ParseFormatError(s.to_string())),
        }
    }
}

/// A file that could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileError {
    pub file: String,
    pub message: String,
}

/// Everything one run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Files checked successfully, in scan order.
    pub files: Vec<String>,
    pub findings: Vec<Misconfig>,
    pub errors: Vec<FileError>,
}

impl Report {
    /// Sort findings for stable output.
    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            (&a.file, a.line, a.column, &a.id).cmp(&(&b.file, b.line, b.column, &b.id))
        });
    }

    /// Count of findings per severity.
    pub fn counts(findings: &[&Misconfig]) -> BTreeMap<Severity, usize> {
        let mut m: BTreeMap<Severity, usize> = Severity::ALL.iter().map(|s| (*s, 0)).collect();
        for f in findings {
            *m.entry(f.severity).or_insert(0) += 1;
        }
        m
    }
}

/// Write `report` in `format`.
pub fn render(report: &Report, format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Table => out.write_all(table(report).as_bytes()),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &json_value(report))?;
            out.write_all(b"\n")
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &sarif(report))?;
            out.write_all(b"\n")
        }
        Format::Junit => out.write_all(junit(report).as_bytes()),
    }
}

/// Render to a string.
pub fn render_string(report: &Report, format: Format) -> String {
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = render(report, format, &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

fn by_file(report: &Report) -> Vec<(String, Vec<&Misconfig>)> {
    let mut order: Vec<String> = report.files.clone();
    for f in &report.findings {
        if !order.contains(&f.file) {
            order.push(f.file.clone());
        }
    }
    order
        .into_iter()
        .map(|file| {
            let mut fs: Vec<&Misconfig> =
                report.findings.iter().filter(|m| m.file == file).collect();
            fs.sort_by(|a, b| (a.line, a.column, &a.id).cmp(&(b.line, b.column, &b.id)));
            (file, fs)
        })
        .collect()
}

fn summary(fs: &[&Misconfig]) -> String {
    let c = Report::counts(fs);
    let parts: Vec<String> = Severity::ALL
        .iter()
        .map(|s| format!("{s}: {}", c.get(s).copied().unwrap_or(0)))
        .collect();
    format!("Failures: {} ({})", fs.len(), parts.join(", "))
}

/// Human-readable table grouped by file.
pub fn table(report: &Report) -> String {
    let mut s = String::new();
    for (file, fs) in by_file(report) {
        let _ = writeln!(s, "{file}");
        let _ = writeln!(s, "{}", "=".repeat(file.chars().count().max(8)));
        let _ = writeln!(s, "{}\n", summary(&fs));
        for m in &fs {
            let loc = if m.line > 0 {
                format!("line {}", m.line)
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "  {:<8} {:<12} {:<9} {}",
                m.severity.as_str(),
                m.id,
                loc,
                m.title
            );
            if let Some(o) = &m.object {
                let _ = writeln!(s, "  {:<31}object: {o}", "");
            }
            for line in wrap(&m.message, 88) {
                let _ = writeln!(s, "  {:<31}{line}", "");
            }
            if !m.fix.is_empty() {
                for (i, line) in wrap(&m.fix, 83).iter().enumerate() {
                    let lead = if i == 0 { "fix: " } else { "     " };
                    let _ = writeln!(s, "  {:<31}{lead}{line}", "");
                }
            }
            if let Some(d) = &m.docs {
                let _ = writeln!(s, "  {:<31}see: {d}", "");
            }
            s.push('\n');
        }
    }
    for e in &report.errors {
        if e.message.starts_with(e.file.as_str()) {
            let _ = writeln!(s, "error: {}", e.message);
        } else {
            let _ = writeln!(s, "error: {}: {}", e.file, e.message);
        }
    }
    let all: Vec<&Misconfig> = report.findings.iter().collect();
    let _ = writeln!(
        s,
        "Checked {} file(s), {} error(s). Total {}",
        report.files.len(),
        report.errors.len(),
        summary(&all)
    );
    s
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for w in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + w.chars().count() > width {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The JSON document: `{ "files": [...], "findings": [...], "errors": [...], "summary": {...} }`.
pub fn json_value(report: &Report) -> serde_json::Value {
    let all: Vec<&Misconfig> = report.findings.iter().collect();
    let counts: BTreeMap<String, usize> = Report::counts(&all)
        .into_iter()
        .map(|(k, v)| (k.as_str().to_string(), v))
        .collect();
    json!({
        "schema_version": 1,
        "files": report.files,
        "findings": report.findings,
        "errors": report.errors,
        "summary": { "findings": report.findings.len(), "by_severity": counts, "errors": report.errors.len() },
    })
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}

fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
        Severity::Unknown => "0.0",
    }
}

/// Relative paths stay relative (SARIF `uri` is a URI reference); backslashes become slashes.
fn sarif_uri(file: &str) -> String {
    let f = file.replace('\\', "/");
    let f = f.strip_prefix("./").unwrap_or(&f).to_string();
    f.chars()
        .map(|c| match c {
            ' ' => "%20".to_string(),
            '#' => "%23".to_string(),
            '?' => "%3F".to_string(),
            '%' => "%25".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// SARIF 2.1.0 log with one run.
pub fn sarif(report: &Report) -> serde_json::Value {
    let mut rules: Vec<&Misconfig> = Vec::new();
    for m in &report.findings {
        if !rules.iter().any(|r| r.id == m.id) {
            rules.push(m);
        }
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    let rule_objs: Vec<serde_json::Value> = rules
        .iter()
        .map(|r| {
            let mut o = json!({
                "id": r.id,
                "name": r.id.replace('-', ""),
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": r.title },
                "defaultConfiguration": { "level": sarif_level(r.severity) },
                "help": { "text": if r.fix.is_empty() { r.title.clone() } else { r.fix.clone() } },
                "properties": {
                    "tags": ["security", "misconfiguration"],
                    "security-severity": security_severity(r.severity),
                    "references": r.references,
                },
            });
            if let (Some(d), Some(obj)) = (&r.docs, o.as_object_mut()) {
                obj.insert("helpUri".into(), json!(d));
            }
            o
        })
        .collect();
    let mut findings: Vec<&Misconfig> = report.findings.iter().collect();
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.id).cmp(&(&b.file, b.line, b.column, &b.id))
    });
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|m| {
            let idx = rules.iter().position(|r| r.id == m.id).unwrap_or(0);
            let mut region = serde_json::Map::new();
            region.insert("startLine".into(), json!(m.line.max(1)));
            if m.column > 0 {
                region.insert("startColumn".into(), json!(m.column));
            }
            let text = if m.fix.is_empty() {
                m.message.clone()
            } else {
                format!("{} Fix: {}", m.message, m.fix)
            };
            let mut r = json!({
                "ruleId": m.id,
                "ruleIndex": idx,
                "level": sarif_level(m.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": sarif_uri(&m.file) },
                        "region": region,
                    }
                }],
            });
            if let (Some(o), Some(obj)) = (&m.object, r.as_object_mut()) {
                obj.insert("properties".into(), json!({ "object": o }));
            }
            r
        })
        .collect();
    let notifications: Vec<serde_json::Value> = report
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": { "text": format!("{}: {}", e.file, e.message) },
                "locations": [{ "physicalLocation": { "artifactLocation": { "uri": sarif_uri(&e.file) } } }],
            })
        })
        .collect();
    let artifacts: Vec<serde_json::Value> = report
        .files
        .iter()
        .map(|f| json!({ "location": { "uri": sarif_uri(f) } }))
        .collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "seawall",
                "informationUri": INFO_URI,
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rule_objs,
            }},
            "artifacts": artifacts,
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // Characters XML 1.0 cannot carry.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

/// JUnit XML: one testsuite per file, one failing testcase per finding, a
/// passing testcase for clean files and an errored one for unreadable files.
pub fn junit(report: &Report) -> String {
    let groups = by_file(report);
    let total_fail: usize = report.findings.len();
    let total_tests: usize =
        groups.iter().map(|(_, f)| f.len().max(1)).sum::<usize>() + report.errors.len();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"seawall\" tests=\"{total_tests}\" failures=\"{total_fail}\" errors=\"{}\">",
        report.errors.len()
    );
    for (file, fs) in &groups {
        let f = xml_escape(file);
        let _ = writeln!(
            s,
            "  <testsuite name=\"{f}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
            fs.len().max(1),
            fs.len()
        );
        if fs.is_empty() {
            let _ = writeln!(
                s,
                "    <testcase classname=\"{f}\" name=\"no misconfigurations\"/>"
            );
        }
        for m in fs {
            let name = xml_escape(&format!("[{}] {} {}:{}", m.severity, m.id, m.title, m.line));
            let _ = writeln!(s, "    <testcase classname=\"{f}\" name=\"{name}\">");
            let body = format!(
                "{}:{}:{}\n{}\nFix: {}{}",
                m.file,
                m.line,
                m.column,
                m.message,
                m.fix,
                m.docs
                    .as_ref()
                    .map(|d| format!("\nSee: {d}"))
                    .unwrap_or_default()
            );
            let _ = writeln!(
                s,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                xml_escape(&m.severity.to_string()),
                xml_escape(&m.message),
                xml_escape(&body)
            );
            let _ = writeln!(s, "    </testcase>");
        }
        let _ = writeln!(s, "  </testsuite>");
    }
    if !report.errors.is_empty() {
        let _ = writeln!(
            s,
            "  <testsuite name=\"errors\" tests=\"{n}\" failures=\"0\" errors=\"{n}\" skipped=\"0\">",
            n = report.errors.len()
        );
        for e in &report.errors {
            let f = xml_escape(&e.file);
            let _ = writeln!(
                s,
                "    <testcase classname=\"{f}\" name=\"check {f}\">\n      <error message=\"{}\"/>\n    </testcase>",
                xml_escape(&e.message)
            );
        }
        let _ = writeln!(s, "  </testsuite>");
    }
    s.push_str("</testsuites>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(file: &str, line: u32, id: &str, sev: Severity) -> Misconfig {
        Misconfig {
            id: id.into(),
            severity: sev,
            title: "Remote script piped to a shell".into(),
            message: "curl output is piped into sh <& \"x\"".into(),
            fix: "Download, verify, then run.".into(),
            file: file.into(),
            line,
            column: 1,
            object: None,
            docs: Some(format!("docs/rules/dockerfile/{id}.md")),
            references: vec!["hadolint:DL4006".into()],
        }
    }

    fn report() -> Report {
        Report {
            files: vec!["a/Dockerfile".into(), "clean/Dockerfile".into()],
            findings: vec![
                finding("a/Dockerfile", 7, "SW-DF-062", Severity::High),
                finding("a/Dockerfile", 2, "SW-DF-001", Severity::Medium),
            ],
            errors: vec![FileError {
                file: "bad/Dockerfile".into(),
                message: "line 3: unknown instruction \"FOO\"".into(),
            }],
        }
    }

    #[test]
    fn format_parse() {
        assert_eq!("SARIF".parse::<Format>(), Ok(Format::Sarif));
        assert!("xml".parse::<Format>().is_err());
    }

    #[test]
    fn table_groups_and_sorts() {
        let t = table(&report());
        let a = t.find("SW-DF-001").unwrap();
        let b = t.find("SW-DF-062").unwrap();
        assert!(a < b, "{t}");
        assert!(t.contains("clean/Dockerfile\n"));
        assert!(t.contains("Failures: 2 (UNKNOWN: 0, LOW: 0, MEDIUM: 1, HIGH: 1, CRITICAL: 0)"));
        assert!(t.contains("error: bad/Dockerfile: line 3"));
    }

    #[test]
    fn sarif_shape() {
        let v = sarif(&report());
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 2);
        let r0 = &run["results"][0];
        assert_eq!(r0["ruleId"], "SW-DF-001");
        assert_eq!(
            run["tool"]["driver"]["rules"][r0["ruleIndex"].as_u64().unwrap() as usize]["id"],
            "SW-DF-001"
        );
        assert_eq!(r0["level"], "warning");
        assert_eq!(
            r0["locations"][0]["physicalLocation"]["region"]["startLine"],
            2
        );
        assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    }

    #[test]
    fn junit_escapes_and_counts() {
        let j = junit(&report());
        assert!(j.contains("tests=\"4\" failures=\"2\" errors=\"1\""), "{j}");
        assert!(j.contains("&lt;&amp; &quot;x&quot;"));
        assert!(j.contains("name=\"no misconfigurations\""));
        assert!(!j.contains("<& "));
    }

    #[test]
    fn json_has_summary() {
        let v = json_value(&report());
        assert_eq!(v["summary"]["findings"], 2);
        assert_eq!(v["summary"]["by_severity"]["HIGH"], 1);
        assert_eq!(v["findings"][0]["id"], "SW-DF-062");
    }
}
