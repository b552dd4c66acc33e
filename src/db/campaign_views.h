/* Read-only views of a campaign's members for operators: who is where,
 * page by page. */
#ifndef DB_CAMPAIGN_VIEWS_H
#define DB_CAMPAIGN_VIEWS_H

#include <stdint.h>

#include "db/db.h"
#include "rollout/rollout.h"

/* A member with what its device last said. */
struct db_member_view {
	char device_id[65];
	uint32_t bucket;
	enum rollout_device_state state;
	int attempts;
	int64_t last_change;		/* 0: never */
	char reason[41];		/* "" when none */
	char fw_version[65];
	int64_t last_seen;		/* 0: never */
};

/* Members with bucket in [lo, hi), of state (unless any_state), device
 * id after 'after' (NULL: from the first), in device id order, at most
 * limit. */
struct db_member_filter {
	int64_t campaign;
	uint32_t lo, hi;
	int any_state;
	enum rollout_device_state state;
	const char *after;
	int64_t limit;
};
/* Calls fn for each; DB_OK or DB_ERR. */
int db_member_list(struct db *db, const struct db_member_filter *f,
    void (*fn)(const struct db_member_view *, void *), void *arg);

#endif
