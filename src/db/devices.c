/* Devices: identity, token hash, tags, what they run, when they were
 * seen, and their history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/changes.h"
#include "db/devices.h"
#include "db/internal.h"
#include "sign/crypto.h"

static void
auth_row(struct db_st *st, struct db_device_auth *out)
{
	out->id = db_col_i64(st, 0);
	db_col_text(st, 1, out->device_id, sizeof(out->device_id));
	db_col_text(st, 2, out->hw_class, sizeof(out->hw_class));
	db_col_text(st, 3, out->fw_version, sizeof(out->fw_version));
	const char *offer = db_col_str(st, 6);

	out->offer_release = db_col_i64(st, 5);
	out->offer_state = ROLLOUT_DEV_OFFERED;
	/* An offer in no known state is no offer for the poll. */
	if (offer != NULL && rollout_device_state_parse(offer,
	    &out->offer_state) != 0) {
		db_complain("a direct offer has an unknown state");
		out->offer_release = 0;
	}
}

#define AUTH_SELECT "SELECT d.id, d.device_id, d.hw_class, d.fw_version, " \
	"d.token_hash, o.release_id, o.state " \
	"FROM devices d LEFT JOIN offers o ON o.device = d.id "

int
db_device_by_token(struct db *db, const uint8_t hash[32],
    struct db_device_auth *out)
{
	static const char sql[] = AUTH_SELECT "WHERE d.token_hash = $1 "
	    "AND d.decommissioned_at IS NULL";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	int rc = DB_ERR;

	if (st != NULL) {
		db_bind_blob(st, 1, hash, 32);
		rc = db_row(c, st, "device by token");
	}
	/* Found by index; compared again without a timing leak. */
	if (rc == DB_OK && (db_col_bytes(st, 4) != 32 ||
	    !sign_memeq(db_col_blob(st, 4), hash, 32)))
		rc = DB_NOTFOUND;
	if (rc == DB_OK)
		auth_row(st, out);
	db_rd_put(db, c);
	return rc;
}

int
db_device_auth_by_id(struct db *db, const char *device_id,
    struct db_device_auth *out)
{
	static const char sql[] = AUTH_SELECT "WHERE d.device_id = $1 "
	    "AND d.decommissioned_at IS NULL";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	int rc = DB_ERR;

	if (st != NULL) {
		db_bind_text(st, 1, device_id);
		rc = db_row(c, st, "device by id");
	}
	if (rc == DB_OK)
		auth_row(st, out);
	db_rd_put(db, c);
	return rc;
}

static int
add_one(struct db_tx *tx, const struct db_new_device *d, int64_t now)
{
	static const char ins[] = "INSERT INTO devices (device_id, hw_class, "
	    "token_hash, fw_version, created_at) VALUES ($1, $2, $3, $4, $5) "
	    "RETURNING id";
	static const char tag[] = "INSERT INTO device_tags "
	    "(device, tag) VALUES ($1, $2) ON CONFLICT (device, tag) DO NOTHING";
	struct db_st *st = db_stmt(tx->c, ins);
	int64_t id;
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, d->device_id);
	db_bind_text(st, 2, d->hw_class);
	db_bind_blob(st, 3, d->token_hash, 32);
	db_bind_text(st, 4, d->fw_version);
	db_bind_i64(st, 5, now);
	if ((rc = db_step_id(tx->c, st, "device add", &id)) != DB_OK)
		return rc;
	for (int i = 0; i < d->ntags; i++) {
		if ((st = db_stmt(tx->c, tag)) == NULL)
			return DB_ERR;
		db_bind_i64(st, 1, id);
		db_bind_text(st, 2, d->tags[i]);
		if ((rc = db_step_done(tx->c, st, "device tag")) != DB_OK)
			return rc;
	}
	return db_event_add(tx, id, now, "provisioned", 0, 0, NULL, NULL,
	    d->fw_version);
}

