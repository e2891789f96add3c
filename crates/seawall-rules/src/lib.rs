//! Falco-compatible rules engine.
//!
//! ```no_run
//! use seawall_rules::{Engine, EngineOptions, RuleSet};
//! let (rules, report) = RuleSet::load(&["falco_rules.yaml".into()]).unwrap();
//! let mut engine = Engine::new(rules, EngineOptions::default());
//! # let event: seawall_event::Event = unimplemented!();
//! for alert in engine.process(&event) {
//!     println!("{}", alert.to_text());
//! }
//! ```

pub mod compile;
pub mod cond;
pub mod fields;
pub mod flags;
pub mod fxhash;
pub mod glob;
pub mod loader;
pub mod output;
pub mod state;
pub mod yaml;

use std::collections::HashSet;
use std::fmt;

use seawall_event::{Event, EventType, Record};

pub use loader::{Diag, LoadError, LoadReport, Rule, RuleSet, SkippedRule};

/// The Falco engine version these rules semantics correspond to.
pub const ENGINE_VERSION: (u64, u64, u64) = (0, 57, 0);

/// Falco rule priorities, most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Informational,
    Debug,
}

impl Priority {
    pub fn parse(s: &str) -> Option<Priority> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "emergency" => Priority::Emergency,
            "alert" => Priority::Alert,
            "critical" => Priority::Critical,
            "error" => Priority::Error,
            "warning" => Priority::Warning,
            "notice" => Priority::Notice,
            "informational" | "info" => Priority::Informational,
            "debug" => Priority::Debug,
            _ => return None,
        })
    }
    /// Falco's spelling in alerts (`Warning`, `Critical`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }
    /// At least as severe as `min`.
    pub fn at_least(self, min: Priority) -> bool {
        self <= min
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which rules run and how matches are reported.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Only rules at least this severe.
    pub min_priority: Priority,
    /// Only these rules (by name), when non-empty.
    pub rules: Vec<String>,
    /// Only rules carrying one of these tags, when non-empty.
    pub tags: Vec<String>,
    /// Rules to leave out by name.
    pub disable_rules: Vec<String>,
    /// Rules to leave out by tag.
    pub disable_tags: Vec<String>,
    /// Stop at the first matching rule per event (Falco's default); when
    /// false every matching rule alerts.
    pub first_match: bool,
    /// Hostname for alerts; defaults to the stream's `host` record, then the machine's.
    pub hostname: Option<String>,
    /// Also run rules marked `enabled: false`.
    pub include_disabled: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            min_priority: Priority::Debug,
            rules: Vec::new(),
            tags: Vec::new(),
            disable_rules: Vec::new(),
            disable_tags: Vec::new(),
            first_match: true,
            hostname: None,
            include_disabled: false,
        }
    }
}

/// A rule match, serialisable as a Falco JSON alert.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Alert {
    /// RFC 3339 time of the event.
    pub time: String,
    pub rule: String,
    pub priority: String,
    pub source: String,
    pub output: String,
    pub output_fields: serde_json::Map<String, serde_json::Value>,
    pub tags: Vec<String>,
    pub hostname: String,
}

impl Alert {
    /// Falco's text line: `HH:MM:SS.nnnnnnnnn: Priority output`.
    pub fn to_text(&self) -> String {
        self.output.clone()
    }
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The engine: owns the rules and the state tables.
pub struct Engine {
    rules: Vec<Rule>,
    /// Rule indexes per known event-type code.
    by_code: Vec<Vec<usize>>,
    /// Rules for unknown event types by name.
    by_name: std::collections::HashMap<String, Vec<usize>>,
    /// Rules without an event-type restriction.
    any: Vec<usize>,
    state: state::State,
    opts: EngineOptions,
    evtnum: u64,
    hostname: String,
    /// Macro results for the current event.
    memo: Vec<std::cell::Cell<u8>>,
}

impl Engine {
    pub fn new(ruleset: RuleSet, opts: EngineOptions) -> Engine {
        let rules = ruleset.rules;
        let names: HashSet<&str> = opts.rules.iter().map(String::as_str).collect();
        let tags: HashSet<&str> = opts.tags.iter().map(String::as_str).collect();
        let dis_names: HashSet<&str> = opts.disable_rules.iter().map(String::as_str).collect();
        let dis_tags: HashSet<&str> = opts.disable_tags.iter().map(String::as_str).collect();
        let mut by_code = vec![Vec::new(); EventType::COUNT];
        let mut by_name: std::collections::HashMap<String, Vec<usize>> = Default::default();
        let mut any = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            let selected = (r.enabled || opts.include_disabled || names.contains(r.name.as_str()))
                && r.priority.at_least(opts.min_priority)
                && (names.is_empty() || names.contains(r.name.as_str()))
                && (tags.is_empty() || r.tags.iter().any(|t| tags.contains(t.as_str())))
                && !dis_names.contains(r.name.as_str())
                && !r.tags.iter().any(|t| dis_tags.contains(t.as_str()));
            if !selected {
                continue;
            }
            match &r.event_types {
                None => any.push(i),
                Some(set) => {
                    for t in set {
                        match EventType::from_name(t).code() {
                            Some(c) => {
                                if let Some(v) = by_code.get_mut(c) {
                                    v.push(i);
                                }
                            }
                            None => by_name.entry(t.clone()).or_default().push(i),
                        }
                    }
                }
            }
        }
        let hostname = opts.hostname.clone().unwrap_or_else(machine_hostname);
        let memo_len = rules
            .iter()
            .map(|r| r.max_macro_id)
            .max()
            .unwrap_or(0)
            .min(compile::MAX_MEMO);
        Engine {
            rules,
            by_code,
            by_name,
            any,
            state: state::State::default(),
            opts,
            evtnum: 0,
            hostname,
            memo: vec![std::cell::Cell::new(0); memo_len + 1],
        }
    }

