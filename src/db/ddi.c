/* hawkBit DDI storage (see ddi.h): digests, actions, attributes. */
#include <string.h>

#include "db/ddi.h"
#include "db/devices.h"
#include "db/internal.h"
#include "util/util.h"

/* A connection for a read: the job's own inside a write, else a reader. */
static struct db_conn *
conn_get(struct db *db, struct db_tx *tx)
{
	return tx != NULL ? tx->c : db_rd_get(db);
}

static void
conn_put(struct db *db, struct db_tx *tx, struct db_conn *c)
{
	if (tx == NULL)
		db_rd_put(db, c);
}

/* ---- Artifact digests ---- */

static int
digests_store(struct db_tx *tx, const char *sha256,
    const struct db_ddi_digests *d)
{
	static const char sql[] = "UPDATE artifacts SET sha1 = $1, md5 = $2 "
	    "WHERE sha256 = $3 AND sha1 IS NULL";
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, d->sha1);
	db_bind_text(st, 2, d->md5);
	db_bind_text(st, 3, sha256);
	return db_step_done(tx->c, st, "artifact digests");
}

int
db_ddi_artifact_put(struct db_tx *tx, void *arg)
{
	struct db_ddi_artifact_put *a = arg;
	int rc = db_artifact_put(tx, &a->put);

	return rc == DB_OK ? digests_store(tx, a->put.sha256, &a->d) : rc;
}

int
db_ddi_digests_set(struct db_tx *tx, void *arg)
{
	static const char sql[] = "SELECT 1 FROM artifacts WHERE sha256 = $1";
	struct db_ddi_digests_set *a = arg;
	struct db_st *st;
	int rc = digests_store(tx, a->sha256, &a->d);

	if (rc != DB_OK || db_changes(tx->c) > 0)
		return rc;
	/* Nothing changed: digests known already, or no such artifact. */
	if ((st = db_stmt(tx->c, sql)) == NULL)
		return DB_ERR;
	db_bind_text(st, 1, a->sha256);
	rc = db_row(tx->c, st, "artifact exists");
	db_st_reset(st);
	return rc;
}

int
db_ddi_digests(struct db *db, const char *sha256, struct db_ddi_digests *out)
{
	static const char sql[] = "SELECT sha1, md5 FROM artifacts "
	    "WHERE sha256 = $1";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	int rc = DB_ERR;

	if (st != NULL) {
		db_bind_text(st, 1, sha256);
		rc = db_row(c, st, "artifact digests");
	}
	if (rc == DB_OK && (db_col_text(st, 0, out->sha1, sizeof(out->sha1))
	    != 0 || db_col_text(st, 1, out->md5, sizeof(out->md5)) != 0))
		rc = DB_ERR;
	db_rd_put(db, c);
	return rc;
}

/* ---- Actions ---- */

/* On a store several daemons write (PostgreSQL): a lock held until the
 * batch commits, so that another daemon's MAX(id) waits for this one's
 * new row and never hands out the same id. SQLite's one writer needs
 * none. The key is the leadership's plus one (db/leader.h). */
static int
lock_ids(struct db_tx *tx)
{
	static const char sql[] = "SELECT 1 FROM (SELECT "
	    "pg_advisory_xact_lock(1869898085)) AS l";
	struct db_st *st;
	int rc;

	if (!db_conn_is_pg(tx->c))
		return DB_OK;
	if ((st = db_stmt(tx->c, sql)) == NULL)
		return DB_ERR;
	rc = db_row(tx->c, st, "ddi action id lock");
	db_st_reset(st);
	return rc == DB_OK ? DB_OK : DB_ERR;
}

/* The next action id, or DB_ERR once they are used up (reported). */
static int
next_id(struct db_tx *tx, int64_t *id)
{
	static const char sql[] = "SELECT COALESCE(MAX(id), 0) FROM ddi_actions";
	struct db_st *st = lock_ids(tx) == DB_OK ? db_stmt(tx->c, sql) : NULL;
	int rc = st != NULL ? db_row(tx->c, st, "ddi action id") : DB_ERR;

	*id = 0;
	if (rc == DB_OK)
		*id = db_col_i64(st, 0) + 1;
	if (st != NULL)
		db_st_reset(st);
	if (rc == DB_OK && *id > DB_DDI_ACTION_MAX) {
		db_report(tx->c, "ddi action ids are used up");
		rc = DB_ERR;
	}
	return rc;
}

int
db_ddi_action_new(struct db_tx *tx, void *arg)
{
	static const char sql[] = "INSERT INTO ddi_actions (id, device, "
	    "campaign_id, release_id, attempt, created_at) "
	    "VALUES ($1, $2, $3, $4, $5, $6)";
	struct db_ddi_action_new *a = arg;
	struct db_st *st;
	int64_t id;
	int rc = next_id(tx, &id);

	if (rc != DB_OK)
		return rc;
	if ((st = db_stmt(tx->c, sql)) == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, id);
	db_bind_i64(st, 2, a->device);
	if (a->campaign_id > 0)
		db_bind_i64(st, 3, a->campaign_id);
	else
		db_bind_null(st, 3);
	db_bind_i64(st, 4, a->release_id);
	db_bind_int(st, 5, a->attempt);
	db_bind_i64(st, 6, a->now);
	rc = db_step_done(tx->c, st, "ddi action new");
	if (rc == DB_OK)
		a->id = id;
	return rc;
}

