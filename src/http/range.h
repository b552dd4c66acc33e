/* The Range and conditional request headers of artifact downloads:
 * pure parsing, no I/O. */
#ifndef HTTP_RANGE_H
#define HTTP_RANGE_H

#include <stdint.h>

/* Parses one "bytes=" range of Range header h (NULL: none) against a file
 * of size bytes. Returns 1 with the range in *off and *len (len >= 1,
 * off + len <= size), 0 for the whole file (no, malformed or several
 * ranges), or -1 when the range cannot be satisfied (416). */
int http_parse_range(const char *h, uint64_t size, uint64_t *off,
    uint64_t *len);

/* If-None-Match (RFC 9110 13.1.2) against etag, our strong ETag with its
 * quotes: 1 when "*" or a list holding an entity-tag that weakly matches
 * (answer 304), 0 otherwise, also for a malformed field. */
int http_if_none_match(const char *field, const char *etag);
/* If-Range (RFC 9110 13.1.5): 1 when the field is etag itself (a strong
 * match: the Range may be honoured), 0 for anything else (another or a
 * weak tag, a date, junk: the whole file is sent). */
int http_if_range(const char *field, const char *etag);

#endif
