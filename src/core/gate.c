/* The campaign engine on the writer. The gate evaluator times out silent
 * devices, promotes baked ones, counts the open stage and applies
 * rollout_gate's verdict; operators' actions go through
 * rollout_campaign_action. Every change is an event with its numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "db/campaigns.h"
#include "db/devices.h"
#include "db/releases.h"
#include "rollout/rollout.h"
#include "core/campaigns.h"
#include "core/changes.h"
#include "core/flights.h"
#include "core/gate.h"
#include "core/leader.h"
#include "core/metrics.h"
#include "core/members.h"
#include "db/membership.h"
#include "core/core.h"
#include "sign/crypto.h"
#include "util/log.h"
#include "util/util.h"

#define SOON_SLOTS 64

/* Last evaluation per campaign; only the writer thread touches it. */
static struct {
	int64_t campaign, at;
} soon[SOON_SLOTS];

/* The pending members' polls and health reports per campaign and stage,
 * counted once every PENDING_EVERY gate intervals: at 100,000 pending
 * members it is the gate's dearest query (a few tenths of a second), a
 * burst of failure reports asks for an evaluation every second, and what
 * it feeds (absent after absent_timeout, the baseline's failure rate)
 * moves slowly. Writer thread only. */
#define PENDING_EVERY 6
static struct {
	int64_t campaign, at;
	int stage;
	struct db_pending p[2];
	struct db_baseline b;
} pend_cache[SOON_SLOTS];

/* Whether each campaign's maintenance window was open at its last
 * evaluation, for the window_opened/window_closed events. In memory: a
 * restart (or two campaigns in one slot) skips an event, never an offer
 * rule, which the poll decides from the window itself. Writer only. */
static struct {
	int64_t campaign;
	int open;
} win_seen[SOON_SLOTS];

/* Failures per reason class. */
struct reasons {
	int64_t n[ROLLOUT_REASONS];
};

struct eval {
	struct db_tx *tx;
	struct core *core;
	struct db_campaign *c;
	struct rollout_policy p;
	int stages[ROLLOUT_MAX_STAGES], nstages;
	enum rollout_campaign_state state;	/* as read, for the CAS */
	int was_stage;
	int64_t now;
	/* the open stage: every member, and those it added */
	struct rollout_counts all, added;
	struct reasons why_all, why_added;
	int64_t capped;		/* the sweep's offered/downloading/installed */
	int rc;
};

/* Loads c's stored settings into e; -1 if unreadable. */
static int
eval_init(struct eval *e, struct db_tx *tx, struct core *s,
    struct db_campaign *c, int64_t now)
{
	memset(e, 0, sizeof(*e));
	e->tx = tx;
	e->core = s;
	e->c = c;
	e->now = now;
	e->state = c->state;
	if (!c->settings_ok) {
		log_err("campaign %lld: unreadable stored settings",
		    (long long)c->id);
		return -1;
	}
	e->p = c->policy;
	e->was_stage = c->stage;
	memcpy(e->stages, c->stages, sizeof(e->stages));
	e->nstages = c->nstages;
	return 0;
}

/* The event a sweep applies to a member in flight, if any, and its reason
 * class. A device that polls on another version after installing, with
 * no boot id to say it rebooted, times out as a fallback; one that sent a
 * boot id has not rebooted (a later boot's poll would have been the
 * fallback), so its cause is the timeout. */
static int
sweep_event(const struct eval *e, const struct db_flight *f,
    enum rollout_device_state from, enum rollout_device_event *ev,
    const char **why)
{
	const struct db_member *m = &f->m;

	*why = NULL;
	/* It moved on though its polls no longer ask this campaign. */
	if (members_is_newer(f->fw_version, e->c->release_fw))
		*ev = ROLLOUT_EV_NEWER;
	else if (rollout_device_timed_out(from, m->last_change, e->now, &e->p))
		*ev = ROLLOUT_EV_TIMEOUT;
	else if (rollout_device_baked(from, m->confirmed_at, e->now, &e->p))
		*ev = ROLLOUT_EV_BAKED;
	else
		return 0;
	if (*ev == ROLLOUT_EV_TIMEOUT)
		*why = rollout_reason_name(from == ROLLOUT_DEV_INSTALLED &&
		    m->install_boot[0] == '\0' &&
		    f->last_seen > m->last_change &&
		    strcmp(f->fw_version, e->c->release_fw) != 0 ?
		    ROLLOUT_WHY_FALLBACK : ROLLOUT_WHY_TIMEOUT);
	return 1;
}

/* Times out silent devices, promotes baked ones, lets go of those that
 * moved on. */
