/* Check suite for src/rollout/device.c beyond the state table: what a
 * declared version (with or without a boot id) means for a member, the
 * superseded state, and the reason classes of failures. */
#include <stdint.h>
#include <string.h>

#include "check_util.h"
#include "rollout/rollout.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

#define NONE	(-1)
#define FB	ROLLOUT_EV_FALLBACK
#define NW	ROLLOUT_EV_NEWER

/* The sightings a poll or a health report can make. */
enum { ON_RELEASE, NEWER, OLD_NO_BOOT, OLD_SAME_BOOT, OLD_OTHER_BOOT,
    SIGHTINGS };

static const struct rollout_seen seen[SIGHTINGS] = {
	[ON_RELEASE] = { .on_release = true, .boot_known = true },
	[NEWER] = { .newer = true, .boot_known = true },
	[OLD_NO_BOOT] = { .boot_known = false },
	[OLD_SAME_BOOT] = { .boot_known = true, .same_boot = true },
	[OLD_OTHER_BOOT] = { .boot_known = true, .same_boot = false },
};

/* state x sighting -> the event it is, or NONE. */
static const int sighting_table[ROLLOUT_DEV_STATES][SIGHTINGS] = {
	/*                               release newer old    same   other */
	[ROLLOUT_DEV_PENDING] =     { NONE, NW,   NONE,  NONE,  NONE },
	[ROLLOUT_DEV_OFFERED] =     { NONE, NW,   NONE,  NONE,  NONE },
	[ROLLOUT_DEV_DOWNLOADING] = { NONE, NW,   NONE,  NONE,  NONE },
	/* installed, polling before its reboot: only another boot counts */
	[ROLLOUT_DEV_INSTALLED] =   { NONE, NW,   NONE,  NONE,  FB },
	/* it has run the release: the old version is a fallback, boot or not */
	[ROLLOUT_DEV_CONFIRMED] =   { NONE, NW,   FB,    FB,    FB },
	[ROLLOUT_DEV_HEALTHY] =     { NONE, NONE, FB,    FB,    FB },
	[ROLLOUT_DEV_FAILED] =      { NONE, NONE, NONE,  NONE,  NONE },
	[ROLLOUT_DEV_ROLLED_BACK] = { NONE, NONE, NONE,  NONE,  NONE },
	[ROLLOUT_DEV_TIMED_OUT] =   { NONE, NW,   NONE,  NONE,  NONE },
	[ROLLOUT_DEV_SUPERSEDED] =  { NONE, NONE, NONE,  NONE,  NONE },
};

START_TEST(test_sighting_table)
{
	for (int s = 0; s < ROLLOUT_DEV_STATES; s++) {
		for (int w = 0; w < SIGHTINGS; w++) {
			enum rollout_device_event ev = (enum rollout_device_event)77;
			int got = rollout_sighting((enum rollout_device_state)s,
			    &seen[w], &ev);
			int want = sighting_table[s][w];

			if (want == NONE)
				ck_assert_msg(got == 0 && (int)ev == 77,
				    "%s, sighting %d: event %d",
				    rollout_device_state_name(s), w, (int)ev);
			else
				ck_assert_msg(got == 1 && (int)ev == want,
				    "%s, sighting %d: %d/%d, want %s",
				    rollout_device_state_name(s), w, got, (int)ev,
				    rollout_device_event_name(want));
		}
	}
	ck_assert_int_eq(rollout_sighting((enum rollout_device_state)99,
	    &seen[NEWER], &(enum rollout_device_event){ 0 }), 0);
}
END_TEST

/* Every sighting that is an event is a step that changes the state, so a
 * caller that acts on it never writes a no-op. */
START_TEST(test_sighting_changes_state)
{
	struct rollout_policy p;

	rollout_policy_default(&p);
	for (int s = 0; s < ROLLOUT_DEV_STATES; s++) {
		for (int w = 0; w < SIGHTINGS; w++) {
			enum rollout_device_event ev;
			enum rollout_device_state to;

			if (!rollout_sighting((enum rollout_device_state)s,
			    &seen[w], &ev))
				continue;
			ck_assert_int_eq(rollout_device_step(
			    (enum rollout_device_state)s, ev, 1, &p, &to), 0);
			ck_assert_int_ne(to, s);
			ck_assert(!rollout_state_is_failure(to) ||
			    ev == ROLLOUT_EV_FALLBACK);
		}
	}
}
END_TEST

