/* Field readers for signed documents: strict types, ranges and caps. */
#include <string.h>

#include "sign/crypto.h"
#include "sign/internal.h"
#include "util/util.h"

static int
in_list(const char *const *list, const char *key)
{
	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		if (strcmp(list[i], key) == 0)
			return 1;
	return 0;
}

enum sign_result
sign_json_keys(const json_t *obj, const char *what, const char *const *required,
    const char *const *optional, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "%s: not a JSON object", what);
	/* The cast drops const only for jansson's iteration macro. */
	json_object_foreach((json_t *)obj, key, v) {
		if (!in_list(required, key) && !in_list(optional, key))
			return sign_fail(SIGN_ERR_FORMAT, err, errlen,
			    "%s: unknown field \"%.64s\"", what, key);
	}
	for (size_t i = 0; required[i] != NULL; i++)
		if (json_object_get(obj, required[i]) == NULL)
			return sign_fail(SIGN_ERR_FORMAT, err, errlen,
			    "%s: missing field \"%s\"", what, required[i]);
	return SIGN_OK;
}

enum sign_result
sign_json_str(const json_t *obj, const char *key, const char *what,
    size_t maxlen, int flags, const char **out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(obj, key);
	const char *s;
	size_t len;

	if (!json_is_string(v))
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "%s: \"%s\" must be a string", what, key);
	s = json_string_value(v);
	len = json_string_length(v);
	if (strlen(s) != len)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "%s: \"%s\" holds a NUL byte", what, key);
	if (len == 0 && !(flags & SIGN_STR_EMPTY_OK))
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "%s: \"%s\" must not be empty", what, key);
	if (len > maxlen)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "%s: \"%s\" is %zu bytes, over the cap of %zu", what, key,
		    len, maxlen);
	if (!(flags & SIGN_STR_CTRL_OK)) {
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return sign_fail(SIGN_ERR_FORMAT, err, errlen,
				    "%s: \"%s\" holds a control character",
				    what, key);
	}
	*out = s;
	return SIGN_OK;
}

enum sign_result
sign_json_int(const json_t *obj, const char *key, const char *what,
    int64_t min, int64_t max, int64_t *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(obj, key);
	json_int_t n;

	if (!json_is_integer(v))
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "%s: \"%s\" must be an integer", what, key);
	n = json_integer_value(v);
	if (n < min || n > max)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "%s: \"%s\" is %lld, outside [%lld, %lld]", what, key,
		    (long long)n, (long long)min, (long long)max);
	*out = (int64_t)n;
	return SIGN_OK;
}

enum sign_result
sign_json_time(const json_t *obj, const char *key, const char *what,
    int64_t *out, char *err, size_t errlen)
{
	const char *s;
	enum sign_result r;

	r = sign_json_str(obj, key, what, 20, 0, &s, err, errlen);
	if (r != SIGN_OK)
		return r;
	if (util_time_parse(s, out) != 0)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "%s: \"%s\" is not an RFC 3339 UTC time "
		    "(YYYY-MM-DDTHH:MM:SSZ)", what, key);
	return SIGN_OK;
}

enum sign_result
sign_json_hex(const json_t *obj, const char *key, const char *what,
    uint8_t *out, size_t n, char *err, size_t errlen)
{
	const char *s;
	enum sign_result r;

	r = sign_json_str(obj, key, what, 2 * n, 0, &s, err, errlen);
	if (r != SIGN_OK)
		return r;
	if (sign_unhex(s, out, n) != 0)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "%s: \"%s\" must be %zu lowercase hex digits", what, key,
		    2 * n);
	return SIGN_OK;
}

json_t *
sign_json_hex_new(const uint8_t *in, size_t n)
{
	char hex[2 * 256 + 1];

	if (n > 256)
		return NULL;
	sign_hex(in, n, hex);
	return json_string(hex);
}

json_t *
sign_json_time_new(int64_t t)
{
	char buf[21];

	util_time_fmt(t, buf);
	return json_string(buf);
}

enum sign_result
sign_check_expiry(int64_t expires, int64_t now, const char *what, char *err,
    size_t errlen)
{
	char when[21];

	if (now == SIGN_NO_EXPIRY || now < expires)
		return SIGN_OK;
	util_time_fmt(expires, when);
	return sign_fail(SIGN_ERR_EXPIRED, err, errlen, "%s expired at %s",
	    what, when);
}
