/* db: the statement layer of db/internal.h on SQLite: $N placeholders
 * (reused, out of order, refused when not $N), NULLs, blobs, integers at
 * their limits, text copied into a buffer that may be too small, the
 * statement cache, and constraint failures as DB_CONFLICT. On a
 * connection of its own (no migrations), as the domain files use it. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "db/internal.h"
#include "db_fixture.h"

static struct db_conn *c;
static char last_err[1024];
static int nerr;

static void
hook(const char *msg)
{
	snprintf(last_err, sizeof(last_err), "%s", msg);
	nerr++;
}

static void
setup(void)
{
	char err[512];

	dbfx_dir();
	db_set_error_hook(hook);
	nerr = 0;
	last_err[0] = '\0';
	c = db_conn_open(path, 0, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(db_exec(c, "CREATE TABLE t (id INTEGER PRIMARY KEY, "
	    "name TEXT NOT NULL UNIQUE, n INTEGER, b BLOB, x REAL)"), DB_OK);
}

static void
teardown(void)
{
	db_conn_close(c);
	db_set_error_hook(NULL);
	dbfx_rmdir();
}

START_TEST(sqlite_numbers_dollar_params_by_first_appearance)
{
	/* Why the layer maps $N to SQLite's index: SQLite treats $2 as a
	 * named parameter and gives it the index of its first appearance. */
	sqlite3 *h;
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_open(":memory:", &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, "SELECT $2, $1, $2, $3", -1,
	    &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_parameter_count(st), 3);
	ck_assert_int_eq(sqlite3_bind_parameter_index(st, "$2"), 1);
	ck_assert_int_eq(sqlite3_bind_parameter_index(st, "$1"), 2);
	ck_assert_int_eq(sqlite3_bind_parameter_index(st, "$3"), 3);
	sqlite3_finalize(st);
	sqlite3_close(h);
}
END_TEST

START_TEST(placeholders_reused_and_out_of_order)
{
	static const char sql[] = "SELECT $3, $1, $3 - $1, $2, $1 * $3";
	struct db_st *st = db_stmt(c, sql);

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(db_bind_i64(st, 1, 7), 0);
	ck_assert_int_eq(db_bind_text(st, 2, "two"), 0);
	ck_assert_int_eq(db_bind_i64(st, 3, 100), 0);
	/* A number the text does not use is an error, not a silent no-op. */
	ck_assert_int_eq(db_bind_i64(st, 4, 1), -1);
	ck_assert_int_eq(db_bind_i64(st, 0, 1), -1);
	ck_assert_int_eq(db_bind_i64(st, 99, 1), -1);
	ck_assert_int_eq(db_row(c, st, "placeholders"), DB_OK);
	ck_assert_int_eq(db_col_i64(st, 0), 100);
	ck_assert_int_eq(db_col_i64(st, 1), 7);
	ck_assert_int_eq(db_col_i64(st, 2), 93);
	ck_assert_str_eq(db_col_str(st, 3), "two");
	ck_assert_int_eq(db_col_i64(st, 4), 700);
	ck_assert_int_eq(db_step(st), DB_STEP_DONE);
	ck_assert_int_eq(nerr, 0);
}
END_TEST

START_TEST(only_dollar_n_placeholders)
{
	static const char q[] = "SELECT ?";
	static const char qn[] = "SELECT ?1";
	static const char named[] = "SELECT :name";
	static const char zero[] = "SELECT $0";
	static const char big[] = "SELECT $33";
	static const char word[] = "SELECT $a";
	static const char *bad[] = { q, qn, named, zero, big, word };
	static const char bad_sql[] = "SELEKT 1";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		nerr = 0;
		ck_assert_msg(db_stmt(c, bad[i]) == NULL, "%s", bad[i]);
		ck_assert_int_eq(nerr, 1);
		ck_assert_msg(strstr(last_err, "placeholder") != NULL, "%s",
		    last_err);
		/* Still refused the second time (nothing half cached). */
		ck_assert_ptr_null(db_stmt(c, bad[i]));
	}
	nerr = 0;
	ck_assert_ptr_null(db_stmt(c, bad_sql));
	ck_assert_int_eq(nerr, 1);
	ck_assert_msg(strstr(last_err, "SELEKT") != NULL, "%s", last_err);
}
END_TEST