static void
sweep_one(const struct db_flight *f, void *arg)
{
	struct eval *e = arg;
	struct db_member m = f->m;
	enum rollout_device_state from, to;
	enum rollout_device_event ev;
	struct member_why why = { NULL, 0, NULL };

	from = m.state;
	if (e->rc != DB_OK)
		return;
	if (!sweep_event(e, f, from, &ev, &why.reason)) {
		e->capped += rollout_state_is_capped(from);
		return;
	}
	switch (members_step(e->tx, e->core->flights, &m, &e->p, ev, &why,
	    e->now, &to)) {
	case 0:
		break;
	case -1:
		e->capped += rollout_state_is_capped(from);
		return;
	default:
		e->rc = DB_ERR;
		return;
	}
	e->capped += rollout_state_is_capped(m.state);
	if (to != from)
		e->rc = db_event_add(e->tx, m.device, e->now,
		    ev == ROLLOUT_EV_NEWER ? "superseded" : "campaign",
		    e->c->release_id, e->c->id,
		    rollout_device_state_name(m.state), why.reason,
		    ev == ROLLOUT_EV_NEWER ? f->fw_version : NULL);
}

static void
count_one(const char *state, int64_t all, int64_t added, void *arg)
{
	struct eval *e = arg;
	enum rollout_device_state s;

	if (rollout_device_state_parse(state, &s) == 0) {
		e->all.by_state[s] += all;
		e->added.by_state[s] += added;
	}
	e->all.members += all;
	e->added.members += added;
}

static void
reason_one(const char *reason, int64_t all, int64_t added, void *arg)
{
	struct eval *e = arg;
	enum rollout_reason r = rollout_reason_class(reason);

	e->why_all.n[r] += all;
	e->why_added.n[r] += added;
}

/* "3 selftest, 1 crash_on_boot": the classes by count, most first. */
static void
reasons_text(const struct reasons *w, char *buf, size_t len)
{
	size_t n = 0;
	int done[ROLLOUT_REASONS] = { 0 };

	buf[0] = '\0';
	for (int k = 0; k < ROLLOUT_REASONS; k++) {
		int best = -1;
		for (int i = 0; i < ROLLOUT_REASONS; i++)
			if (!done[i] && w->n[i] > 0 && (best < 0 ||
			    w->n[i] > w->n[best]))
				best = i;
		if (best < 0)
			break;
		done[best] = 1;
		int m = snprintf(buf + n, len - n, "%s%lld %s", n ? ", " : "",
		    (long long)w->n[best], rollout_reason_name(
		    (enum rollout_reason)best));
		if (m < 0 || (size_t)m >= len - n) {
			buf[n] = '\0';
			break;
		}
		n += (size_t)m;
	}
}

/* The counts the decision used, by the scope it reports. */
static const struct rollout_counts *
scope_counts(const struct eval *e, const struct rollout_decision *d)
{
	return d->scope == ROLLOUT_SCOPE_ADDED ? &e->added : &e->all;
}

static const struct reasons *
scope_reasons(const struct eval *e, const struct rollout_decision *d)
{
	return d->scope == ROLLOUT_SCOPE_ADDED ? &e->why_added : &e->why_all;
}

/* The numbers behind a decision, as JSON text (malloc'd). */
static char *
decision_json(const struct eval *e, const struct rollout_decision *d)
{
	const struct rollout_counts *c = scope_counts(e, d);
	const struct reasons *w = scope_reasons(e, d);
	json_t *why = json_object();
	json_t *o = json_pack("{s:s,s:s,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:f,s:f,s:I,s:I,s:s}", "verdict", rollout_verdict_name(d->verdict),
	    "counted", d->scope == ROLLOUT_SCOPE_ADDED ? "added_devices" :
	    "stage",
	    "stage", e->c->stage + 1, "percent", e->stages[e->c->stage],
	    "members", (json_int_t)d->members, "pending", (json_int_t)d->pending,
	    "started", (json_int_t)d->started, "in_flight",
	    (json_int_t)d->in_flight, "healthy", (json_int_t)d->healthy,
	    "failures", (json_int_t)d->failures, "absent", (json_int_t)d->absent,
	    "needed", (json_int_t)d->needed, "failure_pct", d->failure_pct,
	    "healthy_pct", d->healthy_pct, "stage_age", (json_int_t)d->stage_age,
	    "bake_left", (json_int_t)d->bake_left, "reason", d->reason);
	char *text = NULL;

	for (int i = 0; i < ROLLOUT_REASONS; i++)
		if (w->n[i] > 0)
			json_object_set_new(why, rollout_reason_name(
			    (enum rollout_reason)i), json_integer(w->n[i]));
	if (o != NULL) {
		json_object_set_new(o, "failure_reasons", why);
		json_object_set_new(o, "superseded",
		    json_integer(c->by_state[ROLLOUT_DEV_SUPERSEDED]));
		json_object_set_new(o, "unseen", json_integer(c->unseen));
		json_object_set_new(o, "baseline_reporting",
		    json_integer(c->baseline_reporting));
		json_object_set_new(o, "baseline_unhealthy",
		    json_integer(c->baseline_unhealthy));
		json_object_set_new(o, "min_stage_time",
		    json_integer(e->p.min_stage_time));
		json_object_set_new(o, "stage_time_left",
		    json_integer(d->stage_time_left));
		text = json_dumps(o, JSON_COMPACT);
	} else {
		json_decref(why);
	}
	json_decref(o);
	return text;
}

