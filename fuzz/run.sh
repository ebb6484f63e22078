#!/usr/bin/env bash
# Runs one cargo-fuzz target for a bounded time on the stable toolchain, and fails on a finding.
#
#   fuzz/run.sh TARGET SECONDS      e.g. fuzz/run.sh response 600
#   fuzz/run.sh --list              the targets
#   fuzz/run.sh --seed TARGET       only (re)seed fuzz/corpus/TARGET
#   fuzz/run.sh --build             only build every target (as the runs build them)
#
# How it runs on stable: RUSTC_BOOTSTRAP=1 lets stable rustc take the nightly flags cargo-fuzz
# passes (-Zsanitizer-coverage options), and `--sanitizer none` needs no sanitizer runtime (so no
# nightly rust-src either). The corpus (fuzz/corpus/TARGET, not in git) is seeded from
# tests/vectors/ and from the committed findings in tests/vectors/fuzz/ on every run, then grows.
# A crash, a timeout (-timeout, seconds per input) or an out-of-memory (-rss_limit_mb) is a
# finding: libFuzzer writes it to fuzz/artifacts/TARGET/ and this script exits non-zero.
#
# Environment: EIDAS_FUZZ_TARGET_DIR (default: $CARGO_TARGET_DIR/fuzz, else fuzz/target) keeps
# the instrumented build apart from the normal one; EIDAS_FUZZ_ARGS adds libFuzzer options
# (e.g. "-jobs=2 -workers=2", or "-seed=1" to replay a run).
set -euo pipefail
fuzz_dir="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$fuzz_dir")"
vectors="$repo/tests/vectors"
targets=(parse_c14n verify decrypt response response_signed metadata acs_form start_form authn_request api_start)

usage() {
    echo "usage: fuzz/run.sh TARGET SECONDS | --seed TARGET | --build | --list   (targets: ${targets[*]})" >&2
    exit 2
}

known() {
    local t
    for t in "${targets[@]}"; do [[ "$t" == "$1" ]] && return 0; done
    return 1
}

