//! SPDX 2.3 JSON.

use std::collections::BTreeMap;

use seawall_types::{Location, OsInfo, Package};
use serde_json::{json, Map, Value};

use crate::license::{is_compound, is_expression, license_ref};
use crate::{abs_path, content_uuid, created, package_from, rel_path, Sbom, SbomError};

const ROOT_ID: &str = "SPDXRef-Target";
const OS_ID: &str = "SPDXRef-OperatingSystem";

/// `licenseDeclared` for a package, collecting `LicenseRef-`s for free text.
fn declared(p: &Package, refs: &mut BTreeMap<String, String>) -> String {
    let mut parts: Vec<String> = Vec::new();
    for l in &p.licenses {
        let l = l.trim();
        if l.is_empty() {
            continue;
        }
        let e = if is_expression(l) {
            if is_compound(l) && p.licenses.len() > 1 {
                format!("({l})")
            } else {
                l.to_string()
            }
        } else {
            let r = license_ref(l);
            refs.insert(r.clone(), l.to_string());
            r
        };
        if !parts.contains(&e) {
            parts.push(e);
        }
    }
    if parts.is_empty() {
        "NOASSERTION".into()
    } else {
        parts.join(" AND ")
    }
}

fn source_info(p: &Package) -> Option<String> {
    let lines: Vec<String> = p
        .locations
        .iter()
        .map(|l| match &l.layer {
            Some(layer) => format!("layer={layer} path={}", abs_path(&l.path)),
            None => format!("path={}", abs_path(&l.path)),
        })
        .collect();
    (!lines.is_empty()).then(|| format!("found at:\n{}", lines.join("\n")))
}

pub(crate) fn write(sbom: &Sbom) -> Value {
    let mut refs = BTreeMap::new();
    let mut packages = Vec::new();
    let mut rels = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": ROOT_ID,
    })];
    let mut root = json!({
        "SPDXID": ROOT_ID,
        "name": sbom.name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": if sbom.kind == "dir" { "FILE" } else { "CONTAINER" },
    });
    if let Some(id) = &sbom.image_id {
        root["versionInfo"] = json!(id);
    }
    if !sbom.kind.is_empty() {
        root["comment"] = json!(format!("source kind: {}", sbom.kind));
    }
    packages.push(root);
    if let Some(os) = &sbom.os {
        let mut o = json!({
            "SPDXID": OS_ID,
            "name": os.family,
            "versionInfo": os.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": "OPERATING-SYSTEM",
        });
        if let Some(pn) = &os.pretty_name {
            o["description"] = json!(pn);
        }
        packages.push(o);
        rels.push(json!({
            "spdxElementId": ROOT_ID,
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": OS_ID,
        }));
    }
    for (i, p) in sbom.packages.iter().enumerate() {
        let id = format!("SPDXRef-Package-{}", i + 1);
        let mut m = Map::new();
        m.insert("SPDXID".into(), json!(id));
        m.insert("name".into(), json!(p.name));
        m.insert("versionInfo".into(), json!(p.version));
        m.insert("downloadLocation".into(), json!("NOASSERTION"));
        m.insert("filesAnalyzed".into(), json!(false));
        m.insert("licenseConcluded".into(), json!("NOASSERTION"));
        m.insert("licenseDeclared".into(), json!(declared(p, &mut refs)));
        m.insert("copyrightText".into(), json!("NOASSERTION"));
        m.insert("primaryPackagePurpose".into(), json!("LIBRARY"));
        if let Some(si) = source_info(p) {
            m.insert("sourceInfo".into(), json!(si));
        }
        if let Some(s) = &p.source_name {
            let v = p.source_version.as_deref().unwrap_or("");
            m.insert(
                "comment".into(),
                json!(format!("source package: {s} {v}").trim_end().to_string()),
            );
        }
        if !p.purl.is_empty() {
            m.insert(
                "externalRefs".into(),
                json!([{
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": p.purl,
                }]),
            );
        }
        packages.push(Value::Object(m));
        rels.push(json!({
            "spdxElementId": ROOT_ID,
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": id,
        }));
    }
    let mut doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": if sbom.name.is_empty() { "seawall-sbom".to_string() } else { sbom.name.clone() },
        "documentNamespace": format!("https://seawall.invalid/spdx/{}", content_uuid(sbom, "spdx")),
        "creationInfo": {
            "created": created(sbom),
            "creators": [format!("Tool: seawall-{}", env!("CARGO_PKG_VERSION"))],
        },
        "packages": packages,
        "relationships": rels,
    });
    if !refs.is_empty() {
        doc["hasExtractedLicensingInfos"] = Value::Array(
            refs.into_iter()
                .map(|(id, text)| json!({ "licenseId": id, "extractedText": text, "name": text }))
                .collect(),
        );
    }
    doc
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

