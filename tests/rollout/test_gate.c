/* Check suite for the gate of src/rollout: the policy, the sequential test,
 * tables of verdicts at their boundaries, and properties on random counts.
 * Expected numbers come from the formulas in rollout.h evaluated with
 * Python's math module (printed beside each table). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check_util.h"
#include "rollout/rollout.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

#define PE	ROLLOUT_DEV_PENDING
#define OF	ROLLOUT_DEV_OFFERED
#define DL	ROLLOUT_DEV_DOWNLOADING
#define IN	ROLLOUT_DEV_INSTALLED
#define CO	ROLLOUT_DEV_CONFIRMED
#define HE	ROLLOUT_DEV_HEALTHY
#define FA	ROLLOUT_DEV_FAILED
#define RB	ROLLOUT_DEV_ROLLED_BACK
#define TO	ROLLOUT_DEV_TIMED_OUT
#define SU	ROLLOUT_DEV_SUPERSEDED

#define CONT	ROLLOUT_CONTINUE
#define ADV	ROLLOUT_ADVANCE
#define AWAIT	ROLLOUT_AWAIT_APPROVAL
#define HALT	ROLLOUT_HALT
#define DONE	ROLLOUT_COMPLETE

#define T0	1700000000
#define HOUR	3600
#define DAY	86400

static const int default_stages[] = { 1, 10, 50, 100 };

static struct rollout_policy
policy(void)
{
	struct rollout_policy p;

	rollout_policy_default(&p);
	return p;
}

/* Counts in state order; members is their sum, nobody unseen. */
static struct rollout_counts
counts(int64_t pe, int64_t of, int64_t dl, int64_t in, int64_t co,
    int64_t he, int64_t fa, int64_t rb, int64_t to)
{
	struct rollout_counts c;
	int i;

	memset(&c, 0, sizeof(c));
	c.by_state[PE] = pe; c.by_state[OF] = of; c.by_state[DL] = dl;
	c.by_state[IN] = in; c.by_state[CO] = co; c.by_state[HE] = he;
	c.by_state[FA] = fa; c.by_state[RB] = rb; c.by_state[TO] = to;
	for (i = 0; i < ROLLOUT_DEV_STATES; i++)
		c.members += c.by_state[i];
	return c;
}

/* c with its first `unseen` pending members never seen. */
static struct rollout_counts
unseen(struct rollout_counts c, int64_t n)
{
	c.unseen = n;
	return c;
}

static struct rollout_counts
with_baseline(struct rollout_counts c, int64_t reporting, int64_t unhealthy)
{
	c.baseline_reporting = reporting;
	c.baseline_unhealthy = unhealthy;
	return c;
}

static struct rollout_decision
gate_at(const struct rollout_policy *p, int stage, int64_t age,
    struct rollout_counts c)
{
	struct rollout_decision d;

	memset(&d, 0x5a, sizeof(d));
	rollout_gate(p, default_stages, 4, stage, T0, &c, T0 + age, &d);
	ck_assert_msg(strlen(d.reason) > 0 && strlen(d.reason) < ROLLOUT_REASON_MAX,
	    "reason length");
	return d;
}

static struct rollout_decision
nested_at(const struct rollout_policy *p, int stage, int64_t age,
    struct rollout_counts all, struct rollout_counts added)
{
	struct rollout_decision d;

	memset(&d, 0x5a, sizeof(d));
	rollout_gate_nested(p, default_stages, 4, stage, T0, &all, &added,
	    T0 + age, &d);
	return d;
}

#define ck_verdict(d, v) \
	ck_assert_msg((d).verdict == (v), "verdict %s, want %s: %s", \
	    rollout_verdict_name((d).verdict), rollout_verdict_name(v), \
	    (d).reason)

#define ck_near(a, b) \
	ck_assert_msg(fabs((a) - (b)) < 1e-9, "%.12f != %.12f", (double)(a), \
	    (double)(b))

/* ---- Policy ------------------------------------------------------------- */

START_TEST(test_policy_default)
{
	struct rollout_policy p;

	memset(&p, 0xa5, sizeof(p));
	rollout_policy_default(&p);
	ck_assert_int_eq(p.min_sample, 5);
	ck_assert(p.max_failure_pct == 5.0);
	ck_assert(p.bad_failure_pct == 10.0);
	ck_assert(p.false_halt_pct == 1.0);
	ck_assert(p.miss_pct == 5.0);
	ck_assert(p.min_healthy_pct == 90.0);
	ck_assert_int_eq(p.bake_time, 3600);
	ck_assert_int_eq(p.report_timeout, 3600);
	ck_assert_int_eq(p.absent_timeout, 86400);
	ck_assert(p.auto_advance == true);
	ck_assert_int_eq(p.max_attempts, 1);
	ck_assert(p.baseline == true);
	ck_assert_int_eq(rollout_policy_validate(&p, NULL), 0);
	/* The default bad rate goes with the allowed one. */
	ck_assert(rollout_policy_bad_default(5.0) == 10.0);
	ck_assert(rollout_policy_bad_default(0.5) == 1.0);
	ck_assert(rollout_policy_bad_default(50.0) == 75.0);
	ck_assert(rollout_policy_bad_default(90.0) == 95.0);
}
END_TEST

enum pfield { F_SAMPLE, F_FPCT, F_BAD, F_FALSE, F_MISS, F_HPCT, F_BAKE,
    F_REPORT, F_ABSENT, F_ATTEMPTS };

START_TEST(test_policy_validate)
{
	static const struct {
		enum pfield f;
		double v;
		const char *bad;	/* NULL: accepted */
	} t[] = {
		{ F_SAMPLE, 0, "min_sample" }, { F_SAMPLE, -1, "min_sample" },
		{ F_SAMPLE, 1, NULL }, { F_SAMPLE, 1e6, NULL },
		{ F_SAMPLE, 1e6 + 1, "min_sample" },
		{ F_FPCT, 0.0, "max_failure_pct" },
		{ F_FPCT, -0.5, "max_failure_pct" },
		{ F_FPCT, 0.001, NULL }, { F_FPCT, 9.99, NULL },
		/* not below the bad rate (10) any more */
		{ F_FPCT, 10.0, "bad_failure_pct" },
		{ F_FPCT, 100.0, "max_failure_pct" },
		{ F_FPCT, __builtin_nan(""), "max_failure_pct" },
		{ F_FPCT, __builtin_inf(), "max_failure_pct" },
		{ F_BAD, 5.0, "bad_failure_pct" }, { F_BAD, 5.000001, NULL },
		{ F_BAD, 99.99, NULL }, { F_BAD, 100.0, "bad_failure_pct" },
		{ F_BAD, __builtin_nan(""), "bad_failure_pct" },
		{ F_FALSE, 0.0, "false_halt_pct" }, { F_FALSE, 0.0001, NULL },
		{ F_FALSE, 50.0, NULL }, { F_FALSE, 50.01, "false_halt_pct" },
		{ F_FALSE, __builtin_nan(""), "false_halt_pct" },
		{ F_MISS, 0.0, "miss_pct" }, { F_MISS, 50.0, NULL },
		{ F_MISS, -1.0, "miss_pct" }, { F_MISS, 51.0, "miss_pct" },
		{ F_HPCT, 0.0, NULL }, { F_HPCT, 100.0, NULL },
		{ F_HPCT, -0.01, "min_healthy_pct" },
		{ F_HPCT, 100.5, "min_healthy_pct" },
		{ F_HPCT, __builtin_nan(""), "min_healthy_pct" },
		{ F_BAKE, 0, NULL }, { F_BAKE, ROLLOUT_MAX_TIME, NULL },
		{ F_BAKE, -1, "bake_time" },
		{ F_BAKE, ROLLOUT_MAX_TIME + 1, "bake_time" },
		/* report_timeout may exceed bake_time: in-flight members count
		 * as failures until they report (see test_gate_in_flight). */
		{ F_REPORT, 0, NULL }, { F_REPORT, ROLLOUT_MAX_TIME, NULL },
		{ F_REPORT, -1, "report_timeout" },
		{ F_REPORT, ROLLOUT_MAX_TIME + 1, "report_timeout" },
		{ F_ABSENT, ROLLOUT_MAX_TIME, NULL },
		{ F_ABSENT, -1, "absent_timeout" },
		{ F_ABSENT, ROLLOUT_MAX_TIME + 1, "absent_timeout" },
		{ F_ATTEMPTS, 0, "max_attempts" }, { F_ATTEMPTS, 1, NULL },
		{ F_ATTEMPTS, 100, NULL }, { F_ATTEMPTS, 101, "max_attempts" },
	};
	size_t i;

	for (i = 0; i < N_ELEM(t); i++) {
		struct rollout_policy p = policy();
		const char *bad = "untouched";
		int rc;

		switch (t[i].f) {
		case F_SAMPLE: p.min_sample = (int)t[i].v; break;
		case F_FPCT: p.max_failure_pct = t[i].v; break;
		case F_BAD: p.bad_failure_pct = t[i].v; break;
		case F_FALSE: p.false_halt_pct = t[i].v; break;
		case F_MISS: p.miss_pct = t[i].v; break;
		case F_HPCT: p.min_healthy_pct = t[i].v; break;
		case F_BAKE: p.bake_time = (int64_t)t[i].v; break;
		case F_REPORT: p.report_timeout = (int64_t)t[i].v; break;
		case F_ABSENT: p.absent_timeout = (int64_t)t[i].v; break;
		case F_ATTEMPTS: p.max_attempts = (int)t[i].v; break;
		}
		rc = rollout_policy_validate(&p, &bad);
		if (t[i].bad == NULL) {
			ck_assert_msg(rc == 0, "case %zu rejected as %s", i, bad);
			ck_assert_str_eq(bad, "untouched");
		} else {
			ck_assert_msg(rc == -1, "case %zu accepted", i);
			ck_assert_msg(strcmp(bad, t[i].bad) == 0,
			    "case %zu: named %s, want %s", i, bad, t[i].bad);
		}
	}
}
END_TEST

