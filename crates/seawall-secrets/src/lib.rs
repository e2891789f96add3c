//! Secret detection and image hygiene checks for seawall.
//!
//! Pure logic over bytes: nothing here reads an image. The image side walks
//! every file of every layer and calls this crate.
//!
//! * [`SecretScanner`]: compiled secret rules (see `docs/secrets.md`). An
//!   aho-corasick keyword prefilter decides which rules' regexes run on a
//!   file at all. Binary files (NUL in the first 8 KiB) are skipped, files
//!   over the size cap are not wanted ([`SecretScanner::wants`]), allow-listed
//!   paths (`/usr/share/doc`, package test fixtures, public certificates)
//!   give nothing, and output is redacted ([`SecretMatch::redacted`] never
//!   holds a whole secret). All regexes run in linear time
//!   (Rust `regex`), so invalid UTF-8 or one 100 MB line cost no more than
//!   their size.
//! * [`audit_config`]: checks of an OCI/Docker image config JSON (root user,
//!   `:latest`, no HEALTHCHECK, remote `ADD`, secrets in ENV/ARG/history,
//!   EXPOSE 22) giving [`seawall_types::Misconfig`] with stable ids
//!   `SW-IMG-0NN`, a why and a fix. [`scan_config_secrets`] gives the
//!   `secrets[]` entries for `config:Env`, `config:history[N]` and
//!   `config:Labels`.
//! * [`FileAudit`]: checks over file metadata of the final (merged) file
//!   system: sudo, setuid/setgid beyond the distribution's defaults,
//!   world-writable directories without sticky bit, shell and package
//!   manager present.
//! * [`mark_deleted`]: sets [`SecretMatch::deleted_in_layer`] from the
//!   later layers' whiteouts ([`LayerWhiteouts::from_entries`]).
//! * [`advice`]: per-layer package/size/vulnerability figures and what a
//!   minimal or distroless base would remove.
//!
//! Typical use by the image side:
//!
//! ```no_run
//! use seawall_secrets::SecretScanner;
//! let scanner = SecretScanner::builtin();
//! # let (path, size, bytes) = ("etc/app.env", 12u64, b"x".to_vec());
//! if scanner.wants(path, size) {
//!     for mut m in scanner.scan(path, &bytes) {
//!         m.layer = Some("sha256:...".into());
//!         // m.deleted_in_layer = Some(..) when a later whiteout removed it
//!     }
//! }
//! ```

pub mod advice;
mod config;
mod files;
mod layers;
mod rules;
mod scanner;

pub use advice::{base_image_advice, BaseImageAdvice, LayerInfo, LayerStat, SlimTarget};
pub use config::{audit_config, audit_config_with, scan_config_secrets, ImageConfig};
pub use files::{default_setuid, FileAudit, ImageFile};
pub use layers::{mark_deleted, LayerWhiteouts};
pub use scanner::{
    is_binary, redact, shannon, CustomAllowRule, CustomRule, CustomRulesFile, SecretMatch,
    SecretScanner, BINARY_SNIFF_LEN, CHUNK_OVERLAP, DEFAULT_MAX_FILE_SIZE, MAX_MATCHES_PER_FILE,
    READ_CHUNK,
};

/// The builtin rules' regexes, one per rule (for comparisons with other
/// tools such as ripgrep, which reads the same syntax).
pub fn builtin_patterns() -> Vec<String> {
    rules::BUILTIN
        .iter()
        .map(|b| rules::ascii(b.regex))
        .collect()
}

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read secret rules file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid secret rules file {path}: {message}")]
    Rules { path: String, message: String },
    #[error("secret rule {id:?} in {path}: invalid regex: {message}")]
    Regex {
        path: String,
        id: String,
        message: String,
    },
    #[error("invalid image config json: {0}")]
    Config(String),
}
