#!/bin/bash
# Flash faults: a write or an erase that fails (--fail-write N,
# --fail-erase N, for every N of a whole update) and a bad region in the
# metadata area. The update aborts with reason flash, or completes on a
# later power-on; the device never loses a bootable signed image, never
# reports another reason, and never writes onto flash that is not erased.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sim_lib.sh"

sim_world || { fail "a server with a root"; finish; }
sim_release v2 1.1.0 ok 3 board-a 100K || fail "release 1.1.0"
GOOD=$REL_ID
declare -A SHA=([1.0.0]=$(file_sha "$W/factory.bin") [1.1.0]=$(file_sha "$W/v2.bin"))

# boots_signed ID: one power-on boots an image whose bytes are the signed
# ones of the version it names.
boots_signed() {
	local line slot ver
	line=$("$SIM" boot --flash "$W/$1.img" 2>>"$W/$1.log") || return 1
	slot=$(sed -n 's/^booted slot \([AB]\): \([^ ,]*\).*/\1/p' <<<"$line")
	ver=$(sed -n 's/^booted slot \([AB]\): \([^ ,]*\).*/\2/p' <<<"$line")
	[ -n "$ver" ] && [ "$(sim_slot_sha "$1" "$slot")" = "${SHA[$ver]:-x}" ]
}

# A clean update, to count its flash operations.
sim_device c0
sim_assign c0 "$GOOD"
sim_run c0 --log-level info
OPS=$(grep -o '[0-9]* flash writes and erases' "$W/c0.log" | tail -1 | cut -d' ' -f1)
expect "a clean update completes" "$(sim_running c0)" "1.1.0 B"

# fault FLAG N: an update with that fault, then a power-on, then a clean
# run. Sets WHY (empty when every rule held) and ABORTED (1 when the update
# was given up as failed:flash).
fault() {
	local id=f$1$2 rc hist
	WHY=
	ABORTED=0
	sim_device "$id" >/dev/null
	sim_assign "$id" "$GOOD" >/dev/null
	sim_run "$id" "--$1" "$2"
	rc=$?
	[ $rc -le 1 ] || { WHY="run exited $rc"; return; }
	boots_signed "$id" || { WHY="no signed image boots after the fault"; return; }
	sim_run "$id"
	rc=$?
	[ $rc -le 1 ] || { WHY="the clean run exited $rc"; return; }
	hist=$(sim_history "$id")
	case ,$hist, in
	*,failed:flash,*) ABORTED=1 ;;
	esac
	if grep -q ":" <<<"${hist//failed:flash/}"; then
		WHY="reported another reason: $hist"
	elif [ $ABORTED = 1 ]; then
		[ "$(sim_running "$id")" = "1.0.0 A" ] || WHY="aborted, yet runs $(sim_running "$id")"
		[ "$(sim_st "$id" .pending)" = null ] || WHY="aborted, yet something is pending"
	elif [ "$(sim_running "$id") $(sim_st "$id" .slots.B.state)" != "1.1.0 B confirmed" ]; then
		WHY="neither aborted nor updated: $hist, $(sim_running "$id")"
	fi
	boots_signed "$id" || WHY="no signed image boots at the end"
}

for flag in fail-write fail-erase; do
	aborted=0
	for n in $(seq 1 "$OPS"); do
		fault "$flag" "$n"
		aborted=$((aborted + ABORTED))
		if [ -z "$WHY" ]; then ok "--$flag $n: aborted as flash or updated, old image safe"
		else fail "--$flag $n" "$WHY"; fi
	done
	check "some --$flag faults aborted the update ($aborted)" test "$aborted" -gt 0
done

# A bad block in metadata copy 1: the first store after init goes there.
sim_device b1
sim_assign b1 "$GOOD"
sim_run b1 --bad-region 1M:4K
expect "bad metadata block: reported as flash" "$(sim_history b1)" "failed:flash"
expect "the device stays on its image" "$(sim_running b1)" "1.0.0 A"
check "and boots it" boots_signed b1
expect "nothing pending" "$(sim_st b1 .pending)" null
check "the log names the fault" grep -q "injected fault" "$W/b1.log"
# A bad block in copy 0, the one init wrote: every other store fails. The
# power-on's store of the boot count goes to copy 1; the download's first
# store, which records the slot as writing, to copy 0.
sim_device b0
sim_assign b0 "$GOOD"
sim_run b0 --bad-region 0:4K
expect "bad block in copy 0: reported as flash" "$(sim_history b0)" "failed:flash"
expect "the device stays on its image" "$(sim_running b0)" "1.0.0 A"
check "and boots it, with the bad block still there" \
	"$SIM" boot --flash "$W/b0.img" --bad-region 0:4K
check "no run wrote onto flash that was not erased" \
	test -z "$(grep -l "not erased" "$W"/*.log)"

stop_otad
finish
