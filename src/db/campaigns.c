/* Campaigns, their member devices and their event log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/campaigns.h"
#include "db/internal.h"

/* ---- campaigns ---- */

int
db_campaign_create(struct db_tx *tx, void *arg)
{
	static const char sql[] = "INSERT INTO campaigns (name, release_id, "
	    "cohort_id, salt, stages, policy, supersede, state, created_at, "
	    "created_by, start_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', "
	    "$8, $9, $10) RETURNING id";
	struct db_campaign *c = arg;
	struct db_st *st;
	char stages[256], policy[4096];
	int rc;

	if (db_settings_text(c, stages, sizeof(stages), policy,
	    sizeof(policy)) != DB_OK || (st = db_stmt(tx->c, sql)) == NULL)
		return DB_ERR;
	db_bind_text(st, 1, c->name);
	db_bind_i64(st, 2, c->release_id);
	if (c->cohort_id)
		db_bind_i64(st, 3, c->cohort_id);
	db_bind_blob(st, 4, c->salt, DB_SALT_LEN);
	db_bind_text(st, 5, stages);
	db_bind_text(st, 6, policy);
	db_bind_int(st, 7, c->supersede);
	db_bind_i64(st, 8, c->created_at);
	db_bind_text(st, 9, c->created_by);
	db_bind_i64(st, 10, c->start_at);
	if ((rc = db_step_id(tx->c, st, "campaign create", &c->id)) != DB_OK)
		return rc;
	c->state = ROLLOUT_CAMP_DRAFT;
	return db_campaign_event(tx, c->id, c->created_at, "created",
	    c->created_by, 0, NULL);
}

#define CAMPAIGN_COLS "c.id, c.name, c.release_id, COALESCE(c.cohort_id, 0), " \
	"COALESCE(h.name, ''), c.salt, c.stages, c.policy, c.supersede, " \
	"c.state, c.stage, COALESCE(c.stage_opened_at, 0), " \
	"COALESCE(c.verdict, ''), COALESCE(c.verdict_reason, ''), " \
	"COALESCE(c.verdict_detail, ''), COALESCE(c.verdict_at, 0), " \
	"c.created_at, COALESCE(c.started_at, 0), COALESCE(c.finished_at, 0), " \
	"c.created_by, r.fw_version, r.envelope_sha256, r.expires, " \
	"COALESCE(r.revoked_at, 0), c.start_at FROM campaigns c " \
	"JOIN releases r ON r.id = c.release_id " \
	"LEFT JOIN cohorts h ON h.id = c.cohort_id "

/* 0, or -1 (reported) when the stored state is no state name. */
static int
row_to_campaign(struct db_st *st, struct db_campaign *c)
{
	const char *state = db_col_str(st, 9);

	memset(c, 0, sizeof(*c));
	c->id = db_col_i64(st, 0);
	db_col_text(st, 1, c->name, sizeof(c->name));
	c->release_id = db_col_i64(st, 2);
	c->cohort_id = db_col_i64(st, 3);
	db_col_text(st, 4, c->cohort, sizeof(c->cohort));
	if (db_col_bytes(st, 5) == DB_SALT_LEN)
		memcpy(c->salt, db_col_blob(st, 5), DB_SALT_LEN);
	c->settings_ok = db_stages_parse(db_col_str(st,
	    6), c->stages, &c->nstages) == 0 && db_policy_parse(
	    db_col_str(st, 7), &c->policy) == 0;
	c->stage = db_col_int(st, 10);
	c->settings_ok = c->settings_ok && c->stage >= 0 &&
	    c->stage < c->nstages;
	if (!c->settings_ok)
		rollout_policy_default(&c->policy);
	c->supersede = db_col_int(st, 8);
	c->stage_opened_at = db_col_i64(st, 11);
	db_col_text(st, 12, c->verdict, sizeof(c->verdict));
	db_col_text(st, 13, c->verdict_reason, sizeof(c->verdict_reason));
	db_col_text(st, 14, c->verdict_detail, sizeof(c->verdict_detail));
	c->verdict_at = db_col_i64(st, 15);
	c->created_at = db_col_i64(st, 16);
	c->started_at = db_col_i64(st, 17);
	c->finished_at = db_col_i64(st, 18);
	db_col_text(st, 19, c->created_by, sizeof(c->created_by));
	db_col_text(st, 20, c->release_fw, sizeof(c->release_fw));
	db_col_text(st, 21, c->release_sha, sizeof(c->release_sha));
	c->release_expires = db_col_i64(st, 22);
	c->release_revoked_at = db_col_i64(st, 23);
	c->start_at = db_col_i64(st, 24);
	if (state == NULL || rollout_campaign_state_parse(state, &c->state)) {
		db_complain("a campaign has an unknown state");
		return -1;
	}
	return 0;
}