/// Splits `A AND B AND (C OR D)` at top-level ANDs.
fn split_and(e: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    let words: Vec<&str> = e.split(' ').collect();
    for w in words {
        depth += w.matches('(').count() as i32 - w.matches(')').count() as i32;
        if w == "AND" && depth == 0 {
            out.push(std::mem::take(&mut cur));
            continue;
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.into_iter()
        .map(|p| {
            let t = p.trim();
            if t.starts_with('(') && t.ends_with(')') && depth == 0 {
                t[1..t.len() - 1].to_string()
            } else {
                t.to_string()
            }
        })
        .collect()
}

pub(crate) fn read(what: &str, v: &Value) -> Result<Sbom, SbomError> {
    let bad = |m: &str| SbomError::Invalid {
        what: what.to_string(),
        msg: m.to_string(),
    };
    let ver = s(v, "spdxVersion").unwrap_or_default();
    if !ver.starts_with("SPDX-2.") {
        return Err(bad(&format!(
            "unsupported spdxVersion {ver:?} (expected SPDX-2.x)"
        )));
    }
    let pkgs = match v.get("packages") {
        None => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(bad("\"packages\" is not an array")),
    };
    let mut refs: BTreeMap<String, String> = BTreeMap::new();
    for e in v
        .get("hasExtractedLicensingInfos")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(id), Some(text)) = (
            s(e, "licenseId"),
            s(e, "name").or_else(|| s(e, "extractedText")),
        ) {
            refs.insert(id, text);
        }
    }
    let described: Vec<String> = v
        .get("relationships")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| s(r, "relationshipType").as_deref() == Some("DESCRIBES"))
        .filter_map(|r| s(r, "relatedSpdxElement"))
        .collect();
    let mut sbom = Sbom {
        name: s(v, "name").unwrap_or_default(),
        created: v.get("creationInfo").and_then(|c| s(c, "created")),
        ..Default::default()
    };
    for p in pkgs {
        let id = s(&p, "SPDXID").unwrap_or_default();
        let name = s(&p, "name").unwrap_or_default();
        let version = s(&p, "versionInfo").unwrap_or_default();
        let purpose = s(&p, "primaryPackagePurpose").unwrap_or_default();
        if described.contains(&id) {
            sbom.name = name;
            sbom.image_id = Some(version).filter(|v| v.starts_with("sha256:"));
            if let Some(k) =
                s(&p, "comment").and_then(|c| c.strip_prefix("source kind: ").map(str::to_string))
            {
                sbom.kind = k;
            }
            continue;
        }
        if purpose == "OPERATING-SYSTEM" {
            if sbom.os.is_none() {
                sbom.os = Some(OsInfo {
                    family: name,
                    version,
                    codename: None,
                    pretty_name: s(&p, "description"),
                });
            }
            continue;
        }
        let purl = p
            .get("externalRefs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| s(r, "referenceType").as_deref() == Some("purl"))
            .and_then(|r| s(r, "referenceLocator"));
        let Some(purl) = purl else { continue };
        let licenses = match s(&p, "licenseDeclared") {
            Some(d) if d != "NOASSERTION" && d != "NONE" => split_and(&d)
                .into_iter()
                .map(|l| refs.get(&l).cloned().unwrap_or(l))
                .collect(),
            _ => Vec::new(),
        };
        let mut locations = Vec::new();
        for line in s(&p, "sourceInfo").unwrap_or_default().lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("layer=") {
                if let Some((layer, path)) = rest.split_once(" path=") {
                    locations.push(Location {
                        layer: Some(layer.to_string()),
                        path: rel_path(path),
                    });
                }
            } else if let Some(path) = line.strip_prefix("path=") {
                locations.push(Location {
                    layer: None,
                    path: rel_path(path),
                });
            }
        }
        if let Some(mut pkg) = package_from(name, version, purl, licenses, locations) {
            if let Some(c) = s(&p, "comment")
                .and_then(|c| c.strip_prefix("source package: ").map(str::to_string))
            {
                let mut it = c.splitn(2, ' ');
                pkg.source_name = it.next().map(str::to_string);
                pkg.source_version = it.next().map(str::to_string).filter(|v| !v.is_empty());
            }
            sbom.packages.push(pkg);
        }
    }
    sbom.packages.sort_by(|a, b| {
        (a.ecosystem, &a.name, &a.version, &a.purl).cmp(&(
            b.ecosystem,
            &b.name,
            &b.version,
            &b.purl,
        ))
    });
    Ok(sbom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn and_split() {
        assert_eq!(split_and("MIT AND (A OR B)"), vec!["MIT", "A OR B"]);
        assert_eq!(split_and("MIT"), vec!["MIT"]);
    }
}
