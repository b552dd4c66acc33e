/* Campaigns at poll time. The live campaigns (running, paused, completed)
 * sit in memory with their salt, stages and hw classes: a poll computes
 * the device's bucket and only queries its membership when the bucket is
 * inside an open stage. The set is reloaded after any change committed
 * here, and every few seconds for changes made by another daemon. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/campaigns.h"
#include "db/releases.h"
#include "api/api.h"
#include "core/campaigns.h"
#include "core/gate.h"
#include "core/offers.h"
#include "core/reports.h"
#include "util/log.h"
#include "util/util.h"

#define LIVE_MAX 64
#define RELOAD_EVERY 5

struct live {
	int64_t id, release_id;
	enum rollout_campaign_state state;
	int stages[ROLLOUT_MAX_STAGES], nstages, stage;
	uint8_t salt[DB_SALT_LEN];
	struct rollout_policy policy;
	char hw[DB_REL_HW_MAX][65];
	int nhw;
	char release_fw[65];
};

struct campaigns {
	struct db *db;
	pthread_rwlock_t lock;
	struct live live[LIVE_MAX];
	int nlive;
	int64_t window;			/* completed_offer_window */
	atomic_uint_fast64_t gen;	/* bumped by changes */
	/* Read by every poll without the lock, written by the reloader. */
	atomic_uint_fast64_t loaded_gen;
	atomic_int_fast64_t loaded_at;
	pthread_mutex_t reload_mu;
};

