#!/bin/sh
# quickstart.sh: install dependencies, build into ./_build, then run the main
# job: find a local LLM server and chat with it. When none is reachable, it
# starts the bundled mock server on 127.0.0.1 and says so.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh scripts/deps.sh
[ -x configure ] || ./autogen.sh >/dev/null
mkdir -p _build
cd _build
[ -f Makefile ] || ../configure --quiet
make -j"$(nproc)" >/dev/null
LLMHOST=./host/cli/llmhost
PROMPT=${PROMPT:-"In one sentence: what is a large language model?"}

echo "== llmhost discover"
$LLMHOST discover --json > discover.json || true
$LLMHOST discover 2>/dev/null | sed 's/^/  /' || true
# The first available server that lists a model.
pick=$(jq -r '[.servers[] | select(.available and (.models | length > 0))][0] | select(.) | "\(.provider) \(.models[0])"' discover.json 2>/dev/null || true)
rm -f discover.json
if [ -n "$pick" ]; then
    provider=${pick%% *}
    model=${pick#* }
    echo "== llmhost chat -p $provider -m $model \"$PROMPT\""
    exec $LLMHOST chat -p "$provider" -m "$model" "$PROMPT"
fi

echo "== No LLM server is reachable here: using the bundled mock server on 127.0.0.1"
portfile=$(mktemp)
./tests/mockllm/mockllm --port 0 --port-file "$portfile" --max-seconds 60 >/dev/null &
mock=$!
trap 'kill $mock 2>/dev/null' EXIT
i=0
while [ ! -s "$portfile" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
port=$(cat "$portfile")
rm -f "$portfile"
echo "== llmhost -s llm.lmstudio.url=http://127.0.0.1:$port chat -p lmstudio -m mock-small \"$PROMPT\""
$LLMHOST -s "llm.lmstudio.url=http://127.0.0.1:$port" chat -p lmstudio -m mock-small "$PROMPT"
echo "== llmhost -s llm.lmstudio.url=http://127.0.0.1:$port models -p lmstudio"
$LLMHOST -s "llm.lmstudio.url=http://127.0.0.1:$port" models -p lmstudio --refresh
