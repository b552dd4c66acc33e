/* Campaign endpoints: create (a draft), list, view, plan, events, and the
 * operators' actions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/bodies.h"
#include "db/campaigns.h"
#include "db/cohorts.h"
#include "db/lifecycle.h"
#include "db/releases.h"
#include "rollout/rollout.h"
#include "core/campaigns.h"
#include "core/gate.h"
#include "api/handlers.h"
#include "sign/crypto.h"
#include "util/util.h"

static void
free_state(struct api_req *a, int ok)
{
	(void)ok;
	free(a->state);
}

struct create {
	struct db_campaign c;
};

static void
overlap_note(int64_t campaign, int64_t devices, void *arg)
{
	int64_t *o = arg;

	if (o[0] == 0)
		o[0] = campaign;
	o[1] += devices;
}

static void
create_then(struct api_req *a, int rc)
{
	struct create *s = a->state;

	if (rc != DB_OK) {
		api_err_db(a, rc, "store the campaign");
		return;
	}
	api_audit_object(a, "%lld", (long long)s->c.id);
	h_campaigns_get_id(a, s->c.id, 201);
}

/* Checks release and cohort; -1 having replied. */
static int
check_refs(struct api_req *a, struct db_campaign *c, const char *cohort)
{
	struct db_release *r = malloc(sizeof(*r));
	struct db_cohort co;
	int rc;

	if (r == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return -1;
	}
	rc = db_release_get(a->srv->core.db, c->release_id, r, NULL, NULL);
	if (rc == DB_OK && (r->revoked_at != 0 || r->expires <= util_now()))
		rc = DB_INVALID;
	if (rc == DB_OK && c->name[0] == '\0')
		snprintf(c->name, sizeof(c->name), "%s", r->fw_version);
	if (rc == DB_OK)
		snprintf(c->release_fw, sizeof(c->release_fw), "%s",
		    r->fw_version);
	free(r);
	if (rc == DB_NOTFOUND || rc == DB_INVALID) {
		api_err(a, 422, "invalid_field", "release: %s", rc == DB_NOTFOUND ?
		    "no such release" : "the release is revoked or expired");
		return -1;
	}
	if (rc != DB_OK) {
		api_err_db(a, rc, "read the release");
		return -1;
	}
	if (cohort == NULL)
		return 0;
	rc = db_cohort_get(a->srv->core.db, cohort, &co);
	if (rc == DB_NOTFOUND) {
		api_err(a, 422, "invalid_field", "cohort: no cohort %s", cohort);
		return -1;
	}
	if (rc != DB_OK) {
		api_err_db(a, rc, "read the cohort");
		return -1;
	}
	c->cohort_id = co.id;
	return 0;
}

/* Refuses a campaign with no device to update (it would "complete" on
 * nobody); -1 having replied 422 no_targets naming the hw classes. */
static int
check_targets(struct api_req *a, const struct db_campaign *c,
    const char *cohort)
{
	struct db_target_summary t;
	char why[512];
	int rc = db_target_summary(a->srv->core.db, c->release_id, c->cohort_id, &t);

	if (rc != DB_OK) {
		api_err_db(a, rc, "count the devices to update");
		return -1;
	}
	if (t.any)
		return 0;
	campaign_no_targets_why(&t, c->release_id, c->release_fw, cohort, why,
	    sizeof(why));
	api_err(a, 422, "no_targets", "%s", why);
	return -1;
}

/* Fills c from a parsed spec once its release, cohort, targets and
 * overlaps are fine; 0, or -1 having replied. */
static int
apply_spec(struct api_req *a, struct db_campaign *c,
    const struct campaign_spec *sp)
{
	int64_t overlap[2] = { 0, 0 };

	c->release_id = sp->release_id;
	c->cohort_id = 0;
	snprintf(c->name, sizeof(c->name), "%s", sp->name ? sp->name : "");
	if (check_refs(a, c, sp->cohort) != 0 ||
	    check_targets(a, c, sp->cohort) != 0)
		return -1;
	if (!sp->supersede && db_campaign_overlaps(a->srv->core.db, c->release_id,
	    c->cohort_id, c->id, overlap_note, overlap) == DB_OK && overlap[0]) {
		api_err(a, 409, "overlap", "%lld of its devices are in running "
		    "campaign %lld; pass \"supersede\": true to replace it",
		    (long long)overlap[1], (long long)overlap[0]);
		return -1;
	}
	memcpy(c->stages, sp->stages, sizeof(c->stages));
	c->nstages = sp->nstages;
	c->policy = sp->policy;
	c->supersede = sp->supersede;
	c->start_at = sp->start_at;
	return 0;
}