static int
campaign_get(struct db_conn *c, int64_t id, struct db_campaign *out)
{
	static const char sql[] = "SELECT " CAMPAIGN_COLS "WHERE c.id = $1";
	struct db_st *st = db_stmt(c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, id);
	if ((rc = db_row(c, st, "campaign get")) == DB_OK &&
	    row_to_campaign(st, out) != 0)
		rc = DB_ERR;
	return rc;
}

int
db_campaign_get(struct db *db, int64_t id, struct db_campaign *out)
{
	struct db_conn *c = db_rd_get(db);
	int rc = campaign_get(c, id, out);

	db_rd_put(db, c);
	return rc;
}

int
db_campaign_get_tx(struct db_tx *tx, int64_t id, struct db_campaign *out)
{
	return campaign_get(tx->c, id, out);
}

/* Steps st to its end, handing each row to fn as a campaign. */
static int
each_campaign(struct db_conn *c, struct db_st *st,
    void (*fn)(const struct db_campaign *, void *), void *arg)
{
	struct db_campaign *row = malloc(sizeof(*row));
	int s;

	if (row == NULL)
		return DB_ERR;
	while ((s = db_step(st)) == DB_STEP_ROW)
		if (row_to_campaign(st, row) == 0)
			fn(row, arg);
	db_st_reset(st);
	free(row);
	if (s == DB_STEP_DONE)
		return DB_OK;
	db_report(c, "campaign rows");
	return DB_ERR;
}

int
db_campaign_list(struct db *db, int state, int64_t after,
    int64_t limit, void (*fn)(const struct db_campaign *, void *), void *arg)
{
	static const char sql[] = "SELECT " CAMPAIGN_COLS "WHERE c.id > $1 AND "
	    "(CAST($2 AS TEXT) IS NULL OR c.state = $2) ORDER BY c.id LIMIT $3";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	int rc = DB_ERR;

	if (st != NULL) {
		db_bind_i64(st, 1, after);
		db_bind_text(st, 2, state < 0 ? NULL :
		    rollout_campaign_state_name(state));
		db_bind_i64(st, 3, limit);
		rc = each_campaign(c, st, fn, arg);
	}
	db_rd_put(db, c);
	return rc;
}

static const char live_sql[] = "SELECT " CAMPAIGN_COLS "WHERE c.state IN "
    "('running', 'paused') OR (c.state = 'completed' AND c.finished_at >= $1) "
    "ORDER BY c.id DESC";

static int
live(struct db_conn *c, int64_t completed_since,
    void (*fn)(const struct db_campaign *, void *), void *arg)
{
	struct db_st *st = db_stmt(c, live_sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, completed_since);
	return each_campaign(c, st, fn, arg);
}

int
db_campaign_live(struct db *db, int64_t completed_since,
    void (*fn)(const struct db_campaign *, void *), void *arg)
{
	struct db_conn *c = db_rd_get(db);
	int rc = live(c, completed_since, fn, arg);

	db_rd_put(db, c);
	return rc;
}

int
db_campaign_live_tx(struct db_tx *tx, int64_t completed_since,
    void (*fn)(const struct db_campaign *, void *), void *arg)
{
	return live(tx->c, completed_since, fn, arg);
}

int
db_campaign_of_release_tx(struct db_tx *tx, int64_t release,
    void (*fn)(const struct db_campaign *, void *), void *arg)
{
	static const char sql[] = "SELECT " CAMPAIGN_COLS "WHERE "
	    "c.release_id = $1 AND c.state IN ('running', 'paused') ORDER BY c.id";
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, release);
	return each_campaign(tx->c, st, fn, arg);
}

