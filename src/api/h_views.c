/* Operators' views: a campaign's members by stage and state, and the
 * audit trail. */
#include <stdlib.h>
#include <string.h>

#include "db/audit.h"
#include "db/campaign_views.h"
#include "db/campaigns.h"
#include "api/handlers.h"
#include "util/util.h"

/* The 1-based stage whose buckets hold bucket (stages are cumulative
 * percentages: stage i holds [stages[i-1] * 100, stages[i] * 100)). */
static int
stage_of(const struct db_campaign *c, uint32_t bucket)
{
	int i = 0;

	while (i < c->nstages - 1 && bucket >= (uint32_t)c->stages[i] * 100)
		i++;
	return i + 1;
}

struct member_ctx {
	const struct db_campaign *c;
	json_t *arr;
};

static void
member_one(const struct db_member_view *m, void *arg)
{
	struct member_ctx *mc = arg;
	json_t *o = json_pack("{s:s,s:i,s:i,s:s,s:i,s:o,s:s,s:o}", "device_id",
	    m->device_id, "bucket", (int)m->bucket, "stage",
	    stage_of(mc->c, m->bucket), "state",
	    rollout_device_state_name(m->state), "attempts", m->attempts,
	    "last_change", api_time(m->last_change), "fw_version",
	    m->fw_version, "last_seen", api_time(m->last_seen));

	if (o != NULL && m->reason[0] != '\0')
		json_object_set_new(o, "reason", json_string(m->reason));
	json_array_append_new(mc->arr, o);
}

/* ?stage=N (1-based) as a bucket range of c; ?state= a member state.
 * 0, or -1 having replied 400. */
static int
member_filter(struct api_req *a, const struct db_campaign *c,
    struct db_member_filter *f)
{
	const char *stage = http_query(a->http, "stage");
	const char *state = http_query(a->http, "state");
	int64_t n;

	f->campaign = c->id;
	f->hi = 10000;
	f->any_state = state == NULL;
	if (state != NULL && rollout_device_state_parse(state, &f->state) != 0) {
		api_err(a, 400, "bad_query", "state: not a member state "
		    "(pending, offered, downloading, installed, confirmed, "
		    "healthy, failed, rolled_back, timed_out, superseded)");
		return -1;
	}
	if (stage == NULL)
		return 0;
	if (c->nstages < 1 || util_parse_int(stage, 1, c->nstages, &n) != 0) {
		api_err(a, 400, "bad_query", "stage: must be a stage of campaign "
		    "%lld, 1 to %d", (long long)c->id, c->nstages);
		return -1;
	}
	f->lo = n > 1 ? (uint32_t)c->stages[n - 2] * 100 : 0;
	f->hi = n < c->nstages ? (uint32_t)c->stages[n - 1] * 100 : 10000;
	return 0;
}

static void
members_reply(struct api_req *a, const struct db_campaign *c)
{
	struct db_member_filter f = { 0 };
	struct member_ctx mc = { c, NULL };
	json_t *last;
	int rc;

	if (api_page(a, &f.limit, &f.after) != 0 || member_filter(a, c, &f) != 0)
		return;
	mc.arr = json_array();
	rc = db_member_list(a->srv->core.db, &f, member_one, &mc);
	if (rc != DB_OK) {
		json_decref(mc.arr);
		api_err_db(a, rc, "list the members");
		return;
	}
	last = json_array_get(mc.arr, json_array_size(mc.arr) - 1);
	api_json(a, 200, json_pack("{s:I,s:o,s:o}", "campaign",
	    (json_int_t)c->id, "devices", mc.arr, "next",
	    (int64_t)json_array_size(mc.arr) == f.limit && last != NULL ?
	    json_incref(json_object_get(last, "device_id")) : json_null()));
}

int
h_campaign_load(struct api_req *a, int64_t id, struct db_campaign **out)
{
	struct db_campaign *c = malloc(sizeof(*c));
	int rc;

	if (c == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return -1;
	}
	rc = db_campaign_get(a->srv->core.db, id, c);
	if (rc == DB_NOTFOUND)
		api_err(a, 404, "not_found", "no campaign %lld", (long long)id);
	else if (rc != DB_OK)
		api_err_db(a, rc, "read the campaign");
	if (rc != DB_OK) {
		free(c);
		return -1;
	}
	*out = c;
	return 0;
}

