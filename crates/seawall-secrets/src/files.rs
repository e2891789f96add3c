//! Hygiene checks over file metadata of the image's final file system.

use seawall_types::{Misconfig, OsInfo, Package, Severity};

use crate::scanner::normalise;

/// Metadata of one file of the merged (final) image file system.
///
/// `mode` holds the permission bits including setuid (0o4000), setgid
/// (0o2000) and sticky (0o1000), as in a tar header. If it also carries
/// `st_mode` file-type bits (`mode > 0o7777`), they are honoured: only
/// regular files and directories are judged.
#[derive(Debug, Clone, Copy)]
pub struct ImageFile<'a> {
    /// Path in the image, with or without leading `/`.
    pub path: &'a str,
    pub mode: u32,
    pub size: u64,
    pub uid: u32,
    pub gid: u32,
    pub is_dir: bool,
    /// Symbolic and hard links are never judged by their mode.
    pub is_symlink: bool,
}

const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bit {
    Uid,
    Gid,
}

/// Setuid (`u`) and setgid (`g`) binaries that stock Debian/Ubuntu packages
/// install (paths after usr-merge; `bin/x` and `usr/bin/x` are the same).
const DEBIAN: &[(&str, Bit)] = &[
    ("usr/bin/chfn", Bit::Uid),
    ("usr/bin/chsh", Bit::Uid),
    ("usr/bin/gpasswd", Bit::Uid),
    ("usr/bin/mount", Bit::Uid),
    ("usr/bin/newgrp", Bit::Uid),
    ("usr/bin/passwd", Bit::Uid),
    ("usr/bin/su", Bit::Uid),
    ("usr/bin/umount", Bit::Uid),
    ("usr/bin/fusermount", Bit::Uid),
    ("usr/bin/fusermount3", Bit::Uid),
    ("usr/bin/pkexec", Bit::Uid),
    ("usr/bin/ntfs-3g", Bit::Uid),
    ("usr/lib/dbus-1.0/dbus-daemon-launch-helper", Bit::Uid),
    ("usr/lib/openssh/ssh-keysign", Bit::Uid),
    ("usr/lib/eject/dmcrypt-get-device", Bit::Uid),
    ("usr/lib/polkit-1/polkit-agent-helper-1", Bit::Uid),
    ("usr/lib/policykit-1/polkit-agent-helper-1", Bit::Uid),
    ("usr/lib/chromium/chrome-sandbox", Bit::Uid),
    ("usr/sbin/unix_chkpwd", Bit::Gid),
    ("usr/sbin/pam_extrausers_chkpwd", Bit::Gid),
    ("usr/bin/chage", Bit::Gid),
    ("usr/bin/expiry", Bit::Gid),
    ("usr/bin/wall", Bit::Gid),
    ("usr/bin/write", Bit::Gid),
    ("usr/bin/write.ul", Bit::Gid),
    ("usr/bin/bsd-write", Bit::Gid),
    ("usr/bin/crontab", Bit::Gid),
    ("usr/bin/ssh-agent", Bit::Gid),
    ("usr/bin/dotlockfile", Bit::Gid),
    ("usr/bin/plocate", Bit::Gid),
    ("usr/bin/mlocate", Bit::Gid),
    ("usr/lib/x86_64-linux-gnu/utempter/utempter", Bit::Gid),
    ("usr/lib/aarch64-linux-gnu/utempter/utempter", Bit::Gid),
];

/// Alpine / Wolfi defaults (busybox `bbsuid`, shadow, util-linux, openssh).
const ALPINE: &[(&str, Bit)] = &[
    ("bin/bbsuid", Bit::Uid),
    ("usr/bin/passwd", Bit::Uid),
    ("usr/bin/chsh", Bit::Uid),
    ("usr/bin/chfn", Bit::Uid),
    ("usr/bin/gpasswd", Bit::Uid),
    ("usr/bin/newgrp", Bit::Uid),
    ("usr/bin/expiry", Bit::Uid),
    ("usr/bin/chage", Bit::Uid),
    ("bin/su", Bit::Uid),
    ("usr/bin/su", Bit::Uid),
    ("bin/mount", Bit::Uid),
    ("bin/umount", Bit::Uid),
    ("usr/bin/fusermount3", Bit::Uid),
    ("usr/libexec/dbus-daemon-launch-helper", Bit::Uid),
    ("usr/lib/ssh/ssh-keysign", Bit::Uid),
    ("sbin/unix_chkpwd", Bit::Uid),
    ("usr/sbin/unix_chkpwd", Bit::Uid),
];

