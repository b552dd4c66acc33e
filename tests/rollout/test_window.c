/* Check suite for src/rollout/window.c: POSIX TZ rules (against glibc's
 * reading of the same tz database), DST edges, windows that cross
 * midnight, when a window opens and closes next (against a minute-by-
 * minute scan), which offers a closed window holds back, and the specs
 * refused. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_util.h"
#include "rollout/rollout.h"
#include "util/util.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))
#define HOUR	3600
#define DAY	86400

static int64_t
at(const char *s)
{
	int64_t t;

	ck_assert_msg(util_time_parse(s, &t) == 0, "bad time %s", s);
	return t;
}

/* A window in zone rule with one slot. */
static void
win1(struct rollout_window *w, const char *rule, uint8_t days, int start,
    int end)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->rule, sizeof(w->rule), "%s", rule);
	ck_assert_msg(rollout_tz_parse(rule, &w->zone) == 0, "rule %s", rule);
	w->nslots = 1;
	w->slot[0] = (struct rollout_slot){ days, start, end };
}

#define BERLIN	"CET-1CEST,M3.5.0,M10.5.0/3"
#define NEWYORK	"EST5EDT,M3.2.0,M11.1.0"
#define SYDNEY	"AEST-10AEDT,M10.1.0,M4.1.0/3"
#define MON 1
#define TUE 2
#define SAT 32
#define SUN 64

START_TEST(test_tz_parse)
{
	static const struct {
		const char *rule;
		int ok;
		int32_t std, dst;
	} t[] = {
		{ "UTC0", 1, 0, 0 },
		{ BERLIN, 1, 3600, 7200 },
		{ NEWYORK, 1, -5 * HOUR, -4 * HOUR },
		{ SYDNEY, 1, 10 * HOUR, 11 * HOUR },
		{ "<+0530>-05:30", 1, 5 * HOUR + 1800, 5 * HOUR + 1800 },
		{ "<-03>3", 1, -3 * HOUR, -3 * HOUR },
		{ "IST-2IDT,M3.4.4/26,M10.5.0", 1, 2 * HOUR, 3 * HOUR },
		{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1, -2 * HOUR, -HOUR },
		{ "EST5EDT", 1, -5 * HOUR, -4 * HOUR },	/* the US rule */
		{ "XXX3YYY2,J60/1,300", 1, -3 * HOUR, -2 * HOUR },
		{ "", 0, 0, 0 }, { "UT0", 0, 0, 0 }, { "CET", 0, 0, 0 },
		{ "CET-25", 0, 0, 0 }, { "CET-1CEST,M13.1.0,M10.5.0", 0, 0, 0 },
		{ "CET-1CEST,M3.6.0,M10.5.0", 0, 0, 0 },
		{ "CET-1CEST,M3.5.7,M10.5.0", 0, 0, 0 },
		{ "CET-1CEST,M3.5.0", 0, 0, 0 },
		{ "CET-1CEST,M3.5.0,M10.5.0/168", 0, 0, 0 },
		{ "CET-1CEST,J0,J365", 0, 0, 0 },
		{ "CET-1CEST,366,300", 0, 0, 0 },
		{ "AST-24DMAS", 0, 0, 0 },	/* summer 25 h ahead (fuzz) */
		{ "AzT24:06", 0, 0, 0 },	/* past 24:00 (fuzz) */
		{ "AzT-24:00:00", 1, 24 * HOUR, 24 * HOUR },
		{ "CET-1CEST,M3.5.0/167:00:01,M10.5.0", 0, 0, 0 },
		{ "AST-24DMAS-24", 1, 24 * HOUR, 24 * HOUR },
		{ "CET-1 ", 0, 0, 0 }, { "<+05-5", 0, 0, 0 },
		{ "CET-1:60", 0, 0, 0 }, { "CET-1CEST,M3.5.0,M10.5.0x", 0, 0, 0 },
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA0",
		    0, 0, 0 },		/* over ROLLOUT_TZ_RULE */
	};
	struct rollout_tz tz;

	for (size_t i = 0; i < N_ELEM(t); i++) {
		int rc = rollout_tz_parse(t[i].rule, &tz);

		ck_assert_msg(rc == (t[i].ok ? 0 : -1), "case %zu %s", i,
		    t[i].rule);
		if (t[i].ok) {
			ck_assert_msg(tz.std_off == t[i].std &&
			    tz.dst_off == t[i].dst, "case %zu: %d %d", i,
			    tz.std_off, tz.dst_off);
		}
	}
}
END_TEST

