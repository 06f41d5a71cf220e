#!/bin/bash
# out_of_tree.sh: `make install` into a staging directory, then build the
# example plugin with nothing but pkg-config and the installed SDK, install
# it into the SDK's plugindir, and check the installed binary loads it (and
# its own installed plugins, not the build tree's).
. "$(dirname "$0")/lib.sh"

DEST="$TMP/dest"
if ! make -s -C "$top_builddir" install DESTDIR="$DEST" >"$TMP/install.log" 2>&1; then
    cat "$TMP/install.log"
    not_ok "make install into a staging dir"
    finish
fi
ok "make install into a staging dir"
PC="$top_builddir/llmhost.pc"
libdir=$(pkg-config --variable=libdir "$PC")
bindir=$(pkg-config --variable=bindir "$PC")
includedir=$(pkg-config --variable=includedir "$PC")
export PKG_CONFIG_PATH="$DEST$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$DEST"
plugindir=$(pkg-config --variable=plugindir llmhost-sdk)
plugindir=${plugindir#"$DEST"} # pkgconf may already prefix the sysroot

for f in "$bindir/llmhost" "$libdir/libllmhost.so" "$includedir/llmhost/plugin.h" \
    "$includedir/llmhost/types.h" "$includedir/llmhost/llmhost.h" \
    "$libdir/pkgconfig/llmhost.pc" "$libdir/pkgconfig/llmhost-sdk.pc" "$plugindir/openai_endpoint.so"; do
    check "installed $f" test -e "$DEST$f"
done
check "no libtool .la files among installed plugins" test -z "$(ls "$DEST$plugindir"/*.la 2>/dev/null)"
check "libllmhost.so is versioned" test -n "$(ls "$DEST$libdir"/libllmhost.so.1* 2>/dev/null)"
check "man page installed" test -n "$(find "$DEST" -name llmhost.1 | head -1)"
check "sample config installed" test -n "$(find "$DEST" -name llmhost.ini | head -1)"
check "the SDK's Cflags point at the installed headers" \
    test "$(echo $(pkg-config --cflags llmhost-sdk))" = "-I$DEST$includedir"
check "the SDK links nothing" test -z "$(echo $(pkg-config --libs llmhost-sdk))"

# Build the example plugin out of tree, with only pkg-config.
mkdir -p "$TMP/hello"
cp "$top_srcdir/examples/plugin-hello/hello.c" "$top_srcdir/examples/plugin-hello/Makefile" "$TMP/hello/"
if make -s -C "$TMP/hello" CFLAGS="-O2 -Wall -Wextra -Werror" >"$TMP/hello.log" 2>&1; then
    ok "example plugin builds with pkg-config --cflags llmhost-sdk"
else
    not_ok "example plugin builds with pkg-config --cflags llmhost-sdk" "$(cat "$TMP/hello.log")"
fi
exported=$(nm -D --defined-only "$TMP/hello/hello.so" | awk '{print $3}' | grep -v '^_' | tr '\n' ' ')
check "the plugin exports exactly one symbol (got: $exported)" test "$exported" = "llmh_plugin "
make -s -C "$TMP/hello" install DESTDIR="$DEST" PLUGINDIR="$plugindir" >/dev/null
check "example plugin installed into the SDK's plugindir" test -f "$DEST$plugindir/hello.so"

run "$DEST$bindir/llmhost" plugins --json
expect_rc "installed llmhost plugins --json exits 0" 0
expect_jq "the out-of-tree plugin is loaded" \
    '.plugins[] | select(.name=="hello") | .status=="loaded" and .providers==["hello"]'
expect_jq "the installed binary uses the installed plugins, not the build tree's" \
    "[.plugins[] | select(.name==\"openai_endpoint\")][0].path | startswith(\"$DEST\")"

# Bundled plugins link nothing but libc.
for so in "$DEST$plugindir"/*.so; do
    libs=$(objdump -p "$so" | awk '/NEEDED/ {print $2}' | grep -v -E '^(libc\.so|ld-linux|libasan|libubsan|libm\.so|libgcc_s|libstdc\+\+)' | tr '\n' ' ')
    check "$(basename "$so") needs no library but libc (extra: $libs)" test -z "$libs"
done

# The embedding library works from the installed pkg-config file.
cat > "$TMP/emb.c" <<'C'
#include <llmhost/llmhost.h>
#include <stdio.h>
int main(void) { printf("%s %s\n", llmh_version(), llmh_strerror(LLMH_E_AUTH)); return 0; }
C
if cc ${SAN_CFLAGS:-} -o "$TMP/emb" "$TMP/emb.c" $(pkg-config --cflags --libs llmhost) 2>"$TMP/emb.log"; then
    run env LD_LIBRARY_PATH="$DEST$libdir" "$TMP/emb"
    expect_in "a program links libllmhost via llmhost.pc" "$OUT" "authentication failed"
else
    not_ok "a program links libllmhost via llmhost.pc" "$(cat "$TMP/emb.log")"
fi
exports=$(nm -D --defined-only "$DEST$libdir/libllmhost.so" | awk '$2=="T" {print $3}' | grep -v '^llmh_' | tr '\n' ' ')
check "libllmhost exports only llmh_ symbols (others: $exports)" test -z "$exports"
finish
