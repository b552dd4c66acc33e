/* Pure JSON input checks: parse with a cap, and typed field getters that
 * name the bad field. No I/O; the API layer turns failures into 400/422. */
#ifndef API_JSONV_H
#define API_JSONV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/util.h"

#define JV_ID_MAX UTIL_ID_MAX

/* Parses len bytes (at most cap) as one JSON value, rejecting duplicate
 * keys and trailing bytes. A new reference, or NULL with err filled. */
json_t *jv_parse(const void *buf, size_t len, size_t cap, char *err,
    size_t errlen);

/* Each getter returns 0, or -1 with "field: reason" in err. Optional
 * fields that are absent or null leave *out unchanged (NULL for text). */
int jv_str(json_t *obj, const char *field, int required, size_t min,
    size_t max, const char **out, char *err, size_t errlen);
/* 1..64 of [A-Za-z0-9._:-], starting with a letter or digit. */
int jv_ident(json_t *obj, const char *field, int required, const char **out,
    char *err, size_t errlen);
int jv_int(json_t *obj, const char *field, int required, int64_t min,
    int64_t max, int64_t *out, char *err, size_t errlen);
int jv_bool(json_t *obj, const char *field, int *out, char *err,
    size_t errlen);
/* A number (integer or real) in [min, max]. */
int jv_num(json_t *obj, const char *field, double min, double max,
    double *out, char *err, size_t errlen);
/* A duration: integer seconds, or text such as "90s", "15m", "2h", "1d". */
int jv_duration(json_t *obj, const char *field, int64_t min, int64_t max,
    int64_t *out, char *err, size_t errlen);
/* Refuses members other than the NULL-terminated list. */
int jv_only(json_t *obj, const char *const *allowed, char *err,
    size_t errlen);
/* 1 if s is 64 lowercase hex digits (a SHA-256 as the API spells it). */
int jv_valid_sha256(const char *s);

#endif
