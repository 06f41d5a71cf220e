#!/bin/bash
# embed_api.sh: the embedding API: the example streams a chat, and 100
# sequential chats through one context reuse one connection.
. "$(dirname "$0")/lib.sh"
start_mock
run "$top_builddir/examples/embed" openai_endpoint mock-small "hello from C" "$MOCK_URL/v1"
expect_rc "examples/embed exits 0" 0
expect_in "examples/embed streams the answer" "$OUT" "echo: hello from C"
expect_in "examples/embed reports usage" "$OUT" "[openai_endpoint/mock-small,"
run "$top_builddir/examples/embed" openai_endpoint mock-small "hi" "http://127.0.0.1:1/v1"
expect_rc "examples/embed reports a refused connection with exit 3" 3
expect_in "the error is one line naming the failure" "$ERR" "connection refused"

curl -s -X POST "$MOCK_URL/_mock/reset" >/dev/null
run "$top_builddir/tests/integration/chat_loop" "$MOCK_URL/v1" 100
expect_rc "100 sequential chats succeed" 0
stats=$(curl -s "$MOCK_URL/_mock/stats")
OUT=$stats
expect_jq "the mock served 100 API requests" '.api_requests == 100'
expect_jq "100 sequential chats opened one connection" '.connections == 1'
finish
