/* Assignments: creation by the server, verification by devices. */
#include <stdlib.h>
#include <string.h>

#include "sign/crypto.h"
#include "sign/envelope.h"
#include "sign/internal.h"
#include "sign/assignment.h"

void
sign_assignment_free(struct sign_assignment *a)
{
	free(a);
}

static enum sign_result
copy_str(const json_t *v, const char *key, char *dst, char *err,
    size_t errlen)
{
	const char *s;
	enum sign_result r;

	r = sign_json_str(v, key, "assignment", SIGN_ID_MAX, 0, &s, err,
	    errlen);
	if (r == SIGN_OK)
		memcpy(dst, s, strlen(s) + 1);
	return r;
}

static enum sign_result
parse_signed(const struct sign_envelope *env, struct sign_assignment *a,
    char *err, size_t errlen)
{
	static const char *const req[] = { "_type", "device_id", "release",
	    "campaign", "nonce", "expires", NULL };
	static const char *const opt[] = { "created", NULL };
	const json_t *v = env->signed_obj;
	enum sign_result r;

	if (env->type != SIGN_DOC_ASSIGNMENT)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "expected an assignment, got a %s document",
		    sign_doc_type_name(env->type));
	if ((r = sign_json_keys(v, "assignment", req, opt, err, errlen)) ||
	    (r = copy_str(v, "device_id", a->device_id, err, errlen)) ||
	    (r = sign_json_hex(v, "release", "assignment", a->release_sha256,
	    SIGN_SHA256_LEN, err, errlen)) ||
	    (r = copy_str(v, "campaign", a->campaign, err, errlen)) ||
	    (r = copy_str(v, "nonce", a->nonce, err, errlen)) ||
	    (r = sign_json_time(v, "expires", "assignment", &a->expires, err,
	    errlen)))
		return r;
	if (json_object_get(v, "created") == NULL)
		return SIGN_OK;
	r = sign_json_time(v, "created", "assignment", &a->created, err,
	    errlen);
	if (r == SIGN_OK && a->created >= a->expires)
		r = sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "assignment: \"created\" must come before \"expires\"");
	return r;
}

static enum sign_result
parse_doc(const uint8_t *buf, size_t len, struct sign_envelope **envp,
    struct sign_assignment **ap, char *err, size_t errlen)
{
	struct sign_envelope *env;
	struct sign_assignment *a;
	enum sign_result r;

	r = sign_envelope_parse(buf, len, &env, err, errlen);
	if (r != SIGN_OK)
		return r;
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		sign_envelope_free(env);
		return sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
	}
	r = parse_signed(env, a, err, errlen);
	if (r != SIGN_OK) {
		free(a);
		sign_envelope_free(env);
		return r;
	}
	*envp = env;
	*ap = a;
	return SIGN_OK;
}

enum sign_result
sign_assignment_create(const struct sign_key *online, const char *device_id,
    const uint8_t release_sha256[SIGN_SHA256_LEN], const char *campaign,
    const char *nonce, int64_t created, int64_t expires, uint8_t **out,
    size_t *len, char *err, size_t errlen)
{
	struct sign_envelope *env;
	struct sign_assignment *a;
	uint8_t *buf;
	size_t buflen;
	json_t *v;
	enum sign_result r;

	if (device_id == NULL || campaign == NULL || nonce == NULL)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "assignment: device_id, campaign and nonce are required");
	v = json_pack("{s:s, s:s, s:o, s:s, s:s, s:o}",
	    "_type", "assignment",
	    "device_id", device_id,
	    "release", sign_json_hex_new(release_sha256, SIGN_SHA256_LEN),
	    "campaign", campaign,
	    "nonce", nonce,
	    "expires", sign_json_time_new(expires));
	if (v == NULL)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "assignment: a field is not valid UTF-8");
	if (created > 0 && json_object_set_new(v, "created",
	    sign_json_time_new(created)) != 0) {
		json_decref(v);
		return sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
	}
	r = sign_envelope_sign(online, v, &buf, &buflen, err, errlen);
	json_decref(v);
	if (r != SIGN_OK)
		return r;
	/* Refuse here what every device would refuse (caps, empty ids). */
	r = parse_doc(buf, buflen, &env, &a, err, errlen);
	if (r != SIGN_OK) {
		free(buf);
		return r;
	}
	sign_envelope_free(env);
	free(a);
	*out = buf;
	*len = buflen;
	return SIGN_OK;
}

enum sign_result
sign_assignment_verify_sig(const struct sign_root *root, const uint8_t *buf,
    size_t len, int64_t now, struct sign_assignment **out, char *err,
    size_t errlen)
{
	struct sign_envelope *env;
	struct sign_assignment *a;
	enum sign_result r;

	r = parse_doc(buf, len, &env, &a, err, errlen);
	if (r != SIGN_OK)
		return r;
	r = sign_root_verify_role(root, SIGN_ROLE_ONLINE, env, &a->signers,
	    err, errlen);
	sign_envelope_free(env);
	if (r == SIGN_OK)
		r = sign_check_expiry(a->expires, now, "assignment", err,
		    errlen);
	if (r != SIGN_OK) {
		free(a);
		return r;
	}
	*out = a;
	return SIGN_OK;
}

enum sign_result
sign_assignment_verify(const struct sign_root *root, const uint8_t *buf,
    size_t len, const char *device_id, const char *nonce,
    const uint8_t *release, size_t release_len, int64_t now,
    struct sign_assignment **out, char *err, size_t errlen)
{
	uint8_t h[SIGN_SHA256_LEN];
	struct sign_assignment *a;
	enum sign_result r;

	if (device_id == NULL || nonce == NULL || release == NULL)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "assignment check needs a device id, a nonce and the "
		    "release bytes");
	r = sign_assignment_verify_sig(root, buf, len, now, &a, err, errlen);
	if (r != SIGN_OK)
		return r;
	sign_sha256(release, release_len, h);
	if (strcmp(a->device_id, device_id) != 0)
		r = sign_fail(SIGN_ERR_DEVICE, err, errlen,
		    "assignment is for device \"%s\", not \"%s\"",
		    a->device_id, device_id);
	else if (strcmp(a->nonce, nonce) != 0)
		r = sign_fail(SIGN_ERR_NONCE, err, errlen,
		    "assignment answers another poll (nonce mismatch)");
	else if (!sign_memeq(a->release_sha256, h, sizeof(h)))
		r = sign_fail(SIGN_ERR_RELEASE_MISMATCH, err, errlen,
		    "assignment names another release than the one offered");
	if (r != SIGN_OK || out == NULL) {
		free(a);
		return r;
	}
	*out = a;
	return SIGN_OK;
}
