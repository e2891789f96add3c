//! Derive, from the loaded rules, the open filter the sensor applies in
//! the kernel ([`seawall_event::open_filter`]).
//!
//! Each enabled rule's condition, specialised to every open event type, is
//! over-approximated by a disjunction of terms the kernel can test (open
//! for writing, success or failure, the resolved path equal to a name, in
//! a directory, with a last component, below a prefix or containing a
//! needle, the raw name containing a needle). Anything else (process
//! fields, negations, transformers, ...) approximates to "any open", so an
//! open a rule could match is never filtered out: dropping it could only
//! change what rules that test no path see, and those make the whole
//! filter "keep every open".

use std::collections::BTreeSet;

use seawall_event::open_filter::{
    OpenFilter, OpenTerm, MAX_NEEDLES, MAX_NEEDLE_LEN, MAX_PREFIX_DEPTH, MAX_TERMS,
};

use crate::compile::{self, CNode, Operand, StrAny};
use crate::cond::Op;
use crate::fields::Fid;
use crate::RuleSet;

/// The open event types the sensor filters.
pub const OPEN_TYPES: [&str; 4] = ["open", "openat", "openat2", "creat"];

/// Most distinct paths the kernel filter holds (its hash map's size).
const MAX_PATHS: usize = 4096;

/// Nesting beyond which a condition approximates to "any open".
const MAX_DEPTH: usize = 256;

/// Disjunction of terms; `None` = no constraint (every open).
type Dnf = Option<Vec<OpenTerm>>;

/// The open filter for `rs`'s enabled rules, or `None` when some rule
/// could match any open (then the sensor records every open).
pub fn open_filter(rs: &RuleSet) -> Option<OpenFilter> {
    let mut terms = Vec::new();
    for r in rs.rules.iter().filter(|r| r.enabled) {
        // a field that reads the process's whole fd table sees every open
        if uses_fd_table(&r.compiled) || r.output.contains("fd.types") {
            return None;
        }
        for t in OPEN_TYPES {
            if r.event_types.as_ref().is_some_and(|ts| !ts.contains(t)) {
                continue;
            }
            let types: BTreeSet<String> = [t.to_string()].into();
            let spec = compile::specialize(r.compiled.clone(), &types);
            terms.extend(approx(&spec, 0)?);
        }
    }
    let terms = fit(widen(terms)?)?;
    Some(OpenFilter { terms })
}

fn uses_fd_table(n: &CNode) -> bool {
    match n {
        CNode::And(v) | CNode::Or(v) => v.iter().any(uses_fd_table),
        CNode::Not(x) | CNode::Memo(_, x) => uses_fd_table(x),
        CNode::Check(c) => {
            c.lhs.field.id == Fid::FdTypes
                || matches!(&c.rhs, Operand::Field(f) if f.field.id == Fid::FdTypes)
        }
        CNode::StrAny(s) => s.field.id == Fid::FdTypes,
        CNode::Const(_) | CNode::EvtType { .. } => false,
    }
}

fn approx(n: &CNode, depth: usize) -> Dnf {
    if depth > MAX_DEPTH {
        return None;
    }
    match n {
        CNode::Const(true) => None,
        CNode::Const(false) => Some(Vec::new()),
        CNode::And(v) => {
            let mut acc: Dnf = None;
            for x in v {
                acc = and(acc, approx(x, depth + 1));
                if acc.as_ref().is_some_and(Vec::is_empty) {
                    break;
                }
            }
            acc
        }
        CNode::Or(v) => {
            let mut terms = Vec::new();
            for x in v {
                terms.extend(approx(x, depth + 1)?);
            }
            widen(terms)
        }
        CNode::Memo(_, x) => approx(x, depth + 1),
        CNode::Check(c) => {
            if !c.lhs.tr.is_empty() {
                return None;
            }
            test(&c.lhs.field.id, c.op, &c.rhs)
        }
        CNode::StrAny(s) => str_any(s),
        CNode::Not(_) | CNode::EvtType { .. } => None,
    }
}

