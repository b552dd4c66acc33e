#!/bin/bash
# backends: sqlite (disk faults under the SQLite file itself)
# Honest health under real store faults, on a loop-mounted ext4 data dir
# (needs root; skipped otherwise): a database that cannot be written
# (chattr +i) makes /healthz 503 and counts commit failures, and it
# recovers by itself; a full disk logs each distinct error once per
# interval; a frozen disk (fsfreeze) stalls the writer: /healthz 503, the
# systemd watchdog no longer pinged; and SIGTERM while the writer waits
# for a lock refuses the queued writes and commits the one in hand.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fleet_lib.sh"

DISK=$TMP/disk
if [ "$(id -u)" != 0 ] || ! command -v fsfreeze >/dev/null || ! mkdir -p "$DISK" ||
	! truncate -s 128M "$TMP/disk.img" || ! mkfs.ext4 -q -F "$TMP/disk.img" ||
	! mount -o loop "$TMP/disk.img" "$DISK" 2>/dev/null; then
	ok "store faults: skipped (needs root for a loop mount and fsfreeze)"
	finish
fi
trap 'fsfreeze -u "$DISK" 2>/dev/null; chattr -i "$DISK"/data/otad.db* 2>/dev/null
	kill $NOTIFY_PID 2>/dev/null; [ -n "$OTAD_PID" ] && kill -9 "$OTAD_PID" 2>/dev/null
	wait; umount "$DISK"; _cleanup' EXIT
cc -std=c11 -D_GNU_SOURCE -O1 -o "$TMP/httpc" "$(dirname "$0")/../http/httpc.c" \
	-lpthread || { fail "httpc builds"; finish; }
"$TMP/httpc" notify "$TMP/notify.sock" "$TMP/notify.log" &
NOTIFY_PID=$!
cat >"$TMP/otad.conf" <<CONF
writer_stall_timeout = 2s
shutdown_timeout = 4s
seen_flush_interval = 1
log_requests = false
CONF
export NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=1000000
DATA=$DISK/data
start_otad -c "$TMP/otad.conf" || { fail "otad starts"; finish; }
unset NOTIFY_SOCKET WATCHDOG_USEC
setup_trust || fail "trust set up"
make_release 2.0.0 2 board-a || fail "release"
REL_SHA_OFFER=$REL_SHA
provision 200 d board-a 1.0.0 || fail "provision"
while read -r id _; do
	api POST "/v1/devices/$id/assign" "$ADMIN" -d "{\"release\":$REL_ID}"
done <"$TMP/tokens-d"
read -r DID DTOK <"$TMP/tokens-d"

