/* Check suite for src/rollout/controls.c and the gate's pacing: the retry
 * policy's schedule, when a scheduled draft is due, how long a paced stage waits (and that pacing
 * never holds a halt), which offers the concurrency cap holds back, and
 * the policy's new fields. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check_util.h"
#include "rollout/rollout.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

#define T0	1700000000
#define HOUR	3600
#define DAY	86400

static const int stages4[] = { 1, 10, 50, 100 };

#define ck_verdict(d, v) \
	ck_assert_msg((d).verdict == (v), "verdict %s, want %s: %s", \
	    rollout_verdict_name((d).verdict), rollout_verdict_name(v), \
	    (d).reason)

START_TEST(test_start_due)
{
	static const struct {
		enum rollout_campaign_state s;
		int64_t start_at, now;
		int due;
	} t[] = {
		{ ROLLOUT_CAMP_DRAFT, 0, T0, 0 },		/* not scheduled */
		{ ROLLOUT_CAMP_DRAFT, T0 + 1, T0, 0 },		/* not yet */
		{ ROLLOUT_CAMP_DRAFT, T0, T0, 1 },		/* its second */
		{ ROLLOUT_CAMP_DRAFT, T0, T0 + DAY, 1 },	/* overdue */
		{ ROLLOUT_CAMP_DRAFT, -5, T0, 0 },
		{ ROLLOUT_CAMP_RUNNING, T0, T0, 0 },		/* started */
		{ ROLLOUT_CAMP_PAUSED, T0, T0, 0 },
		{ ROLLOUT_CAMP_HALTED, T0, T0, 0 },
		{ ROLLOUT_CAMP_COMPLETED, T0, T0, 0 },
		{ ROLLOUT_CAMP_ABORTED, T0, T0, 0 },		/* cancelled */
	};

	for (size_t i = 0; i < N_ELEM(t); i++)
		ck_assert_msg(rollout_start_due(t[i].s, t[i].start_at,
		    t[i].now) == t[i].due, "case %zu", i);
}
END_TEST

START_TEST(test_stage_time_left)
{
	static const struct {
		int64_t min, age, left;
	} t[] = {
		{ 0, 0, 0 }, { 0, 100, 0 },
		{ 2 * DAY, 0, 2 * DAY }, { 2 * DAY, HOUR, 2 * DAY - HOUR },
		{ 2 * DAY, 2 * DAY - 1, 1 }, { 2 * DAY, 2 * DAY, 0 },
		{ 2 * DAY, 3 * DAY, 0 },
		{ 60, -10, 60 },	/* a clock that went back: from 0 */
	};
	struct rollout_policy p;

	rollout_policy_default(&p);
	for (size_t i = 0; i < N_ELEM(t); i++) {
		p.min_stage_time = t[i].min;
		ck_assert_msg(rollout_stage_time_left(&p, t[i].age) == t[i].left,
		    "case %zu", i);
	}
}
END_TEST

/* Counts of n healthy members, or n failed. */
static struct rollout_counts
all_in(enum rollout_device_state s, int64_t n)
{
	struct rollout_counts c;

	memset(&c, 0, sizeof(c));
	c.by_state[s] = n;
	c.members = n;
	return c;
}

/* The pacing table: the verdict of a stage of 10 healthy (or failed)
 * devices at an age, under a bake of 1h and min_stage_time. */
