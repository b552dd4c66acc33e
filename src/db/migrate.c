/* otad migrate-to: copies a stopped SQLite store, table by table, into an
 * empty PostgreSQL database in one transaction. The tables and their
 * order come from the SQLite schema (its foreign keys), the columns and
 * their types from PostgreSQL's: the two schemas are kept alike by the
 * migrations (sql/ and sql/pg/), and a difference fails the copy. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "db/internal.h"
#include "db/migrate.h"
#include "db/pg.h"
#include "util/util.h"

#define MIG_TABLES 64
#define MIG_NAME 64
#define MIG_DEPS 8
#define MIG_SQL 4096
/* At most a statement's parameters (conn_pg.c's PG_PARAMS). */
#define MIG_COLS 32

struct mig_table {
	char name[MIG_NAME];
	char deps[MIG_DEPS][MIG_NAME];	/* the tables it references */
	int ndeps;
	int placed;
};

struct mig {
	sqlite3 *src;
	struct db_pgc *pg;
	struct mig_table t[MIG_TABLES];
	int nt;
	int order[MIG_TABLES];
	char *err;
	size_t errlen;
};

/* Names are pasted into SQL (neither backend binds an identifier): only
 * the lower-case names our migrations use are taken. */
static int
plain_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= MIG_NAME)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_'))
			return 0;
	return 1;
}

/* Appends s to buf (of len, used o); -1 when it does not fit. */
static int
add(char *buf, size_t len, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (*o + n >= len)
		return -1;
	memcpy(buf + *o, s, n + 1);
	*o += n;
	return 0;
}

static int
src_fail(struct mig *m, const char *what)
{
	snprintf(m->err, m->errlen, "%s: %s", what, sqlite3_errmsg(m->src));
	return -1;
}

static int
pg_fail(struct mig *m, const char *what)
{
	snprintf(m->err, m->errlen, "%s: %s", what, db_pg_errmsg(m->pg));
	return -1;
}

/* The tables a table's foreign keys name, into t. */
static int
load_deps(struct mig *m, struct mig_table *t)
{
	static const char sql[] = "SELECT DISTINCT \"table\" FROM "
	    "pragma_foreign_key_list(?1)";
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(m->src, sql, -1, &st, NULL) != SQLITE_OK)
		return src_fail(m, "reading the foreign keys");
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 0);

		if (d == NULL || strcmp(d, t->name) == 0)
			continue;
		if (t->ndeps == MIG_DEPS || !plain_name(d)) {
			snprintf(m->err, m->errlen, "table %s: unexpected "
			    "foreign key to %s", t->name, d);
			rc = -1;
		} else {
			snprintf(t->deps[t->ndeps++], MIG_NAME, "%s", d);
		}
	}
	sqlite3_finalize(st);
	return rc;
}

static int
find_table(const struct mig *m, const char *name)
{
	for (int i = 0; i < m->nt; i++)
		if (strcmp(m->t[i].name, name) == 0)
			return i;
	return -1;
}

/* 1 when every table t references is already in the order. */
static int
deps_placed(const struct mig *m, const struct mig_table *t)
{
	for (int i = 0; i < t->ndeps; i++) {
		int k = find_table(m, t->deps[i]);

		if (k < 0 || !m->t[k].placed)
			return 0;
	}
	return 1;
}

/* Orders the tables so each comes after those it references. */
static int
sort_tables(struct mig *m)
{
	for (int n = 0; n < m->nt; n++) {
		int pick = -1;

		for (int i = 0; i < m->nt && pick < 0; i++)
			if (!m->t[i].placed && deps_placed(m, &m->t[i]))
				pick = i;
		if (pick < 0) {
			snprintf(m->err, m->errlen, "the tables' foreign keys "
			    "have no order (a cycle, or a missing table)");
			return -1;
		}
		m->t[pick].placed = 1;
		m->order[n] = pick;
	}
	return 0;
}

/* The store's own tables: not SQLite's, not the migrations' record
 * (each backend keeps its own). */
