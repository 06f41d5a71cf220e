#!/bin/bash
# resilience.sh: retries, fallback chains, circuit breakers and client-side
# rate limits (issue 5) through `llmhost chat`, against the mock server's
# fault knobs, asserting what a user notices: the exit code, the time taken,
# the attempts reported, the warning lines, what the server received.
# Only 127.0.0.1 is contacted: mocks started here, and port 1 (nothing
# listens there) as the dead server.
. "$(dirname "$0")/lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY 2>/dev/null || true
export no_proxy='*' NO_PROXY='*'

# ---- helpers
ctl() { curl --noproxy '*' -s -m 5 "$@"; }
mock_reset() { ctl -X POST "$1/_mock/reset" >/dev/null; }
mock_config() {
    local r
    r=$(ctl -X POST -H 'Content-Type: application/json' -d "$2" "$1/_mock/config")
    printf '%s' "$r" | jq -e . >/dev/null 2>&1 || { echo "mock refused config $2: $r"; exit 99; }
}
mock_stat() { ctl "$1/_mock/stats" | jq -r ".$2"; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got \"$2\", expected \"$3\""; fi; }
# expect_match NAME TEXT ERE (case-insensitive)
expect_match() {
    if printf '%s' "$2" | grep -Eqi -- "$3"; then ok "$1"; else not_ok "$1" "/$3/ not in: $(printf '%s' "$2" | head -c 600)"; fi
}
# jq_on NAME JSON FILTER
jq_on() {
    if printf '%s' "$2" | jq -e "$3" >/dev/null 2>&1; then ok "$1"
    else not_ok "$1" "jq '$3' false on: $(printf '%s' "$2" | head -c 600)"; fi
}
now_ms() { date +%s%3N; }
# timed CMD...: like run, and sets MS to the wall time in milliseconds.
timed() { local t0; t0=$(now_ms); run "$@"; MS=$(($(now_ms) - t0)); }
expect_ms_between() { # NAME LOW HIGH
    if [ "$MS" -ge "$2" ] && [ "$MS" -le "$3" ]; then ok "$1"; else not_ok "$1" "took $MS ms, expected $2..$3 ms"; fi
}
# count_lines TEXT ERE: lines of TEXT matching ERE
count_lines() { printf '%s\n' "$1" | grep -Ec -- "$2"; }

DEAD=http://127.0.0.1:1/v1 # nothing listens on port 1
# Every run: a short idle timeout and quick retries, so no check can hang.
Q=(-s llm.request_timeout=5 -s llm.retry_initial_delay=0.05 -s llm.retry_max_delay=0.2)
# The retry checks must not be decided by a breaker opened by an earlier one.
NB=(-s breaker.enabled=false)

start_mock
R=$MOCK_URL
# chat_r [SETTINGS...] -- [CHAT ARGS...]: a timed chat against mock R.
chat_r() {
    local s=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do s+=("$1"); shift; done
    shift
    timed "$LLMHOST" "${Q[@]}" "${NB[@]}" -s "llm.openai_endpoint.url=$R/v1" "${s[@]}" \
        chat -p openai_endpoint -m mock-small "$@"
}

# ---- retries: 429 with Retry-After: 1, then success
mock_reset "$R"
mock_config "$R" '{"status":429,"retry_after":"1","fail_first":1}'
chat_r -- --json "hello"
expect_rc "429 then success: exit 0" 0
expect_jq "429 then success: the answer" '.content == "echo: hello"'
expect_jq "429 then success: --json reports 2 attempts" '.attempts == 2'
expect_ms_between "429 then success: Retry-After 1 is honoured (at least 1 s, not much more)" 1000 2500
expect_eq "429 then success: the mock saw 2 requests" "$(mock_stat "$R" api_requests)" 2
expect_eq "429 then success: one warning line for the one retry" "$(count_lines "$ERR" 'warning')" 1
expect_match "the retry warning names the attempt, the reason and the delay" "$ERR" \
    'warning: .*attempt 1 of [0-9]+ failed.*(429|rate limit).*retrying in (1000 ?ms|1(\.0+)? ?s)'

