/* hawkBit DDI services: polls, feedback and deployments (see ddi.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "core/ddi.h"
#include "core/offers.h"
#include "core/reports.h"
#include "db/artifacts.h"
#include "db/campaigns.h"
#include "db/devices.h"
#include "db/releases.h"
#include "sign/digest.h"
#include "util/log.h"
#include "util/util.h"

/* ---- the offer behind an action ---- */

/* The state of a's offer: its campaign member, or the device's direct
 * offer while it is still of a's release. A direct offer withdrawn or
 * replaced counts as offered (in flight before an install), so that the
 * device is told to cancel. */
static int
offer_state(struct db_tx *tx, const struct db_ddi_action *a,
    enum rollout_device_state *out)
{
	struct db_member m;
	struct db_offer off;
	char sha[65], fw[65];
	int rc;

	if (a->campaign_id > 0) {
		rc = db_member_get_tx(tx, a->campaign_id, a->device, &m);
		if (rc == DB_OK)
			*out = m.state;
		return rc;
	}
	rc = db_offer_get_tx(tx, a->device, &off, sha, fw);
	if (rc == DB_NOTFOUND || (rc == DB_OK && off.release_id != a->release_id)) {
		*out = ROLLOUT_DEV_OFFERED;
		return DB_OK;
	}
	if (rc != DB_OK)
		return rc;
	*out = off.state;
	return DB_OK;
}

/* 1 if the answer offers a's offer: its campaign (or both direct), its
 * release. */
static bool
same_offer(const struct poll_answer *ans, const struct db_ddi_action *a)
{
	return ans->verdict != POLL_NOTHING && ans->campaign == a->campaign_id &&
	    ans->rel.id == a->release_id;
}

/* What the answer is as an offer; a direct offer has no attempts: it is
 * the one in flight when a is its action, else a first. */
static enum rollout_offer_kind
answer_kind(const struct poll_answer *ans, const struct db_ddi_action *a)
{
	if (ans->verdict == POLL_NOTHING)
		return ROLLOUT_OFFER_NONE;
	if (ans->campaign != 0)
		return ans->kind;
	return a != NULL && same_offer(ans, a) ? ROLLOUT_OFFER_AGAIN :
	    ROLLOUT_OFFER_FIRST;
}

/* ---- the controller base ---- */

int
ddi_poll_begin(struct core *c, const struct poll_device *d, int64_t now,
    struct ddi_poll *p)
{
	struct db_ddi_action a;
	int rc;

	memset(p, 0, sizeof(*p));
	p->core = c;
	p->device = d->id;
	p->now = now;
	if (poll_decide(c, d, now, &p->ans) != 0)
		return -1;
	rc = db_ddi_action_open(c->db, NULL, d->id, &a);
	if (rc == DB_OK || (rc == DB_NOTFOUND && p->ans.verdict != POLL_NOTHING))
		return 1;
	if (rc != DB_NOTFOUND)
		return -1;
	return db_ddi_config_asked(c->db, NULL, d->id, &p->config) == DB_OK ?
	    0 : -1;
}

/* Ends a as the decision says, and notes it in the device's history. */
static int
end_action(struct db_tx *tx, const struct db_ddi_action *a,
    enum rollout_ddi_close how, int64_t now)
{
	const char *result = rollout_ddi_close_result(how);
	struct db_ddi_action_end e = { a->id, a->device, ROLLOUT_DDI_CLOSE,
	    result, NULL, now };
	char detail[48];
	int rc = db_ddi_action_end(tx, &e);

	if (rc != DB_OK)
		return rc;
	if (util_fmt(detail, sizeof(detail), "action %lld", (long long)a->id))
		return DB_ERR;
	return db_event_add(tx, a->device, now, "ddi_action", a->release_id,
	    a->campaign_id, "closed", result, detail);
}