void
h_campaigns_add(struct api_req *a)
{
	struct create *s = calloc(1, sizeof(*s));
	struct campaign_spec sp;

	if (s == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return;
	}
	a->state = s;
	a->cleanup = free_state;
	if (campaign_spec_parse(a->json, &sp, AE(a)) != 0) {
		api_invalid(a);
		return;
	}
	if (apply_spec(a, &s->c, &sp) != 0)
		return;
	sign_random(s->c.salt, sizeof(s->c.salt));
	s->c.created_at = util_now();
	snprintf(s->c.created_by, sizeof(s->c.created_by), "%s", a->who.name);
	api_write(a, db_campaign_create, &s->c, create_then);
}

/* ---- views ---- */

struct hist {
	int64_t cells[101][ROLLOUT_DEV_STATES];
	int64_t why[101][ROLLOUT_REASONS];
};

static void
hist_one(int pct, const char *state, const char *reason, int64_t n,
    void *arg)
{
	struct hist *h = arg;
	enum rollout_device_state s;

	if (pct < 0 || pct > 100 || rollout_device_state_parse(state, &s) != 0)
		return;
	h->cells[pct][s] += n;
	if (reason != NULL)
		h->why[pct][rollout_reason_class(reason)] += n;
}

/* One stage's counts by device state and failure reason (cumulative:
 * stages nest), and in *started and *failures its own started devices
 * (superseded ones have left) and failures. */
static json_t *
one_stage(const struct hist *h, int number, int pct, int64_t *started,
    int64_t *failures)
{
	json_t *o = json_pack("{s:i,s:i}", "stage", number, "percent", pct);
	json_t *why = json_object();
	int64_t total = 0, c;

	*failures = 0;
	for (int s = 0; s < ROLLOUT_DEV_STATES; s++) {
		c = 0;
		for (int p = 0; p < pct; p++)
			c += h->cells[p][s];
		total += c;
		if (rollout_state_is_failure((enum rollout_device_state)s))
			*failures += c;
		json_object_set_new(o, rollout_device_state_name(
		    (enum rollout_device_state)s), json_integer(c));
	}
	*started = total - json_integer_value(json_object_get(o, "pending")) -
	    json_integer_value(json_object_get(o, "superseded"));
	for (int r = 0; r < ROLLOUT_REASONS; r++) {
		c = 0;
		for (int p = 0; p < pct; p++)
			c += h->why[p][r];
		if (c > 0)
			json_object_set_new(why, rollout_reason_name(
			    (enum rollout_reason)r), json_integer(c));
	}
	json_object_set_new(o, "members", json_integer(total));
	json_object_set_new(o, "failure_reasons", why);
	return o;
}

/* Adds "counts" (per stage) and the open stage's "failure_rate" to o. */
static void
add_counts(struct api_req *a, const struct db_campaign *c, const int *stages,
    int n, json_t *o)
{
	struct hist *h = calloc(1, sizeof(*h));
	int64_t started, fail, open_started = 0, open_fail = 0;
	json_t *arr;

	if (h == NULL || db_member_histogram(a->srv->core.db, c->id, hist_one,
	    h) != DB_OK) {
		free(h);
		return;
	}
	arr = json_array();
	for (int i = 0; i < n; i++) {
		json_array_append_new(arr, one_stage(h, i + 1, stages[i], &started,
		    &fail));
		if (i == c->stage) {
			open_started = started;
			open_fail = fail;
		}
	}
	free(h);
	json_object_set_new(o, "counts", arr);
	json_object_set_new(o, "failure_rate", json_real(open_started > 0 ?
	    100.0 * (double)open_fail / (double)open_started : 0.0));
}

