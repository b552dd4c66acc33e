/* Webhook deliveries: when a failed one is tried again, and when it is
 * given up (a dead letter). */
#include "rollout/rollout.h"

int64_t
rollout_webhook_backoff(int attempts, int64_t base, int64_t max)
{
	int64_t w = base < 1 ? 1 : base;

	if (max < w)
		return max < 1 ? 1 : max;
	/* Doubled per failure before this one, capped. */
	for (int k = 1; k < attempts && w < max; k++)
		w *= 2;
	return w > max ? max : w;
}

int
rollout_webhook_verdict(int attempts, int max_tries, int status, int sent)
{
	if (sent && status >= 200 && status <= 299)
		return ROLLOUT_HOOK_DELIVERED;
	return attempts >= max_tries ? ROLLOUT_HOOK_DEAD : ROLLOUT_HOOK_RETRY;
}
