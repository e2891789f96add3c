/*!
A small POSIX shell reader for RUN commands.

It splits a script into pipelines of simple commands joined by `&&`, `||`,
`;`, `&` and newlines; removes quotes; drops redirections (and skips heredoc
bodies); recurses into `$(...)`, backticks, `<(...)`, subshells and
`sh -c 'script'`; and unwraps `sudo`, `env`, `nice`, `nohup`, `time`,
`timeout`, `exec`, `command`, `xargs` so rules see the command that really
runs. Control words (`if`, `then`, `do`, `!`, ...) are skipped. It is not a
full shell: `case` patterns and functions are read as plain commands, which
only matters for rules keyed on those words. Recursion depth is bounded.
*/

const MAX_DEPTH: usize = 8;

/// One simple command after unwrapping.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Command {
    /// Command name (basename of the path), e.g. `apt-get`.
    pub name: String,
    /// Arguments after the name, quotes removed.
    pub args: Vec<String>,
    /// `VAR=value` assignments before the command (and `env` assignments).
    pub assignments: Vec<String>,
    /// Run through `sudo`.
    pub sudo: bool,
    /// Words as written, before unwrapping (name first).
    pub words: Vec<String>,
}

impl Command {
    pub fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(String::as_str)
    }

    /// True if any argument equals one of `flags` (`-y`), or a bundled short
    /// flag contains the letter (`-qy`).
    pub fn has_flag(&self, flags: &[&str]) -> bool {
        self.args.iter().any(|a| {
            flags.iter().any(|f| {
                if a == f {
                    return true;
                }
                if let Some(long) = f.strip_prefix("--") {
                    return a
                        .strip_prefix("--")
                        .and_then(|x| x.split_once('='))
                        .is_some_and(|(n, _)| n == long);
                }
                match (f.strip_prefix('-'), a.strip_prefix('-')) {
                    (Some(fl), Some(al)) if fl.len() == 1 && !al.starts_with('-') => {
                        al.chars().all(|c| c.is_ascii_alphabetic()) && al.contains(fl)
                    }
                    _ => false,
                }
            })
        })
    }

    /// Non-option arguments (words not starting with `-`), skipping the
    /// values of options listed in `with_value`.
    pub fn operands(&self, with_value: &[&str]) -> Vec<&str> {
        let mut out = Vec::new();
        let mut skip = false;
        let mut only_operands = false;
        for a in &self.args {
            if skip {
                skip = false;
                continue;
            }
            if only_operands {
                out.push(a.as_str());
                continue;
            }
            if a == "--" {
                only_operands = true;
                continue;
            }
            if a.starts_with('-') && a.len() > 1 {
                if with_value.contains(&a.as_str()) {
                    skip = true;
                }
                continue;
            }
            out.push(a.as_str());
        }
        out
    }

    /// `name` and the first operand, e.g. (`apt-get`, `install`).
    pub fn is(&self, name: &str, sub: &str) -> bool {
        self.name == name && self.operands(&[]).first() == Some(&sub)
    }
}

/// How a command is joined to the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    And,
    Or,
    Seq,
    Pipe,
    Background,
}

/// A pipeline: commands connected by `|`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pipeline {
    pub commands: Vec<Command>,
}

/// A parsed script.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Script {
    /// Top-level pipelines in order.
    pub pipelines: Vec<Pipeline>,
    /// Pipelines found in command substitutions, subshells and `sh -c`.
    pub nested: Vec<Script>,
    /// Bodies of `$(...)`, backticks and `<(...)` (for rules about fetch-and-run).
    pub substitutions: Vec<String>,
}

impl Script {
    /// Every command, top-level and nested.
    pub fn commands(&self) -> Vec<&Command> {
        let mut out: Vec<&Command> = self
            .pipelines
            .iter()
            .flat_map(|p| p.commands.iter())
            .collect();
        for n in &self.nested {
            out.extend(n.commands());
        }
        out
    }

    /// Every pipeline, top-level and nested.
    pub fn all_pipelines(&self) -> Vec<&Pipeline> {
        let mut out: Vec<&Pipeline> = self.pipelines.iter().collect();
        for n in &self.nested {
            out.extend(n.all_pipelines());
        }
        out
    }

    pub fn any(&self, f: impl Fn(&Command) -> bool) -> bool {
        self.commands().into_iter().any(f)
    }

