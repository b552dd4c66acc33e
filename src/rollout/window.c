/* Maintenance windows: POSIX TZ rules, the wall clock of a zone at an
 * instant, and when a campaign's recurring windows open and close. */
#include <string.h>

#include "rollout/rollout.h"

#define DAY 86400

/* ---- civil dates (H. Hinnant's algorithms, proleptic Gregorian) ---- */

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t
year_of_days(int64_t z)
{
	int64_t era, doe, yoe, y, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return y + (mp >= 10);
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int64_t y, int m)
{
	static const int n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	return m == 2 && is_leap(y) ? 29 : n[m - 1];
}

/* ---- POSIX TZ rules ---- */

struct rd {
	const char *s;
};

static int
digits(struct rd *r, int max_digits, int *out)
{
	int n = 0, v = 0;

	while (n < max_digits && r->s[0] >= '0' && r->s[0] <= '9') {
		v = v * 10 + (r->s[0] - '0');
		r->s++;
		n++;
	}
	*out = v;
	return n > 0 ? 0 : -1;
}

static int
zone_name(struct rd *r)
{
	int n = 0;

	if (r->s[0] == '<') {
		r->s++;
		while ((r->s[0] >= 'A' && r->s[0] <= 'Z') ||
		    (r->s[0] >= 'a' && r->s[0] <= 'z') ||
		    (r->s[0] >= '0' && r->s[0] <= '9') || r->s[0] == '+' ||
		    r->s[0] == '-') {
			r->s++;
			n++;
		}
		if (r->s[0] != '>')
			return -1;
		r->s++;
	} else
		while ((r->s[0] >= 'A' && r->s[0] <= 'Z') ||
		    (r->s[0] >= 'a' && r->s[0] <= 'z')) {
			r->s++;
			n++;
		}
	return n >= 3 ? 0 : -1;
}

/* [+-]hh[:mm[:ss]] with hours up to max_h, into seconds. */
static int
hms(struct rd *r, int max_h, int32_t *out)
{
	int sign = 1, h, m = 0, sec = 0;

	if (r->s[0] == '+' || r->s[0] == '-')
		sign = *r->s++ == '-' ? -1 : 1;
	if (digits(r, 3, &h) != 0 || h > max_h)
		return -1;
	if (r->s[0] == ':') {
		r->s++;
		if (digits(r, 2, &m) != 0 || m > 59)
			return -1;
		if (r->s[0] == ':') {
			r->s++;
			if (digits(r, 2, &sec) != 0 || sec > 59)
				return -1;
		}
	}
	/* POSIX's hours run to 24 (167 for a change's time): 24:00:00, not
	 * a second past it. */
	if (h * 3600 + m * 60 + sec > max_h * 3600)
		return -1;
	*out = sign * (h * 3600 + m * 60 + sec);
	return 0;
}

static int
change(struct rd *r, struct rollout_tz_change *c)
{
	c->a = c->b = c->c = 0;
	c->time = 7200;
	if (r->s[0] == 'M') {
		r->s++;
		c->kind = 'M';
		if (digits(r, 2, &c->a) || c->a < 1 || c->a > 12 ||
		    *r->s++ != '.' || digits(r, 1, &c->b) || c->b < 1 ||
		    c->b > 5 || *r->s++ != '.' || digits(r, 1, &c->c) ||
		    c->c > 6)
			return -1;
	} else if (r->s[0] == 'J') {
		r->s++;
		c->kind = 'J';
		if (digits(r, 3, &c->a) || c->a < 1 || c->a > 365)
			return -1;
	} else {
		c->kind = 'D';
		if (digits(r, 3, &c->a) || c->a > 365)
			return -1;
	}
	if (r->s[0] == '/') {
		r->s++;
		return hms(r, 167, &c->time);
	}
	return 0;
}

int
rollout_tz_parse(const char *rule, struct rollout_tz *tz)
{
	struct rd r = { rule };
	int32_t off;

	memset(tz, 0, sizeof(*tz));
	if (strnlen(rule, ROLLOUT_TZ_RULE) >= ROLLOUT_TZ_RULE ||
	    zone_name(&r) || hms(&r, 24, &off))
		return -1;
	tz->std_off = tz->dst_off = -off;	/* POSIX counts west */
	if (r.s[0] == '\0')
		return 0;
	if (zone_name(&r))
		return -1;
	tz->dst = true;
	tz->dst_off = tz->std_off + 3600;
	if (r.s[0] != ',' && r.s[0] != '\0') {
		if (hms(&r, 24, &off))
			return -1;
		tz->dst_off = -off;
	}
	/* A summer time an hour ahead of a standard one a day ahead would be
	 * more than a day off UTC: no zone is. */
	if (tz->dst_off < -86400 || tz->dst_off > 86400)
		return -1;
	if (r.s[0] == '\0') {
		/* No rule: POSIX leaves it to the system; glibc and the tz
		 * database take the US's. */
		tz->start = (struct rollout_tz_change){ 'M', 3, 2, 0, 7200 };
		tz->end = (struct rollout_tz_change){ 'M', 11, 1, 0, 7200 };
		return 0;
	}
	if (*r.s++ != ',' || change(&r, &tz->start) || *r.s++ != ',' ||
	    change(&r, &tz->end) || r.s[0] != '\0')
		return -1;
	return 0;
}

