/* Fuzzes the If-None-Match and If-Range readers of artifact downloads.
 * Input: a byte (bit 0: which header; bit 1: which of two ETags), then
 * the field. Each agrees with a reference reading of RFC 9110 (a list
 * split at commas outside quotes, weak comparison for If-None-Match,
 * strong for If-Range), and blanks around list commas change nothing. */
#include "fuzz.h"
#include "http/range.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static const char *const etags[] = {
	"\"b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9\"",
	"\"a\"",
};

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

/* 1 if [p, e) is [W/]"etagc*" after trimming blanks, with the opaque tag
 * (quotes included) in [*t, *te); else 0. */
static int
element(const char *p, const char *e, const char **t, const char **te)
{
	while (p < e && blank(*p))
		p++;
	while (e > p && blank(e[-1]))
		e--;
	if (e - p >= 2 && p[0] == 'W' && p[1] == '/')
		p += 2;
	if (e - p < 2 || p[0] != '"' || e[-1] != '"')
		return 0;
	for (const char *q = p + 1; q < e - 1; q++)
		if (!etagc((unsigned char)*q))
			return 0;
	*t = p;
	*te = e;
	return 1;
}

static int
model_inm(const char *f, const char *etag)
{
	const char *p = f, *start, *t, *te;
	int match = 0, quoted = 0, only_blanks = 1;
	size_t n = strlen(f);

	for (size_t i = 0; i < n; i++)
		if (!blank(f[i]) && f[i] != '*')
			only_blanks = 0;
	/* "*" alone, blanks around it. */
	if (only_blanks && strchr(f, '*') != NULL &&
	    strchr(f, '*') == strrchr(f, '*'))
		return 1;
	for (start = p; ; p++) {
		if (*p == '"')
			quoted = !quoted;
		if ((*p == ',' && !quoted) || *p == '\0') {
			const char *q = start;
			while (q < p && blank(*q))
				q++;
			if (q < p) {
				if (!element(start, p, &t, &te))
					return 0;
				if ((size_t)(te - t) == strlen(etag) &&
				    memcmp(t, etag, strlen(etag)) == 0)
					match = 1;
			}
			if (*p == '\0')
				return match;
			start = p + 1;
		}
	}
}

static int
model_if_range(const char *f, const char *etag)
{
	size_t n;

	while (blank(*f))
		f++;
	n = strlen(f);
	while (n > 0 && blank(f[n - 1]))
		n--;
	return n == strlen(etag) && memcmp(f, etag, n) == 0;
}

/* f with a blank inserted after every comma that is outside quotes. */
static char *
spaced(const char *f)
{
	char *out = malloc(2 * strlen(f) + 1), *o = out;
	int quoted = 0;

	FZ_ASSERT(out != NULL);
	for (; *f != '\0'; f++) {
		*o++ = *f;
		if (*f == '"')
			quoted = !quoted;
		if (*f == ',' && !quoted)
			*o++ = ' ';
	}
	*o = '\0';
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *etag;
	char *f, *g;
	int got;

	if (size < 1)
		return 0;
	etag = etags[(data[0] >> 1) & 1];
	f = fz_str(data + 1, size - 1);
	if (data[0] & 1) {
		got = http_if_range(f, etag);
		FZ_ASSERT(got == model_if_range(f, etag));
	} else {
		got = http_if_none_match(f, etag);
		FZ_ASSERT(got == model_inm(f, etag));
		g = spaced(f);
		FZ_ASSERT(http_if_none_match(g, etag) == got);
		free(g);
	}
	free(f);
	return 0;
}
