/* db/changes.c: a message sent inside a write job reaches a listener on
 * another connection once the job commits, and never from a job rolled
 * back; a listener whose session is cut says so, listens again and
 * reports the gap; messages alike in one batch come once. On SQLite
 * there is no listener and db_tx_notify does nothing. The PostgreSQL
 * cases need OTAD_TEST_PG_SOCK and OTAD_TEST_PG_USER; without them they
 * are skipped with a line saying so. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db/changes.h"
#include "db_fixture.h"

static void
db_hook(const char *msg)
{
	(void)msg;	/* a cut connection's errors are expected here */
}

static struct db *db;

static void
setup(void)
{
	db_set_error_hook(db_hook);
	dbfx_dir();
	db = dbfx_open();
}

static void
teardown(void)
{
	db_close(db);
	dbfx_rmdir();
	db_set_error_hook(NULL);
}

static struct db_listener *
listen_one(void)
{
	char err[512];
	struct db_listener *l = db_listener_open(path, err, sizeof(err));

	ck_assert_msg(l != NULL, "%s", err);
	return l;
}

struct say {
	const char *what[4];
	int rc;			/* the job's return: nonzero rolls it back */
};

static int
say_job(struct db_tx *tx, void *arg)
{
	struct say *s = arg;

	for (int i = 0; i < 4 && s->what[i] != NULL; i++)
		ck_assert_int_eq(db_tx_notify(tx, s->what[i]), DB_OK);
	return s->rc;
}

/* The next message within 10 s, or "" when none came. */
static enum db_heard
hear(struct db_listener *l, char *what, size_t len)
{
	char err[256];
	enum db_heard h = DB_HEARD_NOTHING;

	what[0] = '\0';
	for (int i = 0; i < 20 && h == DB_HEARD_NOTHING; i++)
		h = db_listener_wait(l, 500, what, len, err, sizeof(err));
	return h;
}

START_TEST(a_committed_message_is_heard)
{
	struct db_listener *l = listen_one();
	struct say s = { { "campaigns", NULL }, 0 };
	char what[DB_CHANGE_MAX], err[256];

	ck_assert_int_eq(db_listener_wait(l, 100, what, sizeof(what), err,
	    sizeof(err)), DB_HEARD_NOTHING);
	ck_assert_int_eq(db_write(db, say_job, &s), DB_OK);
	ck_assert_int_eq(hear(l, what, sizeof(what)), DB_HEARD_MESSAGE);
	ck_assert_str_eq(what, "campaigns");
	db_listener_close(l);
}
END_TEST

/* A job rolled back under its savepoint sends nothing; the one after it
 * does, and two alike in one job come once. */
START_TEST(a_rolled_back_job_says_nothing)
{
	struct db_listener *l = listen_one();
	struct say no = { { "release 7", NULL }, DB_CONFLICT };
	struct say yes = { { "trust", "trust", "release 8", NULL }, 0 };
	char what[DB_CHANGE_MAX];

	ck_assert_int_eq(db_write(db, say_job, &no), DB_CONFLICT);
	ck_assert_int_eq(db_write(db, say_job, &yes), DB_OK);
	ck_assert_int_eq(hear(l, what, sizeof(what)), DB_HEARD_MESSAGE);
	ck_assert_str_eq(what, "trust");
	ck_assert_int_eq(hear(l, what, sizeof(what)), DB_HEARD_MESSAGE);
	ck_assert_str_eq(what, "release 8");
	ck_assert_int_eq(hear(l, what, sizeof(what)), DB_HEARD_NOTHING);
	db_listener_close(l);
}
END_TEST

START_TEST(a_cut_listener_reports_the_gap)
{
	struct db_listener *l = listen_one();
	struct say s = { { "campaigns", NULL }, 0 };
	char what[DB_CHANGE_MAX], err[256], sql[512];
	enum db_heard h;
	int i;

	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(pid) FROM "
	    "pg_stat_activity WHERE datname = '%s' AND query LIKE 'LISTEN%%'",
	    pgfx_name);
	pgfx_exec(NULL, sql);
	/* The cut shows on the next waits, then listening again is a gap. */
	for (i = 0, h = DB_HEARD_NOTHING; i < 40 && h == DB_HEARD_NOTHING; i++)
		h = db_listener_wait(l, 250, what, sizeof(what), err,
		    sizeof(err));
	ck_assert_int_eq(h, DB_HEARD_DOWN);
	ck_assert_str_ne(err, "");
	for (i = 0; i < 40 && h == DB_HEARD_DOWN; i++) {
		usleep(100 * 1000);
		h = db_listener_wait(l, 250, what, sizeof(what), err,
		    sizeof(err));
	}
	ck_assert_int_eq(h, DB_HEARD_GAP);
	/* And it hears again. */
	ck_assert_int_eq(db_write(db, say_job, &s), DB_OK);
	ck_assert_int_eq(hear(l, what, sizeof(what)), DB_HEARD_MESSAGE);
	ck_assert_str_eq(what, "campaigns");
	db_listener_close(l);
}
END_TEST

START_TEST(sqlite_has_no_listener)
{
	struct say s = { { "campaigns", NULL }, 0 };
	char err[256];

	ck_assert_ptr_null(db_listener_open("/tmp/otad.db", err, sizeof(err)));
	ck_assert_str_eq(err, "only a PostgreSQL store has listeners");
	db_listener_close(NULL);
	if (!pgfx_on())
		ck_assert_int_eq(db_write(db, say_job, &s), DB_OK);
}
END_TEST

static int
notify_job(struct db_tx *tx, void *arg)
{
	return db_tx_notify(tx, arg);
}

/* On both backends, so a bug shows on the developer's SQLite too. */
START_TEST(a_long_message_is_refused)
{
	char big[DB_CHANGE_MAX + 1];

	memset(big, 'x', DB_CHANGE_MAX);
	big[DB_CHANGE_MAX] = '\0';
	ck_assert_int_eq(db_write(db, notify_job, big), DB_ERR);
	big[DB_CHANGE_MAX - 1] = '\0';
	ck_assert_int_eq(db_write(db, notify_job, big), DB_OK);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("db_changes");
	TCase *all = tcase_create("all"), *pg = tcase_create("pg");

	tcase_add_checked_fixture(all, setup, teardown);
	tcase_add_test(all, sqlite_has_no_listener);
	tcase_add_test(all, a_long_message_is_refused);
	suite_add_tcase(s, all);
	if (pgfx_on()) {
		tcase_set_timeout(pg, 60);
		tcase_add_checked_fixture(pg, setup, teardown);
		tcase_add_test(pg, a_committed_message_is_heard);
		tcase_add_test(pg, a_rolled_back_job_says_nothing);
		tcase_add_test(pg, a_cut_listener_reports_the_gap);
		suite_add_tcase(s, pg);
	} else {
		printf("db_changes: no PostgreSQL (OTAD_TEST_PG_SOCK, "
		    "OTAD_TEST_PG_USER): the PostgreSQL cases are skipped\n");
	}
	return tu_run(s);
}
