/* Cryptographic primitives over libsodium (the only place besides the
 * rest of src/sign that includes <sodium.h>). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "sign/crypto.h"

struct sign_sha256 {
	crypto_hash_sha256_state st;
};

int
sign_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void
sign_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

#define ID_POOL 4096
#define ID_MAX 64

void
sign_random_id(void *buf, size_t len)
{
	static __thread uint8_t pool[ID_POOL];
	static __thread size_t left;

	if (len > ID_MAX) {
		randombytes_buf(buf, len);
		return;
	}
	if (left < len) {
		randombytes_buf(pool, sizeof(pool));
		left = sizeof(pool);
	}
	left -= len;
	memcpy(buf, pool + left, len);
}

void
sign_sha256(const void *in, size_t len, uint8_t out[SIGN_SHA256_LEN])
{
	crypto_hash_sha256(out, in, len);
}

void
sign_hmac_sha256(const uint8_t *key, size_t klen, const void *in,
    size_t len, uint8_t out[SIGN_SHA256_LEN])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, klen);
	crypto_auth_hmacsha256_update(&st, in, len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

struct sign_sha256 *
sign_sha256_new(void)
{
	struct sign_sha256 *h = malloc(sizeof(*h));

	if (h != NULL)
		crypto_hash_sha256_init(&h->st);
	return h;
}

void
sign_sha256_update(struct sign_sha256 *h, const void *in, size_t len)
{
	crypto_hash_sha256_update(&h->st, in, len);
}

void
sign_sha256_final(struct sign_sha256 *h, uint8_t out[SIGN_SHA256_LEN])
{
	crypto_hash_sha256_final(&h->st, out);
}

void
sign_sha256_free(struct sign_sha256 *h)
{
	if (h == NULL)
		return;
	sodium_memzero(h, sizeof(*h));
	free(h);
}

int
sign_sha256_fd(int fd, uint64_t *len, uint8_t out[SIGN_SHA256_LEN])
{
	crypto_hash_sha256_state st;
	uint8_t *buf;
	uint64_t total = 0;
	const size_t bufsz = 1 << 20;

	buf = malloc(bufsz);
	if (buf == NULL)
		return -1;
	crypto_hash_sha256_init(&st);
	for (;;) {
		ssize_t n = read(fd, buf, bufsz);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
		total += (uint64_t)n;
	}
	free(buf);
	crypto_hash_sha256_final(&st, out);
	*len = total;
	return 0;
}

int
sign_sha256_file(const char *path, uint64_t *len, uint8_t out[SIGN_SHA256_LEN])
{
	int fd, rc, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = sign_sha256_fd(fd, len, out);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
sign_memeq(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}

void
sign_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}

void *
sign_secure_alloc(size_t len)
{
	return sodium_malloc(len);
}

void
sign_secure_free(void *p)
{
	if (p != NULL)
		sodium_free(p);
}

void
sign_hex(const uint8_t *in, size_t len, char *out)
{
	sodium_bin2hex(out, 2 * len + 1, in, len);
}

int
sign_unhex(const char *hex, uint8_t *out, size_t len)
{
	size_t got = 0;
	const char *end = NULL;

	/* Lowercase only: one spelling per value keeps ids comparable. */
	for (size_t i = 0; hex[i] != '\0'; i++)
		if ((hex[i] < '0' || hex[i] > '9') && (hex[i] < 'a' || hex[i] > 'f'))
			return -1;
	if (strlen(hex) != 2 * len)
		return -1;
	if (sodium_hex2bin(out, len, hex, 2 * len, NULL, &got, &end) != 0 ||
	    got != len || *end != '\0')
		return -1;
	return 0;
}

int
sign_b64url(const uint8_t *in, size_t len, char *out, size_t out_size)
{
	const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

	if (out_size < sodium_base64_ENCODED_LEN(len, variant))
		return -1;
	sodium_bin2base64(out, out_size, in, len, variant);
	return 0;
}