START_TEST(test_tz_edges)
{
	static const struct {
		const char *rule, *t;
		int32_t off;
	} t[] = {
		/* Berlin 2026: CEST from 29 March 01:00Z to 25 October 01:00Z */
		{ BERLIN, "2026-03-29T00:59:59Z", HOUR },
		{ BERLIN, "2026-03-29T01:00:00Z", 2 * HOUR },
		{ BERLIN, "2026-10-25T00:59:59Z", 2 * HOUR },
		{ BERLIN, "2026-10-25T01:00:00Z", HOUR },
		{ BERLIN, "2026-12-31T23:30:00Z", HOUR },	/* local new year */
		/* New York 2026: 8 March 07:00Z to 1 November 06:00Z */
		{ NEWYORK, "2026-03-08T06:59:59Z", -5 * HOUR },
		{ NEWYORK, "2026-03-08T07:00:00Z", -4 * HOUR },
		{ NEWYORK, "2026-11-01T05:59:59Z", -4 * HOUR },
		{ NEWYORK, "2026-11-01T06:00:00Z", -5 * HOUR },
		{ NEWYORK, "2027-01-01T02:00:00Z", -5 * HOUR },	/* 2026 there */
		/* Sydney: southern, DST over the new year */
		{ SYDNEY, "2026-01-15T00:00:00Z", 11 * HOUR },
		{ SYDNEY, "2026-04-04T15:59:59Z", 11 * HOUR },
		{ SYDNEY, "2026-04-04T16:00:00Z", 10 * HOUR },
		{ SYDNEY, "2026-10-03T15:59:59Z", 10 * HOUR },
		{ SYDNEY, "2026-10-03T16:00:00Z", 11 * HOUR },
		{ SYDNEY, "2026-12-31T14:00:00Z", 11 * HOUR },	/* 2027 there */
		{ "UTC0", "2026-06-01T00:00:00Z", 0 },
	};
	struct rollout_tz tz;

	for (size_t i = 0; i < N_ELEM(t); i++) {
		ck_assert_int_eq(rollout_tz_parse(t[i].rule, &tz), 0);
		ck_assert_msg(rollout_tz_offset(&tz, at(t[i].t)) == t[i].off,
		    "case %zu %s: %d", i, t[i].t, rollout_tz_offset(&tz,
		    at(t[i].t)));
	}
}
END_TEST

/* The offsets agree with glibc's localtime_r on the same zones' files,
 * every 5 hours for three years and around every change (this test is
 * single-threaded, so it may set TZ). */
START_TEST(test_tz_against_glibc)
{
	static const char *const zones[] = { "Europe/Berlin",
	    "America/New_York", "Australia/Sydney", "Asia/Kolkata",
	    "America/Sao_Paulo", "Pacific/Auckland", "Europe/London",
	    "America/Santiago", "Asia/Jerusalem", "UTC", "Europe/Dublin",
	    "Pacific/Chatham" };
	int64_t t0 = at("2026-01-01T00:00:00Z"), t1 = at("2029-01-01T00:00:00Z");
	char rule[ROLLOUT_TZ_RULE];
	struct rollout_tz tz;
	struct tm tm;
	int checked = 0;

	for (size_t z = 0; z < N_ELEM(zones); z++) {
		if (util_tz_rule(zones[z], rule, sizeof(rule)) != 0)
			continue;	/* a trimmed tz database */
		ck_assert_msg(rollout_tz_parse(rule, &tz) == 0, "%s: %s",
		    zones[z], rule);
		setenv("TZ", zones[z], 1);
		tzset();
		for (int64_t t = t0; t < t1; t += 5 * HOUR + 17) {
			int32_t prev = rollout_tz_offset(&tz, t - 5 * HOUR - 17);
			time_t tt = (time_t)t;

			localtime_r(&tt, &tm);
			ck_assert_msg(tm.tm_gmtoff == rollout_tz_offset(&tz, t),
			    "%s at %lld: glibc %ld, ours %d", zones[z],
			    (long long)t, tm.tm_gmtoff, rollout_tz_offset(&tz, t));
			/* A change in between: find it, check both sides. */
			if (prev != rollout_tz_offset(&tz, t)) {
				int64_t lo = t - 5 * HOUR - 17, hi = t;

				while (hi - lo > 1) {
					int64_t mid = lo + (hi - lo) / 2;

					if (rollout_tz_offset(&tz, mid) == prev)
						lo = mid;
					else
						hi = mid;
				}
				for (int64_t s = lo - 1; s <= hi + 1; s++) {
					tt = (time_t)s;
					localtime_r(&tt, &tm);
					ck_assert_msg(tm.tm_gmtoff ==
					    rollout_tz_offset(&tz, s),
					    "%s at change %lld", zones[z],
					    (long long)s);
				}
			}
			checked++;
		}
	}
	unsetenv("TZ");
	ck_assert_msg(checked > 0, "no zone of the tz database was found");
}
END_TEST

