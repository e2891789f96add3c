//! The rule table: stable ids, severities, titles, the why and the fix, and
//! the equivalent ids in hadolint (`DLxxxx`) and Trivy (`DSxxx`). Ids never
//! change meaning; retired rules keep their number.

use seawall_types::Severity;

/// Static description of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleMeta {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    /// Why it matters (one or two sentences).
    pub why: &'static str,
    /// How to fix it.
    pub fix: &'static str,
    pub hadolint: &'static [&'static str],
    pub trivy: &'static [&'static str],
    /// Off unless enabled in the config file (`enable = [...]`).
    pub default_enabled: bool,
}

impl RuleMeta {
    /// `hadolint:DL3008`, `trivy:DS002` references.
    pub fn references(&self) -> Vec<String> {
        self.hadolint
            .iter()
            .map(|d| format!("hadolint:{d}"))
            .chain(self.trivy.iter().map(|d| format!("trivy:{d}")))
            .collect()
    }

    /// Relative docs path for this rule.
    pub fn docs_path(&self) -> String {
        format!("docs/rules/dockerfile/{}.md", self.id)
    }
}

use Severity::{Critical, High, Low, Medium};

macro_rules! rule {
    ($id:literal, $sev:expr, $title:literal, $why:literal, $fix:literal, [$($h:literal),*], [$($t:literal),*]) => {
        RuleMeta { id: $id, severity: $sev, title: $title, why: $why, fix: $fix,
                   hadolint: &[$($h),*], trivy: &[$($t),*], default_enabled: true }
    };
    ($id:literal, $sev:expr, $title:literal, $why:literal, $fix:literal, [$($h:literal),*], [$($t:literal),*], off) => {
        RuleMeta { id: $id, severity: $sev, title: $title, why: $why, fix: $fix,
                   hadolint: &[$($h),*], trivy: &[$($t),*], default_enabled: false }
    };
}

