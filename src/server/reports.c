/* What device reports and polls do to offers. Each job reads the state in
 * the writer's transaction, src/rollout decides the step, the store keeps
 * the result: no report can race another into an impossible state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/campaigns.h"
#include "db/devices.h"
#include "db/releases.h"
#include "rollout/rollout.h"
#include "server/campaigns.h"
#include "server/gate.h"
#include "server/reports.h"
#include "server/server.h"

/* Applies ev to a campaign member; 0 (maybe unchanged), -1 impossible. */
static int
member_step(struct db_tx *tx, struct db_member *m,
    const struct rollout_policy *p, enum rollout_device_event ev,
    const char *reason, int64_t now, enum rollout_device_state *to_out)
{
	enum rollout_device_state from, to;

	if (rollout_device_state_parse(m->state, &from) != 0 ||
	    rollout_device_step(from, ev, m->attempts, p, &to) != 0)
		return -1;
	*to_out = to;
	if (to == from && !rollout_device_touches(from, ev, to))
		return 0;
	if (rollout_device_touches(from, ev, to))
		m->last_change = now;
	if (to == ROLLOUT_DEV_CONFIRMED && from != ROLLOUT_DEV_CONFIRMED)
		m->confirmed_at = now;
	if (to != from) {
		snprintf(m->state, sizeof(m->state), "%s",
		    rollout_device_state_name(to));
		if (rollout_state_is_failure(to) && reason != NULL)
			snprintf(m->reason, sizeof(m->reason), "%s", reason);
	}
	return db_member_update(tx, m) == DB_OK ? 0 : -2;
}

static int
campaign_status(struct db_tx *tx, struct report_status *r)
{
	struct db_campaign *c = malloc(sizeof(*c));
	struct rollout_policy p;
	struct db_member m;
	enum rollout_device_state to;
	int rc;

	if (c == NULL)
		return DB_ERR;
	rc = db_campaign_get_tx(tx, r->campaign, c);
	if (rc == DB_OK && strcmp(c->release_sha, r->release) != 0)
		rc = DB_NOTFOUND;
	if (rc == DB_OK)
		rc = db_member_get_tx(tx, r->campaign, r->device, &m);
	/* A member never offered has no offer to report about. */
	if (rc == DB_OK && strcmp(m.state, "pending") == 0)
		rc = DB_NOTFOUND;
	if (rc == DB_OK && campaign_policy_parse(c->policy, &p) != 0)
		rc = DB_ERR;
	if (rc != DB_OK)
		goto out;
	snprintf(r->was, sizeof(r->was), "%s", m.state);
	switch (member_step(tx, &m, &p, (enum rollout_device_event)r->event,
	    r->reason, r->now, &to)) {
	case 0:
		break;
	case -1:
		rc = DB_CONFLICT;
		goto out;
	default:
		rc = DB_ERR;
		goto out;
	}
	snprintf(r->state, sizeof(r->state), "%s", m.state);
	rc = db_event_add(tx, r->device, "status", c->release_id, c->id,
	    rollout_device_event_name((enum rollout_device_event)r->event),
	    r->reason, r->detail);
	if (rc == DB_OK && rollout_state_is_failure(to))
		rc = gate_soon(tx, r->srv, c->id, r->now);
out:
	free(c);
	return rc;
}

static int
direct_status(struct db_tx *tx, struct report_status *r)
{
	struct db_offer off;
	struct rollout_policy p;
	enum rollout_device_state from, to;
	char sha[65], fw[65];
	int rc;

	rc = db_offer_get_tx(tx, r->device, &off, sha, fw);
	if (rc != DB_OK)
		return rc;
	if (strcmp(sha, r->release) != 0)
		return DB_NOTFOUND;
	if (rollout_device_state_parse(off.state, &from) != 0)
		return DB_ERR;
	snprintf(r->was, sizeof(r->was), "%s", off.state);
	rollout_policy_default(&p);
	if (rollout_device_step(from, (enum rollout_device_event)r->event, 1, &p,
	    &to) != 0)
		return DB_CONFLICT;
	snprintf(r->state, sizeof(r->state), "%s", rollout_device_state_name(to));
	if (to != from && (rc = db_offer_update(tx, r->device, r->state,
	    r->reason, r->now)) != DB_OK)
		return rc;
	return db_event_add(tx, r->device, "status", off.release_id, 0,
	    rollout_device_event_name((enum rollout_device_event)r->event),
	    r->reason, r->detail);
}