START_TEST(test_gate_pacing)
{
	static const struct {
		int64_t min, age;
		int stage, failed, auto_advance;
		enum rollout_verdict v;
		const char *in_reason;
	} t[] = {
		/* no pacing: passes once baked */
		{ 0, HOUR, 0, 0, 1, ROLLOUT_ADVANCE, "advancing" },
		/* paced: waits past the bake, saying for how long */
		{ 2 * DAY, HOUR, 0, 0, 1, ROLLOUT_CONTINUE,
		  "waiting: stage open 1h00m of min 2d0h" },
		{ 2 * DAY, 2 * DAY - 120, 0, 0, 1, ROLLOUT_CONTINUE,
		  "stage open 47h58m of min 2d0h" },
		{ 2 * DAY, 2 * DAY - 1, 0, 0, 1, ROLLOUT_CONTINUE,
		  "of min 2d0h" },
		{ 2 * DAY, 2 * DAY, 0, 0, 1, ROLLOUT_ADVANCE, "advancing" },
		/* on top of the bake, not instead: a young stage still bakes */
		{ 60, 120, 0, 0, 1, ROLLOUT_CONTINUE, "bake 58m left" },
		{ 7200, 1800, 0, 0, 1, ROLLOUT_CONTINUE,
		  "bake 30m left; stage open 30m of min 2h00m" },
		/* approval and completion wait for it too */
		{ 2 * DAY, HOUR, 0, 0, 0, ROLLOUT_CONTINUE, "of min 2d0h" },
		{ 2 * DAY, 2 * DAY, 0, 0, 0, ROLLOUT_AWAIT_APPROVAL,
		  "approval" },
		{ 2 * DAY, HOUR, 3, 0, 1, ROLLOUT_CONTINUE, "of min 2d0h" },
		{ 2 * DAY, 3 * DAY, 3, 0, 1, ROLLOUT_COMPLETE, "completing" },
		/* never a halt */
		{ 2 * DAY, 60, 0, 1, 1, ROLLOUT_HALT, "halting" },
		{ 2 * DAY, HOUR, 0, 1, 1, ROLLOUT_HALT, "halting" },
	};
	struct rollout_policy p;
	struct rollout_counts c;
	struct rollout_decision d;

	for (size_t i = 0; i < N_ELEM(t); i++) {
		rollout_policy_default(&p);
		p.min_stage_time = t[i].min;
		p.auto_advance = t[i].auto_advance != 0;
		c = all_in(t[i].failed ? ROLLOUT_DEV_FAILED :
		    ROLLOUT_DEV_HEALTHY, 10);
		rollout_gate(&p, stages4, 4, t[i].stage, T0, &c, T0 + t[i].age,
		    &d);
		ck_assert_msg(d.verdict == t[i].v, "case %zu: %s: %s", i,
		    rollout_verdict_name(d.verdict), d.reason);
		ck_assert_msg(strstr(d.reason, t[i].in_reason) != NULL,
		    "case %zu: \"%s\" lacks \"%s\"", i, d.reason,
		    t[i].in_reason);
		ck_assert_int_eq(d.stage_time_left,
		    rollout_stage_time_left(&p, t[i].age));
	}
}
END_TEST

/* An empty stage passes at once, but not before its pacing; the nested
 * gate (stage 2 on) paces on the devices the stage added. */
START_TEST(test_gate_pacing_empty_and_nested)
{
	struct rollout_policy p;
	struct rollout_counts none, all = all_in(ROLLOUT_DEV_HEALTHY, 100),
	    added = all_in(ROLLOUT_DEV_HEALTHY, 90);
	struct rollout_decision d;

	rollout_policy_default(&p);
	memset(&none, 0, sizeof(none));
	p.min_stage_time = DAY;
	rollout_gate(&p, stages4, 4, 0, T0, &none, T0 + 10, &d);
	ck_verdict(d, ROLLOUT_CONTINUE);
	ck_assert_ptr_nonnull(strstr(d.reason, "has no devices"));
	ck_assert_ptr_nonnull(strstr(d.reason, "stage open 10s of min 24h00m"));
	rollout_gate(&p, stages4, 4, 0, T0, &none, T0 + DAY, &d);
	ck_verdict(d, ROLLOUT_ADVANCE);
	rollout_gate_nested(&p, stages4, 4, 1, T0, &all, &added, T0 + 2 * HOUR,
	    &d);
	ck_verdict(d, ROLLOUT_CONTINUE);
	ck_assert_ptr_nonnull(strstr(d.reason, "new devices: "));
	ck_assert_int_eq(d.stage_time_left, DAY - 2 * HOUR);
	rollout_gate_nested(&p, stages4, 4, 1, T0, &all, &added, T0 + DAY, &d);
	ck_verdict(d, ROLLOUT_ADVANCE);
}
END_TEST