static int
load_tables(struct mig *m)
{
	static const char sql[] = "SELECT name FROM sqlite_master WHERE "
	    "type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND "
	    "name <> 'schema_migrations' ORDER BY name";
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(m->src, sql, -1, &st, NULL) != SQLITE_OK)
		return src_fail(m, "reading the tables");
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		if (name == NULL || !plain_name(name) || m->nt == MIG_TABLES) {
			snprintf(m->err, m->errlen, "unexpected table %s",
			    name ? name : "?");
			rc = -1;
			break;
		}
		snprintf(m->t[m->nt++].name, MIG_NAME, "%s", name);
	}
	sqlite3_finalize(st);
	for (int i = 0; rc == 0 && i < m->nt; i++)
		rc = load_deps(m, &m->t[i]);
	return rc == 0 ? sort_tables(m) : -1;
}

/* Runs sql on the target (no parameters, no rows wanted). */
static int
pg_run(struct mig *m, const char *sql, const char *what)
{
	return db_pg_exec(m->pg, sql) == 0 ? 0 : pg_fail(m, what);
}

/* Runs sql on the target, answering one integer (0 when no row). */
static int
pg_int(struct mig *m, const char *sql, const char *arg, int64_t *out)
{
	struct db_pgs *st = db_pg_st_new(m->pg, sql);
	int rc;

	if (st == NULL)
		return pg_fail(m, sql);
	if (arg != NULL)
		db_pg_bind_text(st, 1, arg);
	*out = 0;
	rc = db_pg_step(st);
	if (rc == DB_STEP_ROW)
		*out = db_pg_col_i64(st, 0);
	db_pg_st_free(st);
	return rc == DB_STEP_ROW || rc == DB_STEP_DONE ? 0 : pg_fail(m, sql);
}

static int
src_int(struct mig *m, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(m->src, sql, -1, &st, NULL) != SQLITE_OK)
		return src_fail(m, sql);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : src_fail(m, sql);
}

/* Refuses a target holding any row, naming the first such table. */
static int
check_empty(struct mig *m)
{
	char sql[128];
	int64_t any;

	for (int i = 0; i < m->nt; i++) {
		const char *t = m->t[m->order[i]].name;

		util_fmt(sql, sizeof(sql), "SELECT 1 FROM %s LIMIT 1", t);
		if (pg_int(m, sql, NULL, &any) != 0)
			return -1;
		if (any) {
			snprintf(m->err, m->errlen, "the target database is "
			    "not empty: table %s has rows; migrate-to copies "
			    "into an empty database only", t);
			return -1;
		}
	}
	return 0;
}

/* The columns of table t in PostgreSQL, as the copy's statements. */
struct mig_cols {
	int n;
	int blob[MIG_COLS];
	char select[MIG_SQL], insert[MIG_SQL];
	char identity[MIG_COLS][MIG_NAME];
	int nidentity;
};

