/* devcache: the device token cache serves what the store holds, and
 * every write that changes a token's lookup takes effect at the next
 * lookup (the store's device hook), on SQLite and, with the PostgreSQL
 * fixture, on PostgreSQL. Rows changed behind the store's back (fx_exec)
 * show what the cache kept. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "core_fixture.h"
#include "core/devcache.h"
#include "db/lifecycle.h"
#include "sign/crypto.h"

static struct devcache *dc;

static void
setup(void)
{
	fx_setup();
	dc = devcache_new(fx.db, 64, 3600);
	ck_assert_ptr_nonnull(dc);
}

static void
teardown(void)
{
	fx_teardown();		/* closes the store, which points at dc */
	devcache_free(dc);
}

/* A device with a token hashing to hash; its row id. */
static int64_t
device_hashed(const char *id, const uint8_t hash[32])
{
	struct db_new_device nd = { id, "board-a", "1.0.0", { NULL }, 0, { 0 } };
	struct db_devices_add add = { &nd, 1, 1, 0 };
	struct db_device d;

	memcpy(nd.token_hash, hash, 32);
	ck_assert_int_eq(db_write(fx.db, db_devices_add, &add), DB_OK);
	ck_assert_int_eq(db_device_get(fx.db, id, &d), DB_OK);
	return d.id;
}

/* A device with a token hashing to hash[0] = tag; its row id. */
static int64_t
device(const char *id, uint8_t tag, uint8_t hash[32])
{
	memset(hash, tag, 32);
	return device_hashed(id, hash);
}

static int
lookup(const uint8_t hash[32], struct db_device_auth *d)
{
	memset(d, 0, sizeof(*d));
	return devcache_by_token(dc, fx.db, hash, d);
}

/* Looks hash up once so that it is cached, then changes the version
 * behind the store's back: a lookup that still sees the old version
 * came from the cache. */
static void
cached(const uint8_t hash[32], const char *device_id)
{
	struct db_device_auth d;
	char sql[200];

	ck_assert_int_eq(lookup(hash, &d), DB_OK);
	snprintf(sql, sizeof(sql), "UPDATE devices SET fw_version = 'behind' "
	    "WHERE device_id = '%s'", device_id);
	fx_exec(sql);
	ck_assert_int_eq(lookup(hash, &d), DB_OK);
	ck_assert_str_eq(d.fw_version, "1.0.0");
}

START_TEST(hit_serves_what_was_read)
{
	uint8_t h[32];
	struct db_device_auth d;
	int64_t id = device("dev-1", 1, h);

	cached(h, "dev-1");
	ck_assert_int_eq(lookup(h, &d), DB_OK);
	ck_assert_int_eq(d.id, id);
	ck_assert_str_eq(d.device_id, "dev-1");
	ck_assert_str_eq(d.hw_class, "board-a");
	/* Forgetting it reads the store again. */
	devcache_forget(dc, id);
	ck_assert_int_eq(lookup(h, &d), DB_OK);
	ck_assert_str_eq(d.fw_version, "behind");
}
END_TEST

START_TEST(unknown_token_is_never_kept)
{
	uint8_t h[32];
	struct db_device_auth d;
	char sql[300];

	memset(h, 7, sizeof(h));
	ck_assert_int_eq(lookup(h, &d), DB_NOTFOUND);
	/* The token appears behind the store's back: found at once. */
	device("dev-0", 6, h);
	snprintf(sql, sizeof(sql), "UPDATE devices SET token_hash = %s "
	    "WHERE device_id = 'dev-0'", pgfx_on() ?
	    "decode(repeat('07', 32), 'hex')" :
	    "x'0707070707070707070707070707070707070707070707070707070707070707'");
	fx_exec(sql);
	memset(h, 7, sizeof(h));
	ck_assert_int_eq(lookup(h, &d), DB_OK);
	ck_assert_str_eq(d.device_id, "dev-0");
}
END_TEST

START_TEST(token_reissue_refuses_the_old_token)
{
	uint8_t h[32], fresh[32];
	struct db_device_auth d;
	struct db_device_retire r = { "dev-1", 5, fresh, 0, 0, "" };

	device("dev-1", 1, h);
	cached(h, "dev-1");
	memset(fresh, 9, sizeof(fresh));
	ck_assert_int_eq(db_write(fx.db, db_device_token, &r), DB_OK);
	ck_assert_int_eq(lookup(h, &d), DB_NOTFOUND);
	ck_assert_int_eq(lookup(fresh, &d), DB_OK);
	ck_assert_str_eq(d.device_id, "dev-1");
}
END_TEST

