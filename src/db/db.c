/* The store's core: open and migrate, the reader pool, and the single
 * writer thread that groups queued jobs into one transaction per batch. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/sqlite.h"
#include "db/migrations.h"
#include "util/util.h"

#define BATCH_MAX 1024
#define TICKS_MAX 8

struct job {
	db_write_fn fn;
	void *arg;
	db_done_fn done;
	void *done_arg;
	int rc;
	struct job *next;
};

struct tick {
	int interval_ms;
	int64_t due_ms;
	db_write_fn fn;
	void *arg;
};

struct db {
	char *path;		/* a PostgreSQL URL without its password */
	const struct db_migration *migs;	/* this backend's */
	size_t nmigs;
	int version;
	struct db_conn *wr;
	pthread_t writer;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	uint64_t depth;
	int stopping;
	int refusing;		/* db_refuse: jobs fail instead of queueing */
	int busy;		/* the writer holds a batch */
	pthread_cond_t idle_cv;	/* signalled when busy drops */
	struct tick ticks[TICKS_MAX];
	int nticks;
	struct db_stats st;
	/* Health, under mu: the writer's last sign of life, and whether the
	 * last write it tried failed to commit (and why). */
	int64_t beat_ms;
	int failing;
	unsigned failures;	/* times failing went from 0 to 1 */
	int64_t probe_due_ms;
	char last_error[200];
	int user_version;	/* rewritten by the probe */

	pthread_mutex_t pool_mu;
	pthread_cond_t pool_cv;
	struct db_conn **pool;
	int npool, nfree;

	/* db_on_device_change's hook, under mu. */
	void (*dev_fn)(void *arg, const int64_t *ids, long n);
	void *dev_arg;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- migrations ---- */

/* Runs sql (several statements allowed) without reporting: the caller
 * puts the cause in its own message. 0, or -1. */
