/* The request bodies the API reads into the services' plain structs:
 * a campaign to create, a device's status and health reports. Each names
 * the first bad field, for the API's 422. */
#include <stdio.h>
#include <string.h>

#include "api/bodies.h"
#include "api/jsonv.h"
#include "rollout/rollout.h"
#include "util/util.h"

/* ---- campaigns ---- */

/* Retired policy fields: a request naming one is refused, saying why
 * (campaigns stored before they retired still load: db/settings.c). */
static const char *const retired_fields[] = { "max_failures", NULL };

/* The retry policy, gate.retry: {count, backoff, factor}, each optional;
 * 0, or -1 with "retry.field: reason" in e. */
static int
retry_from_json(json_t *r, struct rollout_policy *p, char *e, size_t elen)
{
	static const char *const fields[] = { "count", "backoff", "factor",
	    NULL };
	int64_t v = p->retry_count;
	char why[160];

	if (r == NULL || json_is_null(r))
		return 0;
	if (!json_is_object(r)) {
		snprintf(e, elen, "retry: must be an object {count, backoff, "
		    "factor}");
		return -1;
	}
	if (jv_only(r, fields, why, sizeof(why)) ||
	    jv_int(r, "count", 0, 0, 99, &v, why, sizeof(why)) ||
	    jv_duration(r, "backoff", 0, ROLLOUT_MAX_TIME, &p->retry_backoff,
	    why, sizeof(why)) ||
	    jv_num(r, "factor", 1, 10, &p->retry_factor, why, sizeof(why))) {
		snprintf(e, elen, "retry.%s", why);
		return -1;
	}
	p->retry_count = (int)v;
	return 0;
}

/* One slot of gate.window.slots: {days, start, end}; 0, or -1 with
 * "field: reason" in e. */
static int
slot_from_json(json_t *o, struct rollout_slot *sl, char *e, size_t elen)
{
	static const char *const fields[] = { "days", "start", "end", NULL };
	const char *start = NULL, *end = NULL;
	json_t *days = json_object_get(o, "days"), *d;
	size_t i;
	int bit;

	if (!json_is_object(o)) {
		snprintf(e, elen, ": must be an object {days, start, end}");
		return -1;
	}
	if (jv_only(o, fields, e, elen) ||
	    jv_str(o, "start", 1, 5, 5, &start, e, elen) ||
	    jv_str(o, "end", 1, 5, 5, &end, e, elen))
		return -1;
	if (!json_is_array(days) || json_array_size(days) == 0 ||
	    json_array_size(days) > 7) {
		snprintf(e, elen, "days: must be an array of 1 to 7 of mon, "
		    "tue, wed, thu, fri, sat, sun");
		return -1;
	}
	sl->days = 0;
	json_array_foreach(days, i, d) {
		if (!json_is_string(d) ||
		    (bit = rollout_day_parse(json_string_value(d))) < 0) {
			snprintf(e, elen, "days[%zu]: must be one of mon, tue, "
			    "wed, thu, fri, sat, sun", i);
			return -1;
		}
		if (sl->days & (1u << bit)) {
			snprintf(e, elen, "days[%zu]: %s is named twice", i,
			    json_string_value(d));
			return -1;
		}
		sl->days |= (uint8_t)(1u << bit);
	}
	if (rollout_hhmm_parse(start, 0, &sl->start) != 0) {
		snprintf(e, elen, "start: must be a time of day HH:MM, 00:00 to "
		    "23:59");
		return -1;
	}
	if (rollout_hhmm_parse(end, 1, &sl->end) != 0 || sl->end == 0) {
		snprintf(e, elen, "end: must be a time of day HH:MM, 00:01 to "
		    "24:00 (before start: the next day)");
		return -1;
	}
	if (sl->end == sl->start) {
		snprintf(e, elen, "end: must differ from start (the slot would "
		    "be empty; 00:00 to 24:00 is the whole day)");
		return -1;
	}
	return 0;
}

