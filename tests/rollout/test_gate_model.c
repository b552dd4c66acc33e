/* The gate's model: exact dynamic programming over the sequential test
 * gives the false-halt probability and the blast radius of the default
 * policy (the numbers in docs/rollouts.md), and a deterministic Monte-Carlo
 * simulation of the pure gate (rollout_gate_nested) checks the model.
 *
 * The model: a fleet of 10,000 devices, default stages 1/10/50/100, which
 * add 100, 900, 4000 and 5000 devices. Each device fails independently
 * with probability q (the release and the hardware together). Within a
 * stage the added devices start and report one at a time and the gate
 * looks after every report (the most looks a stage can get; in-flight
 * devices only make verdicts later, never different: see test_gate.c).
 * Every device shows up, and the stage is older than bake_time at each
 * look. With the baseline on, the members not yet reached (9900, 9000,
 * 5000, 0) report during each stage, each unhealthy with probability f
 * (faulty hardware), drawn once per stage. The model follows each stage's
 * test over the devices it added; the simulation also runs the test over
 * every member, which the model leaves out (it can only halt sooner).
 * ROLLOUT_MODEL_PRINT=1 prints the table for the docs and both
 * simulations' numbers; ROLLOUT_MODEL_RUNS=k simulates k times as many
 * campaigns (to measure; the error bars stay those of the default). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_util.h"
#include "rollout/rollout.h"

#define FLEET	10000
#define NSTAGES	4
#define T0	1700000000

static const int stages[NSTAGES] = { 1, 10, 50, 100 };
static const int added_n[NSTAGES] = { 100, 900, 4000, 5000 };

struct scenario {
	const char *name;
	double q;		/* failure probability of a device */
	double f;		/* faulty hardware: the baseline's rate */
	bool baseline;
	int runs;		/* simulated campaigns */
};

/* What a campaign comes to: the model's expectations or the simulation's
 * averages. */
struct outcome {
	double halt;			/* P(the campaign halts) */
	double halt_at[NSTAGES];	/* P(it halts in stage j) */
	double reach_stage;		/* E[share of the fleet in the stage
					   open at the halt; 1 without one] */
	double reach_seq;		/* E[share that had started] */
	/* standard deviations of the two reaches, for error bars */
	double sd_stage, sd_seq;
};

/* ---- The model ---------------------------------------------------------- */

/* One stage's test over its n devices, given the test's numbers. */
struct stage_result {
	double halt, pass;		/* probabilities */
	double started_halt;		/* E[devices started; halted] */
	double started_pass;		/* E[devices started; passed] */
	double started2_halt, started2_pass;	/* second moments */
};

static void
stage_dp(const struct rollout_policy *p, const struct rollout_test *t,
    int n, double q, struct stage_result *r)
{
	double *w = calloc((size_t)n + 2, sizeof(double));
	double floor = p->min_healthy_pct * (1.0 - t->baseline);
	int64_t needed = p->min_sample < n ? p->min_sample : n;
	int lo = 0, hi = 0, m, k;

	ck_assert_ptr_nonnull(w);
	memset(r, 0, sizeof(*r));
	w[0] = 1.0;
	for (m = 1; m <= n; m++) {
		/* One more device reports: k failures among m. */
		for (k = hi + 1; k > lo; k--)
			w[k] = w[k] * (1.0 - q) + w[k - 1] * q;
		w[lo] *= 1.0 - q;
		hi++;
		for (k = lo; k <= hi; k++) {
			double e = rollout_evidence(t, k, m - k);
			int64_t healthy = m - k;
			int ok = healthy >= needed &&
			    (double)healthy * 100.0 >= floor * (double)m - 1e-9;
			int halt = e >= t->halt_at ||
			    (m == n && !ok);
			int pass = !halt && ((e <= t->pass_at && ok) || m == n);

			if (w[k] == 0.0 || (!halt && !pass))
				continue;
			if (halt) {
				r->halt += w[k];
				r->started_halt += w[k] * m;
				r->started2_halt += w[k] * m * (double)m;
			} else {
				r->pass += w[k];
				r->started_pass += w[k] * m;
				r->started2_pass += w[k] * m * (double)m;
			}
			w[k] = 0.0;
		}
		while (lo < hi && w[lo] == 0.0)
			lo++;
		while (hi > lo && w[hi] == 0.0)
			hi--;
	}
	free(w);
}

