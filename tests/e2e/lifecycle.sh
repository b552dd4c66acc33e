#!/bin/bash
# Operators' lifecycle calls and the mistakes that must not pass silently,
# against the real otad with curl: hw classes that follow the identifier
# rule, semver at provisioning, form uploads (415), direct assignments the
# device would refuse (422); then changing, decommissioning and deleting
# devices, token reissue, artifacts, cohort members, draft campaigns and
# release filters. Every refusal is checked to have changed nothing.
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

# msg_has TEXT: the last error's message contains TEXT.
msg_has() { [[ $(jqb .error.message) == *"$1"* ]]; }
# count PATH JQ: how many the list at PATH holds (jq path to its array).
count() { api GET "$1" "$ADMIN"; jqb "$2 | length"; }

make_release 2.0.0 2 board-a || fail "release 2.0.0"
R2=$REL_ID
make_release 1.5.0 1 board-a || fail "release 1.5.0"
R15=$REL_ID

# ---- hw classes follow the identifier rule on the server too ----
# otactl refuses "board a" now (otactl.sh); an envelope signed for it by
# other means is re-signed here with cosign.
jq -c '.signed.hw_classes = ["board-a", "board a"] | .signed.fw_version = "2.1.0" |
    .signatures = []' "$TMP/release-2.0.0.json" >"$TMP/bad-hw.json"
"$BIN/otactl" release cosign --key "$TMP/release.key" --in "$TMP/bad-hw.json" \
    --out "$TMP/bad-hw.json" >/dev/null || fail "cosign the bad-class release"
n=$(count /v1/releases .releases)
api POST /v1/releases "$ADMIN" --data-binary @"$TMP/bad-hw.json"
expect_status "a release for hw class \"board a\" is 422" 422
check "... naming the class and the rule" msg_has 'hw_classes[1]: "board a" is not 1 to 64 of'
expect "... and nothing was registered" "$(count /v1/releases .releases)" "$n"

# ---- provisioning: hw class rule and semver fw_version ----
api POST /v1/devices "$ADMIN" -d '[{"device_id":"ok-1","hw_class":"board-a","fw_version":"1.0.0"},{"device_id":"v-bad","hw_class":"board-a","fw_version":"1.0"}]'
expect_status "a non-semver fw_version is 422" 422
check "... naming the device and the value" msg_has 'devices[1].fw_version: device v-bad: "1.0" is not MAJOR.MINOR.PATCH'
api GET /v1/devices/ok-1 "$ADMIN"
expect_status "... and no device of the batch was provisioned" 404
api POST /v1/devices "$ADMIN" -d '{"device_id":"hw-bad","hw_class":"board a","fw_version":"1.0.0"}'
expect_status "a hw class with a space is 422 at provisioning" 422

# ---- artifacts sent as a form ----
head -c 3000 /dev/urandom >"$TMP/form.bin"
printf 'line one\nline two\n' >>"$TMP/form.bin"
FSHA=$(sha256sum "$TMP/form.bin" | cut -c1-64)
api POST /v1/artifacts "$ADMIN" -d @"$TMP/form.bin"
expect_status "curl -d (a urlencoded form) is 415" 415
check "... with the --data-binary hint" msg_has "curl --data-binary @fw.bin"
api PUT /v1/artifacts "$ADMIN" -F "file=@$TMP/form.bin"
expect_status "curl -F (multipart/form-data) is 415" 415
api POST /v1/artifacts "$ADMIN" -H 'Content-Type: Multipart/Form-Data; boundary=x' --data-binary @"$TMP/form.bin"
expect_status "... in any case, with parameters" 415
api GET "/v1/artifacts/$FSHA" "$ADMIN"
expect_status "... and nothing was stored" 404
api POST /v1/artifacts "$ADMIN" -H "Content-Type: application/octet-stream" --data-binary @"$TMP/form.bin"
expect_status "--data-binary still stores it" 201
expect "... byte for byte" "$(jqb .sha256)" "$FSHA"

