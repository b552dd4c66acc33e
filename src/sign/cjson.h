/* Canonical JSON (TUF/OLPC style) and the strict parser for signed
 * documents. */
#ifndef SIGN_CJSON_H
#define SIGN_CJSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sign/result.h"

/* Cap on any signed document, and on any canonical encoding. */
#define SIGN_DOC_MAX (256 * 1024)
/* Deepest nesting of arrays and objects accepted. */
#define SIGN_CJSON_MAX_DEPTH 32

/* Encoding flag: escape control characters as \u00XX (lowercase hex) so
 * the output is valid JSON. Without it the output is the canonical form
 * that signatures cover, where only '"' and '\' are escaped. */
#define SIGN_CJSON_WIRE 0x1

/* Encodes v canonically: object keys sorted bytewise, no whitespace,
 * integers only (a real is an error), strings with only '"' and '\'
 * escaped (and control characters too with SIGN_CJSON_WIRE). On SIGN_OK,
 * *out is a malloc'd NUL-terminated buffer of *len bytes that the caller
 * frees. SIGN_ERR_FORMAT for a real, a NUL in a string, nesting deeper than
 * SIGN_CJSON_MAX_DEPTH or output over SIGN_DOC_MAX; SIGN_ERR_NOMEM. */
enum sign_result sign_cjson_encode(const json_t *v, int flags, uint8_t **out,
    size_t *len, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Parses len bytes as one JSON object, strictly: at most SIGN_DOC_MAX
 * bytes, valid UTF-8, no NUL byte or \u0000, no duplicate keys, no number
 * with a fraction or exponent, integers within int64, nothing but
 * whitespace after the object, nesting at most SIGN_CJSON_MAX_DEPTH.
 * On SIGN_OK *out is a new reference the caller decrefs; otherwise
 * SIGN_ERR_FORMAT (or SIGN_ERR_NOMEM) with a message in err. */
enum sign_result sign_cjson_parse(const uint8_t *buf, size_t len, json_t **out,
    char *err, size_t errlen) __attribute__((warn_unused_result));

/* Strict parse, then canonical encoding with SIGN_CJSON_WIRE: the one
 * spelling of a document. On SIGN_OK *out is malloc'd (NUL-terminated,
 * *outlen bytes) and the caller frees it. */
enum sign_result sign_cjson_canonicalize(const uint8_t *buf, size_t len,
    uint8_t **out, size_t *outlen, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
