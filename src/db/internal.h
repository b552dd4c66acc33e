/* Internals shared by the files of src/db: connections and statements.
 *
 * The domain files (everything in src/db but conn.c and db.c) see the
 * backend only through this header: an opaque connection, an opaque
 * prepared statement with binders, a step and column readers. conn.c
 * implements it for SQLite; a second backend implements the same calls,
 * and the domain files' SQL is written in the dialect both accept
 * (docs/hacking.md, "Writing SQL for both backends"). */
#ifndef DB_INTERNAL_H
#define DB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

/* One connection of the backend with its prepared statements. */
struct db_conn;
/* A prepared statement of a connection: placeholders $1, $2, ... (bound
 * by their number, in any order, each number any number of times). */
struct db_st;

#define DB_AFTER_MAX 64

struct db_tx {
	struct db_conn *c;
	struct db *db;
	int sp;			/* the writer's: a job's savepoint is open */
	int jobs;		/* jobs run in the transaction so far */
	int broken;		/* no transaction: a BEGIN again failed */
	struct {
		void (*fn)(void *);
		void *arg;
	} after[DB_AFTER_MAX];
	int nafter;
	/* Devices whose token lookup row this batch changed
	 * (db_tx_device_changed), for the store's device hook after it;
	 * dev_all: too many to list, or "every device". */
	int64_t *dev;
	size_t ndev, capdev;
	int dev_all;
	int dev_told;		/* of them, messages sent to other daemons */
};

/* Opens a connection with our pragmas; NULL with err filled. */
struct db_conn *db_conn_open(const char *path, int readonly, char *err,
    size_t errlen);
void db_conn_close(struct db_conn *c);
/* The prepared statement for sql (static text: its address names it in
 * the connection's cache), reset and unbound; NULL on a prepare error
 * (reported), a placeholder other than $N, or a full cache. */
struct db_st *db_stmt(struct db_conn *c, const char *sql);
/* Resets every statement of c left on a row: one left mid-step would pin
 * an old snapshot (readers) or hold up a commit (the writer). */
void db_conn_settle(struct db_conn *c);
/* Reports the connection's last error through the hook, with context. */
void db_report(struct db_conn *c, const char *what);
/* Reports what a row holds that the backend cannot read (a state name it
 * does not know) through the hook. */
void db_complain(const char *what);
/* Runs sql (no results, no parameters) once; 0, or DB_ERR (reported). */
int db_exec(struct db_conn *c, const char *sql);
/* The same for one statement whose text is a static string (SAVEPOINT,
 * RELEASE, COMMIT): on SQLite prepared once per connection, as the
 * writer runs them for every job, rather than parsed each time. */
int db_exec_fixed(struct db_conn *c, const char *sql);
/* Rows changed by the last statement run on c that changed rows. */
int64_t db_changes(struct db_conn *c);

/* What db.c's writer and migrations ask of either backend. */
int db_conn_is_pg(const struct db_conn *c);
/* The connection's last error, as text. */
const char *db_errmsg(struct db_conn *c);
/* 1 if the last error is the store's own (I/O, a full or read-only disk,
 * a lock never granted, a lost connection), not a statement's. */
int db_store_error(struct db_conn *c);
/* 1 inside a transaction (a failed COMMIT may have ended it already). */
int db_in_tx(struct db_conn *c);
/* Rows changed on c since it opened. */
int64_t db_total_changes(struct db_conn *c);
/* Reconnects a broken PostgreSQL connection (nothing on SQLite): 0 if c
 * is usable, -1 if not (the cause in db_errmsg). */
int db_conn_check(struct db_conn *c);
/* On a PostgreSQL connection that LISTENs: waits up to timeout_ms for a
 * notification, 1 with its payload in what, 0 when none came, -1 when
 * the connection is lost (db_conn_check reconnects, without the LISTEN).
 * -1 at once on SQLite. */
int db_conn_wait_notify(struct db_conn *c, int timeout_ms, char *what,
    size_t len);

/* Reader pool: a connection for one read, returned with db_rd_put. */
struct db_conn *db_rd_get(struct db *db);
void db_rd_put(struct db *db, struct db_conn *c);

/* Binders: i is the placeholder's number ($i); 0, or -1 when st has no
 * $i. Text and blobs are not copied: they must live until the statement
 * is stepped to its end or reset. */
int db_bind_i64(struct db_st *st, int i, int64_t v);
int db_bind_int(struct db_st *st, int i, int v);
int db_bind_double(struct db_st *st, int i, double v);
/* Binds text that may be NULL (then NULL). */
int db_bind_text(struct db_st *st, int i, const char *s);
int db_bind_blob(struct db_st *st, int i, const void *p, size_t n);
int db_bind_null(struct db_st *st, int i);

/* What db_step returns besides DB_CONFLICT (a constraint failed) and
 * DB_ERR (not reported: the caller reports with db_report). */
#define DB_STEP_DONE 0
#define DB_STEP_ROW 1
/* Steps st once. */
int db_step(struct db_st *st);
/* Resets st (done with its rows; bindings kept). */
void db_st_reset(struct db_st *st);

/* Steps a statement expected to change rows; maps constraint failures to
 * DB_CONFLICT. Resets it. */
int db_step_done(struct db_conn *c, struct db_st *st, const char *what);
/* A retention step in a write job: sql (static text) deletes at most $1
 * rows older than the cutoff $2; *deleted says how many went. */
int db_prune(struct db_tx *tx, const char *sql, int batch, int64_t before,
    const char *what, int64_t *deleted);
/* The same for a compare-and-set update (its WHERE names the values it
 * expects): DB_CONFLICT when it changed no row. */
int db_step_cas(struct db_conn *c, struct db_st *st, const char *what);
/* Steps st once: DB_OK on a row (the caller reads it; the next db_stmt
 * or db_rd_put resets st), DB_NOTFOUND at the end, DB_ERR reported with
 * what (a constraint failure too). */
int db_row(struct db_conn *c, struct db_st *st, const char *what);
/* Runs an INSERT ... RETURNING id (or any statement returning one integer
 * in its first row) to its end: DB_OK with *id, DB_NOTFOUND when it
 * returned no row (ON CONFLICT DO NOTHING), DB_CONFLICT on a constraint
 * failure, DB_ERR reported with what. Resets st. */
int db_step_id(struct db_conn *c, struct db_st *st, const char *what,
    int64_t *id);
/* Calls fn(st, arg) on each row, then resets st. DB_OK, the first nonzero
 * return of fn, or DB_ERR reported with what. */
int db_rows(struct db_conn *c, struct db_st *st, const char *what,
    int (*fn)(struct db_st *st, void *arg), void *arg);

/* Column readers of the row st is on; i counts from 0. NULL reads as 0,
 * "" (db_col_text), NULL (db_col_str, db_col_blob) and 0 bytes. */
int64_t db_col_i64(struct db_st *st, int i);
int db_col_int(struct db_st *st, int i);
double db_col_double(struct db_st *st, int i);
int db_col_null(struct db_st *st, int i);
/* The column as text, valid until the next step or reset of st. */
const char *db_col_str(struct db_st *st, int i);
const void *db_col_blob(struct db_st *st, int i);
/* The size in bytes of a blob or text column (of a text column: after
 * db_col_str, which may convert a number to text). */
size_t db_col_bytes(struct db_st *st, int i);
/* A copy of column i as text ("" for NULL) into buf; -1 if it does not
 * fit (buf then holds ""). */
int db_col_text(struct db_st *st, int i, char *buf, size_t size);

#endif