START_TEST(test_tz_fixed)
{
	static const struct {
		const char *name, *rule;
		int32_t off;
	} t[] = {
		{ "UTC", "UTC0", 0 }, { "Z", "UTC0", 0 },
		{ "+05:30", "<+0530>-05:30", 5 * HOUR + 1800 },
		{ "-03:00", "<-0300>+03:00", -3 * HOUR },
		{ "+14:00", "<+1400>-14:00", 14 * HOUR },
		{ "+00:00", "<+0000>-00:00", 0 },
		{ "+14:01", NULL, 0 }, { "+5:30", NULL, 0 }, { "05:30", NULL, 0 },
		{ "+05:60", NULL, 0 }, { "+05-30", NULL, 0 }, { "utc", NULL, 0 },
		{ "Europe/Berlin", NULL, 0 }, { "", NULL, 0 },
	};
	char rule[ROLLOUT_TZ_RULE];
	struct rollout_tz tz;

	for (size_t i = 0; i < N_ELEM(t); i++) {
		int rc = rollout_tz_fixed(t[i].name, rule);

		ck_assert_msg(rc == (t[i].rule ? 0 : -1), "case %zu", i);
		if (t[i].rule == NULL)
			continue;
		ck_assert_str_eq(rule, t[i].rule);
		ck_assert_int_eq(rollout_tz_parse(rule, &tz), 0);
		ck_assert_int_eq(rollout_tz_offset(&tz, 1800000000), t[i].off);
	}
}
END_TEST

START_TEST(test_hhmm_days)
{
	static const struct {
		const char *s;
		int end, min;
	} t[] = {
		{ "00:00", 0, 0 }, { "23:59", 0, 1439 }, { "24:00", 1, 1440 },
		{ "04:30", 1, 270 }, { "24:00", 0, -1 }, { "24:01", 1, -1 },
		{ "12:60", 0, -1 }, { "1:00", 0, -1 }, { "01:00:00", 0, -1 },
		{ "ab:cd", 0, -1 }, { "", 0, -1 }, { "25:00", 1, -1 },
	};
	char buf[6];
	int m;

	for (size_t i = 0; i < N_ELEM(t); i++) {
		int rc = rollout_hhmm_parse(t[i].s, t[i].end, &m);

		ck_assert_msg(rc == (t[i].min >= 0 ? 0 : -1), "case %zu", i);
		if (t[i].min >= 0) {
			ck_assert_int_eq(m, t[i].min);
			rollout_hhmm_fmt(m, buf);
			ck_assert_str_eq(buf, t[i].s);
		}
	}
	ck_assert_int_eq(rollout_day_parse("mon"), 0);
	ck_assert_int_eq(rollout_day_parse("sun"), 6);
	ck_assert_int_eq(rollout_day_parse("Mon"), -1);
	ck_assert_int_eq(rollout_day_parse("monday"), -1);
	ck_assert_str_eq(rollout_day_name(5), "sat");
	ck_assert_ptr_null(rollout_day_name(7));
}
END_TEST

