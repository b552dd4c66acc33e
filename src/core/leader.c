/* The leadership thread and the once-per-fleet jobs' wrapper. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/leader.h"
#include "db/leader.h"
#include "util/log.h"
#include "util/util.h"

/* Jobs registered with leader_every (a handful in the daemon). */
#define LEADER_JOBS 16
/* Between two looks: a dead leader's lock is free as soon as its
 * session ends, so failover takes about this long. */
#define LEADER_LOOK_MS 1000

struct leader_job {
	struct leader *l;
	db_write_fn fn;
	void *arg;
};

struct leader {
	struct db_leader *dl;
	atomic_int is;
	atomic_int stop;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct leader_job jobs[LEADER_JOBS];
	int njobs;
};

/* One look; a change is logged once. */
static void
look(struct leader *l)
{
	char err[256];
	int now = db_leader_poll(l->dl, err, sizeof(err));
	int was = atomic_exchange(&l->is, now);

	if (now && !was)
		log_info("leader: this daemon now runs the gate, scheduled "
		    "starts, webhooks and retention for the fleet");
	else if (!now && was)
		log_warn("leader: leadership lost%s%s; another daemon runs the "
		    "fleet's jobs", err[0] ? ": " : "", err);
}

static void *
run(void *arg)
{
	struct leader *l = arg;
	struct timespec ts;

	pthread_mutex_lock(&l->mu);
	while (!atomic_load(&l->stop)) {
		util_deadline(&ts, LEADER_LOOK_MS);
		pthread_cond_timedwait(&l->cv, &l->mu, &ts);
		if (atomic_load(&l->stop))
			break;
		pthread_mutex_unlock(&l->mu);
		look(l);
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

struct leader *
leader_start(const char *where, char *err, size_t errlen)
{
	struct leader *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		util_fmt(err, errlen, "out of memory");
		return NULL;
	}
	if ((l->dl = db_leader_open(where, err, errlen)) == NULL) {
		free(l);
		return NULL;
	}
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	look(l);
	if (pthread_create(&l->thread, NULL, run, l) != 0) {
		util_fmt(err, errlen, "cannot start the leadership thread");
		pthread_mutex_destroy(&l->mu);
		pthread_cond_destroy(&l->cv);
		db_leader_close(l->dl);
		free(l);
		return NULL;
	}
	return l;
}

void
leader_stop(struct leader *l)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	atomic_store(&l->stop, 1);
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	db_leader_close(l->dl);
	free(l);
}

int
leader_is(const struct leader *l)
{
	return l == NULL || atomic_load(&l->is);
}

static int
only_leader(struct db_tx *tx, void *arg)
{
	struct leader_job *j = arg;

	return leader_is(j->l) ? j->fn(tx, j->arg) : 0;
}

int
leader_every(struct db *db, struct leader *l, int interval_ms,
    db_write_fn fn, void *arg)
{
	struct leader_job *j;

	if (l == NULL)
		return db_every(db, interval_ms, fn, arg);
	if (l->njobs == LEADER_JOBS)
		return -1;
	j = &l->jobs[l->njobs++];
	*j = (struct leader_job){ l, fn, arg };
	return db_every(db, interval_ms, only_leader, j);
}
