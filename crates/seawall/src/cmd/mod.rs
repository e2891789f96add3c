//! One module per subcommand. Each exposes `Args` (clap) and
//! `run(Args) -> anyhow::Result<u8>` returning the process exit code.

pub mod admission;
pub mod common;
pub mod config;
pub mod db;
pub mod fs;
pub mod image;
pub mod rules;
pub mod runtime;
pub mod runtime_replay;
pub mod runtime_watch;
pub mod sbom;
