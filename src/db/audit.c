/* The audit trail's rows (sql/008_audit.sql). */
#include <stdlib.h>

#include "db/audit.h"
#include "db/internal.h"

#define AUDIT_COLS "id, at, actor, client, request_id, method, path, " \
	"object_type, object_id, action, note, COALESCE(status, 0), error"

int
db_audit_add(struct db_tx *tx, const struct db_audit *r, int64_t *id)
{
	static const char sql[] = "INSERT INTO audit (at, actor, client, "
	    "request_id, method, path, object_type, object_id, action, note, "
	    "status, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
	    "NULLIF($11, 0), $12) RETURNING id";
	struct db_st *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, r->at);
	db_bind_text(st, 2, r->actor);
	db_bind_text(st, 3, r->client);
	db_bind_text(st, 4, r->request_id);
	db_bind_text(st, 5, r->method);
	db_bind_text(st, 6, r->path);
	db_bind_text(st, 7, r->object_type);
	db_bind_text(st, 8, r->object_id);
	db_bind_text(st, 9, r->action);
	db_bind_text(st, 10, r->note);
	db_bind_int(st, 11, r->status);
	db_bind_text(st, 12, r->error);
	rc = db_step_id(tx->c, st, "audit add", id);
	return rc;
}

int
db_audit_finish(struct db_tx *tx, const struct db_audit *r)
{
	static const char sql[] = "UPDATE audit SET status = NULLIF($1, 0), "
	    "error = $2, object_id = $3, note = $4 WHERE id = $5";
	struct db_st *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_int(st, 1, r->status);
	db_bind_text(st, 2, r->error);
	db_bind_text(st, 3, r->object_id);
	db_bind_text(st, 4, r->note);
	db_bind_i64(st, 5, r->id);
	rc = db_step_done(tx->c, st, "audit finish");
	if (rc == DB_OK && db_changes(tx->c) == 0)
		return DB_NOTFOUND;
	return rc;
}

static void
row_to_audit(struct db_st *st, struct db_audit *r)
{
	r->id = db_col_i64(st, 0);
	r->at = db_col_i64(st, 1);
	db_col_text(st, 2, r->actor, sizeof(r->actor));
	db_col_text(st, 3, r->client, sizeof(r->client));
	db_col_text(st, 4, r->request_id, sizeof(r->request_id));
	db_col_text(st, 5, r->method, sizeof(r->method));
	db_col_text(st, 6, r->path, sizeof(r->path));
	db_col_text(st, 7, r->object_type, sizeof(r->object_type));
	db_col_text(st, 8, r->object_id, sizeof(r->object_id));
	db_col_text(st, 9, r->action, sizeof(r->action));
	db_col_text(st, 10, r->note, sizeof(r->note));
	r->status = db_col_int(st, 11);
	db_col_text(st, 12, r->error, sizeof(r->error));
}

struct each_audit {
	void (*fn)(const struct db_audit *, void *);
	void *arg;
	struct db_audit *r;
};

static int
audit_row(struct db_st *st, void *arg)
{
	struct each_audit *e = arg;

	row_to_audit(st, e->r);
	e->fn(e->r, e->arg);
	return DB_OK;
}

int
db_audit_list(struct db *db, const struct db_audit_filter *f,
    void (*fn)(const struct db_audit *, void *), void *arg)
{
	static const char sql[] = "SELECT " AUDIT_COLS " FROM audit "
	    "WHERE (CAST($1 AS TEXT) IS NULL OR actor = $1) "
	    "AND (CAST($2 AS TEXT) IS NULL OR object_type = $2) "
	    "AND (CAST($3 AS TEXT) IS NULL OR object_id = $3) "
	    "AND ($4 = 0 OR at >= $4) AND ($5 = 0 OR at < $5) "
	    "AND ($6 = 0 OR id < $6) ORDER BY id DESC LIMIT $7";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	struct each_audit e = { fn, arg, malloc(sizeof(*e.r)) };
	int rc = DB_ERR;

	if (st != NULL && e.r != NULL) {
		db_bind_text(st, 1, f->actor);
		db_bind_text(st, 2, f->object_type);
		db_bind_text(st, 3, f->object_id);
		db_bind_i64(st, 4, f->since);
		db_bind_i64(st, 5, f->until);
		db_bind_i64(st, 6, f->after);
		db_bind_i64(st, 7, f->limit);
		rc = db_rows(c, st, "audit list", audit_row, &e);
	}
	free(e.r);
	db_rd_put(db, c);
	return rc;
}

int
db_audit_prune(struct db_tx *tx, int64_t before, int batch, int64_t *deleted)
{
	/* Rows come in time order, so the oldest ids are the oldest rows. */
	static const char sql[] = "DELETE FROM audit WHERE id IN "
	    "(SELECT id FROM audit WHERE at < $2 ORDER BY id LIMIT $1)";

	return db_prune(tx, sql, batch, before, "audit prune", deleted);
}
