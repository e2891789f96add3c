//! YAML / JSON loading into `serde_json::Value` documents that remember the
//! line of every node, with limits against alias bombs and deep nesting.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::Error;

/// Largest manifest file accepted, in bytes.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Most nodes (after alias expansion) accepted in one file.
pub const MAX_NODES: usize = 2_000_000;
/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 100;

/// One YAML document with the 1-based line of each node, keyed by JSON
/// pointer (`/spec/containers/0/image`; for mapping entries the line of the key).
#[derive(Debug, Clone)]
pub struct Doc {
    pub value: Value,
    pub lines: HashMap<String, u32>,
    /// 1-based index of the document in the stream.
    pub index: usize,
    /// Line where the document starts.
    pub line: u32,
}

impl Doc {
    /// Line of the node at `pointer`, or of its nearest ancestor that has one.
    pub fn line_of(&self, pointer: &str) -> u32 {
        let mut p = pointer;
        loop {
            if let Some(l) = self.lines.get(p) {
                return *l;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return self.line,
            }
        }
    }
}

enum Frame {
    Map {
        map: Map<String, Value>,
        key: Option<String>,
        path: String,
        anchor: usize,
        line: u32,
    },
    Seq {
        seq: Vec<Value>,
        path: String,
        anchor: usize,
        line: u32,
    },
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn line_of(m: &Marker) -> u32 {
    u32::try_from(m.line()).unwrap_or(u32::MAX)
}

fn count_nodes(v: &Value) -> usize {
    // Iterative, so deep values cannot overflow the stack.
    let mut n = 0usize;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        n += 1;
        match v {
            Value::Array(a) => stack.extend(a.iter()),
            Value::Object(o) => stack.extend(o.values()),
            _ => {}
        }
    }
    n
}

/// Resolves a plain scalar the way Kubernetes' YAML decoder does (YAML 1.1
/// core types: null, booleans, integers, floats; everything else a string).
fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            return Value::Bool(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            return Value::Bool(false)
        }
        _ => {}
    }
    let first = s.as_bytes().first().copied().unwrap_or(b'x');
    if first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.' {
        let t = s.strip_prefix('+').unwrap_or(s);
        if let Ok(i) = t.parse::<i64>() {
            return Value::Number(i.into());
        }
        if let Some(h) = t.strip_prefix("0x") {
            if let Ok(i) = i64::from_str_radix(h, 16) {
                return Value::Number(i.into());
            }
        }
        if let Some(o) = t.strip_prefix("0o") {
            if let Ok(i) = i64::from_str_radix(o, 8) {
                return Value::Number(i.into());
            }
        }
        if t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
            && t.bytes().any(|b| b.is_ascii_digit())
        {
            if let Ok(f) = t.parse::<f64>() {
                if let Some(n) = Number::from_f64(f) {
                    return Value::Number(n);
                }
            }
        }
    }
    Value::String(s.to_string())
}

struct Builder<'a> {
    file: &'a str,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, usize)>,
    lines: HashMap<String, u32>,
    nodes: usize,
    root: Option<Value>,
}

