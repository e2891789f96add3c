//! `seawall sbom` without the rest of the CLI, for benchmarking the image
//! path alone: `sbom TARGET [CACHE_DIR|-]` writes CycloneDX to stdout.
//! (bench/sbom-vs-tar.sh accepts it through SEAWALL_BIN with
//! SEAWALL_BENCH_EXAMPLE=1.)

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let Some(target) = args.get(1) else {
        eprintln!("usage: sbom TARGET [CACHE_DIR|-]");
        return ExitCode::from(2);
    };
    let cache_dir = match args.get(2).map(String::as_str) {
        None => seawall_image::default_cache_dir(),
        Some("-") => None,
        Some(d) => Some(d.into()),
    };
    let opts = seawall_image::ScanOptions {
        cache_dir,
        ..Default::default()
    };
    match seawall_image::scan(target, &opts) {
        Ok(s) => {
            let sbom = seawall_sbom::Sbom {
                name: s.artifact.name,
                kind: s.artifact.kind.to_string(),
                image_id: s.artifact.image_id,
                os: s.os,
                packages: s.packages,
                created: None,
            };
            let mut out = std::io::stdout().lock();
            if seawall_sbom::write(&sbom, seawall_sbom::Format::CycloneDx, &mut out).is_err()
                || out.flush().is_err()
            {
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sbom: error: {e}");
            ExitCode::from(2)
        }
    }
}
