#!/bin/bash
# chat_openai.sh: `llmhost chat` against the mock server over the OpenAI
# protocol: streamed and whole answers, prompts from arguments, stdin and
# --messages, the --json contract, what the server receives (stream options,
# thinking switch, temperature, max_tokens), reasoning kept apart from the
# answer, --dry-run (secrets redacted, nothing sent, URL normalization of
# private-range addresses), one connection per process, and usage errors.
# Only 127.0.0.1 servers started here are contacted; private-range URLs are
# used with --dry-run only.
. "$(dirname "$0")/lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY 2>/dev/null || true
export no_proxy='*' NO_PROXY='*'

# ---- helpers: the mock's control endpoints, JSON checks on any document
ctl() { curl --noproxy '*' -s -m 5 "$@"; }
mock_reset() { ctl -X POST "$1/_mock/reset" >/dev/null; }
mock_config() { ctl -X POST -H 'Content-Type: application/json' -d "$2" "$1/_mock/config" >/dev/null; }
mock_stat() { ctl "$1/_mock/stats" | jq -r ".$2"; }
last_request() { ctl "$1/_mock/requests" | jq -c '.requests[-1] // null'; }
# jq_on NAME JSON FILTER
jq_on() {
    if printf '%s' "$2" | jq -e "$3" >/dev/null 2>&1; then ok "$1"
    else not_ok "$1" "jq '$3' false on: $(printf '%s' "$2" | head -c 600)"; fi
}
# expect_eq NAME GOT WANT
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got \"$2\", expected \"$3\""; fi; }
# expect_one_line NAME: stderr of the last run is exactly one non-empty line.
expect_one_line() {
    local n
    n=$(printf '%s' "$ERR" | awk 'END { print NR }')
    if [ -n "$ERR" ] && [ "$n" -eq 1 ]; then ok "$1"; else not_ok "$1" "stderr has $n lines: $ERR"; fi
}

# expect_first_line NAME TEXT: a usage error: the first stderr line is the
# error ("llmhost: ...", naming TEXT); a second line may only be the --help hint.
expect_first_line() {
    local first rest
    first=$(printf '%s\n' "$ERR" | head -n 1)
    rest=$(printf '%s\n' "$ERR" | tail -n +2)
    if contains "$first" "llmhost:" && contains "$first" "$2" && { [ -z "$rest" ] || contains "$rest" "--help"; }; then ok "$1"
    else not_ok "$1" "stderr: $ERR"; fi
}

start_mock
M=$MOCK_URL
EP="llm.openai_endpoint.url=$M/v1"
# Every run: a short idle timeout and quick retries, so no check can hang.
Q=(-s llm.request_timeout=5 -s llm.retry_initial_delay=0.05)
chat() { run "$LLMHOST" "${Q[@]}" -s "$EP" chat -p openai_endpoint -m mock-small "$@"; }

# ---- the answer on stdout
mock_reset "$M"
chat "hello world"
expect_rc "streamed chat exits 0" 0
expect_eq "streamed chat prints the answer" "$OUT" "echo: hello world"
expect_eq "a successful chat writes nothing on stderr" "$ERR" ""
if [ "$(tail -c 1 "$TMP/out" | od -An -c | tr -d ' ')" = '\n' ]; then ok "stdout ends with one newline"
else not_ok "stdout ends with one newline" "last byte: $(tail -c 1 "$TMP/out" | od -An -c)"; fi
jq_on "the request was streamed" "$(last_request "$M")" '.body.stream == true and .path == "/v1/chat/completions" and .method == "POST"'
jq_on "llmhost names itself (User-Agent: llmhost/VERSION), no Expect header for a small body" "$(last_request "$M")" \
    '(.headers["user-agent"] | test("^llmhost/[0-9]+\\.[0-9]+")) and (.headers | has("expect") | not)'

chat --no-stream "hello world"
expect_rc "--no-stream exits 0" 0
expect_eq "--no-stream prints the same answer" "$OUT" "echo: hello world"
jq_on "--no-stream sends stream false (or no stream key)" "$(last_request "$M")" '(.body.stream // false) == false'