fn one(t: OpenTerm) -> Dnf {
    Some(vec![t])
}

fn strs(v: impl IntoIterator<Item = impl Into<String>>) -> BTreeSet<String> {
    v.into_iter().map(Into::into).collect()
}

/// The whole-component prefix implied by `fd.name startswith p`: `/etc/`
/// gives `/etc`, `/root/.ssh` gives `/root` (a name below `/root/.sshx`
/// starts with it too), cut to the kernel's depth. `None` when nothing is
/// implied (`/`, `/etc`, a relative text).
fn prefix_of(p: &str) -> Option<String> {
    if !p.starts_with('/') {
        return None;
    }
    let whole = match p.strip_suffix('/') {
        Some(w) => w,
        None => &p[..p.rfind('/')?],
    };
    let comps: Vec<&str> = whole.split('/').skip(1).collect();
    if comps.is_empty() || comps.iter().any(|c| c.is_empty()) {
        return None;
    }
    let kept = &comps[..comps.len().min(MAX_PREFIX_DEPTH)];
    Some(format!("/{}", kept.join("/")))
}

/// A needle the kernel can search for that `contains n` implies: `n`'s
/// first bytes (up to the kernel's length, on a character boundary).
fn needle(n: &str) -> Option<String> {
    let mut end = n.len().min(MAX_NEEDLE_LEN);
    while !n.is_char_boundary(end) {
        end -= 1;
    }
    (end > 0).then(|| n[..end].to_string())
}

/// The approximation of one test on a field.
fn test(f: &Fid, op: Op, rhs: &Operand) -> Dnf {
    match (f, op, rhs) {
        (Fid::EvtIsOpenWrite, Op::Eq, Operand::Bool(true))
        | (Fid::EvtIsOpenWrite, Op::Ne, Operand::Bool(false)) => one(OpenTerm {
            write: true,
            ..Default::default()
        }),
        // success: fd.num >= 0, evt.rawres >= 0, evt.failed = false
        (Fid::FdNum | Fid::EvtRawres, Op::Ge, Operand::Int(i)) if *i >= 0 => success(),
        (Fid::FdNum | Fid::EvtRawres, Op::Gt, Operand::Int(i)) if *i >= -1 => success(),
        (Fid::EvtFailed, Op::Eq, Operand::Bool(false)) => success(),
        (Fid::EvtRes, Op::Eq, Operand::Str(s)) if s == "SUCCESS" => success(),
        // failure: fd.num = -1, fd.num < 0, evt.failed = true, evt.res startswith E
        (Fid::FdNum | Fid::EvtRawres, Op::Eq, Operand::Int(i)) if *i < 0 => failure(),
        (Fid::FdNum | Fid::EvtRawres, Op::Lt, Operand::Int(i)) if *i <= 0 => failure(),
        (Fid::EvtFailed, Op::Eq, Operand::Bool(true)) => failure(),
        (Fid::EvtRes, Op::StartsWith, Operand::Str(s)) if s.starts_with('E') => failure(),
        (Fid::FdName | Fid::FdDirectory | Fid::FdFilename, Op::Eq, Operand::Str(s)) => {
            path_set(f, strs([s.as_str()]))
        }
        (Fid::FdName | Fid::FdDirectory | Fid::FdFilename, Op::In, Operand::StrSet(v))
            if !v.is_empty() =>
        {
            path_set(f, strs(v.iter().map(String::as_str)))
        }
        // a directory below a prefix holds names below it
        (Fid::FdName | Fid::FdDirectory, Op::StartsWith, Operand::Str(p)) => prefixes([p.as_str()]),
        (Fid::FdName | Fid::FdDirectory, Op::StartsWith | Op::In, Operand::Prefixes(v))
            if op == Op::StartsWith =>
        {
            prefixes(v.iter().map(String::as_str))
        }
        (Fid::FdName | Fid::FdDirectory, Op::Glob, Operand::Glob(g)) => {
            prefixes([g.literal_prefix()])
        }
        (Fid::FdName, Op::Contains, Operand::Contains(n, _))
        | (Fid::FdName, Op::Contains, Operand::Str(n))
            if !n.contains('/') =>
        {
            let n = needle(n)?;
            one(OpenTerm {
                path_contains: strs([n]),
                ..Default::default()
            })
        }
        (Fid::FdNameraw, Op::Contains, Operand::Contains(n, _))
        | (Fid::FdNameraw, Op::Contains, Operand::Str(n)) => {
            let n = needle(n)?;
            one(OpenTerm {
                raw_contains: strs([n]),
                ..Default::default()
            })
        }
        _ => None,
    }
}

