#!/bin/bash
# Staged campaigns against the real daemon, with scripted devices: a good
# release completes, a bad one halts in stage 1, pause holds new offers, a
# silent fallback (old version from a later boot) is a failure, and
# kill -9 loses nothing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fleet_lib.sh"

cat >"$TMP/otad.conf" <<CONF
gate_interval = 1
seen_flush_interval = 1
poll_interval = 1
log_requests = false
CONF
start_otad -c "$TMP/otad.conf" || { fail "otad starts"; finish; }
setup_trust || { fail "trust set up"; finish; }

# ---- a good release goes through every stage and completes ----
make_release 2.0.0 2 board-a || fail "release 2.0.0"
GOOD_REL=$REL_ID
provision 300 good board-a 1.0.0 || fail "provision 300"
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$GOOD_REL,\"gate\":{\"bake_time\":1,\"min_sample\":2}}"
expect_status "create a campaign (draft)" 201
C1=$(jqb .id)
expect "new campaign is a draft" "$(jqb .state)" draft
expect "default stages" "$(jqb -c .stages)" "[1,10,50,100]"
check_jq "the gate's test fields default" '.gate | .max_failure_pct == 5 and .bad_failure_pct == 10 and .false_halt_pct == 1 and .miss_pct == 5 and .baseline == true and (has("max_failures") | not)'
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$GOOD_REL,\"gate\":{\"max_failures\":1}}"
expect_status "a retired gate field is 422" 422
check "... saying it is no longer used" grep -q "gate.max_failures: no longer used" <<<"$(jqb .error.message)"
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$GOOD_REL,\"gate\":{\"max_failure_pct\":8,\"bad_failure_pct\":8}}"
expect_status "a bad rate not above the allowed one is 422" 422
check "... naming it" grep -q "gate.bad_failure_pct: must be above max_failure_pct" <<<"$(jqb .error.message)"
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$GOOD_REL,\"gate\":{\"max_failure_pct\":2,\"false_halt_pct\":0.5,\"baseline\":false}}"
expect_status "the test's fields are accepted" 201
check_jq "... and the bad rate follows the allowed one" '.gate | .bad_failure_pct == 4 and .false_halt_pct == 0.5 and .baseline == false'
api POST "/v1/campaigns/$(jqb .id)/abort" "$ADMIN"
api GET "/v1/campaigns/$C1/plan" "$ADMIN"
expect "plan covers the whole fleet" "$(jqb '.stages[-1].devices')" 300
check_jq "plan stages nest" '[.stages[].devices] | . == (sort)'
api POST "/v1/campaigns/$C1/start" "$ADMIN"
expect_status "start" 200
expect "running at stage 1" "$(jqb '[.state, .stage.percent] | join(" ")')" "running 1"
api POST "/v1/campaigns/$C1/start" "$ADMIN"
expect_status "starting twice is 409" 409
check "409 names the state" grep -q running <<<"$(jqb .error.message)"
for round in $(seq 1 20); do
	device_round good good
	sleep 1.5
	[ "$(campaign_field "$C1" .state)" = completed ] && break
done
expect "good release completes" "$(campaign_field "$C1" .state)" completed
# A completed campaign still serves devices that come late.
device_round good good
sleep 1.2	# the health reports' versions reach the device list
api GET "/v1/devices?fw_version=2.0.0&limit=1000" "$ADMIN"
expect "every device runs the new version" "$(jqb '.devices | length')" 300
api GET "/v1/campaigns/$C1/events" "$ADMIN"
expect "three gate advances" "$(jqb '[.events[] | select(.kind == "advanced" and .actor == "gate")] | length')" 3
check_jq "each advance carries its numbers" '[.events[] | select(.kind == "advanced")] | all(.detail.healthy >= .detail.needed and .detail.failures == 0 and .detail.reason != null)'
expect "completion is an event" "$(jqb '.events[-1].kind')" completed
check_jq "events are in order" '[.events[].id] | . == sort'

