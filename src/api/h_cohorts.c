/* Cohorts: create, replace, add and remove members, delete, list, show
 * with members. */
#include <stdlib.h>
#include <string.h>

#include "db/cohorts.h"
#include "db/lifecycle.h"
#include "api/handlers.h"
#include "util/util.h"

#define COHORT_MAX_DEVICES 1000000

struct cohort_state {
	struct db_cohort_write w;
	struct db_cohort_edit e;	/* add, remove, delete */
	const char *one[1];
};

static void
cohort_cleanup(struct api_req *a, int ok)
{
	struct cohort_state *s = a->state;

	(void)ok;
	free(s->w.device_ids);
	free(s);
}

static void
write_then(struct api_req *a, int rc)
{
	struct cohort_state *s = a->state;

	if (rc == DB_CONFLICT)
		api_err(a, 409, "exists", "a cohort named %s exists", s->w.name);
	else if (rc == DB_NOTFOUND)
		api_err(a, 404, "not_found", "no cohort %s", s->w.name);
	else if (rc == DB_INVALID)
		api_err(a, 422, "unknown_device", "devices[%zu]: no device %s; "
		    "nothing was changed", s->w.missing,
		    s->w.device_ids[s->w.missing]);
	else if (rc != DB_OK)
		api_err_db(a, rc, "store the cohort");
	else {
		api_audit_object(a, "%s", s->w.name);
		api_audit_note(a, "%lld devices", (long long)s->w.count);
		api_json(a, s->w.create ? 201 : 200, json_pack("{s:s,s:I}", "name",
		    s->w.name, "devices", (json_int_t)s->w.count));
	}
}

/* Reads "devices": [device_id, ...] into s; -1 having replied. */
static int
read_members(struct api_req *a, struct cohort_state *s, int required)
{
	json_t *arr = json_object_get(a->json, "devices"), *v;
	size_t i;

	if (arr == NULL && !required)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > COHORT_MAX_DEVICES) {
		api_err(a, 422, "invalid_field", "devices: must be an array of "
		    "device_ids");
		return -1;
	}
	s->w.n = json_array_size(arr);
	s->w.device_ids = calloc(s->w.n + 1, sizeof(*s->w.device_ids));
	if (s->w.device_ids == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return -1;
	}
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || !util_valid_ident(json_string_value(v))) {
			api_err(a, 422, "invalid_field", "devices[%zu]: must be a "
			    "device_id", i);
			return -1;
		}
		s->w.device_ids[i] = json_string_value(v);
	}
	return 0;
}

static struct cohort_state *
new_state(struct api_req *a)
{
	struct cohort_state *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return NULL;
	}
	a->state = s;
	a->cleanup = cohort_cleanup;
	s->w.by = a->who.name;
	s->w.now = util_now();
	return s;
}

void
h_cohorts_add(struct api_req *a)
{
	static const char *const fields[] = { "name", "description", "devices",
	    NULL };
	struct cohort_state *s;
	const char *name = NULL, *desc = NULL;

	if (jv_only(a->json, fields, AE(a)) ||
	    jv_ident(a->json, "name", 1, &name, AE(a)) ||
	    jv_str(a->json, "description", 0, 0, 256, &desc, AE(a))) {
		api_invalid(a);
		return;
	}
	if ((s = new_state(a)) == NULL || read_members(a, s, 0) != 0)
		return;
	s->w.name = name;
	s->w.description = desc;
	s->w.create = 1;
	api_write(a, db_cohort_write, &s->w, write_then);
}

static void edit_then(struct api_req *a, int rc);

/* PUT (replace) or POST (add) {"devices": [...]} on cohort args[0]. */
static void
members_call(struct api_req *a, int add)
{
	static const char *const fields[] = { "devices", NULL };
	struct cohort_state *s;

	if (jv_only(a->json, fields, AE(a))) {
		api_invalid(a);
		return;
	}
	if ((s = new_state(a)) == NULL || read_members(a, s, 1) != 0)
		return;
	s->w.name = s->e.name = a->args[0];
	s->e.device_ids = s->w.device_ids;
	s->e.n = s->w.n;
	if (add)
		api_write(a, db_cohort_edit, &s->e, edit_then);
	else
		api_write(a, db_cohort_write, &s->w, write_then);
}

