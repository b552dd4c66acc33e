/* Signed envelopes: parsing, signing, cosigning, threshold counting. */
#include <stdlib.h>
#include <string.h>

#include "sign/cjson.h"
#include "sign/crypto.h"
#include "sign/envelope.h"
#include "sign/internal.h"

static const struct {
	enum sign_doc_type type;
	const char *name;
} doc_types[] = {
	{ SIGN_DOC_ROOT, "root" },
	{ SIGN_DOC_RELEASE, "release" },
	{ SIGN_DOC_ASSIGNMENT, "assignment" },
};

const char *
sign_doc_type_name(enum sign_doc_type t)
{
	for (size_t i = 0; i < sizeof(doc_types) / sizeof(doc_types[0]); i++)
		if (doc_types[i].type == t)
			return doc_types[i].name;
	return "unknown";
}

static enum sign_result
doc_type(const json_t *signed_obj, enum sign_doc_type *out, char *err,
    size_t errlen)
{
	const char *s;
	enum sign_result r;

	if (!json_is_object(signed_obj))
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "envelope: \"signed\" must be an object");
	r = sign_json_str(signed_obj, "_type", "signed", 32, 0, &s, err,
	    errlen);
	if (r != SIGN_OK)
		return r;
	for (size_t i = 0; i < sizeof(doc_types) / sizeof(doc_types[0]); i++) {
		if (strcmp(s, doc_types[i].name) == 0) {
			*out = doc_types[i].type;
			return SIGN_OK;
		}
	}
	return sign_fail(SIGN_ERR_FORMAT, err, errlen,
	    "unknown _type \"%s\"", s);
}

enum sign_result
sign_envelope_parse(const uint8_t *buf, size_t len, struct sign_envelope **out,
    char *err, size_t errlen)
{
	static const char *const req[] = { "signed", "signatures", NULL };
	static const char *const sig_req[] = { "keyid", "sig", NULL };
	struct sign_envelope *env;
	const json_t *sigs;
	json_t *v = NULL;
	enum sign_result r;

	env = calloc(1, sizeof(*env));
	if (env == NULL)
		return sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
	if ((r = sign_cjson_parse(buf, len, &v, err, errlen)) ||
	    (r = sign_json_keys(v, "envelope", req, NULL, err, errlen)) ||
	    (r = doc_type(json_object_get(v, "signed"), &env->type, err,
	    errlen)))
		goto fail;
	sigs = json_object_get(v, "signatures");
	if (!json_is_array(sigs)) {
		r = sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "envelope: \"signatures\" must be an array");
		goto fail;
	}
	if (json_array_size(sigs) > SIGN_MAX_SIGS) {
		r = sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "envelope: %zu signatures, over the cap of %d",
		    json_array_size(sigs), SIGN_MAX_SIGS);
		goto fail;
	}
	env->nsigs = json_array_size(sigs);
	env->sigs = calloc(env->nsigs ? env->nsigs : 1, sizeof(*env->sigs));
	if (env->sigs == NULL) {
		r = sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < env->nsigs; i++) {
		const json_t *s = json_array_get(sigs, i);
		uint8_t id[SIGN_SHA256_LEN];

		if ((r = sign_json_keys(s, "signature", sig_req, NULL, err,
		    errlen)) ||
		    (r = sign_json_hex(s, "keyid", "signature", id, sizeof(id),
		    err, errlen)) ||
		    (r = sign_json_hex(s, "sig", "signature",
		    env->sigs[i].sig, SIGN_SIG_LEN, err, errlen)))
			goto fail;
		sign_hex(id, sizeof(id), env->sigs[i].keyid);
	}
	env->signed_obj = json_incref(json_object_get(v, "signed"));
	r = sign_cjson_encode(env->signed_obj, 0, &env->canonical,
	    &env->canonical_len, err, errlen);
	if (r != SIGN_OK)
		goto fail;
	json_decref(v);
	*out = env;
	return SIGN_OK;
fail:
	json_decref(v);
	sign_envelope_free(env);
	return r;
}

void
sign_envelope_free(struct sign_envelope *env)
{
	if (env == NULL)
		return;
	json_decref(env->signed_obj);
	free(env->canonical);
	free(env->sigs);
	free(env);
}

enum sign_result
sign_envelope_verify(const struct sign_envelope *env,
    const struct sign_pubkey *keys, size_t nkeys, int64_t threshold,
    const char *what, struct sign_keyids *signers, char *err, size_t errlen)
{
	uint8_t counted[SIGN_MAX_SIGS] = { 0 };
	int64_t valid = 0;

	if (threshold < 1 || nkeys > SIGN_MAX_SIGS)
		return sign_fail(SIGN_ERR_THRESHOLD, err, errlen,
		    "%s: unusable threshold %lld of %zu keys", what,
		    (long long)threshold, nkeys);
	for (size_t i = 0; i < env->nsigs; i++) {
		const struct sign_signature *s = &env->sigs[i];
		size_t k;

		for (k = 0; k < nkeys; k++)
			if (strcmp(keys[k].keyid, s->keyid) == 0)
				break;
		/* Keys outside the role carry no weight, and a key counts
		 * once however often it appears. */
		if (k == nkeys || counted[k])
			continue;
		if (!sign_pubkey_verify(&keys[k], env->canonical,
		    env->canonical_len, s->sig))
			return sign_fail(SIGN_ERR_SIGNATURE, err, errlen,
			    "%s: the signature by key %.16s... does not match "
			    "the signed content", what, s->keyid);
		counted[k] = 1;
		valid++;
		if (signers != NULL)
			(void)sign_keyids_add(signers, s->keyid);
	}
	if (valid < threshold)
		return sign_fail(SIGN_ERR_THRESHOLD, err, errlen,
		    "%s: %lld valid signature%s by its keys, %lld required",
		    what, (long long)valid, valid == 1 ? "" : "s",
		    (long long)threshold);
	return SIGN_OK;
}

