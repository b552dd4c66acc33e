#!/bin/bash
# Rollout controls (issue #18) against the real daemon: a scheduled start
# that the gate makes at its time, with the manual start's checks (a
# release revoked meanwhile is refused, saying why); stage pacing
# (min_stage_time) holding a stage that passed; and the concurrency cap
# (a campaign's gate.max_in_flight, the server's max_in_flight) over
# otasim fleets, for native and DDI devices: never more in flight than
# the cap, a shorter poll hint for the devices held back, re-offers never
# held back; and the retry policy: a device on faulty hardware retried
# after its backoff, then times the factor, and no more after count.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fleet_lib.sh"
. "$(dirname "$0")/../sim_lib.sh"

cat >"$TMP/otad.conf" <<CONF
gate_interval = 1
poll_interval = 4
seen_flush_interval = 1
max_in_flight = 3
log_requests = false
CONF
sim_world -c "$TMP/otad.conf" || { fail "a server with a root"; finish; }

# fleet N PREFIX HW OUT [flags...]: the devices poll as the server's
# Retry-After says (no --poll-interval).
fleet() { sim_fleet "$@"; }
# in_flight ID: the campaign's members offered, downloading or installed.
in_flight() {
	campaign_field "$1" '.counts[-1] | .offered + .downloading + .installed'
}
# watch_cap ID PID: the most in flight seen while process PID runs; MAX.
watch_cap() {
	local n
	MAX=0
	while kill -0 "$2" 2>/dev/null; do
		n=$(in_flight "$1")
		[ "$n" -gt "$MAX" ] && MAX=$n
		sleep 0.2
	done
}
event_at() {
	api GET "/v1/campaigns/$1/events" "$ADMIN"
	jqb "[.events[] | select($2)][0].at"
}
epoch() { date -u -d "$1" +%s; }

# ---- 1. a scheduled start, and pacing ----
sim_release paced 1.1.0 ok 2 board-a 64K || fail "release 1.1.0"
fleet 20 a board-a provision --until-idle 2 --duration 60
expect "20 devices provisioned and polling" "$(jq .devices "$W/provision.json")" 20
api POST /v1/campaigns "$ADMIN" -d '{"release":'"$REL_ID"',"stages":[50,100],
	"gate":{"bake_time":0,"min_sample":1,"report_timeout":60,"min_stage_time":"1h"}}'
C=$(jqb .id)
AT=$(($(date +%s) + 3))
api POST "/v1/campaigns/$C/start?start_at=$AT" "$ADMIN"
expect_status "start with a start_at ahead: 200" 200
expect "... it stays a draft, scheduled" "$(jqb '[.state, .start_at] | join(" ")')" \
	"draft $(date -u -d "@$AT" +%Y-%m-%dT%H:%M:%SZ)"
api GET "/v1/campaigns/$C/events" "$ADMIN"
expect "... an event says when" "$(jqb '[.events[] | select(.kind == "scheduled")] | length')" 1
fleet 20 a board-a paced --until-idle 6 --duration 120 --reboot-delay 1 &
FLEET=$!
# The server's max_in_flight (3) holds this campaign, which has no cap.
(watch_cap "$C" "$FLEET"; echo "$MAX" >"$TMP/max-a") &
WATCH=$!
wait_campaign "$C" '.state == "running"' 30
expect "the gate starts it at its time" "$(jqb .state)" running
started=$(event_at "$C" '.kind == "started"')
check "not before start_at ($started)" test "$(epoch "$started")" -ge "$AT"
api GET "/v1/campaigns/$C/events" "$ADMIN"
expect "... as the schedule" "$(jqb '[.events[] | select(.kind == "started")][0].actor')" schedule
wait_campaign "$C" '.verdict.reason | test("passed after .*; waiting: stage open .* of min 1h00m")' 90
expect "a stage that passed waits for min_stage_time" \
	"$(jqb '[.stage.number, .verdict.verdict] | join(" ")')" "1 continue"