START_TEST(test_validate)
{
	static const struct {
		int nslots;
		struct rollout_slot s;
		int ok;
	} t[] = {
		{ 0, { 0, 0, 0 }, 1 },			/* no window */
		{ 1, { 1, 0, 1440 }, 1 },		/* all Monday */
		{ 1, { 127, 1320, 240 }, 1 },		/* nightly, over midnight */
		{ 1, { 0, 60, 120 }, 0 },		/* no day */
		{ 1, { 128, 60, 120 }, 0 },
		{ 1, { 1, 60, 60 }, 0 },		/* empty */
		{ 1, { 1, 1440, 60 }, 0 },		/* start 24:00 */
		{ 1, { 1, 60, 0 }, 0 },			/* end 00:00 */
		{ 1, { 1, -1, 60 }, 0 },
		{ 9, { 1, 60, 120 }, 0 },		/* too many */
		{ -1, { 1, 60, 120 }, 0 },
	};
	struct rollout_window w;
	struct rollout_policy p;
	const char *why = NULL;

	for (size_t i = 0; i < N_ELEM(t); i++) {
		memset(&w, 0, sizeof(w));
		w.nslots = t[i].nslots;
		for (int k = 0; k < ROLLOUT_WINDOW_SLOTS; k++)
			w.slot[k] = t[i].s;
		ck_assert_msg(rollout_window_validate(&w, &why) ==
		    (t[i].ok ? 0 : -1), "case %zu", i);
		rollout_policy_default(&p);
		p.window = w;
		ck_assert_int_eq(rollout_policy_validate(&p, &why),
		    t[i].ok ? 0 : -1);
		if (!t[i].ok)
			ck_assert_str_eq(why, "window");
	}
	rollout_policy_default(&p);
	ck_assert_int_eq(p.window.nslots, 0);
}
END_TEST

START_TEST(test_open)
{
	static const struct {
		const char *rule;
		uint8_t days;
		int start, end;
		const char *t;
		int open;
	} t[] = {
		/* 2026-11-23 is a Monday. Monday 22:00-04:00 in Berlin
		 * (CET, UTC+1), crossing midnight. */
		{ BERLIN, MON, 1320, 240, "2026-11-23T20:59:59Z", 0 },
		{ BERLIN, MON, 1320, 240, "2026-11-23T21:00:00Z", 1 },
		{ BERLIN, MON, 1320, 240, "2026-11-24T02:59:59Z", 1 },
		{ BERLIN, MON, 1320, 240, "2026-11-24T03:00:00Z", 0 },
		{ BERLIN, MON, 1320, 240, "2026-11-24T21:30:00Z", 0 },	/* Tue */
		{ BERLIN, MON, 1320, 240, "2026-11-22T23:30:00Z", 0 },	/* Mon 00:30 */
		/* The same in summer: CEST, an hour earlier in UTC */
		{ BERLIN, MON, 1320, 240, "2026-06-22T20:00:00Z", 1 },
		{ BERLIN, MON, 1320, 240, "2026-06-22T19:59:59Z", 0 },
		/* Sunday's slot running into Monday, across the week */
		{ "UTC0", SUN, 1380, 60, "2026-11-23T00:30:00Z", 1 },
		{ "UTC0", SUN, 1380, 60, "2026-11-23T01:00:00Z", 0 },
		{ "UTC0", SUN, 1380, 60, "2026-11-22T22:59:59Z", 0 },
		/* to 24:00 */
		{ "UTC0", SAT, 0, 1440, "2026-11-21T23:59:59Z", 1 },
		{ "UTC0", SAT, 0, 1440, "2026-11-22T00:00:00Z", 0 },
		{ "UTC0", SAT, 0, 1440, "2026-11-21T00:00:00Z", 1 },
		/* DST gap: 29 March 2026, 02:00-03:00 CET does not exist. A
		 * slot from 02:30 opens as the clock jumps to 03:00 CEST. */
		{ BERLIN, SUN, 150, 240, "2026-03-29T00:59:59Z", 0 },
		{ BERLIN, SUN, 150, 240, "2026-03-29T01:00:00Z", 1 },
		{ BERLIN, SUN, 150, 240, "2026-03-29T01:59:59Z", 1 },
		{ BERLIN, SUN, 150, 240, "2026-03-29T02:00:00Z", 0 },
		/* A slot all inside the gap never opens that day. */
		{ BERLIN, SUN, 120, 170, "2026-03-29T00:59:59Z", 0 },
		{ BERLIN, SUN, 120, 170, "2026-03-29T01:00:00Z", 0 },
		{ BERLIN, SUN, 120, 170, "2026-03-22T01:10:00Z", 1 },
		/* Fall back: 25 October 2026, 02:00-03:00 happens twice. */
		{ BERLIN, SUN, 120, 180, "2026-10-24T23:59:59Z", 0 },
		{ BERLIN, SUN, 120, 180, "2026-10-25T00:00:00Z", 1 },
		{ BERLIN, SUN, 120, 180, "2026-10-25T01:30:00Z", 1 },
		{ BERLIN, SUN, 120, 180, "2026-10-25T01:59:59Z", 1 },
		{ BERLIN, SUN, 120, 180, "2026-10-25T02:00:00Z", 0 },
		/* Sydney, southern summer: AEDT (UTC+11) */
		{ SYDNEY, MON, 60, 300, "2026-01-04T14:00:00Z", 1 },
		{ SYDNEY, MON, 60, 300, "2026-01-04T13:59:59Z", 0 },
	};
	struct rollout_window w;

	for (size_t i = 0; i < N_ELEM(t); i++) {
		win1(&w, t[i].rule, t[i].days, t[i].start, t[i].end);
		ck_assert_msg(rollout_window_open(&w, at(t[i].t)) == t[i].open,
		    "case %zu at %s", i, t[i].t);
	}
	memset(&w, 0, sizeof(w));
	ck_assert_int_eq(rollout_window_open(&w, 0), 1);	/* no window */
	ck_assert_int_eq(rollout_window_next(&w, 0, 1), 0);
	ck_assert_int_eq(rollout_window_next(&w, 0, 0), 0);
}
END_TEST

