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
#include "core/devcache.h"
#include "core/seen.h"
#include "sign/crypto.h"
#include "util/util.h"

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
	if (strcmp(s, "gateway") == 0)
		return ROLE_GATEWAY;
	return ROLE_NONE;
}

const char *
auth_bearer(const char *h)
{
	return auth_credentials(h, "Bearer");
}

const char *
auth_credentials(const char *h, const char *scheme)
{
	static const char t68[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-._~+/";
	size_t n = strlen(scheme);

	if (strncasecmp(h, scheme, n) != 0 || h[n] != ' ')
		return NULL;
	h += n;
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

#define DDI_CHALLENGE "TargetToken realm=\"otad\""

static int
unauthorized_as(struct api_req *a, const char *challenge, const char *code,
    const char *msg)
{
	http_add_header(a->http, "WWW-Authenticate", challenge);
	api_err(a, 401, code, "%s", msg);
	return -1;
}

static int
unauthorized(struct api_req *a, const char *code, const char *msg)
{
	return unauthorized_as(a, "Bearer realm=\"otad\"", code, msg);
}

static int
forbidden(struct api_req *a, const char *what)
{
	api_err(a, 403, "forbidden", "this token may not %s %s: %s",
	    http_method_name(a->http), http_path(a->http), what);
	return -1;
}

/* Refuses an expired token (401, the time said); else notes its use (in
 * memory: written with the next flush, never one write per request). */
static int
token_live(struct api_req *a, const struct db_token *t, const char *challenge)
{
	char when[21], msg[200];
	int64_t now = util_now();

	if (t->expires_at != 0 && t->expires_at <= now) {
		util_time_fmt(t->expires_at, when);
		snprintf(msg, sizeof(msg), "token %s expired at %s; an admin "
		    "makes a new one (POST /v1/tokens)", t->name, when);
		return unauthorized_as(a, challenge, "token_expired", msg);
	}
	if (a->srv->core.token_use != NULL)
		seen_note(a->srv->core.token_use, t->id, now, NULL);
	return 0;
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
	if (token_live(a, &t, "Bearer realm=\"otad\"") != 0)
		return -1;
	a->who.role = auth_role_parse(t.role);
	memcpy(a->who.name, t.name, sizeof(a->who.name));
	a->who.expires_at = t.expires_at;
	if (a->who.role == ROLE_GATEWAY)
		return forbidden(a, "a gateway token is only for hawkBit DDI "
		    "paths");
	if (need == NEED_DEVICE)
		return forbidden(a, "device calls need a device token");
	if (a->who.role < need_role)
		return forbidden(a, need_role == ROLE_ADMIN ? "needs the admin role" :
		    "needs the release or admin role");
	return 0;
}

static void
who_device(struct api_req *a, const struct db_device_auth *d)
{
	a->who.device = d->id;
	memcpy(a->who.device_id, d->device_id, sizeof(a->who.device_id));
	memcpy(a->who.hw_class, d->hw_class, sizeof(a->who.hw_class));
	memcpy(a->who.fw_version, d->fw_version, sizeof(a->who.fw_version));
	a->who.offer_release = d->offer_release;
	a->who.offer_state = d->offer_state;
	snprintf(a->who.name, sizeof(a->who.name), "device:%.56s", d->device_id);
}

static int
check_device(struct api_req *a, const uint8_t hash[32], enum api_need need)
{
	struct db_device_auth d;
	int rc;

	if (need != NEED_DEVICE && need != NEED_ARTIFACT)
		return forbidden(a, "a device token is only for device calls");
	rc = devcache_by_token(a->srv->core.devcache, a->srv->core.db, hash,
	    &d);
	if (rc == DB_NOTFOUND)
		return unauthorized(a, "invalid_token", "unknown or revoked token");
	if (rc != DB_OK) {
		api_err_db(a, rc, "check the token");
		return -1;
	}
	who_device(a, &d);
	return 0;
}

/* ---- hawkBit DDI (DDI.md 2.2) ---- */

static int
ddi_unauthorized(struct api_req *a, const char *msg)
{
	return unauthorized_as(a, DDI_CHALLENGE, "invalid_token", msg);
}

/* The device a DDI call acts as, once the lookup (rc) found it. */
static int
ddi_found(struct api_req *a, int rc, const struct db_device_auth *d)
{
	if (rc != DB_OK) {
		api_err_db(a, rc, "check the token");
		return -1;
	}
	who_device(a, d);
	return 0;
}

/* TargetToken or Bearer: the device token of exactly this controller. */
static int
ddi_target(struct api_req *a, const char *tok)
{
	struct db_device_auth d;
	uint8_t hash[32];
	int rc;

	if (strncmp(tok, "dev_", 4) != 0)
		return ddi_unauthorized(a, "a target token is the device's own "
		    "token (dev_...)");
	sign_sha256(tok, strlen(tok), hash);
	rc = devcache_by_token(a->srv->core.devcache, a->srv->core.db, hash,
	    &d);
	if (rc == DB_OK && strcmp(d.device_id, a->args[1]) != 0)
		rc = DB_NOTFOUND;
	if (rc == DB_NOTFOUND)
		return ddi_unauthorized(a, "unknown or revoked token, or not "
		    "this controller's");
	return ddi_found(a, rc, &d);
}

/* GatewayToken: a token of role gateway, for any provisioned controller. */
static int
ddi_gateway(struct api_req *a, const char *tok)
{
	struct db_device_auth d;
	struct db_token t;
	uint8_t hash[32];
	int rc;

	sign_sha256(tok, strlen(tok), hash);
	rc = db_token_find(a->srv->core.db, hash, &t);
	if (rc == DB_OK && auth_role_parse(t.role) != ROLE_GATEWAY)
		rc = DB_NOTFOUND;
	if (rc == DB_NOTFOUND)
		return ddi_unauthorized(a, "unknown or revoked token, or not of "
		    "role gateway");
	if (rc == DB_OK && token_live(a, &t, DDI_CHALLENGE) != 0)
		return -1;
	if (rc == DB_OK)
		rc = db_device_auth_by_id(a->srv->core.db, a->args[1], &d);
	if (rc == DB_NOTFOUND) {
		api_err(a, 404, "not_found", "no device %.64s", a->args[1]);
		return -1;
	}
	return ddi_found(a, rc, &d);
}

static int
ddi_auth(struct api_req *a, enum api_need need, const char *h)
{
	const char *tok;

	if (a->srv->cfg.ddi_tenant[0] == '\0' ||
	    strcmp(a->args[0], a->srv->cfg.ddi_tenant) != 0) {
		api_err(a, 404, "not_found", "no such path: %s",
		    http_path(a->http));
		return -1;
	}
	if (need == NEED_DDI_ARTIFACT && a->srv->cfg.artifacts_public)
		return 0;
	if (h == NULL)
		return unauthorized_as(a, DDI_CHALLENGE, "missing_token", "this "
		    "call needs \"Authorization: TargetToken <token>\"");
	if ((tok = auth_credentials(h, "TargetToken")) != NULL ||
	    (tok = auth_credentials(h, "Bearer")) != NULL)
		return ddi_target(a, tok);
	if ((tok = auth_credentials(h, "GatewayToken")) != NULL)
		return ddi_gateway(a, tok);
	return ddi_unauthorized(a, "the Authorization header must be "
	    "\"TargetToken <token>\", \"GatewayToken <token>\" or \"Bearer "
	    "<token>\"");
}

int
api_auth(struct api_req *a, enum api_need need)
{
	const char *h = http_header(a->http, "Authorization");
	const char *tok;
	uint8_t hash[32];

	if (need == NEED_DDI || need == NEED_DDI_ARTIFACT)
		return ddi_auth(a, need, h);
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
