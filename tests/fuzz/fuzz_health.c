/* Fuzzes the device's health report body (reports_health_parse) behind
 * the capped JSON parse. An accepted report has a valid version and boot
 * id, values inside their ranges, "unhealthy" exactly when the boot
 * failed, the self-test failed or it crashed; written back as JSON it
 * reads the same; a refused one names the field. */
#include "fuzz.h"
#include "fuzz_body.h"
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

static json_t *
rebuild(const struct report_health *h)
{
	json_t *o = json_pack("{s:s,s:b,s:s,s:I,s:I}", "fw_version",
	    h->fw_version, "boot_ok", h->boot_ok, "selftest", h->selftest_ok ?
	    "pass" : "fail", "crash_count", (json_int_t)h->crash_count,
	    "uptime_s", (json_int_t)h->uptime_s);

	FZ_ASSERT(o != NULL);
	if (h->boot_id[0] != '\0')
		json_object_set_new(o, "boot_id", json_string(h->boot_id));
	return o;
}

static void
accepted(const struct report_health *h, json_t *v)
{
	struct report_health again;
	char err[256];
	json_t *o;

	FZ_ASSERT(util_valid_ident(h->fw_version));
	FZ_ASSERT(strcmp(h->fw_version, json_string_value(json_object_get(v,
	    "fw_version"))) == 0);
	FZ_ASSERT(h->boot_ok == 0 || h->boot_ok == 1);
	FZ_ASSERT(h->selftest_ok == 0 || h->selftest_ok == 1);
	FZ_ASSERT(h->crash_count >= 0 && h->crash_count <= INT32_MAX);
	FZ_ASSERT(h->uptime_s >= 0);
	FZ_ASSERT(h->unhealthy == (!h->boot_ok || !h->selftest_ok ||
	    h->crash_count > 0));
	FZ_ASSERT(h->boot_id[0] == '\0' || reports_valid_boot_id(h->boot_id));
	FZ_ASSERT((h->boot_id[0] != '\0') == (json_is_string(json_object_get(v,
	    "boot_id"))));
	o = rebuild(h);
	memset(&again, 0x5a, sizeof(again));
	FZ_ASSERT(reports_health_parse(o, &again, err, sizeof(err)) == 0);
	FZ_ASSERT(strcmp(again.fw_version, h->fw_version) == 0 &&
	    strcmp(again.boot_id, h->boot_id) == 0 &&
	    again.boot_ok == h->boot_ok && again.selftest_ok == h->selftest_ok &&
	    again.crash_count == h->crash_count &&
	    again.uptime_s == h->uptime_s && again.unhealthy == h->unhealthy);
	json_decref(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "fw_version", "boot_ok",
	    "selftest", "crash_count", "uptime_s", "boot_id", NULL };
	struct report_health h;
	char err[256] = "";
	json_t *v = jv_parse(data, size, FZ_CAP, err, sizeof(err));

	if (v == NULL)
		return 0;
	memset(&h, 0, sizeof(h));
	if (reports_health_parse(v, &h, err, sizeof(err)) == 0) {
		FZ_ASSERT(json_is_object(v));
		accepted(&h, v);
	} else {
		FZ_ASSERT(fz_names_field(err, v, names));
	}
	json_decref(v);
	return 0;
}