START_TEST(test_next)
{
	static const struct {
		const char *rule;
		uint8_t days;
		int start, end;
		const char *now, *open, *close;
	} t[] = {
		{ BERLIN, MON, 1320, 240, "2026-11-23T12:00:00Z",
		    "2026-11-23T21:00:00Z", "2026-11-24T03:00:00Z" },
		/* open now: next opening is a week on */
		{ BERLIN, MON, 1320, 240, "2026-11-23T22:00:00Z",
		    "2026-11-30T21:00:00Z", "2026-11-24T03:00:00Z" },
		/* at the second it opens: the next one */
		{ BERLIN, MON, 1320, 240, "2026-11-23T21:00:00Z",
		    "2026-11-30T21:00:00Z", "2026-11-24T03:00:00Z" },
		/* the second before */
		{ BERLIN, MON, 1320, 240, "2026-11-23T20:59:59Z",
		    "2026-11-23T21:00:00Z", "2026-11-24T03:00:00Z" },
		/* across the DST change: the week after it, an hour later */
		{ BERLIN, MON, 1320, 240, "2026-10-20T12:00:00Z",
		    "2026-10-26T21:00:00Z", "2026-10-27T03:00:00Z" },
		{ BERLIN, SUN, 150, 240, "2026-03-28T12:00:00Z",
		    "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z" },
		{ BERLIN, SUN, 120, 180, "2026-10-24T12:00:00Z",
		    "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z" },
		/* gap slot: skips the day of the change */
		{ BERLIN, SUN, 120, 170, "2026-03-28T12:00:00Z",
		    "2026-04-05T00:00:00Z", "2026-04-05T00:50:00Z" },
		{ NEWYORK, TUE, 0, 1440, "2026-11-23T12:00:00Z",
		    "2026-11-24T05:00:00Z", "2026-11-25T05:00:00Z" },
		/* always open (every day, all day): opens and closes never */
		{ "UTC0", 127, 0, 1440, "2026-11-23T12:00:00Z", NULL, NULL },
	};
	struct rollout_window w;

	for (size_t i = 0; i < N_ELEM(t); i++) {
		win1(&w, t[i].rule, t[i].days, t[i].start, t[i].end);
		ck_assert_msg(rollout_window_next(&w, at(t[i].now), 1) ==
		    (t[i].open ? at(t[i].open) : 0), "case %zu open", i);
		ck_assert_msg(rollout_window_next(&w, at(t[i].now), 0) ==
		    (t[i].close ? at(t[i].close) : 0), "case %zu close", i);
	}
}
END_TEST

/* Reference: the first minute boundary after now where the window is as
 * wanted and was not a second before (every change of these zones and
 * slots falls on a minute), scanning minute by minute. */
static int64_t
scan_next(const struct rollout_window *w, int64_t now, int want)
{
	int64_t t = (now / 60 + 1) * 60;

	for (; t <= now + (int64_t)ROLLOUT_WINDOW_HORIZON * DAY; t += 60)
		if (rollout_window_open(w, t) == want &&
		    rollout_window_open(w, t - 1) != want)
			return t;
	return 0;
}

static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Property: for random windows of up to 8 slots in DST zones and random
 * times (many around the changes), rollout_window_next is the scan's
 * answer, and the window holds still from now until then. */
