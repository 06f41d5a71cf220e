#!/bin/sh
# deps.sh: install the Debian packages llmhost needs to build and test.
set -e
PKGS="build-essential autoconf automake libtool libltdl-dev pkg-config \
libcurl4-openssl-dev libjson-c-dev libcunit1-dev libevent-dev \
libsqlite3-dev jq curl binutils"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
missing=
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
