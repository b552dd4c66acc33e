/* db on PostgreSQL only (OTAD_TEST_PG_SOCK and OTAD_TEST_PG_USER; without
 * them this suite says so and has nothing to run): a constraint conflict
 * leaves the batch usable, a job that goes on after an error fails alone,
 * a dropped connection fails the batch in hand and then recovers (writer
 * and readers), two daemons opening one database migrate once, a
 * password never reaches a message, backup and restore refuse. The backend's behaviour shared with
 * SQLite is tested by the other tests/db suites, which run on both. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "db/internal.h"
#include "db/pg.h"
#include "db/tokens.h"
#include "db_fixture.h"

static char errs[8][512];
static atomic_int nerrs;

static void
hook(const char *msg)
{
	int i = atomic_fetch_add(&nerrs, 1);

	if (i < 8)
		snprintf(errs[i], sizeof(errs[i]), "%s", msg);
}

static void
setup(void)
{
	dbfx_dir();
	atomic_store(&nerrs, 0);
	db_set_error_hook(hook);
}

static void
teardown(void)
{
	db_set_error_hook(NULL);
	dbfx_rmdir();
}

/* ---- jobs ---- */

struct ins {
	const char *name;
	int go_on;		/* after a failed insert, run one more */
	int rc;			/* what the insert returned */
};

static int
ins_job(struct db_tx *tx, void *arg)
{
	static const char sql[] = "INSERT INTO tokens (name, role, hash, "
	    "created_at) VALUES ($1, 'viewer', $2, 1)";
	static const char more[] = "SELECT COUNT(*) FROM tokens";
	struct ins *j = arg;
	struct db_st *st = db_stmt(tx->c, sql);
	uint8_t hash[32] = { 0 };

	ck_assert_ptr_nonnull(st);
	memcpy(hash, j->name, strlen(j->name) < 32 ? strlen(j->name) : 32);
	db_bind_text(st, 1, j->name);
	db_bind_blob(st, 2, hash, sizeof(hash));
	j->rc = db_step_done(tx->c, st, "ins");
	if (j->rc == DB_OK || !j->go_on)
		return j->rc;
	/* The bug the writer guards against: carrying on as if it had
	 * worked, in a transaction PostgreSQL has marked failed. */
	if ((st = db_stmt(tx->c, more)) != NULL)
		(void)db_step_done(tx->c, st, "more");
	return DB_OK;
}

static int
sleep_job(struct db_tx *tx, void *arg)
{
	(void)tx;
	usleep(*(int *)arg * 1000);
	return DB_OK;
}

static int
count_tokens(struct db *db, const char *name)
{
	static const char sql[] = "SELECT COUNT(*) FROM tokens WHERE name = $1";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	int n = -1;

	if (st != NULL) {
		db_bind_text(st, 1, name);
		if (db_row(c, st, "count") == DB_OK)
			n = db_col_int(st, 0);
	}
	db_rd_put(db, c);
	return n;
}

struct waited {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int left;
};

struct slot {
	struct waited *w;
	int rc;
};

static void
done_cb(void *arg, int rc)
{
	struct slot *sl = arg;

	pthread_mutex_lock(&sl->w->mu);
	sl->rc = rc;
	sl->w->left--;
	pthread_cond_signal(&sl->w->cv);
	pthread_mutex_unlock(&sl->w->mu);
}

