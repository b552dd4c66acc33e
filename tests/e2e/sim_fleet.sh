#!/bin/bash
# Fleet mode against the real otad: 200 devices provisioned in bulk, a
# direct offer of a release to each, 10% faulty hardware; and devices the
# fleet provisions itself with the admin token.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sim_lib.sh"

N=200
sim_world || { fail "a server with a root"; finish; }
sim_release v2 1.1.0 ok 2 || fail "release 1.1.0"
GOOD=$REL_ID

# Provision in bulk, save the answer as the fleet's token list.
jq -n --argjson n "$N" '[range(1; $n + 1) | {device_id: "f-\(.)",
	hw_class: "board-a", fw_version: "1.0.0"}]' >"$W/devices.json"
api POST /v1/devices "$ADMIN" --data-binary @"$W/devices.json"
expect_status "bulk provisioning" 201
echo "$BODY" >"$W/tokens.json"
expect "the answer lists every device" "$(jqb '.devices | length')" "$N"
for i in $(seq 1 "$N"); do
	curl -s -o /dev/null -w '%{http_code}\n' -X POST \
		-H "Authorization: Bearer $ADMIN" -d "{\"release\": $GOOD}" \
		"$URL/v1/devices/f-$i/assign"
done | sort | uniq -c >"$W/assign.txt"
expect "every device has a direct offer" "$(awk '{print $2"x"$1}' "$W/assign.txt")" "201x$N"

start=$(date +%s)
"$SIM" fleet --devices "$N" --server "$URL" --tokens "$W/tokens.json" \
	--root "$W/root.json" --firmware "$W/factory.bin" --dir "$W/fleet" \
	--faulty 10 --concurrency 8 --poll-interval 2 --until-idle 4 \
	--duration 120 --progress 5 --summary "$W/summary.json" \
	--log-level error >"$W/fleet.out" 2>"$W/fleet.err"
expect "the fleet run ends well" "$?" 0
echo "# fleet took $(($(date +%s) - start)) s"
sed 's/^/# /' "$W/fleet.out" | tail -5
S=$W/summary.json
expect "the summary counts $N devices" "$(jq .devices "$S")" "$N"
expect "90% run 1.1.0" "$(jq '.versions["1.1.0"]' "$S")" 180
expect "the faulty 10% stay on 1.0.0" "$(jq '.versions["1.0.0"]' "$S")" 20
expect "they rolled back for crash_on_boot" "$(jq '.refusals.crash_on_boot' "$S")" 20
expect "the others confirmed" "$(jq '.states.confirmed' "$S")" 180
expect "no device is dead" "$(jq .dead "$S")" 0
check "progress lines were printed" grep -q '^fleet after' "$W/fleet.out"
check "final tallies were printed" grep -q '^  versions: 1.0.0=20 1.1.0=180' "$W/fleet.out"
api GET /v1/devices/f-50 "$ADMIN"
expect "the server saw a device confirm" \
	"$(jqb '[.history[] | select(.kind == "status") | .state] | first')" confirmed
expect "flash files are sparse and one per device" \
	"$(find "$W/fleet" -name '*.img' | wc -l)" "$N"
check "the fleet's disk use stays small" test "$(du -sm "$W/fleet" | cut -f1)" -lt 100

# The fleet provisions devices itself with the admin token.
"$SIM" fleet --devices 20 --server "$URL" --admin-token "$ADMIN" \
	--hw-class board-a --fw-version 1.0.0 --id-prefix auto \
	--root "$W/root.json" --firmware "$W/factory.bin" --dir "$W/auto" \
	--poll-interval 1 --until-idle 2 --duration 60 --summary "$W/auto.json" \
	--log-level error >"$W/auto.out" 2>&1
expect "a self-provisioned fleet runs" "$?" 0
expect "its devices stay on 1.0.0 without offers" "$(jq '.versions["1.0.0"]' "$W/auto.json")" 20
api GET /v1/devices/auto-00020 "$ADMIN"
expect_status "the server knows them" 200
expect "and has their health reports" \
	"$(jqb '[.history[] | select(.kind == "health")] | length > 0')" true

# Reboot windows and silent devices: each device is offered 1.1.0 directly;
# 10 of each hundred take the offer and go dark, the others install it,
# poll on 1.0.0 for 5 s and only then reboot into it. The fleet is not
# idle while a reboot is due, though its devices change nothing meanwhile.
"$SIM" fleet --devices 100 --server "$URL" --admin-token "$ADMIN" \
	--hw-class board-a --fw-version 1.0.0 --id-prefix rd \
	--root "$W/root.json" --firmware "$W/factory.bin" --dir "$W/rd" \
	--poll-interval 1 --until-idle 1 --duration 60 --log-level error \
	>"$W/rd0.out" 2>&1
expect "100 more devices provisioned" "$?" 0
for i in $(seq -f %05g 1 100); do
	curl -s -o /dev/null -w '%{http_code}\n' -X POST \
		-H "Authorization: Bearer $ADMIN" -d "{\"release\": $GOOD}" \
		"$URL/v1/devices/rd-$i/assign"
done | sort | uniq -c >"$W/rd-assign.txt"
expect "each has a direct offer" "$(awk '{print $2"x"$1}' "$W/rd-assign.txt")" "201x100"
"$SIM" fleet --devices 100 --server "$URL" --admin-token "$ADMIN" \
	--hw-class board-a --fw-version 1.0.0 --id-prefix rd \
	--root "$W/root.json" --firmware "$W/factory.bin" --dir "$W/rd" \
	--poll-interval 1 --reboot-delay 5 --silent 10 --until-idle 2 \
	--duration 120 --summary "$W/rd.json" --log-level error >"$W/rd.out" 2>&1
expect "the reboot-delay fleet runs" "$?" 0
S=$W/rd.json
expect "10 devices went silent" "$(jq .silent "$S")" 10
expect "the others installed" "$(jq .installed "$S")" 90
expect "and rebooted into 1.1.0 before the fleet stopped" \
	"$(jq -c '[.versions["1.1.0"], .reboots_due]' "$S")" "[90,0]"
expect "the silent ones stay on 1.0.0" "$(jq '.versions["1.0.0"]' "$S")" 10
expect "they are the top ten of the hundred" \
	"$("$SIM" status --flash "$W/rd/rd-00091.img" | jq -r .slots.B.state)" empty
api GET /v1/devices/rd-00100 "$ADMIN"
expect "the server offered a silent device and heard nothing since" \
	"$(jqb -r .offer.state)" offered

"$SIM" fleet --devices 5 --server "$URL" --root x --firmware y --dir z 2>"$TMP/err"
expect "fleet without tokens or admin token is a usage error" "$?" 2
check "naming the flag" grep -q -- "--admin-token" "$TMP/err"

stop_otad
finish