# Text reaches stdout as it arrives, not at the end.
mock_reset "$M"
mock_config "$M" '{"chunk_delay_ms":400}'
"$LLMHOST" "${Q[@]}" -s "$EP" chat -p openai_endpoint -m mock-small "a b c d e f" >"$TMP/stream.out" 2>"$TMP/stream.err" &
CHAT_PID=$!
sleep 1.2
EARLY=$(cat "$TMP/stream.out")
if kill -0 "$CHAT_PID" 2>/dev/null; then STILL=yes; else STILL=no; fi
wait "$CHAT_PID"
CHAT_RC=$?
expect_eq "slow stream: the chat is still running after 1.2 s" "$STILL" yes
expect_in "slow stream: the first words are on stdout before the end" "$EARLY" "echo:"
expect_not_in "slow stream: the last word is not there yet" "$EARLY" "f"
expect_eq "slow stream: exits 0" "$CHAT_RC" 0
expect_eq "slow stream: the whole answer in the end" "$(cat "$TMP/stream.out")" "echo: a b c d e f"
mock_reset "$M"

chat "several" "words" "joined"
expect_eq "prompt words are joined with spaces" "$OUT" "echo: several words joined"

# ---- the prompt from stdin
chat - < <(printf 'hi from stdin\n')
expect_rc "prompt from stdin with - exits 0" 0
expect_eq "prompt from stdin with - is sent" "$OUT" "echo: hi from stdin"
chat < <(printf 'piped prompt\n')
expect_rc "piped prompt without - exits 0" 0
expect_eq "piped prompt without - is sent" "$OUT" "echo: piped prompt"
chat --no-stream < <(printf 'piped prompt\n')
expect_eq "piped prompt with --no-stream" "$OUT" "echo: piped prompt"
chat - < <(printf '   \n\n')
expect_rc "an empty prompt on stdin is a usage error" 2
expect_first_line "empty prompt: the error says so" "empty"
chat "both" - < <(printf 'x\n')
expect_rc "prompt as arguments and - at once is a usage error" 2

# ---- --system and --messages reach the server in order
mock_reset "$M"
chat --system "be brief" "hello world"
expect_rc "--system exits 0" 0
R=$(last_request "$M")
jq_on "--system is the first message, role system" "$R" \
    '.body.messages == [{"role":"system","content":"be brief"},{"role":"user","content":"hello world"}]'

cat >"$TMP/msgs.json" <<'EOF'
[{"role":"system","content":"you are a test"},
 {"role":"user","content":"first question"},
 {"role":"assistant","content":"first answer"},
 {"role":"user","content":"second question"}]
EOF
mock_reset "$M"
chat --messages "$TMP/msgs.json"
expect_rc "--messages FILE exits 0" 0
expect_eq "--messages: the answer echoes the last user message" "$OUT" "echo: second question"
jq_on "--messages are sent in order" "$(last_request "$M")" \
    '[.body.messages[] | [.role, .content]] == [["system","you are a test"],["user","first question"],["assistant","first answer"],["user","second question"]]'
chat --messages "$TMP/msgs.json" "and a prompt"
expect_eq "--messages plus a prompt: the prompt comes last" "$OUT" "echo: and a prompt"
jq_on "--messages plus a prompt: 5 messages, prompt last" "$(last_request "$M")" \
    '(.body.messages | length) == 5 and .body.messages[4] == {"role":"user","content":"and a prompt"}'
chat --system "sys first" --messages "$TMP/msgs.json" "p"
jq_on "--system goes before the --messages" "$(last_request "$M")" \
    '.body.messages[0] == {"role":"system","content":"sys first"} and .body.messages[1].content == "you are a test"'
mock_reset "$M"
run "$LLMHOST" "${Q[@]}" -s "$EP" chat -p openai_endpoint -m mock-small --messages - < "$TMP/msgs.json"
expect_rc "--messages - reads the array from stdin" 0
expect_eq "--messages - answer" "$OUT" "echo: second question"

mock_reset "$M"
printf 'this is not json' >"$TMP/bad1.json"
printf '{"role":"user","content":"an object, not an array"}' >"$TMP/bad2.json"
printf '[{"role":"user"}]' >"$TMP/bad3.json"
printf '[{"role":"robot","content":"beep"}]' >"$TMP/bad4.json"
printf '["just a string"]' >"$TMP/bad5.json"
printf '[{"role":"user","content":42}]' >"$TMP/bad6.json"
for f in bad1 bad2 bad3 bad4 bad5 bad6; do
    chat --messages "$TMP/$f.json"
    expect_rc "--messages $f exits 2" 2
    expect_one_line "--messages $f: one-line error"
    expect_in "--messages $f: the error names the file" "$ERR" "$f.json"
