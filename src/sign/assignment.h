/* Assignments: the server's short-lived, per-device, per-poll statement
 * "this device may install this signed release", signed by the online
 * role. */
#ifndef SIGN_ASSIGNMENT_H
#define SIGN_ASSIGNMENT_H

#include <stddef.h>
#include <stdint.h>

#include "sign/crypto.h"
#include "sign/key.h"
#include "sign/result.h"
#include "sign/root.h"

/* Longest device_id, campaign and nonce, in bytes. */
#define SIGN_ID_MAX 128

struct sign_assignment {
	char device_id[SIGN_ID_MAX + 1];
	uint8_t release_sha256[SIGN_SHA256_LEN];	/* of the envelope bytes */
	char campaign[SIGN_ID_MAX + 1];
	char nonce[SIGN_ID_MAX + 1];
	int64_t created;	/* when the server signed it; 0 when absent */
	int64_t expires;
	struct sign_keyids signers;
};

/* Makes and signs (with the online key) an assignment of the release
 * whose envelope bytes hash to release_sha256 to device_id, answering the
 * poll that sent nonce, made at created (devices take it as a trusted
 * lower bound on the time; 0 leaves the field out) and valid until
 * expires. Strings are 1..SIGN_ID_MAX bytes of UTF-8 without control
 * characters (else SIGN_ERR_FORMAT). On SIGN_OK *out is a malloc'd
 * envelope (*len bytes) the caller frees. */
enum sign_result sign_assignment_create(const struct sign_key *online,
    const char *device_id, const uint8_t release_sha256[SIGN_SHA256_LEN],
    const char *campaign, const char *nonce, int64_t created,
    int64_t expires, uint8_t **out, size_t *len, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Checks only that an assignment is well formed, signed by a threshold of
 * root's online keys and unexpired at now: not whom or what it is for.
 * For display and tools; devices use sign_assignment_verify. On SIGN_OK
 * the caller frees *out with sign_assignment_free. */
enum sign_result sign_assignment_verify_sig(const struct sign_root *root,
    const uint8_t *buf, size_t len, int64_t now,
    struct sign_assignment **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Verifies an assignment for a device: as sign_assignment_verify_sig, and
 * made for device_id (SIGN_ERR_DEVICE), answering nonce (SIGN_ERR_NONCE),
 * naming the sha256 of exactly the release_len bytes at release
 * (SIGN_ERR_RELEASE_MISMATCH). On SIGN_OK, when out is not NULL, the
 * caller frees *out with sign_assignment_free. */
enum sign_result sign_assignment_verify(const struct sign_root *root,
    const uint8_t *buf, size_t len, const char *device_id, const char *nonce,
    const uint8_t *release, size_t release_len, int64_t now,
    struct sign_assignment **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Frees a; NULL is a no-op. */
void sign_assignment_free(struct sign_assignment *a);

#endif
