#!/bin/bash
# mock_smoke.sh - checks that the mock LLM server (tests/mockllm) speaks the
# OpenAI, Ollama and Anthropic wire formats and that its fault knobs work,
# using nothing but curl against 127.0.0.1.
#
# The binary is $MOCKLLM, else $top_builddir/tests/mockllm/mockllm.
set -eu

top_builddir=${top_builddir:-.}
MOCKLLM=${MOCKLLM:-$top_builddir/tests/mockllm/mockllm}

passed=0
failed=0

pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1${2:+: $2}"; }

if [ ! -x "$MOCKLLM" ]; then
	echo "mock_smoke: $MOCKLLM is not an executable" >&2
	exit 1
fi

tmp=$(mktemp -d)
mock_pid=
cleanup() {
	if [ -n "$mock_pid" ]; then
		kill "$mock_pid" 2>/dev/null || true
		wait "$mock_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$MOCKLLM" --port 0 --port-file "$tmp/port" --log "$tmp/log" --max-seconds 120 \
	>"$tmp/stdout" 2>"$tmp/stderr" &
mock_pid=$!

for _ in $(seq 100); do
	[ -s "$tmp/port" ] && break
	kill -0 "$mock_pid" 2>/dev/null || break
	sleep 0.05
done
if [ ! -s "$tmp/port" ]; then
	echo "mock_smoke: the mock did not start:" >&2
	cat "$tmp/stderr" >&2
	exit 1
fi
port=$(cat "$tmp/port")
base="http://127.0.0.1:$port"

# curl that never touches a proxy and gives up quickly.
c() { curl --noproxy '*' -s -m 10 "$@"; }
chat_body() { # MODEL TEXT [EXTRA_JSON_MEMBERS]
	printf '{"model":"%s","messages":[{"role":"user","content":"%s"}]%s}' "$1" "$2" "${3:+,$3}"
}
json_post() { c -H 'Content-Type: application/json' "$@"; }
reset_mock() { c -X POST "$base/_mock/reset" >/dev/null; }

test_port_is_announced_on_stdout() {
	if [ "$(head -n1 "$tmp/stdout")" = "$port" ]; then pass "port announced on stdout"
	else fail "port announced on stdout" "$(cat "$tmp/stdout")"; fi
}

test_openai_models_lists_default_models() {
	local out
	out=$(c "$base/v1/models")
	case $out in
	*'"object":"list"'*'"id":"mock-small"'*'"owned_by":"mock"'*) pass "OpenAI models" ;;
	*) fail "OpenAI models" "$out" ;;
	esac
}

test_openai_chat_echoes_last_user_message() {
	local out
	out=$(json_post "$base/v1/chat/completions" -d "$(chat_body mock-small 'hello world')")
	case $out in
	*'"content":"echo: hello world"'*'"finish_reason":"stop"'*'"completion_tokens":3'*)
		pass "OpenAI non-stream echo" ;;
	*) fail "OpenAI non-stream echo" "$out" ;;
	esac
}

test_openai_stream_sends_word_chunks_then_done() {
	local out chunks last
	out=$(json_post -N "$base/v1/chat/completions" \
		-d "$(chat_body mock-small 'hello world' '"stream":true')")
	chunks=$(printf '%s\n' "$out" | grep -c '"delta":{"content":' || true)
	last=$(printf '%s\n' "$out" | grep -v '^$' | tail -n1)
	if [ "$chunks" = 3 ] && [ "$last" = 'data: [DONE]' ] &&
		printf '%s' "$out" | grep -q '"delta":{"role":"assistant"}' &&
		! printf '%s' "$out" | grep -q '"usage":{'; then
		pass "OpenAI stream: 3 word chunks, then [DONE]"
	else
		fail "OpenAI stream: 3 word chunks, then [DONE]" "chunks=$chunks last=$last"
	fi
}

