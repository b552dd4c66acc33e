/* Check suite for src/rollout/poll.c: what a poll does with the direct
 * offer and with a campaign membership, as tables over every state. */
#include <string.h>

#include "check_util.h"
#include "rollout/rollout.h"

/* What the poll knows of the direct offer's release. */
enum { UNUSABLE, ON_REL, NEWER, OTHER_BOOT, OTHER_NO_BOOT, SEEN };

static const struct rollout_poll_seen dseen[SEEN] = {
	[UNUSABLE] = { .usable = false, .boot = true },
	[ON_REL] = { .usable = true, .on_release = true, .boot = true },
	[NEWER] = { .usable = true, .newer = true },
	[OTHER_BOOT] = { .usable = true, .boot = true },
	[OTHER_NO_BOOT] = { .usable = true },
};

#define NO  0	/* nothing */
#define OF  1	/* offer */
#define SI  2	/* sighting only */

/* direct offer state x what the poll knows -> the answer. */
static const int direct_table[ROLLOUT_DEV_STATES][SEEN] = {
	/*                          unusable on_rel newer other+b other */
	[ROLLOUT_DEV_PENDING] =     { NO,    NO,    SI,   OF,     OF },
	[ROLLOUT_DEV_OFFERED] =     { NO,    NO,    SI,   OF,     OF },
	[ROLLOUT_DEV_DOWNLOADING] = { NO,    NO,    SI,   OF,     OF },
	/* installed, running the old version: a fallback only if rebooted */
	[ROLLOUT_DEV_INSTALLED] =   { NO,    NO,    SI,   SI,     NO },
	[ROLLOUT_DEV_CONFIRMED] =   { NO,    NO,    SI,   SI,     SI },
	[ROLLOUT_DEV_HEALTHY] =     { NO,    NO,    SI,   SI,     SI },
	/* failed stays failed until replaced; superseded is over */
	[ROLLOUT_DEV_FAILED] =      { NO,    NO,    NO,   NO,     NO },
	[ROLLOUT_DEV_ROLLED_BACK] = { NO,    NO,    NO,   NO,     NO },
	[ROLLOUT_DEV_TIMED_OUT] =   { NO,    NO,    NO,   NO,     NO },
	[ROLLOUT_DEV_SUPERSEDED] =  { NO,    NO,    NO,   NO,     NO },
};

START_TEST(test_direct_table)
{
	for (int s = 0; s < ROLLOUT_DEV_STATES; s++) {
		for (int w = 0; w < SEEN; w++) {
			struct rollout_poll r = rollout_poll_direct(
			    (enum rollout_device_state)s, &dseen[w]);
			int got = r.offer ? OF : r.sight ? SI : NO;

			ck_assert_msg(got == direct_table[s][w] &&
			    !(r.offer && r.sight), "%s, case %d: offer %d "
			    "sight %d", rollout_device_state_name(s), w,
			    r.offer, r.sight);
		}
	}
}
END_TEST

static struct rollout_poll
member(enum rollout_campaign_state cs, enum rollout_device_state ds,
    int attempts, const struct rollout_seen *w, bool usable)
{
	struct rollout_policy p;

	rollout_policy_default(&p);
	p.max_attempts = 2;
	/* bucket 500 is inside a 10 % stage */
	return rollout_poll_member(cs, 10, 500, ds, attempts, &p, w, usable);
}

static const struct rollout_seen other = { .boot_known = false };

START_TEST(test_member_offers_as_the_campaign_says)
{
	struct rollout_poll r;

	r = member(ROLLOUT_CAMP_RUNNING, ROLLOUT_DEV_PENDING, 0, &other, true);
	ck_assert(r.offer && r.kind == ROLLOUT_OFFER_FIRST && !r.sight);
	r = member(ROLLOUT_CAMP_RUNNING, ROLLOUT_DEV_OFFERED, 1, &other, true);
	ck_assert(r.offer && r.kind == ROLLOUT_OFFER_AGAIN);
	r = member(ROLLOUT_CAMP_RUNNING, ROLLOUT_DEV_FAILED, 1, &other, true);
	ck_assert(r.offer && r.kind == ROLLOUT_OFFER_RETRY);
	/* the last attempt spent: no retry */
	r = member(ROLLOUT_CAMP_RUNNING, ROLLOUT_DEV_FAILED, 2, &other, true);
	ck_assert(!r.offer && r.kind == ROLLOUT_OFFER_NONE);
	/* paused: re-offers only; halted and draft: nothing */
	r = member(ROLLOUT_CAMP_PAUSED, ROLLOUT_DEV_PENDING, 0, &other, true);
	ck_assert(!r.offer);
	r = member(ROLLOUT_CAMP_PAUSED, ROLLOUT_DEV_DOWNLOADING, 1, &other,
	    true);
	ck_assert(r.offer && r.kind == ROLLOUT_OFFER_AGAIN);
	r = member(ROLLOUT_CAMP_HALTED, ROLLOUT_DEV_OFFERED, 1, &other, true);
	ck_assert(!r.offer);
	/* completed keeps offering to stragglers */
	r = member(ROLLOUT_CAMP_COMPLETED, ROLLOUT_DEV_PENDING, 0, &other, true);
	ck_assert(r.offer && r.kind == ROLLOUT_OFFER_FIRST);
}
END_TEST

