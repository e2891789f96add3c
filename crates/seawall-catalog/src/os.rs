//! Operating system detection from release files.

use seawall_types::OsInfo;

/// Files [`detect_os`] may read, root-relative. The image side should keep
/// these (small) files of the merged filesystem.
pub const OS_RELEASE_PATHS: &[&str] = &[
    "etc/os-release",
    "usr/lib/os-release",
    "etc/alpine-release",
    "etc/redhat-release",
    "etc/centos-release",
    "etc/fedora-release",
    "etc/system-release",
    "etc/SuSE-release",
    "etc/debian_version",
    "etc/lsb-release",
];

/// Detects the operating system. `read` returns the contents of a
/// root-relative path (one of [`OS_RELEASE_PATHS`]) or `None`.
pub fn detect_os(read: &dyn Fn(&str) -> Option<Vec<u8>>) -> Option<OsInfo> {
    let text = |p: &str| read(p).map(|b| String::from_utf8_lossy(&b).into_owned());
    let mut os = text("etc/os-release")
        .or_else(|| text("usr/lib/os-release"))
        .and_then(|t| parse_os_release(&t));
    if let Some(o) = os.as_mut() {
        if o.family == "alpine" {
            if let Some(v) = text("etc/alpine-release").map(|v| v.trim().to_string()) {
                if !v.is_empty() {
                    o.version = v;
                }
            }
        }
        if o.family == "debian" && o.version.is_empty() {
            if let Some(v) = text("etc/debian_version") {
                o.version = v.trim().to_string();
            }
        }
        return os;
    }
    if let Some(v) = text("etc/alpine-release") {
        return Some(OsInfo {
            family: "alpine".into(),
            version: v.trim().to_string(),
            codename: None,
            pretty_name: None,
        });
    }
    for p in [
        "etc/centos-release",
        "etc/fedora-release",
        "etc/redhat-release",
        "etc/system-release",
    ] {
        if let Some(o) = text(p).and_then(|t| parse_redhat_release(&t)) {
            return Some(o);
        }
    }
    if let Some(t) = text("etc/lsb-release") {
        let mut family = None;
        let mut version = String::new();
        let mut codename = None;
        for (k, v) in key_values(&t) {
            match k {
                "DISTRIB_ID" => family = Some(v.to_ascii_lowercase()),
                "DISTRIB_RELEASE" => version = v,
                "DISTRIB_CODENAME" => codename = Some(v),
                _ => {}
            }
        }
        if let Some(family) = family {
            return Some(OsInfo {
                family,
                version,
                codename,
                pretty_name: None,
            });
        }
    }
    if let Some(v) = text("etc/debian_version") {
        return Some(OsInfo {
            family: "debian".into(),
            version: v.trim().to_string(),
            codename: None,
            pretty_name: None,
        });
    }
    None
}

fn key_values(text: &str) -> impl Iterator<Item = (&str, String)> {
    text.lines().filter_map(|l| {
        let l = l.trim();
        if l.starts_with('#') {
            return None;
        }
        let (k, v) = l.split_once('=')?;
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(v);
        Some((k.trim(), v.replace("\\\"", "\"")))
    })
}

/// Parses an os-release file. `None` when it has no `ID`.
pub fn parse_os_release(text: &str) -> Option<OsInfo> {
    let mut id = None;
    let mut version = String::new();
    let mut codename = None;
    let mut pretty = None;
    for (k, v) in key_values(text) {
        match k {
            "ID" => id = Some(v.to_ascii_lowercase()),
            "VERSION_ID" => version = v,
            "VERSION_CODENAME" if !v.is_empty() => codename = Some(v),
            "PRETTY_NAME" if !v.is_empty() => pretty = Some(v),
            _ => {}
        }
    }
    let family = id.filter(|i| !i.is_empty())?;
    Some(OsInfo {
        family,
        version,
        codename,
        pretty_name: pretty,
    })
}

/// `CentOS Linux release 7.9.2009 (Core)`, `Red Hat Enterprise Linux Server
/// release 7.2 (Maipo)`, `Fedora release 35 (Thirty Five)`.
fn parse_redhat_release(text: &str) -> Option<OsInfo> {
    let line = text.lines().next()?.trim();
    let (name, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?.to_string();
    let lname = name.to_ascii_lowercase();
    let family = if lname.starts_with("centos") {
        "centos"
    } else if lname.starts_with("red hat") {
        "rhel"
    } else if lname.starts_with("fedora") {
        "fedora"
    } else if lname.starts_with("rocky") {
        "rocky"
    } else if lname.starts_with("almalinux") {
        "almalinux"
    } else if lname.starts_with("oracle") {
        "ol"
    } else if lname.starts_with("amazon") {
        "amzn"
    } else {
        return None;
    };
    Some(OsInfo {
        family: family.into(),
        version,
        codename: None,
        pretty_name: Some(line.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn detect(files: &[(&str, &str)]) -> Option<OsInfo> {
        let m: HashMap<String, Vec<u8>> = files
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect();
        detect_os(&|p| m.get(p).cloned())
    }

    #[test]
    fn debian_os_release() {
        let o = detect(&[(
            "usr/lib/os-release",
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
        )])
        .unwrap();
        assert_eq!(o.family, "debian");
        assert_eq!(o.version, "12");
        assert_eq!(o.codename.as_deref(), Some("bookworm"));
    }

    #[test]
    fn alpine_release_refines_version() {
        let o = detect(&[
            ("etc/os-release", "ID=alpine\nVERSION_ID=3.19.1\n"),
            ("etc/alpine-release", "3.19.2\n"),
        ])
        .unwrap();
        assert_eq!(
            (o.family.as_str(), o.version.as_str()),
            ("alpine", "3.19.2")
        );
        let o = detect(&[("etc/alpine-release", "3.4.6\n")]).unwrap();
        assert_eq!((o.family.as_str(), o.version.as_str()), ("alpine", "3.4.6"));
    }

    #[test]
    fn redhat_release_files() {
        let o = detect(&[(
            "etc/centos-release",
            "CentOS Linux release 7.9.2009 (Core)\n",
        )])
        .unwrap();
        assert_eq!(
            (o.family.as_str(), o.version.as_str()),
            ("centos", "7.9.2009")
        );
        let o = detect(&[(
            "etc/redhat-release",
            "Red Hat Enterprise Linux Server release 7.2 (Maipo)\n",
        )])
        .unwrap();
        assert_eq!((o.family.as_str(), o.version.as_str()), ("rhel", "7.2"));
        assert!(detect(&[("etc/redhat-release", "garbage")]).is_none());
        assert!(detect(&[]).is_none());
    }

    #[test]
    fn debian_testing_without_version_id() {
        let o = detect(&[
            (
                "etc/os-release",
                "ID=debian\nPRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\n",
            ),
            ("etc/debian_version", "trixie/sid\n"),
        ])
        .unwrap();
        assert_eq!(o.version, "trixie/sid");
    }
}