/* Where a campaign's maintenance window stands at now: {open, tz,
 * next_open, next_close}, or null without one. */
static json_t *
window_view(const struct rollout_policy *p, int64_t now)
{
	const struct rollout_window *w = &p->window;

	if (w->nslots == 0)
		return json_null();
	return json_pack("{s:b,s:s,s:o,s:o}", "open",
	    rollout_window_open(w, now), "tz", w->tz, "next_open",
	    api_time(rollout_window_next(w, now, 1)), "next_close",
	    api_time(rollout_window_next(w, now, 0)));
}

static json_t *
campaign_json(const struct db_campaign *c, int with_counts, struct api_req *a)
{
	const int *stages = c->stages;
	int n = c->settings_ok ? c->nstages : 0;
	json_t *o, *gate, *verdict;

	/* The stored form is the API's (an unreadable one shows defaults). */
	gate = db_policy_json(&c->policy);
	verdict = c->verdict[0] ? json_pack("{s:s,s:s,s:o,s:o}", "verdict",
	    c->verdict, "reason", c->verdict_reason, "at", api_time(c->verdict_at),
	    "numbers", c->verdict_detail[0] ? json_loads(c->verdict_detail, 0,
	    NULL) : json_null()) : json_null();
	/* Stage numbers are 1-based wherever people read them. */
	o = json_pack("{s:I,s:s,s:{s:I,s:s,s:s},s:o,s:s,s:o,s:o,s:o,s:b,s:o,"
	    "s:o,s:s,s:o,s:o}", "id", (json_int_t)c->id, "name", c->name,
	    "release", "id", (json_int_t)c->release_id, "fw_version", c->release_fw,
	    "sha256", c->release_sha, "cohort", c->cohort[0] ?
	    json_string(c->cohort) : json_null(), "state",
	    rollout_campaign_state_name(c->state), "stages", db_stages_json(stages, n), "stage", n > 0 ?
	    json_pack("{s:i,s:i,s:o}", "number", c->stage + 1, "percent",
	    stages[c->stage], "opened_at", api_time(c->stage_opened_at)) :
	    json_null(), "gate", gate, "supersede", c->supersede, "verdict",
	    verdict, "created_at", api_time(c->created_at), "created_by",
	    c->created_by, "started_at", api_time(c->started_at), "finished_at",
	    api_time(c->finished_at));
	/* A draft's scheduled start (or the one it started at). */
	if (o != NULL)
		json_object_set_new(o, "start_at", api_time(c->start_at));
	if (o != NULL)
		json_object_set_new(o, "window", window_view(&c->policy,
		    util_now()));
	if (with_counts && n > 0 && o != NULL)
		add_counts(a, c, stages, n, o);
	return o;
}

void
h_campaigns_get_id(struct api_req *a, int64_t id, int status)
{
	struct db_campaign *c;

	if (h_campaign_load(a, id, &c) != 0)
		return;
	api_json(a, status, campaign_json(c, 1, a));
	free(c);
}

/* Parses the {id}; -1 having replied 404. */
static int
campaign_id(struct api_req *a, int64_t *id)
{
	if (util_parse_int(a->args[0], 1, INT64_MAX, id) != 0) {
		api_err(a, 404, "not_found", "no campaign %.40s", a->args[0]);
		return -1;
	}
	return 0;
}

void
h_campaigns_get(struct api_req *a)
{
	int64_t id;

	if (campaign_id(a, &id) == 0)
		h_campaigns_get_id(a, id, 200);
}

struct list_ctx {
	struct api_req *a;
	json_t *arr;
};

static void
list_one(const struct db_campaign *c, void *arg)
{
	struct list_ctx *lc = arg;

	json_array_append_new(lc->arr, campaign_json(c, 0, lc->a));
}