/* ---- The test's numbers ------------------------------------------------- */

/* math.log(2), math.log(0.9/0.95), math.log(4/0.01), math.log(0.05). */
START_TEST(test_evidence_numbers)
{
	struct rollout_policy p = policy();
	struct rollout_test t;

	rollout_test_setup(&p, 4, 0, 0, &t);
	ck_near(t.baseline, 0.0);
	ck_near(t.allowed, 0.05);
	ck_near(t.bad, 0.10);
	ck_near(t.w_fail, 0.6931471805599453);
	ck_near(t.w_ok, -0.0540672212702757);
	ck_near(t.halt_at, 5.991464547107982);
	ck_near(t.pass_at, -2.995732273553991);
	/* Nine failures of nine, 56 healthy of 56. */
	ck_near(rollout_evidence(&t, 9, 0), 6.238324625039508);
	ck_near(rollout_evidence(&t, 0, 56), -3.0277643911354395);
	/* One stage: ln(1 / 0.01); false_halt_pct 40: ln(4 / 0.4). */
	rollout_test_setup(&p, 1, 0, 0, &t);
	ck_near(t.halt_at, 4.605170185988092);
	p.false_halt_pct = 40.0;
	rollout_test_setup(&p, 4, 0, 0, &t);
	ck_near(t.halt_at, 2.302585092994046);
}
END_TEST

/* Chernoff lower bounds, by bisection on the KL divergence in Python. */
START_TEST(test_baseline_bound)
{
	struct rollout_policy p = policy();
	struct rollout_test t;

	ck_near(rollout_baseline_low(1, 1, 0.05), 0.05);
	ck_near(rollout_baseline_low(2, 20, 0.05), 0.009434498001733946);
	ck_near(rollout_baseline_low(5, 100, 0.05), 0.013388636650551154);
	ck_near(rollout_baseline_low(495, 9900, 0.05), 0.044819163870124704);
	/* Nothing to go on, or nonsense: no credit. */
	ck_near(rollout_baseline_low(0, 9900, 0.05), 0.0);
	ck_near(rollout_baseline_low(0, 0, 0.05), 0.0);
	ck_near(rollout_baseline_low(5, 4, 0.05), 0.0);
	ck_near(rollout_baseline_low(5, 100, 0.0), 0.0);
	/* Bigger baselines are trusted more: the bound climbs to the rate. */
	ck_assert(rollout_baseline_low(50, 1000, 0.05) <
	    rollout_baseline_low(500, 10000, 0.05));
	ck_assert(rollout_baseline_low(500000, 10000000, 0.05) > 0.0498);
	ck_assert(rollout_baseline_low(500000, 10000000, 0.05) < 0.05);

	/* The rates it gives; the success weight does not change. */
	rollout_test_setup(&p, 4, 9900, 495, &t);
	ck_near(t.baseline, 0.044819163870124704);
	ck_near(t.allowed, 0.09257820567661856);
	ck_near(t.bad, 0.14033724748311227);
	ck_near(t.w_fail, 0.4159946823420291);
	ck_near(t.w_ok, -0.0540672212702757);
	p.baseline = false;
	rollout_test_setup(&p, 4, 9900, 495, &t);
	ck_near(t.baseline, 0.0);
	ck_near(t.allowed, 0.05);
}
END_TEST

/* ---- Halts -------------------------------------------------------------- */

/* One row: the stage, its age, counts in state order, unseen, verdict. */
struct row {
	int stage;
	int64_t age;
	int64_t n[9];		/* pe of dl in co he fa rb to */
	int64_t unseen;
	enum rollout_verdict want;
	const char *why;
};

static void
check_rows(const struct rollout_policy *p, const struct row *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const int64_t *v = t[i].n;
		struct rollout_decision d = gate_at(p, t[i].stage, t[i].age,
		    unseen(counts(v[0], v[1], v[2], v[3], v[4], v[5], v[6],
		    v[7], v[8]), t[i].unseen));

		ck_assert_msg(d.verdict == t[i].want, "row %zu (%s): %s, "
		    "want %s: %s", i, t[i].why, rollout_verdict_name(d.verdict),
		    rollout_verdict_name(t[i].want), d.reason);
	}
}

/* Halt evidence k ln 2 + (started - k) ln(0.9/0.95) against ln 400 =
 * 5.9915: 9 of 9 is 6.2383, 8 of 8 is 5.5452, 9 of 13 is 6.0221, 9 of 14
 * is 5.9680, 81 of 1000 is 6.4571, 80 of 1000 is 5.7099. */
START_TEST(test_gate_halt_table)
{
	static const struct row t[] = {
		{ 0, 0, { 91, 0, 0, 0, 0, 0, 9, 0, 0 }, 0, HALT, "9 of 9" },
		{ 0, 0, { 92, 0, 0, 0, 0, 0, 8, 0, 0 }, 0, CONT, "8 of 8" },
		{ 0, 0, { 87, 4, 0, 0, 0, 0, 9, 0, 0 }, 0, HALT,
		    "in flight counted well: 9 of 13" },
		{ 0, 0, { 86, 2, 1, 1, 1, 0, 9, 0, 0 }, 0, CONT,
		    "in flight counted well: 9 of 14" },
		{ 0, 0, { 91, 0, 0, 0, 0, 0, 3, 3, 3 }, 0, HALT,
		    "every failure state counts" },
		{ 0, 0, { 100000, 0, 0, 0, 0, 0, 9, 0, 0 }, 0, HALT,
		    "pending members are not in the test" },
		{ 0, HOUR, { 60, 0, 0, 0, 0, 38, 2, 0, 0 }, 0, CONT,
		    "2 of the first 40 is no evidence (issue 9.8)" },
		{ 2, HOUR, { 0, 0, 0, 0, 0, 919, 81, 0, 0 }, 0, HALT, "81 of 1000" },
		{ 2, HOUR, { 0, 0, 0, 0, 0, 920, 80, 0, 0 }, 0, ADV,
		    "80 of 1000 is not credible; seen in full at 92%" },
		/* Halts beat passes, approval and the bake at every stage. */
		{ 1, 0, { 0, 0, 0, 0, 0, 0, 9, 0, 0 }, 0, HALT, "unbaked" },
		{ 3, 10 * DAY, { 0, 0, 0, 0, 0, 919, 81, 0, 0 }, 0, HALT,
		    "last stage" },
		{ 0, 10 * DAY, { 20, 0, 0, 0, 0, 0, 9, 0, 0 }, 20, HALT,
		    "absent members do not dilute it" },
	};
	struct rollout_policy p = policy();
	size_t i;

	check_rows(&p, t, N_ELEM(t));
	p.auto_advance = false;
	for (i = 0; i < N_ELEM(t); i++)
		if (t[i].want == HALT)
			check_rows(&p, &t[i], 1);
}
END_TEST