done
chat --messages "$TMP/bad4.json"
expect_in "a bad role is named" "$ERR" "robot"
chat --messages "$TMP/no-such-file.json"
expect_rc "--messages with a missing file exits 2" 2
expect_one_line "--messages missing file: one-line error"
expect_eq "bad --messages files send nothing" "$(mock_stat "$M" api_requests)" 0

# ---- --json: the contract
mock_reset "$M"
chat --json "hello world"
expect_rc "--json exits 0" 0
# JSON shapes are a contract: fields may be added, never renamed or dropped.
expect_jq "--json has every field of the contract" \
    '(["attempts","content","finish_reason","latency_ms","model","provider","reasoning","ttft_ms","usage"] - keys) == []'
expect_jq "--json values" \
    '.provider == "openai_endpoint" and .model == "mock-small" and .content == "echo: hello world" and .reasoning == "" and .finish_reason == "stop" and .attempts == 1'
expect_jq "--json usage has prompt_tokens and completion_tokens" \
    '.usage | has("prompt_tokens") and has("completion_tokens")'
expect_jq "--json streamed: latency_ms and ttft_ms are numbers, ttft <= latency" \
    '(.latency_ms|type) == "number" and (.ttft_ms|type) == "number" and .ttft_ms >= 0 and .ttft_ms <= .latency_ms'
expect_jq "--json is one document (no answer text mixed in)" '.content == "echo: hello world"'
chat --json --no-stream "hello world"
expect_jq "--json --no-stream: ttft_ms is null" '.ttft_ms == null and (.latency_ms|type) == "number"'
expect_jq "--json --no-stream: usage from the server" '.usage.prompt_tokens == 2 and .usage.completion_tokens == 3'
expect_jq "--json --no-stream: content and finish" '.content == "echo: hello world" and .finish_reason == "stop"'
run "$LLMHOST" "${Q[@]}" -s "$EP" -s llm.openai_endpoint.stream_usage=true chat -p openai_endpoint -m mock-small --json "hello world"
expect_jq "--json streamed with stream_usage: usage counted" '.usage.prompt_tokens == 2 and .usage.completion_tokens == 3'
chat --json --max-tokens 2 "hello world again"
expect_jq "--json: finish_reason length when cut by max_tokens" '.finish_reason == "length" and .content == "echo: hello"'

# ---- what the server receives
mock_reset "$M"
chat "x"
R=$(last_request "$M")
jq_on "openai_endpoint streams without stream_options by default" "$R" '.body.stream == true and (.body | has("stream_options") | not)'
jq_on "no chat_template_kwargs by default" "$R" '.body | has("chat_template_kwargs") | not'
jq_on "no Authorization header without a key" "$R" '.headers | has("authorization") | not'
run "$LLMHOST" "${Q[@]}" -s "$EP" -s llm.openai_endpoint.stream_usage=true chat -p openai_endpoint -m mock-small "x"
jq_on "stream_usage=true sends stream_options.include_usage" "$(last_request "$M")" '.body.stream_options.include_usage == true'
run "$LLMHOST" "${Q[@]}" -s "$EP" -s llm.openai_endpoint.stream_usage=true chat -p openai_endpoint -m mock-small --no-stream "x"
jq_on "stream_usage=true with --no-stream sends no stream_options" "$(last_request "$M")" '.body | has("stream_options") | not'
run "$LLMHOST" "${Q[@]}" -s "$EP" -s llm.openai_endpoint.enable_thinking=false chat -p openai_endpoint -m mock-small "x"
jq_on "enable_thinking=false sends chat_template_kwargs.enable_thinking=false" "$(last_request "$M")" \
    '.body.chat_template_kwargs == {"enable_thinking": false}'
