#!/bin/bash
# models_discover.sh: `llmhost models` (JSON contract, the TTL cache under
# $XDG_CACHE_HOME/llmhost/, --refresh, a down server, --dry-run), `providers`
# availability, `discover` (shape, concurrency) and `doctor`, against mock
# servers. Every local provider is pointed at a mock or at a port of ours
# that nothing listens on, so no other address is ever contacted.
. "$(dirname "$0")/lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY 2>/dev/null || true
export no_proxy='*' NO_PROXY='*'

ctl() { curl --noproxy '*' -s -m 5 "$@"; }
mock_reset() { ctl -X POST "$1/_mock/reset" >/dev/null; }
mock_config() {
    local r
    r=$(ctl -X POST -H 'Content-Type: application/json' -d "$2" "$1/_mock/config")
    printf '%s' "$r" | jq -e . >/dev/null 2>&1 || { echo "mock refused config $2: $r"; exit 99; }
}
mock_stat() { ctl "$1/_mock/stats" | jq -r ".$2"; }
last_request() { ctl "$1/_mock/requests" | jq -c '.requests[-1] // null'; }
jq_on() {
    if printf '%s' "$2" | jq -e "$3" >/dev/null 2>&1; then ok "$1"
    else not_ok "$1" "jq '$3' false on: $(printf '%s' "$2" | head -c 600)"; fi
}
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got \"$2\", expected \"$3\""; fi; }
now_ms() { date +%s%3N; }
timed() { local t0; t0=$(now_ms); run "$@"; MS=$(($(now_ms) - t0)); }
expect_ms_between() {
    if [ "$MS" -ge "$2" ] && [ "$MS" -le "$3" ]; then ok "$1"; else not_ok "$1" "took $MS ms, expected $2..$3 ms"; fi
}

# A port nothing listens on: a mock's, once it has stopped.
start_mock
DEAD="http://127.0.0.1:$MOCK_PORT"
stop_mock "$MOCK_PID"
# Every local provider points at the dead port unless a test says otherwise.
LOCALS_DEAD=(-s "llm.ollama.url=$DEAD" -s "llm.lmstudio.url=$DEAD/v1" -s "llm.llamacpp.url=$DEAD/v1"
    -s "llm.vllm.url=$DEAD/v1")
Q=(-s llm.request_timeout=5 -s llm.retry_initial_delay=0.05)

start_mock
M=$MOCK_URL
EP=(-s "llm.openai_endpoint.url=$M/v1")
MOCK_IDS='["mock-small","mock-large","qwen3:8b","gemma3:12b"]'

# ---- models --json: the contract
mock_reset "$M"
run "$LLMHOST" "${Q[@]}" "${EP[@]}" models -p openai_endpoint --json
expect_rc "models --json exits 0" 0
# JSON shapes are a contract: fields may be added, never renamed or dropped.
expect_jq "models --json has provider, models, error, cached" '(["cached","error","models","provider"] - keys) == []'
expect_jq "models: provider, error null, not cached" '.provider == "openai_endpoint" and .error == null and .cached == false'
expect_jq "models: the mock's ids in order" ".models | map(.id) == $MOCK_IDS"
expect_jq "models: every model has id, label, provider" \
    '.models | all(has("id") and has("label") and has("provider"))'
expect_jq "models: labels are strings, provider is openai_endpoint" \
    '.models | all((.label|type) == "string" and (.label|length) > 0 and .provider == "openai_endpoint")'
expect_eq "models: one request" "$(mock_stat "$M" api_requests)" 1
jq_on "models: GET {base}/models" "$(last_request "$M")" '.method == "GET" and .path == "/v1/models"'
N=$(find "$XDG_CACHE_HOME/llmhost" -type f 2>/dev/null | wc -l)
if [ "$N" -ge 1 ]; then ok "the model list is cached under \$XDG_CACHE_HOME/llmhost/"
else not_ok "the model list is cached under \$XDG_CACHE_HOME/llmhost/" "no file under $XDG_CACHE_HOME/llmhost"; fi
check "no cache in ~/.cache when XDG_CACHE_HOME is set" test ! -e "$HOME/.cache/llmhost"

