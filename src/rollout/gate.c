/* The stage gate: halt, advance, wait for approval, complete or continue. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rollout/rollout.h"

static const char *const verdict_names[ROLLOUT_VERDICTS] = {
	[ROLLOUT_CONTINUE] = "continue",
	[ROLLOUT_ADVANCE] = "advance",
	[ROLLOUT_AWAIT_APPROVAL] = "await_approval",
	[ROLLOUT_HALT] = "halt",
	[ROLLOUT_COMPLETE] = "complete",
};

const char *
rollout_verdict_name(enum rollout_verdict v)
{
	if ((unsigned)v >= ROLLOUT_VERDICTS)
		return NULL;
	return verdict_names[v];
}

/* The reason being written; a sentence that does not fit ends in "...". */
struct text {
	char *buf;
	size_t size;
	size_t len;
};

static void text_add(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len + 1 >= t->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->buf[t->len] = '\0';
		return;
	}
	if ((size_t)n >= t->size - t->len) {
		t->len = t->size - 1;
		memcpy(t->buf + t->len - 3, "...", 3);
		return;
	}
	t->len += (size_t)n;
}

/* A percentage in millionths of a percent, so boundaries compare exactly
 * as the decimal the fleet owner wrote (p is validated to [0, 100]). */
static int64_t
pct_micro(double p)
{
	return (int64_t)(p * 1e6 + 0.5);
}

/* part * 100 >= pct * whole, exactly; the caps on counts (1e10) and pct
 * (1e8 millionths) keep both products below 2^63. */
static int
at_least_pct(int64_t part, double pct, int64_t whole)
{
	return part * 100000000 >= pct_micro(pct) * whole;
}

/* Decimals needed to show a threshold as written: 1 for "5.0", 2 for "2.25". */
static int
threshold_prec(double v)
{
	int64_t scale = 10;
	int prec;

	for (prec = 1; prec < 6; prec++, scale *= 10)
		if ((int64_t)(v * (double)scale + 0.5) * (1000000 / scale) ==
		    pct_micro(v))
			break;
	return prec;
}

/* A threshold for people: "5.0", "2.25". */
static void
fmt_threshold(double v, char *out, size_t size)
{
	(void)snprintf(out, size, "%.*f", threshold_prec(v), v);
}

/* A measured percentage next to threshold t: one decimal, more where one
 * would show "90.0% < 90.0%" for 89.96. */
static void
fmt_pct(double v, double t, char *out, size_t size)
{
	char o[32];
	int prec = 1;

	(void)snprintf(out, size, "%.1f", v);
	(void)snprintf(o, sizeof(o), "%.1f", t);
	if (strcmp(out, o) != 0)
		return;
	for (prec = threshold_prec(t); prec <= 6; prec++) {
		(void)snprintf(out, size, "%.*f", prec, v);
		(void)snprintf(o, sizeof(o), "%.*f", prec, t);
		if (strcmp(out, o) != 0 || pct_micro(v) == pct_micro(t))
			break;
	}
}

/* Evidence for people: two decimals, or three digits when it is huge. */
static void
fmt_evidence(double v, char *out, size_t size)
{
	(void)snprintf(out, size, fabs(v) < 1e6 ? "%.2f" : "%.3g", v);
}

/* A duration for people: "45s", "20m", "1h05m", "3d4h" (rounded up). */
static void
fmt_dur(int64_t s, char *out, size_t size)
{
	long long m, h;

	if (s < 120) {
		(void)snprintf(out, size, "%llds", (long long)s);
	} else if (s < 3600) {
		(void)snprintf(out, size, "%lldm", (long long)((s + 59) / 60));
	} else if (s < 172800) {
		m = (long long)((s + 59) / 60);
		(void)snprintf(out, size, "%lldh%02lldm", m / 60, m % 60);
	} else {
		h = (long long)(s / 3600 + (s % 3600 != 0));
		(void)snprintf(out, size, "%lldd%lldh", h / 24, h % 24);
	}
}
/* Checks everything the gate reads; NULL if fine, else what is wrong. */
static const char *
check_input(const struct rollout_policy *p, const int *stages, int nstages,
    int stage_index, const struct rollout_counts *c, const char **detail)
{
	int64_t sum = 0;
	int i;

	*detail = "missing";
	if (p == NULL)
		return "policy";
	if (rollout_policy_validate(p, detail) != 0)
		return "policy field";
	if (rollout_stages_validate(stages, nstages, detail) != 0)
		return "stages:";
	if (stage_index < 0 || stage_index >= nstages) {
		*detail = "out of range";
		return "stage index";
	}
	*detail = "missing";
	if (c == NULL)
		return "counts";
	*detail = "do not add up to members";
	if (c->members < 0 || c->members > ROLLOUT_MAX_MEMBERS)
		return "counts";
	for (i = 0; i < ROLLOUT_DEV_STATES; i++) {
		if (c->by_state[i] < 0 || c->by_state[i] > ROLLOUT_MAX_MEMBERS)
			return "counts";
		sum += c->by_state[i];
	}
	if (sum != c->members)
		return "counts";
	*detail = "unseen outside 0..pending";
	if (c->unseen < 0 || c->unseen > c->by_state[ROLLOUT_DEV_PENDING])
		return "counts";
	*detail = "baseline out of range";
	if (c->baseline_reporting < 0 ||
	    c->baseline_reporting > ROLLOUT_MAX_MEMBERS ||
	    c->baseline_unhealthy < 0 ||
	    c->baseline_unhealthy > c->baseline_reporting)
		return "counts";
	return NULL;
}

