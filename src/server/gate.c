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
#include "rollout/rollout.h"
#include "server/campaigns.h"
#include "server/gate.h"
#include "server/metrics.h"
#include "server/server.h"
#include "sign/crypto.h"
#include "util/log.h"

#define SOON_SLOTS 64

/* Last evaluation per campaign; only the writer thread touches it. */
static struct {
	int64_t campaign, at;
} soon[SOON_SLOTS];

struct eval {
	struct db_tx *tx;
	struct db_campaign *c;
	struct rollout_policy p;
	int stages[ROLLOUT_MAX_STAGES], nstages;
	enum rollout_campaign_state state;
	int64_t now;
	struct rollout_counts counts;
	int rc;
};

/* Loads c's stored settings into e; -1 if unreadable. */
static int
eval_init(struct eval *e, struct db_tx *tx, struct db_campaign *c, int64_t now)
{
	memset(e, 0, sizeof(*e));
	e->tx = tx;
	e->c = c;
	e->now = now;
	if (rollout_campaign_state_parse(c->state, &e->state) != 0 ||
	    campaign_stages_parse(c->stages, e->stages, &e->nstages) != 0 ||
	    campaign_policy_parse(c->policy, &e->p) != 0 || c->stage < 0 ||
	    c->stage >= e->nstages) {
		log_err("campaign %lld: unreadable stored settings",
		    (long long)c->id);
		return -1;
	}
	return 0;
}

/* Times out silent devices and promotes baked ones. */
static void
sweep_one(const struct db_member *m0, void *arg)
{
	struct eval *e = arg;
	struct db_member m = *m0;
	enum rollout_device_state from, to;
	enum rollout_device_event ev;

	if (e->rc != DB_OK || rollout_device_state_parse(m.state, &from) != 0)
		return;
	if (rollout_device_timed_out(from, m.last_change, e->now, &e->p))
		ev = ROLLOUT_EV_TIMEOUT;
	else if (rollout_device_baked(from, m.confirmed_at, e->now, &e->p))
		ev = ROLLOUT_EV_BAKED;
	else
		return;
	if (rollout_device_step(from, ev, m.attempts, &e->p, &to) != 0 ||
	    to == from)
		return;
	snprintf(m.state, sizeof(m.state), "%s", rollout_device_state_name(to));
	if (ev == ROLLOUT_EV_TIMEOUT) {
		snprintf(m.reason, sizeof(m.reason), "report_timeout");
		m.last_change = e->now;
	}
	e->rc = db_member_update(e->tx, &m);
	if (e->rc == DB_OK)
		e->rc = db_event_add(e->tx, m.device, "campaign", e->c->release_id,
		    e->c->id, m.state, ev == ROLLOUT_EV_TIMEOUT ?
		    "report_timeout" : NULL, NULL);
}

static void
count_one(const char *state, int64_t n, void *arg)
{
	struct eval *e = arg;
	enum rollout_device_state s;

	if (rollout_device_state_parse(state, &s) == 0)
		e->counts.by_state[s] += n;
	e->counts.members += n;
}

