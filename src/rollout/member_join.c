/* Campaign membership: whether a campaign takes in devices targeted after
 * its start. */
#include <string.h>

#include "rollout/rollout.h"

int
rollout_membership_takes(const struct rollout_policy *p,
    enum rollout_campaign_state s)
{
	/* Paused: members may join (offers wait for the resume); a finished
	 * campaign's set is closed. */
	return p->dynamic && (s == ROLLOUT_CAMP_RUNNING ||
	    s == ROLLOUT_CAMP_PAUSED);
}

const char *
rollout_membership_name(bool dynamic)
{
	return dynamic ? "dynamic" : "static";
}

int
rollout_membership_parse(const char *s, bool *dynamic)
{
	if (strcmp(s, "static") == 0)
		*dynamic = false;
	else if (strcmp(s, "dynamic") == 0)
		*dynamic = true;
	else
		return -1;
	return 0;
}
