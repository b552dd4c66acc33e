/* A campaign's stored settings: the stage list and the gate policy, kept
 * as JSON text in the campaigns table and handed to callers typed. The
 * stored form is also the form the API shows. */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "db/campaigns.h"
#include "db/internal.h"

static json_t *policy_json(const struct rollout_policy *p);

/* Retired policy fields: campaigns stored before they retired still load
 * (without them). The API refuses them in new requests. */
static const char *const retired[] = { "max_failures", NULL };

json_t *
db_stages_json(const int *stages, int n)
{
	json_t *arr = json_array();

	for (int i = 0; arr != NULL && i < n; i++)
		json_array_append_new(arr, json_integer(stages[i]));
	return arr;
}

/* A window's stored (and shown) form: {tz, rule, slots: [{days, start,
 * end}]}. */
static json_t *
window_json(const struct rollout_window *w)
{
	json_t *slots = json_array(), *days;
	char a[6], b[6];

	for (int i = 0; slots != NULL && i < w->nslots &&
	    i < ROLLOUT_WINDOW_SLOTS; i++) {
		days = json_array();
		for (int d = 0; days != NULL && d < 7; d++)
			if (w->slot[i].days >> d & 1)
				json_array_append_new(days,
				    json_string(rollout_day_name(d)));
		rollout_hhmm_fmt(w->slot[i].start, a);
		rollout_hhmm_fmt(w->slot[i].end, b);
		json_array_append_new(slots, json_pack("{s:o,s:s,s:s}", "days",
		    days ? days : json_array(), "start", a, "end", b));
	}
	return json_pack("{s:s,s:s,s:o}", "tz", w->tz, "rule", w->rule,
	    "slots", slots ? slots : json_array());
}

json_t *
db_policy_json(const struct rollout_policy *p)
{
	json_t *o = policy_json(p);

	if (o != NULL)
		json_object_set_new(o, "membership",
		    json_string(rollout_membership_name(p->dynamic)));
	if (o != NULL && p->window.nslots > 0)
		json_object_set_new(o, "window", window_json(&p->window));
	return o;
}

static json_t *
policy_json(const struct rollout_policy *p)
{
	return json_pack("{s:i,s:f,s:f,s:f,s:f,s:b,s:f,s:I,s:I,s:I,s:b,s:i,"
	    "s:I,s:i,s:{s:i,s:I,s:f}}",
	    "min_sample", p->min_sample,
	    "max_failure_pct", p->max_failure_pct,
	    "bad_failure_pct", p->bad_failure_pct,
	    "false_halt_pct", p->false_halt_pct, "miss_pct", p->miss_pct,
	    "baseline", p->baseline,
	    "min_healthy_pct", p->min_healthy_pct,
	    "bake_time", (json_int_t)p->bake_time,
	    "report_timeout", (json_int_t)p->report_timeout,
	    "absent_timeout", (json_int_t)p->absent_timeout,
	    "auto_advance", p->auto_advance, "max_attempts", p->max_attempts,
	    "min_stage_time", (json_int_t)p->min_stage_time,
	    "max_in_flight", p->max_in_flight,
	    "retry", "count", p->retry_count, "backoff",
	    (json_int_t)p->retry_backoff, "factor", p->retry_factor);
}

int
db_stages_parse(const char *text, int stages[ROLLOUT_MAX_STAGES], int *n)
{
	json_t *arr = text ? json_loads(text, 0, NULL) : NULL, *v;
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
	if (rc != 0)
		*n = 0;
	json_decref(arr);
	return rc;
}

static int
is_retired(const char *key)
{
	for (size_t i = 0; retired[i] != NULL; i++)
		if (strcmp(key, retired[i]) == 0)
			return 1;
	return 0;
}

enum kind { K_INT, K_TIME, K_NUM, K_BOOL };

#define M(f, k) { #f, k, offsetof(struct rollout_policy, f) }
static const struct member {
	const char *name;
	enum kind kind;
	size_t off;
} members[] = {
	M(min_sample, K_INT), M(max_attempts, K_INT), M(bake_time, K_TIME),
	M(report_timeout, K_TIME), M(absent_timeout, K_TIME),
	M(max_failure_pct, K_NUM), M(bad_failure_pct, K_NUM),
	M(false_halt_pct, K_NUM), M(miss_pct, K_NUM), M(min_healthy_pct, K_NUM),
	M(auto_advance, K_BOOL), M(baseline, K_BOOL),
	M(min_stage_time, K_TIME), M(max_in_flight, K_INT),
};

#undef M

/* The stored form of the nested retry policy ("retry": {...}). */
#define R(name, k, f) { name, k, offsetof(struct rollout_policy, f) }
static const struct member retry_members[] = {
	R("count", K_INT, retry_count), R("backoff", K_TIME, retry_backoff),
	R("factor", K_NUM, retry_factor),
};
#undef R

/* k among the n members ms into p; 0, or -1 for an unknown name or a
 * bad type. */
