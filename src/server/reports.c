/* What device reports do to offers. The job reads the current state in
 * the writer's transaction, src/rollout decides the step, the store keeps
 * the result: no report can race another into an impossible state. */
#include <stdio.h>
#include <string.h>

#include "db/devices.h"
#include "db/releases.h"
#include "rollout/rollout.h"
#include "server/reports.h"

static int
direct_status(struct db_tx *tx, struct report_status *r)
{
	struct db_offer off;
	struct rollout_policy p;
	enum rollout_device_state from, to;
	char sha[65], fw[65];
	int rc;

	rc = db_offer_get_tx(tx, r->device, &off, sha, fw);
	if (rc != DB_OK)
		return rc;
	if (strcmp(sha, r->release) != 0)
		return DB_NOTFOUND;
	if (rollout_device_state_parse(off.state, &from) != 0)
		return DB_ERR;
	snprintf(r->was, sizeof(r->was), "%s", off.state);
	rollout_policy_default(&p);
	if (rollout_device_step(from, (enum rollout_device_event)r->event, 1, &p,
	    &to) != 0)
		return DB_CONFLICT;
	snprintf(r->state, sizeof(r->state), "%s", rollout_device_state_name(to));
	if (to != from && (rc = db_offer_update(tx, r->device, r->state,
	    r->reason, r->now)) != DB_OK)
		return rc;
	return db_event_add(tx, r->device, "status", off.release_id, 0,
	    rollout_device_event_name((enum rollout_device_event)r->event),
	    r->reason, r->detail);
}

int
reports_status(struct db_tx *tx, void *arg)
{
	struct report_status *r = arg;

	if (r->campaign == 0)
		return direct_status(tx, r);
	return DB_NOTFOUND;
}

int
reports_health(struct db_tx *tx, void *arg)
{
	struct report_health *h = arg;
	struct db_offer off;
	enum rollout_device_state from, to;
	struct rollout_policy p;
	char detail[160], sha[65], fw[65];
	int rc;

	snprintf(detail, sizeof(detail), "fw_version=%s boot_ok=%s selftest=%s "
	    "crash_count=%lld uptime_s=%lld", h->fw_version,
	    h->boot_ok ? "true" : "false", h->selftest_ok ? "pass" : "fail",
	    (long long)h->crash_count, (long long)h->uptime_s);
	rc = db_event_add(tx, h->device, "health", 0, 0,
	    h->unhealthy ? "unhealthy" : "healthy", NULL, detail);
	if (rc != DB_OK || !h->unhealthy)
		return rc;
	/* Only a report on the offered version says the release is bad. */
	rc = db_offer_get_tx(tx, h->device, &off, sha, fw);
	if (rc == DB_NOTFOUND || (rc == DB_OK && strcmp(fw, h->fw_version) != 0))
		return DB_OK;
	if (rc != DB_OK || rollout_device_state_parse(off.state, &from) != 0)
		return DB_ERR;
	rollout_policy_default(&p);
	if (rollout_device_step(from, ROLLOUT_EV_UNHEALTHY, 1, &p, &to) != 0 ||
	    to == from)
		return DB_OK;
	return db_offer_update(tx, h->device, rollout_device_state_name(to),
	    "unhealthy", h->now);
}

int
reports_fallback(struct db_tx *tx, void *arg)
{
	struct report_fallback *f = arg;
	struct db_offer off;
	enum rollout_device_state from, to;
	struct rollout_policy p;
	char sha[65], fw[65];
	int rc;

	rc = db_offer_get_tx(tx, f->device, &off, sha, fw);
	if (rc != DB_OK)
		return rc == DB_NOTFOUND ? DB_OK : rc;
	if (strcmp(fw, f->fw_version) == 0 ||
	    rollout_device_state_parse(off.state, &from) != 0)
		return DB_OK;
	rollout_policy_default(&p);
	if (rollout_device_step(from, ROLLOUT_EV_FALLBACK, 1, &p, &to) != 0 ||
	    to == from)
		return DB_OK;
	if ((rc = db_offer_update(tx, f->device, rollout_device_state_name(to),
	    "fallback", f->now)) != DB_OK)
		return rc;
	return db_event_add(tx, f->device, "fallback", off.release_id, 0,
	    rollout_device_state_name(to), "fallback", f->fw_version);
}
