#!/bin/bash
# builds: rel (two minutes of wall clock; the window rules are pure functions whose table tests run in every build)
# Maintenance windows (issue #18) against the real daemon: the specs
# refused with the field named; a window stored with the rule its zone
# resolved to (an IANA name, a fixed offset); a campaign whose one-minute
# window opens at a minute boundary a little ahead: before it, no offer
# and a Retry-After that counts down to the opening (capped by the poll
# interval), the same for a DDI device; inside it, an otasim fleet
# updates and every offer falls inside the window; after it, a device
# mid-update goes on and finishes while one never offered waits. The
# views show the next window, and the events its opening and closing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fleet_lib.sh"
. "$(dirname "$0")/../sim_lib.sh"

cat >"$TMP/otad.conf" <<CONF
gate_interval = 1
poll_interval = 30
seen_flush_interval = 1
log_requests = false
CONF
sim_world -c "$TMP/otad.conf" || { fail "a server with a root"; finish; }
sim_release win 1.1.0 ok 2 board-w 4K || fail "release 1.1.0"
provision 3 c board-w 1.0.0 || fail "provision 3"
T0=$(awk '$1 == "c0000" {print $2}' "$TMP/tokens-c")
T1=$(awk '$1 == "c0001" {print $2}' "$TMP/tokens-c")
T2=$(awk '$1 == "c0002" {print $2}' "$TMP/tokens-c")
sim_fleet 6 f board-w provision-f --until-idle 2 --duration 60
expect "6 otasim devices provisioned" "$(jq .devices "$W/provision-f.json")" 6
epoch() { date -u -d "$1" +%s; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# ---- 1. specs refused, naming the field ----
# refused NAME WINDOW_JSON FIELD_PREFIX
refused() {
	api POST /v1/campaigns "$ADMIN" -d '{"release":'"$REL_ID"',"gate":{"window":'"$2"'}}'
	if [ "$STATUS" = 422 ] && [ "$(jqb .error.code)" = invalid_field ] &&
		[[ "$(jqb .error.message)" == "$3"* ]]; then
		ok "refused: $1"
	else
		fail "refused: $1" "$STATUS $BODY"
	fi
}
refused "no slots" '{"tz":"UTC","slots":[]}' "gate.window.slots:"
refused "no tz" '{"slots":[{"days":["mon"],"start":"01:00","end":"02:00"}]}' "gate.window.tz:"
refused "an unknown zone" '{"tz":"Mars/Olympus","slots":[{"days":["mon"],"start":"01:00","end":"02:00"}]}' "gate.window.tz: must be an IANA"
refused "a path for a zone" '{"tz":"../../etc/passwd","slots":[{"days":["mon"],"start":"01:00","end":"02:00"}]}' "gate.window.tz:"
refused "a zone directory" '{"tz":"Europe","slots":[{"days":["mon"],"start":"01:00","end":"02:00"}]}' "gate.window.tz:"
refused "an empty slot" '{"tz":"UTC","slots":[{"days":["mon"],"start":"01:00","end":"01:00"}]}' "gate.window.slots[0].end: must differ"
refused "no days" '{"tz":"UTC","slots":[{"days":[],"start":"01:00","end":"02:00"}]}' "gate.window.slots[0].days:"
refused "a bad day" '{"tz":"UTC","slots":[{"days":["monday"],"start":"01:00","end":"02:00"}]}' "gate.window.slots[0].days[0]:"
refused "a day twice" '{"tz":"UTC","slots":[{"days":["mon","mon"],"start":"01:00","end":"02:00"}]}' "gate.window.slots[0].days[1]:"
refused "a bad hour" '{"tz":"UTC","slots":[{"days":["mon"],"start":"25:00","end":"02:00"}]}' "gate.window.slots[0].start:"
refused "start 24:00" '{"tz":"UTC","slots":[{"days":["mon"],"start":"24:00","end":"02:00"}]}' "gate.window.slots[0].start:"
refused "an unknown member" '{"tz":"UTC","slots":[{"days":["mon"],"start":"01:00","end":"02:00","hours":3}]}' "gate.window.slots[0]"
refused "not an object" '"nightly"' "gate.window: must be an object"
refused "nine slots" '{"tz":"UTC","slots":['"$(printf '{"days":["mon"],"start":"01:00","end":"02:00"},%.0s' 1 2 3 4 5 6 7 8)"'{"days":["mon"],"start":"01:00","end":"02:00"}]}' "gate.window.slots:"
refused "a fixed offset out of range" '{"tz":"+15:00","slots":[{"days":["mon"],"start":"01:00","end":"02:00"}]}' "gate.window.tz:"

api POST /v1/campaigns "$ADMIN" -d '{"release":'"$REL_ID"',"gate":{"window":
	{"tz":"Europe/Berlin","slots":[{"days":["sat","sun","mon"],"start":"22:00","end":"04:00"}]}}}'