test_openai_stream_include_usage_adds_usage_chunk() {
	local out
	out=$(json_post -N "$base/v1/chat/completions" -d "$(chat_body mock-small 'a b' \
		'"stream":true,"stream_options":{"include_usage":true}')")
	if printf '%s' "$out" | grep -q '"choices":\[\],"usage":{"prompt_tokens":2,"completion_tokens":3'; then
		pass "OpenAI stream include_usage"
	else
		fail "OpenAI stream include_usage" "$out"
	fi
}

test_status_header_gives_openai_error() {
	local out code
	out=$(json_post -w '\n%{http_code}' -H 'X-Mock-Status: 503' -H 'X-Mock-Retry-After: 3' \
		-D "$tmp/headers" "$base/v1/chat/completions" -d "$(chat_body mock-small hi)")
	code=$(printf '%s' "$out" | tail -n1)
	if [ "$code" = 503 ] && printf '%s' "$out" | grep -q '^{"error":{"message":' &&
		grep -qi '^Retry-After: 3' "$tmp/headers"; then
		pass "X-Mock-Status: 503 with Retry-After"
	else
		fail "X-Mock-Status: 503 with Retry-After" "$out"
	fi
}

test_fail_first_two_then_success() {
	local codes
	reset_mock
	c -d '{"fail_first":2}' "$base/_mock/config" >/dev/null
	codes=$(for _ in 1 2 3; do
		json_post -o /dev/null -w '%{http_code} ' "$base/v1/chat/completions" \
			-d "$(chat_body mock-small hi)"
	done)
	reset_mock
	if [ "$codes" = "503 503 200 " ]; then pass "fail_first 2: 503, 503, 200"
	else fail "fail_first 2: 503, 503, 200" "$codes"; fi
}

test_close_after_chunks_cuts_stream_without_done() {
	local out rc=0
	out=$(json_post -N -H 'X-Mock-Close-After-Chunks: 2' "$base/v1/chat/completions" \
		-d "$(chat_body mock-small 'one two three' '"stream":true')") || rc=$?
	# curl 18: the transfer ended before the chunked body was complete.
	if [ "$rc" -ne 0 ] && ! printf '%s' "$out" | grep -q 'DONE' &&
		[ "$(printf '%s\n' "$out" | grep -c '^data: ')" = 2 ]; then
		pass "close_after_chunks 2: cut stream, no [DONE] (curl rc=$rc)"
	else
		fail "close_after_chunks 2: cut stream, no [DONE]" "rc=$rc out=$out"
	fi
}

test_ollama_tags_lists_models() {
	local out
	out=$(c "$base/api/tags")
	case $out in
	*'"name":"qwen3:8b"'*'"details":{'*'"format":"gguf"'*) pass "Ollama tags" ;;
	*) fail "Ollama tags" "$out" ;;
	esac
}

test_ollama_chat_streams_ndjson() {
	local out lines bad
	out=$(json_post -N "$base/api/chat" -d "$(chat_body gemma3:12b 'hi there')")
	lines=$(printf '%s\n' "$out" | grep -c . || true)
	bad=$(printf '%s\n' "$out" | grep -v '^{.*}$' | grep -c . || true)
	if [ "$lines" = 4 ] && [ "$bad" = 0 ] &&
		printf '%s\n' "$out" | tail -n1 | grep -q '"done":true,"done_reason":"stop"' &&
		printf '%s\n' "$out" | head -n1 | grep -q '"content":"echo: "},"done":false'; then
		pass "Ollama chat NDJSON stream"
	else
		fail "Ollama chat NDJSON stream" "$out"
	fi
}

test_ollama_chat_unknown_model_is_404() {
	local out
	out=$(json_post -w ' %{http_code}' "$base/api/chat" -d "$(chat_body nosuch:1b hi)")
	if [ "$out" = '{"error":"model \"nosuch:1b\" not found, try pulling it first"} 404' ]; then
		pass "Ollama unknown model: 404"
	else
		fail "Ollama unknown model: 404" "$out"
	fi
}