# ---- 503 twice, then success: max_retries 2 succeeds, max_retries 1 does not
mock_reset "$R"
mock_config "$R" '{"fail_first":2}'
chat_r -s llm.max_retries=2 -- --json "hello"
expect_rc "503 twice, max_retries 2: exit 0" 0
expect_jq "503 twice, max_retries 2: 3 attempts" '.attempts == 3 and .content == "echo: hello"'
expect_eq "503 twice, max_retries 2: the mock saw 3 requests" "$(mock_stat "$R" api_requests)" 3
expect_eq "503 twice, max_retries 2: one warning line per retry (2)" "$(count_lines "$ERR" 'warning')" 2
expect_match "first retry warning: attempt 1, the 503, the delay" "$ERR" \
    'warning: .*attempt 1 of 3 failed.*503.*retrying in [0-9.]+ ?m?s'
expect_match "second retry warning: attempt 2, the 503, the delay" "$ERR" \
    'warning: .*attempt 2 of 3 failed.*503.*retrying in [0-9.]+ ?m?s'

mock_reset "$R"
mock_config "$R" '{"fail_first":2}'
chat_r -s llm.max_retries=1 -- "hello"
expect_rc "503 twice, max_retries 1: exit 3" 3
expect_match "503 twice, max_retries 1: a server error message" "$ERR" 'llmhost: .*server error.*503'
expect_eq "503 twice, max_retries 1: nothing on stdout" "$OUT" ""
expect_eq "503 twice, max_retries 1: the mock saw 2 requests" "$(mock_stat "$R" api_requests)" 2

# ---- 401 is never retried
mock_reset "$R"
mock_config "$R" '{"status":401}'
chat_r -s llm.max_retries=3 -- "hello"
expect_rc "401: exit 3" 3
expect_match "401: the message says the key was rejected" "$ERR" '401'
expect_eq "401: not retried (the mock saw 1 request)" "$(mock_stat "$R" api_requests)" 1
expect_not_in "401: no retry warning" "$ERR" "retrying"

# ---- Retry-After longer than llm.retry_max_wait: fail fast and say so
mock_reset "$R"
mock_config "$R" '{"status":429,"retry_after":"30"}'
chat_r -s llm.retry_max_wait=2 -- "hello"
expect_rc "Retry-After 30 > retry_max_wait 2: exit 3" 3
expect_ms_between "Retry-After 30 > retry_max_wait 2: fails fast" 0 1500
expect_match "Retry-After 30 > retry_max_wait 2: the message names the wait and the setting" "$ERR" \
    '30 s.*llm\.retry_max_wait'
expect_eq "Retry-After 30 > retry_max_wait 2: the mock saw 1 request" "$(mock_stat "$R" api_requests)" 1

# ---- a stream cut before the first token is retried, and succeeds.
# The mock's knobs are copied when a request arrives: the first request is
# cut after its role chunk (no text), 600 ms after its headers; as soon as
# it has arrived, the knobs go back to normal for the retry.
mock_reset "$R"
mock_config "$R" '{"close_after_chunks":1,"ttft_ms":600}'
(
    for _ in $(seq 1 100); do
        [ "$(mock_stat "$R" api_requests)" -ge 1 ] 2>/dev/null && break
        sleep 0.02
    done
    mock_config "$R" '{"close_after_chunks":null,"ttft_ms":null}'
) &
WATCH=$!
chat_r -- --json "hello world"
wait "$WATCH"
expect_rc "stream cut before the first token: exit 0" 0
expect_jq "stream cut before the first token: retried, 2 attempts, the whole answer" \
    '.attempts == 2 and .content == "echo: hello world"'
expect_eq "stream cut before the first token: the mock saw 2 requests" "$(mock_stat "$R" api_requests)" 2
expect_eq "stream cut before the first token: one retry warning" "$(count_lines "$ERR" 'warning: attempt 1')" 1

# ---- a stream cut after the first token is not retried: the partial text
# stays on stdout, exit 3
mock_reset "$R"
mock_config "$R" '{"close_after_chunks":2}'
chat_r -s llm.max_retries=2 -- "hello world"
expect_rc "stream cut after the first token: exit 3" 3
expect_eq "stream cut after the first token: the partial text is printed" "$(printf '%s' "$OUT" | tr -d '\n ')" "echo:"
expect_eq "stream cut after the first token: not retried (1 request)" "$(mock_stat "$R" api_requests)" 1
expect_not_in "stream cut after the first token: no retry warning" "$ERR" "retrying"
expect_match "stream cut after the first token: the error says the stream was cut" "$ERR" 'closed|cut|ended|mid-answer'