run "$LLMHOST" "${Q[@]}" "${EP[@]}" models -p openai_endpoint --json
expect_rc "second models call exits 0" 0
expect_jq "second call: cached true, same list" ".cached == true and .error == null and (.models | map(.id)) == $MOCK_IDS"
expect_eq "second call does not contact the server" "$(mock_stat "$M" api_requests)" 1
run "$LLMHOST" "${Q[@]}" "${EP[@]}" models -p openai_endpoint --json --refresh
expect_jq "--refresh: cached false" ".cached == false and (.models | map(.id)) == $MOCK_IDS"
expect_eq "--refresh contacts the server" "$(mock_stat "$M" api_requests)" 2
run "$LLMHOST" "${Q[@]}" "${EP[@]}" -s llm.models_ttl=0 models -p openai_endpoint --json
expect_jq "llm.models_ttl=0: not served from the cache" '.cached == false'
run "$LLMHOST" "${Q[@]}" "${EP[@]}" models -p openai_endpoint
expect_rc "human models listing exits 0" 0
expect_in "human models listing shows the ids" "$OUT" "gemma3:12b"

# Another server at another URL never gets this server's cached list.
start_mock --models other-a,other-b
M2=$MOCK_URL
run "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=$M2/v1" models -p openai_endpoint --json
expect_jq "another URL: its own list, not the cached one" '.cached == false and (.models | map(.id)) == ["other-a","other-b"]'

# A down server: exit 0, empty list, the reason.
run "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=$DEAD/v1" models -p openai_endpoint --json
expect_rc "models of a down server exits 0" 0
expect_jq "down server: models [], error string, cached false" \
    '.models == [] and (.error | type) == "string" and (.error | length) > 0 and .cached == false'
expect_jq "down server: the error says connection refused" '.error | test("connection refused")'
run "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=$DEAD/v1" models -p openai_endpoint
expect_rc "human models of a down server exits 0" 0
expect_in "human models of a down server gives the reason on stderr" "$ERR" "connection refused"
run "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=$DEAD/v1" models -p openai_endpoint --json
expect_jq "a failed listing is not cached" '.cached == false and .models == []'
mock_reset "$M2"
mock_config "$M2" '{"status":500}'
run "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=$M2/v1" models -p openai_endpoint --json --refresh
expect_rc "models of a server answering 500 exits 0" 0
expect_jq "500 on listing: models [], error names the status" '.models == [] and (.error | test("500"))'
mock_reset "$M2"
run "$LLMHOST" "${Q[@]}" -s "llm.openai_endpoint.url=$M2/v1" models -p openai_endpoint --json
expect_jq "after a failed refresh the server's list is fetched again" '(.models | map(.id)) == ["other-a","other-b"]'
run "$LLMHOST" "${Q[@]}" models -p nosuchprovider --json
expect_rc "models of an unknown provider exits 2" 2

# --dry-run: the request, nothing sent.
mock_reset "$M"
run "$LLMHOST" "${EP[@]}" -s llm.openai_endpoint.api_key=sk-MODELS-SECRET-1 models -p openai_endpoint --dry-run
expect_rc "models --dry-run exits 0" 0
expect_jq "models --dry-run: GET {base}/models" \
    "(.requests | length) == 1 and .requests[0].method == \"GET\" and .requests[0].url == \"$M/v1/models\""
expect_jq "models --dry-run: Authorization is ***" \
    '.requests[0].headers | to_entries | map(select(.key | ascii_downcase == "authorization")) | .[0].value == "***"'