expect_status "an IANA zone: 201" 201
D=$(jqb .id)
check_jq "... stored with its rule, days in week order" \
	'.gate.window == {"tz":"Europe/Berlin","rule":"CET-1CEST,M3.5.0,M10.5.0/3",
	 "slots":[{"days":["mon","sat","sun"],"start":"22:00","end":"04:00"}]}'
check_jq "... the view shows the next window" \
	'.window.tz == "Europe/Berlin" and (.window.open | type) == "boolean" and
	 (.window.next_open | test("^[0-9-]+T(20|21):00:00Z$")) and
	 (.window.next_close | test("^[0-9-]+T(02|03):00:00Z$"))'
# A draft's edit keeps the window (the view's rule goes back in) or drops it.
api PATCH "/v1/campaigns/$D" "$ADMIN" -d '{"name":"renamed"}'
check_jq "a draft edited: the window stays" '.gate.window.rule == "CET-1CEST,M3.5.0,M10.5.0/3"'
api PATCH "/v1/campaigns/$D" "$ADMIN" -d '{"gate":{"window":{"tz":"+05:30","slots":[{"days":["tue"],"start":"00:00","end":"24:00"}]}}}'
check_jq "... a fixed offset" '.gate.window.rule == "<+0530>-05:30" and (.window.next_open | test("T18:30:00Z$"))'
api PATCH "/v1/campaigns/$D" "$ADMIN" -d '{"gate":{"window":null}}'
check_jq "... null: none" '(.gate | has("window") | not) and .window == null'
api DELETE "/v1/campaigns/$D" "$ADMIN"

# ---- 2. a window a little ahead: one minute from a minute boundary ----
# S: the boundary at least 40 s away; the slot is S's UTC day and minute.
S=$(( ($(date +%s) + 40 + 59) / 60 * 60 ))
E=$((S + 60))
DAY=$(date -u -d "@$S" +%a | tr '[:upper:]' '[:lower:]')
START=$(date -u -d "@$S" +%H:%M)
END=$(date -u -d "@$E" +%H:%M)
[ "$END" = 00:00 ] && END=24:00
echo "# window: $DAY $START-$END UTC ($(iso "$S"))"
api POST /v1/campaigns "$ADMIN" -d '{"release":'"$REL_ID"',"stages":[100],
	"gate":{"bake_time":0,"min_sample":1,"report_timeout":600,
	"window":{"tz":"UTC","slots":[{"days":["'"$DAY"'"],"start":"'"$START"'","end":"'"$END"'"}]}}}'
expect_status "a campaign with a window" 201
C=$(jqb .id)
api POST "/v1/campaigns/$C/start" "$ADMIN"
expect_status "it starts, outside its window" 200
api GET "/v1/campaigns/$C" "$ADMIN"
check_jq "the view: closed, opening at S, closing a minute later" \
	'.window.open == false and .window.next_open == "'"$(iso "$S")"'" and
	 .window.next_close == "'"$(iso "$E")"'"'
api GET "/v1/campaigns/$C/plan" "$ADMIN"
check_jq "the plan shows the next window too" \
	'.window.next_open == "'"$(iso "$S")"'" and .targets == 9'

