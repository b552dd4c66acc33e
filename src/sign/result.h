/* Typed results of every signing and verification step; their names are
 * the reasons devices report to the server, so they never change. */
#ifndef SIGN_RESULT_H
#define SIGN_RESULT_H

#include <stdint.h>

enum sign_result {
	SIGN_OK = 0,
	SIGN_ERR_FORMAT,	/* not a well-formed document or file */
	SIGN_ERR_SIGNATURE,	/* a signature by an authorized key is invalid */
	SIGN_ERR_THRESHOLD,	/* too few valid signatures by the role's keys */
	SIGN_ERR_EXPIRED,	/* the document's "expires" has passed */
	SIGN_ERR_ROLLBACK,	/* security_counter below the committed one */
	SIGN_ERR_INCOMPATIBLE,	/* the device's hw class is not listed */
	SIGN_ERR_HASH,		/* artifact bytes hash to something else */
	SIGN_ERR_LENGTH,	/* artifact size differs from "length" */
	SIGN_ERR_VERSION,	/* wrong root version, or fw_version not newer */
	SIGN_ERR_DEVICE,	/* assignment made for another device */
	SIGN_ERR_NONCE,		/* assignment echoes another poll's nonce */
	SIGN_ERR_PASSPHRASE,	/* wrong passphrase for a secret key file */
	SIGN_ERR_KEYFILE,	/* key file unsafe, truncated or corrupted */
	SIGN_ERR_IO,		/* a file could not be read or written */
	SIGN_ERR_FREEZE,	/* the newest reachable root has expired */
	SIGN_ERR_RELEASE_MISMATCH, /* assignment names another release */
	SIGN_ERR_NOMEM,		/* out of memory */
	SIGN_ERR_ROLE_OVERLAP,	/* a root lists one key in two roles */
	SIGN_ERR_COUNT
};

/* Pass as 'now' to skip expiry checks (a bootloader re-checking an image
 * it already accepted). Never for a fresh download. */
#define SIGN_NO_EXPIRY INT64_MIN

/* The stable snake_case name of r ("format", "signature", ...); a static
 * string, never NULL ("unknown" for values out of range). */
const char *sign_result_name(enum sign_result r);

#endif
