//! Falco rules-file loader: lists, macros, rules, exceptions, append and
//! override, engine/plugin version requirements, visibility by load order.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::compile::{self, CNode};
use crate::cond::{self, Expr, Rhs, Value};
use crate::yaml::{self, Kind, Node, Pos};
use crate::{Priority, ENGINE_VERSION};

/// Plugins whose fields this engine provides natively, with the version it stands for.
const BUILTIN_PLUGINS: &[(&str, &str)] = &[("container", "0.4.0")];

/// Biggest rules file accepted.
const MAX_FILE: u64 = 64 << 20;
/// Deepest macro expansion.
const MAX_MACRO_DEPTH: usize = 64;

/// A positioned diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diag {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub msg: String,
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.col, self.msg)
    }
}

/// Loading failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{file}: cannot read rules file: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", join_diags(.0))]
    Invalid(Vec<Diag>),
}

fn join_diags(d: &[Diag]) -> String {
    d.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

impl LoadError {
    pub fn diags(&self) -> Vec<Diag> {
        match self {
            LoadError::Invalid(d) => d.clone(),
            LoadError::Io { file, source } => vec![Diag {
                file: file.clone(),
                line: 0,
                col: 0,
                msg: source.to_string(),
            }],
        }
    }
}

/// A rule dropped at load time because it uses an unknown field and has
/// `skip-if-unknown-filter: true`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRule {
    pub rule: String,
    pub field: String,
    pub file: String,
    pub line: usize,
}

/// What was loaded.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    pub files: Vec<String>,
    pub rules: usize,
    pub enabled_rules: usize,
    pub macros: usize,
    pub lists: usize,
    pub warnings: Vec<Diag>,
    pub skipped: Vec<SkippedRule>,
}

/// One compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub name: String,
    pub desc: String,
    /// The final condition text (after append/override/exceptions).
    pub condition: String,
    pub output: String,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub enabled: bool,
    pub source: String,
    /// Event types the condition can match; `None` means every type.
    pub event_types: Option<BTreeSet<String>>,
    pub file: String,
    pub line: usize,
    pub(crate) compiled: CNode,
    pub(crate) output_fmt: crate::output::Format,
    /// Highest macro id used by the condition (sizes the memo table).
    pub(crate) max_macro_id: usize,
}

/// The loaded rules, in definition order.
#[derive(Debug)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
struct Loc {
    file: String,
    pos: Pos,
    block: bool,
}

#[derive(Debug, Clone)]
struct ListDef {
    items: Vec<Value>,
    index: usize,
    loc: Loc,
}

#[derive(Debug, Clone)]
struct MacroDef {
    cond: String,
    index: usize,
    loc: Loc,
    cond_loc: Loc,
}

#[derive(Debug, Clone)]
struct ExcDef {
    name: String,
    fields: Vec<String>,
    single_field: bool,
    comps: Vec<String>,
    values: Vec<Node>,
    loc: Loc,
}

#[derive(Debug, Clone)]
struct RuleDef {
    name: String,
    cond: Option<String>,
    output: Option<String>,
    desc: Option<String>,
    priority: Option<Priority>,
    tags: Vec<String>,
    enabled: bool,
    source: String,
    skip_unknown: bool,
    warn_evttypes: bool,
    exceptions: Vec<ExcDef>,
    index: usize,
    loc: Loc,
    cond_loc: Loc,
}

#[derive(Default)]
struct Loader {
    lists: HashMap<String, ListDef>,
    macros: HashMap<String, MacroDef>,
    rules: Vec<RuleDef>,
    rule_idx: HashMap<String, usize>,
    list_order: Vec<String>,
    macro_order: Vec<String>,
    counter: usize,
    errors: Vec<Diag>,
    warnings: Vec<Diag>,
}

fn diag(loc: &Loc, msg: impl Into<String>) -> Diag {
    Diag {
        file: loc.file.clone(),
        line: loc.pos.line,
        col: loc.pos.col,
        msg: msg.into(),
    }
}

fn at(file: &str, n: &Node) -> Loc {
    Loc {
        file: file.to_string(),
        pos: n.pos,
        block: n.block,
    }
}

fn scalar_string(n: &Node) -> Option<String> {
    n.as_str().map(str::to_string)
}

fn parse_version(s: &str) -> Option<(u64, u64, u64)> {
    let mut it = s.trim().split('.');
    let a = it.next()?.parse().ok()?;
    let b = it.next().map(|x| x.parse().ok()).unwrap_or(Some(0))?;
    let c = it.next().map(|x| x.parse().ok()).unwrap_or(Some(0))?;
    Some((a, b, c))
}

impl RuleSet {
    /// Load rules files in order (later files see earlier definitions).
    pub fn load(files: &[PathBuf]) -> Result<(RuleSet, LoadReport), LoadError> {
        let mut sources = Vec::new();
        for f in files {
            let name = f.display().to_string();
            let meta = std::fs::metadata(f).map_err(|source| LoadError::Io {
                file: name.clone(),
                source,
            })?;
            if meta.len() > MAX_FILE {
                return Err(LoadError::Invalid(vec![Diag {
                    file: name,
                    line: 0,
                    col: 0,
                    msg: format!("rules file larger than {MAX_FILE} bytes"),
                }]));
            }
            let text = std::fs::read_to_string(f).map_err(|source| LoadError::Io {
                file: name.clone(),
                source,
            })?;
            sources.push((name, text));
        }
        let refs: Vec<(&str, &str)> = sources
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        Self::load_sources(&refs)
    }