/* The policy moves the line: false_halt_pct 40 halts at ln 10 = 2.3026,
 * 4 of 4 (2.7726), not 3 of 3 (2.0794); a one-stage campaign at ln 100
 * = 4.6052: 7 of 7 (4.852), not 6 of 6 (4.1589). */
START_TEST(test_gate_halt_policy)
{
	static const int one[] = { 100 };
	struct rollout_policy p = policy();
	struct rollout_counts c;
	struct rollout_decision d;

	p.false_halt_pct = 40.0;
	ck_verdict(gate_at(&p, 0, 0, counts(96, 0, 0, 0, 0, 0, 4, 0, 0)), HALT);
	ck_verdict(gate_at(&p, 0, 0, counts(97, 0, 0, 0, 0, 0, 3, 0, 0)), CONT);
	p = policy();
	c = counts(93, 0, 0, 0, 0, 0, 7, 0, 0);
	rollout_gate(&p, one, 1, 0, T0, &c, T0, &d);
	ck_verdict(d, HALT);
	c = counts(94, 0, 0, 0, 0, 0, 6, 0, 0);
	rollout_gate(&p, one, 1, 0, T0, &c, T0, &d);
	ck_verdict(d, CONT);
	/* A higher allowed rate needs more: 9 of 9 against 20% / 40%. */
	p.max_failure_pct = 20.0;
	p.bad_failure_pct = 40.0;
	ck_verdict(gate_at(&p, 0, 0, counts(91, 0, 0, 0, 0, 0, 9, 0, 0)), HALT);
	ck_verdict(gate_at(&p, 0, 0, counts(91, 0, 0, 0, 0, 3, 9, 0, 0)), CONT);
}
END_TEST

START_TEST(test_gate_halt_reason)
{
	struct rollout_policy p = policy();
	struct rollout_decision d;

	d = gate_at(&p, 0, 0, counts(87, 4, 0, 0, 0, 0, 6, 3, 0));
	ck_verdict(d, HALT);
	ck_assert_str_eq(d.reason, "stage 1 (1%): 9 of 13 started devices "
	    "failed (69.2%), credibly above the allowed 5.0% (evidence 6.02 "
	    "\u2265 5.99): halting");
	ck_near(d.halt_evidence, 6.022055739958405);
	/* With the baseline: the allowed rate it used, and why. */
	d = gate_at(&p, 2, 0, with_baseline(counts(0, 0, 0, 0, 0, 1000, 400,
	    0, 0), 9900, 495));
	ck_verdict(d, HALT);
	ck_assert_str_eq(d.reason, "stage 3 (50%): 400 of 1400 started devices "
	    "failed (28.6%), credibly above the allowed 9.3% (5.0% on top of a "
	    "4.5% baseline) (evidence 112.33 \u2265 5.99): halting");
}
END_TEST

/* ---- Small stages (issue 9.5) --------------------------------------------
 * A stage with nothing in flight and nothing that may still start is
 * decided at once. It needs min(min_sample, present) healthy devices and
 * min_healthy_pct of its started ones healthy; a stage smaller than
 * min_sample (5) therefore needs every present device healthy. Early
 * passes need 56 healthy (56 ln(0.9/0.95) = -3.03 <= ln 0.05), so stages
 * of 50 or fewer are always judged seen in full. */
START_TEST(test_gate_small_stages)
{
	static const struct row t[] = {
		/* 1 device: the 200-device fleet, which waited for
		 * ever on its one failed canary. */
		{ 0, HOUR, { 0, 0, 0, 0, 0, 0, 1, 0, 0 }, 0, HALT, "1: failed" },
		{ 0, 0, { 0, 0, 0, 0, 0, 0, 0, 1, 0 }, 0, HALT,
		    "1: failed, no bake needed to halt" },
		{ 0, HOUR, { 0, 0, 0, 0, 0, 1, 0, 0, 0 }, 0, ADV, "1: healthy" },
		{ 0, HOUR - 1, { 0, 0, 0, 0, 0, 1, 0, 0, 0 }, 0, CONT,
		    "1: healthy, bake left" },
		{ 0, HOUR, { 0, 0, 0, 0, 1, 0, 0, 0, 0 }, 0, CONT, "1: baking" },
		{ 0, DAY - 1, { 1, 0, 0, 0, 0, 0, 0, 0, 0 }, 1, CONT,
		    "1: not seen yet" },
		{ 0, DAY, { 1, 0, 0, 0, 0, 0, 0, 0, 0 }, 1, ADV, "1: absent" },
		{ 0, DAY, { 1, 0, 0, 0, 0, 0, 0, 0, 0 }, 0, CONT,
		    "1: seen, so never absent" },
		/* 2 devices */
		{ 0, HOUR, { 0, 0, 0, 0, 0, 1, 1, 0, 0 }, 0, HALT, "2: 1 failed" },
		{ 0, HOUR, { 0, 0, 0, 0, 0, 2, 0, 0, 0 }, 0, ADV, "2: healthy" },
		{ 0, DAY, { 1, 0, 0, 0, 0, 1, 0, 0, 0 }, 1, ADV,
		    "2: 1 healthy, 1 absent" },
		{ 0, HOUR, { 1, 0, 0, 0, 0, 1, 0, 0, 0 }, 1, CONT,
		    "2: 1 healthy, 1 not seen yet" },
		{ 0, DAY, { 1, 0, 0, 0, 0, 0, 1, 0, 0 }, 1, HALT,
		    "2: 1 failed, 1 absent" },
		/* 5 devices */
		{ 0, HOUR, { 0, 0, 0, 0, 0, 4, 1, 0, 0 }, 0, HALT, "5: 1 failed" },
		{ 0, HOUR, { 0, 0, 0, 0, 0, 4, 0, 0, 1 }, 0, HALT,
		    "5: 1 timed out" },
		{ 0, HOUR, { 0, 0, 0, 0, 0, 5, 0, 0, 0 }, 0, ADV, "5: healthy" },
		{ 0, DAY, { 1, 0, 0, 0, 0, 4, 0, 0, 0 }, 1, ADV,
		    "5: 4 healthy, 1 absent: 4 needed" },
		{ 0, HOUR, { 0, 0, 0, 0, 1, 4, 0, 0, 0 }, 0, CONT,
		    "5: 1 still baking" },
		/* 50 devices: min_sample 5 is met, the share decides. */
		{ 0, HOUR, { 0, 0, 0, 0, 0, 49, 1, 0, 0 }, 0, ADV, "50: 98%" },
		{ 0, HOUR, { 0, 0, 0, 0, 0, 45, 5, 0, 0 }, 0, ADV, "50: 90%" },
		{ 0, HOUR, { 0, 0, 0, 0, 0, 44, 6, 0, 0 }, 0, HALT, "50: 88%" },
		{ 0, HOUR, { 0, 0, 0, 0, 0, 50, 0, 0, 0 }, 0, ADV, "50: all" },
		{ 0, HOUR, { 0, 1, 0, 0, 0, 49, 0, 0, 0 }, 0, CONT,
		    "50: one in flight, too few for an early pass" },
		{ 0, DAY, { 10, 0, 0, 0, 0, 40, 0, 0, 0 }, 10, ADV,
		    "50: 40 healthy, 10 absent" },
		{ 0, DAY, { 10, 0, 0, 0, 0, 40, 0, 0, 0 }, 4, CONT,
		    "50: 6 seen but not started may still start" },
	};
	struct rollout_policy p = policy();

	check_rows(&p, t, N_ELEM(t));
}
END_TEST

