//! `seawall runtime replay|watch`.

use clap::Subcommand;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Subcommand, Debug)]
enum Sub {
    /// Replay a recorded JSON-lines event stream through the rules
    Replay(super::runtime_replay::Args),
    /// Watch live syscalls with the eBPF sensor (root)
    Watch(super::runtime_watch::Args),
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    match args.command {
        Sub::Replay(a) => super::runtime_replay::run(a),
        Sub::Watch(a) => super::runtime_watch::run(a),
    }
}
