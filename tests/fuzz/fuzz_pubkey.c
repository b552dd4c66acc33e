/* Fuzzes the public-key file parser: a key that parses has the id of its
 * bytes, and its file is exactly the canonical form of the input. */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_setup();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sign_pubkey pk, again, back;
	uint8_t *buf = fz_dup(data, size), *enc = NULL, *canon = NULL;
	size_t enclen = 0, canonlen = 0;
	char err[256] = "";
	enum sign_result r;

	memset(&pk, 0, sizeof(pk));
	r = sign_pubkey_parse(buf, size, &pk, err, sizeof(err));
	FZ_ASSERT(r == SIGN_OK || r == SIGN_ERR_FORMAT);
	if (r != SIGN_OK) {
		FZ_ASSERT(err[0] != '\0');
		goto out;
	}
	FZ_ASSERT(size <= SIGN_PUBKEY_FILE_MAX);
	/* The id is the sha256 of the point, which is a valid one. */
	FZ_ASSERT(sign_pubkey_from_raw(pk.pk, &again) == 0);
	FZ_ASSERT(memcmp(&again, &pk, sizeof(pk)) == 0);
	FZ_ASSERT(fz_is_keyid(pk.keyid));
	/* Written back, it is the input in canonical form plus a newline,
	 * and it parses to the same key. */
	enc = sign_pubkey_encode(&pk, &enclen);
	FZ_ASSERT(enc != NULL && enclen >= 1 && enc[enclen - 1] == '\n');
	FZ_ASSERT(sign_cjson_canonicalize(buf, size, &canon, &canonlen, err,
	    sizeof(err)) == SIGN_OK);
	FZ_ASSERT(canonlen + 1 == enclen && memcmp(canon, enc, canonlen) == 0);
	FZ_ASSERT(sign_pubkey_parse(enc, enclen, &back, err, sizeof(err)) ==
	    SIGN_OK);
	FZ_ASSERT(memcmp(&back, &pk, sizeof(pk)) == 0);
out:
	free(canon);
	free(enc);
	free(buf);
	return 0;
}