START_TEST(a_conflict_leaves_the_batch_usable)
{
	struct db *db = dbfx_open();
	struct ins first = { "a", 0, 0 }, dup = { "a", 0, 0 },
	    dup_on = { "a", 1, 0 }, after = { "b", 0, 0 };
	struct ins *jobs[] = { &dup, &dup_on, &after };
	struct waited w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	    3 };
	struct slot sl[3] = { { &w, 1 }, { &w, 1 }, { &w, 1 } };
	int ms = 200;

	ck_assert_int_eq(db_write(db, ins_job, &first), DB_OK);
	/* The writer sleeps in one batch while three jobs queue up: they
	 * run in the next batch, together. */
	ck_assert_int_eq(db_submit(db, sleep_job, &ms, NULL, NULL), 0);
	usleep(50 * 1000);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(db_submit(db, ins_job, jobs[i], done_cb, &sl[i]),
		    0);
	pthread_mutex_lock(&w.mu);
	while (w.left > 0)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	/* The duplicate is a conflict, its job alone rolled back. */
	ck_assert_int_eq(sl[0].rc, DB_CONFLICT);
	/* The job that went on after it fails alone, said so in the log. */
	ck_assert_int_eq(dup_on.rc, DB_CONFLICT);
	ck_assert_int_eq(sl[1].rc, DB_ERR);
	ck_assert_int_ge(atomic_load(&nerrs), 1);
	ck_assert_ptr_nonnull(strstr(errs[atomic_load(&nerrs) - 1],
	    "went on after an error"));
	/* The job after them in the same batch committed. */
	ck_assert_int_eq(sl[2].rc, DB_OK);
	ck_assert_int_eq(count_tokens(db, "b"), 1);
	ck_assert_int_eq(count_tokens(db, "a"), 1);
	db_close(db);
}
END_TEST

/* Two writers (two daemons' batches) that lock two rows in opposite
 * order: PostgreSQL ends the deadlock by failing one statement. That job
 * alone fails (its caller answers 503, nothing changed, and the client
 * tries again); the other commits; neither store is unhealthy, as a load
 * balancer would take both daemons out on a contention of two requests. */
struct lock_two {
	const char *first, *second;
};

static int
lock_two_job(struct db_tx *tx, void *arg)
{
	struct lock_two *l = arg;
	int rc = db_exec(tx->c, l->first);

	usleep(300 * 1000);	/* the other writer takes its first row */
	return rc == DB_OK ? db_exec(tx->c, l->second) : rc;
}

START_TEST(a_deadlock_of_two_writers_fails_one_job_only)
{
	static const char one[] = "UPDATE dl SET v = v + 1 WHERE id = 1";
	static const char two[] = "UPDATE dl SET v = v + 1 WHERE id = 2";
	struct db *a = dbfx_open(), *b = dbfx_open();
	struct lock_two la = { one, two }, lb = { two, one };
	struct waited w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	    2 };
	struct slot sl[2] = { { &w, 1 }, { &w, 1 } };
	char cause[256];
	int found = 0;

	pgfx_exec(pgfx_name, "CREATE TABLE dl (id INTEGER PRIMARY KEY, "
	    "v INTEGER NOT NULL); INSERT INTO dl VALUES (1, 0), (2, 0)");
	ck_assert_int_eq(db_submit(a, lock_two_job, &la, done_cb, &sl[0]), 0);
	ck_assert_int_eq(db_submit(b, lock_two_job, &lb, done_cb, &sl[1]), 0);
	pthread_mutex_lock(&w.mu);
	while (w.left > 0)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	ck_assert_int_eq(sl[0].rc + sl[1].rc, DB_ERR);	/* one OK, one ERR */
	for (int i = 0; i < atomic_load(&nerrs) && i < 8; i++)
		found |= strstr(errs[i], "deadlock detected") != NULL;
	ck_assert_msg(found, "the deadlock is logged");
	ck_assert_int_eq(db_writer_health(a, 30, cause, sizeof(cause)),
	    DB_HEALTHY);
	ck_assert_int_eq(db_writer_health(b, 30, cause, sizeof(cause)),
	    DB_HEALTHY);
	db_close(a);
	db_close(b);
}
END_TEST

START_TEST(a_commit_of_a_failed_transaction_is_an_error)
{
	char err[512];
	struct db_conn *c;

	db_close(dbfx_open());
	c = db_conn_open(path, 0, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(db_exec(c, "BEGIN"), DB_OK);
	ck_assert_int_eq(db_exec(c, "INSERT INTO nowhere VALUES (1)"), DB_ERR);
	/* PostgreSQL answers this COMMIT with a ROLLBACK, not an error. */
	ck_assert_int_eq(db_exec(c, "COMMIT"), DB_ERR);
	ck_assert_ptr_nonnull(strstr(errs[atomic_load(&nerrs) - 1],
	    "COMMIT rolled it back"));
	db_conn_close(c);
}
END_TEST

/* ---- a dropped connection ---- */

struct kill {
	int pid;		/* the writer's backend */
};

static int
pid_job(struct db_tx *tx, void *arg)
{
	static const char sql[] = "SELECT pg_backend_pid()";
	struct kill *k = arg;
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL || db_row(tx->c, st, "pid") != DB_OK)
		return DB_ERR;
	k->pid = db_col_int(st, 0);
	return DB_OK;
}

