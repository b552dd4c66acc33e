/* Ed25519 key pairs in guarded memory, public keys, key ids, and the
 * public-key file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sign/cjson.h"
#include "sign/crypto.h"
#include "sign/internal.h"
#include "sign/key.h"
#include "util/util.h"

struct sign_key {
	uint8_t sk[crypto_sign_SECRETKEYBYTES];	/* seed || public key */
	struct sign_pubkey pub;
};

static void
keyid_of(const uint8_t pk[SIGN_PUBKEY_LEN], char out[SIGN_KEYID_HEX])
{
	uint8_t h[SIGN_SHA256_LEN];

	sign_sha256(pk, SIGN_PUBKEY_LEN, h);
	sign_hex(h, sizeof(h), out);
}

/* Fills a fresh guarded key from seed (or randomly when seed is NULL),
 * then makes its page read-only. */
static struct sign_key *
key_make(const uint8_t *seed)
{
	struct sign_key *k = sodium_malloc(sizeof(*k));

	if (k == NULL)
		return NULL;
	if (seed != NULL)
		crypto_sign_seed_keypair(k->pub.pk, k->sk, seed);
	else
		crypto_sign_keypair(k->pub.pk, k->sk);
	keyid_of(k->pub.pk, k->pub.keyid);
	sodium_mprotect_readonly(k);
	return k;
}

struct sign_key *
sign_key_generate(void)
{
	return key_make(NULL);
}

struct sign_key *
sign_key_from_seed(const uint8_t seed[SIGN_SEED_LEN])
{
	return key_make(seed);
}

void
sign_key_free(struct sign_key *k)
{
	/* sodium_free makes the page writable and wipes it before unmap. */
	if (k != NULL)
		sodium_free(k);
}

const char *
sign_key_id(const struct sign_key *k)
{
	return k->pub.keyid;
}

void
sign_key_pubkey(const struct sign_key *k, struct sign_pubkey *out)
{
	*out = k->pub;
}

void
sign_key_seed(const struct sign_key *k, uint8_t out[SIGN_SEED_LEN])
{
	crypto_sign_ed25519_sk_to_seed(out, k->sk);
}

void
sign_key_sign(const struct sign_key *k, const uint8_t *msg, size_t len,
    uint8_t sig[SIGN_SIG_LEN])
{
	crypto_sign_detached(sig, NULL, msg, len, k->sk);
}

int
sign_pubkey_from_raw(const uint8_t raw[SIGN_PUBKEY_LEN],
    struct sign_pubkey *out)
{
	/* Small-order and non-canonical points never come from a real key. */
	if (crypto_core_ed25519_is_valid_point(raw) != 1)
		return -1;
	memcpy(out->pk, raw, SIGN_PUBKEY_LEN);
	keyid_of(out->pk, out->keyid);
	return 0;
}

int
sign_pubkey_verify(const struct sign_pubkey *pk, const uint8_t *msg,
    size_t len, const uint8_t sig[SIGN_SIG_LEN])
{
	return crypto_sign_verify_detached(sig, msg, len, pk->pk) == 0;
}

enum sign_result
sign_pubkey_parse(const uint8_t *buf, size_t len, struct sign_pubkey *out,
    char *err, size_t errlen)
{
	static const char *const req[] = { "keytype", "public", "keyid", NULL };
	uint8_t raw[SIGN_PUBKEY_LEN];
	struct sign_pubkey pk;
	const char *s;
	json_t *v = NULL;
	enum sign_result r;

	if (len > SIGN_PUBKEY_FILE_MAX)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "public key: %zu bytes, over the cap of %d", len,
		    SIGN_PUBKEY_FILE_MAX);
	r = sign_cjson_parse(buf, len, &v, err, errlen);
	if (r != SIGN_OK)
		return r;
	if ((r = sign_json_keys(v, "public key", req, NULL, err, errlen)) ||
	    (r = sign_json_str(v, "keytype", "public key", 32, 0, &s, err,
	    errlen)))
		goto out;
	if (strcmp(s, "ed25519") != 0) {
		r = sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "public key: keytype \"%s\" is not \"ed25519\"", s);
		goto out;
	}
	if ((r = sign_json_hex(v, "public", "public key", raw, sizeof(raw),
	    err, errlen)) ||
	    (r = sign_json_str(v, "keyid", "public key", SIGN_KEYID_HEX - 1, 0,
	    &s, err, errlen)))
		goto out;
	if (sign_pubkey_from_raw(raw, &pk) != 0) {
		r = sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "public key: not a valid Ed25519 point");
		goto out;
	}
	if (strcmp(s, pk.keyid) != 0) {
		r = sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "public key: keyid does not match the key (sha256 of the "
		    "key is %s)", pk.keyid);
		goto out;
	}
	*out = pk;
out:
	json_decref(v);
	return r;
}

uint8_t *
sign_pubkey_encode(const struct sign_pubkey *pk, size_t *len)
{
	json_t *v;
	uint8_t *enc = NULL, *res;
	size_t n;

	v = json_pack("{s:s, s:o, s:s}", "keytype", "ed25519",
	    "public", sign_json_hex_new(pk->pk, SIGN_PUBKEY_LEN),
	    "keyid", pk->keyid);
	if (v == NULL)
		return NULL;
	if (sign_cjson_encode(v, SIGN_CJSON_WIRE, &enc, &n, NULL, 0) !=
	    SIGN_OK) {
		json_decref(v);
		return NULL;
	}
	json_decref(v);
	/* A newline makes the file pleasant to cat; parsers skip it. */
	res = realloc(enc, n + 2);
	if (res == NULL) {
		free(enc);
		return NULL;
	}
	res[n] = '\n';
	res[n + 1] = '\0';
	*len = n + 1;
	return res;
}

enum sign_result
sign_pubkey_read(const char *path, struct sign_pubkey *out, char *err,
    size_t errlen)
{
	uint8_t *buf;
	size_t len;
	enum sign_result r;

	buf = util_read_file(path, SIGN_PUBKEY_FILE_MAX, 0, &len);
	if (buf == NULL)
		return sign_fail(errno == EFBIG ? SIGN_ERR_FORMAT : SIGN_ERR_IO,
		    err, errlen, "%s: %s", path,
		    errno == EFBIG ? "too large for a public key" :
		    strerror(errno));
	r = sign_pubkey_parse(buf, len, out, err, errlen);
	free(buf);
	if (r != SIGN_OK && err != NULL && errlen > 0) {
		char msg[512];

		(void)snprintf(msg, sizeof(msg), "%s", err);
		sign_fail(r, err, errlen, "%s: %s", path, msg);
	}
	return r;
}

enum sign_result
sign_pubkey_write(const char *path, const struct sign_pubkey *pk, char *err,
    size_t errlen)
{
	uint8_t *buf;
	size_t len;
	int rc;

	buf = sign_pubkey_encode(pk, &len);
	if (buf == NULL)
		return sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
	rc = util_write_atomic(path, buf, len, 0644);
	free(buf);
	if (rc != 0)
		return sign_fail(SIGN_ERR_IO, err, errlen, "%s: %s", path,
		    strerror(errno));
	return SIGN_OK;
}

int
sign_keyids_has(const struct sign_keyids *set, const char *id)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->id[i], id) == 0)
			return 1;
	return 0;
}

int
sign_keyids_add(struct sign_keyids *set, const char *id)
{
	if (sign_keyids_has(set, id))
		return 0;
	if (set->n >= SIGN_MAX_SIGS || strlen(id) != SIGN_KEYID_HEX - 1)
		return -1;
	memcpy(set->id[set->n++], id, SIGN_KEYID_HEX);
	return 0;
}
