//! Shared domain data for seawall: package identity, operating system, severity
//! and misconfiguration findings. Serde only, no I/O, so every other crate can
//! depend on it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Severity shared by vulnerabilities, misconfigurations and secrets.
/// Ordered from least to most severe so `>=` thresholds work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Unknown,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// Parses a comma separated list such as `HIGH,CRITICAL` (the `--severity`
    /// flag, case-insensitive, as Trivy takes it).
    pub fn parse_list(s: &str) -> Result<Vec<Severity>, ParseSeverityError> {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(Severity::from_str)
            .collect()
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown severity {0:?} (expected UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL)")]
pub struct ParseSeverityError(pub String);

impl FromStr for Severity {
    type Err = ParseSeverityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "UNKNOWN" | "NONE" => Ok(Severity::Unknown),
            "LOW" => Ok(Severity::Low),
            "MEDIUM" | "MODERATE" => Ok(Severity::Medium),
            "HIGH" => Ok(Severity::High),
            "CRITICAL" => Ok(Severity::Critical),
            _ => Err(ParseSeverityError(s.to_string())),
        }
    }
}

/// Package ecosystem. The string forms are the OSV ecosystem names where
/// OSV has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Ecosystem {
    #[serde(rename = "deb")]
    Deb,
    #[serde(rename = "apk")]
    Apk,
    #[serde(rename = "rpm")]
    Rpm,
    #[serde(rename = "PyPI")]
    PyPI,
    #[serde(rename = "npm")]
    Npm,
    #[serde(rename = "crates.io")]
    Cargo,
    #[serde(rename = "Go")]
    Go,
    #[serde(rename = "Maven")]
    Maven,
    #[serde(rename = "RubyGems")]
    RubyGems,
    #[serde(rename = "Packagist")]
    Packagist,
    #[serde(rename = "NuGet")]
    NuGet,
}

impl Ecosystem {
    /// The purl type (`pkg:<type>/...`).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Go => "golang",
            Ecosystem::Maven => "maven",
            Ecosystem::RubyGems => "gem",
            Ecosystem::Packagist => "composer",
            Ecosystem::NuGet => "nuget",
        }
    }

    /// True for packages managed by the operating system's package manager.
    pub fn is_os(self) -> bool {
        matches!(self, Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm)
    }
}

/// Where a package (or a secret) was found: the layer that brought it in and
/// the path inside the image or directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    /// Layer digest (`sha256:...`), absent for plain directories.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub layer: Option<String>,
    /// Path relative to the image root, without a leading slash.
    pub path: String,
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    /// The version as the package manager reports it (dpkg: with epoch
    /// `1:2.3-4`; rpm: `[epoch:]version-release`; apk: `1.2.3-r0`).
    pub version: String,
    pub ecosystem: Ecosystem,
    /// Package URL, for example
    /// `pkg:deb/debian/openssl@3.0.17-1~deb12u2?arch=amd64&distro=debian-12`.
    pub purl: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub arch: Option<String>,
    /// Source package name (dpkg `Source:`, rpm SOURCERPM name, apk origin).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source_version: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub licenses: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub locations: Vec<Location>,
    /// Development-only dependency (npm dev, etc.).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub dev: bool,
}

/// The operating system of an image or root filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    /// `debian`, `ubuntu`, `alpine`, `rhel`, `centos`, `rocky`, `almalinux`,
    /// `fedora`, `amzn`, `ol`, `sles`, `opensuse-leap`, `mariner`, `azurelinux`,
    /// `wolfi`, `chainguard`, `distroless`...: the os-release `ID`.
    pub family: String,
    /// The os-release `VERSION_ID` (or alpine-release contents).
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub codename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pretty_name: Option<String>,
}

/// A misconfiguration finding (Dockerfile, Kubernetes manifest, image
/// config), rendered by `seawall-report` in table, JSON, SARIF and JUnit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Misconfig {
    /// Stable rule id, e.g. `SW-DF-001` or `PSS-privileged`.
    pub id: String,
    pub severity: Severity,
    /// Short title of the rule.
    pub title: String,
    /// What is wrong here, and why it matters.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub fix: String,
    /// File the finding is in.
    pub file: String,
    /// 1-based line, 0 when unknown.
    #[serde(default)]
    pub line: u32,
    /// 1-based column, 0 when unknown.
    #[serde(default)]
    pub column: u32,
    /// The object the finding is about (`Deployment/web`, `stage builder`,
    /// `container nginx`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub object: Option<String>,
    /// Documentation link or path.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub docs: Option<String>,
    /// Equivalent ids in other tools (`hadolint:DL3008`, `trivy:DS002`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub references: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_order_and_parse() {
        assert!(Severity::Critical > Severity::High);
        assert_eq!(
            Severity::parse_list("high, CRITICAL").unwrap(),
            vec![Severity::High, Severity::Critical]
        );
        assert!(Severity::parse_list("HIGH,bogus").is_err());
        assert_eq!(
            serde_json::to_string(&Severity::Medium).unwrap(),
            "\"MEDIUM\""
        );
    }

    #[test]
    fn ecosystem_serde_names_match_osv() {
        assert_eq!(
            serde_json::to_string(&Ecosystem::Cargo).unwrap(),
            "\"crates.io\""
        );
        assert_eq!(serde_json::to_string(&Ecosystem::PyPI).unwrap(), "\"PyPI\"");
    }
}
