#!/bin/bash
# hawkBit DDI with curl (docs/api.md, "hawkBit DDI"; the contract is
# ../shared/DDI.md): the auth matrix, the controller base and its absolute
# links, deploymentBase and the download (Range, HEAD, .MD5SUM), feedback
# answered 200 with an empty body, 404/410, configData as attributes, the
# cancel of a withdrawn offer, and DDI off with an empty ddi_tenant.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fleet_lib.sh"

cat >"$TMP/otad.conf" <<CONF
poll_interval = 1
seen_flush_interval = 1
CONF
start_otad -c "$TMP/otad.conf" || { fail "otad starts"; finish; }
setup_trust || { fail "trust set up"; finish; }
make_release 2.0.0 2 board-a 150000 || fail "release 2.0.0"
REL=$REL_ID
make_release 3.0.0 3 board-a 5000 || fail "release 3.0.0"
REL3=$REL_ID
provision 3 d board-a 1.0.0 || fail "provision 3"
D0=d0000; T0=$(awk '$1 == "d0000" {print $2}' "$TMP/tokens-d")
D1=d0001; T1=$(awk '$1 == "d0001" {print $2}' "$TMP/tokens-d")
D2=d0002; T2=$(awk '$1 == "d0002" {print $2}' "$TMP/tokens-d")
api POST /v1/tokens "$ADMIN" -d '{"name":"gw","role":"gateway"}'
expect_status "a gateway token is made" 201
GW=$(jqb .token)
B=/DEFAULT/controller/v1

# ddi METHOD PATH AUTH [curl args...]: AUTH is the whole header value
# ("TargetToken dev_…") or "" for none; sets STATUS, BODY and HEADERS.
ddi() {
	local method=$1 path=$2 auth=$3
	shift 3
	local h=()
	[ -n "$auth" ] && h=(-H "Authorization: $auth")
	STATUS=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' \
		-X "$method" "${h[@]}" "$@" "$URL$path")
	BODY=$(tr -d '\0' <"$TMP/body")
	HEADERS=$(tr -d '\r' <"$TMP/headers")
}
# fb ID AUTH EXEC FINISHED [DETAIL]: a deploymentBase feedback.
fb() {
	ddi POST "$B/$D0/deploymentBase/$1/feedback" "$2" \
		-H 'Content-Type: application/json' -d "$(jq -nc --arg e "$3" \
		--arg f "$4" --arg d "${5:-}" '{id: 1, time: "20261201T154304",
		status: {execution: $e, result: {finished: $f,
		progress: {cnt: 0, of: 1}}, details: [$d]}}')"
}
member_state() {
	api GET "/v1/devices/$1" "$ADMIN"
	jqb "${2:-.offer.state}"
}

# ---- auth (§2.2) ----
ddi GET "$B/$D0" ""
expect_status "no Authorization: 401" 401
expect "... missing_token" "$(jqb .error.code)" missing_token
ddi GET "$B/$D0" "TargetToken $T0"
expect_status "its own target token: 200" 200
ddi GET "$B/$D0" "Bearer $T0"
expect_status "its own token as Bearer: 200" 200
ddi GET "$B/$D0" "TargetToken $T1"
expect_status "another device's target token: 401" 401
expect "... invalid_token" "$(jqb .error.code)" invalid_token
check "... with WWW-Authenticate: TargetToken" grep -q '^WWW-Authenticate: TargetToken realm="otad"' <<<"$HEADERS"
ddi GET "$B/$D0" "TargetToken $ADMIN"
expect_status "an admin token as a target token: 401" 401
ddi GET "$B/$D0" "TargetToken nope"
expect_status "garbage: 401" 401
ddi GET "$B/$D0" "GatewayToken $GW"
expect_status "the gateway token, any provisioned controller: 200" 200
ddi GET "$B/$D2" "GatewayToken $GW"
expect_status "... another one too" 200
ddi GET "$B/nosuch" "GatewayToken $GW"
expect_status "the gateway token, an unknown controller: 404" 404
ddi GET "$B/$D0" "GatewayToken $ADMIN"
expect_status "an admin token as a gateway token: 401" 401
ddi GET "$B/$D0" "GatewayToken $T0"
expect_status "a device token as a gateway token: 401" 401
api GET /v1/devices "$GW"
expect_status "the gateway token on a management call: 403" 403
api GET "/v1/device/update?fw_version=1.0.0&nonce=n1" "$GW"
expect_status "... and on /v1/device/*: 403" 403
api GET /v1/tokens "$ADMIN"
check_jq "the token list shows the gateway token" '[.tokens[] | select(.name == "gw" and .role == "gateway")] | length == 1'
ddi GET "/OTHER/controller/v1/$D0" "TargetToken $T0"
expect_status "another tenant: 404" 404