/// RHEL / Fedora / SUSE family defaults.
const RHEL: &[(&str, Bit)] = &[
    ("usr/bin/chage", Bit::Uid),
    ("usr/bin/gpasswd", Bit::Uid),
    ("usr/bin/newgrp", Bit::Uid),
    ("usr/bin/passwd", Bit::Uid),
    ("usr/bin/su", Bit::Uid),
    ("usr/bin/mount", Bit::Uid),
    ("usr/bin/umount", Bit::Uid),
    ("usr/bin/chfn", Bit::Uid),
    ("usr/bin/chsh", Bit::Uid),
    ("usr/bin/pkexec", Bit::Uid),
    ("usr/bin/crontab", Bit::Uid),
    ("usr/bin/at", Bit::Uid),
    ("usr/bin/fusermount", Bit::Uid),
    ("usr/bin/fusermount3", Bit::Uid),
    ("usr/sbin/unix_chkpwd", Bit::Uid),
    ("usr/sbin/pam_timestamp_check", Bit::Uid),
    ("usr/sbin/userhelper", Bit::Uid),
    ("usr/sbin/usernetctl", Bit::Uid),
    ("usr/libexec/dbus-1/dbus-daemon-launch-helper", Bit::Uid),
    ("usr/libexec/openssh/ssh-keysign", Bit::Gid),
    ("usr/libexec/utempter/utempter", Bit::Gid),
    ("usr/bin/write", Bit::Gid),
    ("usr/bin/wall", Bit::Gid),
    ("usr/bin/ssh-agent", Bit::Gid),
    ("usr/bin/locate", Bit::Gid),
];

/// The default setuid/setgid binaries for an OS family (`debian`, `ubuntu`,
/// `alpine`, `rhel`, ...): `(path without leading /, is_setuid)`. Unknown
/// families get the union of all lists.
pub fn default_setuid(family: Option<&str>) -> Vec<(&'static str, bool)> {
    let lists: Vec<&[(&str, Bit)]> = match family.unwrap_or("") {
        "debian" | "ubuntu" | "distroless" => vec![DEBIAN],
        "alpine" | "wolfi" | "chainguard" => vec![ALPINE],
        "rhel" | "centos" | "rocky" | "almalinux" | "fedora" | "amzn" | "ol" | "sles"
        | "opensuse-leap" | "mariner" | "azurelinux" => vec![RHEL],
        _ => vec![DEBIAN, ALPINE, RHEL],
    };
    lists
        .into_iter()
        .flatten()
        .map(|(p, b)| (*p, *b == Bit::Uid))
        .collect()
}

/// `bin/x` and `usr/bin/x` (and `sbin`, `lib`) name the same file after
/// usr-merge.
fn merged(path: &str) -> &str {
    path.strip_prefix("usr/").unwrap_or(path)
}

const SHELLS: &[&str] = &[
    "bin/sh",
    "bin/bash",
    "bin/dash",
    "bin/ash",
    "bin/zsh",
    "bin/ksh",
    "bin/mksh",
    "bin/busybox",
    "bin/csh",
    "bin/tcsh",
    "bin/fish",
];

const PACKAGE_MANAGERS: &[&str] = &[
    "bin/apt",
    "bin/apt-get",
    "bin/dpkg",
    "sbin/apk",
    "bin/apk",
    "bin/yum",
    "bin/dnf",
    "bin/microdnf",
    "bin/rpm",
    "bin/zypper",
    "bin/tdnf",
    "bin/pip",
    "bin/pip3",
    "bin/npm",
    "bin/gem",
];

const MAX_LISTED: usize = 100;

/// Collects file facts while the image side walks the merged file system,
/// then turns them into findings (`SW-IMG-010`..`SW-IMG-015`).
#[derive(Debug)]
pub struct FileAudit {
    defaults: Vec<(&'static str, bool)>,
    sudo: Vec<String>,
    setuid: Vec<(String, u32, u32)>,
    ww_dirs: Vec<String>,
    ww_files: Vec<String>,
    shells: Vec<String>,
    pkg_managers: Vec<String>,
}

impl FileAudit {
    pub fn new(os: Option<&OsInfo>) -> Self {
        FileAudit {
            defaults: default_setuid(os.map(|o| o.family.as_str())),
            sudo: Vec::new(),
            setuid: Vec::new(),
            ww_dirs: Vec::new(),
            ww_files: Vec::new(),
            shells: Vec::new(),
            pkg_managers: Vec::new(),
        }
    }