impl Builder<'_> {
    fn limit(&self, line: u32, message: String) -> Error {
        Error::Limit {
            file: self.file.to_string(),
            line,
            message,
        }
    }

    fn count(&mut self, n: usize, line: u32) -> Result<(), Error> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(self.limit(
                line,
                format!(
                    "more than {MAX_NODES} yaml nodes after alias expansion (alias bomb?), refusing to continue"
                ),
            ));
        }
        Ok(())
    }

    /// Path of the next child of the innermost container.
    fn child_path(&self) -> Option<String> {
        match self.stack.last() {
            None => Some(String::new()),
            Some(Frame::Map { key: None, .. }) => None, // this node is a key
            Some(Frame::Map {
                key: Some(k), path, ..
            }) => Some(format!("{path}/{}", escape(k))),
            Some(Frame::Seq { seq, path, .. }) => Some(format!("{path}/{}", seq.len())),
        }
    }

    fn push_value(&mut self, v: Value, line: u32) -> Result<(), Error> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(v);
            }
            Some(Frame::Seq { seq, .. }) => seq.push(v),
            Some(Frame::Map { map, key, .. }) => match key.take() {
                None => {
                    let k = match v {
                        Value::String(s) => s,
                        Value::Null => "null".to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Number(n) => n.to_string(),
                        _ => {
                            return Err(Error::Yaml {
                                file: self.file.to_string(),
                                line,
                                column: 0,
                                message: "mapping keys must be scalars".to_string(),
                            })
                        }
                    };
                    *key = Some(k);
                }
                Some(k) => {
                    if k == "<<" {
                        // Merge key: copy entries that are not set explicitly.
                        let sources = match v {
                            Value::Object(o) => vec![o],
                            Value::Array(a) => a
                                .into_iter()
                                .filter_map(|x| match x {
                                    Value::Object(o) => Some(o),
                                    _ => None,
                                })
                                .collect(),
                            _ => Vec::new(),
                        };
                        for src in sources {
                            for (k2, v2) in src {
                                map.entry(k2).or_insert(v2);
                            }
                        }
                    } else {
                        map.insert(k, v);
                    }
                }
            },
        }
        Ok(())
    }

    fn record_line(&mut self, path: Option<String>, line: u32) {
        if let Some(p) = path {
            self.lines.entry(p).or_insert(line);
        }
    }
}

/// Parses a YAML (or JSON) stream into documents.
pub fn load(file: &str, text: &str) -> Result<Vec<Doc>, Error> {
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::TooLarge {
            file: file.to_string(),
            size: text.len() as u64,
            limit: MAX_FILE_BYTES,
        });
    }
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    let mut b = Builder {
        file,
        stack: Vec::new(),
        anchors: HashMap::new(),
        lines: HashMap::new(),
        nodes: 0,
        root: None,
    };
    let mut doc_line = 1u32;
    // Line of the key of the entry currently being filled, per frame: for
    // mapping entries we record the line of the key, not of the value.
    let mut pending_key_line: Vec<u32> = Vec::new();
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| Error::Yaml {
            file: file.to_string(),
            line: line_of(e.marker()),
            column: u32::try_from(e.marker().col()).unwrap_or(0) + 1,
            message: e.info().to_string(),
        })?;
        let line = line_of(&mark);
        match ev {
            Event::StreamEnd => break,
            Event::Nothing | Event::StreamStart => {}
            Event::DocumentStart => {
                doc_line = line;
                b.root = None;
                b.anchors.clear();
                b.lines.clear();
            }
            Event::DocumentEnd => {
                let value = b.root.take().unwrap_or(Value::Null);
                docs.push(Doc {
                    value,
                    lines: std::mem::take(&mut b.lines),
                    index: docs.len() + 1,
                    line: doc_line,
                });
            }
            Event::Alias(id) => {
                let Some((v, n)) = b.anchors.get(&id).cloned() else {
                    return Err(Error::Yaml {
                        file: file.to_string(),
                        line,
                        column: 0,
                        message: "alias refers to an unknown anchor".to_string(),
                    });
                };
                b.count(n, line)?;
                let path = b.child_path();
                let l = key_line(&b, &pending_key_line, line);
                b.record_line(path, l);
                b.push_value(v, line)?;
                note_key(&b, &mut pending_key_line, line);
            }
            Event::Scalar(s, style, anchor, tag) => {
                b.count(1, line)?;
                let is_key = matches!(b.stack.last(), Some(Frame::Map { key: None, .. }));
                let v = if style != TScalarStyle::Plain
                    || tag.as_ref().is_some_and(|t| t.suffix == "str")
                {
                    Value::String(s)
                } else {
                    resolve_plain(&s)
                };
                if !is_key {
                    let path = b.child_path();
                    let l = key_line(&b, &pending_key_line, line);
                    b.record_line(path, l);
                }
                if anchor > 0 {
                    b.anchors.insert(anchor, (v.clone(), 1));
                }
                b.push_value(v, line)?;
                note_key(&b, &mut pending_key_line, line);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                b.count(1, line)?;
                if b.stack.len() >= MAX_DEPTH {
                    return Err(b.limit(line, format!("nesting deeper than {MAX_DEPTH} levels")));
                }
                let Some(path) = b.child_path() else {
                    return Err(Error::Yaml {
                        file: file.to_string(),
                        line,
                        column: 0,
                        message: "mapping keys must be scalars".to_string(),
                    });
                };
                let l = key_line(&b, &pending_key_line, line);
                b.record_line(Some(path.clone()), l);
                let frame = if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map {
                        map: Map::new(),
                        key: None,
                        path,
                        anchor,
                        line,
                    }
                } else {
                    Frame::Seq {
                        seq: Vec::new(),
                        path,
                        anchor,
                        line,
                    }
                };
                b.stack.push(frame);
                pending_key_line.push(0);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                pending_key_line.pop();
                let (v, anchor, start) = match b.stack.pop() {
                    Some(Frame::Map {
                        map, anchor, line, ..
                    }) => (Value::Object(map), anchor, line),
                    Some(Frame::Seq {
                        seq, anchor, line, ..
                    }) => (Value::Array(seq), anchor, line),
                    None => continue,
                };
                if anchor > 0 {
                    let n = count_nodes(&v);
                    b.anchors.insert(anchor, (v.clone(), n));
                }
                b.push_value(v, start)?;
                note_key(&b, &mut pending_key_line, start);
            }
        }
    }
    Ok(docs)
}

