/* SQLite connections: pragmas, the prepared-statement cache, and the
 * statement layer of db/internal.h over them; a PostgreSQL connection's
 * calls go to conn_pg.c (one test of c->pg or st->pg per call, so
 * SQLite's path costs a predictable branch). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/sqlite.h"

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
	if (c != NULL && c->pg != NULL) {
		snprintf(msg, sizeof(msg), "postgresql: %s: %s (%s)", what,
		    db_pg_errmsg(c->pg), db_pg_sqlstate(c->pg));
		error_hook(msg);
		return;
	}
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

	if (c->pg != NULL) {
		if (db_pg_exec(c->pg, sql) == 0)
			return DB_OK;
		db_report(c, sql);
		return DB_ERR;
	}
	if (sqlite3_exec(c->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		db_report(c, sql);
		sqlite3_free(msg);
		return DB_ERR;
	}
	return DB_OK;
}

int
db_exec_fixed(struct db_conn *c, const char *sql)
{
	struct db_st *st;

	if (c->pg != NULL)
		return db_exec(c, sql);
	if ((st = db_stmt(c, sql)) == NULL)
		return DB_ERR;
	return db_step_done(c, st, sql) == DB_OK ? DB_OK : DB_ERR;
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
	if (db_pg_is_url(path)) {
		if ((c->pg = db_pg_open(path, readonly, err, errlen)) == NULL)
			goto fail;
		return c;
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
	for (size_t i = 0; i < DB_STMT_SLOTS; i++) {
		sqlite3_finalize(c->slots[i].st.h);
		db_pg_st_free(c->slots[i].st.pg);
	}
	sqlite3_close(c->h);
	db_pg_close(c->pg);
	free(c);
}

int64_t
db_changes(struct db_conn *c)
{
	if (c->pg != NULL)
		return db_pg_changes(c->pg);
	return sqlite3_changes64(c->h);
}

int
db_conn_is_pg(const struct db_conn *c)
{
	return c->pg != NULL;
}

const char *
db_errmsg(struct db_conn *c)
{
	return c->pg != NULL ? db_pg_errmsg(c->pg) : sqlite3_errmsg(c->h);
}

int
db_in_tx(struct db_conn *c)
{
	return c->pg != NULL ? db_pg_in_tx(c->pg) :
	    !sqlite3_get_autocommit(c->h);
}

int64_t
db_total_changes(struct db_conn *c)
{
	return c->pg != NULL ? db_pg_total_changes(c->pg) :
	    sqlite3_total_changes64(c->h);
}

int
db_conn_check(struct db_conn *c)
{
	return c->pg != NULL ? db_pg_check(c->pg) : 0;
}

int
db_conn_wait_notify(struct db_conn *c, int timeout_ms, char *what,
    size_t len)
{
	return c->pg != NULL ? db_pg_wait_notify(c->pg, timeout_ms, what,
	    len) : -1;
}

int
db_store_error(struct db_conn *c)
{
	int e;

	if (c->pg != NULL)
		return db_pg_store_error(c->pg);
	e = sqlite3_extended_errcode(c->h) & 0xff;
	return e == SQLITE_READONLY || e == SQLITE_IOERR || e == SQLITE_FULL ||
	    e == SQLITE_CANTOPEN || e == SQLITE_CORRUPT || e == SQLITE_NOTADB ||
	    e == SQLITE_BUSY || e == SQLITE_LOCKED || e == SQLITE_PERM ||
	    e == SQLITE_NOMEM || e == SQLITE_PROTOCOL;
}

/* Fills st->idx from the parameter names: each must be $N, 1 <= N <=
 * DB_ST_PARAMS (no ?, ?N, :name or @name: the other backend numbers $N
 * only). 0, or -1 (reported). */
