/* Campaigns at poll time: the live campaigns held in memory so that a
 * device outside every open stage costs no query, and the offer made to
 * one inside. Also the JSON form of stages and gate policies. */
#ifndef CORE_CAMPAIGNS_H
#define CORE_CAMPAIGNS_H

#include <stdint.h>

#include <jansson.h>

#include "rollout/rollout.h"

struct api_req;
struct campaigns;
struct db;
struct rel_snap;

/* The live set; completed campaigns stay in it (offering to late
 * devices) for completed_offer_window seconds. */
struct campaigns *campaigns_new(struct db *db, int completed_offer_window);
void campaigns_free(struct campaigns *c);
/* Marks the live set stale (an after-commit hook: arg is the campaigns). */
void campaigns_changed(void *c);

/* Offers the release of the newest live campaign that holds the polling
 * device in its open stage, and notes what its version (fw, with boot,
 * NULL when none was sent) says about its membership. 1 when it replied
 * (or suspended to record the offer), else 0. */
int campaigns_offer(struct api_req *a, const char *fw, const char *boot,
    const char *nonce, int64_t now);

/* Replies 200 with an offer (h_device.c). 0, or -1 without a reply. */
int device_reply_offer(struct api_req *a, const struct rel_snap *rel,
    const char *campaign, const char *nonce, int64_t now);

/* Says why (release, cohort; NULL or "" for the fleet) has no device to
 * update, from db_target_summary, naming the hw classes. */
struct db_target_summary;
void campaign_no_targets_why(const struct db_target_summary *t,
    int64_t release_id, const char *release_fw, const char *cohort,
    char *buf, size_t len);

/* Gate policy from the API's "gate" object over the defaults; 0, or -1
 * with "gate.field: reason" in err. gate may be NULL. */
int campaign_policy_from_json(json_t *gate, struct rollout_policy *p,
    char *err, size_t errlen);
/* A campaign as POST /v1/campaigns asks for it. */
struct campaign_spec {
	const char *name;		/* NULL: the default (borrowed) */
	int64_t release_id;
	const char *cohort;		/* NULL: the fleet (borrowed) */
	int stages[ROLLOUT_MAX_STAGES], nstages;
	struct rollout_policy policy;
	int supersede;
};
/* Reads a campaign-create body into out (strings borrowed from body).
 * 0, or -1 with "field: reason" in err (the API's 422). */
int campaign_spec_parse(json_t *body, struct campaign_spec *out, char *err,
    size_t errlen);
/* A stage list as a JSON array (a new reference). */
json_t *campaign_stages_to_json(const int *stages, int n);
/* The policy as JSON (a new reference). */
json_t *campaign_policy_to_json(const struct rollout_policy *p);
/* Stored text back to a policy / stage list; 0/-1. */
int campaign_policy_parse(const char *text, struct rollout_policy *p);
int campaign_stages_parse(const char *text, int stages[ROLLOUT_MAX_STAGES],
    int *n);

#endif
