/*!
Dockerfile parser that keeps spans.

Grammar handled (BuildKit dockerfile frontend 1.x):

```text
file        = directive* (blank | comment | instruction)*
directive   = "#" ws* name ws* "=" ws* value      (only before anything else; syntax, escape, check)
instruction = keyword flags? rest heredoc*
logical     = physical lines joined while a line ends with the escape char (`\` or `` ` ``);
              comment and blank lines inside a continuation are dropped
flags       = ("--" name ("=" value)?)*           (FROM, RUN, COPY, ADD, HEALTHCHECK)
heredoc     = "<<" "-"? quote? WORD quote?         (RUN, COPY, ADD; body up to a line equal to WORD)
rest        = JSON string array (exec form) | anything else (shell form)
```

Every instruction records the 1-based line and column of its keyword and the
last physical line it used, so findings point at the source.
*/

use std::fmt;

/// Where an instruction sits in the file (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
}

/// Dockerfile instruction keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keyword {
    From,
    Run,
    Cmd,
    Label,
    Maintainer,
    Expose,
    Env,
    Add,
    Copy,
    Entrypoint,
    Volume,
    User,
    Workdir,
    Arg,
    Onbuild,
    Stopsignal,
    Healthcheck,
    Shell,
}

impl Keyword {
    pub fn parse(word: &str) -> Option<Keyword> {
        Some(match word.to_ascii_uppercase().as_str() {
            "FROM" => Keyword::From,
            "RUN" => Keyword::Run,
            "CMD" => Keyword::Cmd,
            "LABEL" => Keyword::Label,
            "MAINTAINER" => Keyword::Maintainer,
            "EXPOSE" => Keyword::Expose,
            "ENV" => Keyword::Env,
            "ADD" => Keyword::Add,
            "COPY" => Keyword::Copy,
            "ENTRYPOINT" => Keyword::Entrypoint,
            "VOLUME" => Keyword::Volume,
            "USER" => Keyword::User,
            "WORKDIR" => Keyword::Workdir,
            "ARG" => Keyword::Arg,
            "ONBUILD" => Keyword::Onbuild,
            "STOPSIGNAL" => Keyword::Stopsignal,
            "HEALTHCHECK" => Keyword::Healthcheck,
            "SHELL" => Keyword::Shell,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::From => "FROM",
            Keyword::Run => "RUN",
            Keyword::Cmd => "CMD",
            Keyword::Label => "LABEL",
            Keyword::Maintainer => "MAINTAINER",
            Keyword::Expose => "EXPOSE",
            Keyword::Env => "ENV",
            Keyword::Add => "ADD",
            Keyword::Copy => "COPY",
            Keyword::Entrypoint => "ENTRYPOINT",
            Keyword::Volume => "VOLUME",
            Keyword::User => "USER",
            Keyword::Workdir => "WORKDIR",
            Keyword::Arg => "ARG",
            Keyword::Onbuild => "ONBUILD",
            Keyword::Stopsignal => "STOPSIGNAL",
            Keyword::Healthcheck => "HEALTHCHECK",
            Keyword::Shell => "SHELL",
        }
    }

    fn takes_flags(self) -> bool {
        matches!(
            self,
            Keyword::From | Keyword::Run | Keyword::Copy | Keyword::Add | Keyword::Healthcheck
        )
    }

    fn takes_heredocs(self) -> bool {
        matches!(self, Keyword::Run | Keyword::Copy | Keyword::Add)
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `--name=value` (or bare `--name`) before the arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
}

/// A heredoc body attached to RUN, COPY or ADD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub name: String,
    pub body: String,
    /// `<<-`: leading tabs stripped.
    pub strip_tabs: bool,
    /// `<<"EOF"`: no expansion in the body.
    pub quoted: bool,
    /// Line of the first body line.
    pub line: u32,
}

/// Exec form (`["a", "b"]`) or shell form (a string run by the SHELL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    Exec(Vec<String>),
    Shell(String),
}

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    pub keyword: Keyword,
    pub span: Span,
    pub flags: Vec<Flag>,
    /// Everything after the keyword and flags, trimmed, with continuations joined.
    pub rest: String,
    pub heredocs: Vec<Heredoc>,
    /// The instruction inside `ONBUILD`.
    pub onbuild: Option<Box<Instruction>>,
}

/// A `#` comment line (outside the directive block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub line: u32,
    /// Text after `#`, trimmed.
    pub text: String,
}