# ---- controller base, nothing offered (§2.4) ----
ddi GET "$B/$D0" "TargetToken $T0"
expect "sleep is poll_interval as HH:MM:SS" "$(jqb .config.polling.sleep)" 00:00:01
expect "configData is asked for (never sent)" "$(jqb ._links.configData.href)" "$URL$B/$D0/configData"
check_jq "no deploymentBase and no cancelAction" '._links | has("deploymentBase") or has("cancelAction") | not'
ddi HEAD "$B/$D0" "TargetToken $T0"
expect_status "HEAD of the base: 200" 200

# ---- configData (§2.8) ----
ddi PUT "$B/$D0/configData" "TargetToken $T0" -H 'Content-Type: application/json' \
	-H 'Expect: 100-continue' \
	-d '{"id":"","time":"20261201T154304","status":{"result":{"finished":"success"},"execution":"closed","details":[""]},"data":{"revision":"1.0","board":"board-a"}}'
expect_status "SWUpdate's configData PUT: 200" 200
expect "... with an empty body" "$BODY" ""
api GET "/v1/devices/$D0" "$ADMIN"
check_jq "the device shows them as attributes" '.attributes == {"board":"board-a","revision":"1.0"}'
check_jq "... and an attributes event" '[.history[] | select(.kind == "attributes")] | length == 1'
api GET "/v1/devices/$D1" "$ADMIN"
check_jq "a device that sent none: attributes {}" '.attributes == {}'
ddi GET "$B/$D0" "TargetToken $T0"
check_jq "configData is no longer asked for" '._links | has("configData") | not'
ddi PUT "$B/$D0/configData" "TargetToken $T0" -d '{"data":{"a":1}}'
expect_status "a data that is not an object of strings: 400" 400
ddi PUT "$B/$D0/configData" "TargetToken $T0" -d '{"data":{"serial":"42"},"mode":"replace"}'
expect_status "mode replace: 200" 200
api GET "/v1/devices/$D0" "$ADMIN"
check_jq "... replaces them" '.attributes == {"serial":"42"}'

