/* Shared by the harnesses of request bodies: the check that a refusal
 * names what it refused. */
#ifndef TESTS_FUZZ_FUZZ_BODY_H
#define TESTS_FUZZ_FUZZ_BODY_H

#include <string.h>

#include <jansson.h>

/* 1 if err is "NAME: why" with NAME one of fields (NULL-terminated; a
 * field may be followed by "[i]" or ".sub"), "body", or, for "unknown
 * field", a key of obj as sent. */
static inline int
fz_names_field(const char *err, json_t *obj, const char *const *fields)
{
	const char *key;
	json_t *v;
	size_t n;

	if (strncmp(err, "body: ", 6) == 0)
		return 1;
	for (size_t i = 0; fields[i] != NULL; i++) {
		n = strlen(fields[i]);
		if (strncmp(err, fields[i], n) == 0 && (strncmp(err + n, ": ",
		    2) == 0 || err[n] == '[' || err[n] == '.'))
			return 1;
	}
	if (!json_is_object(obj))
		return 0;
	json_object_foreach(obj, key, v) {
		n = strlen(key) > 64 ? 64 : strlen(key);
		if (strncmp(err, key, n) == 0 &&
		    strcmp(err + n, ": unknown field") == 0)
			return 1;
	}
	return 0;
}

#endif
