/* ddi_body: the feedback and configData bodies SWUpdate 2022.12 and
 * rauc-hawkbit-updater were seen to send (docs/notes/swupdate-observed.md)
 * are read; what is missing or wrong is named; the caps hold. */
#include "check_util.h"
#include "api/ddi_body.h"
#include "api/jsonv.h"

static json_t *
parse(const char *text)
{
	char err[256];
	json_t *v = jv_parse(text, strlen(text), 1 << 20, err, sizeof(err));

	ck_assert_msg(v != NULL, "%s", err);
	return v;
}

static int
feedback(const char *text, struct ddi_feedback *f, char *err)
{
	json_t *v = parse(text);
	int rc = ddi_feedback_parse(v, f, err, 256);

	/* Only rc and err are read after this: f's strings die with v. */
	json_decref(v);
	return rc;
}

START_TEST(swupdate_progress)
{
	struct ddi_feedback f;
	char err[256];
	json_t *v = parse("{\"id\":5,\"time\":\"20261201T154304\",\"status\":"
	    "{\"result\":{\"progress\":{\"cnt\":0,\"of\":1},\"finished\":\"none\"},"
	    "\"execution\":\"proceeding\",\"details\":[\"Installing Update Chunk "
	    "Artifacts.\"]}}");

	ck_assert_int_eq(ddi_feedback_parse(v, &f, err, sizeof(err)), 0);
	ck_assert_int_eq(f.exec, ROLLOUT_DDI_PROCEEDING);
	ck_assert_int_eq(f.finished, ROLLOUT_DDI_NONE);
	ck_assert_uint_eq(f.ndetails, 1);
	ck_assert_str_eq(f.details[0], "Installing Update Chunk Artifacts.");
	ck_assert(f.has_progress);
	ck_assert_int_eq(f.cnt, 0);
	ck_assert_int_eq(f.of, 1);
	json_decref(v);
}
END_TEST

START_TEST(swupdate_failure_and_rauc_string_id)
{
	struct ddi_feedback f;
	char err[256];
	json_t *v = parse("{\"id\":51,\"time\":\"20261201T154304\",\"status\":"
	    "{\"result\":{\"finished\":\"failure\",\"progress\":{\"cnt\":0,"
	    "\"of\":1}},\"execution\":\"closed\",\"details\":[\"ERROR : HW "
	    "compatibility not found\",\"ERROR : JSON File corrupted\",\"ERROR : "
	    "Compatible SW not found\",\"No suitable .swu image found\"]}}");
	json_t *r = parse("{\"id\":\"7\",\"time\":\"20261201T154304\",\"status\":"
	    "{\"result\":{\"finished\":\"success\"},\"execution\":\"closed\","
	    "\"details\":[\"Software bundle installed successfully.\"]}}");

	ck_assert_int_eq(ddi_feedback_parse(v, &f, err, sizeof(err)), 0);
	ck_assert_int_eq(f.exec, ROLLOUT_DDI_CLOSED);
	ck_assert_int_eq(f.finished, ROLLOUT_DDI_FAILURE);
	ck_assert_uint_eq(f.ndetails, 4);
	ck_assert_str_eq(f.details[3], "No suitable .swu image found");
	ck_assert_int_eq(ddi_feedback_parse(r, &f, err, sizeof(err)), 0);
	ck_assert_int_eq(f.finished, ROLLOUT_DDI_SUCCESS);
	ck_assert(!f.has_progress);
	json_decref(v);
	json_decref(r);
}
END_TEST

START_TEST(lenient_about_the_rest)
{
	struct ddi_feedback f;
	char err[256];
	json_t *v = parse("{\"status\":{\"execution\":\"CLOSED\",\"result\":"
	    "{\"finished\":\"Success\",\"progress\":{\"cnt\":\"1\",\"of\":2}},"
	    "\"details\":[1,\"a\",null,{\"x\":1},\"b\"],\"code\":7,\"x\":[]},"
	    "\"extra\":true}");

	ck_assert_int_eq(ddi_feedback_parse(v, &f, err, sizeof(err)), 0);
	ck_assert_int_eq(f.exec, ROLLOUT_DDI_CLOSED);
	ck_assert_int_eq(f.finished, ROLLOUT_DDI_SUCCESS);
	ck_assert_uint_eq(f.ndetails, 2);
	ck_assert_str_eq(f.details[0], "a");
	ck_assert_str_eq(f.details[1], "b");
	ck_assert(!f.has_progress);
	json_decref(v);
}
END_TEST

START_TEST(details_capped)
{
	char body[8192] = "{\"status\":{\"execution\":\"proceeding\","
	    "\"result\":{\"finished\":\"none\"},\"details\":[";
	struct ddi_feedback f;
	char err[256];
	json_t *v;

	for (int i = 0; i < DDI_DETAILS_MAX + 20; i++)
		snprintf(body + strlen(body), sizeof(body) - strlen(body),
		    "%s\"l%d\"", i ? "," : "", i);
	snprintf(body + strlen(body), sizeof(body) - strlen(body), "]}}");
	v = parse(body);
	ck_assert_int_eq(ddi_feedback_parse(v, &f, err, sizeof(err)), 0);
	ck_assert_uint_eq(f.ndetails, DDI_DETAILS_MAX);
	ck_assert_str_eq(f.details[DDI_DETAILS_MAX - 1], "l63");
	json_decref(v);
}
END_TEST

