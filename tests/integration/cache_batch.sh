#!/bin/bash
# cache_batch.sh: the response cache (issue 5) through `llmhost chat` and
# `llmhost cache`: miss, hit, persistence across processes, TTL expiry,
# read_only and write_only, corrupt file recovery, stats/clear/prune; single
# flight through the embedding API (tests/integration/single_flight.c: 10
# threads, one context, one upstream request); and `chat --batch`: 200
# requests at concurrency 16 keep their order and never have more than 16
# requests open at the mock. Only 127.0.0.1 mocks started here are contacted.
. "$(dirname "$0")/lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY 2>/dev/null || true
export no_proxy='*' NO_PROXY='*'

# ---- helpers
ctl() { curl --noproxy '*' -s -m 5 "$@"; }
mock_reset() { ctl -X POST "$1/_mock/reset" >/dev/null; }
mock_stat() { ctl "$1/_mock/stats" | jq -r ".$2"; }
mock_config() { ctl -X POST -H 'Content-Type: application/json' -d "$2" "$1/_mock/config" >/dev/null; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got \"$2\", expected \"$3\""; fi; }
expect_match() {
    if printf '%s' "$2" | grep -Eqi -- "$3"; then ok "$1"; else not_ok "$1" "/$3/ not in: $(printf '%s' "$2" | head -c 600)"; fi
}
jq_on() {
    if printf '%s' "$2" | jq -e "$3" >/dev/null 2>&1; then ok "$1"
    else not_ok "$1" "jq '$3' false on: $(printf '%s' "$2" | head -c 600)"; fi
}

Q=(-s llm.request_timeout=5 -s llm.retry_initial_delay=0.05 -s breaker.enabled=false)
start_mock
C=$MOCK_URL
# cchat MODE [SETTINGS...] -- PROMPT [CHAT ARGS...]: one chat with llm.cache=MODE, --json.
cchat() {
    local mode=$1 s=()
    shift
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do s+=("$1"); shift; done
    shift
    run "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=$C/v1" -s "llm.cache=$mode" "${s[@]}" \
        chat -p openai_endpoint -m mock-small --json "$@"
}
api() { mock_stat "$C" api_requests; }
CACHE_FILE="$XDG_CACHE_HOME/llmhost/cache.sqlite"

# ---- miss, then hit; the hit comes from another process: the store persists
mock_reset "$C"
cchat on -- "alpha"
expect_rc "cache miss: exit 0" 0
expect_jq "cache miss: the answer, cached false" '.content == "echo: alpha" and .cached == false'
expect_eq "cache miss: one upstream request" "$(api)" 1
check "cache miss: the answer was stored in $CACHE_FILE" test -s "$CACHE_FILE"
cchat on -- "alpha"
expect_rc "cache hit: exit 0" 0
expect_jq "cache hit (a second process: persisted): the same answer, cached true" \
    '.content == "echo: alpha" and .cached == true'
expect_eq "cache hit: no new upstream request" "$(api)" 1
cchat on -- "beta"
expect_jq "another prompt misses" '.content == "echo: beta" and .cached == false'
expect_eq "another prompt: one more upstream request" "$(api)" 2
# The same request streamed is the same entry, replayed as a stream.
run "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=$C/v1" -s llm.cache=on \
    chat -p openai_endpoint -m mock-small --stream "alpha"
expect_eq "a streamed request is answered from the cache" "$OUT" "echo: alpha"
expect_eq "a streamed cache hit sends nothing upstream" "$(api)" 2
# A hit inside one process (the memory tier): a batch asks the same twice, one at a time.
printf '{"prompt":"gamma"}\n{"prompt":"gamma"}\n' >"$TMP/twice.jsonl"
run "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=$C/v1" -s llm.cache=on \
    chat -p openai_endpoint -m mock-small --batch "$TMP/twice.jsonl" --concurrency 1
expect_rc "a batch with the same prompt twice (concurrency 1): exit 0" 0
expect_eq "a batch with the same prompt twice (concurrency 1): one upstream request (the second is a hit)" "$(api)" 3

# ---- TTL expiry
mock_reset "$C"
cchat on -s llm.cache_ttl=1 -- "ttl"
expect_jq "ttl 1: first call misses" '.cached == false'
cchat on -s llm.cache_ttl=1 -- "ttl"
expect_jq "ttl 1: at once, it hits" '.cached == true and .content == "echo: ttl"'
sleep 1.2
cchat on -s llm.cache_ttl=1 -- "ttl"
expect_rc "ttl 1: after 1.2 s, exit 0" 0
expect_jq "ttl 1: after 1.2 s the entry has expired: a miss" '.cached == false and .content == "echo: ttl"'
expect_eq "ttl 1: 2 upstream requests in all" "$(api)" 2