/* min_sample against stages smaller and larger than it. */
START_TEST(test_gate_min_sample)
{
	struct rollout_policy p = policy();
	struct rollout_decision d;

	/* 5 devices, 1 failed: min_sample 1 needs 1 healthy, but 80% is
	 * below 90%; with min_healthy_pct 0 the sample alone decides. */
	p.min_sample = 1;
	d = gate_at(&p, 0, HOUR, counts(0, 0, 0, 0, 0, 4, 1, 0, 0));
	ck_verdict(d, HALT);
	ck_assert_int_eq(d.needed, 1);
	p.min_healthy_pct = 0.0;
	ck_verdict(gate_at(&p, 0, HOUR, counts(0, 0, 0, 0, 0, 4, 1, 0, 0)),
	    ADV);
	/* min_sample 100 on 50 devices: capped at the 50 present. */
	p = policy();
	p.min_sample = 100;
	d = gate_at(&p, 0, HOUR, counts(0, 0, 0, 0, 0, 50, 0, 0, 0));
	ck_verdict(d, ADV);
	ck_assert_int_eq(d.needed, 50);
	/* ... and it holds back an early pass on 200 healthy of 300. */
	p.min_sample = 250;
	d = gate_at(&p, 0, HOUR, counts(100, 0, 0, 0, 0, 200, 0, 0, 0));
	ck_verdict(d, CONT);
	ck_assert_str_eq(d.reason, "waiting: 200 of 250 healthy "
	    "needed; 100 not started");
	/* A sample of 10 on a 1000-device stage still needs the test. */
	p.min_sample = 10;
	ck_verdict(gate_at(&p, 2, HOUR, counts(900, 0, 0, 0, 0, 50, 0, 0, 0)),
	    CONT);
}
END_TEST

/* ---- Early passes ----------------------------------------------------------
 * Pass evidence counts in-flight members as failed: (failed + in flight)
 * ln 2 + healthy ln(0.9/0.95) <= ln 0.05 = -2.9957. 56 healthy: -3.0278,
 * 55: -2.9737; 97 healthy + 3 in flight: -3.1651, 96 + 4: -2.4179. */
START_TEST(test_gate_early_pass)
{
	static const struct row t[] = {
		{ 0, HOUR, { 44, 0, 0, 0, 0, 56, 0, 0, 0 }, 0, ADV, "56 healthy" },
		{ 0, HOUR, { 45, 0, 0, 0, 0, 55, 0, 0, 0 }, 0, CONT, "55 healthy" },
		{ 0, HOUR - 1, { 44, 0, 0, 0, 0, 56, 0, 0, 0 }, 0, CONT,
		    "not baked" },
		{ 0, HOUR, { 0, 0, 0, 0, 3, 97, 0, 0, 0 }, 0, ADV,
		    "97 healthy, 3 baking" },
		{ 0, HOUR, { 0, 1, 1, 1, 1, 96, 0, 0, 0 }, 0, CONT,
		    "96 healthy, 4 in flight" },
		{ 0, HOUR, { 0, 1, 0, 0, 0, 97, 2, 0, 0 }, 0, ADV,
		    "97 healthy, 2 failed, 1 in flight" },
		{ 0, HOUR, { 0, 2, 0, 0, 0, 96, 2, 0, 0 }, 0, CONT,
		    "96 healthy, 2 failed, 2 in flight" },
		{ 3, HOUR, { 100, 0, 0, 0, 0, 56, 0, 0, 0 }, 0, DONE,
		    "the last stage completes" },
	};
	struct rollout_policy p = policy();
	struct rollout_decision d;

	check_rows(&p, t, N_ELEM(t));
	d = gate_at(&p, 0, HOUR, counts(0, 1, 0, 0, 0, 97, 2, 0, 0));
	ck_assert_str_eq(d.reason, "stage 1 (1%) passed after 1h00m: 97 healthy, "
	    "2 failed, 1 in flight of 100 started, credibly below 10.0% "
	    "(evidence -3.17 \u2264 -3.00): advancing to stage 2 (10%)");
	d = gate_at(&p, 0, HOUR, counts(0, 1, 1, 1, 1, 96, 0, 0, 0));
	ck_assert_str_eq(d.reason, "waiting: pass evidence -2.42 > -3.00; "
	    "4 in flight");
	d = gate_at(&p, 0, HOUR, counts(80, 12, 0, 0, 0, 0, 5, 0, 3));
	ck_assert_str_eq(d.reason, "waiting: 0 of 5 healthy needed; "
	    "healthy 0.0% < 90.0% of 20 started; 8 failed (evidence 4.90 "
	    "< 5.99); 12 in flight; 80 not started");
	p.auto_advance = false;
	d = gate_at(&p, 1, HOUR, counts(44, 0, 0, 0, 0, 56, 0, 0, 0));
	ck_verdict(d, AWAIT);
	ck_assert_ptr_nonnull(strstr(d.reason, "approval to advance to stage 3"));
}
END_TEST

/* ---- In-flight members (issue 9.7) -----------------------------------------
 * report_timeout longer than bake_time: 8% of a stage took the offer and
 * went silent. The old rule passed it at 92% healthy; now the silent ones
 * count as failed until they report or time out, so the stage cannot pass
 * on them, and once they have timed out the decision counts them. */
START_TEST(test_gate_in_flight)
{
	struct rollout_policy p = policy();
	struct rollout_decision d;

	p.report_timeout = 4 * HOUR;
	d = gate_at(&p, 1, 2 * HOUR, counts(0, 72, 0, 0, 0, 828, 0, 0, 0));
	ck_verdict(d, CONT);
	ck_near(d.pass_evidence, 5.138937788527777);
	/* Timed out: 72 of 900 (5.14 < 5.99) is no credible halt, and 92%
	 * healthy passes the stage seen in full; the next, bigger stage
	 * goes on testing. */
	d = gate_at(&p, 1, 5 * HOUR, counts(0, 0, 0, 0, 0, 828, 0, 0, 72));
	ck_verdict(d, ADV);
	ck_assert_ptr_nonnull(strstr(d.reason, "seen in full"));
	/* 12 of 100 silent: no pass while they may report, a halt after. */
	d = gate_at(&p, 0, 2 * HOUR, counts(0, 12, 0, 0, 0, 88, 0, 0, 0));
	ck_verdict(d, CONT);
	d = gate_at(&p, 0, 5 * HOUR, counts(0, 0, 0, 0, 0, 88, 0, 0, 12));
	ck_verdict(d, HALT);
	ck_assert_str_eq(d.reason, "stage 1 (1%) has nothing left to wait for, "
	    "with 12 of 100 started devices failed: healthy 88.0% < 90.0%: "
	    "halting");
}
END_TEST

/* ---- Stages with nothing to judge (issue 9.3) ---------------------------- */