void
h_campaigns_list(struct api_req *a)
{
	int64_t limit, after = 0;
	const char *cursor, *state_name = http_query(a->http, "state");
	enum rollout_campaign_state state;
	struct list_ctx lc = { a, NULL };
	int rc;

	if (api_page(a, &limit, &cursor) != 0)
		return;
	if (cursor != NULL && util_parse_int(cursor, 0, INT64_MAX, &after) != 0) {
		api_err(a, 400, "bad_query", "after: must be a campaign id");
		return;
	}
	if (state_name != NULL && rollout_campaign_state_parse(state_name,
	    &state) != 0) {
		api_err(a, 400, "bad_query", "state: no campaign state %s "
		    "(draft, running, paused, halted, completed, aborted)",
		    state_name);
		return;
	}
	lc.arr = json_array();
	rc = db_campaign_list(a->srv->core.db, state_name == NULL ? -1 :
	    (int)state, after, limit, list_one, &lc);
	if (rc != DB_OK) {
		json_decref(lc.arr);
		api_err_db(a, rc, "list the campaigns");
		return;
	}
	api_json(a, 200, json_pack("{s:o,s:o}", "campaigns", lc.arr, "next",
	    (int64_t)json_array_size(lc.arr) == limit ? json_incref(
	    json_object_get(json_array_get(lc.arr, json_array_size(lc.arr) - 1),
	    "id")) : json_null()));
}

/* ---- plan ---- */

struct plan_ctx {
	uint32_t *buckets;
	size_t n, cap;
	const uint8_t *salt;
};

static int
plan_push(struct plan_ctx *pc, uint32_t b)
{
	if (pc->n == pc->cap) {
		size_t cap = pc->cap ? pc->cap * 2 : 1024;
		uint32_t *nb = realloc(pc->buckets, cap * sizeof(*nb));
		if (nb == NULL)
			return DB_ERR;
		pc->buckets = nb;
		pc->cap = cap;
	}
	pc->buckets[pc->n++] = b;
	return DB_OK;
}

static int
plan_target(int64_t device, const char *device_id, void *arg)
{
	struct plan_ctx *pc = arg;

	(void)device;
	return plan_push(pc, rollout_bucket(pc->salt, DB_SALT_LEN, device_id));
}

static void
plan_member(uint32_t bucket, void *arg)
{
	plan_push(arg, bucket);
}

void
h_campaigns_plan(struct api_req *a)
{
	struct db_campaign *c = malloc(sizeof(*c));
	struct plan_ctx pc = { NULL, 0, 0, NULL };
	uint64_t fresh[ROLLOUT_MAX_STAGES], cum[ROLLOUT_MAX_STAGES];
	int stages[ROLLOUT_MAX_STAGES], n, rc;
	int64_t id;
	json_t *arr;

	if (c == NULL || campaign_id(a, &id) != 0) {
		if (c == NULL)
			api_err(a, 503, "out_of_memory", "try again later");
		free(c);
		return;
	}
	rc = db_campaign_get(a->srv->core.db, id, c);
	if (rc == DB_OK && !c->settings_ok)
		rc = DB_ERR;
	n = c->nstages;
	memcpy(stages, c->stages, sizeof(stages));
	pc.salt = c->salt;
	/* A draft's members are whoever is targeted now; later, who was. */
	if (rc == DB_OK)
		rc = c->state == ROLLOUT_CAMP_DRAFT ? db_campaign_targets(
		    a->srv->core.db, c->release_id, c->cohort_id, plan_target, &pc) :
		    db_member_buckets(a->srv->core.db, c->id, plan_member, &pc);
	if (rc == DB_NOTFOUND)
		api_err(a, 404, "not_found", "no campaign %lld", (long long)id);
	else if (rc != DB_OK)
		api_err_db(a, rc, "plan the campaign");
	else {
		rollout_plan(pc.buckets, pc.n, stages, n, fresh, cum);
		arr = json_array();
		for (int i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:i,s:I,s:I}",
			    "percent", stages[i], "new", (json_int_t)fresh[i],
			    "devices", (json_int_t)cum[i]));
		api_json(a, 200, json_pack("{s:I,s:s,s:I,s:o,s:o}", "campaign",
		    (json_int_t)id, "state", rollout_campaign_state_name(c->state),
		    "targets", (json_int_t)pc.n, "stages", arr, "window",
		    window_view(&c->policy, util_now())));
	}
	free(pc.buckets);
	free(c);
}

