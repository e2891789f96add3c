/*!
Dockerfile parser and linter.

- [`parser`]: the full BuildKit syntax (directives, continuations, heredocs,
  exec/shell form, flags) with spans.
- [`shell`]: RUN scripts read as shell (operators, pipes, quoting,
  substitutions, `sudo`/`env` wrappers).
- [`rules`]: the rule table (`SW-DF-001`...), each mapped to hadolint `DL`
  and Trivy `DS` ids; a superset of hadolint's DL rules plus security checks
  hadolint and Checkov lack (`curl | sh`, `ADD <url>` without `--checksum`,
  `chmod 777`, `chpasswd`, secrets in ENV/ARG, SSH servers).
- [`Config`]: the config file (disabled/enabled rules, severity overrides,
  trusted registries, required labels).

Inline ignores: a comment directly above an instruction (or inside its
continuation lines), `# seawall:ignore=SW-DF-009,SW-DF-016 reason`, drops
those findings for that instruction; `# seawall:ignore-file=ID reason`
anywhere drops them for the whole file. hadolint's own pragmas
(`# hadolint ignore=DL3008`, `# hadolint global ignore=...`) are honoured
through the DL mapping.

```
let cfg = seawall_dockerfile::Config::default();
let found = seawall_dockerfile::lint_bytes("Dockerfile", b"FROM alpine\nRUN curl -s https://x | sh\n", &cfg).unwrap();
assert!(found.iter().any(|m| m.id == "SW-DF-062"));
```
*/

mod checks;
pub mod config;
pub mod parser;
pub mod rules;
pub mod shell;

use std::collections::HashSet;
use std::path::Path;

pub use config::{Config, ConfigError};
pub use parser::{parse, parse_bytes, Dockerfile, ParseError};
pub use rules::{RuleMeta, RULES};
use seawall_types::Misconfig;

/// Largest Dockerfile read (bounded memory).
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Errors linting a file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse { path: String, source: ParseError },
    #[error("{path}: file is larger than {MAX_FILE_BYTES} bytes")]
    TooLarge { path: String },
}

/// True for `Dockerfile`, `Containerfile`, `*.Dockerfile`, `*.dockerfile`,
/// `Dockerfile.*` and `Containerfile.*`.
pub fn is_dockerfile_path(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
        || lower.starts_with("dockerfile.")
        || lower.starts_with("containerfile.")
}

/// Read and lint one Dockerfile.
pub fn lint_file(path: &Path, cfg: &Config) -> Result<Vec<Misconfig>, Error> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|source| Error::Io {
        path: shown.clone(),
        source,
    })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::TooLarge { path: shown });
    }
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: shown.clone(),
        source,
    })?;
    lint_bytes(&shown, &bytes, cfg)
}

/// Lint Dockerfile content; `path` is used in findings and errors.
pub fn lint_bytes(path: &str, bytes: &[u8], cfg: &Config) -> Result<Vec<Misconfig>, Error> {
    let df = parse_bytes(bytes).map_err(|source| Error::Parse {
        path: path.to_string(),
        source,
    })?;
    Ok(lint(path, &df, cfg))
}

/// Lint a parsed Dockerfile.
pub fn lint(path: &str, df: &Dockerfile, cfg: &Config) -> Vec<Misconfig> {
    let hits = checks::check(df, cfg);
    let ignores = Ignores::collect(df);
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for h in hits {
        let Some(meta) = rules::rule(h.id) else {
            continue;
        };
        if !cfg.is_enabled(meta.id, meta.default_enabled) || ignores.ignored(meta.id, h.lines) {
            continue;
        }
        if !seen.insert((h.id, h.line, h.detail.clone())) {
            continue;
        }
        out.push(Misconfig {
            id: meta.id.to_string(),
            severity: meta.severity,
            title: meta.title.to_string(),
            message: format!("{}. {}", h.detail, meta.why),
            fix: meta.fix.to_string(),
            file: path.to_string(),
            line: h.line,
            column: h.column,
            object: h.object,
            docs: Some(meta.docs_path()),
            references: meta.references(),
        });
    }
    out.sort_by(|a, b| (a.line, &a.id).cmp(&(b.line, &b.id)));
    cfg.apply(&mut out);
    out
}

