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
#include "core/campaigns.h"
#include "core/flights.h"
#include "core/gate.h"
#include "core/members.h"
#include "core/reports.h"
#include "core/core.h"
#include "sign/semver.h"
#include "util/util.h"

int
reports_valid_boot_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > REPORT_BOOT_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' ||
		    s[i] == ':' || s[i] == '-'))
			return 0;
	return 1;
}

/* ---- status reports ---- */

/* The reason class a status report names (NULL for progress reports). */
static const char *
status_class(const struct report_status *r)
{
	if (r->event != ROLLOUT_EV_FAILED && r->event != ROLLOUT_EV_ROLLED_BACK)
		return NULL;
	return rollout_reason_name(rollout_reason_class(r->reason));
}

/* A report goes into the history when it changed the state or names a
 * failure; a repeated progress report does not. */
static int
status_event(struct db_tx *tx, const struct report_status *r, int64_t release,
    int64_t campaign, int changed)
{
	if (!changed && status_class(r) == NULL)
		return DB_OK;
	return db_event_add(tx, r->device, r->now, "status", release, campaign,
	    rollout_device_event_name((enum rollout_device_event)r->event),
	    r->reason, r->detail);
}

static int
campaign_status(struct db_tx *tx, struct report_status *r)
{
	struct db_campaign *c = malloc(sizeof(*c));
	struct member_why why = { status_class(r), 1, r->boot_id };
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
	if (rc == DB_OK && m.state == ROLLOUT_DEV_PENDING)
		rc = DB_NOTFOUND;
	if (rc == DB_OK && !c->settings_ok)
		rc = DB_ERR;
	if (rc != DB_OK)
		goto out;
	p = c->policy;
	r->was = m.state;
	switch (members_step(tx, r->core->flights, &m, &p,
	    (enum rollout_device_event)r->event, &why, r->now, &to)) {
	case 0:
		break;
	case -1:
		rc = DB_CONFLICT;
		goto out;
	default:
		rc = DB_ERR;
		goto out;
	}
	r->state = m.state;
	rc = status_event(tx, r, c->release_id, c->id, r->was != r->state);
	if (rc == DB_OK && rollout_state_is_failure(to))
		rc = gate_soon(tx, r->core, c->id, r->now);
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
	const char *boot = NULL;
	int rc;

	rc = db_offer_get_tx(tx, r->device, &off, sha, fw);
	if (rc != DB_OK)
		return rc;
	if (strcmp(sha, r->release) != 0)
		return DB_NOTFOUND;
	from = off.state;
	r->was = from;
	rollout_policy_default(&p);
	if (rollout_device_step(from, (enum rollout_device_event)r->event, 1, &p,
	    &to) != 0)
		return DB_CONFLICT;
	r->state = to;
	if (to == ROLLOUT_DEV_INSTALLED && from != to)
		boot = r->boot_id ? r->boot_id : "";
	/* A conflict (the offer changed since read) answers 409. */
	if (to != from && (rc = db_offer_update(tx, r->device, &off, to,
	    status_class(r), boot, r->now)) != DB_OK)
		return rc;
	return status_event(tx, r, off.release_id, 0, to != from);
}

int
reports_status(struct db_tx *tx, void *arg)
{
	struct report_status *r = arg;

	return r->campaign == 0 ? direct_status(tx, r) : campaign_status(tx, r);
}

/* ---- sightings: what a declared version says ---- */

struct sighting {
	struct db_tx *tx;
	struct core *core;
	int64_t device, campaign, now;
	const char *fw, *boot;
	int rc;
};

/* Applies a sighting's event to one member; the campaign is read only
 * when there is something to apply. */
static int
member_sighting(struct sighting *g, struct db_member *m,
    const char *release_fw)
{
	struct db_campaign *c;
	struct rollout_policy p;
	struct rollout_seen w;
	enum rollout_device_state from, to;
	enum rollout_device_event ev;
	struct member_why why = { NULL, 0, NULL };
	int rc;

	members_seen(&w, release_fw, g->fw, g->boot, m->install_boot);
	from = m->state;
	if (!rollout_sighting(from, &w, &ev))
		return DB_OK;
	if ((c = malloc(sizeof(*c))) == NULL)
		return DB_ERR;
	rc = db_campaign_get_tx(g->tx, m->campaign, c);
	if (rc == DB_OK && !c->settings_ok)
		rc = DB_ERR;
	p = c->policy;
	if (ev == ROLLOUT_EV_FALLBACK)
		why.reason = rollout_reason_name(ROLLOUT_WHY_FALLBACK);
	if (rc == DB_OK && members_step(g->tx, g->core->flights, m, &p, ev,
	    &why, g->now, &to) != 0)
		rc = DB_ERR;
	if (rc == DB_OK && to != from)
		rc = db_event_add(g->tx, g->device, g->now,
		    ev == ROLLOUT_EV_NEWER ? "superseded" : "fallback",
		    c->release_id, c->id, rollout_device_state_name(to),
		    why.reason, g->fw);
	if (rc == DB_OK && rollout_state_is_failure(to))
		rc = gate_soon(g->tx, g->core, c->id, g->now);
	free(c);
	return rc;
}

