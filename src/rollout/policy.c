/* Gate policy: the safe defaults and their validation. */
#include <string.h>

#include "rollout/rollout.h"

void
rollout_policy_default(struct rollout_policy *p)
{
	p->min_sample = 5;
	p->max_failure_pct = 5.0;
	p->bad_failure_pct = 10.0;
	p->false_halt_pct = 1.0;
	p->miss_pct = 5.0;
	p->min_healthy_pct = 90.0;
	p->bake_time = 3600;
	p->report_timeout = 3600;
	p->absent_timeout = 86400;
	p->auto_advance = true;
	p->max_attempts = 1;
	p->baseline = true;
	p->min_stage_time = 0;
	p->max_in_flight = 0;
	p->retry_count = 0;
	p->retry_backoff = 0;
	p->retry_factor = 2.0;
	memset(&p->window, 0, sizeof(p->window));
	p->dynamic = false;
}

double
rollout_policy_bad_default(double max_failure_pct)
{
	double twice = 2.0 * max_failure_pct;
	double half_way = (max_failure_pct + 100.0) / 2.0;

	return twice < half_way ? twice : half_way;
}

static int
time_ok(int64_t t)
{
	return t >= 0 && t <= ROLLOUT_MAX_TIME;
}

/* A probability in percent the tests can use: (0, 50]. */
static int
chance_ok(double v)
{
	return v > 0.0 && v <= 50.0;
}

int
rollout_policy_validate(const struct rollout_policy *p, const char **bad_field)
{
	const char *bad = NULL;

	/* Written so that NaN fails every range test. */
	if (p->min_sample < 1 || p->min_sample > 1000000)
		bad = "min_sample";
	else if (!(p->max_failure_pct > 0.0 && p->max_failure_pct < 100.0))
		bad = "max_failure_pct";
	else if (!(p->bad_failure_pct > p->max_failure_pct &&
	    p->bad_failure_pct < 100.0))
		bad = "bad_failure_pct";
	else if (!chance_ok(p->false_halt_pct))
		bad = "false_halt_pct";
	else if (!chance_ok(p->miss_pct))
		bad = "miss_pct";
	else if (!(p->min_healthy_pct >= 0.0 && p->min_healthy_pct <= 100.0))
		bad = "min_healthy_pct";
	else if (!time_ok(p->bake_time))
		bad = "bake_time";
	else if (!time_ok(p->report_timeout))
		bad = "report_timeout";
	else if (!time_ok(p->absent_timeout))
		bad = "absent_timeout";
	else if (p->max_attempts < 1 || p->max_attempts > 100)
		bad = "max_attempts";
	else if (!time_ok(p->min_stage_time))
		bad = "min_stage_time";
	else if (p->max_in_flight < 0 ||
	    p->max_in_flight > ROLLOUT_MAX_IN_FLIGHT)
		bad = "max_in_flight";
	else if (p->retry_count < 0 || p->retry_count > 99 ||
	    p->max_attempts + p->retry_count > 100)
		bad = "retry.count";
	else if (!time_ok(p->retry_backoff))
		bad = "retry.backoff";
	else if (!(p->retry_factor >= 1.0 && p->retry_factor <= 10.0))
		bad = "retry.factor";
	else if (rollout_window_validate(&p->window, NULL) != 0)
		bad = "window";
	if (bad != NULL && bad_field != NULL)
		*bad_field = bad;
	return bad == NULL ? 0 : -1;
}
