//! apk: `lib/apk/db/installed`.

use seawall_types::{Ecosystem, Package};

use crate::{new_package, CatalogError, Cataloger, FileMeta};

pub struct Apk;

impl Cataloger for Apk {
    fn id(&self) -> &'static str {
        "apk"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        m.is_regular() && m.path == "lib/apk/db/installed"
    }
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        parse_installed(path, data)
    }
}

#[derive(Default)]
struct Entry {
    name: String,
    version: String,
    arch: String,
    origin: String,
    license: String,
}

/// Parses the apk installed database: `K:value` lines, one blank-line
/// separated block per package. Entries without a name or version are
/// skipped (apk never writes them); any line that is not `K:value` is an
/// error.
pub(crate) fn parse_installed(path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
    let text = crate::util::text(data);
    let mut out = Vec::new();
    let mut cur = Entry::default();
    let flush = |e: Entry, out: &mut Vec<Package>| {
        if e.name.is_empty() || e.version.is_empty() {
            return;
        }
        let mut p = new_package(e.name, e.version, Ecosystem::Apk, String::new(), path);
        p.arch = Some(e.arch).filter(|a| !a.is_empty());
        p.source_name = Some(if e.origin.is_empty() {
            p.name.clone()
        } else {
            e.origin
        });
        p.source_version = Some(p.version.clone());
        if !e.license.is_empty() {
            p.licenses.push(e.license);
        }
        p.purl = crate::purl::os_purl(&p, None).unwrap_or_default();
        out.push(p);
    };
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            flush(std::mem::take(&mut cur), &mut out);
            continue;
        }
        let b = line.as_bytes();
        if b.len() < 2 || b[1] != b':' || !b[0].is_ascii_alphabetic() {
            return Err(CatalogError::parse(
                path,
                format!(
                    "line {}: expected `X:value`, got {:?}",
                    i + 1,
                    line.chars().take(60).collect::<String>()
                ),
            ));
        }
        let v = line[2..].trim().to_string();
        match b[0] {
            b'P' => {
                // A new P: without a blank line starts a new entry.
                if !cur.name.is_empty() {
                    flush(std::mem::take(&mut cur), &mut out);
                }
                cur.name = v
            }
            b'V' => cur.version = v,
            b'A' => cur.arch = v,
            b'o' => cur.origin = v,
            b'L' => cur.license = v,
            _ => {}
        }
    }
    flush(cur, &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_is_source() {
        let p = Apk
            .parse(
                "lib/apk/db/installed",
                b"P:busybox-binsh\nV:1.36.1-r15\nA:x86_64\no:busybox\nL:GPL-2.0-only\n\nP:broken\n",
            )
            .unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].source_name.as_deref(), Some("busybox"));
        assert_eq!(p[0].licenses, vec!["GPL-2.0-only"]);
        assert_eq!(
            p[0].purl,
            "pkg:apk/alpine/busybox-binsh@1.36.1-r15?arch=x86_64&upstream=busybox"
        );
        assert!(Apk
            .parse("x", b"garbage line\n")
            .unwrap_err()
            .to_string()
            .starts_with("x: line 1"));
    }
}
