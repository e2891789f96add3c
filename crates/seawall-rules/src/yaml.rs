//! A small positioned YAML tree built from yaml-rust2's marked events, so
//! every rules-file error can name `file:line:column`.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Deepest YAML nesting accepted in a rules file.
pub const MAX_DEPTH: usize = 64;

/// 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A scalar; `plain` is false for quoted and block scalars.
    Scalar {
        value: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub pos: Pos,
    /// A literal (`|`) or folded (`>`) block scalar: content starts on the next line.
    pub block: bool,
}

impl Node {
    /// The scalar text, if this node is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }
    /// YAML null (`~`, `null`, empty plain scalar).
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { value, plain: true } if value.is_empty() || value == "~" || value == "null" || value == "Null" || value == "NULL")
    }
    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            Kind::Scalar { value, plain: true } => match value.as_str() {
                "true" | "True" | "TRUE" | "yes" | "Yes" | "on" => Some(true),
                "false" | "False" | "FALSE" | "no" | "No" | "off" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(v) => Some(v),
            _ => None,
        }
    }
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            Kind::Map(v) => Some(v),
            _ => None,
        }
    }
    /// Value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar { .. } => "scalar",
            Kind::Seq(_) => "sequence",
            Kind::Map(_) => "mapping",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub pos: Pos,
    pub msg: String,
}

enum Frame {
    Seq(Pos, Vec<Node>),
    Map(Pos, Vec<(Node, Node)>, Option<Node>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    docs: Vec<Node>,
    anchors: Vec<(usize, Node)>,
    pending_anchor: Vec<(usize, usize)>,
    error: Option<YamlError>,
}

fn pos(m: Marker) -> Pos {
    Pos {
        line: m.line(),
        col: m.col() + 1,
    }
}

impl Builder {
    fn push_value(&mut self, node: Node, anchor: usize) {
        if anchor > 0 && self.anchors.len() < 10_000 {
            self.anchors.push((anchor, node.clone()));
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq(_, v)) => v.push(node),
            Some(Frame::Map(_, v, key)) => match key.take() {
                None => *key = Some(node),
                Some(k) => v.push((k, node)),
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::Scalar(value, style, anchor, _) => {
                let plain = matches!(style, TScalarStyle::Plain);
                let block = matches!(style, TScalarStyle::Literal | TScalarStyle::Folded);
                self.push_value(
                    Node {
                        kind: Kind::Scalar { value, plain },
                        pos: pos(mark),
                        block,
                    },
                    anchor,
                );
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    self.error = Some(YamlError {
                        pos: pos(mark),
                        msg: format!("yaml nesting deeper than {MAX_DEPTH} levels"),
                    });
                    return;
                }
                self.pending_anchor.push((self.stack.len(), anchor));
                if matches!(ev, Event::SequenceStart(..)) {
                    self.stack.push(Frame::Seq(pos(mark), Vec::new()));
                } else {
                    self.stack.push(Frame::Map(pos(mark), Vec::new(), None));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let depth = self.stack.len().saturating_sub(1);
                let anchor = match self.pending_anchor.last() {
                    Some((d, a)) if *d == depth => {
                        let a = *a;
                        self.pending_anchor.pop();
                        a
                    }
                    _ => 0,
                };
                let node = match self.stack.pop() {
                    Some(Frame::Seq(p, v)) => Node {
                        kind: Kind::Seq(v),
                        pos: p,
                        block: false,
                    },
                    Some(Frame::Map(p, v, _)) => Node {
                        // a block mapping is located at its first key
                        pos: v.first().map(|(k, _)| k.pos).unwrap_or(p),
                        kind: Kind::Map(v),
                        block: false,
                    },
                    None => return,
                };
                self.push_value(node, anchor);
            }
            Event::Alias(id) => {
                let found = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(a, _)| *a == id)
                    .map(|(_, n)| n.clone());
                match found {
                    Some(mut n) => {
                        n.pos = pos(mark);
                        self.push_value(n, 0)
                    }
                    None => {
                        self.error = Some(YamlError {
                            pos: pos(mark),
                            msg: "unknown yaml alias".into(),
                        })
                    }
                }
            }
            _ => {}
        }
    }
}

/// Parse all documents of a YAML source.
pub fn parse(src: &str) -> Result<Vec<Node>, YamlError> {
    let src = indent_flow_closers(src);
    let mut b = Builder::default();
    let mut p = Parser::new_from_str(&src);
    if let Err(e) = p.load(&mut b, true) {
        let m = e.marker();
        return Err(YamlError {
            pos: pos(*m),
            msg: e.info().to_string(),
        });
    }
    if let Some(e) = b.error {
        return Err(e);
    }
    Ok(b.docs)
}

/// libyaml (which Falco uses) accepts a flow collection whose closing
/// bracket sits at the parent key's indentation:
///
/// ```yaml
/// - list: x
///   items: [
///     a, b
///   ]
/// ```
///
/// yaml-rust2 rejects that as "invalid indentation". Whitespace before a
/// closing bracket inside a flow collection has no meaning, so lines that
/// hold only closing brackets are indented further; lines and content
/// positions are unchanged.
fn indent_flow_closers(src: &str) -> std::borrow::Cow<'_, str> {
    let is_closer = |l: &str| {
        let t = l.trim();
        !t.is_empty() && t.chars().all(|c| matches!(c, ']' | '}' | ',' | ' ')) && l.starts_with(' ')
    };
    if !src.lines().any(is_closer) {
        return std::borrow::Cow::Borrowed(src);
    }
    let mut out = String::with_capacity(src.len() + 64);
    for line in src.split_inclusive('\n') {
        if is_closer(line) {
            out.push_str("    ");
        }
        out.push_str(line);
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_closer_at_key_indent() {
        let docs = parse("- list: x\n  items: [\n    a, b\n  ]\n- list: y\n  items: []\n").unwrap();
        let seq = docs[0].as_seq().unwrap();
        assert_eq!(seq.len(), 2);
        assert_eq!(seq[0].get("items").unwrap().as_seq().unwrap().len(), 2);
    }

    #[test]
    fn positions() {
        let docs = parse("- list: a\n  items: [x, \"y\"]\n").unwrap();
        let top = &docs[0];
        let item = &top.as_seq().unwrap()[0];
        assert_eq!(item.get("list").unwrap().pos, Pos { line: 1, col: 9 });
        let items = item.get("items").unwrap();
        assert_eq!(items.as_seq().unwrap()[1].pos.line, 2);
    }

    #[test]
    fn error_positioned() {
        let e = parse("- rule: a\n  condition: [\n").unwrap_err();
        assert!(e.pos.line >= 2, "{e:?}");
    }

    #[test]
    fn deep_nesting_bounded() {
        let src = "[".repeat(100_000);
        assert!(parse(&src).is_err());
        let src = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let e = parse(&src).unwrap_err();
        assert!(e.msg.contains("nesting"), "{e:?}");
    }
}