chat --temperature 0.2 "x"
jq_on "--temperature 0.2 is sent" "$(last_request "$M")" '.body.temperature == 0.2'
run "$LLMHOST" "${Q[@]}" -s "$EP" -s llm.temperature=0.3 chat -p openai_endpoint -m mock-small "x"
jq_on "llm.temperature is sent" "$(last_request "$M")" '.body.temperature == 0.3'
run "$LLMHOST" "${Q[@]}" -s "$EP" -s llm.temperature=0.3 chat -p openai_endpoint -m mock-small --temperature 1.5 "x"
jq_on "--temperature beats llm.temperature" "$(last_request "$M")" '.body.temperature == 1.5'
run "$LLMHOST" "${Q[@]}" -s "$EP" -s llm.openai_endpoint.api_key=sk-mock-KEY-777 chat -p openai_endpoint -m mock-small "x"
jq_on "the key is sent as Authorization: Bearer" "$(last_request "$M")" '.headers.authorization == "Bearer sk-mock-KEY-777"'
expect_not_in "the key is not printed" "$OUT$ERR" "sk-mock-KEY-777"
run "$LLMHOST" "${Q[@]}" -v -s "$EP" -s llm.openai_endpoint.api_key=sk-mock-KEY-777 chat -p openai_endpoint -m mock-small "x"
expect_rc "-v chat exits 0" 0
expect_eq "-v keeps diagnostics off stdout" "$OUT" "echo: x"
expect_not_in "-v never shows the key" "$OUT$ERR" "sk-mock-KEY-777"
expect_in "-v shows the request line on stderr" "$ERR" "POST $M/v1/chat/completions"
expect_in "-v shows the Authorization header redacted" "$ERR" "Authorization: ***"
expect_in "-v shows the response status" "$ERR" "200"

# max_tokens = min(llm.max_tokens, 80% of the window); local window 8192 -> 6553.
for p in lmstudio llamacpp vllm; do
    mock_reset "$M"
    run "$LLMHOST" "${Q[@]}" -s "llm.$p.url=$M/v1" chat -p $p -m mock-small "x"
    expect_rc "$p chat exits 0" 0
    expect_eq "$p chat answer" "$OUT" "echo: x"
    jq_on "$p: max_tokens is 80% of the 8192 local window" "$(last_request "$M")" '.body.max_tokens == 6553'
done
run "$LLMHOST" "${Q[@]}" -s "llm.lmstudio.url=$M" chat -p lmstudio -m mock-small "x"
expect_eq "lmstudio URL without /v1 works" "$OUT" "echo: x"
jq_on "lmstudio adds /v1 to its URL" "$(last_request "$M")" '.path == "/v1/chat/completions"'
run "$LLMHOST" "${Q[@]}" -s "llm.lmstudio.url=$M/v1" chat -p lmstudio -m mock-small --max-tokens 100 "x"
jq_on "--max-tokens 100 is sent as 100" "$(last_request "$M")" '.body.max_tokens == 100'
run "$LLMHOST" "${Q[@]}" -s "llm.lmstudio.url=$M/v1" chat -p lmstudio -m mock-small --max-tokens 100000 "x"
jq_on "--max-tokens above the window is capped at 80% of it" "$(last_request "$M")" '.body.max_tokens == 6553'
run "$LLMHOST" "${Q[@]}" -s "llm.lmstudio.url=$M/v1" -s llm.max_tokens=500 chat -p lmstudio -m mock-small "x"
jq_on "llm.max_tokens below the cap is sent as is" "$(last_request "$M")" '.body.max_tokens == 500'
run "$LLMHOST" "${Q[@]}" -s "llm.lmstudio.url=$M/v1" -s llm.local_context_window_size=1000 chat -p lmstudio -m mock-small "x"
jq_on "llm.local_context_window_size=1000 caps max_tokens at 800" "$(last_request "$M")" '.body.max_tokens == 800'
run "$LLMHOST" "${Q[@]}" -s "llm.lmstudio.url=$M/v1" -s llm.supports_max_tokens=false chat -p lmstudio -m mock-small "x"
expect_rc "supports_max_tokens=false exits 0" 0
jq_on "supports_max_tokens=false sends no max_tokens" "$(last_request "$M")" \
    '.body | (has("max_tokens") or has("max_completion_tokens")) | not'
