/* Campaigns, their member devices and their event log. The store keeps
 * state; src/rollout decides and src/core orchestrates. */
#ifndef DB_CAMPAIGNS_H
#define DB_CAMPAIGNS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db/db.h"
#include "rollout/rollout.h"

#define DB_SALT_LEN 16

struct db_campaign {
	int64_t id;
	char name[65];
	int64_t release_id;
	int64_t cohort_id;		/* 0: the whole fleet */
	char cohort[65];		/* its name, for views */
	uint8_t salt[DB_SALT_LEN];
	int stages[ROLLOUT_MAX_STAGES], nstages;
	struct rollout_policy policy;
	int settings_ok;		/* read: stages and policy parsed and
					 * valid, stage in range (else the
					 * policy's defaults: never run) */
	int supersede;
	enum rollout_campaign_state state;
	int stage;
	int64_t stage_opened_at;
	char verdict[20];
	char verdict_reason[400];
	char verdict_detail[1024];	/* JSON object, or "" */
	int64_t verdict_at;
	int64_t created_at, started_at, finished_at;
	char created_by[65];
	char release_fw[65], release_sha[65];	/* for views */
	int64_t release_expires, release_revoked_at;	/* 0: not revoked */
	int64_t start_at;		/* a draft's scheduled start, 0: none */
};

/* ---- stored settings (settings.c) ---- */
/* The stage list and the policy as stored (and as the API shows them): a
 * new reference, NULL on allocation failure. */
json_t *db_stages_json(const int *stages, int n);
json_t *db_policy_json(const struct rollout_policy *p);
/* Stored text back to a stage list / policy: 0, or -1 when it does not
 * parse or is not valid (retired policy fields are dropped). */
int db_stages_parse(const char *text, int stages[ROLLOUT_MAX_STAGES], int *n);
int db_policy_parse(const char *text, struct rollout_policy *p);
/* c's stages and policy as stored text into the buffers; DB_OK, or
 * DB_ERR when either does not fit. */
int db_settings_text(const struct db_campaign *c, char *stages, size_t slen,
    char *policy, size_t plen);

/* Inserts c as a draft (write job); sets c->id. */
int db_campaign_create(struct db_tx *tx, void *arg /* struct db_campaign */);
/* Reads one campaign; DB_OK, DB_NOTFOUND or DB_ERR. */
int db_campaign_get(struct db *db, int64_t id, struct db_campaign *out);
int db_campaign_get_tx(struct db_tx *tx, int64_t id, struct db_campaign *out);
/* Campaigns in id order after the cursor, in one state (an enum
 * rollout_campaign_state) or in any (-1). */
int db_campaign_list(struct db *db, int state, int64_t after,
    int64_t limit, void (*fn)(const struct db_campaign *, void *), void *arg);
/* Campaigns that can offer, newest first: running, paused, and those
 * completed at or after completed_since. */
int db_campaign_live(struct db *db, int64_t completed_since,
    void (*fn)(const struct db_campaign *, void *), void *arg);
int db_campaign_live_tx(struct db_tx *tx, int64_t completed_since,
    void (*fn)(const struct db_campaign *, void *), void *arg);
/* The running and paused campaigns of a release, in id order (inside a
 * write job: a revoke halts them in its own transaction). */
int db_campaign_of_release_tx(struct db_tx *tx, int64_t release,
    void (*fn)(const struct db_campaign *, void *), void *arg);
/* The campaigns whose devices may still change state: running and
 * paused, then completed and halted ones finished at or after
 * finished_since, newest first (inside a write job). */
int db_campaign_sweepable_tx(struct db_tx *tx, int64_t finished_since,
    void (*fn)(const struct db_campaign *, void *), void *arg);
/* Drafts scheduled to start at or before now (0 < start_at <= now), the
 * earliest first (inside a write job: the gate starts them). */
int db_campaign_due_tx(struct db_tx *tx, int64_t now,
    void (*fn)(const struct db_campaign *, void *), void *arg);
/* Writes state, stage, stage_opened_at, verdict*, started_at,
 * finished_at and start_at of c if the row still has expect_state and expect_stage
 * (as read): DB_OK, or DB_CONFLICT (unchanged). */
int db_campaign_update(struct db_tx *tx, const struct db_campaign *c,
    enum rollout_campaign_state expect_state, int expect_stage);
/* Appends to a campaign's event log; detail is JSON text or NULL. */
int db_campaign_event(struct db_tx *tx, int64_t campaign, int64_t at,
    const char *kind, const char *actor, int stage, const char *detail);

struct db_campaign_event {
	int64_t id, at;
	int stage;
	char kind[24], actor[65];
	char detail[1024];
};
int db_campaign_events(struct db *db, int64_t campaign, int64_t after,
    int64_t limit, void (*fn)(const struct db_campaign_event *, void *),
    void *arg);

/* The devices a campaign of this release over this cohort (0: fleet)
 * targets: the release's hw classes, not already on its version. */
typedef int (*db_target_fn)(int64_t device, const char *device_id, void *arg);
int db_campaign_targets(struct db *db, int64_t release, int64_t cohort,
    db_target_fn fn, void *arg);
int db_campaign_targets_tx(struct db_tx *tx, int64_t release, int64_t cohort,
    db_target_fn fn, void *arg);
/* Whether (release, cohort) targets any device, and when not, why: the
 * hw classes the release lists (", "-separated), the devices of the
 * cohort (or fleet), how many of them have one of those hw classes and
 * how many of those run the release's version already, and the largest
 * hw classes of the scope. */
