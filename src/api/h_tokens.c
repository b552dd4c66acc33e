/* Management tokens over the API: list, create (shown once), revoke. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/tokens.h"
#include "api/auth.h"
#include "api/handlers.h"
#include "sign/crypto.h"
#include "util/util.h"

struct add_state {
	struct db_token_add add;
	char name[DB_NAME_MAX + 1], role[16];
	char token[AUTH_TOKEN_MAX];
	uint8_t hash[32];
};

static void
free_add(struct api_req *a, int ok)
{
	struct add_state *s = a->state;

	(void)ok;
	sign_wipe(s, sizeof(*s));
	free(s);
}

static void
add_then(struct api_req *a, int rc)
{
	struct add_state *s = a->state;

	if (rc == DB_CONFLICT) {
		api_err(a, 409, "exists", "a token named %s exists", s->name);
		return;
	}
	if (rc != DB_OK) {
		api_err_db(a, rc, "store the token");
		return;
	}
	api_json(a, 201, json_pack("{s:s,s:s,s:s,s:o}", "name", s->name, "role",
	    s->role, "token", s->token, "expires_at",
	    api_time(s->add.expires_at)));
}

/* "expires": an RFC 3339 time to come, or a duration from now (seconds,
 * or "30d"); absent or null: never. */
static int
expires_parse(struct api_req *a, int64_t now, int64_t *out)
{
	json_t *v = json_object_get(a->json, "expires");
	int64_t d;

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v) && strchr(json_string_value(v), 'T') != NULL) {
		if (util_time_parse_rfc3339(json_string_value(v), out) != 0)
			snprintf(a->err, sizeof(a->err), "expires: want an RFC "
			    "3339 time (2027-01-31T00:00:00Z, or with an offset "
			    "as +01:00), or a duration (86400, \"30d\")");
		else if (*out <= now)
			snprintf(a->err, sizeof(a->err), "expires: that time has "
			    "passed");
		else
			return 0;
		return -1;
	}
	if (jv_duration(a->json, "expires", 60, 3660LL * 86400, &d, AE(a)) != 0)
		return -1;
	*out = now + d;
	return 0;
}

void
h_tokens_add(struct api_req *a)
{
	static const char *const fields[] = { "name", "role", "expires", NULL };
	struct add_state *s;
	const char *name = NULL, *role = NULL;
	int64_t now = util_now(), expires;

	if (jv_only(a->json, fields, AE(a)) ||
	    jv_ident(a->json, "name", 1, &name, AE(a)) ||
	    jv_str(a->json, "role", 1, 1, 15, &role, AE(a)) ||
	    expires_parse(a, now, &expires) != 0) {
		api_invalid(a);
		return;
	}
	if (auth_role_parse(role) == ROLE_NONE) {
		api_err(a, 422, "invalid_field", "role: must be admin, release, "
		    "viewer or gateway (hawkBit DDI only)");
		return;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL || auth_token_new("adm_", s->token, sizeof(s->token),
	    s->hash) != 0) {
		free(s);
		api_err(a, 503, "out_of_memory", "try again later");
		return;
	}
	memcpy(s->name, name, strlen(name) + 1);
	memcpy(s->role, role, strlen(role) + 1);
	s->add = (struct db_token_add){ s->name, s->role, s->hash, now,
	    expires };
	a->state = s;
	api_audit_object(a, "%s", s->name);
	api_audit_note(a, "role %s%s", s->role, expires ? ", expires" : "");
	a->cleanup = free_add;
	api_write(a, db_token_add, &s->add, add_then);
}

static void
list_one(const struct db_token *t, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s,s:s,s:o,s:o,s:o}", "name",
	    t->name, "role", t->role, "created_at", api_time(t->created_at),
	    "expires_at", api_time(t->expires_at), "last_used_at",
	    api_time(t->last_used_at)));
}

void
h_tokens_list(struct api_req *a)
{
	json_t *arr = json_array();
	int rc = db_token_list(a->srv->core.db, list_one, arr);

	if (rc != DB_OK) {
		json_decref(arr);
		api_err_db(a, rc, "list the tokens");
		return;
	}
	api_json(a, 200, json_pack("{s:o}", "tokens", arr));
}

static void
revoke_then(struct api_req *a, int rc)
{
	if (rc == DB_NOTFOUND)
		api_err(a, 404, "not_found", "no token named %s", a->args[0]);
	else if (rc != DB_OK)
		api_err_db(a, rc, "revoke the token");
	else
		http_reply(a->http, 204, NULL, "", 0);
}

void
h_tokens_revoke(struct api_req *a)
{
	api_write(a, db_token_revoke, a->args[0], revoke_then);
}

/* The caller's own token: what the web console shows and which buttons
 * it draws (a viewer gets none). Never the token itself. */
void
h_tokens_self(struct api_req *a)
{
	const char *role = a->who.role == ROLE_ADMIN ? "admin" :
	    a->who.role == ROLE_RELEASE ? "release" : "viewer";

	api_json(a, 200, json_pack("{s:s,s:s,s:o}", "name", a->who.name,
	    "role", role, "expires_at", api_time(a->who.expires_at)));
}
