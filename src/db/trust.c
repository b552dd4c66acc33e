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
	    "expires, uploaded_at, uploaded_by) VALUES ($1, $2, $3, $4, $5)";
	struct db_root_put *p = arg;
	struct db_st *st = db_stmt(tx->c, newest);
	int64_t have;

	if (st == NULL || db_row(tx->c, st, "root newest") != DB_OK)
		return DB_ERR;
	have = db_col_i64(st, 0);
	/* Two uploads racing: only the one that is still next wins. */
	if (p->version != have + 1)
		return DB_CONFLICT;
	if ((st = db_stmt(tx->c, ins)) == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, p->version);
	db_bind_blob(st, 2, p->body, p->len);
	db_bind_i64(st, 3, p->expires);
	db_bind_i64(st, 4, p->now);
	db_bind_text(st, 5, p->by);
	return db_step_done(tx->c, st, "root put");
}

static int
read_body(struct db_conn *c, struct db_st *st, int col, uint8_t **body,
    size_t *len)
{
	int n = db_col_bytes(st, col);
	const void *p = db_col_blob(st, col);

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
	struct db_st *st = db_stmt(c, sql);
	int rc = DB_ERR;

	*version = 0;
	*body = NULL;
	*len = 0;
	if (st != NULL)
		rc = db_row(c, st, "root latest");
	if (rc == DB_OK) {
		*version = db_col_i64(st, 0);
		rc = read_body(c, st, 1, body, len);
	} else if (rc == DB_NOTFOUND) {
		rc = DB_OK;	/* none uploaded yet */
	}
	db_rd_put(db, c);
	return rc;
}

int
db_root_get(struct db *db, int64_t version, uint8_t **body, size_t *len)
{
	static const char sql[] = "SELECT body FROM trust_roots WHERE version = $1";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	int rc = DB_ERR;

	if (st != NULL) {
		db_bind_i64(st, 1, version);
		rc = db_row(c, st, "root get");
	}
	if (rc == DB_OK)
		rc = read_body(c, st, 0, body, len);
	db_rd_put(db, c);
	return rc;
}
