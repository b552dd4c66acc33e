/* db/migrate: a SQLite store copied into PostgreSQL is equal row for row
 * (blobs byte for byte), a target holding data is refused and left as
 * it was, a failure mid-copy leaves the target empty, and the identity
 * sequences move past the copied ids. PostgreSQL only (OTAD_TEST_PG_SOCK
 * and OTAD_TEST_PG_USER; without them this suite says so and has
 * nothing to run); the source is always a SQLite file. */
#include <string.h>

#include "db/ddi.h"
#include "db/migrate.h"
#include "db/tokens.h"
#include "db_fixture.h"

static char src[400], url[512];

/* Raw SQL on the source, the way an older otad or a bug left it. */
static void
src_exec(const char *sql)
{
	sqlite3 *h;
	char *msg = NULL;

	ck_assert_int_eq(sqlite3_open(src, &h), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, &msg) == SQLITE_OK, "%s",
	    msg ? msg : "?");
	sqlite3_close(h);
}

static int
add_token(struct db *db, const char *name, uint8_t fill)
{
	uint8_t hash[32];
	struct db_token_add a = { name, "admin", hash, 5, 0 };

	memset(hash, fill, sizeof(hash));
	hash[0] = 0;	/* a NUL byte must survive too */
	return db_write(db, db_token_add, &a);
}

/* A store with a row in the tables a fleet fills: tokens and a DDI
 * action through the store's own jobs, the rest planted. */
static void
fill(void)
{
	char err[512];
	struct db *db = db_open(src, 1, err, sizeof(err));
	struct db_ddi_action_new n = { 2, 1, 2, 1, 100, 0 };

	ck_assert_msg(db != NULL, "%s", err);
	db_close(db);
	src_exec("INSERT INTO artifacts (sha256, size, created_at, created_by) "
	    "VALUES ('a', 1, 0, 'x'), ('b', 2, 0, 'x');"
	    "INSERT INTO releases (id, envelope, envelope_sha256, fw_version, "
	    "security_counter, artifact_sha256, length, expires, created, "
	    "uploaded_at, uploaded_by) VALUES (1, x'00ff00', 'e1', '1.1.0', 1, "
	    "'a', 1, 9999999999, 0, 0, 'x'), (2, x'deadbeef00', 'e2', '2.0.0', "
	    "2, 'b', 2, 9999999999, 0, 0, 'x');"
	    "INSERT INTO campaigns (id, name, release_id, salt, stages, policy, "
	    "state, created_at, created_by) VALUES (1, 'c', 2, x'0001fe', "
	    "'[10,100]', '{}', 'running', 0, 'x');"
	    "INSERT INTO devices (id, device_id, hw_class, token_hash, "
	    "fw_version, created_at) VALUES (1, 'd1', 'b', randomblob(32), "
	    "'1.0.0', 0), (2, 'd2', 'b', randomblob(32), '1.0.0', 0), "
	    "(7, 'd7', 'b', randomblob(32), '1.0.0', 0);"
	    "INSERT INTO campaign_devices (campaign, device, bucket, state) "
	    "VALUES (1, 1, 3, 'pending'), (1, 2, 9, 'offered');"
	    "INSERT INTO webhook_endpoints (id, url, enabled) VALUES "
	    "(1, 'http://127.0.0.1:9/', 1);"
	    "INSERT INTO campaign_events (id, campaign, at, kind, actor, "
	    "detail) VALUES (4, 1, 10, 'started', 'adm', '{\"a\":1}');"
	    "INSERT INTO device_events (id, device, at, kind, campaign_id, "
	    "state) VALUES (5, 2, 11, 'state', 1, 'failed');"
	    "INSERT INTO audit (id, at, actor, client, request_id, method, path,"
	    " object_type, object_id, action, status) VALUES (9, 12, 'adm', "
	    "'127.0.0.1', 'r1', 'POST', '/api/v1/campaigns', 'campaign', '1', "
	    "'create', 201);");
	db = db_open(src, 1, err, sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	ck_assert_int_eq(add_token(db, "adm", 0xa5), DB_OK);
	ck_assert_int_eq(add_token(db, "gw", 0x5a), DB_OK);
	ck_assert_int_eq(db_write(db, db_ddi_action_new, &n), DB_OK);
	db_close(db);
}

static void
setup(void)
{
	ck_assert_int_eq(sign_init(), 0);
	tu_tmpdir(dir, sizeof(dir));
	snprintf(src, sizeof(src), "%s/otad.db", dir);
	pgfx_create(url, sizeof(url));
	db_set_error_hook(NULL);
}

static void
teardown(void)
{
	pgfx_drop();
	tu_rmtree(dir);
}

/* The tables of the source, into names (n of them). */
static int
tables(char names[][64], int max)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	int n = 0;

	ck_assert_int_eq(sqlite3_open(src, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, "SELECT name FROM sqlite_master "
	    "WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name <> "
	    "'schema_migrations' ORDER BY name", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW && n < max)
		snprintf(names[n++], 64, "%s",
		    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

/* "SELECT c1, hex(c2), ... FROM t ORDER BY 1, 2, ..." for the backend
 * (bytes compared as upper-case hex). */
static void
dump_sql(sqlite3 *h, const char *t, int pg, char *out, size_t len)
{
	sqlite3_stmt *st;
	char q[128];
	size_t o;
	int n = 0;

	snprintf(q, sizeof(q), "SELECT name, type FROM pragma_table_info('%s') "
	    "ORDER BY cid", t);
	ck_assert_int_eq(sqlite3_prepare_v2(h, q, -1, &st, NULL), SQLITE_OK);
	o = (size_t)snprintf(out, len, "SELECT ");
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 0);
		int blob = strcmp((const char *)sqlite3_column_text(st, 1),
		    "BLOB") == 0;

		o += (size_t)snprintf(out + o, len - o, "%s%s%s%s", n++ ? ", " :
		    "", blob ? (pg ? "upper(encode(" : "hex(") : "", c, blob ?
		    (pg ? ", 'hex'))" : ")") : "");
		ck_assert(o < len);
	}
	sqlite3_finalize(st);
	o += (size_t)snprintf(out + o, len - o, " FROM %s ORDER BY 1", t);
	for (int i = 2; i <= n; i++)
		o += (size_t)snprintf(out + o, len - o, ", %d", i);
	ck_assert(o < len);
}

/* Every row of t in both stores, as text: "a|b|\N;..." */
static void
dump(sqlite3 *h, PGconn *pg, const char *t, char *s, char *p, size_t len)
{
	char sql[2048];
	sqlite3_stmt *st;
	PGresult *r;
	size_t o = 0;

	s[0] = p[0] = '\0';
	dump_sql(h, t, 0, sql, sizeof(sql));
	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);

			o += (size_t)snprintf(s + o, len - o, "%s%s", i ? "|" : "",
			    v ? v : "\\N");
		}
		o += (size_t)snprintf(s + o, len - o, ";");
		ck_assert(o < len);
	}
	sqlite3_finalize(st);
	dump_sql(h, t, 1, sql, sizeof(sql));
	r = PQexec(pg, sql);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql,
	    PQerrorMessage(pg));
	o = 0;
	for (int k = 0; k < PQntuples(r); k++) {
		for (int i = 0; i < PQnfields(r); i++)
			o += (size_t)snprintf(p + o, len - o, "%s%s", i ? "|" : "",
			    PQgetisnull(r, k, i) ? "\\N" : PQgetvalue(r, k, i));
		o += (size_t)snprintf(p + o, len - o, ";");
		ck_assert(o < len);
	}
	PQclear(r);
}