/* Fills the numbers behind the decision. */
static void
tally(const struct rollout_policy *p, const struct rollout_counts *c,
    int64_t stage_opened_at, int64_t now, struct rollout_decision *d)
{
	const int64_t *n = c->by_state;
	uint64_t age;

	/* Superseded members moved on to a newer release: they have left
	 * the campaign and are neither evidence nor exposure. */
	d->superseded = n[ROLLOUT_DEV_SUPERSEDED];
	d->members = c->members - d->superseded;
	d->pending = n[ROLLOUT_DEV_PENDING];
	d->started = d->members - d->pending;
	d->in_flight = n[ROLLOUT_DEV_OFFERED] + n[ROLLOUT_DEV_DOWNLOADING] +
	    n[ROLLOUT_DEV_INSTALLED] + n[ROLLOUT_DEV_CONFIRMED];
	d->healthy = n[ROLLOUT_DEV_HEALTHY];
	d->failures = n[ROLLOUT_DEV_FAILED] + n[ROLLOUT_DEV_ROLLED_BACK] +
	    n[ROLLOUT_DEV_TIMED_OUT];
	/* A clock that went back makes the stage younger, never older. */
	if (now <= stage_opened_at) {
		d->stage_age = 0;
	} else {
		age = (uint64_t)now - (uint64_t)stage_opened_at;
		d->stage_age = age > (uint64_t)INT64_MAX ? INT64_MAX :
		    (int64_t)age;
	}
	d->bake_left = d->stage_age >= p->bake_time ? 0 :
	    p->bake_time - d->stage_age;
	d->stage_time_left = rollout_stage_time_left(p, d->stage_age);
	/* Only a device that has not polled can be absent: one that polls
	 * can still take the offer. */
	d->unseen = c->unseen;
	d->absent = d->stage_age >= p->absent_timeout ? c->unseen : 0;
	d->waiting = d->pending - d->absent;
	d->present = d->members - d->absent;
	d->needed = p->min_sample < d->present ? p->min_sample : d->present;
	if (d->started > 0) {
		d->failure_pct = (double)d->failures * 100.0 /
		    (double)d->started;
		d->healthy_pct = (double)d->healthy * 100.0 /
		    (double)d->started;
	}
}

/* The test's rates, thresholds and the two readings of the evidence. */
static void
judge(const struct rollout_policy *p, int nstages, int64_t reporting,
    int64_t unhealthy, struct rollout_decision *d, struct rollout_test *t)
{
	rollout_test_setup(p, nstages, reporting, unhealthy, t);
	d->baseline_pct = t->baseline * 100.0;
	d->allowed_pct = t->allowed * 100.0;
	d->bad_pct = t->bad * 100.0;
	d->halt_at = t->halt_at;
	d->pass_at = t->pass_at;
	/* In flight as good for the halt, as failed for the pass: what the
	 * in-flight devices do next can only confirm either verdict. */
	d->halt_evidence = rollout_evidence(t, d->failures,
	    d->started - d->failures);
	d->pass_evidence = rollout_evidence(t, d->failures + d->in_flight,
	    d->healthy);
}

/* The verdict of a stage that passed, with the end of its reason; a
 * paced stage younger than min_stage_time waits instead. */
