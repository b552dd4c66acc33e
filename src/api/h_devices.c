/* Devices: provisioning (one or many, all or nothing, tokens shown once),
 * listing with filters, and one device with its history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/campaigns.h"
#include "db/ddi.h"
#include "db/devices.h"
#include "db/lifecycle.h"
#include "db/releases.h"
#include "api/auth.h"
#include "api/handlers.h"
#include "core/offers.h"
#include "sign/crypto.h"
#include "sign/semver.h"
#include "util/util.h"

#define PROVISION_MAX 100000

struct provision {
	struct db_devices_add add;
	char (*tokens)[AUTH_TOKEN_MAX];
	int single;
};

static void
provision_cleanup(struct api_req *a, int ok)
{
	struct provision *p = a->state;

	(void)ok;
	if (p->tokens != NULL)
		sign_wipe(p->tokens, p->add.n * sizeof(*p->tokens));
	free(p->tokens);
	free(p->add.items);
	free(p);
}

/* "tags": null or absent (nothing), or an array of identifiers into
 * tags (borrowed from v). 0, or -1 with the reason in e. */
static int
read_tags(json_t *v, const char *tags[DB_TAGS_MAX], int *n, char *e,
    size_t elen)
{
	json_t *t;
	size_t k;

	*n = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) > DB_TAGS_MAX) {
		snprintf(e, elen, "tags: must be an array of at most %d "
		    "identifiers", DB_TAGS_MAX);
		return -1;
	}
	json_array_foreach(v, k, t) {
		if (!json_is_string(t) || !util_valid_ident(json_string_value(t))) {
			snprintf(e, elen, "tags[%zu]: must be 1 to 64 of A-Z a-z "
			    "0-9 . _ : -", k);
			return -1;
		}
		tags[(*n)++] = json_string_value(t);
	}
	return 0;
}

/* Checks one device object into d; -1 with the reason in err, naming
 * "devices[i]." in a list. */
static int
check_device(json_t *o, size_t i, int single, struct db_new_device *d,
    char *err, size_t errlen)
{
	static const char *const fields[] = { "device_id", "hw_class", "tags",
	    "fw_version", NULL };
	char prefix[32] = "", e[256];

	if (!single)
		snprintf(prefix, sizeof(prefix), "devices[%zu].", i);
	if (jv_only(o, fields, e, sizeof(e)) ||
	    jv_ident(o, "device_id", 1, &d->device_id, e, sizeof(e)) ||
	    jv_ident(o, "hw_class", 1, &d->hw_class, e, sizeof(e)) ||
	    jv_ident(o, "fw_version", 1, &d->fw_version, e, sizeof(e)))
		goto bad;
	/* A device on a version without semver precedence refuses every
	 * release (sign_check_update): catch it at the door. */
	if (!sign_semver_valid(d->fw_version)) {
		snprintf(e, sizeof(e), "fw_version: device %s: \"%s\" is not "
		    "MAJOR.MINOR.PATCH[-PRERELEASE], so it would refuse every "
		    "release", d->device_id, d->fw_version);
		goto bad;
	}
	if (read_tags(json_object_get(o, "tags"), d->tags, &d->ntags, e,
	    sizeof(e)) != 0)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "%s%s", prefix, e);
	return -1;
}

int
h_devices_parse(json_t *body, struct db_new_device **items, size_t *n,
    int *single, char *err, size_t errlen)
{
	json_t *o;
	size_t i;

	*items = NULL;
	*n = 0;
	*single = json_is_object(body);
	if (!*single && (!json_is_array(body) || json_array_size(body) == 0 ||
	    json_array_size(body) > PROVISION_MAX)) {
		snprintf(err, errlen, "body: must be a device object or an array "
		    "of 1 to %d of them", PROVISION_MAX);
		return -1;
	}
	*n = *single ? 1 : json_array_size(body);
	if ((*items = calloc(*n, sizeof(**items))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -2;
	}
	if (*single)
		return check_device(body, 0, 1, &(*items)[0], err, errlen);
	json_array_foreach(body, i, o)
		if (check_device(o, i, 0, &(*items)[i], err, errlen) != 0)
			return -1;
	return 0;
}

static void
provision_then(struct api_req *a, int rc)
{
	struct provision *p = a->state;
	json_t *out;

	if (rc == DB_CONFLICT) {
		char prefix[32] = "";

		if (!p->single)
			snprintf(prefix, sizeof(prefix), "devices[%zu].",
			    p->add.failed);
		api_err(a, 409, "exists", "%sdevice_id %s exists or repeats; "
		    "nothing was provisioned", prefix,
		    p->add.items[p->add.failed].device_id);
		return;
	}
	if (rc != DB_OK) {
		api_err_db(a, rc, "provision the devices");
		return;
	}
	if (p->add.n == 1)
		api_audit_object(a, "%s", p->add.items[0].device_id);
	api_audit_note(a, "provisioned %zu: %s%s", p->add.n,
	    p->add.items[0].device_id, p->add.n > 1 ? ", ..." : "");
	out = json_array();
	for (size_t i = 0; i < p->add.n; i++)
		json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "device_id",
		    p->add.items[i].device_id, "hw_class",
		    p->add.items[i].hw_class, "token", p->tokens[i]));
	if (p->single) {
		json_t *one = json_incref(json_array_get(out, 0));
		json_decref(out);
		api_json(a, 201, one);
		return;
	}
	api_json(a, 201, json_pack("{s:o}", "devices", out));
}

