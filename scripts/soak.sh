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
arg="${1:-10}"
if [[ "$arg" =~ ^[0-9]+$ ]]; then duration="${arg}m"; else duration="$arg"; fi
stores="${SOAK_STORES:-memory redis}"
probe="${SOAK_PROBE:-30s}"
concurrency="${SOAK_CONCURRENCY:-8}"
max_in_flight="${SOAK_MAX_IN_FLIGHT:-64}"
name=soak logs_env=SOAK_LOG_DIR redis_env=SOAK_REDIS_URL
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
build_release

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
