//! Scans an image layer by layer (through the cache) and merges the layers'
//! results the way an overlay filesystem would: a path in an upper layer
//! replaces the lower one, `.wh.NAME` deletes a path and everything under
//! it, `.wh..wh..opq` hides everything lower under a directory.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

use seawall_catalog::Cataloger;
use seawall_types::Package;

use crate::cache::Cache;
use crate::layer::{self, LayerAnalysis};
use crate::source::Image;
use crate::{Artifact, ImageError, ImageScan, LayerInfo, ScanOptions};

/// Most symlinks followed resolving one path.
const MAX_LINK_HOPS: usize = 40;

#[derive(Default)]
pub(crate) struct Merged {
    files: BTreeMap<String, (usize, Vec<Package>)>,
    release: BTreeMap<String, String>,
    links: BTreeMap<String, String>,
}

fn remove_prefixed<V>(m: &mut BTreeMap<String, V>, dir: &str) {
    if dir.is_empty() {
        m.clear();
        return;
    }
    let lo = format!("{dir}/");
    let hi = format!("{dir}0"); // '0' sorts right after '/'
    let keys: Vec<String> = m.range(lo..hi).map(|(k, _)| k.clone()).collect();
    for k in keys {
        m.remove(&k);
    }
}

impl Merged {
    fn clear_under(&mut self, dir: &str) {
        remove_prefixed(&mut self.files, dir);
        remove_prefixed(&mut self.release, dir);
        remove_prefixed(&mut self.links, dir);
    }

    fn remove(&mut self, path: &str) {
        self.files.remove(path);
        self.release.remove(path);
        self.links.remove(path);
    }

    pub(crate) fn apply(&mut self, idx: usize, a: &LayerAnalysis) {
        for d in &a.opaque {
            self.clear_under(d);
        }
        for w in &a.whiteouts {
            self.remove(w);
            self.clear_under(w);
        }
        for (p, t) in &a.symlinks {
            self.remove(p);
            self.clear_under(p);
            self.links.insert(p.clone(), t.clone());
        }
        for (p, text) in &a.release {
            self.links.remove(p);
            self.release.insert(p.clone(), text.clone());
        }
        for f in &a.files {
            self.links.remove(&f.path);
            self.files.insert(f.path.clone(), (idx, f.packages.clone()));
        }
    }

    /// Resolves symlinks in `path` as if the image root were `/`; a link can
    /// never lead outside it. `None` on a loop.
    pub(crate) fn resolve(&self, path: &str) -> Option<String> {
        let mut parts: Vec<String> = Vec::new();
        let mut queue: VecDeque<String> = path
            .split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        let mut hops = 0;
        while let Some(c) = queue.pop_front() {
            match c.as_str() {
                "." => continue,
                ".." => {
                    parts.pop();
                    continue;
                }
                _ => {}
            }
            parts.push(c);
            let cur = parts.join("/");
            if let Some(t) = self.links.get(&cur) {
                hops += 1;
                if hops > MAX_LINK_HOPS {
                    return None;
                }
                parts.pop();
                if t.starts_with('/') {
                    parts.clear();
                }
                let mut next: VecDeque<String> = t
                    .split('/')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect();
                next.extend(queue);
                queue = next;
            }
        }
        Some(parts.join("/"))
    }
}

