#!/usr/bin/env bash
# startup.sh: process start-up cost of llmhost, against curl in the same run.
#
# Measures whole processes (hyperfine -N, output to /dev/null), median wall time:
#   curl --version                                 the baseline
#   llmhost --help                                 opens no plugin
#   llmhost plugins --json                         bundled plugins only (reference)
#   llmhost --plugin-path DIR plugins --json       bundled + 50 fixture plugins
#   true                                           process-creation floor (reference)
# Targets: --help no slower than curl --version (median ratio <= 1.00);
#          plugins --json with 50 extra plugins: median under 20 ms.
#
# Env: BUILD, OUT (see lib.sh); ROUNDS (default 5), RUNS per round (default 20),
#      WARMUP per round (default 3), EXTRA fixture plugins (default 50), CC.
# Writes $OUT/startup.json and prints one RESULT line per target.
# Exit status: 0 measured (whatever the verdicts), 1 could not measure.
set -euo pipefail
umask 022 # the loader refuses plugins writable by others
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
EXTRA=${EXTRA:-50}
CC=${CC:-cc}
LLMHOST=$BUILD/host/cli/llmhost

need hyperfine jq curl "$CC"
[ -x "$LLMHOST" ] || die "$LLMHOST not found; run make in $BUILD first"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmh-bench-startup.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
clean_env "$tmp"
plugdir=$tmp/plugins
mkdir -m 755 "$plugdir"

# EXTRA good fixture plugins, each with its own name (= file name) and key.
for ((i = 1; i <= EXTRA; i++)); do printf 'bench_%02d\n' "$i"; done |
    xargs -P "$(nproc)" -I @@ "$CC" -O2 -fPIC -shared -fvisibility=hidden -I"$top/sdk" \
        -DFIXTURE_GOOD '-DFIXTURE_NAME="@@"' '-DFIXTURE_KEY="@@"' \
        -o "$plugdir/@@.so" "$top/tests/plugins/fixture.c" ||
    die "compiling the fixture plugins failed"

# Check that they all load, next to the bundled ones, before timing anything.
"$LLMHOST" --plugin-path "$plugdir" plugins --json >"$tmp/plugins.json" ||
    die "llmhost plugins --json failed"
loaded_extra=$(jq '[.plugins[] | select((.name | startswith("bench_")) and .status == "loaded")] | length' "$tmp/plugins.json")
loaded_all=$(jq '[.plugins[] | select(.status == "loaded")] | length' "$tmp/plugins.json")
if [ "$loaded_extra" -ne "$EXTRA" ]; then
    jq -r '.plugins[] | select(.status != "loaded") | "  \(.name): \(.reason)"' "$tmp/plugins.json" | head -5 >&2
    die "only $loaded_extra of $EXTRA fixture plugins loaded"
fi
bundled=$((loaded_all - loaded_extra))
[ "$bundled" -gt 0 ] || die "no bundled plugin was loaded from the build tree"

echo "startup: $bundled bundled + $EXTRA fixture plugins; $ROUNDS rounds x $RUNS runs (+$WARMUP warm-up) per command"
hf_rounds "$OUT/startup.json" "$ROUNDS" "$RUNS" "$WARMUP" \
    'true' 'true' \
    'curl --version' 'curl --version' \
    'llmhost --help' "$LLMHOST --help" \
    'llmhost plugins --json (bundled)' "$LLMHOST plugins --json" \
    "llmhost plugins --json (+$EXTRA)" "$LLMHOST --plugin-path $plugdir plugins --json" ||
    die "hyperfine failed"

true_ms=$(hf_median_ms "$OUT/startup.json" 'true')
curl_ms=$(hf_median_ms "$OUT/startup.json" 'curl --version')
help_ms=$(hf_median_ms "$OUT/startup.json" 'llmhost --help')
plug0_ms=$(hf_median_ms "$OUT/startup.json" 'llmhost plugins --json (bundled)')
plug_ms=$(hf_median_ms "$OUT/startup.json" "llmhost plugins --json (+$EXTRA)")

awk -v t="$true_ms" -v c="$curl_ms" -v h="$help_ms" -v p0="$plug0_ms" -v p="$plug_ms" \
    -v n="$EXTRA" -v b="$bundled" 'BEGIN {
    printf "median wall time, ms:\n"
    printf "  %-40s %7.2f\n", "true (process floor)", t
    printf "  %-40s %7.2f\n", "curl --version", c
    printf "  %-40s %7.2f\n", "llmhost --help", h
    printf "  %-40s %7.2f\n", "llmhost plugins --json (" b " bundled)", p0
    printf "  %-40s %7.2f  (+%.3f ms per extra plugin)\n", "llmhost plugins --json (+" n " fixtures)", p, (p - p0) / n
    printf "ratios to curl --version: --help %.2f, plugins (bundled) %.2f, plugins (+%d) %.2f\n", h / c, p0 / c, n, p / c
    printf "RESULT startup.help_vs_curl ratio=%.2f (%.2f ms vs %.2f ms; target <= 1.00) %s\n", h / c, h, c, (h <= c ? "PASS" : "MISS")
    printf "RESULT startup.plugins_%d median=%.2fms (target < 20 ms) %s\n", n, p, (p < 20 ? "PASS" : "MISS")
}'
