/* Health reports: the body check, the rolling per-device summary with its
 * sampled history (telemetry, kept apart from the update history and
 * pruned by age and count), and what a report does to offers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/campaigns.h"
#include "db/devices.h"
#include "db/releases.h"
#include "rollout/rollout.h"
#include "core/campaigns.h"
#include "core/gate.h"
#include "core/members.h"
#include "core/reports.h"
#include "core/core.h"
#include "util/util.h"

#define PRUNE_BATCH 500

/* ---- the summary and its samples ---- */

/* A report is kept as a sample when it says something the last one did
 * not (another version or boot, health flipped, crashes), or when the
 * last sample is older than the interval: a healthy device that reports
 * every few minutes leaves one sample per interval. */
static int
worth_sample(const struct db_health *last, const struct db_health *now,
    int64_t interval)
{
	return strcmp(last->fw_version, now->fw_version) != 0 ||
	    strcmp(last->boot_id, now->boot_id) != 0 ||
	    last->unhealthy != now->unhealthy || last->boot_ok != now->boot_ok ||
	    last->selftest_ok != now->selftest_ok || now->crash_count > 0 ||
	    now->at - last->sampled_at >= interval || now->at < last->sampled_at;
}

static int
keep_summary(struct db_tx *tx, const struct report_health *h)
{
	const struct core_policy *cfg = &h->core->pol;
	struct db_health last, cur;
	int rc = db_health_get_tx(tx, h->device, &last), sample;

	if (rc != DB_OK && rc != DB_NOTFOUND)
		return rc;
	memset(&cur, 0, sizeof(cur));
	cur.device = h->device;
	cur.at = h->now;
	snprintf(cur.fw_version, sizeof(cur.fw_version), "%s", h->fw_version);
	snprintf(cur.boot_id, sizeof(cur.boot_id), "%s", h->boot_id);
	cur.boot_ok = h->boot_ok;
	cur.selftest_ok = h->selftest_ok;
	cur.unhealthy = h->unhealthy;
	cur.crash_count = h->crash_count;
	cur.uptime_s = h->uptime_s;
	sample = rc == DB_NOTFOUND || worth_sample(&last, &cur,
	    cfg->health_sample_interval);
	cur.reports = (rc == DB_OK ? last.reports : 0) + 1;
	cur.unhealthy_reports = (rc == DB_OK ? last.unhealthy_reports : 0) +
	    h->unhealthy;
	cur.crashes = (rc == DB_OK ? last.crashes : 0) + h->crash_count;
	cur.first_at = rc == DB_OK ? last.first_at : h->now;
	cur.sampled_at = sample ? h->now : last.sampled_at;
	if ((rc = db_health_put(tx, &cur)) != DB_OK)
		return rc;
	return sample ? db_health_sample(tx, &cur, cfg->health_samples_max) :
	    DB_OK;
}

int
reports_health_prune(struct db_tx *tx, void *arg)
{
	struct core *s = arg;
	int64_t gone;

	return db_health_prune(tx, util_now() - s->pol.event_retention,
	    PRUNE_BATCH, &gone);
}

/* ---- what a report does to offers ---- */

struct health_ctx {
	struct db_tx *tx;
	const struct report_health *h;
	int rc;
};

/* An unhealthy report on a campaign's own version fails the member. */
static int
member_unhealthy(struct health_ctx *hc, const struct db_membership *ms)
{
	struct db_campaign *c = malloc(sizeof(*c));
	struct rollout_policy p;
	struct db_member m = ms->m;
	enum rollout_device_state to;
	struct member_why why = { rollout_reason_name(rollout_health_reason(
	    hc->h->boot_ok, hc->h->selftest_ok)), 0, NULL };
	enum rollout_device_state was;
	int rc;

	if (c == NULL)
		return DB_ERR;
	rc = db_campaign_get_tx(hc->tx, m.campaign, c);
	if (rc == DB_OK && !c->settings_ok)
		rc = DB_ERR;
	p = c->policy;
	free(c);
	if (rc != DB_OK)
		return rc;
	was = m.state;
	/* An impossible step (a pending member that runs the version
	 * already) changes nothing. */
	switch (members_step(hc->tx, hc->h->core->flights, &m, &p,
	    ROLLOUT_EV_UNHEALTHY, &why, hc->h->now, &to)) {
	case 0:
		break;
	case -1:
		return DB_OK;
	default:
		return DB_ERR;
	}
	if (was == m.state)
		return DB_OK;
	rc = db_event_add(hc->tx, m.device, hc->h->now, "campaign",
	    ms->release_id, m.campaign, rollout_device_state_name(m.state),
	    why.reason, "unhealthy report");
	return rc == DB_OK ? gate_soon(hc->tx, hc->h->core, m.campaign,
	    hc->h->now) : rc;
}

static void
health_member(const struct db_membership *ms, void *arg)
{
	struct health_ctx *hc = arg;

	/* Only a report on the campaign's own version speaks of it. */
	if (hc->rc != DB_OK || !hc->h->unhealthy ||
	    strcmp(ms->release_fw, hc->h->fw_version) != 0 ||
	    ms->campaign_state == ROLLOUT_CAMP_DRAFT ||
	    ms->campaign_state == ROLLOUT_CAMP_ABORTED)
		return;
	hc->rc = member_unhealthy(hc, ms);
}

static int
direct_unhealthy_once(struct db_tx *tx, const struct report_health *h)
{
	struct db_offer off;
	enum rollout_device_state from, to;
	struct rollout_policy p;
	char sha[65], fw[65];
	int rc = db_offer_get_tx(tx, h->device, &off, sha, fw);

	if (rc == DB_NOTFOUND || (rc == DB_OK && strcmp(fw, h->fw_version) != 0))
		return DB_OK;
	if (rc != DB_OK)
		return rc;
	from = off.state;
	rollout_policy_default(&p);
	if (rollout_device_step(from, ROLLOUT_EV_UNHEALTHY, 1, &p, &to) != 0 ||
	    to == from)
		return DB_OK;
	return db_offer_update(tx, h->device, &off, to, rollout_reason_name(
	    rollout_health_reason(h->boot_ok, h->selftest_ok)), NULL, h->now);
}

/* The offer changed since it was read (another writer): read it again and
 * decide again. */
static int
direct_unhealthy(struct db_tx *tx, const struct report_health *h)
{
	int rc = DB_CONFLICT;

	for (int i = 0; i < 3 && rc == DB_CONFLICT; i++)
		rc = direct_unhealthy_once(tx, h);
	return rc == DB_CONFLICT ? DB_ERR : rc;
}

int
reports_health(struct db_tx *tx, void *arg)
{
	struct report_health *h = arg;
	struct health_ctx hc = { tx, h, DB_OK };
	int rc;

	if ((rc = keep_summary(tx, h)) != DB_OK)
		return rc;
	/* A health report declares what runs, from which boot, like a poll. */
	if ((rc = reports_sighting_tx(tx, h->core, h->device, 0, 1,
	    h->fw_version, h->boot_id, h->now)) != DB_OK)
		return rc;
	if (!h->unhealthy)
		return DB_OK;
	if ((rc = direct_unhealthy(tx, h)) != DB_OK)
		return rc;
	if ((rc = db_device_memberships_tx(tx, h->device, health_member,
	    &hc)) != DB_OK)
		return rc;
	return hc.rc;
}
