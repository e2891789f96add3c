#!/usr/bin/env bash
# Secret-scan throughput of seawall-secrets vs ripgrep with the same patterns.
#
# Usage: bench/secrets-vs-rg.sh [DIR...]
#   DIR defaults to the cached debootstrap'd bookworm minbase root that the
#   seawall-secrets tests build (/var/cache/seawall-test-roots/...), the same
#   file tree an extracted bookworm image layer holds.
#
# seawall: the scan_secrets example (release build): walk, size cap, binary
#   sniff, aho-corasick keyword prefilter, then only the woken rules' regexes,
#   plus validation and redaction.
# ripgrep: the same 72 regexes (named groups made plain), -uu -U (key blocks
#   span lines), binary files skipped by rg's own NUL detection; run (a) all
#   patterns in one pass (`rg -f`, can take minutes: the joined regex is too
#   big for rg's DFA; capped by RG_TIMEOUT, default 900 s) and (b) one pass
#   per pattern (sum, and the fastest single pass).
# Warm page cache; seawall best of RUNS (default 3), rg once. MB/s is the
# tree's regular-file bytes over wall time; ratio = rg seconds / seawall
# seconds (> 1: seawall is faster).
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
RG_TIMEOUT=${RG_TIMEOUT:-900}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
DIRS=("$@")
if [ ${#DIRS[@]} -eq 0 ]; then
  DIRS=(/var/cache/seawall-test-roots/bookworm-minbase/v1/root)
fi
for d in "${DIRS[@]}"; do
  [ -d "$d" ] || { echo "no such directory: $d (run: cargo test -p seawall-secrets --test clean_root as root to build it)" >&2; exit 2; }
done
command -v rg >/dev/null || { echo "ripgrep (rg) not installed" >&2; exit 2; }

cargo build --quiet --release -p seawall-secrets --example scan_secrets
BIN="$CARGO_TARGET_DIR/release/examples/scan_secrets"
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

  # ripgrep, one pass with every pattern (what `rg -f` users would run).
  t0=$(now); rc=0
  timeout "$RG_TIMEOUT" rg -uu -U -c --no-messages -f "$PATTERNS" "$d" > /tmp/secrets-bench-rg.txt || rc=$?
  t1=$(now)
  if [ "$rc" -eq 124 ]; then rg_all="timeout"; else
    [ "$rc" -le 1 ] || { echo "ripgrep failed (exit $rc)" >&2; exit 1; }
    rg_all=$(awk "BEGIN {print $t1 - $t0}")
  fi

  # ripgrep, one pass per pattern: the sum, and the fastest single pass
  # (the floor: one cheap literal pattern over the tree).
  rg_sum=0; rg_min=999999
  while IFS= read -r p; do
    t0=$(now); rc=0; rg -uu -U -c --no-messages -e "$p" "$d" > /dev/null || rc=$?; t1=$(now)
    [ "$rc" -le 1 ] || { echo "ripgrep failed (exit $rc) on $p" >&2; exit 1; }
    t=$(awk "BEGIN {print $t1 - $t0}")
    rg_sum=$(awk "BEGIN {print $rg_sum + $t}")
    rg_min=$(awk "BEGIN {print ($t < $rg_min) ? $t : $rg_min}")
  done < "$PATTERNS"

  mb=$(awk "BEGIN {print $bytes / 1000000}")
  printf 'dir=%s files=%d bytes=%d patterns=%d\n' "$d" "$files" "$bytes" "$NPAT"
  printf '  seawall: %.3fs  %.1f MB/s  (read %d bytes after caps/sniff, %s findings)\n' "$sw" "$(awk "BEGIN {print $mb / $sw}")" "$sw_scanned" "$sw_findings"
  if [ "$rg_all" = timeout ]; then
    printf '  ripgrep, all %d patterns in one pass: > %ss (timed out)\n' "$NPAT" "$RG_TIMEOUT"
    rg_all=$RG_TIMEOUT
  else
    printf '  ripgrep, all %d patterns in one pass: %.3fs  %.1f MB/s\n' "$NPAT" "$rg_all" "$(awk "BEGIN {print $mb / $rg_all}")"
  fi
  printf '  ripgrep, one pass per pattern: sum %.3fs (%.1f MB/s), fastest single pattern %.3fs\n' "$rg_sum" "$(awk "BEGIN {print $mb / $rg_sum}")" "$rg_min"
  printf '  ratio rg(one pass, all patterns)/seawall: %.1f\n' "$(awk "BEGIN {print $rg_all / $sw}")"
  printf '  ratio rg(sum per pattern)/seawall: %.1f\n' "$(awk "BEGIN {print $rg_sum / $sw}")"
  printf '  ratio rg(fastest single pattern)/seawall: %.2f\n' "$(awk "BEGIN {print $rg_min / $sw}")"
done
