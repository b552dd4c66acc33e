/* The request bodies the API reads into the services' plain structs. Each
 * reader takes the parsed JSON, borrows its strings and returns 0, or -1
 * with "field: reason" in err (the API's 422). */
#ifndef API_BODIES_H
#define API_BODIES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/reports.h"
#include "rollout/rollout.h"

/* A campaign as POST /v1/campaigns asks for it. */
struct campaign_spec {
	const char *name;		/* NULL: the default (borrowed) */
	int64_t release_id;
	const char *cohort;		/* NULL: the fleet (borrowed) */
	int stages[ROLLOUT_MAX_STAGES], nstages;
	struct rollout_policy policy;
	int supersede;
	int64_t start_at;		/* 0: none (a plain draft) */
};

/* The latest start_at accepted: the last second of 9999. */
#define CAMPAIGN_START_MAX 253402300799LL

/* A campaign-create body: name, release, cohort, stages (the default when
 * absent), gate (the policy over the defaults), supersede, start_at. */
int campaign_spec_parse(json_t *body, struct campaign_spec *out, char *err,
    size_t errlen);
/* A start time as text (a query's start_at): seconds since the epoch or
 * "YYYY-MM-DDTHH:MM:SSZ", 1 to CAMPAIGN_START_MAX; 0, or -1. */
int campaign_start_at_text(const char *s, int64_t *out);
/* A status report body into r: campaign, release, event, reason, detail,
 * boot_id. */
int reports_status_parse(json_t *body, struct report_status *r, char *err,
    size_t errlen);
/* A health report body into h: all but core, device, now. */
int reports_health_parse(json_t *body, struct report_health *h, char *err,
    size_t errlen);

#endif