/* ---- events ---- */

static void
event_one(const struct db_campaign_event *e, void *arg)
{
	json_array_append_new(arg, json_pack("{s:I,s:o,s:s,s:s,s:i,s:o}", "id",
	    (json_int_t)e->id, "at", api_time(e->at), "kind", e->kind, "actor",
	    e->actor, "stage", e->stage + 1, "detail", e->detail[0] ?
	    json_loads(e->detail, 0, NULL) : json_null()));
}

void
h_campaigns_events(struct api_req *a)
{
	int64_t id, limit, after = 0;
	const char *cursor;
	json_t *arr;
	struct db_campaign *c = malloc(sizeof(*c));
	int rc;

	if (c == NULL || campaign_id(a, &id) != 0 ||
	    api_page(a, &limit, &cursor) != 0) {
		if (c == NULL)
			api_err(a, 503, "out_of_memory", "try again later");
		free(c);
		return;
	}
	rc = db_campaign_get(a->srv->core.db, id, c);
	free(c);
	if (rc == DB_NOTFOUND) {
		api_err(a, 404, "not_found", "no campaign %lld", (long long)id);
		return;
	}
	if (cursor != NULL && util_parse_int(cursor, 0, INT64_MAX, &after) != 0) {
		api_err(a, 400, "bad_query", "after: must be an event id");
		return;
	}
	arr = json_array();
	rc = db_campaign_events(a->srv->core.db, id, after, limit, event_one, arr);
	if (rc != DB_OK) {
		json_decref(arr);
		api_err_db(a, rc, "read the events");
		return;
	}
	api_json(a, 200, json_pack("{s:o,s:o}", "events", arr, "next",
	    (int64_t)json_array_size(arr) == limit ? json_incref(json_object_get(
	    json_array_get(arr, json_array_size(arr) - 1), "id")) : json_null()));
}

/* ---- actions ---- */

static void
act_then(struct api_req *a, int rc)
{
	struct gate_act *g = a->state;

	if (rc == DB_NOTFOUND)
		api_err(a, 404, "not_found", "no campaign %lld",
		    (long long)g->campaign);
	else if (rc == DB_CONFLICT)
		api_err(a, 409, "invalid_state", "cannot %s: %s",
		    rollout_action_name((enum rollout_action)g->action), g->why);
	else if (rc == DB_INVALID)
		api_err(a, 422, g->code, "cannot %s: %s",
		    rollout_action_name((enum rollout_action)g->action), g->why);
	else if (rc != DB_OK)
		api_err_db(a, rc, "change the campaign");
	else
		h_campaigns_get_id(a, g->campaign, 200);
}

/* ?start_at= of a start (a time or epoch seconds: later than now
 * schedules it); -1 having replied 400. */
static int
start_at_query(struct api_req *a, enum rollout_action act, int64_t *out)
{
	const char *v = http_query(a->http, "start_at");

	*out = 0;
	if (v == NULL)
		return 0;
	if (act == ROLLOUT_ACT_START && campaign_start_at_text(v, out) == 0)
		return 0;
	api_err(a, 400, "bad_query", act == ROLLOUT_ACT_START ?
	    "start_at: must be a time as YYYY-MM-DDTHH:MM:SSZ or seconds "
	    "since the epoch" : "start_at: only a start takes one");
	return -1;
}

void
h_campaigns_act(struct api_req *a)
{
	struct gate_act *g = calloc(1, sizeof(*g));
	enum rollout_action act;

	if (g == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return;
	}
	a->state = g;
	a->cleanup = free_state;
	if (campaign_id(a, &g->campaign) != 0)
		return;
	if (rollout_action_parse(a->args[1], &act) != 0 ||
	    act == ROLLOUT_ACT_HALT || act == ROLLOUT_ACT_COMPLETE) {
		api_err(a, 404, "not_found", "no action %.40s: use start, pause, "
		    "resume, advance or abort", a->args[1]);
		return;
	}
	g->core = &a->srv->core;
	g->action = (int)act;
	g->actor = a->who.name;
	g->now = util_now();
	if (start_at_query(a, act, &g->start_at) != 0)
		return;
	api_write(a, gate_act, g, act_then);
}

