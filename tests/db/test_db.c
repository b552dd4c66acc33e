/* db: migrations, the grouped-commit writer, savepoint isolation, tokens. */
#include <pthread.h>
#include <sqlite3.h>

#include "check_util.h"
#include "db/db.h"
#include "db/devices.h"
#include "db/migrations.h"
#include "db/tokens.h"
#include "sign/crypto.h"

static char dir[256], path[400];

static void
setup(void)
{
	ck_assert_int_eq(sign_init(), 0);
	tu_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/otad.db", dir);
}

static void
teardown(void)
{
	tu_rmtree(dir);
}

static struct db *
open_ok(void)
{
	char err[512];
	struct db *db = db_open(path, 2, err, sizeof(err));

	ck_assert_msg(db != NULL, "%s", err);
	return db;
}

static int
newest(void)
{
	return db_migrations[db_migrations_count - 1].version;
}

START_TEST(fresh_database_gets_every_migration_once)
{
	struct db *db = open_ok();

	ck_assert_int_eq(db_schema_version(db), newest());
	db_close(db);
	/* Reopening applies nothing new and keeps the version. */
	db = open_ok();
	ck_assert_int_eq(db_schema_version(db), newest());
	db_close(db);
}
END_TEST

START_TEST(newer_schema_is_refused)
{
	sqlite3 *h;
	char err[512], sql[128];
	struct db *db = open_ok();

	db_close(db);
	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations VALUES "
	    "(%d, 'future.sql', 0)", newest() + 1);
	ck_assert_int_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	ck_assert_ptr_null(db_open(path, 2, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "newer than this otad"));
}
END_TEST

struct tok {
	char name[32];
	uint8_t hash[32];
	struct db_token_add add;
};

static void
make_tok(struct tok *t, const char *name, const char *role)
{
	snprintf(t->name, sizeof(t->name), "%s", name);
	sign_sha256(t->name, strlen(t->name), t->hash);
	t->add = (struct db_token_add){ t->name, role, t->hash, 1000 };
}