/* superseded: not a failure, not in flight, never offered, and nothing
 * but "newer" (a no-op) leaves it. */
START_TEST(test_superseded)
{
	struct rollout_policy p;
	enum rollout_device_state to;

	rollout_policy_default(&p);
	p.max_attempts = 100;
	ck_assert_int_eq(rollout_state_is_failure(ROLLOUT_DEV_SUPERSEDED), 0);
	ck_assert_int_eq(rollout_state_is_in_flight(ROLLOUT_DEV_SUPERSEDED), 0);
	ck_assert_int_eq(rollout_offer_kind(ROLLOUT_DEV_SUPERSEDED, 0, &p),
	    ROLLOUT_OFFER_NONE);
	for (int cs = 0; cs < ROLLOUT_CAMP_STATES; cs++)
		ck_assert_int_eq(rollout_should_offer(
		    (enum rollout_campaign_state)cs, 100, 0,
		    ROLLOUT_DEV_SUPERSEDED, 0, &p), 0);
	for (int e = 0; e < ROLLOUT_EVENTS; e++) {
		int rc = rollout_device_step(ROLLOUT_DEV_SUPERSEDED,
		    (enum rollout_device_event)e, 0, &p, &to);

		if (e == ROLLOUT_EV_NEWER)
			ck_assert(rc == 0 && to == ROLLOUT_DEV_SUPERSEDED);
		else
			ck_assert_msg(rc == -1, "%s leaves superseded",
			    rollout_device_event_name(e));
	}
	ck_assert_int_eq(rollout_device_timed_out(ROLLOUT_DEV_SUPERSEDED, 0,
	    INT64_MAX, &p), 0);
	ck_assert_int_eq(rollout_device_baked(ROLLOUT_DEV_SUPERSEDED, 0,
	    INT64_MAX, &p), 0);
}
END_TEST

START_TEST(test_reason_classes)
{
	static const char *const names[] = { "selftest", "crash_on_boot",
	    "hash", "length", "signature", "expired", "rollback",
	    "incompatible", "freeze", "download", "slow_retrieval", "install",
	    "timeout", "fallback", "unhealthy", "flash", "other" };
	static const char *const junk[] = { "", "Selftest", "selftest ",
	    "boot", "report_timeout", "x", "crash-on-boot" };

	ck_assert_int_eq(N_ELEM(names), ROLLOUT_REASONS);
	for (size_t i = 0; i < N_ELEM(names); i++) {
		ck_assert_str_eq(rollout_reason_name((enum rollout_reason)i),
		    names[i]);
		ck_assert_int_eq(rollout_reason_class(names[i]), (int)i);
	}
	for (size_t i = 0; i < N_ELEM(junk); i++)
		ck_assert_int_eq(rollout_reason_class(junk[i]),
		    ROLLOUT_WHY_OTHER);
	ck_assert_int_eq(rollout_reason_class(NULL), ROLLOUT_WHY_OTHER);
	ck_assert_ptr_null(rollout_reason_name(ROLLOUT_REASONS));
	ck_assert_ptr_null(rollout_reason_name((enum rollout_reason)-1));
}
END_TEST

START_TEST(test_health_reason)
{
	ck_assert_int_eq(rollout_health_reason(false, false),
	    ROLLOUT_WHY_CRASH_ON_BOOT);
	ck_assert_int_eq(rollout_health_reason(false, true),
	    ROLLOUT_WHY_CRASH_ON_BOOT);
	ck_assert_int_eq(rollout_health_reason(true, false),
	    ROLLOUT_WHY_SELFTEST);
	ck_assert_int_eq(rollout_health_reason(true, true),
	    ROLLOUT_WHY_UNHEALTHY);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rollout_device");
	TCase *tc = tcase_create("device");

	tcase_add_test(tc, test_sighting_table);
	tcase_add_test(tc, test_sighting_changes_state);
	tcase_add_test(tc, test_superseded);
	tcase_add_test(tc, test_reason_classes);
	tcase_add_test(tc, test_health_reason);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
