#!/bin/bash
# The fleet API end to end against the real otad, with curl: upload,
# release, provision, assign, poll, resumed download, status, health; and
# the refusals: bad releases, oversized and aborted uploads, wrong tokens,
# reports on another device's offer, bad JSON, revocation, conflicting and
# invalid provisioning, cohorts, device listing, and kill -9.
. "$(dirname "$0")/../lib.sh"

W=$TMP/w
mkdir -p "$W" && cd "$W" || exit 1
OTACTL=$BIN/otactl
CONF=$TMP/fleet.conf
cat >"$CONF" <<'EOF'
max_artifact_size = 512K
max_json_body = 8K
seen_flush_interval = 1
poll_interval = 7
EOF
start_otad -c "$CONF" || { fail "otad starts"; finish; }

# files_in DIR: the names of the files in DIR, one line.
files_in() { find "$1" -type f -printf '%f ' | sed 's/ $//'; }
# verify ARGS...: otactl verify, quietly.
verify() { "$OTACTL" verify "$@" >/dev/null; }
# wait_tmp EMPTY|BUSY: waits up to 5 s for <data>/tmp to be so; 0 if it is.
wait_tmp() {
	local i
	for i in $(seq 1 50); do
		if [ "$1" = EMPTY ]; then [ -z "$(files_in "$DATA/tmp")" ] && return 0
		else [ -n "$(files_in "$DATA/tmp")" ] && return 0; fi
		sleep 0.1
	done
	return 1
}
# sha FILE
sha() { sha256sum "$1" | cut -d' ' -f1; }
# poll TOKEN FW NONCE: the device poll; sets STATUS, BODY, and HDR (file).
poll() {
	STATUS=$(curl -s -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' \
	    -H "Authorization: Bearer $1" \
	    "$URL/v1/device/update?fw_version=$2&nonce=$3")
	BODY=$(cat "$TMP/body")
}
# status TOKEN CAMPAIGN RELEASE STATE [REASON]
status() {
	api POST /v1/device/status "$1" -d "{\"campaign\":\"$2\",\"release\":\"$3\",\"state\":\"$4\"${5:+,\"reason\":\"$5\"}}"
}
# sign OUT ARTIFACT VERSION KEY [more otactl flags]
sign() {
	local out=$1 art=$2 ver=$3 key=$4
	shift 4
	"$OTACTL" release sign --artifact "$art" --fw-version "$ver" \
	    --hw-class board-a --security-counter 1 --expires 30d --key "$key" \
	    --out "$out" --passphrase-file pass "$@" >/dev/null
}

# ---- trust -------------------------------------------------------------
printf 'fleet passphrase\n' >pass
for k in root rel rogue; do
	"$OTACTL" key new --out $k --passphrase-file pass >/dev/null ||
	    fail "key new $k"
done
curl -fsS "$URL/v1/trust/online-key" >online.pub
"$OTACTL" root new --root-key root --release-key rel.pub \
    --online-key online.pub --expires 30d --out root.json \
    --passphrase-file pass >/dev/null
api PUT /v1/trust/root "$ADMIN" --data-binary @root.json
expect_status "root v1 uploaded" 201

# ---- upload -> release -> provision -> assign ------------------------------
head -c 300000 /dev/urandom >fw.bin
head -c 200000 /dev/urandom >fw2.bin
api POST /v1/artifacts "$ADMIN" -H "Content-Type: application/octet-stream" --data-binary @fw.bin
expect_status "artifact upload is 201" 201
expect "upload answers the sha256 and size" "$(jqb '"\(.sha256) \(.size)"')" \
    "$(sha fw.bin) 300000"
api PUT /v1/artifacts "$ADMIN" -H "Content-Type: application/octet-stream" --data-binary @fw.bin
expect_status "same bytes again (PUT) is 200" 200
api POST /v1/artifacts "$ADMIN" -H "Content-Type: application/octet-stream" --data-binary @fw2.bin
expect_status "second artifact" 201

sign release.json fw.bin 1.1.0 rel
sign release2.json fw2.bin 1.2.0 rel
api POST /v1/releases "$ADMIN" --data-binary @release.json
expect_status "signed release is 201" 201
R1=$(jqb .id)
R1SHA=$(jqb .sha256)
expect "release sha256 is that of the envelope bytes" "$R1SHA" "$(sha release.json)"
api POST /v1/releases "$ADMIN" --data-binary @release2.json
expect_status "second release is 201" 201
R2=$(jqb .id)
R2SHA=$(jqb .sha256)

api POST /v1/devices "$ADMIN" -d '[
 {"device_id":"dev-a","hw_class":"board-a","fw_version":"1.0.0","tags":["lab"]},
 {"device_id":"dev-b","hw_class":"board-a","fw_version":"1.0.0"},
 {"device_id":"dev-c","hw_class":"board-a","fw_version":"1.0.0"}]'