int
db_campaign_sweepable_tx(struct db_tx *tx, int64_t finished_since,
    void (*fn)(const struct db_campaign *, void *), void *arg)
{
	/* Running and paused first: a caller that stops early keeps them. */
	static const char sql[] = "SELECT " CAMPAIGN_COLS "WHERE c.state IN "
	    "('running', 'paused') OR (c.state IN ('completed', 'halted') AND "
	    "c.finished_at >= $1) ORDER BY CASE WHEN c.state IN ('running', "
	    "'paused') THEN 1 ELSE 0 END DESC, c.id DESC";
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, finished_since);
	return each_campaign(tx->c, st, fn, arg);
}

int
db_campaign_due_tx(struct db_tx *tx, int64_t now,
    void (*fn)(const struct db_campaign *, void *), void *arg)
{
	static const char sql[] = "SELECT " CAMPAIGN_COLS "WHERE "
	    "c.start_at > 0 AND c.start_at <= $1 AND c.state = 'draft' "
	    "ORDER BY c.start_at, c.id";
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, now);
	return each_campaign(tx->c, st, fn, arg);
}

static void
bind_or_null(struct db_st *st, int i, int64_t v)
{
	if (v != 0)
		db_bind_i64(st, i, v);
	else
		db_bind_null(st, i);
}

int
db_campaign_update(struct db_tx *tx, const struct db_campaign *c,
    enum rollout_campaign_state expect_state, int expect_stage)
{
	static const char sql[] = "UPDATE campaigns SET state = $1, stage = $2, "
	    "stage_opened_at = $3, verdict = $4, verdict_reason = $5, "
	    "verdict_detail = $6, verdict_at = $7, started_at = $8, "
	    "finished_at = $9, start_at = $10 WHERE id = $11 AND state = $12 AND "
	    "stage = $13";
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, rollout_campaign_state_name(c->state));
	db_bind_int(st, 2, c->stage);
	bind_or_null(st, 3, c->stage_opened_at);
	db_bind_text(st, 4, c->verdict[0] ? c->verdict : NULL);
	db_bind_text(st, 5, c->verdict_reason[0] ? c->verdict_reason : NULL);
	db_bind_text(st, 6, c->verdict_detail[0] ? c->verdict_detail : NULL);
	bind_or_null(st, 7, c->verdict_at);
	bind_or_null(st, 8, c->started_at);
	bind_or_null(st, 9, c->finished_at);
	db_bind_i64(st, 10, c->start_at);
	db_bind_i64(st, 11, c->id);
	db_bind_text(st, 12, rollout_campaign_state_name(expect_state));
	db_bind_int(st, 13, expect_stage);
	return db_step_cas(tx->c, st, "campaign update");
}

int
db_campaign_event(struct db_tx *tx, int64_t campaign, int64_t at,
    const char *kind, const char *actor, int stage, const char *detail)
{
	static const char sql[] = "INSERT INTO campaign_events (campaign, at, "
	    "kind, actor, stage, detail) VALUES ($1, $2, $3, $4, $5, $6)";
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, campaign);
	db_bind_i64(st, 2, at);
	db_bind_text(st, 3, kind);
	db_bind_text(st, 4, actor);
	db_bind_int(st, 5, stage);
	db_bind_text(st, 6, detail);
	return db_step_done(tx->c, st, "campaign event");
}

int
db_campaign_events(struct db *db, int64_t campaign, int64_t after,
    int64_t limit, void (*fn)(const struct db_campaign_event *, void *),
    void *arg)
{
	static const char sql[] = "SELECT id, at, kind, actor, "
	    "COALESCE(stage, 0), COALESCE(detail, '') FROM campaign_events "
	    "WHERE campaign = $1 AND id > $2 ORDER BY id LIMIT $3";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	struct db_campaign_event e;
	int rc = DB_ERR, s;

	if (st == NULL)
		goto out;
	db_bind_i64(st, 1, campaign);
	db_bind_i64(st, 2, after);
	db_bind_i64(st, 3, limit);
	while ((s = db_step(st)) == DB_STEP_ROW) {
		e.id = db_col_i64(st, 0);
		e.at = db_col_i64(st, 1);
		db_col_text(st, 2, e.kind, sizeof(e.kind));
		db_col_text(st, 3, e.actor, sizeof(e.actor));
		e.stage = db_col_int(st, 4);
		db_col_text(st, 5, e.detail, sizeof(e.detail));
		fn(&e, arg);
	}
	if (s == DB_STEP_DONE)
		rc = DB_OK;
	else
		db_report(c, "campaign events");
out:
	db_rd_put(db, c);
	return rc;
}

