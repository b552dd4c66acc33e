/* The routing table and the request cycle around every handler: match,
 * authenticate, receive and parse the body, dispatch, clean up. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
#include "core/metrics.h"
#include "util/log.h"
#include "util/util.h"

static const struct api_route routes[] = {
	{ HTTP_GET, "/healthz", NEED_PUBLIC, BODY_NO, h_healthz, NULL },
	{ HTTP_GET, "/metrics", NEED_PUBLIC, BODY_NO, h_metrics, NULL },
	{ HTTP_GET, "/v1/tokens", NEED_ADMIN, BODY_NO, h_tokens_list, NULL },
	{ HTTP_POST, "/v1/tokens", NEED_ADMIN, BODY_JSON, h_tokens_add, NULL },
	{ HTTP_DELETE, "/v1/tokens/{}", NEED_ADMIN, BODY_NO, h_tokens_revoke,
	    NULL },
	{ HTTP_POST, "/v1/artifacts", NEED_RELEASE, BODY_RAW, h_artifacts_put,
	    artifacts_stream },
	{ HTTP_PUT, "/v1/artifacts", NEED_RELEASE, BODY_RAW, h_artifacts_put,
	    artifacts_stream },
	{ HTTP_GET, "/v1/artifacts", NEED_VIEWER, BODY_NO, h_artifacts_list,
	    NULL },
	{ HTTP_GET, "/v1/artifacts/{}", NEED_ARTIFACT, BODY_NO, h_artifacts_get,
	    NULL },
	{ HTTP_DELETE, "/v1/artifacts/{}", NEED_RELEASE, BODY_NO,
	    h_artifacts_delete, NULL },
	{ HTTP_GET, "/v1/trust/online-key", NEED_PUBLIC, BODY_NO,
	    h_trust_online_key, NULL },
	{ HTTP_PUT, "/v1/trust/root", NEED_ADMIN, BODY_JSON, h_trust_root_put,
	    NULL },
	{ HTTP_GET, "/v1/trust/root.json", NEED_PUBLIC, BODY_NO,
	    h_trust_root_current, NULL },
	{ HTTP_GET, "/v1/trust/root/{}.json", NEED_PUBLIC, BODY_NO,
	    h_trust_root_version, NULL },
	{ HTTP_POST, "/v1/releases", NEED_RELEASE, BODY_JSON, h_releases_add,
	    NULL },
	{ HTTP_GET, "/v1/releases", NEED_VIEWER, BODY_NO, h_releases_list, NULL },
	{ HTTP_GET, "/v1/releases/{}", NEED_VIEWER, BODY_NO, h_releases_get,
	    NULL },
	{ HTTP_POST, "/v1/releases/{}/revoke", NEED_RELEASE, BODY_NO,
	    h_releases_revoke, NULL },
	{ HTTP_POST, "/v1/devices", NEED_ADMIN, BODY_BULK, h_devices_add, NULL },
	{ HTTP_GET, "/v1/devices", NEED_VIEWER, BODY_NO, h_devices_list, NULL },
	{ HTTP_GET, "/v1/devices/{}", NEED_VIEWER, BODY_NO, h_devices_get, NULL },
	{ HTTP_PATCH, "/v1/devices/{}", NEED_ADMIN, BODY_JSON, h_devices_patch,
	    NULL },
	{ HTTP_DELETE, "/v1/devices/{}", NEED_ADMIN, BODY_NO, h_devices_delete,
	    NULL },
	{ HTTP_POST, "/v1/devices/{}/decommission", NEED_ADMIN, BODY_NO,
	    h_devices_decommission, NULL },
	{ HTTP_POST, "/v1/devices/{}/token", NEED_ADMIN, BODY_NO,
	    h_devices_token, NULL },
	{ HTTP_POST, "/v1/devices/{}/assign", NEED_RELEASE, BODY_JSON,
	    h_device_assign, NULL },
	{ HTTP_DELETE, "/v1/devices/{}/assign", NEED_RELEASE, BODY_NO,
	    h_device_unassign, NULL },
	{ HTTP_POST, "/v1/cohorts", NEED_RELEASE, BODY_BULK, h_cohorts_add,
	    NULL },
	{ HTTP_GET, "/v1/cohorts", NEED_VIEWER, BODY_NO, h_cohorts_list, NULL },
	{ HTTP_GET, "/v1/cohorts/{}", NEED_VIEWER, BODY_NO, h_cohorts_get, NULL },
	{ HTTP_PUT, "/v1/cohorts/{}/devices", NEED_RELEASE, BODY_BULK,
	    h_cohorts_set, NULL },
	{ HTTP_POST, "/v1/cohorts/{}/devices", NEED_RELEASE, BODY_BULK,
	    h_cohorts_add_devices, NULL },
	{ HTTP_DELETE, "/v1/cohorts/{}/devices/{}", NEED_RELEASE, BODY_NO,
	    h_cohorts_remove_device, NULL },
	{ HTTP_DELETE, "/v1/cohorts/{}", NEED_RELEASE, BODY_NO,
	    h_cohorts_delete, NULL },
	{ HTTP_POST, "/v1/campaigns", NEED_RELEASE, BODY_JSON, h_campaigns_add,
	    NULL },
	{ HTTP_GET, "/v1/campaigns", NEED_VIEWER, BODY_NO, h_campaigns_list,
	    NULL },
	{ HTTP_GET, "/v1/campaigns/{}", NEED_VIEWER, BODY_NO, h_campaigns_get,
	    NULL },
	{ HTTP_PATCH, "/v1/campaigns/{}", NEED_RELEASE, BODY_JSON,
	    h_campaigns_patch, NULL },
	{ HTTP_DELETE, "/v1/campaigns/{}", NEED_RELEASE, BODY_NO,
	    h_campaigns_delete, NULL },
	{ HTTP_GET, "/v1/campaigns/{}/plan", NEED_VIEWER, BODY_NO,
	    h_campaigns_plan, NULL },
	{ HTTP_GET, "/v1/campaigns/{}/events", NEED_VIEWER, BODY_NO,
	    h_campaigns_events, NULL },
	{ HTTP_POST, "/v1/campaigns/{}/{}", NEED_RELEASE, BODY_NO,
	    h_campaigns_act, NULL },
	{ HTTP_GET, "/v1/device/update", NEED_DEVICE, BODY_NO, h_device_update,
	    NULL },
	/* hawkBit DDI: /{tenant}/controller/v1/{controllerId}/... */
	{ HTTP_GET, "/{}/controller/v1/{}", NEED_DDI, BODY_NO, h_ddi_base,
	    NULL },
	{ HTTP_GET, "/{}/controller/v1/{}/deploymentBase/{}", NEED_DDI,
	    BODY_NO, h_ddi_deployment, NULL },
	{ HTTP_POST, "/{}/controller/v1/{}/deploymentBase/{}/feedback",
	    NEED_DDI, BODY_JSON, h_ddi_feedback, NULL },
	{ HTTP_PUT, "/{}/controller/v1/{}/configData", NEED_DDI, BODY_JSON,
	    h_ddi_config, NULL },
	{ HTTP_GET, "/{}/controller/v1/{}/cancelAction/{}", NEED_DDI, BODY_NO,
	    h_ddi_cancel, NULL },
	{ HTTP_POST, "/{}/controller/v1/{}/cancelAction/{}/feedback", NEED_DDI,
	    BODY_JSON, h_ddi_cancel_feedback, NULL },
	/* .MD5SUM first: the download's {} would match it too. */
	{ HTTP_GET, "/{}/controller/v1/{}/softwaremodules/{}/artifacts/{}.MD5SUM",
	    NEED_DDI_ARTIFACT, BODY_NO, h_ddi_md5sum, NULL },
	{ HTTP_GET, "/{}/controller/v1/{}/softwaremodules/{}/artifacts/{}",
	    NEED_DDI_ARTIFACT, BODY_NO, h_ddi_download, NULL },
	{ HTTP_POST, "/v1/device/status", NEED_DEVICE, BODY_JSON,
	    h_device_status, NULL },
	{ HTTP_POST, "/v1/device/health", NEED_DEVICE, BODY_JSON,
	    h_device_health, NULL },
};

