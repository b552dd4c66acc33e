/* SQLite connections: pragmas, the prepared-statement cache, helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

static void (*error_hook)(const char *msg);

void
db_set_error_hook(void (*hook)(const char *msg))
{
	error_hook = hook;
}

void
db_report(struct db_conn *c, const char *what)
{
	char msg[512];

	if (error_hook == NULL)
		return;
	snprintf(msg, sizeof(msg), "sqlite: %s: %s (%d)", what,
	    c != NULL && c->h != NULL ? sqlite3_errmsg(c->h) : "no connection",
	    c != NULL && c->h != NULL ? sqlite3_extended_errcode(c->h) : 0);
	error_hook(msg);
}

void
db_complain(const char *what)
{
	if (error_hook != NULL)
		error_hook(what);
}

int
db_exec(struct db_conn *c, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(c->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		db_report(c, sql);
		sqlite3_free(msg);
		return DB_ERR;
	}
	return DB_OK;
}

struct db_conn *
db_conn_open(const char *path, int readonly, char *err, size_t errlen)
{
	struct db_conn *c;
	int flags = SQLITE_OPEN_NOMUTEX | (readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &c->h, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    c->h ? sqlite3_errmsg(c->h) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(c->h, 1);
	sqlite3_busy_timeout(c->h, 10000);
	/* synchronous=FULL: an acknowledged write survives power loss, and
	 * grouped commits pay the fsync once per batch. */
	if (sqlite3_exec(c->h, readonly ?
	    "PRAGMA foreign_keys=ON; PRAGMA cache_size=-16000;" :
	    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "PRAGMA foreign_keys=ON; PRAGMA cache_size=-32000;",
	    NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(c->h));
		goto fail;
	}
	return c;
fail:
	db_conn_close(c);
	return NULL;
}

void
db_conn_close(struct db_conn *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < DB_STMT_SLOTS; i++)
		sqlite3_finalize(c->slots[i].st);
	sqlite3_close(c->h);
	free(c);
}

sqlite3_stmt *
db_stmt(struct db_conn *c, const char *sql)
{
	/* Open addressing on the text's address: each SQL text is a static
	 * string, so its address names it. */
	size_t i = ((uintptr_t)sql >> 3) % DB_STMT_SLOTS;

	for (size_t n = 0; n < DB_STMT_SLOTS; n++, i = (i + 1) % DB_STMT_SLOTS) {
		if (c->slots[i].sql == sql) {
			sqlite3_reset(c->slots[i].st);
			sqlite3_clear_bindings(c->slots[i].st);
			return c->slots[i].st;
		}
		if (c->slots[i].sql == NULL) {
			if (sqlite3_prepare_v3(c->h, sql, -1,
			    SQLITE_PREPARE_PERSISTENT, &c->slots[i].st,
			    NULL) != SQLITE_OK) {
				db_report(c, sql);
				return NULL;
			}
			c->slots[i].sql = sql;
			return c->slots[i].st;
		}
	}
	db_report(c, "statement cache full");
	return NULL;
}

int
db_step_done(struct db_conn *c, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return DB_OK;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return DB_CONFLICT;
	db_report(c, what);
	return DB_ERR;
}

int
db_step_cas(struct db_conn *c, sqlite3_stmt *st, const char *what)
{
	int rc = db_step_done(c, st, what);

	return rc == DB_OK && sqlite3_changes(c->h) == 0 ? DB_CONFLICT : rc;
}

void
db_conn_settle(struct db_conn *c)
{
	sqlite3_stmt *st = NULL;

	while ((st = sqlite3_next_stmt(c->h, st)) != NULL)
		if (sqlite3_stmt_busy(st))
			sqlite3_reset(st);
}

int
db_row(struct db_conn *c, sqlite3_stmt *st, const char *what)
{
	int s = sqlite3_step(st);

	if (s == SQLITE_ROW)
		return DB_OK;
	sqlite3_reset(st);
	if (s == SQLITE_DONE)
		return DB_NOTFOUND;
	db_report(c, what);
	return DB_ERR;
}

int
db_rows(struct db_conn *c, sqlite3_stmt *st, const char *what,
    int (*fn)(sqlite3_stmt *st, void *arg), void *arg)
{
	int s = SQLITE_DONE, rc = DB_OK;

	while (rc == DB_OK && (s = sqlite3_step(st)) == SQLITE_ROW)
		rc = fn(st, arg);
	sqlite3_reset(st);
	if (rc != DB_OK)
		return rc;
	if (s != SQLITE_DONE) {
		db_report(c, what);
		return DB_ERR;
	}
	return DB_OK;
}

int
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

int
db_col_text(sqlite3_stmt *st, int i, char *buf, size_t size)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	size_t n = s ? (size_t)sqlite3_column_bytes(st, i) : 0;

	if (n >= size)
		return -1;
	if (n > 0)
		memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}
