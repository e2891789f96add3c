#!/usr/bin/env bash
# Admission webhook under load: a separate client process sends
# AdmissionReviews over TLS on 127.0.0.1 at a fixed rate (default 1,000/s for
# 30 s) to `seawall admission serve`, and prints p50, p99 and errors.
# Target: p99 <= 2 ms, zero errors.
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${RATE:-1000}
secs=${SECONDS_:-30}
cargo build -q --release -p seawall --bin seawall
cargo build -q --release -p seawall-webhook --example loadgen
target=${CARGO_TARGET_DIR:-target}
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
"$target/release/seawall" admission certs --service localhost --namespace bench --san localhost --san 127.0.0.1 --out-dir "$dir" >/dev/null
port=$((20000 + RANDOM % 20000))
"$target/release/seawall" admission serve --listen 127.0.0.1:$port --tls-cert "$dir/tls.crt" --tls-key "$dir/tls.key" 2>"$dir/server.log" &
pid=$!
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  sleep 0.1
done
echo "seawall admission: $rate req/s for $secs s over TLS (HTTP/1.1, 8 connections)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
"$target/release/examples/loadgen" 127.0.0.1:$port "$dir/ca.crt" "$rate" "$secs" 8
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
ps -o rss= -p $pid | awk '{printf "server RSS: %.1f MB\n", $1/1024}'
# The server's own view (time in the handler, without TLS and the network).
m=$(curl -sS --cacert "$dir/ca.crt" --resolve "localhost:$port:127.0.0.1" "https://localhost:$port/metrics" || true)
bucket() {
  echo "$m" | grep -F "seawall_admission_request_duration_seconds_$1{endpoint=\"/validate\"$2}" | awk '{print $2}' || true
}
echo "server histogram /validate: $(bucket count '') answered, $(bucket bucket ',le="0.001"') within 1 ms, $(bucket bucket ',le="0.002"') within 2 ms"
