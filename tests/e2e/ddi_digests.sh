#!/bin/bash
# SHA-1 and MD5 of artifacts (for hawkBit DDI clients): computed while the
# upload streams, answered and stored; equal to sha1sum/md5sum for a tiny,
# a multi-buffer and a chunked upload. An artifact stored before migration
# 006 has none until its bytes come again (or its first DDI use).
. "$(dirname "$0")/../lib.sh"

start_otad || { fail "otad starts"; finish; }

# upload NAME FILE [curl args]: POSTs FILE; checks the answer's digests.
upload() {
	local name=$1 file=$2
	shift 2
	api POST /v1/artifacts "$ADMIN" -H "Content-Type: application/octet-stream" --data-binary @"$file" "$@"
	expect "$name: the answer's sha256" "$(jqb .sha256)" \
		"$(sha256sum <"$file" | cut -d' ' -f1)"
	expect "$name: the answer's sha1" "$(jqb .sha1)" \
		"$(sha1sum <"$file" | cut -d' ' -f1)"
	expect "$name: the answer's md5" "$(jqb .md5)" \
		"$(md5sum <"$file" | cut -d' ' -f1)"
}

# stored SHA256: the row's "sha1 md5".
stored() {
	db_sql "SELECT COALESCE(sha1, '-') || ' ' || \
		COALESCE(md5, '-') FROM artifacts WHERE sha256 = '$1'"
}

printf 'x' >"$TMP/tiny.bin"
head -c 2621447 /dev/urandom >"$TMP/big.bin"
upload "one byte" "$TMP/tiny.bin"
expect_status "one byte: 201" 201
upload "2.5 MiB (three I/O buffers)" "$TMP/big.bin"
BIG=$(jqb .sha256)
upload "the same bytes again" "$TMP/big.bin"
expect_status "the same bytes again: 200" 200
head -c 1500000 /dev/urandom >"$TMP/chunked.bin"
upload "chunked" "$TMP/chunked.bin" -H 'Transfer-Encoding: chunked'
expect "the row keeps the digests" "$(stored "$BIG")" \
	"$(sha1sum <"$TMP/big.bin" | cut -d' ' -f1) $(md5sum <"$TMP/big.bin" | cut -d' ' -f1)"

# An artifact from before the migration: no digests in its row.
stop_otad
db_sql "UPDATE artifacts SET sha1 = NULL, md5 = NULL \
	WHERE sha256 = '$BIG'"
start_otad || { fail "otad restarts"; finish; }
expect "a row from before migration 006 has no digests" "$(stored "$BIG")" "- -"
upload "that artifact uploaded again" "$TMP/big.bin"
expect "... fills its row" "$(stored "$BIG")" \
	"$(sha1sum <"$TMP/big.bin" | cut -d' ' -f1) $(md5sum <"$TMP/big.bin" | cut -d' ' -f1)"
stop_otad
expect "otad stops cleanly" "$OTAD_RC" 0
finish