int
reports_status(struct db_tx *tx, void *arg)
{
	struct report_status *r = arg;

	return r->campaign == 0 ? direct_status(tx, r) : campaign_status(tx, r);
}

/* ---- health ---- */

struct health_ctx {
	struct db_tx *tx;
	struct report_health *h;
	int rc;
};

static void
health_member(const struct db_membership *ms, void *arg)
{
	struct health_ctx *hc = arg;
	struct db_campaign *c;
	struct rollout_policy p;
	struct db_member m = ms->m;
	enum rollout_device_state to;

	/* Only a report on the campaign's own version speaks of it. */
	if (hc->rc != DB_OK || strcmp(ms->release_fw, hc->h->fw_version) != 0 ||
	    strcmp(ms->campaign_state, "draft") == 0 ||
	    strcmp(ms->campaign_state, "aborted") == 0)
		return;
	c = malloc(sizeof(*c));
	if (c == NULL || db_campaign_get_tx(hc->tx, m.campaign, c) != DB_OK ||
	    campaign_policy_parse(c->policy, &p) != 0) {
		free(c);
		hc->rc = DB_ERR;
		return;
	}
	free(c);
	if (member_step(hc->tx, &m, &p, ROLLOUT_EV_UNHEALTHY, "unhealthy",
	    hc->h->now, &to) == -2) {
		hc->rc = DB_ERR;
		return;
	}
	if (rollout_state_is_failure(to))
		hc->rc = gate_soon(hc->tx, hc->h->srv, m.campaign, hc->h->now);
}

static int
direct_unhealthy(struct db_tx *tx, struct report_health *h)
{
	struct db_offer off;
	enum rollout_device_state from, to;
	struct rollout_policy p;
	char sha[65], fw[65];
	int rc = db_offer_get_tx(tx, h->device, &off, sha, fw);

	if (rc == DB_NOTFOUND || (rc == DB_OK && strcmp(fw, h->fw_version) != 0))
		return DB_OK;
	if (rc != DB_OK || rollout_device_state_parse(off.state, &from) != 0)
		return DB_ERR;
	rollout_policy_default(&p);
	if (rollout_device_step(from, ROLLOUT_EV_UNHEALTHY, 1, &p, &to) != 0 ||
	    to == from)
		return DB_OK;
	return db_offer_update(tx, h->device, rollout_device_state_name(to),
	    "unhealthy", h->now);
}

int
reports_health(struct db_tx *tx, void *arg)
{
	struct report_health *h = arg;
	struct health_ctx hc = { tx, h, DB_OK };
	char detail[160];
	int rc;

	snprintf(detail, sizeof(detail), "fw_version=%s boot_ok=%s selftest=%s "
	    "crash_count=%lld uptime_s=%lld", h->fw_version,
	    h->boot_ok ? "true" : "false", h->selftest_ok ? "pass" : "fail",
	    (long long)h->crash_count, (long long)h->uptime_s);
	rc = db_event_add(tx, h->device, "health", 0, 0,
	    h->unhealthy ? "unhealthy" : "healthy", NULL, detail);
	if (rc != DB_OK || !h->unhealthy)
		return rc;
	if ((rc = direct_unhealthy(tx, h)) != DB_OK)
		return rc;
	if ((rc = db_device_memberships_tx(tx, h->device, health_member,
	    &hc)) != DB_OK)
		return rc;
	return hc.rc;
}

/* ---- fallback ---- */

struct fallback {
	struct srv *srv;
	int64_t device, campaign, now;
	char fw_version[65];
};

static int
direct_fallback(struct db_tx *tx, struct fallback *f)
{
	struct db_offer off;
	enum rollout_device_state from, to;
	struct rollout_policy p;
	char sha[65], fw[65];
	int rc;

	rc = db_offer_get_tx(tx, f->device, &off, sha, fw);
	if (rc != DB_OK)
		return rc == DB_NOTFOUND ? DB_OK : rc;
	if (strcmp(fw, f->fw_version) == 0 ||
	    rollout_device_state_parse(off.state, &from) != 0)
		return DB_OK;
	rollout_policy_default(&p);
	if (rollout_device_step(from, ROLLOUT_EV_FALLBACK, 1, &p, &to) != 0 ||
	    to == from)
		return DB_OK;
	if ((rc = db_offer_update(tx, f->device, rollout_device_state_name(to),
	    "fallback", f->now)) != DB_OK)
		return rc;
	return db_event_add(tx, f->device, "fallback", off.release_id, 0,
	    rollout_device_state_name(to), "fallback", f->fw_version);
}