void
h_cohorts_set(struct api_req *a)
{
	members_call(a, 0);
}

static json_t *
cohort_json(const struct db_cohort *c)
{
	return json_pack("{s:s,s:s,s:I,s:o,s:s}", "name", c->name,
	    "description", c->description, "device_count", (json_int_t)c->devices,
	    "created_at", api_time(c->created_at), "created_by", c->created_by);
}

static void
list_one(const struct db_cohort *c, void *arg)
{
	json_array_append_new(arg, cohort_json(c));
}

void
h_cohorts_list(struct api_req *a)
{
	json_t *arr = json_array();
	int rc = db_cohort_list(a->srv->core.db, list_one, arr);

	if (rc != DB_OK) {
		json_decref(arr);
		api_err_db(a, rc, "list the cohorts");
		return;
	}
	api_json(a, 200, json_pack("{s:o}", "cohorts", arr));
}

static void
member_one(const char *id, void *arg)
{
	json_array_append_new(arg, json_string(id));
}

void
h_cohorts_get(struct api_req *a)
{
	struct db_cohort c;
	int64_t limit;
	const char *after;
	json_t *out, *members;
	int rc;

	if (api_page(a, &limit, &after) != 0)
		return;
	rc = db_cohort_get(a->srv->core.db, a->args[0], &c);
	if (rc == DB_NOTFOUND) {
		api_err(a, 404, "not_found", "no cohort %s", a->args[0]);
		return;
	}
	members = json_array();
	if (rc != DB_OK || (rc = db_cohort_members(a->srv->core.db, c.id, after, limit,
	    member_one, members)) != DB_OK) {
		json_decref(members);
		api_err_db(a, rc, "read the cohort");
		return;
	}
	out = cohort_json(&c);
	json_object_set_new(out, "next", (int64_t)json_array_size(members) ==
	    limit ? json_incref(json_array_get(members, json_array_size(members)
	    - 1)) : json_null());
	json_object_set_new(out, "devices", members);
	api_json(a, 200, out);
}

/* ---- members one by one, and delete ---- */

static void
edit_then(struct api_req *a, int rc)
{
	struct cohort_state *s = a->state;

	if (rc == DB_NOTFOUND)
		api_err(a, 404, "not_found", "no cohort %s", a->args[0]);
	else if (rc == DB_INVALID && s->e.remove)
		api_err(a, 404, "not_found", "device %s is not in cohort %s",
		    a->args[1], a->args[0]);
	else if (rc == DB_INVALID)
		api_err(a, 422, "unknown_device", "devices[%zu]: no device %s; "
		    "nothing was changed", s->e.missing,
		    s->e.device_ids[s->e.missing]);
	else if (rc != DB_OK)
		api_err_db(a, rc, "change the cohort");
	else if (s->e.remove)
		http_reply(a->http, 204, NULL, "", 0);
	else
		api_json(a, 200, json_pack("{s:s,s:I}", "name", a->args[0],
		    "devices", (json_int_t)s->e.count));
}

void
h_cohorts_add_devices(struct api_req *a)
{
	members_call(a, 1);
}

void
h_cohorts_remove_device(struct api_req *a)
{
	struct cohort_state *s = new_state(a);

	if (s == NULL)
		return;
	s->one[0] = a->args[1];
	s->e.name = a->args[0];
	s->e.device_ids = s->one;
	s->e.n = 1;
	s->e.remove = 1;
	api_write(a, db_cohort_edit, &s->e, edit_then);
}

static void
delete_then(struct api_req *a, int rc)
{
	struct cohort_state *s = a->state;

	if (rc == DB_NOTFOUND)
		api_err(a, 404, "not_found", "no cohort %s", a->args[0]);
	else if (rc == DB_CONFLICT)
		api_err(a, 409, "campaign_conflict", "campaign %lld (%s) targets "
		    "cohort %s; abort or delete it first", (long long)s->e.conflict,
		    s->e.conflict_state, a->args[0]);
	else if (rc != DB_OK)
		api_err_db(a, rc, "delete the cohort");
	else
		http_reply(a->http, 204, NULL, "", 0);
}

void
h_cohorts_delete(struct api_req *a)
{
	struct cohort_state *s = new_state(a);

	if (s == NULL)
		return;
	s->e.name = a->args[0];
	api_write(a, db_cohort_delete, &s->e, delete_then);
}
