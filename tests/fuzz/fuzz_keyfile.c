/* Fuzzes secret key file decoding with a fixed passphrase. Files whose
 * stated Argon2id cost is above a small clamp are skipped: the decoder
 * accepts up to 16 passes over 1 GiB, which would make one input take
 * many seconds (see docs/hacking.md, Fuzzing). Seeds (made by mkcorpus)
 * use the clamp's cost so mutations reach the check value and the seal. */
#include "fuzz.h"

#define FZ_PASS "fuzz passphrase"
#define FZ_OPS_MAX 3
#define FZ_MEM_MAX (1024 * 1024)

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_setup();
	return 0;
}

/* 1 when the file states a KDF cost above the clamp. */
static int
too_costly(const uint8_t *buf, size_t len)
{
	json_t *v = NULL, *kdf, *ops, *mem;
	int costly = 0;

	if (sign_cjson_parse(buf, len, &v, NULL, 0) != SIGN_OK)
		return 0;
	kdf = json_object_get(v, "kdf");
	ops = json_object_get(kdf, "opslimit");
	mem = json_object_get(kdf, "memlimit");
	if ((json_is_integer(ops) && json_integer_value(ops) > FZ_OPS_MAX) ||
	    (json_is_integer(mem) && json_integer_value(mem) > FZ_MEM_MAX))
		costly = 1;
	json_decref(v);
	return costly;
}

/* The keyid field of the file. */
static int
same_keyid(const uint8_t *buf, size_t len, const char *keyid)
{
	json_t *v = NULL;
	int same;

	FZ_ASSERT(sign_cjson_parse(buf, len, &v, NULL, 0) == SIGN_OK);
	same = json_is_string(json_object_get(v, "keyid")) &&
	    strcmp(json_string_value(json_object_get(v, "keyid")), keyid) == 0;
	json_decref(v);
	return same;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t msg[] = "signed by the decoded key";
	static const uint8_t longpass[SIGN_PASSPHRASE_MAX + 1];
	const uint8_t *pass = (const uint8_t *)FZ_PASS;
	uint8_t *buf = fz_dup(data, size), sig[SIGN_SIG_LEN];
	struct sign_key *k = NULL, *k2 = NULL;
	struct sign_pubkey pk;
	char err[256] = "";
	enum sign_result r, r2;

	if (too_costly(buf, size))
		goto out;
	r = sign_keyfile_decode(buf, size, pass, strlen(FZ_PASS), &k, err,
	    sizeof(err));
	FZ_ASSERT(r == SIGN_OK || r == SIGN_ERR_PASSPHRASE ||
	    r == SIGN_ERR_KEYFILE);
	FZ_ASSERT((r == SIGN_OK) == (k != NULL));
	FZ_ASSERT(r == SIGN_OK || err[0] != '\0');
	if (r == SIGN_ERR_KEYFILE)
		goto out;
	/* The header was sound: another passphrase is a wrong one. */
	r2 = sign_keyfile_decode(buf, size, (const uint8_t *)"other", 5, &k2,
	    err, sizeof(err));
	FZ_ASSERT(r2 == SIGN_ERR_PASSPHRASE && k2 == NULL);
	if (r != SIGN_OK)
		goto out;
	/* The key is the one the file names, and it signs. */
	FZ_ASSERT(same_keyid(buf, size, sign_key_id(k)));
	sign_key_pubkey(k, &pk);
	FZ_ASSERT(strcmp(pk.keyid, sign_key_id(k)) == 0);
	sign_key_sign(k, msg, sizeof(msg), sig);
	FZ_ASSERT(sign_pubkey_verify(&pk, msg, sizeof(msg), sig));
	/* An overlong passphrase is refused before any work. */
	FZ_ASSERT(sign_keyfile_decode(buf, size, longpass, sizeof(longpass),
	    &k2, err, sizeof(err)) == SIGN_ERR_PASSPHRASE && k2 == NULL);
out:
	sign_key_free(k2);
	sign_key_free(k);
	free(buf);
	return 0;
}
