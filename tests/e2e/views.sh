#!/bin/bash
# Campaign views: GET /v1/campaigns/{id}/devices by stage and state, each
# member with its bucket and stage, page by page; the per-campaign gauges
# of /metrics for live campaigns (state, stage, counts per state, failure
# ratio), the request-latency histogram and otad_build_info.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fleet_lib.sh"

cat >"$TMP/otad.conf" <<CONF
gate_interval = 1
seen_flush_interval = 1
log_requests = false
CONF
start_otad -c "$TMP/otad.conf" || { fail "otad starts"; finish; }
setup_trust || { fail "trust set up"; finish; }
make_release 2.0.0 2 board-a || fail "release 2.0.0"
provision 60 v board-a 1.0.0 || fail "provision 60"
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$REL_ID,\"stages\":[50,100],\"gate\":{\"bake_time\":3600,\"min_sample\":1}}"
expect_status "a campaign in two stages" 201
C=$(jqb .id)
api POST "/v1/campaigns/$C/start" "$ADMIN"
expect_status "started" 200

# members Q: GET /v1/campaigns/$C/devices?Q
members() { api GET "/v1/campaigns/$C/devices${1:+?$1}" "$ADMIN"; }

members "limit=1000"
expect "every member is listed" "$(jqb '.devices | length')" 60
check_jq "each has bucket, stage and state; stage follows the bucket" \
	'.devices | all(.bucket >= 0 and .bucket < 10000 and
	 .stage == (if .bucket < 5000 then 1 else 2 end) and .state == "pending")'
check_jq "in device id order" '[.devices[].device_id] | . == sort'
n1=$(jqb '[.devices[] | select(.stage == 1)] | length')
members "stage=1&limit=1000"
expect "?stage=1 lists the first stage's members" "$(jqb '.devices | length')" "$n1"
check_jq "... only them" '.devices | all(.stage == 1)'
members "stage=2&limit=1000"
expect "?stage=2 the others" "$(jqb '.devices | length')" $((60 - n1))

# Pages: the cursor is the last device id.
members "limit=25"
p1=$(jqb '[.devices[].device_id] | join(" ")')
next=$(jqb .next)
members "limit=25&after=$next"
p2=$(jqb '[.devices[].device_id] | join(" ")')
members "limit=25&after=$(jqb .next)"
expect "the last page ends the list" "$(jqb .next)" null
expect "three pages hold every member once" \
	"$( (echo $p1 $p2; jqb '.devices[].device_id') | tr ' ' '\n' | sort -u | wc -l)" 60

# The first stage's devices take the offer and confirm it (the bake
# keeps them from healthy, and the campaign in stage 1).
device_round v good
members "state=confirmed&limit=1000"
confirmed=$(jqb '.devices | length')
check "?state=confirmed lists the confirmed ($confirmed)" test "$confirmed" -ge 1
check_jq "... each in stage 1, with its version" \
	'.devices | all(.stage == 1 and .state == "confirmed" and .fw_version != null)'
members "stage=2&state=pending&limit=1000"
expect "stage 2 is still pending" "$(jqb '.devices | length')" $((60 - n1))

for q in "stage=3" "stage=0" "stage=x" "state=happy" "limit=0" "stage=1&colour=red"; do
	members "$q"
	expect_status "?$q is 400" 400
done
api GET /v1/campaigns/999/devices "$ADMIN"
expect_status "no such campaign is 404" 404

# /metrics: the gate's counts of the live campaign, no query per scrape.
for i in $(seq 1 50); do
	api GET /metrics
	grep -q "otad_campaign_members{campaign=\"$C\",state=\"confirmed\"} $confirmed" \
		<<<"$BODY" && break
	sleep 0.2
done
check "the campaign's state gauge" \
	grep -q "^otad_campaign_state{campaign=\"$C\",state=\"running\"} 1$" <<<"$BODY"
check "its stage (1-based)" grep -q "^otad_campaign_stage{campaign=\"$C\"} 1$" <<<"$BODY"
check "its confirmed members, as the view counts them" \
	grep -q "^otad_campaign_members{campaign=\"$C\",state=\"confirmed\"} $confirmed$" <<<"$BODY"
check "its failure ratio (none failed)" \
	grep -q "^otad_campaign_failure_ratio{campaign=\"$C\"} 0$" <<<"$BODY"
check "the latency histogram ends with +Inf = count" bash -c '
	inf=$(grep "^otad_http_request_duration_seconds_bucket{le=\"+Inf\"}" <<<"$1" | cut -d" " -f2)
	cnt=$(grep "^otad_http_request_duration_seconds_count" <<<"$1" | cut -d" " -f2)
	[ -n "$inf" ] && [ "$inf" = "$cnt" ] && [ "$inf" -gt 100 ]' _ "$BODY"
check "its buckets grow" bash -c '
	grep "^otad_http_request_duration_seconds_bucket" <<<"$1" | cut -d" " -f2 |
	sort -n -c' _ "$BODY"
check "build info" grep -Eq '^otad_build_info\{version="[0-9.]+",schema="[0-9]+"\} 1$' <<<"$BODY"

# A campaign no longer live leaves the gauges.
api POST "/v1/campaigns/$C/abort" "$ADMIN"
expect_status "aborted" 200
for i in $(seq 1 50); do
	api GET /metrics
	grep -q "otad_campaign_state{campaign=\"$C\"" <<<"$BODY" || break
	sleep 0.2
done
check "an aborted campaign has no gauges" \
	bash -c '! grep -q "otad_campaign_.*{campaign=\"$1\"" <<<"$2"' _ "$C" "$BODY"
finish