/// `fd.name`, `fd.directory` or `fd.filename` equal to one of `v`.
fn path_set(f: &Fid, v: BTreeSet<String>) -> Dnf {
    let mut t = OpenTerm::default();
    match f {
        Fid::FdName => t.names = v,
        Fid::FdDirectory => t.dirs = v,
        _ => t.filenames = v,
    }
    one(t)
}

fn success() -> Dnf {
    one(OpenTerm {
        success: true,
        ..Default::default()
    })
}

fn failure() -> Dnf {
    one(OpenTerm {
        failed: true,
        ..Default::default()
    })
}

fn prefixes<'a>(v: impl IntoIterator<Item = &'a str>) -> Dnf {
    let mut out = BTreeSet::new();
    for p in v {
        out.insert(prefix_of(p)?);
    }
    if out.is_empty() {
        return None;
    }
    one(OpenTerm {
        prefixes: out,
        ..Default::default()
    })
}

/// `=`/`in`/`startswith` tests grouped on one string field, `or`ed.
fn str_any(s: &StrAny) -> Dnf {
    let mut terms = Vec::new();
    if !s.eq.is_empty() {
        terms.extend(test(
            &s.field.id,
            Op::In,
            &Operand::StrSet(s.eq.iter().cloned().collect()),
        )?);
    }
    if !s.prefixes.is_empty() {
        terms.extend(test(
            &s.field.id,
            Op::StartsWith,
            &Operand::Prefixes(s.prefixes.clone()),
        )?);
    }
    for (op, rhs) in &s.tests {
        terms.extend(test(&s.field.id, *op, rhs)?);
    }
    widen(terms)
}

fn and(a: Dnf, b: Dnf) -> Dnf {
    let (a, b) = match (a, b) {
        (None, x) | (x, None) => return x,
        (Some(a), Some(b)) => (a, b),
    };
    if a.len() * b.len() > MAX_TERMS {
        // either side alone is implied: keep the smaller
        return Some(if a.len() <= b.len() { a } else { b });
    }
    let mut out = Vec::new();
    for x in &a {
        for y in &b {
            if let Some(t) = meet(x, y) {
                out.push(t);
            }
        }
    }
    Some(out)
}

