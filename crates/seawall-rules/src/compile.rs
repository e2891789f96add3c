//! Compile a resolved condition AST into an evaluator tree and evaluate it.

use std::collections::BTreeSet;

use crate::fxhash::FxHashSet as HashSet;
use std::net::IpAddr;

use seawall_event::EventType;

use crate::cond::{Expr, FieldRef, Op, Rhs, Transformer, Value};
use crate::fields::{self, Ctx, FType, Fid, Field, FieldError, Num, V};

/// A compiled condition.
#[derive(Debug, Clone)]
pub enum CNode {
    And(Vec<CNode>),
    Or(Vec<CNode>),
    Not(Box<CNode>),
    Const(bool),
    /// `evt.type` membership: by dense code, plus names of unknown types.
    EvtType {
        codes: Vec<bool>,
        others: HashSet<String>,
        negate: bool,
    },
    Check(Box<Check>),
    /// A macro's body, memoised per event by id.
    Memo(usize, Box<CNode>),
    /// Several `or`ed `=`, `in` and `startswith` tests on one string field,
    /// with one extraction (see [`group_string_tests`]).
    StrAny(Box<StrAny>),
}

/// The grouped tests of [`CNode::StrAny`].
#[derive(Debug, Clone)]
pub struct StrAny {
    pub field: Field,
    /// Values tested with `=` or `in`.
    pub eq: HashSet<String>,
    /// Values tested with `startswith`.
    pub prefixes: Vec<String>,
    /// The original tests, for values that are not plain strings.
    pub tests: Vec<(Op, Operand)>,
}

/// Highest macro id the evaluator memoises.
pub const MAX_MEMO: usize = 1 << 16;

/// The memo cell of macro `id` in a per-event memo table, with the
/// table's generation. A table ([`crate::fields::Ctx::memo`]) is one cell
/// per macro id and a last cell holding the current generation (0..=63);
/// a macro cell holds `generation << 2 | result` (result 1 false, 2 true,
/// 0 unknown), and a cell of another generation is unknown, so moving to
/// the next generation forgets every result without touching the cells
/// (see [`memo_reset`]). An all-zero table knows nothing. `None` beyond
/// the table, or without one.
#[inline]
pub(crate) fn memo_cell(
    memo: &[std::cell::Cell<u8>],
    id: usize,
) -> Option<(&std::cell::Cell<u8>, u8)> {
    let (gen, cells) = memo.split_last()?;
    Some((cells.get(id)?, gen.get()))
}

/// The result a memo cell knows for the current generation.
#[inline]
pub(crate) fn memo_known(cell: &std::cell::Cell<u8>, gen: u8) -> Option<bool> {
    let v = cell.get();
    if v >> 2 != gen {
        return None;
    }
    match v & 3 {
        1 => Some(false),
        2 => Some(true),
        _ => None,
    }
}

/// Remember a result in a memo cell for the current generation.
#[inline]
pub(crate) fn memo_store(cell: &std::cell::Cell<u8>, gen: u8, r: bool) {
    cell.set((gen << 2) | if r { 2 } else { 1 });
}

/// Forget every result of a memo table (see [`memo_cell`]): the next
/// generation, and every 64 events a clearing of the cells.
pub fn memo_reset(memo: &mut [std::cell::Cell<u8>]) {
    let Some((gen, cells)) = memo.split_last_mut() else {
        return;
    };
    let next = gen.get() + 1;
    if next > 63 {
        for c in cells {
            *c.get_mut() = 0;
        }
        *gen.get_mut() = 0;
    } else {
        *gen.get_mut() = next;
    }
}

#[derive(Debug, Clone)]
pub struct FieldExpr {
    pub field: Field,
    pub tr: Vec<Transformer>,
}

impl FieldExpr {
    /// Type after transformers.
    fn out_type(&self) -> FType {
        let mut t = self.field.ftype;
        for tr in self.tr.iter().rev() {
            t = match tr {
                Transformer::Len => FType::Int,
                _ => FType::Str,
            };
        }
        t
    }

    pub fn extract<'a>(&self, ctx: &Ctx<'a>) -> V<'a> {
        let v = ctx.extract(&self.field.id);
        if self.tr.is_empty() {
            return v;
        }
        let mut v = v;
        for tr in self.tr.iter().rev() {
            v = apply_tr(*tr, v);
        }
        v
    }
}

fn apply_tr(tr: Transformer, v: V<'_>) -> V<'_> {
    match v {
        V::Null => V::Null,
        V::Any(vs) => V::Any(vs.into_iter().map(|x| apply_tr(tr, x)).collect()),
        V::Multi(vs) => match tr {
            Transformer::Len => V::I(vs.len() as i64),
            _ => V::Multi(vs.into_iter().map(|x| apply_tr(tr, x)).collect()),
        },
        other => {
            let s = match &other {
                V::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                o => o.render().unwrap_or_default(),
            };
            match tr {
                Transformer::ToLower => V::S(s.to_lowercase().into()),
                Transformer::ToUpper => V::S(s.to_uppercase().into()),
                Transformer::Basename => V::S(crate::state::basename(&s).to_string().into()),
                Transformer::Len => V::I(match &other {
                    V::Bytes(b) => b.len() as i64,
                    _ => s.len() as i64,
                }),
                Transformer::B64 => match seawall_event::b64_decode(&s) {
                    Some(b) => V::S(String::from_utf8_lossy(&b).into_owned().into()),
                    None => V::Null,
                },
            }
        }
    }
}

#[derive(Debug, Clone)]
pub enum Operand {
    None,
    Str(String),
    Int(i64),
    Bool(bool),
    Ip(IpAddr),
    Nets(Vec<(IpAddr, u8)>),
    StrSet(HashSet<String>),
    IntSet(HashSet<i64>),
    IpSet(HashSet<IpAddr>),
    Prefixes(Vec<String>),
    /// A `glob` pattern, compiled once.
    Glob(crate::glob::Glob),
    /// A `contains` needle with its searcher built once.
    Contains(String, Box<memchr::memmem::Finder<'static>>),
    Regex(regex::Regex),
    Bytes(Vec<u8>),
    Field(Box<FieldExpr>),
}

#[derive(Debug, Clone)]
pub struct Check {
    pub lhs: FieldExpr,
    pub op: Op,
    pub rhs: Operand,
}

/// Compile error with the byte offset in the (expanded) condition.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    pub off: usize,
    pub msg: String,
    /// Set when the error is an unknown field (for skip-if-unknown-filter).
    pub unknown_field: Option<String>,
}

fn cerr(off: usize, msg: String) -> CompileError {
    CompileError {
        off,
        msg,
        unknown_field: None,
    }
}

fn field_expr(f: &FieldRef) -> Result<FieldExpr, CompileError> {
    match fields::resolve(&f.name, f.arg.as_deref()) {
        Ok(field) => Ok(FieldExpr {
            field,
            tr: f.transformers.clone(),
        }),
        Err(FieldError::Unknown) => Err(CompileError {
            off: f.off,
            msg: format!("filter_check called with nonexistent field {}", f.name),
            unknown_field: Some(f.name.clone()),
        }),
        Err(FieldError::BadArg(m)) => Err(cerr(f.off, m)),
    }
}

fn parse_int(v: &Value) -> Result<i64, CompileError> {
    let t = v.text.trim();
    let r = if let Some(h) = t.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else {
        t.parse::<i64>()
            .ok()
            .or_else(|| t.parse::<u64>().ok().map(|u| u as i64))
    };
    r.ok_or_else(|| cerr(v.off, format!("'{}' is not a valid number", v.text)))
}

fn parse_bool(v: &Value) -> Result<bool, CompileError> {
    match v.text.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(cerr(v.off, format!("'{}' is not a valid boolean", v.text))),
    }
}