START_TEST(test_member_not_offered_what_it_cannot_use)
{
	const struct rollout_seen on = { .on_release = true };
	const struct rollout_seen newer = { .newer = true };
	struct rollout_poll r;

	/* revoked or expired */
	r = member(ROLLOUT_CAMP_RUNNING, ROLLOUT_DEV_PENDING, 0, &other, false);
	ck_assert(!r.offer && !r.sight);
	/* runs the release already */
	r = member(ROLLOUT_CAMP_RUNNING, ROLLOUT_DEV_OFFERED, 1, &on, true);
	ck_assert(!r.offer && !r.sight);
	/* runs a newer version: would be a rollback; it is sighted */
	r = member(ROLLOUT_CAMP_RUNNING, ROLLOUT_DEV_PENDING, 0, &newer, true);
	ck_assert(!r.offer && r.sight);
}
END_TEST

START_TEST(test_member_sighting_follows_rollout_sighting)
{
	static const struct rollout_seen ws[] = {
		{ .on_release = true, .boot_known = true },
		{ .newer = true },
		{ .boot_known = false },
		{ .boot_known = true, .same_boot = true },
		{ .boot_known = true },
	};

	for (int s = 0; s < ROLLOUT_DEV_STATES; s++)
		for (size_t w = 0; w < sizeof(ws) / sizeof(ws[0]); w++) {
			enum rollout_device_event ev;
			int want = rollout_sighting((enum rollout_device_state)s,
			    &ws[w], &ev);

			/* whatever the campaign's state and the release */
			for (int cs = 0; cs < ROLLOUT_CAMP_STATES; cs++) {
				struct rollout_poll r = member(
				    (enum rollout_campaign_state)cs,
				    (enum rollout_device_state)s, 1, &ws[w],
				    cs % 2 == 0);

				ck_assert_msg(r.sight == (want != 0),
				    "%s, case %zu", rollout_device_state_name(s),
				    w);
			}
		}
}
END_TEST

/* Every combination of the five facts: assignable exactly when the class
 * fits and the poll would offer a fresh direct offer; the reason names
 * the first fact that stands in the way. */
START_TEST(test_assign_refusal_all_facts)
{
	for (int bits = 0; bits < 32; bits++) {
		struct rollout_assign_seen w = { bits & 1, bits & 2, bits & 4,
		    bits & 8, bits & 16 };
		struct rollout_poll_seen p = { !w.revoked && !w.expired,
		    w.on_release, w.newer, false };
		const char *why = rollout_assign_refusal(&w);
		bool ok = w.fits && rollout_poll_direct(ROLLOUT_DEV_OFFERED,
		    &p).offer;
		const char *want = !w.fits ? "hw_class" : w.revoked ? "revoked" :
		    w.expired ? "expired" : w.on_release ? "already runs" :
		    "newer version";

		ck_assert_msg((why == NULL) == ok, "case %d: %s", bits,
		    why ? why : "(assignable)");
		if (why != NULL)
			ck_assert_msg(strstr(why, want) != NULL, "case %d: %s, "
			    "want %s", bits, why, want);
	}
	/* The plain case: an older device, a fitting usable release. */
	ck_assert_ptr_null(rollout_assign_refusal(&(struct rollout_assign_seen){
	    .fits = true }));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rollout_poll");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_direct_table);
	tcase_add_test(tc, test_member_offers_as_the_campaign_says);
	tcase_add_test(tc, test_member_not_offered_what_it_cannot_use);
	tcase_add_test(tc, test_member_sighting_follows_rollout_sighting);
	tcase_add_test(tc, test_assign_refusal_all_facts);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
