# Helpers for the end-to-end scripts in tests/e2e/ (source this file).
# Each check prints "ok - NAME" or "not ok - NAME: why"; tests/run counts
# them. The real otad runs on 127.0.0.1 with a free port and a temporary
# data dir; everything is removed on exit.
set -u
BIN=$(cd "${BIN:-bin}" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/otad-e2e.XXXXXX")
T_FAILS=0
OTAD_PID=
OTAD_LOG=
DATA=
URL=
STATUS=
BODY=
export OTACTL_KDF=interactive

_cleanup() {
	if [ -n "$OTAD_PID" ]; then
		kill -9 "$OTAD_PID" 2>/dev/null
		wait "$OTAD_PID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap _cleanup EXIT

ok() { echo "ok - $1"; }
fail() {
	echo "not ok - $1${2:+: $2}"
	T_FAILS=$((T_FAILS + 1))
}
# check NAME COMMAND...: ok if the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}
# expect NAME GOT WANT
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "got '$2', want '$3'"; fi
}
# expect_status NAME WANT: checks the last api call's status.
expect_status() {
	if [ "$STATUS" = "$2" ]; then ok "$1"
	else fail "$1" "status $STATUS, want $2; body: $(head -c 300 <<<"$BODY")"; fi
}
# jqb FILTER: runs jq on the last body.
jqb() { jq -r "$@" <<<"$BODY"; }

# start_otad [otad args...]: starts the daemon on a free port with the data
# dir $DATA (default $TMP/data), waits for /healthz. Sets URL, ADMIN.
start_otad() {
	DATA=${DATA:-$TMP/data}
	OTAD_LOG=$TMP/otad.$RANDOM.log
	"$BIN/otad" --listen 127.0.0.1:0 --data-dir "$DATA" "$@" 2>"$OTAD_LOG" &
	OTAD_PID=$!
	local port="" i
	for i in $(seq 1 200); do
		port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$OTAD_LOG" 2>/dev/null \
			| head -1 | cut -d: -f2)
		[ -n "$port" ] && break
		kill -0 "$OTAD_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ -z "$port" ]; then
		echo "otad did not start:"; cat "$OTAD_LOG"
		OTAD_PID=
		return 1
	fi
	URL=http://127.0.0.1:$port
	for i in $(seq 1 100); do
		curl -sf "$URL/healthz" >/dev/null && break
		sleep 0.05
	done
	ADMIN=$(cat "$DATA/admin.token" 2>/dev/null)
	return 0
}

# stop_otad [SIGNAL]: stops it and waits; sets OTAD_RC.
stop_otad() {
	local sig=${1:-TERM}
	[ -z "$OTAD_PID" ] && return 0
	kill -"$sig" "$OTAD_PID" 2>/dev/null
	wait "$OTAD_PID" 2>/dev/null
	OTAD_RC=$?
	OTAD_PID=
}

# api METHOD PATH [TOKEN] [curl args...]: sets STATUS and BODY. The body
# goes through a file of this (sub)shell's own: a watcher polling in the
# background overwrote a shared one between the call and its read.
api() {
	local method=$1 path=$2 token=${3:-}
	shift 3 2>/dev/null || shift $#
	local auth=() out=$TMP/body.$BASHPID
	[ -n "$token" ] && auth=(-H "Authorization: Bearer $token")
	STATUS=$(curl -s -o "$out" -w '%{http_code}' -X "$method" \
		"${auth[@]}" "$@" "$URL$path")
	BODY=$(cat "$out")
}

# finish: the script's exit status. Under SANITIZE=1 or TSAN=1 a
# sanitizer report in any daemon log of this script is a failure too.
finish() {
	local logs
	logs=$(grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error:|WARNING: ThreadSanitizer" \
		"$TMP"/otad.*.log 2>/dev/null)
	if [ -n "$logs" ]; then
		fail "no sanitizer reports in otad's logs" "$(grep -h -A12 -E \
			"Sanitizer|runtime error" $logs | head -40)"
	fi
	[ "$T_FAILS" -eq 0 ]
	exit $?
}
