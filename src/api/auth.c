/* Bearer tokens: management tokens (adm_…) carry a role; device tokens
 * (dev_…) name one device. Only SHA-256 hashes are stored; the hash is
 * looked up by index and compared again in constant time. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "db/devices.h"
#include "db/tokens.h"
#include "api/api.h"
#include "api/auth.h"
#include "sign/crypto.h"

int
auth_token_new(const char *prefix, char *out, size_t size, uint8_t hash[32])
{
	uint8_t raw[32];
	size_t plen = strlen(prefix);

	if (size < plen + 45)
		return -1;
	sign_random(raw, sizeof(raw));
	memcpy(out, prefix, plen);
	if (sign_b64url(raw, sizeof(raw), out + plen, size - plen) != 0)
		return -1;
	sign_wipe(raw, sizeof(raw));
	sign_sha256(out, strlen(out), hash);
	return 0;
}

enum api_role
auth_role_parse(const char *s)
{
	if (strcmp(s, "admin") == 0)
		return ROLE_ADMIN;
	if (strcmp(s, "release") == 0)
		return ROLE_RELEASE;
	if (strcmp(s, "viewer") == 0)
		return ROLE_VIEWER;
	return ROLE_NONE;
}

const char *
auth_bearer(const char *h)
{
	static const char t68[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-._~+/";
	size_t n;

	if (strncasecmp(h, "Bearer", 6) != 0 || h[6] != ' ')
		return NULL;
	h += 6;
	while (*h == ' ')
		h++;
	/* token68 = 1*( ALPHA / DIGIT / "-._~+/" ) *"=" */
	if ((n = strspn(h, t68)) == 0)
		return NULL;
	n += strspn(h + n, "=");
	if (n > 128 || h[n] != '\0')
		return NULL;
	return h;
}

static int
unauthorized(struct api_req *a, const char *code, const char *msg)
{
	http_add_header(a->http, "WWW-Authenticate", "Bearer realm=\"otad\"");
	api_err(a, 401, code, "%s", msg);
	return -1;
}

static int
forbidden(struct api_req *a, const char *what)
{
	api_err(a, 403, "forbidden", "this token may not %s %s: %s",
	    http_method_name(a->http), http_path(a->http), what);
	return -1;
}

static int
check_management(struct api_req *a, const uint8_t hash[32], enum api_need need)
{
	struct db_token t;
	int rc = db_token_find(a->srv->core.db, hash, &t);
	enum api_role need_role = need == NEED_ADMIN ? ROLE_ADMIN :
	    need == NEED_RELEASE ? ROLE_RELEASE : ROLE_VIEWER;

	if (rc == DB_NOTFOUND)
		return unauthorized(a, "invalid_token", "unknown or revoked token");
	if (rc != DB_OK) {
		api_err_db(a, rc, "check the token");
		return -1;
	}
	a->who.role = auth_role_parse(t.role);
	memcpy(a->who.name, t.name, sizeof(a->who.name));
	if (need == NEED_DEVICE)
		return forbidden(a, "device calls need a device token");
	if (a->who.role < need_role)
		return forbidden(a, need_role == ROLE_ADMIN ? "needs the admin role" :
		    "needs the release or admin role");
	return 0;
}

static int
check_device(struct api_req *a, const uint8_t hash[32], enum api_need need)
{
	struct db_device_auth d;
	int rc;

	if (need != NEED_DEVICE && need != NEED_ARTIFACT)
		return forbidden(a, "a device token is only for device calls");
	rc = db_device_by_token(a->srv->core.db, hash, &d);
	if (rc == DB_NOTFOUND)
		return unauthorized(a, "invalid_token", "unknown or revoked token");
	if (rc != DB_OK) {
		api_err_db(a, rc, "check the token");
		return -1;
	}
	a->who.device = d.id;
	memcpy(a->who.device_id, d.device_id, sizeof(a->who.device_id));
	memcpy(a->who.hw_class, d.hw_class, sizeof(a->who.hw_class));
	memcpy(a->who.fw_version, d.fw_version, sizeof(a->who.fw_version));
	a->who.offer_release = d.offer_release;
	memcpy(a->who.offer_state, d.offer_state, sizeof(a->who.offer_state));
	snprintf(a->who.name, sizeof(a->who.name), "device:%.56s", d.device_id);
	return 0;
}

int
api_auth(struct api_req *a, enum api_need need)
{
	const char *h = http_header(a->http, "Authorization");
	const char *tok;
	uint8_t hash[32];

	if (need == NEED_PUBLIC ||
	    (need == NEED_ARTIFACT && a->srv->cfg.artifacts_public))
		return 0;
	if (h == NULL)
		return unauthorized(a, "missing_token", "this call needs "
		    "\"Authorization: Bearer <token>\"");
	if ((tok = auth_bearer(h)) == NULL)
		return unauthorized(a, "invalid_token", "the Authorization "
		    "header must be \"Bearer <token>\"");
	sign_sha256(tok, strlen(tok), hash);
	if (strncmp(tok, "dev_", 4) == 0)
		return check_device(a, hash, need);
	return check_management(a, hash, need);
}
