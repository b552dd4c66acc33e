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
 * Each token has two sets, picked by two parts of its hash, and a new
 * entry goes to the one with more empty ways (two choices): a table of
 * N entries then holds 0.9 N devices with under 1 % left out, where one
 * set each leaves out 8 % (a Poisson spread over sets of 8), and those
 * keep evicting each other and reading the store. A lookup reads the
 * first set, then the second: the second set's tags are prefetched.
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

/* The token's two sets: bytes 0..7 and 12..19 of the hash. They may be
 * the same set. */
static void
sets_of(const struct devcache *dc, const uint8_t hash[32], size_t s[2])
{
	uint64_t h[2];

	memcpy(&h[0], hash, sizeof(h[0]));
	memcpy(&h[1], hash + 12, sizeof(h[1]));
	s[0] = (size_t)(h[0] % dc->nsets);
	s[1] = (size_t)(h[1] % dc->nsets);
}

/* Bytes 8..11 of the hash (0..7 and 12..19 pick the sets), never 0. */
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

/* A fresh entry for hash in set s into *out: 1, else 0 (a stale one is
 * dropped). */
static int
lookup_in(struct devcache *dc, size_t s, const uint8_t hash[32],
    struct db_device_auth *out)
{
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

static int
lookup(struct devcache *dc, const uint8_t hash[32], struct db_device_auth *out)
{
	size_t s[2];

	sets_of(dc, hash, s);
	__builtin_prefetch(&dc->tag[s[1] * WAYS]);
	return lookup_in(dc, s[0], hash, out) ||
	    (s[1] != s[0] && lookup_in(dc, s[1], hash, out));
}

static int
empty_ways(const struct devcache *dc, size_t s)
{
	int n = 0;

	for (int i = 0; i < WAYS; i++)
		n += dc->tag[s * WAYS + i] == 0;
	return n;
}

/* An empty or stale way of set s, or -1. */
static int
free_way(struct devcache *dc, size_t s, int64_t now)
{
	const struct entry *set = &dc->e[s * WAYS];

	for (int i = 0; i < WAYS; i++)
		if (set[i].d.id == 0 || !fresh(dc, &set[i], now))
			return i;
	return -1;
}

/* Where a new entry for hash goes, both sets' locks held: its own way in
 * either set; else a free way of the set with more empty ones (the
 * first on a tie); else the first set's next way in turn. *set is set. */
static int
way_for(struct devcache *dc, const size_t s[2], const uint8_t hash[32],
    size_t *set)
{
	int64_t now = util_now();
	int k = empty_ways(dc, s[1]) > empty_ways(dc, s[0]), i;

	for (int j = 0; j < 2; j++)
		if ((i = find(dc, s[j], hash)) >= 0) {
			*set = s[j];
			return i;
		}
	for (int j = 0; j < 2; j++, k ^= 1)
		if ((i = free_way(dc, s[k], now)) >= 0) {
			*set = s[k];
			return i;
		}
	*set = s[0];
	return dc->next[s[0]]++ % WAYS;
}

/* Locks the two sets' locks, the lower first, once if they are one. */
static void
lock_pair(struct devcache *dc, const size_t s[2], int lock)
{
	size_t a = s[0] % LOCKS, b = s[1] % LOCKS;
	size_t lo = a < b ? a : b, hi = a < b ? b : a;

	if (lock) {
		pthread_mutex_lock(&dc->lock[lo]);
		if (hi != lo)
			pthread_mutex_lock(&dc->lock[hi]);
	} else {
		if (hi != lo)
			pthread_mutex_unlock(&dc->lock[hi]);
		pthread_mutex_unlock(&dc->lock[lo]);
	}
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
	size_t sets[2], s;
	struct entry *e;
	int i;

	if (d->id == 0 || atomic_load(&dc->changes) != changes)
		return;
	sets_of(dc, hash, sets);
	lock_pair(dc, sets, 1);
	i = way_for(dc, sets, hash, &s);
	e = &dc->e[s * WAYS + i];
	dc->tag[s * WAYS + i] = tag_of(hash);
	memcpy(e->hash, hash, sizeof(e->hash));
	e->stamp = stamp;
	e->epoch = epoch;
	e->loaded_at = util_now();
	e->d = *d;
	lock_pair(dc, sets, 0);
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
