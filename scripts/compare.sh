#!/usr/bin/env bash
# Ours against the peers, side by side on the same perf workload, in the same run (issue 11).
#
#   scripts/compare.sh WORKLOAD_DIR
#
# For each profile (eidas-rsa, eidas-ec) and each repetition, runs in turn, one after the other
# on the same machine: ours (the release binary, `eidas-connector bench --batch`), the
# python-xmlsec stack and the signxml stack (scripts/peer-bench/). Each prints one line per
# Response, `<file> <microseconds> ok|error:<code>`; Responses/s = Responses / sum of their
# times (one thread, validation only, keys loaded once, after a warm-up). Prints, per profile,
# the median Responses/s of each over the repetitions, the spread (min-max, % of the median),
# and the ratios ours/peer, twice: over every timed validation, and over the best time of each
# Response across the passes (steadier on a shared machine). A run with any `error:` line is
# reported as failed.
#
# Environment:
#   EIDAS_TEST_PYTHON  the Python with xmlsec, signxml, lxml, cryptography (tests/vectors/requirements.txt)
#   COMPARE_PROFILES   default "eidas-rsa eidas-ec"
#   COMPARE_REPEAT     repetitions, interleaved (default 3)
#   PEER_ROUNDS        timed passes of the peers over a profile's Responses (default 20)
#   COMPARE_OURS       our command, with {workload} and {profile} replaced (default:
#                      "$CARGO_TARGET_DIR/release/eidas-connector bench --batch {workload} --profile {profile}
#                      --repeat $PEER_ROUNDS --each")
#   COMPARE_KEEP       keep the raw outputs in this folder
#   COMPARE_FEATURES   cargo features of our build (default vendored-openssl, as the release; "" for the system OpenSSL)
#   CARGO_TARGET_DIR   as for cargo
set -euo pipefail
cd "$(dirname "$0")/.."

workload="${1:?usage: scripts/compare.sh WORKLOAD_DIR}"
workload="$(cd "$workload" && pwd)"
[[ -f "$workload/manifest.json" ]] || { echo "compare: $workload/manifest.json not found" >&2; exit 2; }
python="${EIDAS_TEST_PYTHON:-python3}"
"$python" -c 'import xmlsec, signxml, lxml, cryptography' 2>/dev/null || {
    echo "compare: $python lacks xmlsec/signxml/lxml/cryptography (set EIDAS_TEST_PYTHON; tests/vectors/requirements.txt)" >&2
    exit 2
}
profiles="${COMPARE_PROFILES:-eidas-rsa eidas-ec}"
repeat="${COMPARE_REPEAT:-3}"
target="${CARGO_TARGET_DIR:-target}"
work="$(mktemp -d "${TMPDIR:-/tmp}/eidas-compare.XXXXXX")"
raw="${COMPARE_KEEP:-$work}"
mkdir -p "$raw"
trap 'rm -rf "$work"' EXIT

echo "== build (release): the connector, as released (COMPARE_FEATURES, default vendored-openssl)"
cargo build --release --locked --features "${COMPARE_FEATURES-vendored-openssl}" --bin eidas-connector
# As many timed passes as the peers (PEER_ROUNDS), one line per Response per pass (`--each`),
# so that all three are summed the same way: every timed validation counts, not the best.
ours_default="$target/release/eidas-connector bench --batch {workload} --profile {profile} --repeat ${PEER_ROUNDS:-20} --each"
ours_template="${COMPARE_OURS:-$ours_default}"
ours_available=1
if [[ -z "${COMPARE_OURS:-}" ]] && ! "$target/release/eidas-connector" bench --help >/dev/null 2>&1; then
    ours_available=0
    echo "compare: this eidas-connector has no 'bench' command yet: the peers only (ours: n/a)"
fi

echo "== machine"
echo "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')); load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" -c 'import importlib.metadata, xmlsec, signxml, lxml, cryptography; print("python-xmlsec", xmlsec.__version__, "libxmlsec1", ".".join(map(str, xmlsec.get_libxmlsec_version())), "| signxml", importlib.metadata.version("signxml"), "| lxml", lxml.__version__, "| cryptography", cryptography.__version__)'
echo "ours: $("$target/release/eidas-connector" --version)"