/// Every rule, in id order.
pub static RULES: &[RuleMeta] = &[
    rule!("SW-DF-001", Medium, "FROM without a tag or digest",
        "An untagged image means `latest`, so every build can silently pick up a different base with different packages and vulnerabilities.",
        "Pin the base image with a tag, and preferably a digest: `FROM debian:12.7@sha256:...`.",
        ["DL3006"], ["DS001"]),
    rule!("SW-DF-002", Medium, "FROM uses the latest tag",
        "`latest` moves: builds are not reproducible and a rebuild can pull in an incompatible or vulnerable base.",
        "Use a specific version tag (and a digest) instead of `latest`.",
        ["DL3007"], ["DS001"]),
    rule!("SW-DF-003", High, "Last USER is root",
        "The container's process runs as root, so a compromise of the application is a compromise of root inside the container and widens any escape.",
        "Create an unprivileged user and end the final stage with `USER <name or uid>`.",
        ["DL3002"], ["DS002"]),
    rule!("SW-DF-004", Low, "Final stage never sets USER",
        "Without a USER instruction the image runs as the base image's user, which is root for almost every base image.",
        "Add `USER <non-root uid>` to the final stage (or use a base that already sets a non-root user).",
        [], ["DS002"]),
    rule!("SW-DF-005", Low, "WORKDIR is relative",
        "A relative WORKDIR depends on the previous WORKDIR and is easy to get wrong when stages or instructions move.",
        "Use an absolute path: `WORKDIR /app`.",
        ["DL3000"], ["DS009"]),
    rule!("SW-DF-006", Low, "cd in RUN instead of WORKDIR",
        "`cd` only lasts for one RUN; later instructions silently run elsewhere, and the intent is hidden from readers and tools.",
        "Use `WORKDIR /path` before the commands that need it.",
        ["DL3003"], ["DS013"]),
    rule!("SW-DF-007", Medium, "sudo in RUN",
        "RUN already executes as the current USER; sudo needs a TTY/config, behaves unpredictably, and leaves a privilege-escalation tool in the image.",
        "Switch with `USER root` around the commands that need it, or use gosu/su-exec in entrypoints.",
        ["DL3004"], ["DS010"]),
    rule!("SW-DF-008", Low, "apt-get dist-upgrade in RUN",
        "dist-upgrade can install, remove and replace packages, including the base image's essential ones, unpredictably.",
        "Use a newer base image tag, or upgrade only the specific packages you need.",
        ["DL3005"], ["DS024"]),
    rule!("SW-DF-009", Low, "apt-get install without version pins",
        "Unpinned packages make builds unreproducible: a rebuild may pull in a different version.",
        "Pin versions: `apt-get install -y <package>=<version>`.",
        ["DL3008"], []),
    rule!("SW-DF-010", Low, "apt lists not removed after apt-get",
        "/var/lib/apt/lists stays in the layer, adding tens of megabytes and stale package indexes to the image.",
        "End the same RUN with `&& rm -rf /var/lib/apt/lists/*` (or use a cache mount for /var/lib/apt/lists).",
        ["DL3009"], []),
    rule!("SW-DF-011", Low, "Archive copied then extracted",
        "Copying an archive and extracting it in a later RUN keeps the archive in a layer as well as its contents.",
        "Use `ADD archive.tar.gz /dest/` which extracts local archives in one step, or extract with a bind mount.",
        ["DL3010"], []),
    rule!("SW-DF-012", Medium, "EXPOSE with an invalid port",
        "Ports must be 0-65535; an invalid port fails at run time or is silently ignored by tooling.",
        "Use a valid port number (optionally with /tcp or /udp).",
        ["DL3011"], ["DS008"]),
    rule!("SW-DF-013", Low, "More than one HEALTHCHECK in a stage",
        "Only the last HEALTHCHECK takes effect; the earlier ones are dead code that mislead readers.",
        "Keep a single HEALTHCHECK per stage.",
        ["DL3012"], ["DS023"]),
    rule!("SW-DF-014", Low, "pip install without version pins",
        "Unpinned Python packages make builds unreproducible and can pull in a compromised new release.",
        "Pin: `pip install <package>==<version>` or install from a constraints/requirements file with pinned versions.",
        ["DL3013"], []),
    rule!("SW-DF-015", Low, "apt-get install without -y",
        "Without -y the install waits for confirmation, which aborts a non-interactive build.",
        "Add `-y` (or `--yes`/`-qq`).",
        ["DL3014"], ["DS021"]),
    rule!("SW-DF-016", Low, "apt-get install without --no-install-recommends",
        "Recommended packages add size and attack surface that the image does not need.",
        "Add `--no-install-recommends` and list what you need explicitly.",
        ["DL3015"], ["DS029"]),
    rule!("SW-DF-017", Low, "npm install without version pins",
        "Unpinned npm packages make builds unreproducible and can pull in a compromised new release.",
        "Pin: `npm install <package>@<version>`, or use `npm ci` with a lockfile.",
        ["DL3016"], []),
    rule!("SW-DF-018", Low, "apk add without version pins",
        "Unpinned Alpine packages make builds unreproducible.",
        "Pin: `apk add --no-cache <package>=<version>`.",
        ["DL3018"], []),
    rule!("SW-DF-019", Low, "apk add without --no-cache",
        "The apk index cache stays in the layer, adding size and stale metadata.",
        "Use `apk add --no-cache ...` (no `apk update` and no cache cleanup needed).",
        ["DL3019"], ["DS025"]),
    rule!("SW-DF-020", Low, "ADD used for local files",
        "ADD also fetches URLs and unpacks archives; using it for plain files hides what it does and can unpack unexpectedly.",
        "Use COPY for local files and directories.",
        ["DL3020"], ["DS005"]),
    rule!("SW-DF-021", Medium, "COPY with several sources to a destination without a trailing slash",
        "With more than one source the destination must be a directory ending in `/`, otherwise the build fails.",
        "End the destination with `/`.",
        ["DL3021"], ["DS011"]),
    rule!("SW-DF-022", Medium, "COPY --from names no earlier stage",
        "`--from` that is neither an earlier stage nor an image reference is almost always a typo and fails or pulls an unexpected image.",
        "Reference a stage defined earlier with `FROM ... AS <name>`, or a full image reference.",
        ["DL3022"], []),
    rule!("SW-DF-023", Medium, "COPY --from references its own stage",
        "A stage cannot copy from itself; the build fails.",
        "Copy from an earlier stage.",
        ["DL3023"], ["DS006"]),
    rule!("SW-DF-024", Medium, "Duplicate stage name",
        "Stage names must be unique (case-insensitive); later references become ambiguous and the build fails.",
        "Give every `FROM ... AS name` a unique name.",
        ["DL3024"], ["DS012"]),
    rule!("SW-DF-025", Low, "CMD or ENTRYPOINT in shell form",
        "Shell form wraps the process in `/bin/sh -c`, so it is not PID 1 and does not receive SIGTERM: stops are slow and unclean.",
        "Use exec (JSON) form: `CMD [\"executable\", \"arg\"]`.",
        ["DL3025"], []),
    rule!("SW-DF-026", Medium, "Base image from an untrusted registry",
        "The configuration lists trusted registries; this base image comes from somewhere else.",
        "Pull base images through a trusted registry (or add the registry to `trusted_registries`).",
        ["DL3026"], []),
    rule!("SW-DF-027", Low, "apt used instead of apt-get",
        "apt is an interactive front end without a stable CLI; its output and behaviour can change between releases.",
        "Use `apt-get` (or `apt-cache`) in scripts.",
        ["DL3027"], []),
    rule!("SW-DF-028", Low, "gem install without version pins",
        "Unpinned gems make builds unreproducible.",
        "Pin: `gem install <gem>:<version>` or `-v <version>`.",
        ["DL3028"], []),
    rule!("SW-DF-029", Low, "FROM with a hard-coded --platform",
        "A fixed platform breaks multi-platform builds and emulates silently on other hosts.",
        "Drop `--platform`, or use `$BUILDPLATFORM`/`$TARGETPLATFORM`.",
        ["DL3029"], []),
    rule!("SW-DF-030", Low, "yum install without -y",
        "Without -y the install waits for confirmation and the build fails.",
        "Use `yum install -y ...`.",
        ["DL3030"], []),
    rule!("SW-DF-031", Low, "yum clean all missing",
        "The yum cache stays in the layer.",
        "End the same RUN with `&& yum clean all` (and `rm -rf /var/cache/yum`).",
        ["DL3032"], ["DS015"]),
    rule!("SW-DF-032", Low, "yum install without version pins",
        "Unpinned packages make builds unreproducible.",
        "Pin: `yum install -y <package>-<version>`.",
        ["DL3033"], []),
    rule!("SW-DF-033", Low, "zypper without non-interactive switch",
        "zypper waits for confirmation and the build fails.",
        "Use `zypper --non-interactive install` or `zypper install -y`.",
        ["DL3034"], []),
    rule!("SW-DF-034", Low, "zypper dist-upgrade in RUN",
        "dist-upgrade can replace large parts of the base distribution unpredictably.",
        "Use a newer base image, or update only specific packages.",
        ["DL3035"], []),
    rule!("SW-DF-035", Low, "zypper clean missing",
        "The zypper cache stays in the layer.",
        "End the same RUN with `&& zypper clean`.",
        ["DL3036"], ["DS020"]),
    rule!("SW-DF-036", Low, "zypper install without version pins",
        "Unpinned packages make builds unreproducible.",
        "Pin: `zypper install -y <package>=<version>`.",
        ["DL3037"], []),
    rule!("SW-DF-037", Low, "dnf install without -y",
        "Without -y the install waits for confirmation and the build fails.",
        "Use `dnf install -y ...` (also for microdnf).",
        ["DL3038"], []),
    rule!("SW-DF-038", Low, "dnf clean all missing",
        "The dnf cache stays in the layer.",
        "End the same RUN with `&& dnf clean all`.",
        ["DL3040"], ["DS019"]),
    rule!("SW-DF-039", Low, "dnf install without version pins",
        "Unpinned packages make builds unreproducible.",
        "Pin: `dnf install -y <package>-<version>`.",
        ["DL3041"], []),
    rule!("SW-DF-040", Low, "pip install without --no-cache-dir",
        "pip's download cache stays in the layer and only adds size.",
        "Use `pip install --no-cache-dir ...` or set `ENV PIP_NO_CACHE_DIR=1`.",
        ["DL3042"], []),
    rule!("SW-DF-041", Medium, "ONBUILD triggers ONBUILD, FROM or MAINTAINER",
        "Docker rejects these inside ONBUILD; downstream builds fail.",
        "Remove the nested instruction.",
        ["DL3043"], []),
    rule!("SW-DF-042", Low, "ENV refers to a variable set in the same statement",
        "Within one ENV statement references see the old value, not the one just set, which is rarely what was meant.",
        "Split into two ENV instructions.",
        ["DL3044"], []),
    rule!("SW-DF-043", Low, "COPY to a relative destination without WORKDIR",
        "The destination depends on the base image's working directory, which can change.",
        "Set `WORKDIR` first or use an absolute destination.",
        ["DL3045"], []),
    rule!("SW-DF-044", Low, "useradd with a high UID without -l",
        "useradd writes a sparse lastlog/faillog entry sized by the UID, bloating the layer by gigabytes.",
        "Add `-l` (`--no-log-init`).",
        ["DL3046"], []),
    rule!("SW-DF-045", Low, "wget without --progress",
        "The default progress bar floods build logs.",
        "Use `wget --progress=dot:giga`, or `-q`/`-nv`.",
        ["DL3047"], []),
    rule!("SW-DF-046", Low, "Invalid LABEL key",
        "Keys must be lower-case reverse-DNS style and must not use the reserved com.docker., io.docker. or org.dockerproject. namespaces.",
        "Rename the key, e.g. `org.opencontainers.image.title`.",
        ["DL3048"], []),
    rule!("SW-DF-047", Low, "Required LABEL missing",
        "The configuration requires this label (for ownership, provenance or licensing).",
        "Add `LABEL <key>=<value>`.",
        ["DL3049"], []),
    rule!("SW-DF-048", Low, "No HEALTHCHECK",
        "Without a HEALTHCHECK the runtime cannot tell a hung container from a healthy one.",
        "Add `HEALTHCHECK CMD ...` (or `HEALTHCHECK NONE` to state it deliberately).",
        ["DL3057"], ["DS026"], off),
    rule!("SW-DF-049", Low, "Consecutive single-command RUN instructions",
        "Each RUN creates a layer; consecutive trivial RUNs add layers and size.",
        "Join them with `&&` in one RUN.",
        ["DL3059"], []),
    rule!("SW-DF-050", Low, "yarn cache clean missing",
        "The yarn cache stays in the layer.",
        "End the same RUN with `&& yarn cache clean`.",
        ["DL3060"], []),
    rule!("SW-DF-051", Medium, "Instruction before the first FROM",
        "Only ARG (and comments/directives) may come before the first FROM; the build fails.",
        "Move the instruction after FROM.",
        ["DL3061"], []),
    rule!("SW-DF-052", Low, "go install without a version",
        "`go install pkg` or `@latest` fetches whatever is newest: builds are not reproducible.",
        "Pin: `go install <package>@<version>`.",
        ["DL3062"], []),
    rule!("SW-DF-053", Low, "MAINTAINER is deprecated",
        "MAINTAINER is deprecated and not part of the OCI metadata.",
        "Use `LABEL org.opencontainers.image.authors=\"...\"`.",
        ["DL4000"], ["DS022"]),
    rule!("SW-DF-054", Low, "Both curl and wget used",
        "Two download tools where one suffices adds size and attack surface.",
        "Standardise on one of curl or wget.",
        ["DL4001"], ["DS014"]),
    rule!("SW-DF-055", Low, "More than one CMD in a stage",
        "Only the last CMD takes effect.",
        "Keep a single CMD.",
        ["DL4003"], ["DS016"]),
    rule!("SW-DF-056", Medium, "More than one ENTRYPOINT in a stage",
        "Only the last ENTRYPOINT takes effect; earlier ones mislead reviewers about what runs.",
        "Keep a single ENTRYPOINT.",
        ["DL4004"], ["DS007"]),
    rule!("SW-DF-057", Low, "Default shell changed with ln",
        "Symlinking /bin/sh changes the shell for every later RUN invisibly.",
        "Use the SHELL instruction.",
        ["DL4005"], []),
    rule!("SW-DF-058", Low, "Pipe in RUN without pipefail",
        "`/bin/sh -c` only checks the last command of a pipeline, so a failed download piped into another command still passes the build.",
        "Set `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` before the RUN (or `set -o pipefail &&` in it).",
        ["DL4006"], []),
    rule!("SW-DF-059", Low, "Command that makes no sense in a build",
        "Interactive or system-management commands (ssh, vim, service, shutdown, ps, top, kill, mount, ifconfig, free) do nothing useful in an image build.",
        "Remove the command; configure services in the entrypoint.",
        ["DL3001"], []),
    rule!("SW-DF-060", Medium, "Package index update alone in a RUN",
        "An update in its own RUN is cached as a layer; a later install RUN then uses a stale index and can install outdated, vulnerable versions.",
        "Update and install in the same RUN: `apt-get update && apt-get install -y ...`.",
        [], ["DS017"]),
    rule!("SW-DF-061", Low, "USER by name",
        "A user name is resolved inside the image at run time; orchestrators (runAsNonRoot) cannot verify that a name is not root.",
        "Use a numeric UID (and GID): `USER 10001:10001`.",
        ["DL3066"], []),
    rule!("SW-DF-062", High, "Remote script piped to a shell",
        "`curl ... | sh` runs whatever the server (or anyone able to tamper with it) sends, unverified, as the build user.",
        "Download to a file, verify a checksum or signature, then run it; or install from a package manager.",
        [], []),
    rule!("SW-DF-063", High, "ADD from a URL without --checksum",
        "The downloaded content is not verified; a compromised or changed server puts arbitrary files in the image.",
        "Use `ADD --checksum=sha256:<digest> <url> <dest>` or download and verify in RUN.",
        [], []),
    rule!("SW-DF-064", High, "World-writable permissions",
        "Mode 777 (or o+w) lets any user in the container modify the files, including binaries and configuration that root later runs.",
        "Grant the minimum: chown to the runtime user and use 755/644 (or 750/640).",
        [], []),
    rule!("SW-DF-065", High, "Hard-coded password",
        "A password set in the Dockerfile (chpasswd, passwd, useradd -p, --password) is in the image history and the same in every container.",
        "Do not set passwords at build time; use build secrets (`RUN --mount=type=secret`) or inject credentials at run time.",
        [], []),
    rule!("SW-DF-066", Critical, "Secret in ENV or ARG",
        "ENV values and ARG values are stored in the image config and history: anyone who can pull the image can read them.",
        "Use `RUN --mount=type=secret,id=...` for build-time secrets and inject runtime secrets through the orchestrator.",
        ["DL3064"], ["DS031"]),
    rule!("SW-DF-067", Medium, "SSH port exposed",
        "Exposing port 22 suggests an SSH daemon in the container, an extra remotely reachable login surface.",
        "Remove `EXPOSE 22`; use `docker exec`/`kubectl exec` for access.",
        [], ["DS004"]),
    rule!("SW-DF-068", High, "SSH server installed or started",
        "An SSH daemon in a container is an extra network login service with its own keys and patching; containers are accessed with exec instead.",
        "Do not install openssh-server/dropbear; use `docker exec` or `kubectl exec`.",
        [], []),
    rule!("SW-DF-069", High, "TLS or signature verification disabled",
        "Disabling certificate or package-signature checks (curl -k, wget --no-check-certificate, pip --trusted-host, apk --allow-untrusted, apt --allow-unauthenticated) lets a network attacker substitute what is installed.",
        "Remove the insecure flag and fix the trust store (install ca-certificates, add the proper key).",
        [], []),
];

