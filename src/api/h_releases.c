/* Releases: register a signed manifest (checked against the current root
 * and the stored artifact), list, show, revoke. */
#include <stdlib.h>
#include <string.h>

#include "db/releases.h"
#include "core/gate.h"
#include "api/handlers.h"
#include "core/offers.h"
#include "core/trust.h"
#include "util/util.h"

struct rel_up {
	struct db_release r;
	struct db_release_add add;
};

static void
rel_cleanup(struct api_req *a, int ok)
{
	(void)ok;
	free(a->state);
}

static json_t *
release_json(const struct db_release *r)
{
	json_t *hw = json_array();
	const char *state = r->revoked_at ? "revoked" :
	    r->expires <= util_now() ? "expired" : "active";

	for (int i = 0; i < r->nhw; i++)
		json_array_append_new(hw, json_string(r->hw_classes[i]));
	return json_pack("{s:I,s:s,s:s,s:o,s:I,s:{s:s,s:I},s:o,s:o,s:s?,s:o,"
	    "s:s,s:o,s:s?,s:s}", "id", (json_int_t)r->id, "sha256", r->sha256,
	    "fw_version", r->fw_version, "hw_classes", hw, "security_counter",
	    (json_int_t)r->security_counter, "artifact", "sha256",
	    r->artifact_sha256, "length", (json_int_t)r->length, "created",
	    api_time(r->created), "expires", api_time(r->expires), "notes",
	    r->notes[0] ? r->notes : NULL, "uploaded_at",
	    api_time(r->uploaded_at), "uploaded_by", r->uploaded_by,
	    "revoked_at", api_time(r->revoked_at), "revoked_by",
	    r->revoked_by[0] ? r->revoked_by : NULL, "state", state);
}

static void
add_then(struct api_req *a, int rc)
{
	struct rel_up *u = a->state;

	if (rc == DB_INVALID) {
		if (strcmp(u->add.why, "artifact_missing") == 0)
			api_err(a, 422, "artifact_missing", "no artifact %s is "
			    "stored: upload it first (POST /v1/artifacts)",
			    u->r.artifact_sha256);
		else
			api_err(a, 422, "artifact_mismatch", "the stored artifact "
			    "%s is not %llu bytes long as the release says",
			    u->r.artifact_sha256, (unsigned long long)u->r.length);
		return;
	}
	if (rc == DB_CONFLICT) {
		api_err(a, 409, "version_exists", "hw class %s already has a "
		    "release with fw_version %s", u->add.conflict_hw,
		    u->r.fw_version);
		return;
	}
	if (rc != DB_OK) {
		api_err_db(a, rc, "store the release");
		return;
	}
	u->r.id = u->add.id;
	api_audit_object(a, "%lld", (long long)u->r.id);
	api_audit_note(a, "%s %s%s", u->r.fw_version, u->r.artifact_sha256,
	    u->add.existed ? " (already stored)" : "");
	api_json(a, u->add.existed ? 200 : 201, release_json(&u->r));
}

/* Fills u->r from a verified manifest. */
static void
fill(struct rel_up *u, const struct sign_release *rel, const char *by)
{
	struct db_release *r = &u->r;

	sign_hex(rel->envelope_sha256, SIGN_SHA256_LEN, r->sha256);
	sign_hex(rel->sha256, SIGN_SHA256_LEN, r->artifact_sha256);
	memcpy(r->fw_version, rel->fw_version, strlen(rel->fw_version) + 1);
	r->security_counter = rel->security_counter;
	r->length = rel->length;
	r->expires = rel->expires;
	r->created = rel->created;
	if (rel->notes != NULL)
		util_fmt(r->notes, sizeof(r->notes), "%s", rel->notes);
	for (size_t i = 0; i < rel->nhw_classes && i < DB_REL_HW_MAX; i++)
		memcpy(r->hw_classes[r->nhw++], rel->hw_classes[i],
		    sizeof(r->hw_classes[0]));
	r->uploaded_at = util_now();
	util_fmt(r->uploaded_by, sizeof(r->uploaded_by), "%s", by);
}

/* 0 when buf is the one canonical spelling devices will hash, else -1. */
static int
is_canonical(const uint8_t *buf, size_t len)
{
	uint8_t *canon = NULL;
	size_t clen;
	char err[64];
	int same;

	if (sign_cjson_canonicalize(buf, len, &canon, &clen, err,
	    sizeof(err)) != SIGN_OK)
		return -1;
	same = clen == len && memcmp(canon, buf, len) == 0;
	free(canon);
	return same ? 0 : -1;
}

/* Refuses a release for a hw class no device can be provisioned with
 * (the signature allows any text): 0, or -1 having replied 422. */
static int
bad_hw_class(struct api_req *a, const struct sign_release *rel)
{
	for (size_t i = 0; i < rel->nhw_classes; i++) {
		if (util_valid_ident(rel->hw_classes[i]))
			continue;
		api_err(a, 422, "invalid_hw_class", "hw_classes[%zu]: \"%s\" is "
		    "not 1 to %d of A-Z a-z 0-9 . _ : - starting with a letter "
		    "or digit, so no device can have it; sign the release again "
		    "with otactl", i, rel->hw_classes[i], UTIL_ID_MAX);
		return -1;
	}
	return 0;
}

