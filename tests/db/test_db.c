/* db: migrations, the grouped-commit writer, savepoint isolation, tokens. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "db/campaigns.h"
#include "db/devices.h"
#include "db/migrations.h"
#include "db/tokens.h"
#include "db_fixture.h"

static void
setup(void)
{
	dbfx_dir();
}

static void
teardown(void)
{
	dbfx_rmdir();
}

static int
newest(void)
{
	return db_migrations[db_migrations_count - 1].version;
}

START_TEST(fresh_database_gets_every_migration_once)
{
	struct db *db = dbfx_open();

	ck_assert_int_eq(db_schema_version(db), newest());
	db_close(db);
	/* Reopening applies nothing new and keeps the version. */
	db = dbfx_open();
	ck_assert_int_eq(db_schema_version(db), newest());
	db_close(db);
}
END_TEST

/* A database whose applied migrations differ from this build's: one of
 * ours below the newest applied never ran, or a number ran under another
 * name (two branches took it) or is not ours at all. */
START_TEST(a_different_migration_history_is_refused)
{
	static const struct {
		const char *sql, *says;
	} cases[] = {
		{ "DELETE FROM schema_migrations WHERE version = 2",
		    "was never applied, but" },
		{ "UPDATE schema_migrations SET name = '003_other.sql' "
		    "WHERE version = 3", "applied as 003_other.sql, which this "
		    "otad calls 003_campaigns.sql" },
		{ "INSERT INTO schema_migrations VALUES (0, '000_x.sql', 0)",
		    "does not know" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dbfx_rmdir();
		dbfx_dir();
		db_close(dbfx_open());
		dbfx_exec(cases[i].sql);
		ck_assert_ptr_null(db_open(path, 2, err, sizeof(err)));
		ck_assert_msg(strstr(err, cases[i].says) != NULL, "%zu: %s", i,
		    err);
		ck_assert_ptr_nonnull(strstr(err, "refusing to start"));
	}
	/* The same history as this build's opens. */
	dbfx_rmdir();
	dbfx_dir();
	db_close(dbfx_open());
	db_close(dbfx_open());
}
END_TEST

START_TEST(newer_schema_is_refused)
{
	char err[512], sql[128];
	struct db *db = dbfx_open();

	db_close(db);
	snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations VALUES "
	    "(%d, 'future.sql', 0)", newest() + 1);
	dbfx_exec(sql);
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
	t->add = (struct db_token_add){ t->name, role, t->hash, 1000, 0 };
}

