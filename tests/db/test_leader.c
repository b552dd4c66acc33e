/* db/leader.c: of two sessions on one PostgreSQL database exactly one
 * holds the leadership lock; the holder keeps it look after look, its
 * close or a cut connection frees it for the other, and a cut holder
 * leads again only by taking it again. On SQLite a handle always leads.
 * The PostgreSQL cases need OTAD_TEST_PG_SOCK and OTAD_TEST_PG_USER;
 * without them they are skipped with a line saying so. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db/leader.h"
#include "db_fixture.h"

static char url[512];

static void
db_hook(const char *msg)
{
	(void)msg;	/* a cut connection's errors are expected here */
}

static void
pg_setup(void)
{
	db_set_error_hook(db_hook);
	pgfx_create(url, sizeof(url));
}

static void
pg_teardown(void)
{
	pgfx_drop();
	db_set_error_hook(NULL);
}

static struct db_leader *
open_one(void)
{
	char err[512];
	struct db_leader *l = db_leader_open(url, err, sizeof(err));

	ck_assert_msg(l != NULL, "%s", err);
	return l;
}

static int
poll_one(struct db_leader *l)
{
	char err[512];

	return db_leader_poll(l, err, sizeof(err));
}

/* Advisory lock rows this database's sessions hold on the key (locks
 * are per database; pg_locks shows the whole cluster's). */
static int
lock_rows(void)
{
	PGconn *h = pgfx_connect(pgfx_name);
	char sql[512];
	PGresult *r;
	int n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_locks WHERE "
	    "locktype = 'advisory' AND granted AND objid = %lld AND "
	    "database = (SELECT oid FROM pg_database WHERE datname = "
	    "current_database())",
	    (long long)DB_LEADER_KEY);
	r = PQexec(h, sql);
	ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
	n = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	PQfinish(h);
	return n;
}

/* A session's end frees its locks after PQfinish returns (the server
 * sees the goodbye in its own time, later on a busy machine): the
 * looks that follow one are retried for up to 20 s. */
static int
poll_until(struct db_leader *l, int want)
{
	int got = poll_one(l);

	for (int i = 0; got != want && i < 400; i++) {
		usleep(50 * 1000);
		got = poll_one(l);
	}
	return got;
}

static int
lock_rows_until(int want)
{
	int got = lock_rows();

	for (int i = 0; got != want && i < 400; i++) {
		usleep(50 * 1000);
		got = lock_rows();
	}
	return got;
}

START_TEST(only_one_of_two_leads)
{
	struct db_leader *a = open_one(), *b = open_one();

	ck_assert_int_eq(poll_one(a), 1);
	ck_assert_int_eq(poll_one(b), 0);
	/* Looks again: the holder keeps it, the other still waits, and the
	 * lock is held once (not stacked look after look). */
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(poll_one(a), 1);
		ck_assert_int_eq(poll_one(b), 0);
	}
	ck_assert_int_eq(lock_rows(), 1);
	db_leader_close(a);
	db_leader_close(b);
}
END_TEST

START_TEST(the_holders_close_frees_it)
{
	struct db_leader *a = open_one(), *b = open_one();

	ck_assert_int_eq(poll_one(a), 1);
	ck_assert_int_eq(poll_one(b), 0);
	db_leader_close(a);
	ck_assert_int_eq(poll_until(b, 1), 1);
	ck_assert_int_eq(poll_one(b), 1);
	db_leader_close(b);
	ck_assert_int_eq(lock_rows_until(0), 0);
}
END_TEST

/* The holder's session is cut (its daemon's link broke, or it died):
 * the other takes over, and the old holder reconnects as a follower. */
START_TEST(a_cut_holder_is_no_longer_leader)
{
	struct db_leader *a = open_one(), *b = open_one();
	char sql[512];

	ck_assert_int_eq(poll_one(a), 1);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(l.pid) FROM "
	    "pg_locks l WHERE l.locktype = 'advisory' AND l.objid = %lld "
	    "AND l.database = (SELECT oid FROM pg_database WHERE datname = "
	    "'%s')",
	    (long long)DB_LEADER_KEY, pgfx_name);
	pgfx_exec(NULL, sql);
	ck_assert_int_eq(poll_until(b, 1), 1);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(poll_one(a), 0);
	db_leader_close(b);
	/* Reconnected, it leads again only by taking the lock again. */
	ck_assert_int_eq(poll_until(a, 1), 1);
	db_leader_close(a);
}
END_TEST

START_TEST(sqlite_always_leads)
{
	char err[256];
	struct db_leader *a = db_leader_open("/nonexistent/otad.db", err,
	    sizeof(err)), *b = db_leader_open("", err, sizeof(err));

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(db_leader_poll(a, err, sizeof(err)), 1);
	ck_assert_int_eq(db_leader_poll(b, err, sizeof(err)), 1);
	ck_assert_str_eq(err, "");
	db_leader_close(a);
	db_leader_close(b);
	db_leader_close(NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("db_leader");
	TCase *lite = tcase_create("sqlite"), *pg = tcase_create("pg");

	tcase_add_test(lite, sqlite_always_leads);
	suite_add_tcase(s, lite);
	if (pgfx_on()) {
		tcase_set_timeout(pg, 60);
		tcase_add_checked_fixture(pg, pg_setup, pg_teardown);
		tcase_add_test(pg, only_one_of_two_leads);
		tcase_add_test(pg, the_holders_close_frees_it);
		tcase_add_test(pg, a_cut_holder_is_no_longer_leader);
		suite_add_tcase(s, pg);
	} else {
		printf("db_leader: no PostgreSQL (OTAD_TEST_PG_SOCK, "
		    "OTAD_TEST_PG_USER): the PostgreSQL cases are skipped\n");
	}
	return tu_run(s);
}