/* Matches path against pattern, copying {} segments into args (if not
 * NULL). A {} may be followed by a literal suffix in the same segment, as
 * in "{}.json": the suffix must end the segment and is not copied. */
static int
match(const char *pattern, const char *path, char (*args)[API_ARG_MAX])
{
	int nargs = 0;

	while (*pattern != '\0' && *path != '\0') {
		if (pattern[0] == '{' && pattern[1] == '}') {
			size_t seg = strcspn(path, "/");
			size_t sfx = strcspn(pattern + 2, "/");
			size_t n;

			if (seg <= sfx || strncmp(path + seg - sfx, pattern + 2,
			    sfx) != 0)
				return 0;
			n = seg - sfx;
			if (n >= API_ARG_MAX || nargs >= API_ARGS_MAX)
				return 0;
			if (args != NULL) {
				memcpy(args[nargs], path, n);
				args[nargs][n] = '\0';
			}
			nargs++;
			path += seg;
			pattern += 2 + sfx;
			continue;
		}
		if (*pattern != *path)
			return 0;
		pattern++;
		path++;
	}
	return *pattern == '\0' && *path == '\0';
}

const struct api_route *
api_route_find(enum http_method m, const char *path,
    char (*args)[API_ARG_MAX], char *allow, size_t allow_size)
{
	static const char *const names[] = { "GET", "HEAD", "POST", "PUT",
	    "DELETE", "PATCH" };
	int methods = 0;

	/* HEAD is answered wherever GET is (the HTTP layer drops the body;
	 * a handler that records state must not for a HEAD: the poll). */
	if (m == HTTP_HEAD)
		m = HTTP_GET;
	/* Only routes of this method can answer; the others are matched
	 * when none does, to list what is allowed. */
	for (size_t i = 0; i < ARRAY_LEN(routes); i++) {
		if (routes[i].method == m &&
		    match(routes[i].pattern, path, NULL)) {
			match(routes[i].pattern, path, args);
			return &routes[i];
		}
	}
	for (size_t i = 0; i < ARRAY_LEN(routes); i++) {
		if (!match(routes[i].pattern, path, NULL))
			continue;
		methods |= routes[i].method;
		if (routes[i].method == HTTP_GET)
			methods |= HTTP_HEAD;
	}
	allow[0] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		if (!(methods & (1 << i)))
			continue;
		if (allow[0] != '\0')
			strncat(allow, ", ", allow_size - strlen(allow) - 1);
		strncat(allow, names[i], allow_size - strlen(allow) - 1);
	}
	return NULL;
}