    /// Load from in-memory `(file name, content)` pairs.
    pub fn load_sources(sources: &[(&str, &str)]) -> Result<(RuleSet, LoadReport), LoadError> {
        let mut l = Loader::default();
        for (file, text) in sources {
            l.load_file(file, text);
        }
        if !l.errors.is_empty() {
            return Err(LoadError::Invalid(l.errors));
        }
        let (rs, mut report) = l.compile();
        report.files = sources.iter().map(|(f, _)| f.to_string()).collect();
        rs.map(|r| (r, report))
    }

    /// Syscall names the enabled rules need; `None` when some enabled rule
    /// matches every event type (then the sensor must not filter).
    pub fn required_event_types(&self) -> Option<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        for r in self.rules.iter().filter(|r| r.enabled) {
            out.extend(r.event_types.clone()?);
        }
        // the state engine needs these to keep its tables right (not
        // `close`: events from the sensor that name an fd carry the
        // kernel's description of it, which replaces a table entry the
        // process closed since; see `State::apply`)
        for t in [
            "execve",
            "execveat",
            "clone",
            "clone3",
            "fork",
            "vfork",
            "procexit",
            "open",
            "openat",
            "openat2",
            "creat",
            "dup",
            "dup2",
            "dup3",
            "fcntl",
            "socket",
            "connect",
            "accept",
            "accept4",
            "bind",
            "listen",
            "pipe",
            "pipe2",
            "memfd_create",
            "chdir",
            "fchdir",
            "setuid",
            "setgid",
            "setresuid",
            "setresgid",
            "setreuid",
            "setregid",
        ] {
            out.insert(t.to_string());
        }
        Some(out)
    }
}

impl Loader {
    fn next_index(&mut self) -> usize {
        self.counter += 1;
        self.counter
    }

    fn err(&mut self, loc: &Loc, msg: impl Into<String>) {
        if self.errors.len() < 1000 {
            self.errors.push(diag(loc, msg));
        }
    }

    fn load_file(&mut self, file: &str, text: &str) {
        let docs = match yaml::parse(text) {
            Ok(d) => d,
            Err(e) => {
                self.errors.push(Diag {
                    file: file.to_string(),
                    line: e.pos.line,
                    col: e.pos.col,
                    msg: format!("invalid yaml: {}", e.msg),
                });
                return;
            }
        };
        for doc in &docs {
            if doc.is_null() {
                continue;
            }
            let Some(items) = doc.as_seq() else {
                self.err(&at(file, doc), "rules content is not yaml array of objects");
                continue;
            };
            for item in items {
                self.load_item(file, item);
            }
        }
    }

    fn load_item(&mut self, file: &str, item: &Node) {
        let loc = at(file, item);
        if item.as_map().is_none() {
            self.err(
                &loc,
                "unexpected element type: each element should be a yaml associative array",
            );
            return;
        }
        if let Some(v) = item.get("required_engine_version") {
            let s = v.as_str().unwrap_or("");
            match parse_version(s) {
                Some(req) => {
                    if req > ENGINE_VERSION {
                        self.err(
                            &at(file, v),
                            format!(
                                "rules require engine version {s}, but engine version is {}.{}.{}",
                                ENGINE_VERSION.0, ENGINE_VERSION.1, ENGINE_VERSION.2
                            ),
                        );
                    }
                }
                None => self.err(
                    &at(file, v),
                    format!("invalid required_engine_version '{s}'"),
                ),
            }
        } else if let Some(v) = item.get("required_plugin_versions") {
            self.plugin_versions(file, v);
        } else if item.get("list").is_some() {
            self.list(file, item);
        } else if item.get("macro").is_some() {
            self.macro_(file, item);
        } else if item.get("rule").is_some() {
            self.rule(file, item);
        } else {
            let key = item
                .as_map()
                .and_then(|m| m.first())
                .and_then(|(k, _)| k.as_str())
                .unwrap_or("");
            self.warnings
                .push(diag(&loc, format!("unknown top level object '{key}'")));
        }
    }

    fn plugin_versions(&mut self, file: &str, v: &Node) {
        let Some(seq) = v.as_seq() else {
            self.err(
                &at(file, v),
                "value of required_plugin_versions must be a sequence",
            );
            return;
        };
        for p in seq {
            let name = p.get("name").and_then(Node::as_str).unwrap_or("");
            let ver = p.get("version").and_then(Node::as_str).unwrap_or("");
            let mut candidates = vec![(name.to_string(), ver.to_string())];
            if let Some(alts) = p.get("alternatives").and_then(Node::as_seq) {
                for a in alts {
                    candidates.push((
                        a.get("name")
                            .and_then(Node::as_str)
                            .unwrap_or("")
                            .to_string(),
                        a.get("version")
                            .and_then(Node::as_str)
                            .unwrap_or("")
                            .to_string(),
                    ));
                }
            }
            let ok = candidates.iter().any(|(n, want)| {
                BUILTIN_PLUGINS.iter().any(|(bn, have)| {
                    bn == n
                        && match (parse_version(want), parse_version(have)) {
                            (Some(w), Some(h)) => h.0 == w.0 && h >= w,
                            _ => false,
                        }
                })
            });
            if !ok {
                self.err(
                    &at(file, p),
                    format!("plugin '{name}' (version {ver}) required by this rules file is not available"),
                );
            }
        }
    }

