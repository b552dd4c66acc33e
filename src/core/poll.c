/* The poll's decision: looks up what src/rollout needs (the direct offer's
 * release, the live campaigns, one membership) and lets it decide. */
#include <stdio.h>
#include <string.h>

#include "core/campaigns.h"
#include "core/flights.h"
#include "core/members.h"
#include "core/core.h"
#include "core/poll.h"
#include "db/campaigns.h"

static void
add_sight(struct poll_answer *out, int64_t campaign)
{
	if (out->nsight < POLL_SIGHT_MAX)
		out->sight[out->nsight++] = campaign;
}

/* The release id as usable for an offer at now: 1 with *rel (to free),
 * 0 when known but revoked or expired (also with *rel), -1 unknown. */
static int
release_of(struct core *c, int64_t id, int64_t now, struct rel_snap *rel)
{
	if (offers_release(c->offers, id, rel) != 0)
		return -1;
	return !rel->revoked && rel->expires > now;
}

/* The direct offer; 1 when it is the answer. */
static int
direct(struct core *c, const struct poll_device *d, const char *fw,
    int64_t now, struct poll_answer *out)
{
	struct rollout_poll_seen w = { 0 };
	struct rollout_poll r;
	int usable;

	if (d->offer_release == 0 ||
	    (usable = release_of(c, d->offer_release, now, &out->rel)) < 0)
		return 0;
	w.usable = usable;
	w.on_release = strcmp(out->rel.fw_version, fw) == 0;
	w.newer = !w.on_release && members_is_newer(fw, out->rel.fw_version);
	w.boot = d->boot_id != NULL;
	r = rollout_poll_direct(d->offer_state, &w);
	if (r.sight)
		add_sight(out, -1);
	if (!r.offer) {
		rel_snap_free(&out->rel);
		return 0;
	}
	out->verdict = POLL_OFFER;
	snprintf(out->campaign_name, sizeof(out->campaign_name), "direct");
	return 1;
}

/* A member m of the live campaign l: decides the answer. */
static void
member(struct core *c, const struct poll_device *d, const char *fw,
    const struct campaign_live *l, const struct db_member *m, int64_t now,
    struct poll_answer *out)
{
	enum rollout_device_state ds = m->state;
	struct rollout_seen seen;
	struct rollout_poll r;
	int usable;

	members_seen(&seen, l->release_fw, fw, d->boot_id, m->install_boot);
	usable = release_of(c, l->release_id, now, &out->rel);
	r = rollout_poll_member(l->state, l->stages[l->stage], l->bucket, ds,
	    m->attempts, &l->policy, &seen, usable > 0);
	/* A paced retry waits out its backoff after the failure. */
	if (r.offer && r.kind == ROLLOUT_OFFER_RETRY && !rollout_retry_due(
	    &l->policy, m->attempts, m->last_change, now))
		r.offer = false;
	if (r.sight)
		add_sight(out, l->id);
	/* Outside the campaign's maintenance window no new attempt starts;
	 * the one in flight goes on, so a device mid-update finishes. */
	if (r.offer && rollout_window_holds(r.kind, &l->policy.window, now,
	    &out->window_wait)) {
		r.offer = false;
		out->windowed = 1;
	}
	/* Over a concurrency cap: nothing now, and a sooner poll. The
	 * counts may be a moment old; the take on the writer is exact. */
	if (r.offer && rollout_capped(r.kind, flights_campaign(c->flights,
	    l->id), l->policy.max_in_flight, flights_total(c->flights),
	    c->pol.max_in_flight)) {
		r.offer = false;
		out->capped = 1;
	}
	if (!r.offer) {
		if (usable >= 0)
			rel_snap_free(&out->rel);
		return;
	}
	out->campaign = l->id;
	out->kind = r.kind;
	snprintf(out->campaign_name, sizeof(out->campaign_name), "%lld",
	    (long long)l->id);
	/* A first offer or a retry is recorded before the device hears it. */
	out->verdict = r.kind == ROLLOUT_OFFER_AGAIN ? POLL_OFFER : POLL_TAKE;
	out->take = (struct offer_take){ c, l->id, d->id, now, 0, 0 };
}

int
poll_decide(struct core *c, const struct poll_device *d, int64_t now,
    struct poll_answer *out)
{
	const char *fw = d->fw_version ? d->fw_version : d->stored_fw;
	struct campaign_live l;
	struct db_member m;
	int pos = 0;

	memset(out, 0, sizeof(*out));
	if (direct(c, d, fw, now, out))
		return 0;
	while (campaigns_next(c->campaigns, d->hw_class, d->device_id, fw, now,
	    &pos, &l)) {
		switch (db_member_get(c->db, l.id, d->id, &m)) {
		case DB_OK:
			member(c, d, fw, &l, &m, now, out);
			return 0;
		case DB_NOTFOUND:
			continue;	/* not targeted: an older campaign may be */
		default:
			return -1;
		}
	}
	return 0;
}

void
poll_record(struct core *c, const struct poll_device *d,
    const struct poll_answer *a, int64_t now)
{
	if (d->fw_version == NULL)
		return;
	for (int i = 0; i < a->nsight; i++)
		reports_sighting_submit(c, d->id, a->sight[i], d->fw_version,
		    d->boot_id, now);
}

int64_t
poll_hint(const struct poll_answer *a, int64_t poll_interval)
{
	if (a->windowed)
		return rollout_window_retry_after(a->window_wait, poll_interval);
	return a->capped || a->take.capped ?
	    rollout_capped_retry_after(poll_interval) : poll_interval;
}

void
poll_answer_free(struct poll_answer *a)
{
	if (a->verdict != POLL_NOTHING)
		rel_snap_free(&a->rel);
	a->verdict = POLL_NOTHING;
}
