/* Secret key files: Argon2id derives a master key from the passphrase;
 * BLAKE2b splits it into a check value (to tell a wrong passphrase from a
 * damaged file) and an XChaCha20-Poly1305 key that seals the seed, with
 * every other field of the file as associated data. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "sign/cjson.h"
#include "sign/crypto.h"
#include "sign/internal.h"
#include "sign/keyfile.h"
#include "util/util.h"

#define KF_FORMAT "otad-secret-key"
#define KF_VERSION 1
#define KF_KDF_ALG "argon2id13"
#define KF_AEAD_ALG "xchacha20poly1305-ietf"
#define KF_CHECK_LEN 16
/* Reading a file never spends more than this on Argon2id: a planted key
 * file must not exhaust the machine. */
#define KF_OPSLIMIT_MAX 4	/* libsodium's "sensitive": a hostile file costs at most that */
#define KF_MEMLIMIT_MAX (1024ULL * 1024 * 1024)

/* Everything secret lives here, in one guarded allocation. */
struct kf_secrets {
	uint8_t master[32];
	uint8_t aead_key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	uint8_t check[KF_CHECK_LEN];
	uint8_t seed[SIGN_SEED_LEN];
};

struct kf_header {
	uint64_t opslimit;
	uint64_t memlimit;
	uint8_t salt[crypto_pwhash_SALTBYTES];
	uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	uint8_t check[KF_CHECK_LEN];
	char keyid[SIGN_KEYID_HEX];
};

int
sign_kdf_parse(const char *name, enum sign_kdf_level *out)
{
	if (strcmp(name, "interactive") == 0)
		*out = SIGN_KDF_INTERACTIVE;
	else if (strcmp(name, "moderate") == 0)
		*out = SIGN_KDF_MODERATE;
	else if (strcmp(name, "sensitive") == 0)
		*out = SIGN_KDF_SENSITIVE;
	else
		return -1;
	return 0;
}

static void
kdf_limits(enum sign_kdf_level level, uint64_t *ops, uint64_t *mem)
{
	switch (level) {
	case SIGN_KDF_SENSITIVE:
		*ops = crypto_pwhash_OPSLIMIT_SENSITIVE;
		*mem = crypto_pwhash_MEMLIMIT_SENSITIVE;
		break;
	case SIGN_KDF_MODERATE:
		*ops = crypto_pwhash_OPSLIMIT_MODERATE;
		*mem = crypto_pwhash_MEMLIMIT_MODERATE;
		break;
	case SIGN_KDF_INTERACTIVE:
	default:
		*ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
		break;
	}
}

/* Derives master, aead_key and check from the passphrase. 0, or -1 when
 * Argon2id cannot get its memory. */
