/* The update agent: power-on, poll, verify, download, install, reboot,
 * confirm or roll back, and every report on the way. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent.h"
#include "boot.h"
#include "download.h"
#include "sign/sign.h"
#include "util/log.h"
#include "util/util.h"

#define URL_MAX 2048
/* Cap on a poll answer: two envelopes and a URL. */
#define OFFER_MAX (1024 * 1024)
#define NONCE_BYTES 16
/* "boot-" and a u32. */
#define BOOT_ID_MAX 16

struct sim_agent {
	char *path;
	const struct sim_agent_opts *o;
	char token[SIM_META_TOKEN_MAX + 1];
	char device_id[SIGN_ID_MAX + 1];
	struct sim_boot boot;
	int booted;
	int64_t boot_time;
	char boot_id[BOOT_ID_MAX];	/* of the boot that runs */
	int boot_told;			/* the server has this boot's health */
	int64_t reboot_at;		/* an installed image boots then; or 0 */
	int silent;			/* goes silent at its next offer */
	uint32_t crash_base;		/* crash count already reported */
	int crash_base_set;
	struct sim_report last_sent;
	struct sim_agent_view view;
	/* Only during one step: */
	struct sim_flash *f;
	struct sim_meta *m;
	struct sim_net *net;
};

/* An offer from the server, as received and encoded. */
struct offer {
	json_t *doc;
	uint8_t *release, *assignment;
	size_t release_len, assignment_len;
	uint8_t release_sha256[SIGN_SHA256_LEN];
	const char *campaign;
	const char *url;
};

struct sim_agent *
sim_agent_new(const char *path, const struct sim_agent_opts *o)
{
	struct sim_agent *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->path = strdup(path);
	if (a->path == NULL) {
		free(a);
		return NULL;
	}
	a->o = o;
	return a;
}

void
sim_agent_free(struct sim_agent *a)
{
	if (a == NULL)
		return;
	sim_meta_free(a->m);
	sim_flash_close(a->f);
	free(a->path);
	free(a);
}

void
sim_agent_view(const struct sim_agent *a, struct sim_agent_view *out)
{
	*out = a->view;
}

void
sim_agent_set_silent(struct sim_agent *a)
{
	a->silent = 1;
}

/* Opens the flash and loads the metadata for one step. 0/-1. */
static int
open_step(struct sim_agent *a, struct sim_net *net)
{
	char err[256];
	const char *tok;

	a->net = net;
	a->f = sim_flash_open(a->path, 0, 0, err, sizeof(err));
	if (a->f != NULL)
		a->m = sim_meta_load(a->f, err, sizeof(err));
	if (a->m == NULL) {
		log_err("%s: %s", a->path, err);
		return -1;
	}
	memcpy(a->device_id, a->m->device_id, sizeof(a->device_id));
	tok = a->o->token != NULL ? a->o->token : a->m->token;
	if (strlen(tok) < sizeof(a->token))
		memcpy(a->token, tok, strlen(tok) + 1);
	return 0;
}

static void
close_step(struct sim_agent *a)
{
	sim_meta_free(a->m);
	sim_flash_close(a->f);
	a->m = NULL;
	a->f = NULL;
	a->net = NULL;
}

/* The device's clock: the host's, moved by --clock-offset. */
static int64_t
device_now(const struct sim_agent *a)
{
	return util_now() + a->o->clock_offset;
}

/* The time expiry is judged at: the clock, or the time floor when the
 * clock is behind it. */
static int64_t
trusted_now(const struct sim_agent *a)
{
	int64_t now = device_now(a);

	return a->m->time_floor > now ? a->m->time_floor : now;
}

static const char *
running_version(const struct sim_agent *a)
{
	return a->m->slot[a->boot.slot].fw_version;
}

/* POSTs obj (consumed) to path; the HTTP status, or 0 for no answer. */
static long
post(struct sim_agent *a, const char *path, json_t *obj)
{
	char url[URL_MAX];
	struct sim_http resp;
	char *body = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
	long status = 0;

	json_decref(obj);
	if (a->net == NULL || body == NULL || util_fmt(url, sizeof(url),
	    "%s%s", a->o->server, path) != 0) {
		free(body);
		return 0;
	}
	if (sim_net_post_json(a->net, url, a->token, body, &resp) == 0)
		status = resp.status;
	else
		log_warn("%s: POST %s: %s", a->device_id, path, resp.error);
	sim_http_clear(&resp);
	free(body);
	return status;
}