static int
map_params(struct db_conn *c, struct db_st *st, const char *sql)
{
	int n = sqlite3_bind_parameter_count(st->h);
	char msg[512];

	memset(st->idx, 0, sizeof(st->idx));
	for (int k = 1; k <= n; k++) {
		const char *name = sqlite3_bind_parameter_name(st->h, k);
		long v = 0;
		const char *p;

		if (name != NULL && name[0] == '$' && name[1] >= '1' &&
		    name[1] <= '9') {
			for (p = name + 1; *p >= '0' && *p <= '9' && v <= 99; p++)
				v = v * 10 + (*p - '0');
			if (*p == '\0' && v <= DB_ST_PARAMS) {
				st->idx[v] = (unsigned char)k;
				continue;
			}
		}
		snprintf(msg, sizeof(msg), "sqlite: placeholder %s is not "
		    "$1..$%d: %s", name != NULL ? name : "?", DB_ST_PARAMS, sql);
		db_complain(msg);
		(void)c;
		return -1;
	}
	return 0;
}

struct db_st *
db_stmt(struct db_conn *c, const char *sql)
{
	/* Open addressing on the text's address: each SQL text is a static
	 * string, so its address names it. */
	size_t i = ((uintptr_t)sql >> 3) % DB_STMT_SLOTS;

	for (size_t n = 0; n < DB_STMT_SLOTS; n++, i = (i + 1) % DB_STMT_SLOTS) {
		struct db_st *st = &c->slots[i].st;

		if (c->slots[i].sql == sql) {
			if (st->pg != NULL) {
				db_pg_st_clear(st->pg);
				return st;
			}
			sqlite3_reset(st->h);
			sqlite3_clear_bindings(st->h);
			return st;
		}
		if (c->slots[i].sql == NULL && c->pg != NULL) {
			if ((st->pg = db_pg_st_new(c->pg, sql)) == NULL) {
				db_report(c, sql);
				return NULL;
			}
			st->c = c;
			c->slots[i].sql = sql;
			return st;
		}
		if (c->slots[i].sql == NULL) {
			if (sqlite3_prepare_v3(c->h, sql, -1,
			    SQLITE_PREPARE_PERSISTENT, &st->h, NULL) !=
			    SQLITE_OK) {
				db_report(c, sql);
				sqlite3_finalize(st->h);
				st->h = NULL;
				return NULL;
			}
			if (map_params(c, st, sql) != 0) {
				sqlite3_finalize(st->h);
				st->h = NULL;
				return NULL;
			}
			st->c = c;
			c->slots[i].sql = sql;
			return st;
		}
	}
	db_report(c, "statement cache full");
	return NULL;
}

/* The SQLite index of $i, or 0 (then every bind fails with SQLITE_RANGE
 * and returns -1). */
static int
pidx(struct db_st *st, int i)
{
	return i >= 1 && i <= DB_ST_PARAMS ? st->idx[i] : 0;
}

static int
bound(int rc)
{
	return rc == SQLITE_OK ? 0 : -1;
}

int
db_bind_i64(struct db_st *st, int i, int64_t v)
{
	if (st->pg != NULL)
		return db_pg_bind_i64(st->pg, i, v);
	return bound(sqlite3_bind_int64(st->h, pidx(st, i), v));
}

int
db_bind_int(struct db_st *st, int i, int v)
{
	if (st->pg != NULL)
		return db_pg_bind_i64(st->pg, i, v);
	return bound(sqlite3_bind_int(st->h, pidx(st, i), v));
}

int
db_bind_double(struct db_st *st, int i, double v)
{
	if (st->pg != NULL)
		return db_pg_bind_double(st->pg, i, v);
	return bound(sqlite3_bind_double(st->h, pidx(st, i), v));
}

int
db_bind_text(struct db_st *st, int i, const char *s)
{
	if (st->pg != NULL)
		return db_pg_bind_text(st->pg, i, s);
	if (s == NULL)
		return bound(sqlite3_bind_null(st->h, pidx(st, i)));
	return bound(sqlite3_bind_text(st->h, pidx(st, i), s, -1,
	    SQLITE_STATIC));
}

