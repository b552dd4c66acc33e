/* A small cache of release envelopes: every offer needs one, and they only
 * change when revoked. A revoke here or on another daemon (core/changes)
 * drops the entry; entries are also read again after reload_interval, in
 * case such a message was lost. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db/releases.h"
#include "core/offers.h"
#include "util/util.h"

#define CACHE_SLOTS 256

struct entry {
	struct rel_snap s;
	int64_t loaded_at;
};

struct offers {
	struct db *db;
	int64_t ttl;
	pthread_mutex_t mu;
	/* Bumped by every forget: a load that began before one does not
	 * put back what it read. */
	uint64_t gen;
	struct entry slot[CACHE_SLOTS];
};

struct offers *
offers_new(struct db *db, int reload_s)
{
	struct offers *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->db = db;
	o->ttl = reload_s;
	pthread_mutex_init(&o->mu, NULL);
	return o;
}

void
offers_free(struct offers *o)
{
	if (o == NULL)
		return;
	for (int i = 0; i < CACHE_SLOTS; i++)
		free(o->slot[i].s.envelope);
	pthread_mutex_destroy(&o->mu);
	free(o);
}

void
rel_snap_free(struct rel_snap *s)
{
	free(s->envelope);
	s->envelope = NULL;
}

static int
copy_snap(const struct rel_snap *from, struct rel_snap *to)
{
	*to = *from;
	to->envelope = malloc(from->len + 1);
	if (to->envelope == NULL)
		return -1;
	memcpy(to->envelope, from->envelope, from->len + 1);
	return 0;
}

static int
load(struct offers *o, int64_t id, struct rel_snap *out)
{
	struct db_release *r = malloc(sizeof(*r));
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return -1;
	if (db_release_get(o->db, id, r, &out->envelope, &out->len) != DB_OK)
		goto out;
	out->id = id;
	sign_sha256(out->envelope, out->len, out->sha256);
	sign_hex(out->sha256, sizeof(out->sha256), out->sha256_hex);
	memcpy(out->fw_version, r->fw_version, sizeof(out->fw_version));
	memcpy(out->artifact_sha256, r->artifact_sha256,
	    sizeof(out->artifact_sha256));
	out->revoked = r->revoked_at != 0;
	out->expires = r->expires;
	rc = 0;
out:
	free(r);
	return rc;
}

int
offers_release(struct offers *o, int64_t id, struct rel_snap *out)
{
	struct entry *e = &o->slot[(uint64_t)id % CACHE_SLOTS];
	struct rel_snap fresh;
	int64_t now = util_now();
	uint64_t gen;
	int rc;

	pthread_mutex_lock(&o->mu);
	if (e->s.id == id && now - e->loaded_at < o->ttl) {
		rc = copy_snap(&e->s, out);
		pthread_mutex_unlock(&o->mu);
		return rc;
	}
	gen = o->gen;
	pthread_mutex_unlock(&o->mu);
	/* Read outside the lock; two threads may both load: harmless. */
	if (load(o, id, &fresh) != 0)
		return -1;
	*out = fresh;
	pthread_mutex_lock(&o->mu);
	if (o->gen == gen) {
		free(e->s.envelope);
		rc = copy_snap(&fresh, &e->s);
		e->loaded_at = now;
		if (rc != 0)
			memset(e, 0, sizeof(*e));
	}
	pthread_mutex_unlock(&o->mu);
	return 0;
}

void
offers_forget(struct offers *o, int64_t id)
{
	struct entry *e = &o->slot[(uint64_t)id % CACHE_SLOTS];

	pthread_mutex_lock(&o->mu);
	o->gen++;
	if (e->s.id == id) {
		free(e->s.envelope);
		memset(e, 0, sizeof(*e));
	}
	pthread_mutex_unlock(&o->mu);
}

void
offers_forget_all(struct offers *o)
{
	pthread_mutex_lock(&o->mu);
	o->gen++;
	for (int i = 0; i < CACHE_SLOTS; i++) {
		free(o->slot[i].s.envelope);
		memset(&o->slot[i], 0, sizeof(o->slot[i]));
	}
	pthread_mutex_unlock(&o->mu);
}
