/* Making tokens and naming roles. */
#ifndef API_AUTH_H
#define API_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "api/api.h"

#define AUTH_TOKEN_MAX 64

/* Makes a new random token "<prefix><43 base64url chars>" into out and
 * its SHA-256 into hash. 0/-1. */
int auth_token_new(const char *prefix, char *out, size_t size,
    uint8_t hash[32]);
/* The credentials of an "Authorization: Bearer <token>" header: the
 * scheme in any case (RFC 9110), one or more spaces, then a token68 of
 * 1 to 128 characters. A pointer into header, or NULL when it is not
 * such a header. */
const char *auth_bearer(const char *header);
/* The same for another scheme ("TargetToken", "GatewayToken"). */
const char *auth_credentials(const char *header, const char *scheme);
/* "admin" / "release" / "viewer" / "gateway" → role, else ROLE_NONE. */
enum api_role auth_role_parse(const char *s);

#endif
