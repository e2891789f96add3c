//! The checks. One pass over the instructions keeps per-stage state (name,
//! base image, USER, WORKDIR, SHELL, ENV, counters); RUN instructions are
//! read as shell scripts by [`crate::shell`]. Each check emits a [`Hit`] with
//! a rule id from [`crate::rules::RULES`] and a specific detail.

use std::collections::{HashMap, HashSet};

use crate::config::Config;
use crate::parser::{Dockerfile, Form, Instruction, Keyword};
use crate::shell::{self, Command, Script};

/// One raw finding before it becomes a `Misconfig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub id: &'static str,
    pub line: u32,
    pub column: u32,
    /// Instruction lines, for inline ignores.
    pub lines: (u32, u32),
    pub detail: String,
    pub object: Option<String>,
}

#[derive(Debug, Default, Clone)]
struct Stage {
    index: usize,
    name: Option<String>,
    image: String,
    from_line: u32,
    from_column: u32,
    user: Option<(String, u32, u32)>,
    inherited_user: bool,
    workdir: bool,
    shell: Vec<String>,
    env: HashMap<String, String>,
    healthchecks: usize,
    cmds: usize,
    entrypoints: usize,
    archives: Vec<String>,
    labels: HashSet<String>,
    has_healthcheck: bool,
}

struct Ctx<'a> {
    cfg: &'a Config,
    hits: Vec<Hit>,
}

impl Ctx<'_> {
    fn hit(&mut self, id: &'static str, inst: &Instruction, detail: impl Into<String>) {
        self.hits.push(Hit {
            id,
            line: inst.span.line,
            column: inst.span.column,
            lines: (inst.span.line, inst.span.end_line),
            detail: detail.into(),
            object: None,
        });
    }
}

const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"];
const INTERPRETERS: &[&str] = &[
    "sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "python", "python2", "python3", "perl",
    "ruby", "node", "php",
];

fn shell_quote(w: &str) -> String {
    format!("'{}'", w.replace('\'', "'\\''"))
}

/// The script a RUN executes (shell form, exec form via `sh -c`, heredoc bodies).
fn run_script(inst: &Instruction) -> Script {
    let base = match inst.form() {
        Form::Exec(v) => v
            .iter()
            .map(|w| shell_quote(w))
            .collect::<Vec<_>>()
            .join(" "),
        Form::Shell(s) => s,
    };
    let mut script = shell::parse(&base);
    if !inst.heredocs.is_empty() {
        let consumer_is_shell = script.commands().is_empty()
            || script
                .commands()
                .iter()
                .any(|c| SHELLS.contains(&c.name.as_str()) && !c.has_flag(&["-c"]));
        for h in &inst.heredocs {
            let shebang_ok = match h.body.lines().next() {
                Some(first) if first.starts_with("#!") => {
                    let interp = first
                        .trim_start_matches("#!")
                        .split_whitespace()
                        .map(|w| w.rsplit('/').next().unwrap_or(w))
                        .find(|w| *w != "env")
                        .unwrap_or("");
                    SHELLS.contains(&interp)
                }
                _ => true,
            };
            if consumer_is_shell && shebang_ok {
                script.nested.push(shell::parse(&h.body));
            }
        }
    }
    script
}

fn cache_mount(inst: &Instruction, target: &str) -> bool {
    inst.flags.iter().any(|f| {
        f.name == "mount"
            && f.value.as_deref().is_some_and(|v| {
                v.split(',').any(|kv| kv == "type=cache")
                    && v.split(',').any(|kv| {
                        kv.split_once('=').is_some_and(|(k, val)| {
                            (k == "target" || k == "dst" || k == "destination")
                                && val.trim_end_matches('/').starts_with(target)
                        })
                    })
            })
    })
}

fn secret_mount(inst: &Instruction) -> bool {
    inst.flags.iter().any(|f| {
        f.name == "mount"
            && f.value
                .as_deref()
                .is_some_and(|v| v.split(',').any(|kv| kv == "type=secret"))
    })
}

/// Expand `$VAR`, `${VAR}`, `${VAR:-x}`, `${VAR-x}`, `${VAR:+x}`; unknown
/// variables are kept as written.
pub(crate) fn expand(s: &str, vars: &HashMap<String, String>) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '\\' && chars.get(i + 1) == Some(&'$') {
            out.push('$');
            i += 2;
            continue;
        }
        if c != '$' {
            out.push(c);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'{') {
            let start = i + 2;
            let Some(end) = (start..chars.len()).find(|j| chars.get(*j) == Some(&'}')) else {
                out.extend(chars.get(i..).unwrap_or(&[]));
                break;
            };
            let inner: String = chars.get(start..end).unwrap_or(&[]).iter().collect();
            let name_end = inner
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            let name = inner.get(..name_end).unwrap_or("");
            let op = inner.get(name_end..).unwrap_or("");
            let val = vars.get(name).filter(|v| !v.is_empty());
            let rep = if let Some(d) = op.strip_prefix(":-").or_else(|| op.strip_prefix('-')) {
                Some(val.cloned().unwrap_or_else(|| d.to_string()))
            } else if let Some(a) = op.strip_prefix(":+").or_else(|| op.strip_prefix('+')) {
                Some(if val.is_some() {
                    a.to_string()
                } else {
                    String::new()
                })
            } else if op.is_empty() {
                vars.get(name).cloned()
            } else {
                None
            };
            match rep {
                Some(r) => out.push_str(&r),
                None => out.extend(chars.get(i..=end).unwrap_or(&[])),
            }
            i = end + 1;
            continue;
        }
        let start = i + 1;
        let mut j = start;
        while chars
            .get(j)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
        {
            j += 1;
        }
        let name: String = chars.get(start..j).unwrap_or(&[]).iter().collect();
        match vars.get(&name) {
            Some(v) if !name.is_empty() => out.push_str(v),
            _ => out.extend(chars.get(i..j.max(i + 1)).unwrap_or(&[])),
        }
        i = j.max(i + 1);
    }
    out
}

/// (registry, repository, tag, digest) of an image reference.
fn split_image(image: &str) -> (String, String, Option<String>, Option<String>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d.to_string())),
        None => (image, None),
    };
    let (name, tag) = match rest.rfind(':') {
        Some(p) if !rest.get(p..).unwrap_or("").contains('/') => (
            rest.get(..p).unwrap_or(""),
            Some(rest.get(p + 1..).unwrap_or("").to_string()),
        ),
        _ => (rest, None),
    };
    let (registry, repo) = match name.split_once('/') {
        Some((first, r)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            (first.to_string(), r.to_string())
        }
        _ => ("docker.io".to_string(), name.to_string()),
    };
    (registry, repo, tag, digest)
}

fn is_root_user(u: &str) -> bool {
    let user = u.split(':').next().unwrap_or(u).trim();
    user == "root" || user == "0"
}

fn pkg_pinned_eq(p: &str) -> bool {
    p.contains('=')
        || p.ends_with(".deb")
        || p.starts_with('/')
        || p.starts_with("./")
        || p.starts_with('$')
}

fn apt_install_like(c: &Command) -> bool {
    (c.name == "apt-get" || c.name == "apt")
        && c.operands(&[
            "-o",
            "-c",
            "-t",
            "--option",
            "--config-file",
            "--target-release",
        ])
        .first()
        .is_some_and(|s| *s == "install")
}

