#!/bin/bash
# backends: sqlite (backup and restore are of the SQLite file; otad refuses them on PostgreSQL)
# otad backup and restore, the data dir's lock, and offline commands run
# as root on a data dir that belongs to the service user.
. "$(dirname "$0")/../lib.sh"
cd "$TMP" || exit 1
otad() { "$BIN/otad" --data-dir "$DATA" "$@"; }
tokens() { otad token list 2>/dev/null | awk '{print $1}' | sort | tr '\n' ' '; }

start_otad || { fail "otad starts"; finish; }
otad token add --role viewer before >/dev/null 2>&1
out=$(otad backup "$TMP/b1.db" 2>&1)
expect "backup while the daemon runs" "$?" 0
expect "the backup is 0600 (it holds every token hash)" "$(stat -c %a b1.db)" 600
out=$(otad backup "$TMP/b1.db" 2>&1)
expect "a backup over an existing file is refused" "$?" 1
check "saying so" grep -q "exists; refusing to overwrite" <<<"$out"
otad token add --role viewer after >/dev/null 2>&1

out=$(otad restore "$TMP/b1.db" 2>&1)
expect "restore while the daemon runs is refused" "$?" 1
check "naming the running pid and what to do" grep -q "otad (pid $OTAD_PID) is running on .*stop it before a restore" <<<"$out"
expect "and changes nothing" "$(tokens)" "admin after before "
out=$("$BIN/otad" --listen 127.0.0.1:0 --data-dir "$DATA" 2>&1)
expect "a second daemon on the same data dir is refused" "$?" 1
check "naming the first" grep -q "otad (pid $OTAD_PID) is running on .*second daemon" <<<"$out"
api GET /healthz
expect_status "the first one still serves" 200
stop_otad

sum() { sha256sum "$DATA/otad.db" | cut -c1-64; }
refused() { # NAME FILE WANT: exit 1, WANT in the message, nothing changed
	local before after out rc
	before=$(sum)
	out=$(otad restore "$2" 2>&1)
	rc=$?
	after=$(sum)
	if [ "$rc" = 1 ] && grep -q "$3" <<<"$out" && [ "$before" = "$after" ] &&
		! ls "$DATA"/otad.db.restore-tmp "$DATA"/otad.db.before-restore-* >/dev/null 2>&1; then
		ok "$1"
	else
		fail "$1" "rc=$rc out=$out"
	fi
}
echo "not a database" >junk.db
refused "a file that is no database is refused, nothing changes" junk.db "file is not a database; nothing was changed"
refused "a missing file is refused" nosuch.db "nosuch.db"
cp b1.db newer.db
sqlite3 newer.db "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '999_future.sql', 0)" 2>/dev/null ||
	sqlite3 newer.db "INSERT INTO schema_migrations (version, name) VALUES (999, '999_future.sql')"
refused "a backup from a newer otad is refused" newer.db "schema version 999 is newer than this otad knows"
cp b1.db other.db
sqlite3 other.db "UPDATE schema_migrations SET name = '003_other_branch.sql' WHERE version = 3"
refused "a backup from another build's history is refused" other.db "migration 3 was applied as 003_other_branch.sql"
cp b1.db torn.db
pages=$(( $(stat -c %s torn.db) / 4096 ))
dd if=/dev/urandom of=torn.db bs=4096 seek=$((pages / 2)) count=2 conv=notrunc 2>/dev/null
refused "a damaged backup is refused" torn.db "integrity check\|malformed\|not a database"
expect "the damaged backup itself is left as it was" "$(stat -c %s torn.db)" "$(stat -c %s b1.db)"

b1sum=$(sha256sum b1.db | cut -c1-64)
out=$(otad restore "$TMP/b1.db" 2>&1)
expect "restore of a good backup on a stopped daemon" "$?" 0
kept=$(ls "$DATA"/otad.db.before-restore-* 2>/dev/null)
check "names the database it replaced" grep -qF "the database it replaced is $kept" <<<"$out"
expect "the backup file is not changed by a restore" "$(sha256sum b1.db | cut -c1-64)" "$b1sum"
expect "the restored store is the backup's" "$(tokens)" "admin before "
expect "the replaced one is kept whole" \
	"$(sqlite3 "$kept" "SELECT name FROM tokens ORDER BY name" | tr '\n' ' ')" "admin after before "
check "no WAL of the old store is left to be read into the new one" \
	test ! -e "$DATA/otad.db-wal" -a ! -e "$kept-wal"
start_otad || fail "otad starts on the restored store"
api GET /v1/tokens "$ADMIN"
expect "and serves it" "$(jqb '[.tokens[].name] | sort | join(" ")')" "admin before"
stop_otad

# Root on a data dir owned by the service user: it becomes that user, so
# the daemon (run as that user) can read what the command made.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 711 "$TMP"
	chown -R nobody:nogroup "$DATA"
	out=$(otad online-key next 2>&1)
	expect "online-key next as root" "$?" 0
	expect "the next key belongs to the data dir's owner" \
		"$(stat -c %U "$DATA/online-next.key")" nobody
	otad token add --role viewer by-root >/dev/null 2>&1
	otad online-key switch >/dev/null 2>&1
	expect "nothing in the data dir belongs to root after the commands" \
		"$(find "$DATA" ! -user nobody | head -3)" ""
	OTAD_LOG=$TMP/otad.nobody.log
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$BIN/otad" \
		--listen 127.0.0.1:0 --data-dir "$DATA" 2>"$OTAD_LOG" &
	OTAD_PID=$!
	for i in $(seq 1 100); do
		port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$OTAD_LOG" | cut -d: -f2)
		[ -n "$port" ] && break
		sleep 0.05
	done
	URL=http://127.0.0.1:$port
	check "the daemon, as the owner, starts on the switched key" \
		curl -sf "$URL/healthz" -o /dev/null
	expect "and serves it" "$(curl -s "$URL/v1/trust/online-key" | jq -r .keyid)" \
		"$(jq -r .keyid "$DATA/online.pub")"
	stop_otad
else
	ok "# skip: the root cases need root and the user nobody"
fi
finish