START_TEST(tokens_add_find_conflict_revoke)
{
	struct db *db = open_ok();
	struct tok a, b;
	struct db_token found;
	int64_t n;
	uint8_t other[32] = { 0 };

	make_tok(&a, "alice", "admin");
	make_tok(&b, "bob", "viewer");
	ck_assert_int_eq(db_write(db, db_token_add, &a.add), DB_OK);
	ck_assert_int_eq(db_write(db, db_token_add, &b.add), DB_OK);
	ck_assert_int_eq(db_write(db, db_token_add, &a.add), DB_CONFLICT);
	ck_assert_int_eq(db_token_find(db, a.hash, &found), DB_OK);
	ck_assert_str_eq(found.name, "alice");
	ck_assert_str_eq(found.role, "admin");
	ck_assert_int_eq(db_token_find(db, other, &found), DB_NOTFOUND);
	ck_assert_int_eq(db_token_count_admin(db, &n), DB_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(db_write(db, db_token_revoke, "alice"), DB_OK);
	ck_assert_int_eq(db_write(db, db_token_revoke, "alice"), DB_NOTFOUND);
	ck_assert_int_eq(db_token_find(db, a.hash, &found), DB_NOTFOUND);
	db_close(db);
}
END_TEST

/* A failing job is rolled back alone; the batch around it commits. */
START_TEST(failed_job_does_not_undo_its_batch)
{
	struct db *db = open_ok();
	struct tok a, b, dup;
	struct db_token found;

	make_tok(&a, "a", "admin");
	make_tok(&b, "b", "admin");
	make_tok(&dup, "a", "viewer");
	dup.hash[0] ^= 1;
	ck_assert_int_eq(db_submit(db, db_token_add, &a.add, NULL, NULL), 0);
	ck_assert_int_eq(db_submit(db, db_token_add, &dup.add, NULL, NULL), 0);
	ck_assert_int_eq(db_write(db, db_token_add, &b.add), DB_OK);
	ck_assert_int_eq(db_token_find(db, a.hash, &found), DB_OK);
	ck_assert_int_eq(db_token_find(db, b.hash, &found), DB_OK);
	ck_assert_int_eq(db_token_find(db, dup.hash, &found), DB_NOTFOUND);
	db_close(db);
}
END_TEST

struct seen_job {
	int64_t device, at;
	const char *fw;
	int changed;
};

static int
seen_job(struct db_tx *tx, void *arg)
{
	struct seen_job *j = arg;

	return db_device_seen(tx, j->device, j->at, j->fw, &j->changed);
}

static void
last_event(const struct db_event *e, void *arg)
{
	struct db_event *out = arg;

	if (out->id == 0)
		*out = *e;
}

/* A poll on the same version only moves last_seen (never back); a new
 * version is stored and becomes a "version" event. */
START_TEST(device_seen_moves_last_seen_and_logs_versions)
{
	struct db *db = open_ok();
	struct db_new_device nd = { "dev-1", "board-a", "1.0.0", { NULL }, 0,
	    { 1 } };
	struct db_devices_add add = { &nd, 1, 1000, 0 };
	struct db_device d;
	struct db_event e;
	struct seen_job j;

	ck_assert_int_eq(db_write(db, db_devices_add, &add), DB_OK);
	ck_assert_int_eq(db_device_get(db, "dev-1", &d), DB_OK);
	ck_assert_int_eq(d.last_seen, 0);

	j = (struct seen_job){ d.id, 2000, "1.0.0", 7 };
	ck_assert_int_eq(db_write(db, seen_job, &j), DB_OK);
	ck_assert_int_eq(j.changed, 0);
	j = (struct seen_job){ d.id, 1500, "1.0.0", 7 };
	ck_assert_int_eq(db_write(db, seen_job, &j), DB_OK);
	ck_assert_int_eq(j.changed, 0);
	ck_assert_int_eq(db_device_get(db, "dev-1", &d), DB_OK);
	ck_assert_int_eq(d.last_seen, 2000);
	ck_assert_str_eq(d.fw_version, "1.0.0");
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(db_device_events(db, d.id, 10, last_event, &e), DB_OK);
	ck_assert_str_eq(e.kind, "provisioned");

	j = (struct seen_job){ d.id, 3000, "1.1.0", 7 };
	ck_assert_int_eq(db_write(db, seen_job, &j), DB_OK);
	ck_assert_int_eq(j.changed, 1);
	ck_assert_int_eq(db_device_get(db, "dev-1", &d), DB_OK);
	ck_assert_int_eq(d.last_seen, 3000);
	ck_assert_str_eq(d.fw_version, "1.1.0");
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(db_device_events(db, d.id, 10, last_event, &e), DB_OK);
	ck_assert_str_eq(e.kind, "version");
	ck_assert_str_eq(e.detail, "1.0.0 -> 1.1.0");
	db_close(db);
}
END_TEST

#define WRITERS 4
#define PER_WRITER 200

static struct db *shared;

static void *
writer_thread(void *p)
{
	int id = (int)(intptr_t)p;
	struct tok *t = calloc(PER_WRITER, sizeof(*t));
	char name[32];

	for (int i = 0; i < PER_WRITER; i++) {
		snprintf(name, sizeof(name), "w%d-%d", id, i);
		make_tok(&t[i], name, "viewer");
		t[i].add.name = t[i].name;
		if (db_write(shared, db_token_add, &t[i].add) != DB_OK)
			return (void *)1;
	}
	free(t);
	return NULL;
}

START_TEST(concurrent_writes_share_commits)
{
	pthread_t th[WRITERS];
	struct db_stats st;
	void *ret;

	shared = open_ok();
	for (intptr_t i = 0; i < WRITERS; i++)
		pthread_create(&th[i], NULL, writer_thread, (void *)i);
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(th[i], &ret);
		ck_assert_ptr_null(ret);
	}
	db_stats(shared, &st);
	ck_assert_uint_eq(st.jobs, WRITERS * PER_WRITER);
	/* Waiters queue up while a commit's fsync runs: fewer commits. */
	ck_assert_msg(st.commits < st.jobs, "commits %llu jobs %llu",
	    (unsigned long long)st.commits, (unsigned long long)st.jobs);
	db_close(shared);
}
END_TEST

static int tick_count;

static int
count_tick(struct db_tx *tx, void *arg)
{
	(void)tx;
	(void)arg;
	tick_count++;
	return DB_OK;
}

START_TEST(periodic_job_runs)
{
	struct db *db = open_ok();

	tick_count = 0;
	ck_assert_int_eq(db_every(db, 20, count_tick, NULL), 0);
	usleep(200 * 1000);
	db_close(db);
	ck_assert_int_ge(tick_count, 3);
}
END_TEST

START_TEST(backup_is_a_usable_copy)
{
	struct db *db = open_ok();
	struct tok a;
	char copy[320], err[512];
	struct db *db2;
	struct db_token found;
	char saved[400];

	make_tok(&a, "kept", "admin");
	ck_assert_int_eq(db_write(db, db_token_add, &a.add), DB_OK);
	snprintf(copy, sizeof(copy), "%s/backup.db", dir);
	ck_assert_msg(db_backup(db, copy, err, sizeof(err)) == 0, "%s", err);
	/* Never overwrites. */
	ck_assert_int_eq(db_backup(db, copy, err, sizeof(err)), -1);
	db_close(db);
	memcpy(saved, path, sizeof(saved));
	snprintf(path, sizeof(path), "%s", copy);
	db2 = open_ok();
	ck_assert_int_eq(db_token_find(db2, a.hash, &found), DB_OK);
	db_close(db2);
	memcpy(path, saved, sizeof(saved));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fresh_database_gets_every_migration_once);
	tcase_add_test(tc, newer_schema_is_refused);
	tcase_add_test(tc, tokens_add_find_conflict_revoke);
	tcase_add_test(tc, failed_job_does_not_undo_its_batch);
	tcase_add_test(tc, device_seen_moves_last_seen_and_logs_versions);
	tcase_add_test(tc, concurrent_writes_share_commits);
	tcase_add_test(tc, periodic_job_runs);
	tcase_add_test(tc, backup_is_a_usable_copy);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
