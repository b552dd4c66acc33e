/* Fuzzes the hawkBit DDI bodies (ddi_feedback_parse, ddi_config_parse)
 * behind the capped JSON parse, each input through both. An accepted
 * feedback has the execution and finished it names (any case), the string
 * details in order up to the cap, and a progress only from two integers
 * >= 0; an accepted configData is exactly its `data`, within the caps, in
 * the mode it names. A refusal names its field. */
#include <strings.h>

#include "fuzz.h"
#include "fuzz_body.h"
#include "api/ddi_body.h"
#include "api/jsonv.h"

#define FZ_CAP 65536

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void
feedback_accepted(const struct ddi_feedback *f, json_t *v)
{
	json_t *st = json_object_get(v, "status"), *d, *e;
	json_t *pr = json_object_get(json_object_get(st, "result"), "progress");
	size_t i, k = 0;

	FZ_ASSERT(strcasecmp(json_string_value(json_object_get(st,
	    "execution")), rollout_ddi_exec_name(f->exec)) == 0);
	FZ_ASSERT(strcasecmp(json_string_value(json_object_get(
	    json_object_get(st, "result"), "finished")),
	    rollout_ddi_finished_name(f->finished)) == 0);
	d = json_object_get(st, "details");
	json_array_foreach(d, i, e) {
		if (!json_is_string(e) || k == DDI_DETAILS_MAX)
			continue;
		FZ_ASSERT(f->details[k++] == json_string_value(e));
	}
	FZ_ASSERT(f->ndetails == k);
	FZ_ASSERT(f->has_progress == (json_is_integer(json_object_get(pr,
	    "cnt")) && json_is_integer(json_object_get(pr, "of")) &&
	    json_integer_value(json_object_get(pr, "cnt")) >= 0 &&
	    json_integer_value(json_object_get(pr, "of")) >= 0));
	FZ_ASSERT(!f->has_progress || (f->cnt >= 0 && f->of >= 0));
}

static void
config_accepted(const struct ddi_config *c, json_t *v)
{
	static const char *const modes[] = { "merge", "replace", "remove" };
	json_t *data = json_object_get(v, "data");
	json_t *mode = json_object_get(v, "mode");

	FZ_ASSERT(json_is_object(data));
	FZ_ASSERT(c->n == json_object_size(data) && c->n <= DDI_ATTRS_MAX);
	for (size_t i = 0; i < c->n; i++) {
		json_t *val = json_object_get(data, c->keys[i]);

		FZ_ASSERT(strlen(c->keys[i]) >= 1 &&
		    strlen(c->keys[i]) <= DDI_KEY_MAX);
		FZ_ASSERT(json_is_string(val) &&
		    json_string_value(val) == c->values[i]);
		FZ_ASSERT(json_string_length(val) <= DDI_VALUE_MAX);
	}
	if (mode == NULL || json_is_null(mode))
		FZ_ASSERT(c->mode == DDI_MERGE);
	else
		FZ_ASSERT(strcasecmp(json_string_value(mode),
		    modes[c->mode]) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ffields[] = { "status", NULL };
	static const char *const cfields[] = { "data", "mode", NULL };
	struct ddi_feedback f;
	struct ddi_config c;
	char err[256] = "";
	json_t *v = jv_parse(data, size, FZ_CAP, err, sizeof(err));

	if (v == NULL)
		return 0;
	if (ddi_feedback_parse(v, &f, err, sizeof(err)) == 0)
		feedback_accepted(&f, v);
	else
		FZ_ASSERT(fz_names_field(err, v, ffields));
	if (ddi_config_parse(v, &c, err, sizeof(err)) == 0)
		config_accepted(&c, v);
	else
		FZ_ASSERT(fz_names_field(err, v, cfields));
	json_decref(v);
	return 0;
}
