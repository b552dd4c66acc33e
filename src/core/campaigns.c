/* Campaigns at poll time. The live campaigns (running, paused, completed)
 * sit in memory with their salt, stages and hw classes: a poll computes
 * the device's bucket and only queries its membership when the bucket is
 * inside an open stage. The set is reloaded after any change committed
 * here or told by another daemon (core/changes), and every
 * reload_interval in case such a message was lost. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/campaigns.h"
#include "db/releases.h"
#include "core/campaigns.h"
#include "util/log.h"
#include "util/util.h"

#define LIVE_MAX 64

struct campaigns {
	struct db *db;
	pthread_rwlock_t lock;
	struct campaign_live live[LIVE_MAX];
	int nlive;
	int64_t window;			/* completed_offer_window */
	int64_t reload;			/* reload_interval */
	atomic_uint_fast64_t gen;	/* bumped by changes */
	/* Read by every poll without the lock, written by the reloader. */
	atomic_uint_fast64_t loaded_gen;
	atomic_int_fast64_t loaded_at;
	pthread_mutex_t reload_mu;
};

struct campaigns *
campaigns_new(struct db *db, int completed_offer_window, int reload_s)
{
	struct campaigns *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->db = db;
	c->window = completed_offer_window;
	c->reload = reload_s;
	pthread_rwlock_init(&c->lock, NULL);
	pthread_mutex_init(&c->reload_mu, NULL);
	atomic_store(&c->gen, 1);
	return c;
}

void
campaigns_free(struct campaigns *c)
{
	if (c == NULL)
		return;
	pthread_rwlock_destroy(&c->lock);
	pthread_mutex_destroy(&c->reload_mu);
	free(c);
}

void
campaigns_changed(void *arg)
{
	struct campaigns *c = arg;

	atomic_fetch_add(&c->gen, 1);
}

void
campaign_no_targets_why(const struct db_target_summary *t,
    int64_t release_id, const char *release_fw, const char *cohort,
    char *buf, size_t len)
{
	char scope[80], classes[4 * 66] = "";
	int n;

	snprintf(scope, sizeof(scope), cohort != NULL && cohort[0] ?
	    "cohort %s" : "the fleet", cohort);
	for (int i = 0; i < t->nhw; i++) {
		n = (int)strlen(classes);
		snprintf(classes + n, sizeof(classes) - (size_t)n, "%s%s",
		    i ? ", " : "", t->hw[i]);
	}
	if (t->devices == 0)
		n = snprintf(buf, len, "no device to update: %s has no devices",
		    scope);
	else if (t->fitting == 0)
		n = snprintf(buf, len, "no device to update: release %lld (%s) "
		    "lists hw class %s, but the %lld devices of %s are of hw "
		    "class %s%s", (long long)release_id, release_fw, t->release_hw,
		    (long long)t->devices, scope, classes,
		    t->nhw == DB_SUMMARY_HW ? ", ..." : "");
	else
		n = snprintf(buf, len, "no device to update: the %lld devices of "
		    "%s with hw class %s already run %s", (long long)t->fitting,
		    scope, t->release_hw, release_fw);
	if (n < 0 || (size_t)n >= len)
		snprintf(buf, len, "no device to update");
}

/* ---- the live set ---- */

struct load_ctx {
	struct campaigns *c;
	struct campaign_live *out;
	int n;
};

static void
load_one(const struct db_campaign *dc, void *arg)
{
	struct load_ctx *lc = arg;
	struct campaign_live *l;
	struct db_release *r;

	if (lc->n >= LIVE_MAX)
		return;
	l = &lc->out[lc->n];
	memset(l, 0, sizeof(*l));
	l->state = dc->state;
	if (!dc->settings_ok) {
		log_err("campaign %lld: unreadable stored settings; not offered",
		    (long long)dc->id);
		return;
	}
	r = malloc(sizeof(*r));
	if (r == NULL || db_release_get(lc->c->db, dc->release_id, r, NULL,
	    NULL) != DB_OK) {
		free(r);
		return;
	}
	for (int i = 0; i < r->nhw; i++)
		memcpy(l->hw[l->nhw++], r->hw_classes[i], sizeof(l->hw[0]));
	memcpy(l->release_fw, r->fw_version, sizeof(l->release_fw));
	free(r);
	l->id = dc->id;
	l->release_id = dc->release_id;
	l->stage = dc->stage;
	memcpy(l->stages, dc->stages, sizeof(l->stages));
	l->nstages = dc->nstages;
	l->policy = dc->policy;
	memcpy(l->salt, dc->salt, sizeof(l->salt));
	lc->n++;
}

static void
maybe_reload(struct campaigns *c, int64_t now)
{
	uint64_t gen = atomic_load(&c->gen);
	struct load_ctx lc;

	if (gen == atomic_load(&c->loaded_gen) &&
	    now - atomic_load(&c->loaded_at) < c->reload)
		return;
	if (pthread_mutex_trylock(&c->reload_mu) != 0)
		return;		/* another thread is at it */
	lc.c = c;
	lc.n = 0;
	lc.out = calloc(LIVE_MAX, sizeof(*lc.out));
	if (lc.out != NULL && db_campaign_live(c->db, now - c->window, load_one,
	    &lc) == DB_OK) {
		pthread_rwlock_wrlock(&c->lock);
		memcpy(c->live, lc.out, (size_t)lc.n * sizeof(*lc.out));
		c->nlive = lc.n;
		atomic_store(&c->loaded_gen, gen);
		atomic_store(&c->loaded_at, now);
		pthread_rwlock_unlock(&c->lock);
	}
	free(lc.out);
	pthread_mutex_unlock(&c->reload_mu);
}

static int
lists_hw(const struct campaign_live *l, const char *hw)
{
	for (int i = 0; i < l->nhw; i++)
		if (strcmp(l->hw[i], hw) == 0)
			return 1;
	return 0;
}

/* ---- the poll's walk ---- */

int
campaigns_next(struct campaigns *c, const char *hw_class,
    const char *device_id, const char *fw, int64_t now, int *pos,
    struct campaign_live *out)
{
	int found = 0;
	uint32_t bucket;

	if (*pos == 0)
		maybe_reload(c, now);
	pthread_rwlock_rdlock(&c->lock);
	/* Newest first; copy one out so no lock is held on the store. */
	for (; *pos < c->nlive && !found; (*pos)++) {
		const struct campaign_live *l = &c->live[*pos];

		if (!lists_hw(l, hw_class))
			continue;
		/* Running a live campaign's release, the device needs nothing
		 * from it nor from older ones (their releases would be
		 * downgrades): no query. */
		if (strcmp(l->release_fw, fw) == 0) {
			*pos = c->nlive;
			break;
		}
		bucket = rollout_bucket(l->salt, DB_SALT_LEN, device_id);
		if (!rollout_in_stage(bucket, l->stages[l->stage]))
			continue;
		*out = *l;
		out->bucket = bucket;
		found = 1;
	}
	pthread_rwlock_unlock(&c->lock);
	return found;
}
