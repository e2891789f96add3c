//! Cataloguing a plain directory (`dir:PATH`, `seawall fs DIR`).

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use seawall_types::{OsInfo, Package};

use crate::{builtin, detect_os, finalize, CatalogError, Cataloger, FileMeta, MAX_FILE_SIZE};

/// Deepest directory nesting walked (bounds the walk on pathological trees).
const MAX_DEPTH: usize = 128;
/// Most symlinks followed while resolving one path inside the root.
const MAX_LINKS: usize = 40;

/// Result of [`scan_dir_report`]: packages plus the files that failed.
#[derive(Debug, Default)]
pub struct DirScan {
    pub os: Option<OsInfo>,
    /// Finalized (purls filled, deduped, sorted).
    pub packages: Vec<Package>,
    /// One error per file a cataloger could not parse (each names the file).
    pub errors: Vec<CatalogError>,
}

/// Walks a plain directory with every [`builtin`] cataloger and returns the
/// OS and the finalized packages. Symlinks are never followed during the walk;
/// release files are resolved as if `root` were `/` (a link can never leave
/// it). The first file a cataloger rejects is returned as the error; use
/// [`scan_dir_report`] to keep going past bad files.
pub fn scan_dir(root: &Path) -> Result<(Option<OsInfo>, Vec<Package>), CatalogError> {
    let mut r = scan_dir_report(root)?;
    if !r.errors.is_empty() {
        return Err(r.errors.swap_remove(0));
    }
    Ok((r.os, r.packages))
}

/// Like [`scan_dir`] but collects per-file errors instead of stopping. `Err`
/// only when `root` itself cannot be read.
pub fn scan_dir_report(root: &Path) -> Result<DirScan, CatalogError> {
    scan_dir_with(root, &builtin())
}

pub(crate) fn scan_dir_with(
    root: &Path,
    catalogers: &[Box<dyn Cataloger>],
) -> Result<DirScan, CatalogError> {
    let meta = fs::metadata(root).map_err(|e| CatalogError::Io {
        path: root.display().to_string(),
        source: e,
    })?;
    if !meta.is_dir() {
        return Err(CatalogError::parse(
            &root.display().to_string(),
            "not a directory",
        ));
    }
    let root_dev = meta.dev();
    let read = |rel: &str| read_in_root(root, rel);
    let os = detect_os(&read);
    let mut pkgs = Vec::new();
    let mut errors = Vec::new();
    let mut stack: Vec<(PathBuf, String, usize)> = vec![(root.to_path_buf(), String::new(), 0)];
    while let Some((dir, rel, depth)) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                if depth == 0 {
                    return Err(CatalogError::Io {
                        path: dir.display().to_string(),
                        source: e,
                    });
                }
                errors.push(CatalogError::Io {
                    path: rel.clone(),
                    source: e,
                });
                continue;
            }
        };
        let mut names: Vec<_> = entries.filter_map(Result::ok).collect();
        names.sort_by_key(|e| e.file_name());
        for entry in names {
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let child_rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let Ok(md) = entry.metadata() else { continue };
            let ft = md.file_type();
            if ft.is_dir() {
                if entry.file_name() == ".git" {
                    continue; // history, not installed software
                }
                // Kernel filesystems mounted into a live root (`/proc`,
                // `/sys`, `/dev`) are not part of the image.
                if depth == 0
                    && matches!(child_rel.as_str(), "proc" | "sys" | "dev")
                    && md.dev() != root_dev
                {
                    continue;
                }
                if depth < MAX_DEPTH {
                    stack.push((entry.path(), child_rel, depth + 1));
                }
                continue;
            }
            if !ft.is_file() {
                continue; // symlinks, devices, sockets: never followed
            }
            let fm = FileMeta {
                path: &child_rel,
                size: md.len(),
                mode: md.mode(),
            };
            let wanted: Vec<&dyn Cataloger> = catalogers
                .iter()
                .filter(|c| c.wants(&fm))
                .map(|c| c.as_ref())
                .collect();
            if wanted.is_empty() || md.len() > MAX_FILE_SIZE {
                continue;
            }
            let data = match fs::read(entry.path()) {
                Ok(d) => d,
                Err(e) => {
                    errors.push(CatalogError::Io {
                        path: child_rel,
                        source: e,
                    });
                    continue;
                }
            };
            for c in wanted {
                match c.parse_with(&child_rel, &data, &read) {
                    Ok(p) => pkgs.extend(p),
                    Err(e) => errors.push(e),
                }
            }
        }
    }
    Ok(DirScan {
        packages: finalize(pkgs, os.as_ref()),
        os,
        errors,
    })
}