/* Rows of t in the target. */
static long
pg_rows(PGconn *pg, const char *t)
{
	char sql[128];
	PGresult *r;
	long n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", t);
	r = PQexec(pg, sql);
	ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
	n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return n;
}

static long
pg_long(PGconn *pg, const char *sql)
{
	PGresult *r = PQexec(pg, sql);
	long n;

	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql,
	    PQerrorMessage(pg));
	n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return n;
}

/* 1 if no table of the target holds a row. */
static int
target_empty(void)
{
	char names[64][64];
	int n = tables(names, 64), empty = 1;
	PGconn *pg = pgfx_connect(pgfx_name);

	for (int i = 0; i < n; i++)
		if (pg_rows(pg, names[i]) != 0)
			empty = 0;
	PQfinish(pg);
	return empty;
}

START_TEST(a_full_copy_is_equal_row_for_row)
{
	static char s[65536], p[65536];
	char names[64][64], err[512];
	struct db_migrate_stats st;
	int n, copied = 0;
	sqlite3 *h;
	PGconn *pg;

	fill();
	ck_assert_msg(db_migrate_to(src, url, &st, err, sizeof(err)) == 0, "%s",
	    err);
	n = tables(names, 64);
	ck_assert_int_eq(st.tables, n);
	ck_assert_int_eq(sqlite3_open(src, &h), SQLITE_OK);
	pg = pgfx_connect(pgfx_name);
	for (int i = 0; i < n; i++) {
		dump(h, pg, names[i], s, p, sizeof(s));
		ck_assert_msg(strcmp(s, p) == 0, "%s:\n%s\n%s", names[i], s, p);
		copied += (int)pg_rows(pg, names[i]);
	}
	ck_assert_int_eq(st.rows, copied);
	ck_assert_int_ge(copied, 17);
	/* The source's trigger queued the events' webhooks; the copy of the
	 * events did not queue them a second time (the dump above). */
	ck_assert_int_ge(pg_rows(pg, "webhook_outbox"), 1);
	PQfinish(pg);
	sqlite3_close(h);
}
END_TEST

