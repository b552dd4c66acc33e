/* Fuzzes envelope parsing, threshold counting and cosigning: whatever
 * parses carries a canonical signed part that matches its re-encoding,
 * and adding a signature keeps that part and counts exactly once. */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_setup();
	return 0;
}

/* Signatures in env not made by keyid. */
static size_t
others(const struct sign_envelope *env, const char *keyid)
{
	size_t n = 0;

	for (size_t i = 0; i < env->nsigs; i++)
		n += strcmp(env->sigs[i].keyid, keyid) != 0;
	return n;
}

static void
check_cosign(const struct sign_envelope *env, const uint8_t *buf, size_t size)
{
	const struct sign_key *k = fz.key[FZ_L1];
	const struct sign_pubkey *pk = &fz.pub[FZ_L1];
	struct sign_envelope *env2 = NULL;
	uint8_t *out = NULL, *again = NULL;
	size_t outlen = 0, againlen = 0;
	char err[256];
	enum sign_result r;

	r = sign_envelope_add_signature(k, buf, size, &out, &outlen, err,
	    sizeof(err));
	if (r != SIGN_OK) {
		/* Only the caps can refuse what parsed. */
		FZ_ASSERT(r == SIGN_ERR_FORMAT);
		FZ_ASSERT(others(env, pk->keyid) + 1 > SIGN_MAX_SIGS ||
		    strstr(err, "cap") != NULL);
		return;
	}
	FZ_ASSERT(sign_envelope_parse(out, outlen, &env2, err, sizeof(err)) ==
	    SIGN_OK);
	FZ_ASSERT(env2->type == env->type);
	FZ_ASSERT(env2->canonical_len == env->canonical_len &&
	    memcmp(env2->canonical, env->canonical, env->canonical_len) == 0);
	FZ_ASSERT(env2->nsigs == others(env, pk->keyid) + 1);
	FZ_ASSERT(others(env2, pk->keyid) == env2->nsigs - 1);
	FZ_ASSERT(sign_envelope_verify(env2, pk, 1, 1, "fuzz", NULL, err,
	    sizeof(err)) == SIGN_OK);
	/* What the signer writes is canonical: a fixed point. */
	FZ_ASSERT(sign_cjson_canonicalize(out, outlen, &again, &againlen, err,
	    sizeof(err)) == SIGN_OK);
	FZ_ASSERT(againlen == outlen && memcmp(again, out, outlen) == 0);
	free(again);
	free(out);
	sign_envelope_free(env2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = fz_dup(data, size), *c = NULL;
	struct sign_envelope *env = NULL;
	struct sign_keyids signers;
	size_t clen = 0;
	char err[256] = "";
	enum sign_result r;

	r = sign_envelope_parse(buf, size, &env, err, sizeof(err));
	FZ_ASSERT(r == SIGN_OK || r == SIGN_ERR_FORMAT);
	if (r != SIGN_OK) {
		FZ_ASSERT(err[0] != '\0');
		goto out;
	}
	FZ_ASSERT(env->type == SIGN_DOC_ROOT || env->type == SIGN_DOC_RELEASE ||
	    env->type == SIGN_DOC_ASSIGNMENT);
	FZ_ASSERT(strcmp(sign_doc_type_name(env->type), "unknown") != 0);
	FZ_ASSERT(env->nsigs <= SIGN_MAX_SIGS);
	for (size_t i = 0; i < env->nsigs; i++)
		FZ_ASSERT(fz_is_keyid(env->sigs[i].keyid));
	/* The bytes signatures cover are the signed part's encoding. */
	FZ_ASSERT(json_is_object(env->signed_obj));
	FZ_ASSERT(sign_cjson_encode(env->signed_obj, 0, &c, &clen, err,
	    sizeof(err)) == SIGN_OK);
	FZ_ASSERT(clen == env->canonical_len &&
	    memcmp(c, env->canonical, clen) == 0);
	/* Counting against every fixed key: a verdict, never anything else;
	 * each key counts once. */
	memset(&signers, 0, sizeof(signers));
	r = sign_envelope_verify(env, fz.pub, FZ_NKEYS, 1, "fuzz", &signers,
	    err, sizeof(err));
	FZ_ASSERT(r == SIGN_OK || r == SIGN_ERR_SIGNATURE ||
	    r == SIGN_ERR_THRESHOLD);
	FZ_ASSERT(signers.n <= FZ_NKEYS && signers.n <= env->nsigs);
	for (size_t i = 0; i < signers.n; i++)
		FZ_ASSERT(fz_key_of(signers.id[i]) >= 0);
	if (r == SIGN_OK)
		FZ_ASSERT(signers.n >= 1);
	if (r == SIGN_ERR_THRESHOLD)
		FZ_ASSERT(signers.n == 0);
	/* No key, no weight: a threshold over an empty set is refused. */
	FZ_ASSERT(sign_envelope_verify(env, fz.pub, 0, 1, "fuzz", NULL, err,
	    sizeof(err)) == SIGN_ERR_THRESHOLD);
	check_cosign(env, buf, size);
out:
	free(c);
	sign_envelope_free(env);
	free(buf);
	return 0;
}
