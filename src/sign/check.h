/* The device's acceptance decision: one function answers "may this
 * device install this offer?", another "are these the signed bytes?". */
#ifndef SIGN_CHECK_H
#define SIGN_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "sign/crypto.h"
#include "sign/release.h"
#include "sign/result.h"
#include "sign/root.h"

/* What a device knows about itself at one poll. Borrowed strings. */
struct sign_device_ctx {
	const char *device_id;
	const char *hw_class;
	const char *nonce;		/* the nonce this poll sent */
	int64_t security_counter;	/* committed anti-rollback counter */
	const char *fw_version;		/* the version running now (semver) */
	int64_t time_floor;		/* newest trusted time seen (0: none) */
};

/* Decides whether a device may install the offered release, checking in
 * this order and stopping at the first failure. Expiry is judged at the
 * later of now (the device's clock) and dev->time_floor: a document
 * expired by the clock is expired; one that the clock alone would still
 * take, but the floor shows stale, is freeze (the clock was set back
 * while someone serves old metadata).
 *   1. root (already walked to the newest) unexpired, else freeze; no
 *      key in two of its roles (role_overlap);
 *   2. release well formed (format), threshold-signed by the release role
 *      (signature, threshold), unexpired (expired, freeze);
 *   3. assignment well formed, threshold-signed by the online role,
 *      unexpired (expired, freeze), for dev->device_id (device), with
 *      dev->nonce (nonce), naming sha256 of exactly these release bytes
 *      (release_mismatch);
 *   4. dev->hw_class listed in hw_classes (incompatible);
 *   5. security_counter >= dev->security_counter (rollback);
 *   6. fw_version newer than dev->fw_version by semver precedence, or
 *      equal to it with security_counter equal to dev->security_counter
 *      (a signed reinstall); anything else, or a running version that is
 *      not semver, is version.
 * On SIGN_OK, when out is not NULL, *out is the release (free with
 * sign_release_free); its length and sha256 then bound the download. */
enum sign_result sign_check_update(const struct sign_root *root,
    const uint8_t *release, size_t release_len, const uint8_t *assignment,
    size_t assignment_len, const struct sign_device_ctx *dev, int64_t now,
    struct sign_release **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* The time floor after a trusted time t was seen (a verified release's
 * or assignment's "created"): max(floor, t), but never raised to root's
 * expiry or past it, so that no signed time, not even one made with a
 * stolen online key, can freeze a device beyond its current root; never
 * below floor. */
int64_t sign_time_floor_raise(int64_t floor, int64_t t,
    const struct sign_root *root);

/* Compares what a download produced with the release: SIGN_ERR_LENGTH
 * when len differs from rel->length, SIGN_ERR_HASH when the digest
 * differs, else SIGN_OK. */
enum sign_result sign_check_digest(const struct sign_release *rel,
    uint64_t len, const uint8_t sha256[SIGN_SHA256_LEN], char *err,
    size_t errlen) __attribute__((warn_unused_result));
/* Checks the bytes of fd from its current offset to the end against rel,
 * reading at most rel->length + 1 bytes: SIGN_ERR_LENGTH, SIGN_ERR_HASH,
 * SIGN_ERR_IO, or SIGN_OK. fd stays open. */
enum sign_result sign_check_artifact(const struct sign_release *rel, int fd,
    char *err, size_t errlen) __attribute__((warn_unused_result));
/* sign_check_artifact on the file at path. */
enum sign_result sign_check_artifact_path(const struct sign_release *rel,
    const char *path, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