/// A term implied by both `x` and `y` holding; `None` when they cannot
/// both hold.
fn meet(x: &OpenTerm, y: &OpenTerm) -> Option<OpenTerm> {
    let exact = |a: &BTreeSet<String>, b: &BTreeSet<String>| -> Option<BTreeSet<String>> {
        match (a.is_empty(), b.is_empty()) {
            (true, _) => Some(b.clone()),
            (_, true) => Some(a.clone()),
            _ => {
                let i: BTreeSet<String> = a.intersection(b).cloned().collect();
                (!i.is_empty()).then_some(i)
            }
        }
    };
    // both must hold but one set of needles or prefixes is as far as the
    // kernel goes: either one is implied
    let either = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
        if a.is_empty() || (!b.is_empty() && b.len() < a.len()) {
            b.clone()
        } else {
            a.clone()
        }
    };
    let mut t = OpenTerm {
        write: x.write || y.write,
        success: x.success || y.success,
        failed: x.failed || y.failed,
        names: exact(&x.names, &y.names)?,
        dirs: exact(&x.dirs, &y.dirs)?,
        filenames: exact(&x.filenames, &y.filenames)?,
        prefixes: either(&x.prefixes, &y.prefixes),
        raw_contains: either(&x.raw_contains, &y.raw_contains),
        path_contains: either(&x.path_contains, &y.path_contains),
    };
    if t.success && t.failed {
        return None;
    }
    // names make the other path tests redundant once they agree with them
    if !t.names.is_empty() {
        let keep = |n: &String| {
            let below = |p: &String| {
                n == p
                    || n.strip_prefix(p.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            };
            (t.dirs.is_empty() || t.dirs.contains(seawall_event::open_filter::dirname(n)))
                && (t.filenames.is_empty()
                    || t.filenames
                        .contains(seawall_event::open_filter::basename(n)))
                && (x.prefixes.is_empty() || x.prefixes.iter().any(below))
                && (y.prefixes.is_empty() || y.prefixes.iter().any(below))
                && (x.path_contains.is_empty()
                    || x.path_contains.iter().any(|c| n.contains(c.as_str())))
                && (y.path_contains.is_empty()
                    || y.path_contains.iter().any(|c| n.contains(c.as_str())))
        };
        t.names.retain(keep);
        if t.names.is_empty() {
            return None;
        }
        t.dirs.clear();
        t.filenames.clear();
        t.prefixes.clear();
        t.path_contains.clear();
    }
    Some(t)
}

/// The same disjunction in at most [`MAX_TERMS`] terms (exactly when terms
/// differ in one set only, else by weakening); `None` when a term tests
/// nothing or weakening leaves no test.
fn widen(terms: Vec<OpenTerm>) -> Dnf {
    let mut out: Vec<OpenTerm> = Vec::new();
    for t in terms {
        if t.is_empty() {
            return None;
        }
        if out.contains(&t) {
            continue;
        }
        // terms that differ in one set join exactly
        if let Some(o) = out.iter_mut().find(|o| differ_in_one_set(o, &t)) {
            union_into(o, &t);
            continue;
        }
        out.push(t);
    }
    while out.len() > MAX_TERMS {
        // weaken: join the pair with the same tests, else the last two
        let pair = (0..out.len())
            .flat_map(|i| (i + 1..out.len()).map(move |j| (i, j)))
            .find(|&(i, j)| signature(&out[i]) == signature(&out[j]))
            .unwrap_or((out.len() - 2, out.len() - 1));
        let b = out.remove(pair.1);
        let j = join(&out[pair.0], &b);
        if j.is_empty() {
            return None;
        }
        out[pair.0] = j;
    }
    Some(out)
}

/// Which tests a term has.
fn signature(t: &OpenTerm) -> [bool; 9] {
    [
        t.write,
        t.success,
        t.failed,
        !t.names.is_empty(),
        !t.dirs.is_empty(),
        !t.filenames.is_empty(),
        !t.prefixes.is_empty(),
        !t.raw_contains.is_empty(),
        !t.path_contains.is_empty(),
    ]
}

fn sets(t: &OpenTerm) -> [&BTreeSet<String>; 6] {
    [
        &t.names,
        &t.dirs,
        &t.filenames,
        &t.prefixes,
        &t.raw_contains,
        &t.path_contains,
    ]
}

fn differ_in_one_set(a: &OpenTerm, b: &OpenTerm) -> bool {
    if signature(a) != signature(b) {
        return false;
    }
    let diff = sets(a)
        .iter()
        .zip(sets(b))
        .filter(|(x, y)| **x != *y)
        .count();
    diff <= 1
}