int
db_devices_add(struct db_tx *tx, void *arg)
{
	struct db_devices_add *a = arg;
	int rc;

	for (size_t i = 0; i < a->n; i++) {
		rc = add_one(tx, &a->items[i], a->now);
		if (rc != DB_OK) {
			a->failed = i;
			return rc;
		}
	}
	return DB_OK;
}

/* Columns shared by every device query, in this order. */
#define DEVICE_COLS "d.id, d.device_id, d.hw_class, d.fw_version, " \
	"d.created_at, COALESCE(d.last_seen, 0), COALESCE(d.decommissioned_at, 0)"

static void
row_to_device(struct db_st *st, struct db_device *d)
{
	d->id = db_col_i64(st, 0);
	db_col_text(st, 1, d->device_id, sizeof(d->device_id));
	db_col_text(st, 2, d->hw_class, sizeof(d->hw_class));
	db_col_text(st, 3, d->fw_version, sizeof(d->fw_version));
	d->created_at = db_col_i64(st, 4);
	d->last_seen = db_col_i64(st, 5);
	d->decommissioned_at = db_col_i64(st, 6);
	d->ntags = 0;
}

static int
tag_row(struct db_st *st, void *arg)
{
	struct db_device *d = arg;

	if (d->ntags < DB_TAGS_MAX)
		db_col_text(st, 0, d->tags[d->ntags++], sizeof(d->tags[0]));
	return DB_OK;
}

static int
load_tags(struct db_conn *c, struct db_device *d)
{
	static const char sql[] = "SELECT tag FROM device_tags WHERE device = $1 "
	    "ORDER BY tag";
	struct db_st *st = db_stmt(c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, d->id);
	return db_rows(c, st, "device tags", tag_row, d);
}

int
db_device_list(struct db *db, const struct db_device_filter *f,
    void (*fn)(const struct db_device *, void *), void *arg)
{
	/* Optional filters as "?N IS NULL OR ..." keep one prepared text. */
	static const char sql[] = "SELECT " DEVICE_COLS " FROM devices d "
	    "WHERE (CAST($1 AS TEXT) IS NULL OR d.hw_class = $1) "
	    "AND (CAST($2 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM device_tags t "
	    "     WHERE t.device = d.id AND t.tag = $2)) "
	    "AND (CAST($3 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM cohort_devices cd "
	    "     JOIN cohorts c ON c.id = cd.cohort "
	    "     WHERE cd.device = d.id AND c.name = $3)) "
	    "AND (CAST($4 AS TEXT) IS NULL OR d.fw_version = $4) "
	    "AND (CAST($5 AS TEXT) IS NULL OR d.device_id > $5) "
	    "AND ($7 = 0 OR EXISTS (SELECT 1 FROM campaign_devices m "
	    "     WHERE m.campaign = $7 AND m.device = d.id "
	    "     AND (CAST($8 AS TEXT) IS NULL OR m.state = $8))) "
	    "ORDER BY d.device_id LIMIT $6";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	struct db_device *d = NULL;
	int rc = DB_ERR, s;

	if (st == NULL || (d = malloc(sizeof(*d))) == NULL)
		goto out;
	db_bind_text(st, 1, f->hw_class);
	db_bind_text(st, 2, f->tag);
	db_bind_text(st, 3, f->cohort);
	db_bind_text(st, 4, f->fw_version);
	db_bind_text(st, 5, f->after);
	db_bind_i64(st, 6, f->limit);
	db_bind_i64(st, 7, f->campaign);
	db_bind_text(st, 8, f->state);
	while ((s = db_step(st)) == DB_STEP_ROW) {
		row_to_device(st, d);
		if (load_tags(c, d) != DB_OK)
			goto out;
		fn(d, arg);
	}
	if (s == DB_STEP_DONE)
		rc = DB_OK;
	else
		db_report(c, "device list");
out:
	free(d);
	db_rd_put(db, c);
	return rc;
}