    /// Number of rules that will be evaluated.
    pub fn active_rules(&self) -> usize {
        let mut s: HashSet<usize> = self.any.iter().copied().collect();
        for v in &self.by_code {
            s.extend(v.iter().copied());
        }
        for v in self.by_name.values() {
            s.extend(v.iter().copied());
        }
        s.len()
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Read-only view of the state tables.
    pub fn state(&self) -> &state::State {
        &self.state
    }

    /// Feed any record: metadata updates tables, syscalls are evaluated.
    pub fn process_record(&mut self, rec: &Record) -> Vec<Alert> {
        match rec {
            Record::Syscall(e) => return self.process(e),
            Record::Container(c) => self.state.add_container(c.clone()),
            Record::User(u) => self.state.add_user(u.clone()),
            Record::Group(g) => self.state.add_group(g.clone()),
            Record::Process(p) => self.state.add_process(p.clone()),
            Record::Dns(d) => {
                for a in &d.addrs {
                    if self.state.dns.len() < 1_000_000 {
                        self.state.dns.insert(*a, d.name.clone());
                    }
                }
            }
            Record::Host(h) => {
                if self.opts.hostname.is_none() && !h.hostname.is_empty() {
                    self.hostname = h.hostname.clone();
                }
                self.state.hostname = h.hostname.clone();
                self.state.boot_ts = h.boot_ts;
            }
        }
        Vec::new()
    }

    /// Evaluate one syscall event (updating the state tables).
    pub fn process(&mut self, ev: &Event) -> Vec<Alert> {
        self.evtnum += 1;
        let efd = self.state.apply(ev);
        for c in self.memo.iter_mut() {
            *c.get_mut() = 0;
        }
        let mut alerts = Vec::new();
        {
            let st = &self.state;
            if st.hostname.is_empty() && !self.hostname.is_empty() {
                // evt.hostname falls back to the engine's hostname
            }
            let fd = efd
                .fd
                .as_ref()
                .or_else(|| efd.fd_ref.and_then(|n| st.lookup_fd(ev.pid, n)));
            let ctx = fields::Ctx {
                ev,
                st,
                th: st.threads.get(&ev.tid),
                fd,
                evtnum: self.evtnum,
                code: ev.evt_type.code(),
                flags: None,
                memo: &self.memo,
            };
            let typed: &[usize] = match ev.evt_type.code() {
                Some(c) => self.by_code.get(c).map(Vec::as_slice).unwrap_or(&[]),
                None => self
                    .by_name
                    .get(ev.evt_type.name())
                    .map(Vec::as_slice)
                    .unwrap_or(&[]),
            };
            // evaluate in rule order across both candidate lists
            let (mut a, mut b) = (0, 0);
            loop {
                let next = match (typed.get(a), self.any.get(b)) {
                    (Some(x), Some(y)) if x < y => {
                        a += 1;
                        *x
                    }
                    (Some(x), None) => {
                        a += 1;
                        *x
                    }
                    (_, Some(y)) => {
                        b += 1;
                        *y
                    }
                    (None, None) => break,
                };
                let Some(rule) = self.rules.get(next) else {
                    continue;
                };
                if compile::eval(&rule.compiled, &ctx) {
                    let (output, fields) = rule.output_fmt.render(&ctx);
                    alerts.push(Alert {
                        time: fields::rfc3339(ev.ts_ns),
                        rule: rule.name.clone(),
                        priority: rule.priority.as_str().to_string(),
                        source: "syscall".into(),
                        output: format!(
                            "{}: {} {}",
                            fields::fmt_time(ev.ts_ns, false),
                            rule.priority.as_str(),
                            output
                        ),
                        output_fields: fields,
                        tags: rule.tags.clone(),
                        hostname: self.hostname.clone(),
                    });
                    if self.opts.first_match {
                        break;
                    }
                }
            }
        }
        self.state.finish(ev);
        alerts
    }
}

fn machine_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Replay a JSON-lines stream through an engine, calling `sink` per alert.
pub fn replay<R: std::io::BufRead>(
    engine: &mut Engine,
    input: R,
    file: &str,
    mut sink: impl FnMut(&Alert),
) -> Result<u64, seawall_event::CodecError> {
    let mut n = 0;
    for rec in seawall_event::RecordReader::new(input, file) {
        let rec = rec?;
        n += 1;
        for a in engine.process_record(&rec) {
            sink(&a);
        }
    }
    Ok(n)
}