void
h_devices_add(struct api_req *a)
{
	struct provision *p;
	int rc;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return;
	}
	a->state = p;
	a->cleanup = provision_cleanup;
	/* The strings stay owned by a->json, which lives until the reply. */
	rc = h_devices_parse(a->json, &p->add.items, &p->add.n, &p->single,
	    AE(a));
	if (rc == -2 || (rc == 0 &&
	    (p->tokens = calloc(p->add.n, sizeof(*p->tokens))) == NULL)) {
		api_err(a, 503, "out_of_memory", "try again later");
		return;
	}
	if (rc != 0) {
		api_err(a, 422, "invalid_field", "%s", a->err);
		return;
	}
	for (size_t i = 0; i < p->add.n; i++) {
		if (auth_token_new("dev_", p->tokens[i], sizeof(p->tokens[i]),
		    p->add.items[i].token_hash) != 0) {
			api_err(a, 500, "internal", "cannot make a token");
			return;
		}
	}
	p->add.now = util_now();
	api_write(a, db_devices_add, &p->add, provision_then);
}

static json_t *
device_json(const struct db_device *d)
{
	json_t *tags = json_array();

	for (int i = 0; i < d->ntags; i++)
		json_array_append_new(tags, json_string(d->tags[i]));
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "device_id",
	    d->device_id, "hw_class", d->hw_class, "fw_version", d->fw_version,
	    "tags", tags, "created_at", api_time(d->created_at), "last_seen",
	    api_time(d->last_seen), "decommissioned_at",
	    api_time(d->decommissioned_at));
}

static void
list_one(const struct db_device *d, void *arg)
{
	json_array_append_new(arg, device_json(d));
}

void
h_devices_list(struct api_req *a)
{
	struct db_device_filter f = { 0 };
	json_t *arr;
	int rc;

	if (api_page(a, &f.limit, &f.after) != 0)
		return;
	if (api_query_ident(a, "hw_class", &f.hw_class) != 0 ||
	    api_query_ident(a, "tag", &f.tag) != 0 ||
	    api_query_ident(a, "cohort", &f.cohort) != 0)
		return;
	f.fw_version = http_query(a->http, "fw_version");
	if (f.fw_version != NULL && !sign_semver_valid(f.fw_version)) {
		api_err(a, 400, "bad_query", "fw_version: not a semantic "
		    "version (1.2.3)");
		return;
	}
	f.state = http_query(a->http, "state");
	if (http_query(a->http, "campaign") != NULL &&
	    util_parse_int(http_query(a->http, "campaign"), 1, INT64_MAX,
	    &f.campaign) != 0) {
		api_err(a, 400, "bad_query", "campaign: must be a campaign id");
		return;
	}
	if (f.state != NULL && f.campaign == 0) {
		api_err(a, 400, "bad_query", "state: filters members of a "
		    "campaign; give campaign= too");
		return;
	}
	arr = json_array();
	rc = db_device_list(a->srv->core.db, &f, list_one, arr);
	if (rc != DB_OK) {
		json_decref(arr);
		api_err_db(a, rc, "list the devices");
		return;
	}
	api_page_reply(a, "devices", arr, f.limit, "device_id");
}

#define HISTORY_MAX 100
#define SAMPLES_MAX 20

static void
event_one(const struct db_event *e, void *arg)
{
	json_t *o = json_pack("{s:o,s:s}", "at", api_time(e->at), "kind",
	    e->kind);

	if (e->release_id)
		json_object_set_new(o, "release", json_integer(e->release_id));
	if (e->campaign_id)
		json_object_set_new(o, "campaign", json_integer(e->campaign_id));
	if (e->state[0])
		json_object_set_new(o, "state", json_string(e->state));
	if (e->reason[0])
		json_object_set_new(o, "reason", json_string(e->reason));
	if (e->detail[0])
		json_object_set_new(o, "detail", json_string(e->detail));
	json_object_set_new(o, "t", json_integer(e->at));
	json_array_append_new(arg, o);
}

