/* The Range request header of artifact downloads: one "bytes=" range. */
#include <string.h>

#include "server/range.h"
#include "util/util.h"

int
http_parse_range(const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{
	char first[24] = "", last[24] = "";
	const char *dash;
	int64_t a, b;

	if (h == NULL || strncmp(h, "bytes=", 6) != 0)
		return 0;
	h += 6;
	if (strchr(h, ',') != NULL)
		return 0;	/* several ranges: the whole file is allowed */
	dash = strchr(h, '-');
	if (dash == NULL || (size_t)(dash - h) >= sizeof(first) ||
	    strlen(dash + 1) >= sizeof(last))
		return 0;
	memcpy(first, h, (size_t)(dash - h));
	memcpy(last, dash + 1, strlen(dash + 1) + 1);
	if (first[0] == '\0') {
		/* bytes=-N: the last N bytes */
		if (util_parse_int(last, 1, INT64_MAX, &b) != 0)
			return 0;
		if (size == 0)
			return -1;
		*len = (uint64_t)b < size ? (uint64_t)b : size;
		*off = size - *len;
		return 1;
	}
	if (util_parse_int(first, 0, INT64_MAX, &a) != 0)
		return 0;
	if ((uint64_t)a >= size)
		return -1;
	b = (int64_t)size - 1;
	if (last[0] != '\0' && util_parse_int(last, 0, INT64_MAX, &b) != 0)
		return 0;
	if (b < a)
		return 0;
	if ((uint64_t)b >= size)
		b = (int64_t)size - 1;
	*off = (uint64_t)a;
	*len = (uint64_t)(b - a + 1);
	return 1;
}
