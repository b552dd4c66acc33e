/* Trust endpoints: the online public key, root upload and the root chain
 * devices walk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/trust.h"
#include "api/handlers.h"
#include "core/changes.h"
#include "core/trust.h"
#include "util/util.h"

void
h_trust_online_key(struct api_req *a)
{
	size_t len;
	const uint8_t *pub = trust_online_pub(a->srv->core.trust, &len);

	http_reply(a->http, 200, "application/json", pub, len);
}

struct root_up {
	struct db_root_put put;
	struct sign_root *root;
};

static void
root_cleanup(struct api_req *a, int ok)
{
	struct root_up *u = a->state;

	(void)ok;
	sign_root_free(u->root);
	free(u);
}

/* Stores the root and tells the other daemons to take it too. */
static int
root_job(struct db_tx *tx, void *arg)
{
	int rc = db_root_put(tx, arg);

	return rc == DB_OK ? changes_trust(tx) : rc;
}

static void
root_then(struct api_req *a, int rc)
{
	struct root_up *u = a->state;

	if (rc == DB_CONFLICT) {
		api_err(a, 409, "conflict", "root version %lld was stored by "
		    "another upload first; fetch the current root and retry",
		    (long long)u->put.version);
		return;
	}
	if (rc != DB_OK) {
		api_err_db(a, rc, "store the root");
		return;
	}
	if (trust_root_set(a->srv->core.trust, u->root, u->put.body,
	    u->put.len) != 0) {
		u->root = NULL;
		api_err(a, 500, "internal", "stored, but the daemon must be "
		    "restarted to use it (out of memory)");
		return;
	}
	u->root = NULL;
	api_audit_note(a, "root version %lld", (long long)u->put.version);
	api_json(a, 201, json_pack("{s:I,s:o}", "version",
	    (json_int_t)u->put.version, "expires", api_time(u->put.expires)));
}

/* 1 when the root lists this server's online key in its online role. */
static int
lists_online_key(struct api_req *a, const struct sign_root *r)
{
	const char *id = trust_online_keyid(a->srv->core.trust);

	return sign_role_find(&r->roles[SIGN_ROLE_ONLINE], id) >= 0;
}

void
h_trust_root_put(struct api_req *a)
{
	struct root_up *u = calloc(1, sizeof(*u));
	const uint8_t *body;
	size_t len;
	char err[256];
	enum sign_result r;

	if (u == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return;
	}
	a->state = u;
	a->cleanup = root_cleanup;
	body = http_body(a->http, &len);
	r = trust_root_check(a->srv->core.trust, body, len, util_now(), &u->root, err,
	    sizeof(err));
	if (r != SIGN_OK) {
		api_err(a, 422, sign_result_name(r), "root refused: %s", err);
		return;
	}
	if (!lists_online_key(a, u->root)) {
		api_err(a, 422, "online_key_missing", "the root's online role does "
		    "not list this server's online key %s: devices would refuse "
		    "every offer it signs", trust_online_keyid(a->srv->core.trust));
		return;
	}
	u->put = (struct db_root_put){ u->root->version, u->root->expires,
	    util_now(), body, len, a->who.name };
	api_write(a, root_job, &u->put, root_then);
}

void
h_trust_root_current(struct api_req *a)
{
	struct trust_root *r = trust_root_get(a->srv->core.trust);

	if (r == NULL) {
		api_err(a, 404, "no_root", "no root metadata has been uploaded "
		    "yet (PUT /v1/trust/root)");
		return;
	}
	http_reply(a->http, 200, "application/json", r->bytes, r->len);
	trust_root_put(a->srv->core.trust, r);
}

void
h_trust_root_version(struct api_req *a)
{
	int64_t v;
	uint8_t *body;
	size_t len;
	int rc;

	if (util_parse_int(a->args[0], 1, INT64_MAX, &v) != 0) {
		api_err(a, 404, "not_found", "no root version %.40s", a->args[0]);
		return;
	}
	rc = db_root_get(a->srv->core.db, v, &body, &len);
	if (rc == DB_NOTFOUND) {
		api_err(a, 404, "not_found", "no root version %lld", (long long)v);
		return;
	}
	if (rc != DB_OK) {
		api_err_db(a, rc, "read the root");
		return;
	}
	http_reply_take(a->http, 200, "application/json", body, len);
}
