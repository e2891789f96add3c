//! Package catalogers: turn files of a root filesystem (an image layer, a
//! merged image, a plain directory) into [`Package`]s.
//!
//! The unit of work is one file. The caller (the image side, or
//! [`scan_dir`]) walks a filesystem, asks every [`Cataloger`] whether it
//! [`wants`](Cataloger::wants) a file from its path, size and mode alone, reads
//! only the wanted files and hands their bytes to
//! [`parse`](Cataloger::parse). Results per file can therefore be cached per
//! layer (key: layer digest + every cataloger's [`id`](Cataloger::id) and
//! [`version`](Cataloger::version)) and merged across layers: a path in an
//! upper layer replaces the lower one, whiteouts delete it. After merging, call
//! [`finalize`] with the detected [`OsInfo`] to fill in distro-dependent purls,
//! dedupe and sort.
//!
//! Multi-file formats are handled per file: dpkg `status.d/*` entries are each
//! a file, rpm databases are one file each, and the one cataloger that wants a
//! second file (python `License-File:`) gets it through
//! [`parse_with`](Cataloger::parse_with), reading only files it also
//! [`wants`](Cataloger::wants).
//!
//! ```no_run
//! let (os, pkgs) = seawall_catalog::scan_dir(std::path::Path::new("/srv/rootfs")).unwrap();
//! println!("{:?}: {} packages", os, pkgs.len());
//! ```

pub use seawall_types::{Ecosystem, Location, OsInfo, Package};

mod apk;
mod cargo;
mod composer;
pub mod dir;
mod dotnet;
mod dpkg;
mod gobin;
mod gomod;
mod java;
mod license;
mod lockfiles;
mod npm;
mod os;
mod purl;
mod python;
mod rpm;
mod ruby;
mod util;

pub use dir::{scan_dir, scan_dir_report, DirScan};
pub use dpkg::LICENSE_FACT;
pub use gobin::{read_build_info, BuildInfo};
pub use os::{detect_os, parse_os_release, OS_RELEASE_PATHS};
pub use purl::{finalize, os_purl};

/// Largest file any cataloger asks for (binaries, jars, rpm databases).
/// Everything a cataloger parses is held in memory once, so this bounds memory.
pub const MAX_FILE_SIZE: u64 = 512 * 1024 * 1024;

/// Metadata of a file in the final (or a layer's) filesystem. Paths are
/// relative to the root, no leading '/'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileMeta<'a> {
    pub path: &'a str,
    pub size: u64,
    /// `st_mode`: permission and file type bits (`0o100755` for an executable
    /// regular file). Callers that only know permissions may pass them with
    /// [`S_IFREG`] or'ed in.
    pub mode: u32,
}

/// `st_mode` file type mask and regular-file type.
pub const S_IFMT: u32 = 0o170000;
pub const S_IFREG: u32 = 0o100000;

impl FileMeta<'_> {
    /// Regular file (or a mode without type bits, treated as regular).
    pub fn is_regular(&self) -> bool {
        let t = self.mode & S_IFMT;
        t == S_IFREG || t == 0
    }
    /// Regular file with any execute bit.
    pub fn is_executable(&self) -> bool {
        self.is_regular() && self.mode & 0o111 != 0
    }
    /// Last path component.
    pub fn file_name(&self) -> &str {
        file_name(self.path)
    }
}

/// Last component of a '/'-separated path.
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A cataloger failed on one file. The message names the file and the problem.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The file's contents are not what the format requires.
    #[error("{path}: {msg}")]
    Parse { path: String, msg: String },
    /// Reading a file (or walking a directory) failed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl CatalogError {
    pub fn parse(path: &str, msg: impl Into<String>) -> Self {
        CatalogError::Parse {
            path: path.to_string(),
            msg: msg.into(),
        }
    }
    /// The file the error is about.
    pub fn path(&self) -> &str {
        match self {
            CatalogError::Parse { path, .. } | CatalogError::Io { path, .. } => path,
        }
    }
}

