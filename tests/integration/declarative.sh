#!/bin/bash
# declarative.sh: providers declared in the config file alone ([provider.NAME]),
# with no .so: listing, chat, keys from a named variable, fixed model lists,
# borrowing another provider's protocol, and bad declarations.
. "$(dirname "$0")/lib.sh"

start_mock --log "$TMP/mock.log"
URL=$MOCK_URL
cat > "$TMP/decl.ini" <<INI
[provider.mybox]
name = My Box
url = $URL/v1
api_key_env = MYBOX_KEY
kind = local

[provider.fixed]
url = $URL/v1
models = alpha, beta

[provider.olla]
protocol = ollama
url = $URL

[provider.broken]
protocol = carrier-pigeon
url = $URL
INI
export MYBOX_KEY=sk-mybox-SECRET-77

run "$LLMHOST" -c "$TMP/decl.ini" providers --json
expect_rc "providers with declared ones exits 0" 0
expect_jq "a declared provider is listed with its name, kind and URL" \
    ".providers[] | select(.key==\"mybox\") | .name==\"My Box\" and .kind==\"local\" and .base_url==\"$URL/v1\" and .plugin==null and .api_key_set==true"
expect_jq "a declared local provider is probed and available" '.providers[] | select(.key=="mybox") | .available==true'
expect_jq "an unsupported protocol is not registered" '[.providers[] | select(.key=="broken")] | length == 0'
expect_in "the bad declaration is reported with file:line" "$ERR" "decl.ini:16"
expect_in "the warning says what protocols exist" "$ERR" "unknown protocol"
expect_not_in "the key from MYBOX_KEY is never shown" "$OUT$ERR" "SECRET-77"

curl -s -X POST "$URL/_mock/reset" >/dev/null
run "$LLMHOST" -c "$TMP/decl.ini" models -p fixed --json
expect_jq "a fixed model list comes from the config" '(.models | map(.id)) == ["alpha","beta"] and .error == null'
OUT=$(curl -s "$URL/_mock/stats")
expect_jq "listing a fixed model list sends nothing" '.api_requests == 0'

run "$LLMHOST" -c "$TMP/decl.ini" chat -p mybox -m mock-small --no-stream "hello box"
expect_rc "chat through a declared provider exits 0" 0
expect_in "chat through a declared provider answers" "$OUT" "echo: hello box"
auth=$(tail -n 1 "$TMP/mock.log" | jq -r '.headers.authorization')
if [ "$auth" = "Bearer $MYBOX_KEY" ]; then ok "the key comes from api_key_env"; else not_ok "the key comes from api_key_env" "got $auth"; fi

run "$LLMHOST" -c "$TMP/decl.ini" chat -p olla -m qwen3:8b --no-stream "hi llama"
expect_rc "a provider borrowing the Ollama protocol works" 0
expect_in "its answer comes back" "$OUT" "echo: hi llama"
path=$(tail -n 1 "$TMP/mock.log" | jq -r '.path')
if [ "$path" = "/api/chat" ]; then ok "it speaks Ollama's /api/chat"; else not_ok "it speaks Ollama's /api/chat" "got $path"; fi

unset MYBOX_KEY
run "$LLMHOST" -c "$TMP/decl.ini" -s provider.mybox.api_key=sk-inline-1 chat -p mybox -m mock-small --dry-run hi
expect_jq "a key in the config is sent, shown as ***" '.requests[0].headers.Authorization == "***"'
expect_not_in "and never printed" "$OUT" "sk-inline-1"
finish
