#!/bin/bash
# errors_openai.sh: every error class of PROVIDERS.md through `llmhost chat`
# over the OpenAI protocol, against the mock server's fault knobs: the
# wording (one line a person can act on), the exit code (3), what is retried
# and what is not, Retry-After, the idle (not total) request timeout, and
# keys never shown. Only 127.0.0.1 servers started here are contacted.
. "$(dirname "$0")/lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY 2>/dev/null || true
export no_proxy='*' NO_PROXY='*'

ctl() { curl --noproxy '*' -s -m 5 "$@"; }
# Each case starts with fresh persisted state (circuit breakers, model lists),
# so that the failures of one case never decide the next one.
CASE=0
fresh_state() { CASE=$((CASE + 1)); export XDG_CACHE_HOME="$TMP/cache.$CASE"; }
mock_reset() { fresh_state; ctl -X POST "$1/_mock/reset" >/dev/null; }
mock_config() {
    local r
    r=$(ctl -X POST -H 'Content-Type: application/json' -d "$2" "$1/_mock/config")
    printf '%s' "$r" | jq -e . >/dev/null 2>&1 || { echo "mock refused config $2: $r"; exit 99; }
}
mock_stat() { ctl "$1/_mock/stats" | jq -r ".$2"; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got \"$2\", expected \"$3\""; fi; }
# The error is one line; retries add their own warning lines (issue 5 asks
# for one per retry), which are not part of the error.
expect_one_line() {
    local n
    n=$(printf '%s\n' "$ERR" | grep -v '^llmhost: warning: ' | awk 'NF { n++ } END { print n + 0 }')
    if [ -n "$ERR" ] && [ "$n" -eq 1 ]; then ok "$1"; else not_ok "$1" "stderr has $n error lines: $ERR"; fi
}
# expect_match NAME TEXT ERE (case-insensitive)
expect_match() {
    if printf '%s' "$2" | grep -Eqi -- "$3"; then ok "$1"; else not_ok "$1" "/$3/ not in: $(printf '%s' "$2" | head -c 600)"; fi
}
now_ms() { date +%s%3N; }
# timed CMD...: like run, and sets MS to the wall time in milliseconds.
timed() { local t0; t0=$(now_ms); run "$@"; MS=$(($(now_ms) - t0)); }
expect_ms_between() { # NAME LOW HIGH
    if [ "$MS" -ge "$2" ] && [ "$MS" -le "$3" ]; then ok "$1"; else not_ok "$1" "took $MS ms, expected $2..$3 ms"; fi
}

start_mock
F=$MOCK_URL
EP="llm.openai_endpoint.url=$F/v1"
Q=(-s llm.request_timeout=5 -s llm.retry_initial_delay=0.05)
# chat_f [SETTINGS...] -- [CHAT ARGS...]
chat_f() {
    local s=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do s+=("$1"); shift; done
    shift
    timed "$LLMHOST" "${Q[@]}" -s "$EP" "${s[@]}" chat -p openai_endpoint -m mock-small "$@"
}

# ---- connection refused: a port where a mock listened a moment ago
start_mock
DEAD_PORT=$MOCK_PORT
stop_mock "$MOCK_PID"
fresh_state
timed "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=http://127.0.0.1:$DEAD_PORT/v1" -s llm.max_retries=0 \
    chat -p openai_endpoint -m mock-small "hi"
expect_rc "connection refused exits 3" 3
expect_one_line "connection refused: one line"
expect_in "connection refused: says so" "$ERR" "connection refused"
expect_in "connection refused: the container hint" "$ERR" "container"
expect_in "connection refused: names the URL" "$ERR" "127.0.0.1:$DEAD_PORT"
expect_ms_between "connection refused with max_retries=0 fails at once" 0 1500
fresh_state
timed "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=http://127.0.0.1:$DEAD_PORT/v1" -s llm.max_retries=2 \
    chat -p openai_endpoint -m mock-small "hi"
expect_rc "connection refused after retries exits 3" 3
expect_one_line "connection refused after retries: one line"
expect_eq "connection refused: nothing on stdout" "$OUT" ""

