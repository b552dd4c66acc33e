/* The routing table and the request cycle around every handler: match,
 * authenticate, receive and parse the body, dispatch, clean up. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
#include "core/metrics.h"
#include "sign/crypto.h"
#include "util/log.h"
#include "util/util.h"

static const struct api_route routes[] = {
	{ HTTP_GET, "/healthz", NEED_PUBLIC, BODY_NO, h_healthz, NULL, NULL },
	{ HTTP_GET, "/metrics", NEED_PUBLIC, BODY_NO, h_metrics, NULL, NULL },
	{ HTTP_GET, "/ui", NEED_PUBLIC, BODY_NO, h_ui_redirect, NULL, NULL },
	{ HTTP_GET, "/ui/", NEED_PUBLIC, BODY_NO, h_ui_index, NULL, NULL },
	{ HTTP_GET, "/ui/{}", NEED_PUBLIC, BODY_NO, h_ui_file, NULL, NULL },
	{ HTTP_GET, "/v1/tokens", NEED_ADMIN, BODY_NO, h_tokens_list, NULL,
	    NULL },
	{ HTTP_GET, "/v1/tokens/self", NEED_VIEWER, BODY_NO, h_tokens_self,
	    NULL, NULL },
	{ HTTP_POST, "/v1/tokens", NEED_ADMIN, BODY_JSON, h_tokens_add, NULL,
	    NULL },
	{ HTTP_DELETE, "/v1/tokens/{}", NEED_ADMIN, BODY_NO, h_tokens_revoke,
	    NULL, NULL },
	{ HTTP_POST, "/v1/artifacts", NEED_RELEASE, BODY_RAW, h_artifacts_put,
	    artifacts_stream, NULL },
	{ HTTP_PUT, "/v1/artifacts", NEED_RELEASE, BODY_RAW, h_artifacts_put,
	    artifacts_stream, NULL },
	{ HTTP_GET, "/v1/artifacts", NEED_VIEWER, BODY_NO, h_artifacts_list,
	    NULL, "limit after" },
	{ HTTP_GET, "/v1/artifacts/{}", NEED_ARTIFACT, BODY_NO, h_artifacts_get,
	    NULL, NULL },
	{ HTTP_DELETE, "/v1/artifacts/{}", NEED_RELEASE, BODY_NO,
	    h_artifacts_delete, NULL, NULL },
	{ HTTP_GET, "/v1/trust/online-key", NEED_PUBLIC, BODY_NO,
	    h_trust_online_key, NULL, NULL },
	{ HTTP_PUT, "/v1/trust/root", NEED_ADMIN, BODY_JSON, h_trust_root_put,
	    NULL, NULL },
	{ HTTP_GET, "/v1/trust/root.json", NEED_PUBLIC, BODY_NO,
	    h_trust_root_current, NULL, NULL },
	{ HTTP_GET, "/v1/trust/root/{}.json", NEED_PUBLIC, BODY_NO,
	    h_trust_root_version, NULL, NULL },
	{ HTTP_POST, "/v1/releases", NEED_RELEASE, BODY_JSON, h_releases_add,
	    NULL, NULL },
	{ HTTP_GET, "/v1/releases", NEED_VIEWER, BODY_NO, h_releases_list, NULL,
	    "hw_class state limit after" },
	{ HTTP_GET, "/v1/releases/{}", NEED_VIEWER, BODY_NO, h_releases_get,
	    NULL, NULL },
	{ HTTP_POST, "/v1/releases/{}/revoke", NEED_RELEASE, BODY_NO,
	    h_releases_revoke, NULL, NULL },
	{ HTTP_POST, "/v1/devices", NEED_ADMIN, BODY_BULK, h_devices_add, NULL,
	    NULL },
	{ HTTP_GET, "/v1/devices", NEED_VIEWER, BODY_NO, h_devices_list, NULL,
	    "hw_class tag cohort fw_version campaign state limit after" },
	{ HTTP_GET, "/v1/devices/{}", NEED_VIEWER, BODY_NO, h_devices_get, NULL,
	    NULL },
	{ HTTP_PATCH, "/v1/devices/{}", NEED_ADMIN, BODY_JSON, h_devices_patch,
	    NULL, NULL },
	{ HTTP_DELETE, "/v1/devices/{}", NEED_ADMIN, BODY_NO, h_devices_delete,
	    NULL, NULL },
	{ HTTP_POST, "/v1/devices/{}/decommission", NEED_ADMIN, BODY_NO,
	    h_devices_decommission, NULL, NULL },
	{ HTTP_POST, "/v1/devices/{}/token", NEED_ADMIN, BODY_NO,
	    h_devices_token, NULL, NULL },
	{ HTTP_POST, "/v1/devices/{}/assign", NEED_RELEASE, BODY_JSON,
	    h_device_assign, NULL, NULL },
	{ HTTP_DELETE, "/v1/devices/{}/assign", NEED_RELEASE, BODY_NO,
	    h_device_unassign, NULL, NULL },
	{ HTTP_POST, "/v1/cohorts", NEED_RELEASE, BODY_BULK, h_cohorts_add,
	    NULL, NULL },
	{ HTTP_GET, "/v1/cohorts", NEED_VIEWER, BODY_NO, h_cohorts_list, NULL,
	    NULL },
	{ HTTP_GET, "/v1/cohorts/{}", NEED_VIEWER, BODY_NO, h_cohorts_get, NULL,
	    "limit after" },
	{ HTTP_PUT, "/v1/cohorts/{}/devices", NEED_RELEASE, BODY_BULK,
	    h_cohorts_set, NULL, NULL },
	{ HTTP_POST, "/v1/cohorts/{}/devices", NEED_RELEASE, BODY_BULK,
	    h_cohorts_add_devices, NULL, NULL },
	{ HTTP_DELETE, "/v1/cohorts/{}/devices/{}", NEED_RELEASE, BODY_NO,
	    h_cohorts_remove_device, NULL, NULL },
	{ HTTP_DELETE, "/v1/cohorts/{}", NEED_RELEASE, BODY_NO,
	    h_cohorts_delete, NULL, NULL },
	{ HTTP_POST, "/v1/campaigns", NEED_RELEASE, BODY_JSON, h_campaigns_add,
	    NULL, NULL },
	{ HTTP_GET, "/v1/campaigns", NEED_VIEWER, BODY_NO, h_campaigns_list,
	    NULL, "state limit after" },
	{ HTTP_GET, "/v1/campaigns/{}", NEED_VIEWER, BODY_NO, h_campaigns_get,
	    NULL, NULL },
	{ HTTP_PATCH, "/v1/campaigns/{}", NEED_RELEASE, BODY_JSON,
	    h_campaigns_patch, NULL, NULL },
	{ HTTP_DELETE, "/v1/campaigns/{}", NEED_RELEASE, BODY_NO,
	    h_campaigns_delete, NULL, NULL },
	{ HTTP_GET, "/v1/campaigns/{}/plan", NEED_VIEWER, BODY_NO,
	    h_campaigns_plan, NULL, NULL },
	{ HTTP_GET, "/v1/campaigns/{}/events", NEED_VIEWER, BODY_NO,
	    h_campaigns_events, NULL, "limit after" },
	{ HTTP_GET, "/v1/campaigns/{}/devices", NEED_VIEWER, BODY_NO,
	    h_campaigns_devices, NULL, "stage state limit after" },
	{ HTTP_GET, "/v1/audit", NEED_ADMIN, BODY_NO, h_audit_list, NULL,
	    "actor object since until limit after" },
	{ HTTP_POST, "/v1/campaigns/{}/{}", NEED_RELEASE, BODY_NO,
	    h_campaigns_act, NULL, "start_at" },
	{ HTTP_GET, "/v1/device/update", NEED_DEVICE, BODY_NO, h_device_update,
	    NULL, "fw_version nonce boot_id" },
	/* hawkBit DDI: /{tenant}/controller/v1/{controllerId}/... Only
	 * deploymentBase takes a query: clients send its href back as given,
	 * and hawkBit's carry ?c=<hash> (and may add ?actionHistory=N); the
	 * DDI contract ignores any query there. */
	{ HTTP_GET, "/{}/controller/v1/{}", NEED_DDI, BODY_NO, h_ddi_base,
	    NULL, NULL },
	{ HTTP_GET, "/{}/controller/v1/{}/deploymentBase/{}", NEED_DDI,
	    BODY_NO, h_ddi_deployment, NULL, "*" },
	{ HTTP_POST, "/{}/controller/v1/{}/deploymentBase/{}/feedback",
	    NEED_DDI, BODY_JSON, h_ddi_feedback, NULL, NULL },
	{ HTTP_PUT, "/{}/controller/v1/{}/configData", NEED_DDI, BODY_JSON,
	    h_ddi_config, NULL, NULL },
	{ HTTP_GET, "/{}/controller/v1/{}/cancelAction/{}", NEED_DDI, BODY_NO,
	    h_ddi_cancel, NULL, NULL },
	{ HTTP_POST, "/{}/controller/v1/{}/cancelAction/{}/feedback", NEED_DDI,
	    BODY_JSON, h_ddi_cancel_feedback, NULL, NULL },
	/* .MD5SUM first: the download's {} would match it too. */
	{ HTTP_GET, "/{}/controller/v1/{}/softwaremodules/{}/artifacts/{}.MD5SUM",
	    NEED_DDI_ARTIFACT, BODY_NO, h_ddi_md5sum, NULL, NULL },
	{ HTTP_GET, "/{}/controller/v1/{}/softwaremodules/{}/artifacts/{}",
	    NEED_DDI_ARTIFACT, BODY_NO, h_ddi_download, NULL, NULL },
	{ HTTP_POST, "/v1/device/status", NEED_DEVICE, BODY_JSON,
	    h_device_status, NULL, NULL },
	{ HTTP_POST, "/v1/device/health", NEED_DEVICE, BODY_JSON,
	    h_device_health, NULL, NULL },
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

