//! `seawall sbom TARGET`: CycloneDX 1.6 or SPDX 2.3 JSON for an image or a
//! directory.

use std::path::PathBuf;

use crate::cmd::image::{scan, write_output, SourceArgs};

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomFormat {
    Cyclonedx,
    Spdx,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// docker-archive:PATH, oci-archive:PATH, oci:DIR[:TAG], dir:PATH or HOST[:PORT]/REPO[:TAG|@sha256:..]
    pub target: String,
    /// SBOM format
    #[arg(long, value_enum, default_value = "cyclonedx")]
    pub format: SbomFormat,
    /// Write the SBOM to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub source: SourceArgs,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let s = scan(&args.target, &args.source)?;
    let sbom = seawall_sbom::Sbom {
        name: s.artifact.name,
        kind: s.artifact.kind.to_string(),
        image_id: s.artifact.image_id,
        os: s.os,
        packages: s.packages,
        created: None,
    };
    let format = match args.format {
        SbomFormat::Cyclonedx => seawall_sbom::Format::CycloneDx,
        SbomFormat::Spdx => seawall_sbom::Format::Spdx,
    };
    let mut buf = Vec::new();
    seawall_sbom::write(&sbom, format, &mut buf)?;
    write_output(args.output.as_deref(), &buf)?;
    Ok(0)
}
