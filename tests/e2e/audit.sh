#!/bin/bash
# The audit trail: every state-changing management call recorded with its
# actor (the token's name), client address, request id, object, action and
# result, refusals too; device calls and reads are not; GET /v1/audit's
# filters and pages; the record survives a kill -9 right after the reply;
# request ids and the request log line.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fleet_lib.sh"

cat >"$TMP/otad.conf" <<CONF
seen_flush_interval = 1
audit_retention_days = 30
CONF
start_otad -c "$TMP/otad.conf" || { fail "otad starts"; finish; }

# audit [QUERY]: GET /v1/audit as the first admin.
audit() { api GET "/v1/audit${1:+?$1}" "$ADMIN"; }

api POST /v1/tokens "$ADMIN" -d '{"name":"alice","role":"admin"}'
expect_status "admin names a token for alice" 201
ALICE=$(jqb .token)
api POST /v1/tokens "$ADMIN" -d '{"name":"bob","role":"release"}'
BOB=$(jqb .token)
api POST /v1/tokens "$ADMIN" -d '{"name":"vic","role":"viewer"}'
VIC=$(jqb .token)

# A change, with the client's request id.
api POST /v1/devices "$ALICE" -H 'X-Request-Id: change-42' \
	-d '{"device_id":"dev-a","hw_class":"board-a","fw_version":"1.0.0"}'
expect_status "alice provisions dev-a" 201
DEV=$(jqb .token)
audit "actor=alice"
check_jq "the change is recorded with actor, client, request id, object, action, result" \
	'.records | length == 1 and (.[0] | .actor == "alice" and
	 .client == "127.0.0.1" and .request_id == "change-42" and
	 .method == "POST" and .path == "/v1/devices" and
	 .object.type == "device" and .object.id == "dev-a" and
	 .action == "create" and .note == "provisioned 1: dev-a" and
	 .status == 201 and .error == null and (.at | test("Z$")))'

# Refusals: 403, 409, 422, 404 are recorded with their error code.
api POST /v1/tokens "$BOB" -d '{"name":"mallory","role":"admin"}'
expect_status "bob (release) may not make tokens" 403
api POST /v1/tokens "$ALICE" -d '{"name":"bob","role":"viewer"}'
expect_status "a second bob is 409" 409
api POST /v1/tokens "$ALICE" -d '{"name":"x","role":"root"}'
expect_status "a bad role is 422" 422
api DELETE /v1/tokens/nobody "$ALICE"
expect_status "revoking no such token is 404" 404
audit "actor=bob"
check_jq "the 403 is recorded as bob's, with its code" \
	'.records | length == 1 and .[0].status == 403 and
	 .[0].error == "forbidden" and .[0].object.type == "token"'
audit "actor=alice&limit=3"
check_jq "409, 422 and 404 are recorded, newest first" \
	'[.records[] | "\(.status) \(.error)"] ==
	 ["404 not_found", "422 invalid_field", "409 exists"]'
check_jq "a refused delete names its object and action" \
	'.records[0].object.id == "nobody" and .records[0].action == "delete"'

# Reads and device calls are not recorded.
audit
before=$(jqb '.records | length')
api GET /v1/devices "$ALICE"
api GET "/v1/device/update?fw_version=1.0.0&nonce=nonce-0001" "$DEV"
expect_status "the device polls" 204
api POST /v1/device/status "$DEV" -d '{}'
api GET /v1/tokens "$VIC"
audit
expect "reads, device calls and a viewer's refused read add no record" \
	"$(jqb '.records | length')" "$before"

# An action on a sub-resource.
setup_trust || fail "trust set up"
make_release 1.1.0 1 board-a || fail "a release"
api POST "/v1/releases/$REL_ID/revoke" "$BOB" -H 'X-Request-Id: rev-1'
expect_status "bob revokes the release" 200
audit "object=release:$REL_ID"
check_jq "release $REL_ID: its creation (the id it got, the version) and the revoke" \
	'[.records[] | "\(.actor) \(.action) \(.note[0:5])"] ==
	 ["bob revoke ", "admin create 1.1.0"] and .records[0].request_id == "rev-1"'
audit "object=artifact"
check_jq "the upload is recorded on the artifact's sha256" \
	'.records | length == 1 and (.[0].object.id | test("^[0-9a-f]{64}$")) and
	 (.[0].note | test("^4096 bytes"))'
audit "object=trust"
check_jq "the root upload says its version" '.records[0].note == "root version 1"'

