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

finish
