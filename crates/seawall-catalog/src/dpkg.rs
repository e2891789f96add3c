//! dpkg: `var/lib/dpkg/status` and distroless `var/lib/dpkg/status.d/*`.

use seawall_types::{Ecosystem, Package};

use crate::{file_name, new_package, parent_dir, CatalogError, Cataloger, FileMeta};

pub struct Dpkg;

/// `usr/share/doc/<package>/copyright`: the licences of a Debian package.
/// Its [`parse`](Cataloger::parse) returns a *licence fact* (a [`Package`]
/// whose purl starts with [`LICENSE_FACT`]); [`crate::finalize`] moves the
/// licences onto the deb package of that name and drops the fact. Per-file,
/// so it caches per layer and follows whiteouts like every other result.
pub struct DpkgCopyright;

/// Purl prefix marking a licence fact (never present in finalized output).
pub const LICENSE_FACT: &str = "x-seawall-license-fact:";

const STATUS: &str = "var/lib/dpkg/status";
const STATUS_D: &str = "var/lib/dpkg/status.d";
/// Control-file companions that sit beside entries in `status.d`.
const NOT_ENTRIES: &[&str] = &[
    ".md5sums",
    ".preinst",
    ".postinst",
    ".prerm",
    ".postrm",
    ".conffiles",
    ".list",
    ".triggers",
    ".shlibs",
    ".symbols",
    ".templates",
    ".config",
];

impl Cataloger for Dpkg {
    fn id(&self) -> &'static str {
        "dpkg"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        m.is_regular()
            && (m.path == STATUS
                || (parent_dir(m.path) == STATUS_D
                    && !NOT_ENTRIES.iter().any(|s| m.path.ends_with(s))
                    && !m.file_name().starts_with('.')))
    }
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        // dpkg itself treats a stanza without Status as not installed; the
        // distroless per-package files often carry no Status at all.
        let status_required = file_name(path) == "status" && parent_dir(path) != STATUS_D;
        parse_status(path, data, status_required)
    }
}

impl Cataloger for DpkgCopyright {
    fn id(&self) -> &'static str {
        "dpkg-copyright"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        m.is_regular()
            && m.size <= 1024 * 1024
            && m.file_name() == "copyright"
            && parent_dir(parent_dir(m.path)) == "usr/share/doc"
    }
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let pkg = file_name(parent_dir(path));
        let licenses = copyright_licenses(&crate::util::text(data));
        if pkg.is_empty() || licenses.is_empty() {
            return Ok(Vec::new());
        }
        let mut p = new_package(
            pkg,
            "",
            Ecosystem::Deb,
            format!("{LICENSE_FACT}deb/{pkg}"),
            path,
        );
        p.licenses = licenses;
        Ok(vec![p])
    }
}

/// Licences named in a Debian copyright file: DEP-5 `License:` fields (first
/// line) and references to `/usr/share/common-licenses/NAME`, sorted, unique.
pub(crate) fn copyright_licenses(text: &str) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    const COMMON: &str = "/usr/share/common-licenses/";
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("License:") {
            let v = v.trim();
            if !v.is_empty() && v.len() <= 100 {
                out.insert(v.to_string());
            }
        }
        let mut rest = line;
        while let Some(i) = rest.find(COMMON) {
            rest = &rest[i + COMMON.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '_'))
                .collect();
            let name = name.trim_end_matches('.');
            if !name.is_empty() {
                out.insert(name.to_string());
            }
        }
    }
    out.into_iter().collect()
}

/// One deb822 stanza: (field, value) pairs in file order.
pub(crate) type Stanza = Vec<(String, String)>;

/// Splits deb822 text into stanzas. A line that is neither a continuation
/// (leading space/tab) nor `Field: value` is an error naming the line.
pub(crate) fn stanzas(path: &str, text: &str) -> Result<Vec<(usize, Stanza)>, CatalogError> {
    let mut out = Vec::new();
    let mut cur: Stanza = Vec::new();
    let mut start = 1;
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push((start, std::mem::take(&mut cur)));
            }
            continue;
        }
        if cur.is_empty() {
            start = lineno;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            match cur.last_mut() {
                Some((_, v)) => {
                    v.push('\n');
                    v.push_str(line.trim());
                }
                None => {
                    return Err(CatalogError::parse(
                        path,
                        format!("line {lineno}: continuation line outside a field"),
                    ))
                }
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        match line.split_once(':') {
            Some((k, v)) if !k.is_empty() && !k.contains(' ') => {
                cur.push((k.to_string(), v.trim().to_string()))
            }
            _ => {
                return Err(CatalogError::parse(
                    path,
                    format!(
                        "line {lineno}: expected `Field: value`, got {:?}",
                        truncate(line)
                    ),
                ))
            }
        }
    }
    if !cur.is_empty() {
        out.push((start, cur));
    }
    Ok(out)
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

fn field<'a>(s: &'a Stanza, name: &str) -> Option<&'a str> {
    s.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Whether a `Status:` value (`want flag status`) means installed.
