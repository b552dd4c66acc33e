#!/bin/bash
# make blast in small: 1,000 simulated devices per scenario against the
# real daemon, short policy times, and the goal asserted for the scenarios
# where it must hold. A release that fails on every device (self-test,
# crash on boot) halts on its own having reached at most 1.5% of the
# fleet, bricks none, and leaves every device on the old version and
# reporting healthy; a good release completes on every device with no
# action beyond start, also when devices reboot a while after installing,
# or move forward to a newer release in the middle of the campaign (the
# last two need boot ids and the fallback rule, and superseded members).
# The other scenarios of make blast are measurements, not goals that must
# hold (a bake shorter than a degradation), or take longer.
. "$(dirname "$0")/../lib.sh"

N=1000
RUN="good selftest-fail crash-on-boot reboot-delay forward"

ROWS=$TMP/rows.jsonl
# report_timeout must cover the trip from installing to reporting from the
# new boot; under the sanitizers (build/san, build/tsan) the daemon and
# the fleet run several times slower, so it is longer there.
TIMEOUT=8
case ${BUILD:-} in *san*) TIMEOUT=24 ;; esac
# Under the sanitizers, the scenarios that each take a code path of their
# own (a good release, a bad one through the fallback after a crash, and
# devices moving on mid-campaign) rather than all five, for CI's time: a
# self-test failure and a late reboot take the same paths there.
case ${BUILD:-} in *san*) RUN="good crash-on-boot forward" ;; esac
DEVICES=$N BLAST_POLL=1 BLAST_BAKE=4 BLAST_TIMEOUT=$TIMEOUT BLAST_REBOOT_DELAY=2 \
	BLAST_SCENARIOS="$RUN" BLAST_RESULTS=$ROWS TMPDIR=$TMP \
	"$(dirname "$0")/../../scripts/blast" >"$TMP/blast.out" 2>&1
expect "make blast runs every scenario without an error" "$?" 0
sed 's/^/# /' "$TMP/blast.out"

# get SCENARIO FIELD: one number or word of a scenario's row.
get() { jq -r --arg s "$1" "select(.scenario == \$s) | $2" "$ROWS"; }

for s in $RUN; do
	if [ -z "$(get "$s" .scenario)" ]; then
		fail "$s: a row"
		continue
	fi
	expect "$s: no device bricked" "$(get "$s" .bricked)" 0
	case $(get "$s" .kind) in
	bad)
		expect "$s: halts on its own" "$(get "$s" '"\(.state) by \(.ended_by)"')" "halted by gate"
		check "$s: reaches at most 1.5% of the fleet ($(get "$s" .installed) devices)" \
			test "$(get "$s" .installed)" -le $((N * 15 / 1000))
		expect "$s: every device back on 1.0.0 and reporting healthy" \
			"$(get "$s" .old_healthy)" "$N"
		;;
	good)
		expect "$s: completes with no action beyond start" \
			"$(get "$s" '"\(.state) by \(.ended_by)"')" "completed by gate"
		expect "$s: every device runs the release (or the newer one)" \
			"$(get "$s" '.on_release + .moved_on')" "$N"
		expect "$s: every device moved forward runs the newer release" \
			"$(get "$s" .moved_on)" "$(get "$s" .moved)"
		expect "$s: no device stuck in flight" "$(get "$s" .stuck)" 0
		;;
	*) fail "$s: a scenario this script knows" ;;
	esac
done

finish
