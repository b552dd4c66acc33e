/* Helpers shared by the files of src/sign only; nothing outside src/sign
 * includes this header. */
#ifndef SIGN_INTERNAL_H
#define SIGN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sign/key.h"
#include "sign/result.h"

/* Longest string field accepted in a signed document, unless a field
 * says otherwise. */
#define SIGN_STR_MAX 256

/* Writes a message into err (when err is not NULL) and returns r. */
enum sign_result sign_fail(enum sign_result r, char *err, size_t errlen,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#if defined(__clang_analyzer__) && !defined(SIGN_FAIL_DEFINED_HERE)
/* The analyser cannot see into result.c: without this it assumes a failure
 * may come back as SIGN_OK and reports the unset outputs of every caller. */
#define sign_fail(r, err, errlen, ...) ((void)(err), (void)(errlen), (r))
#endif

/* Copies the 32-byte seed of k into out; the caller wipes out. */
void sign_key_seed(const struct sign_key *k, uint8_t out[SIGN_SEED_LEN]);

/* Checks that obj is an object holding every key of the NULL-terminated
 * list 'required', and no key outside 'required' and 'optional' (which
 * may be NULL). 'what' names obj in messages. */
enum sign_result sign_json_keys(const json_t *obj, const char *what,
    const char *const *required, const char *const *optional, char *err,
    size_t errlen);

/* String field flags. */
#define SIGN_STR_EMPTY_OK 0x1	/* "" is allowed */
#define SIGN_STR_CTRL_OK 0x2	/* control characters are allowed */

/* Reads string field 'key' of obj (at most maxlen bytes). *out points into
 * obj and lives as long as obj. SIGN_OK or SIGN_ERR_FORMAT. */
enum sign_result sign_json_str(const json_t *obj, const char *key,
    const char *what, size_t maxlen, int flags, const char **out, char *err,
    size_t errlen);
/* Reads integer field 'key' of obj, which must lie in [min, max]. */
enum sign_result sign_json_int(const json_t *obj, const char *key,
    const char *what, int64_t min, int64_t max, int64_t *out, char *err,
    size_t errlen);
/* Reads an RFC 3339 UTC time field ("YYYY-MM-DDTHH:MM:SSZ"). */
enum sign_result sign_json_time(const json_t *obj, const char *key,
    const char *what, int64_t *out, char *err, size_t errlen);
/* Reads a field of exactly 2 * n lowercase hex digits into out. */
enum sign_result sign_json_hex(const json_t *obj, const char *key,
    const char *what, uint8_t *out, size_t n, char *err, size_t errlen);

/* New references (NULL when out of memory); the caller decrefs. */
json_t *sign_json_hex_new(const uint8_t *in, size_t n);
json_t *sign_json_time_new(int64_t t);

/* Signs signed_obj with each of keys[0..nkeys); with none, the envelope
 * has no signatures yet. On SIGN_OK *out is a malloc'd envelope the
 * caller frees. */
enum sign_result sign_envelope_sign_all(const json_t *signed_obj,
    const struct sign_key *const *keys, size_t nkeys, uint8_t **out,
    size_t *len, char *err, size_t errlen);

/* SIGN_ERR_EXPIRED (with a message naming 'what') when now >= expires;
 * SIGN_OK when not, or when now is SIGN_NO_EXPIRY. */
enum sign_result sign_check_expiry(int64_t expires, int64_t now,
    const char *what, char *err, size_t errlen);

#endif
