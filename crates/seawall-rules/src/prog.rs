//! A compiled condition flattened into a branching program: every test is
//! one instruction with the instruction to go to when it holds and when it
//! does not, so `and`/`or`/`not` cost nothing at run time (no recursion,
//! no walking of operand lists), and a macro's result is remembered per
//! event exactly as [`crate::compile::eval`] does.

use crate::compile::{self, CNode, Check, StrAny};
use crate::fields::Ctx;

/// Jump target meaning "the condition holds".
const TRUE: u32 = u32::MAX;
/// Jump target meaning "the condition does not hold".
const FALSE: u32 = u32::MAX - 1;

#[derive(Debug, Clone)]
enum Test {
    Check(Box<Check>),
    /// A check [`compile::num_check`] decides (else the general path).
    Num(Box<Check>),
    /// A check [`compile::str_check`] decides (else the general path).
    Str(Box<Check>),
    StrAny(Box<StrAny>),
    /// A node evaluated by [`compile::eval`] (`evt.type` tests).
    Tree(Box<CNode>),
    /// A macro's result: known for this event, or evaluated from `body`.
    Memo {
        id: usize,
        body: u32,
    },
    /// Record a macro's result, then continue at `then`.
    MemoSet {
        id: usize,
        value: bool,
        then: u32,
    },
}

#[derive(Debug, Clone)]
struct Ins {
    test: Test,
    t: u32,
    f: u32,
}

/// A condition as a branching program (see the module documentation).
#[derive(Debug, Clone)]
pub struct Program {
    ins: Vec<Ins>,
    start: u32,
}

impl Program {
    /// Flatten a compiled condition. Nesting is bounded by the compiler
    /// (conditions nested deeper than it allows are rejected before).
    pub fn new(n: CNode) -> Program {
        let mut p = Program {
            ins: Vec::new(),
            start: FALSE,
        };
        p.start = p.emit(n, TRUE, FALSE, 0);
        debug_assert!(p.ordered());
        p
    }

    /// Every jump goes to an earlier instruction or out of the program
    /// (what makes [`Program::eval`] terminate).
    fn ordered(&self) -> bool {
        let below = |i: usize, to: u32| to == TRUE || to == FALSE || (to as usize) < i;
        self.ins.iter().enumerate().all(|(i, ins)| {
            let extra = match ins.test {
                Test::Memo { body, .. } => body,
                Test::MemoSet { then, .. } => then,
                _ => TRUE,
            };
            below(i, ins.t) && below(i, ins.f) && below(i, extra)
        }) && (self.start == TRUE || self.start == FALSE || (self.start as usize) < self.ins.len())
    }

    /// Whether the condition is the constant `false`.
    pub fn is_false(&self) -> bool {
        self.start == FALSE
    }

    fn push(&mut self, test: Test, t: u32, f: u32) -> u32 {
        let i = self.ins.len() as u32;
        self.ins.push(Ins { test, t, f });
        i
    }

    /// Emit `n` so that it continues at `t` when it holds and at `f`
    /// otherwise; returns its entry point.
    fn emit(&mut self, n: CNode, t: u32, f: u32, depth: usize) -> u32 {
        if depth > 8192 || self.ins.len() >= (FALSE - 1) as usize {
            // unreachable for compiled conditions (the compiler bounds
            // nesting); keep the general evaluator's answer
            return self.push(Test::Tree(Box::new(n)), t, f);
        }
        match n {
            CNode::Const(true) => t,
            CNode::Const(false) => f,
            CNode::Not(x) => self.emit(*x, f, t, depth + 1),
            CNode::And(v) => {
                // last operand first: each earlier one continues at the next
                let mut next = t;
                for x in v.into_iter().rev() {
                    next = self.emit(x, next, f, depth + 1);
                }
                next
            }
            CNode::Or(v) => {
                let mut next = f;
                for x in v.into_iter().rev() {
                    next = self.emit(x, t, next, depth + 1);
                }
                next
            }
            CNode::Check(c) => match compile::fast_kind(&c) {
                Some(true) => self.push(Test::Num(c), t, f),
                Some(false) => self.push(Test::Str(c), t, f),
                None => self.push(Test::Check(c), t, f),
            },
            CNode::StrAny(g) => self.push(Test::StrAny(g), t, f),
            n @ CNode::EvtType { .. } => self.push(Test::Tree(Box::new(n)), t, f),
            CNode::Memo(id, body) => {
                let yes = self.push(
                    Test::MemoSet {
                        id,
                        value: true,
                        then: t,
                    },
                    t,
                    t,
                );
                let no = self.push(
                    Test::MemoSet {
                        id,
                        value: false,
                        then: f,
                    },
                    f,
                    f,
                );
                let body = self.emit(*body, yes, no, depth + 1);
                self.push(Test::Memo { id, body }, t, f)
            }
        }
    }