expect_not_in "models --dry-run never shows the key" "$OUT$ERR" "sk-MODELS-SECRET-1"
expect_eq "models --dry-run sends nothing" "$(mock_stat "$M" api_requests)" 0
run "$LLMHOST" -s "llm.lmstudio.url=$M" models -p lmstudio --dry-run
expect_jq "lmstudio --dry-run: /v1 added" ".requests[0].url == \"$M/v1/models\""
run "$LLMHOST" -s "llm.openai_endpoint.url=192.168.1.50:8000/v1/" models -p openai_endpoint --dry-run
expect_jq "private-range URL without scheme: http, no //" '.requests[0].url == "http://192.168.1.50:8000/v1/models"'
expect_eq "models --dry-run sends nothing (2)" "$(mock_stat "$M" api_requests)" 0

# Providers with their own listing quirks, pointed at the mock.
mock_reset "$M"
run "$LLMHOST" "${Q[@]}" -s "llm.openrouter.url=$M/api/v1" models -p openrouter --json --refresh
expect_rc "openrouter listing without a key exits 0" 0
expect_jq "openrouter listing without a key works" ".error == null and (.models | map(.id)) == $MOCK_IDS"
jq_on "openrouter listing: GET /api/v1/models, no auth header" "$(last_request "$M")" \
    '.path == "/api/v1/models" and (.headers | has("authorization") | not)'
mock_reset "$M"
run "$LLMHOST" "${Q[@]}" -s "llm.google.url=$M/v1beta/openai" -s llm.google.api_key=g-KEY-4242 models -p google --json --refresh
expect_rc "google listing exits 0" 0
expect_jq "google lists generateContent models, models/ prefix stripped" \
    ".error == null and (.models | map(.id)) == $MOCK_IDS"
jq_on "google listing: native /v1beta/models with x-goog-api-key" "$(last_request "$M")" \
    '.path == "/v1beta/models" and .headers["x-goog-api-key"] == "g-KEY-4242"'
expect_not_in "google listing never prints the key" "$OUT$ERR" "g-KEY-4242"

# ---- providers: availability
run "$LLMHOST" "${Q[@]}" "${LOCALS_DEAD[@]}" providers --json
expect_rc "providers --json exits 0" 0
expect_jq "every provider has available (bool) and reason" \
    '.providers | length > 0 and all(has("available") and has("reason") and (.available|type) == "boolean")'
expect_jq "unavailable providers give a reason, available ones null" \
    '.providers | all(if .available then .reason == null else (.reason|type) == "string" and (.reason|length) > 0 end)'
expect_jq "openai without a key: not available, reason names OPENAI_API_KEY" \
    '.providers[] | select(.key == "openai") | .available == false and (.reason | contains("OPENAI_API_KEY"))'
expect_jq "openai without a key: the PROVIDERS.md wording" \
    '.providers[] | select(.key == "openai") | .reason == "OpenAI API key not configured: set llm.openai.api_key (or OPENAI_API_KEY)"'
expect_jq "a local server that is down: not available, connection refused" \
    '.providers[] | select(.key == "lmstudio") | .available == false and (.reason | test("connection refused"))'
expect_jq "openai_endpoint at the OpenAI default without a key: not available" \
    '.providers[] | select(.key == "openai_endpoint") | .available == false'
expect_jq "nothing is available" '[.providers[] | select(.available)] == []'
for p in openai openrouter google xai deepseek ionos requesty lmstudio llamacpp vllm openai_endpoint; do
    expect_jq "provider $p is registered" ".providers | any(.key == \"$p\")"
done

mock_reset "$M"
OPENAI_API_KEY=sk-PROVIDERS-SECRET-7 run "$LLMHOST" "${Q[@]}" "${LOCALS_DEAD[@]}" -s "llm.lmstudio.url=$M/v1" \
    -s "llm.openai.api_base=$M/v1" providers --json
expect_jq "lmstudio pointed at the mock: available" \
    '.providers[] | select(.key == "lmstudio") | .available == true and .reason == null'
expect_jq "openai with OPENAI_API_KEY: available, key set" \
    '.providers[] | select(.key == "openai") | .available == true and .api_key_set == true'