/// Parser directives found at the top of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directives {
    pub syntax: Option<String>,
    pub escape: char,
    pub check: Option<String>,
}

impl Default for Directives {
    fn default() -> Self {
        Directives {
            syntax: None,
            escape: '\\',
            check: None,
        }
    }
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dockerfile {
    pub directives: Directives,
    pub instructions: Vec<Instruction>,
    pub comments: Vec<Comment>,
}

/// Why a Dockerfile could not be parsed. Every variant names the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("line {line}: binary file (NUL byte)")]
    Binary { line: u32 },
    #[error("line 1: empty Dockerfile (no instructions)")]
    Empty,
    #[error("line {line}: unknown instruction {word:?}")]
    UnknownInstruction { line: u32, word: String },
    #[error("line {line}: {keyword} requires at least one argument")]
    MissingArguments { line: u32, keyword: Keyword },
    #[error("line {line}: unterminated heredoc <<{name} (no line {name:?} before end of file)")]
    UnterminatedHeredoc { line: u32, name: String },
    #[error("line {line}: invalid escape directive {value:?} (must be \\ or `)")]
    BadEscape { line: u32, value: String },
    #[error("line {line}: ONBUILD cannot nest {keyword}")]
    BadOnbuild { line: u32, keyword: Keyword },
}

impl ParseError {
    pub fn line(&self) -> u32 {
        match self {
            ParseError::Empty => 1,
            ParseError::Binary { line }
            | ParseError::UnknownInstruction { line, .. }
            | ParseError::MissingArguments { line, .. }
            | ParseError::UnterminatedHeredoc { line, .. }
            | ParseError::BadEscape { line, .. }
            | ParseError::BadOnbuild { line, .. } => *line,
        }
    }
}

/// Parse Dockerfile bytes (UTF-8; invalid sequences are replaced, NUL bytes are an error).
pub fn parse_bytes(bytes: &[u8]) -> Result<Dockerfile, ParseError> {
    if let Some(pos) = bytes.iter().position(|b| *b == 0) {
        let line = bytes
            .get(..pos)
            .map(|b| b.iter().filter(|c| **c == b'\n').count())
            .unwrap_or(0);
        return Err(ParseError::Binary {
            line: to_u32(line + 1),
        });
    }
    let text = String::from_utf8_lossy(bytes);
    parse(&text)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Parse Dockerfile text.
pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(pos) = text.find('\0') {
        let line = text
            .get(..pos)
            .map(|t| t.matches('\n').count())
            .unwrap_or(0);
        return Err(ParseError::Binary {
            line: to_u32(line + 1),
        });
    }
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut df = Dockerfile::default();
    let mut i = 0usize;

    // Parser directives: only a leading run of `# key=value` lines.
    let mut seen = Vec::new();
    while let Some(line) = lines.get(i) {
        let Some((name, value)) = directive(line) else {
            break;
        };
        if seen.contains(&name) {
            break;
        }
        match name.as_str() {
            "syntax" => df.directives.syntax = Some(value),
            "check" => df.directives.check = Some(value),
            "escape" => {
                df.directives.escape = match value.as_str() {
                    "\\" => '\\',
                    "`" => '`',
                    _ => {
                        return Err(ParseError::BadEscape {
                            line: to_u32(i + 1),
                            value,
                        })
                    }
                }
            }
            _ => break,
        }
        seen.push(name);
        i += 1;
    }
    let escape = df.directives.escape;

    while let Some(raw) = lines.get(i) {
        let t = raw.trim_start();
        if t.is_empty() {
            i += 1;
            continue;
        }
        if let Some(c) = t.strip_prefix('#') {
            df.comments.push(Comment {
                line: to_u32(i + 1),
                text: c.trim().to_string(),
            });
            i += 1;
            continue;
        }
        let start = i;
        let column = to_u32(raw.chars().count() - t.chars().count() + 1);
        let mut logical = String::new();
        let mut cur: &str = t;
        loop {
            let trimmed = cur.trim_end();
            if let Some(body) = trimmed.strip_suffix(escape) {
                logical.push_str(body);
                i += 1;
                // Comments and blank lines inside a continuation are dropped.
                while let Some(next) = lines.get(i) {
                    let nt = next.trim_start();
                    if nt.is_empty() {
                        i += 1;
                    } else if let Some(c) = nt.strip_prefix('#') {
                        df.comments.push(Comment {
                            line: to_u32(i + 1),
                            text: c.trim().to_string(),
                        });
                        i += 1;
                    } else {
                        break;
                    }
                }
                match lines.get(i) {
                    Some(next) => cur = next,
                    None => break,
                }
            } else {
                logical.push_str(cur);
                i += 1;
                break;
            }
        }
        let end_line = to_u32(i.max(start + 1));
        let span = Span {
            line: to_u32(start + 1),
            column,
            end_line,
        };
        let mut inst = parse_instruction(&logical, span)?;
        // Heredoc bodies follow the instruction's last line.
        let heredoc_host = match &inst.onbuild {
            Some(inner) => inner.keyword,
            None => inst.keyword,
        };
        if heredoc_host.takes_heredocs() {
            let markers = heredoc_markers(&inst.rest);
            let mut docs = Vec::new();
            for (name, strip_tabs, quoted) in markers {
                let body_start = i;
                let mut body = String::new();
                let mut closed = false;
                while let Some(l) = lines.get(i) {
                    i += 1;
                    let cand = if strip_tabs {
                        l.trim_start_matches('\t')
                    } else {
                        l
                    };
                    if cand == name {
                        closed = true;
                        break;
                    }
                    body.push_str(cand);
                    body.push('\n');
                }
                if !closed {
                    return Err(ParseError::UnterminatedHeredoc {
                        line: span.line,
                        name,
                    });
                }
                docs.push(Heredoc {
                    name,
                    body,
                    strip_tabs,
                    quoted,
                    line: to_u32(body_start + 1),
                });
            }
            if !docs.is_empty() {
                inst.span.end_line = to_u32(i);
            }
            match inst.onbuild.as_mut() {
                Some(inner) => inner.heredocs = docs,
                None => inst.heredocs = docs,
            }
        }
        df.instructions.push(inst);
    }
    if df.instructions.is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(df)
}

