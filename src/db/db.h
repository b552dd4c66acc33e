/* The store: SQLite in WAL mode behind one writer thread (grouped commits)
 * and a pool of reader connections. No SQL lives outside src/db; the rest
 * of the daemon calls the domain functions declared in src/db/ *.h. */
#ifndef DB_DB_H
#define DB_DB_H

#include <stddef.h>
#include <stdint.h>

struct db;
/* The writer's view inside one transaction; only write functions get it. */
struct db_tx;

/* What domain functions return; callers map these to HTTP statuses. */
enum db_rc {
	DB_OK = 0,
	DB_ERR = -1,		/* internal: already reported to the error hook */
	DB_NOTFOUND = -2,
	DB_CONFLICT = -3,	/* unique or state conflict */
	DB_INVALID = -4,	/* refers to something that cannot be used */
};

/* Called with a one-line message for every internal SQLite error; the
 * daemon logs it. Set before db_open. */
void db_set_error_hook(void (*hook)(const char *msg));

/* Opens (creating if needed) the database at path, applies the compiled-in
 * migrations, and starts the writer thread. 'readers' reader connections
 * are opened for the pool. Returns NULL with a message in err (a database
 * from a newer schema is refused). Free with db_close. */
struct db *db_open(const char *path, int readers, char *err, size_t errlen);
/* Runs every job already submitted, stops the writer, closes. NULL ok. */
void db_close(struct db *db);
/* The schema version of the open database. */
int db_schema_version(struct db *db);

/* A write: runs inside the writer's transaction (under a savepoint of its
 * own, rolled back if it returns nonzero). Must not block. */
typedef int (*db_write_fn)(struct db_tx *tx, void *arg);
/* Called once on the writer thread after the commit (or its failure):
 * rc is the job's return, or DB_ERR when the commit failed. */
typedef void (*db_done_fn)(void *done_arg, int rc);

/* Inside a job: runs fn(arg) on the writer thread once the batch holding
 * the job has committed (not at all if it rolls back). 0, or -1 when too
 * many are registered in one batch. */
int db_tx_after(struct db_tx *tx, void (*fn)(void *), void *arg);

/* Queues a write; 'done' runs after it is durably committed. 0, or -1 if
 * the writer is stopping (done is then not called). */
int db_submit(struct db *db, db_write_fn fn, void *arg, db_done_fn done,
    void *done_arg);
/* Queues a write and waits for its commit; returns the job's rc, or
 * DB_ERR if the commit failed. */
int db_write(struct db *db, db_write_fn fn, void *arg);
/* Registers fn to run on the writer every interval_ms, inside a grouped
 * transaction like any job. Call before traffic starts. 0/-1. */
int db_every(struct db *db, int interval_ms, db_write_fn fn, void *arg);
/* Refuses every write from now on (on = 1): the jobs still queued fail
 * with DB_ERR (their done callbacks run on the calling thread), and
 * db_submit returns -1 (db_write DB_ERR) until db_refuse(db, 0, 0). Then
 * waits up to timeout_ms for the batch being committed to finish, with
 * its callbacks: 0, or -1 if it is still running (a stuck disk). For a
 * shutdown that cannot wait longer: every write is committed or refused,
 * none half-done. */
int db_refuse(struct db *db, int on, int timeout_ms);
/* How the store is: DB_HEALTHY while the writer is alive (some sign of
 * life within stall_s seconds) and the last write it tried committed;
 * else DB_FAILING or DB_STALLED with the cause in cause ("the store
 * cannot commit: disk I/O error", "the database writer has made no
 * progress for 30 s"). While failing, the writer tries a small write
 * every second to notice the store's recovery. */
enum db_writer_state { DB_HEALTHY, DB_FAILING, DB_STALLED };
enum db_writer_state db_writer_health(struct db *db, int stall_s,
    char *cause, size_t len);
/* Writer statistics for /metrics. */
struct db_stats {
	uint64_t commits, jobs, commit_us_total;
	uint64_t commit_failures;	/* batches the store failed */
	uint64_t queue_depth;
};
void db_stats(struct db *db, struct db_stats *out);

/* Copies the live database to path (online, consistent) with SQLite's
 * backup API. 0, or -1 with a message in err. */
int db_backup(struct db *db, const char *path, char *err, size_t errlen);

#endif