fn apt_packages(c: &Command) -> Vec<String> {
    c.operands(&[
        "-o",
        "-c",
        "-t",
        "--option",
        "--config-file",
        "--target-release",
    ])
    .into_iter()
    .skip(1)
    .map(str::to_string)
    .collect()
}

const PIP_VALUE_OPTS: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--trusted-host",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--src",
    "--progress-bar",
    "--cache-dir",
    "--log",
    "--proxy",
    "--retries",
    "--timeout",
    "--upgrade-strategy",
    "--no-binary",
    "--only-binary",
    "--config-settings",
    "-C",
];

/// pip arguments of `pip ...`, `pip3 ...`, `python -m pip ...`.
fn pip_args(c: &Command) -> Option<Vec<String>> {
    let n = c.name.as_str();
    if n == "pip"
        || (n.starts_with("pip") && n[3..].chars().all(|ch| ch.is_ascii_digit() || ch == '.'))
    {
        return Some(c.args.clone());
    }
    if n.starts_with("python") {
        let pos = c.args.iter().position(|a| a == "-m")?;
        if c.args.get(pos + 1).map(String::as_str) == Some("pip") {
            return Some(c.args.get(pos + 2..).unwrap_or(&[]).to_vec());
        }
    }
    None
}

fn pip_install(c: &Command) -> Option<Command> {
    let args = pip_args(c)?;
    let sub = Command {
        name: "pip".into(),
        args,
        ..Command::default()
    };
    if sub.operands(PIP_VALUE_OPTS).first() == Some(&"install") {
        Some(sub)
    } else {
        None
    }
}

fn pip_pinned(p: &str) -> bool {
    p.contains("==")
        || p.contains(">=")
        || p.contains("<=")
        || p.contains("~=")
        || p.contains("!=")
        || p.contains('<')
        || p.contains('>')
        || p.contains('@')
        || p.contains("://")
        || p.starts_with('.')
        || p.starts_with('/')
        || p.starts_with('$')
        || p.ends_with(".whl")
        || p.ends_with(".tar.gz")
        || p.ends_with(".zip")
}

fn rpm_pinned(p: &str) -> bool {
    let bytes: Vec<char> = p.chars().collect();
    bytes
        .windows(2)
        .any(|w| w.first() == Some(&'-') && w.get(1).is_some_and(|c| c.is_ascii_digit()))
        || p.ends_with(".rpm")
        || p.starts_with('/')
        || p.starts_with('$')
        || p.contains("://")
}

fn is_archive(p: &str) -> bool {
    let p = p.to_ascii_lowercase();
    [
        ".tar",
        ".tar.gz",
        ".tgz",
        ".tar.bz2",
        ".tbz2",
        ".tbz",
        ".tar.xz",
        ".txz",
        ".tar.zst",
        ".tar.lz",
        ".tar.lzma",
        ".tlz",
        ".gz",
        ".bz2",
        ".xz",
        ".zst",
    ]
    .iter()
    .any(|e| p.ends_with(e))
}

fn is_url(p: &str) -> bool {
    p.starts_with("http://") || p.starts_with("https://") || p.starts_with("git@")
}

fn world_writable_mode(mode: &str) -> bool {
    if !mode.is_empty() && mode.chars().all(|c| c.is_ascii_digit()) {
        let digits: Vec<u32> = mode.chars().filter_map(|c| c.to_digit(8)).collect();
        if digits.len() != mode.len() {
            return false;
        }
        let other = digits.last().copied().unwrap_or(0);
        let sticky = digits.len() == 4 && digits.first().is_some_and(|d| d & 1 == 1);
        return other & 2 == 2 && !sticky;
    }
    // Symbolic: o+w, a+w, ugo=rwx, a=rw, +w (all).
    mode.split(',').any(|clause| {
        let Some(op_pos) = clause.find(['+', '=']) else {
            return false;
        };
        let who = clause.get(..op_pos).unwrap_or("");
        let perms = clause.get(op_pos + 1..).unwrap_or("");
        perms.contains('w') && (who.is_empty() || who.contains('o') || who.contains('a'))
    })
}

const SECRET_KEY_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "AUTH_KEY",
    "CLIENT_KEY",
];
const NON_SECRET_SUFFIXES: &[&str] = &[
    "_FILE", "_PATH", "_DIR", "_URL", "_URI", "_LENGTH", "_LEN", "_TTL", "_EXPIRY", "_TIMEOUT",
    "_HEADER", "_NAME", "_ENABLED", "_TYPE",
];

fn secret_key(key: &str) -> bool {
    let k = key.to_ascii_uppercase();
    SECRET_KEY_WORDS.iter().any(|w| k.contains(w))
        && !NON_SECRET_SUFFIXES.iter().any(|s| k.ends_with(s))
}

/// A value that looks like a credential regardless of its key.
fn secret_value(v: &str) -> Option<&'static str> {
    let starts_alnum = |p: &str, n: usize| {
        v.strip_prefix(p).is_some_and(|r| {
            r.len() >= n
                && r.chars()
                    .take(n)
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
    };
    if v.len() >= 20
        && v.starts_with("AKIA")
        && v.chars()
            .take(20)
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return Some("an AWS access key id");
    }
    if starts_alnum("ghp_", 36)
        || starts_alnum("gho_", 36)
        || starts_alnum("ghs_", 36)
        || starts_alnum("github_pat_", 40)
    {
        return Some("a GitHub token");
    }
    if starts_alnum("glpat-", 20) {
        return Some("a GitLab token");
    }
    if starts_alnum("xoxb-", 10) || starts_alnum("xoxp-", 10) {
        return Some("a Slack token");
    }
    if starts_alnum("sk_live_", 16) || starts_alnum("rk_live_", 16) {
        return Some("a Stripe key");
    }
    if starts_alnum("npm_", 36) {
        return Some("an npm token");
    }
    if v.contains("PRIVATE KEY-----") {
        return Some("a private key");
    }
    None
}

fn trivial_value(v: &str) -> bool {
    let l = v.trim().to_ascii_lowercase();
    l.is_empty()
        || l.starts_with('$')
        || matches!(
            l.as_str(),
            "true" | "false" | "yes" | "no" | "0" | "1" | "none" | "null" | "\"\"" | "''"
        )
}

