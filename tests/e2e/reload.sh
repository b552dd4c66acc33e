#!/bin/bash
# SIGHUP: log_level and log_requests apply at once, other changed keys are
# named as needing a restart, and a config that does not load changes
# nothing.
. "$(dirname "$0")/../lib.sh"
cd "$TMP" || exit 1
conf=$TMP/otad.conf
printf 'log_requests = true\npoll_interval = 300\nlog_level = info\n' >"$conf"
start_otad -c "$conf" || { fail "otad starts"; finish; }

# logged NAME PATTERN: waits up to 5 s for PATTERN in the daemon's log.
logged() {
	for _ in $(seq 1 100); do
		grep -q -- "$2" "$OTAD_LOG" && { ok "$1"; return; }
		sleep 0.05
	done
	fail "$1" "no '$2' in the log: $(tail -5 "$OTAD_LOG")"
}
curl -s "$URL/healthz?one" >/dev/null
logged "requests are logged" "GET /healthz"

printf 'log_requests = false\npoll_interval = 60\nlog_level = debug\n' >"$conf"
kill -HUP "$OTAD_PID"
logged "SIGHUP applies log_requests" "SIGHUP: log_requests is now false"
logged "and log_level" "SIGHUP: log_level is now debug"
logged "and names what needs a restart" "SIGHUP: poll_interval changed: restart otad to apply it"
n=$(grep -c " GET /.* [0-9][0-9][0-9] [0-9]*us" "$OTAD_LOG")
curl -s "$URL/healthz" >/dev/null
api GET /v1/devices/nosuch "$ADMIN"
sleep 0.3
expect "requests are no longer logged" "$(grep -c " GET /.* [0-9][0-9][0-9] [0-9]*us" "$OTAD_LOG")" "$n"

printf 'log_requests = true\nno_such_key = 1\n' >"$conf"
kill -HUP "$OTAD_PID"
logged "a config that does not load is named" "SIGHUP: config: $conf:2: no_such_key: unknown key; the running config is kept"
curl -s "$URL/healthz" >/dev/null
sleep 0.3
expect "and changes nothing" "$(grep -c " GET /.* [0-9][0-9][0-9] [0-9]*us" "$OTAD_LOG")" "$n"

printf 'log_requests = false\npoll_interval = 300\nlog_level = debug\n' >"$conf"
kill -HUP "$OTAD_PID"
logged "the running values again: nothing changed" "read again; nothing changed"
check "the daemon still runs after three reloads" kill -0 "$OTAD_PID"
api GET /healthz
expect_status "and serves" 200
stop_otad
expect "a clean stop after reloads" "$OTAD_RC" 0
finish