/* Adds the boot id to a report body when the server takes it there. */
static void
add_boot_id(const struct sim_agent *a, json_t *o)
{
	if (o != NULL && a->o->boot_id == SIM_BOOT_ID_ALL)
		json_object_set_new(o, "boot_id", json_string(a->boot_id));
}

/* Reports one state of a campaign; 1 once the server has it (2xx), or
 * will never want it (404 offer withdrawn, 409 state moved on). */
static int
post_status(struct sim_agent *a, enum sim_report_state state,
    const char *campaign, const uint8_t sha[SIGN_SHA256_LEN],
    const char *reason, const char *detail)
{
	char hex[SIGN_SHA256_HEX];
	json_t *o;
	long st;

	sign_hex(sha, SIGN_SHA256_LEN, hex);
	o = json_pack("{s:s, s:s, s:s}", "campaign", campaign, "release", hex,
	    "state", sim_report_state_name(state));
	if (o != NULL && reason != NULL && reason[0] != '\0')
		json_object_set_new(o, "reason", json_string(reason));
	if (o != NULL && detail != NULL && detail[0] != '\0')
		json_object_set_new(o, "detail", json_string(detail));
	add_boot_id(a, o);
	a->view.last_state = state;
	(void)util_fmt(a->view.last_reason, sizeof(a->view.last_reason), "%s",
	    reason != NULL ? reason : "");
	st = post(a, "/v1/device/status", o);
	if (st == 404 || st == 409)
		log_info("%s: status %s answered %ld: going on", a->device_id,
		    sim_report_state_name(state), st);
	else if (st != 0 && (st < 200 || st > 299))
		log_warn("%s: status %s answered HTTP %ld", a->device_id,
		    sim_report_state_name(state), st);
	return (st >= 200 && st <= 299) || st == 404 || st == 409;
}

static int
same_report(const struct sim_report *x, const struct sim_report *y)
{
	return x->state == y->state && strcmp(x->campaign, y->campaign) == 0 &&
	    memcmp(x->release_sha256, y->release_sha256,
	    SIGN_SHA256_LEN) == 0 && strcmp(x->reason, y->reason) == 0;
}

/* Sends the recorded outcome unless the server has it already. */
static void
send_report(struct sim_agent *a)
{
	struct sim_report *r = &a->m->report;

	if (r->state == SIM_REPORT_NONE || r->sent ||
	    same_report(r, &a->last_sent))
		return;
	if (!post_status(a, r->state, r->campaign, r->release_sha256,
	    r->reason, r->detail))
		return;
	r->sent = 1;
	a->last_sent = *r;
	/* An update's last word is kept as sent, so that a later power-on
	 * does not repeat it; earlier ones are overwritten anyway. */
	if (r->state == SIM_REPORT_CONFIRMED || r->state == SIM_REPORT_FAILED ||
	    r->state == SIM_REPORT_ROLLED_BACK) {
		char err[256];

		if (sim_meta_store(a->f, a->m, err, sizeof(err)) != 0)
			log_err("%s: %s", a->device_id, err);
	}
}

/* Whether the running image passes its self-test. */
static int
selftest_ok(const struct sim_agent *a)
{
	return a->boot.fw.behavior != SIM_FW_SELFTEST_FAIL;
}

static void
send_health(struct sim_agent *a)
{
	/* Crashes since the last health report: a count that only grows
	 * would brand the device unhealthy for ever. */
	uint32_t crashes = a->m->crash_count - a->crash_base;
	/* The boot's own report says that a new image failed to boot and
	 * the device fell back; once the server has it, reports speak of
	 * the image that runs (a baseline must not see the failed one). */
	int boot_ok = a->boot_told || !a->boot.fell_back;
	int pass = selftest_ok(a);
	json_t *o = json_pack("{s:s, s:b, s:s, s:I, s:I}", "fw_version",
	    running_version(a), "boot_ok", boot_ok, "selftest",
	    pass ? "pass" : "fail", "crash_count", (json_int_t)crashes,
	    "uptime_s", (json_int_t)(util_now() - a->boot_time));
	long st;

	add_boot_id(a, o);
	st = post(a, "/v1/device/health", o);
	if (st >= 200 && st <= 299) {
		a->crash_base = a->m->crash_count;
		a->boot_told = 1;
		a->view.healthy = boot_ok && pass && crashes == 0;
		a->view.reported = 1;
	} else if (st != 0) {
		log_warn("%s: health answered HTTP %ld", a->device_id, st);
	}
}

