//! Inspectors over a plain root directory (`dir:PATH`): the same entry
//! metadata and file contents an image layer would give, read from disk.
//! Symlinks are never followed and other file systems mounted below the
//! root (`/proc`, `/sys`) are not entered.

use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::inspect::{EntryKind, EntryMeta, Inspector, LayerFinding};
use crate::ImageError;

/// Most entries walked (a bound on time and memory for hostile trees).
const MAX_ENTRIES: usize = 5_000_000;

pub(crate) fn inspect_dir(
    root: &Path,
    inspectors: &[&dyn Inspector],
    warnings: &mut Vec<String>,
) -> Result<(Vec<LayerFinding>, Vec<EntryMeta>), ImageError> {
    let what = root.display().to_string();
    let root_meta = fs::metadata(root).map_err(|e| ImageError::io(&what, e))?;
    let dev = root_meta.dev();
    let mut found = Vec::new();
    let mut kept = Vec::new();
    let mut stack: Vec<String> = vec![String::new()];
    let mut seen = 0usize;
    while let Some(rel) = stack.pop() {
        let dir = if rel.is_empty() {
            root.to_path_buf()
        } else {
            root.join(&rel)
        };
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) => {
                warnings.push(format!("{}: skipped: {e}", dir.display()));
                continue;
            }
        };
        let mut names: Vec<String> = Vec::new();
        for ent in rd {
            match ent {
                Ok(ent) => match ent.file_name().into_string() {
                    Ok(n) => names.push(n),
                    Err(n) => warnings.push(format!(
                        "{}: skipped {:?}: name is not UTF-8",
                        dir.display(),
                        n
                    )),
                },
                Err(e) => warnings.push(format!("{}: {e}", dir.display())),
            }
        }
        names.sort();
        for name in names.into_iter().rev() {
            seen += 1;
            if seen > MAX_ENTRIES {
                return Err(ImageError::invalid(
                    what,
                    format!("more than {MAX_ENTRIES} entries"),
                ));
            }
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let full = root.join(&path);
            let m = match fs::symlink_metadata(&full) {
                Ok(m) => m,
                Err(e) => {
                    warnings.push(format!("{}: skipped: {e}", full.display()));
                    continue;
                }
            };
            let ft = m.file_type();
            let kind = if ft.is_file() {
                EntryKind::File
            } else if ft.is_dir() {
                EntryKind::Dir
            } else if ft.is_symlink() {
                EntryKind::Symlink
            } else {
                EntryKind::Other
            };
            let meta = EntryMeta {
                path: path.clone(),
                kind,
                mode: m.mode() & 0o7777,
                size: m.len(),
                uid: u64::from(m.uid()),
                gid: u64::from(m.gid()),
            };
            if inspectors.iter().any(|i| i.keep(&meta)) {
                kept.push(meta);
            }
            match kind {
                EntryKind::Dir if m.dev() == dev => stack.push(path),
                EntryKind::File => {
                    let size = m.len();
                    for (k, ins) in inspectors.iter().enumerate() {
                        if !ins.wants(&path, size) {
                            continue;
                        }
                        let values = File::open(&full).and_then(|f| {
                            let mut r = f.take(size);
                            ins.inspect(&path, &mut r)
                        });
                        match values {
                            Ok(values) => {
                                for value in values {
                                    found.push(LayerFinding {
                                        inspector: k,
                                        layer_index: 0,
                                        layer: None,
                                        path: path.clone(),
                                        deleted_in_layer: None,
                                        value,
                                    });
                                }
                            }
                            Err(e) => warnings.push(format!("{}: skipped: {e}", full.display())),
                        }
                    }
                }
                _ => {}
            }
        }
    }
    kept.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((found, kept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    use crate::inspect::Grep;

    #[test]
    fn walks_without_following_symlinks() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        fs::create_dir_all(root.join("app/conf")).unwrap();
        fs::write(root.join("app/conf/key.txt"), "SECRET").unwrap();
        fs::write(root.join("app/clean.txt"), "nothing").unwrap();
        fs::write(root.join("app/tool"), "bin").unwrap();
        fs::set_permissions(root.join("app/tool"), fs::Permissions::from_mode(0o4755)).unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("leak.txt"), "SECRET").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("app/out")).unwrap();
        let mut warnings = Vec::new();
        let (found, kept) = inspect_dir(root, &[&Grep], &mut warnings).unwrap();
        let paths: Vec<&str> = found.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, vec!["app/conf/key.txt"]);
        assert!(found[0].layer.is_none() && found[0].deleted_in_layer.is_none());
        let kept: Vec<(&str, EntryKind)> = kept.iter().map(|e| (e.path.as_str(), e.kind)).collect();
        assert_eq!(
            kept,
            vec![
                ("app/out", EntryKind::Symlink),
                ("app/tool", EntryKind::File)
            ]
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        let e = inspect_dir(&root.join("missing"), &[&Grep], &mut warnings).unwrap_err();
        assert!(e.to_string().contains("missing"), "{e}");
    }
}
