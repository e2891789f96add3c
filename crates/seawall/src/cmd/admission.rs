//! `seawall admission serve|certs`: the Kubernetes admission webhook.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Subcommand;
use seawall_image::{Reference, ScanOptions};
use seawall_secrets::SecretScanner;
use seawall_types::Severity;
use seawall_webhook::gate::{ImageScanner, ScanSummary};

use crate::cmd::db::DbArgs;
use crate::cmd::image::{scan_image, Scanners, SourceArgs};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Subcommand, Debug)]
enum Sub {
    /// Serve /validate, /mutate, /healthz, /readyz and /metrics over HTTPS
    Serve(ServeArgs),
    /// Write a CA and a serving certificate for the webhook Service
    Certs(CertsArgs),
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Address to listen on
    #[arg(long, default_value = "0.0.0.0:8443")]
    listen: SocketAddr,
    /// PEM certificate chain (reloaded when the file changes)
    #[arg(long)]
    tls_cert: PathBuf,
    /// PEM private key (reloaded when the file changes)
    #[arg(long)]
    tls_key: PathBuf,
    /// Config file (YAML or JSON; reloaded when it changes). Without one:
    /// enforce baseline:latest and warn restricted:latest everywhere
    #[arg(long)]
    config: Option<PathBuf>,
    /// How the image gate (config `imageGate`) pulls images
    #[command(flatten)]
    source: SourceArgs,
    /// The image gate's vulnerability database (never updated by the server:
    /// run `seawall db update` beside it)
    #[command(flatten)]
    db: DbArgs,
}

#[derive(clap::Args, Debug)]
struct CertsArgs {
    /// Service name of the webhook
    #[arg(long)]
    service: String,
    /// Namespace of the Service
    #[arg(long)]
    namespace: String,
    /// Output directory for ca.crt, ca.key, tls.crt, tls.key
    #[arg(long, default_value = ".")]
    out_dir: PathBuf,
    /// Extra DNS names or IP addresses for the serving certificate
    #[arg(long = "san")]
    extra_sans: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    match args.command {
        Sub::Serve(a) => serve(a),
        Sub::Certs(a) => certs(a),
    }
}

fn serve(a: ServeArgs) -> anyhow::Result<u8> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let mut opts = seawall_webhook::ServerOptions::new(a.listen, a.tls_cert, a.tls_key);
        opts.config = a.config;
        opts.scanner = Some(Arc::new(GateScanner {
            opts: a.source.options(),
            db_dir: a.db.dir(),
            secrets: SecretScanner::builtin(),
        }));
        let server = seawall_webhook::start(opts)
            .await
            .context("starting the admission server")?;
        eprintln!("seawall admission: serving HTTPS on {}", server.addr);
        server.run_until_signal().await;
        eprintln!("seawall admission: stopped");
        Ok(0)
    })
}

fn certs(a: CertsArgs) -> anyhow::Result<u8> {
    let mut names = seawall_webhook::certs::service_names(&a.service, &a.namespace);
    names.extend(a.extra_sans);
    let files = seawall_webhook::certs::write_certs(&a.out_dir, &names)
        .with_context(|| format!("writing certificates to {}", a.out_dir.display()))?;
    println!(
        "wrote {} {} {} {} (SANs: {})",
        files.ca_cert.display(),
        files.ca_key.display(),
        files.cert.display(),
        files.key.display(),
        names.join(", ")
    );
    Ok(0)
}

/// The image gate's scanner: registry pulls with the image scanner, the
/// vulnerability database and the secret rules (`seawall image` with
/// `--scanners vuln,secret`).
struct GateScanner {
    opts: ScanOptions,
    db_dir: PathBuf,
    secrets: SecretScanner,
}

/// `image` pinned to `digest` (`host/repo@sha256:...`).
fn pinned(image: &str, digest: &str) -> Result<String, String> {
    let mut r = Reference::parse(image).map_err(|e| e.to_string())?;
    r.tag = None;
    r.digest = Some(digest.to_string());
    Ok(r.to_string())
}

impl ImageScanner for GateScanner {
    fn resolve(&self, image: &str) -> Result<String, String> {
        let a = seawall_image::describe(image, &self.opts).map_err(|e| e.to_string())?;
        a.manifest_digest
            .or(a.image_id)
            .ok_or_else(|| format!("{image}: the registry gave no digest"))
    }

    fn scan(&self, image: &str, digest: &str) -> Result<ScanSummary, String> {
        let db = seawall_vulndb::Db::open(&self.db_dir).map_err(|e| {
            format!(
                "vulnerability database {}: {e} (run `seawall db update`)",
                self.db_dir.display()
            )
        })?;
        let scanners = Scanners {
            vuln: true,
            secret: true,
            config: false,
        };
        let target = pinned(image, digest)?;
        let r = scan_image(&target, &self.opts, scanners, Some(&db), &self.secrets)
            .map_err(|e| format!("{e:#}"))?;
        let mut vulnerabilities: BTreeMap<Severity, usize> = BTreeMap::new();
        for f in &r.vuln.vulnerabilities {
            *vulnerabilities.entry(f.severity).or_default() += 1;
        }
        let mut worst: Vec<(Severity, &str)> = r
            .vuln
            .vulnerabilities
            .iter()
            .map(|f| (f.severity, f.id.as_str()))
            .collect();
        worst.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        worst.dedup_by(|a, b| a.1 == b.1);
        Ok(ScanSummary {
            digest: digest.to_string(),
            vulnerabilities,
            top_ids: worst
                .into_iter()
                .take(5)
                .map(|(_, id)| id.to_string())
                .collect(),
            secrets: r.secrets.len(),
        })
    }
}