START_TEST(decommission_refuses_the_token)
{
	uint8_t h[32], other[32];
	struct db_device_auth d;
	struct db_device_retire r = { "dev-1", 5, NULL, 0, 0, "" };

	device("dev-1", 1, h);
	device("dev-2", 2, other);
	cached(h, "dev-1");
	cached(other, "dev-2");
	ck_assert_int_eq(db_write(fx.db, db_device_decommission, &r), DB_OK);
	ck_assert_int_eq(lookup(h, &d), DB_NOTFOUND);
	/* Another device's entry stays (a stripe of its own). */
	ck_assert_int_eq(lookup(other, &d), DB_OK);
	ck_assert_str_eq(d.fw_version, "1.0.0");
}
END_TEST

START_TEST(delete_refuses_the_token)
{
	uint8_t h[32];
	struct db_device_auth d;
	struct db_device_retire r = { "dev-1", 5, NULL, 0, 0, "" };

	device("dev-1", 1, h);
	cached(h, "dev-1");
	ck_assert_int_eq(db_write(fx.db, db_device_delete, &r), DB_OK);
	ck_assert_int_eq(lookup(h, &d), DB_NOTFOUND);
}
END_TEST

START_TEST(hw_class_change_shows)
{
	uint8_t h[32];
	struct db_device_auth d;
	struct db_device_patch p;

	device("dev-1", 1, h);
	cached(h, "dev-1");
	memset(&p, 0, sizeof(p));
	p.device_id = "dev-1";
	p.hw_class = "board-b";
	ck_assert_int_eq(db_write(fx.db, db_device_patch, &p), DB_OK);
	ck_assert_int_eq(lookup(h, &d), DB_OK);
	ck_assert_str_eq(d.hw_class, "board-b");
}
END_TEST

struct seen_job {
	int64_t device;
	const char *fw;
};

static int
seen_job(struct db_tx *tx, void *arg)
{
	struct seen_job *j = arg;
	int changed;

	return db_device_seen(tx, j->device, 100, j->fw, &changed);
}

START_TEST(version_change_shows)
{
	uint8_t h[32];
	struct db_device_auth d;
	int64_t id = device("dev-1", 1, h);
	struct seen_job same = { id, "behind" }, next = { id, "2.0.0" };

	cached(h, "dev-1");
	/* A poll that repeats the stored version changes nothing cached. */
	ck_assert_int_eq(db_write(fx.db, seen_job, &same), DB_OK);
	ck_assert_int_eq(lookup(h, &d), DB_OK);
	ck_assert_str_eq(d.fw_version, "1.0.0");
	ck_assert_int_eq(db_write(fx.db, seen_job, &next), DB_OK);
	ck_assert_int_eq(lookup(h, &d), DB_OK);
	ck_assert_str_eq(d.fw_version, "2.0.0");
}
END_TEST

struct offer_job {
	int64_t device, release;
	enum rollout_device_state from, to;
};

static int
offer_job(struct db_tx *tx, void *arg)
{
	struct offer_job *j = arg;
	struct db_offer expect = { 0 };

	expect.release_id = j->release;
	expect.state = j->from;
	return db_offer_update(tx, j->device, &expect, j->to, NULL, NULL, 3);
}

START_TEST(direct_offer_shows)
{
	uint8_t h[32];
	struct db_device_auth d;
	int64_t id = device("dev-1", 1, h);
	int64_t rel = fx_release("2.0.0", "board-a", 0);
	struct offer_job dl = { id, rel, ROLLOUT_DEV_OFFERED,
	    ROLLOUT_DEV_DOWNLOADING };

	cached(h, "dev-1");
	fx_direct("dev-1", rel);
	ck_assert_int_eq(lookup(h, &d), DB_OK);
	ck_assert_int_eq(d.offer_release, rel);
	ck_assert_int_eq(d.offer_state, ROLLOUT_DEV_OFFERED);
	ck_assert_int_eq(db_write(fx.db, offer_job, &dl), DB_OK);
	ck_assert_int_eq(lookup(h, &d), DB_OK);
	ck_assert_int_eq(d.offer_state, ROLLOUT_DEV_DOWNLOADING);
	ck_assert_int_eq(db_write(fx.db, db_offer_delete, "dev-1"), DB_OK);
	ck_assert_int_eq(lookup(h, &d), DB_OK);
	ck_assert_int_eq(d.offer_release, 0);
}
END_TEST

