/* jsonv: capped parsing and field checks that name the field. */
#include "check_util.h"
#include "api/jsonv.h"

static json_t *
parse(const char *text)
{
	char err[256];
	json_t *v = jv_parse(text, strlen(text), 1 << 20, err, sizeof(err));

	ck_assert_msg(v != NULL, "%s", err);
	return v;
}

START_TEST(parse_rejects_duplicates_trailing_and_oversize)
{
	char err[256];
	const char *dup = "{\"a\":1,\"a\":2}";
	const char *trail = "{\"a\":1} x";

	ck_assert_ptr_null(jv_parse(dup, strlen(dup), 1024, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "duplicate"));
	ck_assert_ptr_null(jv_parse(trail, strlen(trail), 1024, err,
	    sizeof(err)));
	ck_assert_ptr_null(jv_parse("{}", 2, 1, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "larger than"));
	ck_assert_ptr_null(jv_parse("", 0, 10, err, sizeof(err)));
	/* NUL inside a string would cut C strings short: refused. */
	ck_assert_ptr_null(jv_parse("{\"a\":\"x\\u0000y\"}", 17, 1024, err,
	    sizeof(err)));
}
END_TEST

START_TEST(str_and_ident)
{
	json_t *o = parse("{\"name\":\"dev-1\",\"bad\":\"-x\",\"n\":5}");
	const char *s = NULL;
	char err[256];

	ck_assert_int_eq(jv_ident(o, "name", 1, &s, err, sizeof(err)), 0);
	ck_assert_str_eq(s, "dev-1");
	ck_assert_int_eq(jv_ident(o, "bad", 1, &s, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "bad: must be"));
	ck_assert_int_eq(jv_str(o, "n", 1, 1, 10, &s, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "n: must be a string"));
	ck_assert_int_eq(jv_str(o, "missing", 1, 1, 10, &s, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "missing: is required");
	s = "kept";
	ck_assert_int_eq(jv_str(o, "missing", 0, 1, 10, &s, err, sizeof(err)), 0);
	ck_assert_str_eq(s, "kept");
	json_decref(o);
}
END_TEST

START_TEST(ints_bools_numbers_durations)
{
	json_t *o = parse("{\"i\":7,\"big\":99,\"b\":true,\"f\":2.5,"
	    "\"d1\":90,\"d2\":\"15m\",\"d3\":\"soon\"}");
	int64_t i = 0;
	int b = 0;
	double f = 0;
	char err[256];

	ck_assert_int_eq(jv_int(o, "i", 1, 0, 10, &i, err, sizeof(err)), 0);
	ck_assert_int_eq(i, 7);
	ck_assert_int_eq(jv_int(o, "big", 1, 0, 10, &i, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "big: must be an integer from 0 to 10");
	ck_assert_int_eq(jv_int(o, "f", 1, 0, 10, &i, err, sizeof(err)), -1);
	ck_assert_int_eq(jv_bool(o, "b", &b, err, sizeof(err)), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(jv_bool(o, "i", &b, err, sizeof(err)), -1);
	ck_assert_int_eq(jv_num(o, "f", 0, 100, &f, err, sizeof(err)), 0);
	ck_assert(f == 2.5);
	ck_assert_int_eq(jv_num(o, "f", 0, 1, &f, err, sizeof(err)), -1);
	ck_assert_int_eq(jv_duration(o, "d1", 0, 3600, &i, err, sizeof(err)), 0);
	ck_assert_int_eq(i, 90);
	ck_assert_int_eq(jv_duration(o, "d2", 0, 3600, &i, err, sizeof(err)), 0);
	ck_assert_int_eq(i, 900);
	ck_assert_int_eq(jv_duration(o, "d3", 0, 3600, &i, err, sizeof(err)), -1);
	ck_assert_int_eq(jv_duration(o, "d2", 0, 60, &i, err, sizeof(err)), -1);
	json_decref(o);
}
END_TEST

START_TEST(only_allowed_members)
{
	static const char *const allowed[] = { "a", "b", NULL };
	json_t *ok = parse("{\"a\":1}"), *extra = parse("{\"a\":1,\"zz\":2}");
	json_t *arr = parse("[1]");
	char err[256];

	ck_assert_int_eq(jv_only(ok, allowed, err, sizeof(err)), 0);
	ck_assert_int_eq(jv_only(extra, allowed, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "zz: unknown field");
	ck_assert_int_eq(jv_only(arr, allowed, err, sizeof(err)), -1);
	json_decref(ok);
	json_decref(extra);
	json_decref(arr);
}
END_TEST

START_TEST(sha256_spelling)
{
	char ok[65], upper[65], longer[66];

	memset(ok, 'a', 64);
	ok[64] = '\0';
	memcpy(upper, ok, sizeof(ok));
	upper[10] = 'A';
	ck_assert_int_eq(jv_valid_sha256(ok), 1);
	ck_assert_int_eq(jv_valid_sha256(upper), 0);
	ck_assert_int_eq(jv_valid_sha256("abc"), 0);
	ok[63] = 'g';
	ck_assert_int_eq(jv_valid_sha256(ok), 0);
	memset(longer, 'a', 65);
	longer[65] = '\0';
	ck_assert_int_eq(jv_valid_sha256(longer), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("jsonv");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_rejects_duplicates_trailing_and_oversize);
	tcase_add_test(tc, str_and_ident);
	tcase_add_test(tc, ints_bools_numbers_durations);
	tcase_add_test(tc, only_allowed_members);
	tcase_add_test(tc, sha256_spelling);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