/// Inline ignore pragmas.
struct Ignores {
    /// (first line, last line, ids) of comment blocks: a pragma applies to
    /// the instruction starting on `last + 1` or containing the comment.
    lines: Vec<(u32, Vec<String>)>,
    file: Vec<String>,
}

impl Ignores {
    fn collect(df: &Dockerfile) -> Ignores {
        let mut lines = Vec::new();
        let mut file = Vec::new();
        for c in &df.comments {
            let t = c.text.trim();
            if let Some(rest) = t.strip_prefix("seawall:ignore-file=") {
                file.extend(ids(rest));
            } else if let Some(rest) = t.strip_prefix("seawall:ignore=") {
                lines.push((c.line, ids(rest)));
            } else if let Some(rest) = t.strip_prefix("hadolint global ignore=") {
                file.extend(hadolint_ids(rest));
            } else if let Some(rest) = t.strip_prefix("hadolint ignore=") {
                lines.push((c.line, hadolint_ids(rest)));
            }
        }
        // A pragma above an instruction covers it if only comments/blank
        // lines separate them.
        let mut resolved = Vec::new();
        for (line, ids) in lines {
            let target = df
                .instructions
                .iter()
                .find(|i| i.span.end_line >= line)
                .map(|i| i.span.line)
                .unwrap_or(line);
            resolved.push((target.max(line), ids));
        }
        Ignores {
            lines: resolved,
            file,
        }
    }

    fn ignored(&self, id: &str, (start, end): (u32, u32)) -> bool {
        self.file.iter().any(|i| i == id)
            || self
                .lines
                .iter()
                .any(|(l, ids)| *l >= start && *l <= end.max(start) && ids.iter().any(|i| i == id))
    }
}

fn ids(s: &str) -> Vec<String> {
    s.split_whitespace()
        .next()
        .unwrap_or("")
        .split(',')
        .map(|i| i.trim().to_ascii_uppercase())
        .filter(|i| !i.is_empty())
        .collect()
}

fn hadolint_ids(s: &str) -> Vec<String> {
    ids(s)
        .iter()
        .filter_map(|d| rules::by_hadolint(d).map(|r| r.id.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids_of(src: &str) -> Vec<String> {
        lint_bytes("Dockerfile", src.as_bytes(), &Config::default())
            .unwrap()
            .into_iter()
            .map(|m| format!("{}:{}", m.line, m.id))
            .collect()
    }

    #[test]
    fn inline_ignores() {
        let src = "FROM alpine:3.19\n# seawall:ignore=SW-DF-018,SW-DF-019 pinned by digest upstream\nRUN apk add curl\nRUN apk add git\nUSER 1000\n";
        let got = ids_of(src);
        assert!(!got.contains(&"3:SW-DF-018".to_string()), "{got:?}");
        assert!(got.contains(&"4:SW-DF-018".to_string()), "{got:?}");
        let src = "# hadolint global ignore=DL3018\nFROM alpine:3.19\nRUN apk add --no-cache curl\nUSER 1000\n";
        assert!(ids_of(src).is_empty(), "{:?}", ids_of(src));
    }

    #[test]
    fn dockerfile_names() {
        for n in [
            "Dockerfile",
            "Containerfile",
            "api.Dockerfile",
            "Dockerfile.prod",
            "x/dockerfile",
        ] {
            assert!(is_dockerfile_path(Path::new(n)), "{n}");
        }
        for n in ["Dockerfile-notes.md", "docker-compose.yml", "README"] {
            assert!(!is_dockerfile_path(Path::new(n)), "{n}");
        }
    }
}
