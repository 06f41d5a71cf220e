#!/bin/bash
# embed_api.sh: the embedding API: the example streams a chat, and 100
# sequential chats through one context reuse one connection, and reused
# transfer handles carry nothing over from one request to the next.
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

# One loop reuses its easy handles: a GET after a POST has no body, a POST
# after a GET carries its own, text and tree bodies alike.
curl -s -X POST "$MOCK_URL/_mock/reset" >/dev/null
run "$top_builddir/tests/integration/transport_reuse" "$MOCK_URL/v1"
expect_rc "alternating GET and POST transfers on reused handles succeed" 0
OUT=$(curl -s "$MOCK_URL/_mock/requests" | jq -c '.requests |= .[0:6]')
expect_jq "methods in order: POST GET POST POST GET POST" \
    '[.requests[] | .method] == ["POST","GET","POST","POST","GET","POST"]'
expect_jq "GETs carry no body" '[.requests[] | select(.method == "GET") | .body] == [null, null]'
expect_jq "each GET carries its own header value, the POSTs none" \
    '[.requests[] | .headers["x-seq"]] == [null, "1", null, null, "4", null]'
expect_jq "every request names llmhost once" '[.requests[] | .headers["user-agent"] | startswith("llmhost/")] | all'
expect_jq "each POST carries its own body" \
    '[.requests[] | select(.method == "POST") | .body.messages[0].content] == ["text 0","tree 2","text 3","tree 5"]'
OUT=$(curl -s "$MOCK_URL/_mock/requests" | jq -c '.requests |= .[6:]')
expect_jq "12 distinct URLs in one loop (more than it keeps parsed): each went to its own" \
    '[.requests[] | .query] | sort == ([range(0; 12) | "n=\(.)"] | sort)'
OUT=$(curl -s "$MOCK_URL/_mock/requests")
expect_jq "the six transfers, one at a time, used one connection" '[.requests[0:6][] | .conn] | unique | length == 1'
finish