# ---- direct assignments the device would refuse ----
provision 1 old board-a 1.0.0 || fail "provision old"
provision 1 same board-a 2.0.0 || fail "provision same"
provision 1 new board-a 3.0.0 || fail "provision new"
provision 1 other board-b 1.0.0 || fail "provision other"
api POST /v1/tokens "$ADMIN" -d '{"name":"gw","role":"gateway"}'
GWT=$(jqb .token)
api POST /v1/tokens "$ADMIN" -d '{"name":"look","role":"viewer"}'
VIEWER=$(jqb .token)
# refused NAME DEVICE RELEASE TEXT: 422 naming the reason, no offer left.
refused() {
	api POST "/v1/devices/$2/assign" "$ADMIN" -d "{\"release\":$3}"
	expect_status "assign: $1 is 422" 422
	check "... saying: $4" msg_has "$4"
	api GET "/v1/devices/$2" "$ADMIN"
	expect "... and no offer was stored" "$(jqb .offer)" null
}
refused "a device on a newer version" new0000 "$R2" "runs a newer version"
refused "the version the device runs" same0000 "$R2" "already runs this version"
refused "another hw class" other0000 "$R2" "does not list the device's hw_class"
refused "an unknown release" old0000 99999 "no such release"
api POST "/v1/releases/$R15/revoke" "$ADMIN"
refused "a revoked release" old0000 "$R15" "the release is revoked"
api POST /v1/devices/old0000/assign "$ADMIN" -d "{\"release\":$R2}"
expect_status "assign: an upgrade the device takes is 201" 201
api GET /v1/devices/old0000 "$ADMIN"
expect "... and is the offer" "$(jqb .offer.release)" "$R2"
# A device with a direct offer in flight keeps the class its release is for.
api PATCH /v1/devices/old0000 "$ADMIN" -d '{"hw_class":"board-b"}'
expect_status "PATCH hw_class under a direct offer of another class is 409" 409
check "... naming the release and the way out" msg_has "direct offer of release $R2"
api GET /v1/devices/old0000 "$ADMIN"
expect "... and nothing changed" "$(jqb '.hw_class + " " + (.offer.release | tostring)')" "board-a $R2"

# token_of PREFIX: the token of PREFIX0000 as provisioned.
token_of() { awk '{print $2; exit}' "$TMP/tokens-$1"; }
# poll_as ID TOKEN: the native poll as device ID; sets STATUS and BODY.
poll_as() { device_poll "$1" "$2"; }
# ddi_as ID AUTH: the DDI controller base; sets STATUS and BODY.
ddi_as() {
	STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -H "Authorization: $2" \
	    "$URL/DEFAULT/controller/v1/$1")
	BODY=$(tr -d '\0' <"$TMP/body")
}

# ---- PATCH a device: tags, hw class, cohorts ----
provision 1 pat board-a 1.0.0 || fail "provision pat"
api POST /v1/cohorts "$ADMIN" -d '{"name":"lab"}'
api POST /v1/cohorts "$ADMIN" -d '{"name":"eu"}'
api PATCH /v1/devices/pat0000 "$ADMIN" -d '{"tags":["x","y"],"cohorts":["lab","eu"]}'
expect_status "PATCH tags and cohorts is 200" 200
expect "... the tags are replaced" "$(jqb -c .tags)" '["x","y"]'
expect "... the device is in both cohorts" "$(count '/v1/devices?cohort=eu' '.devices')" 1
api PATCH /v1/devices/pat0000 "$ADMIN" -d '{"cohorts":["lab","nope"],"tags":["z"]}'
expect_status "PATCH naming an unknown cohort is 422" 422
check "... naming it" msg_has "cohorts[1]: no cohort nope"
api GET /v1/devices/pat0000 "$ADMIN"
expect "... and nothing changed (tags)" "$(jqb -c .tags)" '["x","y"]'
expect "... (cohorts)" "$(count '/v1/devices?cohort=eu' '.devices')" 1
api PATCH /v1/devices/pat0000 "$ADMIN" -d '{"hw_class":"board a"}'
expect_status "PATCH to a hw class outside the rule is 422" 422
api PATCH /v1/devices/pat0000 "$ADMIN" -d '{"fw_version":"9.9.9"}'
expect_status "PATCH of a field that cannot change is 422" 422
api PATCH /v1/devices/pat0000 "$ADMIN" -d '{}'
expect_status "an empty PATCH is 422" 422
api PATCH /v1/devices/pat0000 "$ADMIN" -d '{"hw_class":"board-b","tags":[]}'
expect_status "PATCH hw_class is 200" 200
expect "... the class is changed" "$(jqb .hw_class)" board-b
expect "... and tags [] clears them" "$(jqb -c .tags)" '[]'
check_jq "... the change is in the history" '.history[0].kind == "changed"'
api PATCH /v1/devices/nobody "$ADMIN" -d '{"tags":[]}'
expect_status "PATCH of an unknown device is 404" 404
api POST /v1/devices/pat0000/decommission "$ADMIN"

