/* hawkBit DDI (docs/api.md §13): the controller base with its links,
 * deploymentBase, feedback, configData, cancelAction and the software
 * module downloads, for SWUpdate and rauc-hawkbit-updater devices. The
 * decisions are in core/ddi.c and rollout/ddi.c; this file reads the
 * requests and writes hawkBit's JSON. Paths: args[0] the tenant, args[1]
 * the controller (checked by api_auth), then the route's own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ddi_body.h"
#include "api/handlers.h"
#include "core/ddi.h"
#include "core/metrics.h"
#include "core/seen.h"
#include "db/ddi.h"
#include "rollout/ddi.h"
#include "util/util.h"

#define BASE_MAX 1024	/* public_url (512), tenant, controller */

/* The absolute base of every href: public_url, else http:// and the
 * request's Host when it is a plain host[:port], then the controller. */
static int
ddi_base(struct api_req *a, char *out, size_t size, int *https)
{
	const char *host = http_header(a->http, "Host");
	const char *pub = a->srv->cfg.public_url;
	size_t n = strlen(pub);

	while (n > 0 && pub[n - 1] == '/')
		n--;
	*https = strncmp(pub, "https://", 8) == 0;
	if (n > 0)
		return util_fmt(out, size, "%.*s/%s/controller/v1/%s", (int)n, pub,
		    a->args[0], a->args[1]);
	if (host == NULL || host[0] == '\0' || strlen(host) > 255 ||
	    strspn(host, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789.-:[]") != strlen(host))
		host = "localhost";
	return util_fmt(out, size, "http://%s/%s/controller/v1/%s", host,
	    a->args[0], a->args[1]);
}

/* Sets key of links to {"href": base/key[/id]} (id 0: none). */
static void
link_set(json_t *links, const char *key, const char *base, int64_t id)
{
	char href[BASE_MAX + 64];
	int rc = id > 0 ? util_fmt(href, sizeof(href), "%s/%s/%lld", base, key,
	    (long long)id) : util_fmt(href, sizeof(href), "%s/%s", base, key);

	if (rc == 0)
		json_object_set_new(links, key, json_pack("{s:s}", "href", href));
}

/* An action id from the path: 1..2^31-1, else 0. */
static int64_t
action_arg(const char *s)
{
	int64_t id;

	return util_parse_int(s, 1, DB_DDI_ACTION_MAX, &id) == 0 ? id : 0;
}

static void
reply_empty(struct api_req *a)
{
	http_reply(a->http, 200, NULL, "", 0);
}

static void
job_free(struct api_req *a, int ok)
{
	(void)ok;
	free(a->state);
}

/* A zeroed request state of size bytes, freed with the request (by
 * cleanup, or job_free when NULL); NULL having replied 503. */
static void *
job_new(struct api_req *a, size_t size,
    void (*cleanup)(struct api_req *a, int ok))
{
	void *j = calloc(1, size);

	if (j == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return NULL;
	}
	a->state = j;
	a->cleanup = cleanup != NULL ? cleanup : job_free;
	return j;
}

/* ---- the controller base ---- */

struct base_job {
	struct ddi_poll p;
};

static void
base_cleanup(struct api_req *a, int ok)
{
	struct base_job *j = a->state;

	(void)ok;
	ddi_poll_free(&j->p);
	free(j);
}

static void
base_reply(struct api_req *a, const struct ddi_poll *p)
{
	char base[BASE_MAX], sleep[ROLLOUT_DDI_SLEEP_LEN];
	json_t *links = json_object();
	int https;

	/* Held back by a concurrency cap: come back sooner for a slot. */
	rollout_ddi_sleep(p->show == DDI_SHOW_NONE ? poll_hint(&p->ans,
	    a->srv->cfg.poll_interval) : a->srv->cfg.poll_interval, sleep);
	if (ddi_base(a, base, sizeof(base), &https) != 0) {
		json_decref(links);
		api_err(a, 500, "internal", "public_url is too long");
		return;
	}
	if (p->show == DDI_SHOW_DEPLOY)
		link_set(links, "deploymentBase", base, p->action);
	if (p->show == DDI_SHOW_CANCEL)
		link_set(links, "cancelAction", base, p->action);
	if (p->config)
		link_set(links, "configData", base, 0);
	api_json(a, 200, json_pack("{s:{s:{s:s}},s:o}", "config", "polling",
	    "sleep", sleep, "_links", links));
}

static void
base_then(struct api_req *a, int rc)
{
	struct base_job *j = a->state;

	if (rc != DB_OK) {
		api_err_db(a, rc, "decide the poll");
		return;
	}
	base_reply(a, &j->p);
}

void
h_ddi_base(struct api_req *a)
{
	struct base_job *j;
	struct poll_device d;
	int64_t now = util_now();
	int rc;

	/* A HEAD records nothing: it shows the polling interval only. */
	if (http_method(a->http) == HTTP_HEAD) {
		struct ddi_poll none = { 0 };
		base_reply(a, &none);
		return;
	}
	if ((j = job_new(a, sizeof(*j), base_cleanup)) == NULL)
		return;
	metrics_add(M_POLLS, 1);
	/* Seen, but no version declared (DDI.md F4). */
	seen_note(a->srv->core.seen, a->who.device, now, NULL);
	d = (struct poll_device){ a->who.device, a->who.device_id,
	    a->who.hw_class, NULL, a->who.fw_version, NULL,
	    a->who.offer_release, a->who.offer_state };
	rc = ddi_poll_begin(&a->srv->core, &d, now, &j->p);
	if (rc < 0)
		api_err_db(a, DB_ERR, "decide the poll");
	else if (rc == 0)
		base_reply(a, &j->p);
	else
		api_write(a, ddi_poll_tx, &j->p, base_then);
}

/* ---- deploymentBase ---- */

static json_t *
artifact_json(const struct ddi_deployment *dep, const char *base, int https)
{
	char file[80], href[BASE_MAX + 200], md5[BASE_MAX + 210];
	json_t *links;

	snprintf(file, sizeof(file), "%s.swu", dep->fw_version);
	if (util_fmt(href, sizeof(href), "%s/softwaremodules/%lld/artifacts/%s",
	    base, (long long)dep->release, file) != 0 ||
	    util_fmt(md5, sizeof(md5), "%s.MD5SUM", href) != 0)
		return NULL;
	links = json_pack("{s:{s:s},s:{s:s}}", https ? "download" :
	    "download-http", "href", href, https ? "md5sum" : "md5sum-http",
	    "href", md5);
	return json_pack("{s:s,s:I,s:{s:s,s:s,s:s},s:o}", "filename", file,
	    "size", (json_int_t)dep->size, "hashes", "sha1", dep->d.sha1, "md5",
	    dep->d.md5, "sha256", dep->sha256, "_links", links);
}

void
h_ddi_deployment(struct api_req *a)
{
	struct ddi_deployment dep;
	char base[BASE_MAX], id[24];
	int64_t action = action_arg(a->args[2]);
	json_t *art;
	int https, rc;

	rc = action == 0 ? DB_NOTFOUND : ddi_deployment(&a->srv->core,
	    a->srv->artifacts_dir, a->who.device, action, &dep);
	if (rc == DB_NOTFOUND) {
		api_err(a, 404, "not_found", "no open action %.24s of %s",
		    a->args[2], a->who.device_id);
		return;
	}
	if (rc != DB_OK || ddi_base(a, base, sizeof(base), &https) != 0 ||
	    (art = artifact_json(&dep, base, https)) == NULL) {
		api_err_db(a, DB_ERR, "read the action");
		return;
	}
	snprintf(id, sizeof(id), "%lld", (long long)action);
	api_json(a, 200, json_pack("{s:s,s:{s:s,s:s,s:[{s:s,s:s,s:s,s:[o]}]}}",
	    "id", id, "deployment", "download", "forced", "update", "forced",
	    "chunks", "part", "os", "version", dep.fw_version, "name",
	    dep.fw_version, "artifacts", art));
}

/* ---- feedback ---- */

struct report_job {
	struct ddi_report r;
	struct ddi_feedback f;
};

static void
report_then(struct api_req *a, int rc)
{
	struct report_job *j = a->state;

	if (rc != DB_OK)
		api_err_db(a, rc, "store the feedback");
	else if (j->r.status == 404)
		api_err(a, 404, "not_found", "no action %.24s of %s",
		    a->args[2], a->who.device_id);
	else if (j->r.status == 410)
		api_err(a, 410, "gone", "action %.24s is closed", a->args[2]);
	else {
		metrics_add(M_REPORTS_STATUS, 1);
		reply_empty(a);
	}
}

static void
feedback(struct api_req *a, bool cancel)
{
	struct report_job *j = job_new(a, sizeof(*j), NULL);
	int line;

	if (j == NULL)
		return;
	if (ddi_feedback_parse(a->json, &j->f, AE(a)) != 0) {
		api_err(a, 400, "bad_json", "%s", a->err);
		return;
	}
	j->r = (struct ddi_report){ &a->srv->core, a->who.device,
	    action_arg(a->args[2]), util_now(), cancel, j->f.exec,
	    j->f.finished, j->f.ndetails > 0 ? j->f.details[0] : NULL, NULL, 0,
	    0 };
	line = rollout_ddi_detail(j->f.details, j->f.ndetails, &j->r.detail_len);
	if (line >= 0)
		j->r.detail = j->f.details[line];
	api_write(a, ddi_report_tx, &j->r, report_then);
}

void
h_ddi_feedback(struct api_req *a)
{
	feedback(a, false);
}

void
h_ddi_cancel_feedback(struct api_req *a)
{
	feedback(a, true);
}

/* ---- configData ---- */

struct config_job {
	struct ddi_config c;
	struct db_ddi_attrs_put put;
};

static void
config_then(struct api_req *a, int rc)
{
	if (rc == DB_INVALID)
		api_err(a, 400, "invalid_field", "data: a device keeps at most %d "
		    "attributes", DB_DDI_ATTRS_MAX);
	else if (rc != DB_OK)
		api_err_db(a, rc, "store the attributes");
	else
		reply_empty(a);
}

void
h_ddi_config(struct api_req *a)
{
	static const enum db_ddi_mode modes[] = { [DDI_MERGE] = DB_DDI_MERGE,
	    [DDI_REPLACE] = DB_DDI_REPLACE, [DDI_REMOVE] = DB_DDI_REMOVE };
	struct config_job *j = job_new(a, sizeof(*j), NULL);

	if (j == NULL)
		return;
	if (ddi_config_parse(a->json, &j->c, AE(a)) != 0) {
		api_err(a, 400, "invalid_field", "%s", a->err);
		return;
	}
	j->put = (struct db_ddi_attrs_put){ a->who.device, modes[j->c.mode],
	    (int)j->c.n, j->c.keys, j->c.values, util_now(), 0 };
	api_write(a, db_ddi_attrs_put, &j->put, config_then);
}

/* ---- cancelAction ---- */

void
h_ddi_cancel(struct api_req *a)
{
	struct db_ddi_action act;
	int64_t id = action_arg(a->args[2]);
	int rc = id == 0 ? DB_NOTFOUND : db_ddi_action_get(a->srv->core.db, NULL,
	    a->who.device, id, &act);
	char sid[24];

	if (rc == DB_OK && (act.state != ROLLOUT_DDI_OPEN ||
	    act.cancel != ROLLOUT_DDI_CANCEL_REQUESTED))
		rc = DB_NOTFOUND;
	if (rc == DB_NOTFOUND) {
		api_err(a, 404, "not_found", "no cancel of action %.24s",
		    a->args[2]);
		return;
	}
	if (rc != DB_OK) {
		api_err_db(a, rc, "read the action");
		return;
	}
	snprintf(sid, sizeof(sid), "%lld", (long long)id);
	api_json(a, 200, json_pack("{s:s,s:{s:s}}", "id", sid, "cancelAction",
	    "stopId", sid));
}

/* ---- software modules ---- */

/* The release of args[2] whose DDI file name is args[3]; 0, or -1
 * having replied. */
static int
module_of(struct api_req *a, bool with_digests, struct ddi_deployment *dep)
{
	char file[80];
	int64_t rel;
	int rc = DB_NOTFOUND;

	if (util_parse_int(a->args[2], 1, INT64_MAX, &rel) == 0)
		rc = ddi_release(&a->srv->core, a->srv->artifacts_dir, rel,
		    with_digests, dep);
	if (rc == DB_OK)
		snprintf(file, sizeof(file), "%s.swu", dep->fw_version);
	if (rc == DB_OK && strcmp(file, a->args[3]) != 0)
		rc = DB_NOTFOUND;
	if (rc == DB_NOTFOUND) {
		api_err(a, 404, "not_found", "no artifact %.80s of software "
		    "module %.24s", a->args[3], a->args[2]);
		return -1;
	}
	if (rc != DB_OK) {
		api_err_db(a, rc, "read the release");
		return -1;
	}
	return 0;
}

void
h_ddi_download(struct api_req *a)
{
	struct ddi_deployment dep;

	if (module_of(a, false, &dep) == 0)
		artifacts_send(a, dep.sha256);
}

void
h_ddi_md5sum(struct api_req *a)
{
	struct ddi_deployment dep;
	char body[DB_DDI_MD5_HEX + API_ARG_MAX + 4];

	if (module_of(a, true, &dep) != 0)
		return;
	snprintf(body, sizeof(body), "%s  %s\n", dep.d.md5, a->args[3]);
	http_reply(a->http, 200, "text/plain", body, strlen(body));
}