/* Maintenance windows, gate.window: {tz, slots: [{days, start, end}]}
 * (rule, as the API shows it, is accepted and worked out again from tz);
 * null or absent: none. The zone is resolved here, once: a fixed offset
 * or UTC, else an IANA name through the tz database. 0, or -1 with
 * "window.field: reason" in e. */
static int
window_from_json(json_t *w, struct rollout_window *out, char *e, size_t elen)
{
	static const char *const fields[] = { "tz", "slots", "rule", NULL };
	const char *tz = NULL;
	json_t *slots, *v;
	char why[120];
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (w == NULL || json_is_null(w))
		return 0;
	if (!json_is_object(w)) {
		snprintf(e, elen, "window: must be an object {tz, slots} or "
		    "null");
		return -1;
	}
	if (jv_only(w, fields, why, sizeof(why)) ||
	    jv_str(w, "tz", 1, 1, ROLLOUT_TZ_NAME - 1, &tz, why, sizeof(why)) ||
	    jv_str(w, "rule", 0, 0, 200, &(const char *){ NULL }, why,
	    sizeof(why))) {
		snprintf(e, elen, "window.%s", why);
		return -1;
	}
	slots = json_object_get(w, "slots");
	if (!json_is_array(slots) || json_array_size(slots) == 0 ||
	    json_array_size(slots) > ROLLOUT_WINDOW_SLOTS) {
		snprintf(e, elen, "window.slots: must be an array of 1 to %d "
		    "slots {days, start, end}", ROLLOUT_WINDOW_SLOTS);
		return -1;
	}
	json_array_foreach(slots, i, v)
		if (slot_from_json(v, &out->slot[i], why, sizeof(why)) != 0) {
			snprintf(e, elen, "window.slots[%zu]%s%s", i,
			    why[0] == ':' ? "" : ".", why);
			return -1;
		}
	out->nslots = (int)json_array_size(slots);
	snprintf(out->tz, sizeof(out->tz), "%s", tz);
	if (rollout_tz_fixed(tz, out->rule) != 0 &&
	    (rc = util_tz_rule(tz, out->rule, sizeof(out->rule))) != 0) {
		snprintf(e, elen, "window.tz: %s", rc == -2 ? "the tz database "
		    "has no rule for times to come in this zone" : "must be an "
		    "IANA time zone such as Europe/Berlin, UTC or an offset "
		    "+HH:MM / -HH:MM");
		return -1;
	}
	if (rollout_tz_parse(out->rule, &out->zone) != 0) {
		snprintf(e, elen, "window.tz: its rule \"%s\" is not one otad "
		    "reads", out->rule);
		return -1;
	}
	return 0;
}

/* Gate policy from the API's "gate" object over the defaults; 0, or -1
 * with "gate.field: reason" in err. gate may be NULL. */