expect_status "bulk provisioning is 201" 201
A=$(jqb '.devices[0].token')
B=$(jqb '.devices[1].token')
C=$(jqb '.devices[2].token')
expect "device tokens are dev_ tokens" "${A:0:4}${B:0:4}${C:0:4}" dev_dev_dev_

api POST /v1/devices/dev-a/assign "$ADMIN" -d "{\"release\":$R1}"
expect_status "direct assignment is 201" 201

# ---- poll ------------------------------------------------------------------
poll "$A" 1.0.0 nonce-a-0001
expect_status "poll with an offer is 200" 200
jq -j -c .release <<<"$BODY" >offered-release.json
jq -j -c .assignment <<<"$BODY" >offered-assignment.json
check "offered release verifies against root.json with the artifact" \
    verify --root root.json --artifact fw.bin offered-release.json
check "offered release bytes are the uploaded envelope" cmp -s offered-release.json release.json
check "assignment verifies against root.json (online key)" \
    verify --root root.json offered-assignment.json
expect "assignment names this device, nonce, campaign and release" \
    "$(jqb -c '.assignment.signed | [.device_id, .nonce, .campaign, .release]')" \
    "[\"dev-a\",\"nonce-a-0001\",\"direct\",\"$(sha offered-release.json)\"]"
expect "artifact_url names the artifact" "$(jqb .artifact_url)" "/v1/artifacts/$(sha fw.bin)"
expect "campaign is direct" "$(jqb .campaign)" direct
poll "$A" 1.0.0 nonce-a-0002
expect "a second poll echoes its own nonce" "$(jqb .assignment.signed.nonce)" nonce-a-0002

# ---- download with a resume -----------------------------------------------------------
ART=$URL$(jqb .artifact_url)
code=$(curl -s -o part.bin -w '%{http_code}' -r 0-99999 -H "Authorization: Bearer $A" "$ART")
expect "first part is 206" "$code" 206
expect "first part is 100000 bytes" "$(stat -c %s part.bin)" 100000
code=$(curl -s -o part.bin -C - -D resume.hdr -w '%{http_code}' -H "Authorization: Bearer $A" "$ART")
expect "resume is 206" "$code" 206
check "resume asks from byte 100000" grep -qi '^content-range: bytes 100000-299999/300000' resume.hdr
check "resumed download is exactly fw.bin" cmp -s part.bin fw.bin
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $A" \
    -H "If-None-Match: \"$(sha fw.bin)\"" "$ART")
expect "If-None-Match with the ETag is 304" "$code" 304
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $A" \
    -H "If-None-Match: \"$(sha fw2.bin)\", W/\"$(sha fw.bin)\"" "$ART")
expect "If-None-Match with a list holding the weak ETag is 304" "$code" 304
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $A" \
    -H "If-None-Match: \"$(sha fw2.bin)\"" "$ART")
expect "If-None-Match with another ETag is 200" "$code" 200
code=$(curl -s -o /dev/null -w '%{http_code}' -r 300000- -H "Authorization: Bearer $A" "$ART")
expect "range past the end is 416" "$code" 416
code=$(curl -s -o /dev/null -w '%{http_code}' "$ART")
expect "artifact without a token is 401" "$code" 401

# ---- status, health, then nothing to do -------------------------------------------
for s in downloading installed confirmed; do
	status "$A" direct "$R1SHA" $s
	expect_status "status $s is 200" 200
	expect "status $s is the offer's state" "$(jqb .state)" $s
done
status "$A" direct "$R1SHA" downloading
expect_status "going back (confirmed -> downloading) is 409" 409
api POST /v1/device/health "$A" -d '{"fw_version":"1.1.0","boot_ok":true,"selftest":"pass","crash_count":0,"uptime_s":12}'
expect_status "health report is 200" 200
expect "health says healthy" "$(jqb .health)" healthy
poll "$A" 1.1.0 nonce-a-0003
expect_status "poll on the installed version is 204" 204
check "204 carries Retry-After: poll_interval" grep -qi '^retry-after: 7' "$TMP/hdr"