START_TEST(test_gate_empty_stage)
{
	static const int one[] = { 100 };
	struct rollout_policy p = policy();
	struct rollout_counts c = counts(0, 0, 0, 0, 0, 0, 0, 0, 0);
	struct rollout_decision d;

	/* Not the last stage: move on at once, saying there was nothing. */
	d = gate_at(&p, 0, 0, c);
	ck_verdict(d, ADV);
	ck_assert_str_eq(d.reason, "stage 1 (1%) has no devices, nothing to "
	    "judge: advancing to stage 2 (10%)");
	ck_assert_int_eq(d.members, 0);
	ck_assert_int_eq(d.needed, 0);
	p.auto_advance = false;
	ck_verdict(gate_at(&p, 1, 0, c), AWAIT);
	p = policy();
	/* The last stage of a campaign with no devices: halt, never an
	 * empty "completed". */
	d = gate_at(&p, 3, 0, c);
	ck_verdict(d, HALT);
	ck_assert_str_eq(d.reason, "the campaign has no devices: halting");
	rollout_gate(&p, one, 1, 0, T0, &c, T0 + 10 * DAY, &d);
	ck_verdict(d, HALT);
	/* Every member moved on to a newer release. */
	c.by_state[SU] = 3;
	c.members = 3;
	d = gate_at(&p, 3, 0, c);
	ck_verdict(d, HALT);
	ck_assert_str_eq(d.reason, "the campaign has no devices left "
	    "(3 superseded): halting");
	ck_assert_int_eq(d.superseded, 3);
	ck_assert_int_eq(d.members, 0);
}
END_TEST

START_TEST(test_gate_no_show)
{
	struct rollout_policy p = policy();
	struct rollout_decision d;

	d = gate_at(&p, 0, DAY - 1, unseen(counts(12, 0, 0, 0, 0, 0, 0, 0, 0),
	    12));
	ck_verdict(d, CONT);
	ck_assert_str_eq(d.reason, "waiting: 0 of 5 healthy needed; "
	    "none of 12 devices started yet; 12 not seen yet (absent in 1s)");
	d = gate_at(&p, 0, DAY, unseen(counts(12, 0, 0, 0, 0, 0, 0, 0, 0), 12));
	ck_verdict(d, ADV);
	ck_assert_str_eq(d.reason, "stage 1 (1%): none of its 12 devices "
	    "showed up in 24h00m, nothing to judge: advancing to stage 2 (10%)");
	ck_assert_int_eq(d.absent, 12);
	ck_assert_int_eq(d.present, 0);
	/* At the last stage, a campaign where nobody ever started halts. */
	d = gate_at(&p, 3, DAY, unseen(counts(12, 0, 0, 0, 0, 0, 0, 0, 0), 12));
	ck_verdict(d, HALT);
	ck_assert_ptr_nonnull(strstr(d.reason, "nothing shows it works"));
}
END_TEST

/* Issue 9.4: absent means "has not polled", not "was not offered". */
START_TEST(test_gate_absent)
{
	struct rollout_policy p = policy();
	struct rollout_decision d;

	/* Four of ten came and are healthy: six unseen block the sample of
	 * five until they count as absent. */
	d = gate_at(&p, 0, 2 * HOUR, unseen(counts(6, 0, 0, 0, 0, 4, 0, 0, 0),
	    6));
	ck_verdict(d, CONT);
	ck_assert_str_eq(d.reason, "waiting: 4 of 5 healthy needed; "
	    "6 not seen yet (absent in 22h00m)");
	d = gate_at(&p, 0, DAY, unseen(counts(6, 0, 0, 0, 0, 4, 0, 0, 0), 6));
	ck_verdict(d, ADV);
	ck_assert_int_eq(d.present, 4);
	ck_assert_int_eq(d.needed, 4);
	ck_assert_int_eq(d.absent, 6);
	ck_assert_str_eq(d.reason, "stage 1 (1%) passed after 24h00m, seen in "
	    "full: 4 of 4 started devices healthy (100.0% \u2265 90.0%, 4 "
	    "needed), 6 absent: advancing to stage 2 (10%)");
	/* The same six, but they polled (a paused campaign gave them
	 * nothing): never absent, the stage waits for them. */
	d = gate_at(&p, 0, 10 * DAY, counts(6, 0, 0, 0, 0, 4, 0, 0, 0));
	ck_verdict(d, CONT);
	ck_assert_int_eq(d.absent, 0);
	ck_assert_int_eq(d.waiting, 6);
	ck_assert_str_eq(d.reason, "waiting: 4 of 5 healthy needed; "
	    "6 not started");
	/* Some of each. */
	d = gate_at(&p, 0, HOUR, unseen(counts(6, 0, 0, 0, 0, 4, 0, 0, 0), 2));
	ck_assert_str_eq(d.reason, "waiting: 4 of 5 healthy needed; "
	    "6 not started, 2 unseen (absent in 23h00m)");
	d = gate_at(&p, 0, DAY, unseen(counts(6, 0, 0, 0, 0, 4, 0, 0, 0), 2));
	ck_verdict(d, CONT);
	ck_assert_int_eq(d.absent, 2);
	ck_assert_int_eq(d.waiting, 4);
	/* Absent members never dilute a failure. */
	d = gate_at(&p, 0, DAY, unseen(counts(6, 0, 0, 0, 0, 3, 1, 0, 0), 6));
	ck_verdict(d, HALT);
}
END_TEST

/* ---- The baseline --------------------------------------------------------
 * 495 of 9900 old-release members unhealthy: b = 4.48%, allowed 9.26%, bad
 * 14.03%. 160 failed of 2000 (8%, a good release on 5% faulty hardware
 * plus noise) halts without it (11.42) and passes with it (-32.92). */
START_TEST(test_gate_baseline)
{
	struct rollout_policy p = policy();
	struct rollout_counts c = counts(0, 0, 0, 0, 0, 1840, 160, 0, 0);
	struct rollout_decision d;

	d = gate_at(&p, 2, HOUR, c);
	ck_verdict(d, HALT);
	ck_near(d.halt_evidence, 11.41986175228395);
	d = gate_at(&p, 2, HOUR, with_baseline(c, 9900, 495));
	ck_verdict(d, ADV);
	ck_near(d.pass_evidence, -32.92453796258265);
	ck_near(d.baseline_pct, 4.4819163870124704);
	ck_near(d.allowed_pct, 9.257820567661856);
	ck_near(d.bad_pct, 14.033724748311227);
	/* Off: the same counts halt. */
	p.baseline = false;
	ck_verdict(gate_at(&p, 2, HOUR, with_baseline(c, 9900, 495)), HALT);
	p = policy();
	/* A small baseline earns little: 2 of 20 is a 0.94% credit, which
	 * does not excuse 10% failed (evidence 24.7); 495 of 9900 does. */
	c = counts(0, 0, 0, 0, 0, 1800, 200, 0, 0);
	ck_verdict(gate_at(&p, 2, HOUR, c), HALT);
	d = gate_at(&p, 2, HOUR, with_baseline(c, 20, 2));
	ck_verdict(d, HALT);
	ck_near(d.baseline_pct, 0.9434498001733946);
	ck_verdict(gate_at(&p, 2, HOUR, with_baseline(c, 9900, 495)), ADV);
	c = counts(0, 0, 0, 0, 0, 1840, 160, 0, 0);
	/* A healthy baseline never makes the test stricter. */
	d = gate_at(&p, 2, HOUR, with_baseline(c, 9900, 0));
	ck_near(d.allowed_pct, 5.0);
	ck_verdict(d, HALT);
	/* It lowers the healthy share a stage needs in proportion:
	 * 86% healthy is below 90% but above 90% x (1 - 4.48%) = 85.97%. */
	c = counts(0, 0, 0, 0, 0, 86, 14, 0, 0);
	ck_verdict(gate_at(&p, 0, HOUR, c), HALT);
	ck_verdict(gate_at(&p, 0, HOUR, with_baseline(c, 9900, 495)), ADV);
}
END_TEST

/* ---- Nested stages ------------------------------------------------------ */