    /// Evaluate on an event: the same result as [`compile::eval`] on the
    /// condition this program was made from.
    pub fn eval(&self, ctx: &Ctx<'_>) -> bool {
        let mut pc = self.start;
        // an instruction only jumps to one emitted before it (its
        // continuations exist when it is emitted: see `ordered`), so every
        // step lowers `pc` until it leaves the program at TRUE or FALSE
        while let Some(ins) = self.ins.get(pc as usize) {
            let hit = match &ins.test {
                Test::Check(c) => compile::eval_check(c, ctx),
                Test::Num(c) => match compile::num_check(c, ctx) {
                    Some(r) => r,
                    None => compile::eval_check(c, ctx),
                },
                Test::Str(c) => match compile::str_check(c, ctx) {
                    Some(r) => r,
                    None => compile::eval_check(c, ctx),
                },
                Test::StrAny(g) => compile::eval_str_any(g, ctx),
                Test::Tree(n) => compile::eval(n, ctx),
                Test::Memo { id, body } => {
                    match compile::memo_cell(ctx.memo, *id)
                        .and_then(|(c, gen)| compile::memo_known(c, gen))
                    {
                        Some(r) => r,
                        // unknown, or beyond the memo table (then evaluated
                        // without remembering)
                        None => {
                            pc = *body;
                            continue;
                        }
                    }
                }
                Test::MemoSet { id, value, then } => {
                    if let Some((cell, gen)) = compile::memo_cell(ctx.memo, *id) {
                        compile::memo_store(cell, gen, *value);
                    }
                    pc = *then;
                    continue;
                }
            };
            pc = if hit { ins.t } else { ins.f };
        }
        pc == TRUE
    }
}

/// A set of guard slots of a [`GuardIndex`] (at most [`GuardIndex::SLOTS`]).
pub type Slots = [u64; 2];

/// Evaluates many rules' [`compile::guards`] at once for an event: every
/// distinct guard gets a slot, and [`GuardIndex::pass`] finds the slots
/// whose guard holds with, for each tested field, one lookup of its value
/// in a hash map (equalities), a walk of a byte trie from its start
/// (prefixes) and from its end (suffixes), and a substring search per
/// needle. A rule is only evaluated when all of its slots pass; when one
/// fails its condition is false (each guard is a necessary condition), so
/// skipping it changes nothing.
///
/// The slots of the fd's path fields (`fd.name`, `fd.nameraw`,
/// `fd.directory`, `fd.filename`: functions of the fd's names and kind,
/// unless the name is a socket's tuple) are remembered per names
/// allocation (paths are interned, so opens of a known file share them):
/// the cache keeps the names alive, so an address it holds always names
/// the same text.
#[derive(Debug, Default)]
pub struct GuardIndex {
    pub(crate) guards: Vec<compile::Guard>,
    fields: Vec<FieldIndex>,
    /// Whether some field is a path field.
    paths: bool,
    cache: std::cell::RefCell<PathCache>,
}

/// Path-field slots by (names, kind) of an fd.
type PathCache = crate::fxhash::FxHashMap<(usize, u8), (PathKey, Slots)>;

/// What a [`PathCache`] entry keeps alive.
type PathKey = Option<std::sync::Arc<crate::state::FdNames>>;

/// Entries a path cache holds before it starts over.
const PATH_CACHE_MAX: usize = 4096;

/// Whether a field's value is a function of the fd's name, raw name and
/// kind alone.
fn path_field(id: &crate::fields::Fid) -> bool {
    use crate::fields::Fid::*;
    matches!(id, FdName | FdNameraw | FdDirectory | FdFilename)
}

