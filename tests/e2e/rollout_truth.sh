#!/bin/bash
# Campaign decisions under what real devices do (issue #9), against the
# real daemon with scripted devices: a device that polls between install
# and reboot is no failure (with boot ids, and without until
# report_timeout); one that moves on to a newer release is superseded, not
# failed; a revoked release cannot start and halts its running campaign;
# a campaign with nobody to update is refused; pending members' polls and
# health reports are counted; a halt names the devices' own causes and
# health reports never push a device's update history out; counts keep
# moving after completion; stage numbers are 1-based.
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

# campaign JSON: creates and starts a campaign; sets CID.
campaign() {
	api POST /v1/campaigns "$ADMIN" -d "$1"
	CID=$(jqb .id)
	api POST "/v1/campaigns/$CID/start" "$ADMIN"
	[ "$STATUS" = 200 ]
}
# scenario VERSION COUNTER HW N PREFIX GATE: release VERSION for HW, N
# devices PREFIX0000.. of HW on 1.0.0, and a started campaign of one stage
# with the gate policy GATE (JSON); sets REL_ID, REL_SHA and CID.
scenario() {
	make_release "$1" "$2" "$3" || { fail "release $1"; return 1; }
	provision "$4" "$5" "$3" 1.0.0 || { fail "provision $5"; return 1; }
	campaign '{"release":'"$REL_ID"',"stages":[100],"gate":'"$6"'}' ||
		fail "the campaign of $1 starts"
}
# member ID CAMPAIGN JQ: a field of the device's membership of CAMPAIGN.
member() {
	api GET "/v1/devices/$1" "$ADMIN"
	jqb ".campaigns[] | select(.campaign == $2) | $3"
}
# tokens_of PREFIX FROM TO NAME: lines FROM..TO of a token file as
# $TMP/tokens-NAME.
tokens_of() { sed -n "$2,$3p" "$TMP/tokens-$1" >"$TMP/tokens-$4"; }
# token_of ID
token_of() { awk -v id="$1" '$1 == id { print $2 }' "$TMP"/tokens-*; }
# report TOKEN JSON: a status report.
report() { api POST /v1/device/status "$1" -d "$2"; }
# poll_as TOKEN FW [BOOT]: one poll.
poll_as() {
	api GET "/v1/device/update?fw_version=$2&nonce=$(nonce)${3:+&boot_id=$3}" "$1"
}

# ---- 1a. a device polls again between install and reboot ----
scenario 2.0.0 2 board-a 20 early '{"bake_time":1,"min_sample":2}'
C1=$CID
export BOOT_IDS=1
device_round early early
check "the devices installed ($OFFERS)" test "$OFFERS" -eq 20
device_round early early		# on 1.0.0 from the same boot
unset BOOT_IDS
sleep 2.5				# two gate runs and a last-seen flush
api GET "/v1/campaigns/$C1" "$ADMIN"
expect "polls before the reboot are no failure" \
	"$(jqb '[.state, .counts[0].installed, .counts[0].rolled_back] | join(" ")')" "running 20 0"
# Then they reboot into 2.0.0 and confirm, from their second boot.
while read -r id tok; do
	report "$tok" '{"campaign":"'"$C1"'","release":"'"$REL_SHA"'","state":"confirmed","boot_id":"boot-2"}'
	api POST /v1/device/health "$tok" -d '{"fw_version":"2.0.0","boot_ok":true,"selftest":"pass","boot_id":"boot-2"}'
done <"$TMP/tokens-early"
wait_campaign "$C1" '.state == "completed"' 20
expect "and the campaign completes" "$(jqb .state)" completed

