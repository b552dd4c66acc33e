/* Internals shared by the files of src/db: connections and statements. */
#ifndef DB_INTERNAL_H
#define DB_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>

#include "db/db.h"

#define DB_STMT_SLOTS 256

/* One SQLite connection with its prepared statements, keyed by the address
 * of their SQL text (each text is a static string next to its function). */
struct db_conn {
	sqlite3 *h;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} slots[DB_STMT_SLOTS];
};

#define DB_AFTER_MAX 64

struct db_tx {
	struct db_conn *c;
	struct db *db;
	struct {
		void (*fn)(void *);
		void *arg;
	} after[DB_AFTER_MAX];
	int nafter;
};

/* Opens a connection with our pragmas; NULL with err filled. */
struct db_conn *db_conn_open(const char *path, int readonly, char *err,
    size_t errlen);
void db_conn_close(struct db_conn *c);
/* The prepared statement for sql (static text), reset and unbound; NULL
 * on a prepare error (reported). */
sqlite3_stmt *db_stmt(struct db_conn *c, const char *sql);
/* Resets every statement of c left on a row: one left mid-step would pin
 * an old snapshot (readers) or hold up a commit (the writer). */
void db_conn_settle(struct db_conn *c);
/* Reports the connection's last error through the hook, with context. */
void db_report(struct db_conn *c, const char *what);
/* Reports what a row holds that the backend cannot read (a state name it
 * does not know) through the hook. */
void db_complain(const char *what);
/* Runs sql (no results) once; 0, or DB_ERR (reported). */
int db_exec(struct db_conn *c, const char *sql);

/* Reader pool: a connection for one read, returned with db_rd_put. */
struct db_conn *db_rd_get(struct db *db);
void db_rd_put(struct db *db, struct db_conn *c);

/* Steps a statement expected to change rows; maps constraint failures to
 * DB_CONFLICT. Resets it. */
int db_step_done(struct db_conn *c, sqlite3_stmt *st, const char *what);
/* The same for a compare-and-set update (its WHERE names the values it
 * expects): DB_CONFLICT when it changed no row. */
int db_step_cas(struct db_conn *c, sqlite3_stmt *st, const char *what);
/* Steps st once: DB_OK on a row (the caller reads it; the next db_stmt
 * or db_rd_put resets st), DB_NOTFOUND at the end, DB_ERR reported with
 * what. */
int db_row(struct db_conn *c, sqlite3_stmt *st, const char *what);
/* Calls fn(st, arg) on each row, then resets st. DB_OK, the first nonzero
 * return of fn, or DB_ERR reported with what. */
int db_rows(struct db_conn *c, sqlite3_stmt *st, const char *what,
    int (*fn)(sqlite3_stmt *st, void *arg), void *arg);
/* Binds text that may be NULL. */
int db_bind_text(sqlite3_stmt *st, int i, const char *s);
/* A copy of column i as text ("" for NULL) into buf; -1 if it does not
 * fit. */
int db_col_text(sqlite3_stmt *st, int i, char *buf, size_t size);

#endif