static int
derive(struct kf_secrets *s, const struct kf_header *h, const uint8_t *pass,
    size_t passlen)
{
	static const char check_ctx[] = "otad-secret-key check";
	static const char aead_ctx[] = "otad-secret-key aead";

	if (crypto_pwhash(s->master, sizeof(s->master), (const char *)pass,
	    passlen, h->salt, h->opslimit, (size_t)h->memlimit,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -1;
	crypto_generichash(s->check, sizeof(s->check),
	    (const uint8_t *)check_ctx, sizeof(check_ctx) - 1, s->master,
	    sizeof(s->master));
	crypto_generichash(s->aead_key, sizeof(s->aead_key),
	    (const uint8_t *)aead_ctx, sizeof(aead_ctx) - 1, s->master,
	    sizeof(s->master));
	return 0;
}

/* The key file object without its ciphertext: the associated data. */
static json_t *
header_json(const struct kf_header *h)
{
	return json_pack("{s:s, s:i, s:s, s:s, s:{s:s, s:I, s:I, s:o}, s:o, "
	    "s:{s:s, s:o}}",
	    "format", KF_FORMAT,
	    "version", KF_VERSION,
	    "keytype", "ed25519",
	    "keyid", h->keyid,
	    "kdf", "alg", KF_KDF_ALG,
	    "opslimit", (json_int_t)h->opslimit,
	    "memlimit", (json_int_t)h->memlimit,
	    "salt", sign_json_hex_new(h->salt, sizeof(h->salt)),
	    "check", sign_json_hex_new(h->check, sizeof(h->check)),
	    "aead", "alg", KF_AEAD_ALG,
	    "nonce", sign_json_hex_new(h->nonce, sizeof(h->nonce)));
}

enum sign_result
sign_keyfile_encode(const struct sign_key *k, const uint8_t *pass,
    size_t passlen, enum sign_kdf_level level, uint8_t **out, size_t *len,
    char *err, size_t errlen)
{
	uint8_t ct[SIGN_SEED_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES];
	struct kf_secrets *s;
	struct kf_header h;
	json_t *v = NULL;
	uint8_t *ad = NULL, *enc = NULL, *res;
	size_t adlen, enclen;
	enum sign_result r;

	if (passlen == 0 || passlen > SIGN_PASSPHRASE_MAX)
		return sign_fail(SIGN_ERR_PASSPHRASE, err, errlen,
		    "passphrase must be 1 to %d bytes", SIGN_PASSPHRASE_MAX);
	s = sodium_malloc(sizeof(*s));
	if (s == NULL)
		return sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
	memset(&h, 0, sizeof(h));
	kdf_limits(level, &h.opslimit, &h.memlimit);
	sign_random(h.salt, sizeof(h.salt));
	sign_random(h.nonce, sizeof(h.nonce));
	memcpy(h.keyid, sign_key_id(k), SIGN_KEYID_HEX);
	if (derive(s, &h, pass, passlen) != 0) {
		r = sign_fail(SIGN_ERR_NOMEM, err, errlen,
		    "Argon2id could not get its memory");
		goto out;
	}
	memcpy(h.check, s->check, sizeof(h.check));
	v = header_json(&h);
	if (v == NULL) {
		r = sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
		goto out;
	}
	r = sign_cjson_encode(v, 0, &ad, &adlen, err, errlen);
	if (r != SIGN_OK)
		goto out;
	sign_key_seed(k, s->seed);
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, s->seed,
	    sizeof(s->seed), ad, adlen, NULL, h.nonce, s->aead_key);
	if (json_object_set_new(v, "ciphertext",
	    sign_json_hex_new(ct, sizeof(ct))) != 0) {
		r = sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
		goto out;
	}
	r = sign_cjson_encode(v, SIGN_CJSON_WIRE, &enc, &enclen, err, errlen);
	if (r != SIGN_OK)
		goto out;
	res = realloc(enc, enclen + 2);
	if (res == NULL) {
		r = sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
		goto out;
	}
	enc = NULL;
	res[enclen] = '\n';
	res[enclen + 1] = '\0';
	*out = res;
	*len = enclen + 1;
out:
	free(enc);
	free(ad);
	json_decref(v);
	sodium_free(s);
	return r;
}

/* Reads and checks every field but the ciphertext into h. */
static enum sign_result
parse_header(const json_t *v, struct kf_header *h, uint8_t *ct, size_t ctlen,
    char *err, size_t errlen)
{
	static const char *const req[] = { "format", "version", "keytype",
	    "keyid", "kdf", "check", "aead", "ciphertext", NULL };
	static const char *const kdf_req[] = { "alg", "opslimit", "memlimit",
	    "salt", NULL };
	static const char *const aead_req[] = { "alg", "nonce", NULL };
	const json_t *kdf, *aead;
	const char *s;
	int64_t n;
	enum sign_result r;

	if ((r = sign_json_keys(v, "key file", req, NULL, err, errlen)) ||
	    (r = sign_json_str(v, "format", "key file", 64, 0, &s, err,
	    errlen)))
		return r;
	if (strcmp(s, KF_FORMAT) != 0)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "key file: format is not \"%s\"", KF_FORMAT);
	if ((r = sign_json_int(v, "version", "key file", KF_VERSION,
	    KF_VERSION, &n, err, errlen)) ||
	    (r = sign_json_str(v, "keytype", "key file", 32, 0, &s, err,
	    errlen)))
		return r;
	if (strcmp(s, "ed25519") != 0)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "key file: keytype is not \"ed25519\"");
	if ((r = sign_json_str(v, "keyid", "key file", SIGN_KEYID_HEX - 1, 0,
	    &s, err, errlen)))
		return r;
	if (strlen(s) != SIGN_KEYID_HEX - 1)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "key file: keyid is not 64 hex digits");
	memcpy(h->keyid, s, SIGN_KEYID_HEX);
	kdf = json_object_get(v, "kdf");
	if ((r = sign_json_keys(kdf, "key file kdf", kdf_req, NULL, err,
	    errlen)) ||
	    (r = sign_json_str(kdf, "alg", "key file kdf", 32, 0, &s, err,
	    errlen)))
		return r;
	if (strcmp(s, KF_KDF_ALG) != 0)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "key file: kdf is not \"%s\"", KF_KDF_ALG);
	if ((r = sign_json_int(kdf, "opslimit", "key file kdf",
	    crypto_pwhash_OPSLIMIT_MIN, KF_OPSLIMIT_MAX, &n, err, errlen)))
		return r;
	h->opslimit = (uint64_t)n;
	if ((r = sign_json_int(kdf, "memlimit", "key file kdf",
	    crypto_pwhash_MEMLIMIT_MIN, KF_MEMLIMIT_MAX, &n, err, errlen)))
		return r;
	h->memlimit = (uint64_t)n;
	if ((r = sign_json_hex(kdf, "salt", "key file kdf", h->salt,
	    sizeof(h->salt), err, errlen)) ||
	    (r = sign_json_hex(v, "check", "key file", h->check,
	    sizeof(h->check), err, errlen)))
		return r;
	aead = json_object_get(v, "aead");
	if ((r = sign_json_keys(aead, "key file aead", aead_req, NULL, err,
	    errlen)) ||
	    (r = sign_json_str(aead, "alg", "key file aead", 32, 0, &s, err,
	    errlen)))
		return r;
	if (strcmp(s, KF_AEAD_ALG) != 0)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "key file: aead is not \"%s\"", KF_AEAD_ALG);
	if ((r = sign_json_hex(aead, "nonce", "key file aead", h->nonce,
	    sizeof(h->nonce), err, errlen)))
		return r;
	return sign_json_hex(v, "ciphertext", "key file", ct, ctlen, err,
	    errlen);
}

