/* Campaigns at poll time: the live campaigns held in memory so that a
 * device outside every open stage costs no query; and why a campaign
 * would have no device to update. */
#ifndef CORE_CAMPAIGNS_H
#define CORE_CAMPAIGNS_H

#include <stdint.h>

#include "db/campaigns.h"
#include "db/releases.h"
#include "rollout/rollout.h"

struct campaigns;
struct db;

/* The live set; completed campaigns stay in it (offering to late
 * devices) for completed_offer_window seconds. It is read again from the
 * store when marked stale, and after reload_s seconds in any case. */
struct campaigns *campaigns_new(struct db *db, int completed_offer_window,
    int reload_s);
void campaigns_free(struct campaigns *c);
/* Marks the live set stale (an after-commit hook: arg is the campaigns). */
void campaigns_changed(void *c);

/* A live campaign as polls see it (a copy, read without the store). */
struct campaign_live {
	int64_t id, release_id;
	enum rollout_campaign_state state;
	int stages[ROLLOUT_MAX_STAGES], nstages, stage;
	uint8_t salt[DB_SALT_LEN];
	struct rollout_policy policy;
	char hw[DB_REL_HW_MAX][65];
	int nhw;
	char release_fw[65];
	uint32_t bucket;		/* campaigns_next: the device's */
};

/* Walks the live campaigns, newest first, from *pos (0 to start, which
 * reloads a stale set): 1 with the next one of hw_class whose open stage
 * holds the device's bucket copied to *out, 0 when there is none left,
 * which is at once when the device runs (fw) a live campaign's release:
 * older campaigns' releases would be downgrades. Any thread. */
int campaigns_next(struct campaigns *c, const char *hw_class,
    const char *device_id, const char *fw, int64_t now, int *pos,
    struct campaign_live *out);

/* Says why (release, cohort; NULL or "" for the fleet) has no device to
 * update, from db_target_summary, naming the hw classes. */
struct db_target_summary;
void campaign_no_targets_why(const struct db_target_summary *t,
    int64_t release_id, const char *release_fw, const char *cohort,
    char *buf, size_t len);

#endif
