//! The secret scanner: compiled rules, keyword prefilter, checks, redaction.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::{Regex, RegexBuilder};
use seawall_types::Severity;
use serde::{Deserialize, Serialize};

use crate::rules::{Builtin, Check, BUILTIN, LOW_CONFIDENCE_SKIP};
use crate::Error;

/// Files larger than this are not scanned unless a custom rules file raises
/// the cap (`max-file-size`). Secrets live in small text files; a large file
/// is almost always data, an archive or a binary.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// Bytes inspected for a NUL byte to decide that a file is binary.
pub const BINARY_SNIFF_LEN: usize = 8192;

/// At most this many findings are reported per file (bounded output on
/// adversarial input).
pub const MAX_MATCHES_PER_FILE: usize = 256;

/// Chunk size of [`SecretScanner::scan_reader`].
pub const READ_CHUNK: usize = 1 << 20;

/// Bytes carried from one chunk to the next in [`SecretScanner::scan_reader`]
/// so that secrets spanning a chunk boundary are still found whole.
pub const CHUNK_OVERLAP: usize = 16 * 1024;

const MAX_CONTEXT_CHARS: usize = 160;

/// One secret found in a file or in the image configuration.
///
/// Serialised names are the `secrets[]` entries of the JSON report. `layer`
/// and `deleted_in_layer` are not known to the scanner: the image side fills
/// them (the layer digest that holds the file, and the digest of the later
/// layer whose whiteout removed it, when one did).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretMatch {
    /// Stable rule id, e.g. `aws-access-key-id`.
    pub rule_id: String,
    /// Provider or kind, e.g. `AWS`, `AsymmetricPrivateKey`, `Generic`.
    pub category: String,
    pub severity: Severity,
    pub title: String,
    /// File path inside the image (as the caller gave it), or a config
    /// location: `config:Env`, `config:history[N]`, `config:Labels`.
    pub path: String,
    /// 1-based line of the match (for `config:Env`, the 1-based index of the
    /// variable; for labels, of the label in key order).
    pub line: u32,
    /// The secret with all but a short prefix replaced by `*`.
    pub redacted: String,
    /// The line around the match with every secret on it redacted.
    pub context: String,
    /// Layer digest holding the file (filled by the image side).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub layer: Option<String>,
    /// Digest of the later layer that deleted the file (filled by the image
    /// side); the secret is still extractable from `layer`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub deleted_in_layer: Option<String>,
}

/// A compiled detection rule.
#[derive(Debug)]
struct Rule {
    id: String,
    category: String,
    title: String,
    severity: Severity,
    regex: Regex,
    secret_group: Option<usize>,
    suffix_group: Option<usize>,
    min_entropy: f64,
    path: Option<regex::Regex>,
    check: Check,
    low_confidence: bool,
    keyworded: bool,
}

/// An allow rule: a finding is dropped when its path (and, if given, its
/// secret) match.
#[derive(Debug)]
struct AllowRule {
    id: String,
    path: Option<regex::Regex>,
    regex: Option<Regex>,
}

/// Compiled secret rules with an aho-corasick keyword prefilter.
///
/// Build once ([`SecretScanner::builtin`] or
/// [`SecretScanner::with_custom_rules`]) and share: scanning takes `&self`
/// and the scanner is `Send + Sync`.
#[derive(Debug)]
pub struct SecretScanner {
    rules: Vec<Rule>,
    prefilter: Option<AhoCorasick>,
    /// Prefilter pattern id -> indices of the rules that keyword wakes.
    pattern_rules: Vec<Vec<usize>>,
    /// Rules without keywords: run on every text file.
    always: Vec<usize>,
    allow: Vec<AllowRule>,
    low_confidence_skip: regex::Regex,
    max_file_size: u64,
}