/* A degraded image crashes between polls (its watchdog restarts it
 * without a reboot), so every health report from then on counts one. */
static void
degrade(struct sim_agent *a)
{
	char err[256];

	if (!sim_fw_degraded(&a->boot.fw, util_now() - a->boot_time))
		return;
	a->m->crash_count++;
	if (sim_meta_store(a->f, a->m, err, sizeof(err)) != 0)
		log_err("%s: %s", a->device_id, err);
}

/* Runs the bootloader and what follows a boot: a trial image's
 * self-test and its confirm or roll back (and the reboot after that). */
static int
boot_and_settle(struct sim_agent *a, int depth)
{
	char err[256];
	int slot, pass;

	/* Crashes before this power-on were someone else's to report. */
	if (!a->crash_base_set) {
		a->crash_base = a->m->crash_count;
		a->crash_base_set = 1;
	}
	if (sim_boot_run(a->f, a->m, &a->boot) != 0) {
		log_err("%s: %s", a->device_id, a->boot.why);
		a->view.dead = 1;
		return -1;
	}
	a->booted = 1;
	a->boot_time = util_now();
	a->boot_told = 0;
	(void)util_fmt(a->boot_id, sizeof(a->boot_id), "boot-%lu",
	    (unsigned long)a->m->boot_count);
	slot = a->boot.slot;
	pass = selftest_ok(a);
	(void)util_fmt(a->view.fw_version, sizeof(a->view.fw_version), "%s",
	    running_version(a));
	log_info("%s: booted slot %c (%s)%s%s%s", a->device_id,
	    sim_slot_letter(slot), running_version(a), a->boot.trial ?
	    " in trial mode" : "", a->boot.why[0] ? ": " : "", a->boot.why);
	send_health(a);
	if (a->boot.trial && pass) {
		if (sim_boot_confirm(a->f, a->m, slot, err, sizeof(err)) != 0)
			goto flash_fail;
		log_info("%s: confirmed %s", a->device_id, running_version(a));
	} else if (a->boot.trial) {
		log_warn("%s: self-test of %s failed: rolling back",
		    a->device_id, running_version(a));
		if (sim_boot_rollback(a->f, a->m, slot, "selftest",
		    "the new image's self-test failed", err, sizeof(err)) != 0)
			goto flash_fail;
		send_report(a);
		return depth > 0 ? -1 : boot_and_settle(a, depth + 1);
	}
	send_report(a);
	return 0;
flash_fail:
	log_err("%s: %s", a->device_id, err);
	return -1;
}

int
sim_agent_power_on(struct sim_agent *a, struct sim_net *net)
{
	int rc;

	if (open_step(a, net) != 0) {
		close_step(a);
		return -1;
	}
	rc = boot_and_settle(a, 0);
	close_step(a);
	return rc;
}

/* A refusal: the device stays as it is and says why. */
static void
refuse(struct sim_agent *a, const struct offer *of, const char *reason,
    const char *detail)
{
	log_warn("%s: refused the offer: %s (%s)", a->device_id, reason,
	    detail);
	(void)post_status(a, SIM_REPORT_FAILED, of->campaign,
	    of->release_sha256, reason, detail);
}

/* A refusal by a check of src/sign: reported under its class, the typed
 * result first in the detail. */
static void
refuse_result(struct sim_agent *a, const struct offer *of,
    enum sign_result r, const char *msg)
{
	char detail[SIM_DETAIL_MAX + 1];

	sim_reason_detail(r, msg, detail);
	refuse(a, of, sim_reason_class(r), detail);
}

/* Fetches roots N+1, N+2, ... until 404 and walks them from the stored
 * one; stores the newest. SIGN_ERR_IO when the server did not answer. */