run_one() { # who profile rep
    local who="$1" profile="$2" rep="$3" out="$raw/$1-$2-$3.txt"
    case "$who" in
        ours) local cmd="${ours_template//"{workload}"/$(printf %q "$workload")}"; cmd="${cmd//"{profile}"/$profile}"
              eval "$cmd" >"$out" 2>"$out.err" || true ;;
        python-xmlsec) "$python" scripts/peer-bench/xmlsec_stack.py "$workload" --profile "$profile" >"$out" 2>"$out.err" || true ;;
        signxml) "$python" scripts/peer-bench/signxml_stack.py "$workload" --profile "$profile" >"$out" 2>"$out.err" || true ;;
    esac
}

for rep in $(seq "$repeat"); do
    for profile in $profiles; do
        echo "== round $rep/$repeat: $profile"
        if [[ "$ours_available" == 1 ]]; then run_one ours "$profile" "$rep"; fi
        run_one python-xmlsec "$profile" "$rep"
        run_one signxml "$profile" "$rep"
    done
done

echo
status=0
"$python" - "$raw" "$repeat" "$ours_available" $profiles <<'PY' || status=$?
import os, statistics, sys
raw, repeat, ours_available, profiles = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4:]
who = (["ours"] if ours_available else []) + ["python-xmlsec", "signxml"]

def rates(path):
    """(Responses/s over every timed validation, Responses/s over the best time of each Response,
    n, errors) from `[pass=<k>] <file> <us> ok|error:<code>` lines; None when absent."""
    n = errors = total = 0
    best = {}
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if parts and parts[0].startswith("pass="):  # ours with --each
            parts = parts[1:]
        if len(parts) != 3 or line.startswith("#") or not parts[1].isdigit():
            continue
        n += 1
        total += int(parts[1])
        errors += parts[2] != "ok"
        best[parts[0]] = min(best.get(parts[0], int(parts[1])), int(parts[1]))
    if not n or not total or not sum(best.values()):
        return None
    return (n / (total / 1e6), len(best) / (sum(best.values()) / 1e6), n, errors)

failed = []
results = {}
for profile in profiles:
    for w in who:
        runs = [rates(os.path.join(raw, f"{w}-{profile}-{r}.txt")) for r in range(1, repeat + 1)]
        results[(profile, w)] = [r for r in runs if r]
        if not results[(profile, w)]:
            failed.append(f"{w} {profile}: no output (see its .err)")
        elif sum(r[3] for r in results[(profile, w)]):
            failed.append(f"{w} {profile}: {sum(r[3] for r in results[(profile, w)])} Responses refused")

# Two readings of the same runs: every timed validation (what a busy process gets), and the best
# time of each Response over the passes (what the code costs when nothing else runs; steadier
# on a shared machine, where a pass can lose its core).
for index, title in ((0, "every timed validation"), (1, "best time of each Response over the passes")):
    print(f"== Responses/s per profile, {title} (one thread, validation only; median of {repeat} interleaved runs, spread = (max-min)/median)")
    print(f"{'profile':<10} {'stack':<14} {'Responses/s':>12} {'µs/Response':>12} {'spread':>8} {'n':>5}")
    medians = {}
    for profile in profiles:
        for w in who:
            runs = results[(profile, w)]
            if not runs:
                print(f"{profile:<10} {w:<14} {'n/a':>12}")
                continue
            values = [r[index] for r in runs]
            med = statistics.median(values)
            medians[(profile, w)] = med
            spread = (max(values) - min(values)) / med * 100
            print(f"{profile:<10} {w:<14} {med:>12.1f} {1e6 / med:>12.0f} {spread:>7.1f}% {runs[0][2]:>5}")
    print(f"-- ratios (Responses/s ours / peer), {title}")
    for profile in profiles:
        ours = medians.get((profile, "ours"))
        peers = {w: medians[(profile, w)] for w in who if w != "ours" and (profile, w) in medians}
        if ours is None or not peers:
            print(f"{profile:<10} n/a (ours not measured)" if ours is None else f"{profile:<10} n/a")
            continue
        top = max(peers, key=peers.get)
        parts = " ".join(f"ours/{w} {ours / r:.2f}x" for w, r in peers.items())
        print(f"{profile:<10} {parts}  (best peer: {top}, ours/best {ours / peers[top]:.2f}x)")
    print()
for f in failed:
    print("FAILED:", f)
sys.exit(1 if failed else 0)
PY
[[ -n "${COMPARE_KEEP:-}" ]] && echo "raw outputs in $raw"
exit $status