START_TEST(revoke_drops_offers_of_every_device)
{
	uint8_t h1[32], h2[32];
	struct db_device_auth d;
	int64_t rel = fx_release("2.0.0", "board-a", 0);
	struct db_release_revoke r = { rel, "test", 4 };

	device("dev-1", 1, h1);
	device("dev-2", 2, h2);
	fx_direct("dev-1", rel);
	fx_direct("dev-2", rel);
	ck_assert_int_eq(lookup(h1, &d), DB_OK);
	ck_assert_int_eq(d.offer_release, rel);
	ck_assert_int_eq(lookup(h2, &d), DB_OK);
	ck_assert_int_eq(db_write(fx.db, db_release_revoke, &r), DB_OK);
	ck_assert_int_eq(lookup(h1, &d), DB_OK);
	ck_assert_int_eq(d.offer_release, 0);
	ck_assert_int_eq(lookup(h2, &d), DB_OK);
	ck_assert_int_eq(d.offer_release, 0);
}
END_TEST

/* A job that fails after naming its device: the batch's hook hears it
 * anyway (forgetting a device too many is harmless). */
static int
failing_rotate(struct db_tx *tx, void *arg)
{
	int rc = db_device_token(tx, arg);

	return rc == DB_OK ? DB_CONFLICT : rc;
}

START_TEST(rolled_back_write_leaves_the_token)
{
	uint8_t h[32], fresh[32];
	struct db_device_auth d;
	struct db_device_retire r = { "dev-1", 5, fresh, 0, 0, "" };

	device("dev-1", 1, h);
	ck_assert_int_eq(lookup(h, &d), DB_OK);
	memset(fresh, 9, sizeof(fresh));
	ck_assert_int_eq(db_write(fx.db, failing_rotate, &r), DB_CONFLICT);
	ck_assert_int_eq(lookup(h, &d), DB_OK);
	ck_assert_int_eq(lookup(fresh, &d), DB_NOTFOUND);
}
END_TEST

START_TEST(entries_expire)
{
	uint8_t h[32];
	struct db_device_auth d;
	struct devcache *quick = devcache_new(fx.db, 8, 1);

	device("dev-1", 1, h);
	devcache_free(dc);
	dc = quick;
	cached(h, "dev-1");
	sleep(2);
	ck_assert_int_eq(lookup(h, &d), DB_OK);
	ck_assert_str_eq(d.fw_version, "behind");
}
END_TEST

START_TEST(full_sets_replace_entries)
{
	uint8_t h[20][32];
	struct db_device_auth d;
	char id[16];

	/* 64 entries in 8 sets of 8 ways; 20 devices in set 0 (a hash of
	 * bytes t is t * 0x0101010101010101 as the set's number, and that
	 * modulo 8 is t modulo 8). */
	for (int i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "dev-%d", i);
		device(id, (uint8_t)(i * 8 + 8), h[i]);
	}
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 20; i++) {
			ck_assert_int_eq(lookup(h[i], &d), DB_OK);
			snprintf(id, sizeof(id), "dev-%d", i);
			ck_assert_str_eq(d.device_id, id);
		}
}
END_TEST

/* Hashes alike in their first 12 bytes share the set and the tag: only
 * the full compare tells them apart, cached or not. */
START_TEST(tag_alike_hashes_stay_apart)
{
	uint8_t h[3][32];
	struct db_device_auth d;
	char id[16];

	for (int i = 0; i < 3; i++) {
		memset(h[i], 0x21, 32);
		h[i][31] = (uint8_t)i;
		if (i < 2) {
			snprintf(id, sizeof(id), "dev-%d", i);
			device_hashed(id, h[i]);
		}
	}
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 2; i++) {
			snprintf(id, sizeof(id), "dev-%d", i);
			ck_assert_int_eq(lookup(h[i], &d), DB_OK);
			ck_assert_str_eq(d.device_id, id);
		}
		ck_assert_int_eq(lookup(h[2], &d), DB_NOTFOUND);
	}
}
END_TEST

/* A cache of 4096 entries with 3686 devices (90 %) keeps nearly all of
 * them: each token has two sets and takes the emptier (3653 kept). With
 * one set each, about 8 % find no place (a Poisson spread over sets of
 * 8), and as they poll in turn each evicts one that polls later: only
 * 2156 were still kept. */