# ---- an offer: deploymentBase (§2.5) ----
api POST "/v1/devices/$D0/assign" "$ADMIN" -d "{\"release\":$REL}"
expect_status "a direct offer to $D0" 201
ddi GET "$B/$D0" "TargetToken $T0"
HREF=$(jqb ._links.deploymentBase.href)
check "the base links deploymentBase, absolute" grep -qE "^$URL$B/$D0/deploymentBase/[0-9]+$" <<<"$HREF"
ACT=${HREF##*/}
ddi GET "$B/$D0" "TargetToken $T0"
expect "a second poll shows the same action" "$(jqb ._links.deploymentBase.href)" "$HREF"
expect "... and the offer stays offered" "$(member_state "$D0")" offered
# An artifact stored before migration 006 has no digests: hashed on first
# DDI use, and kept.
SHA=$(sha256sum <"$TMP/fw-2.0.0.bin" | cut -d' ' -f1)
db_sql "UPDATE artifacts SET sha1 = NULL, md5 = NULL WHERE sha256 = '$SHA'"
ddi GET "${HREF#"$URL"}?c=-1" "TargetToken $T0"
expect_status "GET deploymentBase (a query is ignored)" 200
expect "... the digests of an old artifact are computed and stored" \
	"$(db_sql "SELECT sha1 || ' ' || md5 FROM artifacts WHERE sha256 = '$SHA'")" \
	"$(sha1sum <"$TMP/fw-2.0.0.bin" | cut -d' ' -f1) $(md5sum <"$TMP/fw-2.0.0.bin" | cut -d' ' -f1)"
expect "id is the action id as a string" "$(jq -c .id <<<"$BODY")" "\"$ACT\""
check_jq "forced, one chunk of version 2.0.0" '.deployment.download == "forced" and .deployment.update == "forced" and (.deployment.chunks | length) == 1 and .deployment.chunks[0].version == "2.0.0" and (.deployment.chunks[0].artifacts | length) == 1'
ART=$(jq -c '.deployment.chunks[0].artifacts[0]' <<<"$BODY")
expect "filename <fw_version>.swu" "$(jq -r .filename <<<"$ART")" 2.0.0.swu
expect "size" "$(jq -r .size <<<"$ART")" 150000
expect "sha1" "$(jq -r .hashes.sha1 <<<"$ART")" "$(sha1sum <"$TMP/fw-2.0.0.bin" | cut -d' ' -f1)"
expect "md5" "$(jq -r .hashes.md5 <<<"$ART")" "$(md5sum <"$TMP/fw-2.0.0.bin" | cut -d' ' -f1)"
expect "sha256" "$(jq -r .hashes.sha256 <<<"$ART")" "$(sha256sum <"$TMP/fw-2.0.0.bin" | cut -d' ' -f1)"
DL=$(jq -r '._links."download-http".href' <<<"$ART")
expect "download-http, absolute" "$DL" "$URL$B/$D0/softwaremodules/$REL/artifacts/2.0.0.swu"
expect "md5sum-http" "$(jq -r '._links."md5sum-http".href' <<<"$ART")" "$DL.MD5SUM"
ddi GET "$B/$D0/deploymentBase/999999" "TargetToken $T0"
expect_status "deploymentBase of no such action: 404" 404
ddi GET "$B/$D1/deploymentBase/$ACT" "TargetToken $T1"
expect_status "... of another device's action: 404" 404

# ---- the download (§2.3): the same code as /v1/artifacts ----
curl -s -o "$TMP/dl.bin" -H "Authorization: TargetToken $T0" "$DL"
check "the bytes are the artifact's" cmp -s "$TMP/dl.bin" "$TMP/fw-2.0.0.bin"
ddi GET "${DL#"$URL"}" "TargetToken $T0" -H 'Range: bytes=100000-' -o /dev/null
expect_status "Range: bytes=N-: 206" 206
check "... Content-Range" grep -q '^Content-Range: bytes 100000-149999/150000' <<<"$HEADERS"
check "... ETag and Accept-Ranges" bash -c 'grep -q "^ETag: " <<<"$1" && grep -q "^Accept-Ranges: bytes" <<<"$1"' _ "$HEADERS"
ddi GET "${DL#"$URL"}" "TargetToken $T0" -H 'Range: bytes=150000-'
expect_status "past the end: 416" 416
ddi HEAD "${DL#"$URL"}" "TargetToken $T0"
expect_status "HEAD: 200" 200
check "... with the length" grep -q '^Content-Length: 150000' <<<"$HEADERS"
ddi GET "${DL#"$URL"}" ""
expect_status "without a token: 401" 401
ddi GET "$B/$D1/softwaremodules/$REL/artifacts/2.0.0.swu" "TargetToken $T1" -o /dev/null
expect_status "any controller may fetch any release" 200
ddi GET "$B/$D0/softwaremodules/$REL/artifacts/other.swu" "TargetToken $T0"
expect_status "another filename: 404" 404
ddi GET "$B/$D0/softwaremodules/999/artifacts/2.0.0.swu" "TargetToken $T0"
expect_status "no such release: 404" 404
ddi GET "${DL#"$URL"}.MD5SUM" "TargetToken $T0"
expect_status ".MD5SUM: 200" 200
expect "... hawkBit's format" "$BODY" "$(md5sum <"$TMP/fw-2.0.0.bin" | cut -d' ' -f1)  2.0.0.swu"

# ---- feedback (§2.7) ----
fb "$ACT" "TargetToken $T0" proceeding none "Installing Update Chunk Artifacts."
expect_status "progress feedback: 200" 200
expect "... with an empty body" "$BODY" ""
expect "... the offer is downloading" "$(member_state "$D0")" downloading
fb "$ACT" "TargetToken $T0" proceeding none "All Chunks Installed."
expect "\"All Chunks Installed.\" is not installed" "$(member_state "$D0")" downloading
ddi POST "$B/$D0/deploymentBase/$ACT/feedback" "TargetToken $T0" -d '{"status":{"result":{"finished":"none"}}}'
expect_status "no execution: 400" 400
expect "... bad_json" "$(jqb .error.code)" bad_json
ddi POST "$B/$D0/deploymentBase/$ACT/feedback" "TargetToken $T0" -d '{"status":{"execution":"closed","result":{"finished":"maybe"}}}'
expect_status "an unknown finished: 400" 400
ddi POST "$B/$D0/deploymentBase/$ACT/feedback" "TargetToken $T0" -d '{"status":'
expect_status "not JSON: 400" 400
ddi POST "$B/$D1/deploymentBase/$ACT/feedback" "TargetToken $T1" -d '{"status":{"execution":"closed","result":{"finished":"success"}}}'
expect_status "feedback on another device's action: 404" 404
expect "... changes nothing" "$(member_state "$D0")" downloading
# A poll right before the success: its last-seen note, flushed after the
# success, must not put the old version back (DDI.md F4: a DDI poll
# declares nothing, or the confirmed offer would turn into a fallback).
P=$(date +%s)
ddi GET "$B/$D0" "TargetToken $T0"
fb "$ACT" "TargetToken $T0" closed success "Update Installed."
expect_status "closed/success: 200" 200
expect "... the offer is confirmed" "$(member_state "$D0")" confirmed
expect "... the device runs 2.0.0" "$(member_state "$D0" .fw_version)" 2.0.0
for i in $(seq 1 50); do
	api GET "/v1/devices/$D0" "$ADMIN"
	[ "$(jqb '.last_seen | if . == null then 0 else fromdateiso8601 end')" -ge "$P" ] && break
	sleep 0.1
done
check "the poll before it is flushed" test "$(jqb '.last_seen | if . == null then 0 else fromdateiso8601 end')" -ge "$P"
expect "... and the device still runs 2.0.0" "$(jqb .fw_version)" 2.0.0
expect "... its offer still confirmed" "$(jqb .offer.state)" confirmed
fb "$ACT" "TargetToken $T0" closed success "Update Installed."
expect_status "its repeat (an HTTP retry): 200" 200
fb "$ACT" "TargetToken $T0" proceeding none "late"
expect_status "another report on the closed action: 410" 410
expect "... gone" "$(jqb .error.code)" gone
ddi GET "$B/$D0/deploymentBase/$ACT" "TargetToken $T0"
expect_status "a closed action's deploymentBase: 404" 404
ddi GET "$B/$D0" "TargetToken $T0"
check_jq "after the closed action: configData asked, no deploymentBase" '(._links | has("configData")) and (._links | has("deploymentBase") | not)'

# ---- a refused image: failed, and the history keeps the ERROR line ----
api POST "/v1/devices/$D1/assign" "$ADMIN" -d "{\"release\":$REL}"
ddi GET "$B/$D1" "TargetToken $T1"
A1=$(jqb '._links.deploymentBase.href' | sed 's|.*/||')
ddi POST "$B/$D1/deploymentBase/$A1/feedback" "TargetToken $T1" -d '{"id":5,"status":{"result":{"finished":"failure"},"execution":"closed","details":["Installing","ERROR : HW compatibility not found","No suitable .swu image found"]}}'
expect_status "closed/failure: 200" 200
expect "... failed" "$(member_state "$D1")" failed
check_jq "... the history keeps the first ERROR line" '[.history[] | select(.detail != null and (.detail | startswith("ERROR : HW compatibility not found")))] | length >= 1'

# ---- cancel (§2.9): a withdrawn offer ----
api POST "/v1/devices/$D2/assign" "$ADMIN" -d "{\"release\":$REL}"
ddi GET "$B/$D2" "GatewayToken $GW"
A2=$(jqb '._links.deploymentBase.href' | sed 's|.*/||')
check "the gateway token sees $D2's action" test -n "$A2"
api DELETE "/v1/devices/$D2/assign" "$ADMIN"
expect_status "the offer is withdrawn" 204
ddi GET "$B/$D2" "TargetToken $T2"
expect "the base shows cancelAction instead" "$(jqb ._links.cancelAction.href)" "$URL$B/$D2/cancelAction/$A2"
check_jq "... and no deploymentBase" '._links | has("deploymentBase") | not'
ddi GET "$B/$D2/cancelAction/$A2" "TargetToken $T2"
expect_status "GET cancelAction" 200
check_jq "... stopId is the action id" ".id == \"$A2\" and .cancelAction.stopId == \"$A2\""
ddi POST "$B/$D2/cancelAction/$A2/feedback" "TargetToken $T2" -d "{\"id\":$A2,\"status\":{\"result\":{\"finished\":\"success\"},\"execution\":\"closed\",\"details\":[\"cancellation acknowledged.\"]}}"
expect_status "SWUpdate's cancel acknowledgement: 200" 200
ddi GET "$B/$D2" "TargetToken $T2"
check_jq "then no links but configData" '._links | (has("cancelAction") or has("deploymentBase")) | not'
ddi GET "$B/$D2/cancelAction/$A2" "TargetToken $T2"
expect_status "the cancel is gone: 404" 404
# A rejected cancel: neither link until the device closes the action.
api POST "/v1/devices/$D2/assign" "$ADMIN" -d "{\"release\":$REL3}"
ddi GET "$B/$D2" "TargetToken $T2"
A3=$(jqb '._links.deploymentBase.href' | sed 's|.*/||')
check "a new offer makes a new action" test -n "$A3" -a "$A3" != "$A2"
api DELETE "/v1/devices/$D2/assign" "$ADMIN"
ddi GET "$B/$D2" "TargetToken $T2"
ddi POST "$B/$D2/cancelAction/$A3/feedback" "TargetToken $T2" -d '{"id":"'"$A3"'","status":{"result":{"finished":"none"},"execution":"rejected","details":["busy installing"]}}'
expect_status "rauc's rejected cancel: 200" 200
ddi GET "$B/$D2" "TargetToken $T2"
check_jq "then neither link" '._links | (has("cancelAction") or has("deploymentBase")) | not'
ddi POST "$B/$D2/deploymentBase/$A3/feedback" "TargetToken $T2" -d '{"id":"'"$A3"'","status":{"result":{"finished":"success"},"execution":"closed","details":["done"]}}'
expect_status "the device closes it through deploymentBase: 200" 200
stop_otad
expect "otad stops cleanly" "$OTAD_RC" 0

# ---- DDI off ----
cat >"$TMP/otad.conf" <<CONF
ddi_tenant =
CONF
start_otad -c "$TMP/otad.conf" || { fail "otad restarts with DDI off"; finish; }
ddi GET "$B/$D0" "TargetToken $T0"
expect_status "ddi_tenant empty: every DDI path is 404" 404
ddi GET "$B/$D0/softwaremodules/$REL/artifacts/2.0.0.swu" "TargetToken $T0"
expect_status "... the download too" 404
stop_otad
finish
