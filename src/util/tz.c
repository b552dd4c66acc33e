/* The tz database's rule for an IANA zone name: the POSIX TZ string at
 * the end of its TZif file (RFC 8536, version 2 and later), read once
 * when a campaign names the zone, so that no thread ever sets TZ. */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* TZif files are a few KiB; the biggest in the database is under 4. */
#define TZIF_CAP (256 * 1024)

int
util_tzif_footer(const uint8_t *buf, size_t n, char *rule, size_t len)
{
	size_t end, start;

	/* "TZif", a version from '2' on, and a footer "\n<rule>\n". */
	if (n < 44 + 2 || memcmp(buf, "TZif", 4) != 0 || buf[4] < '2' ||
	    buf[n - 1] != '\n')
		return -1;
	end = n - 1;
	for (start = end; start > 44 && buf[start - 1] != '\n'; start--)
		;
	if (start <= 44 || end - start == 0 || end - start >= len)
		return -1;
	for (size_t i = start; i < end; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return -1;
	memcpy(rule, buf + start, end - start);
	rule[end - start] = '\0';
	return 0;
}

int
util_tz_name_ok(const char *name)
{
	size_t n = strlen(name);

	/* Letters, digits and "/_+-", no empty, "." or ".." part: a path
	 * under the database's directory and nowhere else. */
	if (n == 0 || n >= 64 || name[0] == '/' || name[n - 1] == '/')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '/' || c == '_' ||
		    c == '+' || c == '-'))
			return 0;
		if (c == '/' && name[i + 1] == '/')
			return 0;
	}
	return 1;
}

int
util_tz_rule(const char *name, char *rule, size_t len)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	uint8_t *buf;
	size_t n;
	int rc;

	if (!util_tz_name_ok(name))
		return -1;
	if (dir == NULL || dir[0] == '\0')
		dir = "/usr/share/zoneinfo";
	if (util_fmt(path, sizeof(path), "%s/%s", dir, name) != 0)
		return -1;
	/* The database links zones to each other: follow them. */
	if ((buf = util_read_file(path, TZIF_CAP, 0, &n)) == NULL)
		return -1;
	rc = util_tzif_footer(buf, n, rule, len) != 0 ? -2 : 0;
	free(buf);
	return rc;
}
