//! Package URLs (<https://github.com/package-url/purl-spec>) and [`finalize`].

use std::collections::BTreeMap;

use seawall_types::{Ecosystem, OsInfo, Package};

/// Percent-encodes a purl segment or qualifier value: keeps unreserved
/// characters plus `+` and `:` (as packageurl-go does), encodes the rest.
pub(crate) fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~' | b'+' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Builds `pkg:TYPE/NS/NAME@VERSION?k=v&...`. `namespace` may contain '/'
/// (each segment is encoded); qualifiers are sorted by key and empty values
/// dropped.
pub(crate) fn build(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> String {
    let mut s = format!("pkg:{ty}/");
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        for seg in ns.split('/').filter(|x| !x.is_empty()) {
            s.push_str(&enc(seg));
            s.push('/');
        }
    }
    s.push_str(&enc(name));
    if !version.is_empty() {
        s.push('@');
        s.push_str(&enc(version));
    }
    let mut q: Vec<&(&str, &str)> = qualifiers.iter().filter(|(_, v)| !v.is_empty()).collect();
    q.sort_by_key(|(k, _)| *k);
    for (i, (k, v)) in q.iter().enumerate() {
        s.push(if i == 0 { '?' } else { '&' });
        s.push_str(k);
        s.push('=');
        s.push_str(&enc(v));
    }
    s
}

/// PEP 503 normalised name: lowercase, runs of `-_.` become `-`.
pub(crate) fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

pub(crate) fn pypi(name: &str, version: &str) -> String {
    build("pypi", None, &pep503(name), version, &[])
}

/// `@scope/name` goes to namespace `@scope` (encoded `%40scope`).
pub(crate) fn npm(name: &str, version: &str) -> String {
    match name.split_once('/') {
        Some((scope, n)) if scope.starts_with('@') => build("npm", Some(scope), n, version, &[]),
        _ => build("npm", None, name, version, &[]),
    }
}

pub(crate) fn cargo(name: &str, version: &str) -> String {
    build("cargo", None, name, version, &[])
}

/// Go module path: the namespace is everything before the last '/'.
pub(crate) fn golang(module: &str, version: &str) -> String {
    match module.rsplit_once('/') {
        Some((ns, n)) => build("golang", Some(ns), n, version, &[]),
        None => build("golang", None, module, version, &[]),
    }
}

pub(crate) fn maven(group: &str, artifact: &str, version: &str) -> String {
    build("maven", Some(group), artifact, version, &[])
}

pub(crate) fn gem(name: &str, version: &str) -> String {
    build("gem", None, name, version, &[])
}

/// `vendor/package`.
pub(crate) fn composer(name: &str, version: &str) -> String {
    match name.split_once('/') {
        Some((ns, n)) => build("composer", Some(ns), n, version, &[]),
        None => build("composer", None, name, version, &[]),
    }
}

pub(crate) fn nuget(name: &str, version: &str) -> String {
    build("nuget", None, name, version, &[])
}

/// Purl namespace for an OS family (`rhel` is `redhat` in purls).
fn os_namespace(family: &str) -> &str {
    match family {
        "rhel" => "redhat",
        f => f,
    }
}

/// rpm namespace guessed from the VENDOR tag when the OS is unknown.
pub(crate) fn rpm_namespace_from_vendor(vendor: Option<&str>) -> Option<&'static str> {
    let v = vendor?.to_ascii_lowercase();
    let table = [
        ("red hat", "redhat"),
        ("centos", "centos"),
        ("fedora", "fedora"),
        ("suse", "opensuse"),
        ("microsoft", "mariner"),
        ("amazon", "amazon"),
        ("rocky", "rocky"),
        ("alma", "almalinux"),
        ("oracle", "oracle"),
    ];
    table.iter().find(|(k, _)| v.contains(k)).map(|(_, n)| *n)
}

