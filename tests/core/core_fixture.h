/* A core over a fresh temporary database, without HTTP: releases, devices,
 * direct offers and campaigns made through the store's own jobs, for the
 * tests/core suites. */
#ifndef TESTS_CORE_FIXTURE_H
#define TESTS_CORE_FIXTURE_H

#include <sqlite3.h>

#include "check_util.h"
#include "db/pg_fixture.h"
#include "core/campaigns.h"
#include "core/core.h"
#include "core/flights.h"
#include "core/gate.h"
#include "core/offers.h"
#include "db/artifacts.h"
#include "db/campaigns.h"
#include "db/devices.h"
#include "db/releases.h"
#include "sign/crypto.h"
#include "util/util.h"

static char fx_dir[256];
static struct core fx;

static inline void
fx_setup(void)
{
	char path[400], err[512];

	ck_assert_int_eq(sign_init(), 0);
	tu_tmpdir(fx_dir, sizeof(fx_dir));
	snprintf(path, sizeof(path), "%s/otad.db", fx_dir);
	if (pgfx_on())
		pgfx_create(path, sizeof(path));
	memset(&fx, 0, sizeof(fx));
	fx.db = db_open(path, 2, err, sizeof(err));
	ck_assert_msg(fx.db != NULL, "%s", err);
	fx.offers = offers_new(fx.db, 10);
	fx.campaigns = campaigns_new(fx.db, 3600, 5);
	fx.flights = flights_new();
	ck_assert(fx.offers != NULL && fx.campaigns != NULL &&
	    fx.flights != NULL);
	fx.pol = (struct core_policy){ 60, 3600, 86400, 60, 100, 0 };
}

static inline void
fx_teardown(void)
{
	campaigns_free(fx.campaigns);
	flights_free(fx.flights);
	offers_free(fx.offers);
	db_close(fx.db);
	if (pgfx_on())
		pgfx_drop();
	tu_rmtree(fx_dir);
}

/* Runs sql on the store with a connection of its own (rows the store's
 * jobs would refuse to write). */
static inline void
fx_exec(const char *sql)
{
	char path[400];
	sqlite3 *h;

	if (pgfx_on()) {
		pgfx_exec(pgfx_name, sql);
		return;
	}
	snprintf(path, sizeof(path), "%s/otad.db", fx_dir);
	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* A write job that does nothing: once db_write returns, every job queued
 * before it has run. */
static inline int
fx_nothing(struct db_tx *tx, void *arg)
{
	(void)tx;
	(void)arg;
	return DB_OK;
}

static inline void
fx_drain(void)
{
	ck_assert_int_eq(db_write(fx.db, fx_nothing, NULL), DB_OK);
}

/* A release of fw for hw, expiring at expires; its id. */
static inline int64_t
fx_release(const char *fw, const char *hw, int64_t expires)
{
	static struct db_release r;
	struct db_artifact_put put = { NULL, 100, "test", 1, 0 };
	struct db_release_add add;
	char env[128];
	uint8_t sum[SIGN_SHA256_LEN];

	memset(&r, 0, sizeof(r));
	snprintf(env, sizeof(env), "{\"release\":\"%s\"}", fw);
	sign_sha256((const uint8_t *)env, strlen(env), sum);
	sign_hex(sum, sizeof(sum), r.sha256);
	/* one artifact per version: its hash only has to be distinct */
	sign_sha256((const uint8_t *)fw, strlen(fw), sum);
	sign_hex(sum, sizeof(sum), r.artifact_sha256);
	put.sha256 = r.artifact_sha256;
	ck_assert_int_eq(db_write(fx.db, db_artifact_put, &put), DB_OK);
	snprintf(r.fw_version, sizeof(r.fw_version), "%s", fw);
	snprintf(r.hw_classes[0], sizeof(r.hw_classes[0]), "%s", hw);
	snprintf(r.uploaded_by, sizeof(r.uploaded_by), "test");
	r.nhw = 1;
	r.length = 100;
	r.expires = expires;
	r.created = r.uploaded_at = 1;
	add = (struct db_release_add){ (const uint8_t *)env, strlen(env), &r,
	    0, 0, NULL, "" };
	ck_assert_int_eq(db_write(fx.db, db_release_add, &add), DB_OK);
	return add.id;
}

/* A device of hw running fw; its row id. */
static inline int64_t
fx_device(const char *id, const char *hw, const char *fw)
{
	struct db_new_device nd = { id, hw, fw, { NULL }, 0, { 0 } };
	struct db_devices_add add = { &nd, 1, 1, 0 };
	struct db_device d;

	sign_random(nd.token_hash, sizeof(nd.token_hash));
	ck_assert_int_eq(db_write(fx.db, db_devices_add, &add), DB_OK);
	ck_assert_int_eq(db_device_get(fx.db, id, &d), DB_OK);
	return d.id;
}

/* Offers release directly to the device (by its device_id). */
static inline void
fx_direct(const char *device_id, int64_t release)
{
	struct db_offer_set set = { device_id, release, "test", 2 };

	ck_assert_int_eq(db_write(fx.db, db_offer_set, &set), DB_OK);
}

/* A draft campaign of release over the fleet with stages and policy p
 * (NULL: the defaults); its id. */
static inline int64_t
fx_draft(int64_t release, const int *stages, int n,
    const struct rollout_policy *p, int64_t now)
{
	static struct db_campaign c;

	memset(&c, 0, sizeof(c));
	c.release_id = release;
	snprintf(c.name, sizeof(c.name), "c%lld", (long long)release);
	memcpy(c.stages, stages, (size_t)n * sizeof(int));
	c.nstages = n;
	if (p != NULL)
		c.policy = *p;
	else
		rollout_policy_default(&c.policy);
	sign_random(c.salt, sizeof(c.salt));
	c.created_at = now;
	snprintf(c.created_by, sizeof(c.created_by), "test");
	ck_assert_int_eq(db_write(fx.db, db_campaign_create, &c), DB_OK);
	return c.id;
}

/* The same, started at now. */
static inline int64_t
fx_campaign(int64_t release, const int *stages, int n,
    const struct rollout_policy *p, int64_t now)
{
	int64_t id = fx_draft(release, stages, n, p, now);
	struct gate_act act = { .core = &fx, .campaign = id,
	    .action = ROLLOUT_ACT_START, .actor = "test", .now = now };

	ck_assert_msg(db_write(fx.db, gate_act, &act) == DB_OK, "start: %s",
	    act.why);
	return id;
}

/* The member's state now. */
static inline void
fx_member(int64_t campaign, int64_t device, struct db_member *m)
{
	ck_assert_int_eq(db_member_get(fx.db, campaign, device, m), DB_OK);
}

#endif