static void
passed(const struct rollout_policy *p, const int *stages, int nstages,
    int stage_index, struct rollout_decision *d, struct text *t)
{
	char a[32], b[32];

	if (d->stage_time_left > 0) {
		fmt_dur(d->stage_age, a, sizeof(a));
		fmt_dur(p->min_stage_time, b, sizeof(b));
		d->verdict = ROLLOUT_CONTINUE;
		text_add(t, "; waiting: stage open %s of min %s", a, b);
		return;
	}
	if (stage_index == nstages - 1) {
		d->verdict = ROLLOUT_COMPLETE;
		text_add(t, ": last stage passed, completing");
	} else if (p->auto_advance) {
		d->verdict = ROLLOUT_ADVANCE;
		text_add(t, ": advancing to stage %d (%d%%)", stage_index + 2,
		    stages[stage_index + 1]);
	} else {
		d->verdict = ROLLOUT_AWAIT_APPROVAL;
		text_add(t, ": waiting for approval to advance to "
		    "stage %d (%d%%)", stage_index + 2,
		    stages[stage_index + 1]);
	}
}

/* What the decision needs beyond the counted devices. */
struct scope {
	int halt_only;		/* the halt test alone (rule 1) */
	/* the campaign so far (every member of the open stage), or NULL
	 * when the counted devices are all of it */
	const struct rollout_decision *whole;
	int64_t reporting;	/* the baseline */
	int64_t unhealthy;
};

/* The stage being judged, for people: "stage 2 (10%)". */
static void
stage_label(struct text *t, const int *stages, int stage_index)
{
	text_add(t, "stage %d (%d%%)", stage_index + 1, stages[stage_index]);
}

/* Rule 1: the failure rate is credibly above the allowed one. */
static void
halt_credible(const struct rollout_policy *p, const struct rollout_decision *d,
    struct text *t)
{
	char a[32], b[32];

	fmt_pct(d->failure_pct, d->allowed_pct, a, sizeof(a));
	fmt_threshold(p->max_failure_pct, b, sizeof(b));
	text_add(t, ": %lld of %lld started devices failed (%s%%), credibly "
	    "above the allowed ", (long long)d->failures,
	    (long long)d->started, a);
	if (d->baseline_pct > 0.0)
		text_add(t, "%.1f%% (%s%% on top of a %.1f%% baseline)",
		    d->allowed_pct, b, d->baseline_pct);
	else
		text_add(t, "%s%%", b);
	fmt_evidence(d->halt_evidence, a, sizeof(a));
	text_add(t, " (evidence %s \u2265 %.2f): halting", a, d->halt_at);
}

/* Rules 2 and 3: no device to judge, so no evidence either way. At the
 * last stage of a campaign where no device started, halt, or wait if one
 * still may. */
static void
nothing_to_judge(const struct rollout_policy *p, const int *stages,
    int nstages, int stage_index, const struct rollout_decision *whole,
    struct rollout_decision *d, struct text *t)
{
	char dur[32];
	int last = stage_index == nstages - 1;

	if (last && whole->started == 0 && whole->waiting > 0) {
		text_add(t, "waiting: no device of the campaign has started "
		    "yet; %lld may still start", (long long)whole->waiting);
		return;
	}
	if (last && whole->started == 0 && whole->members == 0) {
		d->verdict = ROLLOUT_HALT;
		text_add(t, "the campaign has no devices");
		if (whole->superseded > 0)
			text_add(t, " left (%lld superseded)",
			    (long long)whole->superseded);
		text_add(t, ": halting");
		return;
	}
	stage_label(t, stages, stage_index);
	if (d->members == 0) {
		text_add(t, " has no devices");
	} else {
		fmt_dur(p->absent_timeout, dur, sizeof(dur));
		text_add(t, ": none of its %lld devices showed up in %s",
		    (long long)d->members, dur);
	}
	if (last && whole->started == 0) {
		d->verdict = ROLLOUT_HALT;
		text_add(t, ", and no device of the campaign took the release; "
		    "nothing shows it works: halting");
		return;
	}
	text_add(t, ", nothing to judge");
	passed(p, stages, nstages, stage_index, d, t);
}

/* Rule 4: credibly below the bad rate, with the sample and the share. */
static void
pass_credible(const struct rollout_decision *d, struct text *t)
{
	char dur[32], e[32];

	fmt_dur(d->stage_age, dur, sizeof(dur));
	fmt_evidence(d->pass_evidence, e, sizeof(e));
	text_add(t, " passed after %s: %lld healthy, %lld failed, %lld in "
	    "flight of %lld started, credibly below %.1f%% (evidence %s "
	    "\u2264 %.2f)", dur, (long long)d->healthy, (long long)d->failures,
	    (long long)d->in_flight, (long long)d->started, d->bad_pct, e,
	    d->pass_at);
}

/* Rule 5: seen in full; floor is the healthy share it needs. */
static void
seen_in_full(const struct rollout_decision *d, double floor, int ok,
    struct text *t)
{
	char a[32], b[32], dur[32];

