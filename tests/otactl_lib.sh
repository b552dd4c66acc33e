# Helpers for the otactl end-to-end scripts (tests/e2e/otactl*.sh), which
# need no daemon: a temporary working dir (the current dir, removed on
# exit), "ok"/"not ok" lines counted in $failed, and otactl runs with
# their output kept. Source it; end the script with [ "$failed" -eq 0 ].
set -u
BIN=${BIN_ABS:-${BIN:-bin}}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
OTACTL=$BIN/otactl
export OTACTL_KDF=interactive
unset OTA_PASSPHRASE

T=$(mktemp -d "${TMPDIR:-/tmp}/otactl-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

failed=0
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failed=$((failed + 1)); }

# run CMD...: runs otactl, keeping stdout in $out, stderr in $errout and
# the exit status in $rc.
run() {
	out=$("$OTACTL" "$@" 2>"$T/stderr")
	rc=$?
	errout=$(cat "$T/stderr")
}

# expect_ok NAME CMD...: exit 0.
expect_ok() {
	local name=$1
	shift
	run "$@"
	if [ "$rc" -eq 0 ]; then ok "$name"; else
		not_ok "$name"; echo "# rc=$rc: $errout"; fi
}

# expect_fail NAME RC PATTERN CMD...: exit RC, stderr matching PATTERN.
expect_fail() {
	local name=$1 want=$2 pat=$3
	shift 3
	run "$@"
	if [ "$rc" -eq "$want" ] && [[ $errout =~ $pat ]]; then ok "$name"
	else not_ok "$name"; echo "# rc=$rc (want $want): $errout"; fi
}
