/* The shared set-up of the tests/db suites: a temporary directory holding
 * otad.db, opening it, and raw SQL on the file through a connection of
 * its own (to plant rows or states that the store's own jobs would
 * refuse to write). */
#ifndef TESTS_DB_FIXTURE_H
#define TESTS_DB_FIXTURE_H

#include <sqlite3.h>
#include <stdio.h>

#include "check_util.h"
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
}

static inline void
dbfx_rmdir(void)
{
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

/* Runs sql on the database file with a connection of its own. */
static inline void
dbfx_exec(const char *sql)
{
	sqlite3 *h;
	char *msg = NULL;

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
	char sql[256];

	dbfx_exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
	    "name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
	for (size_t i = 0; i < db_migrations_count &&
	    db_migrations[i].version <= upto; i++) {
		dbfx_exec(db_migrations[i].sql);
		snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations VALUES "
		    "(%d, '%s', 0)", db_migrations[i].version,
		    db_migrations[i].name);
		dbfx_exec(sql);
	}
}

#endif
