#!/bin/bash
# Webhooks (issue #18) against the real daemon and a test receiver
# (tests/sim/hookrecv.c): campaign events (created, started, stage
# opened, a gate halt with its reason) and a device failure reach the
# endpoint, each signed with HMAC-SHA-256 over "TIMESTAMP.BODY" (checked
# here with openssl, and refused with a wrong secret); a receiver that
# fails the first tries gets them again with backoff, same event id;
# events queued while the receiver is down survive a restart of otad and
# are delivered after it; an event nobody takes goes dead after
# webhook_max_tries, counted in /metrics.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fleet_lib.sh"

cc -std=c11 -D_GNU_SOURCE -O1 -o "$TMP/hookrecv" "$(dirname "$0")/../sim/hookrecv.c" ||
	{ fail "hookrecv builds"; finish; }
SECRET=whsec-0123456789abcdef-e2e
printf '%s\n' "$SECRET" >"$TMP/secret"
chmod 600 "$TMP/secret"
HOOKS=$TMP/hooks
mkdir -p "$HOOKS"
"$TMP/hookrecv" --dir "$HOOKS" --port-file "$TMP/hook.port" --fail 3 &
RECV=$!
for i in $(seq 1 100); do [ -s "$TMP/hook.port" ] && break; sleep 0.05; done
HPORT=$(cat "$TMP/hook.port")
# A second endpoint (B) that takes everything: each event goes to both,
# and A's refusals hold up nothing of B's.
HOOKSB=$TMP/hooksb
mkdir -p "$HOOKSB"
"$TMP/hookrecv" --dir "$HOOKSB" --port-file "$TMP/hookb.port" &
RECVB=$!
for i in $(seq 1 100); do [ -s "$TMP/hookb.port" ] && break; sleep 0.05; done
URLS="http://127.0.0.1:$HPORT/hooks/otad http://127.0.0.1:$(cat "$TMP/hookb.port")/b"
conf() {
	cat >"$TMP/otad.conf" <<CONF
gate_interval = 1
poll_interval = 4
log_requests = false
webhook_url = $URLS
webhook_secret_file = $TMP/secret
webhook_backoff = 1s
webhook_backoff_max = 2s
webhook_max_tries = ${1:-20}
CONF
}
conf
start_otad -c "$TMP/otad.conf" || { fail "otad starts with a webhook"; finish; }
check "otad says where it delivers" grep -q "webhooks: delivering to http://127.0.0.1:$HPORT/hooks/otad" "$OTAD_LOG"
check "... to both endpoints" grep -q "webhooks: delivering to http://127.0.0.1:$(cat "$TMP/hookb.port")/b" "$OTAD_LOG"

# hdr N NAME: header NAME of request N.
hdr() { tr -d '\r' <"$1/$2.head" | awk -v k="$(tr '[:upper:]' '[:lower:]' <<<"$3")" -F': ' 'tolower($1) == k {print $2}'; }
# signed DIR N SECRET: the signature of request N is HMAC(SECRET, TS.BODY).
signed() {
	local ts sig mac
	ts=$(hdr "$1" "$2" X-Otad-Timestamp)
	sig=$(hdr "$1" "$2" X-Otad-Signature)
	mac=$({ printf '%s.' "$ts"; cat "$1/$2.body"; } | openssl dgst -sha256 -hmac "$3" | awk '{print $NF}')
	[ -n "$ts" ] && [ "$sig" = "sha256=$mac" ]
}
count() { ls "$1" | grep -c '\.head$'; }
# wait_hook DIR JQ SECONDS: until a request's body matches JQ.
wait_hook() {
	local i n
	for i in $(seq 1 $(($3 * 5))); do
		for n in $(seq 1 "$(count "$1")"); do
			jq -e "$2" "$1/$n.body" >/dev/null 2>&1 && return 0
		done
		sleep 0.2
	done
	return 1
}
# metric NAME: its value on /metrics.
metric() { curl -s "$URL/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

# ---- a campaign's events and device failures ----
setup_trust || fail "a root"
make_release 1.1.0 2 board-h || fail "release 1.1.0"
provision 2 d board-h 1.0.0 || fail "provision 2"
api POST /v1/campaigns "$ADMIN" -d '{"release":'"$REL_ID"',"stages":[100],
	"gate":{"min_sample":1,"bake_time":0}}'