/// Reads another file of the same filesystem by root-relative path.
pub type ReadFn<'a> = &'a dyn Fn(&str) -> Option<Vec<u8>>;

/// One package format.
pub trait Cataloger: Send + Sync {
    /// Stable id: `dpkg`, `apk`, `rpm`, `python`, `npm`, `cargo`, `gobinary`...
    fn id(&self) -> &'static str;
    /// Bumped whenever output for the same input changes: part of the image
    /// layer cache key.
    fn version(&self) -> u32;
    /// Whether to read this file, decided from path, size and mode only.
    fn wants(&self, meta: &FileMeta) -> bool;
    /// Packages found in one wanted file. `path` is root-relative (no leading
    /// '/'); every returned package has `locations == [Location { layer:
    /// None, path }]`. An `Err` names the file and the problem; files that
    /// merely turn out not to be of the format (an executable that is not a Go
    /// binary) give `Ok(vec![])`.
    fn parse(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError>;
    /// Like [`parse`](Cataloger::parse), with access to other files of the same
    /// filesystem (the same layer, or the merged view). `read` only needs to
    /// serve files this cataloger [`wants`](Cataloger::wants); a `None` is not
    /// an error. Used by `python` to read `License-File:` texts inside
    /// `*.dist-info/`. The default ignores `read`.
    fn parse_with(
        &self,
        path: &str,
        data: &[u8],
        read: ReadFn<'_>,
    ) -> Result<Vec<Package>, CatalogError> {
        let _ = read;
        self.parse(path, data)
    }
}

/// Every built-in cataloger, in a fixed order: what is installed plus the
/// lock and manifest files of source trees. Use for `dir:`/`seawall fs`.
///
/// | id | reads | ecosystem |
/// |---|---|---|
/// | `dpkg` | `var/lib/dpkg/status`, `var/lib/dpkg/status.d/*` | deb |
/// | `dpkg-copyright` | `usr/share/doc/*/copyright` (licence facts, see [`finalize`]) | deb |
/// | `apk` | `lib/apk/db/installed` | apk |
/// | `rpm` | `{var/lib,usr/lib/sysimage,usr/share}/rpm/{Packages,Packages.db,rpmdb.sqlite}`, `var/lib/rpmmanifest/container-manifest-2` | rpm |
/// | `python` | `*.dist-info/METADATA` (+ licence files), `*.egg-info/PKG-INFO`, `*.egg-info` | PyPI |
/// | `npm` | `**/node_modules/[@scope/]name/package.json` | npm |
/// | `gemspec` | `**/specifications/[default/]*.gemspec` | RubyGems |
/// | `composer` | `**/vendor/composer/installed.json` | Packagist |
/// | `java` | `*.jar`, `*.war`, `*.ear`, `*.jpi`, `*.hpi`, loose `META-INF/maven/**/pom.properties` | Maven |
/// | `dotnet-deps` | `*.deps.json` | NuGet |
/// | `gobinary` | executables (Go build info) | Go |
/// | `cargo-auditable` | executables (`.dep-v0`) | crates.io |
/// | `npm-lock` | `package-lock.json`, `yarn.lock`, `pnpm-lock.yaml` (not under node_modules) | npm |
/// | `cargo` | `Cargo.lock` (not in the cargo registry cache) | crates.io |
/// | `gomod` | `go.mod` (not in the module cache) | Go |
/// | `python-lock` | `requirements*.txt` (`==` pins), `poetry.lock`, `Pipfile.lock`, `uv.lock` | PyPI |
/// | `gemfile-lock` | `Gemfile.lock`, `gems.locked` | RubyGems |
/// | `composer-lock` | `composer.lock` | Packagist |
/// | `nuget-lock` | `packages.lock.json` | NuGet |
pub fn builtin() -> Vec<Box<dyn Cataloger>> {
    let mut v = installed();
    v.extend(lockfiles());
    v
}

/// Catalogers of what is installed (package databases, installed metadata,
/// archives and binaries): what image scanning should use, so the result
/// matches the package managers' view (`npm ls`, `pip list`) and excludes
/// dependencies a lock file pins but the image never installed.
pub fn installed() -> Vec<Box<dyn Cataloger>> {
    vec![
        // operating system packages
        Box::new(dpkg::Dpkg),
        Box::new(dpkg::DpkgCopyright),
        Box::new(apk::Apk),
        Box::new(rpm::Rpm),
        // installed language packages
        Box::new(python::Python),
        Box::new(npm::NpmInstalled),
        Box::new(ruby::Gemspec),
        Box::new(composer::Composer),
        Box::new(java::Java),
        Box::new(dotnet::DotnetDeps),
        // binaries
        Box::new(gobin::GoBinary),
        Box::new(cargo::CargoAuditable),
    ]
}

/// Catalogers of lock and manifest files (source trees).
pub fn lockfiles() -> Vec<Box<dyn Cataloger>> {
    vec![
        Box::new(npm::NpmLock),
        Box::new(cargo::CargoLock),
        Box::new(gomod::GoMod),
        Box::new(lockfiles::PythonLock),
        Box::new(lockfiles::GemfileLock),
        Box::new(lockfiles::ComposerLock),
        Box::new(lockfiles::NugetLock),
    ]
}

/// Path helper shared by the catalogers' `wants`: `a/b/c` has parent dir name
/// `b`.
pub(crate) fn parent_dir(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => "",
    }
}

