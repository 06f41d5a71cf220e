#!/usr/bin/env bash
# chat_vs_curl.sh: one whole `llmhost chat --no-stream` process against the
# mock server, versus one `curl` process sending the same request (same
# method, URL, Content-Type and JSON body), median wall time ratio in the same
# run. Target: llmhost / curl <= 1.3.
#
# The mock (tests/mockllm) is started here on 127.0.0.1 with an ephemeral port
# and stopped at the end. The request body is the one llmhost builds (taken
# from `chat --dry-run`), and before timing, both requests are checked on the
# mock's request log to be the same.
#
# Env: BUILD, OUT (see lib.sh); ROUNDS (default 5), RUNS per round (default
#      20), WARMUP per round (default 3).
# Writes $OUT/chat_vs_curl.json and prints one RESULT line.
# Exit status: 0 measured (whatever the verdict), 1 could not measure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
LLMHOST=$BUILD/host/cli/llmhost
MOCKLLM=$BUILD/tests/mockllm/mockllm

need hyperfine jq curl
[ -x "$LLMHOST" ] || die "$LLMHOST not found; run make in $BUILD first"
[ -x "$MOCKLLM" ] || die "$MOCKLLM not found; run make in $BUILD first"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmh-bench-chat.XXXXXX")
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

# The mock: 127.0.0.1, a port it picks, gone by itself after 5 minutes at most.
"$MOCKLLM" --port 0 --port-file "$tmp/port" --max-seconds 300 >/dev/null 2>"$tmp/mock.err" &
mock_pid=$!
for ((i = 0; i < 100; i++)); do # at most 10 s
    [ -s "$tmp/port" ] && break
    kill -0 "$mock_pid" 2>/dev/null || { cat "$tmp/mock.err" >&2; die "the mock did not start"; }
    sleep 0.1
done
[ -s "$tmp/port" ] || die "the mock did not report its port"
port=$(cat "$tmp/port")
base=http://127.0.0.1:$port

llm_args=(-s "llm.openai_endpoint.url=$base/v1" chat -p openai_endpoint -m mock-small --no-stream hello)

# The request llmhost sends, from --dry-run: method, URL and body for curl.
"$LLMHOST" "${llm_args[@]}" --dry-run >"$tmp/dry.json" || die "llmhost chat --dry-run failed"
method=$(jq -r '.requests[0].method' "$tmp/dry.json")
url=$(jq -r '.requests[0].url' "$tmp/dry.json")
ctype=$(jq -r '.requests[0].headers | to_entries[] | select(.key | ascii_downcase == "content-type") | .value' "$tmp/dry.json")
jq -c '.requests[0].body' "$tmp/dry.json" >"$tmp/body.json"
if [ "$method" != POST ] || [ "$url" != "$base/v1/chat/completions" ]; then
    die "unexpected request from --dry-run: $method $url"
fi
case $url in http://127.0.0.1:*) ;; *) die "refusing a URL that is not 127.0.0.1: $url" ;; esac

curl_cmd="curl -sS --fail -X $method -H 'Content-Type: ${ctype:-application/json}' --data-binary @$tmp/body.json $url"
llm_cmd="$LLMHOST -s llm.openai_endpoint.url=$base/v1 chat -p openai_endpoint -m mock-small --no-stream hello"

# One of each, then compare what the mock received.
curl -sS -X POST "$base/_mock/reset" >/dev/null || die "cannot reach the mock"
t0=$(date +%s%N)
llm_out=$(eval "$llm_cmd") || die "llmhost chat failed"
check_ms=$((($(date +%s%N) - t0) / 1000000))
curl_out=$(eval "$curl_cmd") || die "curl failed"
[ "$llm_out" = "echo: hello" ] || die "llmhost answered '$llm_out'"
[ "$(jq -r '.choices[0].message.content' <<<"$curl_out")" = "echo: hello" ] || die "curl got '$curl_out'"
curl -sS "$base/_mock/requests" >"$tmp/requests.json"
jq -e '.requests | length == 2
       and .[0].method == .[1].method and .[0].path == .[1].path
       and .[0].body == .[1].body' "$tmp/requests.json" >/dev/null ||
    { jq -c '.requests[] | {method, path, body}' "$tmp/requests.json" >&2; die "llmhost and curl sent different requests"; }
echo "chat_vs_curl: mock on 127.0.0.1:$port; both send $method $(jq -r '.requests[0].path' "$tmp/requests.json") with $(wc -c <"$tmp/body.json" | tr -d ' ') bytes of the same JSON"
echo "  $(jq -c '.requests[0].body' "$tmp/requests.json")"
# Keep the whole run bounded in time when llmhost is slow (a stall).
if [ "$check_ms" -gt 250 ]; then
    echo "  note: one llmhost chat took $check_ms ms in the check run; measuring with 1 round x 5 runs"
    ROUNDS=1 RUNS=5 WARMUP=1
fi
echo "  $ROUNDS rounds x $RUNS runs (+$WARMUP warm-up) per command"
curl -sS -X POST "$base/_mock/reset" >/dev/null

hf_rounds "$OUT/chat_vs_curl.json" "$ROUNDS" "$RUNS" "$WARMUP" \
    'curl' "$curl_cmd" \
    'llmhost chat --no-stream' "$llm_cmd" ||
    die "hyperfine failed (a request failed?)"

stats=$(curl -sS "$base/_mock/stats")
expect=$((ROUNDS * (RUNS + WARMUP) * 2))
got=$(jq -r '.api_requests' <<<"$stats")
[ "$got" -eq "$expect" ] || die "the mock saw $got API requests, expected $expect"

curl_ms=$(hf_median_ms "$OUT/chat_vs_curl.json" 'curl')
llm_ms=$(hf_median_ms "$OUT/chat_vs_curl.json" 'llmhost chat --no-stream')
curl_cpu=$(hf_cpu_ms "$OUT/chat_vs_curl.json" 'curl')
llm_cpu=$(hf_cpu_ms "$OUT/chat_vs_curl.json" 'llmhost chat --no-stream')
awk -v c="$curl_ms" -v l="$llm_ms" -v n="$got" -v cc="$curl_cpu" -v lc="$llm_cpu" 'BEGIN {
    printf "%d requests answered by the mock\n", n
    printf "  %-28s %12s %16s\n", "", "median wall", "mean CPU (u+s)"
    printf "  %-28s %9.2f ms %13.2f ms\n", "curl", c, cc
    printf "  %-28s %9.2f ms %13.2f ms\n", "llmhost chat --no-stream", l, lc
    printf "RESULT chat_vs_curl ratio=%.2f (%.2f ms vs %.2f ms; target <= 1.30) %s\n", l / c, l, c, (l / c <= 1.3 ? "PASS" : "MISS")
}'