START_TEST(test_gate_nested)
{
	struct rollout_policy p = policy();
	struct rollout_decision d;
	/* 100 healthy from stage 1, 900 new devices still pending. */
	struct rollout_counts all = counts(900, 0, 0, 0, 0, 100, 0, 0, 0);
	struct rollout_counts added = counts(900, 0, 0, 0, 0, 0, 0, 0, 0);

	d = gate_at(&p, 1, 2 * HOUR, all);
	ck_verdict(d, ADV);		/* the plain gate would pass */
	d = nested_at(&p, 1, 2 * HOUR, all, added);
	ck_verdict(d, CONT);
	ck_assert_int_eq(d.scope, ROLLOUT_SCOPE_ADDED);
	ck_assert_ptr_nonnull(strstr(d.reason, "new devices: "));
	/* 56 added devices healthy: now it passes, counted on them. */
	added = counts(844, 0, 0, 0, 0, 56, 0, 0, 0);
	all = counts(844, 0, 0, 0, 0, 156, 0, 0, 0);
	d = nested_at(&p, 1, 2 * HOUR, all, added);
	ck_verdict(d, ADV);
	ck_assert_int_eq(d.healthy, 56);
	/* Stage 1 devices regressing halt a later stage. */
	all = counts(844, 0, 0, 0, 0, 66, 90, 0, 0);
	d = nested_at(&p, 1, 2 * HOUR, all, added);
	ck_verdict(d, HALT);
	ck_assert_int_eq(d.scope, ROLLOUT_SCOPE_STAGE);
	ck_assert_ptr_nonnull(strstr(d.reason, "stage 2 (10%): 90 of 156"));
	/* Failures among the added alone halt as well. */
	all = counts(891, 0, 0, 0, 0, 100, 9, 0, 0);
	added = counts(891, 0, 0, 0, 0, 0, 9, 0, 0);
	d = nested_at(&p, 1, 2 * HOUR, all, added);
	ck_verdict(d, HALT);
	ck_assert_int_eq(d.scope, ROLLOUT_SCOPE_ADDED);
	/* ... and only the added devices may end a stage seen in full. */
	all = counts(0, 0, 0, 0, 0, 100, 1, 0, 0);
	added = counts(0, 0, 0, 0, 0, 0, 1, 0, 0);
	ck_verdict(nested_at(&p, 1, 2 * HOUR, all, added), HALT);
	/* Stage 1 has no "added" distinct from its members. */
	all = counts(0, 0, 0, 0, 0, 10, 0, 0, 0);
	d = nested_at(&p, 0, 2 * HOUR, all, counts(10, 0, 0, 0, 0, 0, 0, 0, 0));
	ck_verdict(d, ADV);
	ck_assert_int_eq(d.scope, ROLLOUT_SCOPE_STAGE);
	/* A stage that added nobody passes at once, even the last one when
	 * earlier stages had devices that started. */
	all = counts(0, 0, 0, 0, 0, 10, 0, 0, 0);
	ck_verdict(nested_at(&p, 2, 0, all, counts(0, 0, 0, 0, 0, 0, 0, 0, 0)),
	    ADV);
	d = nested_at(&p, 3, 0, all, counts(0, 0, 0, 0, 0, 0, 0, 0, 0));
	ck_verdict(d, DONE);
	ck_assert_str_eq(d.reason, "new devices: stage 4 (100%) "
	    "has no devices, nothing to judge: last stage passed, completing");
	/* ... but not a campaign where nobody started at all. */
	all = unseen(counts(10, 0, 0, 0, 0, 0, 0, 0, 0), 10);
	d = nested_at(&p, 3, DAY, all, counts(0, 0, 0, 0, 0, 0, 0, 0, 0));
	ck_verdict(d, HALT);
}
END_TEST

/* The baseline is the campaign's: taken from `stage` for both decisions. */
START_TEST(test_gate_nested_baseline)
{
	struct rollout_policy p = policy();
	struct rollout_counts all = with_baseline(counts(3000, 0, 0, 0, 0,
	    2840, 160, 0, 0), 5000, 250);
	struct rollout_counts added = counts(2000, 0, 0, 0, 0, 1840, 160, 0, 0);
	struct rollout_decision d;

	d = nested_at(&p, 2, HOUR, all, added);
	ck_assert_msg(d.verdict != HALT, "%s", d.reason);
	ck_assert(d.baseline_pct > 4.0);
	ck_assert_int_eq(d.scope, ROLLOUT_SCOPE_ADDED);
	/* Without it the added devices' 8% halts the stage. */
	all.baseline_reporting = 0;
	all.baseline_unhealthy = 0;
	added = with_baseline(added, 5000, 250);
	ck_verdict(nested_at(&p, 2, HOUR, all, added), HALT);
}
END_TEST

/* ---- Approval, completion, numbers, bad input --------------------------- */

START_TEST(test_gate_approval_and_complete)
{
	struct rollout_policy p = policy();
	struct rollout_decision d;
	int stage;

	p.auto_advance = false;
	for (stage = 0; stage < 3; stage++) {
		d = gate_at(&p, stage, HOUR, counts(0, 0, 0, 0, 0, 10, 0, 0, 0));
		ck_verdict(d, AWAIT);
		ck_assert_ptr_nonnull(strstr(d.reason, "approval"));
	}
	/* Completing widens nothing, so it needs no approval. */
	ck_verdict(gate_at(&p, 3, HOUR, counts(0, 0, 0, 0, 0, 10, 0, 0, 0)),
	    DONE);
	/* Not passed: still CONTINUE, not AWAIT_APPROVAL. */
	d = gate_at(&p, 0, 100, counts(0, 0, 0, 0, 0, 10, 0, 0, 0));
	ck_verdict(d, CONT);
	ck_assert_str_eq(d.reason, "waiting: bake 59m left");
	p.auto_advance = true;
	d = gate_at(&p, 3, HOUR, counts(0, 0, 0, 0, 0, 10, 0, 0, 0));
	ck_verdict(d, DONE);
	ck_assert_ptr_nonnull(strstr(d.reason, "completing"));
	d = gate_at(&p, 2, HOUR, counts(0, 0, 0, 0, 0, 10, 0, 0, 0));
	ck_assert_ptr_nonnull(strstr(d.reason, "stage 4 (100%)"));
	/* A clock that went back waits for the bake again. */
	ck_verdict(gate_at(&p, 0, -100000, counts(0, 0, 0, 0, 0, 10, 0, 0, 0)),
	    CONT);
}
END_TEST

START_TEST(test_gate_numbers)
{
	struct rollout_policy p = policy();
	struct rollout_counts c = counts(7, 2, 3, 4, 5, 60, 1, 0, 0);
	struct rollout_decision d;

	c.by_state[SU] = 9;
	c.members += 9;
	c.unseen = 5;
	d = gate_at(&p, 1, 90000, c);
	ck_assert_int_eq(d.members, 82);
	ck_assert_int_eq(d.superseded, 9);
	ck_assert_int_eq(d.pending, 7);
	ck_assert_int_eq(d.started, 75);
	ck_assert_int_eq(d.in_flight, 14);
	ck_assert_int_eq(d.healthy, 60);
	ck_assert_int_eq(d.failures, 1);
	ck_assert_int_eq(d.unseen, 5);
	ck_assert_int_eq(d.absent, 5);
	ck_assert_int_eq(d.waiting, 2);
	ck_assert_int_eq(d.present, 77);
	ck_assert_int_eq(d.needed, 5);
	ck_assert_int_eq(d.stage_age, 90000);
	ck_assert_int_eq(d.bake_left, 0);
	ck_assert(d.healthy_pct == 80.0);
	ck_assert(d.failure_pct > 1.333 && d.failure_pct < 1.334);
	ck_near(d.allowed_pct, 5.0);
	ck_near(d.bad_pct, 10.0);
	ck_near(d.baseline_pct, 0.0);
	ck_near(d.halt_at, 5.991464547107982);
	ck_near(d.pass_at, -2.995732273553991);
	/* 1 ln 2 + 74 ln(0.9/0.95); (1 + 14) ln 2 + 60 ln(0.9/0.95) */
	ck_near(d.halt_evidence, 0.6931471805599453 - 74 * 0.0540672212702757);
	ck_near(d.pass_evidence, 15 * 0.6931471805599453 -
	    60 * 0.0540672212702757);
	ck_verdict(d, CONT);
}
END_TEST