#[derive(Debug, Clone)]
struct FieldIndex {
    fid: crate::fields::Fid,
    eq: crate::fxhash::FxHashMap<String, Slots>,
    prefixes: Trie,
    /// Suffixes, reversed.
    suffixes: Trie,
    /// Needles: the slots of those the value contains are found by walking
    /// this trie from every position whose byte starts some needle.
    needles: Trie,
    /// Bytes some needle starts with.
    needle_starts: [u64; 4],
    /// Every slot with a test on this field (they are taken to hold when
    /// the field has no direct string extraction on an event).
    all: Slots,
}

/// Byte trie; node 0 is the root (the empty string).
#[derive(Debug, Clone)]
struct Trie {
    nodes: Vec<TrieNode>,
}

#[derive(Debug, Clone, Default)]
struct TrieNode {
    slots: Slots,
    next: Vec<(u8, u32)>,
}

impl Trie {
    fn new() -> Trie {
        Trie {
            nodes: vec![TrieNode::default()],
        }
    }

    fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    fn insert(&mut self, key: impl Iterator<Item = u8>, slot: usize) {
        let mut node = 0usize;
        for b in key {
            let found = self
                .nodes
                .get(node)
                .and_then(|n| n.next.iter().find(|(c, _)| *c == b))
                .map(|(_, n)| *n as usize);
            node = match found {
                Some(n) => n,
                None => {
                    let n = self.nodes.len();
                    self.nodes.push(TrieNode::default());
                    if let Some(p) = self.nodes.get_mut(node) {
                        p.next.push((b, n as u32));
                    }
                    n
                }
            };
        }
        if let Some(n) = self.nodes.get_mut(node) {
            set_slot(&mut n.slots, slot);
        }
    }

    /// Adds to `pass` the slots of every key `bytes` starts with.
    #[inline]
    fn walk(&self, bytes: impl Iterator<Item = u8>, pass: &mut Slots) {
        let Some(mut node) = self.nodes.first() else {
            return;
        };
        for b in bytes {
            let Some(next) = node
                .next
                .iter()
                .find(|(c, _)| *c == b)
                .and_then(|(_, n)| self.nodes.get(*n as usize))
            else {
                return;
            };
            node = next;
            or(pass, &node.slots);
        }
    }
}

fn set_slot(s: &mut Slots, i: usize) {
    if let Some(w) = s.get_mut(i / 64) {
        *w |= 1 << (i % 64);
    }
}

fn or(a: &mut Slots, b: &Slots) {
    for (x, y) in a.iter_mut().zip(b) {
        *x |= y;
    }
}

/// Whether every slot of `need` is in `pass`.
#[inline]
pub fn covers(pass: &Slots, need: &Slots) -> bool {
    pass.iter().zip(need).all(|(p, n)| n & !p == 0)
}

impl GuardIndex {
    /// Distinct guards an index holds (more are not indexed).
    pub const SLOTS: usize = 128;

    /// Whether the index has no guard (every rule passes).
    pub fn is_empty(&self) -> bool {
        self.guards.is_empty()
    }

    /// The slots of a rule with these guards (shared with earlier rules
    /// with the same guard). Guards beyond the index's capacity, or that
    /// cannot fail on a string (an empty prefix, suffix or needle), are
    /// left out: the rule is then evaluated as if they held.
    pub fn add(&mut self, guards: &[compile::Guard]) -> Slots {
        let mut need = [0; 2];
        for g in guards {
            if g.iter().any(|(_, a)| a.always()) {
                continue;
            }
            let slot = match self.guards.iter().position(|x| x == g) {
                Some(i) => i,
                None if self.guards.len() < Self::SLOTS => {
                    let i = self.guards.len();
                    self.guards.push(g.clone());
                    for (fid, atom) in g {
                        self.insert(fid, atom, i);
                    }
                    i
                }
                None => continue,
            };
            set_slot(&mut need, slot);
        }
        need
    }