/* The verdict's sentence, with the failures' classes when there are any. */
static void
verdict_reason(const struct eval *e, const struct rollout_decision *d,
    char *buf, size_t len)
{
	char why[160];

	reasons_text(scope_reasons(e, d), why, sizeof(why));
	if (d->failures == 0 || why[0] == '\0' ||
	    snprintf(buf, len, "%s (failures: %s)", d->reason, why) >= (int)len)
		snprintf(buf, len, "%s", d->reason);
}

/* Logs and records a change of the campaign made by the gate. */
static int
gate_event(struct eval *e, const char *kind, const char *detail)
{
	struct db_campaign *c = e->c;

	metrics_add(M_GATE_DECISIONS, 1);
	log_info("campaign %lld stage %d (%d%%): %s: %s", (long long)c->id,
	    c->stage + 1, e->stages[c->stage], kind, c->verdict_reason);
	return db_campaign_event(e->tx, c->id, e->now, kind, "gate", c->stage,
	    detail);
}

/* Applies the gate's verdict to the campaign row; adds events. */
static int
apply(struct eval *e, const struct rollout_decision *d, const char *detail)
{
	struct db_campaign *c = e->c;
	enum rollout_campaign_state to;
	enum rollout_action act;
	int new_stage, changed = 0, rc;
	const char *kind = NULL;
	int was_waiting = strcmp(c->verdict, "await_approval") == 0;

	switch (d->verdict) {
	case ROLLOUT_ADVANCE: act = ROLLOUT_ACT_ADVANCE; kind = "advanced"; break;
	case ROLLOUT_HALT: act = ROLLOUT_ACT_HALT; kind = "halted"; break;
	case ROLLOUT_COMPLETE: act = ROLLOUT_ACT_COMPLETE; kind = "completed"; break;
	default: act = ROLLOUT_ACTIONS; break;
	}
	/* A paused campaign may still halt, but never widens on its own. */
	if (act != ROLLOUT_ACTIONS && (e->state == ROLLOUT_CAMP_RUNNING ||
	    act == ROLLOUT_ACT_HALT) && rollout_campaign_action(e->state, act,
	    c->stage, e->nstages, &to, &new_stage) == 0) {
		c->state = to;
		if (new_stage != c->stage)
			c->stage_opened_at = e->now;
		c->stage = new_stage;
		if (to == ROLLOUT_CAMP_HALTED || to == ROLLOUT_CAMP_COMPLETED)
			c->finished_at = e->now;
		changed = 1;
	}
	snprintf(c->verdict, sizeof(c->verdict), "%s",
	    rollout_verdict_name(d->verdict));
	verdict_reason(e, d, c->verdict_reason, sizeof(c->verdict_reason));
	snprintf(c->verdict_detail, sizeof(c->verdict_detail), "%s",
	    detail ? detail : "");
	c->verdict_at = e->now;
	if ((rc = db_campaign_update(e->tx, c, e->state, e->was_stage)) != DB_OK)
		return rc;
	if (changed) {
		rc = gate_event(e, kind, detail);
		if (rc == DB_OK && d->verdict == ROLLOUT_ADVANCE) {
			char opened[64];
			snprintf(opened, sizeof(opened), "{\"stage\":%d,"
			    "\"percent\":%d}", c->stage + 1, e->stages[c->stage]);
			rc = db_campaign_event(e->tx, c->id, e->now, "stage_opened",
			    "gate", c->stage, opened);
		}
		return rc;
	}
	if (d->verdict == ROLLOUT_AWAIT_APPROVAL && !was_waiting)
		return db_campaign_event(e->tx, c->id, e->now, "awaiting_approval",
		    "gate", c->stage, detail);
	return DB_OK;
}

/* The pending members of e's open stage (db_pending_seen_tx) and the
 * campaign's baseline (db_baseline_tx), or their counts from less than
 * PENDING_EVERY gate intervals ago. */
static int
pending_seen(struct eval *e, uint32_t lo, uint32_t hi, struct db_pending p[2],
    struct db_baseline *b)
{
	int slot = (int)((uint64_t)e->c->id % SOON_SLOTS);
	int64_t age = e->now - pend_cache[slot].at;

	if (pend_cache[slot].campaign == e->c->id &&
	    pend_cache[slot].stage == e->c->stage && age >= 0 &&
	    age < (int64_t)PENDING_EVERY * e->core->pol.gate_interval) {
		memcpy(p, pend_cache[slot].p, sizeof(pend_cache[slot].p));
		*b = pend_cache[slot].b;
		return DB_OK;
	}
	if (db_pending_seen_tx(e->tx, e->c->id, lo, hi, e->c->stage_opened_at,
	    p) != DB_OK || db_baseline_tx(e->tx, e->c->id, e->c->stage_opened_at,
	    e->c->release_fw, b) != DB_OK)
		return DB_ERR;
	pend_cache[slot].campaign = e->c->id;
	pend_cache[slot].stage = e->c->stage;
	pend_cache[slot].at = e->now;
	memcpy(pend_cache[slot].p, p, sizeof(pend_cache[slot].p));
	pend_cache[slot].b = *b;
	return DB_OK;
}