fw=
for i in $(seq 1 50); do
	api GET /v1/devices/dev-a "$ADMIN"
	fw=$(jqb .fw_version)
	[ "$fw" = 1.1.0 ] && break
	sleep 0.1
done
expect "the polled fw_version reaches GET /v1/devices/{id}" "$fw" 1.1.0
check "last_seen is an RFC 3339 UTC time" \
    grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' <<<"$(jqb .last_seen)"
expect "history has the reports, newest first" \
    "$(jqb -c '[.history[] | select(.kind == "status" or .kind == "health") | .state]')" \
    '["healthy","confirmed","installed","downloading"]'
expect "the offer is confirmed" "$(jqb .offer.state)" confirmed

# ---- releases that must be refused -------------------------------------------------
count_releases() {
	api GET /v1/releases "$ADMIN"
	jqb '.releases | length'
}
sign r-tamper.json fw.bin 1.3.0 rel
sed 's/"security_counter":1/"security_counter":2/' r-tamper.json >r-tampered.json
cmp -s r-tamper.json r-tampered.json && fail "the tampered copy differs"
api POST /v1/releases "$ADMIN" --data-binary @r-tampered.json
expect_status "a changed signed field is 422" 422
expect "... code signature" "$(jqb .error.code)" signature
sign r-rogue.json fw.bin 1.4.0 rogue
api POST /v1/releases "$ADMIN" --data-binary @r-rogue.json
expect_status "signed by a key outside the release role is 422" 422
expect "... code threshold" "$(jqb .error.code)" threshold
head -c 5000 /dev/urandom >never-uploaded.bin
sign r-missing.json never-uploaded.bin 1.5.0 rel
api POST /v1/releases "$ADMIN" --data-binary @r-missing.json
expect_status "artifact not uploaded is 422" 422
expect "... code artifact_missing" "$(jqb .error.code)" artifact_missing
# A properly signed release that names fw.bin's hash with another length.
sign r-len.json fw.bin 1.6.0 rel
jq -cjS '.signed.length = 299999 | .signatures = []' r-len.json >r-len-unsigned.json
"$OTACTL" release cosign --key rel --in r-len-unsigned.json --out r-len2.json \
    --passphrase-file pass >/dev/null
check "size-mismatch release verifies offline" verify --root root.json r-len2.json
api POST /v1/releases "$ADMIN" --data-binary @r-len2.json
expect_status "artifact of another size is 422" 422
expect "... code artifact_mismatch" "$(jqb .error.code)" artifact_mismatch
sign r-dup.json fw2.bin 1.1.0 rel --notes "same version, other bytes"
api POST /v1/releases "$ADMIN" --data-binary @r-dup.json
expect_status "same fw_version for the same hw class is 409" 409
expect "... code version_exists" "$(jqb .error.code)" version_exists
expect "refused releases stored nothing" "$(count_releases)" 2

