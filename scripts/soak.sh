#!/usr/bin/env bash
# The soak (issue 10): whole flows over loopback HTTP against the real `eidas-connector serve`
# process, at half the measured maximum rate, for a while, with the memory store and then with
# Redis. Prints each run's figures (errors by code, latency per step, the connector's RSS) and
# fails when a flow failed or the connector panicked.
#
#   scripts/soak.sh [DURATION]       DURATION: minutes (default 10), or 20s / 5m / 1h
#
# Environment:
#   SOAK_STORES        the stores to soak, in order (default "memory redis")
#   SOAK_PROBE         how long the maximum-rate probe runs per store (default 30s)
#   SOAK_CONCURRENCY   flows in flight during the probe (default 8)
#   SOAK_MAX_IN_FLIGHT at most this many flows in flight during the soak (default 64); a flow
#                      that cannot start because of it is counted as dropped, an error
#   SOAK_REDIS_URL     an existing Redis to use; otherwise redis-server is started here on a
#                      free loopback port (no persistence) and stopped at the end
#   SOAK_LOG_DIR       keep the connector logs and the reports there (default: a temporary folder)
#   CARGO_TARGET_DIR   as for cargo
#   MIMALLOC_ARENA_EAGER_COMMIT  default 0, as in the image (1: mimalloc's eager default)
# The driver is `examples/load` (cargo run --release --example load -- --help).
set -euo pipefail
cd "$(dirname "$0")/.."
# As the container image runs it (docker/Dockerfile; docs/perf-profiles.md): mimalloc's arena
# committed lazily. The connector process the driver starts inherits it.
export MIMALLOC_ARENA_EAGER_COMMIT="${MIMALLOC_ARENA_EAGER_COMMIT:-0}"

arg="${1:-10}"
if [[ "$arg" =~ ^[0-9]+$ ]]; then duration="${arg}m"; else duration="$arg"; fi
stores="${SOAK_STORES:-memory redis}"
probe="${SOAK_PROBE:-30s}"
concurrency="${SOAK_CONCURRENCY:-8}"
max_in_flight="${SOAK_MAX_IN_FLIGHT:-64}"
target="${CARGO_TARGET_DIR:-target}"
work="$(mktemp -d "${TMPDIR:-/tmp}/eidas-soak.XXXXXX")"
logs="${SOAK_LOG_DIR:-$work}"
mkdir -p "$logs"
redis_pid=""

cleanup() {
    if [[ -n "$redis_pid" ]]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== build (release): the connector and the load driver"
# The release features (the vendored OpenSSL, as CI and the image build it): no second build.
cargo build --release --locked --features "${EIDAS_BUILD_FEATURES-vendored-openssl}" --bin eidas-connector --example load
load="$target/release/examples/load"
connector="$target/release/eidas-connector"

start_redis() {
    if [[ -n "${SOAK_REDIS_URL:-}" ]]; then redis_url="$SOAK_REDIS_URL"; return; fi
    command -v redis-server >/dev/null || { echo "soak: redis-server not found (apt install redis-server, or set SOAK_REDIS_URL)" >&2; exit 2; }
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
        --dir "$work" --logfile "$logs/redis.log" &
    redis_pid=$!
    for _ in $(seq 100); do
        if grep -q "Ready to accept connections" "$logs/redis.log" 2>/dev/null; then break; fi
        sleep 0.1
    done
    grep -q "Ready to accept connections" "$logs/redis.log" || { echo "soak: redis-server did not start" >&2; exit 2; }
    redis_url="redis://127.0.0.1:$port/0"
}

# `RESULT … key=value …` → value of key.
field() { sed -n "s/^RESULT .*\b$1=\([^ ]*\).*/\1/p" "$2"; }

summary=()
for store in $stores; do
    extra=()
    if [[ "$store" == redis ]]; then
        start_redis
        extra=(--store redis --redis-url "$redis_url")
    fi
    echo
    echo "== $store: maximum rate (closed loop, $concurrency in flight, $probe)"
    nice "$load" --connector-bin "$connector" --duration "$probe" --concurrency "$concurrency" \
        "${extra[@]}" --log-level warn --fail-on-error | tee "$logs/probe-$store.txt"
    max=$(field throughput "$logs/probe-$store.txt")
    rate=$(python3 -c "print(round(max(0.5, $max / 2), 2))")
    echo
    echo "== $store: soak at $rate flows/s (half of $max) for $duration"
    nice "$load" --connector-bin "$connector" --rate "$rate" --duration "$duration" --concurrency "$max_in_flight" \
        "${extra[@]}" --log-file "$logs/connector-$store.log" --fail-on-error | tee "$logs/soak-$store.txt"
    summary+=("$store: max $max flows/s, soak at $rate: $(grep '^RESULT' "$logs/soak-$store.txt")")
done

echo
echo "== soak summary ($duration each)"
printf '%s\n' "${summary[@]}"
[[ -n "${SOAK_LOG_DIR:-}" ]] && echo "logs and reports in $logs"
exit 0
