#!/bin/sh
# quickstart.sh: install dependencies, build into ./_build, show what llmhost finds.
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
echo "== llmhost plugins"
$LLMHOST plugins
echo "== llmhost providers"
$LLMHOST providers