# ---- uploads over the cap, and cut off ------------------------------------------------
before_art=$(files_in "$DATA/artifacts")
head -c 600000 /dev/urandom >big.bin
api POST /v1/artifacts "$ADMIN" -H "Content-Type: application/octet-stream" --data-binary @big.bin
expect_status "upload over max_artifact_size is 413" 413
expect "... code body_too_large" "$(jqb .error.code)" body_too_large
api POST /v1/artifacts "$ADMIN" -H "Content-Type: application/octet-stream" -H "Expect: 100-continue" --data-binary @big.bin
expect_status "... also to a client waiting for 100 Continue" 413
api POST /v1/artifacts "$ADMIN" -H "Transfer-Encoding: chunked" -H "Content-Type: application/octet-stream" --data-binary @big.bin
expect_status "chunked upload over the cap is 413" 413
expect "nothing left in <data>/tmp" "$(files_in "$DATA/tmp")" ""
# A client that reads the 413 and holds its connection open: the partial
# file is gone before the answer reaches it, not when the connection ends.
port=${URL##*:}
exec 3<>"/dev/tcp/127.0.0.1/$port"
(
	trap '' PIPE
	printf 'POST /v1/artifacts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n' "$ADMIN"
	for _ in $(seq 1 10); do
		printf '10000\r\n'; head -c 65536 /dev/zero; printf '\r\n'
	done
) >&3 2>/dev/null
IFS= read -r -t 20 status_line <&3 || status_line=
expect "a chunked upload held open is 413" "${status_line:9:3}" 413
expect "... and its partial file is gone at once" "$(files_in "$DATA/tmp")" ""
exec 3<&-
expect "nothing new in <data>/artifacts" "$(files_in "$DATA/artifacts")" "$before_art"
api GET "/v1/artifacts/$(sha big.bin)" "$ADMIN"
expect_status "no row for the refused artifact: 404" 404

head -c 400000 /dev/urandom >slow.bin
curl -s -o /dev/null --limit-rate 40k -H "Authorization: Bearer $ADMIN" \
    -H "Content-Type: application/octet-stream" --data-binary @slow.bin "$URL/v1/artifacts" &
CURL_PID=$!
wait_tmp BUSY
sleep 0.5
check "an upload in progress is in <data>/tmp" test -n "$(files_in "$DATA/tmp")"
kill "$CURL_PID"
wait "$CURL_PID" 2>/dev/null
wait_tmp EMPTY
expect "a client that disconnects leaves no partial file" "$(files_in "$DATA/tmp")" ""
expect "... and nothing in <data>/artifacts" "$(files_in "$DATA/artifacts")" "$before_art"
api GET "/v1/artifacts/$(sha slow.bin)" "$ADMIN"
expect_status "... and no row: 404" 404

# ---- tokens in the wrong place -------------------------------------------------------
api GET /v1/tokens "$A"
expect_status "device token on an admin call is 403" 403
expect "... code forbidden" "$(jqb .error.code)" forbidden
api POST /v1/devices "$A" -d '{"device_id":"evil","hw_class":"board-a","fw_version":"1.0.0"}'
expect_status "device token cannot provision" 403
api POST /v1/devices/dev-a/assign "$A" -d "{\"release\":$R2}"
expect_status "device token cannot assign" 403
api GET "/v1/device/update?fw_version=1.0.0&nonce=nonce-adm-01" "$ADMIN"
expect_status "admin token on a device call is 403" 403
api POST /v1/tokens "$ADMIN" -d '{"name":"watch","role":"viewer"}'
VIEWER=$(jqb .token)
api POST /v1/artifacts "$VIEWER" -H "Content-Type: application/octet-stream" --data-binary @fw2.bin
expect_status "viewer token cannot upload" 403

# ---- a report on another device's offer ---------------------------------------------
api POST /v1/devices/dev-b/assign "$ADMIN" -d "{\"release\":$R2}"
expect_status "dev-b is offered release 2" 201
poll "$B" 1.0.0 nonce-b-0001
expect_status "dev-b's poll has the offer" 200
status "$A" direct "$R2SHA" downloading
expect_status "dev-a reporting on dev-b's offer is 404" 404
expect "... code no_offer" "$(jqb .error.code)" no_offer
status "$A" 1 "$R2SHA" failed hash
expect_status "... in a campaign it is not in: 404" 404
api GET /v1/devices/dev-b "$ADMIN"
expect "dev-b's offer is unchanged" "$(jqb .offer.state)" offered
expect "dev-b's history has no report" \
    "$(jqb '[.history[] | select(.kind == "status")] | length')" 0

# ---- bad JSON ------------------------------------------------------------------------
api POST /v1/device/status "$B" -d '{"campaign":"direct","release":'
expect_status "malformed JSON is 400" 400
expect "... code bad_json" "$(jqb .error.code)" bad_json
{ printf '{"campaign":"direct","release":"%s","state":"downloading","detail":"' "$R2SHA"
  head -c 10000 /dev/zero | tr '\0' x; printf '"}'; } >big.json
api POST /v1/device/status "$B" --data-binary @big.json
expect_status "JSON over max_json_body is 413" 413
api POST /v1/device/status "$B" -H "Transfer-Encoding: chunked" --data-binary @big.json
expect_status "chunked JSON over max_json_body is 413" 413
api POST /v1/device/status "$B" -d "{\"campaign\":\"direct\",\"release\":\"$R2SHA\",\"state\":\"exploded\"}"
expect_status "unknown state is 422" 422
api GET /v1/devices/dev-b "$ADMIN"
expect "bad reports changed nothing" "$(jqb .offer.state)" offered

# ---- revoke ----------------------------------------------------------------------------
api POST "/v1/releases/$R2/revoke" "$ADMIN"
expect_status "revoke is 200" 200
expect "release state is revoked" "$(jqb .state)" revoked
poll "$B" 1.0.0 nonce-b-0002
expect_status "a revoked release is no longer offered: 204" 204
check "... with Retry-After" grep -qi '^retry-after: 7' "$TMP/hdr"
api POST /v1/devices/dev-c/assign "$ADMIN" -d "{\"release\":$R2}"
expect_status "assigning a revoked release is 422" 422

# ---- provisioning: all or nothing -----------------------------------------------------
count_devices() {
	api GET "/v1/devices?limit=1000" "$ADMIN"
	jqb '.devices | length'
}
n0=$(count_devices)
api POST /v1/devices "$ADMIN" -d '[
 {"device_id":"new-1","hw_class":"board-a","fw_version":"1.0.0"},
 {"device_id":"new-2","hw_class":"board a","fw_version":"1.0.0"},
 {"device_id":"new-3","hw_class":"board-a","fw_version":"1.0.0"}]'