/* 1 unless e's campaign is at its last stage. */
static int
not_last_stage(const struct eval *e)
{
	return e->c->stage < e->nstages - 1;
}

/* Counts the open stage (buckets below hi) and the members it added
 * (lo and up): states in one pass; the pending members' polls, the
 * campaign's baseline and the failures' classes only when there may be
 * any. */
static int
count(struct eval *e, uint32_t lo, uint32_t hi)
{
	struct db_pending pend[2];
	struct db_baseline base;
	int64_t id = e->c->id;

	memset(&e->all, 0, sizeof(e->all));
	memset(&e->added, 0, sizeof(e->added));
	memset(&e->why_all, 0, sizeof(e->why_all));
	memset(&e->why_added, 0, sizeof(e->why_added));
	if (db_member_counts_tx(e->tx, id, lo, hi, count_one, e) != DB_OK)
		return DB_ERR;
	/* Later stages' members are pending too: the baseline, which is
	 * about the campaign, is counted whenever the stage is not the
	 * last. */
	if (e->all.by_state[ROLLOUT_DEV_PENDING] > 0 ||
	    not_last_stage(e)) {
		if (pending_seen(e, lo, hi, pend, &base) != DB_OK)
			return DB_ERR;
		e->all.unseen = pend[0].unseen + pend[1].unseen;
		e->added.unseen = pend[1].unseen;
		e->all.baseline_reporting = base.reporting;
		e->all.baseline_unhealthy = base.unhealthy;
		e->added.baseline_reporting = base.reporting;
		e->added.baseline_unhealthy = base.unhealthy;
	}
	if (e->all.by_state[ROLLOUT_DEV_FAILED] +
	    e->all.by_state[ROLLOUT_DEV_ROLLED_BACK] +
	    e->all.by_state[ROLLOUT_DEV_TIMED_OUT] > 0 &&
	    db_failure_reasons_tx(e->tx, id, lo, hi, reason_one, e) != DB_OK)
		return DB_ERR;
	return DB_OK;
}

/* Decides for the open stage over its members and those it added. */
static int
decide(struct eval *e, struct rollout_decision *d)
{
	const struct db_campaign *c = e->c;
	uint32_t hi = (uint32_t)e->stages[c->stage] * 100;
	uint32_t lo = c->stage > 0 ? (uint32_t)e->stages[c->stage - 1] * 100 : 0;

	if (count(e, lo, hi) != DB_OK)
		return DB_ERR;
	rollout_gate_nested(&e->p, e->stages, e->nstages, c->stage,
	    c->stage_opened_at, &e->all, &e->added, e->now, d);
	return DB_OK;
}

/* Halts e's campaign for a reason outside the gate (its release was
 * revoked or has expired), with an event of that kind. */
static int
halt_for(struct eval *e, const char *kind, const char *actor,
    const char *reason)
{
	struct db_campaign *c = e->c;
	enum rollout_campaign_state to;
	char *detail;
	int ns, rc;
	json_t *o;

	if (rollout_campaign_action(e->state, ROLLOUT_ACT_HALT, c->stage,
	    e->nstages, &to, &ns) != 0)
		return DB_OK;
	c->state = to;
	c->finished_at = e->now;
	snprintf(c->verdict, sizeof(c->verdict), "halt");
	snprintf(c->verdict_reason, sizeof(c->verdict_reason), "%s", reason);
	o = json_pack("{s:s,s:i,s:i,s:I,s:s}", "verdict", "halt", "stage",
	    c->stage + 1, "percent", e->stages[c->stage], "release",
	    (json_int_t)c->release_id, "reason", reason);
	detail = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	snprintf(c->verdict_detail, sizeof(c->verdict_detail), "%s",
	    detail ? detail : "");
	c->verdict_at = e->now;
	rc = db_campaign_update(e->tx, c, e->state, e->was_stage);
	if (rc == DB_OK) {
		log_info("campaign %lld stage %d (%d%%): halted: %s",
		    (long long)c->id, c->stage + 1, e->stages[c->stage], reason);
		rc = db_campaign_event(e->tx, c->id, e->now, kind, actor,
		    c->stage, detail);
	}
	free(detail);
	if (rc == DB_OK)
		rc = changes_campaigns(e->tx, e->core->campaigns);
	return rc;
}

/* 1 while a finished campaign's devices may still change state: offers
 * go on for completed_offer_window after completion, then an offer
 * times out or bakes at most report_timeout + bake_time later. */
static int
still_moving(const struct eval *e)
{
	int64_t window = e->state == ROLLOUT_CAMP_COMPLETED ?
	    e->core->pol.completed_offer_window : 0;

	return e->now - e->c->finished_at <= window + e->p.report_timeout +
	    e->p.bake_time;
}