fn union_into(a: &mut OpenTerm, b: &OpenTerm) {
    a.names.extend(b.names.iter().cloned());
    a.dirs.extend(b.dirs.iter().cloned());
    a.filenames.extend(b.filenames.iter().cloned());
    a.prefixes.extend(b.prefixes.iter().cloned());
    a.raw_contains.extend(b.raw_contains.iter().cloned());
    a.path_contains.extend(b.path_contains.iter().cloned());
}

/// A term implied by either `a` or `b`: the tests both have, with the
/// values of either.
fn join(a: &OpenTerm, b: &OpenTerm) -> OpenTerm {
    let both = |x: &BTreeSet<String>, y: &BTreeSet<String>| {
        if x.is_empty() || y.is_empty() {
            BTreeSet::new()
        } else {
            x.union(y).cloned().collect()
        }
    };
    OpenTerm {
        write: a.write && b.write,
        success: a.success && b.success,
        failed: a.failed && b.failed,
        names: both(&a.names, &b.names),
        dirs: both(&a.dirs, &b.dirs),
        filenames: both(&a.filenames, &b.filenames),
        prefixes: both(&a.prefixes, &b.prefixes),
        raw_contains: both(&a.raw_contains, &b.raw_contains),
        path_contains: both(&a.path_contains, &b.path_contains),
    }
}