# hint TOKEN: a poll's status and Retry-After, as "STATUS HINT".
hint() {
	STATUS=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' \
		-H "Authorization: Bearer $1" \
		"$URL/v1/device/update?fw_version=1.0.0&nonce=$(nonce)")
	BODY=$(cat "$TMP/body")
	echo "$STATUS $(tr -d '\r' <"$TMP/headers" | awk -F': ' 'tolower($1) == "retry-after" {print $2}')"
}
# Far from the opening the usual interval; within it, the time left.
before=$((S - $(date +%s)))
h=$(hint "$T0")
after=$((S - $(date +%s)))
min30() { [ "$1" -lt 30 ] && echo "$1" || echo 30; }
check "closed: 204 with Retry-After min(poll_interval, time to S) ($h; $after..$before s left)" \
	test "${h% *}" = 204 -a "${h#* }" -ge "$(min30 "$after")" -a "${h#* }" -le "$(min30 "$before")"
while [ $((S - $(date +%s))) -gt 20 ]; do sleep 0.5; done
before=$((S - $(date +%s)))
h=$(hint "$T2")
after=$((S - $(date +%s)))
check "20 s before: Retry-After counts down to the opening ($h; $after..$before s left)" \
	test "${h% *}" = 204 -a "${h#* }" -ge "$after" -a "${h#* }" -le "$before" -a "${h#* }" -lt 30
BODY=$(curl -s -H "Authorization: TargetToken $T1" "$URL/DEFAULT/controller/v1/c0001")
check_jq "a DDI device: no deployment, a sleep to the opening" \
	'(._links | has("deploymentBase") | not) and
	 (.config.polling.sleep | test("^00:00:[0-2][0-9]$"))'
api GET "/v1/campaigns/$C" "$ADMIN"
check_jq "nothing offered before the window" '.counts[-1].pending == 9'

# ---- inside the window ----
wait_campaign "$C" '.window.open' 150
expect "the window opens at S" "$(jqb '.window.open')" true
check "... not before S" test "$(date +%s)" -ge "$S"
device_poll c0000 "$T0"
expect_status "inside: a device is offered the release" 200
device_report "$T0" downloading
expect_status "... and starts downloading" 200
sim_fleet 6 f board-w updated --until-idle 5 --duration 120 --reboot-delay 1
expect "the otasim fleet updates inside the window" "$(jq '.versions["1.1.0"]' "$W/updated.json")" 6
api GET "/v1/campaigns/$C/events" "$ADMIN"
check_jq "an event when the window opened" \
	'[.events[] | select(.kind == "window_opened")] | length >= 1'
# Every first offer went out inside the window.
bad=0
for i in 1 2 3 4 5 6; do
	api GET "/v1/devices/f-$(printf %05d $i)" "$ADMIN"
	o=$(epoch "$(jqb '[.history[] | select(.kind == "offered")][-1].at')")
	[ "$o" -ge "$S" ] && [ "$o" -lt "$E" ] || { bad=$((bad + 1)); echo "# offered at $(iso "$o")"; }
done
expect "every fleet offer inside [S, S+60)" "$bad" 0

# ---- after the window ----
wait_campaign "$C" '.window.open == false' 150
expect "the window closes" "$(jqb .window.open)" false
check "... not before S + 60" test "$(date +%s)" -ge "$E"
check_jq "... the next one a week on" '.window.next_open == "'"$(iso $((S + 7 * 86400)))"'"'
device_poll c0000 "$T0"
expect_status "closed: the device mid-update is offered again (it finishes)" 200
expect "never offered: waits, at the usual interval" "$(hint "$T2")" "204 30"
device_report "$T0" installed
expect_status "the one mid-update installs" 200
device_report "$T0" confirmed
expect_status "... and confirms" 200
api GET "/v1/campaigns/$C" "$ADMIN"
check_jq "the counts: 7 updated, 2 still waiting" \
	'.counts[-1].pending == 2 and (.counts[-1].confirmed + .counts[-1].healthy) == 7'
wait_campaign "$C" '[.state] | inside(["running"])' 5
api GET "/v1/campaigns/$C/events" "$ADMIN"
check_jq "an event when the window closed" \
	'[.events[] | select(.kind == "window_closed")] | length >= 1'

finish