enum sign_result
sign_keyfile_decode(const uint8_t *buf, size_t len, const uint8_t *pass,
    size_t passlen, struct sign_key **out, char *err, size_t errlen)
{
	uint8_t ct[SIGN_SEED_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES];
	struct kf_secrets *s = NULL;
	struct kf_header h;
	struct sign_key *k = NULL;
	json_t *v = NULL;
	uint8_t *ad = NULL;
	size_t adlen;
	enum sign_result r;

	if (len > SIGN_KEYFILE_MAX)
		return sign_fail(SIGN_ERR_KEYFILE, err, errlen,
		    "%zu bytes, over the key file cap of %d", len,
		    SIGN_KEYFILE_MAX);
	if (passlen > SIGN_PASSPHRASE_MAX)
		return sign_fail(SIGN_ERR_PASSPHRASE, err, errlen,
		    "passphrase longer than %d bytes", SIGN_PASSPHRASE_MAX);
	memset(&h, 0, sizeof(h));
	r = sign_cjson_parse(buf, len, &v, err, errlen);
	if (r == SIGN_OK)
		r = parse_header(v, &h, ct, sizeof(ct), err, errlen);
	if (r != SIGN_OK) {
		/* Truncation and damage show up here: not a key file. */
		if (r == SIGN_ERR_FORMAT)
			r = SIGN_ERR_KEYFILE;
		goto out;
	}
	json_object_del(v, "ciphertext");
	r = sign_cjson_encode(v, 0, &ad, &adlen, err, errlen);
	if (r != SIGN_OK)
		goto out;
	s = sodium_malloc(sizeof(*s));
	if (s == NULL) {
		r = sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
		goto out;
	}
	if (derive(s, &h, pass, passlen) != 0) {
		r = sign_fail(SIGN_ERR_NOMEM, err, errlen,
		    "Argon2id could not get its memory");
		goto out;
	}
	if (!sign_memeq(s->check, h.check, sizeof(h.check))) {
		r = sign_fail(SIGN_ERR_PASSPHRASE, err, errlen,
		    "wrong passphrase");
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(s->seed, NULL, NULL,
	    ct, sizeof(ct), ad, adlen, h.nonce, s->aead_key) != 0) {
		r = sign_fail(SIGN_ERR_KEYFILE, err, errlen,
		    "corrupted: the sealed key does not authenticate");
		goto out;
	}
	k = sign_key_from_seed(s->seed);
	if (k == NULL) {
		r = sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
		goto out;
	}
	if (strcmp(sign_key_id(k), h.keyid) != 0) {
		r = sign_fail(SIGN_ERR_KEYFILE, err, errlen,
		    "corrupted: the key does not match its keyid");
		goto out;
	}
	*out = k;
	k = NULL;
	r = SIGN_OK;
out:
	sign_key_free(k);
	if (s != NULL)
		sodium_free(s);
	free(ad);
	json_decref(v);
	return r;
}

