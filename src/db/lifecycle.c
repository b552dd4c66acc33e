/* Operators' changes to what exists, each one write job: devices (tags,
 * hw class, cohorts, decommission, delete, token), artifacts, cohort
 * members, draft campaigns. */
#include <stdio.h>
#include <string.h>

#include "db/changes.h"
#include "db/internal.h"
#include "db/lifecycle.h"
#include "sign/crypto.h"

/* Live campaigns: the ones a change must not break. */
#define LIVE "c.state IN ('running', 'paused')"

/* The device's row id by device_id into *id. DB_OK, DB_NOTFOUND, DB_ERR. */
static int
device_id_of(struct db_tx *tx, const char *device_id, int64_t *id,
    int64_t *decommissioned_at)
{
	static const char sql[] = "SELECT id, COALESCE(decommissioned_at, 0) "
	    "FROM devices WHERE device_id = $1";
	struct db_st *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, device_id);
	if ((rc = db_row(tx->c, st, "device id")) != DB_OK)
		return rc;
	*id = db_col_i64(st, 0);
	if (decommissioned_at != NULL)
		*decommissioned_at = db_col_i64(st, 1);
	return DB_OK;
}

/* Runs st, which binds ?1 to the device (and ?2 to text when not NULL);
 * the first row's columns 0 (an id) and 1 (a state, optional) go to the
 * outputs. DB_CONFLICT when there is a row, DB_OK when none. */
static int
first_in_way(struct db_tx *tx, const char *sql, int64_t key, const char *text,
    int64_t *id, char *state, size_t slen)
{
	struct db_st *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, key);
	if (text != NULL)
		db_bind_text(st, 2, text);
	rc = db_row(tx->c, st, "lifecycle check");
	if (rc == DB_NOTFOUND)
		return DB_OK;
	if (rc != DB_OK)
		return rc;
	*id = db_col_i64(st, 0);
	if (state != NULL)
		db_col_text(st, 1, state, slen);
	return DB_CONFLICT;
}

/* Runs st with ?1 bound to id; DB_OK or DB_ERR. */
static int
exec_id(struct db_tx *tx, const char *sql, int64_t id, const char *what)
{
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, id);
	return db_step_done(tx->c, st, what);
}

/* Runs st with ?1 bound to id and ?2 to text. */
static int
exec_id_text(struct db_tx *tx, const char *sql, int64_t id, const char *text,
    const char *what)
{
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, id);
	db_bind_text(st, 2, text);
	return db_step_done(tx->c, st, what);
}

/* ---- devices ---- */

static int
patch_cohorts(struct db_tx *tx, int64_t device, struct db_device_patch *p)
{
	static const char clear[] = "DELETE FROM cohort_devices WHERE device = $1";
	static const char add[] = "INSERT INTO cohort_devices "
	    "(cohort, device) SELECT id, $1 FROM cohorts WHERE name = $2 "
	    "ON CONFLICT (cohort, device) DO NOTHING";
	int rc = exec_id(tx, clear, device, "device cohorts clear");

	for (size_t i = 0; rc == DB_OK && i < p->ncohorts; i++) {
		rc = exec_id_text(tx, add, device, p->cohorts[i], "device cohort");
		if (rc == DB_OK && db_changes(tx->c) == 0) {
			/* No such cohort, or named twice: only the first. */
			static const char known[] = "SELECT 1 FROM cohorts "
			    "WHERE name = $1";
			struct db_st *st = db_stmt(tx->c, known);

			if (st == NULL)
				return DB_ERR;
			db_bind_text(st, 1, p->cohorts[i]);
			rc = db_row(tx->c, st, "cohort known");
			if (rc == DB_NOTFOUND) {
				p->missing = i;
				return DB_INVALID;
			}
		}
	}
	return rc;
}

