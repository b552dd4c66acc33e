/* The Range request header of artifact downloads (one "bytes=" range) and
 * the entity-tag conditions, If-None-Match and If-Range. */
#include <string.h>

#include "http/range.h"
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

/* ---- entity-tags ---- */

static const char *
ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* One entity-tag at p: [W/]"etagc*"; the end, or NULL. Sets *weak and
 * the quoted opaque tag's span [*tag, end). */
static const char *
entity_tag(const char *p, int *weak, const char **tag)
{
	*weak = p[0] == 'W' && p[1] == '/';
	if (*weak)
		p += 2;
	if (*p != '"')
		return NULL;
	*tag = p++;
	/* etagc = %x21 / %x23-7E / obs-text */
	while (*p == 0x21 || ((unsigned char)*p >= 0x23 && *p != 0x7f))
		p++;
	return *p == '"' ? p + 1 : NULL;
}

static int
same_tag(const char *tag, const char *end, const char *etag)
{
	size_t n = (size_t)(end - tag);

	return strlen(etag) == n && memcmp(tag, etag, n) == 0;
}

int
http_if_none_match(const char *field, const char *etag)
{
	const char *p = ows(field), *tag, *end;
	int weak, match = 0;

	if (*p == '*')
		return *ows(p + 1) == '\0';
	/* #entity-tag: a comma list; empty elements are allowed. */
	for (;;) {
		p = ows(p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '\0')
			return match;
		if ((end = entity_tag(p, &weak, &tag)) == NULL)
			return 0;
		match |= same_tag(tag, end, etag);
		p = ows(end);
		if (*p != ',' && *p != '\0')
			return 0;
	}
}

int
http_if_range(const char *field, const char *etag)
{
	const char *p = ows(field), *tag, *end;
	int weak;

	end = entity_tag(p, &weak, &tag);
	return end != NULL && !weak && *ows(end) == '\0' &&
	    same_tag(tag, end, etag);
}
