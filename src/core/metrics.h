/* Process-wide counters, served in Prometheus text format. */
#ifndef CORE_METRICS_H
#define CORE_METRICS_H

#include <stdint.h>

enum metric {
	M_POLLS, M_POLL_OFFERS, M_REPORTS_STATUS, M_REPORTS_HEALTH,
	M_ARTIFACT_UPLOADS, M_ARTIFACT_UPLOAD_BYTES, M_ARTIFACT_DOWNLOADS,
	M_GATE_RUNS, M_GATE_DECISIONS, M_SEEN_FLUSHED,
	M_COUNT
};

/* Counts one finished request by its status class. */
void metrics_request(int status);
/* Adds n to a counter. */
void metrics_add(enum metric m, uint64_t n);
/* Appends the counters as Prometheus text to a malloc'd string; caller
 * frees. NULL on allocation failure. */
char *metrics_text(const char *extra);

#endif
