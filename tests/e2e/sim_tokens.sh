#!/bin/bash
# The device token goes only to the server's own origin. Two real
# listeners record the Authorization header of every request: the
# middlebox in front of otad (polls, reports, roots) and a mirror on
# another origin that otad names in artifact_url (public_url). The update
# completes and the mirror never sees a token.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sim_lib.sh"

# The mirror first: otad's public_url must name it. It serves the
# release's image, which sim_release writes to $TMP/w/v2.bin below.
sim_mirror --artifact "$TMP/w/v2.bin" --log "$TMP/mirror.log" ||
	{ fail "the mirror starts"; finish; }
printf 'public_url = %s\n' "$MURL" >"$TMP/otad.conf"
sim_world -c "$TMP/otad.conf" || { fail "a server with a root"; finish; }
sim_release v2 1.1.0 ok 3 || fail "release 1.1.0"
sim_proxy --log "$TMP/front.log"

sim_device t1
sim_assign t1 "$REL_ID"
sim_run_via "$PURL" t1 --log-level info
expect "the update through the mirror completes" "$(sim_history t1)" \
	"downloading,installed,confirmed"
expect "the device runs 1.1.0" "$(sim_running t1)" "1.1.0 B"
TOKEN=$(cat "$W/t1.token")
check "the server's origin got the token with the poll" \
	grep -q "^GET /v1/device/update?.* auth=Bearer $TOKEN\$" "$TMP/front.log"
check "and with the reports" \
	grep -q "^POST /v1/device/status .* auth=Bearer $TOKEN\$" "$TMP/front.log"
check "the mirror served the artifact" \
	grep -q "^GET /v1/artifacts/$(file_sha "$W/v2.bin") " "$TMP/mirror.log"
expect "the mirror never saw a token" \
	"$(grep -vc ' auth=-$' "$TMP/mirror.log")" 0
check "the device says why" grep -q "on another origin than the server" "$W/t1.log"

stop_otad
finish
