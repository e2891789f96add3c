//! Parser for the Falco condition language.
//!
//! Precedence follows libsinsp: `or` < `and` < `not`. A word followed by an
//! operator is a field check; a lone word is a macro reference.

use std::fmt;

/// Deepest nesting (parentheses, `not`, transformers) accepted.
pub const MAX_DEPTH: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    IContains,
    BContains,
    StartsWith,
    BStartsWith,
    EndsWith,
    Glob,
    IGlob,
    Regex,
    In,
    Intersects,
    Pmatch,
    Exists,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "contains",
            Op::IContains => "icontains",
            Op::BContains => "bcontains",
            Op::StartsWith => "startswith",
            Op::BStartsWith => "bstartswith",
            Op::EndsWith => "endswith",
            Op::Glob => "glob",
            Op::IGlob => "iglob",
            Op::Regex => "regex",
            Op::In => "in",
            Op::Intersects => "intersects",
            Op::Pmatch => "pmatch",
            Op::Exists => "exists",
        }
    }
    fn from_word(w: &str) -> Option<Op> {
        Some(match w {
            "contains" => Op::Contains,
            "icontains" => Op::IContains,
            "bcontains" => Op::BContains,
            "startswith" => Op::StartsWith,
            "bstartswith" => Op::BStartsWith,
            "endswith" => Op::EndsWith,
            "glob" => Op::Glob,
            "iglob" => Op::IGlob,
            "regex" => Op::Regex,
            "in" => Op::In,
            "intersects" => Op::Intersects,
            "pmatch" => Op::Pmatch,
            "exists" => Op::Exists,
            _ => return None,
        })
    }
    /// Operators taking a list on the right.
    pub fn is_list(self) -> bool {
        matches!(self, Op::In | Op::Intersects | Op::Pmatch)
    }
}

/// Field transformers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transformer {
    ToLower,
    ToUpper,
    B64,
    Basename,
    Len,
}

impl Transformer {
    fn from_word(w: &str) -> Option<Transformer> {
        Some(match w {
            "tolower" => Transformer::ToLower,
            "toupper" => Transformer::ToUpper,
            "b64" => Transformer::B64,
            "basename" => Transformer::Basename,
            "len" => Transformer::Len,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Transformer::ToLower => "tolower",
            Transformer::ToUpper => "toupper",
            Transformer::B64 => "b64",
            Transformer::Basename => "basename",
            Transformer::Len => "len",
        }
    }
}

/// A field reference, possibly wrapped in transformers (outermost first).
#[derive(Clone, Debug, PartialEq)]
pub struct FieldRef {
    pub transformers: Vec<Transformer>,
    pub name: String,
    pub arg: Option<String>,
    /// Byte offset of the field name in the condition.
    pub off: usize,
}

impl fmt::Display for FieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in &self.transformers {
            write!(f, "{}(", t.name())?;
        }
        f.write_str(&self.name)?;
        if let Some(a) = &self.arg {
            write!(f, "[{a}]")?;
        }
        for _ in &self.transformers {
            f.write_str(")")?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub text: String,
    pub quoted: bool,
    pub off: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Rhs {
    None,
    Value(Value),
    List(Vec<Value>),
    /// `val(field)` or a transformed field.
    Field(FieldRef),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// A macro reference.
    Ident(String, usize),
    Check {
        field: FieldRef,
        op: Op,
        rhs: Rhs,
    },
    /// Constant (used after resolution of empty lists etc.).
    Const(bool),
    /// An expanded macro body; the id lets the evaluator compute each
    /// macro at most once per event.
    Macro(usize, Box<Expr>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    /// Byte offset in the condition.
    pub off: usize,
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.msg, self.off)
    }
}

struct P<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
    depth: usize,
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-'
}

/// Parse a condition.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let mut p = P {
        s: src.as_bytes(),
        src,
        i: 0,
        depth: 0,
    };
    p.ws();
    if p.i >= p.s.len() {
        return Err(p.err("empty condition"));
    }
    let e = p.or()?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.err(&format!("unexpected token '{}'", p.snippet())));
    }
    Ok(e)
}

