//! `seawall runtime watch` (not implemented yet).

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("`seawall runtime watch` is not implemented yet")
}
