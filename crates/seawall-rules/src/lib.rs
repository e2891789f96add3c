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
pub mod kfilter;
pub mod loader;
pub mod output;
pub mod pidmap;
pub mod prog;
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

/// A rule that matched the event being processed, handed to the sink of
/// [`Engine::process_with`]: what [`Engine::process`] makes an [`Alert`]
/// of, rendered only when asked for.
pub struct AlertRef<'a> {
    rule: &'a Rule,
    ctx: &'a fields::Ctx<'a>,
    hostname: &'a str,
}

impl<'a> AlertRef<'a> {
    /// The matching rule.
    pub fn rule(&self) -> &'a Rule {
        self.rule
    }

    /// The event.
    pub fn event(&self) -> &'a Event {
        self.ctx.ev
    }

    /// The event's context as the rule saw it (thread, fd, tables), to
    /// render further output formats ([`output::Format::render`],
    /// [`output::Format::render_text`]) with the same values.
    pub fn ctx(&self) -> &'a fields::Ctx<'a> {
        self.ctx
    }

    /// The alert's text line, as [`Alert::output`] (`HH:MM:SS.nnnnnnnnn:
    /// Priority output`), without building the output fields.
    pub fn output(&self) -> String {
        let mut out = fields::fmt_time(self.ctx.ev.ts_ns, false);
        out.push_str(": ");
        out.push_str(self.rule.priority.as_str());
        out.push(' ');
        self.rule.output_fmt.render_text(self.ctx, &mut out);
        out
    }

    /// The full alert, as [`Engine::process`] returns it.
    pub fn to_alert(&self) -> Alert {
        let rule = self.rule;
        let ts = self.ctx.ev.ts_ns;
        let (output, fields) = rule.output_fmt.render(self.ctx);
        let mut line = fields::fmt_time(ts, false);
        line.reserve(output.len() + 16);
        line.push_str(": ");
        line.push_str(rule.priority.as_str());
        line.push(' ');
        line.push_str(&output);
        Alert {
            time: fields::rfc3339(ts),
            rule: rule.name.clone(),
            priority: rule.priority.as_str().to_string(),
            source: "syscall".into(),
            output: line,
            output_fields: fields,
            tags: rule.tags.clone(),
            hostname: self.hostname.to_string(),
        }
    }
}

/// The rules of one known event type.
#[derive(Default)]
struct TypeRules {
    /// Rule index, condition specialised to the type, and the guard slots
    /// of [`TypeRules::index`] that must pass for the rule to be evaluated.
    rules: Vec<(usize, prog::Program, prog::Slots)>,
    /// The rules' path and process-name guards (see [`compile::guards`]).
    index: prog::GuardIndex,
}

impl TypeRules {
    /// Calls `hit` with each rule that matches (in order) until it returns
    /// `true`.
    fn matches(&self, ctx: &fields::Ctx<'_>, mut hit: impl FnMut(usize) -> bool) {
        let pass = if self.index.is_empty() {
            [u64::MAX; 2]
        } else {
            self.index.pass(ctx)
        };
        for (i, p, need) in &self.rules {
            if prog::covers(&pass, need) && p.eval(ctx) && hit(*i) {
                return;
            }
        }
    }
}

