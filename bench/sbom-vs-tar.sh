#!/usr/bin/env bash
# Benchmark: cold `seawall sbom` of the largest test image against `tar -xf`
# of the same layers into a tmpfs (same run, same page cache), the warm
# rescan (layer cache hit) against the cold scan, and peak RSS.
# Targets: cold <= 1.5x tar, warm <= 5% of cold, peak RSS <= 150 MB.
#
#   bench/sbom-vs-tar.sh            # builds `seawall` (release) first
#   SEAWALL_BIN=/path/to/seawall bench/sbom-vs-tar.sh
#   RUNS=5 bench/sbom-vs-tar.sh     # best of N (default 3)
#   SEAWALL_BENCH_EXAMPLE=1 SEAWALL_BIN=target/release/examples/sbom bench/sbom-vs-tar.sh
#       # the seawall-image example (same scan + CycloneDX writer, without
#       # building the whole CLI in release)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
runs="${RUNS:-3}"
images="$("$repo/scripts/build-test-images.sh")"
archive="$(ls -S "$images"/*.docker.tar | head -n1)"
bin="${SEAWALL_BIN:-}"
if [[ -z "$bin" ]]; then
    (cd "$repo" && cargo build --quiet --release -p seawall --bin seawall)
    bin="${CARGO_TARGET_DIR:-$repo/target}/release/seawall"
fi
shm="${TMPFS_DIR:-/dev/shm}"
work="$(mktemp -d)"
dest="$(mktemp -d "$shm/seawall-bench.XXXX")"
trap 'rm -rf "$work" "$dest"' EXIT

# The layer tars, unpacked from the archive once (not timed).
mkdir -p "$work/layers"
tar -C "$work/layers" -xf "$archive"
mapfile -t layers < <(jq -r '.[0].Layers[]' "$work/layers/manifest.json")

now() { date +%s.%N; }
best() { sort -g | head -n1; }

tar_times=()
for _ in $(seq "$runs"); do
    rm -rf "$dest/root" && mkdir -p "$dest/root"
    t0=$(now)
    for l in "${layers[@]}"; do tar -C "$dest/root" -xf "$work/layers/$l"; done
    t1=$(now)
    tar_times+=("$(echo "$t1 - $t0" | bc)")
done
rm -rf "$dest/root"

scan() { # scan CACHE TIMEFILE
    if [[ -n "${SEAWALL_BENCH_EXAMPLE:-}" ]]; then
        /usr/bin/time -f '%e %M' -o "$2" "$bin" "docker-archive:$archive" "$1" >/dev/null
    else
        /usr/bin/time -f '%e %M' -o "$2" "$bin" sbom "docker-archive:$archive" \
            --cache-dir "$1" -o /dev/null
    fi
}

cold_times=(); warm_times=(); rss=0
for _ in $(seq "$runs"); do
    cache="$(mktemp -d)"
    scan "$cache" "$work/cold.time"
    scan "$cache" "$work/warm.time"
    rm -rf "$cache"
    read -r ce cm <"$work/cold.time"
    read -r we wm <"$work/warm.time"
    cold_times+=("$ce"); warm_times+=("$we")
    (( cm > rss )) && rss=$cm
    (( wm > rss )) && rss=$wm
done

t_tar=$(printf '%s\n' "${tar_times[@]}" | best)
t_cold=$(printf '%s\n' "${cold_times[@]}" | best)
t_warm=$(printf '%s\n' "${warm_times[@]}" | best)
size=$(du -m "$archive" | cut -f1)
echo "image: $(basename "$archive") (${size} MB, ${#layers[@]} layers), best of $runs"
printf 'tar -xf into tmpfs: %.2fs\n' "$t_tar"
printf 'seawall sbom cold:  %.2fs   ratio %.2fx (target <= 1.5x)\n' "$t_cold" "$(echo "$t_cold / $t_tar" | bc -l)"
printf 'seawall sbom warm:  %.3fs   %.1f%% of cold (target <= 5%%)\n' "$t_warm" "$(echo "100 * $t_warm / $t_cold" | bc -l)"
printf 'peak RSS: %d MB (target <= 150 MB)\n' "$((rss / 1024))"

# The full image scan without the database (packages, secrets in every
# file of every layer, hygiene metadata, config audit), cold, against the
# same tar figure; throughput over the uncompressed layer bytes.
if [[ -z "${SEAWALL_BENCH_EXAMPLE:-}" ]]; then
    full_times=(); full_rss=0
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%e %M' -o "$work/full.time" "$bin" image "docker-archive:$archive" \
            --scanners secret,config --no-cache --format json -o /dev/null
        read -r fe fm <"$work/full.time"
        full_times+=("$fe")
        (( fm > full_rss )) && full_rss=$fm
    done
    t_full=$(printf '%s\n' "${full_times[@]}" | best)
    bytes=0
    for l in "${layers[@]}"; do bytes=$((bytes + $(stat -c %s "$work/layers/$l"))); done
    printf 'seawall image --scanners secret,config cold: %.2fs   ratio %.2fx tar, %.0f MB/s of layer data, peak RSS %d MB\n' \
        "$t_full" "$(echo "$t_full / $t_tar" | bc -l)" "$(echo "$bytes / 1048576 / $t_full" | bc -l)" "$((full_rss / 1024))"
fi