    /// Parse `override:` and validate it; returns key -> "append"/"replace".
    fn overrides(
        &mut self,
        file: &str,
        item: &Node,
        kind: &str,
        append_ok: &[&str],
        replace_ok: &[&str],
    ) -> Option<HashMap<String, String>> {
        let ov = item.get("override")?;
        let mut out = HashMap::new();
        let Some(m) = ov.as_map() else {
            self.err(&at(file, ov), "value of 'override' must be a mapping");
            return Some(out);
        };
        if item.get("append").is_some() {
            self.err(
                &at(file, ov),
                format!("keys 'override' and 'append' cannot be used together in the same {kind}"),
            );
        }
        for (k, v) in m {
            let key = k.as_str().unwrap_or("").to_string();
            let how = v.as_str().unwrap_or("").to_string();
            let allowed = match how.as_str() {
                "append" => append_ok,
                "replace" => replace_ok,
                _ => {
                    self.err(&at(file, v), format!("invalid override type '{how}' for key '{key}': must be append or replace"));
                    continue;
                }
            };
            if !allowed.contains(&key.as_str()) {
                self.err(
                    &at(file, k),
                    format!("key '{key}' cannot be overridden with '{how}' in a {kind}"),
                );
                continue;
            }
            if item.get(&key).is_none() {
                self.err(
                    &at(file, k),
                    format!("an override of '{key}' was specified but '{key}' is not defined"),
                );
                continue;
            }
            out.insert(key, how);
        }
        // every other key must be covered by the override
        if let Some(map) = item.as_map() {
            for (k, _) in map {
                let key = k.as_str().unwrap_or("");
                if key != kind && key != "override" && !out.contains_key(key) {
                    self.err(
                        &at(file, k),
                        format!("key '{key}' must be specified in override"),
                    );
                }
            }
        }
        Some(out)
    }

    fn str_list(&mut self, file: &str, n: &Node, what: &str) -> Vec<Value> {
        match &n.kind {
            Kind::Seq(v) => v
                .iter()
                .filter_map(|x| match &x.kind {
                    Kind::Scalar { value, .. } => Some(list_item(value)),
                    _ => {
                        self.err(&at(file, x), format!("items of {what} must be scalars"));
                        None
                    }
                })
                .collect(),
            _ if n.is_null() => Vec::new(),
            _ => {
                self.err(&at(file, n), format!("value of {what} must be a sequence"));
                Vec::new()
            }
        }
    }

    fn list(&mut self, file: &str, item: &Node) {
        let loc = at(file, item);
        let Some(name) = item.get("list").and_then(scalar_string) else {
            self.err(&loc, "list name must be a string");
            return;
        };
        let Some(items_node) = item.get("items") else {
            self.err(
                &loc,
                format!("list '{name}': item has no mapping for key 'items'"),
            );
            return;
        };
        let items = self.str_list(file, items_node, "items");
        let ov = self.overrides(file, item, "list", &["items"], &["items"]);
        let append = item.get("append").and_then(Node::as_bool).unwrap_or(false);
        let mode = match &ov {
            Some(m) => m.get("items").cloned(),
            None if append => Some("append".to_string()),
            None => None,
        };
        match mode.as_deref() {
            Some(how) => match self.lists.get_mut(&name) {
                Some(l) => {
                    if how == "append" {
                        l.items.extend(items);
                    } else {
                        l.items = items;
                    }
                }
                None => self.err(
                    &loc,
                    format!("list '{name}' has 'append' or 'override' key but no list by that name already exists"),
                ),
            },
            None => {
                let index = self.next_index();
                if !self.lists.contains_key(&name) {
                    self.list_order.push(name.clone());
                }
                self.lists.insert(name, ListDef { items, index, loc });
            }
        }
    }