START_TEST(test_gate_invalid)
{
	struct rollout_policy p = policy();
	struct rollout_counts c = counts(0, 0, 0, 0, 0, 0, 9, 0, 0);
	struct rollout_decision d;
	static const int bad_stages[] = { 1, 10, 50 };

	/* Counts that do not add up must not be read as nine failures. */
	c.members = 4;
	rollout_gate(&p, default_stages, 4, 0, T0, &c, T0, &d);
	ck_verdict(d, CONT);
	ck_assert_str_eq(d.reason, "invalid input: counts do not add up to "
	    "members; no decision");
	c = counts(0, 0, 0, 0, 0, 0, 9, 0, 0);
	c.by_state[OF] = -1;
	c.members = 8;
	rollout_gate(&p, default_stages, 4, 0, T0, &c, T0, &d);
	ck_verdict(d, CONT);
	c = counts(ROLLOUT_MAX_MEMBERS + 1, 0, 0, 0, 0, 0, 0, 0, 0);
	rollout_gate(&p, default_stages, 4, 0, T0, &c, T0, &d);
	ck_assert_ptr_nonnull(strstr(d.reason, "invalid input"));
	/* More unseen than pending, a baseline that does not add up. */
	c = unseen(counts(2, 0, 0, 0, 0, 0, 9, 0, 0), 3);
	rollout_gate(&p, default_stages, 4, 0, T0, &c, T0, &d);
	ck_verdict(d, CONT);
	ck_assert_str_eq(d.reason, "invalid input: counts unseen outside "
	    "0..pending; no decision");
	c = with_baseline(counts(0, 0, 0, 0, 0, 0, 9, 0, 0), 10, 11);
	rollout_gate(&p, default_stages, 4, 0, T0, &c, T0, &d);
	ck_assert_str_eq(d.reason, "invalid input: counts baseline out of "
	    "range; no decision");
	c = with_baseline(counts(0, 0, 0, 0, 0, 0, 9, 0, 0), -1, 0);
	rollout_gate(&p, default_stages, 4, 0, T0, &c, T0, &d);
	ck_verdict(d, CONT);

	c = counts(0, 0, 0, 0, 0, 0, 9, 0, 0);
	p.false_halt_pct = 0;
	rollout_gate(&p, default_stages, 4, 0, T0, &c, T0, &d);
	ck_verdict(d, CONT);
	ck_assert_str_eq(d.reason, "invalid input: policy field false_halt_pct; "
	    "no decision");
	p = policy();
	rollout_gate(&p, bad_stages, 3, 0, T0, &c, T0, &d);
	ck_assert_ptr_nonnull(strstr(d.reason, "last stage must be 100"));
	rollout_gate(&p, default_stages, 4, 4, T0, &c, T0, &d);
	ck_assert_ptr_nonnull(strstr(d.reason, "stage index"));
	rollout_gate(NULL, default_stages, 4, 0, T0, &c, T0, &d);
	ck_assert_str_eq(d.reason, "invalid input: policy missing; no decision");
	rollout_gate(&p, default_stages, 4, 0, T0, NULL, T0, &d);
	ck_assert_str_eq(d.reason, "invalid input: counts missing; no decision");
	rollout_gate(&p, NULL, 4, 0, T0, &c, T0, &d);
	ck_assert_ptr_nonnull(strstr(d.reason, "invalid input: stages:"));
	/* Nested: bad counts on either side decide nothing. */
	d = nested_at(&p, 1, 0, unseen(c, 1), c);
	ck_verdict(d, CONT);
	ck_assert_ptr_nonnull(strstr(d.reason, "invalid input"));
	d = nested_at(&p, 1, 0, counts(0, 0, 0, 0, 0, 10, 0, 0, 0),
	    unseen(counts(0, 0, 0, 0, 0, 0, 9, 0, 0), 1));
	ck_verdict(d, CONT);
	ck_assert_ptr_nonnull(strstr(d.reason, "invalid input"));
}
END_TEST

/* The biggest numbers still give a whole sentence. */
START_TEST(test_gate_reason_fits)
{
	struct rollout_policy p = policy();
	struct rollout_decision d;
	int64_t big = ROLLOUT_MAX_MEMBERS / 4;

	p.min_sample = 1000000;
	p.bake_time = ROLLOUT_MAX_TIME;
	p.absent_timeout = ROLLOUT_MAX_TIME;
	p.min_healthy_pct = 99.999999;
	p.max_failure_pct = 1.234567;
	p.bad_failure_pct = 99.999999;
	d = nested_at(&p, 2, 1, unseen(counts(big, big, 0, 0, 0, big / 2, 0,
	    0, 0), big / 2), unseen(counts(big, big, 0, 0, 0, big / 2, 0, 0, 0),
	    big / 2));
	ck_verdict(d, CONT);
	ck_assert_msg(strstr(d.reason, "...") == NULL, "cut: %s", d.reason);
	ck_assert_ptr_nonnull(strstr(d.reason, "bake 365d0h left"));
	/* Every item at once: sample, share, failures, flight, waiting. */
	d = nested_at(&p, 2, 1, unseen(counts(big, big / 4, 0, 0, 0, big / 4,
	    big / 4, 0, big / 4), big / 2), unseen(counts(big, big / 4, 0, 0,
	    0, 999999, big / 4, 0, big / 4), big / 2));
	ck_verdict(d, CONT);
	ck_assert_msg(strstr(d.reason, "...") == NULL, "cut: %s", d.reason);
	ck_assert_ptr_nonnull(strstr(d.reason, "bake 365d0h left"));
	p.bad_failure_pct = 2.345678;
	d = nested_at(&p, 2, 1, with_baseline(counts(0, big, 0, 0, 0, 0, big,
	    big, big), big, big / 3), counts(0, big, 0, 0, 0, 0, big, big, big));
	ck_verdict(d, HALT);
	ck_assert(d.baseline_pct > 33.0);
	ck_assert_msg(strstr(d.reason, "...") == NULL, "cut: %s", d.reason);
	p.min_sample = 1;
	p.bake_time = 0;
	p.bad_failure_pct = 99.999999;
	d = nested_at(&p, 2, 1, counts(0, 0, 0, 0, 0, big, big / 100, 0, 0),
	    counts(0, 0, 0, 0, 0, big, big / 100, 0, 0));
	ck_assert_msg(strstr(d.reason, "...") == NULL, "cut: %s", d.reason);
}
END_TEST

/* ---- Properties ----------------------------------------------------------
 * STYLE.md: properties beside tables. Random counts (fixed seed), random
 * policies near the defaults, random stage and age; each property is
 * checked on 20000 cases. */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static int64_t
rnd(int64_t n)
{
	return n > 0 ? (int64_t)(rng() % (uint64_t)n) : 0;
}

/* A count: mostly small, sometimes large. */
static int64_t
rnd_count(void)
{
	static const int64_t scale[] = { 1, 3, 10, 60, 1000, 100000 };

	return rnd(scale[rnd(N_ELEM(scale))] + 1);
}

struct gcase {
	struct rollout_policy p;
	int stage;
	int64_t age;
	struct rollout_counts c;
};

