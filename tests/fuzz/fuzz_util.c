/* Fuzzes the number, size, duration and time parsers against independent
 * reference readings of their documented grammars. Input: a mode byte,
 * then the text. */
#include <time.h>

#include "fuzz.h"
#include "util/util.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* "[-]digits" whose value fits int64; 0/-1. */
static int
ref_int(const char *s, int64_t *out)
{
	int neg = s[0] == '-';
	const char *p = s + neg;
	uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;

	if (*p == '\0')
		return -1;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (lim - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* A whole number of at most 31 bytes, then at most one unit letter, as
 * util.h documents; the product at most max. */
static int
ref_unit(const char *s, const char *units, const uint64_t *muls,
    uint64_t max, uint64_t *out)
{
	size_t n = strlen(s);
	uint64_t mul = 1;
	int64_t v;
	char digits[32];

	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, s, n + 1);
	if (digits[n - 1] < '0' || digits[n - 1] > '9') {
		const char *u = strchr(units, digits[n - 1]);

		if (u == NULL)
			return -1;
		mul = muls[u - units];
		digits[n - 1] = '\0';
	}
	if (ref_int(digits, &v) != 0 || v < 0 || (uint64_t)v > max / mul)
		return -1;
	*out = (uint64_t)v * mul;
	return 0;
}

static void
check_int(const char *s)
{
	static const int64_t bounds[][2] = { { INT64_MIN, INT64_MAX },
	    { 0, 65535 }, { 1, INT64_MAX }, { -5, 5 } };

	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		int64_t v = 42, ref = 0;
		int rc = util_parse_int(s, bounds[i][0], bounds[i][1], &v);
		int want = ref_int(s, &ref) == 0 && ref >= bounds[i][0] &&
		    ref <= bounds[i][1] ? 0 : -1;

		FZ_ASSERT(rc == want);
		FZ_ASSERT(rc == 0 ? v == ref : v == 42);
	}
}

static void
check_size(const char *s)
{
	static const uint64_t muls[] = { 1ULL << 10, 1ULL << 10, 1ULL << 20,
	    1ULL << 20, 1ULL << 30, 1ULL << 30, 1ULL << 40, 1ULL << 40 };
	uint64_t v = 42, ref = 0;
	int rc = util_parse_size(s, &v);
	int want = ref_unit(s, "KkMmGgTt", muls, INT64_MAX, &ref);

	FZ_ASSERT(rc == want);
	FZ_ASSERT(rc == 0 ? v == ref : v == 42);
}

static void
check_duration(const char *s)
{
	static const uint64_t muls[] = { 1, 60, 3600, 86400, 7 * 86400 };
	const uint64_t century = 100ULL * 366 * 86400;
	uint64_t ref = 0;
	int64_t v = 42;
	int rc = util_parse_duration(s, &v);
	int want = ref_unit(s, "smhdw", muls, century, &ref);

	FZ_ASSERT(rc == want);
	FZ_ASSERT(rc == 0 ? (uint64_t)v == ref && v >= 0 : v == 42);
}

static void
check_time(const char *s)
{
	int64_t t = 42;
	char back[21];
	int rc = util_time_parse(s, &t);

	if (rc != 0) {
		FZ_ASSERT(t == 42);
		return;
	}
	/* The one spelling of a time: it prints back as it was read. */
	util_time_fmt(t, back);
	FZ_ASSERT(strcmp(back, s) == 0);
}

/* The API's lenient form: what it accepts is within a day of the UTC
 * time its first 19 bytes spell (offsets are under 24 h), and a refusal
 * leaves the output alone. */
static void
check_time_input(const char *s)
{
	int64_t t = 42, utc;
	char base[21];

	if (util_time_parse_rfc3339(s, &t) != 0) {
		FZ_ASSERT(t == 42);
		return;
	}
	FZ_ASSERT(strlen(s) >= 20 && strlen(s) <= 40);
	memcpy(base, s, 19);
	memcpy(base + 19, "Z", 2);
	if (base[10] == 't')
		base[10] = 'T';
	FZ_ASSERT(util_time_parse(base, &utc) == 0);
	FZ_ASSERT(t > utc - 86400 && t < utc + 86400);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	s = fz_str(data + 1, size - 1);
	switch (data[0] % 5) {
	case 0: check_int(s); break;
	case 1: check_size(s); break;
	case 2: check_duration(s); break;
	case 3: check_time(s); break;
	default: check_time_input(s); break;
	}
	free(s);
	return 0;
}
