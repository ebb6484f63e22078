# Shared by scripts/load-test.sh and scripts/soak.sh: the temporary folder, the release build of
# the connector and the load driver, a throw-away redis-server, and reading the driver's RESULT
# line. Sourced, not run. The caller sets `name` (for messages) and `logs_env` (the name of the
# variable that keeps the logs) before sourcing, and `redis_env` (the variable naming an existing
# Redis) before calling start_redis.

target="${CARGO_TARGET_DIR:-target}"
work="$(mktemp -d "${TMPDIR:-/tmp}/eidas-$name.XXXXXX")"
logs="${!logs_env:-$work}"
mkdir -p "$logs"
redis_pid=""

cleanup() {
    if [[ -n "$redis_pid" ]]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# As the container image runs it (docker/Dockerfile; docs/perf-profiles.md): mimalloc's arena
# committed lazily. The connector process the driver starts inherits it.
export MIMALLOC_ARENA_EAGER_COMMIT="${MIMALLOC_ARENA_EAGER_COMMIT:-0}"

# The release features (the vendored OpenSSL, as CI and the image build it): no second build.
build_release() {
    echo "== build (release): the connector and the load driver"
    cargo build --release --locked --features "${EIDAS_BUILD_FEATURES-vendored-openssl}" --bin eidas-connector --example load
    load="$target/release/examples/load"
    connector="$target/release/eidas-connector"
}

# Sets redis_url: the Redis named by ${!redis_env}, or a redis-server started on a free loopback
# port (no persistence), stopped on exit.
start_redis() {
    if [[ -n "${!redis_env:-}" ]]; then redis_url="${!redis_env}"; return; fi
    command -v redis-server >/dev/null || { echo "$name: redis-server not found (apt install redis-server, or set $redis_env)" >&2; exit 2; }
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
        --dir "$work" --logfile "$logs/redis.log" &
    redis_pid=$!
    for _ in $(seq 100); do
        if grep -q "Ready to accept connections" "$logs/redis.log" 2>/dev/null; then break; fi
        sleep 0.1
    done
    grep -q "Ready to accept connections" "$logs/redis.log" || { echo "$name: redis-server did not start" >&2; exit 2; }
    redis_url="redis://127.0.0.1:$port/0"
}

# `RESULT … key=value …` → value of key.
field() { sed -n "s/^RESULT .*\b$1=\([^ ]*\).*/\1/p" "$2"; }
