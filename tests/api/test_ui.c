/* The web console's compiled-in files (scripts/embed-ui, api/h_ui.c):
 * the table and the routes that reach it. */
#include <stdio.h>
#include <string.h>

#include "check_util.h"
#include "api/api.h"
#include "api/ui_files.h"

static const struct ui_file *
find(const char *name)
{
	for (size_t i = 0; i < ui_files_count; i++)
		if (strcmp(ui_files[i].name, name) == 0)
			return &ui_files[i];
	return NULL;
}

START_TEST(every_source_file_is_embedded_as_is)
{
	static const char *const names[] = { "index.html", "app.js",
	    "style.css", "favicon.svg" };
	char path[256], buf[1 << 16];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct ui_file *f = find(names[i]);
		FILE *fp;
		size_t n;

		ck_assert_msg(f != NULL, "%s is not embedded", names[i]);
		snprintf(path, sizeof(path), "ui/%s", names[i]);
		fp = fopen(path, "rb");
		ck_assert_msg(fp != NULL, "run from the top of the tree: %s",
		    path);
		n = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		ck_assert_uint_eq(n, f->len);
		ck_assert_int_eq(memcmp(buf, f->data, n), 0);
		/* The table adds a NUL past the bytes, never counted. */
		ck_assert_int_eq(f->data[f->len], 0);
	}
}
END_TEST

START_TEST(types_and_etags)
{
	ck_assert_str_eq(find("index.html")->type, "text/html; charset=utf-8");
	ck_assert_str_eq(find("app.js")->type,
	    "text/javascript; charset=utf-8");
	ck_assert_str_eq(find("style.css")->type, "text/css; charset=utf-8");
	ck_assert_str_eq(find("favicon.svg")->type, "image/svg+xml");
	for (size_t i = 0; i < ui_files_count; i++) {
		const char *e = ui_files[i].etag;

		/* A strong tag: 32 hex digits of the SHA-256, quoted. */
		ck_assert_uint_eq(strlen(e), 34);
		ck_assert(e[0] == '"' && e[33] == '"');
		ck_assert_uint_eq(strspn(e + 1, "0123456789abcdef"), 32);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(e, ui_files[j].etag);
		ck_assert(strchr(ui_files[i].name, '/') == NULL);
		ck_assert(ui_files[i].name[0] != '.');
	}
}
END_TEST

START_TEST(routes)
{
	char args[API_ARGS_MAX][API_ARG_MAX], allow[64];
	const struct api_route *r;

	r = api_route_find(HTTP_GET, "/ui", args, allow, sizeof(allow));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->pattern, "/ui");
	r = api_route_find(HTTP_GET, "/ui/", args, allow, sizeof(allow));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->pattern, "/ui/");
	r = api_route_find(HTTP_HEAD, "/ui/app.js", args, allow, sizeof(allow));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(args[0], "app.js");
	ck_assert_int_eq(r->need, NEED_PUBLIC);
	/* One segment only: no way into another directory. */
	ck_assert_ptr_null(api_route_find(HTTP_GET, "/ui/../v1/tokens", args,
	    allow, sizeof(allow)));
	ck_assert_ptr_null(api_route_find(HTTP_GET, "/ui/a/app.js", args,
	    allow, sizeof(allow)));
	ck_assert_ptr_null(api_route_find(HTTP_GET, "/ui//app.js", args,
	    allow, sizeof(allow)));
	ck_assert_ptr_null(api_route_find(HTTP_POST, "/ui/app.js", args,
	    allow, sizeof(allow)));
	ck_assert_str_eq(allow, "GET, HEAD");
	r = api_route_find(HTTP_GET, "/v1/tokens/self", args, allow,
	    sizeof(allow));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->pattern, "/v1/tokens/self");
	ck_assert_int_eq(r->need, NEED_VIEWER);
	/* DELETE of a token named self is still the revoke route. */
	r = api_route_find(HTTP_DELETE, "/v1/tokens/self", args, allow,
	    sizeof(allow));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->pattern, "/v1/tokens/{}");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ui");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, every_source_file_is_embedded_as_is);
	tcase_add_test(tc, types_and_etags);
	tcase_add_test(tc, routes);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
