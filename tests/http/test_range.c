/* range: the Range header of artifact downloads, one "bytes=" range. */
#include <stdint.h>

#include "check_util.h"
#include "http/range.h"

static int
range(const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{
	*off = 77;
	*len = 77;
	return http_parse_range(h, size, off, len);
}

START_TEST(first_last_open_and_suffix)
{
	uint64_t off, len;

	ck_assert_int_eq(range("bytes=0-49", 100, &off, &len), 1);
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(len, 50);
	ck_assert_int_eq(range("bytes=50-", 100, &off, &len), 1);
	ck_assert_uint_eq(off, 50);
	ck_assert_uint_eq(len, 50);
	/* A last byte past the end stops at the end. */
	ck_assert_int_eq(range("bytes=90-500", 100, &off, &len), 1);
	ck_assert_uint_eq(off, 90);
	ck_assert_uint_eq(len, 10);
	ck_assert_int_eq(range("bytes=-10", 100, &off, &len), 1);
	ck_assert_uint_eq(off, 90);
	ck_assert_uint_eq(len, 10);
	ck_assert_int_eq(range("bytes=-500", 100, &off, &len), 1);
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(len, 100);
}
END_TEST

START_TEST(past_four_gib)
{
	uint64_t off, len;

	ck_assert_int_eq(range("bytes=4294967296-", 5ULL << 30, &off, &len),
	    1);
	ck_assert_uint_eq(off, 4ULL << 30);
	ck_assert_uint_eq(len, 1ULL << 30);
}
END_TEST

START_TEST(whole_file_or_unsatisfiable)
{
	static const char *const whole[] = { "bytes=0-0,5-9", "bytes=5-1",
	    "bytes=a-b", "bytes=-0", "bytes=5", "items=0-1", "bytes= 5-9",
	    "bytes=\t5-9", "bytes=5-\t9", "bytes=+5-9", "" };
	uint64_t off, len;

	ck_assert_int_eq(range(NULL, 100, &off, &len), 0);
	for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		ck_assert_msg(range(whole[i], 100, &off, &len) == 0 &&
		    off == 77 && len == 77, "ranged: %s", whole[i]);
	ck_assert_int_eq(range("bytes=100-", 100, &off, &len), -1);
	ck_assert_int_eq(range("bytes=-5", 0, &off, &len), -1);
	ck_assert_int_eq(range("bytes=0-", 0, &off, &len), -1);
}
END_TEST

START_TEST(if_none_match_lists)
{
	static const char *const hit[] = { "\"abc\"", "W/\"abc\"", "*", " * ",
	    "\"x\", W/\"abc\"", ",,\"abc\" ,", "\"x\",\t\"abc\"" };
	static const char *const miss[] = { "\"abcd\"", "abc", "\"abc",
	    "xx\"abc\"yy", "\"abc\" junk", "\"abc\", bad", "* , \"x\"",
	    "w/\"abc\"", "\"a\"bc\"", "", "\"\"" };

	for (size_t i = 0; i < sizeof(hit) / sizeof(hit[0]); i++)
		ck_assert_msg(http_if_none_match(hit[i], "\"abc\"") == 1,
		    "no match: %s", hit[i]);
	/* A malformed list matches nothing, even holding the tag. */
	for (size_t i = 0; i < sizeof(miss) / sizeof(miss[0]); i++)
		ck_assert_msg(http_if_none_match(miss[i], "\"abc\"") == 0,
		    "match: %s", miss[i]);
}
END_TEST

START_TEST(if_range_is_strong)
{
	ck_assert_int_eq(http_if_range("\"abc\"", "\"abc\""), 1);
	ck_assert_int_eq(http_if_range(" \"abc\" ", "\"abc\""), 1);
	ck_assert_int_eq(http_if_range("W/\"abc\"", "\"abc\""), 0);
	ck_assert_int_eq(http_if_range("\"abd\"", "\"abc\""), 0);
	ck_assert_int_eq(http_if_range("Sat, 01 Jan 2026 00:00:00 GMT",
	    "\"abc\""), 0);
	ck_assert_int_eq(http_if_range("\"abc\", \"abc\"", "\"abc\""), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("range");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, first_last_open_and_suffix);
	tcase_add_test(tc, past_four_gib);
	tcase_add_test(tc, whole_file_or_unsatisfiable);
	tcase_add_test(tc, if_none_match_lists);
	tcase_add_test(tc, if_range_is_strong);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