/* ---- targets and overlaps ---- */

/* Devices of the release's hw classes (and cohort), not on its version. */
#define TARGETS "FROM devices d WHERE d.hw_class IN (SELECT hw_class FROM " \
	"release_hw_classes WHERE release_id = $1) AND d.fw_version <> " \
	"(SELECT fw_version FROM releases WHERE id = $1) AND ($2 = 0 OR " \
	"d.id IN (SELECT device FROM cohort_devices WHERE cohort = $2)) " \
	"AND d.decommissioned_at IS NULL"

static int
targets(struct db_conn *c, int64_t release, int64_t cohort, db_target_fn fn,
    void *arg)
{
	static const char sql[] = "SELECT d.id, d.device_id " TARGETS;
	struct db_st *st = db_stmt(c, sql);
	int s, rc = DB_OK;

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, release);
	db_bind_i64(st, 2, cohort);
	while ((s = db_step(st)) == DB_STEP_ROW && rc == DB_OK)
		rc = fn(db_col_i64(st, 0),
		    db_col_str(st, 1), arg);
	db_st_reset(st);
	if (rc != DB_OK)
		return rc;
	if (s != DB_STEP_DONE && s != DB_STEP_ROW) {
		db_report(c, "campaign targets");
		return DB_ERR;
	}
	return DB_OK;
}

int
db_campaign_targets(struct db *db, int64_t release, int64_t cohort,
    db_target_fn fn, void *arg)
{
	struct db_conn *c = db_rd_get(db);
	int rc = targets(c, release, cohort, fn, arg);

	db_rd_put(db, c);
	return rc;
}

int
db_campaign_targets_tx(struct db_tx *tx, int64_t release, int64_t cohort,
    db_target_fn fn, void *arg)
{
	return targets(tx->c, release, cohort, fn, arg);
}

/* The rows of st (one text column each) joined with ", " into buf; ""
 * when they do not fit. */
static int
hw_list(struct db_conn *c, struct db_st *st, char *buf, size_t size)
{
	size_t len = 0;
	int s, over = 0;

	buf[0] = '\0';
	while ((s = db_step(st)) == DB_STEP_ROW) {
		const char *v = db_col_str(st, 0);
		size_t n = v != NULL ? db_col_bytes(st, 0) : 0;
		size_t sep = len > 0 ? 2 : 0;

		if (over || len + sep + n >= size) {
			over = 1;
			continue;
		}
		memcpy(buf + len, ", ", sep);
		if (n > 0)
			memcpy(buf + len + sep, v, n);
		len += sep + n;
		buf[len] = '\0';
	}
	db_st_reset(st);
	if (over)
		buf[0] = '\0';
	if (s == DB_STEP_DONE)
		return DB_OK;
	db_report(c, "release hw classes");
	return DB_ERR;
}

/* Fills out for (release, cohort); see db_target_summary. */
static int
target_summary(struct db_conn *c, int64_t release, int64_t cohort,
    struct db_target_summary *out)
{
	static const char any[] = "SELECT CASE WHEN EXISTS (SELECT 1 "
	    TARGETS ") THEN 1 ELSE 0 END";
	static const char hw[] = "SELECT hw_class FROM release_hw_classes "
	    "WHERE release_id = $1 ORDER BY hw_class";
	static const char scope[] = "SELECT d.hw_class, COUNT(*), "
	    "CASE WHEN d.hw_class IN (SELECT hw_class FROM release_hw_classes "
	    "WHERE release_id = $1) THEN 1 ELSE 0 END, SUM(CASE WHEN "
	    "d.fw_version = (SELECT fw_version FROM releases WHERE id = $1) "
	    "THEN 1 ELSE 0 END) FROM devices d WHERE ($2 = 0 OR d.id IN "
	    "(SELECT device FROM cohort_devices WHERE cohort = $2)) "
	    "AND d.decommissioned_at IS NULL GROUP BY d.hw_class ORDER BY 2 DESC, 1";
	struct db_st *st = db_stmt(c, any);
	int rc, s;

