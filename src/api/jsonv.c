/* Pure JSON input checks: parse with a cap, typed getters naming fields. */
#include <stdio.h>
#include <string.h>

#include "api/jsonv.h"
#include "util/util.h"

json_t *
jv_parse(const void *buf, size_t len, size_t cap, char *err, size_t errlen)
{
	json_error_t e;
	json_t *v;

	if (len > cap) {
		snprintf(err, errlen, "body: larger than %zu bytes", cap);
		return NULL;
	}
	if (len == 0) {
		snprintf(err, errlen, "body: empty; this call needs JSON");
		return NULL;
	}
	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
	if (v == NULL)
		snprintf(err, errlen, "malformed JSON at line %d column %d: %s",
		    e.line, e.column, e.text);
	return v;
}

static int
bad(char *err, size_t errlen, const char *field, const char *want)
{
	snprintf(err, errlen, "%s: %s", field, want);
	return -1;
}

int
jv_only(json_t *obj, const char *const *allowed, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return bad(err, errlen, "body", "must be a JSON object");
	json_object_foreach(obj, key, v) {
		size_t i;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			snprintf(err, errlen, "%.64s: unknown field", key);
			return -1;
		}
	}
	return 0;
}

int
jv_str(json_t *obj, const char *field, int required, size_t min, size_t max,
    const char **out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, field);
	char want[64];
	size_t n;

	if (v == NULL || json_is_null(v)) {
		if (required)
			return bad(err, errlen, field, "is required");
		return 0;
	}
	snprintf(want, sizeof(want), "must be a string of %zu to %zu bytes",
	    min, max);
	if (!json_is_string(v))
		return bad(err, errlen, field, want);
	n = json_string_length(v);
	/* An embedded NUL would make the C string shorter than the JSON one. */
	if (n < min || n > max || strlen(json_string_value(v)) != n)
		return bad(err, errlen, field, want);
	*out = json_string_value(v);
	return 0;
}

int
jv_valid_sha256(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

int
jv_ident(json_t *obj, const char *field, int required, const char **out,
    char *err, size_t errlen)
{
	const char *s = NULL;

	if (jv_str(obj, field, required, 1, JV_ID_MAX, &s, err, errlen) != 0)
		return -1;
	if (s != NULL && !util_valid_ident(s))
		return bad(err, errlen, field, "must be 1 to 64 of A-Z a-z 0-9 "
		    ". _ : - starting with a letter or digit");
	if (s != NULL)
		*out = s;
	return 0;
}

int
jv_int(json_t *obj, const char *field, int required, int64_t min,
    int64_t max, int64_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, field);
	char want[96];

	if (v == NULL || json_is_null(v))
		return required ? bad(err, errlen, field, "is required") : 0;
	snprintf(want, sizeof(want), "must be an integer from %lld to %lld",
	    (long long)min, (long long)max);
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return bad(err, errlen, field, want);
	*out = json_integer_value(v);
	return 0;
}

int
jv_bool(json_t *obj, const char *field, int *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, field);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return bad(err, errlen, field, "must be true or false");
	*out = json_is_true(v);
	return 0;
}

int
jv_num(json_t *obj, const char *field, double min, double max, double *out,
    char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, field);
	char want[96];
	double d;

	if (v == NULL || json_is_null(v))
		return 0;
	snprintf(want, sizeof(want), "must be a number from %g to %g", min, max);
	if (!json_is_number(v))
		return bad(err, errlen, field, want);
	d = json_number_value(v);
	if (!(d >= min && d <= max))
		return bad(err, errlen, field, want);
	*out = d;
	return 0;
}

int
jv_duration(json_t *obj, const char *field, int64_t min, int64_t max,
    int64_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, field);
	char want[128];
	int64_t d;

	if (v == NULL || json_is_null(v))
		return 0;
	snprintf(want, sizeof(want), "must be seconds or a duration such as "
	    "\"15m\", from %llds to %llds", (long long)min, (long long)max);
	if (json_is_integer(v))
		d = json_integer_value(v);
	else if (!json_is_string(v) ||
	    util_parse_duration(json_string_value(v), &d) != 0)
		return bad(err, errlen, field, want);
	if (d < min || d > max)
		return bad(err, errlen, field, want);
	*out = d;
	return 0;
}
