#!/bin/bash
# otasim against the real otad: a whole update, trial outcomes (self-test
# failure, crash on boot, faulty hardware), the commands' output and
# usage errors.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sim_lib.sh"

sim_world || { fail "a server with a root"; finish; }
ok "a server with a root of fresh keys"

# Commands and usage errors.
"$SIM" make-firmware --fw-version 1.0 --behavior ok --size 1K --out "$W/x" 2>"$TMP/err"
expect "a bad version is a usage error" "$?" 2
check "the message names the flag" grep -q -- "--fw-version" "$TMP/err"
"$SIM" make-firmware --fw-version 1.0.0 --behavior ok --size 1K 2>"$TMP/err"
expect "a missing flag is a usage error" "$?" 2
check "the message names the missing flag" grep -q -- "--out is required" "$TMP/err"
"$SIM" run --flash x --server y --bogus 2>"$TMP/err"
expect "an unknown flag is a usage error" "$?" 2
"$SIM" status --flash "$W/none.img" 2>/dev/null
expect "status of a missing flash is an error" "$?" 1
"$SIM" make-firmware --fw-version 2.0.0 --behavior ok --size 4M --out "$W/a.bin"
"$SIM" make-firmware --fw-version 2.0.1 --behavior ok --size 4M --out "$W/b.bin"
expect "images are exactly --size bytes" "$(stat -c %s "$W/a.bin")" 4194304
check "different versions differ in bytes" \
	test "$(file_sha "$W/a.bin")" != "$(file_sha "$W/b.bin")"
expect "the header says version and behaviour" "$(head -1 "$W/a.bin")" \
	"OTASIM-FW 1 version=2.0.0 behavior=ok"

# A factory-fresh device.
sim_device d1 || fail "init d1"
expect "factory device runs 1.0.0 in slot A" "$(sim_running d1)" "1.0.0 A"
expect "slot A is the factory image" "$(sim_st d1 .slots.A.state)" factory
expect "its sha256 is the firmware's" "$(sim_st d1 .slots.A.sha256)" \
	"$(file_sha "$W/factory.bin")"
check "the flash file is sparse" test "$(du -k "$W/d1.img" | cut -f1)" -lt 1024
out=$("$SIM" boot --flash "$W/d1.img")
check "boot says what it boots" grep -q '^booted slot A: 1.0.0, factory' <<<"$out"

# No offer: 204, nothing happens.
sim_run d1
expect "a poll without an offer succeeds" "$?" 0
expect "and changes nothing" "$(sim_running d1)" "1.0.0 A"

# A good update.
sim_release v110 1.1.0 ok 2 || fail "release 1.1.0"
GOOD=$REL_ID
sim_assign d1 "$GOOD"
sim_run d1
expect "the update run succeeds" "$?" 0
expect "d1 runs 1.1.0 from slot B" "$(sim_running d1)" "1.1.0 B"
expect "slot B is confirmed" "$(sim_st d1 .slots.B.state)" confirmed
expect "its counter is committed" "$(sim_st d1 .committed_security_counter)" 2
expect "slot B holds exactly the signed bytes" "$(sim_slot_sha d1 B)" \
	"$(file_sha "$W/v110.bin")"
expect "the server heard every step" "$(sim_history d1)" \
	"downloading,installed,confirmed"
api GET /v1/devices/d1 "$ADMIN"
check "health reached the server" grep -q 'fw_version=1.1.0 boot_ok=true selftest=pass' <<<"$BODY"
sim_run d1
expect "the next poll is quiet" "$(sim_history d1)" "downloading,installed,confirmed"

# A release whose self-test fails: rolled back.
sim_device d2
sim_release bad 1.2.0 selftest-fail 3
sim_assign d2 "$REL_ID"
sim_run d2
expect "self-test failure leaves d2 on 1.0.0" "$(sim_running d2)" "1.0.0 A"
expect "and reports rolled_back:selftest" "$(sim_history d2)" \
	"downloading,installed,rolled_back:selftest"
expect "the counter stays" "$(sim_st d2 .committed_security_counter)" 1

# A release that crashes on boot: three trial boots, then back.
sim_device d3
sim_release crash 1.3.0 crash-on-boot 3
sim_assign d3 "$REL_ID"
sim_run d3
expect "crash on boot leaves d3 on 1.0.0" "$(sim_running d3)" "1.0.0 A"
expect "after three crashes" "$(sim_st d3 .crash_count)" 3
expect "and reports rolled_back:crash_on_boot" "$(sim_history d3)" \
	"downloading,installed,rolled_back:crash_on_boot"
api GET /v1/devices/d3 "$ADMIN"
check "its health said the boot failed" grep -q 'boot_ok=false' <<<"$BODY"

# Faulty hardware: a good image fails to boot there.
api POST /v1/devices "$ADMIN" -d '{"device_id":"d4","hw_class":"board-a","fw_version":"1.0.0"}'
jqb .token >"$W/d4.token"
"$SIM" init --flash "$W/d4.img" --slot-size 1M --device-id d4 --hw-class board-a \
	--root "$W/root.json" --firmware "$W/factory.bin" --token-file "$W/d4.token" --faulty-hw
sim_assign d4 "$GOOD"
sim_run d4
expect "faulty hardware falls back to 1.0.0" "$(sim_running d4)" "1.0.0 A"
expect "and reports rolled_back:crash_on_boot" "$(sim_history d4)" \
	"downloading,installed,rolled_back:crash_on_boot"

# The trial, step by step: a boot between install and confirm.
sim_device d5
sim_assign d5 "$GOOD"
sim_run d5 --crash-after 12
expect "a power cut stops the process with status 3" "$?" 3
out=$("$SIM" boot --flash "$W/d5.img")
check "boot after the cut names the image it runs" grep -Eq '^booted slot [AB]: 1\.[01]\.0' <<<"$out"
sim_run d5
expect "the next run completes the update" "$(sim_running d5)" "1.1.0 B"

stop_otad
finish