void
h_campaigns_devices(struct api_req *a)
{
	struct db_campaign *c;
	int64_t id;

	if (util_parse_int(a->args[0], 1, INT64_MAX, &id) != 0) {
		api_err(a, 404, "not_found", "no campaign %.40s", a->args[0]);
		return;
	}
	if (h_campaign_load(a, id, &c) != 0)
		return;
	members_reply(a, c);
	free(c);
}

/* ---- GET /v1/audit ---- */

static void
audit_one(const struct db_audit *r, void *arg)
{
	json_t *o = json_pack("{s:I,s:o,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,"
	    "s:s}", "id", (json_int_t)r->id, "at", api_time(r->at), "actor",
	    r->actor, "client", r->client, "request_id", r->request_id,
	    "method", r->method, "path", r->path, "object", "type",
	    r->object_type, "id", r->object_id, "action", r->action, "note",
	    r->note);

	if (o == NULL)
		return;
	/* No status: the change committed, and the daemon stopped before it
	 * recorded the reply. */
	json_object_set_new(o, "status", r->status ? json_integer(r->status) :
	    json_null());
	json_object_set_new(o, "error", r->error[0] ? json_string(r->error) :
	    json_null());
	json_array_append_new(arg, o);
}

/* A time filter: RFC 3339 ("2026-12-01T00:00:00Z", or with an offset);
 * 0 when absent. */
static int
time_query(struct api_req *a, const char *name, int64_t *out)
{
	const char *v = http_query(a->http, name);

	*out = 0;
	if (v == NULL)
		return 0;
	if (util_time_parse_rfc3339(v, out) != 0 || *out <= 0) {
		api_err(a, 400, "bad_query", "%s: want an RFC 3339 time such "
		    "as 2026-12-01T00:00:00Z (an offset's + written %%2B)", name);
		return -1;
	}
	return 0;
}

/* ?object=TYPE or TYPE:ID into type and id (in buf). */
static int
object_query(struct api_req *a, struct db_audit_filter *f, char *buf,
    size_t size)
{
	const char *v = http_query(a->http, "object");
	char *colon;

	if (v == NULL)
		return 0;
	if (v[0] == '\0' || util_fmt(buf, size, "%s", v) != 0) {
		api_err(a, 400, "bad_query", "object: want TYPE or TYPE:ID, such "
		    "as device:dev-0001");
		return -1;
	}
	f->object_type = buf;
	if ((colon = strchr(buf, ':')) != NULL) {
		*colon = '\0';
		f->object_id = colon + 1;
	}
	return 0;
}

void
h_audit_list(struct api_req *a)
{
	struct db_audit_filter f = { 0 };
	const char *cursor;
	char object[API_ARG_MAX + 32];
	json_t *arr, *last;
	int rc;

	if (api_page(a, &f.limit, &cursor) != 0 ||
	    time_query(a, "since", &f.since) != 0 ||
	    time_query(a, "until", &f.until) != 0 ||
	    object_query(a, &f, object, sizeof(object)) != 0)
		return;
	if (cursor != NULL && util_parse_int(cursor, 1, INT64_MAX, &f.after)) {
		api_err(a, 400, "bad_query", "after: must be an audit record id");
		return;
	}
	f.actor = http_query(a->http, "actor");
	arr = json_array();
	rc = db_audit_list(a->srv->core.db, &f, audit_one, arr);
	if (rc != DB_OK) {
		json_decref(arr);
		api_err_db(a, rc, "list the audit trail");
		return;
	}
	last = json_array_get(arr, json_array_size(arr) - 1);
	api_json(a, 200, json_pack("{s:o,s:o}", "records", arr, "next",
	    (int64_t)json_array_size(arr) == f.limit && last != NULL ?
	    json_incref(json_object_get(last, "id")) : json_null()));
}
