#!/bin/bash
# builds: rel (the harness does not depend on the build)
# tests/lib.sh's store helpers on the run's backend, without otad: db_sql
# runs on $DATA's store, the same data dir is the same store and another
# one another store, db_bytes round-trips every byte value, and on
# PostgreSQL each data dir's database is dropped when its script exits.
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."

# prepare: what otad would have made of $DATA's store (a table to use).
prepare() {
	mkdir -p "$DATA"
	if [ "$(db_backend)" = postgresql ]; then
		_pg_ensure || return 1
	fi
	db_sql "CREATE TABLE t (k TEXT PRIMARY KEY, v BYTEA)" 2>/dev/null ||
		db_sql "CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB)"
}

DATA=$TMP/one
check "a store for the data dir" prepare
db_sql "INSERT INTO t (k) VALUES ('a') ON CONFLICT (k) DO NOTHING" >/dev/null
expect "db_sql reads what it wrote" "$(db_sql "SELECT k FROM t")" a
expect "rows come as a|b lines" "$(db_sql "SELECT k, 1 FROM t")" "a|1"
DATA=$TMP/two
check "another data dir's store" prepare
expect "... is another store" "$(db_sql "SELECT COUNT(*) FROM t")" 0
DATA=$TMP/one
expect "the first data dir still has its store" "$(db_sql "SELECT k FROM t")" a

for i in $(seq 0 255); do printf "\\$(printf %03o "$i")"; done >"$TMP/bytes"
db_sql "INSERT INTO t (k, v) VALUES ('b', $(db_bytes "$TMP/bytes"))"
expect "db_bytes: 256 bytes stored" \
	"$(db_sql "SELECT length(v) FROM t WHERE k = 'b'")" 256
if [ "$(db_backend)" = postgresql ]; then
	got=$(db_sql "SELECT encode(v, 'hex') FROM t WHERE k = 'b'")
	expect "... as they were" "$got" "$(od -An -v -tx1 "$TMP/bytes" | tr -d ' \n')"

	# A script's databases are dropped when it exits, whatever its checks.
	names=$(bash -c '. tests/lib.sh; DATA=$TMP/x; _pg_ensure
		_pg_dbname; exit 1')
	expect "a script's database is made" "${names:0:10}" otad_test_
	expect "... and dropped when the script exits" \
		"$(_pg_psql -d postgres -c "SELECT COUNT(*) FROM pg_database
			WHERE datname = '$names'")" 0
else
	got=$(db_sql "SELECT hex(v) FROM t WHERE k = 'b'")
	expect "... as they were" "$got" \
		"$(od -An -v -tx1 "$TMP/bytes" | tr -d ' \n' | tr a-f A-F)"
	check "the store is \$DATA/otad.db" test -s "$TMP/one/otad.db"
fi
finish
