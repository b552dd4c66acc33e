#!/bin/sh
# Builds bench/gatecount.c against the library (make first) and runs it:
# the cost of the gate's counts at MEMBERS members (default 100000).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/rel}
PKGS="libmicrohttpd sqlite3 libpq libsodium jansson libcurl inih libsystemd nettle"	# the Makefile's PKGS
# shellcheck disable=SC2046
cc -std=c11 -O2 -D_GNU_SOURCE -Isrc $(pkg-config --cflags $PKGS) \
	bench/gatecount.c "$BUILD/libota.a" $(pkg-config --libs $PKGS) \
	-lpthread -o "$BUILD/gatecount"
"$BUILD/gatecount" "${MEMBERS:-100000}"
