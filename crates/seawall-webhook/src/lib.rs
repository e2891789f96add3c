//! seawall's Kubernetes admission webhook.
//!
//! * [`review`]: AdmissionReview v1 in and out, and kube-apiserver's checks
//!   on responses ([`review::verify_response`]).
//! * [`decide`]: Pod Security Admission semantics (namespace labels,
//!   exemptions, significant updates, ignored subresources) plus seawall's
//!   own checks.
//! * [`gate`]: the image gate over cached scan results.
//! * [`mutate`]: secure defaults as an RFC 6902 patch.
//! * [`server`]: HTTPS (rustls, HTTP/1.1 and h2), hot reload, metrics,
//!   graceful shutdown.
//! * [`certs`]: CA and serving certificate generation.
//! * [`namespaces`]: namespace labels through the Kubernetes API, cached.
//!
//! The policy logic lives in `seawall-k8s`; this crate adds the HTTP side.

pub mod certs;
pub mod config;
pub mod decide;
pub mod gate;
pub mod metrics;
pub mod mutate;
pub mod namespaces;
pub mod podspec;
pub mod review;
pub mod server;

pub use config::Config;
pub use gate::{ImageScanner, ScanSummary};
pub use server::{start, RunningServer, ServerOptions};

/// Errors of the webhook crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("tls: {0}")]
    Tls(String),
    #[error("config {path}: {message}")]
    Config { path: String, message: String },
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("kubernetes api: {0}")]
    Kube(String),
}