# ---- fallback: a dead server, then a live one
mock_reset "$R"
timed "$LLMHOST" "${Q[@]}" "${NB[@]}" -s llm.max_retries=1 -s "llm.openai_endpoint.url=$DEAD" \
    -s "llm.lmstudio.url=$R/v1" chat -p openai_endpoint -m mock-small \
    --fallback "lmstudio/mock-small" --json "hello"
expect_rc "fallback from a dead server: exit 0" 0
expect_jq "fallback: the live provider answered" '.provider == "lmstudio" and .content == "echo: hello"'
expect_jq "fallback: tried_before names the dead provider and why" \
    '(.tried_before | test("openai_endpoint")) and (.tried_before | test("connect|refused"))'
expect_match "fallback: one warning says it falls back" "$ERR" 'falling back to lmstudio/mock-small'
expect_eq "fallback: the live server saw 1 request" "$(mock_stat "$R" api_requests)" 1

# Without --json, stderr says who answered after what.
mock_reset "$R"
run "$LLMHOST" "${Q[@]}" "${NB[@]}" -s llm.max_retries=0 -s "llm.openai_endpoint.url=$DEAD" \
    -s "llm.lmstudio.url=$R/v1" -s "llm.fallback=lmstudio/mock-small" \
    chat -p openai_endpoint -m mock-small "hello"
expect_rc "fallback from llm.fallback: exit 0" 0
expect_eq "fallback from llm.fallback: the answer" "$OUT" "echo: hello"
expect_match "fallback from llm.fallback: stderr names who answered after what" "$ERR" \
    'answered by lmstudio/mock-small after: openai_endpoint'

# ---- fallback on the first-token timeout: the first provider sends its
# headers, then nothing for 3 s; llm.ttft_timeout=0.5 moves on well before.
start_mock --ttft-ms 3000
SLOW=$MOCK_URL
start_mock
LIVE=$MOCK_URL
timed "$LLMHOST" "${Q[@]}" "${NB[@]}" -s llm.ttft_timeout=0.5 -s "llm.openai_endpoint.url=$SLOW/v1" \
    -s "llm.lmstudio.url=$LIVE/v1" chat -p openai_endpoint -m mock-small \
    --fallback "lmstudio/mock-small" --json "hello"
expect_rc "ttft fallback: exit 0" 0
expect_jq "ttft fallback: the second provider answered, the first is in tried_before" \
    '.provider == "lmstudio" and .content == "echo: hello" and (.tried_before | test("llm.ttft_timeout"))'
# 0.5 s of waiting, then the fallback: a slow first provider is left at
# once, not waited on for another ttft_timeout per retry.
expect_ms_between "ttft fallback: falls back well under the 3 s the slow server needs" 400 1500
expect_eq "ttft fallback: the slow provider was asked once (no retry of a slow first token)" \
    "$(mock_stat "$SLOW" api_requests)" 1

# ---- circuit breaker: opens after breaker.failures consecutive failures,
# fails fast, shows in doctor, half-opens after the cooldown, closes on a
# successful trial. Its own mock (its own breaker key); state persists
# between the llmhost processes of this script.
start_mock --status 503
BRK=$MOCK_URL
B=(-s breaker.failures=3 -s breaker.cooldown=1 -s llm.max_retries=0 -s "llm.openai_endpoint.url=$BRK/v1")
# doctor probes the local providers: keep them on the dead port.
LOCALS=(-s "llm.ollama.url=http://127.0.0.1:1" -s "llm.lmstudio.url=$DEAD" -s "llm.llamacpp.url=$DEAD" -s "llm.vllm.url=$DEAD")
brk_chat() { timed "$LLMHOST" "${Q[@]}" "${B[@]}" chat -p openai_endpoint -m mock-small "hello"; }
brk_state() {
    "$LLMHOST" "${Q[@]}" "${B[@]}" "${LOCALS[@]}" doctor --json 2>/dev/null |
        jq -c --arg u "$BRK" '[.breakers[] | select(.provider == "openai_endpoint" and (.base_url | startswith($u)))][0] // null'
}
for i in 1 2 3; do
    brk_chat
    expect_rc "breaker: failure $i of 3 exits 3 with the server error" 3