# ---- a silent server fails after request_timeout; a dripping one succeeds
mock_reset "$F"
mock_config "$F" '{"never_answer":true}'
chat_f -s llm.request_timeout=1 -s llm.max_retries=0 -- "hi"
expect_rc "silent server exits 3" 3
expect_one_line "silent server: one line"
expect_in "silent server: names llm.request_timeout" "$ERR" "llm.request_timeout"
expect_match "silent server: says it timed out / got no response" "$ERR" "timed out|timeout|no response"
expect_ms_between "silent server fails after about 1 s" 900 2500
chat_f -s llm.request_timeout=1 -s llm.max_retries=0 -- --no-stream "hi"
expect_rc "silent server --no-stream exits 3" 3
expect_ms_between "silent server --no-stream fails after about 1 s" 900 2500
expect_in "silent server --no-stream: names llm.request_timeout" "$ERR" "llm.request_timeout"
chat_f -s llm.request_timeout=0 -s llm.max_retries=0 -- "hi"
expect_ms_between "llm.request_timeout=0 counts as 1 s" 900 2500
mock_reset "$F"
mock_config "$F" '{"never_answer":true}'
chat_f -s llm.request_timeout=1 -s llm.max_retries=1 -- "hi"
expect_rc "silent server, one retry: exits 3" 3
expect_eq "a timeout is retried (2 requests with max_retries=1)" "$(mock_stat "$F" api_requests)" 2

mock_reset "$F"
mock_config "$F" '{"drip_ms":300,"drip_bytes":64}'
chat_f -s llm.request_timeout=1 -s llm.max_retries=0 -- --json --no-stream "hello world"
expect_rc "dripping plain answer slower than the timeout overall succeeds" 0
expect_jq "dripping plain answer: content" '.content == "echo: hello world" and .attempts == 1'
expect_ms_between "dripping plain answer took longer than llm.request_timeout" 1050 20000
chat_f -s llm.request_timeout=1 -s llm.max_retries=0 -- "hello world"
expect_rc "dripping stream slower than the timeout overall succeeds" 0
expect_eq "dripping stream: the answer" "$OUT" "echo: hello world"
expect_ms_between "dripping stream took longer than llm.request_timeout" 1050 20000
mock_reset "$F"
mock_config "$F" '{"chunk_delay_ms":400}'
chat_f -s llm.request_timeout=1 -s llm.max_retries=0 -- "one two three four five"
expect_rc "a stream with 0.4 s between events, 2+ s in all, succeeds with a 1 s timeout" 0
expect_eq "slow stream: the answer" "$OUT" "echo: one two three four five"
mock_reset "$F"
mock_config "$F" '{"chunk_delay_ms":2500}'
chat_f -s llm.request_timeout=1 -s llm.max_retries=0 -- "hi there"
expect_rc "a stream that goes silent mid-way exits 3" 3
expect_ms_between "a stream that goes silent fails after about 1 s of silence" 900 2400
expect_in "a stream that goes silent: names llm.request_timeout" "$ERR" "llm.request_timeout"
expect_one_line "a stream that goes silent: one line"
mock_reset "$F"
mock_config "$F" '{"latency_ms":2500}'
chat_f -s llm.request_timeout=1 -s llm.max_retries=0 -- "hi"
expect_rc "headers later than the timeout: exits 3" 3
expect_ms_between "headers later than the timeout: fails after about 1 s" 900 2400

# ---- 401: names the key setting, never shows the key, not retried
start_mock --require-key right-KEY-1
K=$MOCK_URL
fresh_state
timed "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=$K/v1" -s llm.openai_endpoint.api_key=wrong-KEY-9876 \
    -s llm.max_retries=2 chat -p openai_endpoint -m mock-small "hi"
expect_rc "401 exits 3" 3
expect_one_line "401: one line"
expect_in "401: names the key setting" "$ERR" "llm.openai_endpoint.api_key"
expect_in "401: says HTTP 401" "$ERR" "401"
expect_not_in "401: the key is never printed" "$OUT$ERR" "wrong-KEY-9876"
expect_eq "401 is not retried (1 request with max_retries=2)" "$(mock_stat "$K" api_requests)" 1
mock_reset "$K"
run "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=$K/v1" chat -p openai_endpoint -m mock-small "hi"
expect_rc "401 without any key exits 3" 3
expect_in "401 without a key: names the key setting" "$ERR" "llm.openai_endpoint.api_key"
mock_reset "$K"
OPENAI_API_KEY=sk-wrong-OPENAI-5555 run "$LLMHOST" "${Q[@]}" -s "llm.openai.api_base=$K/v1" -s llm.max_retries=2 \
    chat -p openai -m mock-small "hi"