    /// Whether [`Self::observe`] could make anything of an entry with this
    /// path and mode (permission bits, setuid/setgid/sticky included): lets
    /// the image side keep only those entries' metadata. Directories and
    /// files alike.
    pub fn wants_entry(path: &str, mode: u32) -> bool {
        if mode & 0o6002 != 0 {
            return true;
        }
        let p = normalise(path).trim_end_matches('/');
        let m = merged(p);
        let name = p.rsplit('/').next().unwrap_or(p);
        matches!(name, "sudo" | "sudoedit" | "doas")
            || SHELLS.contains(&m)
            || PACKAGE_MANAGERS.contains(&m)
    }

    /// Records one file. Call for every entry of the final file system
    /// (files deleted by a later layer excluded).
    pub fn observe(&mut self, f: &ImageFile) {
        let p = normalise(f.path).trim_end_matches('/');
        if p.is_empty() || f.is_symlink {
            return;
        }
        let ftype = f.mode & S_IFMT;
        let is_dir = f.is_dir || ftype == S_IFDIR;
        let is_reg = !is_dir && (ftype == 0 || ftype == S_IFREG);
        if !is_dir && !is_reg {
            return; // devices, fifos, sockets
        }
        let m = merged(p);
        let name = p.rsplit('/').next().unwrap_or(p);
        if is_reg {
            if matches!(name, "sudo" | "sudoedit" | "doas")
                && (m.starts_with("bin/") || m.starts_with("sbin/") || m.starts_with("local/bin/"))
            {
                push_capped(&mut self.sudo, p);
            } else if f.mode & 0o6000 != 0 {
                let suid = f.mode & 0o4000 != 0;
                let sgid = f.mode & 0o2000 != 0;
                let allowed = |want_uid: bool| {
                    self.defaults
                        .iter()
                        .any(|(d, u)| merged(d) == m && *u == want_uid)
                };
                let ok = (!suid || allowed(true)) && (!sgid || allowed(false));
                if !ok && self.setuid.len() < MAX_LISTED {
                    self.setuid.push((p.to_string(), f.mode & 0o7777, f.uid));
                }
            }
            if SHELLS.contains(&m) && f.mode & 0o111 != 0 {
                push_capped(&mut self.shells, p);
            }
            if PACKAGE_MANAGERS.contains(&m) && f.mode & 0o111 != 0 {
                push_capped(&mut self.pkg_managers, p);
            }
            if f.mode & 0o002 != 0 {
                push_capped(&mut self.ww_files, p);
            }
        } else if f.mode & 0o002 != 0 && f.mode & 0o1000 == 0 {
            push_capped(&mut self.ww_dirs, p);
        }
    }

