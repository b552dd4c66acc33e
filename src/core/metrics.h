/* Process-wide counters, served in Prometheus text format. */
#ifndef CORE_METRICS_H
#define CORE_METRICS_H

#include <stdint.h>

enum metric {
	M_POLLS, M_POLL_OFFERS, M_REPORTS_STATUS, M_REPORTS_HEALTH,
	M_ARTIFACT_UPLOADS, M_ARTIFACT_UPLOAD_BYTES, M_ARTIFACT_DOWNLOADS,
	M_GATE_RUNS, M_GATE_DECISIONS, M_SEEN_FLUSHED,
	M_WEBHOOK_DELIVERED, M_WEBHOOK_FAILED, M_WEBHOOK_DEAD,
	M_TOKEN_CACHE_HITS, M_TOKEN_CACHE_MISSES,
	M_COUNT
};

/* Counts one finished request by its status class, and its time in the
 * latency histogram. */
void metrics_request(int status, int64_t us);
/* Adds n to a counter. */
void metrics_add(enum metric m, uint64_t n);
/* A live campaign as the gate last counted it: the members its open
 * stages hold (later stages' are pending and not counted), per state. */
#define METRICS_STATES_MAX 16
struct metrics_campaign {
	int64_t id;
	char state[16];			/* running, paused, ... */
	int stage;			/* 1-based */
	int nstates;
	const char *state_names[METRICS_STATES_MAX];	/* static text */
	int64_t by_state[METRICS_STATES_MAX];
	int64_t members, failures;	/* failed, rolled back, timed out */
	int64_t at;			/* the gate run's time */
};
/* Keeps (or replaces) the snapshot of campaign c->id; past
 * METRICS_CAMPAIGNS_MAX campaigns the newest ids are kept. */
#define METRICS_CAMPAIGNS_MAX 64
void metrics_campaign(const struct metrics_campaign *c);
/* Drops the snapshots taken before 'before' (campaigns no longer live,
 * which the gate no longer counts). */
void metrics_campaigns_expire(int64_t before);
/* Appends the counters as Prometheus text to a malloc'd string; caller
 * frees. NULL on allocation failure. */
char *metrics_text(const char *extra);

#endif
