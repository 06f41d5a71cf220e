#!/usr/bin/env bash
# batch_vs_multi.sh: throughput of `llmhost chat --batch` (N non-streamed
# requests, concurrency C, one process) against the mock server, versus
# bench/multi_baseline (a plain libcurl multi loop sending the same N POST
# bodies, C in flight, reusing connections), in the same run. Target:
# llmhost requests/s >= 0.9 x the plain loop's.
#
# Both are timed as whole processes (wall clock from fork to exit, output to
# a file), so both pay their start-up; the baseline also reports its own
# loop-only rate, printed for reference. The runs come in rounds of one of
# each, back to back, alternating which goes first. The verdict is the
# median over rounds of each round's ratio (baseline wall / llmhost wall):
# the two runs of a round see the same machine, so a load that comes and
# goes on this shared 2-core VM moves both. The ratio of the two medians is
# printed too.
# Before timing, one run of each is checked: every llmhost result "ok" and in
# input order, and the mock received the same multiset of (method, path,
# body) from both.
#
# The mock (tests/mockllm) is started here on 127.0.0.1 with an ephemeral port
# and stopped at the end; the baseline refuses any URL but 127.0.0.1.
#
# Env: BUILD, OUT (see lib.sh); N requests (default 2000), CONC (default 32),
#      RUNS rounds (default 31, at least 3), CC.
# Writes $OUT/batch_vs_multi.json and prints one RESULT line.
# Exit status: 0 measured (whatever the verdict), 1 could not measure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

N=${N:-2000}
CONC=${CONC:-32}
RUNS=${RUNS:-31}
[ "$RUNS" -ge 3 ] || RUNS=3
LLMHOST=$BUILD/host/cli/llmhost
MOCKLLM=$BUILD/tests/mockllm/mockllm

need jq curl pkg-config "${CC:-cc}"
[ -x "$LLMHOST" ] || die "$LLMHOST not found; run make in $BUILD first"
[ -x "$MOCKLLM" ] || die "$MOCKLLM not found; run make in $BUILD first"

# The baseline, built for this run.
BASE=$OUT/multi_baseline
# shellcheck disable=SC2046
"${CC:-cc}" -std=gnu11 -O2 -g -Wall -Wextra -o "$BASE" "$here/multi_baseline.c" \
    $(pkg-config --cflags --libs libcurl) || die "multi_baseline did not build"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmh-bench-batch.XXXXXX")