/// The engine: owns the rules and the state tables.
pub struct Engine {
    rules: Vec<Rule>,
    /// Per known event-type code: the rules indexed under it (in rule
    /// order), each with its condition specialised to that one type and flattened (see
    /// [`compile::specialize`]); rules whose condition is false for the
    /// type are left out.
    by_code: Vec<TypeRules>,
    /// Rules for unknown event types by name (with the rules of `any`).
    by_name: std::collections::HashMap<String, Vec<usize>>,
    /// Rules without an event-type restriction (also in every `by_code`
    /// list, specialised).
    any: Vec<usize>,
    /// See [`Engine::active_rules`].
    active: usize,
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
        let mut by_code: Vec<Vec<(usize, prog::Program, Vec<compile::Guard>)>> =
            (0..EventType::COUNT).map(|_| Vec::new()).collect();
        let mut by_name: std::collections::HashMap<String, Vec<usize>> = Default::default();
        let mut any = Vec::new();
        // selected rules indexed under some type (or every type), counted
        // before specialisation drops the ones false for a type
        let mut active = 0;
        // specialised to one known type; left out when false for it
        let mut push_code = |c: usize, i: usize, r: &Rule| {
            let (Some(v), Some(t)) = (by_code.get_mut(c), EventType::KNOWN.get(c)) else {
                return;
            };
            if v.last().is_some_and(|(j, ..)| *j == i) {
                return;
            }
            let one = std::iter::once(t.name().to_string()).collect();
            let cond = compile::specialize(r.compiled.clone(), &one);
            let guards = compile::guards(&cond);
            let n = prog::Program::new(cond);
            if !n.is_false() {
                v.push((i, n, guards));
            }
        };
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
            if r.event_types.as_ref().is_none_or(|set| !set.is_empty()) {
                active += 1;
            }
            match &r.event_types {
                None => {
                    any.push(i);
                    for c in 0..EventType::COUNT {
                        push_code(c, i, r);
                    }
                }
                Some(set) => {
                    // codes in rule order: a set's names are sorted, not
                    // by code, but each rule's entries go in before the next rule's
                    let mut codes: Vec<usize> = Vec::new();
                    for t in set {
                        match EventType::from_name(t).code() {
                            Some(c) => codes.push(c),
                            None => by_name.entry(t.clone()).or_default().push(i),
                        }
                    }
                    for c in codes {
                        push_code(c, i, r);
                    }
                }
            }
        }
        // unknown types also run the rules without a type restriction
        for v in by_name.values_mut() {
            v.extend(any.iter().copied());
            v.sort_unstable();
            v.dedup();
        }
        let by_code = by_code
            .into_iter()
            .map(|v| {
                let mut t = TypeRules::default();
                for (i, p, g) in v {
                    let need = t.index.add(&g);
                    t.rules.push((i, p, need));
                }
                t
            })
            .collect();
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
            active,
            any,
            state: state::State::default(),
            opts,
            evtnum: 0,
            hostname,
            // a cell per macro id, and the generation (see compile::memo_cell)
            memo: vec![std::cell::Cell::new(0); memo_len + 2],
        }
    }

    /// Replaces the rules (a reload after an edit), keeping the thread, fd
    /// and container tables and the event count.
    pub fn replace_rules(&mut self, ruleset: RuleSet) {
        let mut next = Engine::new(ruleset, self.opts.clone());
        std::mem::swap(&mut next.state, &mut self.state);
        next.evtnum = self.evtnum;
        *self = next;
    }

    /// Number of rules that will be evaluated (selected, and indexed under
    /// at least one event type or under every type).
    pub fn active_rules(&self) -> usize {
        self.active
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
        let mut alerts = Vec::new();
        self.process_record_with(rec, |a| alerts.push(a.to_alert()));
        alerts
    }

    /// [`Engine::process_record`] with the matches handed to `sink` as in
    /// [`Engine::process_with`]; returns the number of matches.
    pub fn process_record_with(&mut self, rec: &Record, sink: impl FnMut(&AlertRef<'_>)) -> usize {
        match rec {
            Record::Syscall(e) => return self.process_with(e, sink),
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
        0
    }

    /// Evaluate one syscall event (updating the state tables).
    pub fn process(&mut self, ev: &Event) -> Vec<Alert> {
        let mut alerts = Vec::new();
        self.process_with(ev, |a| alerts.push(a.to_alert()));
        alerts
    }

    /// Evaluate one syscall event (updating the state tables) and call
    /// `sink` with each matching rule (the first only, with `first_match`),
    /// in the order [`Engine::process`] returns their alerts; the caller
    /// renders what it uses ([`AlertRef::output`], [`AlertRef::to_alert`]).
    /// Returns the number of matches.
    pub fn process_with(&mut self, ev: &Event, mut sink: impl FnMut(&AlertRef<'_>)) -> usize {
        self.evtnum += 1;
        let efd = self.state.apply(ev);
        // a known type no selected rule is indexed under (close, read,
        // write, ... with the upstream rules): only its effects on the
        // tables, no context to build
        let code = ev.evt_type.code();
        if code
            .and_then(|c| self.by_code.get(c))
            .is_some_and(|t| t.rules.is_empty())
        {
            drop(efd);
            self.state.finish(ev);
            return 0;
        }
        compile::memo_reset(&mut self.memo);
        let mut n = 0;
        {
            let ctx = fields::Ctx::new(ev, &self.state, &efd, self.evtnum, &self.memo);
            self.matches(&ctx, |rule| {
                n += 1;
                sink(&AlertRef {
                    rule,
                    ctx: &ctx,
                    hostname: &self.hostname,
                });
                self.opts.first_match
            });
        }
        self.state.finish(ev);
        n
    }

    /// [`Engine::process_with`] over a batch of events, in order, calling
    /// `sink` with each event's index and match. Same results; faster on
    /// a large state, because the tables each event will read are fetched
    /// from memory while the events before it are evaluated (see
    /// [`state::State::prefetch`]).
    pub fn process_batch_with(
        &mut self,
        evs: &[Event],
        mut sink: impl FnMut(usize, &AlertRef<'_>),
    ) -> usize {
        self.process_each(
            evs,
            |e| Some(e),
            |engine, i, ev| engine.process_with(ev, |a| sink(i, a)),
        )
    }

    /// [`Engine::process_batch_with`] over records
    /// ([`Engine::process_record_with`] for each).
    pub fn process_records_with(
        &mut self,
        recs: &[Record],
        mut sink: impl FnMut(usize, &AlertRef<'_>),
    ) -> usize {
        fn event(r: &Record) -> Option<&Event> {
            match r {
                Record::Syscall(e) => Some(e),
                _ => None,
            }
        }
        self.process_each(recs, event, |engine, i, rec| {
            engine.process_record_with(rec, |a| sink(i, a))
        })
    }

    /// The batch loop of [`Engine::process_batch_with`] and
    /// [`Engine::process_records_with`]: prefetch for the syscall events
    /// ahead (`event` finds an item's), then `process` the item; returns
    /// the sum of what `process` returns.
    fn process_each<T>(
        &mut self,
        items: &[T],
        event: fn(&T) -> Option<&Event>,
        mut process: impl FnMut(&mut Engine, usize, &T) -> usize,
    ) -> usize {
        let mut n = 0;
        for (i, item) in items.iter().enumerate() {
            self.prefetch_ahead(i, |j| items.get(j).and_then(event));
            n += process(self, i, item);
        }
        n
    }

    /// Run each prefetch stage for the event its distance ahead of `i`.
    fn prefetch_ahead<'e>(&self, i: usize, at: impl Fn(usize) -> Option<&'e Event>) {
        for (stage, ahead) in state::PREFETCH_STAGES.iter().enumerate() {
            if let Some(e) = at(i + ahead) {
                self.state.prefetch(e, stage);
            }
        }
    }

    /// Calls `hit` with each selected rule whose condition holds on the
    /// event of `ctx`, in rule order, until it returns `true`: for a known
    /// type, the rules specialised to it whose guards pass; otherwise the
    /// general conditions of the rules indexed under the type's name.
    fn matches(&self, ctx: &fields::Ctx<'_>, mut hit: impl FnMut(&Rule) -> bool) {
        match ctx.code {
            Some(c) => {
                if let Some(t) = self.by_code.get(c) {
                    t.matches(ctx, |i| self.rules.get(i).is_some_and(&mut hit));
                }
            }
            None => {
                let general = self
                    .by_name
                    .get(ctx.ev.evt_type.name())
                    .unwrap_or(&self.any);
                for i in general {
                    if let Some(rule) = self.rules.get(*i) {
                        if compile::eval(&rule.compiled, ctx) && hit(rule) {
                            return;
                        }
                    }
                }
            }
        }
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
    // in batches, as `Engine::process_records_with` is fastest; a record
    // that does not parse stops the replay after the ones before it
    const BATCH: usize = 1024;
    let mut n = 0;
    let mut batch = Vec::with_capacity(BATCH);
    let mut records = seawall_event::RecordReader::new(input, file);
    loop {
        batch.clear();
        let mut failed = None;
        for rec in records.by_ref() {
            match rec {
                Ok(r) => batch.push(r),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
            if batch.len() == BATCH {
                break;
            }
        }
        n += batch.len() as u64;
        engine.process_records_with(&batch, |_, a| sink(&a.to_alert()));
        if let Some(e) = failed {
            return Err(e);
        }
        if batch.len() < BATCH {
            return Ok(n);
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    impl Engine {
        /// Process an event as [`Engine::process`] does, and also evaluate
        /// every candidate rule's general condition (with its own macro
        /// memo, as the engine did before conditions were specialised per
        /// event type): the list of matching rules must be the same. Each
        /// match's lazily rendered text must be its alert's.
        fn process_checked(&mut self, ev: &Event) -> Result<Vec<Alert>, String> {
            let fast = self.evaluate_all(ev, true);
            let slow = self.evaluate_all(ev, false);
            if fast != slow {
                return Err(format!(
                    "{} event at {}: specialised {fast:?}, general {slow:?}",
                    ev.evt_type.name(),
                    ev.ts_ns
                ));
            }
            let mut alerts = Vec::new();
            let mut lazy = Vec::new();
            self.process_with(ev, |a| {
                alerts.push(a.to_alert());
                lazy.push(a.output());
            });
            let full: Vec<&String> = alerts.iter().map(|a| &a.output).collect();
            if lazy.iter().collect::<Vec<_>>() != full {
                return Err(format!("lazy outputs {lazy:?}, alerts {full:?}"));
            }
            Ok(alerts)
        }

        /// Names of the rules that match `ev` (all-match, in order),
        /// evaluated on a copy of the tables (the event's effects are
        /// applied by `process`).
        fn evaluate_all(&self, ev: &Event, specialised: bool) -> Vec<String> {
            let mut st = self.state.clone();
            let efd = st.apply(ev);
            let memo = vec![std::cell::Cell::new(0u8); self.memo.len()];
            let ctx = fields::Ctx::new(ev, &st, &efd, self.evtnum + 1, &memo);
            let mut out = Vec::new();
            match (ev.evt_type.code(), specialised) {
                (Some(_), true) => {
                    // the engine's own path: guards, then specialised programs
                    self.matches(&ctx, |r| {
                        out.push(r.name.clone());
                        false
                    });
                }
                _ => {
                    // the old index: every rule whose type set holds the
                    // event's type, or that has none (the test engines
                    // select every rule)
                    for r in &self.rules {
                        let typed = match &r.event_types {
                            None => true,
                            Some(set) => set.contains(ev.evt_type.name()),
                        };
                        if typed && compile::eval(&r.compiled, &ctx) {
                            out.push(r.name.clone());
                        }
                    }
                }
            }
            out
        }
    }

    fn upstream() -> Option<Vec<PathBuf>> {
        seawall_testutil::falco_rules("specialised_conditions")
    }

    fn all_match_engine(files: &[PathBuf]) -> Engine {
        let (rs, _) = RuleSet::load(files).unwrap();
        Engine::new(
            rs,
            EngineOptions {
                first_match: false,
                include_disabled: true,
                hostname: Some("test".into()),
                ..Default::default()
            },
        )
    }

    /// Every upstream rule, specialised per event type and behind its
    /// guards, decides as its general condition does on every event of the
    /// per-rule fixtures.
    #[test]
    fn specialised_conditions_agree_with_general_on_fixtures() {
        let Some(files) = upstream() else { return };
        let (events, errors) = check_fixtures(&files, |_| {});
        assert!(events > 50);
        assert_eq!(errors, Vec::<String>::new());
    }

    /// The differential checks notice a broken guard index: with the
    /// guards' equalities dropped, rules that fire on the fixtures are
    /// skipped.
    #[test]
    fn broken_guard_index_is_noticed() {
        let Some(files) = upstream() else { return };
        let (_, errors) = check_fixtures(&files, |e| {
            for t in e.by_code.iter_mut() {
                t.index.break_for_test();
            }
        });
        assert!(errors.len() > 3, "{errors:?}");
    }

    /// Replays every fixture through an all-match engine (after `tweak`),
    /// comparing the engine's matches with the general conditions' on every
    /// event: the events seen and the disagreements.
    fn check_fixtures(files: &[PathBuf], tweak: impl Fn(&mut Engine)) -> (usize, Vec<String>) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/events");
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        entries.sort();
        assert!(entries.len() > 40);
        let mut events = 0;
        let mut errors = Vec::new();
        for p in entries {
            let mut engine = all_match_engine(files);
            tweak(&mut engine);
            let text = std::fs::read_to_string(&p).unwrap();
            for rec in seawall_event::RecordReader::new(text.as_bytes(), "t") {
                match rec.unwrap() {
                    Record::Syscall(ev) => {
                        events += 1;
                        if let Err(e) = engine.process_checked(&ev) {
                            errors.push(format!("{}: {e}", p.display()));
                        }
                    }
                    other => {
                        engine.process_record(&other);
                    }
                }
            }
        }
        (events, errors)
    }

    /// The same on a synthetic stream: every event type any upstream rule
    /// names, with paths, flags, results and processes chosen to reach the
    /// type-dependent branches (shell histories, cron, /dev, sensitive
    /// files, traversal, sockets).
    #[test]
    fn specialised_conditions_agree_with_general_on_every_rule_type() {
        let Some(files) = upstream() else { return };
        let mut engine = all_match_engine(&files);
        let types: std::collections::BTreeSet<String> = engine
            .rules
            .iter()
            .filter_map(|r| r.event_types.clone())
            .flatten()
            .collect();
        assert!(types.len() > 30, "{types:?}");
        let procs = [
            (10, "bash", "/bin/bash", None),
            (11, "crontab", "/usr/bin/crontab", Some("c0ffee000001")),
            (12, "python3", "/usr/bin/python3", Some("c0ffee000001")),
            (13, "sshd", "/usr/sbin/sshd", None),
            (14, "nginx", "/usr/sbin/nginx", Some("c0ffee000001")),
        ];
        engine.process_record(&Record::Container(seawall_event::ContainerInfo {
            id: "c0ffee000001".into(),
            image: "docker.io/library/nginx:1".into(),
            privileged: true,
            ..Default::default()
        }));
        for (pid, comm, exe, cid) in procs {
            engine.process_record(&Record::Process(seawall_event::ProcessSnapshot {
                tid: pid,
                pid,
                ppid: if pid == 10 { 1 } else { 10 },
                proc: seawall_event::ProcInfo {
                    comm: comm.into(),
                    exe: exe.into(),
                    exepath: exe.into(),
                    args: vec!["-c".into(), "x".into()],
                    cwd: "/root".into(),
                    loginuid: 0,
                    tty: 34816,
                    ..Default::default()
                },
                container_id: cid.map(String::from),
                fds: vec![],
            }));
        }
        let paths = [
            "/etc/cron.d/job",
            "/root/.bash_history",
            "/home/u/.zsh_history",
            "/dev/foo",
            "/etc/shadow",
            "/etc/pam.d/x",
            "/var/log/syslog",
            "/root/.ssh/id_rsa",
            "/home/u/.ssh/authorized_keys",
            "/usr/bin/x",
            "/tmp/a",
            "../../etc/passwd",
            "/proc/1/environ",
            "/sys/fs/cgroup/release_agent",
            "/var/lib/rpm/x",
        ];
        let tuple = seawall_event::SockTuple {
            family: seawall_event::SockFamily::Inet,
            l4proto: Some("tcp".into()),
            sip: Some([172, 17, 0, 2].into()),
            sport: Some(40000),
            dip: Some([93, 184, 216, 34].into()),
            dport: Some(22),
            path: None,
        };
        let mut ts = 1_000;
        let mut checked = 0;
        for t in &types {
            let et = EventType::from_name(t);
            for (pid, ..) in procs {
                for (k, path) in paths.iter().enumerate() {
                    for flags in [0i64, 0o101, 0o1001, 2] {
                        for res in [3i64, -2] {
                            ts += 1;
                            let mut ev = Event::new(ts, pid, pid, et.clone(), res)
                                .arg("fd", 3i64)
                                .arg("dirfd", -100i64)
                                .arg("name", *path)
                                .arg("path", *path)
                                .arg("oldpath", *path)
                                .arg("newpath", paths[(k + 1) % paths.len()])
                                .arg("filename", *path)
                                .arg("linkpath", *path)
                                .arg("target", *path)
                                .arg("flags", flags)
                                .arg("mode", 0o4755i64)
                                .arg("request", 16i64)
                                .arg("domain", 17i64)
                                .arg("uid", 0i64)
                                .arg("tuple", tuple.clone());
                            ev.container_id = procs
                                .iter()
                                .find(|p| p.0 == pid)
                                .and_then(|p| p.3)
                                .map(String::from);
                            if matches!(et, EventType::Execve | EventType::Execveat) {
                                ev.proc = Some(Box::new(seawall_event::ProcInfo {
                                    comm: state::basename(path).to_string(),
                                    exe: path.to_string(),
                                    exepath: path.to_string(),
                                    args: vec!["-c".into(), path.to_string()],
                                    cwd: "/tmp".into(),
                                    loginuid: 0,
                                    ..Default::default()
                                }));
                            }
                            if let Err(e) = engine.process_checked(&ev) {
                                panic!("{e}");
                            }
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 10_000, "{checked}");
    }

    /// Flattened programs keep `not`, nesting, constants and macro memos:
    /// macros used under `not`, in several rules and inside each other
    /// decide as the general evaluator does.
    #[test]
    fn flattened_programs_agree_with_the_tree_evaluator() {
        let src = r#"
- macro: m_open
  condition: evt.type in (openat, open) and fd.num >= 0
- macro: m_etc
  condition: (fd.name startswith /etc/ or fd.directory = /root)
- macro: m_both
  condition: m_open and not m_etc
- rule: R0
  desc: d
  condition: m_open and (m_etc or proc.name = cat) and not (fd.name = /etc/x or proc.name in (a, b))
  output: o
  priority: WARNING
- rule: R1
  desc: d
  condition: evt.type = openat and not m_both and not (not m_etc)
  output: o
  priority: WARNING
- rule: R2
  desc: d
  condition: evt.type in (openat, execve) and (m_both or (evt.type = execve and proc.name = cat) or (fd.name endswith s and not m_open))
  output: o
  priority: WARNING
- rule: R3
  desc: d
  condition: evt.type = openat and (m_etc and (proc.name = cat or not proc.name = cat)) and not m_both
  output: o
  priority: WARNING
"#;
        let (rs, _) = RuleSet::load_sources(&[("t.yaml", src)]).unwrap();
        let mut engine = Engine::new(
            rs,
            EngineOptions {
                first_match: false,
                ..Default::default()
            },
        );
        let mut fired = 0;
        for (i, path) in ["/etc/x", "/etc/passwd", "/root/a", "/tmp/s", "/tmp/x"]
            .iter()
            .enumerate()
        {
            for comm in ["cat", "a", "ls"] {
                for (et, res) in [
                    (EventType::Openat, 3i64),
                    (EventType::Openat, -2),
                    (EventType::Execve, 0),
                ] {
                    let mut ev = Event::new(i as u64, 7, 7, et.clone(), res)
                        .arg("dirfd", -100i64)
                        .arg("name", *path)
                        .arg("flags", 0i64);
                    ev.proc = Some(Box::new(seawall_event::ProcInfo {
                        comm: comm.into(),
                        ..Default::default()
                    }));
                    fired += engine.process_checked(&ev).unwrap().len();
                }
            }
        }
        assert!(fired > 10, "{fired}");
    }

    /// An openat of /etc/a (fd 3) by process 7, named "tool".
    fn tool_opens_etc_a(ts: u64) -> Event {
        let mut open = Event::new(ts, 7, 7, EventType::Openat, 3)
            .arg("dirfd", -100i64)
            .arg("name", "/etc/a")
            .arg("flags", 0i64);
        open.proc = Some(Box::new(seawall_event::ProcInfo {
            comm: "tool".into(),
            ..Default::default()
        }));
        open
    }

    /// A reload swaps the rules and keeps the tables: a process seen
    /// before the reload still has its name and its open fd afterwards.
    #[test]
    fn replace_rules_keeps_thread_and_fd_state() {
        let rule = |name: &str, cond: &str| {
            format!("- rule: {name}\n  desc: d\n  condition: {cond}\n  output: o %proc.name %fd.name\n  priority: WARNING\n")
        };
        let load = |src: String| {
            RuleSet::load_sources(&[("t.yaml", src.as_str())])
                .unwrap()
                .0
        };
        let mut engine = Engine::new(
            load(rule("A", "evt.type = openat and fd.name = /etc/a")),
            EngineOptions::default(),
        );
        let open = tool_opens_etc_a(1);
        assert_eq!(engine.process(&open).len(), 1);
        engine.replace_rules(load(rule(
            "B",
            "evt.type = read and fd.name = /etc/a and proc.name = tool",
        )));
        assert_eq!(engine.rules().len(), 1);
        assert_eq!(engine.rules()[0].name, "B");
        // no proc info on the read: name and fd come from the kept tables
        let read = Event::new(2, 7, 7, EventType::Read, 1).arg("fd", 3i64);
        let fired = engine.process(&read);
        assert_eq!(fired.len(), 1, "{fired:?}");
        assert_eq!(fired[0].rule, "B");
        assert!(engine.process(&open).is_empty(), "rule A is gone");
    }

    /// A match handed to a sink renders its rule's text as the alert does,
    /// and further formats with the event's own context (its fd included).
    #[test]
    fn process_with_hands_out_the_rule_and_context() {
        let src = "- rule: A\n  desc: d\n  condition: evt.type = openat and fd.name startswith /etc/\n  output: opened %fd.name by %proc.name (%fd.num)\n  priority: WARNING\n  tags: [t1]\n";
        let (rs, _) = RuleSet::load_sources(&[("t.yaml", src)]).unwrap();
        let mut engine = Engine::new(rs, EngineOptions::default());
        let open = tool_opens_etc_a(1_000_000_123);
        let extra = output::Format::parse("%fd.name:%proc.name:%evt.type").unwrap();
        let mut seen = Vec::new();
        let n = engine.process_with(&open, |a| {
            let mut more = String::new();
            extra.render_text(a.ctx(), &mut more);
            seen.push((a.rule().name.clone(), a.output(), a.to_alert(), more));
        });
        assert_eq!(n, 1);
        let (rule, text, alert, more) = &seen[0];
        assert_eq!(rule, "A");
        assert_eq!(text, &alert.output);
        assert!(
            text.ends_with("Warning opened /etc/a by tool (3)"),
            "{text}"
        );
        assert_eq!(alert.tags, ["t1"]);
        assert_eq!(more, "/etc/a:tool:openat");
        let other = Event::new(2, 7, 7, EventType::Openat, 4)
            .arg("dirfd", -100i64)
            .arg("name", "/tmp/b")
            .arg("flags", 0i64);
        assert_eq!(engine.process_with(&other, |_| panic!("no match")), 0);
    }

    /// Rules whose condition is false for every one of their event types
    /// are not evaluated but still count as active, as before conditions
    /// were specialised.
    #[test]
    fn active_rules_count_rules_specialised_away() {
        let rule = |name: &str, cond: &str, enabled: bool| {
            format!(
                "- rule: {name}\n  desc: d\n  condition: {cond}\n  output: o\n  priority: WARNING\n  enabled: {enabled}\n"
            )
        };
        let src = [
            rule("R0", "evt.type = openat and evt.type != openat", true),
            rule("R1", "evt.type = openat and fd.name = /a", true),
            rule("R2", "evt.type in (nosuch_evt) and proc.name = x", true),
            rule("R3", "evt.type = openat", false),
        ]
        .concat();
        let (rs, _) = RuleSet::load_sources(&[("t.yaml", &src)]).unwrap();
        let e = Engine::new(rs, EngineOptions::default());
        assert_eq!(e.active_rules(), 3);
        let c = EventType::Openat.code().unwrap();
        let listed: Vec<usize> = e.by_code[c].rules.iter().map(|(i, ..)| *i).collect();
        assert_eq!(listed, [1]);
    }
}