# SAMLResponse form bodies: the base64 vectors URL-encoded the way a browser posts them.
form_bodies() {
    local out="$1" f name
    for f in "$vectors"/saml/*.b64; do
        name="$(basename "$f" .b64)"
        {
            printf 'SAMLResponse='
            tr -d '\r\n' <"$f" | sed -e 's/%/%25/g' -e 's/+/%2B/g' -e 's#/#%2F#g' -e 's/=/%3D/g'
            printf '&RelayState=%s' "0123456789abcdef0123456789abcdef0123456789a"
        } >"$out/form-$name"
    done
    printf 'RelayState=&SAMLResponse=PHNhbWxwOlJlc3BvbnNlLz4%%3D' >"$out/form-empty-relay"
    printf 'SAMLResponse=%%3Csamlp%%3AResponse+xmlns%%3Asamlp%%3D%%22urn%%3Aoasis%%3Anames%%3Atc%%3ASAML%%3A2.0%%3Aprotocol%%22+InResponseTo%%3D%%22_r%%22%%2F%%3E' >"$out/form-raw-xml"
    printf 'SAMLResponse=PHg%%2B&SAMLResponse=PHk%%2B' >"$out/form-twice"
}

# JSON bodies of POST /api/v1/authn-requests.
json_bodies() {
    local out="$1"
    cat >"$out/json-full" <<'EOF'
{"citizen_country":"ES","level_of_assurance":"substantial","requested_attributes":[{"name":"PlaceOfBirth","required":false},{"name":"http://eidas.europa.eu/attributes/naturalperson/CurrentAddress","required":true}],"sp_type":"private","requester_id":"urn:fr:requester:42","provider_name":"Service public","name_id_format":"persistent","return_url":"https://hub.example/hub/cb?x=1","state":"s-123","correlation_id":"c-9","ui_locales":"en fr"}
EOF
    printf '{"level_of_assurance":"high","return_url":"https://hub.example/hub/"}' >"$out/json-minimal"
    printf '{"level_of_assurance":"low","return_url":"https://hub.example/hub/../admin"}' >"$out/json-low"
    printf '{"level_of_assurance":"http://eidas.europa.eu/LoA/substantial","return_url":"HTTPS://HUB.example/hub/./cb","citizen_country":"EL","requested_attributes":[{"name":"LegalName","required":true},{"name":"FamilyName","required":true}]}' >"$out/json-mixed"
    printf '{"level_of_assurance":"high","return_url":"https://user:pw@hub.example/hub/","state":"\\u0000","unknown":1}' >"$out/json-refused"
}

# Copies vector files into the corpus as DIR-NAME (two folders hold files of the same name).
add() {
    local out="$1" f
    shift
    for f in "$@"; do cp "$f" "$out/$(basename "$(dirname "$f")")-$(basename "$f")"; done
}

seed() {
    local t="$1" out="$fuzz_dir/corpus/$1"
    mkdir -p "$out"
    case "$t" in
        parse_c14n) add "$out" "$vectors"/xmlsec/sig/*.xml "$vectors"/xmlsec/enc/*.xml "$vectors"/saml/*.xml ;;
        verify) add "$out" "$vectors"/xmlsec/sig/*.xml "$vectors"/saml/*.xml ;;
        decrypt) add "$out" "$vectors"/xmlsec/enc/*.xml ;;
        response) add "$out" "$vectors"/saml/accept_*.b64 "$vectors"/saml/reject_*.xml ;;
        response_signed)
            # The accepted vectors, and their clear forms written by the built target itself.
            add "$out" "$vectors"/saml/accept_*.xml
            if [[ -x "$binary_dir/response_signed" ]]; then
                EIDAS_FUZZ_PLAINTEXT_DIR="$out" "$binary_dir/response_signed" "$vectors"/saml/accept_*.xml >/dev/null 2>&1 || true
            fi
            ;;
        metadata) add "$out" "$vectors"/saml/proxy-metadata*.xml "$vectors"/xmlsec/sig/accept_metadata_*.xml ;;
        acs_form) form_bodies "$out" ;;
        start_form)
            printf 'country=ES' >"$out/country"
            printf 'action=back' >"$out/back"
            printf 'country=es&country=EL&action=' >"$out/twice"
            printf 'country=%%C3%%89S' >"$out/utf8"
            ;;
        authn_request)
            printf 'Service public\x00urn:fr:requester:42\x00https://connector.example.fr/eidas/metadata\x00PlaceOfBirth\x00http://eidas.europa.eu/attributes/naturalperson/CurrentAddress' >"$out/names"
            printf '<&>"\x27 \t\r\n]]>\x00a\r\nb\x00c&amp;d\x00LegalName' >"$out/escapes"
            ;;
        api_start) json_bodies "$out" ;;
        *) usage ;;
    esac
    # Committed findings of this target (see README: "A finding becomes a regression vector").
    if compgen -G "$vectors/fuzz/$t-*" >/dev/null; then
        add "$out" "$vectors/fuzz/$t"-*
    fi
}

export RUSTC_BOOTSTRAP=1
target_dir="${EIDAS_FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:+$CARGO_TARGET_DIR/fuzz}}"
target_dir="${target_dir:-$fuzz_dir/target}"
# The one set of build options: a run never rebuilds what --build built.
build_options=(--sanitizer none --release --debug-assertions --target-dir "$target_dir")
binary_dir="$target_dir/$(rustc -vV | sed -n 's/^host: //p')/release"

[[ $# -ge 1 ]] || usage
case "$1" in
    --list) printf '%s\n' "${targets[@]}"; exit 0 ;;
    --seed) [[ $# -eq 2 ]] && known "$2" || usage; seed "$2"; exit 0 ;;
    --build) cd "$repo"; exec cargo fuzz build "${build_options[@]}" ;;
esac
[[ $# -eq 2 ]] && known "$1" && [[ "$2" =~ ^[0-9]+$ ]] || usage
target="$1" seconds="$2"

cd "$repo"
cargo fuzz build "${build_options[@]}" "$target"
seed "$target"
mkdir -p "$fuzz_dir/artifacts/$target"
# shellcheck disable=SC2086 # EIDAS_FUZZ_ARGS is a list of libFuzzer options.
cargo fuzz run "${build_options[@]}" "$target" "$fuzz_dir/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$fuzz_dir/artifacts/$target/" ${EIDAS_FUZZ_ARGS:-}
