#!/bin/bash
# Refusals against the real otad (and a hostile middlebox in front of it,
# tests/sim/proxy.c): each leaves the device on its old image and reports
# the reason class, seen in GET /v1/devices/{id} (the device's own word
# for it leads the detail). And a download cut short
# that resume completes with the exact bytes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sim_lib.sh"

printf 'assignment_ttl = 10\n' >"$TMP/otad.conf"
sim_world -c "$TMP/otad.conf" || { fail "a server with a root"; finish; }
sim_release v2 1.1.0 ok 3 || fail "release 1.1.0"
GOOD=$REL_ID

# refused ID WANT_HISTORY NAME: the device stays on 1.0.0 and says why.
refused() {
	expect "$3: the device stays on 1.0.0" "$(sim_running "$1")" "1.0.0 A"
	expect "$3: reported as $2" "$(sim_history "$1")" "$2"
	expect "$3: nothing pending" "$(sim_st "$1" .pending)" null
}

# Artifact bytes changed on the server after signing.
sim_release vh 1.1.1 ok 3 || fail "release 1.1.1"
art="$DATA/artifacts/$(file_sha "$W/vh.bin")"
check "the artifact is in the data dir" test -f "$art"
chmod u+w "$art" 2>/dev/null
printf 'X' | dd of="$art" bs=1 seek=70000 conv=notrunc status=none
sim_device r1
sim_assign r1 "$REL_ID"
sim_run r1
refused r1 "downloading,failed:hash" "changed artifact"

# A release below the committed security counter.
sim_release low 1.2.0 ok 3 || fail "release 1.2.0"
sim_device r2 5
sim_assign r2 "$REL_ID"
sim_run r2
refused r2 "failed:rollback" "downgrade"
expect "downgrade: the counter stays" "$(sim_st r2 .committed_security_counter)" 5

# The device's hw class is not in the release (checked before download).
api POST /v1/devices "$ADMIN" -d '{"device_id":"r3","hw_class":"board-a","fw_version":"1.0.0"}'
jqb .token >"$W/r3.token"
"$SIM" init --flash "$W/r3.img" --slot-size 1M --device-id r3 --hw-class board-z \
	--root "$W/root.json" --firmware "$W/factory.bin" --token-file "$W/r3.token"
sim_assign r3 "$GOOD"
sim_run r3
refused r3 "failed:incompatible" "wrong hw class"

# capture ID NONCE FILE: the server's offer to ID for that nonce.
capture() {
	curl -s -H "Authorization: Bearer $(cat "$W/$1.token")" \
		"$URL/v1/device/update?fw_version=1.0.0&nonce=$2" >"$3"
}

# A replayed assignment: an earlier poll's answer.
sim_device r4
sim_assign r4 "$GOOD"
capture r4 replayreplay01 "$W/r4.offer"
check "the captured answer is an offer" test "$(jq -r ".assignment | type" "$W/r4.offer")" = object
sim_proxy --update-body "$W/r4.offer"
sim_run_via "$PURL" r4
refused r4 "failed:signature" "replayed assignment"
check "replayed assignment: the detail names the nonce" \
	grep -q '^nonce: ' <<<"$(sim_detail r4)"

# An assignment made for another device.
sim_device r5
sim_device r6
sim_assign r5 "$GOOD"
sim_assign r6 "$GOOD"
capture r6 otherdevice01 "$W/r6.offer"
sim_proxy --update-body "$W/r6.offer"
sim_run_via "$PURL" r5
refused r5 "failed:signature" "assignment for another device"
check "assignment for another device: the detail names the device" \
	grep -q '^device: ' <<<"$(sim_detail r5)"

# An expired assignment (assignment_ttl is 10 s here).
sim_device r7
sim_assign r7 "$GOOD"
capture r7 expiredexpired1 "$W/r7.offer"
sleep 11
sim_proxy --update-body "$W/r7.offer"
sim_run_via "$PURL" r7
refused r7 "failed:expired" "expired assignment"

# A server sending more bytes than the signed length.
cat "$W/v2.bin" "$W/factory.bin" >"$W/longer.bin"
sim_device r8
sim_assign r8 "$GOOD"
sim_proxy --artifact "$W/longer.bin"
sim_run_via "$PURL" r8
refused r8 "downloading,failed:length" "longer artifact"
expect "longer artifact: slot B dropped" "$(sim_st r8 .slots.B.state)" empty

# A download cut short: resumed with Range, the exact bytes in the end.
sim_device r9
sim_assign r9 "$GOOD"
sim_proxy --artifact "$W/v2.bin" --artifact-cut 100000
sim_run_via "$PURL" r9
expect "truncated download: resumed and confirmed" "$(sim_history r9)" \
	"downloading,installed,confirmed"
expect "truncated download: runs 1.1.0" "$(sim_running r9)" "1.1.0 B"
expect "truncated download: slot B holds the exact bytes" \
	"$(sim_slot_sha r9 B)" "$(file_sha "$W/v2.bin")"
check "truncated download: the agent saw the short answer" \
	grep -q "download stopped at byte" "$W/r9.log"

sim_proxy_stop
stop_otad
finish