fn url_with_credentials(a: &str) -> bool {
    let Some((_, rest)) = a.split_once("://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or("");
    match authority.rsplit_once('@') {
        Some((userinfo, _)) => userinfo
            .split_once(':')
            .is_some_and(|(_, pw)| !pw.is_empty() && !pw.starts_with('$')),
        None => false,
    }
}

fn label_key_valid(k: &str) -> bool {
    let reserved = ["com.docker.", "io.docker.", "org.dockerproject."];
    if reserved.iter().any(|r| k.starts_with(r)) {
        return false;
    }
    let first_ok = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let last_ok = k
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let chars_ok = k
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
    first_ok && last_ok && chars_ok && !k.contains("..") && !k.contains("--")
}

fn registry_trusted(registry: &str, trusted: &[String]) -> bool {
    trusted.iter().any(|t| {
        let t = t.trim();
        if let Some(suffix) = t.strip_prefix("*.") {
            registry.ends_with(&format!(".{suffix}"))
        } else {
            t == registry || (t == "docker.io" && registry == "index.docker.io")
        }
    })
}

/// Run every check.
pub(crate) fn check(df: &Dockerfile, cfg: &Config) -> Vec<Hit> {
    let mut ctx = Ctx {
        cfg,
        hits: Vec::new(),
    };
    let mut global_args: HashMap<String, String> = HashMap::new();
    let mut stages: Vec<Stage> = Vec::new();
    let mut names_seen: HashMap<String, u32> = HashMap::new();
    let mut prev_run: Option<(bool, Vec<crate::parser::Flag>)> = None;
    let mut seen_curl = false;
    let mut seen_wget = false;
    let mut apt_runs_by_stage: Vec<(usize, &Instruction, Script)> = Vec::new();

    for inst in &df.instructions {
        // DL3059 tracking: only consecutive RUNs count.
        if inst.keyword != Keyword::Run {
            prev_run = None;
        }
        if stages.is_empty() {
            match inst.keyword {
                Keyword::Arg => {
                    for (k, v) in inst.arg_defs() {
                        global_args.insert(k, v.unwrap_or_default());
                    }
                    secret_arg_env(&mut ctx, inst, true);
                    continue;
                }
                Keyword::From => {}
                k => {
                    ctx.hit(
                        "SW-DF-051",
                        inst,
                        format!("{k} appears before the first FROM"),
                    );
                    continue;
                }
            }
        }
        match inst.keyword {
            Keyword::From => {
                let words = inst.words();
                let raw_image = words.first().cloned().unwrap_or_default();
                let image = expand(&raw_image, &global_args);
                let name = match (words.get(1), words.get(2)) {
                    (Some(a), Some(n)) if a.eq_ignore_ascii_case("as") => {
                        Some(n.to_ascii_lowercase())
                    }
                    _ => None,
                };
                let parent = stages
                    .iter()
                    .find(|s| s.name.as_deref() == Some(image.to_ascii_lowercase().as_str()))
                    .cloned();
                let index = stages.len();
                let mut st = Stage {
                    index,
                    name: name.clone(),
                    image: image.clone(),
                    from_line: inst.span.line,
                    from_column: inst.span.column,
                    shell: vec!["/bin/sh".into(), "-c".into()],
                    ..Stage::default()
                };
                if let Some(p) = &parent {
                    st.workdir = p.workdir;
                    st.inherited_user = p.user.is_some() || p.inherited_user;
                    st.shell = p.shell.clone();
                    st.env = p.env.clone();
                }
                if let Some(n) = &name {
                    if let Some(first) = names_seen.get(n) {
                        ctx.hit(
                            "SW-DF-024",
                            inst,
                            format!("stage name {n:?} is already used on line {first}"),
                        );
                    } else {
                        names_seen.insert(n.clone(), inst.span.line);
                    }
                }
                if let Some(p) = inst.flag("platform").and_then(|f| f.value.as_deref()) {
                    if !p.contains('$') {
                        ctx.hit("SW-DF-029", inst, format!("FROM pins --platform={p}"));
                    }
                }
                if parent.is_none()
                    && !image.contains('$')
                    && !image.eq_ignore_ascii_case("scratch")
                {
                    let (registry, _repo, tag, digest) = split_image(&image);
                    if tag.is_none() && digest.is_none() {
                        ctx.hit(
                            "SW-DF-001",
                            inst,
                            format!("base image {image} has no tag or digest"),
                        );
                    }
                    if tag.as_deref() == Some("latest") && digest.is_none() {
                        ctx.hit(
                            "SW-DF-002",
                            inst,
                            format!("base image {image} uses the latest tag"),
                        );
                    }
                    if !cfg.trusted_registries.is_empty()
                        && !registry_trusted(&registry, &cfg.trusted_registries)
                    {
                        ctx.hit("SW-DF-026", inst, format!("base image {image} comes from registry {registry}, which is not in trusted_registries"));
                    }
                }
                stages.push(st);
            }
            Keyword::Run => {
                let si = stages.len() - 1;
                let script = run_script(inst);
                let single = script.pipelines.len() == 1
                    && script
                        .pipelines
                        .first()
                        .is_some_and(|p| p.commands.len() == 1)
                    && script.nested.is_empty()
                    && inst.heredocs.is_empty();
                if let Some((prev_single, prev_flags)) = &prev_run {
                    if *prev_single && single && *prev_flags == inst.flags {
                        ctx.hit(
                            "SW-DF-049",
                            inst,
                            "this RUN directly follows another single-command RUN",
                        );
                    }
                }
                prev_run = Some((single, inst.flags.clone()));
                let uses_curl = script.any(|c| c.name == "curl");
                let uses_wget = script.any(|c| c.name == "wget");
                seen_curl |= uses_curl;
                seen_wget |= uses_wget;
                if seen_curl && seen_wget && (uses_curl || uses_wget) {
                    ctx.hit("SW-DF-054", inst, "the Dockerfile uses both curl and wget");
                }
                if let Some(st) = stages.get_mut(si) {
                    check_run(&mut ctx, inst, &script, st);
                }
                apt_runs_by_stage.push((si, inst, script));
            }
            Keyword::Cmd | Keyword::Entrypoint => {
                let Some(st) = stages.last_mut() else {
                    continue;
                };
                let n = if inst.keyword == Keyword::Cmd {
                    st.cmds += 1;
                    st.cmds
                } else {
                    st.entrypoints += 1;
                    st.entrypoints
                };
                if n > 1 {
                    let id = if inst.keyword == Keyword::Cmd {
                        "SW-DF-055"
                    } else {
                        "SW-DF-056"
                    };
                    ctx.hit(
                        id,
                        inst,
                        format!(
                            "{} number {n} in this stage; only the last one takes effect",
                            inst.keyword
                        ),
                    );
                }
                let form = inst.form();
                if let Form::Shell(s) = &form {
                    if !s.is_empty() {
                        ctx.hit(
                            "SW-DF-025",
                            inst,
                            format!("{} uses shell form", inst.keyword),
                        );
                    }
                }
                let words = match form {
                    Form::Exec(v) => v,
                    Form::Shell(s) => shell::parse(&s)
                        .commands()
                        .iter()
                        .map(|c| c.name.clone())
                        .collect(),
                };
                if words
                    .iter()
                    .any(|w| w.rsplit('/').next() == Some("sshd") || w == "dropbear")
                {
                    ctx.hit(
                        "SW-DF-068",
                        inst,
                        format!("{} starts an SSH daemon", inst.keyword),
                    );
                }
            }
            Keyword::User => {
                let Some(st) = stages.last_mut() else {
                    continue;
                };
                let u = expand(inst.rest.trim(), &st.env);
                st.user = Some((u.clone(), inst.span.line, inst.span.column));
                let name = u.split(':').next().unwrap_or("");
                if !name.chars().all(|c| c.is_ascii_digit()) || name.is_empty() {
                    ctx.hit(
                        "SW-DF-061",
                        inst,
                        format!("USER {u} is a name, not a numeric UID"),
                    );
                }
            }
            Keyword::Workdir => {
                let Some(st) = stages.last_mut() else {
                    continue;
                };
                st.workdir = true;
                let w = inst.rest.trim().trim_matches('"').trim_matches('\'');
                let abs = w.starts_with('/')
                    || w.starts_with('$')
                    || w.get(1..3).is_some_and(|s| s == ":\\" || s == ":/");
                if !abs {
                    ctx.hit("SW-DF-005", inst, format!("WORKDIR {w} is relative"));
                }
            }
            Keyword::Expose => {
                for w in inst.words() {
                    let port = w.split('/').next().unwrap_or("");
                    if port.contains('$') {
                        continue;
                    }
                    let parts: Vec<&str> = port.split('-').collect();
                    let mut bad = false;
                    for p in &parts {
                        match p.parse::<u64>() {
                            Ok(n) if n <= 65535 => {
                                if n == 22 {
                                    ctx.hit("SW-DF-067", inst, "EXPOSE 22 (SSH)");
                                }
                            }
                            _ => bad = true,
                        }
                    }
                    if bad {
                        ctx.hit("SW-DF-012", inst, format!("EXPOSE {w} is not a valid port"));
                    }
                }
            }
            Keyword::Healthcheck => {
                if let Some(cmd) = inst
                    .rest
                    .trim()
                    .strip_prefix("CMD")
                    .or_else(|| inst.rest.trim().strip_prefix("cmd"))
                {
                    if let Form::Shell(s) = crate::parser::form_of(cmd) {
                        if !s.is_empty() {
                            ctx.hit("SW-DF-025", inst, "HEALTHCHECK CMD uses shell form");
                        }
                    }
                }
                let Some(st) = stages.last_mut() else {
                    continue;
                };
                st.healthchecks += 1;
                st.has_healthcheck = true;
                if st.healthchecks > 1 {
                    ctx.hit(
                        "SW-DF-013",
                        inst,
                        format!("HEALTHCHECK number {} in this stage", st.healthchecks),
                    );
                }
            }
            Keyword::Maintainer => ctx.hit("SW-DF-053", inst, "MAINTAINER is used"),
            Keyword::Onbuild => {
                if let Some(inner) = &inst.onbuild {
                    if matches!(
                        inner.keyword,
                        Keyword::Onbuild | Keyword::From | Keyword::Maintainer
                    ) {
                        ctx.hit("SW-DF-041", inst, format!("ONBUILD {}", inner.keyword));
                    }
                }
            }
            Keyword::Env => {
                let pairs = inst.key_values();
                let Some(st) = stages.last_mut() else {
                    continue;
                };
                let mut defined: Vec<&str> = Vec::new();
                for (k, v) in &pairs {
                    for d in &defined {
                        if v.contains(&format!("${d}")) || v.contains(&format!("${{{d}")) {
                            ctx.hit(
                                "SW-DF-042",
                                inst,
                                format!("{k} refers to {d}, set in the same ENV"),
                            );
                        }
                    }
                    defined.push(k);
                    let insecure = matches!(
                        (k.as_str(), v.trim()),
                        ("NODE_TLS_REJECT_UNAUTHORIZED", "0")
                            | ("PYTHONHTTPSVERIFY", "0")
                            | ("GIT_SSL_NO_VERIFY", _)
                            | ("PIP_TRUSTED_HOST", _)
                    ) && !v.trim().is_empty();
                    if insecure {
                        ctx.hit(
                            "SW-DF-069",
                            inst,
                            format!("ENV {k}={v} disables TLS verification"),
                        );
                    }
                }
                for (k, v) in pairs {
                    st.env.insert(k, v);
                }
                secret_arg_env(&mut ctx, inst, false);
            }
            Keyword::Arg => {
                secret_arg_env(&mut ctx, inst, true);
                if let Some(st) = stages.last_mut() {
                    for (k, v) in inst.arg_defs() {
                        let v = v
                            .or_else(|| global_args.get(&k).cloned())
                            .unwrap_or_default();
                        st.env.entry(k).or_insert(v);
                    }
                }
            }
            Keyword::Label => {
                let Some(st) = stages.last_mut() else {
                    continue;
                };
                for (k, _) in inst.key_values() {
                    if !label_key_valid(&k) {
                        ctx.hit("SW-DF-046", inst, format!("label key {k:?} is invalid"));
                    }
                    st.labels.insert(k);
                }
            }
            Keyword::Shell => {
                if let (Form::Exec(v), Some(st)) = (inst.form(), stages.last_mut()) {
                    st.shell = v;
                }
            }
            Keyword::Copy | Keyword::Add => {
                let Some(si) = stages.len().checked_sub(1) else {
                    continue;
                };
                let names: Vec<Option<String>> = stages.iter().map(|s| s.name.clone()).collect();
                let Some(st) = stages.get_mut(si) else {
                    continue;
                };
                check_copy_add(&mut ctx, inst, st, &names);
            }
            Keyword::Volume | Keyword::Stopsignal => {}
        }
    }

    // Rules about the stage as a whole.
    let final_index = stages.len().checked_sub(1);
    if let Some(last) = stages.last() {
        let line_inst = |st: &Stage| Instruction {
            keyword: Keyword::From,
            span: crate::parser::Span {
                line: st.from_line,
                column: st.from_column,
                end_line: st.from_line,
            },
            flags: Vec::new(),
            rest: String::new(),
            heredocs: Vec::new(),
            onbuild: None,
        };
        match &last.user {
            Some((u, line, column)) if is_root_user(u) => ctx.hits.push(Hit {
                id: "SW-DF-003",
                line: *line,
                column: *column,
                lines: (*line, *line),
                detail: format!("the final stage ends with USER {u}"),
                object: None,
            }),
            Some(_) => {}
            None => {
                if !last.inherited_user && !last.image.contains("nonroot") {
                    let fi = line_inst(last);
                    ctx.hit(
                        "SW-DF-004",
                        &fi,
                        format!("the final stage (FROM {}) never sets USER", last.image),
                    );
                }
            }
        }
        let fi = line_inst(last);
        for l in &cfg.required_labels {
            if !stages.iter().any(|s| s.labels.contains(l)) {
                ctx.hit(
                    "SW-DF-047",
                    &fi,
                    format!("label {l} is required by the configuration"),
                );
            }
        }
        if !last.has_healthcheck {
            ctx.hit("SW-DF-048", &fi, "the final stage has no HEALTHCHECK");
        }
    }
    // SW-DF-010 only matters in the final stage: earlier stages are discarded.
    for (si, inst, script) in &apt_runs_by_stage {
        if Some(*si) != final_index {
            continue;
        }
        let apt = script.any(|c| {
            (c.name == "apt-get" || c.name == "apt")
                && (c.operands(&["-o", "-c", "-t"]).first() == Some(&"update")
                    || apt_install_like(c))
        });
        let cleaned = script
            .any(|c| c.name == "rm" && c.args.iter().any(|a| a.starts_with("/var/lib/apt/lists")));
        if apt && !cleaned && !cache_mount(inst, "/var/lib/apt/lists") {
            ctx.hit(
                "SW-DF-010",
                inst,
                "apt-get runs but /var/lib/apt/lists is not removed in the same RUN",
            );
        }
    }
    let _ = ctx.cfg;
    ctx.hits
}

fn secret_arg_env(ctx: &mut Ctx<'_>, inst: &Instruction, is_arg: bool) {
    let pairs: Vec<(String, Option<String>)> = if is_arg {
        inst.arg_defs()
    } else {
        inst.key_values()
            .into_iter()
            .map(|(k, v)| (k, Some(v)))
            .collect()
    };
    for (k, v) in pairs {
        let kw = if is_arg { "ARG" } else { "ENV" };
        if let Some(kind) = v.as_deref().and_then(secret_value) {
            ctx.hit("SW-DF-066", inst, format!("{kw} {k} holds {kind}"));
            continue;
        }
        if !secret_key(&k) {
            continue;
        }
        match v {
            Some(val) if !is_arg && val.trim().starts_with('$') => {
                ctx.hit(
                    "SW-DF-066",
                    inst,
                    format!("ENV {k} copies {} into the image config", val.trim()),
                );
            }
            Some(val) if !trivial_value(&val) => {
                ctx.hit(
                    "SW-DF-066",
                    inst,
                    format!("{kw} {k} sets a secret-looking value"),
                );
            }
            Some(val) if is_arg && val.trim().is_empty() => {
                ctx.hit("SW-DF-066", inst, format!("build argument {k} looks like a secret; build-arg values are recorded in the image history"));
            }
            None if is_arg => {
                ctx.hit("SW-DF-066", inst, format!("build argument {k} looks like a secret; build-arg values are recorded in the image history"));
            }
            _ => {}
        }
    }
}

fn check_copy_add(ctx: &mut Ctx<'_>, inst: &Instruction, st: &mut Stage, names: &[Option<String>]) {
    let is_add = inst.keyword == Keyword::Add;
    let Some((srcs, dest)) = inst.copy_paths() else {
        return;
    };
    let here = !inst.heredocs.is_empty();
    if srcs.len() >= 2 && !dest.ends_with('/') && !here {
        ctx.hit(
            "SW-DF-021",
            inst,
            format!(
                "{} has {} sources but destination {dest} does not end with /",
                inst.keyword,
                srcs.len()
            ),
        );
    }
    if let Some(m) = inst.flag("chmod").and_then(|f| f.value.as_deref()) {
        if world_writable_mode(m) {
            ctx.hit(
                "SW-DF-064",
                inst,
                format!("{} --chmod={m} makes files world-writable", inst.keyword),
            );
        }
    }
    if !is_add {
        if let Some(from) = inst.flag("from").and_then(|f| f.value.as_deref()) {
            let f = from.to_ascii_lowercase();
            if st.name.as_deref() == Some(f.as_str()) {
                ctx.hit(
                    "SW-DF-023",
                    inst,
                    format!("COPY --from={from} refers to the stage it is in"),
                );
            } else {
                let earlier = names
                    .iter()
                    .take(st.index)
                    .any(|n| n.as_deref() == Some(f.as_str()));
                let index_ok = f.parse::<usize>().is_ok_and(|n| n < st.index);
                let image_ref =
                    f.contains(':') || f.contains('/') || f.contains('@') || f.contains('$');
                if !earlier && !index_ok && !image_ref {
                    ctx.hit(
                        "SW-DF-022",
                        inst,
                        format!("COPY --from={from} names no earlier stage"),
                    );
                }
            }
        }
        let relative = !(dest.starts_with('/')
            || dest.starts_with('$')
            || dest.get(1..3).is_some_and(|s| s == ":\\" || s == ":/"));
        if relative && !st.workdir {
            ctx.hit(
                "SW-DF-043",
                inst,
                format!("COPY to relative {dest} with no WORKDIR in this stage"),
            );
        }
        if inst.flag("from").is_none() {
            for s in &srcs {
                if is_archive(s) {
                    let base = s.rsplit('/').next().unwrap_or(s).to_string();
                    st.archives.push(base);
                }
            }
        }
        return;
    }
    if here {
        return;
    }
    let urls: Vec<&String> = srcs.iter().filter(|s| is_url(s)).collect();
    if !urls.is_empty() && inst.flag("checksum").is_none() {
        for u in &urls {
            if u.starts_with("http") && !u.ends_with(".git") {
                ctx.hit("SW-DF-063", inst, format!("ADD {u} has no --checksum"));
            }
        }
    }
    if srcs.iter().any(|s| !is_url(s) && !is_archive(s)) {
        ctx.hit("SW-DF-020", inst, "ADD copies local files or directories");
    }
}

fn check_run(ctx: &mut Ctx<'_>, inst: &Instruction, script: &Script, st: &mut Stage) {
    let posix_shell = st
        .shell
        .first()
        .map(|s| s.rsplit('/').next().unwrap_or(s))
        .is_some_and(|s| SHELLS.contains(&s));
    let exec_form = matches!(inst.form(), Form::Exec(_));
    if !posix_shell && !exec_form {
        return; // PowerShell / cmd: not analysed
    }
    let cmds = script.commands();
    let mut once: HashSet<&'static str> = HashSet::new();
    let mut hit_once = |ctx: &mut Ctx<'_>, id: &'static str, detail: String| {
        if once.insert(id) {
            ctx.hit(id, inst, detail);
        }
    };

    // Pipes without pipefail (shell form only).
    if !exec_form && script.pipelines.iter().any(|p| p.commands.len() > 1) {
        let pipefail = st.shell.iter().any(|a| a.contains("pipefail"));
        let set_in_run = cmds
            .iter()
            .any(|c| c.name == "set" && c.args.iter().any(|a| a == "pipefail"));
        if !pipefail && !set_in_run {
            hit_once(
                ctx,
                "SW-DF-058",
                "RUN uses a pipe but the shell does not set -o pipefail".into(),
            );
        }
    }

    // Remote script execution.
    for p in script.all_pipelines() {
        let fetch = p
            .commands
            .iter()
            .position(|c| c.name == "curl" || c.name == "wget");
        if let Some(fi) = fetch {
            if let Some(runner) = p
                .commands
                .iter()
                .skip(fi + 1)
                .find(|c| INTERPRETERS.contains(&c.name.as_str()))
            {
                let fetcher = p
                    .commands
                    .get(fi)
                    .map(|c| c.name.clone())
                    .unwrap_or_default();
                hit_once(
                    ctx,
                    "SW-DF-062",
                    format!("{fetcher} output is piped into {}", runner.name),
                );
            }
        }
    }
    for c in &cmds {
        let runner = INTERPRETERS.contains(&c.name.as_str())
            || matches!(c.name.as_str(), "eval" | "source" | ".");
        if runner
            && c.args.iter().any(|a| {
                (a.contains("$(") || a.contains("<(") || a.contains('`'))
                    && (a.contains("curl ") || a.contains("wget "))
            })
        {
            hit_once(
                ctx,
                "SW-DF-062",
                format!("{} runs a script fetched with curl/wget", c.name),
            );
        }
    }

    let has = |name: &str, sub: &str| cmds.iter().any(|c| c.is(name, sub));
    let mut apt_update_only = false;
    for c in &cmds {
        let n = c.name.as_str();
        if n == "cd" {
            hit_once(ctx, "SW-DF-006", "RUN uses cd".into());
        }
        if c.sudo || n == "sudo" {
            hit_once(
                ctx,
                "SW-DF-007",
                format!("RUN uses sudo ({})", if c.sudo { n } else { "sudo" }),
            );
        }
        if matches!(
            n,
            "ssh"
                | "vim"
                | "shutdown"
                | "service"
                | "ps"
                | "free"
                | "top"
                | "kill"
                | "mount"
                | "ifconfig"
        ) {
            hit_once(ctx, "SW-DF-059", format!("RUN calls {n}"));
        }
        if n == "apt" {
            hit_once(ctx, "SW-DF-027", "RUN uses apt".into());
        }
        // apt-get / apt
        if (n == "apt-get" || n == "apt")
            && c.operands(&["-o", "-c", "-t"]).first() == Some(&"dist-upgrade")
        {
            hit_once(ctx, "SW-DF-008", format!("{n} dist-upgrade"));
        }
        if (n == "apt-get" || n == "apt")
            && c.operands(&["-o", "-c", "-t"]).first() == Some(&"update")
        {
            apt_update_only = true;
        }
        if apt_install_like(c) {
            let pkgs = apt_packages(c);
            let unpinned: Vec<&String> = pkgs.iter().filter(|p| !pkg_pinned_eq(p)).collect();
            if !unpinned.is_empty() && n == "apt-get" {
                hit_once(
                    ctx,
                    "SW-DF-009",
                    format!("apt-get install of {} without a version", list(&unpinned)),
                );
            }
            let yes = c.has_flag(&["-y", "--yes", "--assume-yes"])
                || c.args
                    .iter()
                    .any(|a| a == "-qq" || a == "-q=2" || a == "--quiet=2" || a.starts_with("-qq"));
            if !yes && n == "apt-get" {
                hit_once(ctx, "SW-DF-015", format!("{n} install without -y"));
            }
            let no_rec = c.has_flag(&["--no-install-recommends"])
                || c.args.iter().any(|a| {
                    a.contains("Install-Recommends=false") || a.contains("Install-Recommends=0")
                });
            if !no_rec && n == "apt-get" {
                hit_once(
                    ctx,
                    "SW-DF-016",
                    format!("{n} install without --no-install-recommends"),
                );
            }
            ssh_pkgs(ctx, inst, &pkgs, &mut hit_once);
        }
        if (n == "apt-get" || n == "apt")
            && (c.has_flag(&[
                "--allow-unauthenticated",
                "--force-yes",
                "--allow-insecure-repositories",
            ]) || c.args.iter().any(|a| {
                a.contains("Verify-Peer=false")
                    || a.contains("AllowInsecureRepositories=true")
                    || a.contains("AllowUnauthenticated=true")
            }))
        {
            hit_once(
                ctx,
                "SW-DF-069",
                format!("{n} disables package signature or TLS checks"),
            );
        }
        // apk
        if n == "apk" {
            let ops = c.operands(&[
                "-t",
                "--virtual",
                "-X",
                "--repository",
                "--repositories-file",
                "-p",
                "--root",
                "--arch",
                "--cache-dir",
                "--keys-dir",
            ]);
            if ops.first() == Some(&"add") {
                let pkgs: Vec<String> = ops.iter().skip(1).map(|s| s.to_string()).collect();
                let unpinned: Vec<&String> = pkgs
                    .iter()
                    .filter(|p| {
                        !(p.contains('=')
                            || p.contains('/')
                            || p.ends_with(".apk")
                            || p.starts_with('$'))
                    })
                    .collect();
                if !unpinned.is_empty() {
                    hit_once(
                        ctx,
                        "SW-DF-018",
                        format!("apk add of {} without a version", list(&unpinned)),
                    );
                }
                if !c.has_flag(&["--no-cache"])
                    && !cache_mount(inst, "/var/cache/apk")
                    && !cache_mount(inst, "/etc/apk/cache")
                {
                    hit_once(ctx, "SW-DF-019", "apk add without --no-cache".into());
                }
                ssh_pkgs(ctx, inst, &pkgs, &mut hit_once);
            }
            if ops.first() == Some(&"update")
                && !cmds.iter().any(|x| {
                    x.name == "apk"
                        && x.operands(&["-t", "--virtual", "-X", "--repository"])
                            .first()
                            == Some(&"add")
                })
            {
                hit_once(
                    ctx,
                    "SW-DF-060",
                    "apk update without apk add in the same RUN".into(),
                );
            }
            if c.has_flag(&["--allow-untrusted"]) {
                hit_once(
                    ctx,
                    "SW-DF-069",
                    "apk --allow-untrusted skips signature checks".into(),
                );
            }
        }
        // pip
        if let Some(pc) = pip_install(c) {
            let pkgs: Vec<String> = pc
                .operands(PIP_VALUE_OPTS)
                .into_iter()
                .skip(1)
                .map(str::to_string)
                .collect();
            let unpinned: Vec<&String> = pkgs
                .iter()
                .filter(|p| !pip_pinned(p) && p.as_str() != "pip")
                .collect();
            if !unpinned.is_empty() {
                hit_once(
                    ctx,
                    "SW-DF-014",
                    format!("pip install of {} without a version", list(&unpinned)),
                );
            }
            let env_off = st.env.get("PIP_NO_CACHE_DIR").is_some_and(|v| {
                !matches!(
                    v.to_ascii_lowercase().as_str(),
                    "" | "0" | "false" | "no" | "off"
                )
            });
            if !pc.has_flag(&["--no-cache-dir"]) && !env_off && !cache_mount(inst, "/root/.cache") {
                hit_once(
                    ctx,
                    "SW-DF-040",
                    "pip install without --no-cache-dir".into(),
                );
            }
            if pc.has_flag(&["--trusted-host"]) {
                hit_once(
                    ctx,
                    "SW-DF-069",
                    "pip --trusted-host disables TLS verification for that host".into(),
                );
            }
        }
        // npm
        if n == "npm" {
            let ops = c.operands(&["--prefix", "--registry", "--cache", "-w", "--workspace"]);
            if matches!(ops.first(), Some(&"install") | Some(&"i") | Some(&"add")) {
                let unpinned: Vec<&&str> = ops.iter().skip(1).filter(|p| !npm_pinned(p)).collect();
                if !unpinned.is_empty() {
                    let u: Vec<String> = unpinned.iter().map(|s| s.to_string()).collect();
                    hit_once(
                        ctx,
                        "SW-DF-017",
                        format!(
                            "npm install of {} without a version",
                            list(&u.iter().collect::<Vec<_>>())
                        ),
                    );
                }
            }
            if ops.first() == Some(&"config")
                && ops.get(2) == Some(&"strict-ssl")
                && ops.get(3) == Some(&"false")
            {
                hit_once(ctx, "SW-DF-069", "npm strict-ssl is turned off".into());
            }
        }
        // gem
        if n == "gem" {
            let ops = c.operands(&[
                "-v",
                "--version",
                "-i",
                "--install-dir",
                "-n",
                "--bindir",
                "--source",
                "-s",
                "--platform",
            ]);
            if ops.first() == Some(&"install") && !c.has_flag(&["-v", "--version"]) {
                let unpinned: Vec<String> = ops
                    .iter()
                    .skip(1)
                    .filter(|p| !p.contains(':') && !p.ends_with(".gem"))
                    .map(|s| s.to_string())
                    .collect();
                if !unpinned.is_empty() {
                    hit_once(
                        ctx,
                        "SW-DF-028",
                        format!(
                            "gem install of {} without a version",
                            list(&unpinned.iter().collect::<Vec<_>>())
                        ),
                    );
                }
            }
        }
        // go
        if c.is("go", "install") {
            let unpinned: Vec<String> = c
                .operands(&[])
                .into_iter()
                .skip(1)
                .filter(|p| {
                    !p.starts_with('.')
                        && !p.starts_with('/')
                        && (!p.contains('@') || p.ends_with("@latest"))
                })
                .map(str::to_string)
                .collect();
            if !unpinned.is_empty() {
                hit_once(
                    ctx,
                    "SW-DF-052",
                    format!(
                        "go install of {} without a fixed version",
                        list(&unpinned.iter().collect::<Vec<_>>())
                    ),
                );
            }
        }
        // yum / dnf / microdnf
        if matches!(n, "yum" | "dnf" | "microdnf" | "tdnf") {
            let ops = c.operands(&[
                "-c",
                "--config",
                "--installroot",
                "--releasever",
                "--setopt",
                "--enablerepo",
                "--disablerepo",
                "-x",
                "--exclude",
                "--repo",
                "--repofrompath",
            ]);
            if matches!(
                ops.first(),
                Some(&"install") | Some(&"groupinstall") | Some(&"reinstall")
            ) {
                let yes = c.has_flag(&["-y", "--assumeyes"]);
                let (yes_id, pin_id, clean_id) = if n == "yum" {
                    ("SW-DF-030", "SW-DF-032", "SW-DF-031")
                } else {
                    ("SW-DF-037", "SW-DF-039", "SW-DF-038")
                };
                if !yes {
                    hit_once(ctx, yes_id, format!("{n} install without -y"));
                }
                let pkgs: Vec<String> = ops.iter().skip(1).map(|s| s.to_string()).collect();
                let unpinned: Vec<&String> = pkgs
                    .iter()
                    .filter(|p| !rpm_pinned(p) && !p.starts_with('@'))
                    .collect();
                if !unpinned.is_empty() && ops.first() == Some(&"install") {
                    hit_once(
                        ctx,
                        pin_id,
                        format!("{n} install of {} without a version", list(&unpinned)),
                    );
                }
                let cleaned = cmds.iter().any(|x| {
                    (matches!(x.name.as_str(), "yum" | "dnf" | "microdnf" | "tdnf")
                        && x.operands(&[]).first() == Some(&"clean"))
                        || (x.name == "rm"
                            && x.args.iter().any(|a| {
                                a.starts_with("/var/cache/yum") || a.starts_with("/var/cache/dnf")
                            }))
                });
                let cache_ok =
                    cache_mount(inst, "/var/cache/yum") || cache_mount(inst, "/var/cache/dnf");
                if !cleaned && !cache_ok {
                    hit_once(
                        ctx,
                        clean_id,
                        format!("{n} install without {n} clean all in the same RUN"),
                    );
                }
                ssh_pkgs(ctx, inst, &pkgs, &mut hit_once);
            }
            if c.has_flag(&["--nogpgcheck"]) {
                hit_once(
                    ctx,
                    "SW-DF-069",
                    format!("{n} --nogpgcheck skips package signature checks"),
                );
            }
        }
        if n == "rpm" && c.has_flag(&["--nosignature", "--nodigest"]) {
            hit_once(ctx, "SW-DF-069", "rpm skips signature checks".into());
        }
        // zypper
        if n == "zypper" {
            let ops = c.operands(&[
                "--root",
                "-R",
                "--reposd-dir",
                "-D",
                "--cache-dir",
                "-C",
                "--raw-cache-dir",
                "--solv-cache-dir",
                "--pkg-cache-dir",
                "-r",
                "--repo",
                "--from",
            ]);
            let sub = ops.first().copied().unwrap_or("");
            if matches!(
                sub,
                "install"
                    | "in"
                    | "remove"
                    | "rm"
                    | "source-install"
                    | "si"
                    | "patch"
                    | "update"
                    | "up"
                    | "dist-upgrade"
                    | "dup"
            ) && !c.has_flag(&["-n", "--non-interactive", "-y", "--no-confirm"])
            {
                hit_once(
                    ctx,
                    "SW-DF-033",
                    format!("zypper {sub} without --non-interactive"),
                );
            }
            if matches!(sub, "dist-upgrade" | "dup") {
                hit_once(ctx, "SW-DF-034", "zypper dist-upgrade".into());
            }
            if matches!(sub, "install" | "in") {
                let pkgs: Vec<String> = ops.iter().skip(1).map(|s| s.to_string()).collect();
                let unpinned: Vec<&String> = pkgs
                    .iter()
                    .filter(|p| {
                        !(p.contains('=')
                            || p.contains('<')
                            || p.contains('>')
                            || p.ends_with(".rpm")
                            || p.starts_with('$'))
                    })
                    .collect();
                if !unpinned.is_empty() {
                    hit_once(
                        ctx,
                        "SW-DF-036",
                        format!("zypper install of {} without a version", list(&unpinned)),
                    );
                }
                let cleaned = cmds.iter().any(|x| {
                    x.name == "zypper"
                        && matches!(x.operands(&[]).first(), Some(&"clean") | Some(&"cc"))
                });
                if !cleaned {
                    hit_once(
                        ctx,
                        "SW-DF-035",
                        "zypper install without zypper clean in the same RUN".into(),
                    );
                }
                ssh_pkgs(ctx, inst, &pkgs, &mut hit_once);
            }
        }
        // yarn
        if n == "yarn" && matches!(c.operands(&[]).first(), Some(&"install") | Some(&"add")) {
            let cleaned = cmds.iter().any(|x| {
                x.name == "yarn"
                    && x.operands(&[]).first() == Some(&"cache")
                    && x.operands(&[]).get(1) == Some(&"clean")
            });
            if !cleaned && !cache_mount(inst, "/usr/local/share/.cache/yarn") {
                hit_once(
                    ctx,
                    "SW-DF-050",
                    "yarn install without yarn cache clean in the same RUN".into(),
                );
            }
        }
        // useradd
        if n == "useradd" {
            let uid = c
                .args
                .iter()
                .position(|a| a == "-u" || a == "--uid")
                .and_then(|p| c.args.get(p + 1))
                .cloned()
                .or_else(|| {
                    c.args
                        .iter()
                        .find_map(|a| a.strip_prefix("--uid=").map(str::to_string))
                });
            if let Some(uid) = uid {
                if uid.parse::<u64>().is_ok_and(|u| u > 99_999)
                    && !c.has_flag(&["-l", "--no-log-init"])
                {
                    hit_once(ctx, "SW-DF-044", format!("useradd -u {uid} without -l"));
                }
            }
        }
        // wget
        if n == "wget" {
            if !c.has_flag(&[
                "--progress",
                "-q",
                "--quiet",
                "-nv",
                "--no-verbose",
                "-o",
                "--output-file",
                "-a",
                "--append-output",
            ]) {
                hit_once(ctx, "SW-DF-045", "wget without --progress".into());
            }
            if c.has_flag(&["--no-check-certificate"]) {
                hit_once(ctx, "SW-DF-069", "wget --no-check-certificate".into());
            }
        }
        if n == "curl" && c.has_flag(&["-k", "--insecure"]) {
            hit_once(ctx, "SW-DF-069", "curl -k/--insecure".into());
        }
        if n == "git"
            && c.args
                .iter()
                .any(|a| a.to_ascii_lowercase().contains("sslverify=false"))
            || n == "git"
                && c.args
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case("http.sslverify"))
                && c.args.iter().any(|a| a == "false")
        {
            hit_once(ctx, "SW-DF-069", "git http.sslVerify=false".into());
        }
        if c.assignments
            .iter()
            .any(|a| a == "NODE_TLS_REJECT_UNAUTHORIZED=0" || a.starts_with("GIT_SSL_NO_VERIFY="))
        {
            hit_once(
                ctx,
                "SW-DF-069",
                "TLS verification turned off for a command".into(),
            );
        }
        // ln -s ... /bin/sh
        if n == "ln" && c.operands(&[]).last().is_some_and(|t| *t == "/bin/sh") {
            hit_once(ctx, "SW-DF-057", "ln replaces /bin/sh".into());
        }
        // chmod
        if n == "chmod" {
            if let Some(mode) = c.operands(&["--reference"]).first() {
                if world_writable_mode(mode) {
                    hit_once(
                        ctx,
                        "SW-DF-064",
                        format!(
                            "chmod {}{mode}",
                            if c.has_flag(&["-R", "--recursive"]) {
                                "-R "
                            } else {
                                ""
                            }
                        ),
                    );
                }
            }
        }
        // passwords
        if !secret_mount(inst) {
            if n == "chpasswd" {
                hit_once(
                    ctx,
                    "SW-DF-065",
                    "chpasswd sets a password from the Dockerfile".into(),
                );
            }
            if n == "passwd" && c.has_flag(&["--stdin"]) {
                hit_once(
                    ctx,
                    "SW-DF-065",
                    "passwd --stdin sets a password from the Dockerfile".into(),
                );
            }
            if matches!(n, "useradd" | "usermod" | "adduser")
                && c.args
                    .iter()
                    .any(|a| a == "-p" || a == "--password" || a.starts_with("--password="))
            {
                hit_once(
                    ctx,
                    "SW-DF-065",
                    format!("{n} sets a password hash on the command line"),
                );
            }
            if n == "htpasswd" && c.has_flag(&["-b"]) {
                hit_once(
                    ctx,
                    "SW-DF-065",
                    "htpasswd -b takes the password on the command line".into(),
                );
            }
            if matches!(n, "mysql" | "mysqladmin" | "mariadb" | "mysqldump")
                && c.args.iter().any(|a| {
                    a.len() > 2
                        && a.starts_with("-p")
                        && !a.starts_with("-p$")
                        && !a.starts_with("--")
                })
            {
                hit_once(
                    ctx,
                    "SW-DF-065",
                    format!("{n} -p<password> on the command line"),
                );
            }
            let mut it = c.args.iter().peekable();
            while let Some(a) = it.next() {
                let val = if let Some(v) = a
                    .strip_prefix("--password=")
                    .or_else(|| a.strip_prefix("--passwd="))
                {
                    Some(v.to_string())
                } else if a == "--password" || a == "--passwd" {
                    it.peek().map(|s| s.to_string())
                } else {
                    None
                };
                if let Some(v) = val {
                    if !v.is_empty()
                        && !v.starts_with('$')
                        && !v.starts_with('-')
                        && !v.starts_with('/')
                    {
                        hit_once(
                            ctx,
                            "SW-DF-065",
                            format!("{n} --password with a literal value"),
                        );
                    }
                }
            }
            if c.args.iter().any(|a| url_with_credentials(a)) {
                hit_once(
                    ctx,
                    "SW-DF-065",
                    format!("{n} uses a URL with an embedded password"),
                );
            }
        }
        // pipeline into passwd: `echo pw | passwd`
        // ssh daemon started
        if n == "sshd"
            || (n == "service" && c.arg(0).is_some_and(|s| s == "ssh" || s == "sshd"))
            || c.is("systemctl", "enable") && c.args.iter().any(|a| a.starts_with("ssh"))
        {
            hit_once(
                ctx,
                "SW-DF-068",
                format!("RUN starts or enables an SSH daemon ({n})"),
            );
        }
    }
    if !secret_mount(inst) {
        for p in script.all_pipelines() {
            if p.commands.len() > 1 && p.commands.iter().skip(1).any(|c| c.name == "passwd") {
                hit_once(ctx, "SW-DF-065", "a password is piped into passwd".into());
            }
        }
    }
    // Update without install in the same RUN (stale index in a cached layer).
    let installs = cmds.iter().any(|c| apt_install_like(c));
    if apt_update_only && !installs {
        hit_once(
            ctx,
            "SW-DF-060",
            "apt-get update without an install in the same RUN".into(),
        );
    }
    let _ = has;
    // Archive copied earlier then extracted.
    if cmds.iter().any(|c| c.name == "tar") {
        let extracted: Vec<String> = cmds
            .iter()
            .filter(|c| c.name == "tar")
            .flat_map(|c| {
                c.args
                    .iter()
                    .map(|a| a.rsplit('/').next().unwrap_or(a).to_string())
            })
            .collect();
        if let Some(a) = st.archives.iter().find(|a| extracted.contains(a)) {
            hit_once(
                ctx,
                "SW-DF-011",
                format!("{a} was copied with COPY and is extracted here"),
            );
        }
    }
}

