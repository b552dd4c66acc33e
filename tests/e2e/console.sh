#!/bin/bash
# The web console (/ui/, docs/console.md) against the real daemon: first
# the embedded files over curl (types, the CSP and the other headers,
# ETag/304, 404 for anything else, no way out of the table), then a real
# browser (Debian's chromium through puppeteer-core, tests/browser/) over
# two campaigns driven by otasim fleets: a bad release halted at the 1%
# stage and a good one running there. Screenshots go to a directory the
# script prints (kept after the run).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sim_lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

N=${CONSOLE_DEVICES:-200}
cat >"$TMP/otad.conf" <<CONF
gate_interval = 1
poll_interval = 2
seen_flush_interval = 1
log_requests = false
CONF
sim_world -c "$TMP/otad.conf" || { fail "a server with a root"; finish; }

# ---- the files, over curl ----
CSP="default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# head PATH [curl args]: the reply's status line and headers in $TMP/h.
head_of() {
	local p=$1
	shift
	rm -f "$TMP/b"
	touch "$TMP/b"
	curl -s -o "$TMP/b" -D "$TMP/h" --path-as-is "$@" "$URL$p"
	tr -d '\r' <"$TMP/h" >"$TMP/h2"
}
hdr() { grep -i "^$1:" "$TMP/h2" | head -1 | cut -d' ' -f2-; }
status_of() { head -1 "$TMP/h2" | cut -d' ' -f2; }

head_of /ui
expect "/ui redirects" "$(status_of)" 308
expect "to ui/, relative (works behind a path prefix)" "$(hdr Location)" "ui/"
for f in "/ui/|text/html; charset=utf-8" "/ui/index.html|text/html; charset=utf-8" \
	"/ui/app.js|text/javascript; charset=utf-8" "/ui/style.css|text/css; charset=utf-8" \
	"/ui/favicon.svg|image/svg+xml"; do
	p=${f%%|*}
	head_of "$p"
	expect "$p is served" "$(status_of)" 200
	expect "$p has its type" "$(hdr Content-Type)" "${f#*|}"
	expect "$p has the CSP" "$(hdr Content-Security-Policy)" "$CSP"
	expect "$p: nosniff" "$(hdr X-Content-Type-Options)" nosniff
	expect "$p: no referrer" "$(hdr Referrer-Policy)" no-referrer
done
for f in index.html app.js style.css favicon.svg; do
	curl -s "$URL/ui/$f" >"$TMP/b"
	check "ui/$f is served byte for byte" cmp -s "$TMP/b" "$ROOT/ui/$f"
done
head_of /ui/app.js
etag=$(hdr ETag)
check "an ETag" test -n "$etag"
head_of /ui/app.js -H "If-None-Match: $etag"
expect "If-None-Match: 304" "$(status_of)" 304
check "no body with the 304" test ! -s "$TMP/b"
head_of /ui/app.js -H 'If-None-Match: "other"'
expect "another tag: 200" "$(status_of)" 200
for p in /ui/nope.js /ui/../v1/tokens /ui/..%2fREADME.md /ui/%2e%2e/ui/app.js \
	/ui/sub/app.js /ui/.app.js /ui/app.js/ /ui//app.js; do
	head_of "$p"
	expect "$p is a 404" "$(status_of)" 404
	check "$p: a JSON error" jq -e '.error.code == "not_found"' "$TMP/b" >/dev/null
done
head_of /ui/app.js -X POST
expect "POST /ui/app.js: 405" "$(status_of)" 405
api GET /v1/tokens/self "$ADMIN"
expect "tokens/self names the admin token" "$(jqb -c '[.name, .role, .expires_at]')" '["admin","admin",null]'
api POST /v1/tokens "$ADMIN" -d '{"name":"watcher","role":"viewer","expires":"1d"}'
VIEWER=$(jqb -r .token)
api GET /v1/tokens/self "$VIEWER"
expect "and a viewer's, with its expiry" "$(jqb -c '[.name, .role, (.expires_at | type)]')" '["watcher","viewer","string"]'
api GET /v1/tokens/self
expect "tokens/self without a token: 401" "$STATUS" 401

