/* db/webhooks: the outbox keeps what is pending and the recent past;
 * finished deliveries older than the cutoff are pruned, a batch at a
 * time. */
#include "db/webhooks.h"
#include "db_fixture.h"

static struct db *db;

static void
setup(void)
{
	dbfx_dir();
	db_close(dbfx_open());
	/* Ids 1-6: old delivered, old dead, old pending (never done), new
	 * delivered, old delivered, old dead. */
	dbfx_exec("INSERT INTO webhook_endpoints (id, url, enabled) VALUES "
	    "(1, 'http://127.0.0.1:9/', 0);"
	    "INSERT INTO webhook_outbox (id, endpoint, event_id, kind, body, "
	    "created_at, state, next_at, done_at) VALUES "
	    "(1, 1, 'e1', 'k', '{}', 10, 'delivered', 10, 100),"
	    "(2, 1, 'e2', 'k', '{}', 10, 'dead', 10, 100),"
	    "(3, 1, 'e3', 'k', '{}', 10, 'pending', 10, NULL),"
	    "(4, 1, 'e4', 'k', '{}', 10, 'delivered', 10, 5000),"
	    "(5, 1, 'e5', 'k', '{}', 10, 'delivered', 10, 100),"
	    "(6, 1, 'e6', 'k', '{}', 10, 'dead', 10, 100);");
	db = dbfx_open();
}

static void
teardown(void)
{
	db_close(db);
	dbfx_rmdir();
}

struct prune_job {
	int64_t before;
	int batch;
	int64_t deleted;
};

static int
prune(struct db_tx *tx, void *arg)
{
	struct prune_job *j = arg;

	return db_outbox_prune(tx, j->before, j->batch, &j->deleted);
}

static int64_t
left(void)
{
	int64_t pending, dead;

	ck_assert_int_eq(db_outbox_counts(db, &pending, &dead), DB_OK);
	return pending * 100 + dead;
}

START_TEST(finished_deliveries_past_the_cutoff_go)
{
	struct prune_job j = { 1000, 4, 0 };

	ck_assert_int_eq(left(), 102);
	/* The first four rows: 1 and 2 go, 3 is pending, 4 is recent. */
	ck_assert_int_eq(db_write(db, prune, &j), DB_OK);
	ck_assert_int_eq(j.deleted, 2);
	ck_assert_int_eq(left(), 101);
	/* The next pass reaches 5 and 6. */
	ck_assert_int_eq(db_write(db, prune, &j), DB_OK);
	ck_assert_int_eq(j.deleted, 2);
	ck_assert_int_eq(left(), 100);
	ck_assert_int_eq(db_write(db, prune, &j), DB_OK);
	ck_assert_int_eq(j.deleted, 0);
	/* A later cutoff takes the recent one too; the pending one stays. */
	j.before = 10000;
	ck_assert_int_eq(db_write(db, prune, &j), DB_OK);
	ck_assert_int_eq(j.deleted, 1);
	ck_assert_int_eq(left(), 100);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("db_outbox");
	TCase *tc = tcase_create("outbox");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, finished_deliveries_past_the_cutoff_go);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