static void
sighting_one(const struct db_membership *ms, void *arg)
{
	struct sighting *g = arg;
	struct db_member m = ms->m;

	/* A draft has no members to speak of; an aborted campaign is over. */
	if (g->rc != DB_OK || (g->campaign > 0 && m.campaign != g->campaign) ||
	    ms->campaign_state == ROLLOUT_CAMP_DRAFT ||
	    ms->campaign_state == ROLLOUT_CAMP_ABORTED)
		return;
	g->rc = member_sighting(g, &m, ms->release_fw);
}

static int
direct_sighting(struct sighting *g)
{
	struct db_offer off;
	struct rollout_seen w;
	struct rollout_policy p;
	enum rollout_device_state from, to;
	enum rollout_device_event ev;
	char sha[65], fw[65];
	int rc = db_offer_get_tx(g->tx, g->device, &off, sha, fw);

	if (rc != DB_OK)
		return rc == DB_NOTFOUND ? DB_OK : rc;
	members_seen(&w, fw, g->fw, g->boot, off.install_boot);
	rollout_policy_default(&p);
	from = off.state;
	if (!rollout_sighting(from, &w, &ev) ||
	    rollout_device_step(from, ev, 1, &p, &to) != 0 || to == from)
		return DB_OK;
	rc = db_offer_update(g->tx, g->device, &off, to,
	    ev == ROLLOUT_EV_FALLBACK ? "fallback" : NULL, NULL, g->now);
	/* Changed since read: the next poll's sighting sees what it is. */
	if (rc != DB_OK)
		return rc == DB_CONFLICT ? DB_OK : rc;
	return db_event_add(g->tx, g->device, g->now, ev == ROLLOUT_EV_NEWER ?
	    "superseded" : "fallback", off.release_id, 0,
	    rollout_device_state_name(to), ev == ROLLOUT_EV_FALLBACK ?
	    "fallback" : NULL, g->fw);
}

int
reports_sighting_tx(struct db_tx *tx, struct core *s, int64_t device,
    int64_t campaign, int direct, const char *fw_version,
    const char *boot_id, int64_t now)
{
	struct sighting g = { tx, s, device, campaign, now, fw_version,
	    boot_id, DB_OK };
	int rc;

	if (direct && (rc = direct_sighting(&g)) != DB_OK)
		return rc;
	if (campaign < 0)
		return DB_OK;
	if ((rc = db_device_memberships_tx(tx, device, sighting_one,
	    &g)) != DB_OK)
		return rc;
	return g.rc;
}

int
reports_version_changed(struct db_tx *tx, int64_t device,
    const char *fw_version, int64_t at, void *srv)
{
	return reports_sighting_tx(tx, srv, device, 0, 1, fw_version, NULL, at);
}

struct sighting_job {
	struct core *core;
	int64_t device, campaign, now;
	char fw[65], boot[REPORT_BOOT_MAX + 1];
};

static int
sighting_job(struct db_tx *tx, void *arg)
{
	struct sighting_job *j = arg;

	return reports_sighting_tx(tx, j->core, j->device, j->campaign,
	    j->campaign < 0, j->fw, j->boot, j->now);
}

static void
free_job(void *p, int rc)
{
	(void)rc;
	free(p);
}

void
reports_sighting_submit(struct core *s, int64_t device, int64_t campaign,
    const char *fw_version, const char *boot_id, int64_t now)
{
	struct sighting_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return;
	j->core = s;
	j->device = device;
	j->campaign = campaign;
	j->now = now;
	snprintf(j->fw, sizeof(j->fw), "%s", fw_version);
	snprintf(j->boot, sizeof(j->boot), "%s", boot_id ? boot_id : "");
	/* Derived from the poll, so the poll does not wait. */
	if (db_submit(s->db, sighting_job, j, free_job, j) != 0)
		free(j);
}