expect_status "bulk with one bad item is 422" 422
check "... naming devices[1]" grep -q '^devices\[1\]\.hw_class' <<<"$(jqb .error.message)"
expect "... and nothing provisioned" "$(count_devices)" "$n0"
api POST /v1/devices "$ADMIN" -d '[
 {"device_id":"new-1","hw_class":"board-a","fw_version":"1.0.0"},
 {"device_id":"dev-b","hw_class":"board-a","fw_version":"1.0.0"}]'
expect_status "a device_id that exists is 409" 409
expect "... code exists" "$(jqb .error.code)" exists
check "... naming devices[1] and the id" grep -q 'devices\[1\]\.device_id dev-b' <<<"$(jqb .error.message)"
expect "... and nothing provisioned" "$(count_devices)" "$n0"
api POST /v1/devices "$ADMIN" -d '[
 {"device_id":"new-1","hw_class":"board-a","fw_version":"1.0.0"},
 {"device_id":"new-1","hw_class":"board-a","fw_version":"1.0.0"}]'
expect_status "a device_id repeated in the array is 409" 409
expect "... and nothing provisioned" "$(count_devices)" "$n0"
api GET /v1/devices/new-1 "$ADMIN"
expect_status "new-1 does not exist" 404

# ---- listing: filters and pagination --------------------------------------------------
items=
for i in $(seq -w 1 23); do
	case $((10#$i % 3)) in
	0) hw=board-b tags='["eu"]' ;;
	1) hw=board-a tags='["eu","lab"]' ;;
	*) hw=board-a tags='[]' ;;
	esac
	items+="${items:+,}{\"device_id\":\"fleet-$i\",\"hw_class\":\"$hw\",\"fw_version\":\"2.0.$((10#$i % 2))\",\"tags\":$tags}"
done
api POST /v1/devices "$ADMIN" -d "[$items]"
expect_status "23 more devices" 201
all=$( (echo dev-a dev-b dev-c; seq -f 'fleet-%02g' 1 23) | tr ' ' '\n' | LC_ALL=C sort)
after= pages=0 seen=
while :; do
	api GET "/v1/devices?limit=5&after=$after" "$ADMIN"
	[ "$STATUS" = 200 ] || break
	pages=$((pages + 1))
	seen+=$(jqb '.devices[].device_id')$'\n'
	after=$(jqb '.next // empty')
	[ -n "$after" ] && [ "$pages" -lt 20 ] || break
done
expect "next walks every device exactly once" "$(grep . <<<"$seen")" "$all"
expect "... in 6 pages of 5" "$pages" 6
list() {
	api GET "/v1/devices?$1" "$ADMIN"
	jqb '[.devices[].device_id] | join(" ")'
}
expect "filter hw_class" "$(list hw_class=board-b)" \
    "fleet-03 fleet-06 fleet-09 fleet-12 fleet-15 fleet-18 fleet-21"
expect "filter tag (and hw_class)" "$(list 'tag=lab&hw_class=board-a')" \
    "dev-a fleet-01 fleet-04 fleet-07 fleet-10 fleet-13 fleet-16 fleet-19 fleet-22"