fn ssh_pkgs(
    ctx: &mut Ctx<'_>,
    _inst: &Instruction,
    pkgs: &[String],
    hit_once: &mut impl FnMut(&mut Ctx<'_>, &'static str, String),
) {
    for p in pkgs {
        let name = p.split(['=', '<', '>']).next().unwrap_or(p);
        if matches!(
            name,
            "openssh-server" | "openssh" | "dropbear" | "ssh" | "openssh-server-pam" | "tinysshd"
        ) {
            hit_once(
                ctx,
                "SW-DF-068",
                format!("installs SSH server package {name}"),
            );
        }
    }
}

fn npm_pinned(p: &str) -> bool {
    if p.starts_with('.')
        || p.starts_with('/')
        || p.starts_with('$')
        || p.ends_with(".tgz")
        || p.ends_with(".tar.gz")
    {
        return true;
    }
    if p.contains("://") || p.starts_with("git+") || p.starts_with("github:") {
        return p.contains('#');
    }
    let body = p.strip_prefix('@').unwrap_or(p);
    match body.split_once('@') {
        Some((_, v)) => !v.is_empty() && v != "latest" && v != "next",
        None => false,
    }
}

fn list<S: AsRef<str>>(items: &[S]) -> String {
    let mut v: Vec<&str> = items.iter().map(AsRef::as_ref).take(5).collect();
    if items.len() > 5 {
        v.push("...");
    }
    v.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_vars() {
        let mut v = HashMap::new();
        v.insert("A".to_string(), "x".to_string());
        assert_eq!(expand("$A/${A}/${B:-d}/${A:+y}/$B", &v), "x/x/d/y/$B");
    }

    #[test]
    fn image_split() {
        assert_eq!(
            split_image("ubuntu"),
            ("docker.io".into(), "ubuntu".into(), None, None)
        );
        assert_eq!(split_image("localhost:5000/a/b:1").2.as_deref(), Some("1"));
        assert_eq!(
            split_image("ghcr.io/x/y@sha256:ab").3.as_deref(),
            Some("sha256:ab")
        );
    }

    #[test]
    fn modes() {
        assert!(world_writable_mode("777"));
        assert!(world_writable_mode("0666"));
        assert!(!world_writable_mode("1777"));
        assert!(!world_writable_mode("755"));
        assert!(world_writable_mode("o+w"));
        assert!(world_writable_mode("a=rwx"));
        assert!(!world_writable_mode("u+x"));
    }

    #[test]
    fn pins() {
        assert!(npm_pinned("@scope/pkg@1.2.3"));
        assert!(!npm_pinned("@scope/pkg"));
        assert!(!npm_pinned("left-pad@latest"));
        assert!(pip_pinned("flask>=2"));
        assert!(rpm_pinned("httpd-2.4.6"));
        assert!(!rpm_pinned("php"));
    }
}
