/* What device reports and polls do to offers: write jobs that read the
 * current state in the writer's transaction, let src/rollout decide the
 * step, and store the result; and the checks of the report bodies. */
#ifndef CORE_REPORTS_H
#define CORE_REPORTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db/db.h"
#include "rollout/rollout.h"

struct srv;
struct db_member;

#define REPORT_BOOT_MAX 64

/* 1 if s is a boot id: 1 to 64 of [A-Za-z0-9._:-] (opaque; compared for
 * equality only). */
int reports_valid_boot_id(const char *s);

/* A status report, validated by reports_status_parse. */
struct report_status {
	struct srv *srv;
	int64_t device;
	int64_t campaign;		/* 0: the direct offer */
	char release[65];		/* envelope sha256, as the device saw it */
	int event;			/* enum rollout_device_event */
	const char *reason, *detail;	/* as sent (borrowed from the body) */
	const char *boot_id;		/* NULL when none was sent */
	int64_t now;
	/* out */
	char state[16];			/* the offer's state afterwards */
	char was[16];			/* before, for a 409 */
};
/* Reads a status report body into r (campaign, release, event, reason,
 * detail, boot_id; strings borrowed from body). 0, or -1 with
 * "field: reason" in err (the API's 422). */
int reports_status_parse(json_t *body, struct report_status *r, char *err,
    size_t errlen);
/* Write job: applies a status report. DB_NOTFOUND when the device has no
 * such offer, DB_CONFLICT when the step is impossible (was says why). */
int reports_status(struct db_tx *tx, void *arg);

/* Why a step happens: a reason class for failures (or NULL), whether the
 * device said so itself (its own status report), the boot id it came with
 * (NULL: none). */
struct report_why {
	const char *reason;
	int stated;
	const char *boot_id;
};
/* Applies ev to a campaign member and stores it (inside a job). The first
 * cause of a failure stands, except that a stated one replaces an
 * inferred one; entering installed remembers the boot id. *to_out is the
 * state afterwards (the state before when impossible). 0 (maybe
 * unchanged), -1 impossible, -2 the store failed. */
int reports_member_step(struct db_tx *tx, struct db_member *m,
    const struct rollout_policy *p, enum rollout_device_event ev,
    const struct report_why *why, int64_t now,
    enum rollout_device_state *to_out);

/* Applies what a poll, a health report or a flushed version change says
 * about the device's memberships of campaigns that are not draft or
 * aborted (campaign -1: none, 0: all of them, else that one only) and,
 * with direct 1, its direct offer: a newer version supersedes, an old one
 * may be a fallback (rollout_sighting). boot_id "" or NULL: none sent.
 * Inside a write job. */
int reports_sighting_tx(struct db_tx *tx, struct srv *s, int64_t device,
    int64_t campaign, int direct, const char *fw_version,
    const char *boot_id, int64_t now);
/* The same queued (without waiting) from a poll: campaign -1 for the
 * direct offer only, else that campaign only. A lost job is found again
 * at the device's next poll. */
void reports_sighting_submit(struct srv *s, int64_t device, int64_t campaign,
    const char *fw_version, const char *boot_id, int64_t now);
/* seen_on_change hook (arg: the struct srv): a device's flushed new
 * version as a sighting without a boot id, for all it belongs to. */
int reports_version_changed(struct db_tx *tx, int64_t device,
    const char *fw_version, int64_t at, void *srv);
/* 1 if a poll declaring fw_version (with boot_id, maybe NULL) tells the
 * member m of a campaign of release_fw something (worth a job). */
int reports_sighting_news(const struct db_member *m, const char *release_fw,
    const char *fw_version, const char *boot_id);
/* 1 if fw_version is newer (semver) than release_fw. */
int reports_is_newer(const char *fw_version, const char *release_fw);

/* A first offer (or a retry) of a campaign's release to a member. */
struct offer_take {
	struct srv *srv;
	int64_t campaign, device, now;
	int granted;			/* out: the member is now offered */
};
/* Write job: moves the member to offered, counting an attempt, unless a
 * concurrent change made the offer impossible (granted stays 0). */
int reports_offer_take(struct db_tx *tx, void *arg);

/* ---- health (health.c) ---- */

struct report_health {
	struct srv *srv;
	int64_t device;
	char fw_version[65];
	char boot_id[REPORT_BOOT_MAX + 1];	/* "" when none was sent */
	int boot_ok, selftest_ok;
	int64_t crash_count, uptime_s;
	int64_t now;
	int unhealthy;			/* derived from the fields */
};
/* Reads a health report body into h (all but srv, device, now). 0, or -1
 * with "field: reason" in err. */
int reports_health_parse(json_t *body, struct report_health *h, char *err,
    size_t errlen);
/* Write job: keeps the report as the device's latest (and as a sample
 * when something changed or the last sample is older than
 * health_sample_interval); an unhealthy report on an offered release's
 * version fails that offer; the version and boot id are a sighting. */
int reports_health(struct db_tx *tx, void *arg);
/* Timer job (arg: the struct srv): deletes health samples older than
 * event_retention, a small batch at a time. */
int reports_health_prune(struct db_tx *tx, void *srv);

#endif
