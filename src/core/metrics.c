/* Process-wide counters (relaxed atomics: cheap on the hot path). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"

static atomic_uint_least64_t by_class[6];
static atomic_uint_least64_t counters[M_COUNT];

/* Request latency: upper bounds in microseconds; one more bucket counts
 * the rest (+Inf). */
static const int64_t bounds_us[] = { 1000, 5000, 10000, 25000, 50000,
    100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000 };
#define NBOUNDS (sizeof(bounds_us) / sizeof(bounds_us[0]))
static atomic_uint_least64_t latency[NBOUNDS + 1];
static atomic_uint_least64_t latency_sum_us;

/* Live campaigns, as the gate last counted them; written every gate run,
 * read per scrape: no per-device work on a scrape. */
static pthread_mutex_t camp_mu = PTHREAD_MUTEX_INITIALIZER;
static struct metrics_campaign camps[METRICS_CAMPAIGNS_MAX];
static int ncamps;

static const struct {
	const char *name, *help;
} info[M_COUNT] = {
	[M_POLLS] = { "otad_device_polls_total", "Device update polls." },
	[M_POLL_OFFERS] = { "otad_device_offers_total",
	    "Polls answered with an offer." },
	[M_REPORTS_STATUS] = { "otad_device_status_reports_total",
	    "Status reports committed." },
	[M_REPORTS_HEALTH] = { "otad_device_health_reports_total",
	    "Health reports committed." },
	[M_ARTIFACT_UPLOADS] = { "otad_artifact_uploads_total",
	    "Artifacts stored." },
	[M_ARTIFACT_UPLOAD_BYTES] = { "otad_artifact_upload_bytes_total",
	    "Bytes of artifacts received." },
	[M_ARTIFACT_DOWNLOADS] = { "otad_artifact_downloads_total",
	    "Artifact downloads started." },
	[M_GATE_RUNS] = { "otad_gate_runs_total", "Gate evaluator runs." },
	[M_GATE_DECISIONS] = { "otad_gate_decisions_total",
	    "Campaign stage changes (advance, halt, complete)." },
	[M_SEEN_FLUSHED] = { "otad_seen_flushed_total",
	    "Device last-seen records written." },
	[M_WEBHOOK_DELIVERED] = { "otad_webhook_delivered_total",
	    "Webhook events delivered (a 2xx answer)." },
	[M_WEBHOOK_FAILED] = { "otad_webhook_failed_attempts_total",
	    "Webhook delivery attempts that failed (to be retried or dead)." },
	[M_WEBHOOK_DEAD] = { "otad_webhook_dead_total",
	    "Webhook events given up after webhook_max_tries (dead letters)." },
	[M_TOKEN_CACHE_HITS] = { "otad_device_token_cache_hits_total",
	    "Device token lookups answered from memory." },
	[M_TOKEN_CACHE_MISSES] = { "otad_device_token_cache_misses_total",
	    "Device token lookups that read the store." },
};