/* The numbers behind a decision, as JSON text (malloc'd). */
static char *
decision_json(const struct eval *e, const struct rollout_decision *d)
{
	json_t *o = json_pack("{s:s,s:s,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:f,s:f,s:I,s:I,s:s}", "verdict", rollout_verdict_name(d->verdict),
	    "counted", d->scope == ROLLOUT_SCOPE_ADDED ? "added_devices" :
	    "stage",
	    "stage", e->c->stage, "percent", e->stages[e->c->stage],
	    "members", (json_int_t)d->members, "pending", (json_int_t)d->pending,
	    "started", (json_int_t)d->started, "in_flight",
	    (json_int_t)d->in_flight, "healthy", (json_int_t)d->healthy,
	    "failures", (json_int_t)d->failures, "absent", (json_int_t)d->absent,
	    "needed", (json_int_t)d->needed, "failure_pct", d->failure_pct,
	    "healthy_pct", d->healthy_pct, "stage_age", (json_int_t)d->stage_age,
	    "bake_left", (json_int_t)d->bake_left, "reason", d->reason);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return text;
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
		snprintf(c->state, sizeof(c->state), "%s",
		    rollout_campaign_state_name(to));
		if (new_stage != c->stage)
			c->stage_opened_at = e->now;
		c->stage = new_stage;
		if (to == ROLLOUT_CAMP_HALTED || to == ROLLOUT_CAMP_COMPLETED)
			c->finished_at = e->now;
		changed = 1;
	}
	snprintf(c->verdict, sizeof(c->verdict), "%s",
	    rollout_verdict_name(d->verdict));
	snprintf(c->verdict_reason, sizeof(c->verdict_reason), "%s", d->reason);
	snprintf(c->verdict_detail, sizeof(c->verdict_detail), "%s",
	    detail ? detail : "");
	c->verdict_at = e->now;
	if ((rc = db_campaign_update(e->tx, c)) != DB_OK)
		return rc;
	if (changed) {
		metrics_add(M_GATE_DECISIONS, 1);
		log_info("campaign %lld: %s: %s", (long long)c->id, kind, d->reason);
		rc = db_campaign_event(e->tx, c->id, e->now, kind, "gate",
		    c->stage, detail);
		if (rc == DB_OK && d->verdict == ROLLOUT_ADVANCE) {
			char opened[64];
			snprintf(opened, sizeof(opened), "{\"stage\":%d,"
			    "\"percent\":%d}", c->stage, e->stages[c->stage]);
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

/* Counts the members with lo <= bucket < hi into *c. */
static int
count(struct eval *e, uint32_t lo, uint32_t hi, struct rollout_counts *c)
{
	memset(&e->counts, 0, sizeof(e->counts));
	if (db_member_counts_tx(e->tx, e->c->id, lo, hi, count_one, e) != DB_OK)
		return DB_ERR;
	*c = e->counts;
	return DB_OK;
}

/* Decides for the open stage over its members and those it added. */
static int
decide(struct eval *e, struct rollout_decision *d)
{
	const struct db_campaign *c = e->c;
	struct rollout_counts all, added;
	uint32_t hi = (uint32_t)e->stages[c->stage] * 100;
	uint32_t lo = c->stage > 0 ? (uint32_t)e->stages[c->stage - 1] * 100 : 0;

	if (count(e, 0, hi, &all) != DB_OK || count(e, lo, hi, &added) != DB_OK)
		return DB_ERR;
	rollout_gate_nested(&e->p, e->stages, e->nstages, c->stage,
	    c->stage_opened_at, &all, &added, e->now, d);
	return DB_OK;
}

/* Evaluates one campaign inside the writer's transaction. */
static int
evaluate(struct db_tx *tx, struct srv *s, struct db_campaign *c, int64_t now)
{
	struct eval e;
	struct rollout_decision d;
	char *detail;
	int rc;
	char before[16];

	if (eval_init(&e, tx, c, now) != 0)
		return DB_OK;
	if (e.state != ROLLOUT_CAMP_RUNNING && e.state != ROLLOUT_CAMP_PAUSED)
		return DB_OK;
	e.rc = DB_OK;
	if ((rc = db_member_in_flight_tx(tx, c->id, sweep_one, &e)) != DB_OK ||
	    e.rc != DB_OK)
		return rc != DB_OK ? rc : e.rc;
	if ((rc = decide(&e, &d)) != DB_OK)
		return rc;
	metrics_add(M_GATE_RUNS, 1);
	detail = decision_json(&e, &d);
	snprintf(before, sizeof(before), "%s", c->state);
	rc = apply(&e, &d, detail);
	free(detail);
	if (rc == DB_OK && strcmp(before, c->state) != 0)
		db_tx_after(tx, campaigns_changed, s->campaigns);
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

	if (t->n < (int)(sizeof(t->ids) / sizeof(t->ids[0])) &&
	    (strcmp(c->state, "running") == 0 || strcmp(c->state, "paused") == 0))
		t->ids[t->n++] = c->id;
}

static int
evaluate_id(struct db_tx *tx, struct srv *s, int64_t id, int64_t now)
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
	struct srv *s = arg;
	struct tick_ctx t = { .n = 0 };
	int64_t now = (int64_t)time(NULL);
	int rc;

	/* The gate only judges running and paused campaigns. */
	if ((rc = db_campaign_live_tx(tx, INT64_MAX, collect, &t)) != DB_OK)
		return rc;
	for (int i = 0; i < t.n; i++)
		if ((rc = evaluate_id(tx, s, t.ids[i], now)) != DB_OK)
			return rc;
	return DB_OK;
}

int
gate_soon(struct db_tx *tx, struct srv *s, int64_t campaign, int64_t now)
{
	int slot = (int)((uint64_t)campaign % SOON_SLOTS);

	if (soon[slot].campaign == campaign && now - soon[slot].at < 1)
		return DB_OK;
	soon[slot].campaign = campaign;
	soon[slot].at = now;
	return evaluate_id(tx, s, campaign, now);
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
		if (rollout_campaign_state_parse(old->state, &from) != 0 ||
		    rollout_campaign_action(from, ROLLOUT_ACT_ABORT, old->stage,
		    ROLLOUT_MAX_STAGES, &to, &ns) != 0)
			continue;
		snprintf(old->state, sizeof(old->state), "%s",
		    rollout_campaign_state_name(to));
		old->finished_at = g->now;
		rc = db_campaign_update(tx, old);
		if (rc == DB_OK)
			rc = db_campaign_event(tx, old->id, g->now, "superseded",
			    g->actor, old->stage, detail);
	}
	free(old);
	return rc;
}

