#!/usr/bin/env bash
# The load test (issue 11): whole flows over loopback HTTP against the real `eidas-connector
# serve` process (examples/load), with the memory store and then with Redis. Per store:
#   1. the maximum throughput: closed loop, LOAD_CONCURRENCY flows in flight, LOAD_PROBE long;
#      the connector's CPU over that run (utime + stime of /proc/PID/stat, % of one core);
#   2. the latency at half of it: open loop at max/2 flows/s for LOAD_DURATION, p50/p99 of the
#      whole flow, of the connector's own requests (start + page + acs + consume) and of the ACS;
#   3. the connector's peak RSS (VmHWM) over both runs.
# Prints one summary table. Exits 1 if a flow failed or the connector panicked.
#
#   scripts/load-test.sh
#
# Environment:
#   LOAD_STORES        default "memory redis"
#   LOAD_PROBE         closed-loop run per store (default 30s)
#   LOAD_DURATION      open-loop run per store (default 60s)
#   LOAD_CONCURRENCY   flows in flight in the closed loop (default 8)
#   LOAD_MAX_IN_FLIGHT bound of the open loop (default 64; a flow that cannot start is "dropped", an error)
#   LOAD_REDIS_URL     an existing Redis; otherwise redis-server is started on a free loopback port
#   LOAD_LOG_DIR       keep the reports and logs there (default: a temporary folder)
#   CARGO_TARGET_DIR   as for cargo
# The driver and the in-process mock proxy service share the machine with the connector: the
# table gives the driver's CPU too. Figures are ratios of one run; see BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
stores="${LOAD_STORES:-memory redis}"
probe="${LOAD_PROBE:-30s}"
duration="${LOAD_DURATION:-60s}"
concurrency="${LOAD_CONCURRENCY:-8}"
max_in_flight="${LOAD_MAX_IN_FLIGHT:-64}"
name=load logs_env=LOAD_LOG_DIR redis_env=LOAD_REDIS_URL
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
build_release
bigger() { python3 -c "import sys; v=[float(x) for x in sys.argv[1:] if x not in ('', 'n/a')]; print(max(v) if v else 'n/a')" "$@"; }

echo "== machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure)"
rows=()
failed=0
for store in $stores; do
    extra=()
    if [[ "$store" == redis ]]; then
        start_redis
        extra=(--store redis --redis-url "$redis_url")
    fi
    echo
    echo "== $store: maximum throughput (closed loop, $concurrency in flight, $probe)"
    "$load" --connector-bin "$connector" --duration "$probe" --concurrency "$concurrency" \
        "${extra[@]}" --log-level warn --fail-on-error | tee "$logs/max-$store.txt" || failed=1
    max=$(field throughput "$logs/max-$store.txt")
    [[ -n "$max" ]] || { echo "load-test: no RESULT line from the $store probe" >&2; exit 1; }
    rate=$(python3 -c "print(round(max(0.5, $max / 2), 2))")
    echo
    echo "== $store: latency at half the maximum ($rate flows/s, open loop, $duration)"
    "$load" --connector-bin "$connector" --rate "$rate" --duration "$duration" --concurrency "$max_in_flight" \
        "${extra[@]}" --log-level warn --fail-on-error | tee "$logs/half-$store.txt" || failed=1
    m="$logs/max-$store.txt" h="$logs/half-$store.txt"
    errors_max=$(field errors "$m") errors_half=$(field errors "$h")
    rows+=("$(printf '%-7s %9s %8s %8s %7s %7s | %6s %7s %7s %7s %7s %7s %6s %8s' "$store" "$max" \
        "$(field cpu_pct "$m")" "$(field driver_cpu_pct "$m")" "$(field flow_p50_ms "$m")" "$(field flow_p99_ms "$m")" \
        "$rate" "$(field flow_p50_ms "$h")" "$(field flow_p99_ms "$h")" "$(field connector_p99_ms "$h")" \
        "$(field acs_p99_ms "$h")" "$(field cpu_pct "$h")" "$(bigger "$(field peak_rss_mb "$m")" "$(field peak_rss_mb "$h")")" \
        "$(( ${errors_max:-0} + ${errors_half:-0} ))")")
done

echo
echo "== load test summary ($(nproc) cores; CPU in % of one core; times in ms; RSS in MB)"
echo "        -- maximum (closed loop, c=$concurrency, $probe) --  | -- half the maximum (open loop, $duration) --"
printf '%-7s %9s %8s %8s %7s %7s | %6s %7s %7s %7s %7s %7s %6s %8s\n' store "flows/s" "conn%" "driver%" p50 p99 \
    "rate" "p50" "p99" "conn99" "acs99" "conn%" "RSS" "errors"
printf '%s\n' "${rows[@]}"
echo "(conn% = the connector process; driver% = the load driver with its in-process mock proxy service;"
echo " conn99 = p99 of the connector's own requests in a flow: start + page + acs + consume; RSS = peak VmHWM)"
[[ -n "${LOAD_LOG_DIR:-}" ]] && echo "reports in $logs"
exit "$failed"