echo "# $(jqb .verdict.reason)"
check_jq "... its numbers say how long" '.verdict.numbers.stage_time_left > 3000 and .verdict.numbers.min_stage_time == 3600'
check_jq "... every stage-1 device took it" '.counts[0].healthy == .counts[0].members'
# A human may advance a paced stage: pacing holds the gate, not people.
api POST "/v1/campaigns/$C/advance" "$ADMIN"
expect "an advance by hand opens stage 2" "$(jqb .stage.number)" 2
api POST "/v1/campaigns/$C/abort" "$ADMIN"
wait "$FLEET"
expect "the paced fleet run ends well" "$?" 0
wait "$WATCH"
check "the server's cap: never more than 3 in flight ($(cat "$TMP/max-a"))" \
	test "$(cat "$TMP/max-a")" -le 3

# A schedule whose release is revoked meanwhile is refused when due.
sim_release revoked 1.1.1 ok 2 board-a 64K || fail "release 1.1.1"
api POST /v1/campaigns "$ADMIN" -d '{"release":'"$REL_ID"',"start_at":'"$(($(date +%s) + 10))"'}'
expect_status "a campaign created with a start_at" 201
S=$(jqb .id)
api POST "/v1/releases/$REL_ID/revoke" "$ADMIN"
expect_status "its release is revoked before the start" 200
for i in $(seq 1 150); do
	api GET "/v1/campaigns/$S/events" "$ADMIN"
	[ "$(jqb '.events[-1].kind')" = start_refused ] && break
	sleep 0.2
done
expect "a due start on a revoked release is refused" "$(jqb '.events[-1].kind')" start_refused
expect "... saying why" "$(jqb '.events[-1].detail.code')" invalid_release
api GET "/v1/campaigns/$S" "$ADMIN"
expect "... a draft again, unscheduled" "$(jqb '[.state, .start_at] | tostring')" '["draft",null]'
api POST "/v1/campaigns/$S/start?start_at=soon" "$ADMIN"
expect_status "a bad start_at: 400" 400
api POST "/v1/campaigns/$S/pause?start_at=1" "$ADMIN"
expect_status "start_at on another action: 400" 400

# ---- 2. the concurrency cap over a fleet (native) ----
sim_release capped 1.2.0 ok 3 board-b 64K || fail "release 1.2.0"
fleet 24 b board-b provision-b --until-idle 2 --duration 60
api POST /v1/campaigns "$ADMIN" -d '{"release":'"$REL_ID"',"stages":[100],
	"gate":{"bake_time":0,"min_sample":1,"report_timeout":60,"max_in_flight":2}}'
B=$(jqb .id)
check_jq "the gate shows max_in_flight" '.gate.max_in_flight == 2'
api POST "/v1/campaigns/$B/start" "$ADMIN"
expect_status "the capped campaign starts" 200
fleet 24 b board-b capped --until-idle 4 --duration 200 --reboot-delay 2 &
FLEET=$!
watch_cap "$B" "$FLEET"
wait "$FLEET"
expect "the capped fleet run ends well" "$?" 0
check "never more than 2 in flight (most seen: $MAX)" test "$MAX" -le 2
check "... and some were ($MAX)" test "$MAX" -ge 1
expect "the capped campaign completes" "$(campaign_field "$B" .state)" completed
expect "every capped device runs 1.2.0" "$(jq '.versions["1.2.0"]' "$W/capped.json")" 24

# ---- 3. the hint and re-offers, native and DDI ----
sim_release third 1.3.0 ok 4 board-c 4K || fail "release 1.3.0"
provision 3 c board-c 1.0.0 || fail "provision 3"
T0=$(awk '$1 == "c0000" {print $2}' "$TMP/tokens-c")
T1=$(awk '$1 == "c0001" {print $2}' "$TMP/tokens-c")
T2=$(awk '$1 == "c0002" {print $2}' "$TMP/tokens-c")
api POST /v1/campaigns "$ADMIN" -d '{"release":'"$REL_ID"',"stages":[100],
	"gate":{"max_in_flight":1}}'
X=$(jqb .id)
api POST "/v1/campaigns/$X/start" "$ADMIN"
# hint ID TOKEN: a poll's status and Retry-After, as "STATUS HINT".
hint() {
	STATUS=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' \
		-H "Authorization: Bearer $2" \
		"$URL/v1/device/update?fw_version=1.0.0&nonce=$(nonce)")
	BODY=$(cat "$TMP/body")
	echo "$STATUS $(tr -d '\r' <"$TMP/headers" | awk -F': ' 'tolower($1) == "retry-after" {print $2}')"
}
expect "the first device is offered" "$(hint c0000 "$T0")" "200 "
expect "the next waits, told to come back in a quarter poll_interval" \
	"$(hint c0002 "$T2")" "204 1"
