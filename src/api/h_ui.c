/* The web console at /ui/: files compiled into otad (scripts/embed-ui),
 * served with a strict Content-Security-Policy and ETags. */
#include <string.h>

#include "api/handlers.h"
#include "api/ui_files.h"
#include "http/range.h"

/* Nothing from elsewhere, nothing inline, no framing, no forms posting. */
#define UI_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
    "connect-src 'self'; img-src 'self'; frame-ancestors 'none'; " \
    "base-uri 'none'; form-action 'none'"

static void
ui_headers(struct api_req *a)
{
	http_add_header(a->http, "Content-Security-Policy", UI_CSP);
	http_add_header(a->http, "X-Content-Type-Options", "nosniff");
	http_add_header(a->http, "Referrer-Policy", "no-referrer");
	http_add_header(a->http, "X-Frame-Options", "DENY");
}

/* The file called name, or NULL: names are looked up in the table, so
 * no path the client sends reaches a file system. */
static const struct ui_file *
ui_find(const char *name)
{
	for (size_t i = 0; i < ui_files_count; i++)
		if (strcmp(ui_files[i].name, name) == 0)
			return &ui_files[i];
	return NULL;
}

static void
ui_send(struct api_req *a, const char *name)
{
	const struct ui_file *f = ui_find(name);
	const char *inm;

	ui_headers(a);
	if (f == NULL) {
		api_err(a, 404, "not_found", "no console file %s",
		    http_path(a->http));
		return;
	}
	http_add_header(a->http, "ETag", f->etag);
	/* Revalidated on every load: a new otad brings a new console at
	 * once, and the 304 costs a round trip only. */
	http_add_header(a->http, "Cache-Control", "no-cache");
	inm = http_header(a->http, "If-None-Match");
	if (inm != NULL && http_if_none_match(inm, f->etag)) {
		http_reply(a->http, 304, NULL, "", 0);
		return;
	}
	http_reply(a->http, 200, f->type, f->data, f->len);
}

/* /ui → ui/ (relative, so it holds behind a path prefix). */
void
h_ui_redirect(struct api_req *a)
{
	static const char body[] = "see ui/\n";

	ui_headers(a);
	http_add_header(a->http, "Location", "ui/");
	http_reply(a->http, 308, "text/plain; charset=utf-8", body,
	    sizeof(body) - 1);
}

void
h_ui_index(struct api_req *a)
{
	ui_send(a, "index.html");
}

void
h_ui_file(struct api_req *a)
{
	ui_send(a, a->args[0]);
}