    fn insert(&mut self, fid: &crate::fields::Fid, atom: &compile::Atom, slot: usize) {
        let k = match self.fields.iter().position(|f| f.fid == *fid) {
            Some(k) => k,
            None => {
                self.paths |= path_field(fid);
                self.fields.push(FieldIndex {
                    fid: fid.clone(),
                    eq: Default::default(),
                    prefixes: Trie::new(),
                    suffixes: Trie::new(),
                    needles: Trie::new(),
                    needle_starts: [0; 4],
                    all: [0; 2],
                });
                self.fields.len() - 1
            }
        };
        let Some(f) = self.fields.get_mut(k) else {
            return;
        };
        set_slot(&mut f.all, slot);
        match atom {
            compile::Atom::Eq(v) => set_slot(f.eq.entry(v.clone()).or_default(), slot),
            compile::Atom::Prefix(p) => f.prefixes.insert(p.bytes(), slot),
            compile::Atom::Suffix(p) => f.suffixes.insert(p.bytes().rev(), slot),
            compile::Atom::Contains(n) => {
                if let Some(&b) = n.as_bytes().first() {
                    if let Some(w) = f.needle_starts.get_mut(usize::from(b) / 64) {
                        *w |= 1 << (b % 64);
                    }
                    f.needles.insert(n.bytes(), slot);
                }
            }
        }
    }

    /// The slots whose guard holds on this event (every slot when a field
    /// has no direct string extraction).
    pub fn pass(&self, ctx: &Ctx<'_>) -> Slots {
        let mut pass = [0; 2];
        if self.paths {
            if ctx.fd.is_some_and(|f| !f.name_is_path()) {
                // named by its tuple: not cached
                self.fields_pass(ctx, true, &mut pass);
            } else if let Some(fd) = ctx.fd {
                let key = (
                    fd.names
                        .as_ref()
                        .map(|n| std::sync::Arc::as_ptr(n) as usize)
                        .unwrap_or(0),
                    fd.kind as u8,
                );
                let mut cache = self.cache.borrow_mut();
                match cache.get(&key) {
                    Some((_, slots)) => or(&mut pass, slots),
                    None => {
                        let mut slots = [0; 2];
                        self.fields_pass(ctx, true, &mut slots);
                        or(&mut pass, &slots);
                        if cache.len() >= PATH_CACHE_MAX {
                            cache.clear();
                        }
                        cache.insert(key, (fd.names.clone(), slots));
                    }
                }
            }
            // without an fd every path field is NULL: no path slot holds
        }
        self.fields_pass(ctx, false, &mut pass);
        pass
    }

    /// [`GuardIndex::pass`] without the cache, for the path fields
    /// (`paths`) or the others: adds the slots that hold to `pass` (all the
    /// slots of a field without a direct string extraction).
    fn fields_pass(&self, ctx: &Ctx<'_>, paths: bool, pass: &mut Slots) {
        for f in self.fields.iter().filter(|f| path_field(&f.fid) == paths) {
            let s = match ctx.str_field(&f.fid) {
                None => {
                    or(pass, &f.all);
                    continue;
                }
                // NULL: every test on the field is false
                Some(None) => continue,
                Some(Some(s)) => s,
            };
            let pass = &mut *pass;
            if !f.eq.is_empty() {
                if let Some(slots) = f.eq.get(s) {
                    or(pass, slots);
                }
            }
            if !f.prefixes.is_empty() {
                f.prefixes.walk(s.bytes(), pass);
            }
            if !f.suffixes.is_empty() {
                f.suffixes.walk(s.bytes().rev(), pass);
            }
            if !f.needles.is_empty() {
                let b = s.as_bytes();
                for (i, c) in b.iter().enumerate() {
                    let word = f.needle_starts.get(usize::from(*c) / 64).copied();
                    if word.unwrap_or(0) & (1 << (c % 64)) != 0 {
                        f.needles
                            .walk(b.get(i..).unwrap_or(&[]).iter().copied(), pass);
                    }
                }
            }
        }
    }

    /// Drop every equality (tests check that the differential checks
    /// notice a broken index).
    #[cfg(test)]
    pub(crate) fn break_for_test(&mut self) {
        for f in self.fields.iter_mut() {
            f.eq.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every upstream rule's programs only jump backwards or out.
    #[test]
    fn upstream_programs_only_jump_backwards() {
        let Some(files) = seawall_testutil::falco_rules("programs_ordered") else {
            return;
        };
        let (rs, _) = crate::RuleSet::load(&files).unwrap();
        let mut n = 0;
        for r in &rs.rules {
            let p = Program::new(r.compiled.clone());
            assert!(p.ordered(), "{}", r.name);
            n += p.ins.len();
        }
        assert!(n > 1000, "{n}");
    }
}