static int
load_cols(struct mig *m, const char *t, struct mig_cols *c)
{
	static const char sql[] = "SELECT column_name, data_type, is_identity "
	    "FROM information_schema.columns WHERE table_schema = "
	    "current_schema() AND table_name = $1 ORDER BY ordinal_position";
	struct db_pgs *st = db_pg_st_new(m->pg, sql);
	size_t os = 0, oi = 0, ov = 0;
	char vals[MIG_SQL] = "", num[16];
	int rc, bad = 0;

	if (st == NULL)
		return pg_fail(m, "reading the target's columns");
	db_pg_bind_text(st, 1, t);
	bad |= add(c->select, sizeof(c->select), &os, "SELECT ");
	bad |= add(c->insert, sizeof(c->insert), &oi, "INSERT INTO ");
	bad |= add(c->insert, sizeof(c->insert), &oi, t);
	bad |= add(c->insert, sizeof(c->insert), &oi, " (");
	while ((rc = db_pg_step(st)) == DB_STEP_ROW && !bad) {
		const char *col = db_pg_col_str(st, 0);
		const char *sep = c->n > 0 ? ", " : "";

		if (c->n == MIG_COLS || !plain_name(col)) {
			bad = 1;
			break;
		}
		c->blob[c->n] = strcmp(db_pg_col_str(st, 1), "bytea") == 0;
		if (strcmp(db_pg_col_str(st, 2), "YES") == 0)
			snprintf(c->identity[c->nidentity++], MIG_NAME, "%s",
			    col);
		snprintf(num, sizeof(num), "%s$%d", sep, ++c->n);
		bad |= add(c->select, sizeof(c->select), &os, sep);
		bad |= add(c->select, sizeof(c->select), &os, col);
		bad |= add(c->insert, sizeof(c->insert), &oi, sep);
		bad |= add(c->insert, sizeof(c->insert), &oi, col);
		bad |= add(vals, sizeof(vals), &ov, num);
	}
	db_pg_st_free(st);
	if (rc != DB_STEP_ROW && rc != DB_STEP_DONE)
		return pg_fail(m, "reading the target's columns");
	bad |= add(c->select, sizeof(c->select), &os, " FROM ");
	bad |= add(c->select, sizeof(c->select), &os, t);
	bad |= add(c->insert, sizeof(c->insert), &oi, ") VALUES (");
	bad |= add(c->insert, sizeof(c->insert), &oi, vals);
	bad |= add(c->insert, sizeof(c->insert), &oi, ")");
	if (bad || c->n == 0) {
		snprintf(m->err, m->errlen, "table %s: the target's columns "
		    "are not this build's schema", t);
		return -1;
	}
	return 0;
}

/* Binds column i of the source row to $i+1: bytes as bytes (token
 * hashes, signatures, salts), everything else as its text. */
static void
bind_col(struct db_pgs *ins, sqlite3_stmt *row, int i, int blob)
{
	if (sqlite3_column_type(row, i) == SQLITE_NULL)
		db_pg_bind_text(ins, i + 1, NULL);
	else if (blob)
		db_pg_bind_blob(ins, i + 1, sqlite3_column_blob(row, i),
		    (size_t)sqlite3_column_bytes(row, i));
	else
		db_pg_bind_text(ins, i + 1,
		    (const char *)sqlite3_column_text(row, i));
}