    fn macro_(&mut self, file: &str, item: &Node) {
        let loc = at(file, item);
        let Some(name) = item.get("macro").and_then(scalar_string) else {
            self.err(&loc, "macro name must be a string");
            return;
        };
        let Some(cn) = item.get("condition") else {
            self.err(
                &loc,
                format!("macro '{name}': item has no mapping for key 'condition'"),
            );
            return;
        };
        let Some(cond) = cn.as_str().map(str::to_string) else {
            self.err(
                &at(file, cn),
                format!("macro '{name}': condition must be a string"),
            );
            return;
        };
        let cond_loc = at(file, cn);
        let ov = self.overrides(file, item, "macro", &["condition"], &["condition"]);
        let append = item.get("append").and_then(Node::as_bool).unwrap_or(false);
        let mode = match &ov {
            Some(m) => m.get("condition").cloned(),
            None if append => Some("append".to_string()),
            None => None,
        };
        match mode.as_deref() {
            Some(how) => match self.macros.get_mut(&name) {
                Some(m) => {
                    if how == "append" {
                        m.cond = format!("{} {}", m.cond, cond);
                    } else {
                        m.cond = cond;
                        m.cond_loc = cond_loc.clone();
                    }
                    // the joined text must still parse
                    if let Err(e) = cond::parse(&m.cond) {
                        let msg = format!("macro '{name}': condition: {}", e.msg);
                        self.err(&cond_loc, msg);
                    }
                }
                None => self.err(
                    &loc,
                    format!("macro '{name}' has 'append' or 'override' key but no macro by that name already exists"),
                ),
            },
            None => {
                // syntax is checked at load time even for unused macros
                if let Err(e) = cond::parse(&cond) {
                    self.err(
                        &offset_loc(&cond_loc, &cond, e.off),
                        format!("macro '{name}': condition: {}", e.msg),
                    );
                    return;
                }
                let index = self.next_index();
                if !self.macros.contains_key(&name) {
                    self.macro_order.push(name.clone());
                }
                self.macros.insert(
                    name,
                    MacroDef {
                        cond,
                        index,
                        loc,
                        cond_loc,
                    },
                );
            }
        }
    }

    fn exceptions(&mut self, file: &str, n: &Node, rule: &str, defining: bool) -> Vec<ExcDef> {
        let mut out = Vec::new();
        let Some(seq) = n.as_seq() else {
            if !n.is_null() {
                self.err(
                    &at(file, n),
                    format!("rule '{rule}': exceptions must be a sequence"),
                );
            }
            return out;
        };
        for e in seq {
            let loc = at(file, e);
            let Some(name) = e.get("name").and_then(scalar_string) else {
                self.err(&loc, format!("rule '{rule}': exception has no 'name'"));
                continue;
            };
            let mut fields = Vec::new();
            let mut single = false;
            match e.get("fields") {
                Some(f) => match &f.kind {
                    Kind::Scalar { value, .. } => {
                        single = true;
                        fields.push(value.clone());
                    }
                    Kind::Seq(v) => fields.extend(v.iter().filter_map(scalar_string)),
                    _ => self.err(&at(file, f), format!("rule '{rule}': exception '{name}': fields must be a string or a sequence")),
                },
                None if defining => {
                    self.err(&loc, format!("rule '{rule}': exception '{name}': item has no mapping for key 'fields'"));
                    continue;
                }
                None => {}
            }
            let mut comps = Vec::new();
            match e.get("comps") {
                Some(c) => match &c.kind {
                    Kind::Scalar { value, .. } => comps.push(value.clone()),
                    Kind::Seq(v) => comps.extend(v.iter().filter_map(scalar_string)),
                    _ => {}
                },
                None => {
                    if single {
                        comps.push("in".into());
                    } else {
                        comps.extend(fields.iter().map(|_| "=".to_string()));
                    }
                }
            }
            if defining || !fields.is_empty() {
                if comps.len() != fields.len() {
                    self.err(&loc, format!("rule '{rule}': exception '{name}': fields and comps lists must have equal length"));
                    continue;
                }
                for (f, c) in fields.iter().zip(&comps) {
                    let (fname, farg) = split_field(f);
                    if crate::fields::resolve(fname, farg).is_err() {
                        self.err(&loc, format!("rule '{rule}': exception '{name}': '{f}' is not a supported filter field"));
                    }
                    if !VALID_COMPS.contains(&c.as_str()) {
                        self.err(&loc, format!("rule '{rule}': exception '{name}': '{c}' is not a supported comparison operator"));
                    }
                }
            }
            let values = match e.get("values") {
                Some(v) => match &v.kind {
                    Kind::Seq(x) => x.clone(),
                    _ if v.is_null() => Vec::new(),
                    _ => {
                        self.err(
                            &at(file, v),
                            format!("rule '{rule}': exception '{name}': values must be a sequence"),
                        );
                        Vec::new()
                    }
                },
                None => Vec::new(),
            };
            out.push(ExcDef {
                name,
                fields,
                single_field: single,
                comps,
                values,
                loc,
            });
        }
        out
    }