static void
on_begin(struct http_req *r, void *app)
{
	struct api_req *a = calloc(1, sizeof(*a));
	char allow[64];

	if (a == NULL) {
		http_reply_error(r, 503, "out_of_memory", "try again later");
		return;
	}
	a->srv = app;
	a->http = r;
	http_set_data(r, a);
	a->route = api_route_find(http_method(r), http_path(r), a->args, allow,
	    sizeof(allow));
	if (a->route == NULL) {
		if (allow[0] == '\0') {
			api_err(a, 404, "not_found", "no such path: %s",
			    http_path(r));
			return;
		}
		http_add_header(r, "Allow", allow);
		api_err(a, 405, "method_not_allowed", "%s is not allowed on "
		    "%s; allowed: %s", http_method_name(r), http_path(r), allow);
		return;
	}
	if (api_auth(a, a->route->need) != 0)
		return;
	switch (a->route->body) {
	case BODY_JSON:
		http_expect_body(r, a->srv->cfg.max_json_body);
		break;
	case BODY_BULK:
		http_expect_body(r, a->srv->cfg.max_bulk_body);
		break;
	case BODY_RAW:
		a->route->stream(a);
		break;
	case BODY_NO:
		break;
	}
}

static int
parse_body(struct api_req *a)
{
	const uint8_t *body;
	size_t len;

	body = http_body(a->http, &len);
	a->json = jv_parse(body, len, SIZE_MAX, AE(a));
	if (a->json == NULL) {
		api_err(a, 400, "bad_json", "%s", a->err);
		return -1;
	}
	return 0;
}

static void
on_handle(struct http_req *r, void *app)
{
	struct api_req *a = http_data(r);

	(void)app;
	if (a->route->body == BODY_JSON || a->route->body == BODY_BULK)
		if (parse_body(a) != 0)
			return;
	a->route->fn(a);
}

static void
on_done(struct http_req *r, void *app, int ok)
{
	struct api_req *a = http_data(r);

	(void)app;
	metrics_request(http_status(r));
	if (a == NULL)
		return;
	if (a->cleanup != NULL)
		a->cleanup(a, ok);
	json_decref(a->json);
	free(a);
}

const struct http_app api_app_template = { on_begin, on_handle, on_done,
    NULL };
