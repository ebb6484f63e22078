#!/usr/bin/env bash
# Builds the eidas-connector container image offline, from the release binary already built on
# this machine (`cargo build --release --locked --features vendored-openssl`), with podman and no registry:
#   1. the build base (Debian bookworm with libssl3 and ca-certificates), made once with
#      mmdebstrap from Debian's packages and kept under its tag;
#   2. docker/Dockerfile with PREBUILT=true and BUILD_IMAGE=the base: the binary is copied from
#      the context, no Rust image (which needs a registry) is pulled;
#   3. the image's size and contents.
# Running it again reuses the base and podman's layer cache. Documented in docs/container.md.
#
# Usage: docker/build-image.sh [--tag IMAGE] [--base IMAGE] [--binary FILE]
# Environment (same meaning): IMAGE, BASE_IMAGE, BINARY; CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/eidas-connector:dev}
BASE_IMAGE=${BASE_IMAGE:-localhost/eidas-connector-base:bookworm}
BINARY=${BINARY:-${CARGO_TARGET_DIR:-target}/release/eidas-connector}

while [ $# -gt 0 ]; do
    case "$1" in
        --tag) IMAGE=$2; shift 2 ;;
        --base) BASE_IMAGE=$2; shift 2 ;;
        --binary) BINARY=$2; shift 2 ;;
        -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "build-image: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

say() { echo "== build-image: $*"; }
fail() { echo "build-image: error: $*" >&2; exit 1; }

command -v podman >/dev/null || fail "podman is not installed (apt-get install podman runc mmdebstrap)"
[ -x "$BINARY" ] || fail "no release binary at $BINARY: run 'cargo build --release --locked --features vendored-openssl' first"
# The default OCI runtime (crun) refuses hybrid cgroup layouts; runc works everywhere here.
runtime=()
command -v runc >/dev/null && runtime=(--runtime runc)

# 1. The build base, once.
if podman image exists "$BASE_IMAGE"; then
    say "base $BASE_IMAGE already present"
else
    command -v mmdebstrap >/dev/null || fail "mmdebstrap is not installed (apt-get install mmdebstrap)"
    say "making base $BASE_IMAGE with mmdebstrap (Debian bookworm minbase + libssl3, ca-certificates; about a minute)"
    tarball=$(mktemp --suffix=.tar)
    trap 'rm -f "$tarball"' EXIT
    mmdebstrap --quiet --variant=minbase --include=libssl3,ca-certificates bookworm "$tarball"
    podman import --quiet --message "eidas-connector build base (mmdebstrap bookworm minbase)" \
        "$tarball" "$BASE_IMAGE" >/dev/null
    rm -f "$tarball"
    say "base $BASE_IMAGE made"
fi

# 2. The image. The context holds the binary alone (the repository's target/ may be large).
context=$(mktemp -d)
trap 'rm -rf "$context" "${tarball:-}"' EXIT
install -D -m 0755 "$BINARY" "$context/target/release/eidas-connector"
# Symbols off (as the Dockerfile's build stage does): about a quarter of the binary.
if command -v strip >/dev/null; then
    strip "$context/target/release/eidas-connector"
else
    say "strip (binutils) not found: the binary keeps its symbols"
fi
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ "$revision" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    revision="$revision-dirty"
fi
source_url=$(git remote get-url origin 2>/dev/null || echo unknown)
previous=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)

say "building $IMAGE (version $version, revision $revision) from $BINARY"
started=$(date +%s)
podman build "${runtime[@]}" --format docker --layers=false \
    --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
    -f docker/Dockerfile --target runtime \
    --build-arg PREBUILT=true --build-arg BUILD_IMAGE="$BASE_IMAGE" --build-arg BASE="$BASE_IMAGE" \
    --build-arg VERSION="$version" --build-arg REVISION="$revision" --build-arg SOURCE="$source_url" \
    -t "$IMAGE" "$context"
built=$(podman image inspect --format '{{.Id}}' "$IMAGE")
if [ -n "$previous" ] && [ "$previous" != "$built" ]; then
    # The tag moved: drop the image it named, unless something else still uses it.
    podman rmi "$previous" >/dev/null 2>&1 || true
fi
say "built in $(( $(date +%s) - started )) s"

# 3. What is in it.
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
say "$IMAGE: $size bytes ($(( size / 1024 )) KiB), id ${built:0:12}"
podman image inspect --format \
    'user {{.Config.User}}, ports {{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}, entrypoint {{.Config.Entrypoint}} {{.Config.Cmd}}' \
    "$IMAGE"
podman image inspect --format '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}}{{"\n"}}{{end}}' "$IMAGE" | sed '/^$/d'
podman image inspect --format 'healthcheck {{if .Config.Healthcheck}}{{.Config.Healthcheck.Test}}{{else}}MISSING{{end}}' "$IMAGE"
say "files:"
container=$(podman create "${runtime[@]}" --no-healthcheck "$IMAGE")
podman export "$container" | tar -tvf - | awk '$1 !~ /^d/ { printf "  %10s  %s\n", $3, $6 }'
podman rm "$container" >/dev/null
