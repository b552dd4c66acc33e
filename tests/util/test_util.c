/* util: number, size, duration and time parsing; atomic writes. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>

#include "check_util.h"
#include "util/util.h"

START_TEST(parse_int_accepts_only_whole_numbers)
{
	int64_t v;

	ck_assert_int_eq(util_parse_int("42", 0, 100, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(util_parse_int("-5", -10, 10, &v), 0);
	ck_assert_int_eq(v, -5);
	ck_assert_int_eq(util_parse_int("101", 0, 100, &v), -1);
	ck_assert_int_eq(util_parse_int("4x", 0, 100, &v), -1);
	ck_assert_int_eq(util_parse_int("", 0, 100, &v), -1);
	ck_assert_int_eq(util_parse_int(" 4", 0, 100, &v), -1);
	/* Found by fuzz_util: strtoll skips every kind of white space. */
	ck_assert_int_eq(util_parse_int("\t4", 0, 100, &v), -1);
	ck_assert_int_eq(util_parse_int("\v9", 0, 100, &v), -1);
	ck_assert_int_eq(util_parse_int("\n-4", -10, 100, &v), -1);
	ck_assert_int_eq(util_parse_int("-", -10, 100, &v), -1);
	ck_assert_int_eq(util_parse_int("- 4", -10, 100, &v), -1);
	ck_assert_int_eq(util_parse_int("+4", 0, 100, &v), -1);
	ck_assert_int_eq(util_parse_int("99999999999999999999", 0, INT64_MAX,
	    &v), -1);
}
END_TEST

