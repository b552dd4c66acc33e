/* Artifacts: content-addressed files whose rows say they are complete. */
#include "db/artifacts.h"
#include "db/internal.h"

int
db_artifact_put(struct db_tx *tx, void *arg)
{
	static const char sql[] = "INSERT INTO artifacts "
	    "(sha256, size, created_at, created_by) VALUES ($1, $2, $3, $4) "
	    "ON CONFLICT (sha256) DO NOTHING";
	struct db_artifact_put *a = arg;
	struct db_st *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, a->sha256);
	db_bind_i64(st, 2, (int64_t)a->size);
	db_bind_i64(st, 3, a->now);
	db_bind_text(st, 4, a->by);
	rc = db_step_done(tx->c, st, "artifact put");
	a->created = rc == DB_OK && db_changes(tx->c) > 0;
	return rc;
}

int
db_artifact_size(struct db *db, const char *sha256, uint64_t *size)
{
	static const char sql[] = "SELECT size FROM artifacts WHERE sha256 = $1";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	int rc = DB_ERR;

	if (st != NULL) {
		db_bind_text(st, 1, sha256);
		rc = db_row(c, st, "artifact size");
	}
	if (rc == DB_OK)
		*size = (uint64_t)db_col_i64(st, 0);
	db_rd_put(db, c);
	return rc;
}