echo "# $SECONDS s"
# ---- a bad release halts in stage 1; nobody outside it is offered ----
make_release 3.0.0 3 board-b || fail "release 3.0.0"
provision 400 bad board-b 1.0.0 || fail "provision 400"
# With a random salt, stage 1 of 400 devices may hold only a couple of
# them: once they have all failed there is nothing left to wait for and a
# stage smaller than min_sample must be all healthy, so it halts. It may
# also hold none (canary_draft draws the draft again then): an empty stage
# passes at once and the 10% stage would be the one to halt.
canary_draft "{\"release\":$REL_ID,\"gate\":{\"bake_time\":1,\"min_sample\":2}}"
expect "stage 1 of the bad release's plan holds a device" "$?" 0
C2=$CID
api POST "/v1/campaigns/$C2/start" "$ADMIN"
for round in $(seq 1 5); do
	device_round bad bad
	sleep 1.5
	[ "$(campaign_field "$C2" .state)" = halted ] && break
done
api GET "/v1/campaigns/$C2" "$ADMIN"
expect "bad release halts" "$(jqb .state)" halted
expect "it halts in stage 1" "$(jqb .stage.number)" 1
check "the halt says why" grep -q "failed" <<<"$(jqb .verdict.reason)"
device_round bad bad
expect "a halted campaign offers nothing more" "$OFFERS" 0
outside=0
for id in $(sort -u "$TMP/offered-bad"); do
	api GET "/v1/devices/$id" "$ADMIN"
	b=$(jqb ".campaigns[] | select(.campaign == $C2) | .bucket")
	[ "$b" -lt 100 ] || outside=$((outside + 1))
done
expect "no device outside stage 1 was ever offered" "$outside" 0
api GET "/v1/campaigns/$C2" "$ADMIN"
expect "only stage 1 devices ever started" "$(jqb '.counts[3].members - .counts[3].pending == .counts[0].members - .counts[0].pending')" true
api GET "/v1/campaigns/$C2/events" "$ADMIN"
check_jq "the halt event carries the numbers" '.events[] | select(.kind == "halted") | .detail.failures >= 1 and .actor == "gate"'
api POST "/v1/campaigns/$C2/resume" "$ADMIN"
expect_status "a halted campaign cannot resume" 409
api GET "/v1/devices?campaign=$C2&state=rolled_back&limit=1000" "$ADMIN"
expect "device filter by campaign state" "$(jqb '.devices | length')" "$(sort -u "$TMP/offered-bad" | wc -l)"

echo "# $SECONDS s"
# ---- pause: no new offers; in-flight devices finish ----
make_release 4.0.0 4 board-c || fail "release 4.0.0"
provision 200 pause board-c 1.0.0 || fail "provision 200"
head -100 "$TMP/tokens-pause" >"$TMP/tokens-pause1"
tail -100 "$TMP/tokens-pause" >"$TMP/tokens-pause2"
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$REL_ID,\"stages\":[50,100],\"gate\":{\"bake_time\":600}}"
C3=$(jqb .id)
api POST "/v1/campaigns/$C3/start" "$ADMIN"
device_round pause1 idle
inflight=$OFFERS
check "half the stage took the offer ($inflight)" test "$inflight" -gt 0
api POST "/v1/campaigns/$C3/pause" "$ADMIN"
expect "paused" "$(jqb .state)" paused
device_round pause2 idle
expect "paused: no new device is offered" "$OFFERS" 0
device_round pause1 good
expect "paused: in-flight devices get their offer again" "$OFFERS" "$inflight"
api GET "/v1/campaigns/$C3" "$ADMIN"
expect "paused: in-flight devices finish" "$(jqb .counts[0].confirmed)" "$inflight"
api POST "/v1/campaigns/$C3/resume" "$ADMIN"
expect "resumed" "$(jqb .state)" running
device_round pause2 idle
check "resumed: new devices are offered again ($OFFERS)" test "$OFFERS" -gt 0
api GET "/v1/campaigns/$C3/events" "$ADMIN"
expect "pause and resume are audited with the token's name" \
	"$(jqb '[.events[] | select(.kind == "paused" or .kind == "resumed") | .actor] | join(",")')" "admin,admin"