done
expect_eq "breaker: the mock saw the 3 failing requests" "$(mock_stat "$BRK" api_requests)" 3
# From now on the server takes 1 s to answer: a call that reached it could
# not end in milliseconds.
mock_config "$BRK" '{"latency_ms":1000}'
brk_chat
expect_rc "breaker open: exit 3" 3
expect_match "breaker open: the message says the circuit breaker is open" "$ERR" 'circuit breaker is open'
expect_ms_between "breaker open: fails in milliseconds (the whole process), not after the server's 1 s" 0 400
brk_chat
expect_eq "breaker open: the mock saw no new request" "$(mock_stat "$BRK" api_requests)" 3
S=$(brk_state)
jq_on "breaker open: doctor --json shows it open with 3 consecutive failures" "$S" \
    '.state == "open" and .consecutive_failures == 3 and .retry_in_ms > 0 and .retry_in_ms <= 1000'
mock_config "$BRK" '{"status":null,"latency_ms":null}'
sleep 1.1
S=$(brk_state)
jq_on "breaker: half-open after breaker.cooldown (1 s)" "$S" '.state == "half_open"'
before=$(mock_stat "$BRK" api_requests)
brk_chat
expect_rc "breaker half-open: the trial call succeeds" 0
expect_eq "breaker half-open: the trial answer" "$OUT" "echo: hello"
expect_eq "breaker half-open: the trial reached the server" "$(mock_stat "$BRK" api_requests)" $((before + 1))
S=$(brk_state)
# doctor lists a breaker while it has something to remember; a closed one
# with a clean record may be left out, which also reads as closed.
jq_on "breaker: closed after the successful trial (doctor: closed or not listed)" "$S" \
    '. == null or (.state == "closed" and .consecutive_failures == 0)'
brk_chat
expect_rc "breaker closed: calls go through again" 0

# ---- client-side rate limit: rpm 60 spaces requests one second apart
# (in one process: a batch of 3 at concurrency 3)
mock_reset "$R"
printf '{"prompt":"r1"}\n{"prompt":"r2"}\n{"prompt":"r3"}\n' >"$TMP/rpm.jsonl"
timed "$LLMHOST" "${Q[@]}" "${NB[@]}" -s "llm.openai_endpoint.url=$R/v1" -s llm.openai_endpoint.rpm=60 \
    chat -p openai_endpoint -m mock-small --batch "$TMP/rpm.jsonl" --concurrency 3
expect_rc "rpm 60: the batch of 3 exits 0" 0
expect_ms_between "rpm 60: 3 requests take at least 2 s" 2000 3500
jq_on "rpm 60: all 3 answered, in order" "$(printf '%s' "$OUT" | jq -s -c .)" \
    'length == 3 and all(.[]; .status == "ok") and ([.[].content] == ["echo: r1","echo: r2","echo: r3"])'
LAT=$(printf '%s' "$OUT" | jq -s -c '[.[].latency_ms] | sort')
jq_on "rpm 60: latencies about 0, 1000 and 2000 ms ($LAT)" "$LAT" \
    '.[0] < 400 and .[1] >= 950 and .[1] < 1500 and .[2] >= 1950 and .[2] < 2600'
expect_eq "rpm 60: the mock saw 3 requests" "$(mock_stat "$R" api_requests)" 3

# ---- a wait beyond llm.rate_limit_max_wait fails and names the wait
mock_reset "$R"
timed "$LLMHOST" "${Q[@]}" "${NB[@]}" -s "llm.openai_endpoint.url=$R/v1" -s llm.openai_endpoint.rpm=60 \
    -s llm.rate_limit_max_wait=0.5 chat -p openai_endpoint -m mock-small --batch "$TMP/rpm.jsonl" --concurrency 3
expect_rc "rate_limit_max_wait 0.5: the batch exits 3 (some failed)" 3
jq_on "rate_limit_max_wait 0.5: the first request ran, the others failed" "$(printf '%s' "$OUT" | jq -s -c .)" \
    'length == 3 and .[0].status == "ok" and .[1].status == "error" and .[2].status == "error"'
ERR2=$(printf '%s' "$OUT" | jq -r 'select(.status == "error") | .error' | head -n 1)
expect_match "rate_limit_max_wait: the error names the wait and the setting" "$ERR2" \
    '1\.0 s.*llm\.rate_limit_max_wait'
expect_ms_between "rate_limit_max_wait: fails without waiting" 0 900
expect_eq "rate_limit_max_wait: the mock saw 1 request" "$(mock_stat "$R" api_requests)" 1

finish
