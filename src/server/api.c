/* Helpers every handler uses: replies, deferred writes, input checks. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/api.h"
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
	http_suspend(a->http, write_then);
	if (db_submit(a->srv->db, fn, arg, write_done, a) != 0) {
		/* The writer is stopping: answer at once. */
		a->rc = DB_ERR;
		http_resume(a->http);
	}
}

static int
bad(struct api_req *a, const char *field, const char *want)
{
	api_err(a, 422, "invalid_field", "%s: %s", field, want);
	return -1;
}

int
api_only(struct api_req *a, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return bad(a, "body", "must be a JSON object");
	json_object_foreach(obj, key, v) {
		size_t i;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			api_err(a, 422, "unknown_field", "%.64s: unknown field",
			    key);
			return -1;
		}
	}
	return 0;
}

int
api_str(struct api_req *a, json_t *obj, const char *field, int required,
    size_t min, size_t max, const char **out)
{
	json_t *v = json_object_get(obj, field);
	char want[64];
	size_t n;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return required ? bad(a, field, "is required") : 0;
	snprintf(want, sizeof(want), "must be a string of %zu to %zu bytes",
	    min, max);
	if (!json_is_string(v))
		return bad(a, field, want);
	n = json_string_length(v);
	if (n < min || n > max || strlen(json_string_value(v)) != n)
		return bad(a, field, want);
	*out = json_string_value(v);
	return 0;
}

int
api_valid_ident(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > API_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || strchr("._:-", c) == NULL))
			return 0;
	}
	return 1;
}

int
api_ident(struct api_req *a, json_t *obj, const char *field, int required,
    const char **out)
{
	if (api_str(a, obj, field, required, 1, API_ID_MAX, out) != 0)
		return -1;
	if (*out != NULL && !api_valid_ident(*out))
		return bad(a, field, "must be 1 to 64 of A-Z a-z 0-9 . _ : - "
		    "starting with a letter or digit");
	return 0;
}

int
api_int(struct api_req *a, json_t *obj, const char *field, int required,
    int64_t min, int64_t max, int64_t *out)
{
	json_t *v = json_object_get(obj, field);
	char want[96];

	if (v == NULL || json_is_null(v))
		return required ? bad(a, field, "is required") : 0;
	snprintf(want, sizeof(want), "must be an integer from %lld to %lld",
	    (long long)min, (long long)max);
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return bad(a, field, want);
	*out = json_integer_value(v);
	return 0;
}

int
api_bool(struct api_req *a, json_t *obj, const char *field, int *out)
{
	json_t *v = json_object_get(obj, field);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return bad(a, field, "must be true or false");
	*out = json_is_true(v);
	return 0;
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

json_t *
api_time(int64_t t)
{
	char buf[21];

	if (t == 0)
		return json_null();
	util_time_fmt(t, buf);
	return json_string(buf);
}
