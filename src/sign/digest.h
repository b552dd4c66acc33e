/* SHA-1 and MD5 of artifacts, over nettle: the digests hawkBit DDI clients
 * compare (SWUpdate checks hashes.sha1). Transport integrity only, never
 * trust: every trust decision in otad stays on SHA-256 and Ed25519. They
 * live in src/sign beside SHA-256 because this is where every hash and
 * cryptographic library of otad is, and src/sign may be included by the
 * upload path, the store's callers and the services alike. */
#ifndef SIGN_DIGEST_H
#define SIGN_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define SIGN_SHA1_LEN 20
#define SIGN_MD5_LEN 16
#define SIGN_SHA1_HEX (2 * SIGN_SHA1_LEN + 1)
#define SIGN_MD5_HEX (2 * SIGN_MD5_LEN + 1)

/* Both digests of one byte stream, as lowercase hex. */
struct sign_digests {
	char sha1[SIGN_SHA1_HEX];
	char md5[SIGN_MD5_HEX];
};

/* Streaming SHA-1 and MD5 together, for artifacts far larger than memory. */
struct sign_digest;
/* A fresh state, or NULL on allocation failure. */
struct sign_digest *sign_digest_new(void);
void sign_digest_update(struct sign_digest *d, const void *in, size_t len);
/* Writes both digests; the state must not be updated afterwards. */
void sign_digest_final(struct sign_digest *d, struct sign_digests *out);
/* NULL is a no-op. */
void sign_digest_free(struct sign_digest *d);

/* Both digests of len bytes at in. */
void sign_digest_buf(const void *in, size_t len, struct sign_digests *out);
/* Both digests of the whole file at path (read from its start), and its
 * length in *len. 0, or -1 with errno set. */
int sign_digest_file(const char *path, uint64_t *len,
    struct sign_digests *out);

#endif
