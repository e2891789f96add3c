//! Base-image advice: how much of an image (packages, bytes, known
//! vulnerabilities) each layer brings, and what a minimal or distroless base
//! would remove. The image side supplies the layers, the SBOM packages (with
//! `locations[].layer` set to the layer digest) and vulnerability counts.

use std::collections::HashMap;

use seawall_types::{OsInfo, Package};
use serde::{Deserialize, Serialize};

/// One layer as the image side knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerInfo {
    /// Layer digest (`sha256:...`), as in `Package::locations[].layer`.
    pub digest: String,
    /// Size in bytes (compressed or uncompressed: the caller decides; the
    /// report should say which).
    pub size: u64,
    /// The history `created_by` of the step that made the layer.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub created_by: Option<String>,
}

/// Figures for one layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerStat {
    pub index: usize,
    pub digest: String,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub created_by: Option<String>,
    /// Packages this layer brought (first location).
    pub package_count: usize,
    /// Of which OS packages (deb/apk/rpm).
    pub os_package_count: usize,
    /// Known vulnerabilities in those packages.
    pub vuln_count: usize,
}

/// A smaller base to move to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SlimTarget {
    /// No libc: static binaries (Go, Rust musl).
    DistrolessStatic,
    /// libc and OpenSSL: dynamically linked C programs.
    DistrolessBase,
    /// Plus libstdc++/libgcc: C++ and Rust (glibc) programs.
    DistrolessCc,
}

/// What moving to one target would remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlimOption {
    pub target: SlimTarget,
    /// A concrete image for the OS family, e.g. `gcr.io/distroless/base-debian12`.
    pub image: String,
    /// OS packages that would go (sorted names).
    pub removed_packages: Vec<String>,
    pub removed_count: usize,
    /// OS packages the target keeps (of those present).
    pub kept_count: usize,
    /// Known vulnerabilities in the removed packages.
    pub vulns_removed: usize,
}

/// The advice for one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseImageAdvice {
    pub layers: Vec<LayerStat>,
    /// Index of the layer that brought most OS packages (the base OS layer).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub os_layer: Option<usize>,
    pub os_package_count: usize,
    pub package_count: usize,
    pub vuln_count: usize,
    /// OS vulnerabilities (packages of ecosystem deb/apk/rpm).
    pub os_vuln_count: usize,
    pub options: Vec<SlimOption>,
    /// One sentence for humans: the best option and its effect.
    pub summary: String,
}

fn keep_list(family: &str, target: SlimTarget) -> (&'static str, Vec<&'static str>) {
    match family {
        "alpine" | "wolfi" | "chainguard" => {
            let st = vec![
                "alpine-baselayout-data",
                "ca-certificates-bundle",
                "tzdata",
                "wolfi-baselayout",
            ];
            match target {
                SlimTarget::DistrolessStatic => ("cgr.dev/chainguard/static", st),
                SlimTarget::DistrolessBase => (
                    "cgr.dev/chainguard/glibc-dynamic",
                    [
                        st,
                        vec!["musl", "libssl3", "libcrypto3", "glibc", "ld-linux"],
                    ]
                    .concat(),
                ),
                SlimTarget::DistrolessCc => (
                    "cgr.dev/chainguard/glibc-dynamic",
                    [
                        st,
                        vec![
                            "musl",
                            "libssl3",
                            "libcrypto3",
                            "glibc",
                            "ld-linux",
                            "libgcc",
                            "libstdc++",
                        ],
                    ]
                    .concat(),
                ),
            }
        }
        "rhel" | "centos" | "rocky" | "almalinux" | "fedora" | "ol" | "amzn" => {
            let st = vec![
                "filesystem",
                "setup",
                "ca-certificates",
                "tzdata",
                "basesystem",
            ];
            match target {
                SlimTarget::DistrolessStatic => ("registry.access.redhat.com/ubi9/ubi-micro", st),
                SlimTarget::DistrolessBase => (
                    "registry.access.redhat.com/ubi9/ubi-micro",
                    [
                        st,
                        vec![
                            "glibc",
                            "glibc-common",
                            "glibc-minimal-langpack",
                            "openssl-libs",
                            "libgcc",
                        ],
                    ]
                    .concat(),
                ),
                SlimTarget::DistrolessCc => (
                    "registry.access.redhat.com/ubi9/ubi-micro",
                    [
                        st,
                        vec![
                            "glibc",
                            "glibc-common",
                            "glibc-minimal-langpack",
                            "openssl-libs",
                            "libgcc",
                            "libstdc++",
                        ],
                    ]
                    .concat(),
                ),
            }
        }
        _ => {
            let st = vec![
                "base-files",
                "netbase",
                "tzdata",
                "ca-certificates",
                "media-types",
            ];
            match target {
                SlimTarget::DistrolessStatic => ("gcr.io/distroless/static-debian12", st),
                SlimTarget::DistrolessBase => (
                    "gcr.io/distroless/base-debian12",
                    [st, vec!["libc6", "libssl3", "openssl"]].concat(),
                ),
                SlimTarget::DistrolessCc => (
                    "gcr.io/distroless/cc-debian12",
                    [
                        st,
                        vec![
                            "libc6",
                            "libssl3",
                            "openssl",
                            "libgcc-s1",
                            "libstdc++6",
                            "libgomp1",
                            "gcc-12-base",
                        ],
                    ]
                    .concat(),
                ),
            }
        }
    }
}