/// Look up a rule by id (case-insensitive).
pub fn rule(id: &str) -> Option<&'static RuleMeta> {
    RULES.iter().find(|r| r.id.eq_ignore_ascii_case(id))
}

/// The seawall rule for a hadolint code, if any.
pub fn by_hadolint(code: &str) -> Option<&'static RuleMeta> {
    RULES.iter().find(|r| r.hadolint.contains(&code))
}

/// Markdown documentation page for a rule (docs/rules/dockerfile/ID.md).
pub fn docs_page(r: &RuleMeta) -> String {
    let mut s = format!("# {}: {}\n\n", r.id, r.title);
    s.push_str(&format!("- Severity: {}\n", r.severity));
    s.push_str(&format!(
        "- Enabled by default: {}\n",
        if r.default_enabled {
            "yes"
        } else {
            "no (enable in the config file)"
        }
    ));
    let h = if r.hadolint.is_empty() {
        "none (not checked by hadolint)".to_string()
    } else {
        r.hadolint.join(", ")
    };
    let t = if r.trivy.is_empty() {
        "none".to_string()
    } else {
        r.trivy.join(", ")
    };
    s.push_str(&format!("- hadolint: {h}\n- Trivy: {t}\n\n"));
    s.push_str(&format!("## Why\n\n{}\n\n## Fix\n\n{}\n\n", r.why, r.fix));
    s.push_str(&format!(
        "## Examples\n\nFires: `crates/seawall-dockerfile/tests/fixtures/rules/{id}/fires.Dockerfile`\n\n\
         Passes: `crates/seawall-dockerfile/tests/fixtures/rules/{id}/passes.Dockerfile`\n\n\
         ## Suppress\n\n```dockerfile\n# seawall:ignore={id} reason why this is acceptable\n```\n\n\
         or `disable = [\"{id}\"]` in the seawall config file.\n",
        id = r.id
    ));
    s
}

/// The index page (docs/rules/dockerfile/README.md).
pub fn docs_index() -> String {
    let mut s = String::from(
        "# Dockerfile rules\n\nGenerated from `crates/seawall-dockerfile/src/rules.rs` \
         (`SEAWALL_BLESS=1 cargo test -p seawall-dockerfile --test rules` rewrites these pages).\n\n\
         | id | severity | title | hadolint | Trivy |\n|---|---|---|---|---|\n",
    );
    for r in RULES {
        s.push_str(&format!(
            "| [{id}]({id}.md) | {} | {} | {} | {} |\n",
            r.severity,
            r.title,
            r.hadolint.join(", "),
            r.trivy.join(", "),
            id = r.id
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_sequential() {
        for (i, r) in RULES.iter().enumerate() {
            assert_eq!(r.id, format!("SW-DF-{:03}", i + 1));
        }
    }

    #[test]
    fn hadolint_codes_map_to_one_rule() {
        let mut seen = std::collections::HashSet::new();
        for r in RULES {
            for h in r.hadolint {
                assert!(seen.insert(*h), "{h} mapped twice");
            }
        }
        assert_eq!(by_hadolint("DL3008").map(|r| r.id), Some("SW-DF-009"));
    }
}
