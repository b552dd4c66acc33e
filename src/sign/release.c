/* Release manifests: creation and verification. */
#include <stdlib.h>
#include <string.h>

#include "sign/crypto.h"
#include "sign/envelope.h"
#include "sign/internal.h"
#include "sign/release.h"
#include "util/util.h"

struct sign_release *
sign_release_new(void)
{
	return calloc(1, sizeof(struct sign_release));
}

void
sign_release_free(struct sign_release *rel)
{
	if (rel == NULL)
		return;
	free(rel->notes);
	free(rel);
}

int
sign_release_has_hw_class(const struct sign_release *rel, const char *hw_class)
{
	for (size_t i = 0; i < rel->nhw_classes; i++)
		if (strcmp(rel->hw_classes[i], hw_class) == 0)
			return 1;
	return 0;
}

static enum sign_result
parse_hw_classes(const json_t *arr, struct sign_release *rel, char *err,
    size_t errlen)
{
	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > SIGN_HW_CLASSES_MAX)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "release: \"hw_classes\" must list 1 to %d classes",
		    SIGN_HW_CLASSES_MAX);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *c = json_array_get(arr, i);
		const char *s;
		size_t n;

		if (!json_is_string(c))
			return sign_fail(SIGN_ERR_FORMAT, err, errlen,
			    "release: hw classes must be strings");
		s = json_string_value(c);
		n = json_string_length(c);
		if (n == 0 || n > SIGN_HW_CLASS_MAX || strlen(s) != n)
			return sign_fail(SIGN_ERR_FORMAT, err, errlen,
			    "release: a hw class must be 1 to %d bytes",
			    SIGN_HW_CLASS_MAX);
		for (size_t k = 0; k < n; k++)
			if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f)
				return sign_fail(SIGN_ERR_FORMAT, err, errlen,
				    "release: a hw class holds a control "
				    "character");
		if (sign_release_has_hw_class(rel, s))
			return sign_fail(SIGN_ERR_FORMAT, err, errlen,
			    "release: hw class \"%s\" listed twice", s);
		memcpy(rel->hw_classes[rel->nhw_classes++], s, n + 1);
	}
	return SIGN_OK;
}

/* Fills rel from the signed part of a release envelope. */
static enum sign_result
parse_signed(const struct sign_envelope *env, struct sign_release *rel,
    char *err, size_t errlen)
{
	static const char *const req[] = { "_type", "fw_version", "hw_classes",
	    "security_counter", "length", "hashes", "expires", "created",
	    NULL };
	static const char *const opt[] = { "notes", NULL };
	static const char *const hash_req[] = { "sha256", NULL };
	const json_t *v = env->signed_obj;
	const char *s;
	int64_t n;
	enum sign_result r;

	if (env->type != SIGN_DOC_RELEASE)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "expected a release, got a %s document",
		    sign_doc_type_name(env->type));
	if ((r = sign_json_keys(v, "release", req, opt, err, errlen)) ||
	    (r = sign_json_str(v, "fw_version", "release", SIGN_SEMVER_MAX, 0,
	    &s, err, errlen)))
		return r;
	if (!sign_semver_valid(s))
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "release: fw_version \"%s\" is not MAJOR.MINOR.PATCH"
		    "[-PRERELEASE]", s);
	memcpy(rel->fw_version, s, strlen(s) + 1);
	if ((r = parse_hw_classes(json_object_get(v, "hw_classes"), rel, err,
	    errlen)) ||
	    (r = sign_json_int(v, "security_counter", "release", 0, INT64_MAX,
	    &rel->security_counter, err, errlen)) ||
	    (r = sign_json_int(v, "length", "release", 1, INT64_MAX, &n, err,
	    errlen)))
		return r;
	rel->length = (uint64_t)n;
	if ((r = sign_json_keys(json_object_get(v, "hashes"), "release hashes",
	    hash_req, NULL, err, errlen)) ||
	    (r = sign_json_hex(json_object_get(v, "hashes"), "sha256",
	    "release hashes", rel->sha256, SIGN_SHA256_LEN, err, errlen)) ||
	    (r = sign_json_time(v, "expires", "release", &rel->expires, err,
	    errlen)) ||
	    (r = sign_json_time(v, "created", "release", &rel->created, err,
	    errlen)))
		return r;
	if (rel->created >= rel->expires)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "release: created is not before expires");
	if (json_object_get(v, "notes") != NULL) {
		if ((r = sign_json_str(v, "notes", "release", SIGN_NOTES_MAX,
		    SIGN_STR_EMPTY_OK | SIGN_STR_CTRL_OK, &s, err, errlen)))
			return r;
		rel->notes = strdup(s);
		if (rel->notes == NULL)
			return sign_fail(SIGN_ERR_NOMEM, err, errlen,
			    "out of memory");
	}
	return SIGN_OK;
}

