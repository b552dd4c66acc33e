#!/bin/bash
# Staged campaigns over 1000 simulated devices each (otasim fleet) against
# the real daemon: a good release completes with every device on it (the
# fleet's --until-idle waits out every bake); a
# release whose self-test fails halts in stage 1, with at most 2% of the
# fleet ever installing it, all of them back and healthy on the old one.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sim_lib.sh"

N=1000
cat >"$TMP/otad.conf" <<CONF
gate_interval = 1
poll_interval = 2
seen_flush_interval = 1
log_requests = false
CONF
sim_world -c "$TMP/otad.conf" || { fail "a server with a root"; finish; }

# fleet PREFIX HW OUT [flags...]: runs N devices until nothing changes.
fleet() { sim_fleet "$N" "$@" --poll-interval 2; }

# campaign RELEASE [BAKE]: creates and starts a campaign; sets CID.
campaign() {
	api POST /v1/campaigns "$ADMIN" \
		-d "{\"release\":$1,\"gate\":{\"bake_time\":${2:-2},\"report_timeout\":120}}"
	CID=$(jqb .id)
	api POST "/v1/campaigns/$CID/start" "$ADMIN"
	[ "$STATUS" = 200 ]
}

# ---- a good release reaches the whole fleet ----
sim_release good 1.1.0 ok 2 board-a 64K || fail "release 1.1.0"
fleet good board-a provision --until-idle 2 --duration 120
expect "1000 devices provisioned and polling" "$(jq .devices "$W/provision.json")" "$N"
# Each stage bakes 6 s, twice as long as the fleet's idle time: nothing
# changes on the devices meanwhile, yet the fleet must not stop while the
# campaign runs.
campaign "$REL_ID" 6 || fail "campaign starts"
GOOD=$CID
api GET "/v1/campaigns/$GOOD/plan" "$ADMIN"
echo "# plan: $(jqb -c '[.stages[] | "\(.percent)%:\(.devices)"]')"
start=$SECONDS
fleet good board-a good --until-idle 3 --duration 400
expect "the fleet run ends well" "$?" 0
echo "# good rollout took $((SECONDS - start)) s: $(tail -3 "$W/good.out" | tr '\n' ' ')"
api GET "/v1/campaigns/$GOOD" "$ADMIN"
expect "the campaign completes" "$(jqb .state)" completed
expect "every device runs 1.1.0" "$(jq '.versions["1.1.0"]' "$W/good.json")" "$N"
expect "every device confirmed" "$(jq '.states.confirmed' "$W/good.json")" "$N"
api GET "/v1/campaigns/$GOOD/events" "$ADMIN"
expect "it went through every stage" \
	"$(jqb -c '[.events[] | select(.kind == "stage_opened") | .stage]')" "[1,2,3,4]"

# ---- a release that fails its self-test stops at the canary ----
sim_release bad 2.0.0 selftest-fail 3 board-b 64K || fail "release 2.0.0"
fleet bad board-b provision-bad --until-idle 2 --duration 120
campaign "$REL_ID" || fail "bad campaign starts"
BAD=$CID
start=$SECONDS
fleet bad board-b bad --until-idle 12 --duration 300
expect "the bad fleet run ends well" "$?" 0
echo "# bad rollout took $((SECONDS - start)) s: $(tail -3 "$W/bad.out" | tr '\n' ' ')"
api GET "/v1/campaigns/$BAD" "$ADMIN"
expect "the campaign halts" "$(jqb .state)" halted
expect "in stage 1" "$(jqb .stage.number)" 1
echo "# $(jqb .verdict.reason)"
tried=$(jq '.refusals.selftest // 0' "$W/bad.json")
check "someone tried it ($tried devices)" test "$tried" -gt 0
check "at most 2% of the fleet ever installed it ($tried)" test "$tried" -le $((N / 50))
expect "every device runs the old version" "$(jq '.versions["1.0.0"]' "$W/bad.json")" "$N"
# Each counts as a failure: "failed" when its unhealthy report on 2.0.0
# came first, "rolled_back" when its own report did.
api GET "/v1/devices?campaign=$BAD&state=failed&limit=1000" "$ADMIN"
ids=$(jqb -r '.devices[].device_id')
api GET "/v1/devices?campaign=$BAD&state=rolled_back&limit=1000" "$ADMIN"
ids="$ids $(jqb -r '.devices[].device_id')"
expect "the server counts the same failures" "$(wc -w <<<"$ids")" "$tried"
healthy=0
for id in $ids; do
	api GET "/v1/devices/$id" "$ADMIN"
	last=$(jqb -r '[.history[] | select(.kind == "health")][0] | "\(.state) \(.detail)"')
	case $last in "healthy fw_version=1.0.0 "*) healthy=$((healthy + 1)) ;; esac
done
expect "each rolled-back device reports healthy on 1.0.0" "$healthy" "$tried"
api GET "/v1/campaigns/$BAD" "$ADMIN"
expect "nobody beyond stage 1 was offered it" \
	"$(jqb '.counts[3].members - .counts[3].pending == .counts[0].members - .counts[0].pending')" true

finish