/* DB_OK if the compare-and-set changed a row, else DB_CONFLICT when the
 * action of that device exists (in another state) or DB_NOTFOUND. */
static int
cas_result(struct db_tx *tx, int rc, int64_t device, int64_t id)
{
	struct db_ddi_action cur;

	if (rc != DB_OK || db_changes(tx->c) > 0)
		return rc;
	rc = db_ddi_action_get(tx->db, tx, device, id, &cur);
	return rc == DB_OK ? DB_CONFLICT : rc;
}

int
db_ddi_action_end(struct db_tx *tx, void *arg)
{
	static const char sql[] = "UPDATE ddi_actions SET state = $1, "
	    "result = $2, closing = $3, closed_at = $4 "
	    "WHERE id = $5 AND device = $6 AND state = 'open'";
	struct db_ddi_action_end *a = arg;
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, rollout_ddi_end_name(a->state));
	db_bind_text(st, 2, a->result);
	db_bind_text(st, 3, a->closing);
	db_bind_i64(st, 4, a->now);
	db_bind_i64(st, 5, a->id);
	db_bind_i64(st, 6, a->device);
	return cas_result(tx, db_step_done(tx->c, st, "ddi action end"),
	    a->device, a->id);
}

int
db_ddi_action_cancel(struct db_tx *tx, void *arg)
{
	static const char sql[] = "UPDATE ddi_actions SET cancel = $1 "
	    "WHERE id = $2 AND device = $3 AND state = 'open' AND cancel = $4";
	struct db_ddi_action_cancel *a = arg;
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, rollout_ddi_cancel_state_name(a->to));
	db_bind_i64(st, 2, a->id);
	db_bind_i64(st, 3, a->device);
	db_bind_text(st, 4, rollout_ddi_cancel_state_name(a->from));
	return cas_result(tx, db_step_done(tx->c, st, "ddi action cancel"),
	    a->device, a->id);
}

#define ACTION_COLS "id, device, COALESCE(campaign_id, 0), release_id, " \
	"attempt, state, cancel, result, closing, created_at, " \
	"COALESCE(closed_at, 0)"

/* 0, or -1 (reported) when a stored state is no state name. */
static int
action_row(struct db_st *st, struct db_ddi_action *out)
{
	out->id = db_col_i64(st, 0);
	out->device = db_col_i64(st, 1);
	out->campaign_id = db_col_i64(st, 2);
	out->release_id = db_col_i64(st, 3);
	out->attempt = db_col_int(st, 4);
	db_col_text(st, 7, out->result, sizeof(out->result));
	db_col_text(st, 8, out->closing, sizeof(out->closing));
	out->created_at = db_col_i64(st, 9);
	out->closed_at = db_col_i64(st, 10);
	if (rollout_ddi_end_parse(db_col_str(st, 5),
	    &out->state) != 0 || rollout_ddi_cancel_state_parse(
	    db_col_str(st, 6), &out->cancel) != 0) {
		db_complain("a DDI action has an unknown state");
		return -1;
	}
	return 0;
}

/* Runs sql (binding device, and id when id > 0) for one action row. */
static int
action_read(struct db *db, struct db_tx *tx, const char *sql, int64_t device,
    int64_t id, struct db_ddi_action *out)
{
	struct db_conn *c = conn_get(db, tx);
	struct db_st *st = db_stmt(c, sql);
	int rc = DB_ERR;

	if (st != NULL) {
		db_bind_i64(st, 1, device);
		if (id > 0)
			db_bind_i64(st, 2, id);
		rc = db_row(c, st, "ddi action");
	}
	if (rc == DB_OK && action_row(st, out) != 0)
		rc = DB_ERR;
	if (st != NULL)
		db_st_reset(st);
	conn_put(db, tx, c);
	return rc;
}

int
db_ddi_action_get(struct db *db, struct db_tx *tx, int64_t device,
    int64_t id, struct db_ddi_action *out)
{
	static const char sql[] = "SELECT " ACTION_COLS " FROM ddi_actions "
	    "WHERE device = $1 AND id = $2";

	if (id < 1 || id > DB_DDI_ACTION_MAX)
		return DB_NOTFOUND;
	return action_read(db, tx, sql, device, id, out);
}

int
db_ddi_action_open(struct db *db, struct db_tx *tx, int64_t device,
    struct db_ddi_action *out)
{
	static const char sql[] = "SELECT " ACTION_COLS " FROM ddi_actions "
	    "WHERE device = $1 AND state = 'open'";

