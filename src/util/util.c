/* Small helpers shared by every program: numbers, times, files. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

int
util_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	/* strtoll would skip any leading white space and take a '+'. */
	if (s == NULL || !(*s == '-' || (*s >= '0' && *s <= '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Splits "123X" into 123 and the suffix X (at most one character). */
static int
split_suffix(const char *s, uint64_t *num, char *suffix)
{
	char num_part[32];
	size_t n = strlen(s);
	int64_t v;

	if (n == 0 || n >= sizeof(num_part))
		return -1;
	*suffix = '\0';
	memcpy(num_part, s, n + 1);
	if (num_part[n - 1] < '0' || num_part[n - 1] > '9') {
		*suffix = num_part[n - 1];
		num_part[n - 1] = '\0';
	}
	if (util_parse_int(num_part, 0, INT64_MAX, &v) != 0)
		return -1;
	*num = (uint64_t)v;
	return 0;
}

int
util_parse_size(const char *s, uint64_t *out)
{
	uint64_t v, mul;
	char sfx;

	if (split_suffix(s, &v, &sfx) != 0)
		return -1;
	switch (sfx) {
	case '\0': mul = 1; break;
	case 'K': case 'k': mul = 1ULL << 10; break;
	case 'M': case 'm': mul = 1ULL << 20; break;
	case 'G': case 'g': mul = 1ULL << 30; break;
	case 'T': case 't': mul = 1ULL << 40; break;
	default: return -1;
	}
	if (v > INT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int
util_parse_duration(const char *s, int64_t *out)
{
	uint64_t v, mul;
	char sfx;

	if (split_suffix(s, &v, &sfx) != 0)
		return -1;
	switch (sfx) {
	case '\0': case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	case 'w': mul = 7 * 86400; break;
	default: return -1;
	}
	/* A century is plenty and keeps now + duration far from overflow. */
	if (v > 100ULL * 366 * 86400 / mul)
		return -1;
	*out = (int64_t)(v * mul);
	return 0;
}

int64_t
util_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

int64_t
util_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
util_deadline(struct timespec *ts, int64_t ms)
{
	int64_t ns;

	clock_gettime(CLOCK_REALTIME, ts);
	ns = ts->tv_nsec + (ms % 1000) * 1000000;
	ts->tv_sec += (time_t)(ms / 1000 + ns / 1000000000);
	ts->tv_nsec = (long)(ns % 1000000000);
}

void
util_time_fmt(int64_t t, char buf[static 21])
{
	struct tm tm;
	time_t tt = (time_t)t;

	/* Not strftime: its %Y does not pad years before 1000 to four
	 * digits, and util_time_parse reads years from 0000. */
	if (gmtime_r(&tt, &tm) == NULL || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900 ||
	    util_fmt(buf, 21, "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec) != 0)
		memcpy(buf, "1970-01-01T00:00:00Z", 21);
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
util_time_parse(const char *s, int64_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h, mi, se;

	if (s == NULL || strlen(s) != 20 || s[4] != '-' || s[7] != '-' ||
	    s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
	    digits(s + 8, 2, &d) || digits(s + 11, 2, &h) ||
	    digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || se > 59)
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

int
util_time_parse_rfc3339(const char *s, int64_t *out)
{
	char base[21];
	size_t n, i = 19;
	int oh = 0, om = 0, sign = 0;
	int64_t t;

	if (s == NULL || (n = strlen(s)) < 20 || n > 40)
		return -1;
	memcpy(base, s, 19);
	base[19] = 'Z';
	base[20] = '\0';
	if (base[10] == 't')
		base[10] = 'T';
	if (s[i] == '.') {
		size_t d = ++i;

		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d || i - d > 9)
			return -1;
	}
	if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
		sign = 0;
	} else if ((s[i] == '+' || s[i] == '-') && i + 6 == n &&
	    s[i + 3] == ':' && digits(s + i + 1, 2, &oh) == 0 &&
	    digits(s + i + 4, 2, &om) == 0 && oh <= 23 && om <= 59) {
		sign = s[i] == '+' ? 1 : -1;
	} else {
		return -1;
	}
	if (util_time_parse(base, &t) != 0)
		return -1;
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

int
util_mkdir(const char *path, unsigned mode)
{
	struct stat st;

	if (mkdir(path, (mode_t)mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	/* stat, not lstat: under systemd's DynamicUser the state dir is a
	 * symlink into /var/lib/private. */
	if (stat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int
util_fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash == NULL) {
		memcpy(dir, ".", 2);
	} else {
		size_t n = (size_t)(slash - path);
		if (n == 0)
			n = 1;
		if (n >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
util_write_atomic(const char *path, const void *buf, size_t len, unsigned mode)
{
	char tmp[PATH_MAX];
	const uint8_t *p = buf;
	int fd, saved;

	if (util_fmt(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    (mode_t)mode);
	if (fd < 0)
		return -1;
	if (fchmod(fd, (mode_t)mode) != 0)
		goto err;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto err;
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0)
		goto err;
	if (close(fd) != 0) {
		fd = -1;
		goto err;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto err;
	return util_fsync_dir(path);
err:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

uint8_t *
util_read_file(const char *path, size_t cap, int nofollow, size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t have = 0;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0)
		goto err;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto err;
	}
	if ((uint64_t)st.st_size > cap) {
		errno = EFBIG;
		goto err;
	}
	/* Read one byte past the size seen, in case the file grew. */
	buf = malloc((size_t)st.st_size + 2);
	if (buf == NULL)
		goto err;
	for (;;) {
		ssize_t n = read(fd, buf + have, (size_t)st.st_size + 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err;
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > (size_t)st.st_size) {
			errno = EFBIG;
			goto err;
		}
	}
	close(fd);
	buf[have] = '\0';
	*len = have;
	return buf;
err:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return NULL;
}

int
util_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

int
util_valid_ident(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > UTIL_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || strchr("._:-", c) == NULL))
			return 0;
	}
	return 1;
}

/* Optimal string alignment distance, capped: typos are short. */
static size_t
edit_distance(const char *a, size_t n, const char *b, size_t m)
{
	size_t d[65][65];

	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[n][m];
}

const char *
util_suggest(const char *word, const char *const *cands, size_t n)
{
	size_t wn = strlen(word), best = 3;
	const char *pick = NULL;

	if (wn > 64)
		return NULL;
	for (size_t k = 0; k < n; k++) {
		size_t cn = strlen(cands[k]), dist;

		if (cn > 64 || (cn > wn ? cn - wn : wn - cn) >= best)
			continue;
		dist = edit_distance(word, wn, cands[k], cn);
		if (dist < best && dist * 2 < wn) {
			best = dist;
			pick = cands[k];
		}
	}
	return pick;
}