echo "# $SECONDS s"
# ---- a device silently back on its old version from a later boot ----
make_release 5.0.0 5 board-d || fail "release 5.0.0"
provision 50 silent board-d 1.0.0 || fail "provision 50"
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$REL_ID,\"stages\":[100],\"gate\":{\"bake_time\":1}}"
C4=$(jqb .id)
api POST "/v1/campaigns/$C4/start" "$ADMIN"
export BOOT_IDS=1
device_round silent silent
sleep 0.5
device_round silent silent
unset BOOT_IDS
sleep 1
read -r first_id _ <"$TMP/tokens-silent"
api GET "/v1/devices/$first_id" "$ADMIN"
expect "polling on the old version from a boot after installing is a rollback" \
	"$(jqb ".campaigns[] | select(.campaign == $C4) | \"\(.state) \(.reason)\"")" "rolled_back fallback"
wait_campaign "$C4" '.state == "halted"' 5
expect "silent fallbacks halt the campaign" "$(jqb .state)" halted

echo "# $SECONDS s"
# ---- kill -9 mid-campaign: same stage, same members, nothing lost ----
make_release 6.0.0 6 board-e || fail "release 6.0.0"
provision 200 crash board-e 1.0.0 || fail "provision 200 more"
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$REL_ID,\"stages\":[10,100],\"gate\":{\"bake_time\":600}}"
C5=$(jqb .id)
api POST "/v1/campaigns/$C5/start" "$ADMIN"
device_round crash good
api GET "/v1/campaigns/$C5" "$ADMIN"
before=$(jqb -c '[.state, .stage.number, .counts]')
api GET "/v1/campaigns/$C5/plan" "$ADMIN"
plan_before=$(jqb -c .stages)
last_id=$(tail -1 "$TMP/offered-crash")
stop_otad KILL
start_otad -c "$TMP/otad.conf" || fail "otad restarts after kill -9"
api GET "/v1/campaigns/$C5" "$ADMIN"
expect "after kill -9: same state, stage and counts" "$(jqb -c '[.state, .stage.number, .counts]')" "$before"
api GET "/v1/campaigns/$C5/plan" "$ADMIN"
expect "after kill -9: same membership" "$(jqb -c .stages)" "$plan_before"
api GET "/v1/devices/$last_id" "$ADMIN"
expect "the last acknowledged report survived" \
	"$(jqb "[.history[] | select(.kind == \"status\" and .campaign == $C5)][0].state")" confirmed
device_round crash good
expect "after restart the stage goes on with the same devices" "$OFFERS" 0

# ---- a completed campaign stops serving late devices after its window ----
echo "completed_offer_window = 2" >>"$TMP/otad.conf"
stop_otad
start_otad -c "$TMP/otad.conf" || fail "otad restarts with a short window"
make_release 7.0.0 7 board-f || fail "release 7.0.0"
provision 20 late board-f 1.0.0 || fail "provision 20"
head -10 "$TMP/tokens-late" >"$TMP/tokens-late1"
tail -10 "$TMP/tokens-late" >"$TMP/tokens-late2"
# The ten that came are a credible pass only against a coarse bad rate
# (10 x ln(0.5/0.95) = -6.4 <= ln 0.05); the ten that never poll do not
# hold the stage, as pending devices are no evidence.
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$REL_ID,\"stages\":[100],\"gate\":{\"bake_time\":1,\"min_sample\":2,\"bad_failure_pct\":50}}"
C6=$(jqb .id)
api POST "/v1/campaigns/$C6/start" "$ADMIN"
device_round late1 good
wait_campaign "$C6" '.state == "completed"' 10
expect "completes on the devices that came" "$(jqb .state)" completed
sleep 3
device_round late2 good
expect "after completed_offer_window, late devices get nothing" "$OFFERS" 0

# The list's state filter: a state by name, and a typo named back.
api GET "/v1/campaigns?state=completed" "$ADMIN"
expect "?state=completed lists only completed campaigns" \
	"$(jqb '[.campaigns[].state] | unique | join(",")')" completed
api GET "/v1/campaigns?state=complete" "$ADMIN"
expect_status "?state=complete (a typo) is 400" 400
expect "and the error names the states" \
	"$(jqb '.error.message | test("completed, aborted")')" true

finish
