/* hawkBit DDI bodies, read leniently (see ddi_body.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/ddi_body.h"

static int
bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) < 0 && errlen > 0)
		err[0] = '\0';
	va_end(ap);
	return -1;
}

static void
take_details(json_t *details, struct ddi_feedback *out)
{
	size_t i;
	json_t *v;

	if (!json_is_array(details))
		return;
	json_array_foreach(details, i, v) {
		if (out->ndetails == DDI_DETAILS_MAX)
			break;
		if (json_is_string(v))
			out->details[out->ndetails++] = json_string_value(v);
	}
}

static void
take_progress(json_t *progress, struct ddi_feedback *out)
{
	json_t *cnt = json_object_get(progress, "cnt");
	json_t *of = json_object_get(progress, "of");

	if (!json_is_integer(cnt) || !json_is_integer(of) ||
	    json_integer_value(cnt) < 0 || json_integer_value(of) < 0)
		return;
	out->has_progress = true;
	out->cnt = json_integer_value(cnt);
	out->of = json_integer_value(of);
}

int
ddi_feedback_parse(json_t *body, struct ddi_feedback *out, char *err,
    size_t errlen)
{
	json_t *status = json_object_get(body, "status");
	json_t *result = json_object_get(status, "result");
	const char *exec, *fin;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(body))
		return bad(err, errlen, "body: must be a JSON object");
	if (!json_is_object(status))
		return bad(err, errlen, "status: required, an object");
	exec = json_string_value(json_object_get(status, "execution"));
	if (rollout_ddi_exec_parse(exec, &out->exec) != 0)
		return bad(err, errlen, "status.execution: must be proceeding, "
		    "resumed, download, downloaded, scheduled, rejected, closed "
		    "or canceled");
	fin = json_string_value(json_object_get(result, "finished"));
	if (!json_is_object(result) ||
	    rollout_ddi_finished_parse(fin, &out->finished) != 0)
		return bad(err, errlen, "status.result.finished: must be "
		    "success, failure or none");
	take_details(json_object_get(status, "details"), out);
	take_progress(json_object_get(result, "progress"), out);
	return 0;
}

static int
parse_mode(json_t *mode, enum ddi_config_mode *out, char *err, size_t errlen)
{
	static const char *const names[] = { "merge", "replace", "remove" };
	const char *s = json_string_value(mode);

	*out = DDI_MERGE;
	if (mode == NULL || json_is_null(mode))
		return 0;
	for (size_t i = 0; s != NULL && i < 3; i++)
		if (strcasecmp(s, names[i]) == 0) {
			*out = (enum ddi_config_mode)i;
			return 0;
		}
	return bad(err, errlen, "mode: must be merge, replace or remove");
}

int
ddi_config_parse(json_t *body, struct ddi_config *out, char *err,
    size_t errlen)
{
	json_t *data = json_object_get(body, "data"), *v;
	const char *key;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(body))
		return bad(err, errlen, "body: must be a JSON object");
	if (!json_is_object(data))
		return bad(err, errlen, "data: required, an object of strings");
	if (json_object_size(data) > DDI_ATTRS_MAX)
		return bad(err, errlen, "data: at most %d keys", DDI_ATTRS_MAX);
	json_object_foreach(data, key, v) {
		size_t klen = strlen(key);

		if (klen == 0 || klen > DDI_KEY_MAX)
			return bad(err, errlen, "data: keys are 1 to %d bytes",
			    DDI_KEY_MAX);
		if (!json_is_string(v))
			return bad(err, errlen, "data.%.64s: must be a string",
			    key);
		if (json_string_length(v) > DDI_VALUE_MAX)
			return bad(err, errlen, "data.%.64s: at most %d bytes",
			    key, DDI_VALUE_MAX);
		out->keys[out->n] = key;
		out->values[out->n++] = json_string_value(v);
	}
	return parse_mode(json_object_get(body, "mode"), &out->mode, err,
	    errlen);
}