    /// True if a `|` appears in a top-level or nested pipeline.
    pub fn has_pipe(&self) -> bool {
        self.all_pipelines().iter().any(|p| p.commands.len() > 1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String, String), // value, raw
    Op(Op),
    Open,  // `(` subshell start
    Close, // `)`
}

/// Parse a shell script.
pub fn parse(script: &str) -> Script {
    parse_depth(script, 0)
}

fn parse_depth(script: &str, depth: usize) -> Script {
    let mut out = Script::default();
    if depth > MAX_DEPTH {
        return out;
    }
    let (toks, subs) = tokenize(script);
    for s in &subs {
        out.nested.push(parse_depth(s, depth + 1));
    }
    out.substitutions = subs;
    let mut pipeline = Pipeline::default();
    let mut words: Vec<(String, String)> = Vec::new();
    let flush_cmd =
        |words: &mut Vec<(String, String)>, pipeline: &mut Pipeline, nested: &mut Vec<Script>| {
            if words.is_empty() {
                return;
            }
            let ws = std::mem::take(words);
            if let Some(cmd) = build_command(&ws, depth, nested) {
                pipeline.commands.push(cmd);
            }
        };
    for t in toks {
        match t {
            Tok::Word(v, r) => words.push((v, r)),
            Tok::Op(Op::Pipe) => flush_cmd(&mut words, &mut pipeline, &mut out.nested),
            Tok::Op(_) | Tok::Open | Tok::Close => {
                flush_cmd(&mut words, &mut pipeline, &mut out.nested);
                if !pipeline.commands.is_empty() {
                    out.pipelines.push(std::mem::take(&mut pipeline));
                }
            }
        }
    }
    flush_cmd(&mut words, &mut pipeline, &mut out.nested);
    if !pipeline.commands.is_empty() {
        out.pipelines.push(pipeline);
    }
    out
}

const CONTROL: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "time",
];
const CLOSERS: &[&str] = &["fi", "done", "esac"];