expect_rc "openai 401 exits 3" 3
expect_in "openai 401: names llm.openai.api_key" "$ERR" "llm.openai.api_key"
expect_in "openai 401: names OPENAI_API_KEY" "$ERR" "OPENAI_API_KEY"
expect_not_in "openai 401: the key is never printed" "$OUT$ERR" "sk-wrong-OPENAI-5555"
expect_eq "openai 401 is not retried" "$(mock_stat "$K" api_requests)" 1
run "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=$K/v1" -s llm.openai_endpoint.api_key=right-KEY-1 \
    chat -p openai_endpoint -m mock-small "hi"
expect_rc "the right key works" 0
expect_eq "the right key: answer" "$OUT" "echo: hi"

# ---- 403, 404 model, 400
mock_reset "$F"
mock_config "$F" '{"status":403}'
chat_f -s llm.openai_endpoint.api_key=sk-perm-KEY-3333 -s llm.max_retries=2 -- "hi"
expect_rc "403 exits 3" 3
expect_one_line "403: one line"
expect_in "403: says HTTP 403" "$ERR" "403"
expect_match "403: says permission / access" "$ERR" "permission|access|forbidden"
expect_not_in "403: the key is never printed" "$OUT$ERR" "sk-perm-KEY-3333"
expect_eq "403 is not retried" "$(mock_stat "$F" api_requests)" 1

mock_reset "$F"
mock_config "$F" '{"strict_models":true}'
timed "$LLMHOST" "${Q[@]}" -s "$EP" -s llm.max_retries=2 chat -p openai_endpoint -m no-such-model-x "hi"
expect_rc "404 unknown model exits 3" 3
expect_one_line "404 model: one line"
expect_in "404 model: names the model" "$ERR" "no-such-model-x"
expect_match "404 model: says not found" "$ERR" "not found"
expect_eq "404 is not retried" \
    "$(ctl "$F/_mock/requests" | jq '[.requests[] | select(.path | endswith("/chat/completions"))] | length')" 1
chat_f -- "known model still works"
expect_rc "strict models: a known model works" 0

mock_reset "$F"
mock_config "$F" '{"status":400}'
chat_f -s llm.max_retries=2 -- "hi"
expect_rc "400 exits 3" 3
expect_one_line "400: one line"
expect_in "400: shows the server's message" "$ERR" "mock: injected HTTP 400"
expect_in "400: says HTTP 400" "$ERR" "400"
expect_eq "400 is not retried" "$(mock_stat "$F" api_requests)" 1

# ---- 429 with Retry-After: waited for, then success
mock_reset "$F"
mock_config "$F" '{"status":429,"retry_after":"1","fail_first":1}'
chat_f -s llm.max_retries=2 -- --json "hello world"
expect_rc "429 then success exits 0" 0
expect_jq "429 then success: attempts 2, the answer" '.attempts == 2 and .content == "echo: hello world"'
expect_ms_between "429 with Retry-After: 1 waits at least 1 s" 1000 5000
expect_eq "429 then success: 2 requests" "$(mock_stat "$F" api_requests)" 2
mock_reset "$F"
mock_config "$F" '{"status":429,"retry_after":"1"}'
chat_f -s llm.max_retries=0 -- "hi"
expect_rc "429 without retries left exits 3" 3
expect_one_line "429: one line"
expect_match "429: says rate limited" "$ERR" "rate.limit"
expect_in "429: says HTTP 429" "$ERR" "429"
expect_match "429: gives the wait" "$ERR" "1 s|1 second"
mock_reset "$F"
mock_config "$F" '{"status":429,"retry_after":"3600"}'
chat_f -s llm.max_retries=2 -- "hi"
expect_rc "429 asking for an hour exits 3 without waiting" 3
expect_ms_between "429 asking for an hour: no hour-long wait" 0 3000
expect_in "429 asking for an hour: the wait is named" "$ERR" "3600"