static int
run_sql(struct db_conn *c, const char *sql)
{
	if (c->pg != NULL)
		return db_pg_exec(c->pg, sql);
	return sqlite3_exec(c->h, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* The BEGIN of a batch or a migration: SQLite takes the write lock at
 * once (no upgrade deadlock); PostgreSQL runs each batch at READ
 * COMMITTED, where the compare-and-set WHERE clauses of the domain files
 * keep two writers from losing an update (db.h). */
static const char *
begin_write(const struct db_conn *c)
{
	return c->pg != NULL ? "BEGIN ISOLATION LEVEL READ COMMITTED" :
	    "BEGIN IMMEDIATE";
}

static int
current_version(struct db *db, int *out)
{
	static const char create_sq[] = "CREATE TABLE IF NOT EXISTS "
	    "schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
	    "NULL, applied_at INTEGER NOT NULL)";
	static const char create_pg[] = "CREATE TABLE IF NOT EXISTS "
	    "schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
	    "NULL, applied_at BIGINT NOT NULL)";
	static const char sql[] = "SELECT COALESCE(MAX(version), 0) FROM "
	    "schema_migrations";
	struct db_st *st;

	if (run_sql(db->wr, db->wr->pg != NULL ? create_pg : create_sq) != 0 ||
	    (st = db_stmt(db->wr, sql)) == NULL || db_step(st) != DB_STEP_ROW)
		return -1;
	*out = db_col_int(st, 0);
	db_st_reset(st);
	return 0;
}

static int
apply_one(struct db_conn *c, const struct db_migration *m, char *err,
    size_t errlen)
{
	static const char ins[] = "INSERT INTO schema_migrations (version, "
	    "name, applied_at) VALUES ($1, $2, $3)";
	struct db_st *st;

	if (run_sql(c, begin_write(c)) != 0 || run_sql(c, m->sql) != 0 ||
	    (st = db_stmt(c, ins)) == NULL)
		goto fail;
	db_bind_int(st, 1, m->version);
	db_bind_text(st, 2, m->name);
	db_bind_i64(st, 3, (int64_t)time(NULL));
	if (db_step(st) != DB_STEP_DONE)
		goto fail;
	db_st_reset(st);
	if (run_sql(c, "COMMIT") != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "migration %s failed: %s", m->name, db_errmsg(c));
	db_conn_settle(c);
	if (db_in_tx(c))
		run_sql(c, "ROLLBACK");
	return -1;
}

static const struct db_migration *
known_migration(const struct db *db, int version)
{
	for (size_t i = 0; i < db->nmigs; i++)
		if (db->migs[i].version == version)
			return &db->migs[i];
	return NULL;
}

/* 1 if migration version is recorded as applied, 0 if not, -1. */
static int
applied(struct db *db, int version)
{
	static const char sql[] = "SELECT 1 FROM schema_migrations WHERE "
	    "version = $1";
	struct db_st *st = db_stmt(db->wr, sql);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int(st, 1, version);
	rc = db_step(st);
	db_st_reset(st);
	return rc == DB_STEP_ROW ? 1 : rc == DB_STEP_DONE ? 0 : -1;
}

/* Compares one applied migration with ours: 0, or -1 with err. */
static int
same_migration(struct db *db, struct db_st *st, char *err, size_t errlen)
{
	int v = db_col_int(st, 0);
	const char *name = db_col_str(st, 1);
	const struct db_migration *m = known_migration(db, v);

	if (m != NULL && name != NULL && strcmp(m->name, name) == 0)
		return 0;
	snprintf(err, errlen, "%s: migration %d was applied as %s, which this "
	    "otad %s%s; refusing to start: restore a backup made by this "
	    "otad's release", db->path, v, name ? name : "?", m ? "calls " :
	    "does not know", m ? m->name : "");
	return -1;
}

/* The applied migrations must be ours, under the same names, with none
 * of ours below the newest applied one missing: a database made by a
 * build whose migrations are numbered otherwise (two branches that took
 * the same number) would else run on a schema no build ever had, or
 * skip a migration for good. Refused, naming the first difference. */
static int
check_history(struct db *db, int have, char *err, size_t errlen)
{
	static const char sql[] = "SELECT version, name FROM "
	    "schema_migrations ORDER BY version";
	struct db_st *st = db_stmt(db->wr, sql);
	int rc = DB_STEP_DONE, bad = 0;

	if (st == NULL)
		goto unreadable;
	while (!bad && (rc = db_step(st)) == DB_STEP_ROW)
		bad = same_migration(db, st, err, errlen) != 0;
	db_st_reset(st);
	if (bad)
		return -1;
	if (rc != DB_STEP_DONE)
		goto unreadable;
	for (size_t i = 0; i < db->nmigs && db->migs[i].version < have; i++) {
		rc = applied(db, db->migs[i].version);
		if (rc < 0)
			goto unreadable;
		if (rc == 0) {
			snprintf(err, errlen, "%s: migration %s was never "
			    "applied, but %d was; refusing to start: restore a "
			    "backup made by this otad's release", db->path,
			    db->migs[i].name, have);
			return -1;
		}
	}
	return 0;
unreadable:
	snprintf(err, errlen, "%s: cannot read the applied migrations: %s",
	    db->path, db_errmsg(db->wr));
	return -1;
}

static int
migrate_locked(struct db *db, char *err, size_t errlen)
{
	int have, newest = 0;

	for (size_t i = 0; i < db->nmigs; i++)
		newest = db->migs[i].version;
	if (current_version(db, &have) != 0) {
		snprintf(err, errlen, "%s: cannot read the schema version: %s",
		    db->path, db_errmsg(db->wr));
		return -1;
	}
	if (have > newest) {
		snprintf(err, errlen, "%s: schema version %d is newer than this "
		    "otad knows (%d); refusing to start: run a newer otad or "
		    "restore a backup", db->path, have, newest);
		return -1;
	}
	if (check_history(db, have, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < db->nmigs; i++) {
		if (db->migs[i].version <= have)
			continue;
		if (apply_one(db->wr, &db->migs[i], err, errlen) != 0)
			return -1;
	}
	db->version = newest > have ? newest : have;
	return 0;
}

/* Two daemons starting together on one PostgreSQL database migrate once:
 * the second waits on this session lock and then finds the work done.
 * (SQLite's BEGIN IMMEDIATE serialises the same way per migration.) */
#define MIGRATE_LOCK "SELECT pg_advisory_lock(7369336474)"
#define MIGRATE_UNLOCK "SELECT pg_advisory_unlock(7369336474)"

static int
migrate(struct db *db, char *err, size_t errlen)
{
	int rc;

	if (db->wr->pg == NULL)
		return migrate_locked(db, err, errlen);
	if (db->nmigs == 0) {
		snprintf(err, errlen, "%s: this otad was built without "
		    "PostgreSQL migrations", db->path);
		return -1;
	}
	if (run_sql(db->wr, MIGRATE_LOCK) != 0) {
		snprintf(err, errlen, "%s: cannot take the migration lock: %s",
		    db->path, db_errmsg(db->wr));
		return -1;
	}
	rc = migrate_locked(db, err, errlen);
	/* Released also on failure (the session would hold it for good). */
	run_sql(db->wr, MIGRATE_UNLOCK);
	return rc;
}

static int
read_user_version(struct db *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	/* PostgreSQL's probe needs no header field (run_probe). */
	if (db->wr->pg != NULL)
		return 0;
	if (sqlite3_prepare_v2(db->wr->h, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", db->path, sqlite3_errmsg(db->wr->h));
		return -1;
	}
	rc = sqlite3_step(st);
	db->user_version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* ---- reader pool ---- */

/* A PostgreSQL read call sees one snapshot through all its statements,
 * as SQLite's reader does between db_rd_get and db_rd_put. A reader whose
 * connection broke (the server restarted) is reconnected first; if that
 * fails, the call's statements fail and report. */
static void
snapshot(struct db_conn *c)
{
	static const char begin[] = "BEGIN ISOLATION LEVEL REPEATABLE READ, "
	    "READ ONLY";

	/* One reconnect at most (each may wait out connect_timeout): when
	 * the connection looked fine and the BEGIN found it broken. */
	if (db_conn_check(c) == 0 && (db_pg_exec(c->pg, begin) == 0 ||
	    (db_conn_check(c) == 0 && db_pg_exec(c->pg, begin) == 0)))
		return;
	db_report(c, "reader: begin");
}

struct db_conn *
db_rd_get(struct db *db)
{
	struct db_conn *c;

	pthread_mutex_lock(&db->pool_mu);
	while (db->nfree == 0)
		pthread_cond_wait(&db->pool_cv, &db->pool_mu);
	c = db->pool[--db->nfree];
	pthread_mutex_unlock(&db->pool_mu);
	if (c->pg != NULL)
		snapshot(c);
	return c;
}

void
db_rd_put(struct db *db, struct db_conn *c)
{
	db_conn_settle(c);
	/* Read only: ending it so is a commit, and ends a failed one too.
	 * Not waited for: the snapshot is let go at once, and the next
	 * command on c (its BEGIN) takes the answer first. */
	if (c->pg != NULL && db_pg_in_tx(c->pg))
		db_pg_send(c->pg, "ROLLBACK");
	pthread_mutex_lock(&db->pool_mu);
	db->pool[db->nfree++] = c;
	pthread_cond_signal(&db->pool_cv);
	pthread_mutex_unlock(&db->pool_mu);
}

/* ---- writer ---- */

int
db_tx_after(struct db_tx *tx, void (*fn)(void *), void *arg)
{
	if (tx->nafter >= DB_AFTER_MAX)
		return -1;
	tx->after[tx->nafter].fn = fn;
	tx->after[tx->nafter].arg = arg;
	tx->nafter++;
	return 0;
}

/* The first failure of the store itself (not of a job's own checks) in
 * a batch: a read-only or full disk, an I/O error, a lock never granted. */
struct batch_err {
	int set;
	char msg[200];
};

static void
note_store_error(struct db_conn *c, struct batch_err *be)
{
	if (be->set || !db_store_error(c))
		return;
	be->set = 1;
	snprintf(be->msg, sizeof(be->msg), "%s", db_errmsg(c));
}

static int begin_batch(struct db_conn *c, struct batch_err *be);
static void rollback(struct db_conn *c);

/* The savepoint of a job that is not the transaction's first. The
 * previous job's savepoint is released in the same round trip as this
 * one's is taken (a third of a PostgreSQL job's cost); the last one is
 * released before the COMMIT (run_batch). */
static int
open_savepoint(struct db_tx *tx)
{
	int rc;

	if (tx->c->pg != NULL)
		rc = db_exec(tx->c, tx->sp ? "RELEASE job; SAVEPOINT job" :
		    "SAVEPOINT job");
	else if ((rc = tx->sp ? db_exec_fixed(tx->c, "RELEASE job") : DB_OK) ==
	    DB_OK)
		rc = db_exec_fixed(tx->c, "SAVEPOINT job");
	tx->sp = rc == DB_OK;
	return rc;
}

/* Undoes a job that failed: back to its savepoint, or, for the first job
 * (which has none), the whole transaction, begun again for the jobs
 * after it; tx->broken when that BEGIN fails. */
static void
undo_job(struct db_tx *tx, int sp, struct batch_err *be)
{
	if (sp) {
		db_exec_fixed(tx->c, "ROLLBACK TO job");
		return;
	}
	rollback(tx->c);
	tx->jobs = 0;
	tx->broken = !begin_batch(tx->c, be);
}

/* The transaction's first job runs without a savepoint: nothing before
 * it is at stake. On SQLite a savepoint first copies every page the job
 * changes to the sub-journal, a temporary file: over a third of the
 * writer's time when one job provisions 10,000 devices. */
static int
run_job(struct db_tx *tx, db_write_fn fn, void *arg, struct batch_err *be)
{
	int rc, nafter = tx->nafter, told = tx->dev_told, sp = tx->jobs > 0;

	if (sp && open_savepoint(tx) != DB_OK) {
		note_store_error(tx->c, be);
		return DB_ERR;
	}
	tx->jobs++;
	rc = fn(tx, arg);
	/* Read before the rollback below overwrites the connection's error. */
	if (rc == DB_ERR)
		note_store_error(tx->c, be);
	/* PostgreSQL: after an error the transaction takes no statement
	 * until ROLLBACK TO; a job that went on as if it had worked would
	 * make the whole batch's COMMIT roll back. It alone fails. */
	if (rc == DB_OK && tx->c->pg != NULL && db_pg_tx_failed(tx->c->pg)) {
		db_complain("postgresql: a write job went on after an error of "
		    "its own; rolled back");
		rc = DB_ERR;
	}
	db_conn_settle(tx->c);
	if (rc != DB_OK) {
		undo_job(tx, sp, be);
		tx->nafter = nafter;	/* its after-commit hooks go with it */
		/* and so do its messages; the devices it named stay listed:
		 * forgetting a device too many is harmless. */
		tx->dev_told = told;
	}
	return rc;
}

/* Records how a batch (or a probe) went: a store failure makes the store
 * unhealthy; only a commit that changed rows makes it healthy again, as
 * an empty one commits even on a read-only disk. Under db->mu. */
static void
note_outcome(struct db *db, int ok, const struct batch_err *be, int wrote)
{
	db->beat_ms = now_ms();
	if (!ok || be->set) {
		db->failures += !db->failing;
		db->failing = 1;
		snprintf(db->last_error, sizeof(db->last_error), "%s", be->set ?
		    be->msg : "commit failed");
		db->probe_due_ms = db->beat_ms + 1000;
	} else if (wrote) {
		db->failing = 0;
	}
}

/* The batch failed at the store: its cause, the first one kept. 0. */
static int
batch_failed(struct db_conn *c, struct batch_err *be)
{
	note_store_error(c, be);
	if (!be->set) {
		be->set = 1;
		snprintf(be->msg, sizeof(be->msg), "%s", db_errmsg(c));
	}
	return 0;
}

/* 1 when the statement that returned rc went through, else 0 with the
 * batch's failure noted. */
static int
went(struct db_conn *c, int rc, struct batch_err *be)
{
	return rc == DB_OK ? 1 : batch_failed(c, be);
}

/* A failed COMMIT may have rolled back already (a full disk does). */
static void
rollback(struct db_conn *c)
{
	if (db_in_tx(c))
		db_exec(c, "ROLLBACK");
}

/* Begins a batch. A PostgreSQL connection found broken (the server
 * restarted since the last batch) is reconnected first, and once more
 * when the BEGIN itself finds it broken: nothing of the batch has run. */
static int
begin_batch(struct db_conn *c, struct batch_err *be)
{
	/* One reconnect at most per batch (each may wait out the
	 * connect_timeout), so the writer's heartbeat keeps up. */
	if (db_conn_check(c) == 0 && (run_sql(c, begin_write(c)) == 0 ||
	    (c->pg != NULL && db_conn_check(c) == 0 &&
	    run_sql(c, begin_write(c)) == 0)))
		return 1;
	return batch_failed(c, be);
}

void
db_on_device_change(struct db *db, void (*fn)(void *arg, const int64_t *ids,
    long n), void *arg)
{
	pthread_mutex_lock(&db->mu);
	db->dev_fn = fn;
	db->dev_arg = arg;
	pthread_mutex_unlock(&db->mu);
}

/* Tells the device hook what the batch changed, committed or not: a
 * COMMIT that failed may still have committed (a lost PostgreSQL
 * connection), and forgetting an unchanged device costs one read. */
static void
tell_devices(struct db *db, struct db_tx *tx)
{
	void (*fn)(void *, const int64_t *, long);
	void *arg;

	if (tx->ndev == 0 && !tx->dev_all)
		return;
	pthread_mutex_lock(&db->mu);
	fn = db->dev_fn;
	arg = db->dev_arg;
	pthread_mutex_unlock(&db->mu);
	if (fn != NULL)
		fn(arg, tx->dev, tx->dev_all ? -1 : (long)tx->ndev);
	free(tx->dev);
}

static void
run_batch(struct db *db, struct job *jobs, struct tick **due, int ndue)
{
	struct db_tx tx = { .c = db->wr, .db = db };
	struct batch_err be = { 0 };
	int64_t t0 = now_ms(), changes = db_total_changes(db->wr);
	uint64_t n = 0;
	int ok;
	struct job *j, *next;

	ok = begin_batch(db->wr, &be);
	for (j = jobs; j != NULL; j = j->next, n++) {
		ok = ok && !tx.broken;
		j->rc = ok ? run_job(&tx, j->fn, j->arg, &be) : DB_ERR;
	}
	for (int i = 0; i < ndue && ok && !tx.broken; i++)
		run_job(&tx, due[i]->fn, due[i]->arg, &be);
	ok = ok && !tx.broken;
	if (ok && tx.sp && !went(db->wr, db_exec_fixed(db->wr, "RELEASE job"),
	    &be)) {
		rollback(db->wr);
		ok = 0;
	}
	if (ok && !went(db->wr, db_exec_fixed(db->wr, "COMMIT"), &be)) {
		rollback(db->wr);
		ok = 0;
	}
	for (int i = 0; ok && i < tx.nafter; i++)
		tx.after[i].fn(tx.after[i].arg);
	tell_devices(db, &tx);
	pthread_mutex_lock(&db->mu);
	db->st.commits += ok;
	db->st.jobs += n;
	db->st.commit_failures += !ok || be.set;
	db->st.commit_us_total += (uint64_t)(now_ms() - t0) * 1000;
	note_outcome(db, ok, &be, db_total_changes(db->wr) > changes);
	pthread_mutex_unlock(&db->mu);
	for (j = jobs; j != NULL; j = next) {
		next = j->next;
		if (j->done != NULL)
			j->done(j->done_arg, ok ? j->rc : DB_ERR);
		free(j);
	}
}

/* While the store is failing and nothing else is to be written: one small
 * real write (SQLite: the header's user_version, which nothing reads;
 * PostgreSQL: a transaction id, so the COMMIT writes and flushes a
 * commit record, refused on a read-only server) to learn when it can
 * commit again. */
static void
run_probe(struct db *db)
{
	struct batch_err be = { 0 };
	char sql[64];
	int ok;

	if (db->wr->pg != NULL)
		snprintf(sql, sizeof(sql), "SELECT pg_current_xact_id()");
	else
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    db->user_version);
	ok = begin_batch(db->wr, &be);
	/* sql is no static string: run once, not kept prepared. */
	if (ok && (!went(db->wr, db_exec(db->wr, sql), &be) ||
	    !went(db->wr, db_exec_fixed(db->wr, "COMMIT"), &be))) {
		rollback(db->wr);
		ok = 0;
	}
	pthread_mutex_lock(&db->mu);
	note_outcome(db, ok, &be, 1);
	pthread_mutex_unlock(&db->mu);
}

/* When the writer must wake at the latest: the next tick, or in a second.
 * Called with db->mu held. */
static int64_t
next_wake(const struct db *db, int64_t t)
{
	int64_t wake = t + 1000;

	for (int i = 0; i < db->nticks; i++)
		if (db->ticks[i].due_ms < wake)
			wake = db->ticks[i].due_ms;
	return wake;
}

static void *
writer_main(void *p)
{
	struct db *db = p;

	for (;;) {
		struct tick *due[TICKS_MAX];
		struct job *jobs, *last;
		int ndue = 0, n = 0, probe, busy;
		int64_t t = now_ms(), wake;

		pthread_mutex_lock(&db->mu);
		/* The wake-up time is worked out again after every signal: a
		 * tick registered while we slept may be due sooner. */
		while (db->head == NULL && !db->stopping &&
		    t < (wake = next_wake(db, t))) {
			struct timespec ts;
			db->beat_ms = t;
			util_deadline(&ts, wake - t);
			pthread_cond_timedwait(&db->cv, &db->mu, &ts);
			t = now_ms();
		}
		db->beat_ms = t;
		if (db->head == NULL && db->stopping) {
			pthread_mutex_unlock(&db->mu);
			break;
		}
		/* Take up to BATCH_MAX jobs; the rest wait for the next commit. */
		jobs = last = db->head;
		while (last != NULL && ++n < BATCH_MAX && last->next != NULL)
			last = last->next;
		if (last != NULL) {
			db->head = last->next;
			last->next = NULL;
			if (db->head == NULL)
				db->tail = NULL;
			db->depth -= (uint64_t)n;
		}
		for (int i = 0; i < db->nticks; i++) {
			if (db->ticks[i].due_ms <= t && !db->stopping &&
			    !db->refusing) {
				due[ndue++] = &db->ticks[i];
				db->ticks[i].due_ms = t + db->ticks[i].interval_ms;
			}
		}
		busy = jobs != NULL || ndue > 0;
		db->busy = busy;
		pthread_mutex_unlock(&db->mu);
		if (busy)
			run_batch(db, jobs, due, ndue);
		pthread_mutex_lock(&db->mu);
		probe = db->failing && now_ms() >= db->probe_due_ms &&
		    !db->refusing;
		pthread_mutex_unlock(&db->mu);
		if (probe)
			run_probe(db);
		pthread_mutex_lock(&db->mu);
		db->busy = 0;
		pthread_cond_broadcast(&db->idle_cv);
		pthread_mutex_unlock(&db->mu);
	}
	return NULL;
}

int
db_submit(struct db *db, db_write_fn fn, void *arg, db_done_fn done,
    void *done_arg)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return -1;
	j->fn = fn;
	j->arg = arg;
	j->done = done;
	j->done_arg = done_arg;
	pthread_mutex_lock(&db->mu);
	if (db->stopping || db->refusing) {
		pthread_mutex_unlock(&db->mu);
		free(j);
		return -1;
	}
	if (db->tail != NULL)
		db->tail->next = j;
	else
		db->head = j;
	db->tail = j;
	db->depth++;
	pthread_cond_signal(&db->cv);
	pthread_mutex_unlock(&db->mu);
	return 0;
}

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int finished, rc;
};

static void
wake_waiter(void *p, int rc)
{
	struct waiter *w = p;

	pthread_mutex_lock(&w->mu);
	w->rc = rc;
	w->finished = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int
db_write(struct db *db, db_write_fn fn, void *arg)
{
	struct waiter w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	    0, DB_ERR };

	if (db_submit(db, fn, arg, wake_waiter, &w) != 0)
		return DB_ERR;
	pthread_mutex_lock(&w.mu);
	while (!w.finished)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	return w.rc;
}

int
db_every(struct db *db, int interval_ms, db_write_fn fn, void *arg)
{
	int rc = -1;

	pthread_mutex_lock(&db->mu);
	if (db->nticks < TICKS_MAX && interval_ms > 0) {
		db->ticks[db->nticks++] = (struct tick){ interval_ms,
		    now_ms() + interval_ms, fn, arg };
		pthread_cond_signal(&db->cv);
		rc = 0;
	}
	pthread_mutex_unlock(&db->mu);
	return rc;
}

int
db_refuse(struct db *db, int on, int timeout_ms)
{
	struct job *jobs, *next;
	struct timespec ts;
	int rc = 0;

	pthread_mutex_lock(&db->mu);
	db->refusing = on;
	if (!on) {
		pthread_mutex_unlock(&db->mu);
		return 0;
	}
	jobs = db->head;
	db->head = db->tail = NULL;
	db->depth = 0;
	pthread_mutex_unlock(&db->mu);
	for (; jobs != NULL; jobs = next) {
		next = jobs->next;
		if (jobs->done != NULL)
			jobs->done(jobs->done_arg, DB_ERR);
		free(jobs);
	}
	/* The batch in hand commits (or fails) and its callbacks run. */
	util_deadline(&ts, timeout_ms);
	pthread_mutex_lock(&db->mu);
	while (db->busy && rc == 0)
		rc = pthread_cond_timedwait(&db->idle_cv, &db->mu, &ts);
	rc = db->busy ? -1 : 0;
	pthread_mutex_unlock(&db->mu);
	return rc;
}

enum db_writer_state
db_writer_health(struct db *db, int stall_s, char *cause, size_t len)
{
	enum db_writer_state rc = DB_HEALTHY;
	int64_t idle;

	pthread_mutex_lock(&db->mu);
	idle = now_ms() - db->beat_ms;
	if (idle > (int64_t)stall_s * 1000) {
		snprintf(cause, len, "the database writer has made no progress "
		    "for %lld s", (long long)(idle / 1000));
		rc = DB_STALLED;
	} else if (db->failing) {
		snprintf(cause, len, "the store cannot commit: %s", db->last_error);
		rc = DB_FAILING;
	}
	pthread_mutex_unlock(&db->mu);
	return rc;
}

unsigned
db_writer_failures(struct db *db, char *last, size_t len)
{
	unsigned n;

	pthread_mutex_lock(&db->mu);
	n = db->failures;
	snprintf(last, len, "the store cannot commit: %s", db->last_error);
	pthread_mutex_unlock(&db->mu);
	return n;
}

void
db_stats(struct db *db, struct db_stats *out)
{
	pthread_mutex_lock(&db->mu);
	*out = db->st;
	out->queue_depth = db->depth;
	pthread_mutex_unlock(&db->mu);
}

int
db_is_pg(const char *where)
{
	return db_pg_is_url(where);
}

const char *
db_where(struct db *db)
{
	return db->path;
}

int
db_schema_version(struct db *db)
{
	return db->version;
}

/* ---- open / close ---- */

struct db *
db_open(const char *path, int readers, char *err, size_t errlen)
{
	struct db *db = calloc(1, sizeof(*db));

	char safe[512];

	db_pg_redact(path, safe, sizeof(safe));
	if (db == NULL || (db->path = strdup(safe)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(db);
		return NULL;
	}
	db->migs = db_pg_is_url(path) ? db_pg_migrations : db_migrations;
	db->nmigs = db_pg_is_url(path) ? db_pg_migrations_count :
	    db_migrations_count;
	pthread_mutex_init(&db->mu, NULL);
	pthread_cond_init(&db->cv, NULL);
	pthread_cond_init(&db->idle_cv, NULL);
	db->beat_ms = now_ms();
	pthread_mutex_init(&db->pool_mu, NULL);
	pthread_cond_init(&db->pool_cv, NULL);
	db->wr = db_conn_open(path, 0, err, errlen);
	if (db->wr == NULL || migrate(db, err, errlen) != 0 ||
	    read_user_version(db, err, errlen) != 0)
		goto fail;
	if (readers < 1)
		readers = 1;
	db->pool = calloc((size_t)readers, sizeof(*db->pool));
	if (db->pool == NULL)
		goto fail;
	for (; db->npool < readers; db->npool++) {
		db->pool[db->npool] = db_conn_open(path, 1, err, errlen);
		if (db->pool[db->npool] == NULL)
			goto fail;
	}
	db->nfree = db->npool;
	if (pthread_create(&db->writer, NULL, writer_main, db) != 0) {
		snprintf(err, errlen, "cannot start the writer thread");
		goto fail;
	}
	return db;
fail:
	for (int i = 0; db->pool != NULL && i < db->npool; i++)
		db_conn_close(db->pool[i]);
	free(db->pool);
	db_conn_close(db->wr);
	free(db->path);
	free(db);
	return NULL;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	pthread_mutex_lock(&db->mu);
	db->stopping = 1;
	pthread_cond_signal(&db->cv);
	pthread_mutex_unlock(&db->mu);
	pthread_join(db->writer, NULL);
	for (int i = 0; i < db->npool; i++)
		db_conn_close(db->pool[i]);
	free(db->pool);
	/* A clean close checkpoints the WAL into the main file. */
	db_conn_close(db->wr);
	pthread_mutex_destroy(&db->mu);
	pthread_cond_destroy(&db->cv);
	pthread_cond_destroy(&db->idle_cv);
	pthread_mutex_destroy(&db->pool_mu);
	pthread_cond_destroy(&db->pool_cv);
	free(db->path);
	free(db);
}
