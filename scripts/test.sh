#!/bin/sh
# test.sh: build from scratch in ./_build and run the whole test suite.
# Exits non-zero when any test fails; the last line sums all suites.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh scripts/deps.sh
[ -x configure ] || ./autogen.sh >/dev/null
mkdir -p _build
cd _build
[ -f Makefile ] || ../configure --quiet ${CONFIGURE_FLAGS:-}
make -j"$(nproc)" >/dev/null
status=0
make -j"$(nproc)" check || status=$?
# One closing line for all suites: each test log ends with "N passed, N failed".
cat tests/unit/*.log tests/integration/*.log 2>/dev/null |
    awk '/^[0-9]+ passed, [0-9]+ failed/ {p += $1; f += $3} END {printf "%d passed, %d failed\n", p, f}'
exit $status