/* P(X = u) for X ~ Binomial(b, f). */
static double
binom_pmf(int64_t u, int64_t b, double f)
{
	if (f <= 0.0)
		return u == 0 ? 1.0 : 0.0;
	return exp(lgamma((double)b + 1) - lgamma((double)u + 1) -
	    lgamma((double)(b - u) + 1) + (double)u * log(f) +
	    (double)(b - u) * log1p(-f));
}

/* Stage j's result averaged over the baseline it may see. */
static void
stage_model(const struct rollout_policy *p, const struct scenario *sc,
    int j, int64_t reporting, struct stage_result *r)
{
	struct rollout_test t;
	struct stage_result one;
	double mean = (double)reporting * sc->f;
	double sd = sqrt(mean * (1.0 - sc->f));
	int64_t u, ulo, uhi;

	memset(r, 0, sizeof(*r));
	if (!sc->baseline || reporting == 0 || sc->f <= 0.0) {
		rollout_test_setup(p, NSTAGES, 0, 0, &t);
		stage_dp(p, &t, added_n[j], sc->q, r);
		return;
	}
	ulo = (int64_t)fmax(0.0, floor(mean - 8.0 * sd));
	uhi = (int64_t)fmin((double)reporting, ceil(mean + 8.0 * sd));
	for (u = ulo; u <= uhi; u++) {
		double w = binom_pmf(u, reporting, sc->f);

		rollout_test_setup(p, NSTAGES, reporting, u, &t);
		stage_dp(p, &t, added_n[j], sc->q, &one);
		r->halt += w * one.halt;
		r->pass += w * one.pass;
		r->started_halt += w * one.started_halt;
		r->started_pass += w * one.started_pass;
		r->started2_halt += w * one.started2_halt;
		r->started2_pass += w * one.started2_pass;
	}
}

/* The campaign: stages in turn, each reached if the ones before passed;
 * stages are independent given that they are reached, so the devices
 * started before stage j add up moment by moment. */
static void
model(const struct scenario *sc, struct outcome *o)
{
	struct rollout_policy p;
	struct stage_result r;
	double reached = 1.0, m1 = 0.0, m2 = 0.0, e2_stage = 0.0, e2_seq = 0.0;
	double c, e1, e2;
	int j, cum = 0;

	rollout_policy_default(&p);
	p.baseline = sc->baseline;
	memset(o, 0, sizeof(*o));
	for (j = 0; j < NSTAGES; j++) {
		cum += added_n[j];
		c = (double)cum / FLEET;
		stage_model(&p, sc, j, FLEET - cum, &r);
		o->halt_at[j] = reached * r.halt;
		o->halt += o->halt_at[j];
		o->reach_stage += o->halt_at[j] * c;
		e2_stage += o->halt_at[j] * c * c;
		o->reach_seq += reached * (r.halt * m1 + r.started_halt) / FLEET;
		e2_seq += reached * (r.halt * m2 + 2.0 * m1 * r.started_halt +
		    r.started2_halt) / ((double)FLEET * FLEET);
		/* The devices started before the next stage, given it is
		 * reached: first and second moments. */
		if (r.pass > 0.0) {
			e1 = r.started_pass / r.pass;
			e2 = r.started2_pass / r.pass;
			m2 += 2.0 * m1 * e1 + e2;
			m1 += e1;
		}
		reached *= r.pass;
	}
	o->reach_stage += reached;
	e2_stage += reached;
	o->reach_seq += reached * m1 / FLEET;
	e2_seq += reached * m2 / ((double)FLEET * FLEET);
	o->sd_stage = sqrt(fmax(0.0, e2_stage - o->reach_stage *
	    o->reach_stage));
	o->sd_seq = sqrt(fmax(0.0, e2_seq - o->reach_seq * o->reach_seq));
}

/* ---- The simulation ------------------------------------------------------ */

static uint64_t rng_state;

static double
uniform(void)
{
	/* xorshift64*, top 53 bits */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (double)((rng_state * 0x2545f4914f6cdd1dULL) >> 11) /
	    9007199254740992.0;
}