START_TEST(feedback_refusals_name_the_field)
{
	static const struct { const char *body, *field; } rows[] = {
		{ "[]", "body:" },
		{ "{}", "status:" },
		{ "{\"status\":\"closed\"}", "status:" },
		{ "{\"status\":{\"result\":{\"finished\":\"none\"}}}",
		  "status.execution:" },
		{ "{\"status\":{\"execution\":\"done\",\"result\":"
		  "{\"finished\":\"none\"}}}", "status.execution:" },
		{ "{\"status\":{\"execution\":7,\"result\":"
		  "{\"finished\":\"none\"}}}", "status.execution:" },
		{ "{\"status\":{\"execution\":\"closed\"}}",
		  "status.result.finished:" },
		{ "{\"status\":{\"execution\":\"closed\",\"result\":{}}}",
		  "status.result.finished:" },
		{ "{\"status\":{\"execution\":\"closed\",\"result\":"
		  "{\"finished\":\"ok\"}}}", "status.result.finished:" },
		{ "{\"status\":{\"execution\":\"closed\",\"result\":"
		  "\"success\"}}", "status.result.finished:" },
	};
	struct ddi_feedback f;
	char err[256];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		err[0] = '\0';
		ck_assert_int_eq(feedback(rows[i].body, &f, err), -1);
		ck_assert_msg(strncmp(err, rows[i].field, strlen(rows[i].field))
		    == 0, "%s: %s", rows[i].body, err);
	}
}
END_TEST

START_TEST(swupdate_config_data)
{
	struct ddi_config c;
	char err[256];
	json_t *v = parse("{\"id\":\"\",\"time\":\"20261201T154304\",\"status\":"
	    "{\"result\":{\"finished\":\"success\"},\"execution\":\"closed\","
	    "\"details\":[\"\"]},\"data\":{\"revision\":\"1.0\",\"board\":"
	    "\"otad-board\"}}");

	ck_assert_int_eq(ddi_config_parse(v, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.mode, DDI_MERGE);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_str_eq(c.keys[0], "revision");
	ck_assert_str_eq(c.values[0], "1.0");
	ck_assert_str_eq(c.keys[1], "board");
	ck_assert_str_eq(c.values[1], "otad-board");
	json_decref(v);
	v = parse("{\"data\":{},\"mode\":\"REPLACE\"}");
	ck_assert_int_eq(ddi_config_parse(v, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.mode, DDI_REPLACE);
	ck_assert_uint_eq(c.n, 0);
	json_decref(v);
	v = parse("{\"data\":{\"a\":\"\"},\"mode\":\"remove\"}");
	ck_assert_int_eq(ddi_config_parse(v, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.mode, DDI_REMOVE);
	json_decref(v);
}
END_TEST

static void
config_refused(const char *body, const char *field)
{
	struct ddi_config c;
	char err[256] = "";
	json_t *v = parse(body);

	ck_assert_int_eq(ddi_config_parse(v, &c, err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, field, strlen(field)) == 0, "%.80s: %s",
	    body, err);
	json_decref(v);
}

START_TEST(config_refusals_and_caps)
{
	char big[40000], key[200], val[300];
	struct ddi_config c;
	char err[256];
	json_t *v;

	config_refused("[]", "body:");
	config_refused("{}", "data:");
	config_refused("{\"data\":[]}", "data:");
	config_refused("{\"data\":{\"a\":1}}", "data.a:");
	config_refused("{\"data\":{\"a\":null}}", "data.a:");
	config_refused("{\"data\":{\"\":\"x\"}}", "data:");
	config_refused("{\"data\":{},\"mode\":\"append\"}", "mode:");
	config_refused("{\"data\":{},\"mode\":1}", "mode:");
	/* keys of 128 bytes and values of 256 are fine; one more is not */
	memset(key, 'k', 128);
	key[128] = '\0';
	memset(val, 'v', 256);
	val[256] = '\0';
	snprintf(big, sizeof(big), "{\"data\":{\"%s\":\"%s\"}}", key, val);
	v = parse(big);
	ck_assert_int_eq(ddi_config_parse(v, &c, err, sizeof(err)), 0);
	json_decref(v);
	snprintf(big, sizeof(big), "{\"data\":{\"%sk\":\"v\"}}", key);
	config_refused(big, "data:");
	snprintf(big, sizeof(big), "{\"data\":{\"a\":\"%sv\"}}", val);
	config_refused(big, "data.a:");
	/* 128 keys, then 129 */
	snprintf(big, sizeof(big), "{\"data\":{");
	for (int i = 0; i < DDI_ATTRS_MAX; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big),
		    "%s\"k%d\":\"v\"", i ? "," : "", i);
	snprintf(big + strlen(big), sizeof(big) - strlen(big), "}}");
	v = parse(big);
	ck_assert_int_eq(ddi_config_parse(v, &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.n, DDI_ATTRS_MAX);
	json_decref(v);
	big[strlen(big) - 2] = '\0';
	snprintf(big + strlen(big), sizeof(big) - strlen(big),
	    ",\"one\":\"more\"}}");
	config_refused(big, "data:");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ddi_body");
	TCase *tc = tcase_create("ddi_body");

	tcase_add_test(tc, swupdate_progress);
	tcase_add_test(tc, swupdate_failure_and_rauc_string_id);
	tcase_add_test(tc, lenient_about_the_rest);
	tcase_add_test(tc, details_capped);
	tcase_add_test(tc, feedback_refusals_name_the_field);
	tcase_add_test(tc, swupdate_config_data);
	tcase_add_test(tc, config_refusals_and_caps);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