/* ---- drafts: edit and delete ---- */

struct draft_state {
	struct db_campaign c;
	struct db_draft d;
	json_t *merged;
};

static void
draft_cleanup(struct api_req *a, int ok)
{
	struct draft_state *s = a->state;

	(void)ok;
	json_decref(s->merged);
	free(s);
}

static void
draft_then(struct api_req *a, int rc)
{
	struct draft_state *s = a->state;

	if (rc == DB_NOTFOUND)
		api_err(a, 404, "not_found", "no campaign %lld", (long long)s->d.id);
	else if (rc == DB_CONFLICT)
		api_err(a, 409, "invalid_state", "campaign %lld is %s: only a "
		    "draft can be %s", (long long)s->d.id,
		    rollout_campaign_state_name(s->d.state),
		    s->d.c != NULL ? "edited" : "deleted");
	else if (rc != DB_OK)
		api_err_db(a, rc, "change the campaign");
	else if (s->d.c != NULL)
		h_campaigns_get_id(a, s->d.id, 200);
	else
		http_reply(a->http, 204, NULL, "", 0);
}

static struct draft_state *
draft_state(struct api_req *a)
{
	struct draft_state *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return NULL;
	}
	a->state = s;
	a->cleanup = draft_cleanup;
	if (campaign_id(a, &s->d.id) != 0)
		return NULL;
	return s;
}

/* The draft as a create body with the patch merged in (RFC 7386: a
 * member replaces, null removes, "gate" merges field by field). */
static json_t *
merge_patch(const struct db_campaign *c, json_t *patch)
{
	json_t *o = json_pack("{s:s,s:I,s:o,s:o,s:b}", "name", c->name,
	    "release", (json_int_t)c->release_id, "stages",
	    db_stages_json(c->stages, c->nstages), "gate",
	    db_policy_json(&c->policy), "supersede", c->supersede);
	const char *k;
	json_t *v, *gate = json_object_get(patch, "gate");

	if (o == NULL)
		return NULL;
	if (c->cohort[0])
		json_object_set_new(o, "cohort", json_string(c->cohort));
	if (json_is_object(gate))
		json_object_update(json_object_get(o, "gate"), gate);
	json_object_foreach(patch, k, v) {
		if (json_is_null(v))
			json_object_del(o, k);
		else if (strcmp(k, "gate") != 0 || !json_is_object(v))
			json_object_set(o, k, v);
	}
	return o;
}

void
h_campaigns_patch(struct api_req *a)
{
	struct draft_state *s = draft_state(a);
	struct campaign_spec sp;
	int rc;

	if (s == NULL)
		return;
	if (!json_is_object(a->json) || json_object_size(a->json) == 0) {
		snprintf(AE(a), "body: give the fields to change (name, release, "
		    "cohort, stages, gate, supersede)");
		api_invalid(a);
		return;
	}
	rc = db_campaign_get(a->srv->core.db, s->d.id, &s->c);
	if (rc == DB_OK && s->c.state != ROLLOUT_CAMP_DRAFT)
		rc = DB_CONFLICT;
	if (rc != DB_OK) {
		s->d.state = s->c.state;
		if (rc == DB_NOTFOUND || rc == DB_CONFLICT)
			draft_then(a, rc);
		else
			api_err_db(a, rc, "read the campaign");
		return;
	}
	if ((s->merged = merge_patch(&s->c, a->json)) == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return;
	}
	if (campaign_spec_parse(s->merged, &sp, AE(a)) != 0) {
		api_invalid(a);
		return;
	}
	if (apply_spec(a, &s->c, &sp) != 0)
		return;
	s->c.created_at = util_now();
	snprintf(s->c.created_by, sizeof(s->c.created_by), "%s", a->who.name);
	s->d.c = &s->c;
	api_write(a, db_campaign_edit, &s->d, draft_then);
}

void
h_campaigns_delete(struct api_req *a)
{
	struct draft_state *s = draft_state(a);

	if (s != NULL)
		api_write(a, db_campaign_delete, &s->d, draft_then);
}