pub(crate) fn scan_image(
    image: &dyn Image,
    catalogers: &[Box<dyn Cataloger>],
    opts: &ScanOptions,
) -> Result<ImageScan, ImageError> {
    let meta = image.meta();
    let cache = opts.cache_dir.as_deref().map(|d| Cache::new(d, catalogers));
    let mut merged = Merged::default();
    let mut warnings = Vec::new();
    let mut layers = Vec::new();
    for (i, l) in meta.layers.iter().enumerate() {
        let what = format!("{}: layer {} ({})", meta.name, i + 1, l.diff_id);
        let hit = cache.as_ref().and_then(|c| c.get(&l.diff_id));
        let cached = hit.is_some();
        let a = match hit {
            Some(a) => a,
            None => {
                let open = || image.open_layer(i);
                let a = layer::analyze(&open, &what, Some(&l.diff_id), catalogers, &opts.limits)?;
                if let Some(c) = &cache {
                    warnings.extend(c.put(&l.diff_id, &a));
                }
                a
            }
        };
        warnings.extend(a.warnings.iter().cloned());
        merged.apply(i, &a);
        layers.push(LayerInfo {
            diff_id: l.diff_id.clone(),
            digest: l.digest.clone(),
            size: l.size,
            cached,
        });
    }
    let looped = RefCell::new(None);
    let read = |p: &str| -> Option<Vec<u8>> {
        match merged.resolve(p) {
            Some(r) => merged.release.get(&r).map(|t| t.as_bytes().to_vec()),
            None => {
                looped.borrow_mut().get_or_insert_with(|| p.to_string());
                None
            }
        }
    };
    let os = seawall_catalog::detect_os(&read);
    if let Some(p) = looped.into_inner() {
        return Err(ImageError::invalid(
            &meta.name,
            format!("symlink loop resolving /{p}"),
        ));
    }
    let mut pkgs = Vec::new();
    for (path, (idx, list)) in std::mem::take(&mut merged.files) {
        let diff = meta.layers.get(idx).map(|l| l.diff_id.clone());
        for mut p in list {
            if p.locations.is_empty() {
                p.locations.push(seawall_types::Location {
                    layer: None,
                    path: path.clone(),
                });
            }
            for loc in &mut p.locations {
                loc.layer = diff.clone();
            }
            pkgs.push(p);
        }
    }
    let packages = seawall_catalog::finalize(pkgs, os.as_ref());
    Ok(ImageScan {
        artifact: Artifact {
            name: meta.name.clone(),
            kind: image.kind(),
            image_id: meta.image_id.clone(),
            manifest_digest: meta.manifest_digest.clone(),
            repo_tags: meta.repo_tags.clone(),
            os: meta.os.clone(),
            architecture: meta.architecture.clone(),
            layers,
        },
        os,
        packages,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::FileResult;

    fn pkg(name: &str) -> Package {
        Package {
            name: name.into(),
            version: "1".into(),
            ecosystem: seawall_types::Ecosystem::PyPI,
            purl: format!("pkg:pypi/{name}@1"),
            arch: None,
            source_name: None,
            source_version: None,
            licenses: vec![],
            locations: vec![],
            dev: false,
        }
    }

    #[test]
    fn upper_wins_whiteouts_and_opaque_delete() {
        let mut m = Merged::default();
        let l0 = LayerAnalysis {
            files: vec![
                FileResult {
                    path: "a/x/METADATA".into(),
                    packages: vec![pkg("x")],
                },
                FileResult {
                    path: "a/y/METADATA".into(),
                    packages: vec![pkg("y")],
                },
                FileResult {
                    path: "b/z/METADATA".into(),
                    packages: vec![pkg("z")],
                },
                FileResult {
                    path: "c/w".into(),
                    packages: vec![pkg("w")],
                },
            ],
            ..Default::default()
        };
        m.apply(0, &l0);
        let l1 = LayerAnalysis {
            files: vec![FileResult {
                path: "a/y/METADATA".into(),
                packages: vec![pkg("y2")],
            }],
            whiteouts: vec!["b/z".into()],
            opaque: vec!["c".into()],
            ..Default::default()
        };
        m.apply(1, &l1);
        let names: Vec<(String, usize, String)> = m
            .files
            .iter()
            .flat_map(|(p, (i, v))| v.iter().map(move |k| (p.clone(), *i, k.name.clone())))
            .collect();
        assert_eq!(
            names,
            vec![
                ("a/x/METADATA".to_string(), 0, "x".to_string()),
                ("a/y/METADATA".to_string(), 1, "y2".to_string())
            ]
        );
    }

    #[test]
    fn symlinks_stay_inside_the_root_and_loops_stop() {
        let mut m = Merged::default();
        m.links.insert(
            "etc/os-release".into(),
            "../../../usr/lib/os-release".into(),
        );
        m.links.insert("lib".into(), "/usr/lib".into());
        m.links.insert("loop".into(), "loop".into());
        assert_eq!(m.resolve("etc/os-release").unwrap(), "usr/lib/os-release");
        assert_eq!(m.resolve("lib/os-release").unwrap(), "usr/lib/os-release");
        assert_eq!(m.resolve("loop/x"), None);
    }
}
