#!/usr/bin/env bash
# Secret-scan throughput of seawall-secrets vs ripgrep with the same patterns.
#
# Usage: bench/secrets-vs-rg.sh [DIR...]
#   DIR defaults to the cached debootstrap'd bookworm minbase root that the
#   seawall-secrets tests build (/var/cache/seawall-test-roots/...), the same
#   file tree an extracted bookworm image layer holds.
#
# seawall: the scan_dir example (release build): walk, size cap, binary
#   sniff, aho-corasick keyword prefilter, then only the woken rules' regexes,
#   plus validation and redaction.
# ripgrep: `rg -uu -U -c -f PATTERNS DIR`: every builtin rule's regex in one
#   multi-pattern search (-U because key blocks span lines), binary files
#   skipped by rg's own NUL detection.
# Both run warm (best of N runs). MB/s is the tree's regular-file bytes over
# wall time; ratio = rg seconds / seawall seconds (> 1: seawall is faster).
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
DIRS=("$@")
if [ ${#DIRS[@]} -eq 0 ]; then
  DIRS=(/var/cache/seawall-test-roots/bookworm-minbase/v1/root)
fi
for d in "${DIRS[@]}"; do
  [ -d "$d" ] || { echo "no such directory: $d (run: cargo test -p seawall-secrets --test clean_root as root to build it)" >&2; exit 2; }
done
command -v rg >/dev/null || { echo "ripgrep (rg) not installed" >&2; exit 2; }

cargo build --quiet --release -p seawall-secrets --example scan_dir
BIN="$CARGO_TARGET_DIR/release/examples/scan_dir"
PATTERNS=$(mktemp)
trap 'rm -f "$PATTERNS"' EXIT
"$BIN" --print-patterns > "$PATTERNS"
NPAT=$(wc -l < "$PATTERNS")

best() { sort -n | head -1; }
now() { date +%s.%N; }

for d in "${DIRS[@]}"; do
  bytes=$(find "$d" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
  files=$(find "$d" -type f | wc -l)
  # Warm the page cache.
  find "$d" -type f -print0 | xargs -0 cat > /dev/null 2>&1 || true

  sw_times=()
  for _ in $(seq "$RUNS"); do
    t0=$(now); "$BIN" --quiet "$d" 2> /tmp/secrets-bench-sw.txt; t1=$(now)
    sw_times+=("$(awk "BEGIN {print $t1 - $t0}")")
  done
  sw=$(printf '%s\n' "${sw_times[@]}" | best)
  sw_findings=$(grep -o 'findings=[0-9]*' /tmp/secrets-bench-sw.txt | cut -d= -f2)
  sw_scanned=$(grep -o 'scanned_bytes=[0-9]*' /tmp/secrets-bench-sw.txt | cut -d= -f2)

  rg_times=()
  for _ in $(seq "$RUNS"); do
    t0=$(now); rg -uu -U -c --no-messages -f "$PATTERNS" "$d" > /tmp/secrets-bench-rg.txt || true; t1=$(now)
    rg_times+=("$(awk "BEGIN {print $t1 - $t0}")")
  done
  rg_t=$(printf '%s\n' "${rg_times[@]}" | best)
  rg_files=$(wc -l < /tmp/secrets-bench-rg.txt)

  mb=$(awk "BEGIN {print $bytes / 1000000}")
  printf 'dir=%s files=%d bytes=%d patterns=%d\n' "$d" "$files" "$bytes" "$NPAT"
  printf '  seawall: %.3fs  %.1f MB/s  (read %d bytes after caps/sniff, %s findings)\n' "$sw" "$(awk "BEGIN {print $mb / $sw}")" "$sw_scanned" "$sw_findings"
  printf '  ripgrep: %.3fs  %.1f MB/s  (%d files with raw regex hits, unvalidated)\n' "$rg_t" "$(awk "BEGIN {print $mb / $rg_t}")" "$rg_files"
  printf '  ratio rg/seawall: %.2f\n' "$(awk "BEGIN {print $rg_t / $sw}")"
done