int
db_bind_blob(struct db_st *st, int i, const void *p, size_t n)
{
	if (st->pg != NULL)
		return db_pg_bind_blob(st->pg, i, p, n);
	if (n > INT32_MAX)
		return -1;
	return bound(sqlite3_bind_blob(st->h, pidx(st, i), p, (int)n,
	    SQLITE_STATIC));
}

int
db_bind_null(struct db_st *st, int i)
{
	if (st->pg != NULL)
		return db_pg_bind_text(st->pg, i, NULL);
	return bound(sqlite3_bind_null(st->h, pidx(st, i)));
}

int
db_step(struct db_st *st)
{
	int rc;

	if (st->pg != NULL)
		return db_pg_step(st->pg);
	rc = sqlite3_step(st->h);

	if (rc == SQLITE_ROW)
		return DB_STEP_ROW;
	if (rc == SQLITE_DONE)
		return DB_STEP_DONE;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return DB_CONFLICT;
	return DB_ERR;
}

void
db_st_reset(struct db_st *st)
{
	if (st->pg != NULL) {
		db_pg_st_reset(st->pg);
		return;
	}
	sqlite3_reset(st->h);
}

int
db_step_done(struct db_conn *c, struct db_st *st, const char *what)
{
	int rc;

	if (st->pg != NULL) {
		rc = db_pg_step(st->pg);
		db_pg_st_reset(st->pg);
		if (rc == DB_ERR)
			db_report(c, what);
		return rc == DB_STEP_DONE || rc == DB_STEP_ROW ? DB_OK : rc;
	}
	rc = sqlite3_step(st->h);

	sqlite3_reset(st->h);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return DB_OK;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return DB_CONFLICT;
	db_report(c, what);
	return DB_ERR;
}

int
db_prune(struct db_tx *tx, const char *sql, int batch, int64_t before,
    const char *what, int64_t *deleted)
{
	struct db_st *st = db_stmt(tx->c, sql);
	int rc;

	*deleted = 0;
	if (st == NULL)
		return DB_ERR;
	db_bind_int(st, 1, batch);
	db_bind_i64(st, 2, before);
	if ((rc = db_step_done(tx->c, st, what)) == DB_OK)
		*deleted = db_changes(tx->c);
	return rc;
}

int
db_step_cas(struct db_conn *c, struct db_st *st, const char *what)
{
	int rc = db_step_done(c, st, what);

	return rc == DB_OK && db_changes(c) == 0 ? DB_CONFLICT : rc;
}

void
db_conn_settle(struct db_conn *c)
{
	sqlite3_stmt *st = NULL;

	if (c->pg != NULL) {
		for (size_t i = 0; i < DB_STMT_SLOTS; i++)
			if (c->slots[i].st.pg != NULL)
				db_pg_st_reset(c->slots[i].st.pg);
		return;
	}
	while ((st = sqlite3_next_stmt(c->h, st)) != NULL)
		if (sqlite3_stmt_busy(st))
			sqlite3_reset(st);
}

int
db_row(struct db_conn *c, struct db_st *st, const char *what)
{
	int s;

	if (st->pg != NULL) {
		s = db_pg_step(st->pg);
		if (s == DB_STEP_ROW)
			return DB_OK;
		db_pg_st_reset(st->pg);
		if (s == DB_STEP_DONE)
			return DB_NOTFOUND;
		db_report(c, what);
		return DB_ERR;
	}
	s = sqlite3_step(st->h);

	if (s == SQLITE_ROW)
		return DB_OK;
	sqlite3_reset(st->h);
	if (s == SQLITE_DONE)
		return DB_NOTFOUND;
	db_report(c, what);
	return DB_ERR;
}