expect "filter fw_version" "$(list 'fw_version=2.0.1&hw_class=board-b')" \
    "fleet-03 fleet-09 fleet-15 fleet-21"
expect "filter fw_version as polled" "$(list fw_version=1.1.0)" dev-a
expect "filtered pages" "$(list 'tag=eu&limit=3&after=fleet-10')" "fleet-12 fleet-13 fleet-15"
api GET "/v1/devices?limit=0" "$ADMIN"
expect_status "limit=0 is 400" 400

# ---- cohorts ----------------------------------------------------------------------------
api POST /v1/cohorts "$ADMIN" -d '{"name":"canary","devices":["dev-a","fleet-01"]}'
expect_status "cohort created" 201
expect "cohort listing" "$(list cohort=canary)" "dev-a fleet-01"
api POST /v1/cohorts "$ADMIN" -d '{"name":"canary"}'
expect_status "same cohort name is 409" 409
api PUT /v1/cohorts/canary/devices "$ADMIN" -d '{"devices":["fleet-02","fleet-03","fleet-04"]}'
expect_status "cohort members replaced" 200
expect "replaced, not added" "$(list cohort=canary)" "fleet-02 fleet-03 fleet-04"
api GET /v1/cohorts/canary "$ADMIN"
expect "cohort shows its members" "$(jqb -c '[.device_count, .devices]')" \
    '[3,["fleet-02","fleet-03","fleet-04"]]'
api PUT /v1/cohorts/canary/devices "$ADMIN" -d '{"devices":["fleet-05","no-such-device"]}'
expect_status "unknown member is 422" 422
expect "... code unknown_device" "$(jqb .error.code)" unknown_device
check "... naming devices[1]" grep -q '^devices\[1\]' <<<"$(jqb .error.message)"
expect "... members unchanged" "$(list cohort=canary)" "fleet-02 fleet-03 fleet-04"
api POST /v1/cohorts "$ADMIN" -d '{"name":"ghosts","devices":["no-such-device"]}'
expect_status "new cohort with an unknown member is 422" 422
api GET /v1/cohorts/ghosts "$ADMIN"
expect_status "... and it was not created" 404
api PUT /v1/cohorts/nope/devices "$ADMIN" -d '{"devices":[]}'
expect_status "unknown cohort is 404" 404

# ---- kill -9 keeps what was acknowledged -----------------------------------------------
api POST /v1/devices/dev-c/assign "$ADMIN" -d "{\"release\":$R1}"
expect_status "dev-c is offered release 1" 201
poll "$C" 1.0.0 nonce-c-0001
expect_status "dev-c polls its offer" 200
status "$C" direct "$R1SHA" downloading
expect_status "dev-c reports downloading: 200" 200
stop_otad KILL
start_otad -c "$CONF" || { fail "otad restarts after kill -9"; finish; }
api GET /v1/devices/dev-c "$ADMIN"
expect "the report answered before kill -9 is in the history" \
    "$(jqb -r '[.history[] | select(.kind == "status")][0].state')" downloading
expect "... and the offer's state" "$(jqb .offer.state)" downloading
expect "releases survive" "$(count_releases)" 2
code=$(curl -s -o again.bin -w '%{http_code}' -H "Authorization: Bearer $C" \
    "$URL/v1/artifacts/$(sha fw.bin)")
expect "the artifact is still served" "$code" 200
check "... byte for byte" cmp -s again.bin fw.bin
status "$C" direct "$R1SHA" installed
expect_status "dev-c goes on after the restart" 200

# kill -9 in the middle of an upload: the restart clears the leftover.
curl -s -o /dev/null --limit-rate 40k -H "Authorization: Bearer $ADMIN" \
    -H "Content-Type: application/octet-stream" --data-binary @slow.bin "$URL/v1/artifacts" &
CURL_PID=$!
wait_tmp BUSY
sleep 0.3
stop_otad KILL
wait "$CURL_PID" 2>/dev/null
check "kill -9 mid-upload leaves a temporary file" test -n "$(files_in "$DATA/tmp")"
start_otad -c "$CONF" || { fail "otad restarts"; finish; }
expect "the restart removes it" "$(files_in "$DATA/tmp")" ""
expect "... and stores nothing" "$(files_in "$DATA/artifacts")" "$before_art"

finish
