/* A small cache of release envelopes: every offer needs one, and they only
 * change when revoked. Entries are refreshed after a few seconds so a
 * revoke made by another daemon is seen soon. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db/campaigns.h"
#include "db/releases.h"
#include "api/api.h"
#include "core/offers.h"
#include "util/util.h"

#define CACHE_SLOTS 256
#define CACHE_TTL 10

struct entry {
	struct rel_snap s;
	int64_t loaded_at;
};

struct offers {
	struct db *db;
	pthread_mutex_t mu;
	struct entry slot[CACHE_SLOTS];
};

struct offers *
offers_new(struct db *db)
{
	struct offers *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->db = db;
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
	int rc;

	pthread_mutex_lock(&o->mu);
	if (e->s.id == id && now - e->loaded_at < CACHE_TTL) {
		rc = copy_snap(&e->s, out);
		pthread_mutex_unlock(&o->mu);
		return rc;
	}
	pthread_mutex_unlock(&o->mu);
	/* Read outside the lock; two threads may both load: harmless. */
	if (load(o, id, &fresh) != 0)
		return -1;
	pthread_mutex_lock(&o->mu);
	free(e->s.envelope);
	e->s = fresh;
	e->loaded_at = now;
	rc = copy_snap(&e->s, out);
	pthread_mutex_unlock(&o->mu);
	return rc;
}

void
offers_forget(struct offers *o, int64_t id)
{
	struct entry *e = &o->slot[(uint64_t)id % CACHE_SLOTS];

	pthread_mutex_lock(&o->mu);
	if (e->s.id == id) {
		free(e->s.envelope);
		memset(e, 0, sizeof(*e));
	}
	pthread_mutex_unlock(&o->mu);
}

static void
membership_one(const struct db_membership *ms, void *arg)
{
	json_array_append_new(arg, json_pack("{s:I,s:s,s:I,s:s,s:s?,s:i,s:i,"
	    "s:o,s:o,s:s?}", "campaign", (json_int_t)ms->m.campaign,
	    "campaign_state", ms->campaign_state, "release",
	    (json_int_t)ms->release_id, "state", ms->m.state, "reason",
	    ms->m.reason[0] ? ms->m.reason : NULL, "attempts", ms->m.attempts,
	    "bucket", (int)ms->m.bucket, "last_change",
	    api_time(ms->m.last_change), "confirmed_at",
	    api_time(ms->m.confirmed_at), "installed_boot_id",
	    ms->m.install_boot[0] ? ms->m.install_boot : NULL));
}

void
offers_describe_device(struct api_req *a, int64_t device, json_t *out)
{
	struct db_offer off;
	json_t *camps = json_array();

	if (db_device_memberships(a->srv->db, device, membership_one, camps) ==
	    DB_OK)
		json_object_set_new(out, "campaigns", camps);
	else
		json_decref(camps);

	if (db_offer_get(a->srv->db, device, &off) == DB_OK)
		json_object_set_new(out, "offer", json_pack("{s:I,s:s,s:s?,s:o,"
		    "s:o,s:s,s:s?}", "release", (json_int_t)off.release_id,
		    "state", off.state, "reason", off.reason[0] ? off.reason :
		    NULL, "created_at", api_time(off.created_at), "updated_at",
		    api_time(off.updated_at), "created_by", off.created_by,
		    "installed_boot_id", off.install_boot[0] ? off.install_boot :
		    NULL));
	else
		json_object_set_new(out, "offer", json_null());
}
