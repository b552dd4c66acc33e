#!/bin/bash
# builds: rel san
# backends: sqlite (no store: command lines)
# The three programs' command lines: --help on stdout with exit 0, help
# per command, --version, and unknown flags or commands refused with exit
# 2 and the closest known one as a hint.
. "$(dirname "$0")/../lib.sh"

# run PROG ARGS...: sets RC, OUT (stdout) and ERR (stderr).
run() {
	local prog=$1
	shift
	"$BIN/$prog" "$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}
# expect_run NAME RC STREAM PROG ARGS... -- WANT: PROG exits RC with WANT
# in STREAM (out or err) and nothing in the other one.
expect_run() {
	local name=$1 rc=$2 stream=$3 prog=$4 want got other
	shift 4
	local args=()
	while [ "$1" != "--" ]; do args+=("$1"); shift; done
	want=$2
	run "$prog" "${args[@]}"
	if [ "$stream" = out ]; then got=$OUT other=$ERR; else got=$ERR other=$OUT; fi
	if [ "$RC" = "$rc" ] && [ -z "$other" ] && grep -qF -- "$want" <<<"$got"; then
		ok "$name"
	else
		fail "$name" "rc=$RC stdout=$(head -c 200 <<<"$OUT") stderr=$(head -c 300 <<<"$ERR")"
	fi
}
# helps NAME PROG ARGS... -- WANT: exit 0, WANT on stdout, nothing on stderr.
helps() { local name=$1; shift; expect_run "$name" 0 out "$@"; }
# refuses NAME PROG ARGS... -- WANT: exit 2, WANT on stderr, stdout empty.
refuses() { local name=$1; shift; expect_run "$name" 2 err "$@"; }

for p in otad otactl otasim; do
	helps "$p --version" $p --version -- "$p 0.1.0"
	helps "$p --help: the usage on stdout, exit 0" $p --help -- "usage:"
	helps "$p help: the same" $p help -- "usage:"
done
helps "otad --help lists every command" otad --help -- "restore FILE"
helps "otad help restore: that command only" otad help restore -- "integrity check"
run otad help restore
check "otad help restore leaves the others out" test "$(grep -c 'token revoke' <<<"$OUT")" = 0
helps "otad backup --help" otad backup --help -- "mode 0600"
helps "otad token --help" otad token --help -- "token revoke NAME"
helps "otactl release sign --help" otactl release sign --help -- "--security-counter"
helps "otasim run --help: run's flags" otasim run --help -- "--reboot-delay"
run otasim run --help
check "otasim run --help leaves fleet out" test "$(grep -c -- '--devices' <<<"$OUT")" = 0
helps "otasim help fleet" otasim help fleet -- "--until-idle"

refuses "otad: an unknown flag names the closest" otad --listn 127.0.0.1:1 -- "unknown flag --listn; did you mean --listen?"
refuses "otad: a flag too far from any has no hint" otad --zzzzzz -- "unknown flag --zzzzzz (see otad --help)"
refuses "otad: an unknown command names the closest" otad tokn list -- "unknown command tokn; did you mean token?"
refuses "otad help of no command" otad help frobnicate -- "unknown command frobnicate"
refuses "otactl: an unknown command names the closest" otactl relase sign -- 'did you mean release?'
refuses "otactl: an unknown subcommand names the closest" otactl release sgn -- 'did you mean release sign?'
refuses "otactl: an unknown flag names the closest" otactl release sign --artifcat x -- "did you mean --artifact?"
refuses "otasim: an unknown command names the closest" otasim flet -- 'did you mean fleet?'
refuses "otasim: an unknown flag names the closest of the command's" otasim run --servr x -- "did you mean --server?"
refuses "otasim: a flag without its value says so" otasim status --flash -- "--flash needs a value"
refuses "otasim: another command's flag is refused" otasim status --devices 3 -- "status does not take --devices"
finish
