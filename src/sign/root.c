/* Root metadata: parsing, creation, and verification of the chain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sign/crypto.h"
#include "sign/envelope.h"
#include "sign/internal.h"
#include "sign/root.h"
#include "util/util.h"

static const char *const role_names[SIGN_ROLE_COUNT] = {
	[SIGN_ROLE_ROOT] = "root",
	[SIGN_ROLE_RELEASE] = "release",
	[SIGN_ROLE_ONLINE] = "online",
};

const char *
sign_role_name(enum sign_role_id role)
{
	if ((int)role < 0 || role >= SIGN_ROLE_COUNT)
		return "unknown";
	return role_names[role];
}

int
sign_role_parse(const char *name, enum sign_role_id *out)
{
	for (int i = 0; i < SIGN_ROLE_COUNT; i++) {
		if (strcmp(name, role_names[i]) == 0) {
			*out = (enum sign_role_id)i;
			return 0;
		}
	}
	return -1;
}

struct sign_root *
sign_root_new(void)
{
	return calloc(1, sizeof(struct sign_root));
}

void
sign_root_free(struct sign_root *r)
{
	free(r);
}

struct sign_root *
sign_root_dup(const struct sign_root *r)
{
	struct sign_root *c = sign_root_new();

	if (c != NULL)
		*c = *r;
	return c;
}

int
sign_role_find(const struct sign_role *role, const char *keyid)
{
	for (size_t i = 0; i < role->nkeys; i++)
		if (strcmp(role->keys[i].keyid, keyid) == 0)
			return (int)i;
	return -1;
}

int
sign_role_add(struct sign_role *role, const struct sign_pubkey *pk)
{
	if (role->nkeys >= SIGN_ROLE_MAX_KEYS ||
	    sign_role_find(role, pk->keyid) >= 0)
		return -1;
	role->keys[role->nkeys++] = *pk;
	return 0;
}

int
sign_role_remove(struct sign_role *role, const char *keyid)
{
	int i = sign_role_find(role, keyid);

	if (i < 0)
		return -1;
	memmove(&role->keys[i], &role->keys[i + 1],
	    (role->nkeys - (size_t)i - 1) * sizeof(role->keys[0]));
	role->nkeys--;
	return 0;
}

enum sign_result
sign_root_check_roles(const struct sign_root *r, char *err, size_t errlen)
{
	for (int a = 0; a < SIGN_ROLE_COUNT; a++) {
		const struct sign_role *ra = &r->roles[a];

		for (size_t k = 0; k < ra->nkeys; k++) {
			for (int b = a + 1; b < SIGN_ROLE_COUNT; b++) {
				if (sign_role_find(&r->roles[b],
				    ra->keys[k].keyid) < 0)
					continue;
				return sign_fail(SIGN_ERR_ROLE_OVERLAP, err,
				    errlen, "root version %lld: key %s is in "
				    "both the %s and the %s role; each role "
				    "needs keys of its own (the online key "
				    "above all: the server holds it)",
				    (long long)r->version, ra->keys[k].keyid,
				    role_names[a], role_names[b]);
			}
		}
	}
	return SIGN_OK;
}

static const struct sign_pubkey *
root_key(const struct sign_root *r, const char *keyid)
{
	for (size_t i = 0; i < r->nkeys; i++)
		if (strcmp(r->keys[i].keyid, keyid) == 0)
			return &r->keys[i];
	return NULL;
}

static enum sign_result
parse_keys(const json_t *keys, struct sign_root *r, char *err, size_t errlen)
{
	static const char *const req[] = { "keytype", "public", NULL };
	const char *keyid;
	json_t *v;

	if (!json_is_object(keys) || json_object_size(keys) == 0)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "root: \"keys\" must be a non-empty object");
	if (json_object_size(keys) > SIGN_ROOT_MAX_KEYS)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "root: %zu keys, over the cap of %d",
		    json_object_size(keys), SIGN_ROOT_MAX_KEYS);
	json_object_foreach((json_t *)keys, keyid, v) {
		uint8_t raw[SIGN_PUBKEY_LEN];
		struct sign_pubkey *pk = &r->keys[r->nkeys];
		const char *s;
		enum sign_result res;

		if ((res = sign_json_keys(v, "root key", req, NULL, err,
		    errlen)) ||
		    (res = sign_json_str(v, "keytype", "root key", 32, 0, &s,
		    err, errlen)))
			return res;
		if (strcmp(s, "ed25519") != 0)
			return sign_fail(SIGN_ERR_FORMAT, err, errlen,
			    "root: key %.16s... has keytype \"%s\", not "
			    "\"ed25519\"", keyid, s);
		if ((res = sign_json_hex(v, "public", "root key", raw,
		    sizeof(raw), err, errlen)))
			return res;
		if (sign_pubkey_from_raw(raw, pk) != 0)
			return sign_fail(SIGN_ERR_FORMAT, err, errlen,
			    "root: key %.16s... is not a valid Ed25519 point",
			    keyid);
		if (strcmp(pk->keyid, keyid) != 0)
			return sign_fail(SIGN_ERR_FORMAT, err, errlen,
			    "root: key id \"%.70s\" is not the sha256 of its "
			    "public key", keyid);
		r->nkeys++;
	}
	return SIGN_OK;
}

static enum sign_result
parse_role(const json_t *v, const char *name, const struct sign_root *r,
    struct sign_role *role, char *err, size_t errlen)
{
	static const char *const req[] = { "keyids", "threshold", NULL };
	const json_t *ids;
	char what[32];
	enum sign_result res;

	(void)snprintf(what, sizeof(what), "role %s", name);
	if ((res = sign_json_keys(v, what, req, NULL, err, errlen)))
		return res;
	ids = json_object_get(v, "keyids");
	if (!json_is_array(ids) || json_array_size(ids) == 0 ||
	    json_array_size(ids) > SIGN_ROLE_MAX_KEYS)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "root: role %s: \"keyids\" must list 1 to %d key ids",
		    name, SIGN_ROLE_MAX_KEYS);
	for (size_t i = 0; i < json_array_size(ids); i++) {
		const json_t *id = json_array_get(ids, i);
		const struct sign_pubkey *pk;

		if (!json_is_string(id))
			return sign_fail(SIGN_ERR_FORMAT, err, errlen,
			    "root: role %s: key ids must be strings", name);
		pk = root_key(r, json_string_value(id));
		if (pk == NULL)
			return sign_fail(SIGN_ERR_FORMAT, err, errlen,
			    "root: role %s: key id \"%.70s\" is not in "
			    "\"keys\"", name, json_string_value(id));
		if (sign_role_add(role, pk) != 0)
			return sign_fail(SIGN_ERR_FORMAT, err, errlen,
			    "root: role %s lists key %.16s... twice", name,
			    pk->keyid);
	}
	return sign_json_int(v, "threshold", what, 1, (int64_t)role->nkeys,
	    &role->threshold, err, errlen);
}

/* Fills r from the signed part of a root envelope. */
static enum sign_result
parse_signed(const struct sign_envelope *env, struct sign_root *r, char *err,
    size_t errlen)
{
	static const char *const req[] = { "_type", "version", "expires",
	    "keys", "roles", NULL };
	static const char *const role_req[] = { "root", "release", "online",
	    NULL };
	const json_t *v = env->signed_obj, *roles;
	enum sign_result res;

	if (env->type != SIGN_DOC_ROOT)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "expected root metadata, got a %s document",
		    sign_doc_type_name(env->type));
	if ((res = sign_json_keys(v, "root", req, NULL, err, errlen)) ||
	    (res = sign_json_int(v, "version", "root", 1, INT64_MAX - 1,
	    &r->version, err, errlen)) ||
	    (res = sign_json_time(v, "expires", "root", &r->expires, err,
	    errlen)) ||
	    (res = parse_keys(json_object_get(v, "keys"), r, err, errlen)))
		return res;
	roles = json_object_get(v, "roles");
	if ((res = sign_json_keys(roles, "root roles", role_req, NULL, err,
	    errlen)))
		return res;
	for (int i = 0; i < SIGN_ROLE_COUNT; i++) {
		res = parse_role(json_object_get(roles, role_names[i]),
		    role_names[i], r, &r->roles[i], err, errlen);
		if (res != SIGN_OK)
			return res;
	}
	return SIGN_OK;
}