expect_status "a campaign" 201
C=$(jqb .id)
api POST "/v1/campaigns/$C/start" "$ADMIN"
expect_status "... started" 200
for id in d0000 d0001; do
	tok=$(awk -v d=$id '$1 == d {print $2}' "$TMP/tokens-d")
	device_poll "$id" "$tok"
	device_report "$tok" failed hash
done
expect_status "both devices fail (hash)" 200
wait_campaign "$C" '.state == "halted"' 30
expect "the gate halts the campaign" "$(jqb .state)" halted
check "the halt reaches the endpoint" wait_hook "$HOOKS" '.kind == "halted" and .campaign == '"$C" 60
# delivered DIR KIND: a request after the 3 refused ones has that kind.
delivered() {
	local n
	for n in $(seq 4 "$(count "$1")"); do
		[ "$(jq -r .kind "$1/$n.body")" = "$2" ] && return 0
	done
	return 1
}
# Retries wait out their backoff, so later events may come first.
for i in $(seq 1 150); do
	delivered "$HOOKS" created && delivered "$HOOKS" started &&
		delivered "$HOOKS" stage_opened && break
	sleep 0.2
done
N=$(count "$HOOKS")
echo "# $N requests received"
bad=0
for n in $(seq 1 "$N"); do signed "$HOOKS" "$n" "$SECRET" || bad=$((bad + 1)); done
expect "every request is signed: HMAC-SHA-256 over TIMESTAMP.BODY" "$bad" 0
good=0
for n in $(seq 1 "$N"); do signed "$HOOKS" "$n" "not-the-secret-0123" && good=$((good + 1)); done
expect "... which a wrong secret does not match" "$good" 0
kinds=$(for n in $(seq 4 "$N"); do jq -r .kind "$HOOKS/$n.body"; done | sort -u | tr '\n' ' ')
echo "# delivered kinds: $kinds"
for k in created started stage_opened device_failed halted; do
	check "delivered: $k" grep -qw "$k" <<<"$kinds"
done
check "the halt says why" wait_hook "$HOOKS" '.kind == "halted" and (.detail.reason | length > 0) and .actor == "gate"' 1
check "a device failure names the device, the campaign and the reason" \
	wait_hook "$HOOKS" '.kind == "device_failed" and .device == "d0000" and .campaign == '"$C"' and .reason == "hash" and .state == "failed"' 1
ok_hdr=0
for n in $(seq 1 "$N"); do
	[ "$(hdr "$HOOKS" "$n" X-Otad-Event-Id)" = "$(jq -r .id "$HOOKS/$n.body")" ] &&
	[ "$(hdr "$HOOKS" "$n" X-Otad-Event)" = "$(jq -r .kind "$HOOKS/$n.body")" ] &&
	ok_hdr=$((ok_hdr + 1))
done
expect "X-Otad-Event-Id and X-Otad-Event match the body" "$ok_hdr" "$N"
# The receiver failed requests 1-3 (500): each event came again, later.
retried=0
for n in 1 2 3; do
	id=$(hdr "$HOOKS" "$n" X-Otad-Event-Id)
	t=$(hdr "$HOOKS" "$n" X-Otad-Timestamp)
	for m in $(seq 2 "$N"); do
		[ "$m" -gt "$n" ] && [ "$(hdr "$HOOKS" "$m" X-Otad-Event-Id)" = "$id" ] &&
			[ "$(hdr "$HOOKS" "$m" X-Otad-Timestamp)" -ge $((t + 1)) ] &&
			{ retried=$((retried + 1)); break; }
	done
done
expect "the 3 refused deliveries were retried after a backoff, same id" "$retried" 3
dups=$(for n in $(seq 4 "$N"); do hdr "$HOOKS" "$n" X-Otad-Event-Id; done | sort | uniq -d | wc -l)
expect "no event delivered twice" "$dups" 0
check "metrics: failed attempts counted ($(metric otad_webhook_failed_attempts_total))" \
	test "$(metric otad_webhook_failed_attempts_total)" -ge 3
check "metrics: deliveries counted ($(metric otad_webhook_delivered_total))" \
	test "$(metric otad_webhook_delivered_total)" -ge 5