int
db_step_id(struct db_conn *c, struct db_st *st, const char *what,
    int64_t *id)
{
	int s;

	if (st->pg != NULL) {
		/* The server made every change before the first row came. */
		s = db_pg_step(st->pg);
		if (s == DB_STEP_ROW)
			*id = db_pg_col_i64(st->pg, 0);
		db_pg_st_reset(st->pg);
		if (s == DB_ERR)
			db_report(c, what);
		return s == DB_STEP_ROW ? DB_OK : s == DB_STEP_DONE ?
		    DB_NOTFOUND : s;
	}
	s = sqlite3_step(st->h);

	if (s == SQLITE_ROW) {
		*id = sqlite3_column_int64(st->h, 0);
		/* RETURNING made every change at the first step; the rest
		 * only hands out the rows already computed. */
		while ((s = sqlite3_step(st->h)) == SQLITE_ROW)
			;
		if (s == SQLITE_DONE)
			s = SQLITE_ROW;
	}
	if (s != SQLITE_ROW && s != SQLITE_DONE &&
	    (s & 0xff) != SQLITE_CONSTRAINT)
		db_report(c, what);
	sqlite3_reset(st->h);
	if (s == SQLITE_ROW)
		return DB_OK;
	if (s == SQLITE_DONE)
		return DB_NOTFOUND;
	return (s & 0xff) == SQLITE_CONSTRAINT ? DB_CONFLICT : DB_ERR;
}

int
db_rows(struct db_conn *c, struct db_st *st, const char *what,
    int (*fn)(struct db_st *st, void *arg), void *arg)
{
	int s = SQLITE_DONE, rc = DB_OK;

	if (st->pg != NULL) {
		while (rc == DB_OK && (s = db_pg_step(st->pg)) == DB_STEP_ROW)
			rc = fn(st, arg);
		db_pg_st_reset(st->pg);
		if (rc != DB_OK)
			return rc;
		if (s != DB_STEP_DONE) {
			db_report(c, what);
			return DB_ERR;
		}
		return DB_OK;
	}
	while (rc == DB_OK && (s = sqlite3_step(st->h)) == SQLITE_ROW)
		rc = fn(st, arg);
	sqlite3_reset(st->h);
	if (rc != DB_OK)
		return rc;
	if (s != SQLITE_DONE) {
		db_report(c, what);
		return DB_ERR;
	}
	return DB_OK;
}

int64_t
db_col_i64(struct db_st *st, int i)
{
	if (st->pg != NULL)
		return db_pg_col_i64(st->pg, i);
	return sqlite3_column_int64(st->h, i);
}

int
db_col_int(struct db_st *st, int i)
{
	if (st->pg != NULL)
		return (int)db_pg_col_i64(st->pg, i);
	return sqlite3_column_int(st->h, i);
}

double
db_col_double(struct db_st *st, int i)
{
	if (st->pg != NULL)
		return db_pg_col_double(st->pg, i);
	return sqlite3_column_double(st->h, i);
}

int
db_col_null(struct db_st *st, int i)
{
	if (st->pg != NULL)
		return db_pg_col_null(st->pg, i);
	return sqlite3_column_type(st->h, i) == SQLITE_NULL;
}

const char *
db_col_str(struct db_st *st, int i)
{
	if (st->pg != NULL)
		return db_pg_col_str(st->pg, i);
	return (const char *)sqlite3_column_text(st->h, i);
}

const void *
db_col_blob(struct db_st *st, int i)
{
	if (st->pg != NULL)
		return db_pg_col_blob(st->pg, i);
	return sqlite3_column_blob(st->h, i);
}

size_t
db_col_bytes(struct db_st *st, int i)
{
	int n;

	if (st->pg != NULL)
		return db_pg_col_bytes(st->pg, i);
	n = sqlite3_column_bytes(st->h, i);

	return n > 0 ? (size_t)n : 0;
}

int
db_col_text(struct db_st *st, int i, char *buf, size_t size)
{
	const unsigned char *s;
	size_t n;

	if (st->pg != NULL) {
		s = (const unsigned char *)db_pg_col_str(st->pg, i);
		n = s ? strlen((const char *)s) : 0;
	} else {
		s = sqlite3_column_text(st->h, i);
		n = s ? (size_t)sqlite3_column_bytes(st->h, i) : 0;
	}

	if (n >= size) {
		if (size > 0)
			buf[0] = '\0';
		return -1;
	}
	if (n > 0)
		memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}