int
rollout_tz_fixed(const char *name, char rule[ROLLOUT_TZ_RULE])
{
	int h, m;
	struct rd r;

	if (strcmp(name, "UTC") == 0 || strcmp(name, "Z") == 0) {
		memcpy(rule, "UTC0", 5);
		return 0;
	}
	if ((name[0] != '+' && name[0] != '-') || strlen(name) != 6 ||
	    name[3] != ':')
		return -1;
	r.s = name + 1;
	if (digits(&r, 2, &h) || r.s != name + 3 || (r.s++, digits(&r, 2, &m)) ||
	    r.s[0] != '\0' || m > 59 || h * 60 + m > 14 * 60)
		return -1;
	/* <+0200>-02:00: the name as written, the offset west as POSIX
	 * counts it. */
	rule[0] = '<';
	rule[1] = name[0];
	rule[2] = name[1];
	rule[3] = name[2];
	rule[4] = name[4];
	rule[5] = name[5];
	rule[6] = '>';
	rule[7] = name[0] == '+' ? '-' : '+';
	memcpy(rule + 8, name + 1, 5);
	rule[13] = '\0';
	return 0;
}

/* The UTC second of change c in year y, for a clock at offset off
 * before it. */
static int64_t
change_at(const struct rollout_tz_change *c, int64_t y, int32_t off)
{
	int64_t d;

	if (c->kind == 'M') {
		int64_t first = days_from_civil(y, c->a, 1);
		int wd = (int)((first % 7 + 7 + 4) % 7);	/* 0: Sunday */
		int md = 1 + (c->c - wd + 7) % 7 + (c->b - 1) * 7;

		while (md > month_days(y, c->a))
			md -= 7;
		d = first + md - 1;
	} else if (c->kind == 'J')
		d = days_from_civil(y, 1, 1) + c->a - 1 +
		    (is_leap(y) && c->a >= 60);
	else
		d = days_from_civil(y, 1, 1) + c->a;
	return d * DAY + c->time - off;
}

int32_t
rollout_tz_offset(const struct rollout_tz *tz, int64_t t)
{
	int64_t y, s, e;
	int in;

	if (!tz->dst)
		return tz->std_off;
	y = year_of_days(floor_div(t + tz->std_off, DAY));
	s = change_at(&tz->start, y, tz->std_off);
	e = change_at(&tz->end, y, tz->dst_off);
	/* Northern: DST from start to end; southern: all but end..start. */
	in = s < e ? (t >= s && t < e) : !(t >= e && t < s);
	return in ? tz->dst_off : tz->std_off;
}

/* ---- hours and days ---- */

int
rollout_hhmm_parse(const char *s, int end, int *min)
{
	int h, m;

	if (strlen(s) != 5 || s[2] != ':' || s[0] < '0' || s[0] > '9' ||
	    s[1] < '0' || s[1] > '9' || s[3] < '0' || s[3] > '9' ||
	    s[4] < '0' || s[4] > '9')
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && (m != 0 || !end)))
		return -1;
	*min = h * 60 + m;
	return 0;
}

void
rollout_hhmm_fmt(int min, char buf[static 6])
{
	if (min < 0 || min > 1440)
		min = 0;
	buf[0] = (char)('0' + min / 600);
	buf[1] = (char)('0' + min / 60 % 10);
	buf[2] = ':';
	buf[3] = (char)('0' + min % 60 / 10);
	buf[4] = (char)('0' + min % 10);
	buf[5] = '\0';
}

static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri",
	"sat", "sun" };

int
rollout_day_parse(const char *s)
{
	for (int i = 0; i < 7; i++)
		if (strcmp(s, day_names[i]) == 0)
			return i;
	return -1;
}

const char *
rollout_day_name(int bit)
{
	return bit >= 0 && bit < 7 ? day_names[bit] : NULL;
}

/* ---- windows ---- */