impl<'a> P<'a> {
    fn err(&self, msg: &str) -> ParseError {
        ParseError {
            off: self.i,
            msg: msg.to_string(),
        }
    }
    fn snippet(&self) -> String {
        self.src
            .get(self.i..)
            .unwrap_or("")
            .chars()
            .take(20)
            .collect()
    }
    fn ws(&mut self) {
        while let Some(c) = self.s.get(self.i) {
            if c.is_ascii_whitespace() {
                self.i += 1;
            } else {
                break;
            }
        }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    /// The word at the cursor without consuming it.
    fn peek_word(&self) -> &'a str {
        let mut j = self.i;
        while j < self.s.len() && is_word(self.s[j]) {
            j += 1;
        }
        self.src.get(self.i..j).unwrap_or("")
    }
    fn keyword(&mut self, kw: &str) -> bool {
        if self.peek_word() == kw {
            self.i += kw.len();
            true
        } else {
            false
        }
    }
    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(&format!("condition nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut v = vec![self.and()?];
        loop {
            self.ws();
            if self.keyword("or") {
                v.push(self.and()?);
            } else {
                break;
            }
        }
        Ok(if v.len() == 1 {
            v.pop().unwrap_or(Expr::Const(false))
        } else {
            Expr::Or(v)
        })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut v = vec![self.not()?];
        loop {
            self.ws();
            if self.keyword("and") {
                v.push(self.not()?);
            } else {
                break;
            }
        }
        Ok(if v.len() == 1 {
            v.pop().unwrap_or(Expr::Const(false))
        } else {
            Expr::And(v)
        })
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        self.ws();
        if self.keyword("not") {
            self.enter()?;
            let e = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(e)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        self.ws();
        match self.peek() {
            None => Err(self.err("unexpected end of condition")),
            Some(b'(') => {
                self.enter()?;
                self.i += 1;
                let e = self.or()?;
                self.ws();
                if self.peek() != Some(b')') {
                    return Err(self.err("expected ')'"));
                }
                self.i += 1;
                self.depth -= 1;
                Ok(e)
            }
            Some(c) if is_word(c) => {
                let start = self.i;
                let w = self.peek_word();
                if matches!(w, "and" | "or") {
                    return Err(self.err(&format!("unexpected '{w}'")));
                }
                let field = self.field_or_transformer()?;
                self.ws();
                match self.op()? {
                    Some(op) => {
                        let rhs = self.rhs(op)?;
                        Ok(Expr::Check { field, op, rhs })
                    }
                    None => {
                        if !field.transformers.is_empty() || field.arg.is_some() {
                            return Err(ParseError {
                                off: start,
                                msg: format!("expected an operator after '{field}'"),
                            });
                        }
                        Ok(Expr::Ident(field.name, start))
                    }
                }
            }
            Some(_) => Err(self.err(&format!("unexpected token '{}'", self.snippet()))),
        }
    }

    fn field_or_transformer(&mut self) -> Result<FieldRef, ParseError> {
        self.ws();
        let start = self.i;
        let w = self.peek_word();
        if w.is_empty() {
            return Err(self.err("expected a field name"));
        }
        if let Some(t) = Transformer::from_word(w) {
            if self.s.get(self.i + w.len()) == Some(&b'(') {
                self.enter()?;
                self.i += w.len() + 1;
                let mut inner = self.field_or_transformer()?;
                self.ws();
                if self.peek() != Some(b')') {
                    return Err(self.err("expected ')' after transformer argument"));
                }
                self.i += 1;
                self.depth -= 1;
                inner.transformers.insert(0, t);
                return Ok(inner);
            }
        }
        self.i += w.len();
        let mut arg = None;
        if self.peek() == Some(b'[') {
            let a0 = self.i + 1;
            let mut j = a0;
            while j < self.s.len() && self.s[j] != b']' {
                j += 1;
            }
            if j >= self.s.len() {
                return Err(self.err("unterminated field argument '['"));
            }
            arg = Some(self.src.get(a0..j).unwrap_or("").to_string());
            self.i = j + 1;
        }
        Ok(FieldRef {
            transformers: Vec::new(),
            name: w.to_string(),
            arg,
            off: start,
        })
    }

    fn op(&mut self) -> Result<Option<Op>, ParseError> {
        let two = self.s.get(self.i..self.i + 2).unwrap_or(&[]);
        let sym = match two {
            b"==" => Some((Op::Eq, 2)),
            b"!=" => Some((Op::Ne, 2)),
            b"<=" => Some((Op::Le, 2)),
            b">=" => Some((Op::Ge, 2)),
            _ => match self.peek() {
                Some(b'=') => Some((Op::Eq, 1)),
                Some(b'<') => Some((Op::Lt, 1)),
                Some(b'>') => Some((Op::Gt, 1)),
                _ => None,
            },
        };
        if let Some((op, n)) = sym {
            self.i += n;
            return Ok(Some(op));
        }
        let w = self.peek_word();
        if let Some(op) = Op::from_word(w) {
            self.i += w.len();
            return Ok(Some(op));
        }
        Ok(None)
    }

    fn rhs(&mut self, op: Op) -> Result<Rhs, ParseError> {
        if op == Op::Exists {
            return Ok(Rhs::None);
        }
        self.ws();
        if op.is_list() {
            if self.peek() != Some(b'(') {
                // A single value is accepted (Falco allows `in value`? no): require a list.
                return Err(self.err(&format!("expected '(' after '{}'", op.name())));
            }
            self.i += 1;
            let mut items = Vec::new();
            loop {
                self.ws();
                match self.peek() {
                    Some(b')') => {
                        self.i += 1;
                        break;
                    }
                    Some(b',') if !items.is_empty() => {
                        self.i += 1;
                        continue;
                    }
                    None => return Err(self.err("unterminated list")),
                    _ => items.push(self.value()?),
                }
                if items.len() > 1_000_000 {
                    return Err(self.err("list too long"));
                }
            }
            return Ok(Rhs::List(items));
        }
        // val(field) or transformer(field)
        let w = self.peek_word();
        if self.s.get(self.i + w.len()) == Some(&b'(') {
            if w == "val" {
                self.enter()?;
                self.i += 4;
                let f = self.field_or_transformer()?;
                self.ws();
                if self.peek() != Some(b')') {
                    return Err(self.err("expected ')' after val("));
                }
                self.i += 1;
                self.depth -= 1;
                return Ok(Rhs::Field(f));
            }
            if Transformer::from_word(w).is_some() {
                let f = self.field_or_transformer()?;
                return Ok(Rhs::Field(f));
            }
        }
        Ok(Rhs::Value(self.value()?))
    }

    fn value(&mut self) -> Result<Value, ParseError> {
        self.ws();
        let start = self.i;
        match self.peek() {
            Some(q @ (b'"' | b'\'')) => {
                self.i += 1;
                let mut out = Vec::new();
                loop {
                    match self.peek() {
                        None => {
                            return Err(ParseError {
                                off: start,
                                msg: "unterminated quoted string".into(),
                            })
                        }
                        Some(b'\\') => {
                            let n = self.s.get(self.i + 1).copied();
                            match n {
                                Some(c @ (b'\\' | b'"' | b'\'')) => {
                                    out.push(c);
                                    self.i += 2;
                                }
                                _ => {
                                    out.push(b'\\');
                                    self.i += 1;
                                }
                            }
                        }
                        Some(c) if c == q => {
                            self.i += 1;
                            break;
                        }
                        Some(c) => {
                            out.push(c);
                            self.i += 1;
                        }
                    }
                }
                Ok(Value {
                    text: String::from_utf8_lossy(&out).into_owned(),
                    quoted: true,
                    off: start,
                })
            }
            _ => {
                while let Some(c) = self.peek() {
                    if c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b',' | b'"' | b'\'') {
                        break;
                    }
                    self.i += 1;
                }
                if self.i == start {
                    return Err(self.err("expected a value"));
                }
                Ok(Value {
                    text: self.src.get(start..self.i).unwrap_or("").to_string(),
                    quoted: false,
                    off: start,
                })
            }
        }
    }
}

/// Convert a byte offset in a condition to a (line, column) delta:
/// lines after the first, and the 1-based column on that line.
pub fn offset_to_line_col(src: &str, off: usize) -> (usize, usize) {
    let before = src.get(..off.min(src.len())).unwrap_or(src);
    let line = before.matches('\n').count();
    let col = match before.rfind('\n') {
        Some(p) => before.len() - p,
        None => before.len() + 1,
    };
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence() {
        let e = parse("a or b and not c").unwrap();
        match e {
            Expr::Or(v) => {
                assert_eq!(v.len(), 2);
                assert!(matches!(&v[1], Expr::And(x) if matches!(&x[1], Expr::Not(_))));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn checks() {
        let e = parse(
            "evt.type in (open, 'openat') and proc.aname[2]=bash and fd.name pmatch (/etc) and \
             tolower(proc.name) = val(proc.pname) and evt.arg.flags contains O_TRUNC and fd.num>=0 and proc.env exists",
        )
        .unwrap();
        let Expr::And(v) = e else { panic!() };
        assert_eq!(v.len(), 7);
        match &v[0] {
            Expr::Check {
                field,
                op: Op::In,
                rhs: Rhs::List(items),
            } => {
                assert_eq!(field.name, "evt.type");
                assert_eq!(items.len(), 2);
                assert!(items[1].quoted);
            }
            o => panic!("{o:?}"),
        }
        match &v[1] {
            Expr::Check { field, .. } => assert_eq!(field.arg.as_deref(), Some("2")),
            o => panic!("{o:?}"),
        }
        match &v[3] {
            Expr::Check {
                field,
                rhs: Rhs::Field(r),
                ..
            } => {
                assert_eq!(field.transformers, vec![Transformer::ToLower]);
                assert_eq!(r.name, "proc.pname");
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn errors() {
        for bad in [
            "",
            "(a",
            "a and",
            "proc.name =",
            "proc.name in (a, b",
            "proc.name = 'x",
            "a b",
            "and a",
            ")",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&deep).unwrap_err().msg.contains("nested"));
        let deep = format!("{}a", "not ".repeat(10_000));
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn line_col() {
        assert_eq!(offset_to_line_col("ab\ncd", 4), (1, 2));
        assert_eq!(offset_to_line_col("abc", 1), (0, 2));
    }
}
