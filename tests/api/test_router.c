/* router: path patterns, 404 vs 405 with Allow, HEAD as GET. */
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
	suite_add_tcase(s, tc);
	return tu_run(s);
}