	memset(out, 0, sizeof(*out));
	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, release);
	db_bind_i64(st, 2, cohort);
	if ((rc = db_row(c, st, "any target")) != DB_OK)
		return rc;
	out->any = db_col_int(st, 0);
	/* The explanation costs a scan of the scope: only when empty. */
	if (out->any)
		return DB_OK;
	if ((st = db_stmt(c, hw)) == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, release);
	if ((rc = hw_list(c, st, out->release_hw, sizeof(out->release_hw)))
	    != DB_OK)
		return rc;
	if ((st = db_stmt(c, scope)) == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, release);
	db_bind_i64(st, 2, cohort);
	while ((s = db_step(st)) == DB_STEP_ROW) {
		int64_t n = db_col_i64(st, 1);

		out->devices += n;
		if (db_col_int(st, 2)) {
			out->fitting += n;
			out->on_version += db_col_i64(st, 3);
		}
		if (out->nhw < DB_SUMMARY_HW)
			db_col_text(st, 0, out->hw[out->nhw++], sizeof(out->hw[0]));
	}
	db_st_reset(st);
	if (s == DB_STEP_DONE)
		return DB_OK;
	db_report(c, "target scope");
	return DB_ERR;
}

int
db_target_summary(struct db *db, int64_t release, int64_t cohort,
    struct db_target_summary *out)
{
	struct db_conn *c = db_rd_get(db);
	int rc = target_summary(c, release, cohort, out);

	db_rd_put(db, c);
	return rc;
}

int
db_target_summary_tx(struct db_tx *tx, int64_t release, int64_t cohort,
    struct db_target_summary *out)
{
	return target_summary(tx->c, release, cohort, out);
}

int
db_member_add(struct db_tx *tx, int64_t campaign, int64_t device,
    uint32_t bucket, int64_t now)
{
	static const char sql[] = "INSERT INTO campaign_devices (campaign, "
	    "device, bucket, last_change) VALUES ($1, $2, $3, $4)";
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, campaign);
	db_bind_i64(st, 2, device);
	db_bind_i64(st, 3, bucket);
	db_bind_i64(st, 4, now);
	return db_step_done(tx->c, st, "campaign member");
}

static int
overlaps(struct db_conn *c, int64_t release, int64_t cohort, int64_t except,
    void (*fn)(int64_t, int64_t, void *), void *arg)
{
	static const char sql[] = "SELECT cd.campaign, COUNT(*) FROM "
	    "campaign_devices cd JOIN campaigns c ON c.id = cd.campaign WHERE "
	    "c.state IN ('running', 'paused') AND c.id <> $3 AND cd.device IN "
	    "(SELECT d.id " TARGETS ") GROUP BY cd.campaign ORDER BY cd.campaign";
	struct db_st *st = db_stmt(c, sql);
	int s;

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, release);
	db_bind_i64(st, 2, cohort);
	db_bind_i64(st, 3, except);
	while ((s = db_step(st)) == DB_STEP_ROW)
		fn(db_col_i64(st, 0), db_col_i64(st, 1), arg);
	db_st_reset(st);
	if (s == DB_STEP_DONE)
		return DB_OK;
	db_report(c, "campaign overlaps");
	return DB_ERR;
}

int
db_campaign_overlaps_tx(struct db_tx *tx, int64_t release, int64_t cohort,
    int64_t except, void (*fn)(int64_t, int64_t, void *), void *arg)
{
	return overlaps(tx->c, release, cohort, except, fn, arg);
}

int
db_campaign_overlaps(struct db *db, int64_t release, int64_t cohort,
    int64_t except, void (*fn)(int64_t, int64_t, void *), void *arg)
{
	struct db_conn *c = db_rd_get(db);
	int rc = overlaps(c, release, cohort, except, fn, arg);

	db_rd_put(db, c);
	return rc;
}

/* ---- members ---- */

#define MEMBER_COLS "cd.campaign, cd.device, cd.bucket, cd.state, " \
	"cd.attempts, COALESCE(cd.last_change, 0), " \
	"COALESCE(cd.confirmed_at, 0), COALESCE(cd.reason, ''), " \
	"COALESCE(cd.install_boot, ''), cd.cause_stated"
#define MEMBER_NCOLS 10