run "$LLMHOST" "${Q[@]}" -s "llm.lmstudio.url=$M/v1" -s llm.max_tokens=0 chat -p lmstudio -m mock-small "x"
jq_on "llm.max_tokens=0 sends no max_tokens" "$(last_request "$M")" '.body | has("max_tokens") | not'

# ---- reasoning is kept apart from the answer
mock_reset "$M"
mock_config "$M" '{"reasoning":"thinking hard"}'
chat --json "hello world"
expect_rc "reasoning --json exits 0" 0
expect_jq "streamed reasoning goes to .reasoning, not .content" '.reasoning == "thinking hard" and .content == "echo: hello world"'
chat --json --no-stream "hello world"
expect_jq "whole-answer reasoning goes to .reasoning, not .content" '.reasoning == "thinking hard" and .content == "echo: hello world"'
chat "hello world"
expect_eq "without --show-reasoning stdout has only the answer" "$OUT" "echo: hello world"
expect_not_in "without --show-reasoning stderr has no reasoning" "$ERR" "thinking hard"
chat --show-reasoning "hello world"
expect_rc "--show-reasoning exits 0" 0
expect_eq "--show-reasoning: stdout has only the answer" "$OUT" "echo: hello world"
expect_in "--show-reasoning: the reasoning is on stderr" "$ERR" "thinking hard"
chat --show-reasoning --no-stream "hello world"
expect_eq "--show-reasoning --no-stream: stdout has only the answer" "$OUT" "echo: hello world"
expect_in "--show-reasoning --no-stream: the reasoning is on stderr" "$ERR" "thinking hard"

mock_config "$M" '{"think_tags":true}'
chat "hello world"
expect_rc "think tags streamed exits 0" 0
expect_eq "think tags streamed: <think> text removed from stdout" "$OUT" "echo: hello world"
chat --no-stream "hello world"
expect_eq "think tags --no-stream: <think> text removed from stdout" "$OUT" "echo: hello world"
chat --json "hello world"
expect_jq "think tags streamed --json: answer clean, thought in .reasoning" \
    '.content == "echo: hello world" and (.reasoning | contains("thinking hard")) and (.reasoning | contains("<") | not)'
chat --json --no-stream "hello world"
expect_jq "think tags --no-stream --json: answer clean, thought in .reasoning" \
    '.content == "echo: hello world" and (.reasoning | contains("thinking hard")) and (.reasoning | contains("<") | not)'
chat --show-reasoning "hello world"
expect_eq "think tags --show-reasoning: stdout has only the answer" "$OUT" "echo: hello world"
expect_in "think tags --show-reasoning: the thought is on stderr" "$ERR" "thinking hard"
mock_reset "$M"

# ---- --dry-run: the request as JSON, secrets redacted, nothing sent
mock_reset "$M"
run "$LLMHOST" -s "$EP" -s llm.openai_endpoint.api_key=sk-SECRET123 chat -p openai_endpoint -m mock-small \
    --system "sys" --temperature 0.2 --dry-run "hello world"
expect_rc "chat --dry-run exits 0" 0
expect_jq "dry-run shape" \
    'has("requests") and (.requests | length) == 1 and ((["body","headers","method","url"] - (.requests[0] | keys)) == [])'
expect_jq "dry-run method and URL" ".requests[0].method == \"POST\" and .requests[0].url == \"$M/v1/chat/completions\""
expect_jq "dry-run Authorization is ***" '.requests[0].headers | to_entries | map(select(.key | ascii_downcase == "authorization")) | .[0].value == "***"'
expect_jq "dry-run body" \
    '.requests[0].body | .model == "mock-small" and .stream == true and .temperature == 0.2 and .messages == [{"role":"system","content":"sys"},{"role":"user","content":"hello world"}]'
expect_not_in "dry-run never shows the key" "$OUT$ERR" "sk-SECRET123"
expect_eq "dry-run sends nothing" "$(mock_stat "$M" api_requests)" 0
run "$LLMHOST" -s "$EP" chat -p openai_endpoint -m mock-small --dry-run --no-stream "x"
expect_jq "dry-run --no-stream body" '.requests[0].body.stream == false or (.requests[0].body | has("stream") | not)'
run "$LLMHOST" -s "$EP" chat -p openai_endpoint -m mock-small --dry-run - < <(printf 'from stdin\n')
expect_jq "dry-run takes the prompt from stdin" '.requests[0].body.messages[-1].content | startswith("from stdin")'
run "$LLMHOST" -s "$EP" chat -p openai_endpoint --dry-run "x"
expect_rc "dry-run without a model exits 2" 2
expect_eq "dry-run without a model sends nothing" "$(mock_stat "$M" api_requests)" 0