/* Takes the answer's offer (a first or a retry) and opens its action. */
static int
open_action(struct db_tx *tx, struct ddi_poll *p)
{
	struct db_ddi_action_new n = { p->device, p->ans.campaign,
	    p->ans.rel.id, 1, p->now, 0 };
	struct db_member m;
	char detail[48];
	int rc;

	if (p->ans.verdict == POLL_TAKE) {
		p->ans.take.core = p->core;
		if ((rc = reports_offer_take(tx, &p->ans.take)) != DB_OK)
			return rc;
		if (!p->ans.take.granted)
			return DB_OK;
	}
	if (p->ans.campaign != 0) {
		if ((rc = db_member_get_tx(tx, p->ans.campaign, p->device, &m))
		    != DB_OK)
			return rc;
		n.attempt = m.attempts;
	}
	if ((rc = db_ddi_action_new(tx, &n)) != DB_OK)
		return rc;
	p->show = DDI_SHOW_DEPLOY;
	p->action = n.id;
	if (util_fmt(detail, sizeof(detail), "action %lld", (long long)n.id))
		return DB_ERR;
	return db_event_add(tx, p->device, p->now, "ddi_action", n.release_id,
	    n.campaign_id, "open", NULL, detail);
}

/* Asks for a's cancel (once), and shows it. */
static int
ask_cancel(struct db_tx *tx, struct ddi_poll *p, const struct db_ddi_action *a)
{
	struct db_ddi_action_cancel c = { a->id, a->device,
	    ROLLOUT_DDI_CANCEL_NONE, ROLLOUT_DDI_CANCEL_REQUESTED };
	int rc = DB_OK;

	p->show = DDI_SHOW_CANCEL;
	p->action = a->id;
	if (a->cancel != ROLLOUT_DDI_CANCEL_NONE)
		return DB_OK;
	rc = db_ddi_action_cancel(tx, &c);
	if (rc == DB_OK)
		rc = db_event_add(tx, a->device, p->now, "ddi_cancel",
		    a->release_id, a->campaign_id, "requested", NULL, NULL);
	return rc;
}

int
ddi_poll_tx(struct db_tx *tx, void *arg)
{
	struct ddi_poll *p = arg;
	struct rollout_ddi_poll in = { 0 };
	struct rollout_ddi_decision d;
	struct db_ddi_action a;
	int rc = db_ddi_action_open(NULL, tx, p->device, &a);

	p->show = DDI_SHOW_NONE;
	if (rc != DB_OK && rc != DB_NOTFOUND)
		return rc;
	in.has_action = rc == DB_OK;
	if (in.has_action) {
		if ((rc = offer_state(tx, &a, &in.member)) != DB_OK)
			return rc;
		in.cancel = a.cancel;
		in.same_offer = same_offer(&p->ans, &a);
	}
	in.offer = answer_kind(&p->ans, in.has_action ? &a : NULL);
	rollout_ddi_decide(&in, &d);
	if (d.close != ROLLOUT_DDI_KEEP &&
	    (rc = end_action(tx, &a, d.close, p->now)) != DB_OK)
		return rc;
	rc = DB_OK;
	if (d.link == ROLLOUT_DDI_LINK_NEW)
		rc = open_action(tx, p);
	else if (d.link == ROLLOUT_DDI_LINK_CANCEL)
		rc = ask_cancel(tx, p, &a);
	else if (d.link == ROLLOUT_DDI_LINK_DEPLOY) {
		p->show = DDI_SHOW_DEPLOY;
		p->action = a.id;
	}
	if (rc == DB_OK)
		rc = db_ddi_config_asked(NULL, tx, p->device, &p->config);
	return rc;
}

void
ddi_poll_free(struct ddi_poll *p)
{
	poll_answer_free(&p->ans);
}

/* ---- feedback ---- */

/* The history's copy of a report nothing else records: its execution as
 * the state, the line it said. */
static int
note_report(struct db_tx *tx, const struct ddi_report *r,
    const struct db_ddi_action *a, const char *reason)
{
	char detail[ROLLOUT_DDI_DETAIL_MAX + 1] = "";

	if (r->detail != NULL)
		snprintf(detail, sizeof(detail), "%.*s", (int)r->detail_len,
		    r->detail);
	return db_event_add(tx, r->device, r->now, r->cancel ? "ddi_cancel" :
	    "ddi_feedback", a->release_id, a->campaign_id,
	    rollout_ddi_exec_name(r->exec), reason, detail);
}