static enum sign_result
walk_roots(struct sim_agent *a, struct sign_root **out, char *err,
    size_t errlen)
{
	struct sign_bytes docs[SIGN_ROOT_CHAIN_MAX];
	uint8_t *bufs[SIGN_ROOT_CHAIN_MAX];
	struct sign_root *trusted = NULL;
	enum sign_result r;
	size_t n = 0;

	r = sign_root_load(a->m->root, a->m->root_len, &trusted, err, errlen);
	for (; r == SIGN_OK && n < SIGN_ROOT_CHAIN_MAX; n++) {
		char url[URL_MAX];
		struct sim_http h = { .status = 0 };

		if (util_fmt(url, sizeof(url), "%s/v1/trust/root/%lld.json",
		    a->o->server, (long long)(trusted->version + 1 +
		    (int64_t)n)) != 0 || sim_net_get(a->net, url, a->token,
		    SIGN_DOC_MAX, &h) != 0 || (h.status != 200 &&
		    h.status != 404)) {
			(void)util_fmt(err, errlen, "fetching root %lld: %s",
			    (long long)(trusted->version + 1 + (int64_t)n),
			    h.error[0] ? h.error : "unexpected answer");
			sim_http_clear(&h);
			r = SIGN_ERR_IO;
			break;
		}
		if (h.status == 404) {
			sim_http_clear(&h);
			break;
		}
		bufs[n] = h.body;
		docs[n].data = h.body;
		docs[n].len = h.len;
		h.body = NULL;
		sim_http_clear(&h);
	}
	if (r == SIGN_OK)
		r = sign_root_walk(trusted, docs, n, trusted_now(a), out, err,
		    errlen);
	if (r == SIGN_OK && n > 0) {
		a->m->root_version = (*out)->version;
		if (sim_meta_set_blob(&a->m->root, &a->m->root_len,
		    docs[n - 1].data, docs[n - 1].len) != 0 ||
		    sim_meta_store(a->f, a->m, err, errlen) != 0)
			r = SIGN_ERR_IO;
	}
	if (r == SIGN_OK && n > 0) {
		log_info("%s: now trusts root version %lld", a->device_id,
		    (long long)(*out)->version);
	}
	for (size_t i = 0; i < n; i++)
		free(bufs[i]);
	sign_root_free(trusted);
	return r;
}

/* Encodes one member of the offer in the wire form signatures cover. */
static int
encode_member(json_t *doc, const char *key, uint8_t **out, size_t *len)
{
	char err[128];
	json_t *v = json_object_get(doc, key);

	if (!json_is_object(v))
		return -1;
	return sign_cjson_encode(v, SIGN_CJSON_WIRE, out, len, err,
	    sizeof(err)) == SIGN_OK ? 0 : -1;
}

static const char *
string_member(json_t *doc, const char *key)
{
	const char *s = json_string_value(json_object_get(doc, key));

	return s != NULL && strlen(s) <= SIGN_ID_MAX ? s : NULL;
}

/* Parses a poll answer; 0, or -1 when it is not an offer. */
static int
parse_offer(const struct sim_http *h, struct offer *of)
{
	json_error_t jerr;

	memset(of, 0, sizeof(*of));
	of->campaign = "";
	of->doc = json_loadb((const char *)h->body, h->len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(of->doc))
		return -1;
	if (string_member(of->doc, "campaign") != NULL)
		of->campaign = string_member(of->doc, "campaign");
	of->url = json_string_value(json_object_get(of->doc, "artifact_url"));
	if (encode_member(of->doc, "release", &of->release,
	    &of->release_len) != 0 || encode_member(of->doc, "assignment",
	    &of->assignment, &of->assignment_len) != 0 || of->url == NULL)
		return -1;
	sign_sha256(of->release, of->release_len, of->release_sha256);
	return 0;
}

static void
offer_free(struct offer *of)
{
	free(of->release);
	free(of->assignment);
	json_decref(of->doc);
}

/* The artifact URL: absolute, or a path on the server. */
static int
artifact_url(const struct sim_agent *a, const char *u, char *out,
    size_t size)
{
	if (u[0] == '/')
		return util_fmt(out, size, "%s%s", a->o->server, u);
	if (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0)
		return util_fmt(out, size, "%s", u);
	return -1;
}

/* The device token for an artifact URL: only for the server's own
 * origin. A mirror elsewhere (a CDN behind public_url) serves signed bytes
 * to anyone; whoever ran it must not get tokens that post reports. */
static const char *
artifact_token(const struct sim_agent *a, const char *url)
{
	if (sim_net_same_origin(a->o->server, url))
		return a->token;
	log_info("%s: %s is on another origin than the server: fetching it "
	    "without the device token", a->device_id, url);
	return NULL;
}

/* 1 for the reasons of a download given up (not a bad image): its
 * progress is kept for a later resume, and the report goes out without a
 * metadata store (after "flash", one may fail again). */