int
db_device_get(struct db *db, const char *device_id, struct db_device *out)
{
	static const char sql[] = "SELECT " DEVICE_COLS " FROM devices d "
	    "WHERE d.device_id = $1";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	int rc = DB_ERR;

	if (st != NULL) {
		db_bind_text(st, 1, device_id);
		rc = db_row(c, st, "device get");
	}
	if (rc == DB_OK) {
		row_to_device(st, out);
		rc = load_tags(c, out);
	}
	db_rd_put(db, c);
	return rc;
}

struct each_event {
	void (*fn)(const struct db_event *, void *);
	void *arg;
};

static int
event_row(struct db_st *st, void *arg)
{
	struct each_event *ee = arg;
	struct db_event e;

	e.id = db_col_i64(st, 0);
	e.at = db_col_i64(st, 1);
	db_col_text(st, 2, e.kind, sizeof(e.kind));
	e.release_id = db_col_i64(st, 3);
	e.campaign_id = db_col_i64(st, 4);
	db_col_text(st, 5, e.state, sizeof(e.state));
	db_col_text(st, 6, e.reason, sizeof(e.reason));
	db_col_text(st, 7, e.detail, sizeof(e.detail));
	ee->fn(&e, ee->arg);
	return DB_OK;
}

int
db_device_events(struct db *db, int64_t device, int64_t limit,
    void (*fn)(const struct db_event *, void *), void *arg)
{
	static const char sql[] = "SELECT id, at, kind, COALESCE(release_id, 0), "
	    "COALESCE(campaign_id, 0), state, reason, detail FROM device_events "
	    "WHERE device = $1 ORDER BY id DESC LIMIT $2";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	struct each_event e = { fn, arg };
	int rc = DB_ERR;

	if (st != NULL) {
		db_bind_i64(st, 1, device);
		db_bind_i64(st, 2, limit);
		rc = db_rows(c, st, "device events", event_row, &e);
	}
	db_rd_put(db, c);
	return rc;
}

int
db_event_add(struct db_tx *tx, int64_t device, int64_t at, const char *kind,
    int64_t release_id, int64_t campaign_id, const char *state,
    const char *reason, const char *detail)
{
	static const char sql[] = "INSERT INTO device_events (device, at, kind, "
	    "release_id, campaign_id, state, reason, detail) "
	    "VALUES ($1, $8, $2, $3, $4, $5, $6, $7)";
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, device);
	db_bind_text(st, 2, kind);
	if (release_id)
		db_bind_i64(st, 3, release_id);
	if (campaign_id)
		db_bind_i64(st, 4, campaign_id);
	db_bind_text(st, 5, state);
	db_bind_text(st, 6, reason);
	db_bind_text(st, 7, detail);
	db_bind_i64(st, 8, at != 0 ? at : (int64_t)time(NULL));
	return db_step_done(tx->c, st, "device event");
}