static void
terminate(int pid)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)", pid);
	pgfx_exec(NULL, sql);
}

static void
terminate_all(void)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(pid) FROM "
	    "pg_stat_activity WHERE datname = '%s' AND pid <> "
	    "pg_backend_pid()", pgfx_name);
	pgfx_exec(NULL, sql);
}

/* Inserts a token, then has a second connection cut the writer's. */
static int
cut_job(struct db_tx *tx, void *arg)
{
	struct kill *k = arg;
	struct ins j = { "cut", 0, 0 };

	if (ins_job(tx, &j) != DB_OK)
		return DB_ERR;
	terminate(k->pid);
	return DB_OK;
}

START_TEST(a_dropped_connection_fails_the_batch_then_recovers)
{
	struct db *db = dbfx_open();
	struct kill k = { 0 };
	struct ins later = { "later", 0, 0 };
	char cause[256];
	int i;

	ck_assert_int_eq(db_write(db, pid_job, &k), DB_OK);
	ck_assert_int_gt(k.pid, 0);
	/* The job did its part, but the batch cannot commit: nothing of it
	 * is acknowledged or stored. */
	ck_assert_int_eq(db_write(db, cut_job, &k), DB_ERR);
	ck_assert_int_eq(db_writer_health(db, 30, cause, sizeof(cause)),
	    DB_FAILING);
	ck_assert_msg(strstr(cause, "the store cannot commit") != NULL &&
	    (strstr(cause, "terminat") != NULL || strstr(cause, "closed") !=
	    NULL || strstr(cause, "connection") != NULL), "%s", cause);
	ck_assert_int_eq(count_tokens(db, "cut"), 0);
	/* The writer reconnects: the next write commits, and the store is
	 * healthy again. */
	ck_assert_int_eq(db_write(db, ins_job, &later), DB_OK);
	ck_assert_int_eq(db_writer_health(db, 30, cause, sizeof(cause)),
	    DB_HEALTHY);
	ck_assert_int_eq(count_tokens(db, "later"), 1);
	/* A new backend: the old one is gone. */
	k.pid = 0;
	ck_assert_int_eq(db_write(db, pid_job, &k), DB_OK);
	ck_assert_int_gt(k.pid, 0);
	/* Every connection cut between calls (a server restart): readers
	 * are reset before reuse, the writer before its next batch. */
	terminate_all();
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(count_tokens(db, "later"), 1);
	ck_assert_int_eq(db_write(db, pid_job, &k), DB_OK);
	ck_assert_int_eq(db_writer_health(db, 30, cause, sizeof(cause)),
	    DB_HEALTHY);
	db_close(db);
}
END_TEST

/* ---- migrations ---- */

struct opener {
	struct db *db;
	char err[512];
};

static void *
open_thread(void *arg)
{
	struct opener *o = arg;

	o->db = db_open(path, 1, o->err, sizeof(o->err));
	return NULL;
}

START_TEST(two_daemons_migrate_once)
{
	struct opener o[3];
	pthread_t t[3];
	char sql[160];
	struct db *db;

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, open_thread, &o[i]),
		    0);
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(o[i].db != NULL, "%s", o[i].err);
	}
	for (int i = 0; i < 3; i++)
		db_close(o[i].db);
	/* Each migration recorded once, as this build numbers them. */
	snprintf(sql, sizeof(sql), "DO $$ BEGIN IF (SELECT COUNT(*) FROM "
	    "schema_migrations) <> %zu THEN RAISE 'migrated twice'; END IF; "
	    "END $$", db_pg_migrations_count);
	pgfx_exec(pgfx_name, sql);
	db = dbfx_open();
	ck_assert_int_eq(db_schema_version(db),
	    db_pg_migrations[db_pg_migrations_count - 1].version);
	db_close(db);
}
END_TEST