/* What /metrics shows of e's campaign: the gate's own counts, so a
 * scrape costs no query. */
static void
publish(const struct eval *e)
{
	struct metrics_campaign m = { .id = e->c->id, .stage = e->c->stage + 1,
	    .members = e->all.members, .at = e->now };

	snprintf(m.state, sizeof(m.state), "%s",
	    rollout_campaign_state_name(e->c->state));
	for (int s = 0; s < ROLLOUT_DEV_STATES && s < METRICS_STATES_MAX; s++) {
		m.state_names[m.nstates] = rollout_device_state_name(s);
		m.by_state[m.nstates++] = e->all.by_state[s];
	}
	m.failures = e->all.by_state[ROLLOUT_DEV_FAILED] +
	    e->all.by_state[ROLLOUT_DEV_ROLLED_BACK] +
	    e->all.by_state[ROLLOUT_DEV_TIMED_OUT];
	metrics_campaign(&m);
}

struct join_ctx {
	struct eval *e;
	int64_t n;
};

static int
join_one(int64_t device, const char *device_id, void *arg)
{
	struct join_ctx *j = arg;
	struct db_campaign *c = j->e->c;

	j->n++;
	return db_member_add(j->e->tx, c->id, device, rollout_bucket(c->salt,
	    DB_SALT_LEN, device_id), j->e->now);
}

/* A dynamic campaign takes in the devices it targets now and does not
 * hold yet, each with its bucket (so into the stage that holds it), with
 * an event saying how many. */
static int
join_newcomers(struct eval *e)
{
	struct join_ctx j = { e, 0 };
	char detail[48];
	int rc;

	if (!rollout_membership_takes(&e->p, e->state))
		return DB_OK;
	rc = db_campaign_newcomers_tx(e->tx, e->c->id, e->c->release_id,
	    e->c->cohort_id, join_one, &j);
	if (rc != DB_OK || j.n == 0)
		return rc;
	log_info("campaign %lld: %lld device(s) joined (dynamic membership)",
	    (long long)e->c->id, (long long)j.n);
	if (util_fmt(detail, sizeof(detail), "{\"devices\":%lld}",
	    (long long)j.n) != 0)
		return DB_ERR;
	return db_campaign_event(e->tx, e->c->id, e->now, "members_joined",
	    "gate", e->c->stage, detail);
}

/* An event when a running campaign's window opened or closed since its
 * last evaluation, saying until when (or from when on) it is. */
static int
window_event(struct eval *e)
{
	const struct rollout_window *w = &e->p.window;
	int slot = (int)((uint64_t)e->c->id % SOON_SLOTS), open, was;
	char at[21], detail[64];

	if (w->nslots == 0)
		return DB_OK;
	open = rollout_window_open(w, e->now);
	was = win_seen[slot].campaign == e->c->id ? win_seen[slot].open : -1;
	win_seen[slot].campaign = e->c->id;
	win_seen[slot].open = open;
	if (was < 0 || was == open || e->c->state != ROLLOUT_CAMP_RUNNING)
		return DB_OK;
	util_time_fmt(rollout_window_next(w, e->now, !open), at);
	if (util_fmt(detail, sizeof(detail), "{\"%s\":\"%s\"}", open ?
	    "until" : "next_open", at) != 0)
		return DB_ERR;
	log_info("campaign %lld: maintenance window %s", (long long)e->c->id,
	    open ? "opened" : "closed");
	return db_campaign_event(e->tx, e->c->id, e->now, open ?
	    "window_opened" : "window_closed", "gate", e->c->stage, detail);
}

/* Evaluates one campaign inside the writer's transaction. */
static int
evaluate(struct db_tx *tx, struct core *s, struct db_campaign *c, int64_t now)
{
	struct eval e;
	struct rollout_decision d;
	char *detail, why[128];
	int rc, live;

	if (eval_init(&e, tx, s, c, now) != 0)
		return DB_OK;
	live = e.state == ROLLOUT_CAMP_RUNNING || e.state == ROLLOUT_CAMP_PAUSED;
	/* After the end the counts still move: late reports, timeouts and
	 * bakes; the gate no longer decides. */
	if (!live && !((e.state == ROLLOUT_CAMP_COMPLETED ||
	    e.state == ROLLOUT_CAMP_HALTED) && still_moving(&e)))
		return DB_OK;
	e.rc = DB_OK;
	if (live && (rc = join_newcomers(&e)) != DB_OK)
		return rc;
	if ((rc = db_member_in_flight_tx(tx, c->id, sweep_one, &e)) != DB_OK ||
	    e.rc != DB_OK)
		return rc != DB_OK ? rc : e.rc;
	/* The sweep saw every member in flight: the cap's count, exact. */
	flights_set(s->flights, c->id, e.capped);
	if (!live)
		return DB_OK;
	if (c->release_expires <= now) {
		snprintf(why, sizeof(why), "release %lld (%s) has expired: devices "
		    "refuse it", (long long)c->release_id, c->release_fw);
		return halt_for(&e, "release_expired", "gate", why);
	}
	if ((rc = decide(&e, &d)) != DB_OK)
		return rc;
	metrics_add(M_GATE_RUNS, 1);
	detail = decision_json(&e, &d);
	rc = apply(&e, &d, detail);
	free(detail);
	/* Changed by another writer since read: no verdict is stored, and
	 * the next run decides on what it holds then. */
	if (rc == DB_CONFLICT)
		return DB_OK;
	if (rc == DB_OK)
		publish(&e);
	if (rc == DB_OK)
		rc = window_event(&e);
	if (rc == DB_OK && c->state != e.state)
		rc = changes_campaigns(tx, s->campaigns);
	return rc;
}

