/* What one device event does to a campaign member besides its state: the
 * report timer, when it confirmed, which boot installed, and whether the
 * reason given becomes its cause. */
#include "rollout/rollout.h"

int
rollout_member_step(enum rollout_device_state from,
    enum rollout_device_event ev, int attempts, const struct rollout_policy *p,
    const struct rollout_cause *cause, struct rollout_member_change *out)
{
	out->to = from;
	out->touch = out->confirmed = out->installed = out->cause = false;
	if (rollout_device_step(from, ev, attempts, p, &out->to) != 0)
		return -1;
	out->touch = rollout_device_touches(from, ev, out->to) != 0;
	out->confirmed = out->to == ROLLOUT_DEV_CONFIRMED &&
	    from != ROLLOUT_DEV_CONFIRMED;
	out->installed = out->to == ROLLOUT_DEV_INSTALLED &&
	    from != ROLLOUT_DEV_INSTALLED;
	/* The first cause stands, except that the device's own word replaces
	 * a cause we inferred (a health report, a timeout). */
	out->cause = rollout_state_is_failure(out->to) && cause->given &&
	    (out->to != from || (cause->stated && !cause->had_stated));
	return 0;
}