fn is_assignment(w: &str) -> bool {
    match w.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

fn basename(w: &str) -> String {
    w.rsplit('/').next().unwrap_or(w).to_string()
}

fn build_command(
    ws: &[(String, String)],
    depth: usize,
    nested: &mut Vec<Script>,
) -> Option<Command> {
    let mut i = 0;
    let mut cmd = Command {
        words: ws.iter().map(|(v, _)| v.clone()).collect(),
        ..Command::default()
    };
    // Skip control words and leading assignments.
    loop {
        let (w, _) = ws.get(i)?;
        if CONTROL.contains(&w.as_str()) {
            i += 1;
            continue;
        }
        if CLOSERS.contains(&w.as_str()) {
            return None;
        }
        if w == "for" || w == "case" || w == "select" {
            return None;
        }
        if is_assignment(w) {
            cmd.assignments.push(w.clone());
            i += 1;
            continue;
        }
        break;
    }
    // Unwrap wrappers.
    for _ in 0..8 {
        let (w, _) = ws.get(i)?;
        let name = basename(w);
        let rest_start = i + 1;
        let skip_opts = |mut j: usize, with_value: &[&str]| -> usize {
            while let Some((a, _)) = ws.get(j) {
                if a == "--" {
                    return j + 1;
                }
                if !a.starts_with('-') || a.len() == 1 {
                    break;
                }
                j += if with_value.contains(&a.as_str()) {
                    2
                } else {
                    1
                };
            }
            j
        };
        match name.as_str() {
            "sudo" | "doas" => {
                cmd.sudo = true;
                i = skip_opts(
                    rest_start,
                    &["-u", "-g", "-U", "-C", "-D", "-h", "-p", "-r", "-t", "-T"],
                );
            }
            "env" => {
                let mut j = skip_opts(rest_start, &["-u", "-C", "-S", "--unset", "--chdir"]);
                while let Some((a, _)) = ws.get(j) {
                    if is_assignment(a) {
                        cmd.assignments.push(a.clone());
                        j += 1;
                    } else {
                        break;
                    }
                }
                i = j;
            }
            "nice" => i = skip_opts(rest_start, &["-n"]),
            "nohup" | "exec" | "command" | "builtin" | "stdbuf" => i = skip_opts(rest_start, &[]),
            "xargs" => {
                i = skip_opts(
                    rest_start,
                    &["-I", "-n", "-P", "-L", "-d", "-E", "-s", "-a"],
                )
            }
            "timeout" => {
                let j = skip_opts(rest_start, &["-s", "-k", "--signal", "--kill-after"]);
                i = j + 1; // the duration
            }
            _ => break,
        }
    }
    let (w, _) = ws.get(i)?;
    cmd.name = basename(w);
    cmd.args = ws.iter().skip(i + 1).map(|(v, _)| v.clone()).collect();
    // `sh -c 'script'`, `su -c 'script'`: analyse the inner script too.
    if matches!(
        cmd.name.as_str(),
        "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh" | "su"
    ) && depth < MAX_DEPTH
    {
        let mut it = cmd.args.iter();
        while let Some(a) = it.next() {
            if a.starts_with('-') && !a.starts_with("--") && a.contains('c') {
                if let Some(script) = it.next() {
                    nested.push(parse_depth(script, depth + 1));
                }
                break;
            }
        }
    }
    Some(cmd)
}

/// Tokenise: words (quote-removed value and raw text), operators, and the
/// bodies of command/process substitutions.
#[allow(unused_assignments)] // the word-state macro's last use resets state no one reads
fn tokenize(s: &str) -> (Vec<Tok>, Vec<String>) {
    let chars: Vec<char> = s.chars().collect();
    let mut toks = Vec::new();
    let mut subs = Vec::new();
    let mut val = String::new();
    let mut raw = String::new();
    let mut in_word = false;
    let mut pending_heredocs: Vec<(String, bool)> = Vec::new();
    let mut skip_next_word = false; // redirection target
    let mut i = 0;

    macro_rules! end_word {
        () => {
            if in_word {
                if skip_next_word {
                    skip_next_word = false;
                } else {
                    toks.push(Tok::Word(
                        std::mem::take(&mut val),
                        std::mem::take(&mut raw),
                    ));
                }
                val.clear();
                raw.clear();
                in_word = false;
            }
        };
    }

    while let Some(&c) = chars.get(i) {
        match c {
            ' ' | '\t' | '\r' => {
                end_word!();
                i += 1;
            }
            '\n' => {
                end_word!();
                toks.push(Tok::Op(Op::Seq));
                i += 1;
                // Skip heredoc bodies announced on this line.
                for (name, strip) in std::mem::take(&mut pending_heredocs) {
                    loop {
                        let start = i;
                        while chars.get(i).is_some_and(|c| *c != '\n') {
                            i += 1;
                        }
                        let line: String = chars.get(start..i).unwrap_or(&[]).iter().collect();
                        let at_end = i >= chars.len();
                        i += 1;
                        let cand = if strip {
                            line.trim_start_matches('\t')
                        } else {
                            &line
                        };
                        if cand == name || at_end {
                            break;
                        }
                    }
                }
            }
            '#' if !in_word => {
                while chars.get(i).is_some_and(|c| *c != '\n') {
                    i += 1;
                }
            }
            '\\' => {
                in_word = true;
                raw.push(c);
                if let Some(&n) = chars.get(i + 1) {
                    raw.push(n);
                    if n != '\n' {
                        val.push(n);
                    }
                }
                i += 2;
            }
            '\'' => {
                in_word = true;
                raw.push(c);
                i += 1;
                while let Some(&n) = chars.get(i) {
                    raw.push(n);
                    i += 1;
                    if n == '\'' {
                        break;
                    }
                    val.push(n);
                }
            }
            '"' => {
                in_word = true;
                raw.push(c);
                i += 1;
                while let Some(&n) = chars.get(i) {
                    if n == '"' {
                        raw.push(n);
                        i += 1;
                        break;
                    }
                    if n == '\\' {
                        if let Some(&m) = chars.get(i + 1) {
                            raw.push(n);
                            raw.push(m);
                            if !matches!(m, '"' | '\\' | '$' | '`' | '\n') {
                                val.push(n);
                            }
                            if m != '\n' {
                                val.push(m);
                            }
                            i += 2;
                            continue;
                        }
                    }
                    if n == '$' && chars.get(i + 1) == Some(&'(') {
                        let (body, end) = balanced(&chars, i + 2);
                        let text: String = chars.get(i..end).unwrap_or(&[]).iter().collect();
                        raw.push_str(&text);
                        val.push_str(&text);
                        subs.push(body);
                        i = end;
                        continue;
                    }
                    if n == '`' {
                        let (body, end) = backtick(&chars, i + 1);
                        let text: String = chars.get(i..end).unwrap_or(&[]).iter().collect();
                        raw.push_str(&text);
                        val.push_str(&text);
                        subs.push(body);
                        i = end;
                        continue;
                    }
                    raw.push(n);
                    val.push(n);
                    i += 1;
                }
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                in_word = true;
                let (body, end) = balanced(&chars, i + 2);
                let text: String = chars.get(i..end).unwrap_or(&[]).iter().collect();
                raw.push_str(&text);
                val.push_str(&text);
                subs.push(body);
                i = end;
            }
            '$' if chars.get(i + 1) == Some(&'{') => {
                in_word = true;
                let start = i;
                let mut depth = 0usize;
                while let Some(&n) = chars.get(i) {
                    i += 1;
                    if n == '{' {
                        depth += 1;
                    } else if n == '}' {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            break;
                        }
                    }
                }
                let text: String = chars.get(start..i).unwrap_or(&[]).iter().collect();
                raw.push_str(&text);
                val.push_str(&text);
            }
            '`' => {
                in_word = true;
                let (body, end) = backtick(&chars, i + 1);
                let text: String = chars.get(i..end).unwrap_or(&[]).iter().collect();
                raw.push_str(&text);
                val.push_str(&text);
                subs.push(body);
                i = end;
            }
            '<' | '>' if chars.get(i + 1) == Some(&'(') => {
                // Process substitution.
                in_word = true;
                let (body, end) = balanced(&chars, i + 2);
                let text: String = chars.get(i..end).unwrap_or(&[]).iter().collect();
                raw.push_str(&text);
                val.push_str(&text);
                subs.push(body);
                i = end;
            }
            '<' | '>' => {
                // A preceding all-digit word is a file descriptor.
                if in_word
                    && !val.is_empty()
                    && val.chars().all(|c| c.is_ascii_digit())
                    && raw == val
                {
                    val.clear();
                    raw.clear();
                    in_word = false;
                }
                end_word!();
                let mut j = i + 1;
                if c == '<' && chars.get(j) == Some(&'<') {
                    j += 1;
                    if chars.get(j) == Some(&'<') {
                        j += 1; // here-string: the next word is data
                    } else {
                        let strip = chars.get(j) == Some(&'-');
                        if strip {
                            j += 1;
                        }
                        while chars.get(j).is_some_and(|c| *c == ' ' || *c == '\t') {
                            j += 1;
                        }
                        let start = j;
                        while chars.get(j).is_some_and(|c| {
                            !c.is_whitespace() && !matches!(c, ';' | '&' | '|' | ')')
                        }) {
                            j += 1;
                        }
                        let name: String = chars
                            .get(start..j)
                            .unwrap_or(&[])
                            .iter()
                            .filter(|c| !matches!(c, '"' | '\''))
                            .collect();
                        if !name.is_empty() {
                            pending_heredocs.push((name, strip));
                        }
                        i = j;
                        continue;
                    }
                } else {
                    while chars.get(j).is_some_and(|c| matches!(c, '>' | '&' | '|')) {
                        j += 1;
                    }
                }
                // `2>&1`, `>&2`: the target is a descriptor, already consumed.
                let fd_target = chars
                    .get(j)
                    .is_some_and(|c| c.is_ascii_digit() || *c == '-')
                    && chars.get(j.saturating_sub(1)) == Some(&'&');
                if fd_target {
                    while chars
                        .get(j)
                        .is_some_and(|c| c.is_ascii_digit() || *c == '-')
                    {
                        j += 1;
                    }
                } else {
                    skip_next_word = true;
                }
                i = j;
            }
            '&' | '|' | ';' | '(' | ')' => {
                end_word!();
                let n = chars.get(i + 1).copied();
                let (tok, len) = match (c, n) {
                    ('&', Some('&')) => (Tok::Op(Op::And), 2),
                    ('|', Some('|')) => (Tok::Op(Op::Or), 2),
                    ('|', Some('&')) => (Tok::Op(Op::Pipe), 2),
                    (';', Some(';')) => (Tok::Op(Op::Seq), 2),
                    ('&', _) => (Tok::Op(Op::Background), 1),
                    ('|', _) => (Tok::Op(Op::Pipe), 1),
                    (';', _) => (Tok::Op(Op::Seq), 1),
                    ('(', _) => (Tok::Open, 1),
                    _ => (Tok::Close, 1),
                };
                toks.push(tok);
                i += len;
            }
            _ => {
                in_word = true;
                raw.push(c);
                val.push(c);
                i += 1;
            }
        }
    }
    end_word!();
    let _ = skip_next_word;
    (toks, subs)
}