# ---- read_only: looks up, never stores
mock_reset "$C"
cchat read_only -- "ro-new"
expect_jq "read_only: an unknown prompt misses" '.cached == false and .content == "echo: ro-new"'
cchat read_only -- "ro-new"
expect_jq "read_only: it was not stored, so it misses again" '.cached == false'
expect_eq "read_only: 2 upstream requests" "$(api)" 2
cchat read_only -- "alpha"
expect_jq "read_only: a stored answer is served" '.cached == true and .content == "echo: alpha"'
expect_eq "read_only: the hit sent nothing upstream" "$(api)" 2

# ---- write_only: never looks up, stores
mock_reset "$C"
cchat write_only -- "alpha"
expect_jq "write_only: a stored prompt is asked again (no lookup)" '.cached == false and .content == "echo: alpha"'
expect_eq "write_only: one upstream request" "$(api)" 1
cchat write_only -- "wo-new"
expect_jq "write_only: a new prompt is asked" '.cached == false'
cchat on -- "wo-new"
expect_jq "write_only stored its answer: a later llm.cache=on call hits" '.cached == true and .content == "echo: wo-new"'
expect_eq "write_only: 2 upstream requests in all" "$(api)" 2

# ---- corrupt file recovery: garbage in the store -> a warning, the answer
# still served, the bad file moved aside, a fresh store built
mock_reset "$C"
rm -f "$CACHE_FILE-wal" "$CACHE_FILE-shm"
head -c 4096 /dev/urandom | base64 >"$CACHE_FILE"
cchat on -- "alpha"
expect_rc "corrupt cache file: exit 0" 0
expect_jq "corrupt cache file: the answer is still served" '.content == "echo: alpha" and .cached == false'
expect_match "corrupt cache file: a warning names the corrupt file" "$ERR" 'warning: .*cache.*corrupt'
CORRUPT=""
for f in "$CACHE_FILE".corrupt-*; do [ -e "$f" ] && { CORRUPT=$f; break; }; done
check "corrupt cache file: it was moved aside (${CORRUPT:-no *.corrupt-* file})" test -n "$CORRUPT"
cchat on -- "alpha"
expect_jq "corrupt cache file: the rebuilt store serves the next call" '.cached == true'
expect_eq "corrupt cache file: no warning the second time" "$ERR" ""

# ---- cache stats / prune / clear on a store of its own
P=(-s "cache.path=$TMP/stats/cache.sqlite")
mock_reset "$C"
cchat on "${P[@]}" -s llm.cache_ttl=1 -- "s1"
cchat on "${P[@]}" -s llm.cache_ttl=1 -- "s2"
cchat on "${P[@]}" -- "s3"
run "$LLMHOST" "${P[@]}" cache stats --json
expect_rc "cache stats --json: exit 0" 0
expect_jq "cache stats: 3 entries, none expired, the path" \
    ".entries == 3 and .expired == 0 and .bytes > 0 and .path == \"$TMP/stats/cache.sqlite\""
sleep 1.2
run "$LLMHOST" "${P[@]}" cache stats --json
expect_jq "cache stats: after 1.2 s, 2 of the 3 expired" '.entries == 3 and .expired == 2'
run "$LLMHOST" "${P[@]}" cache stats
expect_match "cache stats (text): entries and expired" "$OUT" 'entries: +3 \(2 expired\)'
run "$LLMHOST" "${P[@]}" cache prune
expect_rc "cache prune: exit 0" 0
expect_eq "cache prune: removes the 2 expired entries" "$OUT" "removed 2 entries"
run "$LLMHOST" "${P[@]}" cache stats --json
expect_jq "after prune: 1 entry" '.entries == 1 and .expired == 0'
run "$LLMHOST" "${P[@]}" cache clear
expect_rc "cache clear: exit 0" 0
expect_eq "cache clear: removes the last entry" "$OUT" "removed 1 entry"
run "$LLMHOST" "${P[@]}" cache stats --json
expect_jq "after clear: no entries" '.entries == 0 and .bytes == 0'
before=$(api)
cchat on "${P[@]}" -- "s3"
expect_jq "after clear: the prompt misses again" '.cached == false'
expect_eq "after clear: one more upstream request" "$(api)" $((before + 1))