START_TEST(test_next_property)
{
	static const char *const rules[] = { BERLIN, NEWYORK, SYDNEY, "UTC0",
	    "<+0530>-05:30" };
	int64_t base = at("2026-03-20T00:00:00Z");
	struct rollout_window w;
	uint64_t x = 88172645463325252ull;

	for (int n = 0; n < 300; n++) {
		int64_t now, a, b;

#define RND() xorshift(&x)
		memset(&w, 0, sizeof(w));
		snprintf(w.rule, sizeof(w.rule), "%s", rules[RND() % 5]);
		ck_assert_int_eq(rollout_tz_parse(w.rule, &w.zone), 0);
		w.nslots = 1 + (int)(RND() % 3);
		for (int k = 0; k < w.nslots; k++) {
			w.slot[k].days = (uint8_t)(1 + RND() % 127);
			w.slot[k].start = (int)(RND() % 96) * 15;
			do
				w.slot[k].end = 15 + (int)(RND() % 96) * 15;
			while (w.slot[k].end == w.slot[k].start);
		}
		ck_assert_int_eq(rollout_window_validate(&w, NULL), 0);
		now = base + (int64_t)(RND() % (400 * DAY));
		now += (int64_t)(RND() % 60);
		a = rollout_window_next(&w, now, 1);
		b = rollout_window_next(&w, now, 0);
		ck_assert_msg(a == scan_next(&w, now, 1), "case %d open", n);
		ck_assert_msg(b == scan_next(&w, now, 0), "case %d close", n);
		/* open now iff it closes before it opens again */
		if (a != 0 && b != 0)
			ck_assert_int_eq(rollout_window_open(&w, now), b < a);
#undef RND
	}
}
END_TEST

START_TEST(test_holds)
{
	static const struct {
		enum rollout_offer_kind kind;
		const char *now;
		int held;
		int64_t wait;
	} t[] = {
		{ ROLLOUT_OFFER_FIRST, "2026-11-23T20:00:00Z", 1, HOUR },
		{ ROLLOUT_OFFER_RETRY, "2026-11-23T20:00:00Z", 1, HOUR },
		{ ROLLOUT_OFFER_AGAIN, "2026-11-23T20:00:00Z", 0, 0 },	/* mid-update */
		{ ROLLOUT_OFFER_NONE, "2026-11-23T20:00:00Z", 0, 0 },
		{ ROLLOUT_OFFER_FIRST, "2026-11-23T22:00:00Z", 0, 0 },	/* open */
		{ ROLLOUT_OFFER_RETRY, "2026-11-24T02:59:59Z", 0, 0 },
		{ ROLLOUT_OFFER_FIRST, "2026-11-24T03:00:00Z", 1,
		    7 * DAY - 6 * HOUR },
	};
	struct rollout_window w;
	int64_t wait = -7;

	win1(&w, BERLIN, MON, 1320, 240);
	for (size_t i = 0; i < N_ELEM(t); i++) {
		ck_assert_msg(rollout_window_holds(t[i].kind, &w, at(t[i].now),
		    &wait) == t[i].held, "case %zu", i);
		ck_assert_msg(wait == t[i].wait, "case %zu: wait %lld", i,
		    (long long)wait);
		ck_assert_int_eq(rollout_window_holds(t[i].kind, &w,
		    at(t[i].now), NULL), t[i].held);
	}
	memset(&w, 0, sizeof(w));
	ck_assert_int_eq(rollout_window_holds(ROLLOUT_OFFER_FIRST, &w, 0, &wait),
	    0);
}
END_TEST

START_TEST(test_retry_after)
{
	static const struct {
		int64_t wait, interval, hint;
	} t[] = {
		{ 30, 300, 30 },	/* opens before the next poll */
		{ 3600, 300, 300 },	/* capped by the poll interval */
		{ 300, 300, 300 },
		{ 0, 300, 300 },	/* unknown */
		{ -5, 300, 300 },
		{ 1, 300, 1 },
		{ 10, 0, 1 },		/* a nonsense interval: 1 s */
	};

	for (size_t i = 0; i < N_ELEM(t); i++)
		ck_assert_msg(rollout_window_retry_after(t[i].wait,
		    t[i].interval) == t[i].hint, "case %zu", i);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rollout_window");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_tz_parse);
	tcase_add_test(tc, test_tz_edges);
	tcase_add_test(tc, test_tz_against_glibc);
	tcase_add_test(tc, test_tz_fixed);
	tcase_add_test(tc, test_hhmm_days);
	tcase_add_test(tc, test_validate);
	tcase_add_test(tc, test_open);
	tcase_add_test(tc, test_next);
	tcase_add_test(tc, test_next_property);
	tcase_add_test(tc, test_holds);
	tcase_add_test(tc, test_retry_after);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