struct tick_ctx {
	int64_t ids[256];
	int n;
};

static void
collect(const struct db_campaign *c, void *arg)
{
	struct tick_ctx *t = arg;

	if (t->n < (int)(sizeof(t->ids) / sizeof(t->ids[0])))
		t->ids[t->n++] = c->id;
}

static int
evaluate_id(struct db_tx *tx, struct core *s, int64_t id, int64_t now)
{
	struct db_campaign *c = malloc(sizeof(*c));
	int rc;

	if (c == NULL)
		return DB_ERR;
	rc = db_campaign_get_tx(tx, id, c);
	if (rc == DB_OK)
		rc = evaluate(tx, s, c, now);
	free(c);
	return rc;
}

int
gate_tick(struct db_tx *tx, void *arg)
{
	return gate_run(tx, arg, (int64_t)time(NULL));
}

/* A scheduled start the checks refused: the draft stays, unscheduled,
 * and its event says why (a start of a revoked release, of nobody, or
 * over a running campaign would refuse every tick). */
static int
start_refused(struct db_tx *tx, struct gate_act *g)
{
	struct db_campaign *c = malloc(sizeof(*c));
	json_t *o;
	char *detail = NULL;
	int rc;

	if (c == NULL)
		return DB_ERR;
	rc = db_campaign_get_tx(tx, g->campaign, c);
	if (rc == DB_OK) {
		c->start_at = 0;
		rc = db_campaign_update(tx, c, c->state, c->stage);
	}
	o = json_pack("{s:s,s:s}", "code", g->code[0] ? g->code : "conflict",
	    "reason", g->why);
	if (rc == DB_OK && (detail = o ? json_dumps(o, JSON_COMPACT) : NULL) ==
	    NULL)
		rc = DB_ERR;
	json_decref(o);
	if (rc == DB_OK) {
		log_info("campaign %lld: scheduled start refused: %s",
		    (long long)c->id, g->why);
		rc = db_campaign_event(tx, c->id, g->now, "start_refused",
		    g->actor, 0, detail);
	}
	free(detail);
	free(c);
	return rc;
}

/* A due draft to start; one with unreadable settings is left alone (a
 * start would fail the gate's whole run at every tick). */
static void
collect_due(const struct db_campaign *c, void *arg)
{
	if (c->settings_ok)
		collect(c, arg);
	else
		log_err("campaign %lld: unreadable stored settings: its "
		    "scheduled start waits", (long long)c->id);
}

/* Starts the drafts whose start_at has come, as a manual start would. */
static int
start_due(struct db_tx *tx, struct core *s, int64_t now)
{
	struct tick_ctx t = { .n = 0 };
	int rc = db_campaign_due_tx(tx, now, collect_due, &t);

	for (int i = 0; i < t.n && rc == DB_OK; i++) {
		struct gate_act g = { .core = s, .campaign = t.ids[i],
		    .action = ROLLOUT_ACT_START, .actor = "schedule",
		    .now = now };

		/* Its refusals come before any write (start's order). */
		rc = gate_act(tx, &g);
		if (rc == DB_CONFLICT || rc == DB_INVALID)
			rc = start_refused(tx, &g);
	}
	return rc;
}

int
gate_run(struct db_tx *tx, struct core *s, int64_t now)
{
	struct tick_ctx t = { .n = 0 };
	int64_t since = now - s->pol.completed_offer_window - 2 * ROLLOUT_MAX_TIME;
	int rc;

	if ((rc = start_due(tx, s, now)) != DB_OK)
		return rc;
	/* The gate judges running and paused campaigns; finished ones are
	 * swept while their devices may still change state. */
	if ((rc = db_campaign_sweepable_tx(tx, since, collect, &t)) != DB_OK)
		return rc;
	flights_begin(s->flights);
	for (int i = 0; i < t.n; i++)
		if ((rc = evaluate_id(tx, s, t.ids[i], now)) != DB_OK)
			return rc;
	metrics_campaigns_expire(now);
	flights_end(s->flights);
	return DB_OK;
}

int
gate_soon(struct db_tx *tx, struct core *s, int64_t campaign, int64_t now)
{
	int slot = (int)((uint64_t)campaign % SOON_SLOTS);

	/* One daemon of a fleet runs the gate; a follower's reports wait
	 * for the leader's next tick. */
	if (!leader_is(s->leader))
		return DB_OK;
	if (soon[slot].campaign == campaign && now - soon[slot].at < 1)
		return DB_OK;
	soon[slot].campaign = campaign;
	soon[slot].at = now;
	return evaluate_id(tx, s, campaign, now);
}