/* A health report's fields as one line of history text. */
static json_t *
health_detail(const struct db_health *h)
{
	char d[256];

	if (snprintf(d, sizeof(d), "fw_version=%s boot_ok=%s selftest=%s "
	    "crash_count=%lld uptime_s=%lld%s%s", h->fw_version,
	    h->boot_ok ? "true" : "false", h->selftest_ok ? "pass" : "fail",
	    (long long)h->crash_count, (long long)h->uptime_s,
	    h->boot_id[0] ? " boot_id=" : "", h->boot_id) >= (int)sizeof(d))
		d[sizeof(d) - 1] = '\0';
	return json_string(d);
}

static void
sample_one(const struct db_health *h, void *arg)
{
	json_array_append_new(arg, json_pack("{s:o,s:s,s:s,s:o,s:I}", "at",
	    api_time(h->at), "kind", "health", "state", h->unhealthy ?
	    "unhealthy" : "healthy", "detail", health_detail(h), "t",
	    (json_int_t)h->at));
}

/* The update history and the sampled health history, each newest first
 * and read with its own limit (health reports never push updates out),
 * merged by time; at the same second a health sample comes first. */
static json_t *
merge_history(json_t *events, json_t *samples)
{
	json_t *out = json_array(), *v;
	size_t i = 0, k = 0, n = json_array_size(events);
	size_t m = json_array_size(samples);

	while (i < n || k < m) {
		json_t *e = json_array_get(events, i);
		json_t *h = json_array_get(samples, k);

		if (e == NULL || (h != NULL && json_integer_value(json_object_get(h,
		    "t")) >= json_integer_value(json_object_get(e, "t")))) {
			v = h;
			k++;
		} else {
			v = e;
			i++;
		}
		json_object_del(v, "t");
		json_array_append(out, v);
	}
	json_decref(events);
	json_decref(samples);
	return out;
}

/* The device's latest health report and its counters, or null. */
static json_t *
health_json(struct api_req *a, int64_t device)
{
	struct db_health h;

	if (db_health_get(a->srv->core.db, device, &h) != DB_OK)
		return json_null();
	return json_pack("{s:o,s:s,s:s,s:b,s:s,s:I,s:I,s:s?,s:I,s:I,s:I,s:o}",
	    "at", api_time(h.at), "health", h.unhealthy ? "unhealthy" :
	    "healthy", "fw_version", h.fw_version, "boot_ok", h.boot_ok,
	    "selftest", h.selftest_ok ? "pass" : "fail", "crash_count",
	    (json_int_t)h.crash_count, "uptime_s", (json_int_t)h.uptime_s,
	    "boot_id", h.boot_id[0] ? h.boot_id : NULL, "reports",
	    (json_int_t)h.reports, "unhealthy_reports",
	    (json_int_t)h.unhealthy_reports, "crashes", (json_int_t)h.crashes,
	    "since", api_time(h.first_at));
}

static void
membership_one(const struct db_membership *ms, void *arg)
{
	json_array_append_new(arg, json_pack("{s:I,s:s,s:I,s:s,s:s?,s:i,s:i,"
	    "s:o,s:o,s:s?}", "campaign", (json_int_t)ms->m.campaign,
	    "campaign_state", rollout_campaign_state_name(ms->campaign_state),
	    "release", (json_int_t)ms->release_id, "state",
	    rollout_device_state_name(ms->m.state), "reason",
	    ms->m.reason[0] ? ms->m.reason : NULL, "attempts", ms->m.attempts,
	    "bucket", (int)ms->m.bucket, "last_change",
	    api_time(ms->m.last_change), "confirmed_at",
	    api_time(ms->m.confirmed_at), "installed_boot_id",
	    ms->m.install_boot[0] ? ms->m.install_boot : NULL));
}

