/* The device endpoints: the poll (the hot path), status and health
 * reports; and direct assignment of a release to one device. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/bodies.h"
#include "db/releases.h"
#include "rollout/rollout.h"
#include "core/assign.h"
#include "core/poll.h"
#include "api/handlers.h"
#include "core/metrics.h"
#include "core/offers.h"
#include "core/reports.h"
#include "core/seen.h"
#include "core/trust.h"
#include "util/log.h"
#include "util/util.h"

#define NONCE_MIN 8
#define NONCE_MAX 128

static int
valid_nonce(const char *s)
{
	size_t n = strlen(s);

	if (n < NONCE_MIN || n > NONCE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/* Replies 200 with the release, a fresh assignment and where to fetch
 * the bytes. The envelopes are spliced in as stored: they are canonical
 * JSON, so devices hash exactly what was signed. 0, or -1 (no reply). */
static int
device_reply_offer(struct api_req *a, const struct rel_snap *rel,
    const char *campaign, const char *nonce, int64_t now)
{
	static atomic_int_fast64_t warned;	/* polls run on several threads */
	uint8_t *asg = NULL;
	char *tail = NULL, url[700], *body;
	size_t asglen, taillen, len;
	json_t *t;

	/* Devices refuse assignments by a key their root does not list:
	 * offering then would only turn into failures. */
	if (!trust_can_assign(a->srv->core.trust)) {
		int64_t last = atomic_load(&warned);
		if (now - last >= 60 &&
		    atomic_compare_exchange_strong(&warned, &last, now)) {
			log_warn("not offering updates: the current root does not "
			    "list this server's online key %s (upload a root that "
			    "does)", trust_online_keyid(a->srv->core.trust));
		}
		return -1;
	}
	if (trust_assign(a->srv->core.trust, a->who.device_id, rel->sha256, campaign,
	    nonce, now + a->srv->cfg.assignment_ttl, &asg, &asglen) != SIGN_OK) {
		log_err("poll %s: cannot sign an assignment", a->who.device_id);
		return -1;
	}
	snprintf(url, sizeof(url), "%s/v1/artifacts/%s", a->srv->cfg.public_url,
	    rel->artifact_sha256);
	t = json_pack("{s:s,s:s}", "artifact_url", url, "campaign", campaign);
	tail = t ? json_dumps(t, JSON_COMPACT) : NULL;
	json_decref(t);
	if (tail == NULL) {
		free(asg);
		return -1;
	}
	taillen = strlen(tail);
	len = 11 + rel->len + 14 + asglen + 1 + taillen;
	body = malloc(len + 1);
	if (body == NULL) {
		free(asg);
		free(tail);
		return -1;
	}
	/* {"release":R,"assignment":A,"artifact_url":..,"campaign":..} */
	snprintf(body, len + 1, "{\"release\":%.*s,\"assignment\":%.*s,%s",
	    (int)rel->len, (const char *)rel->envelope, (int)asglen,
	    (const char *)asg, tail + 1);
	free(asg);
	free(tail);
	metrics_add(M_POLL_OFFERS, 1);
	http_reply_take(a->http, 200, "application/json", body, strlen(body));
	return 0;
}

/* A first offer or a retry waiting for its record on the writer. */
struct take {
	struct poll_answer ans;
	char nonce[NONCE_MAX + 1];
	int64_t now;
};

/* 204 with the poll hint: the answer's (NULL: the usual interval). */
static void
reply_nothing(struct api_req *a, const struct poll_answer *ans)
{
	char hint[24];
	int64_t s = a->srv->cfg.poll_interval;

	if (ans != NULL)
		s = poll_hint(ans, s);
	snprintf(hint, sizeof(hint), "%lld", (long long)s);
	http_add_header(a->http, "Retry-After", hint);
	http_reply(a->http, 204, NULL, "", 0);
}

static void
take_cleanup(struct api_req *a, int ok)
{
	struct take *t = a->state;

	(void)ok;
	poll_answer_free(&t->ans);
	free(t);
}

static void
take_then(struct api_req *a, int rc)
{
	struct take *t = a->state;

	if (rc != DB_OK || !t->ans.take.granted ||
	    device_reply_offer(a, &t->ans.rel, t->ans.campaign_name, t->nonce,
	    t->now) != 0)
		reply_nothing(a, &t->ans);
}

/* Replies as the answer says (suspending first for a take). */
static void
reply_answer(struct api_req *a, struct poll_answer *ans, const char *nonce,
    int64_t now)
{
	struct take *t;

	if (ans->verdict == POLL_OFFER &&
	    device_reply_offer(a, &ans->rel, ans->campaign_name, nonce,
	    now) == 0) {
		poll_answer_free(ans);
		return;
	}
	if (ans->verdict != POLL_TAKE || (t = calloc(1, sizeof(*t))) == NULL) {
		/* Freeing keeps what the hint reads. */
		poll_answer_free(ans);
		reply_nothing(a, ans);
		return;
	}
	t->ans = *ans;
	t->ans.take.core = &a->srv->core;
	snprintf(t->nonce, sizeof(t->nonce), "%s", nonce);
	t->now = now;
	a->state = t;
	a->cleanup = take_cleanup;
	api_write(a, reports_offer_take, &t->ans.take, take_then);
}

