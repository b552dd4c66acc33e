/* Fuzzes the campaign-create body (campaign_spec_parse) behind the capped
 * JSON parse. An accepted campaign has a valid stage list and policy, a
 * name and cohort within their rules; the stages and policy as stored
 * (their JSON text) read back to the same values, maintenance windows
 * with their zone's rule included; a refused one names the field. */
#include "fuzz.h"
#include "fuzz_body.h"
#include "rollout/rollout.h"
#include "api/bodies.h"
#include "db/campaigns.h"
#include "api/jsonv.h"

#define FZ_CAP 65536

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int
same_window(const struct rollout_window *a, const struct rollout_window *b)
{
	if (a->nslots != b->nslots)
		return 0;
	if (a->nslots == 0)
		return 1;
	for (int i = 0; i < a->nslots; i++)
		if (a->slot[i].days != b->slot[i].days ||
		    a->slot[i].start != b->slot[i].start ||
		    a->slot[i].end != b->slot[i].end)
			return 0;
	return strcmp(a->tz, b->tz) == 0 && strcmp(a->rule, b->rule) == 0 &&
	    memcmp(&a->zone, &b->zone, sizeof(a->zone)) == 0;
}

static int
same_policy(const struct rollout_policy *a, const struct rollout_policy *b)
{
	return a->min_sample == b->min_sample &&
	    a->max_failure_pct == b->max_failure_pct &&
	    a->bad_failure_pct == b->bad_failure_pct &&
	    a->false_halt_pct == b->false_halt_pct &&
	    a->miss_pct == b->miss_pct && a->baseline == b->baseline &&
	    a->min_healthy_pct == b->min_healthy_pct &&
	    a->bake_time == b->bake_time &&
	    a->report_timeout == b->report_timeout &&
	    a->absent_timeout == b->absent_timeout &&
	    a->auto_advance == b->auto_advance &&
	    a->max_attempts == b->max_attempts &&
	    a->min_stage_time == b->min_stage_time &&
	    a->max_in_flight == b->max_in_flight &&
	    a->retry_count == b->retry_count &&
	    a->retry_backoff == b->retry_backoff &&
	    a->retry_factor == b->retry_factor &&
	    same_window(&a->window, &b->window) && a->dynamic == b->dynamic;
}

/* What the daemon stores, read back as the gate and the poll read it. */
static void
stored_form(const struct campaign_spec *sp)
{
	static struct db_campaign c, back;
	char stages[256], policy[4096];

	memcpy(c.stages, sp->stages, sizeof(c.stages));
	c.nstages = sp->nstages;
	c.policy = sp->policy;
	FZ_ASSERT(db_settings_text(&c, stages, sizeof(stages), policy,
	    sizeof(policy)) == DB_OK);
	FZ_ASSERT(db_stages_parse(stages, back.stages, &back.nstages) == 0);
	FZ_ASSERT(back.nstages == sp->nstages && memcmp(back.stages,
	    sp->stages, (size_t)back.nstages * sizeof(int)) == 0);
	FZ_ASSERT(db_policy_parse(policy, &back.policy) == 0);
	FZ_ASSERT(same_policy(&back.policy, &sp->policy));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "name", "release", "cohort",
	    "stages", "gate", "supersede", "start_at", NULL };
	struct campaign_spec sp;
	char err[256] = "";
	json_t *v = jv_parse(data, size, FZ_CAP, err, sizeof(err));
	const char *bad;

	if (v == NULL)
		return 0;
	if (campaign_spec_parse(v, &sp, err, sizeof(err)) == 0) {
		FZ_ASSERT(json_is_object(v));
		FZ_ASSERT(rollout_stages_validate(sp.stages, sp.nstages,
		    NULL) == 0);
		FZ_ASSERT(rollout_policy_validate(&sp.policy, &bad) == 0);
		FZ_ASSERT(sp.release_id >= 1);
		FZ_ASSERT(sp.name == NULL || (strlen(sp.name) >= 1 &&
		    strlen(sp.name) <= 64));
		FZ_ASSERT(sp.cohort == NULL || util_valid_ident(sp.cohort));
		FZ_ASSERT(sp.supersede == 0 || sp.supersede == 1);
		FZ_ASSERT(sp.start_at >= 0 && sp.start_at <= CAMPAIGN_START_MAX);
		FZ_ASSERT(json_object_get(v, "start_at") != NULL || sp.start_at == 0);
		/* Without "stages" the default list. */
		FZ_ASSERT(json_object_get(v, "stages") != NULL ||
		    (sp.nstages == 4 && sp.stages[0] == 1 && sp.stages[3] == 100));
		stored_form(&sp);
	} else {
		FZ_ASSERT(fz_names_field(err, v, names));
	}
	json_decref(v);
	return 0;
}