/* 0, or -1 (reported) when the stored state is no state name. */
static int
row_to_member(struct db_st *st, struct db_member *m)
{
	const char *state = db_col_str(st, 3);

	m->campaign = db_col_i64(st, 0);
	m->device = db_col_i64(st, 1);
	m->bucket = (uint32_t)db_col_i64(st, 2);
	if (state == NULL || rollout_device_state_parse(state, &m->state)) {
		db_complain("a campaign member has an unknown state");
		return -1;
	}
	m->attempts = db_col_int(st, 4);
	m->last_change = db_col_i64(st, 5);
	m->confirmed_at = db_col_i64(st, 6);
	db_col_text(st, 7, m->reason, sizeof(m->reason));
	db_col_text(st, 8, m->install_boot, sizeof(m->install_boot));
	m->cause_stated = db_col_int(st, 9);
	return 0;
}

static int
member_get(struct db_conn *c, int64_t campaign, int64_t device,
    struct db_member *out)
{
	static const char sql[] = "SELECT " MEMBER_COLS " FROM campaign_devices "
	    "cd WHERE cd.campaign = $1 AND cd.device = $2";
	struct db_st *st = db_stmt(c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, campaign);
	db_bind_i64(st, 2, device);
	if ((rc = db_row(c, st, "member get")) == DB_OK &&
	    row_to_member(st, out) != 0)
		rc = DB_ERR;
	return rc;
}

int
db_member_get(struct db *db, int64_t campaign, int64_t device,
    struct db_member *out)
{
	struct db_conn *c = db_rd_get(db);
	int rc = member_get(c, campaign, device, out);

	db_rd_put(db, c);
	return rc;
}

int
db_member_get_tx(struct db_tx *tx, int64_t campaign, int64_t device,
    struct db_member *out)
{
	return member_get(tx->c, campaign, device, out);
}

int
db_member_update(struct db_tx *tx, const struct db_member *m,
    enum rollout_device_state expect_state, int expect_attempts)
{
	static const char sql[] = "UPDATE campaign_devices SET state = $1, "
	    "attempts = $2, last_change = $3, confirmed_at = $4, reason = $5, "
	    "install_boot = $6, cause_stated = $7 WHERE campaign = $8 AND "
	    "device = $9 AND state = $10 AND attempts = $11";
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, rollout_device_state_name(m->state));
	db_bind_int(st, 2, m->attempts);
	bind_or_null(st, 3, m->last_change);
	bind_or_null(st, 4, m->confirmed_at);
	db_bind_text(st, 5, m->reason[0] ? m->reason : NULL);
	db_bind_text(st, 6, m->install_boot[0] ? m->install_boot : NULL);
	db_bind_int(st, 7, m->cause_stated);
	db_bind_i64(st, 8, m->campaign);
	db_bind_i64(st, 9, m->device);
	db_bind_text(st, 10, rollout_device_state_name(expect_state));
	db_bind_int(st, 11, expect_attempts);
	return db_step_cas(tx->c, st, "member update");
}

int
db_member_in_flight_tx(struct db_tx *tx, int64_t campaign,
    void (*fn)(const struct db_flight *, void *), void *arg)
{
	static const char sql[] = "SELECT " MEMBER_COLS ", d.fw_version, "
	    "COALESCE(d.last_seen, 0) FROM campaign_devices cd JOIN devices d "
	    "ON d.id = cd.device WHERE cd.campaign = $1 AND cd.state IN "
	    "('offered', 'downloading', 'installed', 'confirmed')";
	struct db_st *st = db_stmt(tx->c, sql);
	struct db_flight f;
	int s;

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, campaign);
	while ((s = db_step(st)) == DB_STEP_ROW) {
		if (row_to_member(st, &f.m) != 0)
			continue;
		db_col_text(st, MEMBER_NCOLS, f.fw_version, sizeof(f.fw_version));
		f.last_seen = db_col_i64(st, MEMBER_NCOLS + 1);
		fn(&f, arg);
	}
	db_st_reset(st);
	if (s == DB_STEP_DONE)
		return DB_OK;
	db_report(tx->c, "members in flight");
	return DB_ERR;
}

int
db_member_capped_count_tx(struct db_tx *tx, int64_t campaign, int64_t *n)
{
	static const char sql[] = "SELECT COUNT(*) FROM campaign_devices "
	    "WHERE campaign = $1 AND state IN ('offered', 'downloading', "
	    "'installed')";
	struct db_st *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, campaign);
	if ((rc = db_row(tx->c, st, "members capped")) == DB_OK)
		*n = db_col_i64(st, 0);
	db_st_reset(st);
	return rc;
}

