/* Canonical JSON encoding and strict parsing of signed documents. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sign/cjson.h"
#include "sign/internal.h"

/* A growable output buffer that refuses to pass SIGN_DOC_MAX. */
struct obuf {
	uint8_t *p;
	size_t len;
	size_t cap;
	enum sign_result fail;	/* first failure; its message is in err */
	char *err;
	size_t errlen;
};

/* Records the first failure and its message; later calls keep it. */
static int
ob_fail(struct obuf *b, enum sign_result r, const char *msg)
{
	if (b->fail == SIGN_OK) {
		b->fail = r;
		sign_fail(r, b->err, b->errlen, "%s", msg);
	}
	return -1;
}

static int
ob_put(struct obuf *b, const void *src, size_t n)
{
	if (b->fail != SIGN_OK)
		return -1;
	if (n > SIGN_DOC_MAX - b->len)
		return ob_fail(b, SIGN_ERR_FORMAT,
		    "canonical encoding over the document cap");
	/* +1 keeps room for the closing NUL. */
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 1024;
		uint8_t *np;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (np == NULL)
			return ob_fail(b, SIGN_ERR_NOMEM, "out of memory");
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
	return 0;
}

static int
ob_str(struct obuf *b, const char *s, size_t len, int flags)
{
	static const char hexd[] = "0123456789abcdef";
	size_t run = 0;

	if (ob_put(b, "\"", 1) != 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t elen = 0;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			elen = 2;
		} else if (c < 0x20 && (flags & SIGN_CJSON_WIRE)) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hexd[c >> 4];
			esc[5] = hexd[c & 0xf];
			elen = 6;
		} else {
			run++;
			continue;
		}
		if (ob_put(b, s + i - run, run) != 0 ||
		    ob_put(b, esc, elen) != 0)
			return -1;
		run = 0;
	}
	if (ob_put(b, s + len - run, run) != 0)
		return -1;
	return ob_put(b, "\"", 1);
}

static int
cmp_keys(const void *a, const void *b)
{
	/* strcmp orders as unsigned char: bytewise, as canonical JSON asks. */
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int enc_value(struct obuf *b, const json_t *v, int flags, int depth);

static int
enc_object(struct obuf *b, const json_t *v, int flags, int depth)
{
	size_t n = json_object_size(v), i = 0;
	const char **keys;
	const char *key;
	json_t *val;
	int rc = -1;

	if (n == 0)
		return ob_put(b, "{}", 2);
	keys = calloc(n, sizeof(*keys));
	if (keys == NULL)
		return ob_fail(b, SIGN_ERR_NOMEM, "out of memory");
	json_object_foreach((json_t *)v, key, val) {
		if (i == n ||
		    json_object_iter_key_len(json_object_key_to_iter(key)) !=
		    strlen(key)) {
			ob_fail(b, SIGN_ERR_FORMAT,
			    "object key holds a NUL byte");
			goto out;
		}
		keys[i++] = key;
	}
	qsort(keys, i, sizeof(*keys), cmp_keys);
	if (ob_put(b, "{", 1) != 0)
		goto out;
	for (size_t k = 0; k < i; k++) {
		if ((k > 0 && ob_put(b, ",", 1) != 0) ||
		    ob_str(b, keys[k], strlen(keys[k]), flags) != 0 ||
		    ob_put(b, ":", 1) != 0 ||
		    enc_value(b, json_object_get(v, keys[k]), flags,
		    depth + 1) != 0)
			goto out;
	}
	rc = ob_put(b, "}", 1);
out:
	free(keys);
	return rc;
}

static int
enc_value(struct obuf *b, const json_t *v, int flags, int depth)
{
	char num[32];
	int n;

	if (depth > SIGN_CJSON_MAX_DEPTH)
		return ob_fail(b, SIGN_ERR_FORMAT, "nested too deeply");
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return enc_object(b, v, flags, depth);
	case JSON_ARRAY:
		if (ob_put(b, "[", 1) != 0)
			return -1;
		for (size_t i = 0; i < json_array_size(v); i++) {
			if ((i > 0 && ob_put(b, ",", 1) != 0) ||
			    enc_value(b, json_array_get(v, i), flags,
			    depth + 1) != 0)
				return -1;
		}
		return ob_put(b, "]", 1);
	case JSON_STRING:
		if (strlen(json_string_value(v)) != json_string_length(v))
			return ob_fail(b, SIGN_ERR_FORMAT,
			    "string holds a NUL byte");
		return ob_str(b, json_string_value(v), json_string_length(v),
		    flags);
	case JSON_INTEGER:
		n = snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(v));
		if (n < 0 || (size_t)n >= sizeof(num))
			return ob_fail(b, SIGN_ERR_FORMAT, "bad integer");
		return ob_put(b, num, (size_t)n);
	case JSON_REAL:
		return ob_fail(b, SIGN_ERR_FORMAT,
		    "floating-point numbers are not allowed");
	case JSON_TRUE:
		return ob_put(b, "true", 4);
	case JSON_FALSE:
		return ob_put(b, "false", 5);
	case JSON_NULL:
		return ob_put(b, "null", 4);
	}
	return ob_fail(b, SIGN_ERR_FORMAT, "unknown JSON type");
}

