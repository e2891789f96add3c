#!/usr/bin/env bash
# Benchmark (issue #5): every upstream Pod Security Admission fixture
# (../shared/testdata/psa, 4,537 pods) in one run, seawall vs Checkov on the
# same folder. Prints wall time and peak RSS of each and the ratios.
# Target: seawall >= 100x faster than Checkov and under 60 MB peak RSS.
#
#   bench/psa-vs-checkov.sh            # needs `checkov` on PATH (pip install checkov)
#   CHECKOV=/path/to/checkov bench/psa-vs-checkov.sh
#   SEAWALL=/path/to/seawall-or-k8s-check PSA=/path/to/psa bench/psa-vs-checkov.sh
#
# seawall runs the heaviest configuration: PSS restricted (latest) plus all
# built-in checks, so every fixture is parsed and every check evaluated.
# A second seawall figure runs each level/version folder at its own policy
# version (76 runs, the exact PSA decision), for reference.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PSA=${PSA:-$ROOT/../shared/testdata/psa}
CHECKOV=${CHECKOV:-checkov}
[ -d "$PSA" ] || { echo "PSA fixtures not found at $PSA" >&2; exit 2; }
# Canonical path: Checkov silently skips everything under a path containing
# "/../" (it treats ".." as a hidden directory).
PSA=$(cd "$PSA" && pwd -P)
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is required" >&2; exit 2; }

if [ -z "${SEAWALL:-}" ]; then
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
  (cd "$ROOT" && cargo build --release -q -p seawall-k8s --example k8s-check)
  SEAWALL=$CARGO_TARGET_DIR/release/examples/k8s-check
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# measure NAME CMD... -> sets WALL (seconds) and RSS (kB)
measure() {
  local name=$1; shift
  /usr/bin/time -v -o "$TMP/$name.time" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || true
  CPU=$(awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.2f", s}' "$TMP/$name.time")
  WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$TMP/$name.time")
  RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/$name.time")
}

N=$(find "$PSA" -name '*.yaml' | wc -l)
echo "fixtures: $N yaml files under $PSA"

# Warm the page cache so neither tool pays for the first read.
find "$PSA" -name '*.yaml' -exec cat {} + >/dev/null

measure seawall "$SEAWALL" --pss restricted --builtin --quiet "$PSA"
SW_WALL=$WALL SW_RSS=$RSS
SW_CPU=$CPU
echo "seawall  (restricted:latest + built-ins, one run): wall ${SW_WALL}s  cpu ${SW_CPU}s  peak RSS $((SW_RSS / 1024)) MB  [$(tail -1 "$TMP/seawall.err")]"

start=$(date +%s.%N); max_rss=0; wrong=0
for level in baseline restricted; do
  for vdir in "$PSA/$level"/v1.*; do
    v=$(basename "$vdir")
    for outcome in pass fail; do
      /usr/bin/time -v -o "$TMP/one.time" "$SEAWALL" --pss "$level:$v" --quiet "$vdir/$outcome" >/dev/null 2>"$TMP/one.err" && rc=0 || rc=$?
      r=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/one.time"); [ "$r" -gt "$max_rss" ] && max_rss=$r
      flagged=$(sed -n 's/.* files, \([0-9]*\) with findings.*/\1/p' "$TMP/one.err")
      total=$(sed -n 's/^\([0-9]*\) files,.*/\1/p' "$TMP/one.err")
      if [ "$outcome" = pass ] && [ "$flagged" != 0 ]; then wrong=$((wrong + flagged)); fi
      if [ "$outcome" = fail ] && [ "$flagged" != "$total" ]; then wrong=$((wrong + total - flagged)); fi
    done
  done
done
EXACT_WALL=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
echo "seawall  (each folder at its own level/version, 152 runs): wall ${EXACT_WALL}s  peak RSS $((max_rss / 1024)) MB  wrong decisions: $wrong"

if ! command -v "$CHECKOV" >/dev/null 2>&1; then
  echo "checkov not found (pip install checkov, or set CHECKOV=); skipping the comparison" >&2
  exit 0
fi
# --skip-download: no network round trips to Prisma Cloud during the run.
measure checkov "$CHECKOV" -d "$PSA" --framework kubernetes --skip-download --compact -o json
CK_WALL=$WALL CK_RSS=$RSS CK_CPU=$CPU
CK_RES=$(python3 -c 'import json,sys
d=json.load(open(sys.argv[1])); d=d if isinstance(d,list) else [d]
print(sum(x.get("summary",{}).get("resource_count",0) for x in d))' "$TMP/checkov.out" 2>/dev/null || echo "?")
echo "checkov  ($("$CHECKOV" --version 2>/dev/null | tail -1), --framework kubernetes, $CK_RES resources): wall ${CK_WALL}s  cpu ${CK_CPU}s  peak RSS $((CK_RSS / 1024)) MB"
if [ "$CK_RES" != "$N" ]; then
  echo "warning: checkov evaluated $CK_RES resources, expected $N; its stderr ends with:" >&2
  tail -3 "$TMP/checkov.err" >&2
fi

awk -v sw="$SW_WALL" -v ck="$CK_WALL" -v swr="$SW_RSS" -v ckr="$CK_RSS" -v swc="$SW_CPU" -v ckc="$CK_CPU" 'BEGIN {
  if (sw < 0.01) sw = 0.01
  if (swc < 0.01) swc = 0.01
  printf "ratio: seawall is %.0fx faster (wall), %.0fx less cpu, uses %.0fx less memory (target: >= 100x faster, < 60 MB)\n", ck / sw, ckc / swc, ckr / swr
  ok = (ck / sw >= 100 && swr < 60 * 1024)
  print (ok ? "TARGET MET" : "TARGET MISSED")
}'