    fn rule(&mut self, file: &str, item: &Node) {
        let loc = at(file, item);
        let Some(name) = item.get("rule").and_then(scalar_string) else {
            self.err(&loc, "rule name must be a string");
            return;
        };
        let ov = self.overrides(
            file,
            item,
            "rule",
            &["condition", "output", "desc", "tags", "exceptions"],
            &[
                "condition",
                "output",
                "desc",
                "priority",
                "tags",
                "exceptions",
                "enabled",
                "warn_evttypes",
                "skip-if-unknown-filter",
            ],
        );
        let append = item.get("append").and_then(Node::as_bool).unwrap_or(false);
        let get_str = |k: &str| item.get(k).and_then(scalar_string);
        let priority = match item.get("priority") {
            Some(p) => match p.as_str().and_then(Priority::parse) {
                Some(x) => Some(x),
                None => {
                    self.err(
                        &at(file, p),
                        format!(
                            "rule '{name}': invalid priority '{}'",
                            p.as_str().unwrap_or("")
                        ),
                    );
                    return;
                }
            },
            None => None,
        };
        let tags: Option<Vec<String>> = item.get("tags").map(|t| {
            self.str_list(file, t, "tags")
                .into_iter()
                .map(|v| v.text)
                .collect()
        });
        let enabled = item.get("enabled").map(|e| match e.as_bool() {
            Some(b) => b,
            None => {
                self.err(
                    &at(file, e),
                    format!("rule '{name}': enabled must be a boolean"),
                );
                true
            }
        });
        let bool_key = |k: &str| item.get(k).and_then(Node::as_bool);
        let cond_node = item.get("condition");
        let cond_loc = cond_node
            .map(|c| at(file, c))
            .unwrap_or_else(|| loc.clone());
        let existing = self.rule_idx.get(&name).copied();
        let is_modifier = ov.is_some() || append;
        if let Some(c) = cond_node {
            if c.as_str().is_none() {
                self.err(
                    &cond_loc,
                    format!("rule '{name}': condition must be a string"),
                );
                return;
            }
        }
        let exc = item
            .get("exceptions")
            .map(|e| self.exceptions(file, e, &name, !is_modifier));
        if is_modifier {
            let Some(idx) = existing else {
                self.err(
                    &loc,
                    format!("rule '{name}' has 'append' or 'override' key but no rule by that name already exists"),
                );
                return;
            };
            let modes: HashMap<String, String> = match ov {
                Some(m) => m,
                None => ["condition", "output", "desc", "tags", "exceptions"]
                    .iter()
                    .filter(|k| item.get(k).is_some())
                    .map(|k| (k.to_string(), "append".to_string()))
                    .collect(),
            };
            if append && item.get("priority").is_some() {
                self.err(
                    &loc,
                    format!("rule '{name}': key 'priority' cannot be appended"),
                );
            }
            let Some(r) = self.rules.get_mut(idx) else {
                return;
            };
            for (k, how) in modes {
                let app = how == "append";
                match k.as_str() {
                    "condition" => {
                        if let Some(c) = get_str("condition") {
                            r.cond = Some(match (&r.cond, app) {
                                (Some(old), true) => format!("{old} {c}"),
                                _ => c,
                            });
                            if !app {
                                r.cond_loc = cond_loc.clone();
                            }
                        }
                    }
                    "output" => {
                        if let Some(c) = get_str("output") {
                            r.output = Some(match (&r.output, app) {
                                (Some(old), true) => format!("{old} {c}"),
                                _ => c,
                            });
                        }
                    }
                    "desc" => {
                        if let Some(c) = get_str("desc") {
                            r.desc = Some(match (&r.desc, app) {
                                (Some(old), true) => format!("{old} {c}"),
                                _ => c,
                            });
                        }
                    }
                    "priority" => r.priority = priority.or(r.priority),
                    "tags" => {
                        if let Some(t) = &tags {
                            if app {
                                r.tags.extend(t.iter().cloned());
                            } else {
                                r.tags = t.clone();
                            }
                        }
                    }
                    "enabled" => {
                        if let Some(e) = enabled {
                            r.enabled = e;
                        }
                    }
                    "warn_evttypes" => r.warn_evttypes = bool_key("warn_evttypes").unwrap_or(true),
                    "skip-if-unknown-filter" => {
                        r.skip_unknown = bool_key("skip-if-unknown-filter").unwrap_or(false)
                    }
                    "exceptions" => {
                        if let Some(ex) = &exc {
                            if app {
                                for e in ex {
                                    match r.exceptions.iter_mut().find(|x| x.name == e.name) {
                                        Some(x) => x.values.extend(e.values.iter().cloned()),
                                        None => {
                                            if e.fields.is_empty() {
                                                self.errors.push(diag(&e.loc, format!("rule '{name}': exception '{}' appended but not defined in the rule", e.name)));
                                            } else {
                                                r.exceptions.push(e.clone());
                                            }
                                        }
                                    }
                                }
                            } else {
                                r.exceptions = ex.clone();
                            }
                        }
                    }
                    _ => {}
                }
            }
            return;
        }
        // a bare `rule` + `enabled` item toggles an existing rule (legacy)
        let only_enabled = item
            .as_map()
            .map(|m| {
                m.iter()
                    .all(|(k, _)| matches!(k.as_str(), Some("rule" | "enabled")))
            })
            .unwrap_or(false);
        if only_enabled && enabled.is_some() {
            match existing.and_then(|i| self.rules.get_mut(i)) {
                Some(r) => r.enabled = enabled.unwrap_or(true),
                None => self.err(
                    &loc,
                    format!(
                        "rule '{name}': enabled specified but no rule by that name already exists"
                    ),
                ),
            }
            return;
        }
        for k in ["condition", "output", "desc", "priority"] {
            if item.get(k).is_none() {
                self.err(
                    &loc,
                    format!("rule '{name}': item has no mapping for key '{k}'"),
                );
                return;
            }
        }
        if let Some(m) = item.as_map() {
            for (k, _) in m {
                let key = k.as_str().unwrap_or("");
                if !RULE_KEYS.contains(&key) {
                    self.warnings.push(diag(
                        &at(file, k),
                        format!("rule '{name}': unknown key '{key}'"),
                    ));
                }
            }
        }
        let index = self.next_index();
        let def = RuleDef {
            name: name.clone(),
            cond: get_str("condition"),
            output: get_str("output"),
            desc: get_str("desc"),
            priority,
            tags: tags.unwrap_or_default(),
            enabled: enabled.unwrap_or(true),
            source: get_str("source").unwrap_or_else(|| "syscall".into()),
            skip_unknown: bool_key("skip-if-unknown-filter").unwrap_or(false),
            warn_evttypes: bool_key("warn_evttypes").unwrap_or(true),
            exceptions: exc.unwrap_or_default(),
            index,
            loc,
            cond_loc,
        };
        match existing {
            // redefinition replaces, keeping the original position in order
            Some(i) => {
                if let Some(slot) = self.rules.get_mut(i) {
                    *slot = def;
                }
            }
            None => {
                self.rule_idx.insert(name, self.rules.len());
                self.rules.push(def);
            }
        }
    }

