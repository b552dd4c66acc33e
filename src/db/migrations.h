/* The schema migrations compiled into the binary: sql/NNN_name.sql for
 * SQLite, sql/pg/NNN_name.sql for PostgreSQL (the same versions and names,
 * in the same order; scripts/embed-sql refuses lists that differ). */
#ifndef DB_MIGRATIONS_H
#define DB_MIGRATIONS_H

#include <stddef.h>

struct db_migration {
	int version;		/* NNN of the file name; strictly increasing */
	const char *name;	/* the file name, for logs */
	const char *sql;	/* the whole script */
};

extern const struct db_migration db_migrations[];
extern const size_t db_migrations_count;
/* The same history in PostgreSQL's dialect, from sql/pg/NNN_name.sql. */
extern const struct db_migration db_pg_migrations[];
extern const size_t db_pg_migrations_count;

#endif
