/* The concurrency cap's in-memory counts (see flights.h): a small table
 * under a mutex, read by polls and changed by the writer. */
#include <pthread.h>
#include <stdlib.h>

#include "core/flights.h"

struct slot {
	int64_t campaign;	/* 0: free */
	int64_t n;
	int seen;		/* set since flights_begin */
};

struct flights {
	pthread_mutex_t mu;
	struct slot s[FLIGHTS_MAX];
	int64_t total;
};

struct flights *
flights_new(void)
{
	struct flights *f = calloc(1, sizeof(*f));

	if (f != NULL)
		pthread_mutex_init(&f->mu, NULL);
	return f;
}

void
flights_free(struct flights *f)
{
	if (f == NULL)
		return;
	pthread_mutex_destroy(&f->mu);
	free(f);
}

/* The campaign's slot, or NULL; under mu. */
static struct slot *
find(struct flights *f, int64_t campaign)
{
	for (int i = 0; i < FLIGHTS_MAX; i++)
		if (f->s[i].campaign == campaign)
			return &f->s[i];
	return NULL;
}

int64_t
flights_campaign(struct flights *f, int64_t campaign)
{
	struct slot *s;
	int64_t n;

	if (f == NULL || campaign <= 0)
		return -1;
	pthread_mutex_lock(&f->mu);
	s = find(f, campaign);
	n = s != NULL ? s->n : -1;
	pthread_mutex_unlock(&f->mu);
	return n;
}

int64_t
flights_total(struct flights *f)
{
	int64_t n;

	if (f == NULL)
		return 0;
	pthread_mutex_lock(&f->mu);
	n = f->total;
	pthread_mutex_unlock(&f->mu);
	return n;
}

void
flights_add(struct flights *f, int64_t campaign, int delta)
{
	struct slot *s;

	if (f == NULL || delta == 0 || campaign <= 0)
		return;
	pthread_mutex_lock(&f->mu);
	/* A rolled-back job may have moved a count below 0; the next gate
	 * run sets it right. */
	if ((s = find(f, campaign)) != NULL && s->n + delta >= 0) {
		s->n += delta;
		f->total += delta;
	}
	pthread_mutex_unlock(&f->mu);
}

void
flights_set(struct flights *f, int64_t campaign, int64_t n)
{
	struct slot *s;

	if (f == NULL || campaign <= 0 || n < 0)
		return;
	pthread_mutex_lock(&f->mu);
	if ((s = find(f, campaign)) == NULL && (s = find(f, 0)) != NULL) {
		s->campaign = campaign;
		s->n = 0;
	}
	if (s != NULL) {
		f->total += n - s->n;
		s->n = n;
		s->seen = 1;
	}
	pthread_mutex_unlock(&f->mu);
}

void
flights_begin(struct flights *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	for (int i = 0; i < FLIGHTS_MAX; i++)
		f->s[i].seen = 0;
	pthread_mutex_unlock(&f->mu);
}

void
flights_end(struct flights *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	for (int i = 0; i < FLIGHTS_MAX; i++) {
		if (f->s[i].campaign != 0 && !f->s[i].seen) {
			f->total -= f->s[i].n;
			f->s[i].campaign = 0;
			f->s[i].n = 0;
		}
	}
	pthread_mutex_unlock(&f->mu);
}