fn parse_ip(v: &Value) -> Result<IpAddr, CompileError> {
    v.text
        .trim()
        .parse()
        .map_err(|_| cerr(v.off, format!("'{}' is not a valid IP address", v.text)))
}

fn parse_net(v: &Value) -> Result<(IpAddr, u8), CompileError> {
    let t = v.text.trim();
    let (ip, bits) = match t.split_once('/') {
        Some((ip, b)) => (ip, Some(b)),
        None => (t, None),
    };
    let ip: IpAddr = ip
        .parse()
        .map_err(|_| cerr(v.off, format!("'{}' is not a valid network", v.text)))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = match bits {
        Some(b) => b
            .parse::<u8>()
            .ok()
            .filter(|b| *b <= max)
            .ok_or_else(|| cerr(v.off, format!("'{}' is not a valid network", v.text)))?,
        None => max,
    };
    Ok((ip, bits))
}

fn in_net(ip: &IpAddr, net: &(IpAddr, u8)) -> bool {
    match (ip, &net.0) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let bits = u32::from(net.1.min(32));
            if bits == 0 {
                return true;
            }
            let mask = u32::MAX << (32 - bits);
            u32::from(*a) & mask == u32::from(*n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let bits = u32::from(net.1.min(128));
            if bits == 0 {
                return true;
            }
            let mask = u128::MAX << (128 - bits);
            u128::from(*a) & mask == u128::from(*n) & mask
        }
        _ => false,
    }
}

fn op_allowed(t: FType, op: Op) -> bool {
    use Op::*;
    match t {
        FType::Str => true,
        FType::Int => matches!(op, Eq | Ne | Lt | Le | Gt | Ge | In | Intersects | Exists),
        FType::Bool => matches!(op, Eq | Ne | In | Exists),
        FType::Ip | FType::Net => matches!(op, Eq | Ne | In | Intersects | Exists),
        FType::Bytes => matches!(
            op,
            Eq | Ne | Contains | BContains | StartsWith | BStartsWith | Exists
        ),
    }
}

/// Compile a fully resolved condition (no macro references left).
pub fn compile(e: &Expr) -> Result<CNode, CompileError> {
    let mut n = compile_depth(e, 0)?;
    group_string_tests(&mut n, 0);
    order_by_cost(&mut n, 0);
    Ok(n)
}

/// Rough cost class of evaluating a node: 0 cheap (a comparison on a field
/// read from the event, thread or fd), 1 a lookup in another table or a
/// scan, 2 a value that has to be rendered or computed (`evt.arg.*`,
/// capabilities, transformers, regexes, lists of ancestors...).
pub fn cost_class(n: &CNode) -> u8 {
    match n {
        CNode::Const(_) | CNode::EvtType { .. } => 0,
        CNode::StrAny(g) => field_cost(&g.field.id),
        CNode::Not(x) => cost_class(x),
        // a macro's result is usually known from an earlier rule
        CNode::Memo(_, x) => cost_class(x).min(1),
        CNode::And(v) | CNode::Or(v) => v.iter().map(cost_class).max().unwrap_or(0),
        CNode::Check(c) => {
            let f = field_cost(&c.lhs.field.id);
            let tr = if c.lhs.tr.is_empty() { 0 } else { 2 };
            let op = match (&c.op, &c.rhs) {
                (Op::Regex, _) => 2,
                (Op::Glob | Op::IGlob | Op::IContains, _) => 1,
                (_, Operand::Prefixes(p)) if p.len() > 8 => 1,
                (_, Operand::Field(fe)) => field_cost(&fe.field.id).max(1),
                _ => 0,
            };
            f.max(tr).max(op)
        }
    }
}

fn field_cost(id: &Fid) -> u8 {
    use Fid::*;
    match id {
        EvtType
        | EvtNum
        | EvtRes
        | EvtRawres
        | EvtFailed
        | EvtDir
        | EvtRawtime
        | EvtSource
        | EvtHostname
        | EvtIsOpenRead
        | EvtIsOpenWrite
        | EvtIsOpenExec
        | EvtIsOpenCreate
        | EvtBuflen
        | ProcName
        | ProcExe
        | ProcExepath
        | ProcArgs
        | ProcCmdline
        | ProcCwd
        | ProcTty
        | ProcPid
        | ProcVpid
        | ProcPpid
        | ProcSid
        | ProcVpgid
        | ProcIsVpgidLeader
        | ProcIsSidLeader
        | ProcIsExeUpperLayer
        | ProcIsExeFromMemfd
        | ProcIsExeWritable
        | ProcExeIno
        | ProcExeInoCtime
        | ProcExeInoMtime
        | ProcExeInoCtimeDurationProcStart
        | ProcDuration
        | ProcStartTs
        | ProcFalse
        | ThreadTid
        | ThreadVtid
        | ThreadIsMain
        | UserUid
        | UserLoginuid
        | GroupGid
        | FdNum
        | FdName
        | FdNameraw
        | FdDirectory
        | FdFilename
        | FdType
        | FdTypechar
        | FdL4proto
        | FdSockfamily
        | FdIp
        | FdCip
        | FdSip
        | FdLip
        | FdRip
        | FdPort
        | FdCport
        | FdSport
        | FdLport
        | FdRport
        | FdNet
        | FdCnet
        | FdSnet
        | FdLnet
        | FdRnet
        | FdConnected
        | FdNameChanged
        | FdIsServer
        | ContainerId => 0,
        ProcPname
        | ProcPexe
        | ProcPexepath
        | ProcPcmdline
        | ProcPpidDuration
        | ProcSname
        | ProcVpgidName
        | ProcVpgidExe
        | ProcVpgidExepath
        | UserName
        | UserLoginname
        | UserHomedir
        | UserShell
        | GroupName
        | FdIpName(_)
        | ContainerName
        | ContainerImage
        | ContainerImageRepository
        | ContainerImageTag
        | ContainerImageDigest
        | ContainerType
        | ContainerPrivileged
        | ContainerMounts
        | ContainerStartTs
        | ContainerDuration
        | ContainerIp
        | K8sNsName
        | K8sPodName
        | K8sPodUid
        | K8sPodLabel(_)
        | EvtBuffer
        | ProcEnv(_) => 1,
        Anc(_, Some(n)) if *n <= 1 => 1,
        _ => 2,
    }
}

