/* Names of the typed results, and the error-buffer helper of src/sign. */
#include <stdarg.h>
#include <stdio.h>

#define SIGN_FAIL_DEFINED_HERE	/* the function, not the analyser's macro */
#include "sign/internal.h"
#include "sign/result.h"

static const char *const names[SIGN_ERR_COUNT] = {
	[SIGN_OK] = "ok",
	[SIGN_ERR_FORMAT] = "format",
	[SIGN_ERR_SIGNATURE] = "signature",
	[SIGN_ERR_THRESHOLD] = "threshold",
	[SIGN_ERR_EXPIRED] = "expired",
	[SIGN_ERR_ROLLBACK] = "rollback",
	[SIGN_ERR_INCOMPATIBLE] = "incompatible",
	[SIGN_ERR_HASH] = "hash",
	[SIGN_ERR_LENGTH] = "length",
	[SIGN_ERR_VERSION] = "version",
	[SIGN_ERR_DEVICE] = "device",
	[SIGN_ERR_NONCE] = "nonce",
	[SIGN_ERR_PASSPHRASE] = "passphrase",
	[SIGN_ERR_KEYFILE] = "keyfile",
	[SIGN_ERR_IO] = "io",
	[SIGN_ERR_FREEZE] = "freeze",
	[SIGN_ERR_RELEASE_MISMATCH] = "release_mismatch",
	[SIGN_ERR_NOMEM] = "nomem",
	[SIGN_ERR_ROLE_OVERLAP] = "role_overlap",
};

const char *
sign_result_name(enum sign_result r)
{
	if ((int)r < 0 || r >= SIGN_ERR_COUNT || names[r] == NULL)
		return "unknown";
	return names[r];
}

enum sign_result
sign_fail(enum sign_result r, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return r;
	va_start(ap, fmt);
	/* A message cut short is still a message; the code is what counts. */
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}
