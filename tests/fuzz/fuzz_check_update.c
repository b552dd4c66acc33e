/* Fuzzes the device's update decision, sign_check_update, against the
 * fixed trusted root and a model of its rules. Input: a mode byte, a
 * device byte, then release bytes, a NUL, and assignment bytes.
 *   mode bit 0: cosign the release with L1;
 *   mode bit 1: cosign the assignment with O1;
 *   mode bit 2: re-sign the assignment's signed part with O1 after
 *               pointing its "release" at the sha256 of the release bytes
 *               (so the two stay bound while both are mutated);
 *   mode bit 3: decide after the root expired (always a freeze).
 * The device byte picks the running version, hw class and counter. */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_setup();
	return 0;
}

/* Re-signs the assignment in *buf naming the sha256 of rel; *buf is left
 * alone when it is not an envelope. */
static void
rebind(uint8_t **buf, size_t *len, const uint8_t *rel, size_t rel_len)
{
	struct sign_envelope *env = NULL;
	uint8_t h[SIGN_SHA256_LEN], *out = NULL;
	char hex[SIGN_SHA256_HEX];
	size_t outlen;

	if (sign_envelope_parse(*buf, *len, &env, NULL, 0) != SIGN_OK)
		return;
	sign_sha256(rel, rel_len, h);
	sign_hex(h, sizeof(h), hex);
	if (json_object_set_new(env->signed_obj, "release",
	    json_string(hex)) == 0 &&
	    sign_envelope_sign(fz.key[FZ_O1], env->signed_obj, &out, &outlen,
	    NULL, 0) == SIGN_OK) {
		free(*buf);
		*buf = out;
		*len = outlen;
	}
	sign_envelope_free(env);
}

/* Rules 4 to 6 as documented in sign/check.h. */
static enum sign_result
model_fit(const struct sign_release *rel, const struct sign_device_ctx *dev)
{
	int order;

	if (!sign_release_has_hw_class(rel, dev->hw_class))
		return SIGN_ERR_INCOMPATIBLE;
	if (rel->security_counter < dev->security_counter)
		return SIGN_ERR_ROLLBACK;
	if (sign_semver_cmp(rel->fw_version, dev->fw_version, &order) != 0)
		return SIGN_ERR_VERSION;
	if (order > 0 || (order == 0 &&
	    rel->security_counter == dev->security_counter))
		return SIGN_OK;
	return SIGN_ERR_VERSION;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const versions[] = { "1.0.0", "0.9.0",
	    "1.0.0-rc.1", "2.0.0", "1.0", "0.0.1-alpha.beta.1" };
	static const char *const classes[] = { "board-a", "board-c" };
	static const int64_t counters[] = { 0, 1, 5, INT64_MAX };
	static const enum fz_key_id rel_signer[] = { FZ_L1 };
	static const enum fz_key_id online_signer[] = { FZ_O1 };
	struct sign_release *rel = NULL, *vrel = NULL;
	struct sign_assignment *vasg = NULL;
	struct sign_device_ctx dev;
	struct fz_part parts[2];
	uint8_t *rb, *ab;
	size_t rlen, alen;
	int64_t now, at;
	char err[256] = "";
	enum sign_result r, want;
	int mode, d;

	if (size < 2)
		return 0;
	mode = data[0];
	d = data[1];
	fz_split(data + 2, size - 2, parts, 2);
	rb = fz_dup(parts[0].p, parts[0].len);
	rlen = parts[0].len;
	ab = fz_dup(parts[1].p, parts[1].len);
	alen = parts[1].len;
	if (mode & 1)
		(void)fz_cosign(&rb, &rlen, rel_signer, 1);
	if (mode & 2)
		(void)fz_cosign(&ab, &alen, online_signer, 1);
	if (mode & 4)
		rebind(&ab, &alen, rb, rlen);
	now = mode & 8 ? fz.trusted->expires : FZ_NOW;

	dev.device_id = "dev-1";
	dev.nonce = "nonce-1";
	dev.fw_version = versions[d % 6];
	dev.hw_class = classes[(d / 6) % 2];
	dev.security_counter = counters[(d / 12) % 4];
	/* A clock behind what the device has seen: expiry at the floor. */
	dev.time_floor = mode & 16 ? FZ_NOW + 30 * 86400 : 0;
	at = dev.time_floor > now ? dev.time_floor : now;

	r = sign_check_update(fz.trusted, rb, rlen, ab, alen, &dev, now, &rel,
	    err, sizeof(err));
	FZ_ASSERT(fz_result_ok(r));
	FZ_ASSERT(r == SIGN_OK || err[0] != '\0');
	FZ_ASSERT((r == SIGN_OK) == (rel != NULL));

	/* The model: the first rule that fails gives the verdict; what the
	 * clock takes but the floor shows stale is a freeze. */
	if (at >= fz.trusted->expires) {
		want = SIGN_ERR_FREEZE;
	} else if ((want = sign_release_verify(fz.trusted, rb, rlen, now,
	    &vrel, err, sizeof(err))) == SIGN_OK &&
	    (want = at >= vrel->expires ? SIGN_ERR_FREEZE : SIGN_OK) ==
	    SIGN_OK &&
	    (want = sign_assignment_verify(fz.trusted, ab, alen, dev.device_id,
	    dev.nonce, rb, rlen, now, &vasg, err, sizeof(err))) == SIGN_OK &&
	    (want = at >= vasg->expires ? SIGN_ERR_FREEZE : SIGN_OK) ==
	    SIGN_OK) {
		want = model_fit(vrel, &dev);
	}
	FZ_ASSERT(r == want);
	if (r == SIGN_OK) {
		int order;

		FZ_ASSERT(memcmp(rel, vrel, offsetof(struct sign_release,
		    notes)) == 0);
		FZ_ASSERT(sign_release_has_hw_class(rel, dev.hw_class));
		FZ_ASSERT(rel->security_counter >= dev.security_counter);
		FZ_ASSERT(sign_semver_cmp(rel->fw_version, dev.fw_version,
		    &order) == 0 && order >= 0);
		FZ_ASSERT(rel->expires > at);
		/* The same call again: the same verdict (no hidden state). */
		FZ_ASSERT(sign_check_update(fz.trusted, rb, rlen, ab, alen, &dev,
		    now, NULL, err, sizeof(err)) == SIGN_OK);
	}
	sign_assignment_free(vasg);
	sign_release_free(vrel);
	sign_release_free(rel);
	free(ab);
	free(rb);
	return 0;
}