static enum sign_result
parse_doc(const uint8_t *buf, size_t len, struct sign_envelope **envp,
    struct sign_root **rootp, char *err, size_t errlen)
{
	struct sign_envelope *env;
	struct sign_root *r;
	enum sign_result res;

	res = sign_envelope_parse(buf, len, &env, err, errlen);
	if (res != SIGN_OK)
		return res;
	r = sign_root_new();
	if (r == NULL) {
		sign_envelope_free(env);
		return sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
	}
	res = parse_signed(env, r, err, errlen);
	if (res != SIGN_OK) {
		sign_root_free(r);
		sign_envelope_free(env);
		return res;
	}
	*envp = env;
	*rootp = r;
	return SIGN_OK;
}

enum sign_result
sign_root_verify_role(const struct sign_root *root, enum sign_role_id role,
    const struct sign_envelope *env, struct sign_keyids *signers, char *err,
    size_t errlen)
{
	const struct sign_role *ro;
	char what[64];

	if ((int)role < 0 || role >= SIGN_ROLE_COUNT)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen, "unknown role");
	ro = &root->roles[role];
	(void)snprintf(what, sizeof(what), "%s role of root version %lld",
	    role_names[role], (long long)root->version);
	return sign_envelope_verify(env, ro->keys, ro->nkeys, ro->threshold,
	    what, signers, err, errlen);
}

