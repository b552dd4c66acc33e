/* What device reports and polls do to offers: write jobs that read the
 * current state in the writer's transaction, let src/rollout decide the
 * step, and store the result. */
#ifndef SERVER_REPORTS_H
#define SERVER_REPORTS_H

#include <stdint.h>

#include "db/db.h"

struct srv;

/* A status report, validated by the handler. */
struct report_status {
	struct srv *srv;
	int64_t device;
	int64_t campaign;		/* 0: the direct offer */
	char release[65];		/* envelope sha256, as the device saw it */
	int event;			/* enum rollout_device_event */
	const char *reason, *detail;
	int64_t now;
	/* out */
	char state[16];			/* the offer's state afterwards */
	char was[16];			/* before, for a 409 */
};
/* Write job: applies a status report. DB_NOTFOUND when the device has no
 * such offer, DB_CONFLICT when the step is impossible (was says why). */
int reports_status(struct db_tx *tx, void *arg);

struct report_health {
	struct srv *srv;
	int64_t device;
	char fw_version[65];
	int boot_ok, selftest_ok;
	int64_t crash_count, uptime_s;
	int64_t now;
	int unhealthy;			/* derived by the handler */
};
/* Write job: records a health report; an unhealthy one on an offered
 * release's version fails that offer. */
int reports_health(struct db_tx *tx, void *arg);

/* Queues (without waiting) the job for a device that polls on its old
 * version after installing: a silent fallback. campaign 0: direct. */
void reports_fallback_submit(struct srv *s, int64_t device, int64_t campaign,
    const char *fw_version, int64_t now);

/* A first offer (or a retry) of a campaign's release to a member. */
struct offer_take {
	struct srv *srv;
	int64_t campaign, device, now;
	int granted;			/* out: the member is now offered */
};
/* Write job: moves the member to offered, counting an attempt, unless a
 * concurrent change made the offer impossible (granted stays 0). */
int reports_offer_take(struct db_tx *tx, void *arg);

#endif