static int
campaign_policy_from_json(json_t *gate, struct rollout_policy *p, char *err,
    size_t errlen)
{
	static const char *const fields[] = { "min_sample", "max_failure_pct",
	    "bad_failure_pct", "false_halt_pct", "miss_pct", "baseline",
	    "min_healthy_pct", "bake_time", "report_timeout", "absent_timeout",
	    "auto_advance", "max_attempts", "min_stage_time", "max_in_flight",
	    "retry", "window", "membership", NULL };
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
	TIME_FIELD(min_stage_time)
	INT_FIELD(max_in_flight, 0, ROLLOUT_MAX_IN_FLIGHT)
	PCT_FIELD(max_failure_pct, 0.000001, 99.999999)
	p->bad_failure_pct = rollout_policy_bad_default(p->max_failure_pct);
	PCT_FIELD(bad_failure_pct, 0.000001, 99.999999)
	PCT_FIELD(false_halt_pct, 0.000001, 50)
	PCT_FIELD(miss_pct, 0.000001, 50)
	PCT_FIELD(min_healthy_pct, 0, 100)
	BOOL_FIELD(auto_advance)
	BOOL_FIELD(baseline)
	{
		const char *m = NULL;

		if (jv_str(gate, "membership", 0, 1, 16, &m, e, sizeof(e)))
			goto bad;
		if (m != NULL && rollout_membership_parse(m, &p->dynamic) != 0) {
			snprintf(err, errlen, "gate.membership: must be \"static\" "
			    "or \"dynamic\"");
			return -1;
		}
	}
	if (retry_from_json(json_object_get(gate, "retry"), p, e, sizeof(e)) ||
	    window_from_json(json_object_get(gate, "window"), &p->window, e,
	    sizeof(e)))
		goto bad;
#undef INT_FIELD
#undef TIME_FIELD
#undef PCT_FIELD
#undef BOOL_FIELD
	if (rollout_policy_validate(p, &bad) != 0) {
		snprintf(err, errlen, "gate.%s: %s", bad,
		    strcmp(bad, "bad_failure_pct") == 0 ?
		    "must be above max_failure_pct" :
		    strcmp(bad, "retry.count") == 0 ?
		    "max_attempts + retry.count must be at most 100" :
		    "out of range");
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "gate.%s", e);
	return -1;
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
campaign_start_at_text(const char *s, int64_t *out)
{
	if (s[0] >= '0' && s[0] <= '9' && strchr(s, '-') == NULL)
		return util_parse_int(s, 1, CAMPAIGN_START_MAX, out);
	return util_time_parse_rfc3339(s, out) != 0 || *out < 1 ||
	    *out > CAMPAIGN_START_MAX ? -1 : 0;
}

/* "start_at" of a create body: absent or null (0), epoch seconds or an
 * RFC 3339 time (UTC or with an offset). */
static int
start_at_from_json(json_t *v, int64_t *out, char *err, size_t errlen)
{
	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 1 &&
	    json_integer_value(v) <= CAMPAIGN_START_MAX) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) &&
	    campaign_start_at_text(json_string_value(v), out) == 0)
		return 0;
	snprintf(err, errlen, "start_at: must be an RFC 3339 time "
	    "(\"2026-12-24T06:00:00Z\", \"2026-12-24T07:00:00+01:00\") or "
	    "seconds since the epoch");
	return -1;
}

int
campaign_spec_parse(json_t *body, struct campaign_spec *out, char *err,
    size_t errlen)
{
	static const char *const fields[] = { "name", "release", "cohort",
	    "stages", "gate", "supersede", "start_at", NULL };

	memset(out, 0, sizeof(*out));
	if (jv_only(body, fields, err, errlen) ||
	    jv_str(body, "name", 0, 1, 64, &out->name, err, errlen) ||
	    jv_int(body, "release", 1, 1, INT64_MAX, &out->release_id, err,
	    errlen) ||
	    jv_ident(body, "cohort", 0, &out->cohort, err, errlen) ||
	    jv_bool(body, "supersede", &out->supersede, err, errlen) ||
	    campaign_policy_from_json(json_object_get(body, "gate"), &out->policy,
	    err, errlen) || start_at_from_json(json_object_get(body,
	    "start_at"), &out->start_at, err, errlen))
		return -1;
	return stages_from_json(json_object_get(body, "stages"), out->stages,
	    &out->nstages, err, errlen);
}

/* ---- reports ---- */

static int
valid_reason(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 40)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_'))
			return 0;
	return 1;
}

static int
bad(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return -1;
}