START_TEST(test_capped_states)
{
	static const struct {
		enum rollout_device_state s;
		int capped;
	} t[] = {
		{ ROLLOUT_DEV_PENDING, 0 }, { ROLLOUT_DEV_OFFERED, 1 },
		{ ROLLOUT_DEV_DOWNLOADING, 1 }, { ROLLOUT_DEV_INSTALLED, 1 },
		/* it waits on the bake, not on the artifact store */
		{ ROLLOUT_DEV_CONFIRMED, 0 }, { ROLLOUT_DEV_HEALTHY, 0 },
		{ ROLLOUT_DEV_FAILED, 0 }, { ROLLOUT_DEV_ROLLED_BACK, 0 },
		{ ROLLOUT_DEV_TIMED_OUT, 0 }, { ROLLOUT_DEV_SUPERSEDED, 0 },
	};

	ck_assert_int_eq((int)N_ELEM(t), ROLLOUT_DEV_STATES);
	for (size_t i = 0; i < N_ELEM(t); i++) {
		ck_assert_int_eq(rollout_state_is_capped(t[i].s), t[i].capped);
		for (size_t j = 0; j < N_ELEM(t); j++)
			ck_assert_int_eq(rollout_capped_delta(t[i].s, t[j].s),
			    t[j].capped - t[i].capped);
	}
}
END_TEST

START_TEST(test_capped)
{
	static const struct {
		enum rollout_offer_kind kind;
		int64_t n;
		int cap;
		int64_t total, server;
		int held;
	} t[] = {
		/* no cap at all */
		{ ROLLOUT_OFFER_FIRST, 1000, 0, 1000, 0, 0 },
		/* the campaign's cap: held at it, not below */
		{ ROLLOUT_OFFER_FIRST, 4, 5, 4, 0, 0 },
		{ ROLLOUT_OFFER_FIRST, 5, 5, 5, 0, 1 },
		{ ROLLOUT_OFFER_FIRST, 6, 5, 6, 0, 1 },
		{ ROLLOUT_OFFER_RETRY, 5, 5, 5, 0, 1 },
		/* the same offer again finishes what is in flight */
		{ ROLLOUT_OFFER_AGAIN, 50, 5, 50, 0, 0 },
		{ ROLLOUT_OFFER_NONE, 50, 5, 50, 0, 0 },
		/* the server's cap, over every campaign */
		{ ROLLOUT_OFFER_FIRST, 0, 0, 9, 10, 0 },
		{ ROLLOUT_OFFER_FIRST, 0, 0, 10, 10, 1 },
		{ ROLLOUT_OFFER_FIRST, 1, 5, 10, 10, 1 },
		{ ROLLOUT_OFFER_AGAIN, 1, 5, 10, 10, 0 },
		/* a campaign not counted yet is never held back here: the
		 * writer counts it */
		{ ROLLOUT_OFFER_FIRST, -1, 5, 0, 10, 0 },
	};

	for (size_t i = 0; i < N_ELEM(t); i++)
		ck_assert_msg(rollout_capped(t[i].kind, t[i].n, t[i].cap,
		    t[i].total, t[i].server) == t[i].held, "case %zu", i);
}
END_TEST

START_TEST(test_capped_retry_after)
{
	static const int64_t t[][2] = {
		{ 1, 1 }, { 3, 1 }, { 4, 1 }, { 8, 2 }, { 300, 75 },
		{ 86400, 21600 },
	};

	for (size_t i = 0; i < N_ELEM(t); i++)
		ck_assert_int_eq(rollout_capped_retry_after(t[i][0]), t[i][1]);
}
END_TEST