fn installed(status: &str) -> bool {
    let mut w = status.split_whitespace();
    let (want, _flag, state) = (w.next(), w.next(), w.next());
    want != Some("deinstall")
        && want != Some("purge")
        && matches!(
            state,
            Some(
                "installed"
                    | "half-configured"
                    | "unpacked"
                    | "half-installed"
                    | "triggers-awaited"
                    | "triggers-pending"
            )
        )
}

pub(crate) fn parse_status(
    path: &str,
    data: &[u8],
    status_required: bool,
) -> Result<Vec<Package>, CatalogError> {
    let text = crate::util::text(data);
    let st = stanzas(path, &text)?;
    if !st.is_empty() && st.iter().all(|(_, s)| field(s, "Package").is_none()) {
        return Err(CatalogError::parse(path, "no stanza has a Package field"));
    }
    let mut pkgs = Vec::new();
    for (_, s) in &st {
        let Some(name) = field(s, "Package").filter(|n| !n.is_empty()) else {
            continue;
        };
        match field(s, "Status") {
            Some(status) if !installed(status) => continue,
            None if status_required => continue,
            _ => {}
        }
        let version = field(s, "Version").unwrap_or("");
        let mut p = new_package(name, version, Ecosystem::Deb, String::new(), path);
        p.arch = field(s, "Architecture")
            .filter(|a| !a.is_empty())
            .map(str::to_string);
        let (src, src_ver) = match field(s, "Source").filter(|v| !v.is_empty()) {
            Some(src) => match src.split_once('(') {
                Some((n, v)) => (
                    n.trim().to_string(),
                    v.trim_end().trim_end_matches(')').trim().to_string(),
                ),
                None => (src.trim().to_string(), version.to_string()),
            },
            None => (name.to_string(), version.to_string()),
        };
        p.source_name = Some(src);
        p.source_version = Some(src_ver);
        p.purl = crate::purl::os_purl(&p, None).unwrap_or_default();
        pkgs.push(p);
    }
    Ok(pkgs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_forms_and_status() {
        let t = b"Package: libgcc1\nStatus: install ok installed\nArchitecture: amd64\nSource: gcc-5 (5.1.1-12ubuntu1)\nVersion: 1:5.1.1-12ubuntu1\nDescription: x\n more\n .\n\nPackage: old\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: bash\nStatus: install ok installed\nVersion: 4.4\n";
        let p = Dpkg.parse("var/lib/dpkg/status", t).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].source_name.as_deref(), Some("gcc-5"));
        assert_eq!(p[0].source_version.as_deref(), Some("5.1.1-12ubuntu1"));
        assert_eq!(p[1].source_name.as_deref(), Some("bash"));
        assert_eq!(p[1].source_version.as_deref(), Some("4.4"));
        assert_eq!(p[1].locations[0].path, "var/lib/dpkg/status");
    }

    #[test]
    fn copyright_facts() {
        let t = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nLicense: GPL-2+\n On Debian systems see `/usr/share/common-licenses/GPL-2'.\n\nFiles: x\nLicense: public-domain\n";
        assert_eq!(
            copyright_licenses(t),
            vec!["GPL-2", "GPL-2+", "public-domain"]
        );
        let m = FileMeta {
            path: "usr/share/doc/libc6/copyright",
            size: 10,
            mode: 0o100644,
        };
        assert!(DpkgCopyright.wants(&m));
        let p = DpkgCopyright
            .parse("usr/share/doc/libc6/copyright", t.as_bytes())
            .unwrap();
        assert_eq!(p[0].name, "libc6");
        assert!(p[0].purl.starts_with(LICENSE_FACT));
        assert!(DpkgCopyright
            .parse("usr/share/doc/x/copyright", b"no licence here")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn wants_status_d_entries_only() {
        let m = |p: &'static str| FileMeta {
            path: p,
            size: 10,
            mode: 0o100644,
        };
        assert!(Dpkg.wants(&m("var/lib/dpkg/status")));
        assert!(Dpkg.wants(&m("var/lib/dpkg/status.d/libc6")));
        assert!(!Dpkg.wants(&m("var/lib/dpkg/status.d/libc6.md5sums")));
        assert!(!Dpkg.wants(&m("var/lib/dpkg/status-old")));
        assert!(!Dpkg.wants(&m("usr/var/lib/dpkg/status")));
    }
}
