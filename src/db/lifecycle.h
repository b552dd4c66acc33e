/* Operators' changes to what exists: a device's tags, hw class and
 * cohorts, its decommissioning, deletion and new token; artifacts no
 * release uses; cohort members; draft campaigns. Each is one write job,
 * refused (DB_CONFLICT, naming what stands in the way) when it would
 * break a running or paused campaign. */
#ifndef DB_LIFECYCLE_H
#define DB_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "db/campaigns.h"
#include "db/db.h"
#include "db/devices.h"

struct db_device_patch {
	const char *device_id;
	const char *hw_class;		/* NULL: unchanged */
	int set_tags;			/* 1: tags replace the device's */
	const char *tags[DB_TAGS_MAX];
	int ntags;
	int set_cohorts;		/* 1: the device is in exactly these */
	const char **cohorts;
	size_t ncohorts;
	const char *detail;		/* the history event's text */
	int64_t conflict;		/* out, DB_CONFLICT: the campaign */
	int64_t conflict_offer;		/* or the direct offer's release */
	size_t missing;			/* out, DB_INVALID: cohorts[missing] */
};
/* Changes a device (write job). DB_NOTFOUND; DB_CONFLICT when a running
 * or paused campaign holding it, or its direct offer in flight, has a
 * release that does not list the new hw class (the device would refuse
 * it: conflict or conflict_offer says which); DB_INVALID for an unknown
 * cohort. */
int db_device_patch(struct db_tx *tx, void *arg);

struct db_device_retire {
	const char *device_id;
	int64_t now;
	const uint8_t *token_hash;	/* reissue only: the new token's */
	int64_t conflict;		/* out, DB_CONFLICT: the campaign */
	int64_t conflict_offer;		/* or the direct offer's release */
	char conflict_state[16];	/* out: the member's state there */
};
/* Decommissions a device (write job): its token stops working, its direct
 * offer goes, campaigns no longer take it; row and history stay. Again on
 * a decommissioned device: DB_OK, unchanged. DB_NOTFOUND. */
int db_device_decommission(struct db_tx *tx, void *arg);
/* Deletes a device with its history (write job). DB_NOTFOUND;
 * DB_CONFLICT while it is a member in flight (offered .. confirmed) of a
 * running or paused campaign. */
int db_device_delete(struct db_tx *tx, void *arg);
/* Replaces a device's token hash (write job); the old token is refused
 * from the commit on. DB_NOTFOUND; DB_CONFLICT when decommissioned. */
int db_device_token(struct db_tx *tx, void *arg);

struct db_artifact {
	char sha256[65];
	uint64_t size;
	int64_t created_at;
	char created_by[65];
	int64_t releases;		/* releases that refer to it */
};
/* Artifacts in sha256 order after the cursor (NULL: from the start). */
int db_artifact_list(struct db *db, const char *after, int64_t limit,
    void (*fn)(const struct db_artifact *, void *), void *arg);

struct db_artifact_del {
	const char *sha256;
	int64_t release;		/* out, DB_CONFLICT: one that uses it */
};
/* Deletes an artifact's row (write job); the caller removes the file
 * after the commit. DB_NOTFOUND; DB_CONFLICT while a release refers to
 * it. */
int db_artifact_delete(struct db_tx *tx, void *arg);

struct db_cohort_edit {
	const char *name;
	const char **device_ids;	/* add: these; remove: device_ids[0] */
	size_t n;
	int remove;
	size_t missing;			/* out, DB_INVALID: unknown device */
	int64_t count;			/* out: members afterwards */
	int64_t conflict;		/* out, DB_CONFLICT (delete) */
	char conflict_state[16];
};
/* Adds devices to a cohort (members already in it stay) or removes one
 * (write job). DB_NOTFOUND (no cohort), DB_INVALID (add:
 * device_ids[missing] is no device; remove: not a member). */
int db_cohort_edit(struct db_tx *tx, void *arg);
/* Deletes a cohort (write job; arg: struct db_cohort_edit, name only).
 * DB_NOTFOUND; DB_CONFLICT while a draft, running or paused campaign
 * targets it; a finished campaign's stays valid (its members are its
 * own) and no longer names the cohort. */
int db_cohort_delete(struct db_tx *tx, void *arg);

struct db_draft {
	int64_t id;
	const struct db_campaign *c;	/* edit: the new settings */
	enum rollout_campaign_state state;	/* out, DB_CONFLICT */
};
/* Replaces a draft's name, release, cohort, stages, policy and supersede
 * with c's (write job), logging "edited" at c->created_at by
 * c->created_by (the edit's time and actor). DB_NOTFOUND; DB_CONFLICT when it is no longer a
 * draft. */
int db_campaign_edit(struct db_tx *tx, void *arg);
/* Deletes a draft and its events (write job; c unused). DB_NOTFOUND;
 * DB_CONFLICT when it is not a draft. */
int db_campaign_delete(struct db_tx *tx, void *arg);

#endif