#define DB_SUMMARY_HW 4
struct db_target_summary {
	int any;
	char release_hw[256];
	int64_t devices, fitting, on_version;
	char hw[DB_SUMMARY_HW][65];
	int nhw;
};
int db_target_summary(struct db *db, int64_t release, int64_t cohort,
    struct db_target_summary *out);
int db_target_summary_tx(struct db_tx *tx, int64_t release, int64_t cohort,
    struct db_target_summary *out);
/* Adds a member (write job body). */
int db_member_add(struct db_tx *tx, int64_t campaign, int64_t device,
    uint32_t bucket, int64_t now);
/* Running or paused campaigns other than 'except' that hold at least one
 * device targeted by (release, cohort): calls fn with each id. */
int db_campaign_overlaps_tx(struct db_tx *tx, int64_t release, int64_t cohort,
    int64_t except, void (*fn)(int64_t campaign, int64_t devices, void *),
    void *arg);
int db_campaign_overlaps(struct db *db, int64_t release, int64_t cohort,
    int64_t except, void (*fn)(int64_t campaign, int64_t devices, void *),
    void *arg);

struct db_member {
	int64_t campaign, device;
	uint32_t bucket;
	enum rollout_device_state state;
	int attempts;
	int64_t last_change, confirmed_at;
	char reason[41];		/* a reason class, "" when none */
	char install_boot[65];		/* boot id of the installed report */
	int cause_stated;		/* the device's own report named reason */
};
/* One membership; DB_NOTFOUND when the device is not in the campaign. */
int db_member_get(struct db *db, int64_t campaign, int64_t device,
    struct db_member *out);
int db_member_get_tx(struct db_tx *tx, int64_t campaign, int64_t device,
    struct db_member *out);
/* Writes state, attempts, last_change, confirmed_at, reason,
 * install_boot and cause_stated of m if the row still has expect_state
 * and expect_attempts (as read): DB_OK, or DB_CONFLICT (unchanged) when
 * another writer got there first. */
int db_member_update(struct db_tx *tx, const struct db_member *m,
    enum rollout_device_state expect_state, int expect_attempts);
/* A member in flight with what its device last declared. */
struct db_flight {
	struct db_member m;
	char fw_version[65];		/* the device's, as last polled */
	int64_t last_seen;		/* its last poll, 0: never */
};
/* Members in flight (offered, downloading, installed, confirmed). */
int db_member_in_flight_tx(struct db_tx *tx, int64_t campaign,
    void (*fn)(const struct db_flight *, void *), void *arg);
/* Members offered, downloading or installed: the concurrency cap's count
 * (from the index on campaign and state). */
int db_member_capped_count_tx(struct db_tx *tx, int64_t campaign,
    int64_t *n);
/* Before a capped take on a store several daemons write (PostgreSQL):
 * locks the campaign's row until the batch commits, so that a count
 * made after it sees every other daemon's committed takes and none can
 * take meanwhile; *shared = 1. On SQLite, whose one writer serialises
 * every take, nothing (*shared = 0). */
int db_campaign_cap_lock_tx(struct db_tx *tx, int64_t campaign,
    int *shared);
/* Counts the members with bucket < below per state, in one pass: fn gets
 * each state once with all of them and those with from <= bucket. */
int db_member_counts_tx(struct db_tx *tx, int64_t campaign, uint32_t from,
    uint32_t below,
    void (*fn)(const char *state, int64_t all, int64_t added, void *),
    void *arg);
/* The same for failed, rolled_back and timed_out members per reason
 * class (a missing reason is "other"). */
int db_failure_reasons_tx(struct db_tx *tx, int64_t campaign, uint32_t from,
    uint32_t below,
    void (*fn)(const char *reason, int64_t all, int64_t added, void *),
    void *arg);
/* Pending members with bucket < below: out[0] those below from, out[1]
 * the others; unseen: no poll at or after since. */
struct db_pending {
	int64_t pending, unseen;
};
int db_pending_seen_tx(struct db_tx *tx, int64_t campaign, uint32_t from,
    uint32_t below, int64_t since, struct db_pending out[2]);
/* The baseline: pending members of the whole campaign (any stage) whose
 * latest health report is from since or later, on a version other than
 * release_fw (reporting), and of those the unhealthy. */
struct db_baseline {
	int64_t reporting, unhealthy;
};
int db_baseline_tx(struct db_tx *tx, int64_t campaign, int64_t since,
    const char *release_fw, struct db_baseline *out);
/* Members per (bucket / 100, state, reason), for per-stage views; reason
 * is NULL except for failures. */
int db_member_histogram(struct db *db, int64_t campaign,
    void (*fn)(int pct_floor, const char *state, const char *reason,
    int64_t n, void *), void *arg);
/* Every bucket of a campaign's members (for plans). */
int db_member_buckets(struct db *db, int64_t campaign,
    void (*fn)(uint32_t bucket, void *), void *arg);
/* A device's memberships with their campaign's state, newest first. */
struct db_membership {
	struct db_member m;
	enum rollout_campaign_state campaign_state;
	int64_t release_id;
	char release_fw[65];
};
int db_device_memberships(struct db *db, int64_t device,
    void (*fn)(const struct db_membership *, void *), void *arg);
int db_device_memberships_tx(struct db_tx *tx, int64_t device,
    void (*fn)(const struct db_membership *, void *), void *arg);

#endif
