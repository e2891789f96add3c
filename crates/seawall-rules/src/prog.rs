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
                Test::Memo { id, body } => match ctx.memo.get(*id).map(std::cell::Cell::get) {
                    Some(2) => true,
                    Some(1) => false,
                    Some(_) => {
                        pc = *body;
                        continue;
                    }
                    // beyond the memo table: evaluate without remembering
                    None => {
                        pc = *body;
                        continue;
                    }
                },
                Test::MemoSet { id, value, then } => {
                    if let Some(cell) = ctx.memo.get(*id) {
                        cell.set(if *value { 2 } else { 1 });
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
