/* Release manifests: which image (length, sha256) a version is, for which
 * hardware, with which anti-rollback counter; signed by the release role. */
#ifndef SIGN_RELEASE_H
#define SIGN_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#include "sign/crypto.h"
#include "sign/key.h"
#include "sign/result.h"
#include "sign/root.h"
#include "sign/semver.h"

/* Most hw classes one release may list, and the longest class name. */
#define SIGN_HW_CLASSES_MAX 32
#define SIGN_HW_CLASS_MAX 64
/* Longest "notes", in bytes. */
#define SIGN_NOTES_MAX 4096

/* A release, plain data (allocate with sign_release_new). */
struct sign_release {
	char fw_version[SIGN_SEMVER_MAX + 1];
	char hw_classes[SIGN_HW_CLASSES_MAX][SIGN_HW_CLASS_MAX + 1];
	size_t nhw_classes;
	int64_t security_counter;
	uint64_t length;		/* > 0, at most INT64_MAX */
	uint8_t sha256[SIGN_SHA256_LEN];
	int64_t created;
	int64_t expires;
	char *notes;			/* malloc'd, or NULL when absent */
	/* Filled by verification: */
	uint8_t envelope_sha256[SIGN_SHA256_LEN];	/* of the exact bytes */
	struct sign_keyids signers;
};

/* A zeroed release, or NULL when out of memory; the caller frees it with
 * sign_release_free. */
struct sign_release *sign_release_new(void);
/* Frees rel and its notes; NULL is a no-op. */
void sign_release_free(struct sign_release *rel);

/* Makes a release manifest from fields (fw_version, hw_classes,
 * security_counter, length, sha256, created, expires, notes when not NULL)
 * and signs it with each of keys[0..nkeys). SIGN_ERR_FORMAT when a field
 * is invalid. On SIGN_OK *out is a malloc'd envelope (*len bytes, no
 * trailing newline) the caller frees. */
enum sign_result sign_release_create(const struct sign_release *fields,
    const struct sign_key *const *keys, size_t nkeys, uint8_t **out,
    size_t *len, char *err, size_t errlen) __attribute__((warn_unused_result));

/* Verifies a release envelope against root: well formed, signed by a
 * threshold of the root's release keys, unexpired at now (SIGN_NO_EXPIRY
 * skips that). On SIGN_OK *out (when out is not NULL) is the release,
 * which the caller frees with sign_release_free. */
enum sign_result sign_release_verify(const struct sign_root *root,
    const uint8_t *buf, size_t len, int64_t now, struct sign_release **out,
    char *err, size_t errlen) __attribute__((warn_unused_result));

/* 1 when rel lists hw_class, else 0. */
int sign_release_has_hw_class(const struct sign_release *rel,
    const char *hw_class);

#endif
