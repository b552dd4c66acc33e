#!/bin/bash
# builds: rel (the source rules do not depend on the build)
# backends: sqlite (no store: the source rules)
# scripts/checksrc: the tree passes, and each kind of violation planted in a
# copy of it is reported with its file, line and rule (and fails the run).
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.." || exit 1

out=$(scripts/checksrc 2>&1)
check "the tree keeps the include table, adapters and banned list" \
	[ $? -eq 0 -a -z "$out" ]

# plant FILE TEXT WANT: a copy of the tree with TEXT appended to FILE must
# fail, naming FILE at the appended line with WANT.
plant() {
	local file=$1 text=$2 want=$3 copy=$TMP/tree line got rc
	rm -rf "$copy"
	mkdir -p "$copy"
	cp -r src device-sim "$copy/"
	line=$(($(wc -l <"$copy/$file") + 1))
	printf '%s\n' "$text" >>"$copy/$file"
	got=$(scripts/checksrc "$copy" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && grep -qF "$file:$line: $want" <<<"$got"; then
		ok "checksrc refuses: $file $text"
	else
		fail "checksrc refuses: $file $text" "exit $rc: $got"
	fi
}
plant src/core/poll.c '#include "api/api.h"' "core may not include api/"
plant src/core/gate.c '#include "http/http.h"' "core may not include http/"
plant src/db/db.c '#include "core/core.h"' "db may not include core/"
plant src/rollout/poll.c '#include "db/db.h"' "rollout may not include db/"
plant src/http/range.c '#include "api/api.h"' "http may not include api/"
plant src/api/h_basic.c '#include <sqlite3.h>' "<sqlite3.h> belongs in src/db/conn.c"
# SQLite's API only in the statement layer (conn.c) and the writer (db.c):
# the domain files of src/db, and everything else, go through
# db/internal.h.
plant src/db/campaigns.c '#include <sqlite3.h>' "<sqlite3.h> belongs in src/db/conn.c"
plant src/db/devices.c '#include "db/sqlite.h"' "db/sqlite.h belongs in src/db/conn.c"
plant src/db/audit.c 'static int t_n(sqlite3_stmt *st) { return sqlite3_column_int(st, 0); }' \
	"sqlite3_stmt: SQLite's API belongs in"
plant src/db/tokens.c 'static int t_c(void) { return SQLITE_CONSTRAINT; }' \
	"SQLITE_CONSTRAINT: SQLite's API belongs in"
plant src/core/poll.c 'static void t_r(void *st) { sqlite3_reset(st); }' \
	"sqlite3_reset: SQLite's API belongs in"
plant src/core/trust.c '#include <sodium.h>' "<sodium.h> belongs in src/sign/"
plant src/api/router.c '#include <microhttpd.h>' "<microhttpd.h> belongs in"
plant device-sim/agent.c '#include <curl/curl.h>' "<curl/curl.h> belongs in"
for f in strcpy sprintf vsprintf atoi atol strtok sscanf alloca gets strcat; do
	plant src/util/util.c "void t_$f(void) { $f(0); }" "$f is banned"
done
# Banned names in comments and strings are words, not calls.
copy=$TMP/tree
rm -rf "$copy"; mkdir -p "$copy"; cp -r src device-sim "$copy/"
printf '/* atoi( sprintf */\nconst char *t_s = "strcpy(x)";\n' \
	>>"$copy/src/util/util.c"
printf '/* sqlite3_step( */\nstatic const char t_q[] = "SQLITE_ROW";\n' \
	>>"$copy/src/db/audit.c"
out=$(scripts/checksrc "$copy" 2>&1)
check "comments and strings may name a banned function or SQLite's API" \
	[ $? -eq 0 -a -z "$out" ]
finish