START_TEST(nulls_read_as_nothing)
{
	static const char sql[] = "SELECT $1, $2, $3, $4, $5";
	struct db_st *st = db_stmt(c, sql);
	char buf[8] = "junk";

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(db_bind_null(st, 1), 0);
	ck_assert_int_eq(db_bind_text(st, 2, NULL), 0);
	ck_assert_int_eq(db_bind_i64(st, 3, 0), 0);
	ck_assert_int_eq(db_bind_text(st, 4, ""), 0);
	/* $5 left unbound: NULL. */
	ck_assert_int_eq(db_row(c, st, "nulls"), DB_OK);
	ck_assert_int_eq(db_col_null(st, 0), 1);
	ck_assert_int_eq(db_col_null(st, 1), 1);
	ck_assert_int_eq(db_col_null(st, 2), 0);
	ck_assert_int_eq(db_col_null(st, 3), 0);
	ck_assert_int_eq(db_col_null(st, 4), 1);
	ck_assert_int_eq(db_col_i64(st, 0), 0);
	ck_assert_int_eq(db_col_int(st, 0), 0);
	ck_assert(db_col_double(st, 0) == 0.0);
	ck_assert_ptr_null(db_col_str(st, 1));
	ck_assert_ptr_null(db_col_blob(st, 1));
	ck_assert_uint_eq(db_col_bytes(st, 1), 0);
	ck_assert_int_eq(db_col_text(st, 1, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_str_eq(db_col_str(st, 3), "");
}
END_TEST

START_TEST(blobs_and_numbers_round_trip)
{
	static const char ins[] = "INSERT INTO t (name, n, b, x) VALUES ($1, "
	    "$2, $3, $4) RETURNING id";
	static const char get[] = "SELECT n, b, x, length(b) FROM t WHERE id = $1";
	static const unsigned char blob[] = { 0, 1, 0, 0xff, 'a', 0, 0x80 };
	struct db_st *st = db_stmt(c, ins);
	int64_t id = 0;

	ck_assert_ptr_nonnull(st);
	db_bind_text(st, 1, "a");
	db_bind_i64(st, 2, INT64_MIN);
	ck_assert_int_eq(db_bind_blob(st, 3, blob, sizeof(blob)), 0);
	ck_assert_int_eq(db_bind_double(st, 4, 0.25), 0);
	ck_assert_int_eq(db_step_id(c, st, "insert", &id), DB_OK);
	ck_assert_int_eq(id, 1);
	ck_assert_int_eq(db_changes(c), 1);

	st = db_stmt(c, get);
	ck_assert_ptr_nonnull(st);
	db_bind_i64(st, 1, id);
	ck_assert_int_eq(db_row(c, st, "get"), DB_OK);
	ck_assert(db_col_i64(st, 0) == INT64_MIN);
	ck_assert_ptr_nonnull(db_col_blob(st, 1));
	ck_assert_uint_eq(db_col_bytes(st, 1), sizeof(blob));
	ck_assert_mem_eq(db_col_blob(st, 1), blob, sizeof(blob));
	ck_assert(db_col_double(st, 2) == 0.25);
	ck_assert_int_eq(db_col_int(st, 3), (int)sizeof(blob));

	st = db_stmt(c, ins);
	db_bind_text(st, 1, "b");
	db_bind_i64(st, 2, INT64_MAX);
	db_bind_blob(st, 3, blob, 0);
	db_bind_int(st, 4, -3);
	ck_assert_int_eq(db_step_id(c, st, "insert", &id), DB_OK);
	ck_assert_int_eq(id, 2);
	st = db_stmt(c, get);
	db_bind_i64(st, 1, id);
	ck_assert_int_eq(db_row(c, st, "get"), DB_OK);
	ck_assert(db_col_i64(st, 0) == INT64_MAX);
	ck_assert_uint_eq(db_col_bytes(st, 1), 0);
	ck_assert(db_col_double(st, 2) == -3.0);
}
END_TEST

START_TEST(text_into_a_buffer_that_may_be_too_small)
{
	static const char sql[] = "SELECT $1";
	struct db_st *st = db_stmt(c, sql);
	char buf[6];

	ck_assert_ptr_nonnull(st);
	db_bind_text(st, 1, "hello");		/* 5 bytes + NUL: fits */
	ck_assert_int_eq(db_row(c, st, "text"), DB_OK);
	ck_assert_int_eq(db_col_text(st, 0, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "hello");
	ck_assert_uint_eq(db_col_bytes(st, 0), 5);

	st = db_stmt(c, sql);
	db_bind_text(st, 1, "hello!");		/* one byte too many */
	ck_assert_int_eq(db_row(c, st, "text"), DB_OK);
	ck_assert_int_eq(db_col_text(st, 0, buf, sizeof(buf)), -1);
	ck_assert_str_eq(buf, "");		/* never a cut string */
	ck_assert_int_eq(db_col_text(st, 0, buf, 1), -1);

	/* A number read as text. */
	st = db_stmt(c, sql);
	db_bind_i64(st, 1, -42);
	ck_assert_int_eq(db_row(c, st, "text"), DB_OK);
	ck_assert_int_eq(db_col_text(st, 0, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "-42");
}
END_TEST

START_TEST(the_cache_hands_back_a_reset_unbound_statement)
{
	static const char sql[] = "SELECT $1 UNION ALL SELECT 2";
	struct db_st *st = db_stmt(c, sql), *again;

	ck_assert_ptr_nonnull(st);
	db_bind_i64(st, 1, 5);
	ck_assert_int_eq(db_row(c, st, "cache"), DB_OK);
	ck_assert_int_eq(db_col_i64(st, 0), 5);
	/* Left on its first row; asked again: the same one, from the top,
	 * with no value left bound. */
	again = db_stmt(c, sql);
	ck_assert_ptr_eq(again, st);
	ck_assert_int_eq(db_row(c, again, "cache"), DB_OK);
	ck_assert_int_eq(db_col_null(again, 0), 1);
	ck_assert_int_eq(db_step(again), DB_STEP_ROW);
	ck_assert_int_eq(db_col_i64(again, 0), 2);
	ck_assert_int_eq(db_step(again), DB_STEP_DONE);
}
END_TEST

static int
sum_row(struct db_st *st, void *arg)
{
	int64_t *sum = arg;

	*sum += db_col_i64(st, 0);
	return *sum > 100 ? DB_INVALID : DB_OK;
}

START_TEST(conflicts_and_changes)
{
	static const char ins[] = "INSERT INTO t (name, n) VALUES ($1, $2)";
	static const char ins_id[] = "INSERT INTO t (name, n) VALUES ($1, $2) "
	    "RETURNING id";
	static const char ignore[] = "INSERT INTO t (name, n) VALUES ($1, $2) "
	    "ON CONFLICT (name) DO NOTHING RETURNING id";
	static const char upsert[] = "INSERT INTO t (name, n) VALUES ($1, $2) "
	    "ON CONFLICT (name) DO UPDATE SET n = excluded.n + t.n RETURNING id";
	static const char cas[] = "UPDATE t SET n = $3 WHERE name = $1 AND n = $2";
	static const char all[] = "SELECT n FROM t ORDER BY id";
	struct db_st *st;
	int64_t id = -1, sum = 0;

	st = db_stmt(c, ins);
	db_bind_text(st, 1, "a");
	db_bind_i64(st, 2, 1);
	ck_assert_int_eq(db_step_done(c, st, "ins"), DB_OK);
	ck_assert_int_eq(db_changes(c), 1);
	/* UNIQUE and NOT NULL: DB_CONFLICT, not reported. */
	st = db_stmt(c, ins);
	db_bind_text(st, 1, "a");
	db_bind_i64(st, 2, 2);
	ck_assert_int_eq(db_step_done(c, st, "ins"), DB_CONFLICT);
	st = db_stmt(c, ins_id);
	db_bind_text(st, 1, "a");
	ck_assert_int_eq(db_step_id(c, st, "ins", &id), DB_CONFLICT);
	ck_assert_int_eq(id, -1);
	st = db_stmt(c, ins);
	db_bind_text(st, 1, NULL);
	ck_assert_int_eq(db_step_done(c, st, "ins"), DB_CONFLICT);
	st = db_stmt(c, ins);
	db_bind_text(st, 1, NULL);
	ck_assert_int_eq(db_step(st), DB_CONFLICT);
	db_st_reset(st);
	ck_assert_int_eq(nerr, 0);

	/* ON CONFLICT DO NOTHING: no row returned, nothing changed. */
	st = db_stmt(c, ignore);
	db_bind_text(st, 1, "a");
	db_bind_i64(st, 2, 9);
	ck_assert_int_eq(db_step_id(c, st, "ignore", &id), DB_NOTFOUND);
	ck_assert_int_eq(db_changes(c), 0);
	st = db_stmt(c, ignore);
	db_bind_text(st, 1, "b");
	db_bind_i64(st, 2, 10);
	ck_assert_int_eq(db_step_id(c, st, "ignore", &id), DB_OK);
	ck_assert_int_eq(id, 2);
	/* DO UPDATE keeps the row (and its id). */
	st = db_stmt(c, upsert);
	db_bind_text(st, 1, "a");
	db_bind_i64(st, 2, 40);
	ck_assert_int_eq(db_step_id(c, st, "upsert", &id), DB_OK);
	ck_assert_int_eq(id, 1);

	/* Compare-and-set: the expected value, or DB_CONFLICT. */
	st = db_stmt(c, cas);
	db_bind_text(st, 1, "a");
	db_bind_i64(st, 2, 1);
	db_bind_i64(st, 3, 50);
	ck_assert_int_eq(db_step_cas(c, st, "cas"), DB_CONFLICT);
	st = db_stmt(c, cas);
	db_bind_text(st, 1, "a");
	db_bind_i64(st, 2, 41);
	db_bind_i64(st, 3, 50);
	ck_assert_int_eq(db_step_cas(c, st, "cas"), DB_OK);
	ck_assert_int_eq(db_changes(c), 1);

	st = db_stmt(c, all);
	ck_assert_int_eq(db_rows(c, st, "all", sum_row, &sum), DB_OK);
	ck_assert_int_eq(sum, 60);
	/* A callback's refusal stops the walk and is returned. */
	ck_assert_int_eq(db_exec(c, "INSERT INTO t (name, n) VALUES ('c', 70)"),
	    DB_OK);
	sum = 0;
	st = db_stmt(c, all);
	ck_assert_int_eq(db_rows(c, st, "all", sum_row, &sum), DB_INVALID);
	ck_assert_int_eq(nerr, 0);

	/* Other errors are DB_ERR, reported with their context. */
	ck_assert_int_eq(db_exec(c, "INSERT INTO nowhere VALUES (1)"), DB_ERR);
	ck_assert_int_eq(nerr, 1);
	ck_assert_msg(strstr(last_err, "nowhere") != NULL, "%s", last_err);
}
END_TEST

START_TEST(insert_select_on_conflict_parses)
{
	/* SQLite reads ON after a SELECT's FROM as a join's: our INSERT ...
	 * SELECT ... ON CONFLICT texts keep a WHERE before it. */
	static const char sql[] = "INSERT INTO t (name, n) SELECT name || 'x', "
	    "n FROM t WHERE n > $1 ON CONFLICT (name) DO NOTHING";
	struct db_st *st;

	ck_assert_int_eq(db_exec(c, "INSERT INTO t (name, n) VALUES ('a', 1), "
	    "('b', 2), ('ax', 3)"), DB_OK);
	st = db_stmt(c, sql);
	ck_assert_ptr_nonnull(st);
	db_bind_i64(st, 1, 0);
	ck_assert_int_eq(db_step_done(c, st, "copy"), DB_OK);
	/* 'bx' and 'axx' added; 'ax' was there. */
	ck_assert_int_eq(db_changes(c), 2);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("db_stmt");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sqlite_numbers_dollar_params_by_first_appearance);
	tcase_add_test(tc, placeholders_reused_and_out_of_order);
	tcase_add_test(tc, only_dollar_n_placeholders);
	tcase_add_test(tc, nulls_read_as_nothing);
	tcase_add_test(tc, blobs_and_numbers_round_trip);
	tcase_add_test(tc, text_into_a_buffer_that_may_be_too_small);
	tcase_add_test(tc, the_cache_hands_back_a_reset_unbound_statement);
	tcase_add_test(tc, conflicts_and_changes);
	tcase_add_test(tc, insert_select_on_conflict_parses);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
