/* Moving a stopped SQLite store into an empty PostgreSQL database. */
#ifndef DB_MIGRATE_H
#define DB_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

/* What a copy did, for its summary. */
struct db_migrate_stats {
	int tables;
	int64_t rows;
	char target[512];	/* the URL without its password */
};

/* Copies the SQLite store at from (no daemon may have it open: the
 * caller holds the data dir's lock) into the PostgreSQL database at url.
 * Both are opened as the daemon would first (from migrated to this
 * build's schema, url's schema created), then every table is copied in
 * foreign-key order inside one PostgreSQL transaction, with each
 * identity's sequence moved past the copied ids and each table's row
 * count checked. A target that already holds a row is refused, naming
 * the table. On any failure nothing is committed: the target is left as
 * it was (its schema made, no rows). 0 with st filled, or -1 with a
 * message in err, which never holds the URL's password. */
int db_migrate_to(const char *from, const char *url,
    struct db_migrate_stats *st, char *err, size_t errlen);

#endif