/// Specialise a rule's condition to the event types it is indexed under:
/// an `evt.type` test that gives the same answer for every one of them
/// becomes a constant, constants fold away, and nested `and`s / `or`s are
/// flattened. The engine only evaluates a rule on events of its types, so
/// the result is the same (macro memos stay valid: every evaluation of a
/// macro still happens on an event of the evaluating rule's types).
pub fn specialize(n: CNode, types: &BTreeSet<String>) -> CNode {
    let mut n = specialize_depth(n, types, 0);
    order_by_cost(&mut n, 0);
    n
}

fn specialize_depth(n: CNode, types: &BTreeSet<String>, depth: usize) -> CNode {
    if depth > 4096 {
        return n;
    }
    match n {
        CNode::EvtType {
            codes,
            others,
            negate,
        } => {
            let value = |t: &String| {
                let hit = match EventType::from_name(t).code() {
                    Some(c) => codes.get(c).copied().unwrap_or(false),
                    None => others.contains(t.as_str()),
                };
                hit != negate
            };
            let mut it = types.iter().map(value);
            match it.next() {
                Some(first) if it.all(|v| v == first) => CNode::Const(first),
                _ => CNode::EvtType {
                    codes,
                    others,
                    negate,
                },
            }
        }
        CNode::Not(x) => match specialize_depth(*x, types, depth + 1) {
            CNode::Const(b) => CNode::Const(!b),
            x => CNode::Not(Box::new(x)),
        },
        CNode::Memo(id, x) => match specialize_depth(*x, types, depth + 1) {
            CNode::Const(b) => CNode::Const(b),
            x => CNode::Memo(id, Box::new(x)),
        },
        CNode::And(v) => {
            let mut out = Vec::with_capacity(v.len());
            for x in v {
                match specialize_depth(x, types, depth + 1) {
                    CNode::Const(true) => {}
                    CNode::Const(false) => return CNode::Const(false),
                    CNode::And(inner) => out.extend(inner),
                    x => out.push(x),
                }
            }
            match out.len() {
                0 => CNode::Const(true),
                1 => out.pop().unwrap_or(CNode::Const(true)),
                _ => CNode::And(out),
            }
        }
        CNode::Or(v) => {
            let mut out = Vec::with_capacity(v.len());
            for x in v {
                match specialize_depth(x, types, depth + 1) {
                    CNode::Const(false) => {}
                    CNode::Const(true) => return CNode::Const(true),
                    CNode::Or(inner) => out.extend(inner),
                    x => out.push(x),
                }
            }
            match out.len() {
                0 => CNode::Const(false),
                1 => out.pop().unwrap_or(CNode::Const(false)),
                _ => CNode::Or(out),
            }
        }
        other => other,
    }
}

/// Whether a check can join a [`StrAny`] group: `=`/`in`/`startswith` with
/// constant strings on a field whose value is a single string or NULL.
fn groupable(c: &Check) -> bool {
    let f = &c.lhs.field;
    c.lhs.tr.is_empty()
        && f.ftype == FType::Str
        && !f.multi
        && !fields::is_any_of(&f.id)
        && !matches!(f.id, Fid::EvtRawArg(_))
        && field_cost(&f.id) <= 1
        && matches!(
            (c.op, &c.rhs),
            (Op::Eq | Op::StartsWith, Operand::Str(_)) | (Op::In, Operand::StrSet(_))
        )
}

/// In every `or`, merge the groupable tests on the same field into one
/// [`CNode::StrAny`]: `a = x or a startswith y or a in (z, w)` extracts `a`
/// once and looks it up. `or` is order-free, so the result is the same.
fn group_string_tests(n: &mut CNode, depth: usize) {
    if depth > 4096 {
        return;
    }
    match n {
        CNode::And(v) => v.iter_mut().for_each(|x| group_string_tests(x, depth + 1)),
        CNode::Not(x) | CNode::Memo(_, x) => group_string_tests(x, depth + 1),
        CNode::Or(v) => {
            v.iter_mut().for_each(|x| group_string_tests(x, depth + 1));
            let mut fields: Vec<Fid> = Vec::new();
            for x in v.iter() {
                if let CNode::Check(c) = x {
                    if groupable(c) && !fields.contains(&c.lhs.field.id) {
                        let n = v
                            .iter()
                            .filter(|y| {
                                matches!(y, CNode::Check(d) if groupable(d) && d.lhs.field.id == c.lhs.field.id)
                            })
                            .count();
                        if n >= 2 {
                            fields.push(c.lhs.field.id.clone());
                        }
                    }
                }
            }
            for fid in fields {
                let mut group: Option<StrAny> = None;
                let mut at = None;
                let old = std::mem::take(v);
                for (i, x) in old.into_iter().enumerate() {
                    match x {
                        CNode::Check(c) if groupable(&c) && c.lhs.field.id == fid => {
                            let c = *c;
                            let g = group.get_or_insert_with(|| StrAny {
                                field: c.lhs.field.clone(),
                                eq: HashSet::default(),
                                prefixes: Vec::new(),
                                tests: Vec::new(),
                            });
                            match (&c.op, &c.rhs) {
                                (Op::StartsWith, Operand::Str(p)) => g.prefixes.push(p.clone()),
                                (_, Operand::Str(x)) => {
                                    g.eq.insert(x.clone());
                                }
                                (_, Operand::StrSet(set)) => g.eq.extend(set.iter().cloned()),
                                _ => {}
                            }
                            g.tests.push((c.op, c.rhs));
                            at.get_or_insert(i);
                        }
                        other => v.push(other),
                    }
                }
                if let Some(g) = group {
                    let pos = at.unwrap_or(0).min(v.len());
                    v.insert(pos, CNode::StrAny(Box::new(g)));
                }
            }
        }
        _ => {}
    }
}