# Without boot ids the old version alone proves nothing: the member
# waits, and only report_timeout fails it (as a fallback when it kept
# polling on the old version, as a timeout when it went quiet).
scenario 2.1.0 3 board-i 10 nob '{"bake_time":1,"report_timeout":"8s"}'
C1B=$CID
device_round nob early
tokens_of nob 1 5 nob-polling
sleep 1.1	# times are in seconds: poll after the install's second
device_round nob-polling early
sleep 2.5
api GET "/v1/campaigns/$C1B" "$ADMIN"
expect "without boot ids, the old version is no failure at once" \
	"$(jqb '[.counts[0].installed, .counts[0].rolled_back] | join(" ")')" "10 0"
wait_campaign "$C1B" '.counts[0].timed_out == 10' 30
expect "it times out at report_timeout" "$(jqb .counts[0].timed_out)" 10
expect "as a fallback when it kept polling on the old version, else as a timeout" \
	"$(jqb -c '.counts[0].failure_reasons')" '{"timeout":5,"fallback":5}'
read -r first _ <"$TMP/tokens-nob-polling"
expect "the member's reason is the class" "$(member "$first" "$C1B" .reason)" fallback

# A direct offer: the same rule.
provision 1 solo board-a 1.0.0 || fail "provision solo"
read -r solo stok <"$TMP/tokens-solo"
make_release 2.0.1 4 board-a || fail "release 2.0.1"
api POST "/v1/devices/$solo/assign" "$ADMIN" -d "{\"release\":$REL_ID}"
for s in downloading installed; do
	report "$stok" '{"campaign":"direct","release":"'"$REL_SHA"'","state":"'$s'","boot_id":"b1"}'
done
poll_as "$stok" 1.0.0 b1
sleep 0.5
api GET "/v1/devices/$solo" "$ADMIN"
expect "direct offer: the same boot on the old version is no failure" "$(jqb .offer.state)" installed
poll_as "$stok" 1.0.0 b2
for i in $(seq 1 25); do
	api GET "/v1/devices/$solo" "$ADMIN"
	[ "$(jqb .offer.state)" = rolled_back ] && break
	sleep 0.2
done
expect "direct offer: a later boot on the old version is a fallback" \
	"$(jqb '"\(.offer.state) \(.offer.reason)"')" "rolled_back fallback"

echo "# $SECONDS s"
# ---- 1b. devices that move on to a newer release ----
make_release 3.0.0 5 board-b || fail "release 3.0.0"
R3=$REL_ID
R3SHA=$REL_SHA
make_release 3.1.0 6 board-b || fail "release 3.1.0"
R31=$REL_ID
provision 20 fwd board-b 1.0.0 || fail "provision 20"
campaign '{"release":'"$R3"',"stages":[100],"gate":{"bake_time":1,"min_sample":2}}' ||
	fail "campaign of 3.0.0 starts"
C2=$CID
tokens_of fwd 1 10 fwd-good
tokens_of fwd 11 15 fwd-installed
tokens_of fwd 16 20 fwd-direct
# Installed 3.0.0 (not rebooted yet), then given 3.1.0 directly.
device_round fwd-installed early
while read -r id _; do
	api POST "/v1/devices/$id/assign" "$ADMIN" -d "{\"release\":$R31}"
done < <(cat "$TMP/tokens-fwd-installed" "$TMP/tokens-fwd-direct")
# The others get 3.1.0 before the campaign reaches them.
device_round fwd-direct good
device_round fwd-installed good
device_round fwd-direct good		# now on 3.1.0: members of C2 still
device_round fwd-installed good
device_round fwd-good good
sleep 2.5
api GET "/v1/campaigns/$C2" "$ADMIN"
expect "moving on to 3.1.0 is superseded, not a failure" \
	"$(jqb '[.state != "halted", .counts[0].superseded, .counts[0].rolled_back + .counts[0].failed + .counts[0].timed_out] | map(tostring) | join(" ")')" \
	"true 10 0"
