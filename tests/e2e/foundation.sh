#!/bin/bash
# Foundation: the daemon's HTTP core, auth, caps, config errors, tokens and
# graceful shutdown, against the real otad.
. "$(dirname "$0")/../lib.sh"

start_otad || { fail "otad starts"; finish; }
ok "otad starts on a free port"

perm=$(stat -c %a "$DATA/admin.token")
expect "admin token file is 0600" "$perm" 600
expect "data dir is 0700" "$(stat -c %a "$DATA")" 700
check "first start says where the token is" \
	grep -q "wrote an admin token to $DATA/admin.token" "$OTAD_LOG"

api GET /healthz
expect_status "healthz answers 200" 200
expect "healthz says ok" "$(jqb .status)" ok

api GET /no/such/path
expect_status "unknown path is 404" 404
expect "404 is a JSON error" "$(jqb .error.code)" not_found

STATUS=$(curl -s -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' -X POST "$URL/healthz")
expect "wrong method is 405" "$STATUS" 405
check "405 names the allowed methods" grep -qi '^Allow: GET, HEAD' "$TMP/hdr"

api GET /v1/tokens
expect_status "no token is 401" 401
expect "401 code" "$(jqb .error.code)" missing_token

api GET /v1/tokens "adm_not-a-real-token"
expect_status "unknown token is 401" 401

api POST /v1/tokens "$ADMIN" -d '{"name":"watcher","role":"viewer"}'
expect_status "admin creates a viewer token" 201
VIEWER=$(jqb .token)

api GET /v1/tokens "$VIEWER"
expect_status "viewer token on an admin-only call is 403" 403
expect "403 code" "$(jqb .error.code)" forbidden

api POST /v1/tokens "$ADMIN" -d '{"name":"x",'
expect_status "malformed JSON is 400" 400
expect "400 code" "$(jqb .error.code)" bad_json

api POST /v1/tokens "$ADMIN" -d '{"name":"x","role":"root"}'
expect_status "bad field is 422" 422
check "422 names the field" grep -q 'role:' <<<"$(jqb .error.message)"

head -c 2000000 /dev/zero | tr '\0' ' ' >"$TMP/big.json"
api POST /v1/tokens "$ADMIN" --data-binary @"$TMP/big.json"
expect_status "oversized body is 413" 413
api POST /v1/tokens "$ADMIN" -H "Transfer-Encoding: chunked" --data-binary @"$TMP/big.json"
expect_status "oversized chunked body is 413" 413

api GET /v1/tokens "$ADMIN"
expect "bad requests changed nothing" "$(jqb '[.tokens[].name] | join(",")')" "admin,watcher"

api GET /metrics
expect_status "metrics answers" 200
check "metrics count requests" grep -q '^otad_http_requests_total{code="4xx"} [1-9]' <<<"$BODY"

# Offline token management on the same data dir, while otad runs.
tok=$(otad_run --data-dir "$DATA" token add --role release ci-bot 2>/dev/null)
api GET /v1/tokens "$tok"
expect_status "a token made offline works at once (release role sees 403 here)" 403
check "token list shows it" grep -q '^ci-bot *release' <<<"$(otad_run --data-dir "$DATA" token list)"
otad_run --data-dir "$DATA" token revoke ci-bot >/dev/null
api GET /v1/tokens "$tok"
expect_status "a revoked token is refused" 401
otad_run --data-dir "$DATA" token add --role boss x >/dev/null 2>&1
expect "token add with a bad role exits 2" "$?" 2

# Graceful shutdown: a slow request in flight completes, then exit 0.
{ printf '{"name":"slow","role":"viewer"'; head -c 200000 /dev/zero | tr '\0' ' '; printf '}'; } >"$TMP/slow.json"
curl -s -o "$TMP/slow.out" -w '%{http_code}' --limit-rate 80k -H "Authorization: Bearer $ADMIN" \
	--data-binary @"$TMP/slow.json" "$URL/v1/tokens" >"$TMP/slow.code" &
CURL_PID=$!
sleep 1
stop_otad TERM
wait $CURL_PID
expect "slow request in flight completes during shutdown" "$(cat "$TMP/slow.code")" 201
expect "otad exits 0 after SIGTERM" "$OTAD_RC" 0
check "shutdown is logged" grep -q "stopped" "$OTAD_LOG"

# Restart on the same data dir: tokens survive, no new admin token.
start_otad || fail "otad restarts"
api GET /v1/tokens "$ADMIN"
check "the slow request's token was kept" grep -q '"slow"' <<<"$BODY"
stop_otad INT
expect "otad exits 0 after SIGINT" "$OTAD_RC" 0

# Bad configuration: exit 2 with the problem named.
printf 'threads = 2\nlisten_port = 80\n' >"$TMP/bad1.conf"
out=$("$BIN/otad" -c "$TMP/bad1.conf" --data-dir "$TMP/d2" 2>&1)
expect "unknown key exits 2" "$?" 2
check "unknown key is named with file and line" grep -q "bad1.conf:2: listen_port: unknown key" <<<"$out"
printf 'listen = 127.0.0.1:70000\n' >"$TMP/bad2.conf"
out=$("$BIN/otad" -c "$TMP/bad2.conf" --data-dir "$TMP/d2" 2>&1)
expect "bad port exits 2" "$?" 2
check "bad port is named" grep -q "bad2.conf:1: listen: bad value" <<<"$out"
out=$("$BIN/otad" -c "$TMP/missing.conf" 2>&1)
expect "unreadable config exits 2" "$?" 2
check "unreadable config is named" grep -q "missing.conf: cannot read" <<<"$out"
out=$("$BIN/otad" --listen nowhere 2>&1)
expect "bad --listen exits 2" "$?" 2
check "bad flag value is named" grep -q -- "--listen: bad value" <<<"$out"
out=$("$BIN/otad" --frobnicate 2>&1)
expect "unknown flag exits 2" "$?" 2
otad_run -c conf/otad.conf --data-dir "$DATA" token list >/dev/null
expect "shipped config loads" "$?" 0

finish
