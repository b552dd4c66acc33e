#!/bin/bash
# Uploads that fail far from their end still get their answer before the
# close: a chunked upload over max_artifact_size (413) and an upload to a
# full disk (507, on a small tmpfs; skipped when not root). Nothing of
# them is stored.
. "$(dirname "$0")/../lib.sh"

cat >"$TMP/otad.conf" <<CONF
max_artifact_size = 1M
log_requests = true
CONF
start_otad -c "$TMP/otad.conf" || { fail "otad starts"; finish; }

# upload ARGS...: POST /v1/artifacts with curl; sets STATUS and BODY.
upload() {
	STATUS=$(curl -s -o "$TMP/up.body" -w '%{http_code}' --max-time 60 \
		-H "Authorization: Bearer $ADMIN" \
		-H "Content-Type: application/octet-stream" "$@" "$URL/v1/artifacts")
	BODY=$(cat "$TMP/up.body")
	echo "$STATUS" >"$TMP/up.code"
}

# ---- chunked, 40 MiB against a 1 MiB cap ----
upload -H 'Transfer-Encoding: chunked' --data-binary @- < <(head -c 40M /dev/zero)
expect "a chunked upload 39 MiB over the cap is answered 413" "$STATUS" 413
check "... with the JSON error" jq -e '.error.code == "body_too_large"' <<<"$BODY"
upload -H 'Transfer-Encoding: chunked' --data-binary @- < <(head -c 3M /dev/zero)
expect "... and one 2 MiB over it too" "$STATUS" 413
head -c 40M /dev/zero >"$TMP/big.bin"
upload --data-binary @"$TMP/big.bin"
expect "with Content-Length it is refused before the body" "$STATUS" 413
expect "nothing is left in tmp/" "$(ls "$DATA/tmp")" ""
stop_otad

# ---- SIGTERM during an upload: answered 503 before the close, exit 0 ----
cat >"$TMP/otad.conf" <<CONF
max_artifact_size = 1G
shutdown_timeout = 2s
CONF
start_otad -c "$TMP/otad.conf" || { fail "otad restarts"; finish; }
upload --limit-rate 4M --data-binary @"$TMP/big.bin" &
UP=$!
for i in $(seq 1 100); do [ -n "$(ls "$DATA/tmp")" ] && break; sleep 0.05; done
check "the upload is under way" test -n "$(ls "$DATA/tmp")"
stop_otad TERM
wait "$UP"
expect "SIGTERM mid-upload exits 0" "$OTAD_RC" 0
expect "... the upload is answered 503 before the close" \
	"$(cat "$TMP/up.code" 2>/dev/null)" 503
check "... shutting_down" jq -e '.error.code == "shutting_down"' "$TMP/up.body"
start_otad -c "$TMP/otad.conf" || { fail "otad restarts"; finish; }
expect "... and nothing of it is stored" "$(ls "$DATA/artifacts" "$DATA/tmp")" \
	"$(printf '%s:\n\n%s:' "$DATA/artifacts" "$DATA/tmp")"
stop_otad

# ---- a full disk, 24 MiB left of 40 ----
if [ "$(id -u)" != 0 ] || ! mkdir -p "$TMP/small" ||
	! mount -t tmpfs -o size=24m tmpfs "$TMP/small" 2>/dev/null; then
	ok "full disk: skipped (needs root for a tmpfs)"
	finish
fi
trap 'umount "$TMP/small" 2>/dev/null; _cleanup' EXIT
cat >"$TMP/otad.conf" <<CONF
max_artifact_size = 1G
CONF
DATA=$TMP/small/data start_otad -c "$TMP/otad.conf" || { fail "otad starts on the tmpfs"; finish; }
upload --data-binary @"$TMP/big.bin"
expect "an upload 16+ MiB past a full disk is answered 507" "$STATUS" 507
check "... with the JSON error" jq -e '.error.code == "insufficient_storage"' <<<"$BODY"
upload -H 'Transfer-Encoding: chunked' --data-binary @- < <(head -c 40M /dev/zero)
expect "... chunked too" "$STATUS" 507
for i in $(seq 1 50); do [ -z "$(ls "$TMP/small/data/tmp")" ] && break; sleep 0.1; done
expect "... and its partial file is removed" "$(ls "$TMP/small/data/tmp")" ""
expect "... nothing is stored" "$(ls "$TMP/small/data/artifacts")" ""
head -c 1M /dev/urandom >"$TMP/fits.bin"
upload --data-binary @"$TMP/fits.bin"
expect "the disk has room again: a small upload is stored" "$STATUS" 201
stop_otad
expect "otad stops cleanly" "$OTAD_RC" 0
finish