	fmt_pct(d->healthy_pct, floor, a, sizeof(a));
	fmt_threshold(floor, b, sizeof(b));
	if (ok) {
		fmt_dur(d->stage_age, dur, sizeof(dur));
		text_add(t, " passed after %s, seen in full: %lld of %lld "
		    "started devices healthy (%s%% \u2265 %s%%, %lld needed)",
		    dur, (long long)d->healthy, (long long)d->started, a, b,
		    (long long)d->needed);
		if (d->absent > 0)
			text_add(t, ", %lld absent", (long long)d->absent);
		return;
	}
	text_add(t, " has nothing left to wait for, with %lld of %lld "
	    "started devices failed: ", (long long)d->failures,
	    (long long)d->started);
	if (d->healthy < d->needed)
		text_add(t, "%lld healthy, %lld needed", (long long)d->healthy,
		    (long long)d->needed);
	else
		text_add(t, "healthy %s%% < %s%%", a, b);
	text_add(t, ": halting");
}

/* Rule 6: what the stage waits for; test_left: only the test is. */
static void
waiting_for(const struct rollout_policy *p, const struct rollout_decision *d,
    double floor, int test_left, struct text *t)
{
	const char *sep = " ";
	char a[32], b[32], dur[32];
	int64_t unseen = d->absent == 0 ? d->unseen : 0;

	text_add(t, "waiting:");
	if (d->healthy < d->needed) {
		text_add(t, "%s%lld of %lld healthy needed", sep,
		    (long long)d->healthy, (long long)d->needed);
		sep = "; ";
	}
	if (d->started == 0) {
		text_add(t, "%snone of %lld devices started yet", sep,
		    (long long)d->members);
		sep = "; ";
	} else if (!at_least_pct(d->healthy, floor, d->started)) {
		fmt_pct(d->healthy_pct, floor, a, sizeof(a));
		fmt_threshold(floor, b, sizeof(b));
		text_add(t, "%shealthy %s%% < %s%% of %lld started", sep, a, b,
		    (long long)d->started);
		sep = "; ";
	}
	if (d->failures > 0) {
		fmt_evidence(d->halt_evidence, a, sizeof(a));
		text_add(t, "%s%lld failed (evidence %s < %.2f)", sep,
		    (long long)d->failures, a, d->halt_at);
		sep = "; ";
	}
	if (test_left) {
		fmt_evidence(d->pass_evidence, a, sizeof(a));
		text_add(t, "%spass evidence %s > %.2f", sep, a, d->pass_at);
		sep = "; ";
	}
	if (d->in_flight > 0) {
		text_add(t, "%s%lld in flight", sep, (long long)d->in_flight);
		sep = "; ";
	}
	fmt_dur(p->absent_timeout - d->stage_age, dur, sizeof(dur));
	if (d->waiting > 0 && unseen == d->waiting)
		text_add(t, "%s%lld not seen yet (absent in %s)", sep,
		    (long long)unseen, dur);
	else if (unseen > 0)
		text_add(t, "%s%lld not started, %lld unseen (absent in %s)",
		    sep, (long long)d->waiting, (long long)unseen, dur);
	else if (d->waiting > 0)
		text_add(t, "%s%lld not started", sep, (long long)d->waiting);
	if (d->waiting > 0)
		sep = "; ";
	if (d->bake_left > 0) {
		fmt_dur(d->bake_left, dur, sizeof(dur));
		text_add(t, "%sbake %s left", sep, dur);
		sep = "; ";
	}
	if (d->stage_time_left > 0) {
		fmt_dur(d->stage_age, a, sizeof(a));
		fmt_dur(p->min_stage_time, b, sizeof(b));
		text_add(t, "%sstage open %s of min %s", sep, a, b);
	}
}

