/* Ed25519 keys: secret keys held in guarded memory, public keys and their
 * ids, and the public-key file. */
#ifndef SIGN_KEY_H
#define SIGN_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "sign/result.h"

#define SIGN_PUBKEY_LEN 32
#define SIGN_SEED_LEN 32
#define SIGN_SIG_LEN 64
/* A key id is the lowercase hex SHA-256 of the public key; with the NUL. */
#define SIGN_KEYID_HEX 65
/* Most signatures one envelope may carry (and so most signers counted). */
#define SIGN_MAX_SIGS 128
/* Cap on a public-key file. */
#define SIGN_PUBKEY_FILE_MAX 4096

/* A public key with its id; plain data, copy freely. */
struct sign_pubkey {
	uint8_t pk[SIGN_PUBKEY_LEN];
	char keyid[SIGN_KEYID_HEX];
};

/* The distinct key ids whose signatures were counted. Plain data. */
struct sign_keyids {
	size_t n;
	char id[SIGN_MAX_SIGS][SIGN_KEYID_HEX];
};

/* A secret key (opaque). Its bytes live in sodium_malloc memory, read-only
 * after creation, and are wiped by sign_key_free. */
struct sign_key;

/* Generates a fresh key pair. Returns it, or NULL when out of memory;
 * the caller frees it with sign_key_free. Needs sign_init first. */
struct sign_key *sign_key_generate(void);
/* Derives the key pair of a 32-byte seed (RFC 8032 secret key). Returns
 * it or NULL; the caller frees it with sign_key_free. */
struct sign_key *sign_key_from_seed(const uint8_t seed[SIGN_SEED_LEN]);
/* Wipes and frees k; NULL is a no-op. */
void sign_key_free(struct sign_key *k);
/* The key id of k: a string owned by k, valid until sign_key_free. */
const char *sign_key_id(const struct sign_key *k);
/* Copies the public half of k into *out. */
void sign_key_pubkey(const struct sign_key *k, struct sign_pubkey *out);
/* Writes the detached Ed25519 signature of len bytes at msg into sig. */
void sign_key_sign(const struct sign_key *k, const uint8_t *msg, size_t len,
    uint8_t sig[SIGN_SIG_LEN]);

/* Fills *out from 32 raw public-key bytes, computing the key id. 0, or -1
 * when the bytes are not a usable Ed25519 point. */
int sign_pubkey_from_raw(const uint8_t raw[SIGN_PUBKEY_LEN],
    struct sign_pubkey *out) __attribute__((warn_unused_result));
/* 1 when sig is pk's valid signature over len bytes at msg, else 0. */
int sign_pubkey_verify(const struct sign_pubkey *pk, const uint8_t *msg,
    size_t len, const uint8_t sig[SIGN_SIG_LEN])
	__attribute__((warn_unused_result));

/* Parses a public-key file's bytes ({"keytype": "ed25519", "public": hex,
 * "keyid": hex}); the keyid must match the key. SIGN_OK or
 * SIGN_ERR_FORMAT with a message in err. */
enum sign_result sign_pubkey_parse(const uint8_t *buf, size_t len,
    struct sign_pubkey *out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Encodes pk as a public-key file (canonical JSON and a newline). Returns
 * a malloc'd NUL-terminated buffer and its length in *len, or NULL when out
 * of memory; the caller frees it. */
uint8_t *sign_pubkey_encode(const struct sign_pubkey *pk, size_t *len);
/* Reads and parses the public-key file at path. SIGN_OK, SIGN_ERR_IO or
 * SIGN_ERR_FORMAT, with a message in err. */
enum sign_result sign_pubkey_read(const char *path, struct sign_pubkey *out,
    char *err, size_t errlen) __attribute__((warn_unused_result));
/* Writes pk to path atomically, mode 0644. SIGN_OK or SIGN_ERR_IO. */
enum sign_result sign_pubkey_write(const char *path,
    const struct sign_pubkey *pk, char *err, size_t errlen);

/* 1 when id is in set, else 0. */
int sign_keyids_has(const struct sign_keyids *set, const char *id);
/* Adds id to set unless present; 0, or -1 when the set is full. */
int sign_keyids_add(struct sign_keyids *set, const char *id);

#endif
