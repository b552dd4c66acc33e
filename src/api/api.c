/* Helpers every handler uses: replies, deferred writes, input checks. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/log.h"
#include "util/util.h"

void
api_json(struct api_req *a, int status, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	if (text == NULL) {
		api_err(a, 500, "internal", "cannot encode the reply");
		return;
	}
	http_reply_take(a->http, status, "application/json", text,
	    strlen(text));
}

void
api_err(struct api_req *a, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* For the audit record: how a refused call ended. */
	snprintf(a->audit.error, sizeof(a->audit.error), "%s", code);
	http_reply_error(a->http, status, code, "%s", msg);
}

void
api_err_db(struct api_req *a, int rc, const char *what)
{
	(void)rc;
	api_err(a, 503, "store_unavailable", "the store could not %s; nothing "
	    "was changed; try again", what);
}

static void
write_done(void *p, int rc)
{
	struct api_req *a = p;

	a->rc = rc;
	http_resume(a->http);
}

static void
write_then(struct http_req *r)
{
	struct api_req *a = http_data(r);

	a->then(a, a->rc);
}

void
api_write(struct api_req *a, db_write_fn fn, void *arg,
    void (*then)(struct api_req *a, int rc))
{
	a->then = then;
	if (a->audit.on) {
		a->audit.fn = fn;
		a->audit.arg = arg;
		fn = audit_job;
		arg = a;
	}
	http_suspend(a->http, write_then);
	if (db_submit(a->srv->core.db, fn, arg, write_done, a) != 0) {
		/* The writer is stopping: answer at once. */
		a->rc = DB_ERR;
		http_resume(a->http);
	}
}

void
api_invalid(struct api_req *a)
{
	api_err(a, 422, "invalid_field", "%s", a->err);
}

int
api_query_ident(struct api_req *a, const char *name, const char **out)
{
	*out = http_query(a->http, name);
	if (*out == NULL || util_valid_ident(*out))
		return 0;
	api_err(a, 400, "bad_query", "%s: not an identifier (1 to %d letters, "
	    "digits, '.', '_', ':' or '-', starting with a letter or digit)",
	    name, UTIL_ID_MAX);
	return -1;
}

int
api_page(struct api_req *a, int64_t *limit, const char **after)
{
	const char *l = http_query(a->http, "limit");

	*limit = 100;
	*after = http_query(a->http, "after");
	if (l != NULL && util_parse_int(l, 1, 1000, limit) != 0) {
		api_err(a, 400, "bad_query", "limit: must be an integer from 1 "
		    "to 1000");
		return -1;
	}
	if (*after != NULL && strlen(*after) > 128) {
		api_err(a, 400, "bad_query", "after: too long");
		return -1;
	}
	return 0;
}

void
api_page_reply(struct api_req *a, const char *key, json_t *arr, int64_t limit,
    const char *cursor)
{
	json_t *last = json_array_get(arr, json_array_size(arr) - 1);

	api_json(a, 200, json_pack("{s:o,s:o}", key, arr, "next",
	    (int64_t)json_array_size(arr) == limit && last != NULL ?
	    json_incref(json_object_get(last, cursor)) : json_null()));
}

json_t *
api_time(int64_t t)
{
	char buf[21];

	if (t == 0)
		return json_null();
	util_time_fmt(t, buf);
	return json_string(buf);
}
