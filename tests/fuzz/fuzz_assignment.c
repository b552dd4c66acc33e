/* Fuzzes assignment verification against the fixed trusted root. Input:
 * one mode byte, then the envelope; mode bit 0 cosigns it with online key
 * O1 so mutated content reaches the field checks. An assignment that
 * verifies holds only valid fields, survives being re-made from them, and
 * binds its device, nonce and release. */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_setup();
	return 0;
}

static void
check_id(const char *s)
{
	size_t n = strnlen(s, SIGN_ID_MAX + 1);

	FZ_ASSERT(n >= 1 && n <= SIGN_ID_MAX);
	FZ_ASSERT(fz_no_ctrl(s, n));
}

static void
check_round_trip(const struct sign_assignment *a)
{
	struct sign_assignment *back = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[256];

	FZ_ASSERT(sign_assignment_create(fz.key[FZ_O1], a->device_id,
	    a->release_sha256, a->campaign, a->nonce, a->created, a->expires,
	    &buf, &len, err, sizeof(err)) == SIGN_OK);
	FZ_ASSERT(sign_assignment_verify_sig(fz.trusted, buf, len, FZ_NOW,
	    &back, err, sizeof(err)) == SIGN_OK);
	FZ_ASSERT(strcmp(back->device_id, a->device_id) == 0);
	FZ_ASSERT(strcmp(back->campaign, a->campaign) == 0);
	FZ_ASSERT(strcmp(back->nonce, a->nonce) == 0);
	FZ_ASSERT(memcmp(back->release_sha256, a->release_sha256,
	    SIGN_SHA256_LEN) == 0);
	FZ_ASSERT(back->expires == a->expires);
	/* A time at or before 1970 is left out: 0 means "none". */
	FZ_ASSERT(back->created == (a->created > 0 ? a->created : 0));
	sign_assignment_free(back);
	free(buf);
}

/* sign_assignment_verify names the first binding that fails. */
static void
check_bindings(const struct sign_assignment *a, const uint8_t *buf,
    size_t len)
{
	static const uint8_t other[] = "not the release";
	char dev[SIGN_ID_MAX + 2], err[256];
	size_t n = strlen(a->device_id);

	memcpy(dev, a->device_id, n);
	dev[n] = 'x';
	dev[n + 1] = '\0';
	FZ_ASSERT(sign_assignment_verify(fz.trusted, buf, len, dev, a->nonce,
	    other, sizeof(other), FZ_NOW, NULL, err, sizeof(err)) ==
	    SIGN_ERR_DEVICE);
	FZ_ASSERT(sign_assignment_verify(fz.trusted, buf, len, a->device_id,
	    "", other, sizeof(other), FZ_NOW, NULL, err, sizeof(err)) ==
	    SIGN_ERR_NONCE);
	/* No input names the sha256 of this fixed text. */
	FZ_ASSERT(sign_assignment_verify(fz.trusted, buf, len, a->device_id,
	    a->nonce, other, sizeof(other), FZ_NOW, NULL, err, sizeof(err)) ==
	    SIGN_ERR_RELEASE_MISMATCH);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum fz_key_id signer[] = { FZ_O1 };
	struct sign_assignment *a = NULL;
	uint8_t *buf;
	size_t len;
	char err[256] = "";
	enum sign_result r;

	if (size < 1)
		return 0;
	buf = fz_dup(data + 1, size - 1);
	len = size - 1;
	if (data[0] & 1)
		(void)fz_cosign(&buf, &len, signer, 1);

	r = sign_assignment_verify_sig(fz.trusted, buf, len, FZ_NOW, &a, err,
	    sizeof(err));
	FZ_ASSERT(r == SIGN_OK || r == SIGN_ERR_FORMAT ||
	    r == SIGN_ERR_SIGNATURE || r == SIGN_ERR_THRESHOLD ||
	    r == SIGN_ERR_EXPIRED);
	FZ_ASSERT(r == SIGN_OK || err[0] != '\0');
	if (r != SIGN_OK) {
		/* The device check fails the same way first. */
		FZ_ASSERT(sign_assignment_verify(fz.trusted, buf, len, "d", "n",
		    buf, len, FZ_NOW, NULL, err, sizeof(err)) == r);
		goto out;
	}
	check_id(a->device_id);
	check_id(a->campaign);
	check_id(a->nonce);
	FZ_ASSERT(a->expires > FZ_NOW);
	FZ_ASSERT(a->signers.n >= 1);
	for (size_t i = 0; i < a->signers.n; i++)
		FZ_ASSERT(sign_role_find(&fz.trusted->roles[SIGN_ROLE_ONLINE],
		    a->signers.id[i]) >= 0);
	check_round_trip(a);
	check_bindings(a, buf, len);
out:
	sign_assignment_free(a);
	free(buf);
	return 0;
}