enum sign_result
sign_root_parse(const uint8_t *buf, size_t len, struct sign_envelope **env,
    struct sign_root **out, char *err, size_t errlen)
{
	return parse_doc(buf, len, env, out, err, errlen);
}

enum sign_result
sign_root_tally(const struct sign_root *root, enum sign_role_id role,
    const struct sign_envelope *env, struct sign_tally *out, char *err,
    size_t errlen)
{
	enum sign_result r;

	memset(out, 0, sizeof(*out));
	r = sign_root_verify_role(root, role, env, &out->signed_by, err,
	    errlen);
	if (r != SIGN_OK && r != SIGN_ERR_THRESHOLD)
		return r;
	out->threshold = root->roles[role].threshold;
	for (size_t i = 0; i < root->roles[role].nkeys; i++) {
		const char *id = root->roles[role].keys[i].keyid;

		if (!sign_keyids_has(&out->signed_by, id))
			(void)sign_keyids_add(&out->missing, id);
	}
	return SIGN_OK;
}

enum sign_result
sign_root_load(const uint8_t *buf, size_t len, struct sign_root **out,
    char *err, size_t errlen)
{
	struct sign_envelope *env;
	struct sign_root *r;
	enum sign_result res;

	res = parse_doc(buf, len, &env, &r, err, errlen);
	if (res != SIGN_OK)
		return res;
	res = sign_root_verify_role(r, SIGN_ROLE_ROOT, env, &r->signers, err,
	    errlen);
	sign_envelope_free(env);
	if (res != SIGN_OK) {
		sign_root_free(r);
		return res;
	}
	*out = r;
	return SIGN_OK;
}

enum sign_result
sign_root_verify_initial(const uint8_t *buf, size_t len, int64_t now,
    struct sign_root **out, char *err, size_t errlen)
{
	struct sign_root *r;
	enum sign_result res;

	res = sign_root_load(buf, len, &r, err, errlen);
	if (res != SIGN_OK)
		return res;
	if (r->version != 1)
		res = sign_fail(SIGN_ERR_VERSION, err, errlen,
		    "a first root must be version 1, not %lld",
		    (long long)r->version);
	if (res == SIGN_OK)
		res = sign_root_check_roles(r, err, errlen);
	if (res == SIGN_OK)
		res = sign_check_expiry(r->expires, now, "root version 1",
		    err, errlen);
	if (res != SIGN_OK) {
		sign_root_free(r);
		return res;
	}
	*out = r;
	return SIGN_OK;
}

/* One step of the chain; expiry is checked only when check_expiry. */
static enum sign_result
verify_next(const struct sign_root *trusted, const uint8_t *buf, size_t len,
    int64_t now, int check_expiry, struct sign_root **out, char *err,
    size_t errlen)
{
	struct sign_envelope *env;
	struct sign_root *r;
	char what[48];
	enum sign_result res;

	res = parse_doc(buf, len, &env, &r, err, errlen);
	if (res != SIGN_OK)
		return res;
	/* Checked first: a skipped version fails on its version, not on
	 * the signatures of keys this device has not learnt yet. */
	if (r->version != trusted->version + 1) {
		res = sign_fail(SIGN_ERR_VERSION, err, errlen,
		    "root version %lld does not follow trusted version %lld "
		    "(expected %lld)", (long long)r->version,
		    (long long)trusted->version,
		    (long long)trusted->version + 1);
		goto out;
	}
	if ((res = sign_root_verify_role(trusted, SIGN_ROLE_ROOT, env,
	    &r->signers, err, errlen)) ||
	    (res = sign_root_verify_role(r, SIGN_ROLE_ROOT, env, &r->signers,
	    err, errlen)) ||
	    (res = sign_root_check_roles(r, err, errlen)))
		goto out;
	if (check_expiry) {
		(void)snprintf(what, sizeof(what), "root version %lld",
		    (long long)r->version);
		res = sign_check_expiry(r->expires, now, what, err, errlen);
		if (res != SIGN_OK)
			goto out;
	}
	*out = r;
	r = NULL;
out:
	sign_root_free(r);
	sign_envelope_free(env);
	return res;
}

