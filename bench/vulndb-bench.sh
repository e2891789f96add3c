#!/bin/sh
# Vulnerability database figures: import of ../shared/vulndata and of a
# synthetic OSV dump (SEAWALL_BENCH_RECORDS, default 600000), open and
# lookup time, matching time for a 500-package image.
set -eu
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:=target}"
export CARGO_TARGET_DIR
exec cargo bench -p seawall-vulndb --bench vulndb