/* Adds the device's direct offer and campaign memberships to its view. */
static void
describe_offers(struct api_req *a, int64_t device, json_t *out)
{
	struct db_offer off;
	json_t *camps = json_array();

	if (db_device_memberships(a->srv->core.db, device, membership_one, camps) ==
	    DB_OK)
		json_object_set_new(out, "campaigns", camps);
	else
		json_decref(camps);

	if (db_offer_get(a->srv->core.db, device, &off) == DB_OK)
		json_object_set_new(out, "offer", json_pack("{s:I,s:s,s:s?,s:o,"
		    "s:o,s:s,s:s?}", "release", (json_int_t)off.release_id,
		    "state", rollout_device_state_name(off.state), "reason", off.reason[0] ? off.reason :
		    NULL, "created_at", api_time(off.created_at), "updated_at",
		    api_time(off.updated_at), "created_by", off.created_by,
		    "installed_boot_id", off.install_boot[0] ? off.install_boot :
		    NULL));
	else
		json_object_set_new(out, "offer", json_null());
}

static void
attribute_one(const char *key, const char *value, void *arg)
{
	json_object_set_new(arg, key, json_string(value));
}

/* What a DDI device said about itself in configData ({} if nothing,
 * null if the store failed). */
static json_t *
attributes_json(struct api_req *a, int64_t device)
{
	json_t *o = json_object();

	if (db_ddi_attrs(a->srv->core.db, device, attribute_one, o) != DB_OK) {
		json_decref(o);
		return json_null();
	}
	return o;
}

void
h_devices_get(struct api_req *a)
{
	struct db_device d;
	json_t *out, *hist, *samples;
	int rc = db_device_get(a->srv->core.db, a->args[0], &d);

	if (rc == DB_NOTFOUND) {
		api_err(a, 404, "not_found", "no device %s", a->args[0]);
		return;
	}
	if (rc != DB_OK) {
		api_err_db(a, rc, "read the device");
		return;
	}
	out = device_json(&d);
	hist = json_array();
	samples = json_array();
	rc = db_device_events(a->srv->core.db, d.id, HISTORY_MAX, event_one, hist);
	if (rc == DB_OK)
		rc = db_health_samples(a->srv->core.db, d.id, SAMPLES_MAX, sample_one,
		    samples);
	if (rc != DB_OK) {
		json_decref(out);
		json_decref(hist);
		json_decref(samples);
		api_err_db(a, rc, "read the device's history");
		return;
	}
	json_object_set_new(out, "history", merge_history(hist, samples));
	json_object_set_new(out, "health", health_json(a, d.id));
	json_object_set_new(out, "attributes", attributes_json(a, d.id));
	describe_offers(a, d.id, out);
	api_json(a, 200, out);
}

/* ---- lifecycle: change, decommission, delete, new token ---- */

#define PATCH_COHORTS_MAX 256

struct patch_state {
	struct db_device_patch p;
	const char *cohorts[PATCH_COHORTS_MAX];
	char detail[512];
};

static void
lifecycle_cleanup(struct api_req *a, int ok)
{
	(void)ok;
	free(a->state);
}

/* "cohorts": an array of cohort names into s; 0, or -1 with a->err. */
static int
read_cohorts(struct api_req *a, json_t *v, struct patch_state *s)
{
	json_t *c;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) > PATCH_COHORTS_MAX) {
		snprintf(AE(a), "cohorts: must be an array of at most %d cohort "
		    "names", PATCH_COHORTS_MAX);
		return -1;
	}
	json_array_foreach(v, i, c) {
		if (!json_is_string(c) || !util_valid_ident(json_string_value(c))) {
			snprintf(AE(a), "cohorts[%zu]: must be a cohort name", i);
			return -1;
		}
		s->cohorts[i] = json_string_value(c);
	}
	s->p.cohorts = s->cohorts;
	s->p.ncohorts = json_array_size(v);
	s->p.set_cohorts = 1;
	return 0;
}

static void
patch_then(struct api_req *a, int rc)
{
	struct patch_state *s = a->state;

	if (rc == DB_NOTFOUND)
		api_err(a, 404, "not_found", "no device %s", a->args[0]);
	else if (rc == DB_CONFLICT && s->p.conflict_offer != 0)
		api_err(a, 409, "offer_conflict", "device %s has a direct offer "
		    "of release %lld in flight, which does not list hw class %s; "
		    "unassign it first (DELETE /v1/devices/%s/assign); nothing "
		    "was changed", a->args[0], (long long)s->p.conflict_offer,
		    s->p.hw_class, a->args[0]);
	else if (rc == DB_CONFLICT)
		api_err(a, 409, "campaign_conflict", "campaign %lld (running or "
		    "paused) holds device %s and its release does not list hw "
		    "class %s; nothing was changed", (long long)s->p.conflict,
		    a->args[0], s->p.hw_class);
	else if (rc == DB_INVALID)
		api_err(a, 422, "unknown_cohort", "cohorts[%zu]: no cohort %s; "
		    "nothing was changed", s->p.missing,
		    s->p.cohorts[s->p.missing]);
	else if (rc != DB_OK)
		api_err_db(a, rc, "change the device");
	else
		h_devices_get(a);
}

