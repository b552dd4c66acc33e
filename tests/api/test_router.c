/* router: path patterns, 404 vs 405 with Allow, HEAD as GET. */
#include <string.h>

#include "check_util.h"
#include "api/api.h"

START_TEST(exact_and_parameter_routes)
{
	char args[API_ARGS_MAX][API_ARG_MAX], allow[64];
	const struct api_route *r;

	r = api_route_find(HTTP_GET, "/healthz", args, allow, sizeof(allow));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->pattern, "/healthz");
	r = api_route_find(HTTP_DELETE, "/v1/tokens/ci-bot", args, allow,
	    sizeof(allow));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(args[0], "ci-bot");
	r = api_route_find(HTTP_GET, "/v1/device/update", args, allow,
	    sizeof(allow));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->pattern, "/v1/device/update");
	r = api_route_find(HTTP_POST, "/v1/campaigns/7/start", args, allow,
	    sizeof(allow));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(args[0], "7");
	ck_assert_str_eq(args[1], "start");
}
END_TEST

START_TEST(unknown_path_is_404)
{
	char args[API_ARGS_MAX][API_ARG_MAX], allow[64];

	ck_assert_ptr_null(api_route_find(HTTP_GET, "/nope", args, allow,
	    sizeof(allow)));
	ck_assert_str_eq(allow, "");
	/* A parameter never matches an empty segment or several. */
	ck_assert_ptr_null(api_route_find(HTTP_DELETE, "/v1/tokens/", args,
	    allow, sizeof(allow)));
	ck_assert_ptr_null(api_route_find(HTTP_DELETE, "/v1/tokens/a/b", args,
	    allow, sizeof(allow)));
	ck_assert_ptr_null(api_route_find(HTTP_GET, "/healthz/", args,
	    allow, sizeof(allow)));
}
END_TEST

START_TEST(wrong_method_lists_allowed)
{
	char args[API_ARGS_MAX][API_ARG_MAX], allow[64];

	ck_assert_ptr_null(api_route_find(HTTP_POST, "/healthz", args, allow,
	    sizeof(allow)));
	ck_assert_str_eq(allow, "GET, HEAD");
	ck_assert_ptr_null(api_route_find(HTTP_PUT, "/v1/tokens", args, allow,
	    sizeof(allow)));
	ck_assert_str_eq(allow, "GET, HEAD, POST");
	ck_assert_ptr_null(api_route_find(HTTP_POST, "/v1/device/update", args,
	    allow, sizeof(allow)));
	ck_assert_str_eq(allow, "GET, HEAD");
}
END_TEST

START_TEST(head_is_answered_like_get)
{
	char args[API_ARGS_MAX][API_ARG_MAX], allow[64];
	const struct api_route *r;

	r = api_route_find(HTTP_HEAD, "/healthz", args, allow, sizeof(allow));
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->method, HTTP_GET);
	/* Everywhere, the device poll too (its handler records nothing). */
	r = api_route_find(HTTP_HEAD, "/v1/device/update", args, allow,
	    sizeof(allow));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->pattern, "/v1/device/update");
}
END_TEST

START_TEST(overlong_segment_is_refused)
{
	char args[API_ARGS_MAX][API_ARG_MAX], allow[64], path[400];

	snprintf(path, sizeof(path), "/v1/tokens/%0300d", 7);
	ck_assert_ptr_null(api_route_find(HTTP_DELETE, path, args, allow,
	    sizeof(allow)));
}
END_TEST

START_TEST(query_parameters_are_whole_words)
{
	const char *list = "hw_class tag limit after";

	ck_assert_int_eq(api_param_allowed(list, "hw_class"), 1);
	ck_assert_int_eq(api_param_allowed(list, "after"), 1);
	ck_assert_int_eq(api_param_allowed(list, "tag"), 1);
	ck_assert_int_eq(api_param_allowed(list, "hwclass"), 0);
	ck_assert_int_eq(api_param_allowed(list, "hw"), 0);
	ck_assert_int_eq(api_param_allowed(list, "class"), 0);
	ck_assert_int_eq(api_param_allowed(list, "limit after"), 0);
	ck_assert_int_eq(api_param_allowed(list, "aft"), 0);
	ck_assert_int_eq(api_param_allowed(list, ""), 0);
	ck_assert_int_eq(api_param_allowed("", "tag"), 0);
}
END_TEST

/* What each route takes: the lists' filters, the poll's three, a query
 * on DDI only where clients send one back (deploymentBase's ?c=). */
START_TEST(routes_name_their_parameters)
{
	char args[API_ARGS_MAX][API_ARG_MAX], allow[64];
	const struct api_route *r;

	r = api_route_find(HTTP_GET, "/v1/devices", args, allow, sizeof(allow));
	ck_assert_int_eq(api_param_allowed(r->params, "hw_class"), 1);
	ck_assert_int_eq(api_param_allowed(r->params, "hwclass"), 0);
	r = api_route_find(HTTP_GET, "/v1/device/update", args, allow,
	    sizeof(allow));
	ck_assert_str_eq(r->params, "fw_version nonce boot_id");
	r = api_route_find(HTTP_POST, "/v1/tokens", args, allow, sizeof(allow));
	ck_assert_ptr_null(r->params);
	r = api_route_find(HTTP_GET, "/DEFAULT/controller/v1/d1/deploymentBase/5",
	    args, allow, sizeof(allow));
	ck_assert_str_eq(r->params, "*");
	r = api_route_find(HTTP_GET, "/DEFAULT/controller/v1/d1", args, allow,
	    sizeof(allow));
	ck_assert_ptr_null(r->params);
}
END_TEST

START_TEST(request_ids)
{
	char s[80];

	ck_assert_int_eq(api_request_id_ok("abc-123"), 1);
	ck_assert_int_eq(api_request_id_ok("a.b_c:d@e/f+g=h"), 1);
	ck_assert_int_eq(api_request_id_ok(""), 0);
	ck_assert_int_eq(api_request_id_ok("a b"), 0);
	ck_assert_int_eq(api_request_id_ok("a\"b"), 0);
	ck_assert_int_eq(api_request_id_ok("a\nb"), 0);
	ck_assert_int_eq(api_request_id_ok("caf\xc3\xa9"), 0);
	memset(s, 'a', 64);
	s[64] = '\0';
	ck_assert_int_eq(api_request_id_ok(s), 1);
	s[64] = 'a';
	s[65] = '\0';
	ck_assert_int_eq(api_request_id_ok(s), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("router");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, exact_and_parameter_routes);
	tcase_add_test(tc, unknown_path_is_404);
	tcase_add_test(tc, wrong_method_lists_allowed);
	tcase_add_test(tc, head_is_answered_like_get);
	tcase_add_test(tc, overlong_segment_is_refused);
	tcase_add_test(tc, query_parameters_are_whole_words);
	tcase_add_test(tc, routes_name_their_parameters);
	tcase_add_test(tc, request_ids);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