# report N: one status report of device d0000 with detail N; sets STATUS.
report() {
	api POST /v1/device/status "$DTOK" -d "{\"campaign\":\"direct\",\"release\":\"$REL_SHA_OFFER\",\"state\":\"failed\",\"reason\":\"download\",\"detail\":\"$1\"}"
}
# health: sets STATUS and BODY from /healthz.
health() { api GET /healthz "" --max-time 5; }
# wait_health CODE: waits up to 20 s for /healthz to answer CODE.
wait_health() {
	local i
	for i in $(seq 1 100); do
		health
		[ "$STATUS" = "$1" ] && return 0
		sleep 0.2
	done
	return 1
}
# wait_grep PATTERN FILE: waits up to 10 s for PATTERN in FILE.
wait_grep() {
	local i
	for i in $(seq 1 100); do
		grep -q "$1" "$2" && return 0
		sleep 0.1
	done
	return 1
}
metric() { curl -s --max-time 5 "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

report ok-1
expect "a report is stored" "$STATUS" 200
health
expect "/healthz is 200 while the store commits" "$STATUS" 200
check "the watchdog is pinged" grep -q '^WATCHDOG=1$' "$TMP/notify.log"

# ---- a database that cannot be written ----
chattr +i "$DATA"/otad.db "$DATA"/otad.db-wal
report ro-1
expect "a report on a read-only store is 503" "$STATUS" 503
check "... store_unavailable" test "$(jqb .error.code)" = store_unavailable
health
expect "/healthz is 503 when the store cannot commit" "$STATUS" 503
check "... naming the cause" grep -q 'cannot commit' <<<"$(jqb .cause)"
n=$(metric otad_db_commit_failures_total)
check "otad_db_commit_failures_total counts (${n:-none})" test "${n:-0}" -ge 1
check "the watchdog is still pinged (the writer is alive)" \
	test "$(tail -3 "$TMP/notify.log" | grep -c '^WATCHDOG=1$')" -ge 1
chattr -i "$DATA"/otad.db "$DATA"/otad.db-wal
check "the store recovers by itself: /healthz 200 again" wait_health 200
report ok-2
expect "... and reports are stored again" "$STATUS" 200
check "both changes are logged" wait_grep 'healthy again' "$OTAD_LOG"

# A failure shorter than the once-a-second look at the store is logged too
# (it was missed when no look fell inside it).
l0=$(wc -l <"$OTAD_LOG")
chattr +i "$DATA"/otad.db "$DATA"/otad.db-wal
report ro-2
expect "a short failure: a report is 503" "$STATUS" 503
chattr -i "$DATA"/otad.db "$DATA"/otad.db-wal
report ok-3
expect "... the next one is stored" "$STATUS" 200
short_logged() {
	local i
	for i in $(seq 1 100); do
		tail -n +$((l0 + 1)) "$OTAD_LOG" | grep -q 'unhealthy.*cannot commit' &&
			tail -n +$((l0 + 1)) "$OTAD_LOG" | grep -q 'healthy again' &&
			return 0
		sleep 0.1
	done
	return 1
}
check "... and both changes are logged" short_logged

# ---- a full disk: one line per distinct error per interval ----
# No room may be left inside the WAL either: after a checkpoint SQLite
# reuses the file from its start, so commits would go on into it on a
# full disk, as many as fit (how many depends on how much was written
# before: whether a checkpoint has run).
sqlite3 -cmd ".timeout 10000" "$DATA/otad.db" "PRAGMA wal_checkpoint(TRUNCATE);" \
	>/dev/null || fail "the WAL is checkpointed and truncated"
dd if=/dev/zero of="$DISK/fill" bs=1M 2>/dev/null
sync
awk -v sha="$REL_SHA_OFFER" '{
	printf "full-%s %s {\"campaign\":\"direct\",\"release\":\"%s\",\"state\":\"failed\",\"reason\":\"download\",\"detail\":\"@@ %s\"}\n",
	    $1, $2, sha, sprintf("%0200d", 0) }' "$TMP/tokens-d" >"$TMP/load"
before=$(grep -c 'sqlite:' "$OTAD_LOG")
"$TMP/httpc" load "${URL##*:}" 50 20 /v1/device/status "$TMP/load" >"$TMP/acks"
failed=$(awk '$2 == 503' "$TMP/acks" | wc -l)
lines=$(($(grep -c 'sqlite:' "$OTAD_LOG") - before))
echo "# full disk: $failed of $(wc -l <"$TMP/acks") reports refused, $lines sqlite lines logged"
check "on a full disk reports are refused ($failed)" test "$failed" -ge 1000
check "... with a few log lines, not one per failure ($lines)" test "$lines" -le 12
health
expect "... and /healthz says so" "$STATUS" 503
rm -f "$DISK/fill"
check "the disk has room: /healthz 200 again" wait_health 200

# ---- a frozen disk: the writer stalls ----
fsfreeze -f "$DISK"
report frozen-1 &
HELD=$!
check "a stalled writer makes /healthz 503" wait_health 503
check "... naming the cause" grep -q 'no progress' <<<"$(jqb .cause)"
check "... and otad tells systemd" wait_grep '^STATUS=the database writer has made no progress' \
	"$TMP/notify.log"
