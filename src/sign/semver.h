/* Semantic versions (MAJOR.MINOR.PATCH[-PRERELEASE]) for fw_version. */
#ifndef SIGN_SEMVER_H
#define SIGN_SEMVER_H

/* Longest version string accepted, in bytes. */
#define SIGN_SEMVER_MAX 64

/* 1 when v is MAJOR.MINOR.PATCH with an optional -PRERELEASE (semver 2.0:
 * numbers without leading zeros, identifiers of [0-9A-Za-z-]); build
 * metadata ("+...") is refused, since it would make two different images
 * the same version. Else 0. */
int sign_semver_valid(const char *v);
/* Orders a against b by semver 2.0 precedence: *order < 0, 0 or > 0.
 * Returns 0, or -1 (and leaves *order) when either is not valid. */
int sign_semver_cmp(const char *a, const char *b, int *order)
	__attribute__((warn_unused_result));

#endif