# Time filters and pages.
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
audit "until=2000-01-01T00:00:00Z"
expect "until before everything: nothing" "$(jqb '.records | length')" 0
audit "since=2000-01-01T00:00:00Z"
all=$(jqb '.records | length')
audit "since=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
expect "since in the future: nothing" "$(jqb '.records | length')" 0
audit "limit=2"
first=$(jqb '[.records[].id] | join(",")')
next=$(jqb .next)
audit "limit=100&after=$next"
expect "the pages hold every record once" \
	"$(( $(jqb '.records | length') + 2 ))" "$all"
check "pages are in order" test "$(jqb '.records[0].id')" -lt "${first##*,}"

for q in "since=yesterday" "until=2026-13-01T00:00:00Z" "after=x" "object=" \
    "since=$(printf '%0100d' 1)" "limit=0"; do
	audit "$q"
	expect_status "GET /v1/audit?$q is 400" 400
done
audit "actr=alice"
expect_status "a misspelt filter is 400, not the whole trail" 400
expect "it names the parameter" "$(jqb .error.code)" unknown_parameter
api GET /v1/audit "$BOB"
expect_status "the trail is for admins" 403

# The request id: a sane one is echoed, else one is made.
rid() { curl -s -o /dev/null -D - "$@" "$URL/healthz" |
	tr -d '\r' | sed -n 's/^X-Request-Id: //Ip'; }
expect "a sane X-Request-Id is echoed" "$(rid -H 'X-Request-Id: abc.DEF-1:2')" \
	abc.DEF-1:2
made=$(rid)
check "without one, one is made ($made)" grep -Eq '^[0-9a-f]{24}$' <<<"$made"
long=$(printf 'a%.0s' $(seq 1 65))
check "a 65-byte id is replaced" \
	grep -Eq '^[0-9a-f]{24}$' <<<"$(rid -H "X-Request-Id: $long")"
check "an id with a space or quote is replaced" \
	grep -Eq '^[0-9a-f]{24}$' <<<"$(rid -H 'X-Request-Id: a "b" c')"

# The request log line carries actor, client and request id, and (stderr
# not journald here) starts with the time.
check "the log line names actor, client and request id" grep -Eq \
	'^20[0-9-]{8}T[0-9:]{8}\.[0-9]{3}Z otad: info: POST /v1/releases/[0-9]+/revoke 200 [0-9]+us actor=bob client=127\.0\.0\.1 request_id=rev-1$' \
	"$OTAD_LOG"

# The record of a change commits with the change: killed right after the
# reply, the daemon still has it (its result, if it did not get to write
# it, shows as null).
api POST /v1/tokens "$ALICE" -H 'X-Request-Id: last-words' \
	-d '{"name":"carol","role":"viewer"}'
expect_status "alice names carol's token" 201
stop_otad KILL
start_otad -c "$TMP/otad.conf" || fail "otad restarts after kill -9"
audit "object=token:carol"
check_jq "after kill -9 the change's record is there" \
	'.records | length == 1 and .[0].request_id == "last-words" and
	 (.[0].status == 201 or .[0].status == null)'

# Retention: the trail is pruned by audit_retention_days alone. Records
# aged three days and two hours are planted; with a one-day retention and
# a one-hour event_retention (the telemetry's), the first goes, the
# second stays.
stop_otad
cat >"$TMP/otad.conf" <<CONF
audit_retention_days = 1
event_retention = 1h
CONF
now=$(date +%s)
for age in 259200 7200; do
	db_sql "INSERT INTO audit (at, actor, client,
		request_id, method, path, object_type, object_id, action, status)
		VALUES ($((now - age)), 'eve', '10.0.0.1', 'aged-$age', 'DELETE',
		'/v1/devices/x', 'device', 'x', 'delete', 204)" ||
		fail "a record aged $age s planted"
done
start_otad -c "$TMP/otad.conf" || fail "otad restarts"
for i in $(seq 1 150); do
	audit "actor=eve"
	[ "$(jqb '.records | length')" = 1 ] && break
	sleep 0.2
done
expect "a record past audit_retention_days is pruned, a younger one kept" \
	"$(jqb '[.records[].request_id] | join(",")')" aged-7200

# journald: no time of our own (journald stamps lines), priorities.
stop_otad
JOURNAL_STREAM=8:1 start_otad -c "$TMP/otad.conf" || fail "otad starts for journald"
api GET /healthz
stop_otad
check "under journald a line starts with its priority, no time" \
	grep -Eq '^<6>GET /healthz 200 [0-9]+us actor=- client=127\.0\.0\.1 request_id=[0-9a-f]{24}$' \
	"$OTAD_LOG"
finish
