/* Root metadata versions as uploaded, served to devices walking the chain. */
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"
#include "db/trust.h"

int
db_root_put(struct db_tx *tx, void *arg)
{
	static const char newest[] = "SELECT COALESCE(MAX(version), 0) "
	    "FROM trust_roots";
	static const char ins[] = "INSERT INTO trust_roots (version, body, "
	    "expires, uploaded_at, uploaded_by) VALUES (?, ?, ?, ?, ?)";
	struct db_root_put *p = arg;
	sqlite3_stmt *st = db_stmt(tx->c, newest);
	int64_t have;

	if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
		db_report(tx->c, "root newest");
		return DB_ERR;
	}
	have = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	/* Two uploads racing: only the one that is still next wins. */
	if (p->version != have + 1)
		return DB_CONFLICT;
	if ((st = db_stmt(tx->c, ins)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, p->version);
	sqlite3_bind_blob(st, 2, p->body, (int)p->len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, p->expires);
	sqlite3_bind_int64(st, 4, p->now);
	db_bind_text(st, 5, p->by);
	return db_step_done(tx->c, st, "root put");
}

static int
read_body(struct db_conn *c, sqlite3_stmt *st, int col, uint8_t **body,
    size_t *len)
{
	int n = sqlite3_column_bytes(st, col);
	const void *p = sqlite3_column_blob(st, col);

	*body = malloc((size_t)n + 1);
	if (*body == NULL) {
		db_report(c, "out of memory");
		return DB_ERR;
	}
	if (n > 0)
		memcpy(*body, p, (size_t)n);
	(*body)[n] = '\0';
	*len = (size_t)n;
	return DB_OK;
}

int
db_root_latest(struct db *db, int64_t *version, uint8_t **body, size_t *len)
{
	static const char sql[] = "SELECT version, body FROM trust_roots "
	    "ORDER BY version DESC LIMIT 1";
	struct db_conn *c = db_rd_get(db);
	sqlite3_stmt *st = db_stmt(c, sql);
	int rc = DB_ERR;

	*version = 0;
	*body = NULL;
	*len = 0;
	if (st == NULL)
		goto out;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		*version = sqlite3_column_int64(st, 0);
		rc = read_body(c, st, 1, body, len);
		break;
	case SQLITE_DONE:
		rc = DB_OK;
		break;
	default:
		db_report(c, "root latest");
	}
out:
	db_rd_put(db, c);
	return rc;
}

int
db_root_get(struct db *db, int64_t version, uint8_t **body, size_t *len)
{
	static const char sql[] = "SELECT body FROM trust_roots WHERE version = ?";
	struct db_conn *c = db_rd_get(db);
	sqlite3_stmt *st = db_stmt(c, sql);
	int rc = DB_ERR;

	if (st == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, version);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		rc = read_body(c, st, 0, body, len);
		break;
	case SQLITE_DONE:
		rc = DB_NOTFOUND;
		break;
	default:
		db_report(c, "root get");
	}
out:
	db_rd_put(db, c);
	return rc;
}
