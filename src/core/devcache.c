/* The device token cache: a set-associative table keyed by the token's
 * SHA-256 (already uniform: its first bytes pick the set), with striped
 * locks, so that polls on two cores rarely meet.
 *
 * Forgetting never walks the table. A device's entry is valid while its
 * stripe's counter (one of STRIPES, by device id) and the cache's epoch
 * are what they were when it was loaded: forgetting a device bumps its
 * stripe, forgetting all bumps the epoch, and a stale entry is dropped
 * when next looked up. A lookup that missed and read the store keeps
 * what it read only if no forget of any device came in between (the
 * global counter changes): its read may have seen the store just before
 * a write whose forget came already.
 *
 * Each set's ways have 4-byte tags (more of the hash) side by side, so a
 * lookup reads one cache line of tags and the one entry they match
 * rather than the 8 entries of the set, which lie far apart in a table
 * of hundreds of MiB. The tags are no secret (the token is; its hash
 * only names it); the hash that matched is still compared in full, in
 * constant time. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "core/devcache.h"
#include "core/metrics.h"
#include "sign/crypto.h"
#include "util/util.h"

#define WAYS 8
#define STRIPES 65536
#define LOCKS 1024

struct entry {
	uint8_t hash[32];
	uint32_t stamp;			/* its stripe's counter when loaded */
	uint32_t epoch;			/* the cache's epoch then */
	int64_t loaded_at;		/* and the time */
	struct db_device_auth d;	/* d.id 0: an empty way */
};

struct devcache {
	int64_t ttl;
	size_t nsets;
	struct entry *e;		/* nsets * WAYS */
	uint32_t *tag;			/* the same: tag_of(hash), 0 if empty */
	uint8_t *next;			/* per set: the way replaced next */
	atomic_uint_fast64_t changes;	/* forgets of any kind so far */
	atomic_uint epoch;
	pthread_mutex_t lock[LOCKS];
	atomic_uint stripe[STRIPES];
};

struct devcache *
devcache_new(struct db *db, size_t entries, int ttl_s)
{
	struct devcache *dc;

	if (entries == 0 || (dc = calloc(1, sizeof(*dc))) == NULL)
		return NULL;
	dc->ttl = ttl_s;
	dc->nsets = (entries + WAYS - 1) / WAYS;
	/* calloc of this size maps zero pages: memory is used as it fills. */
	dc->e = calloc(dc->nsets * WAYS, sizeof(*dc->e));
	dc->tag = calloc(dc->nsets * WAYS, sizeof(*dc->tag));
	dc->next = calloc(dc->nsets, 1);
	if (dc->e == NULL || dc->tag == NULL || dc->next == NULL) {
		free(dc->e);
		free(dc->tag);
		free(dc->next);
		free(dc);
		return NULL;
	}
	for (int i = 0; i < LOCKS; i++)
		pthread_mutex_init(&dc->lock[i], NULL);
	db_on_device_change(db, devcache_changed, dc);
	return dc;
}

void
devcache_free(struct devcache *dc)
{
	if (dc == NULL)
		return;
	for (int i = 0; i < LOCKS; i++)
		pthread_mutex_destroy(&dc->lock[i]);
	free(dc->e);
	free(dc->tag);
	free(dc->next);
	free(dc);
}

static size_t
set_of(const struct devcache *dc, const uint8_t hash[32])
{
	uint64_t h;

	memcpy(&h, hash, sizeof(h));
	return (size_t)(h % dc->nsets);
}

/* Bytes 8..11 of the hash (0..7 pick the set), never 0. */
static uint32_t
tag_of(const uint8_t hash[32])
{
	uint32_t t;

	memcpy(&t, hash + 8, sizeof(t));
	return t | 1;
}

static atomic_uint *
stripe_of(struct devcache *dc, int64_t id)
{
	return &dc->stripe[(uint64_t)id % STRIPES];
}

static int
fresh(struct devcache *dc, const struct entry *e, int64_t now)
{
	return now - e->loaded_at < dc->ttl && e->epoch == atomic_load(&dc->epoch) &&
	    e->stamp == atomic_load(stripe_of(dc, e->d.id));
}