static int
policy_member_in(struct rollout_policy *p, const struct member *ms, size_t n,
    const char *k, json_t *v)
{
	char *at = (char *)p;

	for (size_t i = 0; i < n; i++) {
		const struct member *m = &ms[i];

		if (strcmp(k, m->name) != 0)
			continue;
		if ((m->kind == K_BOOL && !json_is_boolean(v)) ||
		    (m->kind == K_NUM && !json_is_number(v)) ||
		    ((m->kind == K_INT || m->kind == K_TIME) &&
		    !json_is_integer(v)))
			return -1;
		if (m->kind == K_INT && (json_integer_value(v) < INT_MIN ||
		    json_integer_value(v) > INT_MAX))
			return -1;
		if (m->kind == K_INT)
			*(int *)(at + m->off) = (int)json_integer_value(v);
		else if (m->kind == K_TIME)
			*(int64_t *)(at + m->off) = json_integer_value(v);
		else if (m->kind == K_NUM)
			*(double *)(at + m->off) = json_number_value(v);
		else
			*(bool *)(at + m->off) = json_is_true(v);
		return 0;
	}
	return -1;
}

/* The stored window into p; 0, or -1 (its rule is not resolved again: a
 * campaign keeps the zone's rule it was made with). */
static int
window_member(struct rollout_policy *p, json_t *o)
{
	struct rollout_window *w = &p->window;
	json_t *slots = json_object_get(o, "slots"), *v, *days, *d;
	const char *tz = json_string_value(json_object_get(o, "tz"));
	const char *rule = json_string_value(json_object_get(o, "rule"));
	size_t i, j;
	int bit;

	memset(w, 0, sizeof(*w));
	if (json_is_null(o))
		return 0;
	if (tz == NULL || rule == NULL || strlen(tz) >= sizeof(w->tz) ||
	    strlen(rule) >= sizeof(w->rule) || !json_is_array(slots) ||
	    json_array_size(slots) > ROLLOUT_WINDOW_SLOTS ||
	    rollout_tz_parse(rule, &w->zone) != 0)
		return -1;
	memcpy(w->tz, tz, strlen(tz) + 1);
	memcpy(w->rule, rule, strlen(rule) + 1);
	json_array_foreach(slots, i, v) {
		struct rollout_slot *sl = &w->slot[i];
		const char *a = json_string_value(json_object_get(v, "start"));
		const char *b = json_string_value(json_object_get(v, "end"));

		days = json_object_get(v, "days");
		if (a == NULL || b == NULL || !json_is_array(days) ||
		    rollout_hhmm_parse(a, 0, &sl->start) != 0 ||
		    rollout_hhmm_parse(b, 1, &sl->end) != 0)
			return -1;
		json_array_foreach(days, j, d) {
			if (!json_is_string(d) ||
			    (bit = rollout_day_parse(json_string_value(d))) < 0)
				return -1;
			sl->days |= (uint8_t)(1u << bit);
		}
	}
	w->nslots = (int)json_array_size(slots);
	return 0;
}

/* The stored retry object into p; 0, or -1. */
static int
retry_member(struct rollout_policy *p, json_t *o)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o))
		return -1;
	json_object_foreach(o, k, v)
		if (policy_member_in(p, retry_members, sizeof(retry_members) /
		    sizeof(retry_members[0]), k, v) != 0)
			return -1;
	return 0;
}

/* One stored member into p; 0, or -1 for an unknown name or a bad type
 * (the ranges are rollout_policy_validate's). */
static int
policy_member(struct rollout_policy *p, const char *k, json_t *v)
{
	if (strcmp(k, "retry") == 0)
		return retry_member(p, v);
	if (strcmp(k, "window") == 0)
		return window_member(p, v);
	if (strcmp(k, "membership") == 0)
		return json_is_string(v) ? rollout_membership_parse(
		    json_string_value(v), &p->dynamic) : -1;
	if (policy_member_in(p, members, sizeof(members) / sizeof(members[0]),
	    k, v) == 0)
		return 0;
	return is_retired(k) ? 0 : -1;
}

int
db_policy_parse(const char *text, struct rollout_policy *p)
{
	json_t *o = text ? json_loads(text, 0, NULL) : NULL, *v;
	const char *k;
	int rc = -1;

	rollout_policy_default(p);
	if (!json_is_object(o))
		goto out;
	/* Stored without a bad_failure_pct, it follows max_failure_pct. */
	if (json_object_get(o, "bad_failure_pct") == NULL &&
	    (v = json_object_get(o, "max_failure_pct")) != NULL &&
	    json_is_number(v))
		p->bad_failure_pct = rollout_policy_bad_default(
		    json_number_value(v));
	json_object_foreach(o, k, v)
		if (policy_member(p, k, v) != 0)
			goto out;
	rc = rollout_policy_validate(p, NULL);
out:
	json_decref(o);
	return rc;
}

/* The text of a JSON value, into buf; 0, or -1 when it does not fit. */
static int
dump_into(json_t *j, char *buf, size_t len)
{
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17)) :
	    NULL;
	int rc = text != NULL && strlen(text) < len ? 0 : -1;

	if (rc == 0)
		memcpy(buf, text, strlen(text) + 1);
	free(text);
	json_decref(j);
	return rc;
}

int
db_settings_text(const struct db_campaign *c, char *stages, size_t slen,
    char *policy, size_t plen)
{
	if (dump_into(db_stages_json(c->stages, c->nstages), stages, slen) ||
	    dump_into(db_policy_json(&c->policy), policy, plen))
		return DB_ERR;
	return DB_OK;
}