# URL normalization, shown by --dry-run (nothing is sent to these addresses).
dry_url() { # SETTING_VALUE EXPECTED_URL
    run "$LLMHOST" -s "llm.openai_endpoint.url=$1" chat -p openai_endpoint -m m --dry-run "x"
    if [ "$RC" = 0 ] && [ "$(printf '%s' "$OUT" | jq -r '.requests[0].url')" = "$2" ]; then ok "dry-run URL for $1"
    else not_ok "dry-run URL for $1" "exit $RC, url $(printf '%s' "$OUT" | jq -r '.requests[0].url' 2>/dev/null), expected $2; $ERR"; fi
}
dry_url 192.168.1.50:8000/v1 http://192.168.1.50:8000/v1/chat/completions
dry_url 192.168.1.50:8000/v1/ http://192.168.1.50:8000/v1/chat/completions
dry_url 10.1.2.3:8000/v1 http://10.1.2.3:8000/v1/chat/completions
dry_url 172.20.0.5:8000/v1 http://172.20.0.5:8000/v1/chat/completions
dry_url myserver.local:8080/v1 http://myserver.local:8080/v1/chat/completions
dry_url llm.example.com/v1 https://llm.example.com/v1/chat/completions
dry_url 172.32.0.5/v1 https://172.32.0.5/v1/chat/completions
dry_url http://192.168.1.50:8000/v1/chat/completions http://192.168.1.50:8000/v1/chat/completions
run "$LLMHOST" -s "llm.openai_endpoint.url=http://user:pw-HIDDEN-99@192.168.1.50:8000/v1" chat -p openai_endpoint -m m --dry-run "x"
expect_rc "dry-run with credentials in the URL exits 0" 0
expect_not_in "credentials in the URL are not shown by dry-run" "$OUT$ERR" "pw-HIDDEN-99"
run "$LLMHOST" -s "llm.openai_endpoint.url=http://169.254.169.254/v1" chat -p openai_endpoint -m m --dry-run "x"
expect_rc "a cloud metadata URL is refused (exit 2)" 2
expect_in "the refusal names the address" "$ERR" "169.254.169.254"

# ---- one process, one connection
mock_reset "$M"
chat "hello world"
expect_eq "one chat process opens exactly one connection" "$(mock_stat "$M" connections)" 1
mock_reset "$M"
chat --no-stream "hello world"
expect_eq "one --no-stream chat opens exactly one connection" "$(mock_stat "$M" connections)" 1

# ---- usage errors (exit 2, one line, nothing sent)
mock_reset "$M"
chat --temperature 5 "x"
expect_rc "--temperature 5 exits 2" 2
expect_first_line "--temperature 5: the error names the value" '"5"'
chat --temperature abc "x"
expect_rc "--temperature abc exits 2" 2
chat --max-tokens -1 "x"
expect_rc "--max-tokens -1 exits 2" 2
expect_first_line "--max-tokens -1: the error names the value" '"-1"'
chat --max-tokens 12abc "x"
expect_rc "--max-tokens 12abc exits 2" 2
chat --frobnicate "x"
expect_rc "an unknown chat option exits 2" 2
expect_in "the unknown option is named" "$ERR" "--frobnicate"
expect_eq "usage errors send nothing" "$(mock_stat "$M" api_requests)" 0
run "$LLMHOST" "${Q[@]}" chat -p nosuchprovider -m mock-small "x"
expect_rc "an unknown provider exits 2" 2
expect_one_line "unknown provider: one-line error"
expect_in "unknown provider: it is named" "$ERR" "nosuchprovider"
expect_in "unknown provider: the known ones are listed (openai_endpoint)" "$ERR" "openai_endpoint"
expect_in "unknown provider: the known ones are listed (lmstudio)" "$ERR" "lmstudio"
mock_reset "$M"
run "$LLMHOST" "${Q[@]}" -s "$EP" chat -p openai_endpoint "x"
expect_rc "no model exits 2" 2
expect_one_line "no model: one-line error"
expect_in "no model: names llm.model" "$ERR" "llm.model"
expect_in "no model: lists the server's models" "$ERR" "mock-small"
expect_in "no model: lists all of them" "$ERR" "gemma3:12b"
expect_eq "no model: no chat request was sent" \
    "$(ctl "$M/_mock/requests" | jq '[.requests[] | select(.path | endswith("/chat/completions"))] | length')" 0