/// Computes per-layer figures and the slimming options.
///
/// `vulns_by_purl` maps a package's purl to the number of vulnerabilities
/// found in it (absent = 0).
pub fn base_image_advice(
    os: Option<&OsInfo>,
    layers: &[LayerInfo],
    packages: &[Package],
    vulns_by_purl: &HashMap<String, usize>,
) -> BaseImageAdvice {
    let index: HashMap<&str, usize> = layers
        .iter()
        .enumerate()
        .map(|(i, l)| (l.digest.as_str(), i))
        .collect();
    let mut stats: Vec<LayerStat> = layers
        .iter()
        .enumerate()
        .map(|(i, l)| LayerStat {
            index: i,
            digest: l.digest.clone(),
            size: l.size,
            created_by: l.created_by.clone(),
            package_count: 0,
            os_package_count: 0,
            vuln_count: 0,
        })
        .collect();
    let vulns = |p: &Package| vulns_by_purl.get(&p.purl).copied().unwrap_or(0);
    let mut vuln_count = 0;
    let mut os_vuln_count = 0;
    let mut os_pkgs: Vec<&Package> = Vec::new();
    for p in packages {
        let v = vulns(p);
        vuln_count += v;
        if p.ecosystem.is_os() {
            os_vuln_count += v;
            os_pkgs.push(p);
        }
        let layer = p
            .locations
            .iter()
            .find_map(|l| l.layer.as_deref())
            .and_then(|d| index.get(d).copied());
        if let Some(s) = layer.and_then(|i| stats.get_mut(i)) {
            s.package_count += 1;
            s.vuln_count += v;
            if p.ecosystem.is_os() {
                s.os_package_count += 1;
            }
        }
    }
    let os_layer = stats
        .iter()
        .filter(|s| s.os_package_count > 0)
        .max_by_key(|s| (s.os_package_count, std::cmp::Reverse(s.index)))
        .map(|s| s.index);

    let family = os.map(|o| o.family.as_str()).unwrap_or("debian");
    let mut options = Vec::new();
    if !os_pkgs.is_empty() {
        for target in [
            SlimTarget::DistrolessStatic,
            SlimTarget::DistrolessBase,
            SlimTarget::DistrolessCc,
        ] {
            let (image, keep) = keep_list(family, target);
            let mut removed: Vec<String> = Vec::new();
            let mut kept = 0;
            let mut vulns_removed = 0;
            for p in &os_pkgs {
                if keep.contains(&p.name.as_str()) {
                    kept += 1;
                } else {
                    removed.push(p.name.clone());
                    vulns_removed += vulns(p);
                }
            }
            removed.sort();
            removed.dedup();
            options.push(SlimOption {
                target,
                image: image.to_string(),
                removed_count: removed.len(),
                removed_packages: removed,
                kept_count: kept,
                vulns_removed,
            });
        }
    }
    let summary = match options.iter().find(|o| o.target == SlimTarget::DistrolessBase) {
        Some(o) => format!(
            "{} of {} OS packages and {} of {} OS vulnerabilities would go with {} (static binaries: {} packages, {} vulnerabilities with {})",
            o.removed_count,
            os_pkgs.len(),
            o.vulns_removed,
            os_vuln_count,
            o.image,
            options.first().map(|s| s.removed_count).unwrap_or(0),
            options.first().map(|s| s.vulns_removed).unwrap_or(0),
            options.first().map(|s| s.image.as_str()).unwrap_or(""),
        ),
        None => "no OS packages found: the image is already minimal".to_string(),
    };
    BaseImageAdvice {
        layers: stats,
        os_layer,
        os_package_count: os_pkgs.len(),
        package_count: packages.len(),
        vuln_count,
        os_vuln_count,
        options,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seawall_types::{Ecosystem, Location};

    fn pkg(name: &str, eco: Ecosystem, layer: &str) -> Package {
        Package {
            name: name.into(),
            version: "1".into(),
            ecosystem: eco,
            purl: format!("pkg:x/{name}@1"),
            arch: None,
            source_name: None,
            source_version: None,
            licenses: vec![],
            locations: vec![Location {
                layer: Some(layer.into()),
                path: "x".into(),
            }],
            dev: false,
        }
    }

    #[test]
    fn per_layer_counts_and_removal() {
        let layers = vec![
            LayerInfo {
                digest: "sha256:a".into(),
                size: 100,
                created_by: None,
            },
            LayerInfo {
                digest: "sha256:b".into(),
                size: 10,
                created_by: Some("RUN pip install".into()),
            },
        ];
        let pkgs = vec![
            pkg("libc6", Ecosystem::Deb, "sha256:a"),
            pkg("bash", Ecosystem::Deb, "sha256:a"),
            pkg("tzdata", Ecosystem::Deb, "sha256:a"),
            pkg("flask", Ecosystem::PyPI, "sha256:b"),
        ];
        let mut v = HashMap::new();
        v.insert("pkg:x/bash@1".to_string(), 3);
        v.insert("pkg:x/libc6@1".to_string(), 2);
        v.insert("pkg:x/flask@1".to_string(), 1);
        let a = base_image_advice(None, &layers, &pkgs, &v);
        assert_eq!(a.layers[0].package_count, 3);
        assert_eq!(a.layers[0].vuln_count, 5);
        assert_eq!(a.layers[1].package_count, 1);
        assert_eq!(a.layers[1].os_package_count, 0);
        assert_eq!(a.os_layer, Some(0));
        assert_eq!(a.vuln_count, 6);
        let base = a
            .options
            .iter()
            .find(|o| o.target == SlimTarget::DistrolessBase)
            .unwrap();
        assert_eq!(base.removed_packages, vec!["bash".to_string()]);
        assert_eq!(base.vulns_removed, 3);
        let st = &a.options[0];
        assert_eq!(st.removed_count, 2);
        assert_eq!(st.vulns_removed, 5);
    }
}