static void
random_case(struct gcase *g)
{
	static const int64_t ages[] = { 0, 1, HOUR - 1, HOUR, DAY - 1, DAY,
	    10 * DAY };
	int i;

	g->p = policy();
	if (rnd(2)) {
		g->p.min_sample = (int)(1 + rnd(60));
		g->p.min_healthy_pct = (double)rnd(101);
		g->p.max_failure_pct = 0.5 + (double)rnd(20);
		g->p.bad_failure_pct = g->p.max_failure_pct * (1.2 +
		    (double)rnd(30) / 10.0);
		if (g->p.bad_failure_pct >= 100.0)
			g->p.bad_failure_pct = 99.0;
		g->p.false_halt_pct = 0.1 + (double)rnd(100) / 4.0;
		g->p.miss_pct = 0.1 + (double)rnd(100) / 4.0;
		g->p.baseline = rnd(2);
		g->p.auto_advance = rnd(2);
	}
	g->stage = (int)rnd(4);
	g->age = ages[rnd(N_ELEM(ages))];
	memset(&g->c, 0, sizeof(g->c));
	for (i = 0; i < ROLLOUT_DEV_STATES; i++) {
		/* Each state is often empty, so edges come up. */
		g->c.by_state[i] = rnd(3) == 0 ? rnd_count() : 0;
		g->c.members += g->c.by_state[i];
	}
	g->c.unseen = rnd(g->c.by_state[PE] + 1);
	g->c.baseline_reporting = rnd(3) == 0 ? rnd_count() : 0;
	g->c.baseline_unhealthy = rnd(g->c.baseline_reporting / 5 + 1);
}

static struct rollout_decision
decide(const struct gcase *g)
{
	struct rollout_decision d;

	rollout_gate(&g->p, default_stages, 4, g->stage, T0, &g->c, T0 + g->age,
	    &d);
	ck_assert_msg(strncmp(d.reason, "invalid", 7) != 0, "%s", d.reason);
	return d;
}

static int
is_pass(enum rollout_verdict v)
{
	return v == ADV || v == AWAIT || v == DONE;
}

/* Moves one member from state `from` (or a new one, from < 0) to `to`. */
static void
move(struct gcase *g, int from, int to)
{
	if (from < 0) {
		g->c.members++;
	} else {
		g->c.by_state[from]--;
		if (from == PE && g->c.unseen > g->c.by_state[PE])
			g->c.unseen = g->c.by_state[PE];
	}
	g->c.by_state[to]++;
}

/* A state among `from` that has a member, or -1 (a new member). */
static int
pick(const struct gcase *g, const int *from, size_t n)
{
	int s = from[rnd((int64_t)n)];

	return rnd(4) != 0 && g->c.by_state[s] > 0 ? s : -1;
}

/* Adding a failure never turns a halt into anything else. */
START_TEST(test_prop_failure_keeps_halt)
{
	static const int from[] = { PE, OF, DL, IN, CO, HE };
	static const int fail[] = { FA, RB, TO };
	int i, seen = 0;

	for (i = 0; i < 20000; i++) {
		struct gcase g, h;
		struct rollout_decision d, e;

		random_case(&g);
		d = decide(&g);
		if (d.verdict != HALT)
			continue;
		h = g;
		move(&h, pick(&h, from, N_ELEM(from)), fail[rnd(3)]);
		e = decide(&h);
		ck_assert_msg(e.verdict == HALT, "case %d: %s -> %s (%s)", i,
		    d.reason, e.reason, rollout_verdict_name(e.verdict));
		seen++;
	}
	ck_assert_int_gt(seen, 1000);
}
END_TEST

/* Adding a healthy device never turns a pass into a wait or a halt (the
 * bake aside: an empty stage needs none, one with a device does). */
START_TEST(test_prop_healthy_keeps_pass)
{
	static const int from[] = { PE, OF, DL, IN, CO };
	int i, seen = 0;

	for (i = 0; i < 20000; i++) {
		struct gcase g, h;
		struct rollout_decision d, e;

		random_case(&g);
		if (g.age < g.p.bake_time)
			g.age = g.p.bake_time;
		d = decide(&g);
		if (!is_pass(d.verdict))
			continue;
		h = g;
		move(&h, pick(&h, from, N_ELEM(from)), HE);
		e = decide(&h);
		ck_assert_msg(e.verdict == d.verdict, "case %d: %s -> %s", i,
		    d.reason, e.reason);
		seen++;
	}
	ck_assert_int_gt(seen, 1000);
}
END_TEST

/* A pass stands whatever the in-flight members do next: were all of them
 * to time out, the stage would still pass. */
START_TEST(test_prop_pass_survives_in_flight)
{
	int i, s, seen = 0;

	for (i = 0; i < 20000; i++) {
		struct gcase g, h;
		struct rollout_decision d, e;

		random_case(&g);
		if (g.age < g.p.bake_time)
			g.age = g.p.bake_time;
		d = decide(&g);
		if (!is_pass(d.verdict) || d.in_flight == 0)
			continue;
		h = g;
		for (s = OF; s <= CO; s++) {
			h.c.by_state[TO] += h.c.by_state[s];
			h.c.by_state[s] = 0;
		}
		/* Nobody new may start, so nothing waits either. */
		h.c.unseen = h.c.by_state[PE];
		h.age = h.p.absent_timeout > h.age ? h.p.absent_timeout : h.age;
		e = decide(&h);
		ck_assert_msg(is_pass(e.verdict), "case %d: %s -> %s", i,
		    d.reason, e.reason);
		seen++;
	}
	ck_assert_int_gt(seen, 100);
}
END_TEST

/* Nothing in flight, nothing that may still start, baked: never wait. */
START_TEST(test_prop_never_waits_for_ever)
{
	int i, s, seen = 0;

	for (i = 0; i < 20000; i++) {
		struct gcase g;
		struct rollout_decision d;

		random_case(&g);
		for (s = OF; s <= CO; s++) {
			g.c.members -= g.c.by_state[s];
			g.c.by_state[s] = 0;
		}
		g.c.unseen = g.c.by_state[PE];
		g.age = g.p.bake_time > g.p.absent_timeout ? g.p.bake_time :
		    g.p.absent_timeout;
		d = decide(&g);
		ck_assert_msg(d.verdict != CONT, "case %d: %s", i, d.reason);
		seen++;
	}
	ck_assert_int_eq(seen, 20000);
}
END_TEST

static Suite *
gate_suite(void)
{
	Suite *s = suite_create("rollout_gate");
	TCase *tc;

	tc = tcase_create("policy");
	tcase_add_test(tc, test_policy_default);
	tcase_add_test(tc, test_policy_validate);
	tcase_add_test(tc, test_evidence_numbers);
	tcase_add_test(tc, test_baseline_bound);
	suite_add_tcase(s, tc);

	tc = tcase_create("tables");
	tcase_add_test(tc, test_gate_halt_table);
	tcase_add_test(tc, test_gate_halt_policy);
	tcase_add_test(tc, test_gate_halt_reason);
	tcase_add_test(tc, test_gate_small_stages);
	tcase_add_test(tc, test_gate_min_sample);
	tcase_add_test(tc, test_gate_early_pass);
	tcase_add_test(tc, test_gate_in_flight);
	tcase_add_test(tc, test_gate_empty_stage);
	tcase_add_test(tc, test_gate_no_show);
	tcase_add_test(tc, test_gate_absent);
	tcase_add_test(tc, test_gate_baseline);
	tcase_add_test(tc, test_gate_nested);
	tcase_add_test(tc, test_gate_nested_baseline);
	tcase_add_test(tc, test_gate_approval_and_complete);
	tcase_add_test(tc, test_gate_numbers);
	tcase_add_test(tc, test_gate_invalid);
	tcase_add_test(tc, test_gate_reason_fits);
	suite_add_tcase(s, tc);

	tc = tcase_create("properties");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_prop_failure_keeps_halt);
	tcase_add_test(tc, test_prop_healthy_keeps_pass);
	tcase_add_test(tc, test_prop_pass_survives_in_flight);
	tcase_add_test(tc, test_prop_never_waits_for_ever);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(gate_suite());
}
