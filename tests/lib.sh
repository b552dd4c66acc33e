# Helpers for the end-to-end scripts in tests/e2e/ (source this file).
# Each check prints "ok - NAME" or "not ok - NAME: why"; tests/run counts
# them. The real otad runs on 127.0.0.1 with a free port and a temporary
# data dir; everything is removed on exit. When OTAD_TEST_PG_SOCK and
# OTAD_TEST_PG_USER are set (tests/run PG=1, scripts/pg-test), its store is
# a database of that PostgreSQL cluster, one per data dir, dropped on exit.
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
	_pg_drop_all
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
# nonce: a fresh poll nonce, always 16 characters (otad wants 8 to 128;
# "n$RANDOM$RANDOM" is shorter about once in 500).
nonce() { printf 'n%05d%05d%05d' "$RANDOM" "$RANDOM" "$RANDOM"; }
# jqb FILTER: runs jq on the last body.
jqb() { jq -r "$@" <<<"$BODY"; }

# ---- the store on PostgreSQL ----

# db_backend: postgresql when the tests run on a cluster, else sqlite.
db_backend() {
	if [ -n "${OTAD_TEST_PG_SOCK:-}" ]; then echo postgresql; else echo sqlite; fi
}

_pg_psql() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$OTAD_TEST_PG_SOCK" \
		-U "$OTAD_TEST_PG_USER" "$@"
}

# _pg_dbname: the database of the data dir $DATA (the same dir, the same
# database: a script that restarts otad keeps its store).
_pg_dbname() {
	echo "otad_test_$(printf '%s' "$DATA" | md5sum | cut -c1-16)"
}

# _pg_ensure: creates $DATA's database unless it exists; notes it for
# _cleanup (in a file: a subshell may start otad too).
_pg_ensure() {
	local name
	name=$(_pg_dbname)
	if [ -z "$(_pg_psql -d postgres -c \
		"SELECT 1 FROM pg_database WHERE datname = '$name'")" ]; then
		_pg_psql -d postgres -c "CREATE DATABASE $name" || return 1
		echo "$name" >>"$TMP/pg-databases"
	fi
}

_pg_drop_all() {
	local name
	[ -n "${OTAD_TEST_PG_SOCK:-}" ] && [ -f "$TMP/pg-databases" ] || return 0
	while read -r name; do
		_pg_psql -d postgres -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" \
			>/dev/null 2>&1
	done <"$TMP/pg-databases"
}

# db_sql SQL: runs SQL on the store of $DATA, on either backend, and prints
# the rows as "a|b" lines. Write SQL both read the same way (docs/hacking.md,
# "Writing SQL for both backends"); db_bytes gives a file's bytes as a
# literal.
db_sql() {
	DATA=${DATA:-$TMP/data}
	if [ -n "${OTAD_TEST_PG_SOCK:-}" ]; then
		_pg_psql -d "$(_pg_dbname)" -c "$1"
	else
		sqlite3 -batch -bail -cmd '.timeout 10000' "$DATA/otad.db" "$1"
	fi
}

# db_bytes FILE: the file's bytes as an SQL literal of the backend (X'..' in
# SQLite, '\x..'::bytea in PostgreSQL).
db_bytes() {
	local hex
	hex=$(od -An -v -tx1 "$1" | tr -d ' \n')
	if [ -n "${OTAD_TEST_PG_SOCK:-}" ]; then
		printf "'%sx%s'::bytea" '\' "$hex"
	else
		printf "X'%s'" "$hex"
	fi
}

# _store_args: sets the array STORE to otad's --database argument for the
# store of $DATA (empty on SQLite, where the data dir holds otad.db).
_store_args() {
	DATA=${DATA:-$TMP/data}
	STORE=()
	[ -n "${OTAD_TEST_PG_SOCK:-}" ] || return 0
	_pg_ensure || { echo "no database for $DATA" >&2; return 1; }
	STORE=(--database "postgresql:///$(_pg_dbname)?host=$OTAD_TEST_PG_SOCK&user=$OTAD_TEST_PG_USER")
}

# otad_run ARGS...: runs otad once on the store of $DATA (a subcommand such
# as `token add`, or a start expected to fail), on either backend.
otad_run() {
	local STORE
	_store_args || return 1
	"$BIN/otad" "${STORE[@]}" "$@"
}

# start_otad [otad args...]: starts the daemon on a free port with the data
# dir $DATA (default $TMP/data), waits for /healthz. Sets URL, ADMIN. On
# PostgreSQL its store is $DATA's database (--database postgresql://...).
start_otad() {
	DATA=${DATA:-$TMP/data}
	OTAD_LOG=$TMP/otad.$RANDOM.log
	local STORE
	_store_args || return 1
	"$BIN/otad" --listen 127.0.0.1:0 --data-dir "$DATA" "${STORE[@]}" "$@" \
		2>"$OTAD_LOG" &
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

# canary_draft BODY: POST /v1/campaigns BODY, the draft deleted and made
# again while its plan leaves stage 1 empty: buckets come from a random
# salt, so a small fleet's 1 % may hold nobody (0.99^400 = one time in 55
# at 400 devices), and an empty stage passes at once. Sets CID; 1 when 30
# draws all left it empty.
canary_draft() {
	local i
	for i in $(seq 1 30); do
		api POST /v1/campaigns "$ADMIN" -d "$1"
		CID=$(jqb .id)
		api GET "/v1/campaigns/$CID/plan" "$ADMIN"
		[ "$(jqb '.stages[0].devices')" -ge 1 ] && return 0
		api DELETE "/v1/campaigns/$CID" "$ADMIN"
	done
	return 1
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
