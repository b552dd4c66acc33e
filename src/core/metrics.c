/* Process-wide counters (relaxed atomics: cheap on the hot path). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"

static atomic_uint_least64_t by_class[6];
static atomic_uint_least64_t counters[M_COUNT];

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
};

void
metrics_request(int status)
{
	int c = status / 100;

	if (c < 1 || c > 5)
		c = 0;
	atomic_fetch_add_explicit(&by_class[c], 1, memory_order_relaxed);
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
	if (extra != NULL)
		fputs(extra, f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