/* One campaign; adds what it came to to o. nested: the daemon's gate,
 * rollout_gate_nested, which also tests every member; else rollout_gate
 * over the devices each stage added, as the model does. */
static void
campaign(const struct rollout_policy *p, const struct scenario *sc,
    int nested, struct outcome *o)
{
	struct rollout_counts all, added;
	struct rollout_decision d;
	int64_t healthy = 0, failed = 0, stragglers = 0, unhealthy, reporting;
	int j, m, i, cum = 0;
	double seq, stage;

	for (j = 0; j < NSTAGES; j++) {
		int64_t h = 0, k = 0;

		cum += added_n[j];
		reporting = sc->baseline ? FLEET - cum : 0;
		unhealthy = 0;
		for (i = 0; i < reporting; i++)
			unhealthy += uniform() < sc->f;
		for (m = 1; m <= added_n[j]; m++) {
			if (uniform() < sc->q)
				k++;
			else
				h++;
			memset(&added, 0, sizeof(added));
			added.by_state[ROLLOUT_DEV_PENDING] = added_n[j] - m;
			added.by_state[ROLLOUT_DEV_HEALTHY] = h;
			added.by_state[ROLLOUT_DEV_FAILED] = k;
			added.members = added_n[j];
			all = added;
			all.by_state[ROLLOUT_DEV_PENDING] += stragglers;
			all.by_state[ROLLOUT_DEV_HEALTHY] += healthy;
			all.by_state[ROLLOUT_DEV_FAILED] += failed;
			all.members = cum;
			all.baseline_reporting = reporting;
			all.baseline_unhealthy = unhealthy;
			if (nested) {
				rollout_gate_nested(p, stages, NSTAGES, j, T0,
				    &all, &added, T0 + p->bake_time, &d);
			} else {
				added.baseline_reporting = reporting;
				added.baseline_unhealthy = unhealthy;
				rollout_gate(p, stages, NSTAGES, j, T0, &added,
				    T0 + p->bake_time, &d);
			}
			if (d.verdict != ROLLOUT_CONTINUE)
				break;
		}
		ck_assert_msg(d.verdict != ROLLOUT_CONTINUE &&
		    d.verdict != ROLLOUT_AWAIT_APPROVAL, "stage %d: %s", j,
		    d.reason);
		if (d.verdict == ROLLOUT_HALT) {
			o->halt += 1.0;
			o->halt_at[j] += 1.0;
			stage = (double)cum / FLEET;
			seq = (double)(healthy + failed + h + k) / FLEET;
			goto out;
		}
		/* Those that had not started stay pending for good. */
		healthy += h;
		failed += k;
		stragglers += added_n[j] - (h + k);
	}
	stage = 1.0;
	seq = (double)(healthy + failed) / FLEET;
out:
	o->reach_stage += stage;
	o->reach_seq += seq;
	o->sd_stage += stage * stage;
	o->sd_seq += seq * seq;
}

static void
simulate(const struct scenario *sc, int nested, uint64_t seed,
    struct outcome *o)
{
	struct rollout_policy p;
	int i, n = sc->runs;

	rollout_policy_default(&p);
	p.baseline = sc->baseline;
	memset(o, 0, sizeof(*o));
	/* More runs for measuring (ROLLOUT_MODEL_RUNS=20), not for checks. */
	if (getenv("ROLLOUT_MODEL_RUNS") != NULL)
		n *= (int)strtol(getenv("ROLLOUT_MODEL_RUNS"), NULL, 10);
	for (i = 0; i < n; i++) {
		/* Each campaign its own stream (splitmix64 of seed and i), so
		 * the two gates see the same devices campaign by campaign. */
		uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		rng_state = (z ^ (z >> 31)) | 1;
		campaign(&p, sc, nested, o);
	}
	o->halt /= n;
	for (i = 0; i < NSTAGES; i++)
		o->halt_at[i] /= n;
	o->reach_stage /= n;
	o->reach_seq /= n;
	o->sd_stage = sqrt(fmax(0.0, o->sd_stage / n -
	    o->reach_stage * o->reach_stage));
	o->sd_seq = sqrt(fmax(0.0, o->sd_seq / n - o->reach_seq * o->reach_seq));
}

/* ---- The check ----------------------------------------------------------- */