int
db_campaign_cap_lock_tx(struct db_tx *tx, int64_t campaign, int *shared)
{
	/* PostgreSQL's alone: SQLite has no row locks and needs none. */
	static const char sql[] = "SELECT id FROM campaigns WHERE id = $1 "
	    "FOR UPDATE";
	struct db_st *st;
	int rc;

	*shared = db_conn_is_pg(tx->c);
	if (!*shared)
		return DB_OK;
	if ((st = db_stmt(tx->c, sql)) == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, campaign);
	rc = db_row(tx->c, st, "campaign cap lock");
	db_st_reset(st);
	return rc == DB_NOTFOUND ? DB_OK : rc;
}

/* Steps a (text, all, added) query, handing each row to fn. */
static int
each_split(struct db_conn *c, struct db_st *st, const char *what,
    void (*fn)(const char *, int64_t, int64_t, void *), void *arg)
{
	int s;

	while ((s = db_step(st)) == DB_STEP_ROW)
		fn(db_col_str(st, 0),
		    db_col_i64(st, 1), db_col_i64(st, 2), arg);
	db_st_reset(st);
	if (s == DB_STEP_DONE)
		return DB_OK;
	db_report(c, what);
	return DB_ERR;
}

int
db_member_counts_tx(struct db_tx *tx, int64_t campaign, uint32_t from,
    uint32_t below, void (*fn)(const char *state, int64_t all,
    int64_t added, void *), void *arg)
{
	/* One pass over the index (campaign, state, bucket) in its order:
	 * no sort, both counts at once. */
	static const char sql[] = "SELECT state, COUNT(*), "
	    "SUM(CASE WHEN bucket >= $3 THEN 1 ELSE 0 END) "
	    "FROM campaign_devices WHERE campaign = $1 AND bucket < $2 "
	    "GROUP BY state";
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, campaign);
	db_bind_i64(st, 2, below);
	db_bind_i64(st, 3, from);
	return each_split(tx->c, st, "member counts", fn, arg);
}

int
db_failure_reasons_tx(struct db_tx *tx, int64_t campaign, uint32_t from,
    uint32_t below, void (*fn)(const char *reason, int64_t all,
    int64_t added, void *), void *arg)
{
	static const char sql[] = "SELECT COALESCE(reason, 'other'), COUNT(*), "
	    "SUM(CASE WHEN bucket >= $3 THEN 1 ELSE 0 END) FROM campaign_devices "
	    "WHERE campaign = $1 "
	    "AND state IN ('failed', 'rolled_back', 'timed_out') AND "
	    "bucket < $2 GROUP BY 1";
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, campaign);
	db_bind_i64(st, 2, below);
	db_bind_i64(st, 3, from);
	return each_split(tx->c, st, "failure reasons", fn, arg);
}

int
db_pending_seen_tx(struct db_tx *tx, int64_t campaign, uint32_t from,
    uint32_t below, int64_t since, struct db_pending out[2])
{
	/* The stage's pending members through (campaign, state, bucket),
	 * each with its device's last poll. */
	static const char sql[] = "SELECT CASE WHEN cd.bucket >= $3 "
	    "THEN 1 ELSE 0 END, COUNT(*), SUM(CASE WHEN COALESCE(d.last_seen, "
	    "0) < $4 THEN 1 ELSE 0 END) FROM campaign_devices cd "
	    "JOIN devices d ON d.id = cd.device WHERE cd.campaign = $1 AND "
	    "cd.state = 'pending' AND cd.bucket < $2 GROUP BY 1";
	struct db_st *st = db_stmt(tx->c, sql);
	int s;

	memset(out, 0, 2 * sizeof(*out));
	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, campaign);
	db_bind_i64(st, 2, below);
	db_bind_i64(st, 3, from);
	db_bind_i64(st, 4, since);
	while ((s = db_step(st)) == DB_STEP_ROW) {
		struct db_pending *p = &out[db_col_int(st, 0) != 0];

		p->pending = db_col_i64(st, 1);
		p->unseen = db_col_i64(st, 2);
	}
	db_st_reset(st);
	if (s == DB_STEP_DONE)
		return DB_OK;
	db_report(tx->c, "pending members");
	return DB_ERR;
}

