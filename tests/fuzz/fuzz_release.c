/* Fuzzes release verification against the fixed trusted root. Input: one
 * mode byte, then the envelope; mode bit 0 cosigns it with release key L1
 * so mutated content reaches the field checks. A release that verifies
 * holds only valid fields and survives being re-made from them. */
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
check_fields(const struct sign_release *rel)
{
	FZ_ASSERT(sign_semver_valid(rel->fw_version));
	FZ_ASSERT(rel->nhw_classes >= 1 &&
	    rel->nhw_classes <= SIGN_HW_CLASSES_MAX);
	for (size_t i = 0; i < rel->nhw_classes; i++) {
		const char *c = rel->hw_classes[i];
		size_t n = strnlen(c, SIGN_HW_CLASS_MAX + 1);

		FZ_ASSERT(n >= 1 && n <= SIGN_HW_CLASS_MAX);
		FZ_ASSERT(fz_no_ctrl(c, n));
		FZ_ASSERT(sign_release_has_hw_class(rel, c));
		for (size_t j = 0; j < i; j++)
			FZ_ASSERT(strcmp(c, rel->hw_classes[j]) != 0);
	}
	FZ_ASSERT(rel->security_counter >= 0);
	FZ_ASSERT(rel->length >= 1 && rel->length <= INT64_MAX);
	FZ_ASSERT(rel->created < rel->expires);
	FZ_ASSERT(rel->notes == NULL || strlen(rel->notes) <= SIGN_NOTES_MAX);
}

/* Re-made from its fields by L1 and verified again: the same release. */
static void
check_round_trip(const struct sign_release *rel)
{
	const struct sign_key *keys[1] = { fz.key[FZ_L1] };
	struct sign_release *back = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[256];

	FZ_ASSERT(sign_release_create(rel, keys, 1, &buf, &len, err,
	    sizeof(err)) == SIGN_OK);
	FZ_ASSERT(sign_release_verify(fz.trusted, buf, len, FZ_NOW, &back, err,
	    sizeof(err)) == SIGN_OK);
	FZ_ASSERT(strcmp(back->fw_version, rel->fw_version) == 0);
	FZ_ASSERT(back->nhw_classes == rel->nhw_classes);
	for (size_t i = 0; i < rel->nhw_classes; i++)
		FZ_ASSERT(strcmp(back->hw_classes[i], rel->hw_classes[i]) == 0);
	FZ_ASSERT(back->security_counter == rel->security_counter);
	FZ_ASSERT(back->length == rel->length);
	FZ_ASSERT(memcmp(back->sha256, rel->sha256, SIGN_SHA256_LEN) == 0);
	FZ_ASSERT(back->created == rel->created);
	FZ_ASSERT(back->expires == rel->expires);
	FZ_ASSERT((back->notes == NULL) == (rel->notes == NULL));
	FZ_ASSERT(rel->notes == NULL || strcmp(back->notes, rel->notes) == 0);
	sign_release_free(back);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum fz_key_id signer[] = { FZ_L1 };
	struct sign_release *rel = NULL, *any = NULL;
	uint8_t *buf, h[SIGN_SHA256_LEN];
	size_t len;
	char err[256] = "";
	enum sign_result r, rany;

	if (size < 1)
		return 0;
	buf = fz_dup(data + 1, size - 1);
	len = size - 1;
	if (data[0] & 1)
		(void)fz_cosign(&buf, &len, signer, 1);

	r = sign_release_verify(fz.trusted, buf, len, FZ_NOW, &rel, err,
	    sizeof(err));
	FZ_ASSERT(r == SIGN_OK || r == SIGN_ERR_FORMAT ||
	    r == SIGN_ERR_SIGNATURE || r == SIGN_ERR_THRESHOLD ||
	    r == SIGN_ERR_EXPIRED);
	FZ_ASSERT(r == SIGN_OK || err[0] != '\0');
	/* Without the clock only the expiry verdict may change. */
	rany = sign_release_verify(fz.trusted, buf, len, SIGN_NO_EXPIRY, &any,
	    err, sizeof(err));
	FZ_ASSERT(rany == (r == SIGN_ERR_EXPIRED ? SIGN_OK : r));
	/* out may be NULL. */
	FZ_ASSERT(sign_release_verify(fz.trusted, buf, len, FZ_NOW, NULL, err,
	    sizeof(err)) == r);
	if (r == SIGN_OK) {
		check_fields(rel);
		FZ_ASSERT(rel->expires > FZ_NOW);
		sign_sha256(buf, len, h);
		FZ_ASSERT(memcmp(h, rel->envelope_sha256, sizeof(h)) == 0);
		FZ_ASSERT(rel->signers.n >= 1);
		for (size_t i = 0; i < rel->signers.n; i++)
			FZ_ASSERT(sign_role_find(
			    &fz.trusted->roles[SIGN_ROLE_RELEASE],
			    rel->signers.id[i]) >= 0);
		check_round_trip(rel);
	}
	if (rany == SIGN_OK)
		check_fields(any);
	sign_release_free(any);
	sign_release_free(rel);
	free(buf);
	return 0;
}