START_TEST(test_policy_controls)
{
	static const struct {
		int64_t min_stage_time;
		int max_in_flight;
		const char *bad;
	} t[] = {
		{ 0, 0, NULL }, { ROLLOUT_MAX_TIME, ROLLOUT_MAX_IN_FLIGHT, NULL },
		{ -1, 0, "min_stage_time" },
		{ ROLLOUT_MAX_TIME + 1, 0, "min_stage_time" },
		{ 0, -1, "max_in_flight" },
		{ 0, ROLLOUT_MAX_IN_FLIGHT + 1, "max_in_flight" },
	};
	struct rollout_policy p;

	rollout_policy_default(&p);
	ck_assert_int_eq(p.min_stage_time, 0);
	ck_assert_int_eq(p.max_in_flight, 0);
	for (size_t i = 0; i < N_ELEM(t); i++) {
		const char *bad = NULL;

		rollout_policy_default(&p);
		p.min_stage_time = t[i].min_stage_time;
		p.max_in_flight = t[i].max_in_flight;
		ck_assert_int_eq(rollout_policy_validate(&p, &bad),
		    t[i].bad ? -1 : 0);
		if (t[i].bad)
			ck_assert_str_eq(bad, t[i].bad);
	}
}
END_TEST

/* The retry policy: which attempts go out, and when. */
START_TEST(test_retry_schedule)
{
	static const struct {
		int max_attempts, count;
		int64_t backoff;
		double factor;
		int attempts;		/* started so far; the last one failed */
		int64_t wait;		/* before the next may go out */
		int retry;		/* 1: a retry is allowed at all */
	} t[] = {
		/* the defaults: no retry */
		{ 1, 0, 0, 2.0, 1, 0, 0 },
		/* max_attempts alone: retries at once, as before */
		{ 3, 0, 600, 2.0, 1, 0, 1 }, { 3, 0, 600, 2.0, 2, 0, 1 },
		/* (past the last retry the wait goes on as the schedule
		 * would; no retry is allowed there anyway) */
		{ 3, 0, 600, 2.0, 3, 600, 0 },
		/* retry alone: backoff, then times factor */
		{ 1, 3, 600, 2.0, 1, 600, 1 }, { 1, 3, 600, 2.0, 2, 1200, 1 },
		{ 1, 3, 600, 2.0, 3, 2400, 1 }, { 1, 3, 600, 2.0, 4, 4800, 0 },
		/* both: the quick ones first, then the paced ones */
		{ 2, 2, 60, 3.0, 1, 0, 1 }, { 2, 2, 60, 3.0, 2, 60, 1 },
		{ 2, 2, 60, 3.0, 3, 180, 1 }, { 2, 2, 60, 3.0, 4, 540, 0 },
		/* factor 1: a fixed backoff; backoff 0: at once */
		{ 1, 2, 90, 1.0, 2, 90, 1 }, { 1, 2, 0, 2.0, 2, 0, 1 },
		/* it never waits longer than ROLLOUT_MAX_TIME */
		{ 1, 99, 86400, 10.0, 60, ROLLOUT_MAX_TIME, 1 },
	};
	struct rollout_policy p;

	for (size_t i = 0; i < N_ELEM(t); i++) {
		rollout_policy_default(&p);
		p.max_attempts = t[i].max_attempts;
		p.retry_count = t[i].count;
		p.retry_backoff = t[i].backoff;
		p.retry_factor = t[i].factor;
		ck_assert_int_eq(rollout_policy_validate(&p, NULL), 0);
		ck_assert_msg(rollout_retry_wait(&p, t[i].attempts) == t[i].wait,
		    "case %zu: %lld", i,
		    (long long)rollout_retry_wait(&p, t[i].attempts));
		ck_assert_msg((rollout_offer_kind(ROLLOUT_DEV_FAILED,
		    t[i].attempts, &p) == ROLLOUT_OFFER_RETRY) == t[i].retry,
		    "case %zu", i);
		/* due exactly at the wait, not a second before */
		ck_assert(rollout_retry_due(&p, t[i].attempts, T0,
		    T0 + t[i].wait));
		ck_assert_int_eq(rollout_retry_due(&p, t[i].attempts, T0,
		    T0 + t[i].wait - 1), t[i].wait == 0);
	}
	/* a clock that went back holds a paced retry, not a quick one */
	rollout_policy_default(&p);
	p.retry_count = 1;
	p.retry_backoff = 10;
	ck_assert(!rollout_retry_due(&p, 1, T0, T0 - 100));
	p.max_attempts = 2;
	ck_assert(rollout_retry_due(&p, 1, T0, T0 - 100));
	/* rolled_back and timed_out retry the same way; pending never */
	ck_assert_int_eq(rollout_offer_kind(ROLLOUT_DEV_ROLLED_BACK, 2, &p),
	    ROLLOUT_OFFER_RETRY);
	ck_assert_int_eq(rollout_offer_kind(ROLLOUT_DEV_TIMED_OUT, 2, &p),
	    ROLLOUT_OFFER_RETRY);
	ck_assert_int_eq(rollout_offer_kind(ROLLOUT_DEV_FAILED, 3, &p),
	    ROLLOUT_OFFER_NONE);
	ck_assert_int_eq(rollout_attempts_max(&p), 3);
}
END_TEST

