/* Cohorts: named groups of devices that campaigns can target. */
#include <string.h>

#include "db/cohorts.h"
#include "db/internal.h"

static int
cohort_id(struct db_conn *c, const char *name, int64_t *id)
{
	static const char sql[] = "SELECT id FROM cohorts WHERE name = $1";
	struct db_st *st = db_stmt(c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, name);
	if ((rc = db_row(c, st, "cohort id")) == DB_OK)
		*id = db_col_i64(st, 0);
	return rc;
}

static int
add_members(struct db_tx *tx, struct db_cohort_write *w, int64_t cohort)
{
	static const char sql[] = "INSERT INTO cohort_devices "
	    "(cohort, device) SELECT CAST($1 AS BIGINT), id FROM devices WHERE device_id = $2 "
	    "ON CONFLICT (cohort, device) DO NOTHING";
	struct db_st *st;
	int rc;

	for (size_t i = 0; i < w->n; i++) {
		if ((st = db_stmt(tx->c, sql)) == NULL)
			return DB_ERR;
		db_bind_i64(st, 1, cohort);
		db_bind_text(st, 2, w->device_ids[i]);
		if (db_step(st) != DB_STEP_DONE) {
			db_report(tx->c, "cohort member");
			db_st_reset(st);
			return DB_ERR;
		}
		db_st_reset(st);
		if (db_changes(tx->c) == 0) {
			/* Either unknown or listed twice: tell which. */
			static const char known[] = "SELECT 1 FROM devices "
			    "WHERE device_id = $1";
			st = db_stmt(tx->c, known);
			if (st == NULL)
				return DB_ERR;
			db_bind_text(st, 1, w->device_ids[i]);
			rc = db_step(st);
			db_st_reset(st);
			if (rc != DB_STEP_ROW) {
				w->missing = i;
				return DB_INVALID;
			}
		}
	}
	return DB_OK;
}

static int
member_count(struct db_conn *c, int64_t cohort, int64_t *n)
{
	static const char sql[] = "SELECT COUNT(*) FROM cohort_devices "
	    "WHERE cohort = $1";
	struct db_st *st = db_stmt(c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, cohort);
	if (db_row(c, st, "cohort count") != DB_OK)
		return DB_ERR;
	*n = db_col_i64(st, 0);
	return DB_OK;
}

int
db_cohort_write(struct db_tx *tx, void *arg)
{
	static const char ins[] = "INSERT INTO cohorts (name, description, "
	    "created_at, created_by) VALUES ($1, $2, $3, $4) RETURNING id";
	static const char clear[] = "DELETE FROM cohort_devices WHERE cohort = $1";
	struct db_cohort_write *w = arg;
	struct db_st *st;
	int64_t id;
	int rc;

	if (w->create) {
		if ((st = db_stmt(tx->c, ins)) == NULL)
			return DB_ERR;
		db_bind_text(st, 1, w->name);
		db_bind_text(st, 2, w->description ? w->description : "");
		db_bind_i64(st, 3, w->now);
		db_bind_text(st, 4, w->by);
		if ((rc = db_step_id(tx->c, st, "cohort add", &id)) != DB_OK)
			return rc;
	} else {
		if ((rc = cohort_id(tx->c, w->name, &id)) != DB_OK)
			return rc;
		if ((st = db_stmt(tx->c, clear)) == NULL)
			return DB_ERR;
		db_bind_i64(st, 1, id);
		if ((rc = db_step_done(tx->c, st, "cohort clear")) != DB_OK)
			return rc;
	}
	if ((rc = add_members(tx, w, id)) != DB_OK)
		return rc;
	return member_count(tx->c, id, &w->count);
}

#define COHORT_COLS "c.id, c.name, c.description, c.created_at, " \
	"c.created_by, (SELECT COUNT(*) FROM cohort_devices cd " \
	"WHERE cd.cohort = c.id)"

static void
row_to_cohort(struct db_st *st, struct db_cohort *c)
{
	c->id = db_col_i64(st, 0);
	db_col_text(st, 1, c->name, sizeof(c->name));
	db_col_text(st, 2, c->description, sizeof(c->description));
	c->created_at = db_col_i64(st, 3);
	db_col_text(st, 4, c->created_by, sizeof(c->created_by));
	c->devices = db_col_i64(st, 5);
}

int
db_cohort_list(struct db *db, void (*fn)(const struct db_cohort *, void *),
    void *arg)
{
	static const char sql[] = "SELECT " COHORT_COLS " FROM cohorts c "
	    "ORDER BY c.name";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	struct db_cohort co;
	int rc = DB_ERR, s;

	if (st == NULL)
		goto out;
	while ((s = db_step(st)) == DB_STEP_ROW) {
		row_to_cohort(st, &co);
		fn(&co, arg);
	}
	if (s == DB_STEP_DONE)
		rc = DB_OK;
	else
		db_report(c, "cohort list");
out:
	db_rd_put(db, c);
	return rc;
}

int
db_cohort_get(struct db *db, const char *name, struct db_cohort *out)
{
	static const char sql[] = "SELECT " COHORT_COLS " FROM cohorts c "
	    "WHERE c.name = $1";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	int rc = DB_ERR;

	if (st != NULL) {
		db_bind_text(st, 1, name);
		rc = db_row(c, st, "cohort get");
	}
	if (rc == DB_OK)
		row_to_cohort(st, out);
	db_rd_put(db, c);
	return rc;
}

int
db_cohort_members(struct db *db, int64_t cohort, const char *after,
    int64_t limit, void (*fn)(const char *device_id, void *), void *arg)
{
	static const char sql[] = "SELECT d.device_id FROM cohort_devices cd "
	    "JOIN devices d ON d.id = cd.device WHERE cd.cohort = $1 "
	    "AND (CAST($2 AS TEXT) IS NULL OR d.device_id > $2) ORDER BY d.device_id LIMIT $3";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	int rc = DB_ERR, s;

	if (st == NULL)
		goto out;
	db_bind_i64(st, 1, cohort);
	db_bind_text(st, 2, after);
	db_bind_i64(st, 3, limit);
	while ((s = db_step(st)) == DB_STEP_ROW)
		fn(db_col_str(st, 0), arg);
	if (s == DB_STEP_DONE)
		rc = DB_OK;
	else
		db_report(c, "cohort members");
out:
	db_rd_put(db, c);
	return rc;
}
