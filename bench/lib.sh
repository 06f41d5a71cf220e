# shellcheck shell=bash
# lib.sh: shared by the bench scripts (sourced by bash, not run).
#
# Sets: here (bench/), top (source tree), BUILD (build tree: $BUILD, else
# $top_builddir, else ../build next to bench/), OUT (results dir: $OUT, else
# bench/out), and the functions below.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD=${BUILD:-${top_builddir:-$top/build}}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "bench: build tree $BUILD not found" >&2; exit 1; }
OUT=${OUT:-$here/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

die() { echo "${0##*/}: $*" >&2; exit 1; }

need() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
    done
}

# A clean environment under $1: no user config, data or cache, no LLMHOST_*.
clean_env() {
    mkdir -p "$1/config" "$1/data" "$1/cache"
    export XDG_CONFIG_HOME="$1/config" XDG_DATA_HOME="$1/data" XDG_CACHE_HOME="$1/cache"
    local v
    for v in $(env | sed -n 's/^\(LLMHOST_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
    if [ -e /etc/llmhost/llmhost.ini ]; then
        echo "${0##*/}: note: /etc/llmhost/llmhost.ini exists and is read" >&2
    fi
}

# hf_rounds OUT.json ROUNDS RUNS WARMUP NAME CMD [NAME CMD]...
# Runs hyperfine (no shell, -N) ROUNDS times with RUNS runs and WARMUP warm-up
# runs of each command per round, in the given order on even rounds and the
# reverse on odd ones, so that a change of machine load during the run
# weighs on every command alike. Merges the rounds into OUT.json:
# {"rounds","results":[{"command","n","median","mean","min","max","user_mean",
# "system_mean","times"}]} (seconds; user/system are CPU time per run). A command that exits non-zero fails the whole thing.
hf_rounds() {
    local out=$1 rounds=$2 runs=$3 warmup=$4
    shift 4
    local -a names=() cmds=()
    while [ $# -ge 2 ]; do
        names+=("$1")
        cmds+=("$2")
        shift 2
    done
    local dir r i n=${#names[@]}
    dir=$(mktemp -d "${TMPDIR:-/tmp}/llmh-bench-hf.XXXXXX")
    for ((r = 0; r < rounds; r++)); do
        local -a args=()
        for ((i = 0; i < n; i++)); do
            local k=$i
            ((r % 2)) && k=$((n - 1 - i))
            args+=(-n "${names[k]}" "${cmds[k]}")
        done
        if ! hyperfine -N --style none --warmup "$warmup" --runs "$runs" \
            --export-json "$dir/r$r.json" "${args[@]}" >"$dir/r$r.log" 2>&1; then
            cat "$dir/r$r.log" >&2
            rm -rf "$dir"
            return 1
        fi
    done
    jq -s --argjson rounds "$rounds" '
        def median: sort | if length % 2 == 1 then .[length / 2 | floor]
                           else (.[length / 2 - 1] + .[length / 2]) / 2 end;
        {rounds: $rounds,
         results: ([.[].results[]] | group_by(.command)
                   | map((map(.times) | add) as $t
                         | {command: .[0].command, n: ($t | length), median: ($t | median),
                            mean: (($t | add) / ($t | length)), min: ($t | min),
                            max: ($t | max),
                            user_mean: (map(.user * (.times | length)) | add / ($t | length)),
                            system_mean: (map(.system * (.times | length)) | add / ($t | length)),
                            times: $t}))}' "$dir"/r*.json >"$out"
    local rc=$?
    rm -rf "$dir"
    return $rc
}

# hf_median_ms FILE NAME: the merged median of NAME, in milliseconds.
hf_median_ms() {
    jq -r --arg n "$2" '.results[] | select(.command == $n) | .median * 1000' "$1"
}

# hf_cpu_ms FILE NAME: mean user+system CPU time per run of NAME, in ms.
hf_cpu_ms() {
    jq -r --arg n "$2" '.results[] | select(.command == $n) | (.user_mean + .system_mean) * 1000' "$1"
}

# The machine, for the results.
machine_info() {
    echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "nproc:   $(nproc)"
    echo "cpu:     $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
    echo "kernel:  $(uname -sr)"
    echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min)"
    echo "lscpu | head:"
    lscpu | head -n 12 | sed 's/^/  /'
}
