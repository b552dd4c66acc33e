#!/bin/bash
# Named management tokens: an optional expiry (an RFC 3339 time or a
# duration), an expired token refused 401 with the time it expired, the
# last use shown in the list (written by the coalesced flush), and the
# first admin.token retired once a named admin exists.
. "$(dirname "$0")/../lib.sh"

cat >"$TMP/otad.conf" <<CONF
seen_flush_interval = 1
CONF
start_otad -c "$TMP/otad.conf" || { fail "otad starts"; finish; }

# token_field NAME FILTER: FILTER on token NAME in the list.
token_field() {
	api GET /v1/tokens "$ALICE"
	jqb --arg n "$1" ".tokens[] | select(.name == \$n) | $2"
}

api POST /v1/tokens "$ADMIN" -d '{"name":"alice","role":"admin"}'
expect_status "a named admin token for alice" 201
ALICE=$(jqb .token)
expect "no expires: never" "$(jqb .expires_at)" null

now=$(date +%s)
api POST /v1/tokens "$ALICE" -d '{"name":"ci","role":"release","expires":3600}'
expect_status "expires as seconds" 201
at=$(date -d "$(jqb .expires_at)" +%s)
check "an hour from now ($(jqb .expires_at))" \
	test "$at" -ge $((now + 3600)) -a "$at" -le $((now + 3700))
api POST /v1/tokens "$ALICE" -d '{"name":"ops","role":"viewer","expires":"30d"}'
expect_status "expires as a duration" 201
api POST /v1/tokens "$ALICE" -d '{"name":"q4","role":"viewer","expires":"2099-01-01T00:00:00Z"}'
expect_status "expires as an RFC 3339 time" 201
expect "kept as given" "$(jqb .expires_at)" 2099-01-01T00:00:00Z
api POST /v1/tokens "$ALICE" -d '{"name":"q4b","role":"viewer","expires":"2099-01-01T02:00:00.250+02:00"}'
expect_status "expires with an offset and a fraction" 201
expect "... the same instant in UTC" "$(jqb .expires_at)" 2099-01-01T00:00:00Z
api GET "/v1/audit?since=2026-01-01T01:00:00%2B01:00&limit=1" "$ALICE"
expect_status "an audit filter with an offset" 200

for bad in '"2020-01-01T00:00:00Z"' '"2099-13-01T00:00:00Z"' '"tomorrow"' 30 \
    -5 '"99999d"' true '{}'; do
	api POST /v1/tokens "$ALICE" -d "{\"name\":\"bad\",\"role\":\"viewer\",\"expires\":$bad}"
	expect_status "expires $bad is 422" 422
	check "the message names expires" grep -q '^expires' <<<"$(jqb .error.message)"
done
api GET /v1/tokens "$ALICE"
expect "refusals made no token" "$(jqb '[.tokens[].name] | join(",")')" \
	admin,alice,ci,ops,q4,q4b

# An expired token: refused 401, saying when it expired.
soon=$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)
api POST /v1/tokens "$ALICE" -d "{\"name\":\"temp\",\"role\":\"viewer\",\"expires\":\"$soon\"}"
expect_status "a token that expires in two seconds" 201
TEMP=$(jqb .token)
api GET /v1/releases "$TEMP"
expect_status "works before it expires" 200
for i in $(seq 1 100); do
	api GET /v1/releases "$TEMP"
	[ "$STATUS" = 401 ] && break
	sleep 0.1
done
expect_status "refused once expired" 401
expect "with its own code" "$(jqb .error.code)" token_expired
check "saying when" grep -q "token temp expired at $soon" <<<"$(jqb .error.message)"

# Last use: none until used, then the time of use (coalesced, flushed
# within a second or so).
expect "a fresh token was never used" "$(token_field ops .last_used_at)" null
api POST /v1/tokens "$ALICE" -d '{"name":"bob","role":"viewer"}'
BOB=$(jqb .token)
for i in $(seq 1 20); do api GET /v1/releases "$BOB"; done
for i in $(seq 1 50); do
	[ "$(token_field bob .last_used_at)" != null ] && break
	sleep 0.1
done
used=$(token_field bob .last_used_at)
check "its last use shows ($used)" grep -Eq '^20[0-9-]{8}T[0-9:]{8}Z$' <<<"$used"
check "otad token list shows expiry and last use too" grep -Eq \
	'^ci +release +[0-9TZ:-]+ expires 20[0-9TZ:-]+ last used -$' \
	<<<"$(otad_run --data-dir "$DATA" token list)"
check "... bob's last use" grep -Eq '^bob .* last used 20[0-9TZ:-]+$' \
	<<<"$(otad_run --data-dir "$DATA" token list)"
check "the list shows names, roles, expiry and last use" \
	test "$(token_field ci '"\(.role) \(.expires_at != null)"')" = "release true"

# The first admin.token is retired once a named admin exists: alice
# revokes it, and it no longer works.
api DELETE /v1/tokens/admin "$ALICE"
expect_status "alice revokes the first admin token" 204
api GET /v1/tokens "$ADMIN"
expect_status "admin.token no longer works" 401
stop_otad
start_otad -c "$TMP/otad.conf" || fail "otad restarts"
api GET /v1/tokens "$ALICE"
expect "a restart makes no new first token while a named admin exists" \
	"$(jqb '[.tokens[] | select(.role == "admin") | .name] | join(",")')" alice
finish