START_TEST(test_policy_retry)
{
	static const struct {
		int max_attempts, count;
		int64_t backoff;
		double factor;
		const char *bad;
	} t[] = {
		{ 1, 0, 0, 1.0, NULL }, { 1, 99, ROLLOUT_MAX_TIME, 10.0, NULL },
		{ 1, -1, 0, 2.0, "retry.count" }, { 1, 100, 0, 2.0, "retry.count" },
		/* attempts in all stay at most 100 */
		{ 2, 99, 0, 2.0, "retry.count" }, { 50, 50, 0, 2.0, NULL },
		{ 1, 1, -1, 2.0, "retry.backoff" },
		{ 1, 1, ROLLOUT_MAX_TIME + 1, 2.0, "retry.backoff" },
		{ 1, 1, 10, 0.99, "retry.factor" }, { 1, 1, 10, 10.01, "retry.factor" },
		{ 1, 1, 10, __builtin_nan(""), "retry.factor" },
	};
	struct rollout_policy p;

	rollout_policy_default(&p);
	ck_assert_int_eq(p.retry_count, 0);
	ck_assert_int_eq(p.retry_backoff, 0);
	ck_assert(p.retry_factor == 2.0);
	for (size_t i = 0; i < N_ELEM(t); i++) {
		const char *bad = NULL;

		rollout_policy_default(&p);
		p.max_attempts = t[i].max_attempts;
		p.retry_count = t[i].count;
		p.retry_backoff = t[i].backoff;
		p.retry_factor = t[i].factor;
		ck_assert_msg(rollout_policy_validate(&p, &bad) ==
		    (t[i].bad ? -1 : 0), "case %zu", i);
		if (t[i].bad)
			ck_assert_str_eq(bad, t[i].bad);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rollout_controls");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_start_due);
	tcase_add_test(tc, test_stage_time_left);
	tcase_add_test(tc, test_gate_pacing);
	tcase_add_test(tc, test_gate_pacing_empty_and_nested);
	tcase_add_test(tc, test_capped_states);
	tcase_add_test(tc, test_capped);
	tcase_add_test(tc, test_capped_retry_after);
	tcase_add_test(tc, test_policy_controls);
	tcase_add_test(tc, test_retry_schedule);
	tcase_add_test(tc, test_policy_retry);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