/* ---- query parameters: a typo must not widen a list ---- */

#define BAD_NAMES_MAX 160

struct query_check {
	const char *allowed;
	char bad[BAD_NAMES_MAX];
};

int
api_param_allowed(const char *list, const char *name)
{
	size_t n = strlen(name);

	if (strchr(name, ' ') != NULL)
		return 0;
	for (const char *p = list; n > 0 && (p = strstr(p, name)) != NULL;
	    p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

static void
query_one(const char *key, void *arg)
{
	struct query_check *q = arg;
	size_t used = strlen(q->bad);

	if (q->allowed != NULL && api_param_allowed(q->allowed, key))
		return;
	/* Names are the client's bytes: cut, and listed while they fit. */
	if (used + 40 < sizeof(q->bad))
		snprintf(q->bad + used, sizeof(q->bad) - used, "%s\"%.32s\"",
		    used > 0 ? ", " : "", key);
}

int
api_check_query(struct api_req *a)
{
	struct query_check q = { a->route->params, "" };

	if (q.allowed != NULL && strcmp(q.allowed, "*") == 0)
		return 0;
	http_query_each(a->http, query_one, &q);
	if (q.bad[0] == '\0')
		return 0;
	api_err(a, 400, "unknown_parameter", "unknown query parameter %s; %s "
	    "%s takes %s", q.bad, http_method_name(a->http), a->route->pattern,
	    q.allowed != NULL ? q.allowed : "none");
	return -1;
}

/* ---- the request cycle ---- */

/* The client's X-Request-Id if it is sane, else a new one; echoed. */
static void
request_id(struct api_req *a)
{
	const char *h = http_header(a->http, "X-Request-Id");
	uint8_t raw[12];

	if (h != NULL && api_request_id_ok(h)) {
		memcpy(a->request_id, h, strlen(h) + 1);
	} else {
		sign_random_id(raw, sizeof(raw));
		sign_hex(raw, sizeof(raw), a->request_id);
	}
	http_add_header(a->http, "X-Request-Id", a->request_id);
	http_client_addr(a->http, a->client, sizeof(a->client));
}

/* Who, from where, which request: the end of the request's log line. */
static void
log_note(struct api_req *a)
{
	char note[HTTP_NOTE_MAX];

	snprintf(note, sizeof(note), "actor=%s client=%s request_id=%s",
	    a->who.name[0] != '\0' ? a->who.name : "-", a->client,
	    a->request_id);
	http_set_log_note(a->http, note);
}

static void
on_begin(struct http_req *r, void *app)
{
	struct api_req *a = calloc(1, sizeof(*a));
	char allow[64];
	int rc;

	if (a == NULL) {
		http_reply_error(r, 503, "out_of_memory", "try again later");
		return;
	}
	a->srv = app;
	a->http = r;
	http_set_data(r, a);
	request_id(a);
	a->route = api_route_find(http_method(r), http_path(r), a->args, allow,
	    sizeof(allow));
	if (a->route == NULL) {
		log_note(a);
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
	rc = api_auth(a, a->route->need);
	log_note(a);
	audit_begin(a);
	if (rc != 0 || api_check_query(a) != 0)
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
	metrics_request(http_status(r), http_elapsed_us(r));
	if (a == NULL)
		return;
	audit_end(a);
	if (a->cleanup != NULL)
		a->cleanup(a, ok);
	json_decref(a->json);
	free(a);
}

const struct http_app api_app_template = { on_begin, on_handle, on_done,
    NULL };