static int
campaign_fallback(struct db_tx *tx, struct fallback *f)
{
	struct db_campaign *c = malloc(sizeof(*c));
	struct rollout_policy p;
	struct db_member m;
	enum rollout_device_state to;
	int rc;

	if (c == NULL)
		return DB_ERR;
	rc = db_campaign_get_tx(tx, f->campaign, c);
	if (rc == DB_OK)
		rc = db_member_get_tx(tx, f->campaign, f->device, &m);
	if (rc != DB_OK || strcmp(c->release_fw, f->fw_version) == 0 ||
	    campaign_policy_parse(c->policy, &p) != 0) {
		free(c);
		return rc == DB_NOTFOUND ? DB_OK : rc;
	}
	rc = member_step(tx, &m, &p, ROLLOUT_EV_FALLBACK, "fallback", f->now, &to);
	if (rc == 0 && rollout_state_is_failure(to)) {
		rc = db_event_add(tx, f->device, "fallback", c->release_id, c->id,
		    "rolled_back", "fallback", f->fw_version);
		if (rc == DB_OK)
			rc = gate_soon(tx, f->srv, c->id, f->now);
	} else {
		rc = rc == -2 ? DB_ERR : DB_OK;
	}
	free(c);
	return rc;
}

static int
fallback_job(struct db_tx *tx, void *arg)
{
	struct fallback *f = arg;

	return f->campaign == 0 ? direct_fallback(tx, f) :
	    campaign_fallback(tx, f);
}

static void
free_job(void *p, int rc)
{
	(void)rc;
	free(p);
}

void
reports_fallback_submit(struct srv *s, int64_t device, int64_t campaign,
    const char *fw_version, int64_t now)
{
	struct fallback *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return;
	*f = (struct fallback){ s, device, campaign, now, "" };
	snprintf(f->fw_version, sizeof(f->fw_version), "%s", fw_version);
	/* Derived from the poll, so the poll does not wait: a lost job is
	 * found again at the device's next poll. */
	if (db_submit(s->db, fallback_job, f, free_job, f) != 0)
		free(f);
}

/* ---- first offers ---- */

int
reports_offer_take(struct db_tx *tx, void *arg)
{
	struct offer_take *t = arg;
	struct db_campaign *c = malloc(sizeof(*c));
	struct rollout_policy p;
	struct db_member m;
	enum rollout_device_state ds, to;
	enum rollout_offer_kind kind;
	int stages[ROLLOUT_MAX_STAGES], n, cs_ok, rc;
	enum rollout_campaign_state cs;

	if (c == NULL)
		return DB_ERR;
	rc = db_campaign_get_tx(tx, t->campaign, c);
	if (rc == DB_OK)
		rc = db_member_get_tx(tx, t->campaign, t->device, &m);
	if (rc != DB_OK)
		goto out;
	cs_ok = rollout_campaign_state_parse(c->state, &cs) == 0 &&
	    campaign_stages_parse(c->stages, stages, &n) == 0 &&
	    campaign_policy_parse(c->policy, &p) == 0 &&
	    rollout_device_state_parse(m.state, &ds) == 0 &&
	    c->stage >= 0 && c->stage < n;
	/* Decided again here: the campaign may have halted meanwhile. */
	if (!cs_ok || !rollout_should_offer(cs, stages[c->stage], m.bucket, ds,
	    m.attempts, &p))
		goto out;
	kind = rollout_offer_kind(ds, m.attempts, &p);
	if (rollout_device_step(ds, ROLLOUT_EV_OFFER, m.attempts, &p, &to) != 0)
		goto out;
	if (kind == ROLLOUT_OFFER_FIRST || kind == ROLLOUT_OFFER_RETRY) {
		m.attempts++;
		m.last_change = t->now;
		m.reason[0] = '\0';
		snprintf(m.state, sizeof(m.state), "%s",
		    rollout_device_state_name(to));
		if ((rc = db_member_update(tx, &m)) != DB_OK)
			goto out;
		rc = db_event_add(tx, t->device, "offered", c->release_id, c->id,
		    "offered", NULL, kind == ROLLOUT_OFFER_RETRY ? "retry" : NULL);
		if (rc != DB_OK)
			goto out;
	}
	t->granted = 1;
out:
	free(c);
	return rc;
}