/// Body of `$( ... )` starting after the `(`; returns (body, index after `)`).
fn balanced(chars: &[char], start: usize) -> (String, usize) {
    let mut depth = 1usize;
    let mut i = start;
    let mut quote: Option<char> = None;
    while let Some(&c) = chars.get(i) {
        match quote {
            Some(q) => {
                if c == '\\' && q == '"' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' => quote = Some(c),
                '\\' => i += 1,
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        let body: String = chars.get(start..i).unwrap_or(&[]).iter().collect();
                        return (body, i + 1);
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    let body: String = chars.get(start..).unwrap_or(&[]).iter().collect();
    (body, chars.len())
}

fn backtick(chars: &[char], start: usize) -> (String, usize) {
    let mut i = start;
    while let Some(&c) = chars.get(i) {
        if c == '\\' {
            i += 2;
            continue;
        }
        if c == '`' {
            let body: String = chars.get(start..i).unwrap_or(&[]).iter().collect();
            return (body, i + 1);
        }
        i += 1;
    }
    let body: String = chars.get(start..).unwrap_or(&[]).iter().collect();
    (body, chars.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &Script) -> Vec<String> {
        s.commands().iter().map(|c| c.name.clone()).collect()
    }

    #[test]
    fn splits_operators_and_pipes() {
        let s =
            parse("apt-get update && apt-get install -y curl || true; curl -fsSL https://x | sh");
        assert_eq!(names(&s), vec!["apt-get", "apt-get", "true", "curl", "sh"]);
        assert_eq!(s.pipelines.len(), 4);
        assert_eq!(s.pipelines[3].commands.len(), 2);
        assert!(s.has_pipe());
    }

    #[test]
    fn unwraps_sudo_env_and_assignments() {
        let s = parse(
            "sudo -u root env -i DEBIAN_FRONTEND=noninteractive /usr/bin/apt-get install -y x",
        );
        let c = s.commands()[0];
        assert_eq!(c.name, "apt-get");
        assert!(c.sudo);
        assert_eq!(c.assignments, vec!["DEBIAN_FRONTEND=noninteractive"]);
        assert!(c.has_flag(&["-y"]));
        assert_eq!(c.operands(&[]), vec!["install", "x"]);
    }

    #[test]
    fn quotes_redirections_and_substitutions() {
        let s =
            parse("echo \"a && b\" > /tmp/x 2>&1 && bash -c \"$(curl -sL https://get.example)\"");
        let n = names(&s);
        assert_eq!(n[0], "echo");
        assert_eq!(s.commands()[0].args, vec!["a && b"]);
        assert!(n.contains(&"bash".to_string()));
        assert!(n.contains(&"curl".to_string()));
        assert_eq!(s.substitutions, vec!["curl -sL https://get.example"]);
    }

    #[test]
    fn control_words_and_sh_c() {
        let s = parse("if [ -f x ]; then sh -c 'cd /tmp && make'; fi");
        assert_eq!(names(&s), vec!["[", "sh", "cd", "make"]);
    }

    #[test]
    fn bundled_flags() {
        let s = parse("apt-get -qqy install foo");
        assert!(s.commands()[0].has_flag(&["-y"]));
        assert!(!s.commands()[0].has_flag(&["--no-install-recommends"]));
        let s = parse("pip install --no-cache-dir=1 x");
        assert!(s.commands()[0].has_flag(&["--no-cache-dir"]));
    }

    #[test]
    fn heredoc_in_script_is_skipped() {
        let s = parse("cat <<EOF > /etc/x\nrm -rf /\nEOF\necho done");
        assert_eq!(names(&s), vec!["cat", "echo"]);
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for s in [
            "\"abc", "'x", "$(foo", "`x", "${a", "a <<", "2>", "\\", "(((", ")))",
        ] {
            let _ = parse(s);
        }
    }
}