test_anthropic_stream_event_order() {
	local events want
	events=$(json_post -N -H 'anthropic-version: 2023-06-01' "$base/v1/messages" \
		-d '{"model":"mock-small","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}' |
		sed -n 's/^event: //p' | tr '\n' ' ')
	want="message_start content_block_start ping content_block_delta content_block_delta content_block_stop message_delta message_stop "
	if [ "$events" = "$want" ]; then pass "Anthropic stream event order"
	else fail "Anthropic stream event order" "$events"; fi
}

test_anthropic_529_is_overloaded_error() {
	local out
	out=$(json_post -w ' %{http_code}' -H 'anthropic-version: 2023-06-01' -H 'X-Mock-Status: 529' \
		"$base/v1/messages" -d '{"model":"mock-small","max_tokens":8,"messages":[]}')
	case $out in
	'{"type":"error","error":{"type":"overloaded_error",'*' 529') pass "Anthropic 529 overloaded_error" ;;
	*) fail "Anthropic 529 overloaded_error" "$out" ;;
	esac
}

test_keepalive_100_requests_one_connection() {
	local args=() i codes stats
	reset_mock
	for i in $(seq 100); do
		[ "$i" -gt 1 ] && args+=(--next)
		args+=(-s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json'
			-d "$(chat_body mock-small "request $i")" "$base/v1/chat/completions")
	done
	codes=$(curl --noproxy '*' -m 60 "${args[@]}" | sort | uniq -c | tr -s ' ')
	stats=$(c "$base/_mock/stats")
	case $stats in
	*'"api_requests":100,"connections":1,'*)
		if [ "$codes" = " 100 200" ]; then pass "100 keep-alive requests on 1 connection"
		else fail "100 keep-alive requests on 1 connection" "$codes"; fi ;;
	*) fail "100 keep-alive requests on 1 connection" "$stats" ;;
	esac
}

test_log_has_one_line_per_api_request() {
	local before after last_n
	before=$(wc -l <"$tmp/log")
	c "$base/_mock/stats" >/dev/null # control requests are not logged
	for _ in 1 2 3; do c -o /dev/null "$base/v1/models"; done
	c -o /dev/null "$base/api/version"
	json_post -o /dev/null "$base/v1/chat/completions" -d "$(chat_body mock-small hi)"
	after=$(wc -l <"$tmp/log")
	last_n=$(tail -n1 "$tmp/log" | sed -n 's/^{"n":\([0-9]*\),.*/\1/p')
	if [ $((after - before)) = 5 ] && [ "$last_n" = "$after" ] &&
		tail -n1 "$tmp/log" | grep -q '"path":"/v1/chat/completions","headers":{.*"content-type":"application/json"'; then
		pass "log: one line per API request"
	else
		fail "log: one line per API request" "before=$before after=$after last_n=$last_n"
	fi
}

test_port_is_announced_on_stdout
test_openai_models_lists_default_models
test_openai_chat_echoes_last_user_message
test_openai_stream_sends_word_chunks_then_done
test_openai_stream_include_usage_adds_usage_chunk
test_status_header_gives_openai_error
test_fail_first_two_then_success
test_close_after_chunks_cuts_stream_without_done
test_ollama_tags_lists_models
test_ollama_chat_streams_ndjson
test_ollama_chat_unknown_model_is_404
test_anthropic_stream_event_order
test_anthropic_529_is_overloaded_error
test_keepalive_100_requests_one_connection
test_log_has_one_line_per_api_request

test_sigterm_stops_mock_cleanly() {
	local rc=0
	kill -TERM "$mock_pid"
	wait "$mock_pid" || rc=$?
	mock_pid=
	if [ "$rc" = 0 ]; then pass "SIGTERM: clean exit"
	else fail "SIGTERM: clean exit" "rc=$rc $(cat "$tmp/stderr")"; fi
}

test_sigterm_stops_mock_cleanly

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
