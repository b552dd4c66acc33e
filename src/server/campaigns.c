/* Campaigns: staged rollouts of one release over a cohort or a fleet. */
#include "server/campaigns.h"

int
campaigns_offer(struct api_req *a, const char *fw, const char *nonce,
    int64_t now)
{
	(void)a;
	(void)fw;
	(void)nonce;
	(void)now;
	return 0;
}