expect_not_in "providers never prints the key" "$OUT$ERR" "sk-PROVIDERS-SECRET-7"
expect_eq "the lmstudio probe is one GET /v1/models" \
    "$(ctl "$M/_mock/requests" | jq -c '[.requests[] | [.method, .path]]')" '[["GET","/v1/models"]]'
run "$LLMHOST" "${Q[@]}" "${LOCALS_DEAD[@]}" -s "llm.lmstudio.url=$M/v1" providers --available --json
expect_rc "providers --available exits 0" 0
expect_jq "--available lists only the available ones" '[.providers[].key] == ["lmstudio"]'
run "$LLMHOST" "${Q[@]}" "${LOCALS_DEAD[@]}" -s "llm.lmstudio.url=$M/v1" providers --available
expect_rc "human providers --available exits 0" 0
expect_in "human --available lists lmstudio" "$OUT" "lmstudio"
expect_not_in "human --available leaves out vllm" "$OUT" "vllm"
expect_not_in "human --available leaves out openai" "$OUT" "openai"
run "$LLMHOST" "${Q[@]}" "${LOCALS_DEAD[@]}" -s "llm.openai_endpoint.url=$M2/v1" providers --json
expect_jq "openai_endpoint with a URL of its own: available" \
    '.providers[] | select(.key == "openai_endpoint") | .available == true'
mock_reset "$M"
mock_config "$M" '{"status":503}'
run "$LLMHOST" "${Q[@]}" "${LOCALS_DEAD[@]}" -s "llm.lmstudio.url=$M/v1" providers --json
expect_jq "a local server answering 503: not available, only 200 counts" \
    '.providers[] | select(.key == "lmstudio") | .available == false and (.reason | test("503"))'
mock_reset "$M"

# ---- discover
start_mock --models llama-a
ML=$MOCK_URL
start_mock --models vllm-x,vllm-y
MV=$MOCK_URL
timed "$LLMHOST" -s "llm.ollama.url=$DEAD" -s "llm.lmstudio.url=$M/v1" -s "llm.llamacpp.url=$ML/v1" \
    -s "llm.vllm.url=$MV/v1" discover --json --timeout 500
expect_rc "discover --json exits 0" 0
expect_jq "discover: servers[] with provider, base_url, available, models, reason" \
    'has("servers") and (.servers | length > 0 and all((["available","base_url","models","provider","reason"] - keys) == [] and (.models|type) == "array" and (.available|type) == "boolean"))'
expect_jq "discover: lmstudio available with the mock's models" \
    ".servers[] | select(.provider == \"lmstudio\") | .available == true and .models == $MOCK_IDS and .reason == null and .base_url == \"$M/v1\""
expect_jq "discover: llamacpp available with its models" \
    ".servers[] | select(.provider == \"llamacpp\") | .available == true and .models == [\"llama-a\"] and .base_url == \"$ML/v1\""
expect_jq "discover: vllm available with its models" \
    ".servers[] | select(.provider == \"vllm\") | .available == true and .models == [\"vllm-x\",\"vllm-y\"]"
expect_jq "discover: ollama (dead port) is listed, not available, with a reason" \
    '.servers | any(.provider == "ollama" and .available == false and .models == [] and (.reason|type) == "string")'
expect_jq "discover lists local servers only" '.servers | all(.provider != "openai" and .provider != "openai_endpoint")'
expect_ms_between "discover with live mocks is quick" 0 2500
run "$LLMHOST" "${LOCALS_DEAD[@]}" -s "llm.lmstudio.url=$M/v1" discover --json --timeout 500
expect_jq "discover: a dead local server is not available, with the reason" \
    '.servers[] | select(.provider == "vllm") | .available == false and .models == [] and (.reason | test("connection refused"))'