    /// Expand list references in a list's items, in load order.
    fn expanded_lists(&mut self) -> HashMap<String, (Vec<Value>, usize)> {
        let mut done: HashMap<String, (Vec<Value>, usize)> = HashMap::new();
        let mut order: Vec<(String, usize)> = self
            .lists
            .iter()
            .map(|(n, l)| (n.clone(), l.index))
            .collect();
        order.sort_by_key(|(_, i)| *i);
        for (name, index) in order {
            let Some(l) = self.lists.get(&name) else {
                continue;
            };
            let mut items = Vec::new();
            for it in &l.items {
                if !it.quoted {
                    if let Some((sub, si)) = done.get(&it.text) {
                        if *si < index {
                            items.extend(sub.iter().cloned());
                            continue;
                        }
                    }
                }
                items.push(it.clone());
            }
            done.insert(name, (items, index));
        }
        done
    }

    fn compile(mut self) -> (Result<RuleSet, LoadError>, LoadReport) {
        let lists = self.expanded_lists();
        let mut used_lists: HashSet<String> = HashSet::new();
        let mut used_macros: HashSet<String> = HashSet::new();
        // parse macros once
        let mut macro_ast: HashMap<String, (Expr, usize)> = HashMap::new();
        let macro_names: Vec<String> = self.macro_order.clone();
        for name in &macro_names {
            let Some(m) = self.macros.get(name).cloned() else {
                continue;
            };
            match cond::parse(&m.cond) {
                Ok(mut e) => {
                    resolve_lists(&mut e, &lists, m.index, &mut used_lists);
                    macro_ast.insert(name.clone(), (e, m.index));
                }
                Err(e) => self.err(
                    &offset_loc(&m.cond_loc, &m.cond, e.off),
                    format!("macro '{name}': condition: {}", e.msg),
                ),
            }
        }
        let mut report = LoadReport {
            lists: self.lists.len(),
            macros: self.macros.len(),
            ..Default::default()
        };
        let mut out = Vec::new();
        let rules = std::mem::take(&mut self.rules);
        for r in rules {
            let Some(base) = r.cond.clone() else { continue };
            let exc = match exceptions_condition(&r) {
                Ok(x) => x,
                Err(msg) => {
                    self.err(&r.loc, format!("rule '{}': {msg}", r.name));
                    continue;
                }
            };
            let condition = if exc.is_empty() {
                base.clone()
            } else {
                format!("({base}){exc}")
            };
            let mut ast = match cond::parse(&condition) {
                Ok(a) => a,
                Err(e) => {
                    let loc = if e.off < base.len() + 1 {
                        offset_loc(
                            &r.cond_loc,
                            &base,
                            e.off.saturating_sub(usize::from(!exc.is_empty())),
                        )
                    } else {
                        r.loc.clone()
                    };
                    self.err(&loc, format!("rule '{}': condition: {}", r.name, e.msg));
                    continue;
                }
            };
            resolve_lists(&mut ast, &lists, r.index, &mut used_lists);
            if let Err((off, msg)) =
                expand_macros(&mut ast, &macro_ast, r.index, 0, &mut used_macros)
            {
                let loc = if off < base.len() {
                    offset_loc(&r.cond_loc, &base, off)
                } else {
                    r.cond_loc.clone()
                };
                self.err(&loc, format!("rule '{}': {msg}", r.name));
                continue;
            }
            if r.source != "syscall" {
                self.warnings.push(diag(
                    &r.loc,
                    format!(
                        "rule '{}': source '{}' is not supported, rule ignored",
                        r.name, r.source
                    ),
                ));
                continue;
            }
            let compiled = match compile::compile(&ast) {
                Ok(c) => c,
                Err(e) => {
                    if let (Some(f), true) = (&e.unknown_field, r.skip_unknown) {
                        report.skipped.push(SkippedRule {
                            rule: r.name.clone(),
                            field: f.clone(),
                            file: r.loc.file.clone(),
                            line: r.loc.pos.line,
                        });
                        self.warnings.push(diag(
                            &r.loc,
                            format!(
                                "rule '{}' skipped: unknown field '{f}' (skip-if-unknown-filter)",
                                r.name
                            ),
                        ));
                    } else {
                        self.err(
                            &r.cond_loc,
                            format!("rule '{}': condition: {}", r.name, e.msg),
                        );
                    }
                    continue;
                }
            };
            let output = r.output.clone().unwrap_or_default();
            let output_fmt = match crate::output::Format::parse(&output) {
                Ok(f) => f,
                Err(msg) => {
                    if r.skip_unknown {
                        report.skipped.push(SkippedRule {
                            rule: r.name.clone(),
                            field: msg.clone(),
                            file: r.loc.file.clone(),
                            line: r.loc.pos.line,
                        });
                        continue;
                    }
                    self.err(&r.loc, format!("rule '{}': output: {msg}", r.name));
                    continue;
                }
            };
            let event_types = compile::event_types(&ast);
            let compiled = match &event_types {
                Some(types) => compile::specialize(compiled, types),
                None => compiled,
            };
            if event_types.is_none() && r.warn_evttypes && r.enabled {
                self.warnings.push(diag(
                    &r.cond_loc,
                    format!("rule '{}': rule matches too many evt.type values; this has a significant performance penalty", r.name),
                ));
            }
            out.push(Rule {
                name: r.name.clone(),
                desc: r.desc.clone().unwrap_or_default(),
                condition,
                output,
                priority: r.priority.unwrap_or(Priority::Debug),
                tags: r.tags.clone(),
                enabled: r.enabled,
                source: r.source.clone(),
                event_types,
                file: r.loc.file.clone(),
                line: r.loc.pos.line,
                compiled,
                output_fmt,
                max_macro_id: max_macro_id(&ast),
            });
        }
        for name in &self.macro_order {
            if !used_macros.contains(name) {
                if let Some(m) = self.macros.get(name) {
                    self.warnings.push(diag(
                        &m.loc,
                        format!("macro '{name}' not referred to by any other rule/macro"),
                    ));
                }
            }
        }
        for name in &self.list_order {
            if !used_lists.contains(name) {
                if let Some(l) = self.lists.get(name) {
                    let used_by_list = self
                        .lists
                        .values()
                        .any(|o| o.items.iter().any(|i| !i.quoted && &i.text == name));
                    if !used_by_list {
                        self.warnings.push(diag(
                            &l.loc,
                            format!("list '{name}' not referred to by any other rule/macro"),
                        ));
                    }
                }
            }
        }
        report.rules = out.len();
        report.enabled_rules = out.iter().filter(|r| r.enabled).count();
        report.warnings = std::mem::take(&mut self.warnings);
        if !self.errors.is_empty() {
            return (Err(LoadError::Invalid(self.errors)), report);
        }
        (Ok(RuleSet { rules: out }), report)
    }
}