/* ---- first offers ---- */

/* The history's note on a retry m now starts ("retry: attempt 2 of 3,
 * 600 s after the failure"), or "" for a first offer. */
static void
retry_note(const struct rollout_policy *p, const struct db_member *m,
    enum rollout_offer_kind kind, char *buf, size_t len)
{
	int64_t wait = rollout_retry_wait(p, m->attempts - 1);

	buf[0] = '\0';
	if (kind != ROLLOUT_OFFER_RETRY)
		return;
	if (wait > 0)
		snprintf(buf, len, "retry: attempt %d of %d, %lld s after the "
		    "failure", m->attempts, rollout_attempts_max(p),
		    (long long)wait);
	else
		snprintf(buf, len, "retry: attempt %d of %d", m->attempts,
		    rollout_attempts_max(p));
}

/* 1 if a first offer or retry of kind to c must wait for a slot, 0 if
 * not, -1 when the store failed. On the writer the counts are exact:
 * every grant and step before this one in the transaction is in them. */
static int
take_capped(struct db_tx *tx, struct core *s, const struct db_campaign *c,
    enum rollout_offer_kind kind)
{
	int64_t n = flights_campaign(s->flights, c->id);
	int shared;

	if (c->policy.max_in_flight == 0 && s->pol.max_in_flight == 0)
		return 0;
	/* Several daemons take on one store: each take counts from the
	 * store under the campaign's row lock, as memory misses the other
	 * daemons' takes. */
	if (db_campaign_cap_lock_tx(tx, c->id, &shared) != DB_OK)
		return -1;
	/* Not counted yet (a campaign new since the last gate run): count
	 * it once, from the index on (campaign, state). */
	if (n < 0 || shared) {
		if (db_member_capped_count_tx(tx, c->id, &n) != DB_OK)
			return -1;
		flights_set(s->flights, c->id, n);
	}
	return rollout_capped(kind, n, c->policy.max_in_flight,
	    flights_total(s->flights), s->pol.max_in_flight);
}

int
reports_offer_take(struct db_tx *tx, void *arg)
{
	struct offer_take *t = arg;
	struct db_campaign *c = malloc(sizeof(*c));
	struct rollout_policy p;
	struct db_member m;
	enum rollout_device_state ds, to;
	enum rollout_offer_kind kind;
	char note[80];
	int rc;

	if (c == NULL)
		return DB_ERR;
	rc = db_campaign_get_tx(tx, t->campaign, c);
	if (rc == DB_OK)
		rc = db_member_get_tx(tx, t->campaign, t->device, &m);
	if (rc != DB_OK)
		goto out;
	ds = m.state;
	p = c->policy;
	/* Decided again here: the campaign may have halted meanwhile. */
	if (!c->settings_ok || !rollout_should_offer(c->state,
	    c->stages[c->stage], m.bucket,
	    ds, m.attempts, &p))
		goto out;
	kind = rollout_offer_kind(ds, m.attempts, &p);
	if (kind == ROLLOUT_OFFER_RETRY && !rollout_retry_due(&p, m.attempts,
	    m.last_change, t->now))
		goto out;
	if (rollout_device_step(ds, ROLLOUT_EV_OFFER, m.attempts, &p, &to) != 0)
		goto out;
	switch (take_capped(tx, t->core, c, kind)) {
	case 0:
		break;
	case 1:
		t->capped = 1;
		goto out;
	default:
		rc = DB_ERR;
		goto out;
	}
	if (kind == ROLLOUT_OFFER_FIRST || kind == ROLLOUT_OFFER_RETRY) {
		struct db_member was = m;

		m.attempts++;
		m.last_change = t->now;
		m.reason[0] = '\0';
		m.install_boot[0] = '\0';
		m.cause_stated = 0;
		m.state = to;
		rc = db_member_update(tx, &m, was.state, was.attempts);
		/* Changed by another writer since it was read: not granted
		 * (the device hears nothing and its next poll decides). */
		if (rc == DB_CONFLICT) {
			rc = DB_OK;
			goto out;
		}
		if (rc != DB_OK)
			goto out;
		flights_add(t->core->flights, c->id, rollout_capped_delta(
		    was.state, m.state));
		retry_note(&p, &m, kind, note, sizeof(note));
		rc = db_event_add(tx, t->device, t->now, "offered",
		    c->release_id, c->id, "offered", NULL,
		    note[0] ? note : NULL);
		if (rc != DB_OK)
			goto out;
	}
	t->granted = 1;
out:
	free(c);
	return rc;
}
