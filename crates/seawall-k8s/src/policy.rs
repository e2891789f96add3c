//! Custom policies from a policy directory:
//!
//! * CEL, written as Kubernetes `ValidatingAdmissionPolicy` objects
//!   (`spec.matchConstraints.resourceRules`, `spec.variables`,
//!   `spec.validations[].expression/message`). `object` is the manifest
//!   object, `variables.<name>` the policy's variables. Annotations
//!   `seawall.dev/id` and `seawall.dev/severity` set the finding id and
//!   severity (default `CEL-<policy name>`, MEDIUM).
//! * Rego (`*.rego`): `input` is the manifest object; every message in the
//!   package's `deny` (or `violation`) set is a finding. A message can be a
//!   string or an object `{"msg", "id", "severity"}` (default id
//!   `REGO-<package>`, severity MEDIUM).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use seawall_types::Severity;
use serde_json::Value;

use crate::objects::Object;
use crate::Error;

/// A finding from a custom policy.
#[derive(Debug, Clone)]
pub struct PolicyHit {
    pub id: String,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    pub source: String,
}

#[derive(Debug, Clone)]
struct CelValidation {
    expression: String,
    message: Option<String>,
}

#[derive(Debug, Clone)]
struct CelPolicy {
    name: String,
    file: String,
    id: String,
    severity: Severity,
    /// (apiGroups, resources); empty = every object.
    rules: Vec<(Vec<String>, Vec<String>)>,
    variables: Vec<(String, String)>,
    validations: Vec<CelValidation>,
    ignore_errors: bool,
}

#[derive(Debug, Clone)]
struct RegoPolicy {
    file: String,
    source: String,
    package: String,
}

/// Policies loaded from a directory.
#[derive(Debug, Clone, Default)]
pub struct Policies {
    cel: Vec<CelPolicy>,
    rego: Vec<RegoPolicy>,
}

/// Bound on policy files and their size.
const MAX_POLICY_FILES: usize = 1000;
const MAX_POLICY_BYTES: u64 = 1024 * 1024;

fn perr(file: &str, message: String) -> Error {
    Error::Policy {
        file: file.to_string(),
        message,
    }
}

fn list_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), Error> {
    let rd = std::fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() && depth < 8 {
            list_files(&p, out, depth + 1)?;
        } else if p.is_file() {
            out.push(p);
        }
        if out.len() > MAX_POLICY_FILES {
            return Err(perr(
                &dir.display().to_string(),
                format!("more than {MAX_POLICY_FILES} files in the policy directory"),
            ));
        }
    }
    Ok(())
}

impl Policies {
    /// Loads and compiles every `*.yaml`/`*.yml`/`*.json` (ValidatingAdmissionPolicy)
    /// and `*.rego` file under `dir`.
    pub fn load_dir(dir: &Path) -> Result<Self, Error> {
        let mut files = Vec::new();
        list_files(dir, &mut files, 0)?;
        let mut p = Policies::default();
        for f in files {
            let name = f.display().to_string();
            let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
            if !matches!(ext, "rego" | "yaml" | "yml" | "json") {
                continue;
            }
            let size = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
            if size > MAX_POLICY_BYTES {
                return Err(perr(
                    &name,
                    format!("policy file is larger than {MAX_POLICY_BYTES} bytes"),
                ));
            }
            let text = std::fs::read_to_string(&f).map_err(|source| Error::Io {
                path: name.clone(),
                source,
            })?;
            if ext == "rego" {
                p.add_rego(&name, &text)?;
            } else {
                p.add_cel_yaml(&name, &text)?;
            }
        }
        Ok(p)
    }

    pub fn is_empty(&self) -> bool {
        self.cel.is_empty() && self.rego.is_empty()
    }

    /// Adds a Rego module (checked now, evaluated per manifest file).
    pub fn add_rego(&mut self, file: &str, source: &str) -> Result<(), Error> {
        let mut engine = regorus::Engine::new();
        let package = engine
            .add_policy(file.to_string(), source.to_string())
            .map_err(|e| perr(file, format!("invalid rego: {e}")))?;
        self.rego.push(RegoPolicy {
            file: file.to_string(),
            source: source.to_string(),
            package,
        });
        Ok(())
    }

    /// Adds the ValidatingAdmissionPolicy objects of a YAML/JSON stream.
    pub fn add_cel_yaml(&mut self, file: &str, text: &str) -> Result<(), Error> {
        for doc in crate::yaml::load(file, text)? {
            let v = &doc.value;
            if v.is_null() {
                continue;
            }
            if v["kind"].as_str() != Some("ValidatingAdmissionPolicy") {
                return Err(perr(
                    file,
                    format!(
                        "document {} is not a ValidatingAdmissionPolicy (kind {:?})",
                        doc.index,
                        v["kind"].as_str().unwrap_or("")
                    ),
                ));
            }
            self.cel.push(parse_vap(file, v)?);
        }
        Ok(())
    }

