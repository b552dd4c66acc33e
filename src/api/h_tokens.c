/* Management tokens over the API: list, create (shown once), revoke. */
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
	api_json(a, 201, json_pack("{s:s,s:s,s:s}", "name", s->name, "role",
	    s->role, "token", s->token));
}

void
h_tokens_add(struct api_req *a)
{
	static const char *const fields[] = { "name", "role", NULL };
	struct add_state *s;
	const char *name = NULL, *role = NULL;

	if (jv_only(a->json, fields, AE(a)) ||
	    jv_ident(a->json, "name", 1, &name, AE(a)) ||
	    jv_str(a->json, "role", 1, 1, 15, &role, AE(a))) {
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
	s->add = (struct db_token_add){ s->name, s->role, s->hash, util_now() };
	a->state = s;
	a->cleanup = free_add;
	api_write(a, db_token_add, &s->add, add_then);
}

static void
list_one(const struct db_token *t, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s,s:s,s:o}", "name", t->name,
	    "role", t->role, "created_at", api_time(t->created_at)));
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