	return action_read(db, tx, sql, device, 0, out);
}

/* ---- Attributes and the configData link ---- */

static int
config_set(struct db_tx *tx, int64_t device, int asked)
{
	static const char sql[] = "INSERT INTO ddi_devices (device, "
	    "config_asked) VALUES ($1, $2) ON CONFLICT (device) DO UPDATE "
	    "SET config_asked = excluded.config_asked";
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, device);
	db_bind_int(st, 2, asked);
	return db_step_done(tx->c, st, "ddi config asked");
}

int
db_ddi_config_ask(struct db_tx *tx, int64_t device)
{
	return config_set(tx, device, 1);
}

int
db_ddi_config_asked(struct db *db, struct db_tx *tx, int64_t device,
    int *asked)
{
	static const char sql[] = "SELECT config_asked FROM ddi_devices "
	    "WHERE device = $1";
	struct db_conn *c = conn_get(db, tx);
	struct db_st *st = db_stmt(c, sql);
	int rc = DB_ERR;

	if (st != NULL) {
		db_bind_i64(st, 1, device);
		rc = db_row(c, st, "ddi config asked");
	}
	if (rc == DB_OK || rc == DB_NOTFOUND) {
		*asked = rc == DB_NOTFOUND || db_col_int(st, 0) != 0;
		rc = DB_OK;
	}
	if (st != NULL)
		db_st_reset(st);
	conn_put(db, tx, c);
	return rc;
}

/* Runs a statement bound to (device[, key[, value]]). */
static int
attr_step(struct db_tx *tx, const char *sql, int64_t device, const char *key,
    const char *value)
{
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, device);
	if (key != NULL)
		db_bind_text(st, 2, key);
	if (value != NULL)
		db_bind_text(st, 3, value);
	return db_step_done(tx->c, st, "device attribute");
}

static int
attr_count(struct db_tx *tx, int64_t device, int *n)
{
	static const char sql[] = "SELECT COUNT(*) FROM device_attributes "
	    "WHERE device = $1";
	struct db_st *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, device);
	rc = db_row(tx->c, st, "device attributes count");
	if (rc == DB_OK)
		*n = db_col_int(st, 0);
	db_st_reset(st);
	return rc;
}

int
db_ddi_attrs_put(struct db_tx *tx, void *arg)
{
	static const char del_all[] = "DELETE FROM device_attributes "
	    "WHERE device = $1";
	static const char del[] = "DELETE FROM device_attributes "
	    "WHERE device = $1 AND key = $2";
	static const char put[] = "INSERT INTO device_attributes (device, key, "
	    "value) VALUES ($1, $2, $3) ON CONFLICT (device, key) DO UPDATE "
	    "SET value = excluded.value";
	struct db_ddi_attrs_put *a = arg;
	char detail[48];
	int rc = DB_OK;

	if (a->mode == DB_DDI_REPLACE)
		rc = attr_step(tx, del_all, a->device, NULL, NULL);
	for (int i = 0; i < a->n && rc == DB_OK; i++)
		rc = a->mode == DB_DDI_REMOVE ?
		    attr_step(tx, del, a->device, a->keys[i], NULL) :
		    attr_step(tx, put, a->device, a->keys[i], a->values[i]);
	if (rc == DB_OK)
		rc = attr_count(tx, a->device, &a->stored);
	if (rc == DB_OK && a->stored > DB_DDI_ATTRS_MAX)
		return DB_INVALID;
	if (rc == DB_OK)
		rc = config_set(tx, a->device, 0);
	if (rc == DB_OK && util_fmt(detail, sizeof(detail), "keys=%d",
	    a->stored) != 0)
		rc = DB_ERR;
	return rc == DB_OK ? db_event_add(tx, a->device, 0, "attributes", 0, 0,
	    NULL, NULL, detail) : rc;
}

struct attrs_cb {
	void (*fn)(const char *key, const char *value, void *arg);
	void *arg;
};

static int
attr_row(struct db_st *st, void *arg)
{
	struct attrs_cb *cb = arg;
	char key[DB_DDI_KEY_MAX + 1], value[DB_DDI_VALUE_MAX + 1];

	if (db_col_text(st, 0, key, sizeof(key)) != 0 ||
	    db_col_text(st, 1, value, sizeof(value)) != 0)
		return DB_ERR;
	cb->fn(key, value, cb->arg);
	return 0;
}

int
db_ddi_attrs(struct db *db, int64_t device,
    void (*fn)(const char *key, const char *value, void *arg), void *arg)
{
	static const char sql[] = "SELECT key, value FROM device_attributes "
	    "WHERE device = $1 ORDER BY key";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	struct attrs_cb cb = { fn, arg };
	int rc = DB_ERR;

	if (st != NULL) {
		db_bind_i64(st, 1, device);
		rc = db_rows(c, st, "device attributes", attr_row, &cb);
	}
	db_rd_put(db, c);
	return rc;
}