int
db_device_patch(struct db_tx *tx, void *arg)
{
	static const char live[] = "SELECT c.id FROM campaign_devices m "
	    "JOIN campaigns c ON c.id = m.campaign WHERE m.device = $1 AND "
	    LIVE " AND NOT EXISTS (SELECT 1 FROM release_hw_classes h WHERE "
	    "h.release_id = c.release_id AND h.hw_class = $2) ORDER BY c.id "
	    "LIMIT 1";
	static const char offer[] = "SELECT o.release_id FROM offers o WHERE "
	    "o.device = $1 AND o.state IN ('offered', 'downloading', "
	    "'installed') AND NOT EXISTS (SELECT 1 FROM release_hw_classes h "
	    "WHERE h.release_id = o.release_id AND h.hw_class = $2)";
	static const char hw[] = "UPDATE devices SET hw_class = $2 WHERE id = $1";
	static const char untag[] = "DELETE FROM device_tags WHERE device = $1";
	static const char tag[] = "INSERT INTO device_tags (device, "
	    "tag) VALUES ($1, $2) ON CONFLICT (device, tag) DO NOTHING";
	struct db_device_patch *p = arg;
	int64_t device;
	int rc = device_id_of(tx, p->device_id, &device, NULL);

	if (rc == DB_OK && p->hw_class != NULL) {
		rc = first_in_way(tx, live, device, p->hw_class, &p->conflict,
		    NULL, 0);
		if (rc == DB_OK)
			rc = first_in_way(tx, offer, device, p->hw_class,
			    &p->conflict_offer, NULL, 0);
		if (rc == DB_OK)
			rc = exec_id_text(tx, hw, device, p->hw_class, "device hw");
		if (rc == DB_OK)
			rc = db_tx_device_changed(tx, device);
	}
	if (rc == DB_OK && p->set_tags) {
		rc = exec_id(tx, untag, device, "device untag");
		for (int i = 0; rc == DB_OK && i < p->ntags; i++)
			rc = exec_id_text(tx, tag, device, p->tags[i], "device tag");
	}
	if (rc == DB_OK && p->set_cohorts)
		rc = patch_cohorts(tx, device, p);
	if (rc != DB_OK)
		return rc;
	return db_event_add(tx, device, 0, "changed", 0, 0, NULL, NULL,
	    p->detail);
}

int
db_device_decommission(struct db_tx *tx, void *arg)
{
	/* A random hash no token has: the old token is refused even if the
	 * filter on decommissioned_at were forgotten somewhere. */
	static const char retire[] = "UPDATE devices SET decommissioned_at = $2, "
	    "token_hash = $3 WHERE id = $1";
	static const char offer[] = "DELETE FROM offers WHERE device = $1";
	struct db_device_retire *r = arg;
	int64_t device, since;
	unsigned char noise[32];
	struct db_st *st;
	int rc = device_id_of(tx, r->device_id, &device, &since);

	if (rc != DB_OK || since != 0)
		return rc;
	if ((st = db_stmt(tx->c, retire)) == NULL)
		return DB_ERR;
	sign_random(noise, sizeof(noise));
	db_bind_i64(st, 1, device);
	db_bind_i64(st, 2, r->now);
	db_bind_blob(st, 3, noise, sizeof(noise));
	if ((rc = db_step_done(tx->c, st, "device decommission")) != DB_OK ||
	    (rc = exec_id(tx, offer, device, "device offer drop")) != DB_OK ||
	    (rc = db_tx_device_changed(tx, device)) != DB_OK)
		return rc;
	return db_event_add(tx, device, r->now, "decommissioned", 0, 0, NULL,
	    NULL, NULL);
}

int
db_device_delete(struct db_tx *tx, void *arg)
{
	static const char busy[] = "SELECT c.id, m.state FROM campaign_devices m "
	    "JOIN campaigns c ON c.id = m.campaign WHERE m.device = $1 AND "
	    LIVE " AND m.state IN ('offered', 'downloading', 'installed', "
	    "'confirmed') ORDER BY c.id LIMIT 1";
	/* Every table that refers to devices, the device last. */
	static const char *const drop[] = {
		"DELETE FROM device_tags WHERE device = $1",
		"DELETE FROM cohort_devices WHERE device = $1",
		"DELETE FROM offers WHERE device = $1",
		"DELETE FROM device_events WHERE device = $1",
		"DELETE FROM campaign_devices WHERE device = $1",
		"DELETE FROM device_health WHERE device = $1",
		"DELETE FROM health_samples WHERE device = $1",
		"DELETE FROM ddi_actions WHERE device = $1",
		"DELETE FROM device_attributes WHERE device = $1",
		"DELETE FROM ddi_devices WHERE device = $1",
		"DELETE FROM devices WHERE id = $1",
	};
	struct db_device_retire *r = arg;
	int64_t device;
	int rc = device_id_of(tx, r->device_id, &device, NULL);

	if (rc == DB_OK)
		rc = first_in_way(tx, busy, device, NULL, &r->conflict,
		    r->conflict_state, sizeof(r->conflict_state));
	for (size_t i = 0; rc == DB_OK && i < sizeof(drop) / sizeof(drop[0]);
	    i++)
		rc = exec_id(tx, drop[i], device, "device delete");
	return rc == DB_OK ? db_tx_device_changed(tx, device) : rc;
}