/// Reads a root-relative path, resolving symlinks as if `root` were `/`.
fn read_in_root(root: &Path, rel: &str) -> Option<Vec<u8>> {
    let p = resolve_in_root(root, rel)?;
    let md = fs::metadata(&p).ok()?;
    if !md.is_file() || md.len() > MAX_FILE_SIZE {
        return None;
    }
    fs::read(p).ok()
}

/// Resolves `rel` under `root`, following symlinks component by component
/// and clamping `..` and absolute targets to `root`.
pub(crate) fn resolve_in_root(root: &Path, rel: &str) -> Option<PathBuf> {
    let mut todo: Vec<String> = rel
        .split('/')
        .filter(|s| !s.is_empty())
        .rev()
        .map(str::to_string)
        .collect();
    let mut done: Vec<String> = Vec::new();
    let mut links = 0;
    while let Some(c) = todo.pop() {
        match c.as_str() {
            "." => continue,
            ".." => {
                done.pop();
                continue;
            }
            _ => {}
        }
        let mut cur = root.to_path_buf();
        cur.extend(&done);
        cur.push(&c);
        let md = fs::symlink_metadata(&cur).ok()?;
        if md.file_type().is_symlink() {
            links += 1;
            if links > MAX_LINKS {
                return None;
            }
            let target = fs::read_link(&cur).ok()?;
            let t = target.to_str()?;
            if t.starts_with('/') {
                done.clear();
            }
            for part in t.split('/').filter(|s| !s.is_empty()).rev() {
                todo.push(part.to_string());
            }
        } else {
            done.push(c);
        }
    }
    let mut p = root.to_path_buf();
    p.extend(&done);
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_stay_inside_root() {
        let tmp = std::env::temp_dir().join(format!("sw-cat-dir-{}", std::process::id()));
        let root = tmp.join("root");
        fs::create_dir_all(root.join("usr/lib")).unwrap();
        fs::create_dir_all(root.join("etc")).unwrap();
        fs::write(
            root.join("usr/lib/os-release"),
            "ID=debian\nVERSION_ID=12\n",
        )
        .unwrap();
        std::os::unix::fs::symlink("../usr/lib/os-release", root.join("etc/os-release")).unwrap();
        // An escaping link resolves inside the root (to root/outside), not tmp/outside.
        fs::write(tmp.join("outside"), "secret").unwrap();
        std::os::unix::fs::symlink("../../../outside", root.join("etc/esc")).unwrap();
        std::os::unix::fs::symlink("loop", root.join("etc/loop")).unwrap();
        assert_eq!(
            read_in_root(&root, "etc/os-release").unwrap(),
            b"ID=debian\nVERSION_ID=12\n"
        );
        assert!(read_in_root(&root, "etc/esc").is_none());
        assert!(read_in_root(&root, "etc/loop").is_none());
        let (os, pkgs) = scan_dir(&root).unwrap();
        assert_eq!(os.unwrap().version, "12");
        assert!(pkgs.is_empty());
        fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn missing_root_names_it() {
        let e = scan_dir(Path::new("/nonexistent/sw-root")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/sw-root"), "{e}");
    }
}
