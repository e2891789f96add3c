//! `seawall admission serve|certs`: the Kubernetes admission webhook.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;

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