# ---- 5xx: retried, then success or "server error"
mock_reset "$F"
mock_config "$F" '{"status":503,"fail_first":2}'
chat_f -s llm.max_retries=2 -- --json "hello world"
expect_rc "503 twice then success with max_retries=2 exits 0" 0
expect_jq "503 twice then success: attempts 3" '.attempts == 3 and .content == "echo: hello world"'
mock_reset "$F"
mock_config "$F" '{"status":503,"fail_first":2}'
chat_f -s llm.max_retries=1 -- "hello world"
expect_rc "503 twice with max_retries=1 exits 3" 3
expect_one_line "503: one line"
expect_in "503: says server error" "$ERR" "server error"
expect_in "503: says HTTP 503" "$ERR" "503"
expect_eq "503 with max_retries=1: 2 requests" "$(mock_stat "$F" api_requests)" 2
expect_eq "503: nothing on stdout" "$OUT" ""
mock_reset "$F"
mock_config "$F" '{"status":500}'
chat_f -s llm.max_retries=9 -s breaker.enabled=false -- "hi"
expect_rc "500 always exits 3" 3
expect_eq "llm.max_retries is clamped to 5 (6 requests)" "$(mock_stat "$F" api_requests)" 6

# ---- bodies that are not what the API promises: protocol error
mock_reset "$F"
mock_config "$F" '{"malformed":true}'
chat_f -s llm.max_retries=0 -- --no-stream "hello world"
expect_rc "malformed JSON body (--no-stream) exits 3" 3
expect_one_line "malformed body: one line"
expect_match "malformed body: a protocol error (the body is not the JSON promised)" "$ERR" "protocol|JSON"
expect_match "malformed body: names the server" "$ERR" "OpenAI-Compatible Endpoint|127\\.0\\.0\\.1"
chat_f -s llm.max_retries=0 -- "hello world"
expect_rc "malformed stream event exits 3" 3
expect_one_line "malformed stream: one line"
expect_match "malformed stream: a protocol error (an event is not the JSON promised)" "$ERR" "protocol|JSON"
expect_match "malformed stream: names the server" "$ERR" "OpenAI-Compatible Endpoint|127\\.0\\.0\\.1"

# ---- a stream cut after text reached the user: exit 3, partial text kept, not retried
mock_reset "$F"
mock_config "$F" '{"close_after_chunks":2}'
chat_f -s llm.max_retries=2 -- "hello world again"
expect_rc "stream cut mid-answer exits 3" 3
expect_one_line "stream cut: one line"
expect_in "stream cut: the partial text was printed" "$OUT" "echo:"
expect_not_in "stream cut: nothing after the cut" "$OUT" "again"
expect_match "stream cut: says the connection closed mid-answer" "$ERR" "mid-answer|cut|ended before|closed"
expect_eq "stream cut after text is not retried" "$(mock_stat "$F" api_requests)" 1

# ---- a stream cut before any text is retried; the knob is lifted after the
# first request, so a later attempt succeeds.
mock_reset "$F"
mock_config "$F" '{"close_after_chunks":0}'
chat_f -s llm.max_retries=2 -- "hi"
expect_rc "stream cut before any text on every attempt exits 3" 3
expect_eq "stream cut before any text is retried (3 requests)" "$(mock_stat "$F" api_requests)" 3
mock_reset "$F"
mock_config "$F" '{"close_after_chunks":0}'
(
    for _ in $(seq 1 500); do
        [ "$(mock_stat "$F" api_requests)" -ge 1 ] 2>/dev/null && break
        sleep 0.01
    done
    mock_config "$F" '{"close_after_chunks":null}'
) &
WATCH=$!
chat_f -s llm.max_retries=5 -s llm.retry_initial_delay=0.3 -- --json "hello world"
wait "$WATCH"
expect_rc "stream cut before the first chunk is retried and succeeds" 0
expect_jq "cut before the first chunk: attempts >= 2 and the whole answer" '.attempts >= 2 and .content == "echo: hello world"'

# ---- an error event inside the stream
mock_reset "$F"
mock_config "$F" '{"error_event":2}'
chat_f -s llm.max_retries=0 -- "hello world again"
expect_rc "an in-stream error event exits 3" 3
expect_one_line "in-stream error: one line"
expect_in "in-stream error: the server's message" "$ERR" "mock: injected stream error"

finish