/* Copies the rows of t, then checks the target holds as many. */
static int
copy_rows(struct mig *m, const char *t, const struct mig_cols *c,
    int64_t *rows)
{
	sqlite3_stmt *row;
	struct db_pgs *ins;
	char sql[128], what[128];
	int64_t want, got;
	int rc = 0, step;

	util_fmt(what, sizeof(what), "copying table %s", t);
	if (sqlite3_prepare_v2(m->src, c->select, -1, &row, NULL) !=
	    SQLITE_OK) {
		snprintf(m->err, m->errlen, "%s: the source's columns differ "
		    "from the target's: %s", what, sqlite3_errmsg(m->src));
		return -1;
	}
	if ((ins = db_pg_st_new(m->pg, c->insert)) == NULL) {
		sqlite3_finalize(row);
		return pg_fail(m, what);
	}
	*rows = 0;
	while (rc == 0 && (step = sqlite3_step(row)) == SQLITE_ROW) {
		for (int i = 0; i < c->n; i++)
			bind_col(ins, row, i, c->blob[i]);
		if (db_pg_step(ins) != DB_STEP_DONE)
			rc = pg_fail(m, what);
		db_pg_st_reset(ins);
		(*rows)++;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = src_fail(m, what);
	db_pg_st_free(ins);
	sqlite3_finalize(row);
	if (rc != 0)
		return -1;
	util_fmt(sql, sizeof(sql), "SELECT count(*) FROM %s", t);
	if (src_int(m, sql, &want) != 0 || pg_int(m, sql, NULL, &got) != 0)
		return -1;
	if (want != *rows || got != *rows) {
		snprintf(m->err, m->errlen, "table %s: %lld rows in the "
		    "source, %lld copied, %lld in the target", t,
		    (long long)want, (long long)*rows, (long long)got);
		return -1;
	}
	return 0;
}

/* Moves each identity's sequence to the copied max(id): the next
 * insert gets max + 1, as SQLite's next rowid would be. */
static int
move_sequences(struct mig *m, const char *t, const struct mig_cols *c)
{
	char sql[512];
	int64_t v;

	for (int i = 0; i < c->nidentity; i++) {
		const char *col = c->identity[i];

		util_fmt(sql, sizeof(sql), "SELECT setval("
		    "pg_get_serial_sequence('%s', '%s'), max(%s)) FROM %s "
		    "HAVING max(%s) IS NOT NULL", t, col, col, t, col);
		if (pg_int(m, sql, NULL, &v) != 0)
			return -1;
	}
	return 0;
}

static int
copy_table(struct mig *m, const char *t, int64_t *rows)
{
	struct mig_cols c;

	memset(&c, 0, sizeof(c));
	if (load_cols(m, t, &c) != 0 || copy_rows(m, t, &c, rows) != 0)
		return -1;
	return move_sequences(m, t, &c);
}

/* Turns the target's own triggers (the webhook outbox's) off or on for
 * the copy: the source's outbox rows are copied as they are, and a
 * copied event must not queue its webhook a second time. Inside the
 * transaction, so a failure leaves them as they were. */
static int
set_triggers(struct mig *m, int on)
{
	char sql[128];

	for (int i = 0; i < m->nt; i++) {
		util_fmt(sql, sizeof(sql), "ALTER TABLE %s %s TRIGGER USER",
		    m->t[i].name, on ? "ENABLE" : "DISABLE");
		if (pg_run(m, sql, "setting the target's triggers") != 0)
			return -1;
	}
	return 0;
}

static int
copy_all(struct mig *m, struct db_migrate_stats *st)
{
	int64_t rows = 0;

	if (pg_run(m, "BEGIN", "starting the copy") != 0)
		return -1;
	if (check_empty(m) != 0 || set_triggers(m, 0) != 0)
		goto fail;
	for (int i = 0; i < m->nt; i++) {
		if (copy_table(m, m->t[m->order[i]].name, &rows) != 0)
			goto fail;
		st->tables++;
		st->rows += rows;
	}
	if (set_triggers(m, 1) != 0 ||
	    pg_run(m, "COMMIT", "committing the copy") != 0)
		goto fail;
	return 0;
fail:
	(void)db_pg_exec(m->pg, "ROLLBACK");
	st->tables = 0;
	st->rows = 0;
	return -1;
}

/* Opens where as the daemon would (migrating it, or making the
 * PostgreSQL schema), and closes it again. */
static int
open_as_daemon(const char *where, char *err, size_t errlen)
{
	struct db *db = db_open(where, 1, err, errlen);

	if (db == NULL)
		return -1;
	db_close(db);
	return 0;
}

int
db_migrate_to(const char *from, const char *url,
    struct db_migrate_stats *st, char *err, size_t errlen)
{
	struct mig m = { .err = err, .errlen = errlen };
	const char *safe = st->target;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	db_pg_redact(url, st->target, sizeof(st->target));
	if (!db_is_pg(url) || db_is_pg(from)) {
		snprintf(err, errlen, "migrate-to copies a SQLite store into a "
		    "postgresql:// URL (got %s)", safe);
		return -1;
	}
	if (access(from, F_OK) != 0) {
		snprintf(err, errlen, "no database at %s", from);
		return -1;
	}
	if (open_as_daemon(from, err, errlen) != 0 ||
	    open_as_daemon(url, err, errlen) != 0)
		return -1;
	if (sqlite3_open_v2(from, &m.src, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		src_fail(&m, from);
		goto out;
	}
	if ((m.pg = db_pg_open(url, 0, err, errlen)) == NULL)
		goto out;
	if (load_tables(&m) != 0)
		goto out;
	rc = copy_all(&m, st);
out:
	db_pg_close(m.pg);
	sqlite3_close(m.src);
	return rc;
}