/// Weaken the terms until the kernel can hold them: too many distinct
/// needles drop the needle tests, too many paths give up.
fn fit(mut terms: Vec<OpenTerm>) -> Option<Vec<OpenTerm>> {
    let distinct = |terms: &[OpenTerm], get: fn(&OpenTerm) -> &BTreeSet<String>| {
        terms.iter().flat_map(get).collect::<BTreeSet<_>>().len()
    };
    if distinct(&terms, |t| &t.raw_contains) > MAX_NEEDLES {
        terms.iter_mut().for_each(|t| t.raw_contains.clear());
    }
    if distinct(&terms, |t| &t.path_contains) > MAX_NEEDLES {
        terms.iter_mut().for_each(|t| t.path_contains.clear());
    }
    let terms = widen(terms)?;
    let paths: usize = terms
        .iter()
        .map(|t| t.names.len() + t.dirs.len() + t.filenames.len() + t.prefixes.len())
        .sum();
    if paths > MAX_PATHS {
        return None;
    }
    let f = OpenFilter { terms };
    f.fits_kernel().then_some(f.terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(rules: &str) -> Option<OpenFilter> {
        let (rs, _) = RuleSet::load_sources(&[("r.yaml", rules)]).expect("loads");
        open_filter(&rs)
    }

    fn rule(cond: &str) -> String {
        format!(
            "- macro: open_write\n  condition: (evt.type in (open,openat,openat2) and evt.is_open_write=true and fd.typechar='f' and fd.num>=0)\n\
             - macro: open_read\n  condition: (evt.type in (open,openat,openat2) and evt.is_open_read=true and fd.typechar='f' and fd.num>=0)\n\
             - rule: R\n  desc: d\n  condition: {cond}\n  output: o %fd.name\n  priority: WARNING\n"
        )
    }

    #[test]
    fn conditions_become_terms() {
        let f = filter(&rule(
            "open_write and fd.name startswith /etc/ and not proc.name=vi",
        ))
        .unwrap();
        assert_eq!(f.terms.len(), 1);
        let t = &f.terms[0];
        assert!(t.write && t.success);
        assert_eq!(t.prefixes, strs(["/etc"]));

        let f = filter(&rule(
            "open_read and (fd.name in (/etc/shadow, /etc/sudoers) or fd.directory in (/etc/pam.d))",
        ))
        .unwrap();
        assert_eq!(f.terms.len(), 2, "{f:?}");
        assert!(f
            .terms
            .iter()
            .any(|t| t.names == strs(["/etc/shadow", "/etc/sudoers"])));
        assert!(f.terms.iter().any(|t| t.dirs == strs(["/etc/pam.d"])));

        // names agree with the other path tests or the term goes
        let f = filter(&rule(
            "open_read and fd.name in (/etc/shadow, /tmp/x) and fd.name startswith /etc/",
        ))
        .unwrap();
        assert_eq!(f.terms[0].names, strs(["/etc/shadow"]));
        assert!(f.terms[0].prefixes.is_empty());

        let f = filter(&rule(
            "(evt.type in (open, openat) and fd.num=-1 and evt.res startswith E) and fd.nameraw contains '../'",
        ))
        .unwrap();
        assert!(f.terms[0].failed && f.terms[0].raw_contains == strs(["../"]));
    }

    /// Whether `f` keeps every successful read-only open of `paths`.
    fn keeps_all(f: &Option<OpenFilter>, paths: &[&str]) -> bool {
        let Some(f) = f else { return true };
        paths.iter().all(|p| {
            f.keeps(&seawall_event::open_filter::OpenSeen {
                path: Some(p),
                raw: p.as_bytes(),
                flags: 0,
                ret: 3,
                is_dir: false,
            })
        })
    }

    #[test]
    fn what_the_kernel_cannot_test_keeps_every_open() {
        let paths = [
            "/etc/x",
            "/etc",
            "/etcx",
            "/tmp/y.pem",
            "/home/u/.ssh/k",
            "/x",
        ];
        for c in [
            "open_read and proc.name=cat",
            "open_read and not fd.name startswith /etc",
            "open_read and fd.name startswith /etc",
            "evt.type=openat and tolower(fd.name)=/etc/x",
            "evt.type=openat and fd.name endswith .pem",
            "open_read and fd.name contains /.ssh/",
            "proc.name=nc",
        ] {
            let f = filter(&rule(c));
            assert!(keeps_all(&f, &paths), "{c}: {f:?}");
        }
        // the same with a test the kernel can make
        let f = filter(&rule("open_read and proc.name=cat and fd.name=/etc/x"));
        assert!(!keeps_all(&f, &paths));
        // a rule on every event type sees opens too, and tests nothing
        // the kernel can
        assert_eq!(filter(&rule("proc.name=nc")), None);
        // rules that see no open need none but directories (kept for the
        // paths later calls resolve against them)
        let f = filter(&rule("evt.type=execve and proc.name=nc"));
        assert_eq!(f, Some(OpenFilter { terms: vec![] }));
        // fd.types reads the whole table, which every open changes
        assert_eq!(
            filter(&rule(
                "open_write and fd.name=/x and fd.types intersects (ipv4)"
            )),
            None
        );
    }

    #[test]
    fn prefixes_are_whole_components() {
        assert_eq!(prefix_of("/etc/").as_deref(), Some("/etc"));
        assert_eq!(prefix_of("/root/.ssh").as_deref(), Some("/root"));
        assert_eq!(prefix_of("/etc"), None);
        assert_eq!(prefix_of("/"), None);
        assert_eq!(prefix_of("etc/"), None);
        assert_eq!(prefix_of("/a//b/"), None);
        assert_eq!(
            prefix_of("/1/2/3/4/5/6/7/8/").as_deref(),
            Some("/1/2/3/4/5/6")
        );
        assert_eq!(needle("id_rsa_long_name").as_deref(), Some("id_rsa_l"));
        assert_eq!(needle("ééééé").as_deref(), Some("éééé"));
    }

    #[test]
    fn many_terms_are_joined_not_dropped() {
        let conds: Vec<String> = (0..40)
            .map(|i| format!("(open_read and fd.name=/etc/f{i} and fd.nameraw contains x{i})"))
            .collect();
        let f = filter(&rule(&conds.join(" or "))).unwrap();
        assert!(f.terms.len() <= MAX_TERMS);
        // every name is still there
        let names: BTreeSet<&String> = f.terms.iter().flat_map(|t| &t.names).collect();
        assert_eq!(names.len(), 40);
        assert!(f.fits_kernel());
    }
}
