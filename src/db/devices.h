/* Devices: identity, token hash, tags, what they run, when they were
 * seen, their direct offer and their history. */
#ifndef DB_DEVICES_H
#define DB_DEVICES_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "rollout/rollout.h"

#define DB_ID_MAX 64
#define DB_TAGS_MAX 32

/* What a device's token lookup yields: the device and its direct offer. */
struct db_device_auth {
	int64_t id;
	char device_id[DB_ID_MAX + 1];
	char hw_class[DB_ID_MAX + 1];
	char fw_version[DB_ID_MAX + 1];
	int64_t offer_release;		/* direct offer's release id, or 0 */
	enum rollout_device_state offer_state;	/* its state, if any */
};

/* Finds the device whose token hashes to hash (one indexed lookup, hash
 * compared again in constant time); a decommissioned device is not
 * found. DB_OK, DB_NOTFOUND or DB_ERR. */
int db_device_by_token(struct db *db, const uint8_t hash[32],
    struct db_device_auth *out);
/* The same by device_id (a DDI gateway token names the controller). */
int db_device_auth_by_id(struct db *db, const char *device_id,
    struct db_device_auth *out);

struct db_new_device {
	const char *device_id, *hw_class, *fw_version;
	const char *tags[DB_TAGS_MAX];
	int ntags;
	uint8_t token_hash[32];
};
struct db_devices_add {
	struct db_new_device *items;
	size_t n;
	int64_t now;
	size_t failed;		/* out: index of the item that conflicted */
};
/* Provisions all items or none (write job); DB_CONFLICT names the first
 * device_id that exists (or repeats) in failed. */
int db_devices_add(struct db_tx *tx, void *arg);

struct db_device {
	int64_t id;
	char device_id[DB_ID_MAX + 1];
	char hw_class[DB_ID_MAX + 1];
	char fw_version[DB_ID_MAX + 1];
	int64_t created_at, last_seen;	/* last_seen 0: never polled */
	int64_t decommissioned_at;	/* 0: in service */
	char tags[DB_TAGS_MAX][DB_ID_MAX + 1];
	int ntags;
};
struct db_device_filter {
	const char *hw_class, *tag, *cohort, *fw_version;	/* NULL: any */
	int64_t campaign;	/* 0: any; else members of this campaign */
	const char *state;	/* with campaign: members in this state */
	const char *after;	/* device_id cursor */
	int64_t limit;
};
/* Calls fn for each matching device in device_id order. */
int db_device_list(struct db *db, const struct db_device_filter *f,
    void (*fn)(const struct db_device *, void *), void *arg);
/* One device by its device_id; DB_OK, DB_NOTFOUND or DB_ERR. */
int db_device_get(struct db *db, const char *device_id, struct db_device *out);

struct db_event {
	int64_t id, at, release_id, campaign_id;
	char kind[24], state[24], reason[40];
	char detail[512];
};
/* The device's history, newest first, at most limit events. */
int db_device_events(struct db *db, int64_t device, int64_t limit,
    void (*fn)(const struct db_event *, void *), void *arg);
/* Appends one event to a device's history (inside a write job) at the
 * time the caller's rules used (a request's now, so that what the history
 * shows is what a backoff or timeout counted from); 0: the clock now, for
 * events no rule reads. */
int db_event_add(struct db_tx *tx, int64_t device, int64_t at,
    const char *kind,
    int64_t release_id, int64_t campaign_id, const char *state,
    const char *reason, const char *detail);

/* Records when a device polled and what it declared (write job body for
 * the coalesced flush); adds a "version" event and sets *changed when the
 * version differs from the one stored (else *changed = 0). fw_version
 * NULL: the poll declared nothing (DDI); only last_seen moves. */
int db_device_seen(struct db_tx *tx, int64_t device, int64_t at,
    const char *fw_version, int *changed);

/* A health report: the latest per device with its counters (the
 * summary), or one of the sampled history (counters 0). */
struct db_health {
	int64_t device, at;
	char fw_version[DB_ID_MAX + 1];
	char boot_id[DB_ID_MAX + 1];	/* "" when none was sent */
	int boot_ok, selftest_ok, unhealthy;
	int64_t crash_count, uptime_s;
	/* summary only: */
	int64_t reports, unhealthy_reports, crashes;	/* since first_at */
	int64_t first_at, sampled_at;	/* sampled_at: the latest sample */
};
/* The device's latest report; DB_OK, DB_NOTFOUND or DB_ERR. */
int db_health_get(struct db *db, int64_t device, struct db_health *out);
int db_health_get_tx(struct db_tx *tx, int64_t device, struct db_health *out);
/* Stores h as the device's latest report (write job body). */
int db_health_put(struct db_tx *tx, const struct db_health *h);
/* Adds h to the device's sampled history, keeping its newest `keep`. */
int db_health_sample(struct db_tx *tx, const struct db_health *h, int keep);
/* The device's samples, newest first, at most limit. */
int db_health_samples(struct db *db, int64_t device, int64_t limit,
    void (*fn)(const struct db_health *, void *), void *arg);
/* Deletes samples older than before among the oldest `batch` (a small
 * step for the writer's timer); *deleted says how many went. */
int db_health_prune(struct db_tx *tx, int64_t before, int batch,
    int64_t *deleted);

#endif
