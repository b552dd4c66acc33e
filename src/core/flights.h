/* The concurrency cap's counts: per campaign, the members offered,
 * downloading or installed, and their sum over the campaigns, kept in
 * memory so that a poll never counts rows. The writer changes them as it
 * stores each step (members.c, reports_offer_take) and sets them from
 * the gate's sweep, which visits every member in flight at each run. */
#ifndef CORE_FLIGHTS_H
#define CORE_FLIGHTS_H

#include <stdint.h>

/* Campaigns counted at once; past that a campaign is not counted (its
 * polls are not held back, its takes count it on the writer). */
#define FLIGHTS_MAX 256

struct flights;

struct flights *flights_new(void);
void flights_free(struct flights *f);	/* NULL ok */
/* The campaign's count, or -1 when it is not counted (yet). Any thread;
 * f NULL: -1. */
int64_t flights_campaign(struct flights *f, int64_t campaign);
/* The sum over the counted campaigns. Any thread; f NULL: 0. */
int64_t flights_total(struct flights *f);
/* Writer: adds delta to a counted campaign (nothing for others). */
void flights_add(struct flights *f, int64_t campaign, int delta);
/* Writer: the campaign's count is n (counted from now on if room). */
void flights_set(struct flights *f, int64_t campaign, int64_t n);
/* Writer, around a gate run: campaigns not set between begin and end
 * (aborted, or long finished: their members no longer move) stop being
 * counted. */
void flights_begin(struct flights *f);
void flights_end(struct flights *f);

#endif