int
db_device_seen(struct db_tx *tx, int64_t device, int64_t at,
    const char *fw_version, int *changed)
{
	static const char get[] = "SELECT fw_version FROM devices WHERE id = $1";
	/* The later of $1 and the stored time (none: 0). */
#define LATER "CASE WHEN COALESCE(last_seen, 0) > $1 THEN " \
	"COALESCE(last_seen, 0) ELSE $1 END"
	/* A version only over an older sighting: of several daemons each
	 * flushing its own notes, a late flush of an older poll must not
	 * undo a newer one's version. */
	static const char upd[] = "UPDATE devices SET last_seen = " LATER ", "
	    "fw_version = $2 WHERE id = $3 AND (last_seen IS NULL OR "
	    "last_seen <= $1)";
	static const char touch[] = "UPDATE devices SET last_seen = " LATER " "
	    "WHERE id = $2 AND fw_version = $3";
	static const char seen[] = "UPDATE devices SET last_seen = " LATER " "
	    "WHERE id = $2";
#undef LATER
	struct db_st *st = db_stmt(tx->c, fw_version ? touch : seen);
	char old[DB_ID_MAX + 1] = "", detail[2 * DB_ID_MAX + 8];
	int rc;

	/* Most polls repeat the stored version: one statement that leaves
	 * fw_version, and so its index, alone. */
	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, at);
	db_bind_i64(st, 2, device);
	*changed = 0;
	if (fw_version == NULL)
		return db_step_done(tx->c, st, "device seen");
	db_bind_text(st, 3, fw_version);
	if ((rc = db_step_done(tx->c, st, "device seen")) != DB_OK)
		return rc;
	if (db_changes(tx->c) > 0)
		return DB_OK;
	if ((st = db_stmt(tx->c, get)) == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, device);
	if ((rc = db_row(tx->c, st, "device version")) == DB_OK)
		db_col_text(st, 0, old, sizeof(old));
	else if (rc != DB_NOTFOUND)
		return rc;
	if ((st = db_stmt(tx->c, upd)) == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, at);
	db_bind_text(st, 2, fw_version);
	db_bind_i64(st, 3, device);
	if ((rc = db_step_done(tx->c, st, "device seen")) != DB_OK)
		return rc;
	if (db_changes(tx->c) == 0)
		return DB_OK;	/* a newer sighting's version stands */
	if ((rc = db_tx_device_changed(tx, device)) != DB_OK)
		return rc;
	if (old[0] == '\0' || strcmp(old, fw_version) == 0)
		return DB_OK;
	*changed = 1;
	snprintf(detail, sizeof(detail), "%s -> %s", old, fw_version);
	return db_event_add(tx, device, at, "version", 0, 0, NULL, NULL,
	    detail);
}

/* ---- health: the latest report per device, and sampled history ---- */

#define HEALTH_COLS "device, at, fw_version, COALESCE(boot_id, ''), boot_ok, " \
	"selftest_ok, crash_count, uptime_s, unhealthy"

/* Columns 0..8 of HEALTH_COLS (a sample has no counters) into h. */
static void
row_to_health(struct db_st *st, struct db_health *h)
{
	memset(h, 0, sizeof(*h));
	h->device = db_col_i64(st, 0);
	h->at = db_col_i64(st, 1);
	db_col_text(st, 2, h->fw_version, sizeof(h->fw_version));
	db_col_text(st, 3, h->boot_id, sizeof(h->boot_id));
	h->boot_ok = db_col_int(st, 4);
	h->selftest_ok = db_col_int(st, 5);
	h->crash_count = db_col_i64(st, 6);
	h->uptime_s = db_col_i64(st, 7);
	h->unhealthy = db_col_int(st, 8);
}

static int
health_get(struct db_conn *c, int64_t device, struct db_health *out)
{
	static const char sql[] = "SELECT " HEALTH_COLS ", reports, "
	    "unhealthy_reports, crashes, first_at, sampled_at FROM device_health "
	    "WHERE device = $1";
	struct db_st *st = db_stmt(c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, device);
	if ((rc = db_row(c, st, "health get")) != DB_OK)
		return rc;
	row_to_health(st, out);
	out->reports = db_col_i64(st, 9);
	out->unhealthy_reports = db_col_i64(st, 10);
	out->crashes = db_col_i64(st, 11);
	out->first_at = db_col_i64(st, 12);
	out->sampled_at = db_col_i64(st, 13);
	return DB_OK;
}

int
db_health_get(struct db *db, int64_t device, struct db_health *out)
{
	struct db_conn *c = db_rd_get(db);
	int rc = health_get(c, device, out);

	db_rd_put(db, c);
	return rc;
}

int
db_health_get_tx(struct db_tx *tx, int64_t device, struct db_health *out)
{
	return health_get(tx->c, device, out);
}

/* Binds h's report fields to parameters 1..9 of st. */
static void
bind_health(struct db_st *st, const struct db_health *h)
{
	db_bind_i64(st, 1, h->device);
	db_bind_i64(st, 2, h->at);
	db_bind_text(st, 3, h->fw_version);
	db_bind_text(st, 4, h->boot_id[0] ? h->boot_id : NULL);
	db_bind_int(st, 5, h->boot_ok);
	db_bind_int(st, 6, h->selftest_ok);
	db_bind_i64(st, 7, h->crash_count);
	db_bind_i64(st, 8, h->uptime_s);
	db_bind_int(st, 9, h->unhealthy);
}

