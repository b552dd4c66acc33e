#!/bin/bash
# backends: postgresql
# Two daemons on one PostgreSQL database tell each other what they change
# (LISTEN/NOTIFY). reload_interval is a day here, so that nothing but a
# message brings a change to the other daemon: a root uploaded through one
# is current on the other, a campaign started or paused on one offers or
# stops offering on the other, a release revoked on one is not offered by
# the other, a device token reissued or decommissioned on one is refused
# by the other's token cache, and a daemon whose listening session is cut
# listens again and catches up on what it missed.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sim_lib.sh"
. "$(dirname "$0")/../peers_lib.sh"

# How long a change may take to reach the other daemon: a message comes
# in milliseconds; the periodic reload would take a day.
SOON=3

cat >"$TMP/otad.conf" <<CONF
reload_interval = 1d
poll_interval = 2
gate_interval = 1
log_requests = false
CONF
sim_world -c "$TMP/otad.conf" || { fail "a server with a root"; finish; }
A_URL=$URL
check "the second daemon serves" peer_start -c "$TMP/otad.conf"

# on URL API-ARGS...: an api call to that daemon.
on() {
	local URL=$1
	shift
	api "$@"
}
# poll URL ID: device ID's poll on that daemon; prints the status.
poll() {
	on "$1" GET "/v1/device/update?fw_version=1.0.0&nonce=$(nonce)" \
		"$(cat "$W/$2.token")"
	echo "$STATUS"
}
offered() { [ "$(poll "$1" "$2")" = 200 ]; }
quiet() { [ "$(poll "$1" "$2")" = 204 ]; }
root_version() { on "$1" GET /v1/trust/root.json; jqb .signed.version; }
root_is() { [ "$(root_version "$1")" = "$2" ]; }

# ---- the trust root ----
expect "the second daemon holds root 1" "$(root_version "$B_URL")" 1
"$OTACTL" root rotate --from "$W/root.json" --expires 200d \
	--sign-key "$W/root" --out "$W/root2.json" >/dev/null 2>&1
on "$A_URL" PUT /v1/trust/root "$ADMIN" --data-binary @"$W/root2.json"
expect_status "root 2 uploaded through the first daemon" 201
check "the second daemon serves root 2 at once" wait_until $SOON root_is "$B_URL" 2
grep -q "root version 2, stored by another daemon, is current" "$B_LOG" &&
	ok "the second daemon says so in its log" ||
	fail "the second daemon says so in its log"

# ---- a campaign started on one, offered on the other ----
for d in d1 d3; do sim_device $d; done
sim_release good 1.1.0 ok 2 || fail "release 1.1.0"
# The second daemon reads its live set now: no campaign.
expect "nothing for d1 before the campaign" "$(poll "$B_URL" d1)" 204
on "$A_URL" POST /v1/campaigns "$ADMIN" -d "{\"release\":$REL_ID,\"stages\":[100]}"
CID=$(jqb .id)
on "$A_URL" POST "/v1/campaigns/$CID/start" "$ADMIN"
expect_status "the campaign starts on the first daemon" 200
check "the second daemon offers it at once" wait_until $SOON offered "$B_URL" d1

# ---- a revoke on one, seen by the other's release cache ----
sim_device d2 1 board-b
sim_release other 1.1.0 ok 2 board-b || fail "release 1.1.0 for board-b"
OTHER=$REL_ID
on "$A_URL" POST "/v1/devices/d2/assign" "$ADMIN" -d "{\"release\": $OTHER}"
expect_status "d2 is assigned the board-b release" 201
check "the second daemon offers it to d2" offered "$B_URL" d2
on "$A_URL" POST "/v1/releases/$OTHER/revoke" "$ADMIN"
expect_status "the release is revoked on the first daemon" 200
check "the second daemon stops offering it at once" wait_until $SOON quiet "$B_URL" d2

# ---- device tokens: reissued or decommissioned on one, refused by the
# other's token cache ----
for d in d4 d5; do sim_device $d; done
expect "d4 polls through the second daemon (its token now cached)" \
	"$(poll "$B_URL" d4)" 204
expect "and so does d5" "$(poll "$B_URL" d5)" 204
cp "$W/d4.token" "$W/d4.old"
on "$A_URL" POST /v1/devices/d4/token "$ADMIN"
expect_status "d4's token is reissued on the first daemon" 200
jqb .token >"$W/d4.token"
old_refused() {
	on "$B_URL" GET "/v1/device/update?fw_version=1.0.0" "$(cat "$W/d4.old")"
	[ "$STATUS" = 401 ]
}
check "the second daemon refuses d4's old token at once" \
	wait_until $SOON old_refused
expect "and takes its new one" "$(poll "$B_URL" d4)" 204
on "$A_URL" POST /v1/devices/d5/decommission "$ADMIN"
expect_status "d5 is decommissioned on the first daemon" 200
d5_refused() { [ "$(poll "$B_URL" d5)" = 401 ]; }
check "the second daemon refuses d5's token at once" wait_until $SOON d5_refused

# ---- a cut listening session: listening again, catching up ----
db_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	WHERE datname = current_database() AND query LIKE 'LISTEN%'" >/dev/null
listening_again() { grep -q "changes: listening again" "$B_LOG"; }
check "the second daemon listens again" wait_until 20 listening_again
on "$A_URL" POST "/v1/campaigns/$CID/pause" "$ADMIN"
expect_status "the campaign is paused on the first daemon" 200
check "the second daemon offers nothing more to d3" wait_until $SOON quiet "$B_URL" d3
expect "the first daemon agrees" "$(poll "$A_URL" d3)" 204

grep -E " (error|warn): " "$B_LOG" | grep -v "changes: lost the connection" |
	sed 's/^/# /' | head -5
finish
