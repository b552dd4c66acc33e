/* Shared fixtures for the src/sign suites: deterministic keys, roots,
 * releases and assignments. Header-only so each suite stays one binary. */
#ifndef TESTS_SIGN_FIXTURE_H
#define TESTS_SIGN_FIXTURE_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign.h"

/* A fixed "now" (2026-01-01T00:00:00Z) so expiry never depends on the
 * clock the tests run under. */
#define FX_NOW 1767225600LL
#define FX_DAY 86400LL

/* A key from a seed of 32 copies of tag: the same key every run. */
static inline struct sign_key *
fx_key(uint8_t tag)
{
	uint8_t seed[SIGN_SEED_LEN];
	struct sign_key *k;

	memset(seed, tag, sizeof(seed));
	k = sign_key_from_seed(seed);
	ck_assert_ptr_nonnull(k);
	return k;
}

/* What a root should hold and who signs it. */
struct fx_root {
	int64_t version;
	int64_t expires;
	struct sign_key *keys[SIGN_ROLE_COUNT][4];
	size_t nkeys[SIGN_ROLE_COUNT];
	int64_t threshold[SIGN_ROLE_COUNT];
	struct sign_key *sign[8];
	size_t nsign;
};

/* Makes the signed root envelope described by spec; the caller frees. */
static inline uint8_t *
fx_root_bytes(const struct fx_root *spec, size_t *len)
{
	struct sign_root *f = sign_root_new();
	char ferr[256];
	uint8_t *out = NULL;

	ck_assert_ptr_nonnull(f);
	f->version = spec->version;
	f->expires = spec->expires;
	for (int r = 0; r < SIGN_ROLE_COUNT; r++) {
		for (size_t i = 0; i < spec->nkeys[r]; i++) {
			struct sign_pubkey pk;

			sign_key_pubkey(spec->keys[r][i], &pk);
			ck_assert_int_eq(sign_role_add(&f->roles[r], &pk), 0);
		}
		f->roles[r].threshold = spec->threshold[r];
	}
	ck_assert_msg(sign_root_create(f, (const struct sign_key *const *)
	    spec->sign, spec->nsign, &out, len, ferr, sizeof(ferr)) == SIGN_OK,
	    "root_create: %s", ferr);
	sign_root_free(f);
	return out;
}

/* The root of spec, but with extra's key id listed in role as well (extra
 * must be in another role of spec): what sign_root_create refuses to
 * make, forged by re-signing the edited document. The caller frees. */
static inline uint8_t *
fx_root_overlap(const struct fx_root *spec, enum sign_role_id role,
    struct sign_key *extra, size_t *len)
{
	struct fx_root clean = *spec;
	struct sign_envelope *env = NULL;
	uint8_t *buf, *out = NULL;
	char ferr[256];
	json_t *ids;

	clean.nsign = 1;
	buf = fx_root_bytes(&clean, len);
	ck_assert_int_eq(sign_envelope_parse(buf, *len, &env, ferr,
	    sizeof(ferr)), SIGN_OK);
	free(buf);
	ids = json_object_get(json_object_get(json_object_get(env->signed_obj,
	    "roles"), sign_role_name(role)), "keyids");
	ck_assert_int_eq(json_array_append_new(ids,
	    json_string(sign_key_id(extra))), 0);
	ck_assert_int_eq(sign_envelope_sign(spec->sign[0], env->signed_obj,
	    &out, len, ferr, sizeof(ferr)), SIGN_OK);
	sign_envelope_free(env);
	for (size_t i = 1; i < spec->nsign; i++) {
		uint8_t *next = NULL;
		size_t nlen = 0;

		ck_assert_int_eq(sign_envelope_add_signature(spec->sign[i], out,
		    *len, &next, &nlen, ferr, sizeof(ferr)), SIGN_OK);
		free(out);
		out = next;
		*len = nlen;
	}
	return out;
}

/* Release fields with sane defaults; the caller frees with
 * sign_release_free. */
static inline struct sign_release *
fx_release_fields(const char *fw_version, int64_t counter)
{
	struct sign_release *f = sign_release_new();

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_lt(strlen(fw_version), sizeof(f->fw_version));
	memcpy(f->fw_version, fw_version, strlen(fw_version) + 1);
	memcpy(f->hw_classes[0], "board-a", 8);
	memcpy(f->hw_classes[1], "board-b", 8);
	f->nhw_classes = 2;
	f->security_counter = counter;
	f->length = 11;
	/* sha256("hello world") */
	ck_assert_int_eq(sign_unhex("b94d27b9934d3e08a52e52d7da7dabfac484efe3"
	    "7a5380ee9088f7ace2efcde9", f->sha256, SIGN_SHA256_LEN), 0);
	f->created = FX_NOW - FX_DAY;
	f->expires = FX_NOW + 30 * FX_DAY;
	return f;
}

/* Signs fields with keys[0..n); the caller frees the bytes. */
static inline uint8_t *
fx_release_bytes(const struct sign_release *f, struct sign_key **keys,
    size_t n, size_t *len)
{
	char ferr[256];
	uint8_t *out = NULL;

	ck_assert_msg(sign_release_create(f, (const struct sign_key *const *)
	    keys, n, &out, len, ferr, sizeof(ferr)) == SIGN_OK,
	    "release_create: %s", ferr);
	return out;
}

/* An assignment of the release bytes rel to device/nonce; caller frees. */
static inline uint8_t *
fx_assignment_bytes(struct sign_key *online, const char *device,
    const uint8_t *rel, size_t rel_len, const char *nonce, int64_t expires,
    size_t *len)
{
	uint8_t h[SIGN_SHA256_LEN];
	char ferr[256];
	uint8_t *out = NULL;

	sign_sha256(rel, rel_len, h);
	ck_assert_msg(sign_assignment_create(online, device, h, "camp-1",
	    nonce, expires - 300, expires, &out, len, ferr, sizeof(ferr)) ==
	    SIGN_OK,
	    "assignment_create: %s", ferr);
	return out;
}

/* Replaces the first occurrence of from with to (same length) in buf. */
static inline void
fx_patch(uint8_t *buf, size_t len, const char *from, const char *to)
{
	size_t n = strlen(from);

	ck_assert_uint_eq(n, strlen(to));
	for (size_t i = 0; i + n <= len; i++) {
		if (memcmp(buf + i, from, n) == 0) {
			memcpy(buf + i, to, n);
			return;
		}
	}
	ck_abort_msg("pattern %s not found", from);
}

/* A copy of buf with the first occurrence of from replaced by to (any
 * lengths); the caller frees. */
static inline uint8_t *
fx_replace(const uint8_t *buf, size_t len, const char *from, const char *to,
    size_t *outlen)
{
	size_t fn = strlen(from), tn = strlen(to);

	for (size_t i = 0; i + fn <= len; i++) {
		if (memcmp(buf + i, from, fn) == 0) {
			uint8_t *out = malloc(len - fn + tn + 1);

			ck_assert_ptr_nonnull(out);
			memcpy(out, buf, i);
			memcpy(out + i, to, tn);
			memcpy(out + i + tn, buf + i + fn, len - i - fn);
			*outlen = len - fn + tn;
			out[*outlen] = '\0';
			return out;
		}
	}
	ck_abort_msg("pattern %s not found", from);
	return NULL;
}

#endif