void
h_devices_patch(struct api_req *a)
{
	static const char *const fields[] = { "tags", "hw_class", "cohorts",
	    NULL };
	struct patch_state *s = calloc(1, sizeof(*s));
	json_t *cohorts = json_object_get(a->json, "cohorts");
	char *text;

	if (s == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return;
	}
	a->state = s;
	a->cleanup = lifecycle_cleanup;
	if (!json_is_object(a->json) || json_object_size(a->json) == 0) {
		snprintf(AE(a), "body: give tags, hw_class or cohorts to change");
		api_invalid(a);
		return;
	}
	s->p.set_tags = json_object_get(a->json, "tags") != NULL;
	if (jv_only(a->json, fields, AE(a)) ||
	    jv_ident(a->json, "hw_class", 0, &s->p.hw_class, AE(a)) ||
	    read_tags(json_object_get(a->json, "tags"), s->p.tags, &s->p.ntags,
	    AE(a)) || (cohorts != NULL && read_cohorts(a, cohorts, s) != 0)) {
		api_invalid(a);
		return;
	}
	/* The history keeps what was asked, as sent (cut to fit). */
	text = json_dumps(a->json, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(s->detail, sizeof(s->detail), "%s", text ? text : "");
	free(text);
	s->p.device_id = a->args[0];
	s->p.detail = s->detail;
	api_write(a, db_device_patch, &s->p, patch_then);
}

static struct db_device_retire *
retire_state(struct api_req *a)
{
	struct db_device_retire *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return NULL;
	}
	a->state = r;
	a->cleanup = lifecycle_cleanup;
	r->device_id = a->args[0];
	r->now = util_now();
	return r;
}

static void
decommission_then(struct api_req *a, int rc)
{
	if (rc == DB_NOTFOUND)
		api_err(a, 404, "not_found", "no device %s", a->args[0]);
	else if (rc != DB_OK)
		api_err_db(a, rc, "decommission the device");
	else
		h_devices_get(a);
}

void
h_devices_decommission(struct api_req *a)
{
	struct db_device_retire *r = retire_state(a);

	if (r != NULL)
		api_write(a, db_device_decommission, r, decommission_then);
}

static void
delete_then(struct api_req *a, int rc)
{
	struct db_device_retire *r = a->state;

	if (rc == DB_NOTFOUND)
		api_err(a, 404, "not_found", "no device %s", a->args[0]);
	else if (rc == DB_CONFLICT)
		api_err(a, 409, "campaign_conflict", "device %s is %s in campaign "
		    "%lld (running or paused): wait until it has reported, abort "
		    "the campaign, or decommission the device instead",
		    a->args[0], r->conflict_state, (long long)r->conflict);
	else if (rc != DB_OK)
		api_err_db(a, rc, "delete the device");
	else
		http_reply(a->http, 204, NULL, "", 0);
}

void
h_devices_delete(struct api_req *a)
{
	struct db_device_retire *r = retire_state(a);

	if (r != NULL)
		api_write(a, db_device_delete, r, delete_then);
}

struct token_state {
	struct db_device_retire r;
	uint8_t hash[32];
	char token[AUTH_TOKEN_MAX];
};

static void
token_cleanup(struct api_req *a, int ok)
{
	struct token_state *t = a->state;

	(void)ok;
	sign_wipe(t->token, sizeof(t->token));
	free(t);
}

static void
token_then(struct api_req *a, int rc)
{
	struct token_state *t = a->state;

	if (rc == DB_NOTFOUND)
		api_err(a, 404, "not_found", "no device %s", a->args[0]);
	else if (rc == DB_CONFLICT)
		api_err(a, 409, "decommissioned", "device %s is decommissioned; "
		    "provision it again under a new device_id", a->args[0]);
	else if (rc != DB_OK)
		api_err_db(a, rc, "store the new token");
	else
		api_json(a, 200, json_pack("{s:s,s:s}", "device_id", a->args[0],
		    "token", t->token));
}

void
h_devices_token(struct api_req *a)
{
	struct token_state *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return;
	}
	a->state = t;
	a->cleanup = token_cleanup;
	if (auth_token_new("dev_", t->token, sizeof(t->token), t->hash) != 0) {
		api_err(a, 500, "internal", "cannot make a token");
		return;
	}
	t->r.device_id = a->args[0];
	t->r.token_hash = t->hash;
	api_write(a, db_device_token, &t->r, token_then);
}