static int
given_up(const char *reason)
{
	return strcmp(reason, "download") == 0 ||
	    strcmp(reason, "slow_retrieval") == 0 ||
	    strcmp(reason, "flash") == 0;
}

/* A refusal after the download began. A bad image (length, hash) is
 * dropped and its report kept until sent; a download given up keeps its
 * progress for a later resume and is reported once. */
static void
refuse_download(struct sim_agent *a, const struct offer *of, int slot,
    const char *reason, const char *detail)
{
	char err[256];

	if (given_up(reason)) {
		refuse(a, of, reason, detail);
		return;
	}
	log_warn("%s: refused the image: %s (%s)", a->device_id, reason,
	    detail);
	sim_slot_clear(&a->m->slot[slot]);
	sim_meta_set_report(a->m, SIM_REPORT_FAILED, of->campaign,
	    of->release_sha256, reason, detail);
	send_report(a);
	if (!a->m->report.sent && sim_meta_store(a->f, a->m, err,
	    sizeof(err)) != 0)
		log_err("%s: %s", a->device_id, err);
}

/* Download, read back, mark pending, reboot. */
static int
install(struct sim_agent *a, const struct offer *of,
    const struct sign_release *rel, const char *url)
{
	struct sim_dl_target t = { a->f, a->m, 1 - a->m->active, rel,
	    of->release, of->release_len, of->campaign };
	struct sim_dl_net n = { a->net, url, artifact_token(a, url),
	    a->o->limits, a->o->download_tries, a->o->backoff_max_ms };
	struct sim_slot *s = &a->m->slot[t.slot];
	const char *reason = "download";
	char err[256] = "";
	struct sim_dl *dl = sim_dl_begin(&t, &reason, err, sizeof(err));
	enum sign_result r = SIGN_ERR_IO;

	if (dl != NULL) {
		log_info("%s: downloading %s into slot %c%s", a->device_id,
		    rel->fw_version, sim_slot_letter(t.slot),
		    sim_dl_resumed(dl) ? " (resuming)" : "");
		send_report(a);
		r = sim_dl_run(dl, &n, &reason, err, sizeof(err));
		sim_dl_free(dl);
	}
	if (r != SIGN_OK) {
		/* A refusal is an answer; a download given up is not. */
		refuse_download(a, of, t.slot, reason, err);
		return given_up(reason) ? -1 : 0;
	}
	s->state = SIM_SLOT_PENDING;
	s->written = s->length;
	a->m->attempts_left = SIM_TRIAL_ATTEMPTS;
	sim_meta_set_report(a->m, SIM_REPORT_INSTALLED, of->campaign,
	    of->release_sha256, NULL, NULL);
	if (sim_meta_store(a->f, a->m, err, sizeof(err)) != 0) {
		/* Not pending on flash: the old image stays, the slot may
		 * resume later. */
		refuse(a, of, "flash", err);
		return -1;
	}
	a->view.installs++;
	send_report(a);
	if (a->o->reboot_delay > 0) {
		/* Real devices wait for a reboot window; they keep polling
		 * on the old image meanwhile. */
		a->reboot_at = util_now() + a->o->reboot_delay;
		a->view.reboot_due = 1;
		log_info("%s: installed %s in slot %c: rebooting in %llds",
		    a->device_id, rel->fw_version, sim_slot_letter(t.slot),
		    (long long)a->o->reboot_delay);
		return 0;
	}
	log_info("%s: installed %s in slot %c: rebooting", a->device_id,
	    rel->fw_version, sim_slot_letter(t.slot));
	return boot_and_settle(a, 0);
}

/* Raises the time floor with the signing times an accepted offer proves;
 * the next metadata store keeps it. */
static void
raise_floor(struct sim_agent *a, const struct sign_root *root,
    const struct sign_release *rel, const struct offer *of)
{
	struct sign_assignment *asg = NULL;
	int64_t floor = sign_time_floor_raise(a->m->time_floor, rel->created,
	    root);

	if (sign_assignment_verify_sig(root, of->assignment,
	    of->assignment_len, SIGN_NO_EXPIRY, &asg, NULL, 0) == SIGN_OK)
		floor = sign_time_floor_raise(floor, asg->created, root);
	sign_assignment_free(asg);
	a->m->time_floor = floor;
}