int
db_device_token(struct db_tx *tx, void *arg)
{
	static const char sql[] = "UPDATE devices SET token_hash = $2 "
	    "WHERE id = $1";
	struct db_device_retire *r = arg;
	int64_t device, since;
	struct db_st *st;
	int rc = device_id_of(tx, r->device_id, &device, &since);

	if (rc != DB_OK)
		return rc;
	if (since != 0)
		return DB_CONFLICT;
	if ((st = db_stmt(tx->c, sql)) == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, device);
	db_bind_blob(st, 2, r->token_hash, 32);
	if ((rc = db_step_done(tx->c, st, "device token")) != DB_OK ||
	    (rc = db_tx_device_changed(tx, device)) != DB_OK)
		return rc;
	return db_event_add(tx, device, r->now, "token_reissued", 0, 0, NULL,
	    NULL, NULL);
}

/* ---- artifacts ---- */

struct each_artifact {
	void (*fn)(const struct db_artifact *, void *);
	void *arg;
};

static int
artifact_row(struct db_st *st, void *arg)
{
	struct each_artifact *ea = arg;
	struct db_artifact a;

	db_col_text(st, 0, a.sha256, sizeof(a.sha256));
	a.size = (uint64_t)db_col_i64(st, 1);
	a.created_at = db_col_i64(st, 2);
	db_col_text(st, 3, a.created_by, sizeof(a.created_by));
	a.releases = db_col_i64(st, 4);
	ea->fn(&a, ea->arg);
	return DB_OK;
}

int
db_artifact_list(struct db *db, const char *after, int64_t limit,
    void (*fn)(const struct db_artifact *, void *), void *arg)
{
	static const char sql[] = "SELECT a.sha256, a.size, a.created_at, "
	    "a.created_by, (SELECT COUNT(*) FROM releases r WHERE "
	    "r.artifact_sha256 = a.sha256) FROM artifacts a WHERE (CAST($1 AS TEXT) IS NULL "
	    "OR a.sha256 > $1) ORDER BY a.sha256 LIMIT $2";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	struct each_artifact ea = { fn, arg };
	int rc = DB_ERR;

	if (st != NULL) {
		db_bind_text(st, 1, after);
		db_bind_i64(st, 2, limit);
		rc = db_rows(c, st, "artifact list", artifact_row, &ea);
	}
	db_rd_put(db, c);
	return rc;
}

int
db_artifact_delete(struct db_tx *tx, void *arg)
{
	static const char used[] = "SELECT id FROM releases WHERE "
	    "artifact_sha256 = $1 ORDER BY id LIMIT 1";
	static const char del[] = "DELETE FROM artifacts WHERE sha256 = $1";
	struct db_artifact_del *d = arg;
	struct db_st *st = db_stmt(tx->c, used);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, d->sha256);
	rc = db_row(tx->c, st, "artifact used");
	if (rc == DB_OK) {
		d->release = db_col_i64(st, 0);
		return DB_CONFLICT;
	}
	if (rc != DB_NOTFOUND || (st = db_stmt(tx->c, del)) == NULL)
		return DB_ERR;
	db_bind_text(st, 1, d->sha256);
	if ((rc = db_step_done(tx->c, st, "artifact delete")) != DB_OK)
		return rc;
	return db_changes(tx->c) > 0 ? DB_OK : DB_NOTFOUND;
}

/* ---- cohorts ---- */

static int
cohort_id_of(struct db_tx *tx, const char *name, int64_t *id)
{
	static const char sql[] = "SELECT id FROM cohorts WHERE name = $1";
	struct db_st *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, name);
	if ((rc = db_row(tx->c, st, "cohort id")) == DB_OK)
		*id = db_col_i64(st, 0);
	return rc;
}

int
db_cohort_edit(struct db_tx *tx, void *arg)
{
	static const char add[] = "INSERT INTO cohort_devices (cohort, "
	    "device) SELECT CAST($1 AS BIGINT), id FROM devices WHERE device_id = $2 "
	    "ON CONFLICT (cohort, device) DO NOTHING";
	static const char known[] = "SELECT 1 FROM devices WHERE device_id = $1";
	static const char rm[] = "DELETE FROM cohort_devices WHERE cohort = $1 "
	    "AND device = (SELECT id FROM devices WHERE device_id = $2)";
	static const char n[] = "SELECT COUNT(*) FROM cohort_devices "
	    "WHERE cohort = $1";
	struct db_cohort_edit *e = arg;
	struct db_st *st;
	int64_t cohort;
	int rc = cohort_id_of(tx, e->name, &cohort);

	for (size_t i = 0; rc == DB_OK && i < e->n; i++) {
		rc = exec_id_text(tx, e->remove ? rm : add, cohort,
		    e->device_ids[i], "cohort edit");
		if (rc != DB_OK || db_changes(tx->c) > 0)
			continue;
		if (e->remove)
			return DB_INVALID;
		/* Unchanged: already a member, or no such device. */
		if ((st = db_stmt(tx->c, known)) == NULL)
			return DB_ERR;
		db_bind_text(st, 1, e->device_ids[i]);
		if ((rc = db_row(tx->c, st, "device known")) == DB_NOTFOUND) {
			e->missing = i;
			return DB_INVALID;
		}
	}
	if (rc != DB_OK || (st = db_stmt(tx->c, n)) == NULL)
		return rc != DB_OK ? rc : DB_ERR;
	db_bind_i64(st, 1, cohort);
	if ((rc = db_row(tx->c, st, "cohort count")) == DB_OK)
		e->count = db_col_i64(st, 0);
	return rc;
}