expect "the first is offered again at the cap" "$(hint c0000 "$T0")" "200 "
OFFER_CAMPAIGN=$X
OFFER_RELEASE=$(jq -j -c .release "$TMP/body" | sha256sum | cut -c1-64)
ddi_base() {
	curl -s -H "Authorization: TargetToken $2" "$URL/DEFAULT/controller/v1/$1"
}
BODY=$(ddi_base c0001 "$T1")
check_jq "a DDI device over the cap: no deployment, a sleep of 1 s" \
	'(._links | has("deploymentBase") | not) and .config.polling.sleep == "00:00:01"'
device_report "$T0" confirmed
expect_status "the first confirms: a slot frees" 200
BODY=$(ddi_base c0001 "$T1")
check_jq "the DDI device takes it, back to the usual sleep" \
	'(._links | has("deploymentBase")) and .config.polling.sleep == "00:00:04"'
expect "the third still waits behind the DDI device" "$(hint c0002 "$T2")" "204 1"

# ---- 4. the retry policy: paced retries of a failed device ----
sim_release retried 1.4.0 ok 5 board-d 4K || fail "release 1.4.0"
sim_device r-ok 1 board-d
api POST /v1/devices "$ADMIN" -d '{"device_id":"r-bad","hw_class":"board-d","fw_version":"1.0.0"}'
jqb .token >"$W/r-bad.token"
"$SIM" init --flash "$W/r-bad.img" --slot-size "$SLOT" --device-id r-bad \
	--hw-class board-d --root "$W/root.json" --firmware "$W/factory.bin" \
	--token-file "$W/r-bad.token" --faulty-hw
# One failure of two must not halt: the healthy one carries the stage.
api POST /v1/campaigns "$ADMIN" -d '{"release":'"$REL_ID"',"stages":[100],
	"gate":{"min_sample":1,"min_healthy_pct":0,"bake_time":0,
	"retry":{"count":2,"backoff":"3s","factor":2}}}'
R=$(jqb .id)
check_jq "the gate shows the retry policy" '.gate.retry == {"count":2,"backoff":3,"factor":2.0}'
api POST "/v1/campaigns/$R/start" "$ADMIN"
sim_run r-ok
expect "the good device updates" "$(sim_running r-ok)" "1.4.0 B"
# offers ID: the device's campaign offers, oldest first, as "AT DETAIL".
offers() {
	api GET "/v1/devices/$1" "$ADMIN"
	jqb '[.history[] | select(.kind == "offered")] | reverse | .[] |
		"\(.at) \(.detail // "-")"'
}
for i in $(seq 1 120); do
	sim_run r-bad
	[ "$(offers r-bad | wc -l)" -ge 3 ] && [ "$(sim_history r-bad | tr , '\n' | grep -c rolled_back)" -ge 3 ] && break
	sleep 0.5
done
expect "the faulty device fails three times" \
	"$(sim_history r-bad | tr , '\n' | grep -c rolled_back)" 3
offers r-bad | sed 's/^/# offered /'
expect "... retried twice, each noted with its backoff" \
	"$(offers r-bad | cut -d' ' -f2- | tr '\n' '|')" \
	"-|retry: attempt 2 of 3, 3 s after the failure|retry: attempt 3 of 3, 6 s after the failure|"
# failed_at ID N: when the device's rolled_back report N (from 0) came.
failed_at() {
	api GET "/v1/devices/$1" "$ADMIN"
	epoch "$(jqb "[.history[] | select(.kind == \"status\" and .state == \"rolled_back\")] | reverse | .[$2].at")"
}
offered_at() { epoch "$(offers "$1" | sed -n "$2p" | cut -d' ' -f1)"; }
check "retry 1 not before its backoff (3 s)" \
	test $(($(offered_at r-bad 2) - $(failed_at r-bad 0))) -ge 3
check "retry 2 not before its backoff (6 s)" \
	test $(($(offered_at r-bad 3) - $(failed_at r-bad 1))) -ge 6
sim_run r-bad
expect "spent: no fourth attempt" "$(offers r-bad | wc -l)" 3
expect "the campaign completed on the good device" "$(campaign_field "$R" .state)" completed

finish