struct campaigns *
campaigns_new(struct db *db, int completed_offer_window)
{
	struct campaigns *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->db = db;
	c->window = completed_offer_window;
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

/* ---- stored JSON ---- */

int
campaign_stages_parse(const char *text, int stages[ROLLOUT_MAX_STAGES], int *n)
{
	json_t *arr = json_loads(text, 0, NULL), *v;
	size_t i;
	int rc = -1;

	*n = 0;
	if (!json_is_array(arr) || json_array_size(arr) > ROLLOUT_MAX_STAGES)
		goto out;
	json_array_foreach(arr, i, v) {
		if (!json_is_integer(v))
			goto out;
		stages[(*n)++] = (int)json_integer_value(v);
	}
	rc = rollout_stages_validate(stages, *n, NULL);
out:
	json_decref(arr);
	return rc;
}

json_t *
campaign_policy_to_json(const struct rollout_policy *p)
{
	return json_pack("{s:i,s:f,s:f,s:f,s:f,s:b,s:f,s:I,s:I,s:I,s:b,s:i}",
	    "min_sample", p->min_sample,
	    "max_failure_pct", p->max_failure_pct,
	    "bad_failure_pct", p->bad_failure_pct,
	    "false_halt_pct", p->false_halt_pct, "miss_pct", p->miss_pct,
	    "baseline", p->baseline,
	    "min_healthy_pct", p->min_healthy_pct,
	    "bake_time", (json_int_t)p->bake_time,
	    "report_timeout", (json_int_t)p->report_timeout,
	    "absent_timeout", (json_int_t)p->absent_timeout,
	    "auto_advance", p->auto_advance, "max_attempts", p->max_attempts);
}

/* Retired policy fields: a request naming one is refused, saying why;
 * campaigns stored before they retired still load (without them). */
static const char *const retired_fields[] = { "max_failures", NULL };

int
campaign_policy_from_json(json_t *gate, struct rollout_policy *p, char *err,
    size_t errlen)
{
	static const char *const fields[] = { "min_sample", "max_failure_pct",
	    "bad_failure_pct", "false_halt_pct", "miss_pct", "baseline",
	    "min_healthy_pct", "bake_time", "report_timeout", "absent_timeout",
	    "auto_advance", "max_attempts", NULL };
	char e[200];
	int64_t v;
	int b;
	const char *bad;

	rollout_policy_default(p);
	if (gate == NULL || json_is_null(gate))
		return 0;
	for (size_t i = 0; retired_fields[i] != NULL; i++)
		if (json_is_object(gate) &&
		    json_object_get(gate, retired_fields[i]) != NULL) {
			snprintf(err, errlen, "gate.%s: no longer used: the gate "
			    "halts on a sequential test (false_halt_pct, "
			    "bad_failure_pct; docs/rollouts.md)",
			    retired_fields[i]);
			return -1;
		}
	if (jv_only(gate, fields, e, sizeof(e)))
		goto bad;
#define INT_FIELD(name, lo, hi) \
	v = p->name; \
	if (jv_int(gate, #name, 0, lo, hi, &v, e, sizeof(e))) goto bad; \
	p->name = (int)v;
#define TIME_FIELD(name) \
	if (jv_duration(gate, #name, 0, ROLLOUT_MAX_TIME, &p->name, e, \
	    sizeof(e))) goto bad;
#define PCT_FIELD(name, lo, hi) \
	if (jv_num(gate, #name, lo, hi, &p->name, e, sizeof(e))) goto bad;
#define BOOL_FIELD(name) \
	b = p->name; \
	if (jv_bool(gate, #name, &b, e, sizeof(e))) goto bad; \
	p->name = b != 0;
	INT_FIELD(min_sample, 1, 1000000)
	INT_FIELD(max_attempts, 1, 100)
	TIME_FIELD(bake_time)
	TIME_FIELD(report_timeout)
	TIME_FIELD(absent_timeout)
	PCT_FIELD(max_failure_pct, 0.000001, 99.999999)
	p->bad_failure_pct = rollout_policy_bad_default(p->max_failure_pct);
	PCT_FIELD(bad_failure_pct, 0.000001, 99.999999)
	PCT_FIELD(false_halt_pct, 0.000001, 50)
	PCT_FIELD(miss_pct, 0.000001, 50)
	PCT_FIELD(min_healthy_pct, 0, 100)
	BOOL_FIELD(auto_advance)
	BOOL_FIELD(baseline)
#undef INT_FIELD
#undef TIME_FIELD
#undef PCT_FIELD
#undef BOOL_FIELD
	if (rollout_policy_validate(p, &bad) != 0) {
		snprintf(err, errlen, "gate.%s: %s", bad,
		    strcmp(bad, "bad_failure_pct") == 0 ?
		    "must be above max_failure_pct" : "out of range");
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "gate.%s", e);
	return -1;
}

json_t *
campaign_stages_to_json(const int *stages, int n)
{
	json_t *arr = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_integer(stages[i]));
	return arr;
}

/* Reads "stages" into out (the default when absent); -1 with err. */
static int
stages_from_json(json_t *arr, int out[ROLLOUT_MAX_STAGES], int *n, char *err,
    size_t errlen)
{
	const char *why = NULL;
	json_t *v;
	size_t i;

	rollout_stages_default(out, n);
	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > ROLLOUT_MAX_STAGES) {
		snprintf(err, errlen, "stages: must be an array of 1 to %d "
		    "percentages", ROLLOUT_MAX_STAGES);
		return -1;
	}
	*n = 0;
	json_array_foreach(arr, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 100) {
			snprintf(err, errlen, "stages[%zu]: must be an integer "
			    "percentage from 1 to 100", i);
			return -1;
		}
		out[(*n)++] = (int)json_integer_value(v);
	}
	if (rollout_stages_validate(out, *n, &why) != 0) {
		/* The rollout's reason may already name the field. */
		if (why != NULL && strncmp(why, "stages ", 7) == 0)
			why += 7;
		snprintf(err, errlen, "stages: %s", why ? why :
		    "must be strictly increasing and end at 100");
		return -1;
	}
	return 0;
}

int
campaign_spec_parse(json_t *body, struct campaign_spec *out, char *err,
    size_t errlen)
{
	static const char *const fields[] = { "name", "release", "cohort",
	    "stages", "gate", "supersede", NULL };

	memset(out, 0, sizeof(*out));
	if (jv_only(body, fields, err, errlen) ||
	    jv_str(body, "name", 0, 1, 64, &out->name, err, errlen) ||
	    jv_int(body, "release", 1, 1, INT64_MAX, &out->release_id, err,
	    errlen) ||
	    jv_ident(body, "cohort", 0, &out->cohort, err, errlen) ||
	    jv_bool(body, "supersede", &out->supersede, err, errlen) ||
	    campaign_policy_from_json(json_object_get(body, "gate"), &out->policy,
	    err, errlen))
		return -1;
	return stages_from_json(json_object_get(body, "stages"), out->stages,
	    &out->nstages, err, errlen);
}

int
campaign_policy_parse(const char *text, struct rollout_policy *p)
{
	json_t *o = json_loads(text, 0, NULL);
	char err[200];
	int rc;

	/* A campaign stored with a retired field keeps going without it. */
	for (size_t i = 0; json_is_object(o) && retired_fields[i] != NULL; i++)
		json_object_del(o, retired_fields[i]);
	rc = campaign_policy_from_json(o, p, err, sizeof(err));
	json_decref(o);
	return o == NULL ? -1 : rc;
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
	struct live *out;
	int n;
};

static void
load_one(const struct db_campaign *dc, void *arg)
{
	struct load_ctx *lc = arg;
	struct live *l;
	struct db_release *r;

	if (lc->n >= LIVE_MAX)
		return;
	l = &lc->out[lc->n];
	memset(l, 0, sizeof(*l));
	if (rollout_campaign_state_parse(dc->state, &l->state) != 0 ||
	    campaign_stages_parse(dc->stages, l->stages, &l->nstages) != 0 ||
	    campaign_policy_parse(dc->policy, &l->policy) != 0 ||
	    dc->stage < 0 || dc->stage >= l->nstages) {
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
	memcpy(l->salt, dc->salt, sizeof(l->salt));
	lc->n++;
}

static void
maybe_reload(struct campaigns *c, int64_t now)
{
	uint64_t gen = atomic_load(&c->gen);
	struct load_ctx lc;

	if (gen == atomic_load(&c->loaded_gen) &&
	    now - atomic_load(&c->loaded_at) < RELOAD_EVERY)
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
lists_hw(const struct live *l, const char *hw)
{
	for (int i = 0; i < l->nhw; i++)
		if (strcmp(l->hw[i], hw) == 0)
			return 1;
	return 0;
}

/* ---- the offer ---- */

struct take {
	struct offer_take job;
	struct rel_snap rel;
	char nonce[130], campaign[24];
	int64_t now;
};

static void
take_cleanup(struct api_req *a, int ok)
{
	struct take *t = a->state;

	(void)ok;
	rel_snap_free(&t->rel);
	free(t);
}

static void
take_then(struct api_req *a, int rc)
{
	struct take *t = a->state;
	char hint[24];

	if (rc == DB_OK && t->job.granted &&
	    device_reply_offer(a, &t->rel, t->campaign, t->nonce, t->now) == 0)
		return;
	snprintf(hint, sizeof(hint), "%d", a->srv->cfg.poll_interval);
	http_add_header(a->http, "Retry-After", hint);
	http_reply(a->http, 204, NULL, "", 0);
}

/* Decides for a member of campaign l; 1 when it replied or suspended. */
static int
offer_member(struct api_req *a, const struct live *l, uint32_t bucket,
    const struct db_member *m, const char *fw, const char *boot,
    const char *nonce, int64_t now)
{
	enum rollout_device_state ds;
	struct take *t;

	if (rollout_device_state_parse(m->state, &ds) != 0)
		return 0;
	/* The version it declares may say it moved on or fell back; and a
	 * device on a newer version would take our release for a rollback. */
	if (reports_sighting_news(m, l->release_fw, fw, boot))
		reports_sighting_submit(a->srv, a->who.device, l->id, fw, boot,
		    now);
	if (reports_is_newer(fw, l->release_fw))
		return 0;
	t = calloc(1, sizeof(*t));
	if (t == NULL || offers_release(a->srv->offers, l->release_id,
	    &t->rel) != 0) {
		free(t);
		return 0;
	}
	if (t->rel.revoked || t->rel.expires <= now ||
	    strcmp(t->rel.fw_version, fw) == 0 ||
	    !rollout_should_offer(l->state, l->stages[l->stage], bucket, ds,
	    m->attempts, &l->policy)) {
		rel_snap_free(&t->rel);
		free(t);
		return 0;
	}
	snprintf(t->campaign, sizeof(t->campaign), "%lld", (long long)l->id);
	snprintf(t->nonce, sizeof(t->nonce), "%s", nonce);
	t->now = now;
	if (rollout_offer_kind(ds, m->attempts, &l->policy) == ROLLOUT_OFFER_AGAIN) {
		int rc = device_reply_offer(a, &t->rel, t->campaign, nonce, now);
		rel_snap_free(&t->rel);
		free(t);
		return rc == 0;
	}
	/* A first offer or a retry is recorded before the device hears it. */
	t->job = (struct offer_take){ a->srv, l->id, a->who.device, now, 0 };
	a->state = t;
	a->cleanup = take_cleanup;
	api_write(a, reports_offer_take, &t->job, take_then);
	return 1;
}

int
campaigns_offer(struct api_req *a, const char *fw, const char *boot,
    const char *nonce, int64_t now)
{
	struct campaigns *c = a->srv->campaigns;
	struct live l;
	struct db_member m;
	uint32_t bucket;

	maybe_reload(c, now);
	for (int i = 0;; i++) {
		int found = 0;

		pthread_rwlock_rdlock(&c->lock);
		/* Newest first; copy one out so no lock is held on the store. */
		for (; i < c->nlive; i++) {
			if (!lists_hw(&c->live[i], a->who.hw_class))
				continue;
			/* Running a live campaign's release, the device needs
			 * nothing from it nor from older ones (their releases
			 * would be downgrades): no query. */
			if (strcmp(c->live[i].release_fw, fw) == 0) {
				pthread_rwlock_unlock(&c->lock);
				return 0;
			}
			bucket = rollout_bucket(c->live[i].salt, DB_SALT_LEN,
			    a->who.device_id);
			if (!rollout_in_stage(bucket,
			    c->live[i].stages[c->live[i].stage]))
				continue;
			l = c->live[i];
			found = 1;
			break;
		}
		pthread_rwlock_unlock(&c->lock);
		if (!found)
			return 0;
		switch (db_member_get(c->db, l.id, a->who.device, &m)) {
		case DB_OK:
			return offer_member(a, &l, bucket, &m, fw, boot, nonce,
			    now);
		case DB_NOTFOUND:
			continue;	/* not targeted: an older campaign may be */
		default:
			return 0;
		}
	}
}
