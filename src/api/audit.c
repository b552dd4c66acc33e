/* The audit trail's side of the request cycle: which calls are recorded,
 * what their record says, and when it is written (with the call's own
 * write when there is one, else once the reply is known). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/audit.h"
#include "api/api.h"
#include "util/log.h"
#include "util/util.h"

#define PRUNE_BATCH 1000

void
api_audit_note(struct api_req *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->audit.note, sizeof(a->audit.note), fmt, ap);
	va_end(ap);
}

void
api_audit_object(struct api_req *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->audit.object_id, sizeof(a->audit.object_id), fmt, ap);
	va_end(ap);
}

int
api_request_id_ok(const char *s)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_.:@/+=";
	size_t n = strspn(s, ok);

	return n >= 1 && n <= API_REQUEST_ID_MAX && s[n] == '\0';
}

/* Management calls that may change state: a management token (known,
 * even when refused 403) on a management route, any method but GET and
 * HEAD. Device calls and hawkBit DDI are telemetry, not audited. */
void
audit_begin(struct api_req *a)
{
	enum api_need need = a->route->need;
	enum http_method m = http_method(a->http);

	a->audit.on = a->who.role != ROLE_NONE && m != HTTP_GET &&
	    m != HTTP_HEAD && (need == NEED_VIEWER || need == NEED_RELEASE ||
	    need == NEED_ADMIN);
	a->audit.at = util_now();
}

/* The n-th segment of path ("/v1/devices/x": 0 "v1", 1 "devices") into
 * out; 0, or -1 when there is none. */
static int
segment(const char *path, int n, char *out, size_t size)
{
	size_t len;

	for (; *path == '/'; path++)
		;
	while (n-- > 0) {
		path += strcspn(path, "/");
		if (*path == '\0')
			return -1;
		path++;
	}
	if ((len = strcspn(path, "/")) == 0)
		return -1;
	if (len >= size)
		len = size - 1;
	memcpy(out, path, len);
	out[len] = '\0';
	return 0;
}

static const char *
verb(enum http_method m)
{
	switch (m) {
	case HTTP_POST:
		return "create";
	case HTTP_PUT:
		return "replace";
	case HTTP_DELETE:
		return "delete";
	default:
		return "update";	/* PATCH */
	}
}

/* The object from the path (/v1/<type>s/<id>/...) and the action: the
 * method, or the last segment past the id ("revoke", "delete assign"). */
static void
describe(struct api_req *a, struct db_audit *r)
{
	const char *path = http_path(a->http);
	enum http_method m = http_method(a->http);
	char sub[40] = "";
	size_t n;
	int i;

	if (segment(path, 1, r->object_type, sizeof(r->object_type)) != 0)
		snprintf(r->object_type, sizeof(r->object_type), "-");
	n = strlen(r->object_type);
	if (n > 1 && r->object_type[n - 1] == 's')
		r->object_type[n - 1] = '\0';
	if (a->audit.object_id[0] == '\0')
		segment(path, 2, a->audit.object_id, sizeof(a->audit.object_id));
	snprintf(r->object_id, sizeof(r->object_id), "%s", a->audit.object_id);
	for (i = 3; segment(path, i, sub, sizeof(sub)) == 0; i++)
		;
	if (i == 3)
		snprintf(r->action, sizeof(r->action), "%s", verb(m));
	else if (m == HTTP_POST)
		segment(path, i - 1, r->action, sizeof(r->action));
	else {
		segment(path, i - 1, sub, sizeof(sub));
		snprintf(r->action, sizeof(r->action), "%s %.31s", verb(m), sub);
	}
}

static void
fill(struct api_req *a, struct db_audit *r, int status)
{
	memset(r, 0, sizeof(*r));
	r->id = a->audit.row;
	r->at = a->audit.at;
	snprintf(r->actor, sizeof(r->actor), "%s", a->who.name);
	snprintf(r->client, sizeof(r->client), "%s", a->client);
	snprintf(r->request_id, sizeof(r->request_id), "%s", a->request_id);
	snprintf(r->method, sizeof(r->method), "%s", http_method_name(a->http));
	snprintf(r->path, sizeof(r->path), "%s", http_path(a->http));
	describe(a, r);
	snprintf(r->note, sizeof(r->note), "%s", a->audit.note);
	r->status = status;
	if (status >= 400)
		snprintf(r->error, sizeof(r->error), "%s", a->audit.error);
}

int
audit_job(struct db_tx *tx, void *arg)
{
	struct api_req *a = arg;
	struct db_audit r;
	int rc = a->audit.fn(tx, a->audit.arg);

	if (rc != DB_OK || a->audit.row != 0)
		return rc;
	/* The record commits with the change or neither does. Its result
	 * is filled in once the reply is known (audit_end). */
	fill(a, &r, 0);
	return db_audit_add(tx, &r, &a->audit.row) == DB_OK ? DB_OK : DB_ERR;
}

static int
add_job(struct db_tx *tx, void *arg)
{
	int64_t id;

	return db_audit_add(tx, arg, &id);
}

static int
finish_job(struct db_tx *tx, void *arg)
{
	return db_audit_finish(tx, arg);
}

static void
record_done(void *arg, int rc)
{
	struct db_audit *r = arg;

	if (rc != DB_OK)
		log_limited(LOG_LVL_WARN, 60, "audit: the record of %s %s "
		    "(request %s) could not be stored", r->method, r->path,
		    r->request_id);
	free(r);
}

void
audit_end(struct api_req *a)
{
	struct db_audit *r;

	if (!a->audit.on)
		return;
	if ((r = malloc(sizeof(*r))) == NULL) {
		log_warn("audit: out of memory: %s %s (request %s) not recorded",
		    http_method_name(a->http), http_path(a->http),
		    a->request_id);
		return;
	}
	fill(a, r, http_status(a->http));
	if (db_submit(a->srv->core.db, r->id != 0 ? finish_job : add_job, r,
	    record_done, r) != 0)
		record_done(r, DB_ERR);
}

int
audit_prune(struct db_tx *tx, void *arg)
{
	struct srv *s = arg;
	int64_t gone;

	return db_audit_prune(tx, util_now() -
	    (int64_t)s->cfg.audit_retention_days * 86400, PRUNE_BATCH, &gone);
}