static json_t *
release_json(const struct sign_release *f)
{
	json_t *v, *hw;

	if (f->length > INT64_MAX)
		return NULL;
	hw = json_array();
	v = json_pack("{s:s, s:s, s:o, s:I, s:I, s:{s:o}, s:o, s:o}",
	    "_type", "release",
	    "fw_version", f->fw_version,
	    "hw_classes", hw,
	    "security_counter", (json_int_t)f->security_counter,
	    "length", (json_int_t)f->length,
	    "hashes", "sha256", sign_json_hex_new(f->sha256, SIGN_SHA256_LEN),
	    "expires", sign_json_time_new(f->expires),
	    "created", sign_json_time_new(f->created));
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < f->nhw_classes && i < SIGN_HW_CLASSES_MAX; i++) {
		if (json_array_append_new(hw,
		    json_string(f->hw_classes[i])) != 0)
			goto fail;
	}
	if (f->notes != NULL &&
	    json_object_set_new(v, "notes", json_string(f->notes)) != 0)
		goto fail;
	return v;
fail:
	json_decref(v);
	return NULL;
}

static enum sign_result
parse_doc(const uint8_t *buf, size_t len, struct sign_envelope **envp,
    struct sign_release **relp, char *err, size_t errlen)
{
	struct sign_envelope *env;
	struct sign_release *rel;
	enum sign_result r;

	r = sign_envelope_parse(buf, len, &env, err, errlen);
	if (r != SIGN_OK)
		return r;
	rel = sign_release_new();
	if (rel == NULL) {
		sign_envelope_free(env);
		return sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
	}
	r = parse_signed(env, rel, err, errlen);
	if (r != SIGN_OK) {
		sign_release_free(rel);
		sign_envelope_free(env);
		return r;
	}
	sign_sha256(buf, len, rel->envelope_sha256);
	*envp = env;
	*relp = rel;
	return SIGN_OK;
}

enum sign_result
sign_release_create(const struct sign_release *fields,
    const struct sign_key *const *keys, size_t nkeys, uint8_t **out,
    size_t *len, char *err, size_t errlen)
{
	struct sign_envelope *env;
	struct sign_release *rel;
	uint8_t *buf;
	size_t buflen;
	json_t *v;
	enum sign_result r;

	/* Strings that json_string refuses (bad UTF-8) fail here too. */
	v = release_json(fields);
	if (v == NULL)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "release: a field is not valid UTF-8 or out of range");
	r = sign_envelope_sign_all(v, keys, nkeys, &buf, &buflen, err, errlen);
	json_decref(v);
	if (r != SIGN_OK)
		return r;
	/* Whatever verifiers would refuse is refused here, with their
	 * message. */
	r = parse_doc(buf, buflen, &env, &rel, err, errlen);
	if (r != SIGN_OK) {
		free(buf);
		return r;
	}
	sign_envelope_free(env);
	sign_release_free(rel);
	*out = buf;
	*len = buflen;
	return SIGN_OK;
}

enum sign_result
sign_release_verify(const struct sign_root *root, const uint8_t *buf,
    size_t len, int64_t now, struct sign_release **out, char *err,
    size_t errlen)
{
	struct sign_envelope *env;
	struct sign_release *rel;
	enum sign_result r;

	r = parse_doc(buf, len, &env, &rel, err, errlen);
	if (r != SIGN_OK)
		return r;
	r = sign_root_verify_role(root, SIGN_ROLE_RELEASE, env, &rel->signers,
	    err, errlen);
	sign_envelope_free(env);
	if (r == SIGN_OK) {
		char what[96];

		(void)util_fmt(what, sizeof(what), "release %s",
		    rel->fw_version);
		r = sign_check_expiry(rel->expires, now, what, err, errlen);
	}
	if (r != SIGN_OK || out == NULL) {
		sign_release_free(rel);
		return r;
	}
	*out = rel;
	return SIGN_OK;
}
