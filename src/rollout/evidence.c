/* The gate's sequential test: its rates, the baseline and the evidence. */
#include <math.h>

#include "rollout/rollout.h"

/* Kullback-Leibler divergence of Bernoulli(q) from Bernoulli(a), q in
 * (0, 1): a ln(a/q) + (1-a) ln((1-a)/(1-q)), with 0 ln 0 = 0. */
static double
kl(double a, double q)
{
	double d = 0.0;

	if (a > 0.0)
		d += a * log(a / q);
	if (a < 1.0)
		d += (1.0 - a) * log((1.0 - a) / (1.0 - q));
	return d;
}

double
rollout_baseline_low(int64_t unhealthy, int64_t reporting, double miss)
{
	double a, lo = 0.0, hi, mid, budget;
	int i;

	if (reporting <= 0 || unhealthy <= 0 || unhealthy > reporting ||
	    !(miss > 0.0 && miss < 1.0))
		return 0.0;
	a = (double)unhealthy / (double)reporting;
	budget = log(1.0 / miss) / (double)reporting;
	/* Chernoff: P(rate seen >= a | true q) <= exp(-n KL(a, q)) for
	 * q < a, so the q where n KL(a, q) = ln(1 / miss) is a lower bound
	 * that holds for every n, small ones included (n KL is
	 * decreasing in q on (0, a]). */
	hi = a;
	for (i = 0; i < 100; i++) {
		mid = (lo + hi) / 2.0;
		if (kl(a, mid) > budget)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

void
rollout_test_setup(const struct rollout_policy *p, int nstages,
    int64_t reporting, int64_t unhealthy, struct rollout_test *t)
{
	double miss = p->miss_pct / 100.0;
	double keep;

	t->baseline = p->baseline ?
	    rollout_baseline_low(unhealthy, reporting, miss) : 0.0;
	/* The release may fail r0 of the devices the hardware leaves alone:
	 * failures from either cause, assumed independent. */
	keep = 1.0 - t->baseline;
	t->allowed = 1.0 - (1.0 - p->max_failure_pct / 100.0) * keep;
	t->bad = 1.0 - (1.0 - p->bad_failure_pct / 100.0) * keep;
	t->w_fail = log(t->bad / t->allowed);
	t->w_ok = log((1.0 - t->bad) / (1.0 - t->allowed));
	/* One test per stage (stage 1's continues over every member):
	 * Ville's inequality bounds each by false_halt_pct / nstages. */
	t->halt_at = log((double)(nstages > 0 ? nstages : 1) * 100.0 /
	    p->false_halt_pct);
	t->pass_at = log(miss);
}

double
rollout_evidence(const struct rollout_test *t, int64_t failures,
    int64_t successes)
{
	return (double)failures * t->w_fail + (double)successes * t->w_ok;
}