int
rollout_window_validate(const struct rollout_window *w, const char **why)
{
	const char *bad = NULL;

	if (w->nslots < 0 || w->nslots > ROLLOUT_WINDOW_SLOTS)
		bad = "slots: 1 to 8 slots";
	for (int i = 0; bad == NULL && i < w->nslots; i++) {
		const struct rollout_slot *s = &w->slot[i];

		if (s->days < 1 || s->days > 127)
			bad = "days: name one or more of mon..sun";
		else if (s->start < 0 || s->start > 1439)
			bad = "start: must be 00:00 to 23:59";
		else if (s->end < 1 || s->end > 1440)
			bad = "end: must be 00:01 to 24:00";
		else if (s->end == s->start)
			bad = "end: must differ from start (an empty slot)";
	}
	if (bad != NULL && why != NULL)
		*why = bad;
	return bad == NULL ? 0 : -1;
}

int
rollout_window_open(const struct rollout_window *w, int64_t t)
{
	int64_t local, ld, sec;
	int wd, prev;

	if (w->nslots <= 0)
		return 1;
	local = t + rollout_tz_offset(&w->zone, t);
	ld = floor_div(local, DAY);
	sec = local - ld * DAY;
	wd = (int)((ld % 7 + 7 + 3) % 7);	/* 1970-01-01 was a Thursday */
	prev = (wd + 6) % 7;
	for (int i = 0; i < w->nslots && i < ROLLOUT_WINDOW_SLOTS; i++) {
		const struct rollout_slot *s = &w->slot[i];
		int64_t s0 = (int64_t)s->start * 60, s1 = (int64_t)s->end * 60;

		if (s1 > s0) {
			if ((s->days >> wd & 1) && sec >= s0 && sec < s1)
				return 1;
		} else if (((s->days >> wd & 1) && sec >= s0) ||
		    ((s->days >> prev & 1) && sec < s1))
			return 1;
	}
	return 0;
}

/* c if the window turns to want there (after now), else best. */
static int64_t
better(const struct rollout_window *w, int64_t now, int want, int64_t c,
    int64_t best)
{
	if (c <= now || (best != 0 && c >= best))
		return best;
	if (rollout_window_open(w, c) == want &&
	    rollout_window_open(w, c - 1) != want)
		return c;
	return best;
}

int64_t
rollout_window_next(const struct rollout_window *w, int64_t now,
    int want_open)
{
	const struct rollout_tz *z = &w->zone;
	int32_t offs[2] = { z->std_off, z->dst_off };
	int64_t best = 0, ld, y;
	int want = want_open != 0;

	if (w->nslots <= 0)
		return 0;
	/* The window changes only where the wall clock passes a slot's
	 * start or end (at one of the zone's two offsets) or jumps over one
	 * (at a DST change): try those instants, earliest first wins. */
	ld = floor_div(now + rollout_tz_offset(z, now), DAY);
	for (int64_t d = ld - 1; d <= ld + ROLLOUT_WINDOW_HORIZON; d++)
		for (int i = 0; i < w->nslots && i < ROLLOUT_WINDOW_SLOTS; i++)
			for (int k = 0; k < 2; k++)
				for (int o = 0; o < (z->dst ? 2 : 1); o++)
					best = better(w, now, want, d * DAY +
					    (int64_t)(k ? w->slot[i].end :
					    w->slot[i].start) * 60 - offs[o],
					    best);
	if (z->dst) {
		y = year_of_days(ld);
		for (int64_t yy = y - 1; yy <= y + 1; yy++) {
			best = better(w, now, want, change_at(&z->start, yy,
			    z->std_off), best);
			best = better(w, now, want, change_at(&z->end, yy,
			    z->dst_off), best);
		}
	}
	if (best != 0 && best - now > (int64_t)ROLLOUT_WINDOW_HORIZON * DAY)
		return 0;
	return best;
}

int
rollout_window_holds(enum rollout_offer_kind kind,
    const struct rollout_window *w, int64_t now, int64_t *wait)
{
	int64_t at;

	if (wait != NULL)
		*wait = 0;
	if ((kind != ROLLOUT_OFFER_FIRST && kind != ROLLOUT_OFFER_RETRY) ||
	    rollout_window_open(w, now))
		return 0;
	if (wait != NULL && (at = rollout_window_next(w, now, 1)) != 0)
		*wait = at - now;
	return 1;
}

int64_t
rollout_window_retry_after(int64_t wait, int64_t poll_interval)
{
	if (poll_interval < 1)
		poll_interval = 1;
	if (wait <= 0 || wait > poll_interval)
		return poll_interval;
	return wait;
}