mock_pid=
cleanup() {
    if [ -n "$mock_pid" ]; then
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
clean_env "$tmp"

# With two CPUs or more (and taskset), the mock runs on the first and the
# clients on the second, so neither tool's run depends on where the
# scheduler happened to put it next to the mock. PIN=0 turns it off.
MOCK_PIN=() CLIENT_PIN=() pinned=no
if [ "${PIN:-1}" != 0 ] && command -v taskset >/dev/null; then
    # the CPUs this script may use, "0-3,6" expanded to one per line
    cpus=$(taskset -pc $$ | sed 's/.*: //' | tr ',' '\n' |
        awk -F- '{ if (NF == 2) for (i = $1; i <= $2; i++) print i; else print $1 }')
    first=$(sed -n 1p <<<"$cpus") second=$(sed -n 2p <<<"$cpus")
    if [ -n "$second" ]; then
        MOCK_PIN=(taskset -c "$first") CLIENT_PIN=(taskset -c "$second")
        pinned="mock on CPU $first, clients on CPU $second"
    fi
fi
"${MOCK_PIN[@]}" "$MOCKLLM" --port 0 --port-file "$tmp/port" --max-seconds 300 >/dev/null 2>"$tmp/mock.err" &
mock_pid=$!
for ((i = 0; i < 100; i++)); do # at most 10 s
    [ -s "$tmp/port" ] && break
    kill -0 "$mock_pid" 2>/dev/null || { cat "$tmp/mock.err" >&2; die "the mock did not start"; }
    sleep 0.1
done
[ -s "$tmp/port" ] || die "the mock did not report its port"
port=$(cat "$tmp/port")
base=http://127.0.0.1:$port
ctl() { curl --noproxy '*' -sS -m 10 "$@"; }

# The inputs: N prompts "item I" for llmhost; for the baseline, the body
# llmhost builds (from --dry-run) with each prompt put in.
LLM=("$LLMHOST" -s "llm.openai_endpoint.url=$base/v1" chat -p openai_endpoint -m mock-small)
for ((i = 0; i < N; i++)); do printf '{"prompt":"item %d"}\n' "$i"; done >"$tmp/batch.jsonl"
"${LLM[@]}" --no-stream --dry-run "item 0" >"$tmp/dry.json" || die "llmhost chat --dry-run failed"
url=$(jq -r '.requests[0].url' "$tmp/dry.json")
[ "$url" = "$base/v1/chat/completions" ] || die "unexpected URL from --dry-run: $url"
jq -c --argjson n "$N" '.requests[0].body as $b | range(0; $n) | . as $i | $b
    | .messages[-1].content = "item \($i)"' "$tmp/dry.json" >"$tmp/bodies.jsonl"

llm_cmd=("${CLIENT_PIN[@]}" "${LLM[@]}" --batch "$tmp/batch.jsonl" --concurrency "$CONC")
base_cmd=("${CLIENT_PIN[@]}" "$BASE" "$url" "$tmp/bodies.jsonl" "$CONC" --json)

# ---- the check run: same requests, correct results
ctl -X POST "$base/_mock/reset" >/dev/null || die "cannot reach the mock"
"${llm_cmd[@]}" >"$tmp/check.out" 2>"$tmp/check.err" || { cat "$tmp/check.err" >&2; die "llmhost chat --batch failed"; }
[ "$(wc -l <"$tmp/check.out")" -eq "$N" ] || die "llmhost printed $(wc -l <"$tmp/check.out") lines, expected $N"
bad=$(jq -c 'select(.status != "ok" or .content != "echo: item \(.index)")' "$tmp/check.out" | head -n 3)
[ -z "$bad" ] || die "llmhost results wrong: $bad"
ctl "$base/_mock/requests" | jq -c '[.requests[] | {method, path, body}] | sort' >"$tmp/llm.req"
ctl -X POST "$base/_mock/reset" >/dev/null
"${base_cmd[@]}" >"$tmp/check.base" || die "multi_baseline failed: $(cat "$tmp/check.base")"
ctl "$base/_mock/requests" | jq -c '[.requests[] | {method, path, body}] | sort' >"$tmp/base.req"
cmp -s "$tmp/llm.req" "$tmp/base.req" || die "llmhost and the baseline sent different requests"
[ "$(jq length "$tmp/llm.req")" -eq "$N" ] || die "the mock logged $(jq length "$tmp/llm.req") requests, expected $N"
echo "batch_vs_multi: mock on 127.0.0.1:$port; $N POST /v1/chat/completions (same bodies from both, checked), concurrency $CONC, $RUNS rounds; pinned: $pinned"

# ---- timed runs, alternating
TIMEFORMAT='%R %U %S'
# timed_run NAME ROUND CMD...: appends "NAME ROUND WALL USER SYS CONNECTIONS MAX_OPEN [SELF_RPS]" to $tmp/runs.
timed_run() {
    local name=$1 round=$2 t stats self=
    shift 2
    ctl -X POST "$base/_mock/reset" >/dev/null
    { time "$@" >"$tmp/run.out" 2>"$tmp/run.err"; } 2>"$tmp/time" || { cat "$tmp/run.err" "$tmp/run.out" >&2; die "$name failed"; }
    t=$(cat "$tmp/time")
    stats=$(ctl "$base/_mock/stats")
    [ "$(jq -r .api_requests <<<"$stats")" -eq "$N" ] || die "$name: the mock saw $(jq -r .api_requests <<<"$stats") requests, expected $N"
    if [ "$name" = llmhost ]; then
        [ "$(grep -c '"status":"ok"' "$tmp/run.out")" -eq "$N" ] || die "llmhost: not every request ok"
    else
        self=$(jq -r .rps "$tmp/run.out")
    fi
    echo "$name $round $t $(jq -r '"\(.connections) \(.max_open_requests)"' <<<"$stats") $self" >>"$tmp/runs"
}
: >"$tmp/runs"
for ((r = 0; r < RUNS; r++)); do
    if ((r % 2)); then
        timed_run llmhost "$r" "${llm_cmd[@]}"
        timed_run baseline "$r" "${base_cmd[@]}"
    else
        timed_run baseline "$r" "${base_cmd[@]}"
        timed_run llmhost "$r" "${llm_cmd[@]}"
    fi
done

jq -R -s --argjson n "$N" --argjson conc "$CONC" '
    def median: sort | if length % 2 == 1 then .[length / 2 | floor]
                       else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    [split("\n")[] | select(length > 0) | split(" ")
     | {tool: .[0], round: (.[1] | tonumber), wall: (.[2] | tonumber), user: (.[3] | tonumber),
        sys: (.[4] | tonumber), connections: (.[5] | tonumber), max_open: (.[6] | tonumber),
        self_rps: (if (.[7] // "") == "" then null else (.[7] | tonumber) end)}
     | .rps = ($n / .wall)] as $runs
    | {requests: $n, concurrency: $conc, runs: $runs}
    | .summary = ([$runs | group_by(.tool)[] | {key: .[0].tool, value: {
          runs: length, median_rps: (map(.rps) | median), median_wall_s: (map(.wall) | median),
          min_rps: (map(.rps) | min), max_rps: (map(.rps) | max),
          median_cpu_s: (map(.user + .sys) | median),
          median_self_rps: (map(.self_rps) | if .[0] == null then null else median end),
          connections: (map(.connections) | max), max_open: (map(.max_open) | max)}}] | from_entries)
    | .round_ratios = [$runs | group_by(.round)[]
          | (map(select(.tool == "baseline"))[0].wall / map(select(.tool == "llmhost"))[0].wall)]
    | .ratio = (.round_ratios | median)
    | .ratio_of_medians = (.summary.llmhost.median_rps / .summary.baseline.median_rps)' \
    "$tmp/runs" >"$OUT/batch_vs_multi.json"

jq -r '
    "  tool        median req/s   (min..max)        median wall  median CPU  conns  max open",
    (.summary | to_entries[] | "  \(.key | . + " " * (10 - length))  \(.value.median_rps | floor | tostring | " " * (9 - length) + .)   (\(.value.min_rps | floor)..\(.value.max_rps | floor))   \(.value.median_wall_s * 1000 | floor) ms     \(.value.median_cpu_s * 1000 | floor) ms     \(.value.connections)     \(.value.max_open)"),
    "  baseline loop alone (its own clock, no process start-up): \(.summary.baseline.median_self_rps | floor) req/s",
    "  ratio per round (llmhost req/s / baseline req/s): \(.round_ratios | map(. * 100 | round / 100 | tostring) | join(" "))",
    "RESULT batch_vs_multi ratio=\(.ratio * 100 | round / 100) (median of \(.round_ratios | length) paired rounds; ratio of medians \(.ratio_of_medians * 100 | round / 100): llmhost \(.summary.llmhost.median_rps | floor) req/s vs plain libcurl multi \(.summary.baseline.median_rps | floor) req/s; target >= 0.90) \(if .ratio >= 0.9 then "PASS" else "MISS" end)"
' "$OUT/batch_vs_multi.json"
