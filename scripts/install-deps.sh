#!/usr/bin/env bash
# System packages the test suite needs (Debian). Idempotent; run as root.
set -euo pipefail
pkgs=(clang llvm libbpf-dev libelf-dev zlib1g-dev pkg-config bpftool
      podman runc skopeo uidmap fuse-overlayfs debootstrap docker-registry
      rpm sqlite3 golang-go ripgrep jq)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