/* |a - b| within 4 standard errors of a probability a, plus 1/n. */
static int
prob_near(double a, double b, double n)
{
	return fabs(a - b) <= 4.0 * sqrt(fmax(0.0, a * (1.0 - a)) / n) +
	    1.0 / n;
}

/* The model against the simulation of the same test: every probability
 * within 4 standard errors (plus 1/n, for rare events), each expected
 * reach within 4 standard errors of the sample plus 0.01% of the fleet. */
static void
compare(const struct scenario *sc, const struct outcome *m,
    const struct outcome *s)
{
	double n = sc->runs;
	int j;

	ck_assert_msg(prob_near(m->halt, s->halt, n), "%s: P(halt) model %.4f, "
	    "simulation %.4f", sc->name, m->halt, s->halt);
	for (j = 0; j < NSTAGES; j++)
		ck_assert_msg(prob_near(m->halt_at[j], s->halt_at[j], n),
		    "%s: P(halt in stage %d) model %.4f, simulation %.4f",
		    sc->name, j + 1, m->halt_at[j], s->halt_at[j]);
	ck_assert_msg(fabs(m->reach_stage - s->reach_stage) <= 4.0 *
	    m->sd_stage / sqrt(n) + 0.0001, "%s: reach model %.4f, simulation "
	    "%.4f", sc->name, m->reach_stage, s->reach_stage);
	ck_assert_msg(fabs(m->reach_seq - s->reach_seq) <= 4.0 * m->sd_seq /
	    sqrt(n) + 0.0001, "%s: started model %.5f, simulation %.5f",
	    sc->name, m->reach_seq, s->reach_seq);
}

/* The daemon's gate also tests every member, which can only halt sooner:
 * campaign by campaign (the same devices), it halts whenever the stage
 * tests alone halt, no later, so it halts no less often and reaches no
 * further. */
static void
compare_nested(const struct scenario *sc, const struct outcome *s,
    const struct outcome *g)
{
	ck_assert_msg(g->halt >= s->halt, "%s: P(halt) stage tests %.5f, "
	    "daemon's gate %.5f", sc->name, s->halt, g->halt);
	ck_assert_msg(g->reach_stage <= s->reach_stage + 1e-12, "%s: reach "
	    "stage tests %.5f, daemon's gate %.5f", sc->name, s->reach_stage,
	    g->reach_stage);
	ck_assert_msg(g->reach_seq <= s->reach_seq + 1e-12, "%s: started "
	    "stage tests %.5f, daemon's gate %.5f", sc->name, s->reach_seq,
	    g->reach_seq);
}

/* The scenarios of docs/rollouts.md, "What the defaults give". */
static const struct scenario scenarios[] = {
	{ "release fails on every device", 1.0, 0.0, true, 2000 },
	{ "good release, 2% faulty hardware, no baseline", 0.02, 0.02, false, 600 },
	{ "good release, 2% faulty hardware, baseline", 0.02, 0.02, true, 300 },
	{ "good release, 3% faulty hardware, no baseline", 0.03, 0.03, false, 600 },
	{ "good release, 5% faulty hardware, no baseline", 0.05, 0.05, false, 600 },
	{ "good release, 5% faulty hardware, baseline", 0.05, 0.05, true, 300 },
	{ "release fails on 10% of devices", 0.10, 0.0, true, 1000 },
	{ "release fails on 20% of devices", 0.20, 0.0, true, 2000 },
	{ "release fails on 10%, 5% faulty hardware, baseline",
	    1.0 - 0.9 * 0.95, 0.05, true, 300 },
};

/* A share for the docs' table: "100%", "6.3%", "0.46%", "< 0.01%", and
 * never "100%" for what falls short of it: "99.97%", "> 99.99%". */
static void
fmt_share(double v, char *out, size_t size)
{
	v *= 100.0;
	if (v < 0.005)
		(void)snprintf(out, size, "< 0.01%%");
	else if (v < 100.0 && v >= 99.995)
		(void)snprintf(out, size, "> 99.99%%");
	else if (v < 100.0 && v >= 99.95)
		(void)snprintf(out, size, "%.2f%%", v);
	else
		(void)snprintf(out, size, v >= 10.0 ? "%.3g%%" : "%.2g%%", v);
}