read -r fid _ <"$TMP/tokens-fwd-installed"
expect "an installed member that moved on is superseded" "$(member "$fid" "$C2" .state)" superseded
check_jq "the gate's numbers show them" '.verdict.numbers.superseded == 10'
# A direct offer left behind by a newer version is superseded too.
provision 1 dsolo board-b 1.0.0 || fail "provision dsolo"
read -r dsolo dtok <"$TMP/tokens-dsolo"
api POST "/v1/devices/$dsolo/assign" "$ADMIN" -d "{\"release\":$R3}"
poll_as "$dtok" 3.1.0
expect "a device on a newer version is not offered the older release" "$STATUS" 204
for i in $(seq 1 25); do
	api GET "/v1/devices/$dsolo" "$ADMIN"
	[ "$(jqb .offer.state)" = superseded ] && break
	sleep 0.2
done
expect "its direct offer is superseded" "$(jqb .offer.state)" superseded

echo "# $SECONDS s"
# ---- 2. revoked releases ----
make_release 4.0.0 7 board-c || fail "release 4.0.0"
provision 10 rev board-c 1.0.0 || fail "provision 10"
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$REL_ID}"
D=$(jqb .id)
api POST "/v1/releases/$REL_ID/revoke" "$ADMIN"
api POST "/v1/campaigns/$D/start" "$ADMIN"
expect_status "start on a revoked release is 422" 422
expect "naming it" "$(jqb '.error.code + ": " + .error.message')" \
	"invalid_release: cannot start: release $REL_ID (4.0.0) is revoked"
expect "the campaign stays a draft" "$(campaign_field "$D" .state)" draft
make_release 4.1.0 8 board-c || fail "release 4.1.0"
campaign '{"release":'"$REL_ID"',"stages":[100],"gate":{"bake_time":600}}' || fail "4.1.0 starts"
E=$CID
device_round rev idle
api POST "/v1/releases/$REL_ID/revoke" "$ADMIN"
expect_status "revoke" 200
api GET "/v1/campaigns/$E" "$ADMIN"
expect "revoking a running campaign's release halts it" "$(jqb .state)" halted
check "the verdict says why" grep -q "revoked by admin" <<<"$(jqb .verdict.reason)"
api GET "/v1/campaigns/$E/events" "$ADMIN"
expect "with the event release_revoked" "$(jqb -c '[.events[-1].kind, .events[-1].actor]')" '["release_revoked","admin"]'
device_round rev idle
expect "nothing is offered after" "$OFFERS" 0

# A release that expires while its campaign runs halts it: devices would
# refuse it.
make_release 4.2.0 14 board-j 4096 20s || fail "release 4.2.0"
provision 3 exp board-j 1.0.0 || fail "provision 3"
campaign '{"release":'"$REL_ID"',"stages":[100],"gate":{"bake_time":600}}' || fail "4.2.0 starts"
X=$CID
wait_campaign "$X" '.state == "halted"' 60
expect "an expired release halts its campaign" "$(jqb .state)" halted
api GET "/v1/campaigns/$X/events" "$ADMIN"
expect "with the event release_expired" "$(jqb -c '[.events[-1].kind, .events[-1].actor]')" '["release_expired","gate"]'
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$REL_ID}"
expect "and a new campaign refuses it" "$(jqb '"\(.error.code) \(.error.message)"')" \
	"invalid_field release: the release is revoked or expired"

# Bad boot ids change nothing and say so.
read -r _ rtok <"$TMP/tokens-rev"
poll_as "$rtok" 1.0.0 'a%20b'
expect "a malformed boot id on a poll is 400 naming it" \
	"$STATUS $(jqb '.error.message | split(":")[0]')" "400 boot_id"
report "$rtok" '{"campaign":"direct","release":"'"$R3SHA"'","state":"downloading","boot_id":"'"$(printf 'x%.0s' $(seq 1 65))"'"}'
expect "a boot id over 64 bytes in a report is 422 naming it" \
	"$STATUS $(jqb '.error.message | split(":")[0]')" "422 boot_id"
api POST /v1/device/health "$rtok" -d '{"fw_version":"1.0.0","boot_ok":true,"selftest":"pass","boot_id":"a/b"}'
expect "and in a health report" "$STATUS $(jqb '.error.message | split(":")[0]')" "422 boot_id"

