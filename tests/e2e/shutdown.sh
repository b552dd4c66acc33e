#!/bin/bash
# SIGTERM under load: five times in a row, while 1,000 connections post
# status reports, otad exits 0 within shutdown_timeout; after the restart
# every acknowledged report is stored and no refused one is.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fleet_lib.sh"

DEVICES=1000
# Reports per device and round, at most: the load goes on until otad is
# gone, which takes shutdown_timeout when requests keep coming; each
# round's reports must fit the 100 events of a device's history.
PER_ROUND=90
TIMEOUT=3
cat >"$TMP/otad.conf" <<CONF
log_requests = false
shutdown_timeout = ${TIMEOUT}s
max_connections_per_address = 0
CONF
ulimit -n 20000 2>/dev/null
cc -std=c11 -D_GNU_SOURCE -O1 -o "$TMP/httpc" "$(dirname "$0")/../http/httpc.c" \
	-lpthread || { fail "httpc builds"; finish; }
start_otad -c "$TMP/otad.conf" || { fail "otad starts"; finish; }
setup_trust || { fail "trust set up"; finish; }
make_release 2.0.0 2 board-a || fail "release 2.0.0"
REL_SHA_OFFER=$REL_SHA
provision "$DEVICES" d board-a 1.0.0 || fail "provision $DEVICES"
while read -r id _; do
	printf 'url = "%s/v1/devices/%s/assign"\nheader = "Authorization: Bearer %s"\n' \
		"$URL" "$id" "$ADMIN"
	printf 'data = "{\\"release\\":%s}"\noutput = "/dev/null"\n' "$REL_ID"
	printf 'write-out = "%%{http_code}\\n"\nsilent\nnext\n'
done <"$TMP/tokens-d" >"$TMP/assign.curl"
expect "every device is offered the release" \
	"$(batch_curl "$TMP/assign.curl" | grep -c '^201$')" "$DEVICES"

# stored PREFIX: the details of the stored status reports that start with
# PREFIX, sorted, into $TMP/stored (from every device's history).
stored() {
	rm -f "$TMP"/dev-*.json
	while read -r id _; do
		printf 'url = "%s/v1/devices/%s"\nheader = "Authorization: Bearer %s"\n' \
			"$URL" "$id" "$ADMIN"
		printf 'output = "%s/dev-%s.json"\nsilent\nnext\n' "$TMP" "$id"
	done <"$TMP/tokens-d" >"$TMP/get.curl"
	batch_curl "$TMP/get.curl"
	cat "$TMP"/dev-*.json | jq -r '.history[] | select(.kind == "status") | .detail' \
		| grep "^$1" | sort >"$TMP/stored"
}

# The reports are failures: each one is kept in the history (a repeated
# progress report is not), so each acknowledged one can be found.
for round in 1 2 3 4 5; do
	awk -v r="$round" -v sha="$REL_SHA_OFFER" '{
		printf "r%d-%s %s {\"campaign\":\"direct\",\"release\":\"%s\",\"state\":\"failed\",\"reason\":\"download\",\"detail\":\"@@\"}\n",
		    r, $1, $2, sha }' "$TMP/tokens-d" >"$TMP/load"
	# httpc sends SIGTERM itself once 3,000 reports are answered.
	"$TMP/httpc" load "${URL##*:}" 1000 $PER_ROUND /v1/device/status \
		"$TMP/load" "$OTAD_PID" 3000 >"$TMP/acks" 2>"$TMP/load.err" &
	LOAD_PID=$!
	wait "$OTAD_PID" 2>/dev/null
	OTAD_RC=$?
	t1=$(date +%s%N)
	OTAD_PID=
	wait "$LOAD_PID"
	t0=$(sed -n 's/^# sigterm //p' "$TMP/load.err")
	ms=$(((t1 - ${t0:-$t1}) / 1000000))
	check "round $round: httpc sent SIGTERM mid-load" test -n "$t0"
	expect "round $round: SIGTERM under load exits 0" "$OTAD_RC" 0
	check "round $round: ... within shutdown_timeout (${ms} ms)" \
		test "$ms" -le $((TIMEOUT * 1000 + 2000))
	acked=$(awk '$2 == 200' "$TMP/acks" | wc -l)
	refused=$(awk '$2 == 503' "$TMP/acks" | wc -l)
	other=$(awk '$2 != 200 && $2 != 503 && $2 != 0' "$TMP/acks" | wc -l)
	echo "# round $round: $acked acknowledged, $refused refused, $other other, $ms ms"
	check "round $round: some reports were acknowledged" test "$acked" -gt 0
	expect "round $round: no answer but 200, 503 or none" "$other" 0
	grep -q "MHD_stop_daemon\|suspended connections" "$OTAD_LOG" &&
		fail "round $round: no libmicrohttpd panic" "$(tail -3 "$OTAD_LOG")"

	start_otad -c "$TMP/otad.conf" || { fail "otad restarts"; finish; }
	stored "r$round-"
	awk '$2 == 200 { print $1 }' "$TMP/acks" | sort >"$TMP/acked"
	awk '$2 == 503 { print $1 }' "$TMP/acks" | sort >"$TMP/refused"
	expect "round $round: every acknowledged report is stored" \
		"$(comm -23 "$TMP/acked" "$TMP/stored" | wc -l)" 0
	expect "round $round: no refused report is stored" \
		"$(comm -12 "$TMP/refused" "$TMP/stored" | wc -l)" 0
done

stop_otad
expect "the last SIGTERM (idle) exits 0" "$OTAD_RC" 0
finish