/* The way of set s that holds hash, or -1. */
static int
find(const struct devcache *dc, size_t s, const uint8_t hash[32])
{
	const uint32_t *tag = &dc->tag[s * WAYS];
	uint32_t t = tag_of(hash);

	for (int i = 0; i < WAYS; i++)
		if (tag[i] == t && sign_memeq(dc->e[s * WAYS + i].hash, hash, 32))
			return i;
	return -1;
}

static int
lookup(struct devcache *dc, const uint8_t hash[32], struct db_device_auth *out)
{
	size_t s = set_of(dc, hash);
	int i, hit = 0;

	pthread_mutex_lock(&dc->lock[s % LOCKS]);
	if ((i = find(dc, s, hash)) >= 0) {
		struct entry *e = &dc->e[s * WAYS + i];

		if ((hit = fresh(dc, e, util_now()))) {
			*out = e->d;
		} else {
			e->d.id = 0;
			dc->tag[s * WAYS + i] = 0;
		}
	}
	pthread_mutex_unlock(&dc->lock[s % LOCKS]);
	return hit;
}

/* The way a new entry takes in set s: its own, an empty or stale one,
 * or the set's next in turn. */
static int
way_for(struct devcache *dc, size_t s, const uint8_t hash[32])
{
	const struct entry *set = &dc->e[s * WAYS];
	int64_t now = util_now();
	int i = find(dc, s, hash);

	if (i >= 0)
		return i;
	for (i = 0; i < WAYS; i++)
		if (set[i].d.id == 0 || !fresh(dc, &set[i], now))
			return i;
	return dc->next[s]++ % WAYS;
}

/* Keeps what a store read found, unless a forget came since 'changes'.
 * The stripe and epoch are read before the counter: a forget bumps the
 * counter first, so one that bumped the stripe we read is seen. */
static void
keep(struct devcache *dc, const uint8_t hash[32],
    const struct db_device_auth *d, uint_fast64_t changes)
{
	uint32_t stamp = atomic_load(stripe_of(dc, d->id));
	uint32_t epoch = atomic_load(&dc->epoch);
	size_t s = set_of(dc, hash);
	struct entry *e;
	int i;

	if (d->id == 0 || atomic_load(&dc->changes) != changes)
		return;
	pthread_mutex_lock(&dc->lock[s % LOCKS]);
	i = way_for(dc, s, hash);
	e = &dc->e[s * WAYS + i];
	dc->tag[s * WAYS + i] = tag_of(hash);
	memcpy(e->hash, hash, sizeof(e->hash));
	e->stamp = stamp;
	e->epoch = epoch;
	e->loaded_at = util_now();
	e->d = *d;
	pthread_mutex_unlock(&dc->lock[s % LOCKS]);
}

int
devcache_by_token(struct devcache *dc, struct db *db, const uint8_t hash[32],
    struct db_device_auth *out)
{
	uint_fast64_t changes;
	int rc;

	if (dc == NULL)
		return db_device_by_token(db, hash, out);
	if (lookup(dc, hash, out)) {
		metrics_add(M_TOKEN_CACHE_HITS, 1);
		return DB_OK;
	}
	metrics_add(M_TOKEN_CACHE_MISSES, 1);
	changes = atomic_load(&dc->changes);
	rc = db_device_by_token(db, hash, out);
	if (rc == DB_OK)
		keep(dc, hash, out, changes);
	return rc;
}

void
devcache_forget(struct devcache *dc, int64_t id)
{
	if (dc == NULL)
		return;
	atomic_fetch_add(&dc->changes, 1);
	atomic_fetch_add(stripe_of(dc, id), 1);
}

void
devcache_forget_all(struct devcache *dc)
{
	if (dc == NULL)
		return;
	atomic_fetch_add(&dc->changes, 1);
	atomic_fetch_add(&dc->epoch, 1);
}

void
devcache_changed(void *arg, const int64_t *ids, long n)
{
	struct devcache *dc = arg;

	if (n < 0) {
		devcache_forget_all(dc);
		return;
	}
	for (long i = 0; i < n; i++)
		devcache_forget(dc, ids[i]);
}