/* The event for the offer, through the native report (reports_status):
 * the state table, the history, the gate. Refused: the history only. */
static int
offer_event(struct db_tx *tx, struct ddi_report *r,
    const struct db_ddi_action *a, const struct rollout_ddi_feedback *m,
    const struct rel_snap *rel)
{
	struct report_status s = { 0 };
	char detail[ROLLOUT_DDI_DETAIL_MAX + 1] = "";
	int rc;

	if (r->detail != NULL)
		snprintf(detail, sizeof(detail), "%.*s", (int)r->detail_len,
		    r->detail);
	s.core = r->core;
	s.device = r->device;
	s.campaign = a->campaign_id;
	memcpy(s.release, rel->sha256_hex, sizeof(s.release));
	s.event = (int)m->ev;
	s.reason = m->has_reason ? rollout_reason_name(m->reason) : NULL;
	s.detail = detail[0] != '\0' ? detail : NULL;
	s.now = r->now;
	rc = reports_status(tx, &s);
	if (rc == DB_CONFLICT || rc == DB_NOTFOUND)
		return note_report(tx, r, a, "refused");
	return rc;
}

/* The device runs the release now: a version change, as a native poll
 * declaring it would make (with its sightings). */
static int
runs_release(struct db_tx *tx, struct ddi_report *r, const char *fw)
{
	int changed = 0;
	int rc = db_device_seen(tx, r->device, r->now, fw, &changed);

	if (rc == DB_OK && changed)
		rc = reports_version_changed(tx, r->device, fw, r->now, r->core);
	return rc;
}

static int
close_action(struct db_tx *tx, struct ddi_report *r,
    const struct db_ddi_action *a, const struct rollout_ddi_feedback *m,
    const char *closing)
{
	struct db_ddi_action_end e = { a->id, r->device,
	    m->end == ROLLOUT_DDI_CANCEL ? ROLLOUT_DDI_CANCEL : ROLLOUT_DDI_CLOSE,
	    m->end == ROLLOUT_DDI_CANCEL ? "canceled" :
	    m->success ? "success" : "failure", closing, r->now };
	int rc = db_ddi_action_end(tx, &e);

	if (rc == DB_OK && m->ask_config)
		rc = db_ddi_config_ask(tx, r->device);
	return rc;
}

static int
deployment_feedback(struct db_tx *tx, struct ddi_report *r,
    const struct db_ddi_action *a, const char *closing)
{
	struct rollout_ddi_feedback m;
	enum rollout_device_state st;
	struct rel_snap rel;
	int rc;

	if ((rc = offer_state(tx, a, &st)) != DB_OK)
		return rc;
	if (offers_release(r->core->offers, a->release_id, &rel) != 0)
		return DB_ERR;
	rollout_ddi_feedback(r->exec, r->finished, r->detail0, st, &m);
	rc = m.has_event ? offer_event(tx, r, a, &m, &rel) :
	    note_report(tx, r, a, NULL);
	if (rc == DB_OK && m.end == ROLLOUT_DDI_CLOSE && m.success)
		rc = runs_release(tx, r, rel.fw_version);
	rel_snap_free(&rel);
	if (rc == DB_OK && m.end != ROLLOUT_DDI_OPEN)
		rc = close_action(tx, r, a, &m, closing);
	return rc;
}

static int
cancel_feedback(struct db_tx *tx, struct ddi_report *r,
    const struct db_ddi_action *a, const char *closing)
{
	struct db_ddi_action_end e = { a->id, r->device, ROLLOUT_DDI_CANCEL,
	    "canceled", closing, r->now };
	struct db_ddi_action_cancel c = { a->id, r->device,
	    ROLLOUT_DDI_CANCEL_REQUESTED, ROLLOUT_DDI_CANCEL_REJECTED };
	int rc;

	/* A cancel nobody asked for, or answered already: nothing to do. */
	if (a->cancel != ROLLOUT_DDI_CANCEL_REQUESTED)
		return DB_OK;
	switch (rollout_ddi_cancel_feedback(r->exec, r->finished)) {
	case ROLLOUT_DDI_CANCEL_DONE:
		rc = db_ddi_action_end(tx, &e);
		break;
	case ROLLOUT_DDI_CANCEL_REFUSED:
		rc = db_ddi_action_cancel(tx, &c);
		break;
	default:
		return DB_OK;
	}
	return rc == DB_OK ? note_report(tx, r, a, NULL) : rc;
}

