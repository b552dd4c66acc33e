/* Artifacts: content-addressed files whose rows say they are complete. */
#include "db/artifacts.h"
#include "db/internal.h"

int
db_artifact_put(struct db_tx *tx, void *arg)
{
	static const char sql[] = "INSERT OR IGNORE INTO artifacts "
	    "(sha256, size, created_at, created_by) VALUES (?, ?, ?, ?)";
	struct db_artifact_put *a = arg;
	sqlite3_stmt *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, a->sha256);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)a->size);
	sqlite3_bind_int64(st, 3, a->now);
	db_bind_text(st, 4, a->by);
	rc = db_step_done(tx->c, st, "artifact put");
	a->created = rc == DB_OK && sqlite3_changes(tx->c->h) > 0;
	return rc;
}

int
db_artifact_size(struct db *db, const char *sha256, uint64_t *size)
{
	static const char sql[] = "SELECT size FROM artifacts WHERE sha256 = ?";
	struct db_conn *c = db_rd_get(db);
	sqlite3_stmt *st = db_stmt(c, sql);
	int rc = DB_ERR;

	if (st == NULL)
		goto out;
	db_bind_text(st, 1, sha256);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		*size = (uint64_t)sqlite3_column_int64(st, 0);
		rc = DB_OK;
		break;
	case SQLITE_DONE:
		rc = DB_NOTFOUND;
		break;
	default:
		db_report(c, "artifact size");
	}
out:
	db_rd_put(db, c);
	return rc;
}
