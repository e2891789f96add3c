//! Scans an image layer by layer (through the cache) and merges the layers'
//! results the way an overlay filesystem would: a path in an upper layer
//! replaces the lower one, `.wh.NAME` deletes a path and everything under
//! it, `.wh..wh..opq` hides everything lower under a directory.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

use seawall_catalog::Cataloger;
use seawall_types::Package;

use crate::cache::Cache;
use crate::inspect::{EntryMeta, Inspector, LayerFinding, PathSet};
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
    kept: BTreeMap<String, EntryMeta>,
}

/// What a layer deletes or replaces, for placing inspectors' findings.
struct Hides {
    diff_id: String,
    whiteouts: Vec<String>,
    opaque: Vec<String>,
    paths: PathSet,
}

fn under(path: &str, dir: &str) -> bool {
    dir.is_empty() || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

impl Hides {
    fn hides(&self, path: &str) -> bool {
        self.paths.contains(path)
            || self.whiteouts.iter().any(|w| w == path || under(path, w))
            || self.opaque.iter().any(|d| under(path, d))
    }
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
        remove_prefixed(&mut self.kept, dir);
    }

    fn remove(&mut self, path: &str) {
        self.files.remove(path);
        self.release.remove(path);
        self.links.remove(path);
        self.kept.remove(path);
    }

    /// Drops what lower layers had at paths this layer has an entry for,
    /// whatever the entry is (a cataloged file replaced by one no cataloger
    /// wants must not leave the lower packages behind).
    fn replace(&mut self, paths: &PathSet) {
        if paths.is_empty() {
            return;
        }
        fn drop_in<V>(m: &mut BTreeMap<String, V>, paths: &PathSet) {
            m.retain(|k, _| !paths.contains(k));
        }
        drop_in(&mut self.files, paths);
        drop_in(&mut self.release, paths);
        drop_in(&mut self.links, paths);
        drop_in(&mut self.kept, paths);
    }

    pub(crate) fn apply(&mut self, idx: usize, a: &LayerAnalysis) {
        self.replace(&a.paths);
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
        for e in &a.kept {
            self.kept.insert(e.path.clone(), e.clone());
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

/// The artifact description of an opened image.
pub(crate) fn artifact_of(image: &dyn Image, layers: Vec<LayerInfo>) -> Artifact {
    let meta = image.meta();
    Artifact {
        name: meta.name.clone(),
        kind: image.kind(),
        image_id: meta.image_id.clone(),
        manifest_digest: meta.manifest_digest.clone(),
        repo_tags: meta.repo_tags.clone(),
        os: meta.os.clone(),
        architecture: meta.architecture.clone(),
        layers,
    }
}

pub(crate) fn scan_image(
    image: &dyn Image,
    catalogers: &[Box<dyn Cataloger>],
    inspectors: &[&dyn Inspector],
    opts: &ScanOptions,
) -> Result<ImageScan, ImageError> {
    let meta = image.meta();
    let cache = opts
        .cache_dir
        .as_deref()
        .map(|d| Cache::new(d, catalogers, inspectors));
    let mut merged = Merged::default();
    let mut warnings = Vec::new();
    let mut layers = Vec::new();
    let mut hides: Vec<Hides> = Vec::new();
    let mut found: Vec<LayerFinding> = Vec::new();
    for (i, l) in meta.layers.iter().enumerate() {
        let what = format!("{}: layer {} ({})", meta.name, i + 1, l.diff_id);
        let hit = cache.as_ref().and_then(|c| c.get(&l.diff_id));
        let cached = hit.is_some();
        let a = match hit {
            Some(a) => a,
            None => {
                let open = || image.open_layer(i);
                let a = layer::analyze(
                    &open,
                    &what,
                    Some(&l.diff_id),
                    catalogers,
                    inspectors,
                    &opts.limits,
                )?;
                if let Some(c) = &cache {
                    warnings.extend(c.put(&l.diff_id, &a));
                }
                a
            }
        };
        warnings.extend(a.warnings.iter().cloned());
        merged.apply(i, &a);
        if !inspectors.is_empty() {
            for f in &a.found {
                for v in &f.values {
                    found.push(LayerFinding {
                        inspector: f.inspector,
                        layer_index: i,
                        layer: Some(l.diff_id.clone()),
                        path: f.path.clone(),
                        deleted_in_layer: None,
                        value: v.clone(),
                    });
                }
            }
            hides.push(Hides {
                diff_id: l.diff_id.clone(),
                whiteouts: a.whiteouts,
                opaque: a.opaque,
                paths: a.paths,
            });
        }
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
    for f in &mut found {
        f.deleted_in_layer = hides
            .iter()
            .skip(f.layer_index + 1)
            .find(|h| h.hides(&f.path))
            .map(|h| h.diff_id.clone());
    }
    Ok(ImageScan {
        artifact: artifact_of(image, layers),
        os,
        packages,
        warnings,
        findings: found,
        entries: std::mem::take(&mut merged.kept).into_values().collect(),
        config: Some(meta.config.clone()),
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

    /// An in-memory image of uncompressed tar layers.
    struct MemImage {
        meta: crate::source::ImageMeta,
        layers: Vec<Vec<u8>>,
    }

    impl Image for MemImage {
        fn kind(&self) -> &'static str {
            "docker-archive"
        }
        fn meta(&self) -> &crate::source::ImageMeta {
            &self.meta
        }
        fn open_layer(&self, idx: usize) -> Result<Box<dyn std::io::Read + '_>, ImageError> {
            Ok(Box::new(std::io::Cursor::new(self.layers[idx].clone())))
        }
    }

    enum E<'a> {
        File(&'a str, u32, &'a [u8]),
        Dir(&'a str, u32),
    }

    fn layer(entries: &[E]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for e in entries {
            let mut h = tar::Header::new_gnu();
            match e {
                E::File(p, mode, data) => {
                    h.set_size(data.len() as u64);
                    h.set_mode(*mode);
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_cksum();
                    b.append_data(&mut h, p, *data).unwrap();
                }
                E::Dir(p, mode) => {
                    h.set_size(0);
                    h.set_mode(*mode);
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_cksum();
                    b.append_data(&mut h, p, &[][..]).unwrap();
                }
            }
        }
        b.into_inner().unwrap()
    }

    fn image(layers: Vec<Vec<u8>>) -> MemImage {
        let refs = layers
            .iter()
            .map(|l| crate::source::LayerRef {
                diff_id: format!("sha256:{}", layer::sha256_hex(l)),
                digest: None,
                size: Some(l.len() as u64),
                locator: String::new(),
            })
            .collect();
        MemImage {
            meta: crate::source::ImageMeta {
                name: "mem".into(),
                image_id: None,
                manifest_digest: None,
                repo_tags: vec![],
                os: None,
                architecture: None,
                layers: refs,
                config: b"{}".to_vec(),
            },
            layers,
        }
    }

    use crate::inspect::Grep;

    const META: &[u8] = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n";

    #[test]
    fn inspectors_see_deleted_and_replaced_files_and_the_final_modes() {
        let l0 = layer(&[
            E::File("app/key.txt", 0o600, b"SECRET one"),
            E::File("app/conf.txt", 0o644, b"SECRET two"),
            E::File("app/keep.txt", 0o644, b"SECRET three"),
            E::File("usr/bin/helper", 0o4755, b"binary"),
            E::File("usr/bin/other", 0o4755, b"binary"),
            E::File(
                "usr/lib/python3/dist-packages/demo-1.0.dist-info/METADATA",
                0o644,
                META,
            ),
        ]);
        let l1 = layer(&[
            E::File("app/.wh.key.txt", 0o644, b""),
            // Rewritten without the secret, and chmod u-s: plain entries
            // at the same paths, which nothing wants.
            E::File("app/conf.txt", 0o644, b"clean"),
            E::File("usr/bin/helper", 0o755, b"binary"),
            // A cataloged file replaced by a directory.
            E::Dir(
                "usr/lib/python3/dist-packages/demo-1.0.dist-info/METADATA",
                0o755,
            ),
        ]);
        let img = image(vec![l0, l1]);
        let diff1 = img.meta.layers[1].diff_id.clone();
        let cats = seawall_catalog::builtin();
        let opts = ScanOptions {
            cache_dir: None,
            ..ScanOptions::default()
        };
        let scan = scan_image(&img, &cats, &[&Grep], &opts).unwrap();
        assert!(scan.packages.is_empty(), "{:?}", scan.packages);
        let mut got: Vec<(String, Option<String>)> = scan
            .findings
            .iter()
            .map(|f| (f.path.clone(), f.deleted_in_layer.clone()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("app/conf.txt".to_string(), Some(diff1.clone())),
                ("app/keep.txt".to_string(), None),
                ("app/key.txt".to_string(), Some(diff1)),
            ]
        );
        assert!(scan.findings.iter().all(|f| f.layer_index == 0));
        let kept: Vec<&str> = scan.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(kept, vec!["usr/bin/other"]);
    }

    #[test]
    fn cache_keeps_inspector_results_apart() {
        let l0 = layer(&[E::File("a.txt", 0o644, b"SECRET")]);
        let img = image(vec![l0]);
        let dir = tempfile::tempdir().unwrap();
        let cats = seawall_catalog::builtin();
        let opts = ScanOptions {
            cache_dir: Some(dir.path().to_path_buf()),
            ..ScanOptions::default()
        };
        let plain = scan_image(&img, &cats, &[], &opts).unwrap();
        assert!(plain.findings.is_empty());
        let first = scan_image(&img, &cats, &[&Grep], &opts).unwrap();
        assert!(!first.artifact.layers[0].cached);
        let again = scan_image(&img, &cats, &[&Grep], &opts).unwrap();
        assert!(again.artifact.layers[0].cached);
        assert_eq!(first.findings, again.findings);
        assert_eq!(again.findings.len(), 1);
    }
}
