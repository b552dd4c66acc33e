#!/bin/bash
# Dynamic membership (issue #18) against the real daemon and otasim: a
# dynamic campaign over a cohort takes in devices provisioned and added to
# the cohort after its start, each into the stage its bucket falls in
# (offered when that stage is open, not before), with a members_joined
# event; a static campaign's members stay the ones of its start; a device
# already on the release is no target; a bad membership is refused.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fleet_lib.sh"
. "$(dirname "$0")/../sim_lib.sh"

cat >"$TMP/otad.conf" <<CONF
gate_interval = 1
poll_interval = 4
log_requests = false
CONF
sim_world -c "$TMP/otad.conf" || { fail "a server with a root"; finish; }
HW=board-m
sim_release dyn 1.1.0 ok 2 board-m 4K || fail "release 1.1.0"
sim_device m1 1 board-m
sim_device r1 1 board-m
api POST /v1/cohorts "$ADMIN" -d '{"name":"lab","devices":["m1"]}'
expect_status "cohort lab" 201
api POST /v1/cohorts "$ADMIN" -d '{"name":"rack","devices":["r1"]}'
expect_status "cohort rack" 201

api POST /v1/campaigns "$ADMIN" -d '{"release":'"$REL_ID"',"cohort":"lab","gate":{"membership":"sometimes"}}'
if [ "$STATUS" = 422 ] && [[ "$(jqb .error.message)" == gate.membership:* ]]; then
	ok "a bad membership: 422 naming gate.membership"
else fail "a bad membership: 422 naming gate.membership" "$STATUS $BODY"; fi

api POST /v1/campaigns "$ADMIN" -d '{"release":'"$REL_ID"',"cohort":"lab","stages":[50,100],
	"gate":{"membership":"dynamic","min_sample":1,"bake_time":0,"auto_advance":false}}'
expect_status "a dynamic campaign over lab" 201
D=$(jqb .id)
check_jq "... shown as dynamic" '.gate.membership == "dynamic"'
api POST /v1/campaigns "$ADMIN" -d '{"release":'"$REL_ID"',"cohort":"rack","stages":[100],
	"gate":{"min_sample":1,"bake_time":0}}'
expect_status "a campaign over rack, the default membership" 201
S=$(jqb .id)
check_jq "... static" '.gate.membership == "static"'
api POST "/v1/campaigns/$D/start" "$ADMIN"
expect_status "the dynamic one starts" 200
api POST "/v1/campaigns/$S/start" "$ADMIN"
expect_status "the static one starts" 200
members() {
	api GET "/v1/campaigns/$1/devices?limit=100" "$ADMIN"
	jqb '.devices | length'
}
expect "dynamic: one member at the start" "$(members "$D")" 1
expect "static: one member at the start" "$(members "$S")" 1

# Newcomers: eight provisioned now and added to lab, one to rack, and one
# already on the release (no target).
for i in 1 2 3 4 5 6 7 8; do sim_device "n$i" 1 board-m; done
sim_device r2 1 board-m
api POST /v1/devices "$ADMIN" -d '{"device_id":"n-current","hw_class":"board-m","fw_version":"1.1.0"}'
api POST /v1/cohorts/lab/devices "$ADMIN" \
	-d '{"devices":["n1","n2","n3","n4","n5","n6","n7","n8","n-current"]}'
expect_status "newcomers added to lab" 200
api POST /v1/cohorts/rack/devices "$ADMIN" -d '{"devices":["r2"]}'
expect_status "a newcomer added to rack" 200
for i in $(seq 1 150); do [ "$(members "$D")" = 9 ] && break; sleep 0.2; done
expect "the dynamic campaign takes the 8 newcomers in" "$(members "$D")" 9
api GET "/v1/campaigns/$D/events" "$ADMIN"
check_jq "... with an event saying how many" \
	'[.events[] | select(.kind == "members_joined") | .detail.devices] | add == 8'
# Both campaigns were judged in the run that took them in.
expect "the static one does not" "$(members "$S")" 1
api GET "/v1/campaigns/$D/devices?limit=100" "$ADMIN"
check_jq "the device on the release is no target" '[.devices[].device_id] | index("n-current") == null'
check_jq "each newcomer is in the stage its bucket falls in" \
	'[.devices[] | (.bucket < 5000) == (.stage == 1)] | all'
STAGES=$BODY
in_stage1=$(jq -r '[.devices[] | select(.stage == 1 and (.device_id | startswith("n")))] | length' <<<"$STAGES")
echo "# newcomers in stage 1: $in_stage1 of 8"

# Stage 1 is open: its newcomers update, the others wait for stage 2.
bad=0
for i in 1 2 3 4 5 6 7 8; do
	st=$(jq -r --arg d "n$i" '.devices[] | select(.device_id == $d) | .stage' <<<"$STAGES")
	sim_run "n$i"
	v=$(sim_running "n$i")
	if [ "$st" = 1 ] && [ "$v" != "1.1.0 B" ]; then bad=$((bad + 1)); echo "# n$i (stage 1): $v"; fi
	if [ "$st" = 2 ] && [ "$v" != "1.0.0 A" ]; then bad=$((bad + 1)); echo "# n$i (stage 2): $v"; fi
done
expect "newcomers in the open stage update, later ones wait" "$bad" 0
sim_run r2
expect "the static campaign's newcomer is not offered" "$(sim_running r2)" "1.0.0 A"
# Stage 2 opens by hand: the rest update.
wait_campaign "$D" '.stage.number == 1 and .verdict.verdict != null' 30
api POST "/v1/campaigns/$D/advance" "$ADMIN"
expect_status "stage 2 opened" 200
bad=0
for i in 1 2 3 4 5 6 7 8; do
	sim_run "n$i"
	[ "$(sim_running "n$i")" = "1.1.0 B" ] || bad=$((bad + 1))
done
expect "after the advance every newcomer runs 1.1.0" "$bad" 0

finish