echo "# $SECONDS s"
# ---- 3. nobody to update ----
make_release 5.0.0 9 board-a || fail "release 5.0.0"
api POST /v1/cohorts "$ADMIN" -d '{"name":"bees","devices":["fwd0000","fwd0001","fwd0002"]}'
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$REL_ID,\"cohort\":\"bees\"}"
expect_status "a campaign with no target is refused" 422
expect "naming the hw class mismatch" "$(jqb '.error.code + ": " + .error.message')" \
	"no_targets: no device to update: release $REL_ID (5.0.0) lists hw class board-a, but the 3 devices of cohort bees are of hw class board-b"
make_release 5.1.0 10 board-e || fail "release 5.1.0"
provision 5 late board-e 1.0.0 || fail "provision 5"
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$REL_ID}"
expect_status "a draft while there are targets" 201
L=$(jqb .id)
# Meanwhile every target got 5.1.0 some other way.
for id in $(cut -d' ' -f1 "$TMP/tokens-late"); do echo 5.1.0 >"$TMP/fw/$id"; done
device_round late idle
for i in $(seq 1 25); do
	api GET "/v1/devices?fw_version=5.1.0&hw_class=board-e" "$ADMIN"
	[ "$(jqb '.devices | length')" = 5 ] && break
	sleep 0.2
done
api POST "/v1/campaigns/$L/start" "$ADMIN"
expect_status "start with nobody left to update is refused" 422
expect "saying they run it already" "$(jqb '.error.code + ": " + .error.message')" \
	"no_targets: cannot start: no device to update: the 5 devices of the fleet with hw class board-e already run 5.1.0"

echo "# $SECONDS s"
# ---- 4. who has been seen since the stage opened ----
scenario 6.0.0 11 board-f 20 abs '{"bake_time":600,"min_sample":20}'
F=$CID
api POST "/v1/campaigns/$F/pause" "$ADMIN"	# polls offer nothing now
tokens_of abs 1 10 abs-seen
device_round abs-seen idle
expect "a paused campaign offers nothing" "$OFFERS" 0
n=0
while read -r id tok; do
	n=$((n + 1))
	[ $n -le 6 ] || break
	ok=true
	[ $n -le 2 ] && ok=false
	api POST /v1/device/health "$tok" -d '{"fw_version":"1.0.0","boot_ok":'$ok',"selftest":"pass"}'
done <"$TMP/tokens-abs-seen"
# Counted once every 6 gate runs: a few seconds here.
wait_campaign "$F" '.verdict.numbers | .unseen == 10 and .baseline_reporting == 6' 30
expect "pending members that polled are seen; the others unseen" "$(jqb .verdict.numbers.unseen)" 10
expect "members on the old release with health reports are the baseline" \
	"$(jqb '[.verdict.numbers.baseline_reporting, .verdict.numbers.baseline_unhealthy] | join(" ")')" "6 2"

echo "# $SECONDS s"
# ---- 6. the halt names the devices' causes; history is kept ----
scenario 7.0.0 12 board-g 6 why '{"bake_time":600}'
G=$CID
SHA7=$REL_SHA
device_round why idle
n=0
while read -r id tok; do
	n=$((n + 1))
	for s in downloading installed; do
		report "$tok" '{"campaign":"'"$G"'","release":"'"$SHA7"'","state":"'$s'","boot_id":"b1"}'
	done
	# The new image crashes on boot; health says so before the device
	# has told us, then it rolls back and names its cause.
	api POST /v1/device/health "$tok" -d '{"fw_version":"7.0.0","boot_ok":false,"selftest":"fail","crash_count":1,"boot_id":"b2"}'
	why=selftest
	[ $n = 6 ] && why=weird_thing
	report "$tok" '{"campaign":"'"$G"'","release":"'"$SHA7"'","state":"rolled_back","reason":"'$why'","boot_id":"b3"}'
