//! `seawall runtime replay` (not implemented yet).

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("`seawall runtime replay` is not implemented yet")
}