run "$LLMHOST" "${Q[@]}" -s "$EP" chat -m mock-small "x"
expect_rc "no provider exits 2" 2
expect_in "no provider: names llm.provider" "$ERR" "llm.provider"
run "$LLMHOST" "${Q[@]}" -s "$EP" -s llm.provider=openai_endpoint -s llm.model=mock-large chat "from settings"
expect_rc "provider and model from llm.provider/llm.model" 0
expect_eq "provider and model from settings: answer" "$OUT" "echo: from settings"
jq_on "llm.model is sent" "$(last_request "$M")" '.body.model == "mock-large"'
run "$LLMHOST" "${Q[@]}" -s "llm.openai.api_base=$M/v1" chat -p openai -m gpt-4o "x"
expect_rc "openai without a key exits 2" 2
expect_in "openai without a key: the message PROVIDERS.md prescribes" "$ERR" \
    "OpenAI API key not configured: set llm.openai.api_key (or OPENAI_API_KEY)"
# ---- a URL with credentials and a query string: both reach the server
mock_reset "$M"
run "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=http://u:p@127.0.0.1:$MOCK_PORT/v1?tenant=7" \
    chat -p openai_endpoint -m mock-small --no-stream "creds"
expect_rc "URL with credentials and a query: exit 0" 0
jq_on "URL with credentials and a query: Basic auth and the query arrive" "$(last_request "$M")" \
    '.path == "/v1/chat/completions" and .query == "tenant=7" and .headers.authorization == "Basic dTpw"'

# ---- a body over 1 MiB goes at once: no "Expect: 100-continue" handshake
mock_reset "$M"
head -c 1200000 /dev/zero | tr '\0' 'a' >"$TMP/big.txt"
OUT=$("$LLMHOST" "${Q[@]}" -s "$EP" chat -p openai_endpoint -m mock-small --no-stream <"$TMP/big.txt" 2>"$TMP/big.err")
expect_eq "a 1.2 MB prompt: answered whole" "${#OUT}" 1200006
jq_on "a 1.2 MB prompt: sent without Expect: 100-continue" "$(last_request "$M")" \
    '(.headers | has("expect") | not) and (.headers["content-length"] | tonumber) > 1200000'

# ---- proxy variables are honoured (a second mock stands in for the proxy:
# it answers absolute-URI requests as its own; the target port is dead).
start_mock
PROXY=$MOCK_URL
printf '{"prompt":"p1"}\n{"prompt":"p2"}\n' >"$TMP/proxy.jsonl"
for mode in single batch; do
    if [ "$mode" = single ]; then set -- --no-stream "through the proxy"; else set -- --batch "$TMP/proxy.jsonl"; fi
    mock_reset "$PROXY"
    OUT=$(env -u no_proxy -u NO_PROXY http_proxy="$PROXY" "$LLMHOST" "${Q[@]}" \
        -s "llm.openai_endpoint.url=$DEAD_URL/v1" chat -p openai_endpoint -m mock-small "$@" 2>"$TMP/proxy.err")
    RC=$?
    expect_eq "http_proxy ($mode): exits 0 although the URL's port is dead" "$RC" 0
    expect_in "http_proxy ($mode): the answer came through the proxy" "$OUT" "echo: "
    expect_eq "http_proxy ($mode): the proxy saw every request" \
        "$(ctl "$PROXY/_mock/requests" | jq '[.requests[] | select(.path | endswith("/v1/chat/completions"))] | length')" \
        "$([ "$mode" = single ] && echo 1 || echo 2)"
done

run "$LLMHOST" chat --help
expect_rc "chat --help exits 0" 0
expect_in "chat --help shows usage" "$OUT" "Usage: llmhost chat"

finish
