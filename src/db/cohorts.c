/* Cohorts: named groups of devices that campaigns can target. */
#include <string.h>

#include "db/cohorts.h"
#include "db/internal.h"

static int
cohort_id(struct db_conn *c, const char *name, int64_t *id)
{
	static const char sql[] = "SELECT id FROM cohorts WHERE name = ?";
	sqlite3_stmt *st = db_stmt(c, sql);
	int s;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, name);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (s == SQLITE_ROW)
		return DB_OK;
	if (s == SQLITE_DONE)
		return DB_NOTFOUND;
	db_report(c, "cohort id");
	return DB_ERR;
}

static int
add_members(struct db_tx *tx, struct db_cohort_write *w, int64_t cohort)
{
	static const char sql[] = "INSERT OR IGNORE INTO cohort_devices "
	    "(cohort, device) SELECT ?, id FROM devices WHERE device_id = ?";
	sqlite3_stmt *st;
	int rc;

	for (size_t i = 0; i < w->n; i++) {
		if ((st = db_stmt(tx->c, sql)) == NULL)
			return DB_ERR;
		sqlite3_bind_int64(st, 1, cohort);
		db_bind_text(st, 2, w->device_ids[i]);
		if (sqlite3_step(st) != SQLITE_DONE) {
			db_report(tx->c, "cohort member");
			sqlite3_reset(st);
			return DB_ERR;
		}
		sqlite3_reset(st);
		if (sqlite3_changes(tx->c->h) == 0) {
			/* Either unknown or listed twice: tell which. */
			static const char known[] = "SELECT 1 FROM devices "
			    "WHERE device_id = ?";
			st = db_stmt(tx->c, known);
			if (st == NULL)
				return DB_ERR;
			db_bind_text(st, 1, w->device_ids[i]);
			rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc != SQLITE_ROW) {
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
	    "WHERE cohort = ?";
	sqlite3_stmt *st = db_stmt(c, sql);
	int s;

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, cohort);
	s = sqlite3_step(st);
	*n = s == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (s == SQLITE_ROW)
		return DB_OK;
	db_report(c, "cohort count");
	return DB_ERR;
}

int
db_cohort_write(struct db_tx *tx, void *arg)
{
	static const char ins[] = "INSERT INTO cohorts (name, description, "
	    "created_at, created_by) VALUES (?, ?, ?, ?)";
	static const char clear[] = "DELETE FROM cohort_devices WHERE cohort = ?";
	struct db_cohort_write *w = arg;
	sqlite3_stmt *st;
	int64_t id;
	int rc;

	if (w->create) {
		if ((st = db_stmt(tx->c, ins)) == NULL)
			return DB_ERR;
		db_bind_text(st, 1, w->name);
		db_bind_text(st, 2, w->description ? w->description : "");
		sqlite3_bind_int64(st, 3, w->now);
		db_bind_text(st, 4, w->by);
		if ((rc = db_step_done(tx->c, st, "cohort add")) != DB_OK)
			return rc;
		id = sqlite3_last_insert_rowid(tx->c->h);
	} else {
		if ((rc = cohort_id(tx->c, w->name, &id)) != DB_OK)
			return rc;
		if ((st = db_stmt(tx->c, clear)) == NULL)
			return DB_ERR;
		sqlite3_bind_int64(st, 1, id);
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
row_to_cohort(sqlite3_stmt *st, struct db_cohort *c)
{
	c->id = sqlite3_column_int64(st, 0);
	db_col_text(st, 1, c->name, sizeof(c->name));
	db_col_text(st, 2, c->description, sizeof(c->description));
	c->created_at = sqlite3_column_int64(st, 3);
	db_col_text(st, 4, c->created_by, sizeof(c->created_by));
	c->devices = sqlite3_column_int64(st, 5);
}

int
db_cohort_list(struct db *db, void (*fn)(const struct db_cohort *, void *),
    void *arg)
{
	static const char sql[] = "SELECT " COHORT_COLS " FROM cohorts c "
	    "ORDER BY c.name";
	struct db_conn *c = db_rd_get(db);
	sqlite3_stmt *st = db_stmt(c, sql);
	struct db_cohort co;
	int rc = DB_ERR, s;

	if (st == NULL)
		goto out;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		row_to_cohort(st, &co);
		fn(&co, arg);
	}
	if (s == SQLITE_DONE)
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
	    "WHERE c.name = ?";
	struct db_conn *c = db_rd_get(db);
	sqlite3_stmt *st = db_stmt(c, sql);
	int rc = DB_ERR;

	if (st == NULL)
		goto out;
	db_bind_text(st, 1, name);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		row_to_cohort(st, out);
		rc = DB_OK;
		break;
	case SQLITE_DONE:
		rc = DB_NOTFOUND;
		break;
	default:
		db_report(c, "cohort get");
	}
out:
	db_rd_put(db, c);
	return rc;
}

int
db_cohort_members(struct db *db, int64_t cohort, const char *after,
    int64_t limit, void (*fn)(const char *device_id, void *), void *arg)
{
	static const char sql[] = "SELECT d.device_id FROM cohort_devices cd "
	    "JOIN devices d ON d.id = cd.device WHERE cd.cohort = ?1 "
	    "AND (?2 IS NULL OR d.device_id > ?2) ORDER BY d.device_id LIMIT ?3";
	struct db_conn *c = db_rd_get(db);
	sqlite3_stmt *st = db_stmt(c, sql);
	int rc = DB_ERR, s;

	if (st == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, cohort);
	db_bind_text(st, 2, after);
	sqlite3_bind_int64(st, 3, limit);
	while ((s = sqlite3_step(st)) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(st, 0), arg);
	if (s == SQLITE_DONE)
		rc = DB_OK;
	else
		db_report(c, "cohort members");
out:
	db_rd_put(db, c);
	return rc;
}