void
h_device_update(struct api_req *a)
{
	const char *fw = http_query(a->http, "fw_version");
	const char *nonce = http_query(a->http, "nonce");
	const char *boot = http_query(a->http, "boot_id");
	int64_t now = util_now();
	struct poll_device d;
	struct poll_answer ans;

	if (fw == NULL || !util_valid_ident(fw)) {
		api_err(a, 400, "bad_query", "fw_version: the version the device "
		    "runs is required (1 to 64 of A-Z a-z 0-9 . _ : -)");
		return;
	}
	if (nonce == NULL || !valid_nonce(nonce)) {
		api_err(a, 400, "bad_query", "nonce: %d to %d of A-Z a-z 0-9 - _ "
		    "are required, fresh for each poll", NONCE_MIN, NONCE_MAX);
		return;
	}
	if (boot != NULL && !reports_valid_boot_id(boot)) {
		api_err(a, 400, "bad_query", "boot_id: 1 to %d of A-Z a-z 0-9 . "
		    "_ : -, new at every boot (optional)", REPORT_BOOT_MAX);
		return;
	}
	/* A HEAD checks the token and the query but records nothing (no
	 * last-seen, no offer taken): it answers as if nothing were offered. */
	if (http_method(a->http) == HTTP_HEAD) {
		reply_nothing(a, NULL);
		return;
	}
	metrics_add(M_POLLS, 1);
	seen_note(a->srv->core.seen, a->who.device, now, fw);
	d = (struct poll_device){ a->who.device, a->who.device_id,
	    a->who.hw_class, fw, a->who.fw_version, boot, a->who.offer_release,
	    a->who.offer_state };
	/* A store failure answers "nothing": the device polls again. */
	(void)poll_decide(&a->srv->core, &d, now, &ans);
	poll_record(&a->srv->core, &d, &ans, now);
	reply_answer(a, &ans, nonce, now);
}

/* ---- reports ---- */

static void
report_cleanup(struct api_req *a, int ok)
{
	(void)ok;
	free(a->state);
}

static void
status_then(struct api_req *a, int rc)
{
	struct report_status *r = a->state;

	if (rc == DB_NOTFOUND) {
		api_err(a, 404, "no_offer", "this device has no offer of release "
		    "%s in campaign %s", r->release, r->campaign ?
		    "this" : "direct");
		return;
	}
	if (rc == DB_CONFLICT) {
		api_err(a, 409, "invalid_transition", "the offer is %s; %s cannot "
		    "follow", rollout_device_state_name(r->was),
		    rollout_device_event_name(
		    (enum rollout_device_event)r->event));
		return;
	}
	if (rc != DB_OK) {
		api_err_db(a, rc, "store the report");
		return;
	}
	metrics_add(M_REPORTS_STATUS, 1);
	api_json(a, 200, json_pack("{s:s}", "state",
	    rollout_device_state_name(r->state)));
}

void
h_device_status(struct api_req *a)
{
	struct report_status *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return;
	}
	a->state = r;
	a->cleanup = report_cleanup;
	if (reports_status_parse(a->json, r, AE(a)) != 0) {
		api_invalid(a);
		return;
	}
	r->core = &a->srv->core;
	r->device = a->who.device;
	r->now = util_now();
	api_write(a, reports_status, r, status_then);
}

static void
health_then(struct api_req *a, int rc)
{
	struct report_health *h = a->state;

	if (rc != DB_OK) {
		api_err_db(a, rc, "store the report");
		return;
	}
	metrics_add(M_REPORTS_HEALTH, 1);
	api_json(a, 200, json_pack("{s:s}", "health", h->unhealthy ? "unhealthy" :
	    "healthy"));
}

void
h_device_health(struct api_req *a)
{
	struct report_health *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return;
	}
	a->state = h;
	a->cleanup = report_cleanup;
	if (reports_health_parse(a->json, h, AE(a)) != 0) {
		api_invalid(a);
		return;
	}
	h->core = &a->srv->core;
	h->device = a->who.device;
	h->now = util_now();
	/* A health report declares what runs, like a poll. */
	seen_note(a->srv->core.seen, a->who.device, h->now, h->fw_version);
	api_write(a, reports_health, h, health_then);
}

/* ---- direct assignment ---- */

static void
assign_then(struct api_req *a, int rc)
{
	struct assign_direct *o = a->state;

	if (rc == DB_NOTFOUND)
		api_err(a, 404, "not_found", "no device %s", o->device_id);
	else if (rc == DB_INVALID)
		api_err(a, 422, "invalid_release", "release %lld: %s",
		    (long long)o->release_id, o->why);
	else if (rc != DB_OK)
		api_err_db(a, rc, "store the offer");
	else
		api_json(a, 201, json_pack("{s:s,s:I,s:s}", "device_id",
		    o->device_id, "release", (json_int_t)o->release_id, "state",
		    "offered"));
}

void
h_device_assign(struct api_req *a)
{
	static const char *const fields[] = { "release", NULL };
	struct assign_direct *o = calloc(1, sizeof(*o));

	if (o == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return;
	}
	a->state = o;
	a->cleanup = report_cleanup;
	if (jv_only(a->json, fields, AE(a)) ||
	    jv_int(a->json, "release", 1, 1, INT64_MAX, &o->release_id, AE(a))) {
		api_invalid(a);
		return;
	}
	o->device_id = a->args[0];
	o->by = a->who.name;
	o->now = util_now();
	api_audit_note(a, "release %lld", (long long)o->release_id);
	api_write(a, assign_direct, o, assign_then);
}

static void
unassign_then(struct api_req *a, int rc)
{
	if (rc == DB_NOTFOUND)
		api_err(a, 404, "not_found", "device %s has no direct offer",
		    a->args[0]);
	else if (rc != DB_OK)
		api_err_db(a, rc, "cancel the offer");
	else
		http_reply(a->http, 204, NULL, "", 0);
}

void
h_device_unassign(struct api_req *a)
{
	api_write(a, db_offer_delete, a->args[0], unassign_then);
}