n0=$(wc -l <"$TMP/notify.log")
sleep 2	# four ping intervals: none may come while stalled
after=$(tail -n +$((n0 + 1)) "$TMP/notify.log" | grep -c '^WATCHDOG=1$')
expect "... and the watchdog is no longer pinged" "$after" 0

fsfreeze -u "$DISK"
wait "$HELD"
check "the disk thaws: /healthz 200 again" wait_health 200

# ---- SIGTERM while the writer waits: queued writes are refused ----
# Another process holds the write lock: the writer's batch waits for it
# (up to SQLite's busy timeout), later reports queue behind; past the
# deadline the queued ones are refused, the one in hand commits.
mkfifo "$TMP/sql.fifo"
sqlite3 -cmd ".timeout 10000" "$DATA/otad.db" <"$TMP/sql.fifo" >"$TMP/sql.out" 2>&1 &
SQL_PID=$!
exec 9>"$TMP/sql.fifo"
echo "BEGIN EXCLUSIVE; SELECT 'locked';" >&9
for i in $(seq 1 100); do grep -q locked "$TMP/sql.out" && break; sleep 0.05; done
check "another process holds the write lock" grep -q locked "$TMP/sql.out"
{ report held-1; echo "$STATUS" >"$TMP/held.status"; } &
HELD=$!
for i in $(seq 1 100); do
	[ "$(metric otad_http_in_flight)" -ge 2 ] && break	# the report and this call
	sleep 0.05
done
head -50 "$TMP/tokens-d" | tail -49 | awk -v sha="$REL_SHA_OFFER" '{
	printf "queued-%s %s {\"campaign\":\"direct\",\"release\":\"%s\",\"state\":\"failed\",\"reason\":\"download\",\"detail\":\"@@\"}\n",
	    $1, $2, sha }' >"$TMP/load"
"$TMP/httpc" load "${URL##*:}" 49 1 /v1/device/status "$TMP/load" >"$TMP/acks" &
LOAD=$!
for i in $(seq 1 100); do
	q=$(metric otad_db_write_queue)
	[ "${q:-0}" -ge 49 ] && break
	sleep 0.1
done
check "reports queue behind the waiting writer (${q:-0})" test "${q:-0}" -ge 49
t0=$(date +%s%N)
kill -TERM "$OTAD_PID"
for i in $(seq 1 100); do grep -q 'refusing what' "$OTAD_LOG" && break; sleep 0.1; done
echo "COMMIT;" >&9
exec 9>&-
wait "$OTAD_PID"
OTAD_RC=$?
ms=$((($(date +%s%N) - t0) / 1000000))
OTAD_PID=
wait "$LOAD" "$HELD" "$SQL_PID"
expect "SIGTERM with a waiting writer exits 0" "$OTAD_RC" 0
check "... within shutdown_timeout (${ms} ms)" test "$ms" -le 6000
expect "... the queued reports were refused with 503" \
	"$(awk '$2 == 503' "$TMP/acks" | wc -l)" 49
start_otad -c "$TMP/otad.conf" || { fail "otad restarts"; finish; }
api GET "/v1/devices/$DID" "$ADMIN"
# The batch in hand is held-1 or a periodic job (last-seen flush) that
# reached the writer first; either way held-1's answer must be the truth.
held=$(cat "$TMP/held.status")
n=$(jq '[.history[] | select(.detail == "held-1")] | length' <<<"$BODY")
case $held in
200) expect "the report in hand (200) was committed" "$n" 1 ;;
503) expect "the report refused with 503 was not stored" "$n" 0 ;;
*) fail "the waiting report is answered 200 or 503" "$held" ;;
esac
stored=0
while read -r id _; do
	api GET "/v1/devices/$id" "$ADMIN"
	stored=$((stored + $(jqb '[.history[] | select(.detail // "" | startswith("queued-"))] | length')))
done < <(head -50 "$TMP/tokens-d" | tail -49)
expect "no refused report was stored" "$stored" 0
stop_otad
finish
