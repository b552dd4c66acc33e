/* The PostgreSQL side of db/internal.h's connections and statements.
 * conn.c dispatches a PostgreSQL connection's statement calls here and
 * db.c asks it for what the writer needs; only conn_pg.c includes
 * <libpq-fe.h> (scripts/checksrc), so these types stay opaque. */
#ifndef DB_PG_H
#define DB_PG_H

#include <stddef.h>
#include <stdint.h>

/* A libpq connection with its prepared statements' names. */
struct db_pgc;
/* One prepared statement: its name, bound parameters, the result in hand. */
struct db_pgs;

/* 1 if where names a PostgreSQL database (postgresql:// or postgres://). */
int db_pg_is_url(const char *where);
/* where without its password (user:PASS@ and password=...), for logs. */
void db_pg_redact(const char *where, char *out, size_t len);

/* Connects (readonly: a reader, whose calls each run in a REPEATABLE READ
 * READ ONLY transaction); NULL with err filled (the URL redacted). */
struct db_pgc *db_pg_open(const char *url, int readonly, char *err,
    size_t errlen);
void db_pg_close(struct db_pgc *c);
/* A broken connection (the server restarted, the network went) is
 * reconnected: 0 if it is usable (again), -1 if not. Statements prepare
 * again on their next step. */
int db_pg_check(struct db_pgc *c);
/* Runs sql (no parameters; several statements allowed); 0 or -1. */
int db_pg_exec(struct db_pgc *c, const char *sql);
/* Waits up to timeout_ms for a notification of a channel c LISTENs to:
 * 1 with its payload in what, 0 when none came, -1 when the connection
 * is lost (db_pg_check reconnects; the LISTEN is then gone). */
int db_pg_wait_notify(struct db_pgc *c, int timeout_ms, char *what,
    size_t len);
/* Sends sql without waiting for its end: the next command on c takes
 * (and drops) its result first, as libpq does for every command. For a
 * reader's ROLLBACK, whose outcome nobody needs. */
void db_pg_send(struct db_pgc *c, const char *sql);
/* 1 inside a transaction block (also a failed one), else 0. */
int db_pg_in_tx(struct db_pgc *c);
/* 1 if the transaction block has failed (an error, not yet rolled back
 * to a savepoint): it takes no statement until then. */
int db_pg_tx_failed(struct db_pgc *c);
/* The last error's text and SQLSTATE ("" when none). */
const char *db_pg_errmsg(struct db_pgc *c);
const char *db_pg_sqlstate(struct db_pgc *c);
/* 1 if the last error is the store's own (connection, server, resources,
 * read-only), not one of a statement's own making (a constraint, a type). */
int db_pg_store_error(struct db_pgc *c);
/* Rows changed by the last INSERT/UPDATE/DELETE; all rows changed since
 * the connection opened. */
int64_t db_pg_changes(struct db_pgc *c);
int64_t db_pg_total_changes(struct db_pgc *c);

/* A statement for sql (prepared now: NULL on an error, kept in c's last
 * error). Freed with db_pg_st_free. */
struct db_pgs *db_pg_st_new(struct db_pgc *c, const char *sql);
void db_pg_st_free(struct db_pgs *st);
/* Drops the result in hand (the bindings stay), or the bindings too. */
void db_pg_st_reset(struct db_pgs *st);
void db_pg_st_clear(struct db_pgs *st);
/* Binders and readers as db/internal.h's (i: $i, or the column from 0). */
int db_pg_bind_text(struct db_pgs *st, int i, const char *s);
int db_pg_bind_i64(struct db_pgs *st, int i, int64_t v);
int db_pg_bind_double(struct db_pgs *st, int i, double v);
int db_pg_bind_blob(struct db_pgs *st, int i, const void *p, size_t n);
/* DB_STEP_ROW, DB_STEP_DONE, DB_CONFLICT (class 23) or DB_ERR; the
 * first step runs the statement, later ones walk its rows. */
int db_pg_step(struct db_pgs *st);
/* 1 if the statement holds a result (stepped and not reset). */
int db_pg_st_busy(struct db_pgs *st);
int64_t db_pg_col_i64(struct db_pgs *st, int i);
double db_pg_col_double(struct db_pgs *st, int i);
int db_pg_col_null(struct db_pgs *st, int i);
const char *db_pg_col_str(struct db_pgs *st, int i);
const void *db_pg_col_blob(struct db_pgs *st, int i);
size_t db_pg_col_bytes(struct db_pgs *st, int i);

#endif