static int
start(struct db_tx *tx, struct gate_act *g, struct db_campaign *c)
{
	struct overlap_ctx o = { .n = 0 };
	struct start_ctx sc = { tx, c, g->now, 0 };
	int rc;

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
	if (o.n > 0 && (rc = supersede(tx, g, c, &o)) != DB_OK)
		return rc;
	if ((rc = db_campaign_targets_tx(tx, c->release_id, c->cohort_id,
	    take_member, &sc)) != DB_OK)
		return rc;
	g->members = sc.n;
	c->started_at = g->now;
	return DB_OK;
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
	int stages[ROLLOUT_MAX_STAGES], n, new_stage, rc;
	char detail[96];

	if (c == NULL)
		return DB_ERR;
	rc = db_campaign_get_tx(tx, g->campaign, c);
	if (rc != DB_OK)
		goto out;
	snprintf(g->state, sizeof(g->state), "%s", c->state);
	rc = DB_ERR;
	if (rollout_campaign_state_parse(c->state, &from) != 0 ||
	    campaign_stages_parse(c->stages, stages, &n) != 0)
		goto out;
	rc = DB_CONFLICT;
	if (rollout_campaign_action(from, (enum rollout_action)g->action,
	    c->stage, n, &to, &new_stage) != 0) {
		snprintf(g->why, sizeof(g->why), "the campaign is %s%s", c->state,
		    g->action == ROLLOUT_ACT_ADVANCE && c->stage == n - 1 ?
		    " at its last stage" : "");
		goto out;
	}
	if (g->action == ROLLOUT_ACT_START && (rc = start(tx, g, c)) != DB_OK)
		goto out;
	if (new_stage != c->stage || g->action == ROLLOUT_ACT_START)
		c->stage_opened_at = g->now;
	c->stage = new_stage;
	snprintf(c->state, sizeof(c->state), "%s", rollout_campaign_state_name(to));
	if (to == ROLLOUT_CAMP_ABORTED)
		c->finished_at = g->now;
	if ((rc = db_campaign_update(tx, c)) != DB_OK)
		goto out;
	snprintf(detail, sizeof(detail), "{\"stage\":%d,\"percent\":%d}",
	    c->stage, stages[c->stage]);
	rc = db_campaign_event(tx, c->id, g->now, act_events[g->action],
	    g->actor, c->stage, detail);
	if (rc == DB_OK && (g->action == ROLLOUT_ACT_START ||
	    g->action == ROLLOUT_ACT_ADVANCE))
		rc = db_campaign_event(tx, c->id, g->now, "stage_opened", g->actor,
		    c->stage, detail);
	snprintf(g->state, sizeof(g->state), "%s", c->state);
	if (rc == DB_OK)
		db_tx_after(tx, campaigns_changed, g->srv->campaigns);
out:
	free(c);
	return rc;
}
