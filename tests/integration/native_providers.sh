#!/bin/bash
# native_providers.sh: the two native-protocol plugins through the built
# binary against the mock: Ollama (/api/tags, /api/show, /api/chat NDJSON and
# whole, /api/version, thinking, options, the model check, Bearer key,
# OLLAMA_HOST, a slow thinking stream under a short idle timeout) and
# Anthropic Messages (anthropic and anthropic_endpoint: SSE and whole answers,
# the request's shape and headers, extended thinking, missing and wrong keys,
# overloaded 529 and in-stream overloaded errors, the model list), plus what
# the three .so files link and export. Every check asserts what the user
# sees and, where it matters, what the mock received (/_mock/requests).
# Only 127.0.0.1 servers started here are contacted; OLLAMA_HOST forms that
# name other hosts or the usual port are used with --dry-run only.
. "$(dirname "$0")/lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY 2>/dev/null || true
export no_proxy='*' NO_PROXY='*'

PLUGIN_LIBS="$top_builddir/plugins/.libs"

# ---- helpers: the mock's control endpoints, JSON checks on any document
ctl() { curl --noproxy '*' -s -m 5 "$@"; }
# Each case starts with fresh persisted state (circuit breakers, model lists).
CASE=0
fresh_state() { CASE=$((CASE + 1)); export XDG_CACHE_HOME="$TMP/cache.$CASE"; }
mock_reset() { fresh_state; ctl -X POST "$1/_mock/reset" >/dev/null; }
mock_config() {
    local r
    r=$(ctl -X POST -H 'Content-Type: application/json' -d "$2" "$1/_mock/config")
    printf '%s' "$r" | jq -e . >/dev/null 2>&1 || { echo "mock refused config $2: $r"; exit 99; }
}
mock_stat() { ctl "$1/_mock/stats" | jq -r ".$2"; }
requests() { ctl "$1/_mock/requests" | jq -c '.requests'; }
last_request() { ctl "$1/_mock/requests" | jq -c '.requests[-1] // null'; }
# [method, path] of every logged request, compact
req_lines() { ctl "$1/_mock/requests" | jq -c '[.requests[] | [.method, .path]]'; }
jq_on() {
    if printf '%s' "$2" | jq -e "$3" >/dev/null 2>&1; then ok "$1"
    else not_ok "$1" "jq '$3' false on: $(printf '%s' "$2" | head -c 700)"; fi
}
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got \"$2\", expected \"$3\""; fi; }
# The error is one line; retry warnings ("llmhost: warning: ...") are apart.
expect_one_line() {
    local n
    n=$(printf '%s\n' "$ERR" | grep -v '^llmhost: warning: ' | awk 'NF { n++ } END { print n + 0 }')
    if [ -n "$ERR" ] && [ "$n" -eq 1 ]; then ok "$1"; else not_ok "$1" "stderr has $n error lines: $ERR"; fi
}
# The last stderr line that is not a retry warning.
err_line() { printf '%s\n' "$ERR" | grep -v '^llmhost: warning: ' | awk 'NF' | tail -n 1; }
now_ms() { date +%s%3N; }
timed() { local t0; t0=$(now_ms); run "$@"; MS=$(($(now_ms) - t0)); }
expect_ms_between() {
    if [ "$MS" -ge "$2" ] && [ "$MS" -le "$3" ]; then ok "$1"; else not_ok "$1" "took $MS ms, expected $2..$3 ms"; fi
}
# no_connect NAME CMD...: with strace available, CMD opens no TCP/UDP connection
# (connect() on AF_INET/AF_INET6; DNS lookups count too).
no_connect() {
    local name=$1; shift
    if ! command -v strace >/dev/null 2>&1; then ok "$name (strace not installed: not checked)"; return; fi
    rm -f "$TMP/strace.txt"
    if ! strace -f -qq -e trace=connect -o "$TMP/strace.txt" "$@" >/dev/null 2>&1 || [ ! -s "$TMP/strace.txt" ]; then
        # strace exits with the command's status; anything else (no ptrace
        # in this sandbox, no output at all) means it could not trace.
        if [ ! -e "$TMP/strace.txt" ]; then ok "$name (strace could not trace here: not checked)"; return; fi
    fi
    if grep -q 'connect(.*AF_INET' "$TMP/strace.txt"; then not_ok "$name" "$(grep 'connect(.*AF_INET' "$TMP/strace.txt" | head -3)"
    else ok "$name"; fi
}
expect_match_ci() { if printf '%s' "$2" | grep -Eqi -- "$3"; then ok "$1"; else not_ok "$1" "/$3/ not in: $2"; fi; }

# Every run: a short idle timeout and quick retries, so no check can hang.
Q=(-s llm.request_timeout=5 -s llm.retry_initial_delay=0.05)

