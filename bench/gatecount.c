/* bench/gatecount: what the gate's count of an open stage costs on the
 * writer, through the daemon's own store functions: a campaign of MEMBERS
 * members (argv[1], default 100000) in a fresh database, most of them
 * pending (half polled since the stage opened, a quarter with a health
 * report), the rest healthy, in flight or failed; then the three counting
 * queries of src/core/gate.c (states split at the stage's first bucket,
 * pending members' polls and health, failure reasons) timed over the
 * 100 % stage. Built and run by bench/gatecount.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/artifacts.h"
#include "db/campaigns.h"
#include "db/db.h"
#include "db/devices.h"
#include "db/releases.h"
#include "sign/crypto.h"
#include "util/util.h"

struct fill {
	int64_t n;
};

static int
add_devices(struct db_tx *tx, void *arg)
{
	struct fill *f = arg;
	struct db_new_device *d = calloc((size_t)f->n, sizeof(*d));
	char (*ids)[32] = calloc((size_t)f->n, sizeof(*ids));
	struct db_devices_add add = { d, (size_t)f->n, 1000, 0 };
	int rc;

	if (d == NULL || ids == NULL)
		return DB_ERR;
	for (int64_t i = 0; i < f->n; i++) {
		snprintf(ids[i], sizeof(ids[i]), "dev-%07lld", (long long)i);
		d[i] = (struct db_new_device){ ids[i], "board-a", "1.0.0",
		    { NULL }, 0, { 0 } };
		memcpy(d[i].token_hash, &i, sizeof(i));
		d[i].token_hash[31] = 1;
	}
	rc = db_devices_add(tx, &add);
	free(d);
	free(ids);
	return rc;
}

static enum rollout_device_state
state_of(int64_t i)
{
	switch (i % 20) {
	case 0: return ROLLOUT_DEV_FAILED;
	case 1: case 2: case 3: return ROLLOUT_DEV_OFFERED;
	case 4: case 5: case 6: case 7: return ROLLOUT_DEV_HEALTHY;
	default: return ROLLOUT_DEV_PENDING;
	}
}

static int
add_members(struct db_tx *tx, void *arg)
{
	struct fill *f = arg;
	struct db_campaign c = { .release_id = 1, .created_at = 1000 };
	struct db_member m;
	int changed, rc;

	snprintf(c.name, sizeof(c.name), "bench");
	rollout_stages_default(c.stages, &c.nstages);
	rollout_policy_default(&c.policy);
	snprintf(c.created_by, sizeof(c.created_by), "bench");
	if ((rc = db_campaign_create(tx, &c)) != DB_OK)
		return rc;
	for (int64_t i = 1; i <= f->n && rc == DB_OK; i++) {
		rc = db_member_add(tx, c.id, i, (uint32_t)(i * 7919 % 10000), 1000);
		memset(&m, 0, sizeof(m));
		m.campaign = c.id;
		m.device = i;
		m.last_change = 1000;
		m.state = state_of(i);
		if (rc == DB_OK && m.state != ROLLOUT_DEV_PENDING)
			rc = db_member_update(tx, &m, ROLLOUT_DEV_PENDING, 0);
		if (rc == DB_OK && i % 2 == 0)
			rc = db_device_seen(tx, i, 6000, "1.0.0", &changed);
		if (rc == DB_OK && i % 4 == 0) {
			struct db_health h = { .device = i, .at = 6000,
			    .boot_ok = 1, .selftest_ok = 1, .unhealthy = i % 8 == 0,
			    .reports = 1, .first_at = 6000, .sampled_at = 6000 };
			snprintf(h.fw_version, sizeof(h.fw_version), "1.0.0");
			rc = db_health_put(tx, &h);
		}
	}
	return rc;
}

static void
on_count(const char *s, int64_t all, int64_t added, void *arg)
{
	(void)s;
	(void)added;
	*(int64_t *)arg += all;
}

struct timing {
	double states, pending, reasons;
	int64_t members, unseen;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
count_job(struct db_tx *tx, void *arg)
{
	struct timing *t = arg;
	struct db_pending p[2];
	struct db_baseline b;
	int64_t reasons = 0;
	double t0 = now_ms();
	int rc;

	t->members = 0;
	rc = db_member_counts_tx(tx, 1, 5000, 10000, on_count, &t->members);
	t->states = now_ms() - t0;
	t0 = now_ms();
	if (rc == DB_OK)
		rc = db_pending_seen_tx(tx, 1, 5000, 10000, 5000, p);
	if (rc == DB_OK)
		rc = db_baseline_tx(tx, 1, 5000, "2.0.0", &b);
	t->pending = now_ms() - t0;
	t->unseen = p[0].unseen + p[1].unseen;
	t0 = now_ms();
	if (rc == DB_OK)
		rc = db_failure_reasons_tx(tx, 1, 5000, 10000, on_count, &reasons);
	t->reasons = now_ms() - t0;
	return rc;
}

static int
add_release(struct db_tx *tx, void *arg)
{
	static const uint8_t env[] = "{}";
	static struct db_release r = { .expires = 9999999999LL, .length = 1 };
	struct db_release_add add = { env, 2, &r, 0, 0, NULL, "" };
	struct db_artifact_put art = { "a", 1, "bench", 1000, 0 };
	int rc = db_artifact_put(tx, &art);

	(void)arg;
	if (rc != DB_OK)
		return rc;
	snprintf(r.sha256, sizeof(r.sha256), "e");
	snprintf(r.fw_version, sizeof(r.fw_version), "2.0.0");
	snprintf(r.artifact_sha256, sizeof(r.artifact_sha256), "a");
	snprintf(r.hw_classes[r.nhw++], sizeof(r.hw_classes[0]), "board-a");
	return db_release_add(tx, &add);
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/otad-gatecount.XXXXXX", path[64], err[256];
	struct fill f = { 100000 };
	struct timing t, best = { 1e9, 1e9, 1e9, 0, 0 };
	struct db *db;

	if ((argc > 1 && util_parse_int(argv[1], 1, 10000000, &f.n) != 0) ||
	    mkdtemp(dir) == NULL || sign_init() != 0)
		return 2;
	snprintf(path, sizeof(path), "%s/otad.db", dir);
	if ((db = db_open(path, 1, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatecount: %s\n", err);
		return 2;
	}
	if (db_write(db, add_release, NULL) != DB_OK ||
	    db_write(db, add_devices, &f) != DB_OK ||
	    db_write(db, add_members, &f) != DB_OK) {
		fprintf(stderr, "gatecount: cannot fill the database\n");
		return 2;
	}
	for (int i = 0; i < 10; i++) {
		if (db_write(db, count_job, &t) != DB_OK)
			return 1;
		if (t.states + t.pending + t.reasons < best.states + best.pending +
		    best.reasons)
			best = t;
	}
	printf("%lld members, %lld in the stage (unseen %lld): states %.1f ms, "
	    "pending polls and health %.1f ms, failure reasons %.1f ms, "
	    "total %.1f ms (best of 10)\n", (long long)f.n,
	    (long long)best.members, (long long)best.unseen, best.states,
	    best.pending, best.reasons, best.states + best.pending + best.reasons);
	db_close(db);
	snprintf(err, sizeof(err), "rm -rf %s", dir);
	return system(err) == 0 ? 0 : 1;
}
