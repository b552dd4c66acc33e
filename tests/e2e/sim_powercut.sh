#!/bin/bash
# Power cuts: count the flash writes and erases of a clean update, then
# for every N from 1 to that count cut the power at the N-th and power on
# again (otasim boot, then otasim run) until the update is done. Each
# power-on must boot a valid signed image (its slot bytes hash to the
# image of the version it names), the committed security counter must
# never go down, and the update must complete. The emulated flash refuses
# any write onto a unit not erased since it was last written (otasim then
# exits 4): no run may make one, resumes included.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sim_lib.sh"

SLOT=2M
sim_world || { fail "a server with a root"; finish; }
# Big enough for a durable checkpoint in the middle of the download.
sim_release v110 1.1.0 ok 2 board-a 1300K || fail "release 1.1.0"
GOOD=$REL_ID
declare -A SHA=([1.0.0]=$(file_sha "$W/factory.bin") [1.1.0]=$(file_sha "$W/v110.bin"))

sim_device c0
sim_assign c0 "$GOOD"
sim_run c0 --log-level info
OPS=$(grep -o '[0-9]* flash writes and erases' "$W/c0.log" | tail -1 | cut -d' ' -f1)
expect "a clean update completes" "$(sim_running c0)" "1.1.0 B"
check "and counts its flash writes and erases ($OPS)" test "${OPS:-0}" -gt 20

# power_on ID: one `otasim boot`; checks what it booted. Sets BOOTED.
power_on() {
	local line slot ver
	line=$("$SIM" boot --flash "$W/$1.img" 2>>"$W/$1.log")
	[ $? -eq 0 ] || { echo "# boot failed: $line"; return 1; }
	slot=$(sed -n 's/^booted slot \([AB]\): \([^ ,]*\).*/\1/p' <<<"$line")
	ver=$(sed -n 's/^booted slot \([AB]\): \([^ ,]*\).*/\2/p' <<<"$line")
	BOOTED="$ver $slot"
	if [ -z "$ver" ] || [ "$(sim_slot_sha "$1" "$slot")" != "${SHA[$ver]:-x}" ]; then
		echo "# booted an image that is not the signed $ver: $line"
		return 1
	fi
}

for n in $(seq 1 "$OPS"); do
	id=c$n
	sim_device "$id" >/dev/null
	sim_assign "$id" "$GOOD" >/dev/null
	sim_run "$id" --crash-after "$n"
	rc=$?
	why=""
	[ $rc -eq 3 ] || why="run exited $rc, not 3, at cut $n"
	max=1
	done_=0
	for round in 1 2 3 4 5; do
		[ -n "$why" ] && break
		power_on "$id" || { why="round $round: bad boot"; break; }
		ctr=$(sim_st "$id" .committed_security_counter)
		[ "$ctr" -ge "$max" ] || { why="counter went down to $ctr"; break; }
		max=$ctr
		sim_run "$id"
		[ $? -eq 4 ] && { why="round $round: a write onto flash not erased"; break; }
		ctr=$(sim_st "$id" .committed_security_counter)
		[ "$ctr" -ge "$max" ] || { why="counter went down to $ctr"; break; }
		max=$ctr
		if [ "$(sim_running "$id")" = "1.1.0 B" ] &&
		    [ "$(sim_st "$id" .slots.B.state)" = confirmed ]; then
			done_=1
			break
		fi
	done
	[ -z "$why" ] && [ $done_ -eq 0 ] && why="not updated after 5 power-ons: $(sim_running "$id")"
	[ -z "$why" ] && [ "$(sim_slot_sha "$id" B)" != "${SHA[1.1.0]}" ] && why="slot B differs"
	if [ -z "$why" ]; then ok "cut at flash operation $n of $OPS: recovered and updated"
	else fail "cut at flash operation $n of $OPS" "$why"; fi
done

check "a cut in the middle of the download resumed from its checkpoint" \
	grep -q "(resuming)" "$W"/c[0-9]*.log
check "no run wrote onto flash that was not erased" \
	test -z "$(grep -l "not erased" "$W"/c[0-9]*.log)"

stop_otad
finish