/* Verifies an offer (roots first) and installs it, or refuses it. */
static int
handle_offer(struct sim_agent *a, const struct sim_http *h,
    const char *nonce)
{
	struct sign_device_ctx ctx = { a->m->device_id, a->m->hw_class, nonce,
	    a->m->committed_counter, running_version(a), a->m->time_floor };
	struct sign_release *rel = NULL;
	struct sign_root *root = NULL;
	char err[256] = "", url[URL_MAX];
	struct offer of;
	enum sign_result r;
	int rc = 0;

	if (parse_offer(h, &of) != 0) {
		refuse_result(a, &of, SIGN_ERR_FORMAT, "the offer is not "
		    "{release, assignment, artifact_url, campaign}");
		goto out;
	}
	r = walk_roots(a, &root, err, sizeof(err));
	if (r == SIGN_OK)
		r = sign_check_update(root, of.release, of.release_len,
		    of.assignment, of.assignment_len, &ctx, device_now(a), &rel,
		    err, sizeof(err));
	if (r == SIGN_ERR_IO) {
		log_warn("%s: %s: trying later", a->device_id, err);
		rc = -1;
	} else if (r != SIGN_OK) {
		refuse_result(a, &of, r, err);
	} else if (artifact_url(a, of.url, url, sizeof(url)) != 0) {
		refuse_result(a, &of, SIGN_ERR_FORMAT, "artifact_url is "
		    "neither absolute nor a path");
	} else {
		raise_floor(a, root, rel, &of);
		rc = install(a, &of, rel, url);
	}
out:
	sign_release_free(rel);
	sign_root_free(root);
	offer_free(&of);
	return rc;
}

/* GET /v1/device/update with a fresh nonce. */
static int
poll_once(struct sim_agent *a, int64_t *next_s)
{
	uint8_t raw[NONCE_BYTES];
	char nonce[2 * NONCE_BYTES + 1], url[URL_MAX];
	struct sim_http h;
	int rc = -1;

	sign_random(raw, sizeof(raw));
	sign_hex(raw, sizeof(raw), nonce);
	if (util_fmt(url, sizeof(url), "%s/v1/device/update?fw_version=%s"
	    "&nonce=%s%s%s", a->o->server, running_version(a), nonce,
	    a->o->boot_id != SIM_BOOT_ID_NONE ? "&boot_id=" : "",
	    a->o->boot_id != SIM_BOOT_ID_NONE ? a->boot_id : "") != 0)
		return -1;
	if (sim_net_get(a->net, url, a->token, OFFER_MAX, &h) != 0) {
		log_warn("%s: poll: %s", a->device_id, h.error);
	} else if (h.status == 204) {
		if (h.retry_after >= 0 && !a->o->poll_fixed)
			*next_s = h.retry_after;
		rc = 0;
	} else if (h.status == 200 && a->silent) {
		log_info("%s: took the offer and goes silent", a->device_id);
		a->view.silent = 1;
		rc = 0;
	} else if (h.status == 200 && a->reboot_at != 0) {
		log_info("%s: an installed update waits for its reboot: "
		    "offer left", a->device_id);
		rc = 0;
	} else if (h.status == 200) {
		rc = handle_offer(a, &h, nonce);
	} else {
		log_warn("%s: poll answered HTTP %ld", a->device_id, h.status);
	}
	sim_http_clear(&h);
	return rc;
}

/* Whether an installed image's reboot is due: then the device powers
 * on again before it polls. */
static int
reboot_due(struct sim_agent *a)
{
	if (a->reboot_at == 0 || util_now() < a->reboot_at)
		return 0;
	a->reboot_at = 0;
	a->view.reboot_due = 0;
	log_info("%s: rebooting into the installed update", a->device_id);
	return 1;
}

int
sim_agent_poll(struct sim_agent *a, struct sim_net *net, int64_t *next_s)
{
	int rc = -1;

	*next_s = a->o->poll_interval;
	if (a->view.silent)
		return 0;
	if ((!a->booted || reboot_due(a)) && sim_agent_power_on(a, net) != 0)
		return -1;
	if (open_step(a, net) == 0) {
		send_report(a);
		rc = poll_once(a, next_s);
		if (!a->view.silent) {
			degrade(a);
			send_health(a);
		}
	}
	close_step(a);
	/* The reboot comes at its time, not at the next poll. */
	if (a->reboot_at != 0 && a->reboot_at - util_now() < *next_s)
		*next_s = a->reboot_at > util_now() ? a->reboot_at -
		    util_now() : 0;
	return rc;
}