/// The line to record for a value: the line of its key when inside a mapping.
fn key_line(b: &Builder<'_>, pending: &[u32], line: u32) -> u32 {
    match (b.stack.last(), pending.last()) {
        (Some(Frame::Map { key: Some(_), .. }), Some(&l)) if l > 0 => l,
        _ => line,
    }
}

/// After pushing a node: if it became a key, remember its line.
fn note_key(b: &Builder<'_>, pending: &mut [u32], line: u32) {
    if let (Some(Frame::Map { key, .. }), Some(slot)) = (b.stack.last(), pending.last_mut()) {
        *slot = if key.is_some() { line } else { 0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_types() {
        let t = "a: 1\nb:\n  c: [x, 'y']\n  d: true\n---\nkind: Pod\n";
        let d = load("t", t).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].value["a"], 1);
        assert_eq!(d[0].value["b"]["d"], true);
        assert_eq!(d[0].value["b"]["c"][1], "y");
        assert_eq!(d[0].line_of("/a"), 1);
        assert_eq!(d[0].line_of("/b"), 2);
        assert_eq!(d[0].line_of("/b/c"), 3);
        assert_eq!(d[0].line_of("/b/d"), 4);
        assert_eq!(d[1].line_of("/kind"), 6);
        assert_eq!(d[1].index, 2);
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut t = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
        let mut prev = 'a';
        for c in 'b'..='k' {
            t.push_str(&format!(
                "{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
            prev = c;
        }
        let e = load("bomb.yaml", &t).unwrap_err().to_string();
        assert!(e.contains("alias"), "{e}");
    }

    #[test]
    fn merge_keys_and_json() {
        let d = load("t", "base: &b {x: 1}\nobj:\n  <<: *b\n  y: 2\n").unwrap();
        assert_eq!(d[0].value["obj"]["x"], 1);
        let d = load("t", "{\"kind\": \"Pod\", \"n\": [1, 2.5]}").unwrap();
        assert_eq!(d[0].value["kind"], "Pod");
        assert_eq!(d[0].value["n"][1], 2.5);
    }

    #[test]
    fn malformed_yaml_is_an_error_with_line() {
        let e = load("bad.yaml", "a: [1, 2\nb: c\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bad.yaml:"), "{e}");
    }
}