# ---- single flight: 10 concurrent identical calls on one context, 1 upstream request
SF="${SINGLE_FLIGHT:-$top_builddir/tests/integration/single_flight}"
if [ ! -x "$SF" ]; then
    # Not built by make (yet): build it by hand against the build's library.
    SF="$TMP/single_flight"
    ${CC:-cc} -std=gnu11 -O2 -I"$top_srcdir/sdk" -o "$SF" "$top_srcdir/tests/integration/single_flight.c" \
        -L"$top_builddir/.libs" -Wl,-rpath,"$top_builddir/.libs" -lllmhost -lpthread 2>"$TMP/cc.err" ||
        { not_ok "single_flight builds" "$(cat "$TMP/cc.err")"; SF=""; }
fi
if [ -n "$SF" ]; then
    start_mock --latency-ms 300
    SFM=$MOCK_URL
    for mode in plain stream; do
        mock_reset "$SFM"
        export XDG_CACHE_HOME="$TMP/cache.sf.$mode"
        run env LLMHOST_PLUGIN_PATH="$top_builddir/plugins/.libs" "$SF" "$SFM/v1" 10 "$mode"
        expect_rc "single flight ($mode): 10 concurrent calls all succeed with the same answer" 0
        expect_eq "single flight ($mode): 1 upstream request for 10 calls" "$(mock_stat "$SFM" api_requests)" 1
        expect_eq "single flight ($mode): 9 answers came from the leader's" "$(printf '%s\n' "$OUT" | tail -n 1)" "10 ok, 9 cached"
    done
    export XDG_CACHE_HOME="$TMP/cache"
fi