/* The model's row of the table in docs/rollouts.md. */
static void
table_row(const struct scenario *sc, const struct outcome *m, char *out,
    size_t size)
{
	char h[16], s[NSTAGES][16], rs[16], rq[16];
	int j;

	fmt_share(m->halt, h, sizeof(h));
	for (j = 0; j < NSTAGES; j++)
		fmt_share(m->halt_at[j], s[j], sizeof(s[j]));
	fmt_share(m->reach_stage, rs, sizeof(rs));
	fmt_share(m->reach_seq, rq, sizeof(rq));
	ck_assert(snprintf(out, size, "| %s | %s | %s / %s / %s / %s | %s | "
	    "%s |", sc->name, h, s[0], s[1], s[2], s[3], rs, rq) <
	    (int)size);
}

static int
printing(void)
{
	return getenv("ROLLOUT_MODEL_PRINT") != NULL;
}

START_TEST(test_model_vs_simulation)
{
	const struct scenario *sc = &scenarios[_i];
	struct outcome m, s, g;

	model(sc, &m);
	simulate(sc, 0, 0x5eed0000 + (uint64_t)_i, &s);
	simulate(sc, 1, 0x5eed0000 + (uint64_t)_i, &g);
	if (printing())
		printf("%s (%d runs): P(halt) %.5f / %.5f / %.5f, stages "
		    "%.4f %.4f %.4f %.4f / %.4f %.4f %.4f %.4f, reach %.5f / "
		    "%.5f / %.5f, started %.5f / %.5f / %.5f\n", sc->name,
		    sc->runs, m.halt, s.halt, g.halt, m.halt_at[0], m.halt_at[1],
		    m.halt_at[2], m.halt_at[3], s.halt_at[0], s.halt_at[1],
		    s.halt_at[2], s.halt_at[3], m.reach_stage, s.reach_stage,
		    g.reach_stage, m.reach_seq, s.reach_seq, g.reach_seq);
	compare(sc, &m, &s);
	compare_nested(sc, &s, &g);
}
END_TEST

/* The docs print the model's numbers; they must be the model's. The
 * suite runs from the top of the tree (tests/run). */
START_TEST(test_model_documented)
{
	static char docs[200000];
	const struct scenario *sc = &scenarios[_i];
	struct outcome m;
	char row[512];
	FILE *fp = fopen("docs/rollouts.md", "r");
	size_t n;

	ck_assert_msg(fp != NULL, "run from the top of the tree");
	n = fread(docs, 1, sizeof(docs) - 1, fp);
	fclose(fp);
	docs[n] = '\0';
	model(sc, &m);
	table_row(sc, &m, row, sizeof(row));
	if (printing())
		printf("%s\n", row);
	ck_assert_msg(strstr(docs, row) != NULL, "docs/rollouts.md lacks: %s",
	    row);
}
END_TEST

/* The goals, on the model. */
START_TEST(test_model_goals)
{
	struct outcome m;

	/* Fails on every device: halts on its own, within 1.5% of the fleet
	 * even if the whole open stage took the offer. */
	model(&scenarios[0], &m);
	ck_assert(m.halt > 0.999999);
	ck_assert(m.reach_stage <= 0.015);
	/* A good release on 2-3% faulty hardware: halted by chance in at
	 * most 1% of campaigns (far fewer, in fact). */
	model(&scenarios[1], &m);
	ck_assert(m.halt <= 0.01);
	model(&scenarios[3], &m);
	ck_assert(m.halt <= 0.01);
	/* At exactly the allowed rate, false_halt_pct bounds the test; the
	 * stage-1 share rule (min_healthy_pct) adds its own. */
	model(&scenarios[4], &m);
	ck_assert(m.halt <= 0.03);
	model(&scenarios[5], &m);
	ck_assert(m.halt <= 0.01);
}
END_TEST

static Suite *
model_suite(void)
{
	Suite *s = suite_create("rollout_gate_model");
	TCase *tc;

	tc = tcase_create("model");
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_model_documented, 0,
	    (int)(sizeof(scenarios) / sizeof(scenarios[0])));
	tcase_add_test(tc, test_model_goals);
	tcase_add_loop_test(tc, test_model_vs_simulation, 0,
	    (int)(sizeof(scenarios) / sizeof(scenarios[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(model_suite());
}