enum sign_result
sign_root_verify_next(const struct sign_root *trusted, const uint8_t *buf,
    size_t len, int64_t now, struct sign_root **out, char *err, size_t errlen)
{
	return verify_next(trusted, buf, len, now, 1, out, err, errlen);
}

enum sign_result
sign_root_walk(const struct sign_root *trusted, const struct sign_bytes *docs,
    size_t n, int64_t now, struct sign_root **out, char *err, size_t errlen)
{
	struct sign_root *cur, *next;
	enum sign_result res;

	if (n > SIGN_ROOT_CHAIN_MAX)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "root chain of %zu steps, over the cap of %d", n,
		    SIGN_ROOT_CHAIN_MAX);
	cur = sign_root_dup(trusted);
	if (cur == NULL)
		return sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
	for (size_t i = 0; i < n; i++) {
		/* Roots on the way may have expired long ago: a device that
		 * slept for years still walks through them. */
		res = verify_next(cur, docs[i].data, docs[i].len, now, 0,
		    &next, err, errlen);
		if (res != SIGN_OK) {
			sign_root_free(cur);
			return res;
		}
		sign_root_free(cur);
		cur = next;
	}
	/* The roots on the way were checked as they came; this covers a
	 * trusted root that nothing followed. */
	res = sign_root_check_roles(cur, err, errlen);
	if (res != SIGN_OK) {
		sign_root_free(cur);
		return res;
	}
	if (now != SIGN_NO_EXPIRY && now >= cur->expires) {
		char when[21];

		util_time_fmt(cur->expires, when);
		res = sign_fail(SIGN_ERR_FREEZE, err, errlen,
		    "the newest root reachable, version %lld, expired at %s",
		    (long long)cur->version, when);
		sign_root_free(cur);
		return res;
	}
	*out = cur;
	return SIGN_OK;
}

static json_t *
root_json(const struct sign_root *f)
{
	json_t *v, *keys, *roles;

	keys = json_object();
	roles = json_object();
	v = json_pack("{s:s, s:I, s:o, s:o, s:o}", "_type", "root",
	    "version", (json_int_t)f->version,
	    "expires", sign_json_time_new(f->expires),
	    "keys", keys, "roles", roles);
	if (v == NULL)
		return NULL;
	for (int i = 0; i < SIGN_ROLE_COUNT; i++) {
		const struct sign_role *ro = &f->roles[i];
		json_t *ids = json_array(), *role;

		role = json_pack("{s:o, s:I}", "keyids", ids, "threshold",
		    (json_int_t)ro->threshold);
		if (role == NULL ||
		    json_object_set_new(roles, role_names[i], role) != 0)
			goto fail;
		for (size_t k = 0; k < ro->nkeys; k++) {
			const struct sign_pubkey *pk = &ro->keys[k];
			json_t *kv;

			if (json_array_append_new(ids,
			    json_string(pk->keyid)) != 0)
				goto fail;
			if (json_object_get(keys, pk->keyid) != NULL)
				continue;
			kv = json_pack("{s:s, s:o}", "keytype", "ed25519",
			    "public", sign_json_hex_new(pk->pk,
			    SIGN_PUBKEY_LEN));
			if (kv == NULL ||
			    json_object_set_new(keys, pk->keyid, kv) != 0)
				goto fail;
		}
	}
	return v;
fail:
	json_decref(v);
	return NULL;
}

enum sign_result
sign_root_create(const struct sign_root *fields,
    const struct sign_key *const *keys, size_t nkeys, uint8_t **out,
    size_t *len, char *err, size_t errlen)
{
	struct sign_envelope *env;
	struct sign_root *r;
	uint8_t *buf;
	size_t buflen;
	json_t *v;
	enum sign_result res;

	res = sign_root_check_roles(fields, err, errlen);
	if (res != SIGN_OK)
		return res;
	v = root_json(fields);
	if (v == NULL)
		return sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
	res = sign_envelope_sign_all(v, keys, nkeys, &buf, &buflen, err,
	    errlen);
	json_decref(v);
	if (res != SIGN_OK)
		return res;
	/* What verifiers would refuse is refused here, with their message. */
	res = parse_doc(buf, buflen, &env, &r, err, errlen);
	if (res != SIGN_OK) {
		free(buf);
		return res;
	}
	sign_envelope_free(env);
	sign_root_free(r);
	*out = buf;
	*len = buflen;
	return SIGN_OK;
}