# A member of a running campaign of a board-a release cannot leave board-a.
provision 2 camp board-a 1.0.0 || fail "provision camp"
api POST /v1/cohorts "$ADMIN" -d '{"name":"campers","devices":["camp0000","camp0001"]}'
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$R2,\"cohort\":\"campers\",\"stages\":[100],\"gate\":{\"bake_time\":3600}}"
CAMP=$(jqb .id)
api POST "/v1/campaigns/$CAMP/start" "$ADMIN"
expect_status "a campaign over two devices starts" 200
api PATCH /v1/devices/camp0000 "$ADMIN" -d '{"hw_class":"board-b","tags":["moved"]}'
expect_status "PATCH hw_class of a live campaign's member is 409" 409
check "... naming the campaign" msg_has "campaign $CAMP (running or paused)"
api GET /v1/devices/camp0000 "$ADMIN"
expect "... and nothing changed" "$(jqb '.hw_class + " " + (.tags | length | tostring)')" "board-a 0"

# ---- DELETE refused mid-update, allowed otherwise ----
CT=$(awk '$1 == "camp0000" {print $2}' "$TMP/tokens-camp")
poll_as camp0000 "$CT"
expect "the member is offered the campaign's release" "$STATUS" 200
api DELETE /v1/devices/camp0000 "$ADMIN"
expect_status "DELETE of a member mid-update of a live campaign is 409" 409
check "... naming the campaign and the state" msg_has "is offered in campaign $CAMP"
api GET /v1/devices/camp0000 "$ADMIN"
expect_status "... and the device is still there" 200
api POST "/v1/campaigns/$CAMP/abort" "$ADMIN"
api DELETE /v1/devices/camp0000 "$ADMIN"
expect_status "DELETE once the campaign is over is 204" 204
api GET /v1/devices/camp0000 "$ADMIN"
expect_status "... the device is gone" 404
poll_as camp0000 "$CT"
expect "... and its token is refused" "$STATUS" 401
api GET /v1/cohorts/campers "$ADMIN"
expect "... and it left its cohort" "$(jqb -c .devices)" '["camp0001"]'

# ---- decommission: no offers (native or DDI), token refused, history kept ----
provision 1 dec board-a 1.0.0 || fail "provision dec"
DT=$(token_of dec)
api POST /v1/devices/dec0000/assign "$ADMIN" -d "{\"release\":$R2}"
poll_as dec0000 "$DT"
expect "before: the device is offered its assignment" "$STATUS" 200
ddi_as dec0000 "TargetToken $DT"
expect "before: the DDI base answers" "$STATUS" 200
api POST /v1/devices/dec0000/decommission "$ADMIN"
expect_status "decommission is 200" 200
check_jq "... the view says since when" '.decommissioned_at != null and .offer == null'
check_jq "... and the history is kept" '[.history[].kind] | index("provisioned") != null and index("decommissioned") != null'
poll_as dec0000 "$DT"
expect "the next poll's token is refused at once" "$STATUS" 401
ddi_as dec0000 "TargetToken $DT"
expect "... on DDI as well" "$STATUS" 401
ddi_as dec0000 "GatewayToken $GWT"
expect "... and a gateway token cannot act for it" "$STATUS" 404
api POST /v1/devices/dec0000/decommission "$ADMIN"
expect_status "decommission again is 200 (unchanged)" 200
api POST /v1/devices/dec0000/token "$ADMIN"
expect_status "a decommissioned device gets no new token" 409
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$R2,\"cohort\":\"decs\"}"
api POST /v1/cohorts "$ADMIN" -d '{"name":"decs","devices":["dec0000"]}'
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$R2,\"cohort\":\"decs\"}"
expect_status "a campaign over decommissioned devices only has no targets" 422

