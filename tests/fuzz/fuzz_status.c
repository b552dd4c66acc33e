/* Fuzzes the device's status report body (reports_status_parse) behind
 * the capped JSON parse. An accepted report names one of the five states,
 * a lowercase sha256, a reason class where failures need one and a valid
 * boot id; written back as JSON it reads the same; a refused one names
 * the field. */
#include "fuzz.h"
#include "fuzz_body.h"
#include "rollout/rollout.h"
#include "api/jsonv.h"
#include "api/bodies.h"

#define FZ_CAP 8192

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* The boot id rule, read independently from reports.h. */
static int
ref_boot(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._:-", s[i]) == NULL)
			return 0;
	return 1;
}

static int
ref_reason(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 40)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int
lower_hex64(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* The report as a body again: the same fields, from the parsed values. */
static json_t *
rebuild(const struct report_status *r, json_t *orig)
{
	json_t *o = json_pack("{s:O,s:s,s:s}", "campaign",
	    json_object_get(orig, "campaign"), "release", r->release, "state",
	    rollout_device_event_name((enum rollout_device_event)r->event));

	FZ_ASSERT(o != NULL);
	if (r->reason != NULL)
		json_object_set_new(o, "reason", json_string(r->reason));
	if (r->detail != NULL)
		json_object_set_new(o, "detail", json_string(r->detail));
	if (r->boot_id != NULL)
		json_object_set_new(o, "boot_id", json_string(r->boot_id));
	return o;
}

static void
accepted(const struct report_status *r, json_t *v)
{
	static const int events[] = { ROLLOUT_EV_DOWNLOADING,
	    ROLLOUT_EV_INSTALLED, ROLLOUT_EV_CONFIRMED, ROLLOUT_EV_FAILED,
	    ROLLOUT_EV_ROLLED_BACK };
	const char *camp = json_string_value(json_object_get(v, "campaign"));
	struct report_status again;
	char err[256];
	json_t *o;
	int known = 0;

	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		known |= r->event == events[i];
	FZ_ASSERT(known);
	FZ_ASSERT(strcmp(json_string_value(json_object_get(v, "state")),
	    rollout_device_event_name((enum rollout_device_event)r->event)) == 0);
	FZ_ASSERT(lower_hex64(r->release));
	FZ_ASSERT(camp != NULL && (r->campaign == 0) ==
	    (strcmp(camp, "direct") == 0));
	FZ_ASSERT(r->campaign >= 0);
	FZ_ASSERT(r->reason == NULL || ref_reason(r->reason));
	FZ_ASSERT((r->event != ROLLOUT_EV_FAILED &&
	    r->event != ROLLOUT_EV_ROLLED_BACK) || r->reason != NULL);
	FZ_ASSERT(r->boot_id == NULL || ref_boot(r->boot_id));
	FZ_ASSERT(r->detail == NULL || strlen(r->detail) <= 256);
	/* A fixed point: the parsed report written back reads the same. */
	o = rebuild(r, v);
	memset(&again, 0x5a, sizeof(again));
	FZ_ASSERT(reports_status_parse(o, &again, err, sizeof(err)) == 0);
	FZ_ASSERT(again.event == r->event && again.campaign == r->campaign);
	FZ_ASSERT(strcmp(again.release, r->release) == 0);
	FZ_ASSERT((again.reason == NULL) == (r->reason == NULL));
	FZ_ASSERT((again.boot_id == NULL) == (r->boot_id == NULL));
	FZ_ASSERT(again.boot_id == NULL || strcmp(again.boot_id,
	    r->boot_id) == 0);
	json_decref(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fields[] = { "campaign", "release", "state",
	    "reason", "detail", "boot_id", NULL };
	struct report_status r;
	char err[256] = "";
	json_t *v = jv_parse(data, size, FZ_CAP, err, sizeof(err));
	const char *key;
	json_t *val;
	int unknown = 0;

	if (v == NULL)
		return 0;
	if (json_is_object(v)) {
		json_object_foreach(v, key, val) {
			int known = 0;
			for (size_t i = 0; fields[i] != NULL; i++)
				known |= strcmp(key, fields[i]) == 0;
			unknown |= !known;
		}
	}
	memset(&r, 0, sizeof(r));
	if (reports_status_parse(v, &r, err, sizeof(err)) == 0) {
		FZ_ASSERT(json_is_object(v) && !unknown);
		accepted(&r, v);
	} else {
		FZ_ASSERT(fz_names_field(err, v, fields));
	}
	json_decref(v);
	return 0;
}
