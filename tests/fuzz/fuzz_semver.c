/* Fuzzes semantic version validation and precedence. Input: up to three
 * versions separated by NUL bytes. Precedence is a total order on valid
 * versions in which only identical strings are equal (no build metadata,
 * no leading zeros). */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* An independent reading of the grammar: MAJOR.MINOR.PATCH, numbers
 * without leading zeros, then optionally '-' and dot-separated non-empty
 * identifiers of [0-9A-Za-z-], numeric ones without leading zeros. */
static int
ref_valid(const char *s)
{
	size_t n = strlen(s), i = 0;

	if (n == 0 || n > SIGN_SEMVER_MAX)
		return 0;
	for (int part = 0; part < 3; part++) {
		size_t start = i;

		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start || (i - start > 1 && s[start] == '0'))
			return 0;
		if (part < 2 && s[i++] != '.')
			return 0;
	}
	if (s[i] == '\0')
		return 1;
	if (s[i++] != '-')
		return 0;
	for (;;) {
		size_t start = i;
		int digits = 1;

		while (s[i] == '-' || (s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')) {
			if (s[i] < '0' || s[i] > '9')
				digits = 0;
			i++;
		}
		if (i == start || (digits && i - start > 1 && s[start] == '0'))
			return 0;
		if (s[i] == '\0')
			return 1;
		if (s[i++] != '.')
			return 0;
	}
}

static int
cmp(const char *a, const char *b)
{
	int o = 99;

	FZ_ASSERT(sign_semver_cmp(a, b, &o) == 0);
	FZ_ASSERT(o == -1 || o == 0 || o == 1);
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_part parts[3];
	char *v[3];
	int valid[3], o = 42;

	fz_split(data, size, parts, 3);
	for (int i = 0; i < 3; i++) {
		v[i] = fz_str(parts[i].p, parts[i].len);
		valid[i] = sign_semver_valid(v[i]);
		FZ_ASSERT(valid[i] == ref_valid(v[i]));
	}
	/* An invalid version is never ordered, and *order is left alone. */
	if (!valid[0] || !valid[1]) {
		FZ_ASSERT(sign_semver_cmp(v[0], v[1], &o) == -1 && o == 42);
		goto out;
	}
	FZ_ASSERT(cmp(v[0], v[0]) == 0);
	FZ_ASSERT(cmp(v[0], v[1]) == -cmp(v[1], v[0]));
	FZ_ASSERT((cmp(v[0], v[1]) == 0) == (strcmp(v[0], v[1]) == 0));
	if (valid[2]) {
		int ab = cmp(v[0], v[1]), bc = cmp(v[1], v[2]);

		if (ab == bc && ab != 0)
			FZ_ASSERT(cmp(v[0], v[2]) == ab);
		if (ab == 0)
			FZ_ASSERT(cmp(v[0], v[2]) == bc);
	}
out:
	for (int i = 0; i < 3; i++)
		free(v[i]);
	return 0;
}
