/* A campaign member's steps on the writer, and what a declared version
 * says to a member. */
#ifndef CORE_MEMBERS_H
#define CORE_MEMBERS_H

#include <stdint.h>

#include "db/db.h"
#include "rollout/rollout.h"

struct db_member;
struct flights;

/* Why a step happens: a reason class for failures (or NULL), whether the
 * device said so itself (its own status report), the boot id it came with
 * (NULL: none). */
struct member_why {
	const char *reason;
	int stated;
	const char *boot_id;
};

/* Applies ev to a campaign member and stores it (inside a job), as
 * rollout_member_step says; the update expects the state and attempts
 * read, and on DB_CONFLICT (another writer changed the row) the member is
 * read again and the event decided again. *to_out is the state afterwards
 * (the state before when impossible). 0 (maybe unchanged), -1 impossible,
 * -2 the store failed. A stored change moves the concurrency cap's
 * count (fl; NULL: none). */
int members_step(struct db_tx *tx, struct flights *fl, struct db_member *m,
    const struct rollout_policy *p, enum rollout_device_event ev,
    const struct member_why *why, int64_t now,
    enum rollout_device_state *to_out);
/* What a declared version (and boot id, "" or NULL for none) says to a
 * member of a campaign of release_fw that installed from install_boot. */
void members_seen(struct rollout_seen *w, const char *release_fw,
    const char *fw, const char *boot, const char *install_boot);
/* 1 if fw_version is newer (semver) than release_fw. */
int members_is_newer(const char *fw_version, const char *release_fw);

#endif
