#!/usr/bin/env bash
# The test command (README, .ci/run). As root it installs the system packages
# the tests use and starts the services they need; then it runs the lints and
# the whole workspace test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then
  bash scripts/install-deps.sh
fi

cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