# =====================================================================
# The plugins link nothing but libc and export only llmh_plugin
# =====================================================================
# Under sanitizers libc's functions are resolved through the runtime and lose
# their version tag; accept those whose name libc itself exports.
LIBC_SYMS=$(nm -D --defined-only "$(ldd /bin/true | awk '/libc\.so/ {print $3}')" 2>/dev/null | awk '{ sub(/@.*/, "", $3); print $3 }' | sort -u)
for p in ollama anthropic anthropic_endpoint; do
    so="$PLUGIN_LIBS/$p.so"
    if [ ! -f "$so" ]; then not_ok "$p.so exists in $PLUGIN_LIBS"; continue; fi
    # A sanitizer build links the sanitizer runtimes into everything: not the plugin's doing.
    needed=$(objdump -p "$so" | awk '$1 == "NEEDED" && $2 !~ /^lib(asan|ubsan)\.so/ { print $2 }' | tr '\n' ' ')
    expect_eq "$p.so: NEEDED is only libc" "$needed" "libc.so.6 "
    # Undefined symbols: every strong one from glibc; weak ones only the
    # toolchain's usual (crt/TM clones, gmon, cxa_finalize).
    bad=$(nm -D --undefined-only "$so" | awk '
        $1 == "U" && $2 !~ /@GLIBC_/ && $2 !~ /^__(asan|ubsan)_/ { print $2 }
        $1 == "w" && $2 !~ /^(_ITM_deregisterTMCloneTable|_ITM_registerTMCloneTable|__gmon_start__|__cxa_finalize(@GLIBC_.*)?)$/ { print $2 }')
    if [ -n "$bad" ] && objdump -p "$so" | grep -q 'NEEDED.*libasan'; then
        bad=$(printf '%s\n' "$bad" | grep -vxF -f <(printf '%s\n' "$LIBC_SYMS") || true)
    fi
    expect_eq "$p.so: every undefined symbol is libc's" "$bad" ""
    exported=$(nm -D --defined-only "$so" | awk '{ print $NF }' | tr '\n' ' ')
    expect_eq "$p.so: exports only llmh_plugin" "$exported" "llmh_plugin "
done

start_mock
M=$MOCK_URL
OL=(-s "llm.ollama.url=$M")
start_mock --require-key right-KEY-1
K=$MOCK_URL

# =====================================================================
# Ollama: models
# =====================================================================
mock_reset "$M"
run "$LLMHOST" "${Q[@]}" "${OL[@]}" models -p ollama --json
expect_rc "ollama models --json exits 0" 0
expect_jq "ollama models: the ids" '[.models[].id] == ["mock-small","mock-large","qwen3:8b","gemma3:12b"]'
expect_jq "ollama models: labels drop the colon and say (Ollama)" \
    '[.models[].label] == ["mock-small (Ollama)","mock-large (Ollama)","qwen3 8b (Ollama)","gemma3 12b (Ollama)"]'
expect_jq "ollama models: provider, no error, not cached" \
    '.provider == "ollama" and .error == null and .cached == false and ([.models[].provider] | unique) == ["ollama"]'
expect_jq "ollama models: details from /api/tags (family, parameter size, quantization, size)" \
    '(.models[] | select(.id == "gemma3:12b") | .details) as $d
     | $d.family == "gemma3" and $d.parameter_size == "12B" and $d.quantization == "Q4_K_M"
       and ($d.size | tostring | test("^[0-9]+$"))'
jq_on "ollama models: one GET /api/tags" "$(req_lines "$M")" '. == [["GET","/api/tags"]]'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" models -p ollama --json
expect_jq "ollama models: the second listing comes from the cache" '.cached == true and (.models | length) == 4'
jq_on "ollama models: the cached listing sends nothing" "$(req_lines "$M")" '. == [["GET","/api/tags"]]'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" models -p ollama
expect_rc "ollama models (table) exits 0" 0
expect_in "ollama models table: the id" "$OUT" "gemma3:12b"
expect_in "ollama models table: the label" "$OUT" "gemma3 12b (Ollama)"

mock_reset "$M"
run "$LLMHOST" "${Q[@]}" "${OL[@]}" models -p ollama --json --details --refresh
expect_rc "ollama models --details exits 0" 0
expect_jq "ollama --details: context_length 40960 from /api/show model_info" '[.models[].context_length] == [40960,40960,40960,40960]'
expect_jq "ollama --details: capabilities from /api/show" \
    '(.models[] | select(.id == "qwen3:8b") | .details.capabilities) == ["completion","thinking"]'
expect_jq "ollama --details: labels unchanged" '(.models[] | select(.id == "gemma3:12b") | .label) == "gemma3 12b (Ollama)"'
jq_on "ollama --details: POST /api/show per model, body {model}" "$(requests "$M")" \
    '[.[] | select(.path == "/api/show") | [.method, .body.model]] == [["POST","mock-small"],["POST","mock-large"],["POST","qwen3:8b"],["POST","gemma3:12b"]]'

start_mock --models llama3:latest,phi4:14b-q8_0
LM=$MOCK_URL
fresh_state
run "$LLMHOST" "${Q[@]}" -s "llm.ollama.url=$LM" models -p ollama --json
expect_jq "ollama label drops :latest" '[.models[].label] == ["llama3 (Ollama)","phi4 14b-q8_0 (Ollama)"]'
stop_mock "$MOCK_PID"

# =====================================================================
# Ollama: chat, streamed (NDJSON) and whole
# =====================================================================
mock_reset "$M"
run "$LLMHOST" "${Q[@]}" "${OL[@]}" chat -p ollama -m mock-small "hello world"
expect_rc "ollama streamed chat exits 0" 0
expect_eq "ollama streamed chat: the answer" "$OUT" "echo: hello world"
expect_eq "ollama streamed chat: nothing on stderr" "$ERR" ""
jq_on "ollama: the first chat checks the model list, then POST /api/chat" "$(req_lines "$M")" \
    '. == [["GET","/api/tags"],["POST","/api/chat"]]'
R=$(last_request "$M")
jq_on "ollama streamed: stream true, model, messages" "$R" \
    '.body.stream == true and .body.model == "mock-small" and .body.messages == [{"role":"user","content":"hello world"}]'
jq_on "ollama: options.num_ctx is the 8192 local window" "$R" '.body.options.num_ctx == 8192'
jq_on "ollama: options.num_predict is 80% of it (6553)" "$R" '.body.options.num_predict == 6553'
jq_on "ollama: options.temperature is a number" "$R" '(.body.options.temperature | type) == "number"'
jq_on "ollama: think true by default (llm.ollama.enable_thinking)" "$R" '.body.think == true'
jq_on "ollama: no Authorization without a key" "$R" '.headers | has("authorization") | not'
jq_on "ollama: Content-Type application/json" "$R" '.headers["content-type"] == "application/json"'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" chat -p ollama -m mock-small "again"
jq_on "ollama: a known model is not checked again (list cached)" "$(req_lines "$M")" \
    '. == [["GET","/api/tags"],["POST","/api/chat"],["POST","/api/chat"]]'

run "$LLMHOST" "${Q[@]}" "${OL[@]}" chat -p ollama -m mock-small --no-stream "hello world"
expect_rc "ollama --no-stream exits 0" 0
expect_eq "ollama --no-stream: the answer" "$OUT" "echo: hello world"
jq_on "ollama --no-stream sends stream false" "$(last_request "$M")" '.body.stream == false and .path == "/api/chat"'

run "$LLMHOST" "${Q[@]}" "${OL[@]}" chat -p ollama -m mock-small --json "hello world"
expect_rc "ollama --json exits 0" 0
expect_jq "ollama --json: content, no reasoning, stop, one attempt" \
    '.provider == "ollama" and .model == "mock-small" and .content == "echo: hello world" and .reasoning == "" and .finish_reason == "stop" and .attempts == 1'
expect_jq "ollama --json: usage from prompt_eval_count / eval_count" '.usage.prompt_tokens == 2 and .usage.completion_tokens == 3'
expect_jq "ollama --json streamed: ttft_ms is a number" '(.ttft_ms | type) == "number"'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" chat -p ollama -m mock-small --json --no-stream "hello world"
expect_jq "ollama --json --no-stream: same content and usage, ttft null" \
    '.content == "echo: hello world" and .usage.prompt_tokens == 2 and .usage.completion_tokens == 3 and .ttft_ms == null'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" chat -p ollama -m mock-small --json --max-tokens 2 "hello world again"
expect_jq "ollama --max-tokens 2: done_reason length -> finish_reason length" '.finish_reason == "length" and .content == "echo: hello"'
jq_on "ollama --max-tokens 2 is num_predict 2" "$(last_request "$M")" '.body.options.num_predict == 2 and .body.options.num_ctx == 8192'

run "$LLMHOST" "${Q[@]}" "${OL[@]}" chat -p ollama -m mock-small --temperature 0.2 "x"
jq_on "ollama --temperature 0.2 is options.temperature 0.2" "$(last_request "$M")" '.body.options.temperature == 0.2'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" -s llm.temperature=0.3 chat -p ollama -m mock-small "x"
jq_on "ollama llm.temperature=0.3 is sent" "$(last_request "$M")" '.body.options.temperature == 0.3'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" -s llm.local_context_window_size=4096 chat -p ollama -m mock-small --max-tokens 100000 "x"
jq_on "ollama window 4096: num_ctx 4096, num_predict capped at 3276" "$(last_request "$M")" \
    '.body.options.num_ctx == 4096 and .body.options.num_predict == 3276'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" chat -p ollama -m mock-small --max-tokens 100 "x"
jq_on "ollama --max-tokens 100 is num_predict 100" "$(last_request "$M")" '.body.options.num_predict == 100'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" chat -p ollama -m mock-small --system "be brief" "hello world"
jq_on "ollama keeps the system prompt as the first message" "$(last_request "$M")" \
    '.body.messages == [{"role":"system","content":"be brief"},{"role":"user","content":"hello world"}]'

# =====================================================================
# Ollama: thinking
# =====================================================================
mock_reset "$M"
QWEN_THOUGHT="Let me think about this. The user wants a short answer, so I will keep it brief."
run "$LLMHOST" "${Q[@]}" "${OL[@]}" chat -p ollama -m qwen3:8b --json "hello world"
expect_rc "ollama qwen3:8b --json exits 0" 0
expect_jq "ollama thinking streamed: message.thinking is .reasoning, not .content" \
    ".reasoning == \"$QWEN_THOUGHT\" and .content == \"echo: hello world\""
run "$LLMHOST" "${Q[@]}" "${OL[@]}" chat -p ollama -m qwen3:8b --json --no-stream "hello world"
expect_jq "ollama thinking whole: message.thinking is .reasoning, not .content" \
    ".reasoning == \"$QWEN_THOUGHT\" and .content == \"echo: hello world\""
run "$LLMHOST" "${Q[@]}" "${OL[@]}" chat -p ollama -m qwen3:8b "hello world"
expect_eq "ollama thinking: stdout has only the answer" "$OUT" "echo: hello world"
expect_not_in "ollama thinking: no reasoning on stderr without --show-reasoning" "$ERR" "Let me think"
run "$LLMHOST" "${Q[@]}" "${OL[@]}" chat -p ollama -m qwen3:8b --show-reasoning "hello world"
expect_rc "ollama --show-reasoning exits 0" 0
expect_eq "ollama --show-reasoning: stdout has only the answer" "$OUT" "echo: hello world"
expect_in "ollama --show-reasoning: the reasoning is on stderr" "$ERR" "$QWEN_THOUGHT"
expect_not_in "ollama --show-reasoning: no answer text on stderr" "$ERR" "echo: hello"
run "$LLMHOST" "${Q[@]}" "${OL[@]}" chat -p ollama -m qwen3:8b --show-reasoning --no-stream "hello world"
expect_eq "ollama --show-reasoning --no-stream: stdout has only the answer" "$OUT" "echo: hello world"
expect_in "ollama --show-reasoning --no-stream: the reasoning is on stderr" "$ERR" "$QWEN_THOUGHT"

mock_config "$M" '{"reasoning":"deep thought here"}'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" chat -p ollama -m mock-small --json "hello world"
expect_jq "ollama --reasoning knob on any model: kept apart" '.reasoning == "deep thought here" and .content == "echo: hello world"'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" -s llm.ollama.enable_thinking=false chat -p ollama -m qwen3:8b --json "hello world"
expect_rc "ollama enable_thinking=false exits 0" 0
jq_on "ollama enable_thinking=false sends think:false" "$(last_request "$M")" '.body.think == false'
expect_jq "ollama enable_thinking=false: no reasoning comes back" '.reasoning == "" and .content == "echo: hello world"'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" -s llm.ollama.enable_thinking=high chat -p ollama -m qwen3:8b "x"
jq_on "ollama enable_thinking=high sends think:\"high\"" "$(last_request "$M")" '.body.think == "high"'
# A server that inlines <think> in the content (think off): the host strips it.
mock_config "$M" '{"think_tags":true,"reasoning":"secret plan"}'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" -s llm.ollama.enable_thinking=false chat -p ollama -m mock-small --json "hello world"
expect_jq "ollama <think> inlined in a stream becomes reasoning" '.content == "echo: hello world" and .reasoning == "secret plan"'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" -s llm.ollama.enable_thinking=false chat -p ollama -m mock-small --json --no-stream "hello world"
expect_jq "ollama <think> inlined in a whole answer becomes reasoning" '.content == "echo: hello world" and .reasoning == "secret plan"'

# A reasoning model that thinks slowly: 0.4 s between lines, more than 1 s in
# all, with llm.request_timeout=1 (an idle timeout, not a total one).
mock_reset "$M"
mock_config "$M" '{"chunk_delay_ms":400,"reasoning":"one two three four"}'
t0=$(now_ms)
"$LLMHOST" "${Q[@]}" "${OL[@]}" -s llm.request_timeout=1 -s llm.max_retries=0 \
    chat -p ollama -m qwen3:8b --show-reasoning "hi" >"$TMP/slow.out" 2>"$TMP/slow.err" &
CHAT_PID=$!
sleep 1.1
EARLY_ERR=$(cat "$TMP/slow.err")
EARLY_OUT=$(cat "$TMP/slow.out")
if kill -0 "$CHAT_PID" 2>/dev/null; then STILL=yes; else STILL=no; fi
wait "$CHAT_PID"
SLOW_RC=$?
MS=$(($(now_ms) - t0))
expect_eq "slow thinking: still running after 1.1 s" "$STILL" yes
expect_in "slow thinking: reasoning reaches stderr as it arrives" "$EARLY_ERR" "one"
expect_eq "slow thinking: no answer yet while it thinks" "$EARLY_OUT" ""
expect_eq "slow thinking stream with request_timeout=1 succeeds" "$SLOW_RC" 0
expect_eq "slow thinking: the answer" "$(cat "$TMP/slow.out")" "echo: hi"
expect_in "slow thinking: the whole reasoning on stderr" "$(cat "$TMP/slow.err")" "one two three four"
expect_ms_between "slow thinking: took longer than llm.request_timeout" 1100 15000
jq_on "slow thinking: one chat request" "$(requests "$M")" '[.[] | select(.path == "/api/chat")] | length == 1'
mock_reset "$M"

# =====================================================================
# Ollama: a model the server does not have
# =====================================================================
mock_reset "$M"
run "$LLMHOST" "${Q[@]}" "${OL[@]}" -s llm.max_retries=2 chat -p ollama -m nosuch:1b "hi"
# The product exits 3 (provider error): the server was asked for its list.
expect_rc "ollama missing model exits 3" 3
expect_eq "ollama missing model: the message names the model, the URL and what is there" "$ERR" \
    "llmhost: model \"nosuch:1b\" is not available on $M; available: mock-small, mock-large, qwen3:8b, gemma3:12b"
expect_eq "ollama missing model: nothing on stdout" "$OUT" ""
jq_on "ollama missing model: no chat request is sent" "$(requests "$M")" \
    '([.[] | select(.path == "/api/chat")] | length) == 0 and ([.[] | select(.path == "/api/tags")] | length) >= 1'
mock_reset "$M"
run "$LLMHOST" "${Q[@]}" "${OL[@]}" -s llm.max_retries=2 -s llm.ollama.check_model=false chat -p ollama -m nosuch:1b "hi"
expect_rc "ollama check_model=false, missing model: exits 3" 3
expect_one_line "ollama check_model=false: one line"
expect_in "ollama check_model=false: the server's {\"error\"} message is shown" "$ERR" \
    'model "nosuch:1b" not found, try pulling it first'
expect_in "ollama check_model=false: says HTTP 404" "$ERR" "404"
jq_on "ollama check_model=false: one POST /api/chat, no listing, not retried" "$(req_lines "$M")" \
    '. == [["POST","/api/chat"]]'

# =====================================================================
# Ollama: the optional key (Bearer), never shown
# =====================================================================
mock_reset "$M"
run "$LLMHOST" "${Q[@]}" -v "${OL[@]}" -s llm.ollama.api_key=olla-SECRET-4242 chat -p ollama -m mock-small "hi"
expect_rc "ollama with api_key exits 0" 0
expect_eq "ollama with api_key: the answer" "$OUT" "echo: hi"
jq_on "ollama api_key: Authorization: Bearer on the listing and the chat" "$(requests "$M")" \
    '[.[] | .headers.authorization] == ["Bearer olla-SECRET-4242","Bearer olla-SECRET-4242"]'
expect_not_in "ollama api_key: never printed (even with -v)" "$OUT$ERR" "olla-SECRET-4242"
expect_in "ollama -v shows the header redacted" "$ERR" "Authorization: ***"
expect_in "ollama -v: the chat answer came as NDJSON" "$ERR" "Content-Type: application/x-ndjson"
run "$LLMHOST" "${Q[@]}" "${OL[@]}" -s llm.ollama.api_key=olla-SECRET-4242 chat -p ollama -m mock-small --dry-run "hi"
expect_jq "ollama --dry-run: Authorization is ***" '.requests[0].headers.Authorization == "***"'
expect_not_in "ollama --dry-run: the key is not shown" "$OUT$ERR" "olla-SECRET-4242"
fresh_state
run "$LLMHOST" "${Q[@]}" -s "llm.ollama.url=$K" -s llm.ollama.api_key=bad-OLLAMA-KEY-9 -s llm.max_retries=2 \
    chat -p ollama -m mock-small "hi"
expect_rc "ollama wrong key (401) exits 3" 3
expect_one_line "ollama 401: one line"
expect_in "ollama 401: names llm.ollama.api_key" "$ERR" "llm.ollama.api_key"
expect_in "ollama 401: says HTTP 401" "$ERR" "401"
expect_not_in "ollama 401: the key is never printed" "$OUT$ERR" "bad-OLLAMA-KEY-9"
jq_on "ollama 401: the chat is not retried" "$(requests "$K")" '[.[] | select(.path == "/api/chat")] | length == 1'

# =====================================================================
# Ollama: OLLAMA_HOST
# =====================================================================
# LLMHOST_LLM_OLLAMA_URL (set by lib.sh) beats OLLAMA_HOST, so it is unset here.
oh() { run env -u LLMHOST_LLM_OLLAMA_URL OLLAMA_HOST="$1" "$LLMHOST" "${Q[@]}" "${@:2}"; }
MP=${M##*:}
mock_reset "$M"
oh "127.0.0.1:$MP" chat -p ollama -m mock-small --dry-run "hi"
expect_rc "OLLAMA_HOST=host:port --dry-run exits 0" 0
expect_jq "OLLAMA_HOST=127.0.0.1:PORT is the base URL" ".requests[0].url == \"$M/api/chat\""
HOSTPORT_OK=$(printf '%s' "$OUT" | jq -e ".requests[0].url == \"$M/api/chat\"" >/dev/null 2>&1 && echo yes)
oh "$M/" chat -p ollama -m mock-small --dry-run "hi"
expect_jq "OLLAMA_HOST as a full URL (trailing slash) is the base URL" ".requests[0].url == \"$M/api/chat\""
FULLURL_OK=$(printf '%s' "$OUT" | jq -e ".requests[0].url == \"$M/api/chat\"" >/dev/null 2>&1 && echo yes)
oh somehost chat -p ollama -m mock-small --dry-run "hi"
expect_rc "OLLAMA_HOST=somehost --dry-run exits 0" 0
expect_jq "OLLAMA_HOST=somehost: http://somehost:11434/api/chat (Ollama's default scheme and port)" \
    '.requests[0].url == "http://somehost:11434/api/chat"'
no_connect "OLLAMA_HOST=somehost --dry-run connects nowhere" \
    env -u LLMHOST_LLM_OLLAMA_URL OLLAMA_HOST=somehost "$LLMHOST" chat -p ollama -m mock-small --dry-run "hi"
oh somehost "${OL[@]}" chat -p ollama -m mock-small --dry-run "hi"
expect_jq "llm.ollama.url beats OLLAMA_HOST" ".requests[0].url == \"$M/api/chat\""
expect_eq "OLLAMA_HOST dry-runs sent nothing to the mock" "$(mock_stat "$M" api_requests)" 0
# Real requests only where the dry-run showed the mock's URL.
if [ "$HOSTPORT_OK" = yes ]; then
    oh "127.0.0.1:$MP" chat -p ollama -m mock-small "via OLLAMA_HOST"
    expect_rc "OLLAMA_HOST=host:port chat exits 0" 0
    expect_eq "OLLAMA_HOST=host:port: the mock answers" "$OUT" "echo: via OLLAMA_HOST"
    jq_on "OLLAMA_HOST=host:port: the mock got the chat" "$(last_request "$M")" \
        '.path == "/api/chat" and .body.messages[0].content == "via OLLAMA_HOST"'
else
    not_ok "OLLAMA_HOST=host:port chat (not run: the dry-run URL was not the mock's)"
fi
if [ "$FULLURL_OK" = yes ]; then
    oh "$M" models -p ollama --json --refresh
    expect_jq "OLLAMA_HOST as a full URL: models from the mock" '(.models | length) == 4 and .error == null'
else
    not_ok "OLLAMA_HOST as a full URL: models (not run: the dry-run URL was not the mock's)"
fi

# =====================================================================
# Ollama: doctor, retries, errors in the stream
# =====================================================================
mock_reset "$M"
run "$LLMHOST" "${Q[@]}" "${OL[@]}" -s llm.ollama.api_key=olla-DOC-KEY-1 doctor --json
expect_rc "doctor --json exits 0" 0
expect_jq "doctor: ollama available, at the mock, server version 0.12.0" \
    "(.providers[] | select(.key == \"ollama\")) as \$o | \$o.available == true and \$o.base_url == \"$M\" and \$o.server_version == \"0.12.0\" and \$o.api_key_set == true"
expect_not_in "doctor: the key is never printed" "$OUT$ERR" "olla-DOC-KEY-1"
jq_on "doctor: asked GET /api/version" "$(requests "$M")" 'any(.[]; .method == "GET" and .path == "/api/version")'
expect_jq "doctor: anthropic without a key is not available, with the reason" \
    '(.providers[] | select(.key == "anthropic")) as $a | $a.available == false and $a.reason == "Anthropic API key not configured: set llm.anthropic.api_key (or ANTHROPIC_API_KEY)"'
expect_jq "doctor: anthropic_endpoint without a URL says so" \
    '(.providers[] | select(.key == "anthropic_endpoint")) as $a | $a.available == false and $a.reason == "Anthropic-Compatible Endpoint has no URL: set llm.anthropic_endpoint.url"'

OC=(-s llm.ollama.check_model=false)
mock_reset "$M"
mock_config "$M" '{"status":503,"fail_first":1}'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" "${OC[@]}" -s llm.max_retries=2 chat -p ollama -m mock-small --json "hello world"
expect_rc "ollama 503 once, then success: exits 0" 0
expect_jq "ollama 503 once: retried by the host, attempts 2" '.attempts == 2 and .content == "echo: hello world"'
mock_reset "$M"
mock_config "$M" '{"status":500}'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" "${OC[@]}" -s llm.max_retries=1 chat -p ollama -m mock-small "hi"
expect_rc "ollama 500 always: exits 3" 3
expect_in "ollama 500: the server's message" "$(err_line)" "mock: injected HTTP 500"
expect_eq "ollama 500 with max_retries=1: 2 requests" "$(mock_stat "$M" api_requests)" 2
mock_reset "$M"
mock_config "$M" '{"error_event":3}'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" "${OC[@]}" -s llm.max_retries=2 chat -p ollama -m mock-small "hello world again"
expect_rc "ollama {\"error\"} line after text: exits 3" 3
expect_eq "ollama in-stream error: the message" "$(err_line)" \
    "llmhost: Ollama sent an error in the stream: mock: injected stream error"
expect_in "ollama in-stream error: the text before it was printed" "$OUT" "echo:"
expect_eq "ollama in-stream error after text: not retried" "$(mock_stat "$M" api_requests)" 1
mock_reset "$M"
mock_config "$M" '{"error_event":0}'
run "$LLMHOST" "${Q[@]}" "${OL[@]}" "${OC[@]}" -s llm.max_retries=2 chat -p ollama -m mock-small "hi"
expect_rc "ollama {\"error\"} line before any text on every attempt: exits 3" 3
expect_eq "ollama in-stream error before text: retried (3 requests)" "$(mock_stat "$M" api_requests)" 3

# =====================================================================
# Anthropic: chat
# =====================================================================
AKEY=sk-ant-SECRET-31337
AN=(-s "llm.anthropic.url=$M" -s "llm.anthropic.api_key=$AKEY")
mock_reset "$M"
run "$LLMHOST" "${Q[@]}" "${AN[@]}" chat -p anthropic -m claude-mock "hello world"
expect_rc "anthropic streamed chat exits 0" 0
expect_eq "anthropic streamed: the answer" "$OUT" "echo: hello world"
expect_eq "anthropic streamed: nothing on stderr" "$ERR" ""
R=$(last_request "$M")
jq_on "anthropic: POST /v1/messages, stream true" "$R" '.method == "POST" and .path == "/v1/messages" and .body.stream == true'
jq_on "anthropic: anthropic-version 2023-06-01" "$R" '.headers["anthropic-version"] == "2023-06-01"'
jq_on "anthropic: the key as x-api-key, no Authorization" "$R" \
    ".headers[\"x-api-key\"] == \"$AKEY\" and (.headers | has(\"authorization\") | not)"
jq_on "anthropic: max_tokens present, a positive integer" "$R" '(.body.max_tokens | type) == "number" and .body.max_tokens > 0'
jq_on "anthropic: no system field without a system prompt" "$R" '.body | has("system") | not'
expect_not_in "anthropic: the key is never printed" "$OUT$ERR" "$AKEY"

run "$LLMHOST" "${Q[@]}" "${AN[@]}" chat -p anthropic -m claude-mock --no-stream --system "be brief" "hello world"
expect_rc "anthropic --no-stream exits 0" 0
expect_eq "anthropic --no-stream: the answer" "$OUT" "echo: hello world"
R=$(last_request "$M")
jq_on "anthropic --no-stream: stream false" "$R" '.body.stream == false'
jq_on "anthropic: the system prompt moves to top-level system" "$R" \
    '.body.system == "be brief" and .body.messages == [{"role":"user","content":"hello world"}]'
cat >"$TMP/msgs.json" <<'EOF'
[{"role":"system","content":"rule one"},
 {"role":"user","content":"first question"},
 {"role":"assistant","content":"first answer"},
 {"role":"system","content":"rule two"},
 {"role":"user","content":"second question"}]
EOF
run "$LLMHOST" "${Q[@]}" "${AN[@]}" chat -p anthropic -m claude-mock --messages "$TMP/msgs.json"
expect_eq "anthropic --messages: the answer echoes the last user message" "$OUT" "echo: second question"
jq_on "anthropic: every system message joined into system, none left in messages" "$(last_request "$M")" \
    '.body.system == "rule one\n\nrule two" and ([.body.messages[].role] == ["user","assistant","user"])'

run "$LLMHOST" "${Q[@]}" "${AN[@]}" chat -p anthropic -m claude-mock --json "hello world"
expect_jq "anthropic --json: content, no reasoning, stop, usage, one attempt" \
    '.provider == "anthropic" and .model == "claude-mock" and .content == "echo: hello world" and .reasoning == "" and .finish_reason == "stop" and .usage.prompt_tokens == 2 and .usage.completion_tokens == 3 and .attempts == 1'
run "$LLMHOST" "${Q[@]}" "${AN[@]}" chat -p anthropic -m claude-mock --json --no-stream "hello world"
expect_jq "anthropic --json --no-stream: same" \
    '.content == "echo: hello world" and .reasoning == "" and .finish_reason == "stop" and .usage.prompt_tokens == 2 and .usage.completion_tokens == 3'
run "$LLMHOST" "${Q[@]}" "${AN[@]}" chat -p anthropic -m claude-mock --json --max-tokens 2 "hello world again"
expect_jq "anthropic --max-tokens 2: stop_reason max_tokens -> finish_reason length" '.finish_reason == "length" and .content == "echo: hello"'
jq_on "anthropic --max-tokens 2 is max_tokens 2" "$(last_request "$M")" '.body.max_tokens == 2'
run "$LLMHOST" "${Q[@]}" "${AN[@]}" -s llm.max_tokens=0 chat -p anthropic -m claude-mock "x"
jq_on "anthropic llm.max_tokens=0: max_tokens still sent (4096)" "$(last_request "$M")" '.body.max_tokens == 4096'
run "$LLMHOST" "${Q[@]}" "${AN[@]}" -s llm.supports_max_tokens=false chat -p anthropic -m claude-mock "x"
expect_rc "anthropic supports_max_tokens=false exits 0" 0
jq_on "anthropic supports_max_tokens=false: max_tokens still sent (required)" "$(last_request "$M")" '.body.max_tokens == 4096'
run "$LLMHOST" "${Q[@]}" "${AN[@]}" chat -p anthropic -m claude-mock --temperature 0.2 "x"
jq_on "anthropic --temperature 0.2 is sent" "$(last_request "$M")" '.body.temperature == 0.2'

mock_reset "$M"
run "$LLMHOST" "${Q[@]}" "${AN[@]}" chat -p anthropic -m claude-mock --system "sys" --dry-run "hello world"
expect_rc "anthropic --dry-run exits 0" 0
expect_jq "anthropic --dry-run: URL" ".requests[0].method == \"POST\" and .requests[0].url == \"$M/v1/messages\""
expect_jq "anthropic --dry-run: x-api-key is ***" '.requests[0].headers["x-api-key"] == "***"'
expect_jq "anthropic --dry-run: anthropic-version shown" '.requests[0].headers["anthropic-version"] == "2023-06-01"'
expect_jq "anthropic --dry-run: body has system and max_tokens" '.requests[0].body.system == "sys" and (.requests[0].body.max_tokens > 0)'
expect_not_in "anthropic --dry-run: the key is not shown" "$OUT$ERR" "$AKEY"
expect_eq "anthropic --dry-run sends nothing" "$(mock_stat "$M" api_requests)" 0

# ---- extended thinking
mock_reset "$M"
TB=(-s llm.anthropic.thinking_budget=2048)
run "$LLMHOST" "${Q[@]}" "${AN[@]}" "${TB[@]}" chat -p anthropic -m claude-mock --json "hello world"
expect_rc "anthropic thinking --json exits 0" 0
R=$(last_request "$M")
jq_on "anthropic thinking_budget=2048: thinking {enabled, 2048}" "$R" '.body.thinking == {"type":"enabled","budget_tokens":2048}'
jq_on "anthropic thinking: max_tokens above the budget" "$R" '.body.max_tokens > 2048'
jq_on "anthropic thinking: no temperature (the API refuses it with thinking)" "$R" '.body | has("temperature") | not'
expect_jq "anthropic thinking streamed: thinking blocks are .reasoning, text is .content" \
    ".reasoning == \"$QWEN_THOUGHT\" and .content == \"echo: hello world\""
run "$LLMHOST" "${Q[@]}" "${AN[@]}" "${TB[@]}" chat -p anthropic -m claude-mock --json --no-stream "hello world"
expect_jq "anthropic thinking whole: kept apart" ".reasoning == \"$QWEN_THOUGHT\" and .content == \"echo: hello world\""
mock_config "$M" '{"reasoning":"pondering the query"}'
run "$LLMHOST" "${Q[@]}" "${AN[@]}" "${TB[@]}" chat -p anthropic -m claude-mock --show-reasoning "hello world"
expect_rc "anthropic --show-reasoning exits 0" 0
expect_eq "anthropic --show-reasoning: stdout has only the answer" "$OUT" "echo: hello world"
expect_in "anthropic --show-reasoning: reasoning on stderr" "$ERR" "pondering the query"
run "$LLMHOST" "${Q[@]}" "${AN[@]}" "${TB[@]}" chat -p anthropic -m claude-mock "hello world"
expect_eq "anthropic thinking without --show-reasoning: stdout only the answer" "$OUT" "echo: hello world"
expect_not_in "anthropic thinking without --show-reasoning: stderr has no reasoning" "$ERR" "pondering"
run "$LLMHOST" "${Q[@]}" "${AN[@]}" -s llm.anthropic.thinking_budget=10 chat -p anthropic -m claude-mock "x"
jq_on "anthropic thinking_budget below 1024 is raised to 1024" "$(last_request "$M")" '.body.thinking.budget_tokens == 1024'
run "$LLMHOST" "${Q[@]}" "${AN[@]}" chat -p anthropic -m claude-mock "x"
jq_on "anthropic without thinking_budget: no thinking block" "$(last_request "$M")" '.body | has("thinking") | not'

# ---- missing key: stops before any request
mock_reset "$M"
run "$LLMHOST" "${Q[@]}" -s "llm.anthropic.url=$M" chat -p anthropic -m claude-mock "hi"
expect_rc "anthropic missing key exits 2" 2
expect_eq "anthropic missing key: the message" "$ERR" \
    "llmhost: Anthropic API key not configured: set llm.anthropic.api_key (or ANTHROPIC_API_KEY)"
ANTHROPIC_API_KEY="   " run "$LLMHOST" "${Q[@]}" -s "llm.anthropic.url=$M" chat -p anthropic -m claude-mock --no-stream "hi"
expect_rc "anthropic white-space key (env) is missing: exits 2" 2
expect_in "anthropic white-space key: the same message" "$ERR" "Anthropic API key not configured"
run "$LLMHOST" "${Q[@]}" -s "llm.anthropic.url=$M" chat -p anthropic -m claude-mock --dry-run "hi"
expect_rc "anthropic missing key --dry-run exits 2" 2
expect_eq "anthropic missing key: nothing sent" "$(mock_stat "$M" api_requests)" 0
fresh_state
run "$LLMHOST" "${Q[@]}" -s "llm.anthropic.url=$M" models -p anthropic --json
expect_rc "anthropic models without a key: exits 0 (listing never fails the command)" 0
expect_jq "anthropic models without a key: empty list and the reason" \
    '.models == [] and .error == "Anthropic API key not configured: set llm.anthropic.api_key (or ANTHROPIC_API_KEY)"'
expect_eq "anthropic models without a key: nothing sent" "$(mock_stat "$M" api_requests)" 0
ANTHROPIC_API_KEY=env-ANT-KEY-7 run "$LLMHOST" "${Q[@]}" -s "llm.anthropic.url=$M" chat -p anthropic -m claude-mock "hi"
expect_rc "ANTHROPIC_API_KEY works" 0
jq_on "ANTHROPIC_API_KEY goes out as x-api-key" "$(last_request "$M")" '.headers["x-api-key"] == "env-ANT-KEY-7"'

# ---- wrong key: 401, names the setting, not retried
mock_reset "$K"
run "$LLMHOST" "${Q[@]}" -s "llm.anthropic.url=$K" -s llm.anthropic.api_key=wrong-ANT-KEY-9876 -s llm.max_retries=2 \
    chat -p anthropic -m claude-mock "hi"
expect_rc "anthropic 401 exits 3" 3
expect_one_line "anthropic 401: one line"
expect_in "anthropic 401: says HTTP 401" "$ERR" "401"
expect_in "anthropic 401: names llm.anthropic.api_key" "$ERR" "llm.anthropic.api_key"
expect_in "anthropic 401: names ANTHROPIC_API_KEY" "$ERR" "ANTHROPIC_API_KEY"
expect_not_in "anthropic 401: the key is never printed" "$OUT$ERR" "wrong-ANT-KEY-9876"
expect_eq "anthropic 401 is not retried" "$(mock_stat "$K" api_requests)" 1
run "$LLMHOST" "${Q[@]}" -s "llm.anthropic.url=$K" -s llm.anthropic.api_key=right-KEY-1 chat -p anthropic -m claude-mock "hi"
expect_rc "anthropic: the right key works" 0
expect_eq "anthropic: the right key: answer" "$OUT" "echo: hi"

# ---- overloaded: HTTP 529, and the error event in the stream
mock_reset "$M"
mock_config "$M" '{"status":529,"fail_first":1}'
run "$LLMHOST" "${Q[@]}" "${AN[@]}" -s llm.max_retries=2 chat -p anthropic -m claude-mock --json "hello world"
expect_rc "anthropic 529 once, then success: exits 0" 0
expect_jq "anthropic 529 once: attempts 2, the whole answer" '.attempts == 2 and .content == "echo: hello world"'
expect_eq "anthropic 529 once: 2 requests" "$(mock_stat "$M" api_requests)" 2
expect_in "anthropic 529: a retry warning on stderr" "$ERR" "529"
mock_reset "$M"
mock_config "$M" '{"status":529}'
run "$LLMHOST" "${Q[@]}" "${AN[@]}" -s llm.max_retries=1 chat -p anthropic -m claude-mock "hi"
expect_rc "anthropic 529 always: exits 3" 3
expect_one_line "anthropic 529: one error line"
expect_match_ci "anthropic 529: says overloaded and 529" "$(err_line)" "overloaded.*529|529.*overloaded"
expect_eq "anthropic 529 with max_retries=1: 2 requests" "$(mock_stat "$M" api_requests)" 2

mock_reset "$M"
mock_config "$M" '{"error_event":1}'
run "$LLMHOST" "${Q[@]}" "${AN[@]}" -s llm.max_retries=2 chat -p anthropic -m claude-mock "hi"
expect_rc "anthropic overloaded event before any text, every attempt: exits 3" 3
expect_eq "anthropic overloaded event before text: retried (3 requests)" "$(mock_stat "$M" api_requests)" 3
expect_in "anthropic overloaded event: the error type is named" "$(err_line)" "overloaded_error"
expect_eq "anthropic overloaded event: nothing on stdout" "$OUT" ""
# The event comes on the first attempt only: lifted once the mock saw a request.
mock_reset "$M"
mock_config "$M" '{"error_event":1}'
(
    for _ in $(seq 1 500); do
        [ "$(mock_stat "$M" api_requests)" -ge 1 ] 2>/dev/null && break
        sleep 0.01
    done
    mock_config "$M" '{"error_event":null}'
) &
WATCH=$!
run "$LLMHOST" "${Q[@]}" "${AN[@]}" -s llm.max_retries=5 -s llm.retry_initial_delay=0.3 chat -p anthropic -m claude-mock --json "hello world"
wait "$WATCH"
expect_rc "anthropic overloaded event before text, then success: exits 0" 0
expect_jq "anthropic overloaded event then success: attempts >= 2, the whole answer" '.attempts >= 2 and .content == "echo: hello world"'
mock_reset "$M"
mock_config "$M" '{"error_event":4}'
run "$LLMHOST" "${Q[@]}" "${AN[@]}" -s llm.max_retries=2 chat -p anthropic -m claude-mock "hello world again"
expect_rc "anthropic overloaded event after text: exits 3" 3
expect_in "anthropic overloaded event after text: the text before it was printed" "$OUT" "echo:"
expect_eq "anthropic overloaded event after text: not retried" "$(mock_stat "$M" api_requests)" 1
expect_eq "anthropic overloaded event after text: the message" "$(err_line)" \
    "llmhost: Anthropic sent an error in the stream (overloaded_error): Overloaded"

# ---- models
mock_reset "$M"
run "$LLMHOST" "${Q[@]}" "${AN[@]}" models -p anthropic --json
expect_rc "anthropic models --json exits 0" 0
expect_jq "anthropic models: ids" '[.models[].id] == ["mock-small","mock-large","qwen3:8b","gemma3:12b"]'
expect_jq "anthropic models: labels are display_name" '[.models[].label] == ["Mock Small","Mock Large","Qwen3 8b","Gemma3 12b"]'
expect_jq "anthropic models: provider, no error" '.provider == "anthropic" and .error == null'
jq_on "anthropic models: GET /v1/models with x-api-key and anthropic-version" "$(last_request "$M")" \
    ".method == \"GET\" and .path == \"/v1/models\" and .headers[\"x-api-key\"] == \"$AKEY\" and .headers[\"anthropic-version\"] == \"2023-06-01\""
expect_not_in "anthropic models: the key is not printed" "$OUT$ERR" "$AKEY"

# =====================================================================
# anthropic_endpoint: a URL is required
# =====================================================================
mock_reset "$M"
run "$LLMHOST" "${Q[@]}" chat -p anthropic_endpoint -m claude-mock "hi"
expect_rc "anthropic_endpoint without a URL exits 2" 2
expect_eq "anthropic_endpoint without a URL: the message" "$ERR" \
    "llmhost: Anthropic-Compatible Endpoint has no URL: set llm.anthropic_endpoint.url"
run "$LLMHOST" "${Q[@]}" models -p anthropic_endpoint --json
expect_jq "anthropic_endpoint models without a URL: empty list and the reason" \
    '.models == [] and .error == "Anthropic-Compatible Endpoint has no URL: set llm.anthropic_endpoint.url"'
EPU=(-s "llm.anthropic_endpoint.url=$M")
run "$LLMHOST" "${Q[@]}" "${EPU[@]}" chat -p anthropic_endpoint -m claude-mock "hello world"
expect_rc "anthropic_endpoint with a URL exits 0" 0
expect_eq "anthropic_endpoint streamed: the answer" "$OUT" "echo: hello world"
R=$(last_request "$M")
jq_on "anthropic_endpoint: POST /v1/messages, anthropic-version, no key header without a key" "$R" \
    '.path == "/v1/messages" and .headers["anthropic-version"] == "2023-06-01" and (.headers | has("x-api-key") | not) and (.body.max_tokens > 0)'
run "$LLMHOST" "${Q[@]}" "${EPU[@]}" chat -p anthropic_endpoint -m claude-mock --no-stream --json "hello world"
expect_jq "anthropic_endpoint --no-stream --json" '.provider == "anthropic_endpoint" and .content == "echo: hello world" and .finish_reason == "stop"'
run "$LLMHOST" "${Q[@]}" -s "llm.anthropic_endpoint.url=$M/v1/" -s llm.anthropic_endpoint.api_key=ep-KEY-2468 \
    chat -p anthropic_endpoint -m claude-mock "hi"
expect_eq "anthropic_endpoint URL ending in /v1/: the answer" "$OUT" "echo: hi"
jq_on "anthropic_endpoint: no /v1/v1, and the optional key as x-api-key" "$(last_request "$M")" \
    '.path == "/v1/messages" and .headers["x-api-key"] == "ep-KEY-2468"'
expect_not_in "anthropic_endpoint: the key is not printed" "$OUT$ERR" "ep-KEY-2468"
run "$LLMHOST" "${Q[@]}" "${EPU[@]}" -s llm.anthropic_endpoint.thinking_budget=1500 chat -p anthropic_endpoint -m claude-mock --json "hello world"
jq_on "anthropic_endpoint reads its own thinking_budget" "$(last_request "$M")" '.body.thinking == {"type":"enabled","budget_tokens":1500}'
expect_jq "anthropic_endpoint thinking kept apart" ".reasoning == \"$QWEN_THOUGHT\" and .content == \"echo: hello world\""
run "$LLMHOST" "${Q[@]}" "${EPU[@]}" models -p anthropic_endpoint --json
expect_jq "anthropic_endpoint models: display_name labels" \
    '.provider == "anthropic_endpoint" and .error == null and [.models[].label] == ["Mock Small","Mock Large","Qwen3 8b","Gemma3 12b"]'

finish
