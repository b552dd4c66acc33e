/* Check suite for src/rollout/member.c: what one event changes in a
 * member besides its state, over every state and event. */
#include "check_util.h"
#include "rollout/rollout.h"

static const struct rollout_cause inferred = { true, false, false };
static const struct rollout_cause stated = { true, true, false };

START_TEST(test_state_follows_the_device_table)
{
	struct rollout_policy p;

	rollout_policy_default(&p);
	for (int s = 0; s < ROLLOUT_DEV_STATES; s++)
		for (int ev = 0; ev < ROLLOUT_EVENTS; ev++) {
			enum rollout_device_state to = (enum rollout_device_state)s;
			struct rollout_member_change ch;
			int want = rollout_device_step((enum rollout_device_state)s,
			    (enum rollout_device_event)ev, 0, &p, &to);
			int got = rollout_member_step((enum rollout_device_state)s,
			    (enum rollout_device_event)ev, 0, &p, &inferred, &ch);

			ck_assert_int_eq(got, want);
			ck_assert_int_eq(ch.to, to);
			ck_assert(ch.touch == (got == 0 && rollout_device_touches(
			    (enum rollout_device_state)s,
			    (enum rollout_device_event)ev, to)));
			/* nothing changes on a refused event */
			if (got != 0)
				ck_assert(!ch.touch && !ch.confirmed &&
				    !ch.installed && !ch.cause);
		}
}
END_TEST

/* from, event, cause given -> confirmed, installed, cause taken */
static const struct {
	enum rollout_device_state from;
	enum rollout_device_event ev;
	const struct rollout_cause *cause;
	bool had_stated;
	bool confirmed, installed, cause_taken;
} table[] = {
	{ ROLLOUT_DEV_OFFERED, ROLLOUT_EV_CONFIRMED, &inferred, false,
	    true, false, false },
	{ ROLLOUT_DEV_CONFIRMED, ROLLOUT_EV_CONFIRMED, &inferred, false,
	    false, false, false },
	{ ROLLOUT_DEV_DOWNLOADING, ROLLOUT_EV_INSTALLED, &inferred, false,
	    false, true, false },
	{ ROLLOUT_DEV_INSTALLED, ROLLOUT_EV_INSTALLED, &inferred, false,
	    false, false, false },
	/* entering a failure takes its cause */
	{ ROLLOUT_DEV_OFFERED, ROLLOUT_EV_TIMEOUT, &inferred, false,
	    false, false, true },
	{ ROLLOUT_DEV_OFFERED, ROLLOUT_EV_FAILED, &stated, false,
	    false, false, true },
	/* the first cause stands ... */
	{ ROLLOUT_DEV_FAILED, ROLLOUT_EV_UNHEALTHY, &inferred, false,
	    false, false, false },
	{ ROLLOUT_DEV_FAILED, ROLLOUT_EV_FAILED, &stated, true,
	    false, false, false },
	/* ... except the device's own word over an inferred one, once */
	{ ROLLOUT_DEV_FAILED, ROLLOUT_EV_FAILED, &stated, false,
	    false, false, true },
	{ ROLLOUT_DEV_TIMED_OUT, ROLLOUT_EV_ROLLED_BACK, &stated, false,
	    false, false, true },
	/* a success carries no cause */
	{ ROLLOUT_DEV_CONFIRMED, ROLLOUT_EV_BAKED, &inferred, false,
	    false, false, false },
};

START_TEST(test_what_an_event_changes)
{
	struct rollout_policy p;

	rollout_policy_default(&p);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct rollout_cause c = *table[i].cause;
		struct rollout_member_change ch;

		c.had_stated = table[i].had_stated;
		ck_assert_int_eq(rollout_member_step(table[i].from, table[i].ev,
		    1, &p, &c, &ch), 0);
		ck_assert_msg(ch.confirmed == table[i].confirmed &&
		    ch.installed == table[i].installed &&
		    ch.cause == table[i].cause_taken, "row %zu: %d %d %d", i,
		    ch.confirmed, ch.installed, ch.cause);
	}
}
END_TEST

START_TEST(test_no_reason_no_cause)
{
	const struct rollout_cause none = { false, false, false };
	struct rollout_member_change ch;
	struct rollout_policy p;

	rollout_policy_default(&p);
	ck_assert_int_eq(rollout_member_step(ROLLOUT_DEV_OFFERED,
	    ROLLOUT_EV_FAILED, 1, &p, &none, &ch), 0);
	ck_assert(ch.to == ROLLOUT_DEV_FAILED && !ch.cause);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rollout_member");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_state_follows_the_device_table);
	tcase_add_test(tc, test_what_an_event_changes);
	tcase_add_test(tc, test_no_reason_no_cause);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
