/* The store: SQLite in WAL mode, or PostgreSQL through libpq (chosen by
 * db_open's where), behind one writer thread (grouped commits) and a pool
 * of reader connections. No SQL lives outside src/db; the rest
 * of the daemon calls the domain functions declared in src/db/ *.h.
 *
 * The contract, which a second backend (PostgreSQL) must keep so that
 * src/core and src/api need no change:
 *
 * - Two kinds of call. Functions taking a struct db * are reads: any
 *   thread (HTTP workers, the I/O thread), each on a connection of the
 *   reader pool, seeing one committed snapshot for the call. Functions
 *   taking a struct db_tx * (the _tx variants and the write jobs) run
 *   only inside a write job, on the writer thread, and see the job's own
 *   uncommitted changes.
 * - Jobs. db_submit and db_write queue a job (db_write_fn); the writer
 *   runs queued jobs in order, several in one transaction (a grouped
 *   commit), each under its own savepoint: a job that returns nonzero is
 *   rolled back alone and the others commit. A job must not block (no
 *   network, no waiting on another thread) and must not call a read
 *   function (struct db *): it reads through its tx.
 * - After the commit. A job's done callback (db_submit) runs on the
 *   writer thread once the batch holding it is durable, with the job's
 *   rc, or DB_ERR when the commit failed (then nothing of the batch is
 *   stored); db_write returns the same. Only then may a caller
 *   acknowledge a write. db_tx_after hooks (cache invalidations) run after
 *   a successful commit only. Jobs queued before a db_write have run when
 *   it returns.
 * - Rows come typed: the states of campaigns, members, direct offers and
 *   DDI actions are enums (rollout/rollout.h, rollout/ddi.h; stored as
 *   their names, and a row whose stored name is unknown is refused with
 *   DB_ERR and logged, never guessed), stage lists and policies are
 *   structs (db/campaigns.h, db/settings.c), times are seconds since the
 *   epoch, 0 for none.
 * - Updates are compare-and-set. db_member_update, db_offer_update and
 *   db_campaign_update name the state (and attempts, release or stage)
 *   their caller read and return DB_CONFLICT, changing nothing, when the
 *   row no longer has it: two writers (two daemons on one PostgreSQL, or
 *   a job racing an operator) can never lose an update. The callers react
 *   (src/core): a member step reads the row again and decides again; a
 *   first offer is not granted (the device's next poll decides); a device
 *   or operator report on a changed offer or campaign answers 409; a gate
 *   verdict on a changed campaign is not stored and the next run decides.
 *   With SQLite's one writer a conflict only follows a bug; a backend
 *   with several writers must run each job at least at READ COMMITTED
 *   with these WHERE clauses (or SERIALIZABLE, retrying on its own
 *   serialization failures as DB_CONFLICT).
 * - Errors: DB_ERR is already reported through the error hook; callers
 *   map db_rc to HTTP statuses (src/api) and never see the backend's
 *   own codes. Migrations are the backend's (sql/NNN_*.sql for SQLite).
 * - One SQL for both. The domain files (src/db but conn.c and db.c) reach
 *   the backend only through db/internal.h's statement layer, with SQL
 *   both SQLite and PostgreSQL read alike: $N placeholders, ON CONFLICT
 *   for upserts, RETURNING id, no engine functions, booleans as integers
 *   (docs/hacking.md, "Writing SQL for both backends"). */
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

/* 1 if where names a PostgreSQL database (a postgresql:// or
 * postgres:// URL, libpq's syntax), 0 for a SQLite file path. */
int db_is_pg(const char *where);

/* Opens the database at where: a SQLite file (created if needed) or a
 * PostgreSQL URL (the database must exist); applies the compiled-in
 * migrations of that backend (PostgreSQL: under an advisory lock, so
 * daemons starting together migrate once), and starts the writer thread.
 * 'readers' reader connections are opened for the pool. Returns NULL
 * with a message in err, which never holds the URL's password (a
 * database from a newer schema is refused). Free with db_close. */
struct db *db_open(const char *where, int readers, char *err,
    size_t errlen);
/* Where the store is, as it may be logged: the file path, or the URL
 * without its password. Valid until db_close. */
const char *db_where(struct db *db);
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

/* The hook that hears, on the writer thread after each batch (before its
 * jobs' done callbacks, committed or not), the ids of the devices whose
 * token lookup (db_device_by_token's row: device, token, version, hw
 * class, direct offer) the batch changed: n of them, or n = -1 for "any
 * device". The in-memory token cache (core/devcache) forgets them. One
 * hook per store; NULL for none. */
void db_on_device_change(struct db *db, void (*fn)(void *arg,
    const int64_t *ids, long n), void *arg);

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
/* How many times the store has started failing since it was opened, and
 * the cause of the last failure: a watcher that samples db_writer_health
 * now and then still sees a failure that began and ended in between. */
unsigned db_writer_failures(struct db *db, char *last, size_t len);
/* Writer statistics for /metrics. */
struct db_stats {
	uint64_t commits, jobs, commit_us_total;
	uint64_t commit_failures;	/* batches the store failed */
	uint64_t queue_depth;
};
void db_stats(struct db *db, struct db_stats *out);

/* Copies the live database to path (online, consistent) with SQLite's
 * backup API, into a new file of mode 0600 (an existing path is refused).
 * 0, or -1 with a message in err; refused on PostgreSQL (the message
 * names pg_dump and pg_restore). (db/backup.c) */
int db_backup(struct db *db, const char *path, char *err, size_t errlen);
/* Replaces the database at path (no daemon may have it open: the caller
 * holds the data dir's lock) with the backup from: copied to a temporary
 * file next to path, checked (SQLite's integrity check, then opened as
 * the daemon would: an older schema is migrated, a newer one or another
 * build's history is refused), and only then renamed over path. The
 * database it replaces is kept as path.before-restore-TIME, named in
 * kept ("" when there was none). Nothing changes on failure. 0, or -1
 * with a message in err; refused when path is a PostgreSQL URL (the
 * message names pg_restore). */
int db_restore(const char *from, const char *path, char *kept,
    size_t keptlen, char *err, size_t errlen);

#endif