int
db_baseline_tx(struct db_tx *tx, int64_t campaign, int64_t since,
    const char *release_fw, struct db_baseline *out)
{
	/* Every pending member of the campaign, whatever its stage, with
	 * its latest health report when that is recent. */
	static const char sql[] = "SELECT COUNT(*), COALESCE(SUM(h.unhealthy), 0) "
	    "FROM campaign_devices cd JOIN device_health h ON "
	    "h.device = cd.device WHERE cd.campaign = $1 AND "
	    "cd.state = 'pending' AND h.at >= $2 AND h.fw_version <> $3";
	struct db_st *st = db_stmt(tx->c, sql);
	int rc;

	memset(out, 0, sizeof(*out));
	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, campaign);
	db_bind_i64(st, 2, since);
	db_bind_text(st, 3, release_fw);
	if ((rc = db_row(tx->c, st, "baseline")) != DB_OK)
		return rc == DB_NOTFOUND ? DB_ERR : rc;
	out->reporting = db_col_i64(st, 0);
	out->unhealthy = db_col_i64(st, 1);
	return DB_OK;
}

int
db_member_histogram(struct db *db, int64_t campaign,
    void (*fn)(int pct_floor, const char *state, const char *reason,
    int64_t n, void *), void *arg)
{
	static const char sql[] = "SELECT bucket / 100, state, "
	    "CASE WHEN state IN ('failed', 'rolled_back', 'timed_out') THEN "
	    "COALESCE(reason, 'other') END, COUNT(*) FROM campaign_devices "
	    "WHERE campaign = $1 GROUP BY 1, 2, 3";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	int rc = DB_ERR, s;

	if (st == NULL)
		goto out;
	db_bind_i64(st, 1, campaign);
	while ((s = db_step(st)) == DB_STEP_ROW)
		fn(db_col_int(st, 0), db_col_str(st,
		    1), db_col_str(st, 2),
		    db_col_i64(st, 3), arg);
	if (s == DB_STEP_DONE)
		rc = DB_OK;
	else
		db_report(c, "member histogram");
out:
	db_rd_put(db, c);
	return rc;
}

int
db_member_buckets(struct db *db, int64_t campaign,
    void (*fn)(uint32_t bucket, void *), void *arg)
{
	static const char sql[] = "SELECT bucket FROM campaign_devices "
	    "WHERE campaign = $1";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	int rc = DB_ERR, s;

	if (st == NULL)
		goto out;
	db_bind_i64(st, 1, campaign);
	while ((s = db_step(st)) == DB_STEP_ROW)
		fn((uint32_t)db_col_i64(st, 0), arg);
	if (s == DB_STEP_DONE)
		rc = DB_OK;
	else
		db_report(c, "member buckets");
out:
	db_rd_put(db, c);
	return rc;
}

static int
memberships(struct db_conn *c, int64_t device,
    void (*fn)(const struct db_membership *, void *), void *arg)
{
	static const char sql[] = "SELECT " MEMBER_COLS ", c.state, "
	    "c.release_id, r.fw_version FROM campaign_devices cd JOIN campaigns c "
	    "ON c.id = cd.campaign JOIN releases r ON r.id = c.release_id "
	    "WHERE cd.device = $1 ORDER BY cd.campaign DESC";
	struct db_st *st = db_stmt(c, sql);
	struct db_membership ms;
	int s;

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, device);
	while ((s = db_step(st)) == DB_STEP_ROW) {
		const char *cs = db_col_str(st,
		    MEMBER_NCOLS);

		if (row_to_member(st, &ms.m) != 0 || cs == NULL ||
		    rollout_campaign_state_parse(cs, &ms.campaign_state) != 0)
			continue;
		ms.release_id = db_col_i64(st, MEMBER_NCOLS + 1);
		db_col_text(st, MEMBER_NCOLS + 2, ms.release_fw,
		    sizeof(ms.release_fw));
		fn(&ms, arg);
	}
	db_st_reset(st);
	if (s == DB_STEP_DONE)
		return DB_OK;
	db_report(c, "memberships");
	return DB_ERR;
}

int
db_device_memberships(struct db *db, int64_t device,
    void (*fn)(const struct db_membership *, void *), void *arg)
{
	struct db_conn *c = db_rd_get(db);
	int rc = memberships(c, device, fn, arg);

	db_rd_put(db, c);
	return rc;
}

int
db_device_memberships_tx(struct db_tx *tx, int64_t device,
    void (*fn)(const struct db_membership *, void *), void *arg)
{
	return memberships(tx->c, device, fn, arg);
}
