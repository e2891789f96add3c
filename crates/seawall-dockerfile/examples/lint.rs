//! Minimal driver: `cargo run -p seawall-dockerfile --example lint -- FILE...`
//! prints every finding as `file:line id severity message` (used by the
//! benchmark when no `seawall` binary is given).

use std::process::ExitCode;

fn main() -> ExitCode {
    let cfg = seawall_dockerfile::Config::default();
    let mut failed = false;
    for arg in std::env::args_os().skip(1) {
        let path = std::path::PathBuf::from(arg);
        match seawall_dockerfile::lint_file(&path, &cfg) {
            Ok(found) => {
                for m in found {
                    println!(
                        "{}:{} {} {} {}",
                        m.file, m.line, m.id, m.severity, m.message
                    );
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
