#!/bin/bash
# The device's clock against its time floor (the newest trusted time it
# has seen: the factory's clock, then each accepted offer's signing
# times). A clock set back still takes fresh offers and raises the floor;
# a stale offer replayed to a device whose clock was set back a year is
# refused as freeze; a clock far ahead finds the release expired.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sim_lib.sh"

sim_world || { fail "a server with a root"; finish; }
sim_release v2 1.1.0 ok 3 || fail "release 1.1.0"
GOOD=$REL_ID
floor_s() { date -u -d "$(sim_st "$1" .time_floor)" +%s; }

# A clock a year behind, a fresh offer: installed, and the floor follows
# the assignment's signing time.
sim_device k1
sim_assign k1 "$GOOD"
before=$(date +%s)
sim_run k1 --clock-offset -365d
expect "a clock a year behind takes a fresh offer" "$(sim_history k1)" \
	"downloading,installed,confirmed"
f=$(floor_s k1)
check "the floor is the assignment's signing time ($f >= $before)" \
	test "$f" -ge "$before" -a "$f" -le "$(date +%s)"

# A clock 60 days ahead: the 30-day release is expired.
sim_device k2
sim_assign k2 "$GOOD"
sim_run k2 --clock-offset 60d
expect "a clock 60 days ahead: expired" "$(sim_history k2)" "failed:expired"

# A release that expires in a few seconds, offered (and captured) while
# valid, replayed once it has expired to a device made after that, whose
# clock is a year behind: its clock would take it, its floor does not.
# (15 s: under the sanitizers on a loaded machine 4 s had passed before
# the offer.)
"$SIM" make-firmware --fw-version 1.2.0 --behavior ok --size 100K --out "$W/short.bin"
api POST /v1/artifacts "$ADMIN" --data-binary @"$W/short.bin"
"$OTACTL" release sign --artifact "$W/short.bin" --fw-version 1.2.0 \
	--hw-class "$HW" --security-counter 3 --expires 15s --key "$W/rel" \
	--out "$W/short.json" >/dev/null 2>&1
api POST /v1/releases "$ADMIN" --data-binary @"$W/short.json"
SHORT=$(jqb .id)
EXP=$(date -u -d "$(jq -r .signed.expires "$W/short.json")" +%s)
api POST /v1/devices "$ADMIN" -d '{"device_id":"k3","hw_class":"board-a","fw_version":"1.0.0"}'
jqb .token >"$W/k3.token"
sim_assign k3 "$SHORT"
curl -s -H "Authorization: Bearer $(cat "$W/k3.token")" \
	"$URL/v1/device/update?fw_version=1.0.0&nonce=stalestalestale1" >"$W/k3.offer"
expect "the short-lived release was offered" "$(jq -r .release.signed.fw_version "$W/k3.offer")" 1.2.0
while [ "$(date +%s)" -le "$EXP" ]; do sleep 0.2; done
"$SIM" init --flash "$W/k3.img" --slot-size "$SLOT" --device-id k3 --hw-class "$HW" \
	--root "$W/root.json" --firmware "$W/factory.bin" --security-counter 1 \
	--token-file "$W/k3.token"
sim_proxy --update-body "$W/k3.offer"
sim_run_via "$PURL" k3 --clock-offset -365d
expect "an expired release, a clock set back a year: freeze" "$(sim_history k3)" \
	"failed:freeze"
expect "the device stays on its image" "$(sim_running k3)" "1.0.0 A"
check "the log says why" grep -q "this device has seen trusted time" "$W/k3.log"
"$SIM" run --flash "$W/k1.img" --server "$URL" --clock-offset=-1 --once >/dev/null 2>&1
expect "--clock-offset takes a sign" "$?" 0
"$SIM" run --flash "$W/k1.img" --server "$URL" --clock-offset=-x >/dev/null 2>&1
expect "--clock-offset refuses junk" "$?" 2

sim_proxy_stop
stop_otad
finish
