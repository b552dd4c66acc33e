/* Campaign states, the actions that move them, and who gets an offer. */
#include <string.h>

#include "rollout/rollout.h"

/* These strings are part of the REST API and the database. */
static const char *const cstate_names[ROLLOUT_CAMP_STATES] = {
	[ROLLOUT_CAMP_DRAFT] = "draft",
	[ROLLOUT_CAMP_RUNNING] = "running",
	[ROLLOUT_CAMP_PAUSED] = "paused",
	[ROLLOUT_CAMP_HALTED] = "halted",
	[ROLLOUT_CAMP_COMPLETED] = "completed",
	[ROLLOUT_CAMP_ABORTED] = "aborted",
};

static const char *const action_names[ROLLOUT_ACTIONS] = {
	[ROLLOUT_ACT_START] = "start",
	[ROLLOUT_ACT_PAUSE] = "pause",
	[ROLLOUT_ACT_RESUME] = "resume",
	[ROLLOUT_ACT_ADVANCE] = "advance",
	[ROLLOUT_ACT_ABORT] = "abort",
	[ROLLOUT_ACT_HALT] = "halt",
	[ROLLOUT_ACT_COMPLETE] = "complete",
};

const char *
rollout_campaign_state_name(enum rollout_campaign_state s)
{
	if ((unsigned)s >= ROLLOUT_CAMP_STATES)
		return NULL;
	return cstate_names[s];
}

int
rollout_campaign_state_parse(const char *name,
    enum rollout_campaign_state *out)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < ROLLOUT_CAMP_STATES; i++) {
		if (strcmp(name, cstate_names[i]) == 0) {
			*out = (enum rollout_campaign_state)i;
			return 0;
		}
	}
	return -1;
}

const char *
rollout_action_name(enum rollout_action a)
{
	if ((unsigned)a >= ROLLOUT_ACTIONS)
		return NULL;
	return action_names[a];
}

int
rollout_action_parse(const char *name, enum rollout_action *out)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < ROLLOUT_ACTIONS; i++) {
		if (strcmp(name, action_names[i]) == 0) {
			*out = (enum rollout_action)i;
			return 0;
		}
	}
	return -1;
}

int
rollout_campaign_action(enum rollout_campaign_state from,
    enum rollout_action a, int stage_index, int nstages,
    enum rollout_campaign_state *to, int *new_stage_index)
{
	enum rollout_campaign_state next;
	int idx = stage_index;

	if (nstages < 1 || nstages > ROLLOUT_MAX_STAGES || stage_index < 0 ||
	    stage_index >= nstages)
		return -1;
	switch (a) {
	case ROLLOUT_ACT_START:
		if (from != ROLLOUT_CAMP_DRAFT)
			return -1;
		next = ROLLOUT_CAMP_RUNNING;
		idx = 0;
		break;
	case ROLLOUT_ACT_PAUSE:
		if (from != ROLLOUT_CAMP_RUNNING)
			return -1;
		next = ROLLOUT_CAMP_PAUSED;
		break;
	case ROLLOUT_ACT_RESUME:
		if (from != ROLLOUT_CAMP_PAUSED)
			return -1;
		next = ROLLOUT_CAMP_RUNNING;
		break;
	case ROLLOUT_ACT_ADVANCE:
		if ((from != ROLLOUT_CAMP_RUNNING &&
		    from != ROLLOUT_CAMP_PAUSED) || stage_index + 1 >= nstages)
			return -1;
		next = from;
		idx = stage_index + 1;
		break;
	case ROLLOUT_ACT_ABORT:
		if (from != ROLLOUT_CAMP_DRAFT &&
		    from != ROLLOUT_CAMP_RUNNING &&
		    from != ROLLOUT_CAMP_PAUSED &&
		    from != ROLLOUT_CAMP_HALTED)
			return -1;
		next = ROLLOUT_CAMP_ABORTED;
		break;
	case ROLLOUT_ACT_HALT:
		/* Paused too: in-flight devices still report, and a pause must
		 * not hide a bad release nor keep re-offering it. */
		if (from != ROLLOUT_CAMP_RUNNING && from != ROLLOUT_CAMP_PAUSED)
			return -1;
		next = ROLLOUT_CAMP_HALTED;
		break;
	case ROLLOUT_ACT_COMPLETE:
		if (from != ROLLOUT_CAMP_RUNNING || stage_index != nstages - 1)
			return -1;
		next = ROLLOUT_CAMP_COMPLETED;
		break;
	default:
		return -1;
	}
	*to = next;
	*new_stage_index = idx;
	return 0;
}

int
rollout_should_offer(enum rollout_campaign_state cs, int stage_pct,
    uint32_t bucket, enum rollout_device_state ds, int attempts,
    const struct rollout_policy *p)
{
	enum rollout_offer_kind kind;

	if (!rollout_in_stage(bucket, stage_pct))
		return 0;
	kind = rollout_offer_kind(ds, attempts, p);
	switch (cs) {
	case ROLLOUT_CAMP_RUNNING:
	case ROLLOUT_CAMP_COMPLETED:
		return kind != ROLLOUT_OFFER_NONE;
	case ROLLOUT_CAMP_PAUSED:
		return kind == ROLLOUT_OFFER_AGAIN;
	case ROLLOUT_CAMP_DRAFT:
	case ROLLOUT_CAMP_HALTED:
	case ROLLOUT_CAMP_ABORTED:
		break;
	}
	return 0;
}