/* ---- a revoked release ---- */

struct revoke_ctx {
	int64_t ids[256];
	int n;
};

static void
revoke_collect(const struct db_campaign *c, void *arg)
{
	struct revoke_ctx *r = arg;

	if (r->n < (int)(sizeof(r->ids) / sizeof(r->ids[0])))
		r->ids[r->n++] = c->id;
}

int
gate_release_revoked(struct db_tx *tx, struct core *s, int64_t release,
    const char *actor, int64_t now)
{
	struct revoke_ctx r = { .n = 0 };
	struct db_campaign *c = malloc(sizeof(*c));
	struct eval e;
	char why[160];
	int rc;

	if (c == NULL)
		return DB_ERR;
	rc = db_campaign_of_release_tx(tx, release, revoke_collect, &r);
	for (int i = 0; i < r.n && rc == DB_OK; i++) {
		if ((rc = db_campaign_get_tx(tx, r.ids[i], c)) != DB_OK ||
		    eval_init(&e, tx, s, c, now) != 0)
			continue;
		snprintf(why, sizeof(why), "release %lld (%s) was revoked by %s",
		    (long long)release, c->release_fw, actor);
		rc = halt_for(&e, "release_revoked", actor, why);
	}
	free(c);
	return rc == DB_OK ? changes_release(tx, release) : rc;
}

/* ---- operators' actions ---- */

struct start_ctx {
	struct db_tx *tx;
	struct db_campaign *c;
	int64_t now, n;
};

static int
take_member(int64_t device, const char *device_id, void *arg)
{
	struct start_ctx *sc = arg;
	uint32_t bucket = rollout_bucket(sc->c->salt, DB_SALT_LEN, device_id);

	sc->n++;
	return db_member_add(sc->tx, sc->c->id, device, bucket, sc->now);
}

struct overlap_ctx {
	int64_t ids[64];
	int64_t devices;
	int n;
};

static void
overlap_one(int64_t campaign, int64_t devices, void *arg)
{
	struct overlap_ctx *o = arg;

	if (o->n < 64)
		o->ids[o->n++] = campaign;
	o->devices += devices;
}

/* Aborts the running campaigns that hold devices this one targets. */
static int
supersede(struct db_tx *tx, struct gate_act *g, struct db_campaign *c,
    const struct overlap_ctx *o)
{
	struct db_campaign *old = malloc(sizeof(*old));
	enum rollout_campaign_state from, to;
	char detail[64];
	int ns, rc = DB_OK;

	if (old == NULL)
		return DB_ERR;
	snprintf(detail, sizeof(detail), "{\"superseded_by\":%lld}",
	    (long long)c->id);
	for (int i = 0; i < o->n && rc == DB_OK; i++) {
		if ((rc = db_campaign_get_tx(tx, o->ids[i], old)) != DB_OK)
			break;
		from = old->state;
		if (rollout_campaign_action(from, ROLLOUT_ACT_ABORT, old->stage,
		    ROLLOUT_MAX_STAGES, &to, &ns) != 0)
			continue;
		old->state = to;
		old->finished_at = g->now;
		/* A conflict fails the start: 409, nothing changed. */
		rc = db_campaign_update(tx, old, from, old->stage);
		if (rc == DB_OK)
			rc = db_campaign_event(tx, old->id, g->now, "superseded",
			    g->actor, old->stage, detail);
	}
	free(old);
	return rc;
}

/* Refuses to start on a release devices would refuse; DB_INVALID with
 * code and why set. */
static int
release_usable(struct db_tx *tx, struct gate_act *g, const struct db_campaign *c)
{
	int64_t revoked, expires;
	char fw[65];
	int rc = db_release_state_tx(tx, c->release_id, &revoked, &expires, fw);

	if (rc != DB_OK)
		return rc == DB_NOTFOUND ? DB_ERR : rc;
	if (revoked == 0 && expires > g->now)
		return DB_OK;
	snprintf(g->code, sizeof(g->code), "invalid_release");
	snprintf(g->why, sizeof(g->why), "release %lld (%s) %s",
	    (long long)c->release_id, fw, revoked ? "is revoked" :
	    "has expired; sign a new one");
	return DB_INVALID;
}

