/* The shared set-up of the tests/db suites: a temporary directory holding
 * otad.db (or, with OTAD_TEST_PG_SOCK and OTAD_TEST_PG_USER set, a fresh
 * PostgreSQL database: pg_fixture.h), opening it, and raw SQL on it
 * through a connection of its own (to plant rows or states that the
 * store's own jobs would refuse to write). */
#ifndef TESTS_DB_FIXTURE_H
#define TESTS_DB_FIXTURE_H

#include <sqlite3.h>
#include <stdio.h>

#include "check_util.h"
#include "pg_fixture.h"
#include "db/db.h"
#include "db/migrations.h"
#include "sign/crypto.h"

static char dir[256], path[400];

/* A fresh directory; path names otad.db in it (not created yet). */
static inline void
dbfx_dir(void)
{
	ck_assert_int_eq(sign_init(), 0);
	tu_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/otad.db", dir);
	if (pgfx_on())
		pgfx_create(path, sizeof(path));
}

static inline void
dbfx_rmdir(void)
{
	if (pgfx_on())
		pgfx_drop();
	tu_rmtree(dir);
}

/* Opens (creating and migrating) the store at path, or fails the test. */
static inline struct db *
dbfx_open(void)
{
	char err[512];
	struct db *d = db_open(path, 2, err, sizeof(err));

	ck_assert_msg(d != NULL, "%s", err);
	return d;
}

/* Runs sql on the store with a connection of its own: 0, or -1 when
 * the store refuses it (for the tests of the schema's own checks). */
static inline int
dbfx_try(const char *sql)
{
	sqlite3 *h;
	int rc;

	if (pgfx_on())
		return pgfx_try(pgfx_name, sql);
	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	sqlite3_close(h);
	return rc == SQLITE_OK ? 0 : -1;
}

/* Runs sql on the store with a connection of its own. */
static inline void
dbfx_exec(const char *sql)
{
	sqlite3 *h;
	char *msg = NULL;

	if (pgfx_on()) {
		pgfx_exec(pgfx_name, sql);
		return;
	}
	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, &msg) == SQLITE_OK, "%s",
	    msg ? msg : "?");
	sqlite3_close(h);
}

/* Makes, in an empty directory, the store an older otad left: migrations
 * up to and including version 'upto' applied by hand and recorded. */
static inline void
dbfx_store_until(int upto)
{
	const struct db_migration *m = pgfx_on() ? db_pg_migrations :
	    db_migrations;
	size_t n = pgfx_on() ? db_pg_migrations_count : db_migrations_count;
	char sql[256];

	dbfx_exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
	    "name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
	for (size_t i = 0; i < n && m[i].version <= upto; i++) {
		dbfx_exec(m[i].sql);
		snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations VALUES "
		    "(%d, '%s', 0)", m[i].version, m[i].name);
		dbfx_exec(sql);
	}
}

#endif
