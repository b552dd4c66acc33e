/* A campaign member's steps on the writer: src/rollout decides what an
 * event changes, this stores it compare-and-set; and what a declared
 * version says to a member. Shared by reports, sightings, health reports
 * and the gate's sweep. */
#include <stdio.h>
#include <string.h>

#include "core/flights.h"
#include "core/members.h"
#include "db/campaigns.h"
#include "sign/semver.h"

int
members_is_newer(const char *fw_version, const char *release_fw)
{
	int order;

	return sign_semver_cmp(fw_version, release_fw, &order) == 0 && order > 0;
}

void
members_seen(struct rollout_seen *w, const char *release_fw, const char *fw,
    const char *boot, const char *install_boot)
{
	memset(w, 0, sizeof(*w));
	w->on_release = strcmp(fw, release_fw) == 0;
	w->newer = !w->on_release && members_is_newer(fw, release_fw);
	w->boot_known = boot != NULL && boot[0] != '\0' && install_boot[0] != '\0';
	w->same_boot = w->boot_known && strcmp(boot, install_boot) == 0;
}

/* Writes the change into m, the row as read. */
static void
apply(struct db_member *m, const struct rollout_member_change *ch,
    const struct member_why *why, int64_t now)
{
	if (ch->touch)
		m->last_change = now;
	if (ch->confirmed)
		m->confirmed_at = now;
	if (ch->installed)
		snprintf(m->install_boot, sizeof(m->install_boot), "%s",
		    why->boot_id ? why->boot_id : "");
	m->state = ch->to;
	if (ch->cause) {
		snprintf(m->reason, sizeof(m->reason), "%s", why->reason);
		m->cause_stated = why->stated;
	}
}

#define STEP_TRIES 3

int
members_step(struct db_tx *tx, struct flights *fl, struct db_member *m,
    const struct rollout_policy *p, enum rollout_device_event ev,
    const struct member_why *why, int64_t now,
    enum rollout_device_state *to_out)
{
	const struct rollout_cause cause = { why->reason != NULL,
	    why->stated != 0, false };
	struct rollout_member_change ch;
	enum rollout_device_state from;
	struct db_member was;
	int rc;

	for (int i = 0; i < STEP_TRIES; i++) {
		struct rollout_cause c = cause;

		from = m->state;
		*to_out = from;
		c.had_stated = m->cause_stated != 0;
		if (rollout_member_step(from, ev, m->attempts, p, &c, &ch) != 0)
			return -1;
		*to_out = ch.to;
		if (!ch.touch && !ch.cause && ch.to == from)
			return 0;
		was = *m;
		apply(m, &ch, why, now);
		rc = db_member_update(tx, m, was.state, was.attempts);
		if (rc == DB_OK)
			flights_add(fl, m->campaign, rollout_capped_delta(was.state,
			    m->state));
		if (rc != DB_CONFLICT)
			return rc == DB_OK ? 0 : -2;
		/* Another writer changed the row since it was read: decide
		 * again on what it holds now. */
		if (db_member_get_tx(tx, m->campaign, m->device, m) != DB_OK)
			return -2;
	}
	return -2;
}