# ---- batch input: the shapes a line may take, and a one-line error for each bad line
start_mock
IM=$MOCK_URL
cat >"$TMP/shapes.jsonl" <<'EOF'
{"prompt":"plain"}
{"messages":[{"role":"system","content":"sys"},{"role":"user","content":"caf\u00e9 \"q\" \\ \n end"}],"temperature":0.25,"max_tokens":7,"stop":["END","\u0041"],"extra":{"nested":[1,2,{"x":null}]},"model":"mock-large"}
{"prompt":"dup","prompt":"second"}
not json
{"messages":[{"role":"user"}]}
{"prompt":"t","temperature":3}
{"prompt":"m","max_tokens":1.5}
{"model":"mock-small"}
{"prompt":"x"} trailing

   {"system":"be brief","prompt":"with system","fallback":null}   
{"pro\u006dpt":"escaped key"}
{"prompt":"p","messages":[{"role":"user","content":"first"}]}
{"prompt":"unfinished"
EOF
run "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=$IM/v1" \
    chat -p openai_endpoint -m mock-small --batch "$TMP/shapes.jsonl"
expect_rc "batch input: some lines bad: exit 3" 3
expect_in "batch input: the failures are counted on stderr" "$ERR" "7 of 13 requests failed"
printf '%s\n' "$OUT" >"$TMP/shapes.out"
expect_eq "batch input: one result per non-blank line, with its line number" \
    "$(jq -r '.line' "$TMP/shapes.out" | tr '\n' ' ')" "1 2 3 4 5 6 7 8 9 11 12 13 14 "
res() { jq -r --argjson l "$1" 'select(.line == $l) | if .status == "ok" then .content else .error end' "$TMP/shapes.out"; }
expect_eq "batch input: a prompt" "$(res 1)" "echo: plain"
expect_eq "batch input: messages with escapes and unicode, unknown members skipped" "$(res 2)" "$(printf 'echo: caf\xc3\xa9 "q" \\ \n end')"
expect_eq "batch input: a repeated member: the last one counts" "$(res 3)" "echo: second"
expect_eq "batch input: not JSON" "$(res 4)" "line 4: not a JSON object: null expected"
expect_eq "batch input: a message without content" "$(res 5)" "line 5: message 1 needs a string role and content"
expect_eq "batch input: temperature out of range" "$(res 6)" "line 6: temperature must be a number from 0 to 2"
expect_eq "batch input: max_tokens not an integer" "$(res 7)" "line 7: max_tokens must be a positive integer"
expect_eq "batch input: nothing to send" "$(res 8)" 'line 8: no "messages" (or "prompt") to send'
expect_eq "batch input: text after the object" "$(res 9)" "line 9: text after the JSON object"
expect_eq "batch input: a system prompt; spaces around the line" "$(res 11)" "echo: with system"
expect_eq "batch input: an escaped member name" "$(res 12)" "echo: escaped key"
expect_eq "batch input: messages, then the prompt" "$(res 13)" "echo: p"
expect_eq "batch input: a line that ends inside the object" "$(res 14)" "line 14: not a JSON object: the line ends inside it"
REQS=$(ctl "$IM/_mock/requests" | jq -c '[.requests[] | select(.path == "/v1/chat/completions") | .body]')
jq_on "batch input: only the good lines were sent (6)" "$REQS" 'length == 6'
jq_on "batch input: line 2 went as written (model, temperature, max_tokens, stop, messages)" "$REQS" \
    'map(select(.model == "mock-large"))[0] | .temperature == 0.25 and .max_tokens == 7 and .stop == ["END","A"]
     and .messages == [{"role":"system","content":"sys"},{"role":"user","content":"café \"q\" \\ \n end"}]'
jq_on "batch input: the system prompt goes first" "$REQS" \
    'any(.[]; .messages == [{"role":"system","content":"be brief"},{"role":"user","content":"with system"}])'
jq_on "batch input: messages then prompt, in that order" "$REQS" \
    'any(.[]; .messages == [{"role":"user","content":"first"},{"role":"user","content":"p"}])'

# ---- a batch with the cache on: identical requests in flight together make
# one upstream call; when that call fails, each of the others tries for itself
start_mock --latency-ms 100
DM=$MOCK_URL
{ for _ in 1 2 3 4 5 6; do echo '{"prompt":"dup same"}'; done; echo '{"prompt":"dup other 1"}'; echo '{"prompt":"dup other 2"}'; } >"$TMP/dup.jsonl"
run "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=$DM/v1" -s llm.cache=on \
    chat -p openai_endpoint -m mock-small --batch "$TMP/dup.jsonl" --concurrency 8
expect_rc "identical requests in one batch: exit 0" 0
expect_eq "identical requests in one batch: every line ok, in order" \
    "$(printf '%s\n' "$OUT" | jq -r '"\(.index) \(.status) \(.content)"' | tr '\n' '|')" \
    "0 ok echo: dup same|1 ok echo: dup same|2 ok echo: dup same|3 ok echo: dup same|4 ok echo: dup same|5 ok echo: dup same|6 ok echo: dup other 1|7 ok echo: dup other 2|"
expect_eq "identical requests in one batch: 3 upstream requests for 8 lines" "$(mock_stat "$DM" api_requests)" 3
mock_reset "$DM"
mock_config "$DM" '{"status":400,"fail_first":1}'
for _ in 1 2 3 4 5; do echo '{"prompt":"dup fails first"}'; done >"$TMP/dupfail.jsonl"
run "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=$DM/v1" -s llm.cache=on \
    chat -p openai_endpoint -m mock-small --batch "$TMP/dupfail.jsonl" --concurrency 5
expect_rc "the shared call fails: exit 3" 3
expect_eq "the shared call fails: its own line has the error, the others got their own answers" \
    "$(printf '%s\n' "$OUT" | jq -r '.status' | sort | uniq -c | awk '{print $1, $2}' | tr '\n' '|')" "1 error|4 ok|"
expect_eq "the shared call fails: 1 failed + 4 own upstream requests" "$(mock_stat "$DM" api_requests)" 5

# ---- a batch of 200 at concurrency 16: input order, at most 16 open at the mock
start_mock --latency-ms 50
BM=$MOCK_URL
for i in $(seq 0 199); do printf '{"prompt":"item %d"}\n' "$i"; done >"$TMP/b200.jsonl"
run "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=$BM/v1" \
    chat -p openai_endpoint -m mock-small --batch "$TMP/b200.jsonl" --concurrency 16
expect_rc "batch of 200: exit 0" 0
printf '%s\n' "$OUT" >"$TMP/b200.out"
expect_eq "batch of 200: 200 result lines" "$(grep -c . "$TMP/b200.out")" 200
BAD=$(jq -c 'select(.status != "ok" or .content != "echo: item \(.index)" or .line != .index + 1)' "$TMP/b200.out" | head -n 3)
expect_eq "batch of 200: every line ok, its content matching its own prompt" "$BAD" ""
expect_eq "batch of 200: results in input order" "$(jq -r .index "$TMP/b200.out" | tr '\n' ' ')" "$(seq 0 199 | tr '\n' ' ')"
STATS=$(ctl "$BM/_mock/stats")
jq_on "batch of 200: the mock answered 200 requests" "$STATS" '.api_requests == 200'
jq_on "batch of 200: never more than 16 requests open at once ($(printf '%s' "$STATS" | jq -c '{max_open_requests,connections}'))" \
    "$STATS" '.max_open_requests <= 16'
jq_on "batch of 200: requests ran concurrently (more than 1 open at once)" "$STATS" '.max_open_requests > 1'

finish
