//! Flags shared by every subcommand that reports findings, so `--severity`
//! and `--exit-code` mean the same thing everywhere.

use seawall_types::Severity;

/// `--severity LIST` and `--exit-code N`.
#[derive(clap::Args, Debug, Clone)]
pub struct FilterArgs {
    /// Severities to report, comma separated (UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)
    #[arg(long, value_delimiter = ',', value_parser = parse_severity, default_value = "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL")]
    pub severity: Vec<Severity>,
    /// Exit with this code when findings remain after filtering
    #[arg(long, default_value_t = 0)]
    pub exit_code: u8,
}

impl FilterArgs {
    pub fn wants(&self, s: Severity) -> bool {
        self.severity.contains(&s)
    }

    /// The exit code for a report with `remaining` findings.
    pub fn exit_for(&self, remaining: usize) -> u8 {
        if remaining > 0 {
            self.exit_code
        } else {
            0
        }
    }
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse::<Severity>().map_err(|e| e.to_string())
}
