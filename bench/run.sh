#!/usr/bin/env bash
# run.sh: run every llmhost benchmark and print a summary.
#
#   bench/run.sh                  uses ../build next to bench/ (or $top_builddir)
#   BUILD=/path/to/build bench/run.sh
#
# Env: BUILD, OUT (see lib.sh); STREAM_ARGS (extra stream_decode options,
#      e.g. "--runs 9 --cpu 1"); STRICT=1 makes a missed target exit 3.
# Writes $OUT/summary.txt (machine + RESULT lines) and each benchmark's
# output and JSON next to it.
# Exit status: 0 all measured, 1 a benchmark could not measure, 3 (STRICT=1)
# a target was missed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

log=$OUT/summary.txt
failed=0
{
    echo "llmhost benchmarks"
    machine_info
    echo "build:   $BUILD ($(cd "$top" && git describe --always --dirty 2>/dev/null || echo 'no git'))"
} | tee "$log"

run() { # NAME CMD...
    local name=$1
    shift
    echo
    echo "== $name"
    if ! "$@" 2>&1 | tee "$OUT/$name.txt"; then
        echo "!! $name could not measure" | tee -a "$log"
        failed=1
    fi
}

t0=$(date +%s)
run startup "$here/startup.sh"
if OUT="$OUT" "$here/build.sh" >/dev/null; then
    # shellcheck disable=SC2086
    run stream_decode "$OUT/stream_decode" ${STREAM_ARGS:-}
    "$OUT/stream_decode" --json --runs 3 --events 50000 >"$OUT/stream_decode.json" 2>/dev/null || true
    run stream_native "$OUT/stream_native"
    run cache_bench "$OUT/cache_bench"
else
    echo "!! stream_decode did not build" | tee -a "$log"
    failed=1
fi
run chat_vs_curl "$here/chat_vs_curl.sh"
run batch_vs_multi "$here/batch_vs_multi.sh"
t1=$(date +%s)

echo
{
    echo "== summary ($((t1 - t0)) s)"
    cat "$OUT"/startup.txt "$OUT"/stream_decode.txt "$OUT"/stream_native.txt \
        "$OUT"/cache_bench.txt "$OUT"/chat_vs_curl.txt "$OUT"/batch_vs_multi.txt 2>/dev/null |
        sed -n 's/^RESULT //p'
} | tee -a "$log"
echo "(written to $log)"

[ "$failed" -eq 0 ] || exit 1
if [ "${STRICT:-0}" = 1 ] && grep -q ' MISS$' "$log"; then
    exit 3
fi
exit 0