const RULE_KEYS: &[&str] = &[
    "rule",
    "condition",
    "output",
    "desc",
    "priority",
    "tags",
    "enabled",
    "exceptions",
    "source",
    "skip-if-unknown-filter",
    "warn_evttypes",
    "append",
    "override",
    "capture",
    "capture_duration",
];

const VALID_COMPS: &[&str] = &[
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "contains",
    "icontains",
    "bcontains",
    "startswith",
    "bstartswith",
    "endswith",
    "glob",
    "iglob",
    "regex",
    "in",
    "intersects",
    "pmatch",
];

fn split_field(f: &str) -> (&str, Option<&str>) {
    match f.find('[') {
        Some(i) if f.ends_with(']') => (f.get(..i).unwrap_or(f), f.get(i + 1..f.len() - 1)),
        _ => (f, None),
    }
}

fn list_item(s: &str) -> Value {
    let t = s.trim();
    let quoted = t.len() >= 2
        && ((t.starts_with('"') && t.ends_with('"')) || (t.starts_with('\'') && t.ends_with('\'')));
    Value {
        text: if quoted {
            t.get(1..t.len() - 1).unwrap_or("").to_string()
        } else {
            s.to_string()
        },
        quoted,
        off: 0,
    }
}

/// Quote a value for insertion into generated condition text.
fn quote(v: &str) -> String {
    if v.starts_with('"') || v.starts_with('\'') {
        return v.to_string();
    }
    if v.is_empty()
        || v.chars()
            .any(|c| c.is_whitespace() || matches!(c, '(' | ')' | ','))
    {
        return format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""));
    }
    v.to_string()
}

fn value_text(n: &Node, list_op: bool) -> Result<String, String> {
    match &n.kind {
        Kind::Scalar { value, .. } => Ok(if list_op {
            format!("({})", quote(value))
        } else {
            quote(value)
        }),
        Kind::Seq(v) => {
            let items: Result<Vec<String>, String> = v
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(quote)
                        .ok_or_else(|| "exception value lists must hold scalars".to_string())
                })
                .collect();
            Ok(format!("({})", items?.join(", ")))
        }
        Kind::Map(_) => Err("exception values must be scalars or sequences".into()),
    }
}