# ---- a halted and a running campaign ----
sim_release good 1.1.0 ok 2 board-a 64K || fail "release 1.1.0"
GOOD_REL=$REL_ID
sim_release bad 2.0.0 selftest-fail 3 board-b 64K || fail "release 2.0.0"
BAD_REL=$REL_ID
sim_fleet "$N" good board-a prov-good --poll-interval 2 --until-idle 2 --duration 120 &
p1=$!
sim_fleet "$N" bad board-b prov-bad --poll-interval 2 --until-idle 2 --duration 120 &
p2=$!
wait $p1 $p2
api GET "/v1/devices?hw_class=board-b&limit=1000" "$ADMIN"
expect "$N devices of board-b" "$(jqb '.devices | length')" "$N"

# campaign NAME RELEASE GATE: creates and starts; sets CID. 1% of 200
# devices may hold nobody (one time in eight): canary_draft draws again.
campaign() {
	canary_draft "{\"name\":\"$1\",\"release\":$2,\"gate\":$3}"
	api POST "/v1/campaigns/$CID/start" "$ADMIN"
	expect "campaign $1 starts" "$STATUS" 200
	api GET "/v1/campaigns/$CID" "$ADMIN"
	check "campaign $1 has members at 1%" test "$(jqb '.counts[0].members')" -ge 1
}
campaign bad-release "$BAD_REL" '{"bake_time":2,"min_sample":1,"report_timeout":300}'
BAD=$CID
# A draft for the same devices (made first: a create overlapping a
# running campaign is refused).
api POST /v1/campaigns "$ADMIN" -d "{\"name\":\"next-wave\",\"release\":$GOOD_REL,\"stages\":[5,25,100]}"
expect "a draft" "$STATUS" 201
DRAFT=$(jqb .id)
# A stage bakes an hour: the good campaign stays running at 1% while the
# browser looks at it.
campaign good-release "$GOOD_REL" '{"bake_time":3600}'
GOOD=$CID
FLEET_PIDS=
sim_fleet "$N" bad board-b bad --poll-interval 2 --duration 600 &
FLEET_PIDS="$FLEET_PIDS $!"
sim_fleet "$N" good board-a good --poll-interval 2 --duration 900 &
FLEET_PIDS="$FLEET_PIDS $!"
BROWSER_PID=
SHOTS=$(mktemp -d "${TMPDIR:-/tmp}/otad-console-shots.XXXXXX")
_console_cleanup() {
	local p
	# Each is a subshell running otasim: its child first.
	for p in $FLEET_PIDS; do pkill -P "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	[ -n "$BROWSER_PID" ] && kill "$BROWSER_PID" 2>/dev/null
	# Chromium runs in a process group of its own; the test writes its pid.
	if [ -s "$SHOTS/chromium.pid" ]; then
		p=$(cat "$SHOTS/chromium.pid")
		kill -9 -- "-$p" 2>/dev/null || kill -9 "$p" 2>/dev/null
	fi
	rm -f "$SHOTS/chromium.pid"
	rm -rf "$SHOTS/profile"
	_sim_cleanup
}
trap _console_cleanup EXIT

# wait_until SECONDS COMMAND...: polls every 0.5 s until it succeeds.
wait_until() {
	local t=$1 end
	shift
	end=$((SECONDS + t))
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.5
	done
}
state_is() { api GET "/v1/campaigns/$1" "$ADMIN"; [ "$(jqb -r .state)" = "$2" ]; }
some_healthy() { api GET "/v1/campaigns/$GOOD" "$ADMIN"; [ "$(jqb '.counts[0] | (.confirmed // 0) + (.healthy // 0)')" -ge 1 ]; }
check "the bad campaign halts at the canary stage" wait_until 400 state_is "$BAD" halted
check "the good campaign's first devices are confirmed" wait_until 400 some_healthy
api GET "/v1/campaigns/$BAD" "$ADMIN"
expect "halted in stage 1" "$(jqb .stage.number)" 1
echo "# halted: $(jqb -r .verdict.reason)"

# ---- the browser ----
if ! command -v chromium >/dev/null || [ ! -d "$ROOT/tests/browser/node_modules/puppeteer-core" ]; then
	"$ROOT/scripts/install-deps" >&2 || true
fi
echo "# screenshots: $SHOTS"
URL=$URL ADMIN=$ADMIN VIEWER=$VIEWER GOOD=$GOOD BAD=$BAD DRAFT=$DRAFT SHOTS=$SHOTS \
	node "$ROOT/tests/browser/console.mjs" &
BROWSER_PID=$!
wait "$BROWSER_PID"
rc=$?
BROWSER_PID=
expect "the browser test ends well" "$rc" 0
check "it left screenshots" test -s "$SHOTS/campaigns.png"
echo "# screenshots: $SHOTS"
finish