void
h_releases_add(struct api_req *a)
{
	struct trust_root *root;
	struct sign_release *rel = NULL;
	struct rel_up *u;
	const uint8_t *body;
	size_t len;
	char err[256];
	enum sign_result r;

	body = http_body(a->http, &len);
	while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
		len--;
	root = trust_root_get(a->srv->core.trust);
	if (root == NULL) {
		api_err(a, 409, "no_root", "upload root metadata first "
		    "(PUT /v1/trust/root): releases are checked against it");
		return;
	}
	r = sign_release_verify(root->root, body, len, util_now(), &rel, err,
	    sizeof(err));
	trust_root_put(a->srv->core.trust, root);
	if (r != SIGN_OK) {
		api_err(a, 422, sign_result_name(r), "release refused: %s", err);
		return;
	}
	if (is_canonical(body, len) != 0) {
		sign_release_free(rel);
		api_err(a, 422, "not_canonical", "the envelope is not in canonical "
		    "JSON form; upload the file otactl wrote, unmodified");
		return;
	}
	if (bad_hw_class(a, rel) != 0) {
		sign_release_free(rel);
		return;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL) {
		sign_release_free(rel);
		api_err(a, 503, "out_of_memory", "try again later");
		return;
	}
	a->state = u;
	a->cleanup = rel_cleanup;
	fill(u, rel, a->who.name);
	sign_release_free(rel);
	u->add.envelope = body;
	u->add.len = len;
	u->add.r = &u->r;
	api_write(a, db_release_add, &u->add, add_then);
}

static void
list_one(const struct db_release *r, void *arg)
{
	json_array_append_new(arg, release_json(r));
}

void
h_releases_list(struct api_req *a)
{
	struct db_release_filter f = { 0 };
	const char *cursor;
	json_t *arr;
	int rc;

	if (api_page(a, &f.limit, &cursor) != 0)
		return;
	if (cursor != NULL && util_parse_int(cursor, 0, INT64_MAX, &f.after) != 0) {
		api_err(a, 400, "bad_query", "after: must be a release id");
		return;
	}
	if (api_query_ident(a, "hw_class", &f.hw_class) != 0)
		return;
	f.state = http_query(a->http, "state");
	if (f.state != NULL && strcmp(f.state, "active") != 0 &&
	    strcmp(f.state, "expired") != 0 && strcmp(f.state, "revoked") != 0) {
		api_err(a, 400, "bad_query", "state: must be active, expired or "
		    "revoked");
		return;
	}
	f.now = util_now();
	arr = json_array();
	rc = db_release_list(a->srv->core.db, &f, list_one, arr);
	if (rc != DB_OK) {
		json_decref(arr);
		api_err_db(a, rc, "list the releases");
		return;
	}
	api_page_reply(a, "releases", arr, f.limit, "id");
}

/* Parses the {id} of the path; -1 having replied 404. */
static int
release_id(struct api_req *a, int64_t *id)
{
	if (util_parse_int(a->args[0], 1, INT64_MAX, id) != 0) {
		api_err(a, 404, "not_found", "no release %.40s", a->args[0]);
		return -1;
	}
	return 0;
}

void
h_releases_get(struct api_req *a)
{
	struct db_release *r = malloc(sizeof(*r));
	uint8_t *env = NULL;
	size_t len;
	int64_t id;
	int rc;
	json_t *out;

	if (r == NULL || release_id(a, &id) != 0) {
		if (r == NULL)
			api_err(a, 503, "out_of_memory", "try again later");
		free(r);
		return;
	}
	rc = db_release_get(a->srv->core.db, id, r, &env, &len);
	if (rc == DB_NOTFOUND)
		api_err(a, 404, "not_found", "no release %lld", (long long)id);
	else if (rc != DB_OK)
		api_err_db(a, rc, "read the release");
	else {
		out = release_json(r);
		json_object_set_new(out, "envelope", json_loadb((char *)env, len,
		    0, NULL));
		api_json(a, 200, out);
	}
	free(env);
	free(r);
}

struct revoke_state {
	struct db_release_revoke rv;
	struct srv *srv;
};

/* Write job: the revoke, and in the same transaction the halt of every
 * running or paused campaign of the release. */
static int
revoke_job(struct db_tx *tx, void *arg)
{
	struct revoke_state *s = arg;
	int rc = db_release_revoke(tx, &s->rv);

	return rc == DB_OK ? gate_release_revoked(tx, &s->srv->core, s->rv.id,
	    s->rv.by, s->rv.now) : rc;
}

static void
revoke_then(struct api_req *a, int rc)
{
	struct revoke_state *s = a->state;

	if (rc == DB_NOTFOUND) {
		api_err(a, 404, "not_found", "no release %lld", (long long)s->rv.id);
		return;
	}
	if (rc != DB_OK) {
		api_err_db(a, rc, "revoke the release");
		return;
	}
	offers_forget(a->srv->core.offers, s->rv.id);
	h_releases_get(a);
}

void
h_releases_revoke(struct api_req *a)
{
	struct revoke_state *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return;
	}
	a->state = s;
	a->cleanup = rel_cleanup;
	if (release_id(a, &s->rv.id) != 0)
		return;
	s->rv.by = a->who.name;
	s->rv.now = util_now();
	s->srv = a->srv;
	api_write(a, revoke_job, s, revoke_then);
}
