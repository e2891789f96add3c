//! Java archives (`.jar`, `.war`, `.ear`, Jenkins `.jpi`/`.hpi`): every
//! `META-INF/maven/**/pom.properties` inside is a package; an archive with
//! none falls back to `META-INF/MANIFEST.MF`, then to its file name
//! (`artifact-1.2.3.jar`). Nested archives (`WEB-INF/lib/*.jar`,
//! `BOOT-INF/lib/*.jar`, jars in an ear) are opened recursively, bounded in
//! depth, entry count and decompressed size. Loose `pom.properties` files of
//! exploded archives are read too.

use std::io::{Cursor, Read};

use seawall_types::{Ecosystem, Package};

use crate::{file_name, new_package, CatalogError, Cataloger, FileMeta, MAX_FILE_SIZE};

pub struct Java;

const ARCHIVE_EXTS: &[&str] = &[".jar", ".war", ".ear", ".jpi", ".hpi", ".par", ".sar"];
const MAX_DEPTH: usize = 4;
const MAX_ENTRIES: usize = 200_000;
/// Largest nested archive or metadata entry inflated into memory.
const MAX_NESTED: u64 = 128 * 1024 * 1024;
/// Total bytes inflated while reading one top-level archive.
const MAX_TOTAL_INFLATE: u64 = 512 * 1024 * 1024;

fn is_archive(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    ARCHIVE_EXTS.iter().any(|e| l.ends_with(e))
}

impl Cataloger for Java {
    fn id(&self) -> &'static str {
        "java"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, m: &FileMeta) -> bool {
        m.is_regular()
            && m.size <= MAX_FILE_SIZE
            && (is_archive(m.file_name())
                || (m.file_name() == "pom.properties" && m.path.contains("META-INF/maven/")))
    }
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        if file_name(path).ends_with("pom.properties") {
            let text = crate::util::text(data);
            return Ok(pom_properties(&text, path).into_iter().collect());
        }
        let mut budget = MAX_TOTAL_INFLATE;
        let mut out = Vec::new();
        archive(path, file_name(path), data, 0, &mut budget, &mut out)
            .map_err(|m| CatalogError::parse(path, m))?;
        Ok(out)
    }
}

fn maven_pkg(group: &str, artifact: &str, version: &str, path: &str) -> Package {
    let name = if group.is_empty() {
        artifact.to_string()
    } else {
        format!("{group}:{artifact}")
    };
    new_package(
        name,
        version,
        Ecosystem::Maven,
        crate::purl::maven(group, artifact, version),
        path,
    )
}