/// The purl of an OS package (deb, apk, rpm) given the OS, or `None` for
/// language packages. rpm versions `E:V-R` put the epoch in an `epoch`
/// qualifier; the binary's source package goes in `upstream` when it differs.
pub fn os_purl(p: &Package, os: Option<&OsInfo>) -> Option<String> {
    let distro = os.map(|o| {
        if o.version.is_empty() {
            o.family.clone()
        } else {
            format!("{}-{}", o.family, o.version)
        }
    });
    let distro = distro.as_deref().unwrap_or("");
    let arch = p.arch.as_deref().unwrap_or("");
    let upstream = match (&p.source_name, &p.source_version) {
        (Some(n), Some(v)) if n != &p.name && v != &p.version => format!("{n}@{v}"),
        (Some(n), _) if n != &p.name => n.clone(),
        _ => String::new(),
    };
    match p.ecosystem {
        Ecosystem::Deb => {
            let ns = os.map(|o| os_namespace(&o.family)).unwrap_or("debian");
            Some(build(
                "deb",
                Some(ns),
                &p.name,
                &p.version,
                &[("arch", arch), ("distro", distro), ("upstream", &upstream)],
            ))
        }
        Ecosystem::Apk => {
            let ns = os.map(|o| os_namespace(&o.family)).unwrap_or("alpine");
            Some(build(
                "apk",
                Some(ns),
                &p.name,
                &p.version,
                &[("arch", arch), ("distro", distro), ("upstream", &upstream)],
            ))
        }
        Ecosystem::Rpm => {
            let (epoch, vr) = match p.version.split_once(':') {
                Some((e, vr)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (e, vr),
                _ => ("", p.version.as_str()),
            };
            // Keep the namespace parse() chose from the vendor when no OS is known.
            let ns = match os {
                Some(o) => Some(os_namespace(&o.family).to_string()),
                None => p
                    .purl
                    .strip_prefix("pkg:rpm/")
                    .and_then(|r| r.split_once('/'))
                    .map(|(ns, _)| ns.to_string()),
            };
            Some(build(
                "rpm",
                ns.as_deref(),
                &p.name,
                vr,
                &[
                    ("arch", arch),
                    ("distro", distro),
                    ("epoch", epoch),
                    ("upstream", &upstream),
                ],
            ))
        }
        _ => None,
    }
}

/// Fills in purls that depend on the OS (distro qualifier, e.g.
/// `pkg:deb/debian/openssl@3.0.17-1~deb12u2?arch=amd64&distro=debian-12`),
/// merges duplicates (same ecosystem, name, version, arch and purl; their
/// locations and licences are united) and sorts deterministically by
/// ecosystem, name, version, purl. Licence facts from `dpkg-copyright`
/// (purl prefix [`crate::LICENSE_FACT`]) are moved onto the deb packages of
/// the same name and removed; call `finalize` once, on the merged result.
pub fn finalize(pkgs: Vec<Package>, os: Option<&OsInfo>) -> Vec<Package> {
    let mut map: BTreeMap<(Ecosystem, String, String, String, Option<String>), Package> =
        BTreeMap::new();
    // Licence facts (dpkg copyright files) attach to deb packages by name.
    let (facts, pkgs): (Vec<Package>, Vec<Package>) = pkgs
        .into_iter()
        .partition(|p| p.purl.starts_with(crate::dpkg::LICENSE_FACT));
    let mut deb_licenses: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for f in facts {
        deb_licenses.entry(f.name).or_default().extend(f.licenses);
    }
    for mut p in pkgs {
        if p.ecosystem == Ecosystem::Deb && p.licenses.is_empty() {
            if let Some(l) = deb_licenses.get(&p.name) {
                p.licenses = l.clone();
            }
        }
        if let Some(purl) = os_purl(&p, os) {
            p.purl = purl;
        }
        let key = (
            p.ecosystem,
            p.name.clone(),
            p.version.clone(),
            p.purl.clone(),
            p.arch.clone(),
        );
        match map.get_mut(&key) {
            Some(q) => {
                q.locations.extend(p.locations);
                q.licenses.extend(p.licenses);
                q.dev &= p.dev;
                if q.source_name.is_none() {
                    q.source_name = p.source_name;
                    q.source_version = p.source_version;
                }
            }
            None => {
                map.insert(key, p);
            }
        }
    }
    map.into_values()
        .map(|mut p| {
            p.locations.sort();
            p.locations.dedup();
            let mut seen = std::collections::HashSet::new();
            p.licenses.retain(|l| seen.insert(l.clone()));
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use seawall_types::Location;

    fn deb(name: &str, version: &str, arch: &str) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            ecosystem: Ecosystem::Deb,
            purl: String::new(),
            arch: Some(arch.into()),
            source_name: Some(name.into()),
            source_version: Some(version.into()),
            licenses: vec![],
            locations: vec![Location {
                layer: None,
                path: "var/lib/dpkg/status".into(),
            }],
            dev: false,
        }
    }

    #[test]
    fn issue_example_purl() {
        let os = OsInfo {
            family: "debian".into(),
            version: "12".into(),
            codename: None,
            pretty_name: None,
        };
        let out = finalize(vec![deb("openssl", "3.0.17-1~deb12u2", "amd64")], Some(&os));
        assert_eq!(
            out[0].purl,
            "pkg:deb/debian/openssl@3.0.17-1~deb12u2?arch=amd64&distro=debian-12"
        );
    }

    #[test]
    fn rpm_epoch_qualifier_and_upstream() {
        let mut p = deb("vim-minimal", "2:9.0-1.cm2", "x86_64");
        p.ecosystem = Ecosystem::Rpm;
        p.source_name = Some("vim".into());
        p.source_version = Some("9.0-1.cm2".into());
        let os = OsInfo {
            family: "mariner".into(),
            version: "2.0".into(),
            codename: None,
            pretty_name: None,
        };
        assert_eq!(
            os_purl(&p, Some(&os)).unwrap(),
            "pkg:rpm/mariner/vim-minimal@9.0-1.cm2?arch=x86_64&distro=mariner-2.0&epoch=2&upstream=vim%409.0-1.cm2"
        );
    }

    #[test]
    fn language_purls() {
        assert_eq!(npm("@babel/core", "7.0.0"), "pkg:npm/%40babel/core@7.0.0");
        assert_eq!(
            pypi("Typing_Extensions", "4.4.0"),
            "pkg:pypi/typing-extensions@4.4.0"
        );
        assert_eq!(
            golang("github.com/anchore/archiver/v3", "v3.5.2"),
            "pkg:golang/github.com/anchore/archiver/v3@v3.5.2"
        );
        assert_eq!(
            maven("org.anchore", "example-java-app-maven", "0.1.0"),
            "pkg:maven/org.anchore/example-java-app-maven@0.1.0"
        );
        assert_eq!(
            composer("symfony/console", "v6.0.0"),
            "pkg:composer/symfony/console@v6.0.0"
        );
        assert_eq!(build("gem", None, "a b", "1", &[]), "pkg:gem/a%20b@1");
    }

    #[test]
    fn finalize_dedupes_and_sorts() {
        let mut a = deb("zlib1g", "1", "amd64");
        a.locations[0].path = "b".into();
        let mut b = deb("zlib1g", "1", "amd64");
        b.locations[0].path = "a".into();
        let c = deb("apt", "2", "amd64");
        let out = finalize(vec![a, b, c], None);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].name, "apt");
        assert_eq!(out[1].locations.len(), 2);
        assert_eq!(out[1].locations[0].path, "a");
        assert_eq!(out[1].purl, "pkg:deb/debian/zlib1g@1?arch=amd64");
    }
}