/// One string test a [`guards`] disjunction is made of: the field's value
/// (as [`Ctx::str_field`] gives it) equals the string, starts with it, ends
/// with it or contains it (bytewise).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Atom {
    Eq(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
}

impl Atom {
    /// Holds for every string (an empty prefix, suffix or needle).
    pub fn always(&self) -> bool {
        matches!(self, Atom::Prefix(x) | Atom::Suffix(x) | Atom::Contains(x) if x.is_empty())
    }
}

/// Fields a guard may test: single strings that [`Ctx::str_field`]
/// extracts (so a check on them is decided by [`str_check`] /
/// [`eval_str_any`] on that value): always, or for `evt.arg.*`, when the
/// parameter is a string or absent.
pub fn guard_field(id: &Fid) -> bool {
    use Fid::*;
    if let EvtArg(n) = id {
        return !fields::arg_has_fallback(n);
    }
    matches!(
        id,
        FdName
            | FdNameraw
            | FdDirectory
            | FdFilename
            | ProcName
            | ProcExe
            | ProcExepath
            | ProcPname
            | ProcPexe
            | ProcPexepath
    )
}

/// A disjunction of string tests on guard fields (see [`guards`]).
pub type Guard = Vec<(Fid, Atom)>;

/// Necessary conditions of `n`: each returned disjunction holds whenever
/// `n` holds (and `n` is false when one of them does not), so an engine may
/// skip `n` when a guard fails. Derived from the `=`, `in`, `startswith`
/// and `pmatch` tests on [`guard_field`]s that `n` requires: a test is its
/// own guard, an `and` needs every operand's guards, an `or` the union of
/// one guard of each operand (none when an operand has none), a macro its
/// body's; `not`, constants and `evt.type` tests give none.
pub fn guards(n: &CNode) -> Vec<Guard> {
    let mut out = guards_depth(n, 0);
    for g in out.iter_mut() {
        g.sort();
        g.dedup();
    }
    out.sort();
    out.dedup();
    out
}

/// The guards of a check (as [`cmp_str`] decides it on the value
/// [`str_check`] extracts).
fn atoms_of(c: &Check) -> Vec<Guard> {
    if !c.lhs.tr.is_empty() || !guard_field(&c.lhs.field.id) {
        return Vec::new();
    }
    let f = &c.lhs.field.id;
    let one = |a: Atom| vec![vec![(f.clone(), a)]];
    match (c.op, &c.rhs) {
        (Op::Eq, Operand::Str(s)) => one(Atom::Eq(s.clone())),
        (Op::In | Op::Intersects, Operand::StrSet(set)) => vec![set
            .iter()
            .map(|s| (f.clone(), Atom::Eq(s.clone())))
            .collect()],
        (Op::StartsWith, Operand::Str(s)) => one(Atom::Prefix(s.clone())),
        (Op::EndsWith, Operand::Str(s)) => one(Atom::Suffix(s.clone())),
        (Op::Contains, Operand::Str(s) | Operand::Contains(s, _)) => one(Atom::Contains(s.clone())),
        // `Glob::is_match`: the literal text before the first and after
        // the last special character start and end every match
        (Op::Glob, Operand::Glob(g)) => {
            let mut v = one(Atom::Prefix(g.literal_prefix().to_string()));
            v.extend(one(Atom::Suffix(g.literal_suffix().to_string())));
            v
        }
        // `path_prefix`: the value starts with each prefix it matches
        (Op::Pmatch, Operand::Prefixes(p)) => vec![p
            .iter()
            .map(|s| (f.clone(), Atom::Prefix(s.clone())))
            .collect()],
        _ => Vec::new(),
    }
}

/// How little a guard lets through (lower is more selective): prefixes,
/// suffixes and substrings match more than equalities, short ones more
/// than long ones.
fn guard_score(g: &Guard) -> (usize, usize, usize) {
    let partial = |a: &Atom| match a {
        Atom::Eq(_) => None,
        Atom::Prefix(x) | Atom::Suffix(x) | Atom::Contains(x) => Some(x.len()),
    };
    let short = g
        .iter()
        .filter(|(_, a)| partial(a).is_some_and(|n| n <= 1))
        .count();
    let partials = g.iter().filter(|(_, a)| partial(a).is_some()).count();
    (short, partials, g.len())
}

fn guards_depth(n: &CNode, depth: usize) -> Vec<Guard> {
    if depth > 4096 {
        return Vec::new();
    }
    match n {
        CNode::Check(c) => {
            let mut v = atoms_of(c);
            v.retain(|g| !g.iter().any(|(_, a)| a.always()));
            v
        }
        CNode::StrAny(g) if guard_field(&g.field.id) => {
            let f = &g.field.id;
            let mut atoms: Guard =
                g.eq.iter()
                    .map(|s| (f.clone(), Atom::Eq(s.clone())))
                    .collect();
            atoms.extend(
                g.prefixes
                    .iter()
                    .map(|s| (f.clone(), Atom::Prefix(s.clone()))),
            );
            if atoms.iter().any(|(_, a)| a.always()) {
                return Vec::new();
            }
            vec![atoms]
        }
        CNode::Memo(_, body) => guards_depth(body, depth + 1),
        CNode::And(v) => v.iter().flat_map(|x| guards_depth(x, depth + 1)).collect(),
        CNode::Or(v) => {
            let mut union = Guard::new();
            for x in v {
                let best = guards_depth(x, depth + 1)
                    .into_iter()
                    .min_by_key(guard_score);
                match best {
                    Some(g) => union.extend(g),
                    None => return Vec::new(),
                }
            }
            vec![union]
        }
        _ => Vec::new(),
    }
}

#[inline(never)]
pub(crate) fn eval_str_any(g: &StrAny, ctx: &Ctx<'_>) -> bool {
    let test = |s: &str| g.eq.contains(s) || g.prefixes.iter().any(|p| s.starts_with(p.as_str()));
    if let Some(v) = ctx.str_field(&g.field.id) {
        return v.is_some_and(test);
    }
    match ctx.extract(&g.field.id) {
        V::Null => false,
        V::S(s) => test(&s),
        other => g.tests.iter().any(|(op, rhs)| cmp_one(&other, *op, rhs)),
    }
}