/// Falco's exception rewrite: ` and not (...)` per exception with values.
fn exceptions_condition(r: &RuleDef) -> Result<String, String> {
    let mut out = String::new();
    for e in &r.exceptions {
        if e.values.is_empty() {
            continue;
        }
        let mut alts = Vec::new();
        if e.single_field {
            let field = e.fields.first().cloned().unwrap_or_default();
            let comp = e.comps.first().cloned().unwrap_or_else(|| "in".into());
            let list_op = matches!(comp.as_str(), "in" | "intersects" | "pmatch");
            let vals: Result<Vec<String>, String> = e
                .values
                .iter()
                .map(|v| match &v.kind {
                    Kind::Scalar { value, .. } => Ok(quote(value)),
                    _ => value_text(v, false),
                })
                .collect();
            let vals = vals?;
            if list_op {
                alts.push(format!("{field} {comp} ({})", vals.join(", ")));
            } else {
                for v in vals {
                    alts.push(format!("{field} {comp} {v}"));
                }
            }
        } else {
            for tuple in &e.values {
                let Some(items) = tuple.as_seq() else {
                    return Err(format!(
                        "exception '{}': each value must be a sequence matching the fields",
                        e.name
                    ));
                };
                if items.len() != e.fields.len() {
                    return Err(format!(
                        "exception '{}': value has {} items but there are {} fields",
                        e.name,
                        items.len(),
                        e.fields.len()
                    ));
                }
                let mut parts = Vec::new();
                for ((f, c), v) in e.fields.iter().zip(&e.comps).zip(items) {
                    let list_op = matches!(c.as_str(), "in" | "intersects" | "pmatch");
                    parts.push(format!("{f} {c} {}", value_text(v, list_op)?));
                }
                alts.push(format!("({})", parts.join(" and ")));
            }
        }
        if !alts.is_empty() {
            out.push_str(&format!(" and not ({})", alts.join(" or ")));
        }
    }
    Ok(out)
}

fn offset_loc(base: &Loc, text: &str, off: usize) -> Loc {
    let (dl, col) = cond::offset_to_line_col(text, off);
    // block scalars start on the line after the key; plain scalars on the key line
    let mut pos = base.pos;
    if base.block {
        // block scalar: content begins on the next line, indented
        pos.line += 1 + dl;
        pos.col = if dl == 0 { base.pos.col + 1 + col } else { col };
    } else if dl == 0 {
        pos.col += col.saturating_sub(1);
    } else {
        pos.line += dl;
        pos.col = col;
    }
    Loc {
        file: base.file.clone(),
        pos,
        block: false,
    }
}

/// Replace list names in list operands by their items.
fn resolve_lists(
    e: &mut Expr,
    lists: &HashMap<String, (Vec<Value>, usize)>,
    visibility: usize,
    used: &mut HashSet<String>,
) {
    match e {
        Expr::And(v) | Expr::Or(v) => v
            .iter_mut()
            .for_each(|x| resolve_lists(x, lists, visibility, used)),
        Expr::Not(x) | Expr::Macro(_, x) => resolve_lists(x, lists, visibility, used),
        Expr::Check {
            rhs: Rhs::List(items),
            ..
        } => {
            let mut out = Vec::with_capacity(items.len());
            for it in items.drain(..) {
                if !it.quoted {
                    if let Some((sub, _idx)) = lists.get(&it.text) {
                        {
                            let _ = visibility;
                            used.insert(it.text.clone());
                            out.extend(sub.iter().map(|s| Value {
                                text: s.text.clone(),
                                quoted: s.quoted,
                                off: it.off,
                            }));
                            continue;
                        }
                    }
                }
                out.push(it);
            }
            *items = out;
        }
        _ => {}
    }
}

fn max_macro_id(e: &Expr) -> usize {
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter().map(max_macro_id).max().unwrap_or(0),
        Expr::Not(x) => max_macro_id(x),
        Expr::Macro(id, x) => (*id).max(max_macro_id(x)),
        _ => 0,
    }
}

fn expand_macros(
    e: &mut Expr,
    macros: &HashMap<String, (Expr, usize)>,
    visibility: usize,
    depth: usize,
    used: &mut HashSet<String>,
) -> Result<(), (usize, String)> {
    if depth > MAX_MACRO_DEPTH {
        return Err((
            0,
            format!("macro expansion deeper than {MAX_MACRO_DEPTH} levels (recursive macro?)"),
        ));
    }
    match e {
        Expr::And(v) | Expr::Or(v) => {
            for x in v {
                expand_macros(x, macros, visibility, depth, used)?;
            }
        }
        Expr::Not(x) | Expr::Macro(_, x) => expand_macros(x, macros, visibility, depth, used)?,
        Expr::Ident(name, off) => match macros.get(name.as_str()) {
            Some((m, idx)) => {
                let _ = visibility;
                used.insert(name.clone());
                let mut body = m.clone();
                expand_macros(&mut body, macros, *idx, depth + 1, used)
                    .map_err(|(_, msg)| (*off, msg))?;
                // macro ids are their definition indexes
                *e = Expr::Macro(*idx, Box::new(body));
            }
            _ => return Err((*off, format!("undefined macro '{name}' used in filter"))),
        },
        _ => {}
    }
    Ok(())
}

/// The positions helper for tests: `file:line:col` of a diagnostic.
pub fn describe(d: &Diag) -> String {
    d.to_string()
}

#[allow(dead_code)]
fn _path_is_used(_: &Path) {}
