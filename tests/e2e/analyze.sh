#!/bin/bash
# builds: rel (static analysis does not depend on the build)
# backends: sqlite (no store: static analysis)
# clang's static analyser over our own modules (the daemon's, src/sign,
# otactl and the device simulator): every finding is a failure, one check
# per file. It found the read of an uninitialised state in health reports.
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.." || exit 1

flags="$(pkg-config --cflags libmicrohttpd sqlite3 libpq libsodium jansson inih \
	libsystemd libcurl) -Idevice-sim"
if ! command -v clang >/dev/null; then
	fail "clang is installed (scripts/install-deps)"
	finish
fi
files=(src/http/*.c src/api/*.c src/core/*.c src/db/*.c src/rollout/*.c
	src/util/*.c src/sign/*.c src/otactl/*.c device-sim/*.c)
# Two at a time: the machine runs other tests too.
# shellcheck disable=SC2086
printf '%s\n' "${files[@]}" |
	xargs -P 2 -I{} sh -c 'clang --analyze -D_GNU_SOURCE -Isrc '"$flags"' \
		-o /dev/null {} >"$0/$(echo {} | tr / _).log" 2>&1' "$TMP"
for f in "${files[@]}"; do
	log=$TMP/$(echo "$f" | tr / _).log
	if grep -q -E 'warning:|error:' "$log"; then
		fail "analyser: $f" "$(grep -E 'warning:|error:' "$log" | head -3)"
	else
		ok "analyser: $f"
	fi
done
finish
