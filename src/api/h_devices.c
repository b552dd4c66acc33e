/* Devices: provisioning (one or many, all or nothing, tokens shown once),
 * listing with filters, and one device with its history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/campaigns.h"
#include "db/ddi.h"
#include "db/devices.h"
#include "db/releases.h"
#include "api/auth.h"
#include "api/handlers.h"
#include "core/offers.h"
#include "sign/crypto.h"
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

/* Checks one device object into d; -1 with the reason in err, naming
 * "devices[i]." in a list. */
static int
check_device(json_t *o, size_t i, int single, struct db_new_device *d,
    char *err, size_t errlen)
{
	static const char *const fields[] = { "device_id", "hw_class", "tags",
	    "fw_version", NULL };
	char prefix[32] = "", e[256];
	json_t *tags, *t;
	size_t k;

	if (!single)
		snprintf(prefix, sizeof(prefix), "devices[%zu].", i);
	if (jv_only(o, fields, e, sizeof(e)) ||
	    jv_ident(o, "device_id", 1, &d->device_id, e, sizeof(e)) ||
	    jv_ident(o, "hw_class", 1, &d->hw_class, e, sizeof(e)) ||
	    jv_ident(o, "fw_version", 1, &d->fw_version, e, sizeof(e)))
		goto bad;
	tags = json_object_get(o, "tags");
	if (tags != NULL && !json_is_null(tags)) {
		if (!json_is_array(tags) || json_array_size(tags) > DB_TAGS_MAX) {
			snprintf(e, sizeof(e), "tags: must be an array of at most "
			    "%d identifiers", DB_TAGS_MAX);
			goto bad;
		}
		json_array_foreach(tags, k, t) {
			if (!json_is_string(t) ||
			    !jv_valid_ident(json_string_value(t))) {
				snprintf(e, sizeof(e), "tags[%zu]: must be 1 to 64 "
				    "of A-Z a-z 0-9 . _ : -", k);
				goto bad;
			}
			d->tags[d->ntags++] = json_string_value(t);
		}
	}
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
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o}", "device_id", d->device_id,
	    "hw_class", d->hw_class, "fw_version", d->fw_version, "tags", tags,
	    "created_at", api_time(d->created_at), "last_seen",
	    api_time(d->last_seen));
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
	json_t *arr, *last;
	int rc;

	if (api_page(a, &f.limit, &f.after) != 0)
		return;
	f.hw_class = http_query(a->http, "hw_class");
	f.tag = http_query(a->http, "tag");
	f.cohort = http_query(a->http, "cohort");
	f.fw_version = http_query(a->http, "fw_version");
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
	last = json_array_get(arr, json_array_size(arr) - 1);
	api_json(a, 200, json_pack("{s:o,s:o}", "devices", arr, "next",
	    (int64_t)json_array_size(arr) == f.limit && last != NULL ?
	    json_incref(json_object_get(last, "device_id")) : json_null()));
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