/// A YAML custom rules file (see docs/secrets.md). Keys follow Trivy's
/// `trivy-secret.yaml` so existing files mostly carry over.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CustomRulesFile {
    #[serde(default)]
    pub rules: Vec<CustomRule>,
    #[serde(default)]
    pub allow_rules: Vec<CustomAllowRule>,
    /// Builtin or custom rule ids to turn off.
    #[serde(default)]
    pub disable_rules: Vec<String>,
    /// Builtin allow rule ids to turn off (e.g. `doc-and-man-pages`).
    #[serde(default)]
    pub disable_allow_rules: Vec<String>,
    /// When set, only these builtin rules stay on (custom rules always do).
    #[serde(default)]
    pub enable_builtin_rules: Option<Vec<String>>,
    /// Size cap in bytes for [`SecretScanner::wants`].
    #[serde(default)]
    pub max_file_size: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CustomRule {
    pub id: String,
    #[serde(default)]
    pub category: Option<String>,
    pub title: String,
    pub severity: Severity,
    /// Regex (Rust `regex` syntax, over bytes). The named group `secret` (or
    /// `secret-group-name`) is the secret; otherwise the whole match.
    pub regex: String,
    #[serde(default)]
    pub secret_group_name: Option<String>,
    /// Lower-case keywords; the regex runs only on files containing one. An
    /// empty list runs the regex on every text file.
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Regex on the path (without leading `/`) the rule is limited to.
    #[serde(default)]
    pub path: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CustomAllowRule {
    pub id: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Regex on the path (without leading `/`).
    #[serde(default)]
    pub path: Option<String>,
    /// Regex on the secret value.
    #[serde(default)]
    pub regex: Option<String>,
}

/// Builtin allow rules: paths whose content is documentation, public
/// material or package test fixtures.
const BUILTIN_ALLOW: &[(&str, &str)] = &[
    (
        "doc-and-man-pages",
        r"^usr/(?:local/)?share/(?:doc|man|info|locale|common-licenses|i18n|zoneinfo|gtk-doc|help|licenses)/",
    ),
    (
        "public-certificates",
        r"^(?:usr/share/ca-certificates|etc/ssl/certs|etc/pki/ca-trust|etc/pki/tls/certs|usr/share/pki|usr/local/share/ca-certificates)/",
    ),
    (
        "python-test-fixtures",
        r"(?:^|/)(?:site|dist)-packages/(?:.*/)?(?:tests?|testing|test_data|testdata)/|^usr/(?:local/)?lib/python[0-9.]+/test/",
    ),
    (
        "node-test-fixtures",
        r"(?:^|/)node_modules/(?:.*/)?(?:test|tests|__tests__|__fixtures__|fixtures?|examples?|spec|docs?)/",
    ),
    (
        "go-testdata",
        r"(?:^|/)(?:go/src|pkg/mod|vendor)/(?:.*/)?testdata/",
    ),
    (
        "ruby-test-fixtures",
        r"(?:^|/)gems/[^/]+/(?:test|spec|examples?)/",
    ),
    ("pseudo-filesystems", r"^(?:proc|sys|dev)/"),
];

/// File name endings of formats that never hold text secrets in a form the
/// rules could read (compressed, compiled, media).
const BINARY_SUFFIXES: &[&str] = &[
    ".gz", ".tgz", ".xz", ".bz2", ".zst", ".lz4", ".zip", ".jar", ".war", ".whl", ".egg", ".deb",
    ".rpm", ".apk", ".7z", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".webp", ".bmp", ".tiff",
    ".mp3", ".mp4", ".ogg", ".woff", ".woff2", ".ttf", ".otf", ".pyc", ".pyo", ".class", ".o",
    ".a", ".so", ".mo", ".db", ".sqlite", ".cache",
];

impl SecretScanner {
    /// The builtin rules and allow rules.
    pub fn builtin() -> Self {
        Self::build(&CustomRulesFile::default())
            .unwrap_or_else(|e| unreachable!("builtin secret rules compile: {e}"))
    }

    /// The builtin rules changed by a YAML custom rules file (added rules,
    /// disabled rules, extra allow rules, size cap).
    pub fn with_custom_rules(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_yaml(&text, &path.display().to_string())
    }

    /// Like [`Self::with_custom_rules`] from YAML text; `origin` names the
    /// source in errors.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Self, Error> {
        let file: CustomRulesFile = if text.trim().is_empty() {
            CustomRulesFile::default()
        } else {
            serde_yaml::from_str(text).map_err(|e| Error::Rules {
                path: origin.to_string(),
                message: e.to_string(),
            })?
        };
        Self::build_from(&file, origin)
    }

    fn build(file: &CustomRulesFile) -> Result<Self, Error> {
        Self::build_from(file, "builtin rules")
    }

    fn build_from(file: &CustomRulesFile, origin: &str) -> Result<Self, Error> {
        let disabled: HashSet<&str> = file.disable_rules.iter().map(String::as_str).collect();
        let enabled: Option<HashSet<&str>> = file
            .enable_builtin_rules
            .as_ref()
            .map(|v| v.iter().map(String::as_str).collect());
        let mut rules = Vec::new();
        let mut keywords: Vec<(String, usize)> = Vec::new();
        for b in BUILTIN {
            if disabled.contains(b.id) || enabled.as_ref().is_some_and(|e| !e.contains(b.id)) {
                continue;
            }
            let idx = rules.len();
            rules.push(compile_builtin(b)?);
            keywords.extend(b.keywords.iter().map(|k| (k.to_string(), idx)));
        }
        let mut seen: HashSet<String> = rules.iter().map(|r| r.id.clone()).collect();
        for c in &file.rules {
            if disabled.contains(c.id.as_str()) {
                continue;
            }
            if c.id.trim().is_empty() {
                return Err(Error::Rules {
                    path: origin.to_string(),
                    message: "a rule has an empty id".into(),
                });
            }
            if !seen.insert(c.id.clone()) {
                return Err(Error::Rules {
                    path: origin.to_string(),
                    message: format!("rule id {:?} is defined twice", c.id),
                });
            }
            let idx = rules.len();
            rules.push(compile_custom(c, origin)?);
            keywords.extend(c.keywords.iter().map(|k| (k.to_ascii_lowercase(), idx)));
        }

        let mut allow = Vec::new();
        for (id, p) in BUILTIN_ALLOW {
            if file.disable_allow_rules.iter().any(|d| d == id) {
                continue;
            }
            allow.push(AllowRule {
                id: (*id).to_string(),
                path: Some(compile_path(p, id, origin)?),
                regex: None,
            });
        }
        for a in &file.allow_rules {
            if a.path.is_none() && a.regex.is_none() {
                return Err(Error::Rules {
                    path: origin.to_string(),
                    message: format!("allow rule {:?} has neither path nor regex", a.id),
                });
            }
            allow.push(AllowRule {
                id: a.id.clone(),
                path: a
                    .path
                    .as_deref()
                    .map(|p| compile_path(p, &a.id, origin))
                    .transpose()?,
                regex: a
                    .regex
                    .as_deref()
                    .map(|r| compile_bytes(r, &a.id, origin))
                    .transpose()?,
            });
        }

        // Keyword -> rules, deduplicated keywords.
        let mut uniq: Vec<String> = Vec::new();
        let mut pattern_rules: Vec<Vec<usize>> = Vec::new();
        for (kw, idx) in keywords {
            if kw.is_empty() {
                continue;
            }
            match uniq.iter().position(|k| *k == kw) {
                Some(p) => {
                    if let Some(v) = pattern_rules.get_mut(p) {
                        v.push(idx)
                    }
                }
                None => {
                    uniq.push(kw);
                    pattern_rules.push(vec![idx]);
                }
            }
        }
        for (i, r) in rules.iter_mut().enumerate() {
            r.keyworded = pattern_rules.iter().any(|v| v.contains(&i));
        }
        let always = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.keyworded)
            .map(|(i, _)| i)
            .collect();
        let prefilter = if uniq.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(&uniq)
                    .map_err(|e| Error::Rules {
                        path: origin.to_string(),
                        message: format!("keyword prefilter: {e}"),
                    })?,
            )
        };
        Ok(SecretScanner {
            rules,
            prefilter,
            pattern_rules,
            always,
            allow,
            low_confidence_skip: compile_path(LOW_CONFIDENCE_SKIP, "low-confidence-skip", origin)?,
            max_file_size: file.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE),
        })
    }

    /// Ids of the active rules, in evaluation order.
    pub fn rule_ids(&self) -> Vec<&str> {
        self.rules.iter().map(|r| r.id.as_str()).collect()
    }

    /// The size cap in bytes.
    pub fn max_file_size(&self) -> u64 {
        self.max_file_size
    }

    /// A digest of everything that decides this scanner's results (rules,
    /// allow rules, size cap, crate version): results cached under it stay
    /// valid while it is unchanged.
    pub fn fingerprint(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        env!("CARGO_PKG_VERSION").hash(&mut h);
        format!("{:?}", self.rules).hash(&mut h);
        format!("{:?}", self.allow).hash(&mut h);
        self.low_confidence_skip.as_str().hash(&mut h);
        self.max_file_size.hash(&mut h);
        format!("{:016x}", h.finish())
    }

    /// Whether a file is worth reading: not over the size cap, not on an
    /// allow-listed path, not a known binary format by name. The image side
    /// calls this before reading the file's bytes out of the layer.
    pub fn wants(&self, path: &str, size: u64) -> bool {
        if size == 0 || size > self.max_file_size {
            return false;
        }
        let p = normalise(path);
        let lower = p.to_ascii_lowercase();
        let name = lower.rsplit('/').next().unwrap_or(&lower);
        if BINARY_SUFFIXES.iter().any(|s| name.ends_with(s)) || name.contains(".so.") {
            return false;
        }
        !self.path_allowed(p)
    }

    /// True when an allow rule without a secret regex covers the whole path.
    fn path_allowed(&self, normalised: &str) -> bool {
        self.allow
            .iter()
            .any(|a| a.regex.is_none() && a.path.as_ref().is_some_and(|p| p.is_match(normalised)))
    }

    /// Scans one file's bytes. Binary data (a NUL byte in the first 8 KiB)
    /// and allow-listed paths give no findings. Invalid UTF-8 is fine; every
    /// regex runs in time linear in the input.
    pub fn scan(&self, path: &str, data: &[u8]) -> Vec<SecretMatch> {
        if self.path_allowed(normalise(path)) || is_binary(data) {
            return Vec::new();
        }
        self.scan_bytes(path, data, 1, data.len())
    }

    /// Scans a text that is not a file: an image config value. `location` is
    /// the reported path (`config:Env`, `config:history[3]`...). Path-limited
    /// rules and path allow rules do not apply.
    pub fn scan_text(&self, location: &str, text: &str) -> Vec<SecretMatch> {
        self.scan_bytes(location, text.as_bytes(), 1, text.len())
    }

    /// Scans a stream in chunks with bounded memory: at most `max_bytes`
    /// bytes are read (pass [`Self::max_file_size`] for the usual cap); the
    /// rest of the stream is left unread. Returns the findings and whether
    /// the stream was cut short. A binary first chunk stops the scan.
    pub fn scan_reader<R: Read>(
        &self,
        path: &str,
        mut reader: R,
        max_bytes: u64,
    ) -> std::io::Result<(Vec<SecretMatch>, bool)> {
        if self.path_allowed(normalise(path)) {
            return Ok((Vec::new(), false));
        }
        let mut out = Vec::new();
        let mut buf: Vec<u8> = Vec::with_capacity(READ_CHUNK + CHUNK_OVERLAP);
        let mut total: u64 = 0;
        let mut base_line: u32 = 1;
        let mut first = true;
        let mut truncated = false;
        loop {
            // Fill the buffer up to CHUNK new bytes.
            let keep = buf.len();
            let budget = max_bytes.saturating_sub(total);
            let want = (READ_CHUNK as u64).min(budget) as usize;
            let mut eof = false;
            if want == 0 {
                truncated = probe_more(&mut reader)?;
                eof = true;
            } else {
                buf.resize(keep + want, 0);
                let mut filled = keep;
                while filled < keep + want {
                    match reader.read(&mut buf[filled..keep + want]) {
                        Ok(0) => {
                            eof = true;
                            break;
                        }
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                buf.truncate(filled);
                total += (filled - keep) as u64;
                if !eof && total >= max_bytes {
                    truncated = probe_more(&mut reader)?;
                    eof = true;
                }
            }
            if first {
                first = false;
                if is_binary(&buf) {
                    return Ok((Vec::new(), false));
                }
            }
            // Report matches starting before `limit`; the overlap tail is
            // scanned again with the next chunk.
            let limit = if eof {
                buf.len()
            } else {
                buf.len().saturating_sub(CHUNK_OVERLAP)
            };
            if out.len() < MAX_MATCHES_PER_FILE {
                let mut found = self.scan_bytes(path, &buf, base_line, limit);
                found.truncate(MAX_MATCHES_PER_FILE - out.len());
                out.extend(found);
            }
            if eof {
                return Ok((out, truncated));
            }
            let consumed = &buf[..limit];
            let nl = memchr::memchr_iter(b'\n', consumed).count();
            base_line = base_line.saturating_add(u32::try_from(nl).unwrap_or(u32::MAX));
            buf.drain(..limit);
        }
    }

    /// Core scan: findings for matches starting before `report_before`.
    fn scan_bytes(
        &self,
        path: &str,
        data: &[u8],
        base_line: u32,
        report_before: usize,
    ) -> Vec<SecretMatch> {
        let norm = normalise(path);
        let candidates = self.candidates(data);
        let skip_low = self.low_confidence_skip.is_match(norm);
        let mut raw: Vec<Raw> = Vec::new();
        'rules: for &ri in &candidates {
            let Some(rule) = self.rules.get(ri) else {
                continue;
            };
            if rule.low_confidence && skip_low {
                continue;
            }
            if let Some(p) = &rule.path {
                if !p.is_match(norm) {
                    continue;
                }
            }
            for caps in rule.regex.captures_iter(data) {
                let Some(whole) = caps.get(0) else { continue };
                if whole.start() >= report_before {
                    break;
                }
                let secret = rule.secret_group.and_then(|g| caps.get(g)).unwrap_or(whole);
                if secret.as_bytes().is_empty() {
                    continue;
                }
                let suffix = rule
                    .suffix_group
                    .and_then(|g| caps.get(g))
                    .map(|m| m.as_bytes())
                    .unwrap_or(b"");
                let quoted = caps.name("q").is_some();
                if !self.accept(
                    rule,
                    norm,
                    secret.as_bytes(),
                    whole.as_bytes(),
                    suffix,
                    quoted,
                ) {
                    continue;
                }
                raw.push(Raw {
                    rule: ri,
                    start: whole.start(),
                    s_start: secret.start(),
                    s_end: secret.end(),
                });
                if raw.len() >= MAX_MATCHES_PER_FILE * 2 {
                    break 'rules;
                }
            }
        }
        dedupe(&mut raw, &self.rules);
        raw.truncate(MAX_MATCHES_PER_FILE);

        // Line numbers in one forward pass.
        raw.sort_by_key(|r| (r.start, r.rule));
        let spans: Vec<(usize, usize, String)> = raw
            .iter()
            .map(|r| {
                let s = data.get(r.s_start..r.s_end).unwrap_or(b"");
                (r.s_start, r.s_end, redact(s))
            })
            .collect();
        let mut by_secret = spans.clone();
        by_secret.sort_by_key(|s| (s.0, s.1));
        let mut out = Vec::with_capacity(raw.len());
        let mut line = base_line;
        let mut pos = 0usize;
        for (r, (_, _, red)) in raw.iter().zip(spans.iter()) {
            let Some(rule) = self.rules.get(r.rule) else {
                continue;
            };
            let upto = r.start.max(pos);
            if let Some(seg) = data.get(pos..upto) {
                let n = memchr::memchr_iter(b'\n', seg).count();
                line = line.saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
            }
            pos = upto;
            out.push(SecretMatch {
                rule_id: rule.id.clone(),
                category: rule.category.clone(),
                severity: rule.severity,
                title: rule.title.clone(),
                path: path.to_string(),
                line,
                redacted: red.clone(),
                context: context(data, r.start, &by_secret),
                layer: None,
                deleted_in_layer: None,
            });
        }
        out
    }

    /// Rules whose keywords occur in `data` (plus keyword-less rules), in
    /// rule order.
    fn candidates(&self, data: &[u8]) -> Vec<usize> {
        let mut hit = vec![false; self.rules.len()];
        let mut remaining = self.rules.len() - self.always.len();
        for &i in &self.always {
            if let Some(h) = hit.get_mut(i) {
                *h = true;
            }
        }
        if let Some(ac) = &self.prefilter {
            let mut pattern_seen = vec![false; self.pattern_rules.len()];
            for m in ac.find_overlapping_iter(data) {
                let p = m.pattern().as_usize();
                if pattern_seen.get(p).copied().unwrap_or(true) {
                    continue;
                }
                if let Some(s) = pattern_seen.get_mut(p) {
                    *s = true;
                }
                for &ri in self.pattern_rules.get(p).map(Vec::as_slice).unwrap_or(&[]) {
                    if let Some(h) = hit.get_mut(ri) {
                        if !*h {
                            *h = true;
                            remaining = remaining.saturating_sub(1);
                        }
                    }
                }
                if remaining == 0 {
                    break;
                }
            }
        }
        hit.iter()
            .enumerate()
            .filter(|(_, h)| **h)
            .map(|(i, _)| i)
            .collect()
    }

    fn accept(
        &self,
        rule: &Rule,
        norm: &str,
        secret: &[u8],
        whole: &[u8],
        suffix: &[u8],
        quoted: bool,
    ) -> bool {
        if rule.min_entropy > 0.0 && shannon(secret) < rule.min_entropy {
            return false;
        }
        if is_placeholder(secret) {
            return false;
        }
        let ok = match rule.check {
            Check::None => true,
            Check::Jwt => jwt_ok(secret),
            Check::BasicAuthBase64 => basic_auth_ok(secret),
            Check::Generic => generic_ok(secret, suffix, quoted, norm),
            Check::UrlPassword => url_password_ok(secret, whole),
        };
        if !ok {
            return false;
        }
        !self.allow.iter().any(|a| {
            a.regex.as_ref().is_some_and(|re| re.is_match(secret))
                && a.path.as_ref().is_none_or(|p| p.is_match(norm))
        })
    }

    /// Ids of the allow rules (builtin and custom), for documentation and
    /// `disable-allow-rules`.
    pub fn allow_rule_ids(&self) -> Vec<&str> {
        self.allow.iter().map(|a| a.id.as_str()).collect()
    }
}