/* ---- passwords ---- */

START_TEST(a_password_is_never_in_a_message)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "postgresql://otad:s3cret@db.example.com:5432/otad",
		  "postgresql://otad@db.example.com:5432/otad" },
		{ "postgres://otad:s3cret@/otad?host=/run/pg&sslmode=require",
		  "postgres://otad@/otad?host=/run/pg&sslmode=require" },
		{ "postgresql:///otad?password=s3cret&host=/run/pg",
		  "postgresql:///otad?host=/run/pg" },
		{ "postgresql:///otad?host=/run/pg&password=s3cret",
		  "postgresql:///otad?host=/run/pg" },
		{ "postgresql://otad@h/otad", "postgresql://otad@h/otad" },
		{ "postgresql://otad:s3@cret@h/otad", "postgresql://otad@h/otad" },
		{ "/var/lib/otad/otad.db", "/var/lib/otad/otad.db" },
	};
	char out[256], url[512], err[512];
	struct db *db;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		db_pg_redact(cases[i].in, out, sizeof(out));
		ck_assert_str_eq(out, cases[i].out);
	}
	/* A refused login: the message names the URL, not its password. */
	snprintf(url, sizeof(url), "postgresql://nobody:s3cret@/%s?host=%s",
	    pgfx_name, getenv("OTAD_TEST_PG_SOCK"));
	ck_assert_ptr_null(db_open(url, 1, err, sizeof(err)));
	ck_assert_ptr_null(strstr(err, "s3cret"));
	ck_assert_msg(strstr(err, "postgresql://nobody@/") != NULL, "%s", err);
	for (int i = 0; i < atomic_load(&nerrs) && i < 8; i++)
		ck_assert_ptr_null(strstr(errs[i], "s3cret"));
	/* An open store names itself without it too (password= is taken
	 * and ignored under trust authentication). */
	snprintf(url, sizeof(url), "%s&password=s3cret", path);
	db = db_open(url, 1, err, sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	ck_assert_ptr_null(strstr(db_where(db), "s3cret"));
	ck_assert_ptr_nonnull(strstr(db_where(db), pgfx_name));
	db_close(db);
}
END_TEST

START_TEST(backup_names_the_postgresql_tools)
{
	struct db *db = dbfx_open();
	char copy[320], err[512];

	snprintf(copy, sizeof(copy), "%s/backup.db", dir);
	ck_assert_int_eq(db_backup(db, copy, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "pg_dump") && strstr(err, "pg_restore"), "%s",
	    err);
	ck_assert_int_ne(access(copy, F_OK), 0);
	db_close(db);
}
END_TEST

START_TEST(restore_names_pg_restore)
{
	char url[512], kept[256], err[512];

	snprintf(url, sizeof(url), "postgresql://postgres:s3cret@/%s?host=%s",
	    pgfx_name, getenv("OTAD_TEST_PG_SOCK"));
	ck_assert_int_eq(db_restore("/nonexistent/backup.db", url, kept,
	    sizeof(kept), err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "pg_restore") != NULL, "%s", err);
	ck_assert_ptr_null(strstr(err, "s3cret"));
	ck_assert_str_eq(kept, "");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("db_pg");
	TCase *tc = tcase_create("pg");

	if (!pgfx_on()) {
		printf("db_pg: no PostgreSQL (OTAD_TEST_PG_SOCK, "
		    "OTAD_TEST_PG_USER): nothing to run\n");
		return 0;
	}
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_conflict_leaves_the_batch_usable);
	tcase_add_test(tc, a_commit_of_a_failed_transaction_is_an_error);
	tcase_add_test(tc, a_deadlock_of_two_writers_fails_one_job_only);
	tcase_add_test(tc, a_dropped_connection_fails_the_batch_then_recovers);
	tcase_add_test(tc, two_daemons_migrate_once);
	tcase_add_test(tc, a_password_is_never_in_a_message);
	tcase_add_test(tc, backup_names_the_postgresql_tools);
	tcase_add_test(tc, restore_names_pg_restore);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
