#!/bin/bash
# Connection exhaustion: 1,000 slowloris connections from one address
# while normal polls from another keep succeeding; the per-address cap
# and max_connections answer 503 (JSON, Retry-After) at once, with a
# rate-limited log line; a request head has a deadline and a body a
# minimum rate.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fleet_lib.sh"

ulimit -n 20000 2>/dev/null
cc -std=c11 -D_GNU_SOURCE -O1 -o "$TMP/httpc" "$(dirname "$0")/../http/httpc.c" \
	-lpthread || { fail "httpc builds"; finish; }
cat >"$TMP/otad.conf" <<CONF
max_connections = 300
max_connections_per_address = 100
header_timeout = 2s
min_body_rate = 2K
body_rate_window = 2s
log_requests = false
CONF
start_otad -c "$TMP/otad.conf" || { fail "otad starts"; finish; }
PORT=${URL##*:}
setup_trust || fail "trust set up"
provision 1 dev board-a 1.0.0 || fail "provision"
read -r DID DTOK <"$TMP/tokens-dev"

# poll: one device poll from 127.0.0.1; its status, 000 on a timeout.
poll() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
		-H "Authorization: Bearer $DTOK" \
		"$URL/v1/device/update?fw_version=1.0.0&nonce=$(nonce)"
}

# ---- 1,000 slowloris connections from 127.0.0.2 ----
"$TMP/httpc" slowloris "$PORT" 1000 127.0.0.2 12 >"$TMP/loris.out" &
LORIS=$!
ok_polls=0 bad_polls=0 codes=
while kill -0 "$LORIS" 2>/dev/null; do
	code=$(poll)
	case $code in
	204) ok_polls=$((ok_polls + 1)) ;;
	*) bad_polls=$((bad_polls + 1)); codes="$codes $code" ;;
	esac
	# One from the attacker's address: the cap answers it at once.
	if [ -z "${capped:-}" ] && [ "$ok_polls" -ge 3 ]; then
		capped=$(curl -s -D "$TMP/cap.hdr" -o "$TMP/cap.body" -w '%{http_code}' \
			--max-time 5 --interface 127.0.0.2 "$URL/healthz")
	fi
done
wait "$LORIS"
read -r _ connects _ closed _ refused <"$TMP/loris.out"
echo "# slowloris: $connects connects, $closed closed by otad, $refused answered 503; polls: $ok_polls ok, $bad_polls not ($codes)"
check "normal polls ran during the attack ($ok_polls)" test "$ok_polls" -ge 5
expect "every normal poll succeeded" "$bad_polls" 0
check "the slow connections were closed by otad ($closed of $connects)" \
	test "$closed" -ge 900
check "past the per-address cap they were answered 503 ($refused)" \
	test "$refused" -ge 100
expect "a request from the capped address is 503" "${capped:-}" 503
check "... with Retry-After" grep -qi '^retry-after: [0-9]' "$TMP/cap.hdr"
check "... and a JSON error" jq -e '.error.code == "too_many_connections"' "$TMP/cap.body"
n=$(grep -c 'at max_connections_per_address' "$OTAD_LOG")
check "refusals are logged at most once per 10 s ($n lines)" test "$n" -ge 1 -a "$n" -le 3
n=$(grep -c 'without a complete request head' "$OTAD_LOG")
check "head deadlines are logged at most once per 10 s ($n lines)" test "$n" -ge 1 -a "$n" -le 3
expect "polls succeed after the attack" "$(poll)" 204

# ---- max_connections: from many addresses ----
MANY=
for i in 1 2 3 4; do
	"$TMP/httpc" slowloris "$PORT" 100 "127.0.1.$i" 6 >"$TMP/many.$i" &
	MANY="$MANY $!"
done
for i in $(seq 1 50); do
	code=$(curl -s -D "$TMP/max.hdr" -o "$TMP/max.body" -w '%{http_code}' \
		--max-time 5 "$URL/healthz")
	[ "$code" = 503 ] && break
	sleep 0.1
done
expect "at max_connections a new client hears 503 at once" "$code" 503
check "... with Retry-After" grep -qi '^retry-after: [0-9]' "$TMP/max.hdr"
check "... saying why" grep -q 'connection limit' "$TMP/max.body"
wait $MANY
check "... and it is logged" grep -q 'at max_connections (300)' "$OTAD_LOG"
expect "polls succeed once they are gone" "$(poll)" 204

# ---- a body slower than min_body_rate is cut ----
jq -n '[range(400) | {device_id: ("slow" + (. | tostring)), hw_class: "board-a",
	fw_version: "1.0.0"}]' >"$TMP/slow.json"
t0=$(date +%s)
code=$(curl -s -o "$TMP/slow.out" -w '%{http_code}' --max-time 60 --limit-rate 500 \
	-H "Authorization: Bearer $ADMIN" --data-binary @"$TMP/slow.json" "$URL/v1/devices")
took=$(($(date +%s) - t0))
expect "an upload at 500 bytes/s is answered 408" "$code" 408
check "... long before it would have ended ($took s)" test "$took" -lt 20
check "... with a JSON error" jq -e '.error.code == "too_slow"' "$TMP/slow.out"
api GET /v1/devices/slow0 "$ADMIN"
expect "... and nothing of it is stored" "$STATUS" 404
finish