#define FLEET_ENTRIES 4096
#define FLEET 3686
START_TEST(a_nearly_full_cache_keeps_nearly_every_device)
{
	static struct db_new_device nd[FLEET];
	static char ids[FLEET][16];
	static uint8_t h[FLEET][32];
	struct db_devices_add add = { nd, FLEET, 1, 0 };
	struct db_device_auth d;
	struct devcache *big = devcache_new(fx.db, FLEET_ENTRIES, 3600);
	int kept = 0;

	ck_assert_ptr_nonnull(big);
	devcache_free(dc);
	dc = big;
	for (int i = 0; i < FLEET; i++) {
		snprintf(ids[i], sizeof(ids[i]), "dev-%d", i);
		sign_sha256(ids[i], strlen(ids[i]), h[i]);
		nd[i] = (struct db_new_device){ ids[i], "board-a", "1.0.0",
		    { NULL }, 0, { 0 } };
		memcpy(nd[i].token_hash, h[i], 32);
	}
	ck_assert_int_eq(db_write(fx.db, db_devices_add, &add), DB_OK);
	for (int i = 0; i < FLEET; i++)
		ck_assert_int_eq(lookup(h[i], &d), DB_OK);
	fx_exec("UPDATE devices SET fw_version = 'behind'");
	for (int i = 0; i < FLEET; i++) {
		ck_assert_int_eq(lookup(h[i], &d), DB_OK);
		ck_assert_str_eq(d.device_id, ids[i]);
		kept += strcmp(d.fw_version, "1.0.0") == 0;
	}
	ck_assert_msg(kept * 100 >= FLEET * 97, "kept %d of %d", kept, FLEET);
}
END_TEST

/* ---- races (for make TSAN=1 check) ---- */

#define READERS 3
#define REISSUES 200
static atomic_int stop, cur;
static uint8_t hashes[REISSUES + 1][32];

static void *
reader(void *arg)
{
	struct db_device_auth d;

	(void)arg;
	while (!atomic_load(&stop))
		(void)lookup(hashes[atomic_load(&cur)], &d);
	return NULL;
}

/* Tokens reissued while readers look the current one up: once a
 * reissue's db_write returns, the old token is refused, every time. */
START_TEST(reissue_races_readers)
{
	struct db_device_auth d;
	struct db_device_retire r = { "dev-1", 5, NULL, 0, 0, "" };
	pthread_t t[READERS];

	device("dev-1", 1, hashes[0]);
	for (int i = 1; i <= REISSUES; i++) {
		memset(hashes[i], 0, 32);
		hashes[i][0] = (uint8_t)(i + 1);
		hashes[i][1] = (uint8_t)(i >> 8);
		hashes[i][2] = 0xaa;
	}
	for (intptr_t i = 0; i < READERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, reader, NULL), 0);
	for (int i = 1; i <= REISSUES; i++) {
		r.token_hash = hashes[i];
		ck_assert_int_eq(db_write(fx.db, db_device_token, &r), DB_OK);
		ck_assert_int_eq(lookup(hashes[i - 1], &d), DB_NOTFOUND);
		ck_assert_int_eq(lookup(hashes[i], &d), DB_OK);
		atomic_store(&cur, i);	/* the readers move on to it */
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < READERS; i++)
		pthread_join(t[i], NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("devcache");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, hit_serves_what_was_read);
	tcase_add_test(tc, unknown_token_is_never_kept);
	tcase_add_test(tc, token_reissue_refuses_the_old_token);
	tcase_add_test(tc, decommission_refuses_the_token);
	tcase_add_test(tc, delete_refuses_the_token);
	tcase_add_test(tc, hw_class_change_shows);
	tcase_add_test(tc, version_change_shows);
	tcase_add_test(tc, direct_offer_shows);
	tcase_add_test(tc, revoke_drops_offers_of_every_device);
	tcase_add_test(tc, rolled_back_write_leaves_the_token);
	tcase_add_test(tc, entries_expire);
	tcase_add_test(tc, full_sets_replace_entries);
	tcase_add_test(tc, tag_alike_hashes_stay_apart);
	tcase_add_test(tc, a_nearly_full_cache_keeps_nearly_every_device);
	tcase_add_test(tc, reissue_races_readers);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
