/* What device reports do to offers: write jobs that read the offer's
 * state, let src/rollout decide the step, and store the result. */
#ifndef SERVER_REPORTS_H
#define SERVER_REPORTS_H

#include <stdint.h>

#include "db/db.h"

/* A status report, validated by the handler. */
struct report_status {
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
	int64_t device;
	char fw_version[65];
	int boot_ok, selftest_ok;
	int64_t crash_count, uptime_s;
	int64_t now;
	int unhealthy;			/* derived by the handler */
};
/* Write job: records a health report and fails an offer whose new
 * version reports unhealthy. */
int reports_health(struct db_tx *tx, void *arg);

struct report_fallback {
	int64_t device;
	char fw_version[65];
	int64_t campaign;		/* 0: the direct offer */
	int64_t now;
};
/* Write job: a device polled on its old version after installing. */
int reports_fallback(struct db_tx *tx, void *arg);

#endif