int
db_cohort_delete(struct db_tx *tx, void *arg)
{
	static const char busy[] = "SELECT c.id, c.state FROM campaigns c WHERE "
	    "c.cohort_id = $1 AND c.state IN ('draft', 'running', 'paused') "
	    "ORDER BY c.id LIMIT 1";
	static const char *const drop[] = {
		"UPDATE campaigns SET cohort_id = NULL WHERE cohort_id = $1",
		"DELETE FROM cohort_devices WHERE cohort = $1",
		"DELETE FROM cohorts WHERE id = $1",
	};
	struct db_cohort_edit *e = arg;
	int64_t cohort;
	int rc = cohort_id_of(tx, e->name, &cohort);

	if (rc == DB_OK)
		rc = first_in_way(tx, busy, cohort, NULL, &e->conflict,
		    e->conflict_state, sizeof(e->conflict_state));
	for (size_t i = 0; rc == DB_OK && i < sizeof(drop) / sizeof(drop[0]);
	    i++)
		rc = exec_id(tx, drop[i], cohort, "cohort delete");
	return rc;
}

/* ---- draft campaigns ---- */

/* DB_OK when campaign d->id is a draft; else DB_NOTFOUND, or DB_CONFLICT
 * with its state in d->state (a name the backend does not know: DB_ERR). */
static int
is_draft(struct db_tx *tx, struct db_draft *d)
{
	static const char sql[] = "SELECT state FROM campaigns WHERE id = $1";
	struct db_st *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, d->id);
	if ((rc = db_row(tx->c, st, "campaign state")) != DB_OK)
		return rc;
	if (rollout_campaign_state_parse(db_col_str(st,
	    0) ? db_col_str(st, 0) : "", &d->state) != 0) {
		db_complain("a campaign has an unknown state");
		return DB_ERR;
	}
	return d->state == ROLLOUT_CAMP_DRAFT ? DB_OK : DB_CONFLICT;
}

int
db_campaign_edit(struct db_tx *tx, void *arg)
{
	static const char sql[] = "UPDATE campaigns SET name = $2, "
	    "release_id = $3, cohort_id = $4, stages = $5, policy = $6, "
	    "supersede = $7 WHERE id = $1 AND state = 'draft'";
	struct db_draft *d = arg;
	const struct db_campaign *c = d->c;
	char stages[256], policy[4096];
	struct db_st *st;
	int rc = is_draft(tx, d);

	if (rc != DB_OK)
		return rc;
	if (db_settings_text(c, stages, sizeof(stages), policy,
	    sizeof(policy)) != DB_OK || (st = db_stmt(tx->c, sql)) == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, d->id);
	db_bind_text(st, 2, c->name);
	db_bind_i64(st, 3, c->release_id);
	if (c->cohort_id)
		db_bind_i64(st, 4, c->cohort_id);
	db_bind_text(st, 5, stages);
	db_bind_text(st, 6, policy);
	db_bind_int(st, 7, c->supersede);
	if ((rc = db_step_cas(tx->c, st, "campaign edit")) != DB_OK)
		return rc;
	return db_campaign_event(tx, d->id, c->created_at, "edited",
	    c->created_by, 0, NULL);
}

int
db_campaign_delete(struct db_tx *tx, void *arg)
{
	static const char *const drop[] = {
		"DELETE FROM campaign_events WHERE campaign = $1",
		"DELETE FROM campaign_devices WHERE campaign = $1",
		"DELETE FROM ddi_actions WHERE campaign_id = $1",
		"DELETE FROM campaigns WHERE id = $1 AND state = 'draft'",
	};
	struct db_draft *d = arg;
	int rc = is_draft(tx, d);

	for (size_t i = 0; rc == DB_OK && i < sizeof(drop) / sizeof(drop[0]);
	    i++)
		rc = exec_id(tx, drop[i], d->id, "campaign delete");
	return rc;
}
