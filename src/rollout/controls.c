/* Rollout controls: when a failed member may be retried, when a
 * scheduled campaign starts, how long a paced stage still waits, and
 * which offers the concurrency cap holds back. */
#include "rollout/rollout.h"

int
rollout_attempts_max(const struct rollout_policy *p)
{
	return p->max_attempts + p->retry_count;
}

int64_t
rollout_retry_wait(const struct rollout_policy *p, int attempts)
{
	double w = (double)p->retry_backoff;

	if (attempts < p->max_attempts)
		return 0;
	/* Multiplied out, not pow(): exact for integer factors, capped as
	 * it grows. */
	for (int k = p->max_attempts; k < attempts && w < ROLLOUT_MAX_TIME; k++)
		w *= p->retry_factor;
	return w >= ROLLOUT_MAX_TIME ? ROLLOUT_MAX_TIME : (int64_t)w;
}

int
rollout_retry_due(const struct rollout_policy *p, int attempts,
    int64_t failed_at, int64_t now)
{
	int64_t wait = rollout_retry_wait(p, attempts);

	return wait == 0 || (now >= failed_at && now - failed_at >= wait);
}

int
rollout_start_due(enum rollout_campaign_state s, int64_t start_at,
    int64_t now)
{
	return s == ROLLOUT_CAMP_DRAFT && start_at > 0 && now >= start_at;
}

int64_t
rollout_stage_time_left(const struct rollout_policy *p, int64_t age)
{
	if (age < 0)
		age = 0;
	return age >= p->min_stage_time ? 0 : p->min_stage_time - age;
}

int
rollout_state_is_capped(enum rollout_device_state s)
{
	return s == ROLLOUT_DEV_OFFERED || s == ROLLOUT_DEV_DOWNLOADING ||
	    s == ROLLOUT_DEV_INSTALLED;
}

int
rollout_capped_delta(enum rollout_device_state from,
    enum rollout_device_state to)
{
	return rollout_state_is_capped(to) - rollout_state_is_capped(from);
}

int
rollout_capped(enum rollout_offer_kind kind, int64_t in_flight,
    int max_in_flight, int64_t total, int64_t server_max)
{
	/* The attempt in flight must be able to finish: never held back. */
	if (kind != ROLLOUT_OFFER_FIRST && kind != ROLLOUT_OFFER_RETRY)
		return 0;
	if (max_in_flight > 0 && in_flight >= max_in_flight)
		return 1;
	return server_max > 0 && total >= server_max;
}

int64_t
rollout_capped_retry_after(int64_t poll_interval)
{
	/* Slots free as other devices finish: ask again within minutes,
	 * but spread out, so the held-back devices do not all come back in
	 * the same second. */
	int64_t s = poll_interval / 4;

	return s < 1 ? 1 : s;
}