    /// The findings. `packages` (from the SBOM side) adds what files alone
    /// may miss: a `sudo` package, package manager packages.
    pub fn finish(self, packages: &[Package]) -> Vec<Misconfig> {
        let mut out = Vec::new();
        let mk = |id: &str, sev: Severity, title: &str, msg: String, fix: &str, object: String| {
            Misconfig {
                id: id.to_string(),
                severity: sev,
                title: title.to_string(),
                message: msg,
                fix: fix.to_string(),
                file: "image filesystem".to_string(),
                line: 0,
                column: 0,
                object: Some(object),
                docs: Some(format!("docs/secrets.md#{}", id.to_ascii_lowercase())),
                references: Vec::new(),
            }
        };
        let has_pkg = |names: &[&str]| {
            packages
                .iter()
                .filter(|p| names.contains(&p.name.as_str()))
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
        };
        let mut sudo = self.sudo.clone();
        for n in has_pkg(&["sudo", "sudo-rs", "doas", "opendoas"]) {
            if sudo.is_empty() {
                sudo.push(format!("package {n}"));
            }
        }
        if !sudo.is_empty() {
            out.push(mk(
                "SW-IMG-010",
                Severity::Medium,
                "sudo installed",
                format!("{} is present: a privilege-escalation tool has no use in a container (the entrypoint's user is fixed) and turns any foothold with a sudoers entry or a sudo bug into root", sudo.join(", ")),
                "Remove sudo from the image (`apt-get purge sudo`, `apk del sudo`); run as the needed user with `USER`",
                sudo.join(", "),
            ));
        }
        for (path, mode, uid) in &self.setuid {
            let bits = match (mode & 0o4000 != 0, mode & 0o2000 != 0) {
                (true, true) => "setuid and setgid",
                (true, false) => "setuid",
                _ => "setgid",
            };
            out.push(mk(
                "SW-IMG-011",
                Severity::High,
                "Non-default setuid/setgid binary",
                format!("/{path} is {bits} (mode {mode:04o}, owner uid {uid}) and is not among the distribution's default setuid/setgid binaries: a bug in it, or an unexpected file, gives a local user the owner's privileges"),
                "Remove the file or its special bits (`chmod u-s,g-s`); containers should run with `no-new-privileges` anyway",
                format!("/{path}"),
            ));
        }
        for path in &self.ww_dirs {
            out.push(mk(
                "SW-IMG-012",
                Severity::Medium,
                "World-writable directory without sticky bit",
                format!("/{path} is writable by every user and lacks the sticky bit, so any user can delete or replace other users' files in it (binaries, configs, sockets)"),
                "`chmod o-w` the directory, or `chmod +t` if it must be shared like /tmp",
                format!("/{path}"),
            ));
        }
        for path in &self.ww_files {
            out.push(mk(
                "SW-IMG-015",
                Severity::Medium,
                "World-writable file",
                format!(
                    "/{path} is writable by every user: any process in the container can change it"
                ),
                "`chmod o-w` the file",
                format!("/{path}"),
            ));
        }
        if !self.shells.is_empty() {
            out.push(mk(
                "SW-IMG-013",
                Severity::Low,
                "Shell present",
                format!("the image ships a shell ({}): an attacker with code execution gets an interactive environment for free; minimal and distroless images ship none", self.shells.join(", ")),
                "Use a distroless or scratch-based final stage with only the application and its runtime",
                self.shells.join(", "),
            ));
        }
        let mut pms = self.pkg_managers.clone();
        if pms.is_empty() {
            pms = has_pkg(&[
                "apt",
                "dpkg",
                "apk-tools",
                "rpm",
                "dnf",
                "yum",
                "microdnf",
                "zypper",
            ])
            .into_iter()
            .map(|n| format!("package {n}"))
            .collect();
        }
        if !pms.is_empty() {
            out.push(mk(
                "SW-IMG-014",
                Severity::Low,
                "Package manager present",
                format!("the image ships a package manager ({}): an attacker can install tools into a running container, and the manager itself adds packages and vulnerabilities the application never uses", pms.join(", ")),
                "Build in one stage and copy the result into a distroless or scratch final stage (or remove the package manager last)",
                pms.join(", "),
            ));
        }
        out
    }
}

fn push_capped(v: &mut Vec<String>, p: &str) {
    if v.len() < MAX_LISTED && !v.iter().any(|x| x == p) {
        v.push(p.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(path: &str, mode: u32) -> ImageFile<'_> {
        ImageFile {
            path,
            mode,
            size: 1,
            uid: 0,
            gid: 0,
            is_dir: false,
            is_symlink: false,
        }
    }

    #[test]
    fn usr_merge_equivalence() {
        let os = OsInfo {
            family: "debian".into(),
            version: "12".into(),
            codename: None,
            pretty_name: None,
        };
        let mut a = FileAudit::new(Some(&os));
        a.observe(&f("/bin/su", 0o4755));
        a.observe(&f("usr/bin/chage", 0o2755));
        // setuid on a setgid-only default is not a default.
        a.observe(&f("usr/bin/wall", 0o4755));
        let out = a.finish(&[]);
        let ids: Vec<_> = out
            .iter()
            .map(|m| m.object.clone().unwrap_or_default())
            .collect();
        assert_eq!(ids, vec!["/usr/bin/wall".to_string()]);
    }

    #[test]
    fn devices_and_symlinks_ignored() {
        let mut a = FileAudit::new(None);
        a.observe(&f("dev/null", 0o020666));
        let mut l = f("usr/bin/x", 0o777);
        l.is_symlink = true;
        a.observe(&l);
        assert!(a.finish(&[]).is_empty());
    }
}
