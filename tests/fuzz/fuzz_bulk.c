/* Fuzzes the bulk-provisioning body (POST /v1/devices): the capped JSON
 * parse, then h_devices_parse. It accepts exactly what a reference
 * reading of the rules accepts (one object or an array of 1 to 100,000;
 * only device_id, hw_class, fw_version and tags; identifiers; at most 32
 * identifier tags); what it accepts it hands out unchanged, and what it
 * refuses it names ("body: ..." or "devices[i]." of a real item). */
#include "db/devices.h"
#include "fuzz.h"
#include "api/handlers.h"
#include "sign/semver.h"

#define FZ_CAP 65536

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* A string holding an identifier (and no NUL before its end). */
static int
ref_ident(json_t *v)
{
	const char *s = json_string_value(v);

	return s != NULL && strlen(s) == json_string_length(v) &&
	    fz_ref_ident(s, JV_ID_MAX);
}

static int
ref_device(json_t *o)
{
	const char *k;
	json_t *v, *t;
	size_t i;

	if (!json_is_object(o))
		return 0;
	json_object_foreach(o, k, v) {
		if (strcmp(k, "tags") == 0) {
			if (json_is_null(v))
				continue;
			if (!json_is_array(v) || json_array_size(v) > DB_TAGS_MAX)
				return 0;
			json_array_foreach(v, i, t)
				if (!ref_ident(t))
					return 0;
		} else if (strcmp(k, "device_id") != 0 && strcmp(k, "hw_class") != 0 &&
		    strcmp(k, "fw_version") != 0) {
			return 0;
		} else if (!ref_ident(v)) {
			return 0;
		}
	}
	/* The version must also have semver precedence (the same checker
	 * the device uses; fuzz_semver holds it to its grammar). */
	return json_object_get(o, "device_id") && json_object_get(o, "hw_class") &&
	    json_object_get(o, "fw_version") && sign_semver_valid(
	    json_string_value(json_object_get(o, "fw_version")));
}

static int
ref_body(json_t *b)
{
	json_t *o;
	size_t i;

	if (json_is_object(b))
		return ref_device(b);
	if (!json_is_array(b) || json_array_size(b) == 0 ||
	    json_array_size(b) > 100000)
		return 0;
	json_array_foreach(b, i, o)
		if (!ref_device(o))
			return 0;
	return 1;
}

/* The item was read from o as it is. */
static void
same(const struct db_new_device *d, json_t *o)
{
	json_t *tags = json_object_get(o, "tags");

	FZ_ASSERT(d->device_id == json_string_value(json_object_get(o, "device_id")));
	FZ_ASSERT(d->hw_class == json_string_value(json_object_get(o, "hw_class")));
	FZ_ASSERT(d->fw_version == json_string_value(json_object_get(o, "fw_version")));
	FZ_ASSERT(d->ntags == (int)json_array_size(tags));
	for (int i = 0; i < d->ntags; i++)
		FZ_ASSERT(d->tags[i] == json_string_value(json_array_get(tags,
		    (size_t)i)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	struct db_new_device *items;
	json_t *doc = jv_parse(data, size, FZ_CAP, err, sizeof(err));
	size_t n, idx;
	int single, rc;

	if (doc == NULL)
		return 0;
	rc = h_devices_parse(doc, &items, &n, &single, err, sizeof(err));
	FZ_ASSERT(rc == 0 || rc == -1);
	FZ_ASSERT((rc == 0) == ref_body(doc));
	if (rc == 0) {
		FZ_ASSERT(single == json_is_object(doc));
		FZ_ASSERT(n == (single ? 1 : json_array_size(doc)));
		for (size_t i = 0; i < n; i++)
			same(&items[i], single ? doc : json_array_get(doc, i));
	} else if (single || strncmp(err, "body: ", 6) == 0) {
		FZ_ASSERT(err[0] != '\0');
	} else {
		char *end;

		/* "devices[i]." naming the first item that is wrong. */
		FZ_ASSERT(strncmp(err, "devices[", 8) == 0);
		idx = strtoul(err + 8, &end, 10);
		FZ_ASSERT(end[0] == ']' && end[1] == '.');
		FZ_ASSERT(idx < json_array_size(doc));
		FZ_ASSERT(!ref_device(json_array_get(doc, idx)));
		for (size_t i = 0; i < idx; i++)
			FZ_ASSERT(ref_device(json_array_get(doc, i)));
	}
	free(items);
	json_decref(doc);
	return 0;
}