#[derive(Debug, Clone, Copy)]
struct Raw {
    rule: usize,
    start: usize,
    s_start: usize,
    s_end: usize,
}

/// Drops duplicate findings: the same secret span found by two rules keeps
/// the first rule; a generic rule's finding overlapping a specific rule's is
/// dropped.
fn dedupe(raw: &mut Vec<Raw>, rules: &[Rule]) {
    let generic = |r: &Raw| rules.get(r.rule).is_some_and(|x| x.check == Check::Generic);
    let all = raw.clone();
    let mut keep = Vec::with_capacity(raw.len());
    for (i, r) in all.iter().enumerate() {
        let shadowed = all.iter().enumerate().any(|(j, o)| {
            if i == j || o.s_end <= r.s_start || o.s_start >= r.s_end {
                return false;
            }
            let same = o.s_start == r.s_start && o.s_end == r.s_end;
            match (generic(r), generic(o)) {
                (true, false) => true,
                (false, true) => false,
                _ => same && (o.rule < r.rule || (o.rule == r.rule && j < i)),
            }
        });
        if !shadowed {
            keep.push(*r);
        }
    }
    *raw = keep;
}

fn probe_more<R: Read>(reader: &mut R) -> std::io::Result<bool> {
    let mut one = [0u8; 1];
    loop {
        match reader.read(&mut one) {
            Ok(n) => return Ok(n > 0),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn compile_builtin(b: &Builtin) -> Result<Rule, Error> {
    let regex = compile_bytes(&crate::rules::ascii(b.regex), b.id, "builtin rules")?;
    let secret_group = group_index(&regex, "secret");
    let suffix_group = group_index(&regex, "suffix");
    Ok(Rule {
        id: b.id.to_string(),
        category: b.category.to_string(),
        title: b.title.to_string(),
        severity: b.severity,
        regex,
        secret_group,
        suffix_group,
        min_entropy: b.min_entropy,
        path: b
            .path
            .map(|p| compile_path(p, b.id, "builtin rules"))
            .transpose()?,
        check: b.check,
        low_confidence: b.low_confidence,
        keyworded: false,
    })
}

fn compile_custom(c: &CustomRule, origin: &str) -> Result<Rule, Error> {
    let regex = compile_bytes(&c.regex, &c.id, origin)?;
    let name = c.secret_group_name.as_deref().unwrap_or("secret");
    let secret_group = group_index(&regex, name);
    if c.secret_group_name.is_some() && secret_group.is_none() {
        return Err(Error::Rules {
            path: origin.to_string(),
            message: format!("rule {:?}: regex has no group named {name:?}", c.id),
        });
    }
    Ok(Rule {
        id: c.id.clone(),
        category: c.category.clone().unwrap_or_else(|| "Custom".to_string()),
        title: c.title.clone(),
        severity: c.severity,
        regex,
        secret_group,
        suffix_group: None,
        min_entropy: c.min_entropy.unwrap_or(0.0),
        path: c
            .path
            .as_deref()
            .map(|p| compile_path(p, &c.id, origin))
            .transpose()?,
        check: Check::None,
        low_confidence: false,
        keyworded: false,
    })
}

fn group_index(re: &Regex, name: &str) -> Option<usize> {
    re.capture_names().position(|n| n == Some(name))
}

fn compile_bytes(pattern: &str, id: &str, origin: &str) -> Result<Regex, Error> {
    RegexBuilder::new(pattern)
        .size_limit(32 << 20)
        .dfa_size_limit(8 << 20)
        .build()
        .map_err(|e| Error::Regex {
            path: origin.to_string(),
            id: id.to_string(),
            message: e.to_string(),
        })
}

fn compile_path(pattern: &str, id: &str, origin: &str) -> Result<regex::Regex, Error> {
    regex::Regex::new(pattern).map_err(|e| Error::Regex {
        path: origin.to_string(),
        id: id.to_string(),
        message: e.to_string(),
    })
}

/// Path without leading `/` or `./`.
pub(crate) fn normalise(path: &str) -> &str {
    let mut p = path;
    loop {
        if let Some(r) = p.strip_prefix("./") {
            p = r;
        } else if let Some(r) = p.strip_prefix('/') {
            p = r;
        } else {
            return p;
        }
    }
}

/// A NUL byte in the first [`BINARY_SNIFF_LEN`] bytes, as git and ripgrep
/// decide.
pub fn is_binary(data: &[u8]) -> bool {
    let head = data.get(..BINARY_SNIFF_LEN).unwrap_or(data);
    memchr::memchr(0, head).is_some()
}

/// Shannon entropy in bits per byte.
pub fn shannon(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in data {
        if let Some(c) = counts.get_mut(usize::from(b)) {
            *c += 1;
        }
    }
    let n = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

pub(crate) fn is_placeholder_text(s: &str) -> bool {
    is_placeholder(s.as_bytes())
}

/// Values that are documentation placeholders, not secrets.
fn is_placeholder(secret: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(secret).to_ascii_lowercase();
    const MARKERS: &[&str] = &[
        "example",
        "sample",
        "dummy",
        "placeholder",
        "changeme",
        "change_me",
        "your_",
        "your-",
        "yourkey",
        "xxxxxx",
        "******",
        "......",
        "<",
        ">",
        "{{",
        "${",
        "$(",
        "redacted",
        "insert",
        "replace",
        "fake",
        "notreal",
        "not_real",
        "todo",
    ];
    if MARKERS.iter().any(|m| lower.contains(m)) {
        return true;
    }
    let distinct: HashSet<u8> = secret.iter().copied().collect();
    distinct.len() <= 2
}

/// Source files, where an unquoted value after `key:`/`key =` is code (a
/// type, a variable, a constant), not a literal.
const CODE_EXTENSIONS: &[&str] = &[
    "c", "h", "cc", "cpp", "hpp", "rs", "go", "java", "kt", "scala", "py", "js", "mjs", "cjs",
    "ts", "tsx", "jsx", "rb", "php", "cs", "swift", "m", "pl", "pm", "lua", "dart", "groovy",
];

fn generic_ok(secret: &[u8], suffix: &[u8], quoted: bool, norm: &str) -> bool {
    let name = norm.rsplit('/').next().unwrap_or(norm);
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    if !quoted && ext.is_some_and(|e| CODE_EXTENSIONS.contains(&e.as_str())) {
        return false;
    }
    let suffix = String::from_utf8_lossy(suffix).to_ascii_lowercase();
    const NOT_SECRET: &[&str] = &[
        "name", "file", "path", "dir", "type", "len", "size", "url", "uri", "hash", "count",
        "format", "field", "prefix", "header", "kind", "expir", "ttl", "time", "mode", "id",
        "policy", "length", "env", "ref", "endpoint", "version", "_t", "cmd", "command",
    ];
    if NOT_SECRET.iter().any(|w| suffix.contains(w)) {
        return false;
    }
    let digits = secret.iter().filter(|c| c.is_ascii_digit()).count();
    let letters = secret.iter().filter(|c| c.is_ascii_alphabetic()).count();
    let specials = secret.len() - digits - letters;
    if letters == 0 || !(digits >= 2 || (digits >= 1 && specials >= 1)) {
        return false;
    }
    // Paths, flags, references.
    if secret
        .first()
        .is_some_and(|c| matches!(c, b'/' | b'.' | b'-' | b'%' | b'@' | b'*'))
        || secret.windows(2).any(|w| w == b"::" || w == b"..")
    {
        return false;
    }
    let text = String::from_utf8_lossy(secret);
    // Dotted identifiers: `self.cfg.key2`, `ed25519.Ed25519PrivateKey`.
    if text.contains('.')
        && text.split('.').all(|seg| {
            seg.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    {
        return false;
    }
    // CamelCase type names (`V1ServiceAccountTokenProjection`) and
    // snake_case / SCREAMING_SNAKE identifiers (`MSV1_0_LOOKUP_TOKEN`).
    if camel_case(&text) || snake_identifier(&text) {
        return false;
    }
    // Resource paths: `projects/my-project/secrets/x`.
    if text.contains('/')
        && text.split('/').any(|seg| {
            seg.len() >= 4
                && seg
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_')
        })
    {
        return false;
    }
    true
}

/// `a_b_c` or `A_B_C` words: every `_`-separated part is single-case.
fn snake_identifier(s: &str) -> bool {
    s.contains('_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.split('_').all(|seg| {
            !(seg.chars().any(|c| c.is_ascii_uppercase())
                && seg.chars().any(|c| c.is_ascii_lowercase()))
        })
}

/// Two or more capitalised words (digits allowed) and nothing else.
fn camel_case(s: &str) -> bool {
    if !s.chars().all(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    let mut words = 0;
    let mut prev_upper = false;
    let mut run_upper = 0;
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            if !prev_upper {
                words += 1;
            }
            run_upper += 1;
            if run_upper > 2 {
                return false;
            }
        } else {
            run_upper = 0;
        }
        prev_upper = c.is_ascii_uppercase();
    }
    // Random strings have many short upper-case runs; words have few.
    let lower = s.chars().filter(char::is_ascii_lowercase).count();
    words >= 2 && lower >= 4 * words
}

fn url_password_ok(secret: &[u8], whole: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(secret).to_ascii_lowercase();
    const WORDS: &[&str] = &[
        "password",
        "passwd",
        "pass",
        "pwd",
        "secret",
        "pw",
        "pword",
        "mypassword",
        "mysecret",
        "token",
        "authtoken",
        "auth",
        "none",
        "null",
        "true",
        "false",
    ];
    if WORDS.contains(&lower.as_str()) {
        return false;
    }
    if secret
        .first()
        .is_some_and(|c| matches!(c, b'$' | b'%' | b'{' | b'<' | b':' | b'['))
        || lower.contains("%s")
        || lower.contains("%(")
        || lower.contains("$")
    {
        return false;
    }
    let whole_lower = String::from_utf8_lossy(whole).to_ascii_lowercase();
    !(whole_lower.contains("@example.")
        || whole_lower.contains("@host")
        || whole_lower.contains("@localhost/")
        || whole_lower.contains("user:pass"))
}

fn jwt_ok(secret: &[u8]) -> bool {
    let Some(head) = secret.split(|&c| c == b'.').next() else {
        return false;
    };
    let Some(decoded) = b64_decode(head, true) else {
        return false;
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&decoded) else {
        return false;
    };
    v.get("alg").is_some()
}

fn basic_auth_ok(secret: &[u8]) -> bool {
    let Some(decoded) = b64_decode(secret, false) else {
        return false;
    };
    let Ok(s) = std::str::from_utf8(&decoded) else {
        return false;
    };
    if s.chars().any(char::is_control) {
        return false;
    }
    match s.split_once(':') {
        Some((u, p)) => !u.is_empty() && p.len() >= 3 && !is_placeholder(p.as_bytes()),
        None => false,
    }
}

/// Base64 (standard or URL-safe alphabet), padding optional.
pub(crate) fn b64_decode(input: &[u8], url: bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &c in input {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' if !url => 62,
            b'/' if !url => 63,
            b'-' if url => 62,
            b'_' if url => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The secret with only a short prefix visible: at most 4 characters and
/// at most a fifth of it, then one `*` per hidden character (at most 32).
pub fn redact(secret: &[u8]) -> String {
    let s = String::from_utf8_lossy(secret);
    let n = s.chars().count();
    let visible = (n / 5).min(4);
    let mut out: String = s.chars().take(visible).collect();
    let stars = (n - visible).clamp(1, 32);
    out.extend(std::iter::repeat_n('*', stars));
    out
}

/// The line around `at`, at most [`MAX_CONTEXT_CHARS`] characters, with every
/// secret span replaced by its redaction.
fn context(data: &[u8], at: usize, spans: &[(usize, usize, String)]) -> String {
    let at = at.min(data.len());
    let line_start = memchr::memrchr(b'\n', data.get(..at).unwrap_or(b""))
        .map(|i| i + 1)
        .unwrap_or(0);
    let line_end = memchr::memchr(b'\n', data.get(at..).unwrap_or(b""))
        .map(|i| at + i)
        .unwrap_or(data.len());
    let win_start = line_start.max(at.saturating_sub(60));
    let win_end = line_end.min(at.saturating_add(400));
    let mut out = String::new();
    let mut pos = win_start;
    for (s, e, red) in spans {
        if *e <= win_start || *s >= win_end {
            continue;
        }
        if *s > pos {
            out.push_str(&String::from_utf8_lossy(data.get(pos..*s).unwrap_or(b"")));
        }
        if *s >= pos {
            out.push_str(red);
        }
        pos = pos.max(*e);
    }
    if pos < win_end {
        out.push_str(&String::from_utf8_lossy(
            data.get(pos..win_end).unwrap_or(b""),
        ));
    }
    let cleaned: String = out
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_CONTEXT_CHARS)
        .collect();
    cleaned.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_never_shows_a_whole_secret() {
        for s in [
            "a",
            "ab",
            "abcd",
            "abcdefgh",
            "0123456789abcdef0123456789abcdef",
        ] {
            let r = redact(s.as_bytes());
            assert!(r.contains('*'), "{r}");
            assert!(!r.contains(s) || s.is_empty(), "{s} -> {r}");
            let shown = r.trim_end_matches('*').chars().count();
            assert!(shown <= 4 && shown * 5 <= s.len(), "{s} -> {r}");
        }
    }

    #[test]
    fn json_field_names_for_the_report() {
        let m = SecretMatch {
            rule_id: "github-pat".into(),
            category: "GitHub".into(),
            severity: Severity::Critical,
            title: "t".into(),
            path: "app/x".into(),
            line: 3,
            redacted: "ghp_****".into(),
            context: "x=ghp_****".into(),
            layer: Some("sha256:aa".into()),
            deleted_in_layer: Some("sha256:bb".into()),
        };
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v["rule_id"], "github-pat");
        assert_eq!(v["severity"], "CRITICAL");
        assert_eq!(v["path"], "app/x");
        assert_eq!(v["layer"], "sha256:aa");
        assert_eq!(v["deleted_in_layer"], "sha256:bb");
        let mut none = m.clone();
        none.layer = None;
        none.deleted_in_layer = None;
        let v = serde_json::to_value(&none).unwrap();
        assert!(v.get("deleted_in_layer").is_none());
    }

    #[test]
    fn normalise_and_binary_sniff() {
        assert_eq!(normalise("/./etc/x"), "etc/x");
        assert_eq!(normalise("./a"), "a");
        assert!(is_binary(b"ab\0c"));
        assert!(!is_binary(b"abc"));
        let mut late = vec![b'a'; BINARY_SNIFF_LEN];
        late.push(0);
        assert!(!is_binary(&late));
    }

    #[test]
    fn entropy_and_base64() {
        assert!(shannon(b"aaaaaaaa") < 0.01);
        assert!((shannon(b"abcd") - 2.0).abs() < 1e-9);
        assert_eq!(b64_decode(b"dXNlcjpwYXNz", false).unwrap(), b"user:pass");
        assert_eq!(
            b64_decode(b"eyJhbGciOiJIUzI1NiJ9", true).unwrap(),
            br#"{"alg":"HS256"}"#
        );
        assert!(b64_decode(b"!!", false).is_none());
    }

    #[test]
    fn scanner_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<SecretScanner>();
    }
}
