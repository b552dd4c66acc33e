/* auth: reading "Authorization: Bearer <token>" (RFC 9110 credentials). */
#include "check_util.h"
#include "api/auth.h"

START_TEST(scheme_in_any_case)
{
	static const char *const ok[] = { "Bearer abc", "bearer abc",
	    "BEARER abc", "bEaReR abc", "Bearer   abc", "Bearer a-b.c_d~e+f/g==" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *t = auth_bearer(ok[i]);
		ck_assert_msg(t != NULL, "refused: %s", ok[i]);
		ck_assert_int_eq(t[0], 'a');
	}
}
END_TEST

START_TEST(not_a_bearer_token)
{
	static const char *const bad[] = { "Basic abc", "Bearer", "Bearer ",
	    "Bearerabc", "Bearer\tabc", "Bearer abc ", "Bearer a b",
	    "Bearer =", "Bearer ==abc", "Bearer abc=d", "Bearer a\"b", "" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(auth_bearer(bad[i]) == NULL, "taken: %s", bad[i]);
}
END_TEST

START_TEST(at_most_128)
{
	char h[200] = "Bearer ";

	memset(h + 7, 'x', 128);
	ck_assert_ptr_nonnull(auth_bearer(h));
	h[7 + 128] = 'x';
	ck_assert_ptr_null(auth_bearer(h));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, scheme_in_any_case);
	tcase_add_test(tc, not_a_bearer_token);
	tcase_add_test(tc, at_most_128);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
