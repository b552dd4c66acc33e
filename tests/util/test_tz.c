/* Check suite for src/util/tz.c: zone names that may name a file under
 * the tz database, the TZif footer (the rule for times to come), and
 * util_tz_rule over the system database and a planted one ($TZDIR). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_util.h"
#include "util/util.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_name_ok)
{
	static const struct {
		const char *name;
		int ok;
	} t[] = {
		{ "Europe/Berlin", 1 }, { "UTC", 1 }, { "Etc/GMT+5", 1 },
		{ "America/Argentina/Buenos_Aires", 1 }, { "America/Port-au-Prince", 1 },
		{ "", 0 }, { "/etc/passwd", 0 }, { "../etc/passwd", 0 },
		{ "Europe/../../etc", 0 }, { "Europe//Berlin", 0 }, { "Europe/", 0 },
		{ "Europe/Berlin ", 0 }, { ".", 0 }, { "Europe/Ber\nlin", 0 },
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0 },
	};

	for (size_t i = 0; i < N_ELEM(t); i++)
		ck_assert_msg(util_tz_name_ok(t[i].name) == t[i].ok, "case %zu %s",
		    i, t[i].name);
}
END_TEST

/* A TZif-shaped buffer: header, 40 bytes of body, then the footer. */
static size_t
tzif(uint8_t *buf, char version, const char *footer)
{
	size_t n = 0, f = strlen(footer);

	memcpy(buf, "TZif", 4);
	buf[4] = (uint8_t)version;
	memset(buf + 5, 0, 60);
	n = 65;
	memcpy(buf + n, footer, f);
	return n + f;
}

START_TEST(test_footer)
{
	static const struct {
		char version;
		const char *footer, *rule;
	} t[] = {
		{ '2', "\nCET-1CEST,M3.5.0,M10.5.0/3\n", "CET-1CEST,M3.5.0,M10.5.0/3" },
		{ '3', "\n<+0530>-5:30\n", "<+0530>-5:30" },
		{ '4', "\nUTC0\n", "UTC0" },
		{ '\0', "\nUTC0\n", NULL },		/* version 1: no footer */
		{ '2', "\n\n", NULL },			/* no rule */
		{ '2', "\nUTC0", NULL },		/* no last newline */
		{ '2', "\nUT\x01" "C0\n", NULL },	/* not printable */
		{ '2', "\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		    NULL },				/* too long */
	};
	uint8_t buf[256];
	char rule[64];

	for (size_t i = 0; i < N_ELEM(t); i++) {
		size_t n = tzif(buf, t[i].version, t[i].footer);
		int rc = util_tzif_footer(buf, n, rule, sizeof(rule));

		ck_assert_msg(rc == (t[i].rule ? 0 : -1), "case %zu", i);
		if (t[i].rule)
			ck_assert_str_eq(rule, t[i].rule);
	}
	memcpy(buf, "TZiX2", 5);
	ck_assert_int_eq(util_tzif_footer(buf, 80, rule, sizeof(rule)), -1);
	ck_assert_int_eq(util_tzif_footer(buf, 3, rule, sizeof(rule)), -1);
}
END_TEST

START_TEST(test_rule)
{
	char dir[256], path[300], rule[64];
	uint8_t buf[256];
	size_t n;
	FILE *f;

	/* The system database, when there is one. */
	if (util_tz_rule("Europe/Berlin", rule, sizeof(rule)) == 0)
		ck_assert_str_eq(rule, "CET-1CEST,M3.5.0,M10.5.0/3");
	ck_assert_int_eq(util_tz_rule("Mars/Olympus", rule, sizeof(rule)), -1);
	ck_assert_int_eq(util_tz_rule("../../etc/passwd", rule, sizeof(rule)), -1);
	/* A planted one: a zone, one without a rule, a directory. */
	tu_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/Test", dir);
	ck_assert_int_eq(util_mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/Test/Zone", dir);
	n = tzif(buf, '2', "\nEST5EDT,M3.2.0,M11.1.0\n");
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
	fclose(f);
	snprintf(path, sizeof(path), "%s/Test/Old", dir);
	n = tzif(buf, '\0', "");
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
	fclose(f);
	setenv("TZDIR", dir, 1);
	ck_assert_int_eq(util_tz_rule("Test/Zone", rule, sizeof(rule)), 0);
	ck_assert_str_eq(rule, "EST5EDT,M3.2.0,M11.1.0");
	ck_assert_int_eq(util_tz_rule("Test/Old", rule, sizeof(rule)), -2);
	ck_assert_int_eq(util_tz_rule("Test", rule, sizeof(rule)), -1);
	ck_assert_int_eq(util_tz_rule("Europe/Berlin", rule, sizeof(rule)), -1);
	unsetenv("TZDIR");
	tu_rmtree(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("util_tz");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_name_ok);
	tcase_add_test(tc, test_footer);
	tcase_add_test(tc, test_rule);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
