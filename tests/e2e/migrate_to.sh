#!/bin/bash
# backends: postgresql (the source is a SQLite daemon, the target the run's cluster)
# otad migrate-to: a SQLite daemon's fleet and campaign move to PostgreSQL;
# the same devices get the same answers with their same tokens, the
# campaign goes on, the admin token works, new rows get fresh ids; refused
# while the daemon runs, into a database holding data, for a bad URL; the
# URL's password is never printed.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fleet_lib.sh"
cd "$TMP" || exit 1

# The source daemon runs on SQLite: lib.sh picks PostgreSQL while these
# are set, so they are put aside until the move.
PG_SOCK=$OTAD_TEST_PG_SOCK PG_USER=$OTAD_TEST_PG_USER
unset OTAD_TEST_PG_SOCK OTAD_TEST_PG_USER
to_pg() { export OTAD_TEST_PG_SOCK=$PG_SOCK OTAD_TEST_PG_USER=$PG_USER; }
trap 'to_pg; _cleanup' EXIT

cat >"$TMP/otad.conf" <<CONF
gate_interval = 1
seen_flush_interval = 1
poll_interval = 1
log_requests = false
CONF
start_otad -c "$TMP/otad.conf" || { fail "otad starts on SQLite"; finish; }
expect "the source is a SQLite file" "$(test -f "$DATA/otad.db" && echo yes)" yes
setup_trust || { fail "trust set up"; finish; }
make_release 2.0.0 2 board-a || fail "release 2.0.0"
provision 20 dev board-a 1.0.0 || fail "provision 20"
api POST /v1/campaigns "$ADMIN" -d "{\"release\":$REL_ID,\"stages\":[50,100],\"gate\":{\"bake_time\":1,\"min_sample\":1}}"
expect_status "a campaign" 201
C=$(jqb .id)
api POST "/v1/campaigns/$C/start" "$ADMIN"
expect_status "started" 200

# answers DIR: each device's poll (status, campaign, release hash).
answers() {
	local id tok
	mkdir -p "$1"
	while read -r id tok; do
		device_poll "$id" "$tok"
		echo "$STATUS $OFFER_CAMPAIGN $OFFER_RELEASE" >"$1/$id"
	done <"$TMP/tokens-dev"
}
answers before
offered=$(grep -l '^200 ' before/* | wc -l)
check "stage 1 offers to some devices, not all ($offered)" \
	test "$offered" -gt 0 -a "$offered" -lt 20
api GET "/v1/campaigns/$C" "$ADMIN"
view_before=$(jqb -c '[.state, .stage.percent]')

PASS=s3cr3t-Pw
DB=$(to_pg && _pg_ensure && _pg_dbname) || fail "a database for the move"
TARGET="postgresql://$PG_USER:$PASS@/$DB?host=$PG_SOCK"
otad() { "$BIN/otad" --data-dir "$DATA" "$@"; }
out=$(otad migrate-to "$TARGET" 2>&1)
expect "migrate-to while the daemon runs is refused" "$?" 1
check "naming the daemon and what to do" grep -q "otad (pid $OTAD_PID) is running on .*stop it before a migrate-to" <<<"$out"
stop_otad

out=$(otad migrate-to "mysql://u:$PASS@h/db" 2>&1)
expect "a URL that is not PostgreSQL's is a usage error" "$?" 2
check "saying what it wants" grep -q "want a postgresql:// or postgres:// URL" <<<"$out"
all_out=$out
out=$(otad migrate-to 2>&1)
expect "no URL is a usage error" "$?" 2
out=$(otad migrate-to "postgresql://$PG_USER:$PASS@/nosuchdb_$RANDOM?host=$PG_SOCK" 2>&1)
expect "a database that does not exist is refused" "$?" 1
check "saying it cannot connect" grep -q "cannot connect to postgresql://$PG_USER@/nosuchdb" <<<"$out"
all_out+=$out

sum_before=$(sha256sum "$DATA/otad.db" | cut -c1-64)
out=$(otad migrate-to "$TARGET" 2>&1)
expect "migrate-to a stopped daemon's store" "$?" 0
all_out+=$out
check "a summary: tables, rows, time" grep -Eq "^copied [0-9]+ tables, [0-9]+ rows from .*otad.db to postgresql://$PG_USER@/$DB.* in [0-9.]+ s" <<<"$out"
check "what to do next" grep -q "set database = postgresql://$PG_USER@/$DB" <<<"$out"
check "the artifact files stay in the data dir" grep -q "artifact files stay in $DATA/artifacts" <<<"$out"
expect "the SQLite file is left as it was" "$(sha256sum "$DATA/otad.db" | cut -c1-64)" "$sum_before"

out=$(otad migrate-to "$TARGET" 2>&1)
expect "migrate-to into a database holding data is refused" "$?" 1
check "naming a table" grep -q "the target database is not empty: table [a-z_]* has rows" <<<"$out"
all_out+=$out
check "the password is in no output" test "$(grep -c -- "$PASS" <<<"$all_out")" = 0

to_pg
start_otad -c "$TMP/otad.conf" || { fail "otad starts on PostgreSQL"; finish; }
check "it runs on PostgreSQL" grep -q "postgresql://" "$OTAD_LOG"
api GET "/v1/campaigns/$C" "$ADMIN"
expect_status "the admin token still works" 200
expect "the campaign is where it was" "$(jqb -c '[.state, .stage.percent]')" "$view_before"
answers after
check "the same devices get the same answers with their tokens" diff -r before after
for round in $(seq 1 40); do
	device_round dev good
	[ "$(campaign_field "$C" .state)" = completed ] && break
	sleep 1
done
expect "the campaign goes on to completion" "$(campaign_field "$C" .state)" completed
provision 1 new board-a 1.0.0 || fail "provision after the move"
expect_status "a device provisioned after the move gets a fresh id" 201
otad_run --data-dir "$DATA" token add --role viewer after-move >/dev/null 2>&1
expect "a token added after the move" "$?" 0
stop_otad
finish
