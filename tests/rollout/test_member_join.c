/* Check suite for src/rollout/member_join.c: which campaigns take in
 * devices targeted after their start, and the membership names. */
#include <stdbool.h>

#include "check_util.h"
#include "rollout/rollout.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_takes)
{
	static const struct {
		bool dynamic;
		enum rollout_campaign_state s;
		int takes;
	} t[] = {
		{ true, ROLLOUT_CAMP_RUNNING, 1 },
		{ true, ROLLOUT_CAMP_PAUSED, 1 },	/* offers wait, joins not */
		{ true, ROLLOUT_CAMP_DRAFT, 0 },	/* the start takes them all */
		{ true, ROLLOUT_CAMP_HALTED, 0 },
		{ true, ROLLOUT_CAMP_COMPLETED, 0 },
		{ true, ROLLOUT_CAMP_ABORTED, 0 },
		{ false, ROLLOUT_CAMP_RUNNING, 0 },	/* static: never */
		{ false, ROLLOUT_CAMP_PAUSED, 0 },
		{ false, ROLLOUT_CAMP_DRAFT, 0 },
	};
	struct rollout_policy p;

	for (size_t i = 0; i < N_ELEM(t); i++) {
		rollout_policy_default(&p);
		p.dynamic = t[i].dynamic;
		ck_assert_msg(rollout_membership_takes(&p, t[i].s) == t[i].takes,
		    "case %zu", i);
	}
	rollout_policy_default(&p);
	ck_assert(!p.dynamic);		/* the default: static */
}
END_TEST

START_TEST(test_names)
{
	bool d = true;

	ck_assert_str_eq(rollout_membership_name(false), "static");
	ck_assert_str_eq(rollout_membership_name(true), "dynamic");
	ck_assert_int_eq(rollout_membership_parse("static", &d), 0);
	ck_assert(!d);
	ck_assert_int_eq(rollout_membership_parse("dynamic", &d), 0);
	ck_assert(d);
	ck_assert_int_eq(rollout_membership_parse("Dynamic", &d), -1);
	ck_assert_int_eq(rollout_membership_parse("", &d), -1);
	ck_assert(d);			/* unchanged on a refusal */
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rollout_member_join");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_takes);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