int
ddi_report_tx(struct db_tx *tx, void *arg)
{
	struct ddi_report *r = arg;
	struct db_ddi_action a;
	char closing[32];
	int rc = db_ddi_action_get(NULL, tx, r->device, r->action, &a);

	r->status = 404;
	if (rc == DB_NOTFOUND)
		return DB_OK;
	if (rc != DB_OK ||
	    rollout_ddi_closing(r->exec, r->finished, closing, sizeof(closing)))
		return DB_ERR;
	r->status = 200;
	if (a.state != ROLLOUT_DDI_OPEN) {
		/* The repeat of the closing report is an HTTP retry; a cancel
		 * feedback on a closed action changes nothing either. */
		if (!r->cancel && strcmp(a.closing, closing) != 0)
			r->status = 410;
		return DB_OK;
	}
	return r->cancel ? cancel_feedback(tx, r, &a, closing) :
	    deployment_feedback(tx, r, &a, closing);
}

/* ---- what a deploymentBase shows ---- */

/* The digests of an artifact, hashed from its file and stored the first
 * time they are asked for. */
static int
digests(struct core *c, const char *artifacts_dir, const char *sha256,
    struct db_ddi_digests *out)
{
	struct db_ddi_digests_set set = { sha256, { "", "" } };
	struct sign_digests d;
	char path[4200];
	uint64_t len;
	int rc = db_ddi_digests(c->db, sha256, out);

	if (rc != DB_OK || out->sha1[0] != '\0')
		return rc;
	if (util_fmt(path, sizeof(path), "%s/%s", artifacts_dir, sha256) != 0)
		return DB_ERR;
	if (sign_digest_file(path, &len, &d) != 0) {
		log_err("ddi: cannot hash %s: %s", path, strerror(errno));
		return DB_ERR;
	}
	memcpy(set.d.sha1, d.sha1, sizeof(set.d.sha1));
	memcpy(set.d.md5, d.md5, sizeof(set.d.md5));
	if ((rc = db_write(c->db, db_ddi_digests_set, &set)) != DB_OK)
		return rc;
	*out = set.d;
	return DB_OK;
}

int
ddi_release(struct core *c, const char *artifacts_dir, int64_t release,
    bool with_digests, struct ddi_deployment *out)
{
	struct rel_snap rel;
	int rc;

	memset(out, 0, sizeof(*out));
	if (offers_release(c->offers, release, &rel) != 0)
		return DB_NOTFOUND;
	out->release = release;
	snprintf(out->fw_version, sizeof(out->fw_version), "%s", rel.fw_version);
	snprintf(out->sha256, sizeof(out->sha256), "%s", rel.artifact_sha256);
	rel_snap_free(&rel);
	rc = db_artifact_size(c->db, out->sha256, &out->size);
	if (rc == DB_OK && with_digests)
		rc = digests(c, artifacts_dir, out->sha256, &out->d);
	return rc == DB_NOTFOUND ? DB_ERR : rc;
}

int
ddi_deployment(struct core *c, const char *artifacts_dir, int64_t device,
    int64_t action, struct ddi_deployment *out)
{
	struct db_ddi_action a;
	int rc = db_ddi_action_get(c->db, NULL, device, action, &a);

	if (rc == DB_OK && a.state != ROLLOUT_DDI_OPEN)
		rc = DB_NOTFOUND;
	if (rc != DB_OK)
		return rc;
	rc = ddi_release(c, artifacts_dir, a.release_id, true, out);
	out->action = action;
	return rc;
}
