# lib.sh: helpers for the integration tests (sourced). Each test script
# counts its checks, prints "N passed, N failed" and exits non-zero on any
# failure. Only 127.0.0.1 is ever contacted.
set -u
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${LLMHOST:=$top_builddir/host/cli/llmhost}"
: "${FIXTURE_DIR:=$top_builddir/tests/plugins/.libs}"
: "${MOCKLLM:=$top_builddir/tests/mockllm/mockllm}"

PASSED=0
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/llmh-it.XXXXXX")
# Keep the user's own config, plugins and cache out of every test.
export XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data" XDG_CACHE_HOME="$TMP/cache"
export HOME="$TMP/home"
mkdir -p "$HOME"
unset LLMHOST_PLUGIN_PATH OPENAI_API_KEY ANTHROPIC_API_KEY OLLAMA_HOST OPENROUTER_API_KEY \
    GEMINI_API_KEY XAI_API_KEY DEEPSEEK_API_KEY 2>/dev/null || true

MOCK_PIDS=""
cleanup() {
    for p in $MOCK_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT

ok() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && echo "#   $2"; }

# check NAME CMD...: passes when CMD succeeds.
check() {
    local name=$1; shift
    if "$@"; then ok "$name"; else not_ok "$name" "command failed: $*"; fi
}

# run CMD...: captures stdout in $OUT, stderr in $ERR, exit code in $RC.
run() {
    "$@" >"$TMP/out" 2>"$TMP/err"
    RC=$?
    OUT=$(cat "$TMP/out")
    ERR=$(cat "$TMP/err")
}

# expect_rc NAME WANT: the last run's exit code.
expect_rc() {
    if [ "$RC" = "$2" ]; then ok "$1"; else not_ok "$1" "exit $RC, expected $2; stderr: $ERR"; fi
}

# expect_jq NAME FILTER: the last run's stdout satisfies the jq filter (-e).
expect_jq() {
    if printf '%s' "$OUT" | jq -e "$2" >/dev/null 2>&1; then ok "$1"
    else not_ok "$1" "jq '$2' false on: $(printf '%s' "$OUT" | head -c 600)"; fi
}

contains() { case "$1" in *"$2"*) return 0 ;; *) return 1 ;; esac; }
expect_in() { if contains "$2" "$3"; then ok "$1"; else not_ok "$1" "\"$3\" not in: $(printf '%s' "$2" | head -c 600)"; fi; }
expect_not_in() { if contains "$2" "$3"; then not_ok "$1" "\"$3\" found in output"; else ok "$1"; fi; }

# start_mock [ARGS...]: starts the mock server on an ephemeral port; sets MOCK_PORT, MOCK_URL.
start_mock() {
    local pf="$TMP/mock.port.$$.$RANDOM"
    "$MOCKLLM" --port 0 --port-file "$pf" --max-seconds 600 "$@" >/dev/null 2>"$TMP/mock.err" &
    local pid=$!
    MOCK_PIDS="$MOCK_PIDS $pid"
    MOCK_PID=$pid
    for _ in $(seq 1 200); do
        [ -s "$pf" ] && break
        sleep 0.05
    done
    MOCK_PORT=$(cat "$pf" 2>/dev/null)
    [ -n "$MOCK_PORT" ] || { echo "mock did not start: $(cat "$TMP/mock.err")"; exit 99; }
    MOCK_URL="http://127.0.0.1:$MOCK_PORT"
}

stop_mock() {
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# Point every local provider at a port where nothing listens (a mock that
# was started and stopped), so no test ever probes a real server on the
# usual ports. Scripts override these with -s where they need a server.
dead_port() {
    start_mock
    local port=$MOCK_PORT
    stop_mock "$MOCK_PID"
    echo "$port"
}
DEAD_PORT=$(dead_port)
DEAD_URL="http://127.0.0.1:$DEAD_PORT"
export LLMHOST_LLM_OLLAMA_URL="$DEAD_URL" LLMHOST_LLM_LMSTUDIO_URL="$DEAD_URL/v1" \
    LLMHOST_LLM_LLAMACPP_URL="$DEAD_URL/v1" LLMHOST_LLM_VLLM_URL="$DEAD_URL/v1"

finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
    exit $?
}

command -v jq >/dev/null || { echo "jq is required (apt-get install jq)"; exit 99; }