# ---- token reissue ----
provision 1 tok board-a 1.0.0 || fail "provision tok"
OLD=$(token_of tok)
api POST /v1/devices/tok0000/token "$ADMIN"
expect_status "token reissue is 200" 200
NEW=$(jqb .token)
check "... showing a new dev_ token" test "${NEW:0:4}" = dev_ -a "$NEW" != "$OLD"
poll_as tok0000 "$OLD"
expect "the old token is refused from the next request on" "$STATUS" 401
poll_as tok0000 "$NEW"
expect "the new one works" "$STATUS" 204
api GET /v1/devices/tok0000 "$ADMIN"
check_jq "... the reissue is in the history" '.history[0].kind == "token_reissued"'
check "... and the token is not" test "$(grep -c "$NEW" <<<"$BODY")" = 0
api POST /v1/devices/nobody/token "$ADMIN"
expect_status "reissue for an unknown device is 404" 404

# ---- artifacts: list and delete the unused ----
api GET "/v1/artifacts?limit=1" "$ADMIN"
expect_status "GET /v1/artifacts is 200" 200
expect "... one per page" "$(jqb '.artifacts | length')" 1
N1=$(jqb .next)
api GET "/v1/artifacts?limit=1&after=$N1" "$ADMIN"
check_jq "... the next page starts after the cursor" ".artifacts[0].sha256 > \"$N1\""
api GET /v1/artifacts "$ADMIN"
check_jq "... each with its size and how many releases use it" "[.artifacts[] | select(.sha256 == \"$FSHA\")][0] | .size == 3018 and .releases == 0"
USED=$(jq -r .signed.hashes.sha256 "$TMP/release-2.0.0.json")
api DELETE "/v1/artifacts/$USED" "$ADMIN"
expect_status "DELETE of an artifact a release uses is 409" 409
check "... naming the release" msg_has "release $R2 refers to artifact"
check "... and the file stays" test -f "$DATA/artifacts/$USED"
api DELETE "/v1/artifacts/$FSHA" "$ADMIN"
expect_status "DELETE of an unused artifact is 204" 204
check "... the file is removed" test ! -e "$DATA/artifacts/$FSHA"
api GET "/v1/artifacts/$FSHA" "$ADMIN"
expect_status "... and it is gone" 404
api DELETE "/v1/artifacts/$FSHA" "$ADMIN"
expect_status "DELETE again is 404" 404
api DELETE "/v1/artifacts/$USED" "$VIEWER"
expect_status "a viewer may not delete artifacts" 403

# An upload of stored bytes racing a delete of them: whichever commits
# last wins, and a listed artifact always has its file (the upload that
# found the stored copy used to drop its own, and the delete then removed
# the only one).
head -c 4096 /dev/urandom >"$TMP/race.bin"
RSHA=$(sha256sum "$TMP/race.bin" | cut -d' ' -f1)
up_race() {
	curl -s -o /dev/null -X POST -H "Authorization: Bearer $ADMIN" \
		-H 'Content-Type: application/octet-stream' \
		--data-binary @"$TMP/race.bin" "$URL/v1/artifacts"
}
del_race() {
	curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $ADMIN" \
		"$URL/v1/artifacts/$RSHA"
}
up_race
lost=0
for i in $(seq 1 30); do
	pids=()
	for k in 1 2 3 4 5 6; do
		up_race & pids+=($!)
		[ $((k % 2)) = 0 ] && { del_race & pids+=($!); }
	done
	wait "${pids[@]}"
	api GET "/v1/artifacts?limit=1000" "$ADMIN"
	listed=$(jqb --arg s "$RSHA" '[.artifacts[] | select(.sha256 == $s)] | length')
	if [ "$listed" = 1 ] && ! [ -f "$DATA/artifacts/$RSHA" ]; then
		lost=$((lost + 1))
		del_race	# the next round starts from a whole copy
	fi
	up_race
done
expect "uploads racing deletes (30 rounds of 6 and 3): no listed artifact without its file" "$lost" 0
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN" \
	"$URL/v1/artifacts/$RSHA")
expect_status "... and the last one downloads" 200