/// Joins a root-relative directory and a relative name, resolving `.` and
/// `..` lexically and refusing to leave the root.
pub(crate) fn join_rel(dir: &str, name: &str) -> Option<String> {
    let mut parts: Vec<&str> = if name.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|s| !s.is_empty()).collect()
    };
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

/// A package with the location set to `path`.
pub(crate) fn new_package(
    name: impl Into<String>,
    version: impl Into<String>,
    ecosystem: Ecosystem,
    purl: String,
    path: &str,
) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        ecosystem,
        purl,
        arch: None,
        source_name: None,
        source_version: None,
        licenses: Vec::new(),
        locations: vec![Location {
            layer: None,
            path: path.to_string(),
        }],
        dev: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_unique_and_sets_partition() {
        let all: Vec<&str> = builtin().iter().map(|c| c.id()).collect();
        let mut dedup = all.clone();
        dedup.sort_unstable();
        dedup.dedup();
        assert_eq!(dedup.len(), all.len());
        assert_eq!(installed().len() + lockfiles().len(), all.len());
        assert!(builtin().iter().all(|c| c.version() >= 1));
    }

    #[test]
    fn who_wants_what() {
        let wants = |path: &str, mode: u32| -> Vec<&'static str> {
            let m = FileMeta {
                path,
                size: 4096,
                mode,
            };
            builtin()
                .iter()
                .filter(|c| c.wants(&m))
                .map(|c| c.id())
                .collect()
        };
        assert_eq!(wants("var/lib/dpkg/status", 0o100644), vec!["dpkg"]);
        assert_eq!(
            wants("usr/bin/kubectl", 0o100755),
            vec!["gobinary", "cargo-auditable"]
        );
        assert!(
            wants("usr/bin/kubectl", 0o120777).is_empty(),
            "symlinks are not read"
        );
        assert!(wants("etc/passwd", 0o100644).is_empty());
        assert_eq!(
            wants(
                "root/.cargo/registry/src/x/serde-1.0.0/Cargo.lock",
                0o100644
            ),
            Vec::<&str>::new()
        );
        assert_eq!(
            wants("app/node_modules/.package-lock.json", 0o100644),
            Vec::<&str>::new()
        );
        assert_eq!(wants("srv/app/Cargo.lock", 0o100644), vec!["cargo"]);
    }

    #[test]
    fn join_rel_stays_in_root() {
        assert_eq!(join_rel("a/b", "../c").as_deref(), Some("a/c"));
        assert_eq!(join_rel("a", "../../c"), None);
        assert_eq!(join_rel("a/b", "./x/y").as_deref(), Some("a/b/x/y"));
    }
}