/* Encodes {"signed": signed_obj, "signatures": sigs} in wire form, then
 * parses the result back so nothing leaves here that verifiers refuse. */
static enum sign_result
build(const json_t *signed_obj, const struct sign_signature *sigs, size_t n,
    uint8_t **out, size_t *len, char *err, size_t errlen)
{
	struct sign_envelope *check = NULL;
	json_t *env = NULL, *arr;
	uint8_t *buf = NULL;
	size_t buflen;
	enum sign_result r;

	if (n > SIGN_MAX_SIGS)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "more than %d signatures", SIGN_MAX_SIGS);
	arr = json_array();
	env = json_pack("{s:O, s:o}", "signed", signed_obj, "signatures", arr);
	if (env == NULL)
		return sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_pack("{s:s, s:o}", "keyid", sigs[i].keyid,
		    "sig", sign_json_hex_new(sigs[i].sig, SIGN_SIG_LEN));

		if (s == NULL || json_array_append_new(arr, s) != 0) {
			r = sign_fail(SIGN_ERR_NOMEM, err, errlen,
			    "out of memory");
			goto out;
		}
	}
	r = sign_cjson_encode(env, SIGN_CJSON_WIRE, &buf, &buflen, err, errlen);
	if (r != SIGN_OK)
		goto out;
	r = sign_envelope_parse(buf, buflen, &check, err, errlen);
	if (r != SIGN_OK)
		goto out;
	*out = buf;
	*len = buflen;
	buf = NULL;
out:
	sign_envelope_free(check);
	free(buf);
	json_decref(env);
	return r;
}

enum sign_result
sign_envelope_sign(const struct sign_key *key, const json_t *signed_obj,
    uint8_t **out, size_t *len, char *err, size_t errlen)
{
	struct sign_signature sig;
	enum sign_doc_type type;
	uint8_t *canon;
	size_t canon_len;
	enum sign_result r;

	if ((r = doc_type(signed_obj, &type, err, errlen)) ||
	    (r = sign_cjson_encode(signed_obj, 0, &canon, &canon_len, err,
	    errlen)))
		return r;
	memcpy(sig.keyid, sign_key_id(key), SIGN_KEYID_HEX);
	sign_key_sign(key, canon, canon_len, sig.sig);
	free(canon);
	return build(signed_obj, &sig, 1, out, len, err, errlen);
}

enum sign_result
sign_envelope_add_signature(const struct sign_key *key, const uint8_t *buf,
    size_t len, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
	struct sign_envelope *env;
	struct sign_signature *sigs;
	size_t n = 0;
	enum sign_result r;

	r = sign_envelope_parse(buf, len, &env, err, errlen);
	if (r != SIGN_OK)
		return r;
	sigs = calloc(env->nsigs + 1, sizeof(*sigs));
	if (sigs == NULL) {
		sign_envelope_free(env);
		return sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
	}
	for (size_t i = 0; i < env->nsigs; i++)
		if (strcmp(env->sigs[i].keyid, sign_key_id(key)) != 0)
			sigs[n++] = env->sigs[i];
	memcpy(sigs[n].keyid, sign_key_id(key), SIGN_KEYID_HEX);
	sign_key_sign(key, env->canonical, env->canonical_len, sigs[n].sig);
	n++;
	r = build(env->signed_obj, sigs, n, out, outlen, err, errlen);
	free(sigs);
	sign_envelope_free(env);
	return r;
}

enum sign_result
sign_envelope_sign_all(const json_t *signed_obj,
    const struct sign_key *const *keys, size_t nkeys, uint8_t **out,
    size_t *len, char *err, size_t errlen)
{
	uint8_t *buf, *next;
	size_t buflen, nextlen;
	enum sign_result r;

	/* No key: an unsigned document, for others to sign in turn. */
	if (nkeys == 0)
		return build(signed_obj, NULL, 0, out, len, err, errlen);
	r = sign_envelope_sign(keys[0], signed_obj, &buf, &buflen, err, errlen);
	for (size_t i = 1; r == SIGN_OK && i < nkeys; i++) {
		r = sign_envelope_add_signature(keys[i], buf, buflen, &next,
		    &nextlen, err, errlen);
		free(buf);
		buf = r == SIGN_OK ? next : NULL;
		buflen = nextlen;
	}
	if (r != SIGN_OK)
		return r;
	*out = buf;
	*len = buflen;
	return SIGN_OK;
}
