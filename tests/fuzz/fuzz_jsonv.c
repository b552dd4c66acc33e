/* Fuzzes the API's request body checks: jv_parse with a cap, then every
 * typed getter on a few field names. A getter that succeeds hands out a
 * value inside its bounds; one that fails names its field. */
#include <math.h>

#include "fuzz.h"
#include "api/jsonv.h"

#define FZ_CAP 65536

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int
ref_ident(const char *s)
{
	return fz_ref_ident(s, JV_ID_MAX);
}

/* A failed getter's message starts with "field: ". */
static void
names(const char *err, const char *field)
{
	size_t n = strlen(field);

	FZ_ASSERT(strncmp(err, field, n) == 0 && err[n] == ':');
}

static void
getters(json_t *obj, const char *f)
{
	const char *s = NULL;
	int64_t i = INT64_MIN, d = INT64_MIN;
	double x = NAN;
	int b = -1;
	char err[256];

	if (jv_str(obj, f, 0, 2, 10, &s, err, sizeof(err)) == 0) {
		FZ_ASSERT(s == NULL || (strlen(s) >= 2 && strlen(s) <= 10));
		FZ_ASSERT(s == NULL ||
		    strlen(s) == json_string_length(json_object_get(obj, f)));
	} else {
		names(err, f);
	}
	s = NULL;
	if (jv_ident(obj, f, 0, &s, err, sizeof(err)) == 0) {
		FZ_ASSERT(s == NULL || ref_ident(s));
		FZ_ASSERT(s == NULL || util_valid_ident(s));
	} else {
		names(err, f);
	}
	/* Required: absent or null is an error. */
	if (jv_str(obj, f, 1, 0, SIZE_MAX, &s, err, sizeof(err)) != 0)
		names(err, f);
	else
		FZ_ASSERT(s != NULL);
	if (jv_int(obj, f, 0, -5, 1000, &i, err, sizeof(err)) == 0)
		FZ_ASSERT(i == INT64_MIN || (i >= -5 && i <= 1000));
	else
		names(err, f);
	if (jv_bool(obj, f, &b, err, sizeof(err)) == 0)
		FZ_ASSERT(b == -1 || b == 0 || b == 1);
	else
		names(err, f);
	if (jv_num(obj, f, -1.5, 2.5, &x, err, sizeof(err)) == 0)
		FZ_ASSERT(isnan(x) || (x >= -1.5 && x <= 2.5));
	else
		names(err, f);
	if (jv_duration(obj, f, 60, 7 * 86400, &d, err, sizeof(err)) == 0)
		FZ_ASSERT(d == INT64_MIN || (d >= 60 && d <= 7 * 86400));
	else
		names(err, f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fields[] = { "a", "id", "name", "n", "" };
	static const char *const allowed[] = { "a", "id", "name", NULL };
	uint8_t *buf = fz_dup(data, size);
	char err[256] = "", *s;
	json_t *v;
	int only;

	/* The identifier rule on the raw input too. */
	s = fz_str(data, size);
	FZ_ASSERT(util_valid_ident(s) == ref_ident(s));
	free(s);

	v = jv_parse(buf, size, FZ_CAP, err, sizeof(err));
	if (v == NULL) {
		FZ_ASSERT(err[0] != '\0');
		goto out;
	}
	FZ_ASSERT(size > 0 && size <= FZ_CAP);
	FZ_ASSERT(json_is_object(v) || json_is_array(v));
	only = jv_only(v, allowed, err, sizeof(err));
	if (!json_is_object(v)) {
		FZ_ASSERT(only == -1);
	} else {
		const char *key;
		json_t *val;
		int want = 0;

		json_object_foreach(v, key, val) {
			if (strcmp(key, "a") != 0 && strcmp(key, "id") != 0 &&
			    strcmp(key, "name") != 0)
				want = -1;
		}
		FZ_ASSERT(only == want);
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		getters(v, fields[i]);
	json_decref(v);
out:
	free(buf);
	return 0;
}
