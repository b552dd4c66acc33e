/* Semantic version validation and precedence (semver 2.0, section 11). */
#include <string.h>

#include "sign/semver.h"

struct semver {
	const char *num[3];
	size_t numlen[3];
	const char *pre;	/* NULL without a prerelease */
	size_t prelen;
};

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_ident(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '-';
}

static int
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

/* A numeric identifier: digits, no leading zero unless it is "0". */
static int
numeric_ok(const char *s, size_t n)
{
	return n > 0 && all_digits(s, n) && !(n > 1 && s[0] == '0');
}

static int
parse(const char *v, struct semver *sv)
{
	size_t len;
	const char *p = v;

	if (v == NULL)
		return -1;
	len = strnlen(v, SIGN_SEMVER_MAX + 1);
	if (len == 0 || len > SIGN_SEMVER_MAX)
		return -1;
	for (int i = 0; i < 3; i++) {
		size_t n = 0;

		while (is_digit(p[n]))
			n++;
		if (!numeric_ok(p, n))
			return -1;
		sv->num[i] = p;
		sv->numlen[i] = n;
		p += n;
		if (i < 2) {
			if (*p != '.')
				return -1;
			p++;
		}
	}
	sv->pre = NULL;
	sv->prelen = 0;
	if (*p == '\0')
		return 0;
	if (*p != '-')
		return -1;
	p++;
	sv->pre = p;
	sv->prelen = strlen(p);
	/* Dot-separated identifiers, none empty. */
	for (;;) {
		size_t n = 0;

		while (is_ident(p[n]))
			n++;
		if (n == 0)
			return -1;
		if (all_digits(p, n) && !numeric_ok(p, n))
			return -1;
		p += n;
		if (*p == '\0')
			return 0;
		if (*p != '.')
			return -1;
		p++;
	}
}

int
sign_semver_valid(const char *v)
{
	struct semver sv;

	return parse(v, &sv) == 0;
}

static int
cmp_num(const char *a, size_t alen, const char *b, size_t blen)
{
	/* No leading zeros, so the longer number is the larger. */
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

static int
cmp_ident(const char *a, size_t alen, const char *b, size_t blen)
{
	int an = all_digits(a, alen), bn = all_digits(b, blen);
	int c;

	if (an && bn)
		return cmp_num(a, alen, b, blen);
	if (an != bn)
		return an ? -1 : 1;
	c = memcmp(a, b, alen < blen ? alen : blen);
	if (c != 0)
		return c;
	return alen == blen ? 0 : (alen < blen ? -1 : 1);
}

static int
cmp_pre(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i = 0, j = 0;

	while (i < alen && j < blen) {
		size_t ai = i, bj = j;
		int c;

		while (ai < alen && a[ai] != '.')
			ai++;
		while (bj < blen && b[bj] != '.')
			bj++;
		c = cmp_ident(a + i, ai - i, b + j, bj - j);
		if (c != 0)
			return c;
		i = ai + 1;
		j = bj + 1;
	}
	/* More identifiers, when all before are equal, rank higher. */
	if (i < alen)
		return 1;
	if (j < blen)
		return -1;
	return 0;
}

int
sign_semver_cmp(const char *a, const char *b, int *order)
{
	struct semver x, y;
	int c = 0;

	if (parse(a, &x) != 0 || parse(b, &y) != 0)
		return -1;
	for (int i = 0; i < 3 && c == 0; i++)
		c = cmp_num(x.num[i], x.numlen[i], y.num[i], y.numlen[i]);
	if (c == 0) {
		/* A prerelease ranks below its release. */
		if (x.pre != NULL && y.pre == NULL)
			c = -1;
		else if (x.pre == NULL && y.pre != NULL)
			c = 1;
		else if (x.pre != NULL)
			c = cmp_pre(x.pre, x.prelen, y.pre, y.prelen);
	}
	*order = c < 0 ? -1 : (c > 0 ? 1 : 0);
	return 0;
}