enum sign_result
sign_cjson_encode(const json_t *v, int flags, uint8_t **out, size_t *len,
    char *err, size_t errlen)
{
	struct obuf b = { NULL, 0, 0, SIGN_OK, err, errlen };

	if (v == NULL)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen, "no value");
	/* Every value encodes to at least one byte, so b.p is set on success
	 * and has room for the NUL. */
	if (enc_value(&b, v, flags, 1) != 0 || b.p == NULL) {
		free(b.p);
		return b.fail != SIGN_OK ? b.fail : SIGN_ERR_FORMAT;
	}
	b.p[b.len] = '\0';
	*out = b.p;
	*len = b.len;
	return SIGN_OK;
}

/* Walks a parsed value for what jansson lets through but signed
 * documents must not hold. */
static enum sign_result
check_value(const json_t *v, const char *where, int depth, char *err,
    size_t errlen)
{
	const char *key;
	json_t *val;
	enum sign_result r;

	if (depth > SIGN_CJSON_MAX_DEPTH)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "nested deeper than %d levels", SIGN_CJSON_MAX_DEPTH);
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, key, val) {
			if (json_object_iter_key_len(
			    json_object_key_to_iter(key)) != strlen(key))
				return sign_fail(SIGN_ERR_FORMAT, err, errlen,
				    "object key holds a NUL byte");
			r = check_value(val, key, depth + 1, err, errlen);
			if (r != SIGN_OK)
				return r;
		}
		return SIGN_OK;
	case JSON_ARRAY:
		for (size_t i = 0; i < json_array_size(v); i++) {
			r = check_value(json_array_get(v, i), where, depth + 1,
			    err, errlen);
			if (r != SIGN_OK)
				return r;
		}
		return SIGN_OK;
	case JSON_STRING:
		if (strlen(json_string_value(v)) != json_string_length(v))
			return sign_fail(SIGN_ERR_FORMAT, err, errlen,
			    "string in \"%.64s\" holds a NUL byte", where);
		return SIGN_OK;
	case JSON_REAL:
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "floating-point number in \"%.64s\": only integers are "
		    "allowed", where);
	default:
		return SIGN_OK;
	}
}

enum sign_result
sign_cjson_parse(const uint8_t *buf, size_t len, json_t **out, char *err,
    size_t errlen)
{
	json_error_t jerr;
	json_t *v;
	const uint8_t *nul;
	enum sign_result r;

	if (len > SIGN_DOC_MAX)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "document is %zu bytes, over the cap of %d", len,
		    SIGN_DOC_MAX);
	nul = memchr(buf, 0, len);
	if (nul != NULL)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "NUL byte at offset %zu", (size_t)(nul - buf));
	/* jansson checks UTF-8, rejects \u0000 (no JSON_ALLOW_NUL), integers
	 * past int64 and anything but whitespace after the value. */
	v = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "invalid JSON at line %d column %d: %s", jerr.line,
		    jerr.column, jerr.text);
	if (!json_is_object(v)) {
		json_decref(v);
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "document is not a JSON object");
	}
	r = check_value(v, "", 1, err, errlen);
	if (r != SIGN_OK) {
		json_decref(v);
		return r;
	}
	*out = v;
	return SIGN_OK;
}

enum sign_result
sign_cjson_canonicalize(const uint8_t *buf, size_t len, uint8_t **out,
    size_t *outlen, char *err, size_t errlen)
{
	json_t *v;
	enum sign_result r;

	r = sign_cjson_parse(buf, len, &v, err, errlen);
	if (r != SIGN_OK)
		return r;
	r = sign_cjson_encode(v, SIGN_CJSON_WIRE, out, outlen, err, errlen);
	json_decref(v);
	return r;
}