START_TEST(a_target_holding_data_is_refused_and_unchanged)
{
	char err[512];
	struct db_migrate_stats st;
	struct db *db;
	PGconn *pg;

	fill();
	db = db_open(url, 1, err, sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	ck_assert_int_eq(add_token(db, "other", 0x11), DB_OK);
	db_close(db);
	ck_assert_int_eq(db_migrate_to(src, url, &st, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "table tokens") != NULL, "%s", err);
	ck_assert_int_eq(st.rows, 0);
	pg = pgfx_connect(pgfx_name);
	ck_assert_int_eq(pg_rows(pg, "tokens"), 1);
	ck_assert_int_eq(pg_rows(pg, "devices"), 0);
	ck_assert_int_eq(pg_rows(pg, "artifacts"), 0);
	PQfinish(pg);
}
END_TEST

START_TEST(a_failure_mid_copy_leaves_the_target_empty)
{
	char err[512];
	struct db_migrate_stats st;
	PGconn *pg;

	fill();
	/* SQLite keeps text in an integer column; PostgreSQL refuses it,
	 * in the last table copied. */
	src_exec("INSERT INTO webhook_outbox (endpoint, event_id, kind, body, "
	    "created_at, next_at) VALUES (1, 'e', 'k', '{}', 'soon', 0)");
	ck_assert_int_eq(db_migrate_to(src, url, &st, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "webhook_outbox") != NULL, "%s", err);
	ck_assert(target_empty());
	/* The triggers turned off for the copy are on again. */
	pg = pgfx_connect(pgfx_name);
	ck_assert_int_eq(pg_long(pg, "SELECT count(*) FROM pg_trigger WHERE "
	    "NOT tgisinternal AND tgenabled = 'D'"), 0);
	PQfinish(pg);
	/* Once the source is mended, the same target takes the copy. */
	src_exec("DELETE FROM webhook_outbox");
	ck_assert_msg(db_migrate_to(src, url, &st, err, sizeof(err)) == 0, "%s",
	    err);
}
END_TEST

START_TEST(the_sequences_move_past_the_copied_ids)
{
	char err[512];
	struct db_migrate_stats st;
	struct db_ddi_action_new n = { 7, 0, 1, 1, 200, 0 };
	struct db *db;
	PGconn *pg;

	fill();
	ck_assert_msg(db_migrate_to(src, url, &st, err, sizeof(err)) == 0, "%s",
	    err);
	db = db_open(url, 1, err, sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	ck_assert_int_eq(add_token(db, "new", 0x77), DB_OK);
	ck_assert_int_eq(db_write(db, db_ddi_action_new, &n), DB_OK);
	ck_assert_int_gt(n.id, 1);
	db_close(db);
	pg = pgfx_connect(pgfx_name);
	ck_assert_int_eq(pg_long(pg, "SELECT max(id) FROM tokens"), 3);
	ck_assert_int_eq(pg_long(pg, "INSERT INTO devices (device_id, hw_class, "
	    "token_hash, fw_version, created_at) VALUES ('d8', 'b', "
	    "'\\x01'::bytea, '1.0.0', 0) RETURNING id"), 8);
	ck_assert_int_eq(pg_long(pg, "INSERT INTO device_events (device, at, "
	    "kind) VALUES (8, 20, 'provisioned') RETURNING id"), 6);
	ck_assert_int_eq(pg_long(pg, "INSERT INTO campaign_events (campaign, "
	    "at, kind, actor) VALUES (1, 20, 'paused', 'adm') RETURNING id"), 5);
	ck_assert_int_eq(pg_long(pg, "INSERT INTO audit (at, actor, client, "
	    "request_id, method, path, object_type, object_id, action) VALUES "
	    "(20, 'adm', 'c', 'r2', 'POST', '/', 'device', 'd8', 'create') "
	    "RETURNING id"), 10);
	PQfinish(pg);
}
END_TEST

START_TEST(a_sqlite_target_or_a_missing_source_is_refused)
{
	char err[512], other[512];
	struct db_migrate_stats st;

	ck_assert_int_eq(db_migrate_to(src, url, &st, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "no database") != NULL, "%s", err);
	fill();
	snprintf(other, sizeof(other), "%s/other.db", dir);
	ck_assert_int_eq(db_migrate_to(src, other, &st, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "postgresql://") != NULL, "%s", err);
	ck_assert_int_ne(access(other, F_OK), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("db_migrate");
	TCase *tc = tcase_create("migrate");

	if (!pgfx_on()) {
		printf("db_migrate: no PostgreSQL (OTAD_TEST_PG_SOCK, "
		    "OTAD_TEST_PG_USER): nothing to run\n");
		return 0;
	}
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_full_copy_is_equal_row_for_row);
	tcase_add_test(tc, a_target_holding_data_is_refused_and_unchanged);
	tcase_add_test(tc, a_failure_mid_copy_leaves_the_target_empty);
	tcase_add_test(tc, the_sequences_move_past_the_copied_ids);
	tcase_add_test(tc, a_sqlite_target_or_a_missing_source_is_refused);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
