/* Secret key files: the Ed25519 seed sealed with XChaCha20-Poly1305 under
 * a key derived from a passphrase with Argon2id. */
#ifndef SIGN_KEYFILE_H
#define SIGN_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "sign/key.h"
#include "sign/result.h"

/* Cap on a secret key file. */
#define SIGN_KEYFILE_MAX 4096
/* Longest passphrase accepted. */
#define SIGN_PASSPHRASE_MAX 1024

/* Argon2id cost presets (libsodium's): interactive is 64 MiB and 2 passes,
 * moderate 256 MiB and 3, sensitive 1 GiB and 4. */
enum sign_kdf_level {
	SIGN_KDF_INTERACTIVE = 0,
	SIGN_KDF_MODERATE,
	SIGN_KDF_SENSITIVE
};

/* Maps "interactive", "moderate" or "sensitive" to its level; 0/-1. */
int sign_kdf_parse(const char *name, enum sign_kdf_level *out);

/* Seals k under the passphrase (passlen bytes, 1..SIGN_PASSPHRASE_MAX)
 * into a key file's bytes. On SIGN_OK *out is malloc'd (NUL-terminated,
 * *len bytes) and the caller frees it; SIGN_ERR_PASSPHRASE for an empty or
 * overlong passphrase, SIGN_ERR_NOMEM. */
enum sign_result sign_keyfile_encode(const struct sign_key *k,
    const uint8_t *pass, size_t passlen, enum sign_kdf_level level,
    uint8_t **out, size_t *len, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Opens a key file's bytes with the passphrase. On SIGN_OK *out is a new
 * key the caller frees with sign_key_free. SIGN_ERR_PASSPHRASE when the
 * passphrase is wrong; SIGN_ERR_KEYFILE when the bytes are truncated,
 * corrupted or not a key file. */
enum sign_result sign_keyfile_decode(const uint8_t *buf, size_t len,
    const uint8_t *pass, size_t passlen, struct sign_key **out, char *err,
    size_t errlen) __attribute__((warn_unused_result));

/* Writes k sealed under the passphrase to path: mode 0600, temp file,
 * fsync, rename. SIGN_OK, SIGN_ERR_PASSPHRASE, SIGN_ERR_IO, SIGN_ERR_NOMEM. */
enum sign_result sign_keyfile_write(const char *path, const struct sign_key *k,
    const uint8_t *pass, size_t passlen, enum sign_kdf_level level,
    char *err, size_t errlen) __attribute__((warn_unused_result));
/* Reads the key file at path (O_NOFOLLOW; refused with SIGN_ERR_KEYFILE
 * when not a regular file or when group or others have any access) and
 * opens it as sign_keyfile_decode does. On SIGN_OK the caller frees *out
 * with sign_key_free. SIGN_ERR_IO when it cannot be read. */
enum sign_result sign_keyfile_read(const char *path, const uint8_t *pass,
    size_t passlen, struct sign_key **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