fn directive(line: &str) -> Option<(String, String)> {
    let body = line.trim_start().strip_prefix('#')?;
    let (name, value) = body.split_once('=')?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some((name.to_ascii_lowercase(), value.trim().to_string()))
}

fn parse_instruction(logical: &str, span: Span) -> Result<Instruction, ParseError> {
    let logical = logical.trim();
    let (word, rest) = match logical.find(char::is_whitespace) {
        Some(p) => (
            logical.get(..p).unwrap_or(""),
            logical.get(p..).unwrap_or(""),
        ),
        None => (logical, ""),
    };
    let keyword = Keyword::parse(word).ok_or_else(|| ParseError::UnknownInstruction {
        line: span.line,
        word: word.chars().take(40).collect(),
    })?;
    let mut rest = rest.trim();
    let mut flags = Vec::new();
    if keyword.takes_flags() {
        while let Some(after) = rest.strip_prefix("--") {
            let end = flag_end(after);
            let token = after.get(..end).unwrap_or("");
            let (name, value) = match token.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(unquote(v))),
                None => (token.to_string(), None),
            };
            flags.push(Flag { name, value });
            rest = after.get(end..).unwrap_or("").trim_start();
        }
    }
    let mut onbuild = None;
    if keyword == Keyword::Onbuild {
        let inner = parse_instruction(rest, span)?;
        if matches!(
            inner.keyword,
            Keyword::Onbuild | Keyword::From | Keyword::Maintainer
        ) {
            // Docker rejects these; keep them so a rule can explain why.
        }
        onbuild = Some(Box::new(inner));
    }
    let needs_args = !matches!(keyword, Keyword::Cmd | Keyword::Entrypoint);
    if needs_args && rest.is_empty() && onbuild.is_none() {
        return Err(ParseError::MissingArguments {
            line: span.line,
            keyword,
        });
    }
    Ok(Instruction {
        keyword,
        span,
        flags,
        rest: rest.to_string(),
        heredocs: Vec::new(),
        onbuild,
    })
}

/// End of a flag token: first unquoted whitespace.
fn flag_end(s: &str) -> usize {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c.is_whitespace() => return i,
            None => {}
        }
    }
    s.len()
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return v.get(1..v.len() - 1).unwrap_or("").to_string();
        }
    }
    v.to_string()
}

