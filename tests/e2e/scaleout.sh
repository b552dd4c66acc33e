#!/bin/bash
# backends: postgresql
# Two daemons on one PostgreSQL database behind haproxy (Debian's, config
# written here, roundrobin with health checks on /healthz): exactly one
# leads; a campaign over otasim devices polling through haproxy completes;
# kill -9 of the leader under report load hands the gate to the other
# within seconds, every report otasim saw acknowledged is in the store,
# and the campaign still finishes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sim_lib.sh"
. "$(dirname "$0")/../peers_lib.sh"

N=120
HA_PID=
_scale_cleanup() {
	[ -n "$HA_PID" ] && kill "$HA_PID" 2>/dev/null
	_peer_cleanup
}
trap _scale_cleanup EXIT

cat >"$TMP/otad.conf" <<CONF
gate_interval = 1
poll_interval = 2
seen_flush_interval = 1
log_requests = false
CONF
sim_world -c "$TMP/otad.conf" || { fail "a server with a root"; finish; }
A_PID=$OTAD_PID
A_URL=$URL
A_LOG=$OTAD_LOG

# ---- the second daemon: its own data dir, the same database ----
check "the second daemon serves" peer_start -c "$TMP/otad.conf"
expect "the first daemon leads" "$(leader_of "$A_URL")" true
expect "the second follows" "$(leader_of "$B_URL")" false
expect "/metrics says who leads" \
	"$(curl -s "$B_URL/metrics" | grep '^otad_leader ')" "otad_leader 0"
expect "both sign with the one online key" \
	"$(curl -s "$B_URL/v1/trust/online-key" | md5sum)" \
	"$(curl -s "$A_URL/v1/trust/online-key" | md5sum)"

# ---- haproxy in front ----
HPORT=$(free_port)
cat >"$TMP/haproxy.cfg" <<CFG
global
	maxconn 4096
defaults
	mode http
	timeout connect 2s
	timeout client 60s
	timeout server 60s
	retries 3
	option redispatch
frontend otad
	bind 127.0.0.1:$HPORT
	default_backend daemons
backend daemons
	balance roundrobin
	option httpchk GET /healthz
	http-check expect status 200
	server a ${A_URL#http://} check inter 500 fall 2 rise 1
	server b ${B_URL#http://} check inter 500 fall 2 rise 1
CFG
haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
HA_PID=$!
URL=http://127.0.0.1:$HPORT
check "haproxy answers for the daemons" \
	wait_until 20 curl -sf "$URL/healthz" -o /dev/null

# ---- a campaign through haproxy, the leader killed under load ----
sim_release good 1.1.0 ok 2 board-a 64K || fail "release 1.1.0"
sim_fleet "$N" good board-a provision --until-idle 2 --duration 120 \
	--poll-interval 2
expect "$N devices provisioned through haproxy" \
	"$(jq .devices "$W/provision.json")" "$N"
# A download cut by the kill is a device's failure: the gate tolerates a
# few (this test is about the failover, not the gate's sensitivity), and
# the device is offered the release again; so is one that fell back on
# a loaded machine (its confirmation late), which would halt a canary of
# one device: stage 1 has 24.
api POST /v1/campaigns "$ADMIN" \
	-d "{\"release\":$REL_ID,\"gate\":{\"bake_time\":3,\"report_timeout\":120,\"max_failure_pct\":40,\"bad_failure_pct\":60,\"max_attempts\":3,\"min_healthy_pct\":50},\"stages\":[20,100]}"
CID=$(jqb .id)
api POST "/v1/campaigns/$CID/start" "$ADMIN"
expect_status "the campaign starts" 200
sim_fleet "$N" good board-a good --until-idle 8 --duration 400 \
	--poll-interval 2 &
FLEET=$!

# Reports under way: some devices past their download, not yet the last
# stage.
reports() { db_sql "SELECT count(*) FROM device_events WHERE kind = 'status'"; }
reports_at_least() { [ "$(reports)" -ge "$1" ]; }
check "reports come in" wait_until 120 reports_at_least 10
echo "# killing the leader with $(reports) reports stored"
kill -9 "$A_PID"
wait "$A_PID" 2>/dev/null
OTAD_PID=
t0=$(date +%s.%N)
completed() {
	api GET "/v1/campaigns/$CID" "$ADMIN"
	[ "$(jqb .state)" = completed ]
}
is_leader() { [ "$(leader_of "$1")" = true ]; }
check "the follower takes over the gate within 10 s" wait_until 10 is_leader "$B_URL"
t1=$(date +%s.%N)
echo "# failover: $(echo "$t1 - $t0" | bc | sed 's/^\./0./') s"
grep -q "leader: this daemon now runs" "$B_LOG" &&
	ok "the new leader says so in its log" ||
	fail "the new leader says so in its log"

wait "$FLEET"
expect "the fleet run ends well" "$?" 0
URL=$B_URL
# The fleet stops when its devices are quiet and the server says no
# campaign moves; an ask that met the dead daemon before haproxy took it
# out reads as "none moves". Such a stop is the harness's, not the
# campaign's: the same devices go on from their flash.
if ! completed; then
	echo "# the fleet stopped early (campaign $(jqb -r .state)); again"
	sim_fleet "$N" good board-a good --until-idle 8 --duration 300 \
		--poll-interval 2
fi
if wait_until 60 completed; then
	ok "the campaign completes"
else
	fail "the campaign completes: $(jqb -c '{state, stage}')"
	api GET "/v1/campaigns/$CID/events" "$ADMIN"
	echo "# events: $(jqb -c '[.events[] | [.kind, .stage, .detail]]' | cut -c1-1500)"
	tail -n 5 "$W/good.out" "$W/good.err" | sed 's/^/# /'
	grep -v ' info: ' "$B_LOG" | tail -10 | sed 's/^/# /'
fi
expect "every device confirmed on the devices" \
	"$(jq '.states.confirmed' "$W/good.json")" "$N"
# What the devices were told was stored: each confirmed install's
# version is the store's (no acknowledged report lost with the leader).
expect "every device runs 1.1.0 in the store" \
	"$(db_sql "SELECT count(*) FROM devices WHERE fw_version = '1.1.0'")" "$N"
finish
