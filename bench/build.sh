#!/bin/sh
# build.sh: compile bench/stream_decode.c against the host's internal objects
# (the libllmhost_core convenience archive of an existing build tree).
# Usage: bench/build.sh            -> $OUT/stream_decode
# Env:   BUILD  build tree (default $top_builddir, else ../build next to bench/)
#        OUT    output dir (default bench/out)
#        CC, CFLAGS (default -O2 -g)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD=${BUILD:-${top_builddir:-$top/build}}
BUILD=$(cd "$BUILD" && pwd)
OUT=${OUT:-$here/out}
CC=${CC:-cc}
CFLAGS=${CFLAGS:-"-O2 -g"}

core=$BUILD/.libs/libllmhost_core.a
if [ ! -f "$core" ]; then
    echo "build.sh: $core not found; run make in $BUILD first" >&2
    exit 1
fi
mkdir -p "$OUT"
# shellcheck disable=SC2046,SC2086
$CC -std=gnu11 $CFLAGS -D_GNU_SOURCE -Wall -Wextra \
    -I"$top/sdk" -I"$top/host/lib" -I"$BUILD" \
    $(pkg-config --cflags libcurl json-c) \
    -o "$OUT/stream_decode" "$here/stream_decode.c" "$core" \
    $(pkg-config --libs libcurl json-c) -lltdl -lm -lpthread
echo "$OUT/stream_decode"
# stream_native: the ollama and anthropic plugins' decoders (loaded from $BUILD/plugins/.libs)
# shellcheck disable=SC2046,SC2086
$CC -std=gnu11 $CFLAGS -D_GNU_SOURCE -Wall -Wextra -I"$top/sdk" -I"$top/host/lib" -I"$BUILD" -DPLUGIN_DIR="\"$BUILD/plugins/.libs\"" $(pkg-config --cflags libcurl json-c) -o "$OUT/stream_native" "$here/stream_native.c" "$core" $(pkg-config --libs libcurl json-c) -lltdl -lm -lpthread && echo "$OUT/stream_native"
# cache_bench: hit latency of the response cache's two tiers
$CC -std=gnu11 $CFLAGS -D_GNU_SOURCE -Wall -Wextra -I"$top/sdk" -I"$top/host/lib" -I"$BUILD" $(pkg-config --cflags libcurl json-c sqlite3) -o "$OUT/cache_bench" "$here/cache_bench.c" "$core" $(pkg-config --libs libcurl json-c sqlite3) -lltdl -lm -lpthread && echo "$OUT/cache_bench"