run "$LLMHOST" "${LOCALS_DEAD[@]}" -s "llm.lmstudio.url=$M/v1" discover
expect_rc "human discover exits 0" 0
expect_in "human discover shows lmstudio's models" "$OUT" "mock-small"
run "$LLMHOST" discover --timeout 0
expect_rc "discover --timeout 0 is a usage error" 2
run "$LLMHOST" discover --timeout abc
expect_rc "discover --timeout abc is a usage error" 2

# Three servers that never answer: one timeout in all, not three.
for u in "$M" "$ML" "$MV"; do mock_reset "$u"; mock_config "$u" '{"never_answer":true}'; done
timed "$LLMHOST" -s "llm.ollama.url=$DEAD" -s "llm.lmstudio.url=$M/v1" -s "llm.llamacpp.url=$ML/v1" \
    -s "llm.vllm.url=$MV/v1" discover --json --timeout 1000
expect_rc "discover with silent servers exits 0" 0
expect_ms_between "discover probes concurrently (3 silent servers, 1000 ms timeout: < 2.5 s)" 900 2500
expect_jq "silent servers: not available, with a reason" \
    '[.servers[] | select(.provider == "lmstudio" or .provider == "llamacpp" or .provider == "vllm") | select(.available == false and (.reason|type) == "string")] | length == 3'
for u in "$M" "$ML" "$MV"; do mock_reset "$u"; done

# ---- doctor
run "$LLMHOST" "${Q[@]}" "${LOCALS_DEAD[@]}" doctor --json
expect_rc "doctor --json exits 0" 0
expect_jq "doctor has config, plugin_dirs, plugins, providers, advice" \
    'has("config") and has("plugin_dirs") and has("plugins") and has("providers") and has("advice")'
expect_jq "doctor: plugin_dirs is a non-empty list of strings" '(.plugin_dirs | length) > 0 and (.plugin_dirs | all(type == "string"))'
expect_jq "doctor: plugins are listed with their status" \
    '.plugins | any(.name == "openai_endpoint" and .status == "loaded")'
expect_jq "doctor: providers have key, base_url, api_key_set, available, reason" \
    '.providers | length > 0 and all(has("key") and has("base_url") and has("api_key_set") and has("available") and has("reason"))'
expect_jq "doctor: nothing available, so advice is a string" '(.advice | type) == "string" and (.advice | length) > 0'
expect_jq "doctor: the dead local server's reason" \
    '.providers[] | select(.key == "lmstudio") | .available == false and (.reason | test("connection refused"))'
run "$LLMHOST" "${Q[@]}" "${LOCALS_DEAD[@]}" doctor
expect_rc "human doctor exits 0" 0
expect_in "human doctor ends with advice when nothing is available" "$OUT" "No provider is available"
run "$LLMHOST" "${Q[@]}" "${LOCALS_DEAD[@]}" -s "llm.lmstudio.url=$M/v1" -s llm.openai.api_key=sk-DOCTOR-SECRET-55 \
    -s "llm.openai.api_base=$M/v1" -s llm.openai_endpoint.api_key=sk-DOCTOR-SECRET-66 doctor --json
expect_rc "doctor with a key exits 0" 0
expect_not_in "doctor never prints a key (openai)" "$OUT$ERR" "sk-DOCTOR-SECRET-55"
expect_not_in "doctor never prints a key (openai_endpoint)" "$OUT$ERR" "sk-DOCTOR-SECRET-66"
expect_jq "doctor: key set is shown as a boolean" '.providers[] | select(.key == "openai") | .api_key_set == true and .available == true'
expect_jq "doctor: lmstudio at the mock is available" '.providers[] | select(.key == "lmstudio") | .available == true'
expect_jq "doctor: something is available, advice is null" '.advice == null'
run "$LLMHOST" "${Q[@]}" "${LOCALS_DEAD[@]}" -s llm.openai.api_key=sk-DOCTOR-SECRET-55 doctor
expect_not_in "human doctor never prints a key" "$OUT$ERR" "sk-DOCTOR-SECRET-55"

finish