static void
gate_eval(const struct rollout_policy *p, const int *stages, int nstages,
    int stage_index, int64_t stage_opened_at, const struct rollout_counts *c,
    int64_t now, const struct scope *s, struct rollout_decision *d)
{
	struct text t;
	struct rollout_test test;
	const char *what, *detail = "";
	double floor;
	int seen_all, sample_ok, share_ok, ok, baked;

	memset(d, 0, sizeof(*d));
	d->verdict = ROLLOUT_CONTINUE;
	t.buf = d->reason;
	t.size = sizeof(d->reason);
	t.len = 0;

	what = check_input(p, stages, nstages, stage_index, c, &detail);
	if (what != NULL) {
		text_add(&t, "invalid input: %s %s; no decision", what, detail);
		return;
	}
	tally(p, c, stage_opened_at, now, d);
	judge(p, nstages, s->reporting, s->unhealthy, d, &test);

	/* 1. Halt first: nothing may outvote credible failure. */
	if (d->halt_evidence >= d->halt_at) {
		d->verdict = ROLLOUT_HALT;
		stage_label(&t, stages, stage_index);
		halt_credible(p, d, &t);
		return;
	}
	if (s->halt_only) {
		text_add(&t, "no halt");
		return;
	}

	/* 2, 3. Nothing to judge: move on, but never complete on nothing. */
	seen_all = d->in_flight == 0 && d->waiting == 0;
	if (d->members == 0 || (d->started == 0 && seen_all)) {
		nothing_to_judge(p, stages, nstages, stage_index,
		    s->whole != NULL ? s->whole : d, d, &t);
		return;
	}

	/* 4. Early pass: credibly good, enough healthy devices, baked. */
	floor = p->min_healthy_pct * (1.0 - test.baseline);
	sample_ok = d->healthy >= d->needed;
	share_ok = at_least_pct(d->healthy, floor, d->started);
	ok = sample_ok && share_ok;
	baked = d->stage_age >= p->bake_time;
	if (ok && baked && d->pass_evidence <= d->pass_at) {
		stage_label(&t, stages, stage_index);
		pass_credible(d, &t);
		passed(p, stages, nstages, stage_index, d, &t);
		return;
	}

	/* 5. Seen in full: decide now, never wait for ever. */
	if (seen_all && (!ok || baked)) {
		stage_label(&t, stages, stage_index);
		seen_in_full(d, floor, ok, &t);
		if (ok)
			passed(p, stages, nstages, stage_index, d, &t);
		else
			d->verdict = ROLLOUT_HALT;
		return;
	}

	/* 6. Say what the stage is waiting for. */
	waiting_for(p, d, floor, ok && !seen_all &&
	    d->pass_evidence > d->pass_at, &t);
}

void
rollout_gate(const struct rollout_policy *p, const int *stages, int nstages,
    int stage_index, int64_t stage_opened_at, const struct rollout_counts *c,
    int64_t now, struct rollout_decision *d)
{
	struct scope s = { 0, NULL, 0, 0 };

	if (c != NULL) {
		s.reporting = c->baseline_reporting;
		s.unhealthy = c->baseline_unhealthy;
	}
	gate_eval(p, stages, nstages, stage_index, stage_opened_at, c, now, &s,
	    d);
}

/* Drops a UTF-8 sequence cut short at the end of s. */
static void
utf8_trim(char *s)
{
	size_t n = strlen(s), i = n;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i > 0 && ((unsigned char)s[i - 1] & 0x80) != 0) {
		unsigned char lead = (unsigned char)s[i - 1];
		size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
		if (n - (i - 1) < want)
			s[i - 1] = '\0';
	}
}

void
rollout_gate_nested(const struct rollout_policy *p, const int *stages,
    int nstages, int stage_index, int64_t stage_opened_at,
    const struct rollout_counts *stage, const struct rollout_counts *added,
    int64_t now, struct rollout_decision *d)
{
	struct scope s = { 1, NULL, 0, 0 };
	struct rollout_decision nd;
	char reason[ROLLOUT_REASON_MAX];

	if (stage_index == 0 || added == NULL) {
		rollout_gate(p, stages, nstages, stage_index, stage_opened_at,
		    stage, now, d);
		d->scope = ROLLOUT_SCOPE_STAGE;
		return;
	}
	if (stage != NULL) {
		s.reporting = stage->baseline_reporting;
		s.unhealthy = stage->baseline_unhealthy;
	}
	gate_eval(p, stages, nstages, stage_index, stage_opened_at, stage, now,
	    &s, d);
	d->scope = ROLLOUT_SCOPE_STAGE;
	if (d->verdict == ROLLOUT_HALT ||
	    strncmp(d->reason, "invalid input", 13) == 0)
		return;
	s.halt_only = 0;
	s.whole = d;
	gate_eval(p, stages, nstages, stage_index, stage_opened_at, added, now,
	    &s, &nd);
	nd.scope = ROLLOUT_SCOPE_ADDED;
	/* The prefix may push the end out: cut on a character boundary. */
	{
		static const char pfx[] = "new devices: ";
		size_t n = strlen(nd.reason), room = sizeof(reason) - sizeof(pfx);

		if (n > room)
			n = room;
		memcpy(reason, pfx, sizeof(pfx) - 1);
		memcpy(reason + sizeof(pfx) - 1, nd.reason, n);
		reason[sizeof(pfx) - 1 + n] = '\0';
	}
	utf8_trim(reason);
	memcpy(nd.reason, reason, sizeof(nd.reason));
	*d = nd;
}