int
reports_status_parse(json_t *body, struct report_status *r, char *err,
    size_t errlen)
{
	static const char *const fields[] = { "campaign", "release", "state",
	    "reason", "detail", "boot_id", NULL };
	static const char *const states[] = { "downloading", "installed",
	    "confirmed", "failed", "rolled_back", NULL };
	const char *campaign = NULL, *release = NULL, *state = NULL;
	enum rollout_device_event ev;
	int i;

	r->reason = r->detail = r->boot_id = NULL;
	if (jv_only(body, fields, err, errlen) ||
	    jv_str(body, "campaign", 1, 1, 24, &campaign, err, errlen) ||
	    jv_str(body, "release", 1, 64, 64, &release, err, errlen) ||
	    jv_str(body, "state", 1, 1, 16, &state, err, errlen) ||
	    jv_str(body, "reason", 0, 1, 40, &r->reason, err, errlen) ||
	    jv_str(body, "detail", 0, 0, 256, &r->detail, err, errlen) ||
	    jv_str(body, "boot_id", 0, 1, REPORT_BOOT_MAX, &r->boot_id, err,
	    errlen))
		return -1;
	for (i = 0; states[i] != NULL && strcmp(states[i], state) != 0; i++)
		;
	if (states[i] == NULL || rollout_device_event_parse(state, &ev) != 0)
		return bad(err, errlen, "state: must be downloading, installed, "
		    "confirmed, failed or rolled_back");
	if (!jv_valid_sha256(release))
		return bad(err, errlen, "release: must be the lowercase hex "
		    "sha256 of the release envelope");
	if ((ev == ROLLOUT_EV_FAILED || ev == ROLLOUT_EV_ROLLED_BACK) &&
	    r->reason == NULL)
		return bad(err, errlen, "reason: failed and rolled_back need a "
		    "reason class such as hash, signature or selftest");
	if (r->reason != NULL && !valid_reason(r->reason))
		return bad(err, errlen, "reason: 1 to 40 of a-z 0-9 _");
	if (r->boot_id != NULL && !reports_valid_boot_id(r->boot_id))
		return bad(err, errlen, "boot_id: 1 to 64 of A-Z a-z 0-9 . _ : -");
	r->campaign = 0;
	if (strcmp(campaign, "direct") != 0 &&
	    util_parse_int(campaign, 1, INT64_MAX, &r->campaign) != 0)
		return bad(err, errlen, "campaign: must be \"direct\" or a "
		    "campaign id, as in the assignment");
	memcpy(r->release, release, 65);
	r->event = (int)ev;
	return 0;
}

int
reports_health_parse(json_t *body, struct report_health *h, char *err,
    size_t errlen)
{
	static const char *const fields[] = { "fw_version", "boot_ok",
	    "selftest", "crash_count", "uptime_s", "boot_id", NULL };
	const char *fw = NULL, *selftest = NULL, *boot = NULL;

	h->boot_ok = -1;
	h->crash_count = h->uptime_s = 0;
	if (jv_only(body, fields, err, errlen) ||
	    jv_ident(body, "fw_version", 1, &fw, err, errlen) ||
	    jv_bool(body, "boot_ok", &h->boot_ok, err, errlen) ||
	    jv_str(body, "selftest", 1, 4, 4, &selftest, err, errlen) ||
	    jv_int(body, "crash_count", 0, 0, INT32_MAX, &h->crash_count, err,
	    errlen) ||
	    jv_int(body, "uptime_s", 0, 0, INT64_MAX / 2, &h->uptime_s, err,
	    errlen) ||
	    jv_str(body, "boot_id", 0, 1, REPORT_BOOT_MAX, &boot, err, errlen))
		return -1;
	if (h->boot_ok < 0) {
		snprintf(err, errlen, "boot_ok: is required (true or false)");
		return -1;
	}
	if (strcmp(selftest, "pass") != 0 && strcmp(selftest, "fail") != 0) {
		snprintf(err, errlen, "selftest: must be \"pass\" or \"fail\"");
		return -1;
	}
	if (boot != NULL && !reports_valid_boot_id(boot)) {
		snprintf(err, errlen, "boot_id: 1 to 64 of A-Z a-z 0-9 . _ : -");
		return -1;
	}
	h->selftest_ok = strcmp(selftest, "pass") == 0;
	h->unhealthy = !h->boot_ok || !h->selftest_ok || h->crash_count > 0;
	snprintf(h->fw_version, sizeof(h->fw_version), "%s", fw);
	snprintf(h->boot_id, sizeof(h->boot_id), "%s", boot ? boot : "");
	return 0;
}
