/* What device reports and polls do to offers: write jobs that read the
 * current state in the writer's transaction, let src/rollout decide the
 * step, and store the result. */
#ifndef CORE_REPORTS_H
#define CORE_REPORTS_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "rollout/rollout.h"

struct core;
struct db_member;

#define REPORT_BOOT_MAX 64

/* 1 if s is a boot id: 1 to 64 of [A-Za-z0-9._:-] (opaque; compared for
 * equality only). */
int reports_valid_boot_id(const char *s);

/* A status report, as the API read it (api/bodies.h). */
struct report_status {
	struct core *core;
	int64_t device;
	int64_t campaign;		/* 0: the direct offer */
	char release[65];		/* envelope sha256, as the device saw it */
	int event;			/* enum rollout_device_event */
	const char *reason, *detail;	/* as sent (borrowed from the body) */
	const char *boot_id;		/* NULL when none was sent */
	int64_t now;
	/* out */
	enum rollout_device_state state;	/* the offer's afterwards */
	enum rollout_device_state was;		/* before, for a 409 */
};
/* Write job: applies a status report. DB_NOTFOUND when the device has no
 * such offer, DB_CONFLICT when the step is impossible (was says why). */
int reports_status(struct db_tx *tx, void *arg);

/* Applies what a poll, a health report or a flushed version change says
 * about the device's memberships of campaigns that are not draft or
 * aborted (campaign -1: none, 0: all of them, else that one only) and,
 * with direct 1, its direct offer: a newer version supersedes, an old one
 * may be a fallback (rollout_sighting). boot_id "" or NULL: none sent.
 * Inside a write job. */
int reports_sighting_tx(struct db_tx *tx, struct core *s, int64_t device,
    int64_t campaign, int direct, const char *fw_version,
    const char *boot_id, int64_t now);
/* The same queued (without waiting) from a poll: campaign -1 for the
 * direct offer only, else that campaign only. A lost job is found again
 * at the device's next poll. */
void reports_sighting_submit(struct core *s, int64_t device, int64_t campaign,
    const char *fw_version, const char *boot_id, int64_t now);
/* seen_on_change hook (arg: the struct core): a device's flushed new
 * version as a sighting without a boot id, for all it belongs to. */
int reports_version_changed(struct db_tx *tx, int64_t device,
    const char *fw_version, int64_t at, void *srv);

/* A first offer (or a retry) of a campaign's release to a member. */
struct offer_take {
	struct core *core;
	int64_t campaign, device, now;
	int granted;			/* out: the member is now offered */
	int capped;			/* out: held back by a concurrency cap */
};
/* Write job: moves the member to offered, counting an attempt, unless a
 * concurrent change made the offer impossible or a concurrency cap is
 * reached (the campaign's max_in_flight, the server's; capped set):
 * granted stays 0. */
int reports_offer_take(struct db_tx *tx, void *arg);

/* ---- health (health.c) ---- */

struct report_health {
	struct core *core;
	int64_t device;
	char fw_version[65];
	char boot_id[REPORT_BOOT_MAX + 1];	/* "" when none was sent */
	int boot_ok, selftest_ok;
	int64_t crash_count, uptime_s;
	int64_t now;
	int unhealthy;			/* derived from the fields */
};
/* Write job: keeps the report as the device's latest (and as a sample
 * when something changed or the last sample is older than
 * health_sample_interval); an unhealthy report on an offered release's
 * version fails that offer; the version and boot id are a sighting. */
int reports_health(struct db_tx *tx, void *arg);
/* Timer job (arg: the struct core): deletes health samples older than
 * event_retention, a small batch at a time. */
int reports_health_prune(struct db_tx *tx, void *srv);

#endif
