/* The SQLite side of db/internal.h's connections and statements: only
 * conn.c (the statement layer) and db.c (writer, migrations, pragmas,
 * backups) include this header or name sqlite3_ anything
 * (scripts/checksrc). */
#ifndef DB_SQLITE_H
#define DB_SQLITE_H

#include <sqlite3.h>

#include "db/internal.h"
#include "db/pg.h"

#define DB_STMT_SLOTS 256
/* The highest placeholder number a statement may use ($1 .. $32). */
#define DB_ST_PARAMS 32

struct db_st {
	sqlite3_stmt *h;
	/* A PostgreSQL connection's statement (h is then NULL): each call of
	 * the statement layer tests this once and goes to conn_pg.c. */
	struct db_pgs *pg;
	struct db_conn *c;
	/* SQLite numbers $N parameters by first appearance: the index of
	 * each $N, 0 for a number the text does not use. */
	unsigned char idx[DB_ST_PARAMS + 1];
};

/* Prepared statements keyed by the address of their SQL text (each text
 * is a static string next to its function). */
struct db_conn {
	sqlite3 *h;
	/* Set on a PostgreSQL connection (h is then NULL); the cache of
	 * statements below serves both. */
	struct db_pgc *pg;
	struct {
		const char *sql;
		struct db_st st;
	} slots[DB_STMT_SLOTS];
};

#endif