START_TEST(parse_size_units)
{
	uint64_t v;

	ck_assert_int_eq(util_parse_size("4096", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(util_parse_size("64K", &v), 0);
	ck_assert_uint_eq(v, 65536);
	ck_assert_int_eq(util_parse_size("8G", &v), 0);
	ck_assert_uint_eq(v, 8ULL << 30);
	ck_assert_int_eq(util_parse_size("8Q", &v), -1);
	ck_assert_int_eq(util_parse_size("G", &v), -1);
	ck_assert_int_eq(util_parse_size("99999999999T", &v), -1);
}
END_TEST

START_TEST(parse_duration_units)
{
	int64_t v;

	ck_assert_int_eq(util_parse_duration("90", &v), 0);
	ck_assert_int_eq(v, 90);
	ck_assert_int_eq(util_parse_duration("15m", &v), 0);
	ck_assert_int_eq(v, 900);
	ck_assert_int_eq(util_parse_duration("2h", &v), 0);
	ck_assert_int_eq(v, 7200);
	ck_assert_int_eq(util_parse_duration("365d", &v), 0);
	ck_assert_int_eq(v, 365 * 86400);
	ck_assert_int_eq(util_parse_duration("1y", &v), -1);
	ck_assert_int_eq(util_parse_duration("-1s", &v), -1);
	ck_assert_int_eq(util_parse_duration("100000w", &v), -1);
}
END_TEST

START_TEST(time_round_trip)
{
	char buf[21];
	int64_t t;

	util_time_fmt(0, buf);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
	ck_assert_int_eq(util_time_parse("2026-11-22T10:20:30Z", &t), 0);
	util_time_fmt(t, buf);
	ck_assert_str_eq(buf, "2026-11-22T10:20:30Z");
	ck_assert_int_eq(t, 1795342830); /* date -u -d 2026-11-22T10:20:30Z +%s */
	ck_assert_int_eq(util_time_parse("2024-02-29T00:00:00Z", &t), 0);
	/* Found by fuzz_util: years before 1000 printed as 1970. */
	ck_assert_int_eq(util_time_parse("0999-12-31T23:59:59Z", &t), 0);
	ck_assert_int_eq(t, -30610224001LL);
	util_time_fmt(t, buf);
	ck_assert_str_eq(buf, "0999-12-31T23:59:59Z");
	ck_assert_int_eq(util_time_parse("0000-01-01T00:00:00Z", &t), 0);
	util_time_fmt(t, buf);
	ck_assert_str_eq(buf, "0000-01-01T00:00:00Z");
	ck_assert_int_eq(util_time_parse("9999-12-31T23:59:59Z", &t), 0);
	util_time_fmt(t, buf);
	ck_assert_str_eq(buf, "9999-12-31T23:59:59Z");
	/* Past what four digits hold: the epoch, as before. */
	util_time_fmt(t + 1, buf);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
	ck_assert_int_eq(util_time_parse("2023-02-29T00:00:00Z", &t), -1);
	ck_assert_int_eq(util_time_parse("2026-11-22 10:20:30Z", &t), -1);
	ck_assert_int_eq(util_time_parse("2026-11-22T10:20:30+01:00", &t), -1);
	ck_assert_int_eq(util_time_parse("2026-13-01T00:00:00Z", &t), -1);
}
END_TEST

/* The API's RFC 3339 input: offsets, fractions and lower case letters,
 * each the same instant as its UTC form; anything else refused. */
START_TEST(rfc3339_input_forms)
{
	static const struct {
		const char *s;
		int64_t want;	/* -1: refused */
	} cases[] = {
		{ "2026-11-22T10:20:30Z", 1795342830 },
		{ "2026-11-22t10:20:30z", 1795342830 },
		{ "2026-11-22T11:20:30+01:00", 1795342830 },
		{ "2026-11-22T05:50:30-04:30", 1795342830 },
		{ "2026-11-22T10:20:30.5Z", 1795342830 },
		{ "2026-11-22T10:20:30.123456789+00:00", 1795342830 },
		{ "2026-11-23T00:20:30+14:00", 1795342830 },
		{ "2026-11-22T10:20:30", -1 },
		{ "2026-11-22T10:20:30.Z", -1 },
		{ "2026-11-22T10:20:30.1234567890Z", -1 },
		{ "2026-11-22T10:20:30+1:00", -1 },
		{ "2026-11-22T10:20:30+01:60", -1 },
		{ "2026-11-22T10:20:30+24:00", -1 },
		{ "2026-11-22T10:20:30+01:00Z", -1 },
		{ "2026-11-22 10:20:30Z", -1 },
		{ "2026-02-30T10:20:30Z", -1 },
		{ "2026-11-22T10:20:30Z ", -1 },
		{ "", -1 },
	};
	int64_t t;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = util_time_parse_rfc3339(cases[i].s, &t);

		if (cases[i].want < 0) {
			ck_assert_msg(rc == -1, "%s: accepted", cases[i].s);
		} else {
			ck_assert_msg(rc == 0, "%s: refused", cases[i].s);
			ck_assert_msg(t == cases[i].want, "%s: %lld", cases[i].s,
			    (long long)t);
		}
	}
	ck_assert_int_eq(util_time_parse_rfc3339(NULL, &t), -1);
}
END_TEST

START_TEST(atomic_write_replaces_whole_file)
{
	char dir[256], path[300];
	uint8_t *data;
	size_t len;
	struct stat st;

	tu_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	ck_assert_int_eq(util_write_atomic(path, "first", 5, 0600), 0);
	ck_assert_int_eq(util_write_atomic(path, "second", 6, 0640), 0);
	data = util_read_file(path, 100, 1, &len);
	ck_assert_ptr_nonnull(data);
	ck_assert_uint_eq(len, 6);
	ck_assert_str_eq((char *)data, "second");
	free(data);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	/* Over the cap: refused, not truncated. */
	ck_assert_ptr_null(util_read_file(path, 5, 1, &len));
	ck_assert_int_eq(errno, EFBIG);
	/* A symlink is refused when nofollow is asked. */
	snprintf(path, sizeof(path), "%s/link", dir);
	ck_assert_int_eq(symlink("f", path), 0);
	ck_assert_ptr_null(util_read_file(path, 100, 1, &len));
	tu_rmtree(dir);
}
END_TEST

START_TEST(suggest_closest_flag)
{
	static const char *const flags[] = { "listen", "data-dir", "log-level",
	    "config", "role", "version", "help" };
	static const char *const cmds[] = { "token", "backup", "restore",
	    "online-key", "help" };
	char long_word[80];

	ck_assert_str_eq(util_suggest("listn", flags, 7), "listen");
	ck_assert_str_eq(util_suggest("lsiten", flags, 7), "listen");
	ck_assert_str_eq(util_suggest("data-dri", flags, 7), "data-dir");
	ck_assert_str_eq(util_suggest("datadir", flags, 7), "data-dir");
	ck_assert_str_eq(util_suggest("tokn", cmds, 5), "token");
	ck_assert_str_eq(util_suggest("restor", cmds, 5), "restore");
	ck_assert_str_eq(util_suggest("listen", flags, 7), "listen");
	/* Too far, or too short to guess from. */
	ck_assert_ptr_null(util_suggest("port", flags, 7));
	ck_assert_ptr_null(util_suggest("x", cmds, 5));
	ck_assert_ptr_null(util_suggest("ro", flags, 7));
	ck_assert_ptr_null(util_suggest("", cmds, 5));
	ck_assert_ptr_null(util_suggest("tokn", cmds, 0));
	memset(long_word, 'a', sizeof(long_word) - 1);
	long_word[sizeof(long_word) - 1] = '\0';
	ck_assert_ptr_null(util_suggest(long_word, cmds, 5));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_int_accepts_only_whole_numbers);
	tcase_add_test(tc, parse_size_units);
	tcase_add_test(tc, parse_duration_units);
	tcase_add_test(tc, time_round_trip);
	tcase_add_test(tc, rfc3339_input_forms);
	tcase_add_test(tc, atomic_write_replaces_whole_file);
	tcase_add_test(tc, suggest_closest_flag);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