int
db_health_put(struct db_tx *tx, const struct db_health *h)
{
	/* Every column is written: the same row as a delete and insert. */
	static const char sql[] = "INSERT INTO device_health "
	    "(device, at, fw_version, boot_id, boot_ok, selftest_ok, crash_count, "
	    "uptime_s, unhealthy, reports, unhealthy_reports, crashes, first_at, "
	    "sampled_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
	    "$12, $13, $14) ON CONFLICT (device) DO UPDATE SET at = excluded.at, "
	    "fw_version = excluded.fw_version, boot_id = excluded.boot_id, "
	    "boot_ok = excluded.boot_ok, selftest_ok = excluded.selftest_ok, "
	    "crash_count = excluded.crash_count, uptime_s = excluded.uptime_s, "
	    "unhealthy = excluded.unhealthy, reports = excluded.reports, "
	    "unhealthy_reports = excluded.unhealthy_reports, "
	    "crashes = excluded.crashes, first_at = excluded.first_at, "
	    "sampled_at = excluded.sampled_at";
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	bind_health(st, h);
	db_bind_i64(st, 10, h->reports);
	db_bind_i64(st, 11, h->unhealthy_reports);
	db_bind_i64(st, 12, h->crashes);
	db_bind_i64(st, 13, h->first_at);
	db_bind_i64(st, 14, h->sampled_at);
	return db_step_done(tx->c, st, "health put");
}

int
db_health_sample(struct db_tx *tx, const struct db_health *h, int keep)
{
	static const char ins[] = "INSERT INTO health_samples (device, at, "
	    "fw_version, boot_id, boot_ok, selftest_ok, crash_count, uptime_s, "
	    "unhealthy) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
	/* The keep+1-th newest and older go: a few rows at most. */
	static const char trim[] = "DELETE FROM health_samples WHERE "
	    "device = $1 AND id <= (SELECT id FROM health_samples WHERE "
	    "device = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)";
	struct db_st *st = db_stmt(tx->c, ins);
	int rc;

	if (st == NULL)
		return DB_ERR;
	bind_health(st, h);
	if ((rc = db_step_done(tx->c, st, "health sample")) != DB_OK)
		return rc;
	if ((st = db_stmt(tx->c, trim)) == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, h->device);
	db_bind_int(st, 2, keep);
	return db_step_done(tx->c, st, "health samples trim");
}

struct each_health {
	void (*fn)(const struct db_health *, void *);
	void *arg;
};

static int
health_row(struct db_st *st, void *arg)
{
	struct each_health *eh = arg;
	struct db_health h;

	row_to_health(st, &h);
	eh->fn(&h, eh->arg);
	return DB_OK;
}

int
db_health_samples(struct db *db, int64_t device, int64_t limit,
    void (*fn)(const struct db_health *, void *), void *arg)
{
	static const char sql[] = "SELECT " HEALTH_COLS " FROM health_samples "
	    "WHERE device = $1 ORDER BY id DESC LIMIT $2";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	struct each_health eh = { fn, arg };
	int rc = DB_ERR;

	if (st != NULL) {
		db_bind_i64(st, 1, device);
		db_bind_i64(st, 2, limit);
		rc = db_rows(c, st, "health samples", health_row, &eh);
	}
	db_rd_put(db, c);
	return rc;
}

int
db_health_prune(struct db_tx *tx, int64_t before, int batch,
    int64_t *deleted)
{
	/* The oldest rows by id, of which those older than the cutoff go:
	 * no index on time, and a pass reads at most batch rows. */
	static const char sql[] = "DELETE FROM health_samples WHERE id IN "
	    "(SELECT id FROM health_samples ORDER BY id LIMIT $1) AND at < $2";

	return db_prune(tx, sql, batch, before, "health prune", deleted);
}