/// Evaluate costly operands of `and`/`or` (class 2 of [`cost_class`]) after
/// the others. Conditions have no side effects (macro memos only cache
/// values), so the result is the same in any order; otherwise the rule
/// author's order is kept.
fn order_by_cost(n: &mut CNode, depth: usize) {
    if depth > 4096 {
        return;
    }
    match n {
        CNode::And(v) | CNode::Or(v) => {
            for x in v.iter_mut() {
                order_by_cost(x, depth + 1);
            }
            // only the costly ones move: the author's order usually puts
            // the most selective tests first
            v.sort_by_key(|x| cost_class(x) >= 2);
        }
        CNode::Not(x) | CNode::Memo(_, x) => order_by_cost(x, depth + 1),
        _ => {}
    }
}

fn compile_depth(e: &Expr, depth: usize) -> Result<CNode, CompileError> {
    if depth > 4096 {
        return Err(cerr(0, "condition nested too deeply".into()));
    }
    Ok(match e {
        Expr::And(v) => CNode::And(
            v.iter()
                .map(|x| compile_depth(x, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or(v) => CNode::Or(
            v.iter()
                .map(|x| compile_depth(x, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Not(x) => CNode::Not(Box::new(compile_depth(x, depth + 1)?)),
        Expr::Const(b) => CNode::Const(*b),
        Expr::Macro(id, body) => CNode::Memo(*id, Box::new(compile_depth(body, depth + 1)?)),
        Expr::Ident(name, off) => {
            return Err(cerr(
                *off,
                format!("undefined macro '{name}' used in filter"),
            ))
        }
        Expr::Check { field, op, rhs } => compile_check(field, *op, rhs)?,
    })
}

fn compile_check(f: &FieldRef, op: Op, rhs: &Rhs) -> Result<CNode, CompileError> {
    let lhs = field_expr(f)?;
    // fast path for evt.type
    if lhs.field.id == Fid::EvtType && lhs.tr.is_empty() {
        let names: Option<Vec<&str>> = match (op, rhs) {
            (Op::Eq | Op::Ne, Rhs::Value(v)) => Some(vec![v.text.as_str()]),
            (Op::In, Rhs::List(l)) => Some(l.iter().map(|v| v.text.as_str()).collect()),
            _ => None,
        };
        if let Some(names) = names {
            let mut codes = vec![false; EventType::COUNT];
            let mut others = HashSet::default();
            for n in names {
                match EventType::from_name(n).code() {
                    Some(c) => {
                        if let Some(slot) = codes.get_mut(c) {
                            *slot = true;
                        }
                    }
                    None => {
                        others.insert(n.to_string());
                    }
                }
            }
            return Ok(CNode::EvtType {
                codes,
                others,
                negate: op == Op::Ne,
            });
        }
    }
    let t = lhs.out_type();
    if !op_allowed(t, op) {
        return Err(cerr(
            f.off,
            format!("operator '{}' is not supported on field '{}'", op.name(), f),
        ));
    }
    let values: &[Value] = match rhs {
        Rhs::List(l) => l,
        Rhs::Value(v) => std::slice::from_ref(v),
        _ => &[],
    };
    let rhs_c = match (op, rhs) {
        (Op::Exists, _) => Operand::None,
        (_, Rhs::None) => {
            return Err(cerr(
                f.off,
                format!("operator '{}' needs a value", op.name()),
            ))
        }
        (_, Rhs::Field(r)) => {
            if op.is_list() {
                return Err(cerr(r.off, "list operators need a list".into()));
            }
            Operand::Field(Box::new(field_expr(r)?))
        }
        (Op::In | Op::Intersects, _) => match t {
            FType::Str | FType::Bytes => {
                Operand::StrSet(values.iter().map(|v| v.text.clone()).collect())
            }
            FType::Int => Operand::IntSet(values.iter().map(parse_int).collect::<Result<_, _>>()?),
            FType::Bool => Operand::IntSet(
                values
                    .iter()
                    .map(|v| parse_bool(v).map(i64::from))
                    .collect::<Result<_, _>>()?,
            ),
            FType::Ip => Operand::IpSet(values.iter().map(parse_ip).collect::<Result<_, _>>()?),
            FType::Net => Operand::Nets(values.iter().map(parse_net).collect::<Result<_, _>>()?),
        },
        (Op::Pmatch, _) => Operand::Prefixes(
            values
                .iter()
                .map(|v| {
                    let t = v.text.trim_end_matches('/');
                    if t.is_empty() {
                        "/".to_string()
                    } else {
                        t.to_string()
                    }
                })
                .collect(),
        ),
        (Op::Regex, Rhs::Value(v)) => {
            let re = regex::RegexBuilder::new(&format!("^(?:{})$", v.text))
                .size_limit(1 << 20)
                .build()
                .map_err(|e| cerr(v.off, format!("invalid regex '{}': {e}", v.text)))?;
            Operand::Regex(re)
        }
        (Op::BContains | Op::BStartsWith, Rhs::Value(v)) => Operand::Bytes(
            crate::flags::parse_hex(&v.text)
                .ok_or_else(|| cerr(v.off, format!("'{}' is not a valid hex string", v.text)))?,
        ),
        (Op::IContains | Op::IGlob, Rhs::Value(v)) => Operand::Str(v.text.to_lowercase()),
        (Op::Contains, Rhs::Value(v)) if t == FType::Str => Operand::Contains(
            v.text.clone(),
            Box::new(memchr::memmem::Finder::new(v.text.as_bytes()).into_owned()),
        ),
        (Op::Glob, Rhs::Value(v)) if matches!(t, FType::Str | FType::Bytes) => {
            Operand::Glob(crate::glob::Glob::new(&v.text))
        }
        (_, Rhs::Value(v)) => match t {
            FType::Str | FType::Bytes => Operand::Str(v.text.clone()),
            FType::Int => Operand::Int(parse_int(v)?),
            FType::Bool => Operand::Bool(parse_bool(v)?),
            FType::Ip => Operand::Ip(parse_ip(v)?),
            FType::Net => Operand::Nets(vec![parse_net(v)?]),
        },
        (_, Rhs::List(_)) => {
            return Err(cerr(
                f.off,
                format!("operator '{}' does not take a list", op.name()),
            ))
        }
    };
    Ok(CNode::Check(Box::new(Check {
        lhs,
        op,
        rhs: rhs_c,
    })))
}

/// Evaluate a compiled condition.
pub fn eval(n: &CNode, ctx: &Ctx<'_>) -> bool {
    match n {
        CNode::And(v) => v.iter().all(|x| eval_child(x, ctx)),
        CNode::Or(v) => v.iter().any(|x| eval_child(x, ctx)),
        CNode::Not(x) => !eval_child(x, ctx),
        CNode::Const(b) => *b,
        CNode::EvtType {
            codes,
            others,
            negate,
        } => {
            let hit = match ctx.code {
                Some(c) => codes.get(c).copied().unwrap_or(false),
                None => others.contains(ctx.ev.evt_type.name()),
            };
            hit != *negate
        }
        CNode::Check(c) => eval_check(c, ctx),
        CNode::StrAny(g) => eval_str_any(g, ctx),
        CNode::Memo(id, inner) => match memo_cell(ctx.memo, *id) {
            Some((cell, gen)) => match memo_known(cell, gen) {
                Some(r) => r,
                None => {
                    let r = eval(inner, ctx);
                    memo_store(cell, gen, r);
                    r
                }
            },
            None => eval(inner, ctx),
        },
    }
}

/// An operand of `and`/`or`/`not`: leaves (checks, known macro results,
/// constants) without another call of the recursive [`eval`].
#[inline(always)]
fn eval_child(n: &CNode, ctx: &Ctx<'_>) -> bool {
    match n {
        CNode::Check(c) => eval_check(c, ctx),
        CNode::StrAny(g) => eval_str_any(g, ctx),
        CNode::Const(b) => *b,
        CNode::Memo(id, _) => {
            match memo_cell(ctx.memo, *id).and_then(|(c, gen)| memo_known(c, gen)) {
                Some(r) => r,
                None => eval(n, ctx),
            }
        }
        _ => eval(n, ctx),
    }
}

// out of line: `eval` recurses and stays small
#[inline(never)]
pub(crate) fn eval_check(c: &Check, ctx: &Ctx<'_>) -> bool {
    if c.lhs.tr.is_empty() {
        if fields::is_any_of(&c.lhs.field.id) {
            return eval_any_of(c, ctx);
        }
        if let Some(r) = num_check(c, ctx) {
            return r;
        }
        if let Some(r) = str_check(c, ctx) {
            return r;
        }
    }
    eval_check_values(c, ctx)
}

/// `eval_check` by extracting the field's value (every field and operand).
fn eval_check_values(c: &Check, ctx: &Ctx<'_>) -> bool {
    let v = c.lhs.extract(ctx);
    if c.op == Op::Exists {
        return match v {
            V::Null => false,
            V::Any(x) => x.iter().any(|y| !matches!(y, V::Null)),
            V::Multi(x) => !x.is_empty(),
            _ => true,
        };
    }
    let dynamic;
    let rhs = match &c.rhs {
        Operand::Field(fe) => {
            dynamic = to_operand(fe.extract(ctx), c.lhs.out_type());
            match &dynamic {
                Some(o) => o,
                None => return false,
            }
        }
        o => o,
    };
    match v {
        V::Null => false,
        V::Any(vs) => vs.iter().any(|x| cmp_one(x, c.op, rhs)),
        V::Multi(vs) => match c.op {
            Op::In => !vs.is_empty() && vs.iter().all(|x| cmp_one(x, Op::In, rhs)),
            Op::Intersects => vs.iter().any(|x| cmp_one(x, Op::In, rhs)),
            _ => vs.iter().any(|x| cmp_one(x, c.op, rhs)),
        },
        one => cmp_one(&one, c.op, rhs),
    }
}

/// Whether [`num_check`] (`Some(true)`) or [`str_check`] (`Some(false)`)
/// may decide `c`: the field has no transformers, is not an "any of" field
/// and the operand is constant. They still return `None` for fields
/// without a fast extraction.
pub(crate) fn fast_kind(c: &Check) -> Option<bool> {
    if !c.lhs.tr.is_empty() || fields::is_any_of(&c.lhs.field.id) {
        return None;
    }
    match (&c.rhs, c.lhs.field.ftype) {
        (Operand::Field(_), _) => None,
        (
            Operand::None | Operand::Int(_) | Operand::Bool(_) | Operand::IntSet(_),
            FType::Int | FType::Bool,
        ) => Some(true),
        (_, FType::Str) => Some(false),
        _ => None,
    }
}

/// For a check with no transformers on a common integer or boolean field
/// and a constant integer/boolean operand: the comparisons `cmp_one` makes
/// for `V::I` / `V::B`, without building a value. `None` when the field or
/// operand is not of that kind.
#[inline]
pub(crate) fn num_check(c: &Check, ctx: &Ctx<'_>) -> Option<bool> {
    if !matches!(
        c.rhs,
        Operand::None | Operand::Int(_) | Operand::Bool(_) | Operand::IntSet(_)
    ) {
        return None;
    }
    let v = ctx.num_field(&c.lhs.field.id)?;
    Some(match (v, c.op, &c.rhs) {
        (None, ..) => false,
        (Some(_), Op::Exists, _) => true,
        (Some(Num::I(i)), op, Operand::Int(r)) => cmp_ord(i.cmp(r), op),
        (Some(Num::I(i)), op, Operand::Bool(r)) => cmp_ord(i.cmp(&i64::from(*r)), op),
        (Some(Num::B(b)), op, Operand::Bool(r)) => cmp_ord(b.cmp(r), op),
        (Some(Num::I(i)), _, Operand::IntSet(set)) => set.contains(&i),
        (Some(Num::B(b)), _, Operand::IntSet(set)) => set.contains(&i64::from(b)),
        _ => false,
    })
}

/// For a check with no transformers on a common string field and a
/// constant operand: compare without building a value. `None` when the
/// field has no borrowed-string extraction.
#[inline]
pub(crate) fn str_check(c: &Check, ctx: &Ctx<'_>) -> Option<bool> {
    if matches!(c.rhs, Operand::Field(_)) {
        return None;
    }
    Some(match ctx.str_field(&c.lhs.field.id)? {
        None => false,
        Some(_) if c.op == Op::Exists => true,
        Some(s) => cmp_str(s, c.op, &c.rhs),
    })
}

/// `eval_check` for fields whose value is "any of" several candidates
/// (`fd.ip`, `fd.port`, indexless `proc.aname`...): the same result as
/// extracting the [`V::Any`] list, without building it.
fn eval_any_of(c: &Check, ctx: &Ctx<'_>) -> bool {
    if c.op == Op::Exists {
        return ctx.any_of(&c.lhs.field.id, &mut |x| !matches!(x, V::Null));
    }
    let dynamic;
    let rhs = match &c.rhs {
        Operand::Field(fe) => {
            dynamic = to_operand(fe.extract(ctx), c.lhs.out_type());
            match &dynamic {
                Some(o) => o,
                None => return false,
            }
        }
        o => o,
    };
    ctx.any_of(&c.lhs.field.id, &mut |x| cmp_one(x, c.op, rhs))
}

fn to_operand(v: V<'_>, t: FType) -> Option<Operand> {
    let v = match v {
        V::Any(x) => x.into_iter().find(|y| !matches!(y, V::Null))?,
        o => o,
    };
    Some(match (t, v) {
        (_, V::Null) => return None,
        (FType::Int, V::I(i)) => Operand::Int(i),
        (FType::Bool, V::B(b)) => Operand::Bool(b),
        (FType::Ip, V::Ip(ip)) => Operand::Ip(ip),
        (FType::Net, V::Ip(ip)) => Operand::Nets(vec![(ip, if ip.is_ipv4() { 32 } else { 128 })]),
        (_, o) => Operand::Str(o.render()?),
    })
}

fn path_prefix(value: &str, prefixes: &[String]) -> bool {
    prefixes.iter().any(|p| {
        if p == "/" {
            return value.starts_with('/');
        }
        value.starts_with(p.as_str())
            && (value.len() == p.len() || value.as_bytes().get(p.len()) == Some(&b'/'))
    })
}

fn cmp_one(v: &V<'_>, op: Op, rhs: &Operand) -> bool {
    match v {
        V::S(s) => cmp_str(s, op, rhs),
        V::Bytes(b) => match (op, rhs) {
            (Op::BContains | Op::Contains, Operand::Bytes(n)) => contains_bytes(b, n),
            (Op::Contains, Operand::Str(n) | Operand::Contains(n, _)) => {
                contains_bytes(b, n.as_bytes())
            }
            (Op::BStartsWith | Op::StartsWith, Operand::Bytes(n)) => b.starts_with(n),
            (Op::StartsWith, Operand::Str(n)) => b.starts_with(n.as_bytes()),
            (Op::Eq, Operand::Str(n)) => b.as_ref() == n.as_bytes(),
            (Op::Ne, Operand::Str(n)) => b.as_ref() != n.as_bytes(),
            _ => false,
        },
        V::I(i) => match rhs {
            Operand::Int(r) => cmp_ord(i.cmp(r), op),
            Operand::IntSet(set) => set.contains(i),
            Operand::Bool(b) => cmp_ord(i.cmp(&i64::from(*b)), op),
            Operand::Str(_) | Operand::Glob(_) | Operand::Contains(..) => {
                cmp_str(&i.to_string(), op, rhs)
            }
            _ => false,
        },
        V::B(b) => match rhs {
            Operand::Bool(r) => cmp_ord(b.cmp(r), op),
            Operand::IntSet(set) => set.contains(&i64::from(*b)),
            Operand::Str(_) | Operand::Glob(_) | Operand::Contains(..) => {
                cmp_str(if *b { "true" } else { "false" }, op, rhs)
            }
            _ => false,
        },
        V::Ip(ip) => match rhs {
            Operand::Ip(r) => match op {
                Op::Eq => ip == r,
                Op::Ne => ip != r,
                _ => false,
            },
            Operand::IpSet(set) => set.contains(ip),
            Operand::Nets(nets) => {
                let hit = nets.iter().any(|n| in_net(ip, n));
                match op {
                    Op::Ne => !hit,
                    _ => hit,
                }
            }
            Operand::Str(_) | Operand::Glob(_) | Operand::Contains(..) => {
                cmp_str(&ip.to_string(), op, rhs)
            }
            _ => false,
        },
        V::Null => false,
        V::Any(vs) | V::Multi(vs) => vs.iter().any(|x| cmp_one(x, op, rhs)),
    }
}

fn cmp_ord(o: std::cmp::Ordering, op: Op) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq | Op::In | Op::Intersects => o == Equal,
        Op::Ne => o != Equal,
        Op::Lt => o == Less,
        Op::Le => o != Greater,
        Op::Gt => o == Greater,
        Op::Ge => o != Less,
        _ => false,
    }
}

fn contains_bytes(h: &[u8], n: &[u8]) -> bool {
    n.is_empty() || h.windows(n.len()).any(|w| w == n)
}

fn cmp_str(s: &str, op: Op, rhs: &Operand) -> bool {
    match (op, rhs) {
        (Op::Eq, Operand::Str(r)) => s == r,
        (Op::Ne, Operand::Str(r)) => s != r,
        (Op::Lt | Op::Le | Op::Gt | Op::Ge, Operand::Str(r)) => cmp_ord(s.cmp(r.as_str()), op),
        (Op::Contains, Operand::Str(r)) => s.contains(r.as_str()),
        (Op::Contains, Operand::Contains(_, f)) => f.find(s.as_bytes()).is_some(),
        (Op::IContains, Operand::Str(r)) => {
            if s.is_ascii() && r.is_ascii() {
                ascii_icontains(s.as_bytes(), r.as_bytes())
            } else {
                s.to_lowercase().contains(r.as_str())
            }
        }
        (Op::BContains, Operand::Bytes(b)) => contains_bytes(s.as_bytes(), b),
        (Op::BStartsWith, Operand::Bytes(b)) => s.as_bytes().starts_with(b),
        (Op::StartsWith, Operand::Str(r)) => s.starts_with(r.as_str()),
        (Op::EndsWith, Operand::Str(r)) => s.ends_with(r.as_str()),
        (Op::Glob, Operand::Str(r)) => crate::glob::glob_match(r, s, false),
        (Op::Glob, Operand::Glob(g)) => g.is_match(s),
        (Op::IGlob, Operand::Str(r)) => crate::glob::glob_match(r, s, true),
        (Op::Regex, Operand::Regex(re)) => re.is_match(s),
        (Op::In | Op::Intersects, Operand::StrSet(set)) => set.contains(s),
        (Op::Pmatch, Operand::Prefixes(p)) => path_prefix(s, p),
        (Op::Eq, Operand::Int(i)) => s.parse::<i64>().ok() == Some(*i),
        (Op::Ne, Operand::Int(i)) => s.parse::<i64>().ok() != Some(*i),
        _ => false,
    }
}

fn ascii_icontains(h: &[u8], n: &[u8]) -> bool {
    if n.is_empty() {
        return true;
    }
    if n.len() > h.len() {
        return false;
    }
    let (Some(&first), Some(rest)) = (n.first(), n.get(1..)) else {
        return true;
    };
    // candidates: where the needle's first byte occurs, in either case
    let last = h.len() - n.len();
    memchr::memchr2_iter(first.to_ascii_lowercase(), first.to_ascii_uppercase(), h)
        .take_while(|&i| i <= last)
        .any(|i| {
            h.get(i + 1..i + n.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(rest))
        })
}

/// Event types a condition can match: `None` means any type.
pub fn event_types(e: &Expr) -> Option<BTreeSet<String>> {
    match e {
        Expr::Check { field, op, rhs }
            if field.name == "evt.type" && field.transformers.is_empty() =>
        {
            match (op, rhs) {
                (Op::Eq, Rhs::Value(v)) => Some(std::iter::once(v.text.clone()).collect()),
                (Op::In, Rhs::List(l)) => Some(l.iter().map(|v| v.text.clone()).collect()),
                _ => None,
            }
        }
        Expr::And(v) => {
            let mut acc: Option<BTreeSet<String>> = None;
            for x in v {
                if let Some(s) = event_types(x) {
                    acc = Some(match acc {
                        None => s,
                        Some(a) => a.intersection(&s).cloned().collect(),
                    });
                }
            }
            acc
        }
        Expr::Or(v) => {
            let mut acc = BTreeSet::new();
            for x in v {
                acc.extend(event_types(x)?);
            }
            Some(acc)
        }
        Expr::Const(false) => Some(BTreeSet::new()),
        Expr::Macro(_, body) => event_types(body),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ascii_icontains_agrees_with_windows() {
        let hay = [
            "",
            "a",
            "A",
            "ab",
            "LD_PRELOAD=x",
            "path=/usr/bin:LD_preload",
            "aaaB",
            "xx..",
        ];
        let needles = [
            "",
            "a",
            "B",
            "ld_preload",
            "AB",
            "x..",
            "aab",
            "zz",
            "LD_PRELOAD=X!",
        ];
        for h in hay {
            for n in needles {
                let want = n.is_empty()
                    || h.as_bytes()
                        .windows(n.len())
                        .any(|w| w.eq_ignore_ascii_case(n.as_bytes()));
                assert_eq!(
                    super::ascii_icontains(h.as_bytes(), n.as_bytes()),
                    want,
                    "{h:?} {n:?}"
                );
            }
        }
    }

    use super::*;
    use crate::state::State;
    use seawall_event::{Event, ProcInfo, ProcessSnapshot};

    /// The fast integer/boolean and string comparisons decide every check
    /// they take as comparing extracted values does.
    #[test]
    fn fast_checks_agree_with_extracted_values() {
        let mut conds = Vec::new();
        for f in [
            "evt.num",
            "evt.rawres",
            "evt.failed",
            "evt.is_open_read",
            "evt.is_open_write",
            "proc.pid",
            "proc.tty",
            "user.uid",
            "user.loginuid",
            "fd.num",
            "fd.connected",
        ] {
            for rhs in [
                "= 0",
                "!= 0",
                "< 0",
                "<= 1",
                "> -1",
                ">= 3",
                "= true",
                "= false",
                "!= true",
                "in (0, 3, -1)",
                "in (true)",
                "exists",
            ] {
                conds.push(format!("{f} {rhs}"));
            }
        }
        for f in [
            "proc.name",
            "fd.name",
            "fd.directory",
            "fd.typechar",
            "container.id",
        ] {
            for rhs in [
                "= sh",
                "!= sh",
                "= /etc/passwd",
                "in (/etc, sh, f, host)",
                "startswith /et",
                "endswith wd",
                "contains etc",
                "icontains ETC",
                "glob '/etc/*'",
                "pmatch (/etc)",
                "exists",
                "< m",
                "regex '.*ss.*'",
            ] {
                conds.push(format!("{f} {rhs}"));
            }
        }
        let checks: Vec<Check> = conds
            .iter()
            .filter_map(|c| match compile(&crate::cond::parse(c).unwrap()) {
                Ok(CNode::Check(c)) => Some(*c),
                _ => None,
            })
            .collect();
        assert!(checks.len() > 120, "{}", checks.len());
        let mut st = State::default();
        st.add_process(ProcessSnapshot {
            tid: 2,
            pid: 2,
            ppid: 1,
            proc: ProcInfo {
                comm: "sh".into(),
                loginuid: u32::MAX,
                tty: 3,
                ..Default::default()
            },
            container_id: None,
            fds: vec![],
        });
        let open = |pid, res, name: &str, flags: i64| {
            Event::new(1, pid, pid, EventType::Openat, res)
                .arg("dirfd", -100i64)
                .arg("name", name)
                .arg("flags", flags)
        };
        let events = [
            open(2, 3, "/etc/passwd", 0),
            open(2, 4, "/etc/ssl", 0o200001),
            open(2, -2, "/nope", 2),
            open(9, 0, "rel", 1),
            Event::new(4, 2, 2, EventType::Read, 5).arg("fd", 3i64),
        ];
        let (mut fast, mut total) = (0, 0);
        for (n, ev) in events.iter().enumerate() {
            let efd = st.apply(ev);
            let ctx = Ctx::new(ev, &st, &efd, n as u64, &[]);
            for c in &checks {
                let want = eval_check_values(c, &ctx);
                let got = match fast_kind(c) {
                    Some(true) => num_check(c, &ctx),
                    Some(false) => str_check(c, &ctx),
                    None => None,
                };
                total += 1;
                if let Some(got) = got {
                    fast += 1;
                    assert_eq!(got, want, "{:?} on event {n}", c);
                }
                assert_eq!(eval_check(c, &ctx), want, "{:?} on event {n}", c);
            }
            st.finish(ev);
        }
        assert!(fast * 10 > total * 9, "{fast} of {total}");
    }

    /// Results are known for the event that stored them only, across the
    /// generation wrap that clears the cells; an empty table knows nothing.
    #[test]
    fn memo_results_last_one_event() {
        let mut memo = vec![std::cell::Cell::new(0u8); 3];
        for event in 0..300usize {
            for id in 0..2 {
                let (cell, gen) = memo_cell(&memo, id).unwrap();
                assert_eq!(memo_known(cell, gen), None, "event {event} id {id}");
            }
            let (cell, gen) = memo_cell(&memo, event % 2).unwrap();
            memo_store(cell, gen, event % 3 == 0);
            assert_eq!(memo_known(cell, gen), Some(event % 3 == 0));
            let (other, gen) = memo_cell(&memo, 1 - event % 2).unwrap();
            assert_eq!(memo_known(other, gen), None);
            memo_reset(&mut memo);
        }
        // the generation cell is no macro's
        assert!(memo_cell(&memo, 2).is_none());
        assert!(memo_cell(&[], 0).is_none());
    }
}