# B got each event once, signed, with the same ids as A.
kb=$(for n in $(seq 1 "$(count "$HOOKSB")"); do jq -r .kind "$HOOKSB/$n.body"; done | sort -u | tr '\n' ' ')
for k in created started stage_opened device_failed halted; do
	check "endpoint B: $k" grep -qw "$k" <<<"$kb"
done
badb=0
for n in $(seq 1 "$(count "$HOOKSB")"); do signed "$HOOKSB" "$n" "$SECRET" || badb=$((badb + 1)); done
expect "endpoint B: every request signed" "$badb" 0
expect "endpoint B: nothing refused, nothing twice" \
	"$(for n in $(seq 1 "$(count "$HOOKSB")"); do hdr "$HOOKSB" "$n" X-Otad-Event-Id; done | sort | uniq -d | wc -l)" 0
ida=$(for n in $(seq 4 "$N"); do hdr "$HOOKS" "$n" X-Otad-Event-Id; done | sort -u | tr '\n' ' ')
idb=$(for n in $(seq 1 "$(count "$HOOKSB")"); do hdr "$HOOKSB" "$n" X-Otad-Event-Id; done | sort -u | tr '\n' ' ')
expect "both endpoints got the same events" "$idb" "$ida"
kill "$RECVB"; wait "$RECVB" 2>/dev/null
URLS="http://127.0.0.1:$HPORT/hooks/otad"

# ---- the receiver down, otad restarted: nothing lost ----
kill "$RECV"; wait "$RECV" 2>/dev/null
conf
api POST /v1/campaigns "$ADMIN" -d '{"name":"after-restart","release":'"$REL_ID"'}'
expect_status "a draft while the receiver is down" 201
C2=$(jqb .id)
for i in $(seq 1 150); do grep -q "(created): attempt 1 failed (refused" "$OTAD_LOG" && break; sleep 0.2; done
check "its delivery fails (nothing listens)" grep -q "(created): attempt 1 failed (refused" "$OTAD_LOG"
stop_otad
expect "otad stops cleanly with the event undelivered" "$OTAD_RC" 0
HOOKS2=$TMP/hooks2
mkdir -p "$HOOKS2"
"$TMP/hookrecv" --dir "$HOOKS2" --port "$HPORT" &
RECV=$!
start_otad -c "$TMP/otad.conf" || fail "otad starts again"
check "after the restart the queued event is delivered" \
	wait_hook "$HOOKS2" '.kind == "created" and .campaign == '"$C2" 60
n=$(for m in $(seq 1 "$(count "$HOOKS2")"); do jq -r .kind "$HOOKS2/$m.body"; done | grep -c .)
check "... signed ($n requests)" signed "$HOOKS2" 1 "$SECRET"

# ---- a dead letter ----
kill "$RECV"; wait "$RECV" 2>/dev/null
stop_otad
conf 2
start_otad -c "$TMP/otad.conf" || fail "otad with webhook_max_tries 2"
api POST /v1/campaigns "$ADMIN" -d '{"name":"dead","release":'"$REL_ID"'}'
C3=$(jqb .id)
for i in $(seq 1 150); do grep -q "given up after 2 attempts" "$OTAD_LOG" && break; sleep 0.2; done
check "after webhook_max_tries the event is given up, logged" grep -q "(created): given up after 2 attempts" "$OTAD_LOG"
expect "metrics: one dead letter" "$(metric otad_webhook_dead_total)" 1
HOOKS3=$TMP/hooks3
mkdir -p "$HOOKS3"
"$TMP/hookrecv" --dir "$HOOKS3" --port "$HPORT" &
RECV=$!
api POST /v1/campaigns "$ADMIN" -d '{"name":"later","release":'"$REL_ID"'}'
C4=$(jqb .id)
check "a later event is delivered" wait_hook "$HOOKS3" '.kind == "created" and .campaign == '"$C4" 60
check "... the dead one is not sent again" \
	test -z "$(for m in $(seq 1 "$(count "$HOOKS3")"); do jq -r "select(.campaign == $C3) | .id" "$HOOKS3/$m.body"; done)"
kill "$RECV"; wait "$RECV" 2>/dev/null

finish