done <"$TMP/tokens-why"
wait_campaign "$G" '.state == "halted"' 15
expect "the campaign halts" "$(jqb .state)" halted
# The verdict is the gate's at the halt, with the causes known then.
check "the verdict names the classes ($(jqb .verdict.reason))" \
	grep -Eq "\(failures: [0-9]+ (selftest|crash_on_boot)" <<<"$(jqb .verdict.reason)"
expect "the counts per class" "$(jqb -c .counts[0].failure_reasons)" '{"selftest":5,"other":1}'
read -r wid wtok <"$TMP/tokens-why"
expect "the device's own cause replaces the inferred one" "$(member "$wid" "$G" .reason)" selftest
tail -1 "$TMP/tokens-why" | { read -r lid _; echo "$lid" >"$TMP/lastwhy"; }
lid=$(cat "$TMP/lastwhy")
api GET "/v1/devices/$lid" "$ADMIN"
expect "a reason outside the list is kept in the history as sent" \
	"$(jqb '[.history[] | select(.kind == "status" and .state == "rolled_back")][0].reason')" weird_thing
# 150 health reports later the update history is all still there (149
# in parallel, then the last one).
for i in $(seq 1 149); do
	printf 'url = "%s/v1/device/health"\nheader = "Authorization: Bearer %s"\n' "$URL" "$wtok"
	printf 'data = "{\\"fw_version\\":\\"1.0.0\\",\\"boot_ok\\":true,\\"selftest\\":\\"pass\\",\\"uptime_s\\":%d}"\n' "$i"
	printf 'output = "/dev/null"\nsilent\nnext\n'
done >"$TMP/healths"
batch_curl "$TMP/healths"
api POST /v1/device/health "$wtok" -d '{"fw_version":"1.0.0","boot_ok":true,"selftest":"pass","uptime_s":150}'
api GET "/v1/devices/$wid" "$ADMIN"
expect "health reports never push the update history out" \
	"$(jqb -c '[.history[] | select(.kind == "status") | .state]')" '["rolled_back","installed","downloading"]'
expect "the latest health report is the summary" \
	"$(jqb '[.health.reports, .health.uptime_s, .health.health] | map(tostring) | join(" ")')" "151 150 healthy"
check "only samples of it are kept ($(jqb '[.history[] | select(.kind == "health")] | length'))" \
	test "$(jqb '[.history[] | select(.kind == "health")] | length')" -le 3

echo "# $SECONDS s"
# ---- 9. counts after completion; 1-based stage numbers ----
# The 7 that do not come are absent after 8 s (time enough for the first
# three to take the offer, on a busy machine too).
scenario 8.0.0 13 board-h 10 after '{"bake_time":"3s","report_timeout":"6s","min_sample":2,"min_healthy_pct":0,"absent_timeout":"8s"}'
H=$CID
expect "the API numbers stages from 1" "$(jqb -c .stage)" "$(jqb -c '.stage | select(.number == 1 and .percent == 100)')"
tokens_of after 1 3 after-first
tokens_of after 4 6 after-late
tokens_of after 7 10 after-idle
device_round after-first good
wait_campaign "$H" '.state == "completed"' 30
expect "the campaign completes on the first three" "$(jqb .state)" completed
device_round after-late good
device_round after-idle idle
wait_campaign "$H" '.counts[0].healthy == 6 and .counts[0].timed_out == 4' 30
expect "after completion, confirmed devices still become healthy and in-flight ones time out" \
	"$(jqb '[.counts[0].healthy, .counts[0].confirmed, .counts[0].offered, .counts[0].timed_out] | join(" ")')" "6 0 0 4"
api GET "/v1/campaigns/$H/events" "$ADMIN"
expect "events number stages from 1" \
	"$(jqb -c '[.events[] | select(.kind == "stage_opened" or .kind == "completed") | [.stage, .detail.stage]]')" '[[1,1],[1,1]]'

finish
