/* Campaigns: staged rollouts of one release over a cohort or a fleet. */
#ifndef SERVER_CAMPAIGNS_H
#define SERVER_CAMPAIGNS_H

#include <stdint.h>

struct api_req;
struct rel_snap;

/* Offers the release of the active campaign that targets the polling
 * device, if its stage includes it. 1 when it replied, else 0. */
int campaigns_offer(struct api_req *a, const char *fw, const char *nonce,
    int64_t now);

/* Replies 200 with an offer (h_device.c). 0, or -1 without a reply. */
int device_reply_offer(struct api_req *a, const struct rel_snap *rel,
    const char *campaign, const char *nonce, int64_t now);

#endif
