/* What a poll does with the offers a device holds: the rules that pick an
 * offer to make and the declared versions worth a sighting job. The
 * caller looks up the release and compares versions; this decides. */
#include "rollout/rollout.h"

struct rollout_poll
rollout_poll_direct(enum rollout_device_state st,
    const struct rollout_poll_seen *w)
{
	struct rollout_poll r = { false, false, ROLLOUT_OFFER_NONE };

	/* A failed direct offer stays failed until replaced, and a
	 * superseded one is over: neither is offered nor watched. */
	if (rollout_state_is_failure(st) || st == ROLLOUT_DEV_SUPERSEDED ||
	    !w->usable || w->on_release)
		return r;
	if (w->newer || st == ROLLOUT_DEV_INSTALLED ||
	    st == ROLLOUT_DEV_CONFIRMED || st == ROLLOUT_DEV_HEALTHY) {
		/* It moved on, or it installed and runs something else: a
		 * fallback if from a later boot (the job compares). Without
		 * a boot id an installed device may simply not have
		 * rebooted, which no job can tell. */
		r.sight = w->newer || st != ROLLOUT_DEV_INSTALLED || w->boot;
		return r;
	}
	r.offer = true;
	return r;
}

const char *
rollout_assign_refusal(const struct rollout_assign_seen *w)
{
	struct rollout_poll_seen p = { !w->revoked && !w->expired,
	    w->on_release, w->newer, false };

	if (!w->fits)
		return "the release does not list the device's hw_class";
	if (rollout_poll_direct(ROLLOUT_DEV_OFFERED, &p).offer)
		return NULL;
	if (w->revoked)
		return "the release is revoked";
	if (w->expired)
		return "the release has expired; sign a new one";
	if (w->on_release)
		return "the device already runs this version";
	return "the device runs a newer version and would refuse this one as "
	    "a downgrade";
}

struct rollout_poll
rollout_poll_member(enum rollout_campaign_state cs, int stage_pct,
    uint32_t bucket, enum rollout_device_state ds, int attempts,
    const struct rollout_policy *p, const struct rollout_seen *seen,
    bool usable)
{
	struct rollout_poll r = { false, false, ROLLOUT_OFFER_NONE };
	enum rollout_device_event ev;

	/* The version it declares may say it moved on or fell back, whether
	 * or not anything is offered now. */
	r.sight = rollout_sighting(ds, seen, &ev) != 0;
	/* A device on a newer version would take the release for a
	 * rollback; one on the release needs nothing. */
	if (seen->newer || seen->on_release || !usable ||
	    !rollout_should_offer(cs, stage_pct, bucket, ds, attempts, p))
		return r;
	r.offer = true;
	r.kind = rollout_offer_kind(ds, attempts, p);
	return r;
}