    /// Evaluates every policy against the objects of one file.
    pub fn check(&self, objs: &[Object<'_>]) -> Vec<(usize, PolicyHit)> {
        let mut out = Vec::new();
        for (i, obj) in objs.iter().enumerate() {
            for p in &self.cel {
                if p.matches(obj) {
                    out.extend(p.eval(obj.value).into_iter().map(|h| (i, h)));
                }
            }
        }
        if !self.rego.is_empty() {
            let mut engine = regorus::Engine::new();
            let mut ok = Vec::new();
            for r in &self.rego {
                if engine.add_policy(r.file.clone(), r.source.clone()).is_ok() {
                    ok.push(r);
                }
            }
            for (i, obj) in objs.iter().enumerate() {
                engine.set_input(regorus::Value::from(obj.value.clone()));
                for r in &ok {
                    out.extend(
                        rego_eval(&mut engine, r, obj.value)
                            .into_iter()
                            .map(|h| (i, h)),
                    );
                }
            }
        }
        out
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn parse_vap(file: &str, v: &Value) -> Result<CelPolicy, Error> {
    let name = v["metadata"]["name"]
        .as_str()
        .unwrap_or("unnamed")
        .to_string();
    let ann = &v["metadata"]["annotations"];
    let id = ann["seawall.dev/id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("CEL-{name}"));
    let severity = match ann["seawall.dev/severity"].as_str() {
        Some(s) => Severity::from_str(s).map_err(|e| perr(file, format!("policy {name}: {e}")))?,
        None => Severity::Medium,
    };
    let spec = &v["spec"];
    let mut rules = Vec::new();
    if let Some(rr) = spec["matchConstraints"]["resourceRules"].as_array() {
        for r in rr {
            rules.push((strings(&r["apiGroups"]), strings(&r["resources"])));
        }
    }
    let mut variables = Vec::new();
    if let Some(vars) = spec["variables"].as_array() {
        for var in vars {
            let (Some(n), Some(e)) = (var["name"].as_str(), var["expression"].as_str()) else {
                return Err(perr(
                    file,
                    format!("policy {name}: variable without name or expression"),
                ));
            };
            compile(file, &name, e)?;
            variables.push((n.to_string(), e.to_string()));
        }
    }
    let mut validations = Vec::new();
    if let Some(vals) = spec["validations"].as_array() {
        for val in vals {
            let Some(e) = val["expression"].as_str() else {
                return Err(perr(
                    file,
                    format!("policy {name}: validation without expression"),
                ));
            };
            compile(file, &name, e)?;
            validations.push(CelValidation {
                expression: e.to_string(),
                message: val["message"].as_str().map(str::to_string),
            });
        }
    }
    if validations.is_empty() {
        return Err(perr(file, format!("policy {name} has no validations")));
    }
    Ok(CelPolicy {
        name,
        file: file.to_string(),
        id,
        severity,
        rules,
        variables,
        validations,
        ignore_errors: spec["failurePolicy"].as_str() == Some("Ignore"),
    })
}

fn compile(file: &str, policy: &str, expr: &str) -> Result<cel::Program, Error> {
    cel::Program::compile(expr).map_err(|e| {
        perr(
            file,
            format!("policy {policy}: invalid CEL expression {expr:?}: {e}"),
        )
    })
}

/// Lower-case plural resource name of a kind, as used in resourceRules.
fn resource_of(kind: &str) -> String {
    let k = kind.to_ascii_lowercase();
    if k.ends_with('s') || k.ends_with("ch") || k.ends_with("sh") || k.ends_with('x') {
        format!("{k}es")
    } else if let Some(stem) = k.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{k}s")
    }
}

impl CelPolicy {
    fn matches(&self, obj: &Object<'_>) -> bool {
        if self.rules.is_empty() {
            return true;
        }
        let group = obj
            .api_version
            .rsplit_once('/')
            .map(|(g, _)| g)
            .unwrap_or("");
        let res = resource_of(obj.kind);
        self.rules.iter().any(|(groups, resources)| {
            (groups.is_empty() || groups.iter().any(|g| g == "*" || g == group))
                && resources.iter().any(|r| r == "*" || *r == res)
        })
    }

    fn eval(&self, object: &Value) -> Vec<PolicyHit> {
        let mut hits = Vec::new();
        let hit = |message: String| PolicyHit {
            id: self.id.clone(),
            severity: self.severity,
            title: format!("policy {}", self.name),
            message,
            source: self.file.clone(),
        };
        let mut ctx = cel::Context::default();
        if ctx.add_variable("object", object).is_err() {
            return hits;
        }
        // Variables are evaluated in order; each may use the earlier ones.
        let mut vars = serde_json::Map::new();
        for (n, e) in &self.variables {
            let v = match cel::Program::compile(e).map(|p| p.execute(&ctx)) {
                Ok(Ok(v)) => v.json().unwrap_or(Value::Null),
                Ok(Err(err)) if !self.ignore_errors => {
                    hits.push(hit(format!("variable {n}: evaluation error: {err}")));
                    return hits;
                }
                _ => Value::Null,
            };
            vars.insert(n.clone(), v);
            let _ = ctx.add_variable("variables", Value::Object(vars.clone()));
        }
        for val in &self.validations {
            let Ok(p) = cel::Program::compile(&val.expression) else {
                continue;
            };
            match p.execute(&ctx) {
                Ok(cel::Value::Bool(true)) => {}
                Ok(cel::Value::Bool(false)) => hits
                    .push(hit(val.message.clone().unwrap_or_else(|| {
                        format!("failed expression: {}", val.expression)
                    }))),
                Ok(other) if !self.ignore_errors => hits.push(hit(format!(
                    "expression {} returned {other:?}, not a bool",
                    val.expression
                ))),
                Err(e) if !self.ignore_errors => {
                    hits.push(hit(format!("expression {} failed: {e}", val.expression)))
                }
                _ => {}
            }
        }
        hits
    }
}

trait CelJson {
    fn json(&self) -> Option<Value>;
}

impl CelJson for cel::Value {
    fn json(&self) -> Option<Value> {
        Some(match self {
            cel::Value::Null => Value::Null,
            cel::Value::Bool(b) => Value::Bool(*b),
            cel::Value::Int(i) => Value::from(*i),
            cel::Value::UInt(u) => Value::from(*u),
            cel::Value::Float(f) => Value::from(*f),
            cel::Value::String(s) => Value::String(s.to_string()),
            cel::Value::List(l) => Value::Array(l.iter().filter_map(|x| x.json()).collect()),
            cel::Value::Map(m) => {
                let mut o = serde_json::Map::new();
                for (k, v) in m.map.iter() {
                    let key = match k {
                        cel::objects::Key::String(s) => s.to_string(),
                        cel::objects::Key::Int(i) => i.to_string(),
                        cel::objects::Key::Uint(u) => u.to_string(),
                        cel::objects::Key::Bool(b) => b.to_string(),
                    };
                    o.insert(key, v.json()?);
                }
                Value::Object(o)
            }
            _ => return None,
        })
    }
}

fn rego_eval(engine: &mut regorus::Engine, r: &RegoPolicy, object: &Value) -> Vec<PolicyHit> {
    let _ = object;
    let pkg_short = r
        .package
        .strip_prefix("data.")
        .unwrap_or(&r.package)
        .to_string();
    let mut hits = Vec::new();
    for rule in ["deny", "violation"] {
        let Ok(v) = engine.eval_rule(format!("{}.{rule}", r.package)) else {
            continue;
        };
        let Ok(json) = v.to_json_str() else { continue };
        let Ok(json) = serde_json::from_str::<Value>(&json) else {
            continue;
        };
        let items: Vec<Value> = match json {
            Value::Array(a) => a,
            Value::Null => Vec::new(),
            Value::Object(o) if o.is_empty() => Vec::new(),
            other => vec![other],
        };
        for item in items {
            let (msg, id, sev) = match &item {
                Value::String(s) => (s.clone(), None, None),
                Value::Object(o) => (
                    o.get("msg")
                        .or_else(|| o.get("message"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| item.to_string()),
                    o.get("id").and_then(Value::as_str).map(str::to_string),
                    o.get("severity")
                        .and_then(Value::as_str)
                        .and_then(|s| Severity::from_str(s).ok()),
                ),
                other => (other.to_string(), None, None),
            };
            hits.push(PolicyHit {
                id: id.unwrap_or_else(|| format!("REGO-{pkg_short}")),
                severity: sev.unwrap_or(Severity::Medium),
                title: format!("policy {pkg_short}"),
                message: msg,
                source: r.file.clone(),
            });
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals() {
        assert_eq!(resource_of("Deployment"), "deployments");
        assert_eq!(resource_of("Ingress"), "ingresses");
        assert_eq!(resource_of("NetworkPolicy"), "networkpolicies");
    }
}