enum sign_result
sign_keyfile_write(const char *path, const struct sign_key *k,
    const uint8_t *pass, size_t passlen, enum sign_kdf_level level,
    char *err, size_t errlen)
{
	uint8_t *buf;
	size_t len;
	enum sign_result r;

	r = sign_keyfile_encode(k, pass, passlen, level, &buf, &len, err,
	    errlen);
	if (r != SIGN_OK)
		return r;
	if (util_write_atomic(path, buf, len, 0600) != 0)
		r = sign_fail(SIGN_ERR_IO, err, errlen, "%s: %s", path,
		    strerror(errno));
	free(buf);
	return r;
}

/* Reads fd to the end into buf (at most cap - 1 bytes). */
static enum sign_result
read_all(int fd, const char *path, uint8_t *buf, size_t cap, size_t *have,
    char *err, size_t errlen)
{
	*have = 0;
	for (;;) {
		ssize_t n = read(fd, buf + *have, cap - *have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sign_fail(SIGN_ERR_IO, err, errlen, "%s: %s", path,
			    strerror(errno));
		if (n == 0)
			return SIGN_OK;
		*have += (size_t)n;
		if (*have == cap)
			return sign_fail(SIGN_ERR_KEYFILE, err, errlen,
			    "%s: over the key file cap of %d bytes", path,
			    SIGN_KEYFILE_MAX);
	}
}

enum sign_result
sign_keyfile_read(const char *path, const uint8_t *pass, size_t passlen,
    struct sign_key **out, char *err, size_t errlen)
{
	uint8_t buf[SIGN_KEYFILE_MAX + 1];
	struct sign_pubkey pk;
	struct stat st;
	size_t have = 0;
	char msg[256] = "";
	enum sign_result r;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			return sign_fail(SIGN_ERR_KEYFILE, err, errlen,
			    "%s: is a symbolic link; refusing it", path);
		return sign_fail(SIGN_ERR_IO, err, errlen, "%s: %s", path,
		    strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		r = sign_fail(SIGN_ERR_IO, err, errlen, "%s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = sign_fail(SIGN_ERR_KEYFILE, err, errlen,
		    "%s: not a regular file", path);
		goto out;
	}
	if ((r = read_all(fd, path, buf, sizeof(buf), &have, err, errlen)) !=
	    SIGN_OK)
		goto out;
	/* A .pub passed for its secret twin is 0644 by design: say what it
	 * is rather than ask for a chmod that would not help. */
	if (sign_pubkey_parse(buf, have, &pk, msg, sizeof(msg)) == SIGN_OK) {
		r = sign_fail(SIGN_ERR_KEYFILE, err, errlen, "%s: that is a "
		    "public key (key id %.16s...); give the secret key file, "
		    "the one without .pub", path, pk.keyid);
		goto out;
	}
	if (st.st_mode & 077) {
		r = sign_fail(SIGN_ERR_KEYFILE, err, errlen,
		    "%s: mode %04o lets group or others in; "
		    "it must be 0600 (chmod 600 %s)", path,
		    (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	r = sign_keyfile_decode(buf, have, pass, passlen, out, msg,
	    sizeof(msg));
	if (r != SIGN_OK)
		sign_fail(r, err, errlen, "%s: %s", path, msg);
out:
	sign_wipe(buf, sizeof(buf));
	close(fd);
	return r;
}