START_TEST(tokens_add_find_conflict_revoke)
{
	struct db *db = dbfx_open();
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
	struct db *db = dbfx_open();
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

/* A job that writes, then fails: its write must not stay. */
static int
add_then_fail(struct db_tx *tx, void *arg)
{
	int rc = db_token_add(tx, arg);

	return rc == DB_OK ? DB_INVALID : rc;
}

static atomic_int held, let_go;

/* Holds the writer in a batch of its own until let_go. */
static int
hold(struct db_tx *tx, void *arg)
{
	(void)tx;
	(void)arg;
	atomic_store(&held, 1);
	while (!atomic_load(&let_go))
		usleep(1000);
	return DB_OK;
}

/* The first job of a batch runs without a savepoint: when it fails, the
 * transaction is rolled back and begun again, so that what it wrote goes
 * and the jobs after it in the same batch commit. */
START_TEST(failed_first_job_does_not_undo_its_batch)
{
	struct db *db = dbfx_open();
	struct tok a, b, c;
	struct db_token found;
	int rc_a = -1, rc_b = -1;

	make_tok(&a, "first", "admin");
	make_tok(&b, "second", "admin");
	make_tok(&c, "third", "admin");
	atomic_store(&held, 0);
	atomic_store(&let_go, 0);
	ck_assert_int_eq(db_submit(db, hold, NULL, NULL, NULL), 0);
	while (!atomic_load(&held))
		usleep(1000);
	/* Queued behind the held batch: the next batch is these two. */
	ck_assert_int_eq(db_submit(db, add_then_fail, &a.add, NULL, NULL), 0);
	ck_assert_int_eq(db_submit(db, db_token_add, &b.add, NULL, NULL), 0);
	atomic_store(&let_go, 1);
	ck_assert_int_eq(db_write(db, db_token_add, &c.add), DB_OK);
	rc_a = db_token_find(db, a.hash, &found);
	rc_b = db_token_find(db, b.hash, &found);
	ck_assert_int_eq(rc_a, DB_NOTFOUND);
	ck_assert_int_eq(rc_b, DB_OK);
	ck_assert_int_eq(db_token_find(db, c.hash, &found), DB_OK);
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
 * version is stored and becomes a "version" event; an older sighting
 * never puts back an older version. */
START_TEST(device_seen_moves_last_seen_and_logs_versions)
{
	struct db *db = dbfx_open();
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

	/* Another daemon's late flush of an older poll, on the old version:
	 * the newer sighting's version and time stand. */
	j = (struct seen_job){ d.id, 2500, "1.0.0", 7 };
	ck_assert_int_eq(db_write(db, seen_job, &j), DB_OK);
	ck_assert_int_eq(j.changed, 0);
	ck_assert_int_eq(db_device_get(db, "dev-1", &d), DB_OK);
	ck_assert_int_eq(d.last_seen, 3000);
	ck_assert_str_eq(d.fw_version, "1.1.0");
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(db_device_events(db, d.id, 10, last_event, &e), DB_OK);
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

	shared = dbfx_open();
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

static atomic_int tick_count;

static int
count_tick(struct db_tx *tx, void *arg)
{
	(void)tx;
	(void)arg;
	atomic_fetch_add(&tick_count, 1);
	return DB_OK;
}

START_TEST(periodic_job_runs)
{
	struct db *db = dbfx_open();

	atomic_store(&tick_count, 0);
	/* Registered after the writer went to sleep: it must not wait out its
	 * idle second (a 20 ms tick runs some 50 times in that second). */
	usleep(50 * 1000);
	ck_assert_int_eq(db_every(db, 20, count_tick, NULL), 0);
	for (int i = 0; i < 500 && atomic_load(&tick_count) < 3; i++)
		usleep(10 * 1000);
	db_close(db);
	ck_assert_int_ge(atomic_load(&tick_count), 3);
}
END_TEST

START_TEST(backup_is_a_usable_copy)
{
	struct db *db = dbfx_open();
	struct tok a;
	char copy[320], err[512];
	struct db *db2;
	struct db_token found;
	char saved[400];

	make_tok(&a, "kept", "admin");
	ck_assert_int_eq(db_write(db, db_token_add, &a.add), DB_OK);
	snprintf(copy, sizeof(copy), "%s/backup.db", dir);
	if (pgfx_on()) {
		/* No half-measure: PostgreSQL's own tools, named. */
		ck_assert_int_eq(db_backup(db, copy, err, sizeof(err)), -1);
		ck_assert_ptr_nonnull(strstr(err, "pg_dump"));
		ck_assert_ptr_nonnull(strstr(err, "pg_restore"));
		ck_assert_int_ne(access(copy, F_OK), 0);
		db_close(db);
		return;
	}
	ck_assert_msg(db_backup(db, copy, err, sizeof(err)) == 0, "%s", err);
	/* Never overwrites. */
	ck_assert_int_eq(db_backup(db, copy, err, sizeof(err)), -1);
	db_close(db);
	memcpy(saved, path, sizeof(saved));
	snprintf(path, sizeof(path), "%s", copy);
	db2 = dbfx_open();
	ck_assert_int_eq(db_token_find(db2, a.hash, &found), DB_OK);
	db_close(db2);
	memcpy(path, saved, sizeof(saved));
}
END_TEST


struct health_job {
	struct db_health h;
	int keep;
	int64_t before, deleted;
	int batch;
};

static int
health_put_job(struct db_tx *tx, void *arg)
{
	struct health_job *j = arg;
	int rc = db_health_put(tx, &j->h);

	return rc == DB_OK && j->keep > 0 ? db_health_sample(tx, &j->h,
	    j->keep) : rc;
}

static int
health_prune_job(struct db_tx *tx, void *arg)
{
	struct health_job *j = arg;

	return db_health_prune(tx, j->before, j->batch, &j->deleted);
}

static void
sample_at(const struct db_health *h, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "%s%lld", n ? "," : "", (long long)h->at);
}

/* The summary is one row rewritten; samples keep the newest `keep` of a
 * device, and the age prune takes small batches from the oldest. */
START_TEST(health_summary_samples_and_prune)
{
	struct db *db = dbfx_open();
	struct db_new_device nd[2] = {
		{ "dev-1", "board-a", "1.0.0", { NULL }, 0, { 1 } },
		{ "dev-2", "board-a", "1.0.0", { NULL }, 0, { 2 } } };
	struct db_devices_add add = { nd, 2, 1000, 0 };
	struct health_job j;
	struct db_health got;
	struct db_device d1, d2;
	char list[256] = "";

	ck_assert_int_eq(db_write(db, db_devices_add, &add), DB_OK);
	ck_assert_int_eq(db_device_get(db, "dev-1", &d1), DB_OK);
	ck_assert_int_eq(db_device_get(db, "dev-2", &d2), DB_OK);
	ck_assert_int_eq(db_health_get(db, d1.id, &got), DB_NOTFOUND);
	for (int i = 1; i <= 5; i++) {
		memset(&j, 0, sizeof(j));
		j.h.device = d1.id;
		j.h.at = 100 * i;
		snprintf(j.h.fw_version, sizeof(j.h.fw_version), "1.0.%d", i);
		j.h.boot_ok = 1;
		j.h.unhealthy = i == 3;
		j.h.reports = i;
		j.h.first_at = 100;
		j.keep = 3;
		ck_assert_int_eq(db_write(db, health_put_job, &j), DB_OK);
		j.h.device = d2.id;
		j.keep = 10;
		ck_assert_int_eq(db_write(db, health_put_job, &j), DB_OK);
	}
	ck_assert_int_eq(db_health_get(db, d1.id, &got), DB_OK);
	ck_assert_int_eq(got.at, 500);
	ck_assert_int_eq(got.reports, 5);
	ck_assert_str_eq(got.fw_version, "1.0.5");
	ck_assert_int_eq(db_health_samples(db, d1.id, 10, sample_at, list), DB_OK);
	ck_assert_str_eq(list, "500,400,300");
	list[0] = '\0';
	ck_assert_int_eq(db_health_samples(db, d2.id, 10, sample_at, list), DB_OK);
	ck_assert_str_eq(list, "500,400,300,200,100");
	/* Older than 350, among the 4 oldest rows (d1's 300 and d2's 100,
	 * 200, 300 by id): those four go, nothing younger. */
	j = (struct health_job){ .before = 350, .batch = 4 };
	ck_assert_int_eq(db_write(db, health_prune_job, &j), DB_OK);
	ck_assert_int_eq(j.deleted, 4);
	j = (struct health_job){ .before = 350, .batch = 4 };
	ck_assert_int_eq(db_write(db, health_prune_job, &j), DB_OK);
	ck_assert_int_eq(j.deleted, 0);
	list[0] = '\0';
	ck_assert_int_eq(db_health_samples(db, d2.id, 10, sample_at, list), DB_OK);
	ck_assert_str_eq(list, "500,400");
	list[0] = '\0';
	ck_assert_int_eq(db_health_samples(db, d1.id, 10, sample_at, list), DB_OK);
	ck_assert_str_eq(list, "500,400");
	db_close(db);
}
END_TEST

struct count_job {
	int64_t by[2][12];		/* [added][state index in states] */
	int64_t why[2][4];
	struct db_pending pend[2];
	struct db_baseline base;
};

static const char *const states[] = { "pending", "offered", "healthy",
    "failed", "rolled_back", "timed_out", "superseded", NULL };

static void
count_state(const char *state, int64_t all, int64_t added, void *arg)
{
	struct count_job *j = arg;

	for (int i = 0; states[i] != NULL; i++)
		if (strcmp(state, states[i]) == 0) {
			j->by[0][i] += all - added;
			j->by[1][i] += added;
		}
}

static void
count_reason(const char *reason, int64_t all, int64_t added, void *arg)
{
	struct count_job *j = arg;
	static const char *const r[] = { "selftest", "timeout", "other" };

	for (int i = 0; i < 3; i++)
		if (strcmp(reason, r[i]) == 0) {
			j->why[0][i] += all - added;
			j->why[1][i] += added;
		}
}

static int
count_job(struct db_tx *tx, void *arg)
{
	struct count_job *j = arg;
	int rc = db_member_counts_tx(tx, 1, 100, 1000, count_state, j);

	if (rc == DB_OK)
		rc = db_failure_reasons_tx(tx, 1, 100, 1000, count_reason, j);
	if (rc == DB_OK)
		rc = db_pending_seen_tx(tx, 1, 100, 1000, 5000, j->pend);
	if (rc == DB_OK)
		rc = db_baseline_tx(tx, 1, 5000, "2.0.0", &j->base);
	return rc;
}

/* The gate's counts: states split at the stage's first new bucket in one
 * pass, failures by reason, the stage's pending members' polls since it
 * opened (at 5000), and the campaign's pending members' health reports
 * since then (the baseline, later stages included). */
START_TEST(stage_counts)
{
	struct db *db = dbfx_open();
	struct count_job j;

	db_close(db);
	dbfx_exec("INSERT INTO artifacts (sha256, size, created_at, created_by) "
	    "VALUES ('a', 1, 0, 'x');"
	    "INSERT INTO releases (id, envelope, envelope_sha256, "
	    "fw_version, security_counter, artifact_sha256, length, expires, "
	    "created, uploaded_at, uploaded_by) VALUES (1, '', 'e', '2.0.0', 1, "
	    "'a', 1, 9999999999, 0, 0, 'x');"
	    "INSERT INTO campaigns (id, name, release_id, salt, stages, policy, "
	    "state, created_at, created_by) VALUES (1, 'c', 1, x'00', '[1,10]', "
	    "'{}', 'running', 0, 'x');"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
	    "WHERE i < 12) INSERT INTO devices (id, device_id, hw_class, "
	    "token_hash, fw_version, created_at, last_seen) SELECT i, 'd' || i, "
	    "'b', randomblob(32), '1.0.0', 0, CASE WHEN i % 2 = 0 THEN 6000 "
	    "WHEN i = 3 THEN 4000 END FROM n;"
	    /* device: bucket, state, reason */
	    "INSERT INTO campaign_devices (campaign, device, bucket, state, "
	    "reason) VALUES (1, 1, 5, 'pending', NULL), (1, 2, 50, 'pending', "
	    "NULL), (1, 3, 99, 'failed', 'selftest'), (1, 4, 100, 'pending', "
	    "NULL), (1, 5, 500, 'pending', NULL), (1, 6, 999, 'pending', NULL), "
	    "(1, 7, 400, 'timed_out', 'timeout'), (1, 8, 401, 'rolled_back', "
	    "'selftest'), (1, 9, 402, 'failed', NULL), (1, 10, 403, 'superseded', "
	    "NULL), (1, 11, 1000, 'pending', NULL), (1, 12, 404, 'healthy', NULL);"
	    /* health: 3 on the old version since 5000 (2 unhealthy, one of
	     * them in a later stage), one too early, one on the release's
	     * version, one of a member that is not pending */
	    "INSERT INTO device_health (device, at, fw_version, boot_ok, "
	    "selftest_ok, crash_count, uptime_s, unhealthy, reports, "
	    "unhealthy_reports, crashes, first_at, sampled_at) VALUES "
	    "(2, 5500, '1.0.0', 1, 1, 0, 0, 0, 1, 0, 0, 0, 0), "
	    "(4, 5000, '1.0.0', 0, 1, 0, 0, 1, 1, 1, 0, 0, 0), "
	    "(5, 4999, '1.0.0', 0, 1, 0, 0, 1, 1, 1, 0, 0, 0), "
	    "(6, 6000, '2.0.0', 0, 1, 0, 0, 1, 1, 1, 0, 0, 0), "
	    "(11, 7000, '1.0.0', 0, 1, 0, 0, 1, 1, 1, 0, 0, 0), "
	    "(12, 7000, '1.0.0', 0, 1, 0, 0, 1, 1, 1, 0, 0, 0);");
	db = dbfx_open();
	memset(&j, 0, sizeof(j));
	ck_assert_int_eq(db_write(db, count_job, &j), DB_OK);
	/* below bucket 100: 1, 2 pending, 3 failed */
	ck_assert_int_eq(j.by[0][0], 2);
	ck_assert_int_eq(j.by[0][3], 1);
	/* 100..999: 4, 5, 6 pending; 7 timed_out; 8 rolled_back; 9 failed;
	 * 10 superseded; 12 healthy. 11 (bucket 1000) is outside. */
	ck_assert_int_eq(j.by[1][0], 3);
	ck_assert_int_eq(j.by[1][3], 1);
	ck_assert_int_eq(j.by[1][4], 1);
	ck_assert_int_eq(j.by[1][5], 1);
	ck_assert_int_eq(j.by[1][6], 1);
	ck_assert_int_eq(j.by[1][2], 1);
	ck_assert_int_eq(j.why[0][0], 1);
	ck_assert_int_eq(j.why[1][0], 1);
	ck_assert_int_eq(j.why[1][1], 1);
	ck_assert_int_eq(j.why[1][2], 1);
	/* pending 1 (never seen), 2 (seen 6000): unseen 1 */
	ck_assert_int_eq(j.pend[0].pending, 2);
	ck_assert_int_eq(j.pend[0].unseen, 1);
	/* pending 4 (seen), 5 (never), 6 (seen): unseen 1; 11 is outside */
	ck_assert_int_eq(j.pend[1].pending, 3);
	ck_assert_int_eq(j.pend[1].unseen, 1);
	/* baseline: 2, 4 and 11 (5 reported before the stage, 6 on the
	 * release's version, 12 is healthy so not pending) */
	ck_assert_int_eq(j.base.reporting, 3);
	ck_assert_int_eq(j.base.unhealthy, 2);
	db_close(db);
}
END_TEST

static void
event_kinds(const struct db_event *e, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "%s%s", n ? "," : "", e->kind);
}

/* A database from before 004 keeps its health reports as samples and a
 * summary; its update history loses nothing else. */
START_TEST(old_health_events_move_out)
{
	struct db *db;
	struct db_health got;
	char list[256] = "";

	dbfx_store_until(3);
	dbfx_exec("INSERT INTO devices VALUES (1, 'd1', 'b', x'00', '1.0.0', 0, "
	    "NULL); INSERT INTO device_events (device, at, kind, state, detail) "
	    "VALUES (1, 10, 'health', 'healthy', 'fw_version=1.0.0 boot_ok=true "
	    "selftest=pass crash_count=0 uptime_s=5'), (1, 15, 'status', "
	    "'installed', NULL), (1, 20, 'health', 'unhealthy', 'fw_version=2.0.0 "
	    "boot_ok=false selftest=fail crash_count=3 uptime_s=77')");
	db = dbfx_open();
	ck_assert_int_eq(db_health_get(db, 1, &got), DB_OK);
	ck_assert_int_eq(got.at, 20);
	ck_assert_str_eq(got.fw_version, "2.0.0");
	ck_assert_int_eq(got.boot_ok, 0);
	ck_assert_int_eq(got.selftest_ok, 0);
	ck_assert_int_eq(got.crash_count, 3);
	ck_assert_int_eq(got.uptime_s, 77);
	ck_assert_int_eq(got.unhealthy, 1);
	ck_assert_int_eq(got.reports, 2);
	ck_assert_int_eq(got.unhealthy_reports, 1);
	ck_assert_int_eq(got.crashes, 3);
	ck_assert_int_eq(got.first_at, 10);
	ck_assert_int_eq(db_health_samples(db, 1, 10, sample_at, list), DB_OK);
	ck_assert_str_eq(list, "20,10");
	list[0] = '\0';
	ck_assert_int_eq(db_device_events(db, 1, 10, event_kinds, list), DB_OK);
	ck_assert_str_eq(list, "status");
	db_close(db);
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
	tcase_add_test(tc, a_different_migration_history_is_refused);
	tcase_add_test(tc, tokens_add_find_conflict_revoke);
	tcase_add_test(tc, failed_job_does_not_undo_its_batch);
	tcase_add_test(tc, failed_first_job_does_not_undo_its_batch);
	tcase_add_test(tc, device_seen_moves_last_seen_and_logs_versions);
	tcase_add_test(tc, concurrent_writes_share_commits);
	tcase_add_test(tc, periodic_job_runs);
	tcase_add_test(tc, backup_is_a_usable_copy);
	tcase_add_test(tc, health_summary_samples_and_prune);
	tcase_add_test(tc, stage_counts);
	/* SQLite's data migration 005 (PostgreSQL's history starts with
	 * 001 holding the whole schema: there is no older store to move). */
	if (!pgfx_on())
		tcase_add_test(tc, old_health_events_move_out);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