/// Heredoc markers (`<<EOF`, `<<-EOF`, `<<"EOF"`) outside quotes, in order.
pub(crate) fn heredoc_markers(s: &str) -> Vec<(String, bool, bool)> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if let Some(q) = quote {
            if c == '\\' && q == '"' {
                i += 2;
                continue;
            }
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match c {
            '\\' => {
                i += 2;
                continue;
            }
            '\'' | '"' => quote = Some(c),
            '<' if chars.get(i + 1) == Some(&'<')
                && chars.get(i + 2) != Some(&'<')
                && (i == 0 || chars.get(i - 1) != Some(&'<')) =>
            {
                let mut j = i + 2;
                let strip = chars.get(j) == Some(&'-');
                if strip {
                    j += 1;
                }
                let q = match chars.get(j) {
                    Some(&qc) if qc == '"' || qc == '\'' => {
                        j += 1;
                        Some(qc)
                    }
                    _ => None,
                };
                let name_start = j;
                while chars.get(j).is_some_and(|c| {
                    c.is_ascii_alphanumeric() || *c == '_' || *c == '-' || *c == '.'
                }) {
                    j += 1;
                }
                let name: String = chars.get(name_start..j).unwrap_or(&[]).iter().collect();
                let starts_ok = name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
                if let Some(qc) = q {
                    if chars.get(j) == Some(&qc) {
                        j += 1;
                    } else {
                        i = j;
                        continue;
                    }
                }
                if starts_ok {
                    out.push((name, strip, q.is_some()));
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

impl Instruction {
    /// The value of `--name`, if given.
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// Exec form when `rest` is a JSON array of strings, else shell form.
    pub fn form(&self) -> Form {
        form_of(&self.rest)
    }

    /// Words of `rest`, split on whitespace outside quotes, quotes removed.
    pub fn words(&self) -> Vec<String> {
        split_words(&self.rest)
    }

    /// COPY/ADD sources and destination (exec or shell form); `None` when
    /// fewer than one source is given.
    pub fn copy_paths(&self) -> Option<(Vec<String>, String)> {
        let mut words = match self.form() {
            Form::Exec(v) => v,
            Form::Shell(_) => self.words(),
        };
        let dest = words.pop()?;
        Some((words, dest))
    }

    /// `key=value` pairs of ENV and LABEL (also the legacy `ENV key value`).
    pub fn key_values(&self) -> Vec<(String, String)> {
        let words = split_words_raw(&self.rest);
        let Some(first) = words.first() else {
            return Vec::new();
        };
        if !first.contains('=') {
            // Legacy `ENV key value with spaces`.
            let key = unquote(first);
            let value = self
                .rest
                .trim()
                .get(first.len()..)
                .unwrap_or("")
                .trim()
                .to_string();
            return vec![(key, value)];
        }
        words
            .iter()
            .filter_map(|w| {
                let (k, v) = w.split_once('=')?;
                Some((unquote_word(k), unquote_word(v)))
            })
            .collect()
    }

    /// `ARG name[=default]` entries.
    pub fn arg_defs(&self) -> Vec<(String, Option<String>)> {
        split_words_raw(&self.rest)
            .iter()
            .map(|w| match w.split_once('=') {
                Some((k, v)) => (unquote_word(k), Some(unquote_word(v))),
                None => (unquote_word(w), None),
            })
            .collect()
    }

    /// Lines covered by this instruction, for inline ignores.
    pub fn lines(&self) -> std::ops::RangeInclusive<u32> {
        self.span.line..=self.span.end_line
    }
}

pub(crate) fn form_of(rest: &str) -> Form {
    let t = rest.trim();
    if t.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Vec<String>>(t) {
            return Form::Exec(v);
        }
    }
    Form::Shell(t.to_string())
}

/// Split on unquoted whitespace and remove quotes and backslash escapes.
pub fn split_words(s: &str) -> Vec<String> {
    split_words_raw(s).iter().map(|w| unquote_word(w)).collect()
}

/// Split on unquoted whitespace, keeping quotes.
fn split_words_raw(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                cur.push(c);
                if c == '\\' && q == '"' {
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                } else if c == q {
                    quote = None;
                }
            }
            None => {
                if c.is_whitespace() {
                    if !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                } else {
                    cur.push(c);
                    if c == '\\' {
                        if let Some(n) = chars.next() {
                            cur.push(n);
                        }
                    } else if c == '"' || c == '\'' {
                        quote = Some(c);
                    }
                }
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn unquote_word(w: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut chars = w.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some('"') if c == '\\' => {
                if let Some(n) = chars.next() {
                    if !matches!(n, '"' | '\\' | '$') {
                        out.push('\\');
                    }
                    out.push(n);
                }
            }
            Some(_) => out.push(c),
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '\\' => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_comments_and_spans() {
        let df = parse(
            "# syntax=docker/dockerfile:1\nFROM alpine:3.19 AS base\n\nRUN apk add \\\n  # a comment\n  curl \\\n  git\nCMD [\"sh\"]\n",
        )
        .unwrap();
        assert_eq!(df.directives.syntax.as_deref(), Some("docker/dockerfile:1"));
        let run = &df.instructions[1];
        assert_eq!(run.keyword, Keyword::Run);
        assert_eq!(run.span.line, 4);
        assert_eq!(run.span.end_line, 7);
        assert_eq!(split_words(&run.rest), vec!["apk", "add", "curl", "git"]);
        assert_eq!(df.comments[0].line, 5);
        assert_eq!(df.instructions[2].form(), Form::Exec(vec!["sh".into()]));
    }

    #[test]
    fn escape_directive_backtick() {
        let df = parse("# escape=`\nFROM mcr.microsoft.com/windows:ltsc2022\nRUN dir `\n  c:\\\n")
            .unwrap();
        assert_eq!(df.directives.escape, '`');
        assert_eq!(df.instructions[1].rest, "dir   c:\\");
    }

    #[test]
    fn heredocs() {
        let df = parse(
            "FROM debian:12\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\nCOPY <<-\"CONF\" /etc/app.conf\n\tkey=1\n\tCONF\nUSER app\n",
        )
        .unwrap();
        let run = &df.instructions[1];
        assert_eq!(run.heredocs.len(), 1);
        assert_eq!(
            run.heredocs[0].body,
            "apt-get update\napt-get install -y curl\n"
        );
        assert_eq!(run.span.end_line, 5);
        let copy = &df.instructions[2];
        assert!(copy.heredocs[0].strip_tabs && copy.heredocs[0].quoted);
        assert_eq!(copy.heredocs[0].body, "key=1\n");
        assert_eq!(df.instructions[3].span.line, 9);
    }

    #[test]
    fn flags_and_keys() {
        let df = parse("FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nRUN --mount=type=cache,target=/root/.cache go build\nADD --checksum=sha256:abc https://x/y.tgz /y\nENV A=1 B=\"two words\"\nENV LEGACY some value\nARG V=1.0 W\n").unwrap();
        assert_eq!(
            df.instructions[0]
                .flag("platform")
                .unwrap()
                .value
                .as_deref(),
            Some("$BUILDPLATFORM")
        );
        assert_eq!(df.instructions[1].flags[0].name, "mount");
        assert!(df.instructions[2].flag("checksum").is_some());
        assert_eq!(
            df.instructions[3].key_values(),
            vec![("A".into(), "1".into()), ("B".into(), "two words".into())]
        );
        assert_eq!(
            df.instructions[4].key_values(),
            vec![("LEGACY".into(), "some value".into())]
        );
        assert_eq!(
            df.instructions[5].arg_defs(),
            vec![("V".into(), Some("1.0".into())), ("W".into(), None)]
        );
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(parse(""), Err(ParseError::Empty));
        assert_eq!(parse("# only a comment\n\n"), Err(ParseError::Empty));
        assert_eq!(
            parse("FROM a\nFROBNICATE x\n"),
            Err(ParseError::UnknownInstruction {
                line: 2,
                word: "FROBNICATE".into()
            })
        );
        assert_eq!(
            parse("FROM a\nRUN <<EOF\necho\n"),
            Err(ParseError::UnterminatedHeredoc {
                line: 2,
                name: "EOF".into()
            })
        );
        assert_eq!(
            parse_bytes(b"FROM a\n\0\x01\x02"),
            Err(ParseError::Binary { line: 2 })
        );
        assert_eq!(
            parse("FROM a\nWORKDIR\n"),
            Err(ParseError::MissingArguments {
                line: 2,
                keyword: Keyword::Workdir
            })
        );
    }

    #[test]
    fn heredoc_markers_skip_quotes_and_herestrings() {
        assert!(heredoc_markers("echo '<<EOF'").is_empty());
        assert!(heredoc_markers("cat <<< word").is_empty());
        assert!(heredoc_markers("echo $((1<<2))").is_empty());
        assert_eq!(heredoc_markers("cat <<A > f && cat <<'B'").len(), 2);
    }
}