static int
start(struct db_tx *tx, struct gate_act *g, struct db_campaign *c)
{
	struct overlap_ctx o = { .n = 0 };
	struct start_ctx sc = { tx, c, g->now, 0 };
	struct db_target_summary t;
	int rc;

	if ((rc = release_usable(tx, g, c)) != DB_OK)
		return rc;
	rc = db_campaign_overlaps_tx(tx, c->release_id, c->cohort_id, c->id,
	    overlap_one, &o);
	if (rc != DB_OK)
		return rc;
	if (o.n > 0 && !c->supersede) {
		snprintf(g->why, sizeof(g->why), "%lld of its devices are in running "
		    "campaign %lld; create it with \"supersede\": true to replace "
		    "that campaign", (long long)o.devices, (long long)o.ids[0]);
		return DB_CONFLICT;
	}
	/* Nothing to update: a campaign of nobody must not "complete".
	 * Checked before anything is written, so that a refused start
	 * changes nothing even inside the gate's own job. */
	if ((rc = db_target_summary_tx(tx, c->release_id, c->cohort_id,
	    &t)) != DB_OK)
		return rc;
	if (!t.any) {
		snprintf(g->code, sizeof(g->code), "no_targets");
		campaign_no_targets_why(&t, c->release_id, c->release_fw,
		    c->cohort, g->why, sizeof(g->why));
		return DB_INVALID;
	}
	if (o.n > 0 && (rc = supersede(tx, g, c, &o)) != DB_OK)
		return rc;
	if ((rc = db_campaign_targets_tx(tx, c->release_id, c->cohort_id,
	    take_member, &sc)) != DB_OK)
		return rc;
	g->members = sc.n;
	c->started_at = g->now;
	return DB_OK;
}

/* Schedules draft c to start at g->start_at (again: moves it). */
static int
schedule(struct db_tx *tx, struct gate_act *g, struct db_campaign *c)
{
	char at[21], detail[48];
	int rc;

	if ((rc = release_usable(tx, g, c)) != DB_OK)
		return rc;
	c->start_at = g->start_at;
	if ((rc = db_campaign_update(tx, c, c->state, c->stage)) != DB_OK)
		return rc;
	util_time_fmt(c->start_at, at);
	if (util_fmt(detail, sizeof(detail), "{\"start_at\":\"%s\"}", at))
		return DB_ERR;
	return db_campaign_event(tx, c->id, g->now, "scheduled", g->actor, 0,
	    detail);
}

static const char *const act_events[] = {
	[ROLLOUT_ACT_START] = "started", [ROLLOUT_ACT_PAUSE] = "paused",
	[ROLLOUT_ACT_RESUME] = "resumed", [ROLLOUT_ACT_ADVANCE] = "advanced",
	[ROLLOUT_ACT_ABORT] = "aborted", [ROLLOUT_ACT_HALT] = "halted",
	[ROLLOUT_ACT_COMPLETE] = "completed",
};

int
gate_act(struct db_tx *tx, void *arg)
{
	struct gate_act *g = arg;
	struct db_campaign *c = malloc(sizeof(*c));
	enum rollout_campaign_state from, to;
	int new_stage, was_stage, rc;
	char detail[96];

	if (c == NULL)
		return DB_ERR;
	rc = db_campaign_get_tx(tx, g->campaign, c);
	if (rc != DB_OK)
		goto out;
	from = c->state;
	rc = DB_ERR;
	if (!c->settings_ok)
		goto out;
	was_stage = c->stage;
	rc = DB_CONFLICT;
	if (rollout_campaign_action(from, (enum rollout_action)g->action,
	    c->stage, c->nstages, &to, &new_stage) != 0) {
		snprintf(g->why, sizeof(g->why), "the campaign is %s%s",
		    rollout_campaign_state_name(c->state),
		    g->action == ROLLOUT_ACT_ADVANCE && c->stage == c->nstages - 1 ?
		    " at its last stage" : "");
		goto out;
	}
	if (g->action == ROLLOUT_ACT_START && g->start_at > g->now) {
		rc = schedule(tx, g, c);
		goto out;
	}
	if (g->action == ROLLOUT_ACT_START && (rc = start(tx, g, c)) != DB_OK)
		goto out;
	/* Started by hand before its time: no longer scheduled. */
	if (g->action == ROLLOUT_ACT_START && c->start_at > g->now)
		c->start_at = 0;
	if (new_stage != c->stage || g->action == ROLLOUT_ACT_START)
		c->stage_opened_at = g->now;
	c->stage = new_stage;
	c->state = to;
	if (to == ROLLOUT_CAMP_ABORTED)
		c->finished_at = g->now;
	rc = db_campaign_update(tx, c, from, was_stage);
	if (rc == DB_CONFLICT)
		snprintf(g->why, sizeof(g->why), "the campaign changed meanwhile");
	if (rc != DB_OK)
		goto out;
	snprintf(detail, sizeof(detail), "{\"stage\":%d,\"percent\":%d}",
	    c->stage + 1, c->stages[c->stage]);
	rc = db_campaign_event(tx, c->id, g->now, act_events[g->action],
	    g->actor, c->stage, detail);
	if (rc == DB_OK && (g->action == ROLLOUT_ACT_START ||
	    g->action == ROLLOUT_ACT_ADVANCE))
		rc = db_campaign_event(tx, c->id, g->now, "stage_opened", g->actor,
		    c->stage, detail);
	if (rc == DB_OK)
		rc = changes_campaigns(tx, g->core->campaigns);
out:
	free(c);
	return rc;
}
