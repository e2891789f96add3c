//! CycloneDX 1.6 JSON.

use std::collections::HashSet;

use seawall_types::{Location, OsInfo, Package};
use serde_json::{json, Map, Value};

use crate::license::{is_compound, is_expression, is_spdx_id};
use crate::{abs_path, content_uuid, created, package_from, rel_path, Sbom, SbomError};

const P_LAYER: &str = "seawall:layer";
const P_PATH: &str = "seawall:path";
const P_ECOSYSTEM: &str = "seawall:ecosystem";
const P_SOURCE_NAME: &str = "seawall:source_name";
const P_SOURCE_VERSION: &str = "seawall:source_version";
const P_DEV: &str = "seawall:dev";

fn licenses(p: &Package) -> Option<Value> {
    if p.licenses.is_empty() {
        return None;
    }
    // One compound expression of listed ids: an expression entry. Otherwise
    // one entry per licence (ids when listed, names otherwise).
    if let [only] = p.licenses.as_slice() {
        if is_compound(only) && is_expression(only) {
            return Some(json!([{ "expression": only }]));
        }
    }
    let mut seen = HashSet::new();
    let list: Vec<Value> = p
        .licenses
        .iter()
        .filter(|l| !l.trim().is_empty() && seen.insert(l.as_str()))
        .map(|l| {
            if is_spdx_id(l) {
                json!({ "license": { "id": l } })
            } else {
                json!({ "license": { "name": l } })
            }
        })
        .collect();
    (!list.is_empty()).then_some(Value::Array(list))
}

fn prop(name: &str, value: &str) -> Value {
    json!({ "name": name, "value": value })
}

pub(crate) fn write(sbom: &Sbom) -> Value {
    let root_ref = "seawall:target";
    let mut refs_seen: HashSet<String> = HashSet::new();
    let mut unique_ref = |base: &str| -> String {
        let mut r = base.to_string();
        let mut n = 1;
        while !refs_seen.insert(r.clone()) {
            n += 1;
            r = format!("{base}#{n}");
        }
        r
    };
    unique_ref(root_ref);
    let mut components = Vec::new();
    let mut depends = Vec::new();
    if let Some(os) = &sbom.os {
        let r = unique_ref(&format!("os:{}@{}", os.family, os.version));
        let mut c = json!({
            "bom-ref": r,
            "type": "operating-system",
            "name": os.family,
            "version": os.version,
        });
        if let Some(pn) = &os.pretty_name {
            c["description"] = json!(pn);
        }
        components.push(c);
        depends.push(r);
    }
    for p in &sbom.packages {
        let r = unique_ref(if p.purl.is_empty() { &p.name } else { &p.purl });
        let mut c = Map::new();
        c.insert("bom-ref".into(), json!(r));
        c.insert("type".into(), json!("library"));
        c.insert("name".into(), json!(p.name));
        c.insert("version".into(), json!(p.version));
        if !p.purl.is_empty() {
            c.insert("purl".into(), json!(p.purl));
        }
        if let Some(l) = licenses(p) {
            c.insert("licenses".into(), l);
        }
        let mut props = vec![prop(P_ECOSYSTEM, &format!("{:?}", p.ecosystem))];
        for loc in &p.locations {
            if let Some(layer) = &loc.layer {
                props.push(prop(P_LAYER, layer));
            }
            props.push(prop(P_PATH, &abs_path(&loc.path)));
        }
        if let Some(s) = &p.source_name {
            props.push(prop(P_SOURCE_NAME, s));
        }
        if let Some(s) = &p.source_version {
            props.push(prop(P_SOURCE_VERSION, s));
        }
        if p.dev {
            props.push(prop(P_DEV, "true"));
        }
        c.insert("properties".into(), Value::Array(props));
        components.push(Value::Object(c));
        depends.push(r);
    }
    let mut target = json!({
        "bom-ref": root_ref,
        "type": if sbom.kind == "dir" { "file" } else { "container" },
        "name": sbom.name,
    });
    if let Some(id) = &sbom.image_id {
        target["version"] = json!(id);
    }
    if !sbom.kind.is_empty() {
        target["properties"] = json!([prop("seawall:source_kind", &sbom.kind)]);
    }
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", content_uuid(sbom, "cyclonedx")),
        "version": 1,
        "metadata": {
            "timestamp": created(sbom),
            "tools": { "components": [{
                "type": "application",
                "name": "seawall",
                "version": env!("CARGO_PKG_VERSION"),
            }]},
            "component": target,
        },
        "components": components,
        "dependencies": [{ "ref": root_ref, "dependsOn": depends }],
    })
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

pub(crate) fn read(what: &str, v: &Value) -> Result<Sbom, SbomError> {
    let bad = |m: &str| SbomError::Invalid {
        what: what.to_string(),
        msg: m.to_string(),
    };
    let comps = match v.get("components") {
        None => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(bad("\"components\" is not an array")),
    };
    let meta = v.get("metadata");
    let target = meta.and_then(|m| m.get("component"));
    let mut sbom = Sbom {
        name: target.and_then(|t| s(t, "name")).unwrap_or_default(),
        image_id: target
            .and_then(|t| s(t, "version"))
            .filter(|v| v.starts_with("sha256:")),
        created: meta.and_then(|m| s(m, "timestamp")),
        ..Default::default()
    };
    if let Some(props) = target
        .and_then(|t| t.get("properties"))
        .and_then(Value::as_array)
    {
        for p in props {
            if s(p, "name").as_deref() == Some("seawall:source_kind") {
                sbom.kind = s(p, "value").unwrap_or_default();
            }
        }
    }
    // Nested components (CycloneDX allows a tree) are flattened, bounded.
    let mut stack: Vec<(Value, usize)> = comps.into_iter().map(|c| (c, 0)).collect();
    while let Some((c, depth)) = stack.pop() {
        if depth < 16 {
            if let Some(Value::Array(sub)) = c.get("components") {
                stack.extend(sub.iter().cloned().map(|x| (x, depth + 1)));
            }
        }
        let ty = s(&c, "type").unwrap_or_default();
        let name = s(&c, "name").unwrap_or_default();
        let version = s(&c, "version").unwrap_or_default();
        if ty == "operating-system" {
            if sbom.os.is_none() {
                sbom.os = Some(OsInfo {
                    family: name,
                    version,
                    codename: None,
                    pretty_name: s(&c, "description"),
                });
            }
            continue;
        }
        let Some(purl) = s(&c, "purl") else { continue };
        let mut lic = Vec::new();
        for l in c
            .get("licenses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(e) = s(l, "expression") {
                lic.push(e);
            } else if let Some(x) = l.get("license") {
                if let Some(id) = s(x, "id").or_else(|| s(x, "name")) {
                    lic.push(id);
                }
            }
        }
        let mut locations: Vec<Location> = Vec::new();
        let mut layer: Option<String> = None;
        let (mut src_name, mut src_ver, mut dev) = (None, None, false);
        for p in c
            .get("properties")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(n), Some(val)) = (s(p, "name"), s(p, "value")) else {
                continue;
            };
            match n.as_str() {
                P_LAYER => layer = Some(val),
                P_PATH => locations.push(Location {
                    layer: layer.take(),
                    path: rel_path(&val),
                }),
                P_SOURCE_NAME => src_name = Some(val),
                P_SOURCE_VERSION => src_ver = Some(val),
                P_DEV => dev = val == "true",
                _ => {}
            }
        }
        if let Some(mut pkg) = package_from(name, version, purl, lic, locations) {
            pkg.source_name = src_name;
            pkg.source_version = src_ver;
            pkg.dev = dev;
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