# ---- cohorts: add and remove members, delete ----
provision 3 coh board-a 1.0.0 || fail "provision coh"
api POST /v1/cohorts "$ADMIN" -d '{"name":"grp","devices":["coh0000"]}'
api POST /v1/cohorts/grp/devices "$ADMIN" -d '{"devices":["coh0001","coh0000"]}'
expect_status "adding members is 200" 200
expect "... members already in stay once" "$(jqb .devices)" 2
api POST /v1/cohorts/grp/devices "$ADMIN" -d '{"devices":["coh0002","ghost"]}'
expect_status "adding an unknown device is 422" 422
check "... naming it" msg_has "devices[1]: no device ghost"
expect "... and nothing was added" "$(count /v1/cohorts/grp .devices)" 2
api DELETE /v1/cohorts/grp/devices/coh0000 "$ADMIN"
expect_status "removing a member is 204" 204
api GET /v1/cohorts/grp "$ADMIN"
expect "... it is gone from the cohort" "$(jqb -c .devices)" '["coh0001"]'
api DELETE /v1/cohorts/grp/devices/coh0000 "$ADMIN"
expect_status "removing a non-member is 404" 404
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$R2,\"cohort\":\"grp\"}"
DRAFT=$(jqb .id)
api DELETE /v1/cohorts/grp "$ADMIN"
expect_status "deleting a cohort a draft targets is 409" 409
check "... naming the campaign" msg_has "campaign $DRAFT (draft) targets cohort grp"
api GET /v1/cohorts/grp "$ADMIN"
expect_status "... and the cohort is still there" 200

# ---- draft campaigns: edit and delete ----
api PATCH "/v1/campaigns/$DRAFT" "$ADMIN" -d '{"name":"wave 1","stages":[50,100],"gate":{"bake_time":"2h"},"cohort":null}'
expect_status "PATCH a draft is 200" 200
check_jq "... name, stages and gate change, the rest stays" '.name == "wave 1" and .stages == [50,100] and .gate.bake_time == 7200 and .gate.min_sample == 5 and .cohort == null'
api GET "/v1/campaigns/$DRAFT/plan" "$ADMIN"
expect "... and the plan follows the edit" "$(jqb '.stages | length')" 2
api PATCH "/v1/campaigns/$DRAFT" "$ADMIN" -d '{"stages":[50,40]}'
expect_status "a bad edit is 422" 422
api GET "/v1/campaigns/$DRAFT" "$ADMIN"
expect "... and changes nothing" "$(jqb -c .stages)" "[50,100]"
api PATCH "/v1/campaigns/$DRAFT" "$ADMIN" -d '{"colour":"red"}'
expect_status "an unknown field is 422" 422
api DELETE /v1/cohorts/grp "$ADMIN"
expect_status "the cohort no draft targets any more can be deleted" 204
api DELETE "/v1/campaigns/$CAMP" "$ADMIN"
expect_status "DELETE of a finished campaign is 409" 409
check "... naming its state" msg_has "campaign $CAMP is aborted: only a draft"
api PATCH "/v1/campaigns/$CAMP" "$ADMIN" -d '{"name":"x"}'
expect_status "PATCH of a finished campaign is 409" 409
api DELETE "/v1/campaigns/$DRAFT" "$ADMIN"
expect_status "DELETE of a draft is 204" 204
api GET "/v1/campaigns/$DRAFT" "$ADMIN"
expect_status "... and it is gone" 404

# ---- releases: filters ----
make_release 1.0.0 1 board-c 4096 5s || fail "release for board-c expiring" "$BODY"
api GET "/v1/releases?hw_class=board-c" "$ADMIN"
expect "hw_class= lists that class's releases" "$(jqb -c '[.releases[].fw_version]')" '["1.0.0"]'
sleep_until_expired() { local i; for i in $(seq 1 200); do api GET "/v1/releases?state=expired" "$ADMIN"; [ "$(jqb '.releases | length')" -gt 0 ] && return 0; sleep 0.1; done; return 1; }
check "state=expired lists the expired one" sleep_until_expired
check_jq "... only expired ones" '[.releases[].state] | unique == ["expired"]'
api GET "/v1/releases?state=revoked" "$ADMIN"
expect "state=revoked lists the revoked one" "$(jqb -c '[.releases[].id]')" "[$R15]"
api GET "/v1/releases?state=active&hw_class=board-a" "$ADMIN"
check_jq "state=active&hw_class= combine" '(.releases | length) > 0 and ([.releases[].state] | unique == ["active"])'
api GET "/v1/releases?state=gone" "$ADMIN"
expect_status "an unknown state is 400" 400

finish