void
metrics_request(int status, int64_t us)
{
	int c = status / 100;
	size_t b = 0;

	if (c < 1 || c > 5)
		c = 0;
	atomic_fetch_add_explicit(&by_class[c], 1, memory_order_relaxed);
	while (b < NBOUNDS && us > bounds_us[b])
		b++;
	atomic_fetch_add_explicit(&latency[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&latency_sum_us, us > 0 ? (uint64_t)us : 0,
	    memory_order_relaxed);
}

void
metrics_campaign(const struct metrics_campaign *c)
{
	int i, oldest = 0;

	pthread_mutex_lock(&camp_mu);
	for (i = 0; i < ncamps && camps[i].id != c->id; i++)
		if (camps[i].id < camps[oldest].id)
			oldest = i;
	if (i == ncamps && ncamps < METRICS_CAMPAIGNS_MAX)
		ncamps++;
	else if (i == ncamps && c->id < camps[oldest].id)
		i = -1;		/* full of newer campaigns */
	else if (i == ncamps)
		i = oldest;
	if (i >= 0)
		camps[i] = *c;
	pthread_mutex_unlock(&camp_mu);
}

void
metrics_campaigns_expire(int64_t before)
{
	pthread_mutex_lock(&camp_mu);
	for (int i = 0; i < ncamps;) {
		if (camps[i].at < before)
			camps[i] = camps[--ncamps];
		else
			i++;
	}
	pthread_mutex_unlock(&camp_mu);
}

static void
latency_text(FILE *f)
{
	uint64_t cum = 0;

	fprintf(f, "# HELP otad_http_request_duration_seconds Time from a "
	    "request's head to its end.\n"
	    "# TYPE otad_http_request_duration_seconds histogram\n");
	for (size_t b = 0; b <= NBOUNDS; b++) {
		cum += atomic_load(&latency[b]);
		if (b < NBOUNDS)
			fprintf(f, "otad_http_request_duration_seconds_bucket"
			    "{le=\"%g\"} %llu\n", (double)bounds_us[b] / 1e6,
			    (unsigned long long)cum);
		else
			fprintf(f, "otad_http_request_duration_seconds_bucket"
			    "{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	}
	fprintf(f, "otad_http_request_duration_seconds_sum %.6f\n"
	    "otad_http_request_duration_seconds_count %llu\n",
	    (double)atomic_load(&latency_sum_us) / 1e6, (unsigned long long)cum);
}

static void
campaign_text(FILE *f, const struct metrics_campaign *c)
{
	fprintf(f, "otad_campaign_state{campaign=\"%lld\",state=\"%s\"} 1\n"
	    "otad_campaign_stage{campaign=\"%lld\"} %d\n"
	    "otad_campaign_failure_ratio{campaign=\"%lld\"} %g\n",
	    (long long)c->id, c->state, (long long)c->id, c->stage,
	    (long long)c->id, c->members > 0 ?
	    (double)c->failures / (double)c->members : 0.0);
	for (int s = 0; s < c->nstates; s++)
		fprintf(f, "otad_campaign_members{campaign=\"%lld\","
		    "state=\"%s\"} %lld\n", (long long)c->id,
		    c->state_names[s], (long long)c->by_state[s]);
}

static void
campaigns_text(FILE *f)
{
	fprintf(f, "# HELP otad_campaign_state A live campaign's state (1).\n"
	    "# TYPE otad_campaign_state gauge\n"
	    "# HELP otad_campaign_stage A live campaign's open stage, from 1.\n"
	    "# TYPE otad_campaign_stage gauge\n"
	    "# HELP otad_campaign_failure_ratio Failed, rolled back and timed "
	    "out members of the open stages, over their members.\n"
	    "# TYPE otad_campaign_failure_ratio gauge\n"
	    "# HELP otad_campaign_members Members of the open stages per "
	    "state, as the gate last counted them.\n"
	    "# TYPE otad_campaign_members gauge\n");
	pthread_mutex_lock(&camp_mu);
	for (int i = 0; i < ncamps; i++)
		campaign_text(f, &camps[i]);
	pthread_mutex_unlock(&camp_mu);
}

void
metrics_add(enum metric m, uint64_t n)
{
	atomic_fetch_add_explicit(&counters[m], n, memory_order_relaxed);
}

char *
metrics_text(const char *extra)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	fprintf(f, "# HELP otad_http_requests_total HTTP requests by status "
	    "class.\n# TYPE otad_http_requests_total counter\n");
	for (int c = 1; c <= 5; c++)
		fprintf(f, "otad_http_requests_total{code=\"%dxx\"} %llu\n", c,
		    (unsigned long long)atomic_load(&by_class[c]));
	for (int m = 0; m < M_COUNT; m++)
		fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n",
		    info[m].name, info[m].help, info[m].name, info[m].name,
		    (unsigned long long)atomic_load(&counters[m]));
	latency_text(f);
	campaigns_text(f);
	if (extra != NULL)
		fputs(extra, f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
