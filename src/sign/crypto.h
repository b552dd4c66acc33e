/* Cryptographic primitives over libsodium: random bytes, SHA-256,
 * constant-time comparison, hex and base64url. */
#ifndef SIGN_CRYPTO_H
#define SIGN_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define SIGN_SHA256_LEN 32
#define SIGN_SHA256_HEX (2 * SIGN_SHA256_LEN + 1)

/* Initialises libsodium; call once before anything else. 0/-1. */
int sign_init(void) __attribute__((warn_unused_result));

/* Fills buf with len unpredictable bytes. */
void sign_random(void *buf, size_t len);
/* Fills buf with len unpredictable bytes for an identifier that is no
 * secret (a request id): up to 64 are served from a pool of the calling
 * thread, refilled 4 KiB at a time, so that each request does not cost a
 * getrandom call (more come from sign_random's source directly). Never
 * for keys, salts or nonces: use sign_random. */
void sign_random_id(void *buf, size_t len);
/* SHA-256 of len bytes at in. */
void sign_sha256(const void *in, size_t len, uint8_t out[SIGN_SHA256_LEN]);
/* HMAC-SHA-256 (RFC 2104) under a key of klen bytes (any length) of len
 * bytes at in: webhook signatures. */
void sign_hmac_sha256(const uint8_t *key, size_t klen, const void *in,
    size_t len, uint8_t out[SIGN_SHA256_LEN]);

/* Streaming SHA-256, for artifacts far larger than memory. */
struct sign_sha256;
/* Returns a fresh hash state, or NULL on allocation failure. */
struct sign_sha256 *sign_sha256_new(void);
void sign_sha256_update(struct sign_sha256 *h, const void *in, size_t len);
/* Writes the digest; the state must not be updated afterwards. */
void sign_sha256_final(struct sign_sha256 *h, uint8_t out[SIGN_SHA256_LEN]);
void sign_sha256_free(struct sign_sha256 *h);

/* Hashes an open file from its current offset to the end; stores the
 * number of bytes read (64-bit) in *len. 0, or -1 with errno set. */
int sign_sha256_fd(int fd, uint64_t *len, uint8_t out[SIGN_SHA256_LEN]);
/* Hashes the whole file at path; stores its length (64-bit) in *len.
 * 0, or -1 with errno set. */
int sign_sha256_file(const char *path, uint64_t *len,
    uint8_t out[SIGN_SHA256_LEN]);

/* 1 when the len bytes at a and b are equal, else 0, in constant time. */
int sign_memeq(const void *a, const void *b, size_t len)
	__attribute__((warn_unused_result));
/* Overwrites len bytes with zeros in a way the compiler keeps. */
void sign_wipe(void *p, size_t len);

/* Guarded memory for secrets (passphrases): a len-byte buffer behind guard
 * pages, or NULL. Free with sign_secure_free, which wipes it. */
void *sign_secure_alloc(size_t len);
/* Wipes and frees a buffer from sign_secure_alloc; NULL is a no-op. */
void sign_secure_free(void *p);

/* Lowercase hex of len bytes into out (2 * len + 1 bytes, NUL-ended). */
void sign_hex(const uint8_t *in, size_t len, char *out);
/* Decodes exactly 2 * len lowercase hex digits into out; 0/-1. */
int sign_unhex(const char *hex, uint8_t *out, size_t len)
	__attribute__((warn_unused_result));
/* Unpadded base64url of len bytes into out (out_size >= 4 * len / 3 + 2).
 * 0, or -1 if out is too small. */
int sign_b64url(const uint8_t *in, size_t len, char *out, size_t out_size);

#endif