/// Java `.properties`: `key=value`, `key:value` or `key value`; the first
/// separator wins, so `artifactId=a:b` has the value `a:b`.
pub(crate) fn properties(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| {
            let i = l.find(['=', ':', ' ', '\t'])?;
            let (k, v) = (l[..i].trim(), l[i + 1..].trim());
            let v = v.strip_prefix(['=', ':']).map(str::trim).unwrap_or(v);
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

pub(crate) fn pom_properties(text: &str, path: &str) -> Option<Package> {
    let props = properties(text);
    let get = |k: &str| props.iter().find(|(p, _)| p == k).map(|(_, v)| v.as_str());
    let (a, v) = (get("artifactId")?, get("version")?);
    if a.is_empty() || v.is_empty() {
        return None;
    }
    Some(maven_pkg(get("groupId").unwrap_or(""), a, v, path))
}

/// Main section of a MANIFEST.MF (72-byte lines continued with a space).
fn manifest(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if let Some(c) = line.strip_prefix(' ') {
            if let Some((_, v)) = out.last_mut() {
                v.push_str(c);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

/// `commons-io-2.11.0.jar` -> (`commons-io`, `2.11.0`).
fn name_version_from_file(name: &str) -> Option<(String, String)> {
    let stem = name.rsplit_once('.').map(|(s, _)| s).unwrap_or(name);
    let mut idx = None;
    for (i, _) in stem.match_indices('-') {
        if stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()) {
            idx = Some(i);
            break;
        }
    }
    let i = idx?;
    Some((stem[..i].to_string(), stem[i + 1..].to_string()))
}

fn read_entry<R: Read>(r: R, size: u64, budget: &mut u64, what: &str) -> Result<Vec<u8>, String> {
    if size > MAX_NESTED || size > *budget {
        return Err(format!("{what}: {size} bytes exceeds the inflate limit"));
    }
    let mut buf = Vec::with_capacity(size.min(1 << 20) as usize);
    r.take(size + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("{what}: {e}"))?;
    if buf.len() as u64 > size {
        return Err(format!("{what}: inflates past its declared size"));
    }
    *budget -= buf.len() as u64;
    Ok(buf)
}

fn archive(
    path: &str,
    display: &str,
    data: &[u8],
    depth: usize,
    budget: &mut u64,
    out: &mut Vec<Package>,
) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(data))
        .map_err(|e| format!("{display}: not a readable zip archive: {e}"))?;
    if zip.len() > MAX_ENTRIES {
        return Err(format!("{display}: {} entries is too many", zip.len()));
    }
    let mut found = Vec::new();
    let mut manifest_text = None;
    let mut nested: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..zip.len() {
        let f = zip
            .by_index(i)
            .map_err(|e| format!("{display}: entry {i}: {e}"))?;
        let name = f.name().to_string();
        let size = f.size();
        if name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties") {
            let b = read_entry(f, size, budget, &format!("{display}!{name}"))?;
            if let Some(p) = pom_properties(&crate::util::text(&b), path) {
                found.push(p);
            }
        } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
            let b = read_entry(f, size, budget, &format!("{display}!{name}"))?;
            manifest_text = Some(crate::util::text(&b).into_owned());
        } else if is_archive(&name) && depth < MAX_DEPTH && !f.is_dir() {
            let b = read_entry(f, size, budget, &format!("{display}!{name}"))?;
            nested.push((name, b));
        }
    }
    if found.is_empty() {
        let m = manifest_text.as_deref().map(manifest).unwrap_or_default();
        let get = |k: &str| {
            m.iter()
                .find(|(p, _)| p.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let from_file = name_version_from_file(file_name(display));
        let artifact = get("Implementation-Title")
            .or_else(|| get("Bundle-Name"))
            .or_else(|| get("Specification-Title"))
            .map(str::to_string)
            .or_else(|| from_file.as_ref().map(|(n, _)| n.clone()));
        let version = get("Implementation-Version")
            .or_else(|| get("Bundle-Version"))
            .or_else(|| get("Specification-Version"))
            .map(str::to_string)
            .or_else(|| from_file.as_ref().map(|(_, v)| v.clone()));
        let group = get("Implementation-Vendor-Id").unwrap_or("");
        if let (Some(a), Some(v)) = (artifact, version) {
            // prefer the file's artifact name: titles are often prose
            let a = match &from_file {
                Some((n, _)) if a.contains(' ') => n.clone(),
                _ => a,
            };
            found.push(maven_pkg(group, &a, &v, path));
        }
    }
    out.extend(found);
    for (name, b) in nested {
        // A nested archive that does not open is skipped, not fatal: shaded
        // jars contain test fixtures named *.jar.
        let _ = archive(
            path,
            &format!("{display}!{name}"),
            &b,
            depth + 1,
            budget,
            out,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_separators() {
        let p = properties("a=b:c\nd: e=f\n g h\n#x=y\n");
        assert_eq!(
            p,
            vec![
                ("a".into(), "b:c".into()),
                ("d".into(), "e=f".into()),
                ("g".into(), "h".into())
            ]
        );
    }

    #[test]
    fn file_name_fallback() {
        assert_eq!(
            name_version_from_file("commons-io-2.11.0.jar"),
            Some(("commons-io".into(), "2.11.0".into()))
        );
        assert_eq!(name_version_from_file("app.jar"), None);
    }

    #[test]
    fn not_a_zip_names_the_file() {
        let e = Java
            .parse("opt/app/x.jar", b"PK\x03\x04garbage")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("opt/app/x.jar: x.jar: not a readable zip"),
            "{e}"
        );
    }
}
