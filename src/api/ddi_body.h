/* hawkBit DDI request bodies: feedback and configData, parsed leniently
 * (unlike the native API: unknown fields, `id` and `time` are ignored,
 * since SWUpdate and rauc-hawkbit-updater send them in different types),
 * with the caps of DDI.md §2.8. Pure: strings are borrowed from the JSON
 * value, which must outlive the result. */
#ifndef API_DDI_BODY_H
#define API_DDI_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "rollout/ddi.h"

/* details[] lines kept of a feedback (clients send up to ~48). */
#define DDI_DETAILS_MAX 64
/* configData caps: keys, key bytes, value bytes. */
#define DDI_ATTRS_MAX 128
#define DDI_KEY_MAX 128
#define DDI_VALUE_MAX 256

struct ddi_feedback {
	enum rollout_ddi_exec exec;		/* status.execution */
	enum rollout_ddi_finished finished;	/* status.result.finished */
	/* status.details: the string entries, in order, the first
	 * DDI_DETAILS_MAX of them; other types are skipped */
	const char *details[DDI_DETAILS_MAX];
	size_t ndetails;
	/* status.result.progress, when both are integers >= 0 */
	bool has_progress;
	int64_t cnt, of;
};

/* A deploymentBase or cancelAction feedback. 0, or -1 with "field: why"
 * in err when status.execution or status.result.finished is missing or
 * not one of hawkBit's values (any case). */
int ddi_feedback_parse(json_t *body, struct ddi_feedback *out, char *err,
    size_t errlen);

enum ddi_config_mode { DDI_MERGE, DDI_REPLACE, DDI_REMOVE };

struct ddi_config {
	enum ddi_config_mode mode;	/* "mode", default merge */
	size_t n;
	const char *keys[DDI_ATTRS_MAX];
	const char *values[DDI_ATTRS_MAX];
};

/* A configData body: `data` an object of at most DDI_ATTRS_MAX strings,
 * keys of 1..DDI_KEY_MAX bytes, values up to DDI_VALUE_MAX bytes; `mode`
 * merge, replace or remove (any case). 0, or -1 with "field: why". */
int ddi_config_parse(json_t *body, struct ddi_config *out, char *err,
    size_t errlen);

#endif
