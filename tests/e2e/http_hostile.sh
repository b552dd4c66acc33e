#!/bin/bash
# Hostile HTTP against the real otad, on raw sockets: smuggling shapes
# (two Content-Length, Content-Length with chunked, no Host, folded lines,
# unknown codings), bad bytes (non-UTF-8 path and method, "72, 72"), log
# injection, and what a polite client may expect (Bearer in any case,
# HEAD wherever GET is).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fleet_lib.sh"

cat >"$TMP/otad.conf" <<CONF
seen_flush_interval = 1
CONF
cc -std=c11 -D_GNU_SOURCE -O1 -o "$TMP/httpc" "$(dirname "$0")/../http/httpc.c" \
	-lpthread || { fail "httpc builds"; finish; }
# Under journald every line starts with its priority; a request must not
# be able to start one of its own.
export JOURNAL_STREAM=8:12345
start_otad -c "$TMP/otad.conf" || { fail "otad starts"; finish; }
unset JOURNAL_STREAM
PORT=${URL##*:}

# raw BYTES: sends them (printf %b escapes) on a new connection; sets OUT
# to everything that came back, ending "<closed>" or "<open>".
raw() { OUT=$(printf '%b' "$1" | "$TMP/httpc" raw "$PORT" 2000); }
# statuses: the status lines in OUT, one per line.
statuses() { grep -a -o '^HTTP/1\.1 [0-9]*' <<<"$OUT" | cut -d' ' -f2 | tr '\n' ' ' | sed 's/ $//'; }
closed() { [ "$(tail -1 <<<"$OUT")" = "<closed>" ]; }
# json_error CODE: the single reply in OUT is the JSON error CODE.
json_error() { jq -e --arg c "$1" '.error.code == $c' <<<"$(body)" >/dev/null 2>&1; }
# body: the JSON body of a single reply in OUT.
body() { sed -n '/^\r$/,$p' <<<"$OUT" | sed '1d;$d' | tr -d '\r'; }

# ---- smuggling -----------------------------------------------------------
H="Host: otad\r\nAuthorization: Bearer $ADMIN\r\n"
FIRST='{"name":"first","role":"viewer"}'
SECOND='{"name":"smuggled","role":"admin"}'
SMUGGLED="POST /v1/tokens HTTP/1.1\r\n${H}Content-Length: ${#SECOND}\r\n\r\n$SECOND"
raw "POST /v1/tokens HTTP/1.1\r\n${H}Content-Length: ${#FIRST}\r\nContent-Length: $((${#FIRST} + ${#SMUGGLED}))\r\n\r\n${FIRST}${SMUGGLED}"
expect "two Content-Length: one answer, 400" "$(statuses)" 400
check "... and the connection is closed" closed
check "... the answer is a JSON error" json_error bad_request
api GET /v1/tokens "$ADMIN"
expect "... nothing was created" \
	"$(jqb '[.tokens[] | select(.name == "first" or .name == "smuggled")] | length')" 0

raw "POST /v1/tokens HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}"
expect "Content-Length with chunked: one answer, 400" "$(statuses)" 400
check "... and the connection is closed" closed
api GET /v1/tokens "$ADMIN"
expect "... nothing was created" \
	"$(jqb '[.tokens[] | select(.name == "smuggled")] | length')" 0

raw "GET /healthz HTTP/1.1\r\n\r\n"
expect "HTTP/1.1 without Host: 400" "$(statuses)" 400
raw "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"
expect "two Host headers: 400" "$(statuses)" 400
raw "GET /healthz HTTP/1.0\r\n\r\n"
expect "HTTP/1.0 without Host is fine" "$(statuses)" 200
raw "GET /v1/tokens HTTP/1.1\r\nHost: otad\r\nX-Folded: a\r\n b\r\nAuthorization: Bearer $ADMIN\r\n\r\n"
expect "obsolete line folding: 400" "$(statuses)" 400
check "... and the connection is closed" closed
raw "GET /healthz HTTP/1.1\r\nHost: otad\r\nBad Name: x\r\n\r\n"
check "a header name with a space is refused" test "$(statuses)" = 400

t0=$(date +%s%N)
raw "POST /v1/tokens HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\nxxxx"
ms=$((($(date +%s%N) - t0) / 1000000))
expect "unknown transfer coding: 501" "$(statuses)" 501
check "... at once (${ms} ms), the connection closed" closed
raw "POST /v1/tokens HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
expect "gzip, chunked: 501 too" "$(statuses)" 501

# ---- bad bytes -----------------------------------------------------------
raw "GET /v1/releases/\xff\xfe HTTP/1.1\r\n${H}\r\n"
expect "a non-UTF-8 byte in the path: 400" "$(statuses)" 400
check "... with the JSON error" json_error bad_request
raw "GET /v1/releases/%ff HTTP/1.1\r\n${H}\r\n"
expect "... and percent-encoded: 400" "$(statuses)" 400
raw "G\xe9T /healthz HTTP/1.1\r\nHost: otad\r\n\r\n"
expect "a non-UTF-8 byte in the method: 400" "$(statuses)" 400
check "... with the JSON error" json_error bad_request
raw "POST /v1/tokens HTTP/1.1\r\n${H}Content-Length: 72, 72\r\n\r\n$(printf '%072d' 0)"
expect "Content-Length: 72, 72: exactly one answer, 400" "$(statuses)" 400
check "... a JSON error" json_error bad_request
check "... and the connection is closed" closed
raw "POST /v1/tokens HTTP/1.1\r\n${H}Content-Length: 99999999999999999999999\r\n\r\n"
expect "a Content-Length past 64 bits: one answer, 413" "$(statuses)" 413
api GET /v1/releases/x%ffy "$ADMIN"
check "curl: a %ff path is 400 JSON, not 500" test "$STATUS" = 400
# A %00 ended the path where it stood: both were served as the path before.
raw "GET /v1/tokens%00junk HTTP/1.1\r\n${H}\r\n"
expect "/v1/tokens%00junk is no route: 404" "$(statuses)" 404
raw "GET /healthz%00.html HTTP/1.1\r\nHost: otad\r\n\r\n"
expect "/healthz%00.html is no route: 404" "$(statuses)" 404
api GET "/v1/devices?hw_class=board%00x" "$ADMIN"
expect_status "a %00 in a query value is refused as a value: 400" 400
api GET /v1/tokens%2Fx "$ADMIN"
expect_status "other escapes are still decoded (%2F: /v1/tokens/x takes DELETE)" 405
api GET /healthz%3Fx=1 ""
expect_status "... %3F is part of the path, not a query" 404
api GET /v1/%74okens "$ADMIN"
expect_status "... %74 is a t: /v1/tokens" 200

# ---- polite clients --------------------------------------------------------
for scheme in bearer BEARER BeArEr; do
	STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: $scheme $ADMIN" \
		"$URL/v1/tokens")
	expect "the Bearer scheme in any case: $scheme" "$STATUS" 200
done
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer  $ADMIN" "$URL/v1/tokens")
expect "... and after more than one space" "$STATUS" 200
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Basic $ADMIN" "$URL/v1/tokens")
expect "another scheme is 401" "$STATUS" 401

setup_trust || fail "trust set up"
provision 2 dev board-a 1.0.0 || fail "provision"
read -r HID HTOK < <(sed -n 1p "$TMP/tokens-dev")
read -r GID GTOK < <(sed -n 2p "$TMP/tokens-dev")
code=$(curl -s -I -o "$TMP/head.hdr" -w '%{http_code}' -H "Authorization: Bearer $HTOK" \
	"$URL/v1/device/update?fw_version=1.0.0&nonce=head-nonce-1")
expect "HEAD /v1/device/update: 204 (not 405)" "$code" 204
check "... with Retry-After" grep -qi '^retry-after:' "$TMP/head.hdr"
code=$(curl -s -I -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $HTOK" \
	"$URL/v1/device/update?fw_version=1.0.0")
expect "... and a bad query still 400" "$code" 400
code=$(curl -s -I -o /dev/null -w '%{http_code}' "$URL/v1/device/update?fw_version=1.0.0&nonce=head-nonce-1")
expect "... and no token still 401" "$code" 401
device_poll "$GID" "$GTOK"
for i in $(seq 1 50); do
	api GET "/v1/devices/$GID" "$ADMIN"
	[ "$(jqb .last_seen)" != null ] && break
	sleep 0.1
done
check "a GET poll is seen" test "$(jqb .last_seen)" != null
api GET "/v1/devices/$HID" "$ADMIN"
expect "a HEAD poll records nothing (no last_seen)" "$(jqb .last_seen)" null
for p in /healthz /v1/trust/online-key /v1/tokens; do
	code=$(curl -s -I -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN" "$URL$p")
	expect "HEAD $p is 200" "$code" 200
done

# ---- log injection ---------------------------------------------------------
raw "GET /x%0a%3c3%3eforged%0d%1b[2J HTTP/1.1\r\nHost: otad\r\n\r\n"
expect "a path with control bytes is refused" "$(statuses)" 400
raw "GET /y\x1b[31m HTTP/1.1\r\nHost: otad\r\n\r\n"
for i in $(seq 1 20); do grep -q 'GET /y' "$OTAD_LOG" && break; sleep 0.1; done
check "no log line starts with a forged priority" \
	test "$(grep -a -c '^<3>forged' "$OTAD_LOG")" = 0
check "every log line starts with otad's own priority" \
	test "$(grep -a -v -c '^<[0-9]>' "$OTAD_LOG")" = 0
check "the path is logged escaped on one line" \
	grep -a -q '^<6>GET /x\\n<3>forged\\r\\x1b\[2J 400 ' "$OTAD_LOG"
check "no raw control byte reaches the log" \
	test "$(tr -d '\n' <"$OTAD_LOG" | tr -dc '\000-\037\177' | wc -c)" = 0
finish
