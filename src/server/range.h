/* The Range request header of artifact downloads: pure parsing, no I/O. */
#ifndef SERVER_RANGE_H
#define SERVER_RANGE_H

#include <stdint.h>

/* Parses one "bytes=" range of Range header h (NULL: none) against a file
 * of size bytes. Returns 1 with the range in *off and *len (len >= 1,
 * off + len <= size), 0 for the whole file (no, malformed or several
 * ranges), or -1 when the range cannot be satisfied (416). */
int http_parse_range(const char *h, uint64_t size, uint64_t *off,
    uint64_t *len);

#endif
