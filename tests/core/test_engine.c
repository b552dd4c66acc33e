/* The campaign engine (src/core gate.c, reports.c, health.c, members.c)
 * against a real store, without HTTP: the writer's jobs run with times
 * given by the test.
 *
 * The rules of docs/rollouts.md and where each is tested. Pure decisions
 * are tested in tests/rollout; this suite checks that the engine applies
 * them to the stored rows.
 *
 * Stages and buckets
 *   [x] bucket formula, nesting, stage list rules, caps, plan
 *       rollout/test_rollout: test_bucket_kat, test_membership_*,
 *       test_stages_validate, test_stages_default, test_bucket_caps,
 *       test_plan
 *   [x] only the open stage is offered: core/test_poll
 *       only_the_open_stage_is_offered
 * Device states
 *   [x] the transition table: rollout/test_device_matrix; applied to a
 *       member by status reports: status_reports_walk_forward
 *   [x] progress only moves forward (409, nothing changes):
 *       status_reports_walk_forward
 *   [x] re-offer versus retry, attempts: rollout/test_device_offer_attempts;
 *       core/test_poll first_offer_is_taken_then_offered_again;
 *       a_retry_is_a_new_attempt
 *   [x] failures are never ignored, even after healthy:
 *       failures_after_healthy_count
 *   [x] newer: superseded: core/test_poll a_newer_version_is_sighted_not_offered
 *   [x] unhealthy health report on the release fails the member, with its
 *       reason class: unhealthy_health_report_fails_the_member
 *   [x] timeouts for offered/downloading/installed, never confirmed:
 *       silent_members_time_out_confirmed_ones_bake
 *   [x] baked moves confirmed to healthy: silent_members_time_out_confirmed_ones_bake
 *   [x] a clock that went back times nothing out: rollout/test_device_timed_out
 *   [x] the first cause stands, the device's own word replaces ours once:
 *       rollout/test_member test_what_an_event_changes; applied:
 *       the_first_cause_stands
 * The fallback rule
 *   [x] the table: rollout/test_sighting_table; applied:
 *       fallback_after_another_boot
 *   [x] installed without boot ids times out with reason fallback if it
 *       polled on another version: fallback_without_boot_id_times_out
 *   [x] installed with a boot id and still on the same boot when it times
 *       out: reason timeout (it never rebooted), not fallback:
 *       same_boot_times_out_as_timeout
 * Reason classes
 *   [x] rollout/test_reason_classes, test_health_reason
 * The gate
 *   [x] halt, pass, small stages, min_sample, in flight, empty and absent
 *       stages, baseline, nested stages, approval, numbers, invalid input:
 *       rollout/test_gate* and test_prop_*, test_model_goals
 *   [x] a halt is stored with its verdict and event, and stops offers:
 *       failures_halt_the_campaign
 *   [x] a passed stage advances and opens the next one:
 *       a_passed_stage_advances
 *   [x] auto_advance false waits for a human advance: approval_waits_for_advance
 *   [x] a paused campaign may halt but never widens: paused_never_widens
 *   [x] an expired release halts its campaign: an_expired_release_halts
 * Campaign states and offers
 *   [x] the action table: rollout/test_campaign_matrix; offers per state:
 *       rollout/test_should_offer, rollout/test_poll
 *   [x] an action the state refuses is a conflict, nothing changes:
 *       paused_never_widens (advance at the last stage)
 * Controls (issue #18)
 *   [x] pure rules: rollout/test_controls
 *   [x] a scheduled start waits, then starts with the manual checks:
 *       a_scheduled_start_waits_for_its_time; refused with its reason,
 *       writing nothing: a_refused_scheduled_start_says_why,
 *       a_scheduled_start_of_nobody_is_refused
 *   [x] min_stage_time holds a passed stage: pacing_holds_a_passed_stage
 *   [x] max_in_flight holds first offers, never re-offers, and frees
 *       slots as members confirm or fail:
 *       the_cap_holds_first_offers_not_re_offers; exact on the writer:
 *       the_cap_is_exact_on_the_writer; the server's cap, the gate's
 *       resync: the_server_cap_counts_every_campaign
 *   [x] the retry policy: quick retries (max_attempts) first, then paced
 *       ones after backoff * factor^k, noted in the history:
 *       retries_wait_their_backoff; the writer's take checks it too:
 *       the_take_checks_the_backoff
 * The store's contract (src/db/db.h)
 *   [x] member, campaign and direct-offer updates are compare-and-set:
 *       updates_are_compare_and_set
 */
#include "core_fixture.h"
#include "core/flights.h"
#include "core/members.h"
#include "core/poll.h"
#include "core/reports.h"

static int64_t t0;

/* The store's updates, each as one write job. */
struct upd {
	struct db_member *m;
	struct db_campaign *c;
	struct db_offer *off;
	enum rollout_device_state state;	/* members: expected; offers:
						 * the new state */
	enum rollout_campaign_state expect;	/* campaigns: expected */
	int attempts;
};

/* The state named name (the tests read better with names). */
static enum rollout_device_state
dstate(const char *name)
{
	enum rollout_device_state s;

	ck_assert_int_eq(rollout_device_state_parse(name, &s), 0);
	return s;
}

static enum rollout_campaign_state
cstate(const char *name)
{
	enum rollout_campaign_state s;

	ck_assert_int_eq(rollout_campaign_state_parse(name, &s), 0);
	return s;
}

static int
upd_job(struct db_tx *tx, void *arg)
{
	struct upd *u = arg;

	if (u->m != NULL)
		return db_member_update(tx, u->m, u->state, u->attempts);
	if (u->c != NULL)
		return db_campaign_update(tx, u->c, u->expect, u->attempts);
	return db_offer_update(tx, 1, u->off, u->state, NULL, NULL, t0);
}

static int
upd_member(struct db_member *m, enum rollout_device_state expect,
    int attempts)
{
	struct upd u = { m, NULL, NULL, expect, 0, attempts };

	return db_write(fx.db, upd_job, &u);
}

static int
upd_campaign(struct db_campaign *c, const char *expect, int stage)
{
	struct upd u = { NULL, c, NULL, 0, cstate(expect), stage };

	return db_write(fx.db, upd_job, &u);
}

static int
upd_offer(struct db_offer *off, const char *to)
{
	struct upd u = { NULL, NULL, off, dstate(to), 0, 0 };

	return db_write(fx.db, upd_job, &u);
}

static void
setup(void)
{
	fx_setup();
	t0 = util_now();
}

/* A fleet of n devices d0.. on 1.0.0, a release 2.0.0 and a started
 * campaign of it with stages and policy. */
static int64_t
fleet(int n, const int *stages, int nstages, const struct rollout_policy *p,
    int64_t *release)
{
	for (int i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "d%d", i);
		fx_device(name, "board-a", "1.0.0");
	}
	*release = fx_release("2.0.0", "board-a", t0 + 30 * 86400);
	return fx_campaign(*release, stages, nstages, p, t0);
}

/* Device row id polls at now on fw: the poll's answer, decided and its
 * sightings queued (a take is the caller's). */
static void
decide_at(int64_t id, const char *fw, const char *boot, int64_t now,
    struct poll_answer *ans)
{
	char name[24];
	struct poll_device d;

	snprintf(name, sizeof(name), "d%lld", (long long)id - 1);
	d = (struct poll_device){ id, name, "board-a", fw, fw, boot, 0,
	    ROLLOUT_DEV_OFFERED };
	ck_assert_int_eq(poll_decide(&fx, &d, now, ans), 0);
	poll_record(&fx, &d, ans, now);
}

/* Device row i polls at now on fw; returns the verdict, taking a first
 * offer or a retry on the writer as the handler does. */
static enum poll_verdict
poll_at(int64_t id, const char *fw, const char *boot, int64_t now)
{
	struct poll_answer ans;
	enum poll_verdict v;

	decide_at(id, fw, boot, now, &ans);
	v = ans.verdict;
	if (v == POLL_TAKE) {
		ck_assert_int_eq(db_write(fx.db, reports_offer_take, &ans.take),
		    DB_OK);
		ck_assert(ans.take.granted);
	}
	poll_answer_free(&ans);
	fx_drain();
	return v;
}

/* A status report of the device on campaign c's release; the job's rc. */
static int
report(int64_t c, int64_t id, enum rollout_device_event ev,
    const char *reason, const char *boot, int64_t now)
{
	struct report_status r = { .core = &fx, .device = id, .campaign = c,
	    .event = (int)ev, .reason = reason, .boot_id = boot, .now = now };
	struct db_campaign camp;

	ck_assert_int_eq(db_campaign_get(fx.db, c, &camp), DB_OK);
	snprintf(r.release, sizeof(r.release), "%s", camp.release_sha);
	return db_write(fx.db, reports_status, &r);
}

static int
run_job(struct db_tx *tx, void *arg)
{
	return gate_run(tx, &fx, *(int64_t *)arg);
}

static void
gate_at(int64_t now)
{
	ck_assert_int_eq(db_write(fx.db, run_job, &now), DB_OK);
}

static void
state_is(int64_t c, int64_t id, const char *state, const char *reason)
{
	struct db_member m;

	fx_member(c, id, &m);
	ck_assert_msg(strcmp(rollout_device_state_name(m.state), state) == 0,
	    "device %lld: %s, want %s", (long long)id,
	    rollout_device_state_name(m.state), state);
	if (reason != NULL)
		ck_assert_str_eq(m.reason, reason);
}

static void
campaign_is(int64_t c, const char *state, int stage)
{
	struct db_campaign camp;

	ck_assert_int_eq(db_campaign_get(fx.db, c, &camp), DB_OK);
	ck_assert_msg(camp.state == cstate(state) && camp.stage == stage,
	    "campaign %s at %d (%s: %s), want %s at %d",
	    rollout_campaign_state_name(camp.state), camp.stage,
	    camp.verdict, camp.verdict_reason, state, stage);
}

static const int all[] = { 100 };

START_TEST(status_reports_walk_forward)
{
	int64_t r, c = fleet(1, all, 1, NULL, &r);

	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0), POLL_TAKE);
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_DOWNLOADING, NULL, NULL, t0),
	    DB_OK);
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_INSTALLED, NULL, "b1", t0),
	    DB_OK);
	state_is(c, 1, "installed", NULL);
	/* back to downloading: refused, nothing changes */
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_DOWNLOADING, NULL, NULL, t0),
	    DB_CONFLICT);
	state_is(c, 1, "installed", NULL);
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_CONFIRMED, NULL, "b2", t0),
	    DB_OK);
	state_is(c, 1, "confirmed", NULL);
}
END_TEST

START_TEST(silent_members_time_out_confirmed_ones_bake)
{
	struct rollout_policy p;
	int64_t r, c;

	rollout_policy_default(&p);
	p.report_timeout = 600;
	p.bake_time = 900;
	c = fleet(3, all, 1, &p, &r);
	for (int i = 1; i <= 3; i++)
		ck_assert_int_eq(poll_at(i, "1.0.0", NULL, t0), POLL_TAKE);
	ck_assert_int_eq(report(c, 2, ROLLOUT_EV_INSTALLED, NULL, "b", t0),
	    DB_OK);
	ck_assert_int_eq(report(c, 3, ROLLOUT_EV_CONFIRMED, NULL, "b", t0),
	    DB_OK);
	gate_at(t0 + 599);
	state_is(c, 1, "offered", NULL);
	gate_at(t0 + 600);
	state_is(c, 1, "timed_out", "timeout");
	state_is(c, 2, "timed_out", "timeout");
	/* confirmed waits on us, never times out; it bakes */
	state_is(c, 3, "confirmed", NULL);
	gate_at(t0 + 900);
	state_is(c, 3, "healthy", NULL);
}
END_TEST

START_TEST(the_first_cause_stands)
{
	struct rollout_policy p;
	int64_t r, c;

	rollout_policy_default(&p);
	p.report_timeout = 600;
	c = fleet(1, all, 1, &p, &r);
	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0), POLL_TAKE);
	gate_at(t0 + 600);
	state_is(c, 1, "timed_out", "timeout");
	/* the device's own word replaces our guess, once */
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_FAILED, "hash", NULL,
	    t0 + 601), DB_OK);
	state_is(c, 1, "failed", "hash");
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_FAILED, "download", NULL,
	    t0 + 602), DB_OK);
	state_is(c, 1, "failed", "hash");
}
END_TEST

START_TEST(a_retry_is_a_new_attempt)
{
	struct rollout_policy p;
	struct db_member m;
	int64_t r, c;

	rollout_policy_default(&p);
	p.max_attempts = 2;
	/* others wait to start: one failure does not decide the stage */
	c = fleet(20, all, 1, &p, &r);
	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0), POLL_TAKE);
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_FAILED, "download", NULL, t0),
	    DB_OK);
	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0 + 1), POLL_TAKE);
	fx_member(c, 1, &m);
	ck_assert_int_eq(m.state, ROLLOUT_DEV_OFFERED);
	ck_assert_int_eq(m.attempts, 2);
	/* the cause of the earlier attempt is gone with it */
	ck_assert_str_eq(m.reason, "");
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_FAILED, "download", NULL,
	    t0 + 2), DB_OK);
	/* no attempt left */
	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0 + 3), POLL_NOTHING);
}
END_TEST

START_TEST(failures_after_healthy_count)
{
	struct rollout_policy p;
	int64_t r, c;

	rollout_policy_default(&p);
	p.bake_time = 60;
	c = fleet(1, all, 1, &p, &r);
	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0), POLL_TAKE);
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_CONFIRMED, NULL, "b", t0),
	    DB_OK);
	gate_at(t0 + 60);
	state_is(c, 1, "healthy", NULL);
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_ROLLED_BACK, "selftest",
	    NULL, t0 + 61), DB_OK);
	state_is(c, 1, "rolled_back", "selftest");
}
END_TEST

static int
health(int64_t id, const char *fw, int boot_ok, int selftest_ok,
    int64_t now)
{
	struct report_health h = { .core = &fx, .device = id,
	    .boot_ok = boot_ok, .selftest_ok = selftest_ok, .now = now };

	snprintf(h.fw_version, sizeof(h.fw_version), "%s", fw);
	h.unhealthy = !boot_ok || !selftest_ok;
	return db_write(fx.db, reports_health, &h);
}

START_TEST(unhealthy_health_report_fails_the_member)
{
	int64_t r, c = fleet(2, all, 1, NULL, &r);

	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0), POLL_TAKE);
	ck_assert_int_eq(poll_at(2, "1.0.0", NULL, t0), POLL_TAKE);
	/* on the old version: not about the release */
	ck_assert_int_eq(health(1, "1.0.0", 0, 1, t0), DB_OK);
	state_is(c, 1, "offered", NULL);
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_CONFIRMED, NULL, "b", t0),
	    DB_OK);
	ck_assert_int_eq(report(c, 2, ROLLOUT_EV_CONFIRMED, NULL, "b", t0),
	    DB_OK);
	ck_assert_int_eq(health(1, "2.0.0", 0, 1, t0 + 1), DB_OK);
	state_is(c, 1, "failed", "crash_on_boot");
	ck_assert_int_eq(health(2, "2.0.0", 1, 0, t0 + 1), DB_OK);
	state_is(c, 2, "failed", "selftest");
}
END_TEST

START_TEST(fallback_after_another_boot)
{
	int64_t r, c = fleet(1, all, 1, NULL, &r);

	ck_assert_int_eq(poll_at(1, "1.0.0", "boot-1", t0), POLL_TAKE);
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_INSTALLED, NULL, "boot-1",
	    t0), DB_OK);
	/* the same boot: it has not rebooted yet */
	poll_at(1, "1.0.0", "boot-1", t0 + 1);
	state_is(c, 1, "installed", NULL);
	/* another boot on the old image: it fell back */
	poll_at(1, "1.0.0", "boot-2", t0 + 2);
	state_is(c, 1, "rolled_back", "fallback");
}
END_TEST

/* What the last-seen flush records of device 1: a poll at t0 + 10 on
 * 1.0.0. */
static int
seen_job(struct db_tx *tx, void *arg)
{
	int changed;

	(void)arg;
	return db_device_seen(tx, 1, t0 + 10, "1.0.0", &changed);
}

START_TEST(fallback_without_boot_id_times_out)
{
	struct rollout_policy p;
	int64_t r, c;

	rollout_policy_default(&p);
	p.report_timeout = 600;
	c = fleet(2, all, 1, &p, &r);
	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0), POLL_TAKE);
	ck_assert_int_eq(poll_at(2, "1.0.0", NULL, t0), POLL_TAKE);
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_INSTALLED, NULL, NULL, t0),
	    DB_OK);
	ck_assert_int_eq(report(c, 2, ROLLOUT_EV_INSTALLED, NULL, NULL, t0),
	    DB_OK);
	/* device 1 keeps polling on its old version, which its device row
	 * records; device 2 is silent */
	poll_at(1, "1.0.0", NULL, t0 + 10);
	state_is(c, 1, "installed", NULL);
	ck_assert_int_eq(db_write(fx.db, seen_job, NULL), DB_OK);
	gate_at(t0 + 600);
	state_is(c, 1, "timed_out", "fallback");
	state_is(c, 2, "timed_out", "timeout");
}
END_TEST

/* A device that sends boot ids and polls on its old version from the boot
 * it installed in has not rebooted: a fallback would have been caught at
 * the poll of a later boot, so when it times out the cause is the
 * timeout. */
START_TEST(same_boot_times_out_as_timeout)
{
	struct rollout_policy p;
	int64_t r, c;

	rollout_policy_default(&p);
	p.report_timeout = 600;
	c = fleet(1, all, 1, &p, &r);
	ck_assert_int_eq(poll_at(1, "1.0.0", "boot-1", t0), POLL_TAKE);
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_INSTALLED, NULL, "boot-1",
	    t0), DB_OK);
	poll_at(1, "1.0.0", "boot-1", t0 + 10);
	ck_assert_int_eq(db_write(fx.db, seen_job, NULL), DB_OK);
	state_is(c, 1, "installed", NULL);
	gate_at(t0 + 600);
	state_is(c, 1, "timed_out", "timeout");
}
END_TEST

START_TEST(failures_halt_the_campaign)
{
	struct rollout_policy p;
	int64_t r, c;

	rollout_policy_default(&p);
	p.min_sample = 5;
	c = fleet(12, all, 1, &p, &r);
	for (int i = 1; i <= 12; i++)
		ck_assert_int_eq(poll_at(i, "1.0.0", NULL, t0), POLL_TAKE);
	/* each failure runs the gate soon; the ninth halts (5.99) */
	for (int i = 1; i <= 9; i++)
		ck_assert_int_eq(report(c, i, ROLLOUT_EV_FAILED, "selftest",
		    NULL, t0 + i), DB_OK);
	campaign_is(c, "halted", 0);
	/* a halted campaign offers nothing, not even again */
	ck_assert_int_eq(poll_at(10, "1.0.0", NULL, t0 + 20), POLL_NOTHING);
}
END_TEST

/* Every member of the open stage offered, confirmed and baked. */
static void
all_healthy(int64_t c, int n, int64_t at, int64_t bake)
{
	for (int i = 1; i <= n; i++) {
		struct db_member m;

		/* those updated at an earlier stage run the release now */
		fx_member(c, i, &m);
		if (m.state != ROLLOUT_DEV_PENDING ||
		    poll_at(i, "1.0.0", NULL, at) == POLL_NOTHING)
			continue;
		ck_assert_int_eq(report(c, i, ROLLOUT_EV_CONFIRMED, NULL, "b",
		    at), DB_OK);
	}
	gate_at(at + bake);
}

static const int two[] = { 50, 100 };

START_TEST(a_passed_stage_advances)
{
	struct rollout_policy p;
	int64_t r, c;

	rollout_policy_default(&p);
	p.min_sample = 1;
	p.bake_time = 60;
	c = fleet(20, two, 2, &p, &r);
	all_healthy(c, 20, t0, 60);
	campaign_is(c, "running", 1);
	all_healthy(c, 20, t0 + 100, 60);
	campaign_is(c, "completed", 1);
}
END_TEST

START_TEST(approval_waits_for_advance)
{
	struct rollout_policy p;
	struct gate_act act;
	struct db_campaign camp;
	int64_t r, c;

	rollout_policy_default(&p);
	p.min_sample = 1;
	p.bake_time = 60;
	p.auto_advance = false;
	c = fleet(20, two, 2, &p, &r);
	all_healthy(c, 20, t0, 60);
	campaign_is(c, "running", 0);
	ck_assert_int_eq(db_campaign_get(fx.db, c, &camp), DB_OK);
	ck_assert_str_eq(camp.verdict, "await_approval");
	act = (struct gate_act){ .core = &fx, .campaign = c,
	    .action = ROLLOUT_ACT_ADVANCE, .actor = "test", .now = t0 + 70 };
	ck_assert_int_eq(db_write(fx.db, gate_act, &act), DB_OK);
	campaign_is(c, "running", 1);
}
END_TEST

START_TEST(paused_never_widens)
{
	struct rollout_policy p;
	struct gate_act act;
	int64_t r, c;

	rollout_policy_default(&p);
	p.min_sample = 1;
	p.bake_time = 60;
	c = fleet(20, two, 2, &p, &r);
	for (int i = 1; i <= 20; i++)
		if (poll_at(i, "1.0.0", NULL, t0) == POLL_TAKE)
			ck_assert_int_eq(report(c, i, ROLLOUT_EV_CONFIRMED, NULL,
			    "b", t0), DB_OK);
	act = (struct gate_act){ .core = &fx, .campaign = c,
	    .action = ROLLOUT_ACT_PAUSE, .actor = "test", .now = t0 + 1 };
	ck_assert_int_eq(db_write(fx.db, gate_act, &act), DB_OK);
	gate_at(t0 + 60);
	campaign_is(c, "paused", 0);
	/* resumed, it advances at the next run */
	act.action = ROLLOUT_ACT_RESUME;
	ck_assert_int_eq(db_write(fx.db, gate_act, &act), DB_OK);
	gate_at(t0 + 61);
	campaign_is(c, "running", 1);
	/* at the last stage an advance is refused: 409, nothing changes */
	act.action = ROLLOUT_ACT_ADVANCE;
	ck_assert_int_eq(db_write(fx.db, gate_act, &act), DB_CONFLICT);
	campaign_is(c, "running", 1);
}
END_TEST

START_TEST(an_expired_release_halts)
{
	int64_t r, c = fleet(2, all, 1, NULL, &r);
	struct db_campaign camp;

	gate_at(t0 + 30 * 86400);
	campaign_is(c, "halted", 0);
	ck_assert_int_eq(db_campaign_get(fx.db, c, &camp), DB_OK);
	ck_assert_ptr_nonnull(strstr(camp.verdict_reason, "has expired"));
}
END_TEST

/* Two writers can never lose an update: each names what it read. */
START_TEST(updates_are_compare_and_set)
{
	int64_t r, c = fleet(1, all, 1, NULL, &r);
	struct db_member m, late;
	struct db_campaign camp;
	struct db_offer off;

	fx_member(c, 1, &m);
	late = m;
	m.state = ROLLOUT_DEV_OFFERED;
	m.attempts = 1;
	ck_assert_int_eq(upd_member(&m, ROLLOUT_DEV_PENDING, 0), DB_OK);
	/* a writer that read the row before that change */
	late.state = ROLLOUT_DEV_SUPERSEDED;
	ck_assert_int_eq(upd_member(&late, ROLLOUT_DEV_PENDING, 0),
	    DB_CONFLICT);
	state_is(c, 1, "offered", NULL);
	ck_assert_int_eq(db_campaign_get(fx.db, c, &camp), DB_OK);
	camp.state = ROLLOUT_CAMP_PAUSED;
	ck_assert_int_eq(upd_campaign(&camp, "running", 1),
	    DB_CONFLICT);
	ck_assert_int_eq(upd_campaign(&camp, "running", 0), DB_OK);
	campaign_is(c, "paused", 0);
	fx_direct("d0", r);
	ck_assert_int_eq(db_offer_get(fx.db, 1, &off), DB_OK);
	ck_assert_int_eq(upd_offer(&off, "downloading"), DB_OK);
	/* off still says pending */
	ck_assert_int_eq(upd_offer(&off, "failed"), DB_CONFLICT);
	ck_assert_int_eq(db_offer_get(fx.db, 1, &off), DB_OK);
	ck_assert_int_eq(off.state, ROLLOUT_DEV_DOWNLOADING);
}
END_TEST

/* A stored state the code has no name for is refused, never guessed:
 * the campaign and the offer do not read; the poll sees no offer. */
START_TEST(unknown_stored_states_are_refused)
{
	int64_t r, c = fleet(1, all, 1, NULL, &r);
	struct db_campaign camp;
	struct db_offer off;
	struct db_device_auth d;

	fx_direct("d0", r);
	fx_exec("UPDATE campaigns SET state = 'Running';"
	    "UPDATE offers SET state = 'lost'");
	ck_assert_int_eq(db_campaign_get(fx.db, c, &camp), DB_ERR);
	ck_assert_int_eq(db_offer_get(fx.db, 1, &off), DB_ERR);
	ck_assert_int_eq(db_device_auth_by_id(fx.db, "d0", &d), DB_OK);
	ck_assert_int_eq(d.offer_release, 0);
}
END_TEST

/* ---- controls (issue #18) ---- */

/* The kind and detail of campaign c's last event. */
struct last_event {
	char kind[24], actor[65], detail[1024];
};

static void
last_one(const struct db_campaign_event *e, void *arg)
{
	struct last_event *l = arg;

	snprintf(l->kind, sizeof(l->kind), "%s", e->kind);
	snprintf(l->actor, sizeof(l->actor), "%s", e->actor);
	snprintf(l->detail, sizeof(l->detail), "%s", e->detail);
}

static void
last_event_is(int64_t c, const char *kind, const char *actor,
    const char *in_detail)
{
	struct last_event l = { "", "", "" };

	ck_assert_int_eq(db_campaign_events(fx.db, c, 0, 1000, last_one, &l),
	    DB_OK);
	ck_assert_str_eq(l.kind, kind);
	ck_assert_str_eq(l.actor, actor);
	ck_assert_msg(strstr(l.detail, in_detail) != NULL, "\"%s\" lacks %s",
	    l.detail, in_detail);
}

/* A start of draft c at now (start_at 0: at once); the job's rc. */
static int
start_at(int64_t c, int64_t when, int64_t now)
{
	struct gate_act act = { .core = &fx, .campaign = c,
	    .action = ROLLOUT_ACT_START, .actor = "test", .now = now,
	    .start_at = when };

	return db_write(fx.db, gate_act, &act);
}

/* A draft over device d0 on fw, of a release 2.0.0 expiring at expires,
 * scheduled at t0 for t0 + 100; its id. */
static int64_t
scheduled(const char *fw, int64_t expires)
{
	int64_t r, c;

	fx_device("d0", "board-a", fw);
	r = fx_release("2.0.0", "board-a", expires);
	c = fx_draft(r, all, 1, NULL, t0);
	ck_assert_int_eq(start_at(c, t0 + 100, t0), DB_OK);
	return c;
}

START_TEST(a_scheduled_start_waits_for_its_time)
{
	struct db_campaign camp;
	struct db_member m;
	int64_t c = scheduled("1.0.0", t0 + 86400);

	last_event_is(c, "scheduled", "test", "\"start_at\":\"");
	ck_assert_int_eq(db_campaign_get(fx.db, c, &camp), DB_OK);
	ck_assert_int_eq(camp.start_at, t0 + 100);
	gate_at(t0 + 99);
	campaign_is(c, "draft", 0);
	/* nobody is a member before the start */
	ck_assert_int_eq(db_member_get(fx.db, c, 1, &m), DB_NOTFOUND);
	gate_at(t0 + 100);
	campaign_is(c, "running", 0);
	ck_assert_int_eq(db_campaign_get(fx.db, c, &camp), DB_OK);
	ck_assert_int_eq(camp.started_at, t0 + 100);
	ck_assert_int_eq(camp.stage_opened_at, t0 + 100);
	state_is(c, 1, "pending", NULL);
	last_event_is(c, "stage_opened", "schedule", "\"stage\":1");
	/* started once: the next tick starts nothing again */
	gate_at(t0 + 101);
	campaign_is(c, "running", 0);
}
END_TEST

START_TEST(a_refused_scheduled_start_says_why)
{
	struct db_campaign camp;
	struct db_member m;
	/* usable when scheduled, expired when due */
	int64_t c = scheduled("1.0.0", t0 + 50);

	gate_at(t0 + 100);
	campaign_is(c, "draft", 0);
	last_event_is(c, "start_refused", "schedule",
	    "\"code\":\"invalid_release\"");
	ck_assert_int_eq(db_campaign_get(fx.db, c, &camp), DB_OK);
	ck_assert_int_eq(camp.start_at, 0);
	ck_assert_int_eq(db_member_get(fx.db, c, 1, &m), DB_NOTFOUND);
	/* a release expired already cannot be scheduled at all */
	ck_assert_int_eq(start_at(c, t0 + 200, t0 + 100), DB_INVALID);
}
END_TEST

START_TEST(a_scheduled_start_of_nobody_is_refused)
{
	/* every device runs the release already */
	int64_t c = scheduled("2.0.0", t0 + 86400);

	gate_at(t0 + 100);
	campaign_is(c, "draft", 0);
	last_event_is(c, "start_refused", "schedule", "no_targets");
}
END_TEST

START_TEST(pacing_holds_a_passed_stage)
{
	struct rollout_policy p;
	struct db_campaign camp;
	int64_t r, c;

	rollout_policy_default(&p);
	p.min_sample = 1;
	p.bake_time = 60;
	p.min_stage_time = 300;
	c = fleet(20, two, 2, &p, &r);
	all_healthy(c, 20, t0, 60);
	campaign_is(c, "running", 0);
	ck_assert_int_eq(db_campaign_get(fx.db, c, &camp), DB_OK);
	ck_assert_str_eq(camp.verdict, "continue");
	ck_assert_msg(strstr(camp.verdict_reason, "; waiting: stage open 60s "
	    "of min 5m") != NULL, "%s", camp.verdict_reason);
	ck_assert_ptr_nonnull(strstr(camp.verdict_detail,
	    "\"stage_time_left\":240"));
	gate_at(t0 + 299);
	campaign_is(c, "running", 0);
	gate_at(t0 + 300);
	campaign_is(c, "running", 1);
}
END_TEST

/* Device id's poll at now: its verdict, with the take run as the handler
 * runs it; *capped: held back by a cap (on the poll or at the take). */
static enum poll_verdict
poll_capped(int64_t id, int64_t now, int *capped)
{
	struct poll_answer ans;
	enum poll_verdict v;

	decide_at(id, "1.0.0", NULL, now, &ans);
	v = ans.verdict;
	if (v == POLL_TAKE) {
		ck_assert_int_eq(db_write(fx.db, reports_offer_take, &ans.take),
		    DB_OK);
		if (!ans.take.granted)
			v = POLL_NOTHING;
	}
	*capped = ans.capped || ans.take.capped;
	ck_assert_int_eq(poll_hint(&ans, 300), *capped ? 75 : 300);
	poll_answer_free(&ans);
	return v;
}

START_TEST(the_cap_holds_first_offers_not_re_offers)
{
	struct rollout_policy p;
	int64_t r, c;
	int capped;

	rollout_policy_default(&p);
	p.max_in_flight = 3;
	c = fleet(10, all, 1, &p, &r);
	for (int i = 1; i <= 3; i++) {
		ck_assert_int_eq(poll_capped(i, t0, &capped), POLL_TAKE);
		ck_assert(!capped);
	}
	ck_assert_int_eq(flights_campaign(fx.flights, c), 3);
	ck_assert_int_eq(poll_capped(4, t0, &capped), POLL_NOTHING);
	ck_assert(capped);
	state_is(c, 4, "pending", NULL);
	/* a device in flight is offered again at the cap */
	ck_assert_int_eq(report(c, 2, ROLLOUT_EV_DOWNLOADING, NULL, NULL, t0),
	    DB_OK);
	ck_assert_int_eq(poll_capped(2, t0 + 1, &capped), POLL_OFFER);
	ck_assert(!capped);
	/* confirmed leaves the count (it waits on the bake): a slot */
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_CONFIRMED, NULL, "b", t0 + 2),
	    DB_OK);
	ck_assert_int_eq(flights_campaign(fx.flights, c), 2);
	ck_assert_int_eq(poll_capped(4, t0 + 3, &capped), POLL_TAKE);
	ck_assert_int_eq(poll_capped(5, t0 + 3, &capped), POLL_NOTHING);
	ck_assert(capped);
	/* a failure frees one too */
	ck_assert_int_eq(report(c, 3, ROLLOUT_EV_FAILED, "download", NULL,
	    t0 + 4), DB_OK);
	ck_assert_int_eq(poll_capped(5, t0 + 5, &capped), POLL_TAKE);
}
END_TEST

/* Polls decided at once all see a free slot; the takes, one at a time on
 * the writer, grant only what the cap allows. */
START_TEST(the_cap_is_exact_on_the_writer)
{
	struct rollout_policy p;
	struct poll_answer ans[6];
	int64_t r, c;
	int granted = 0, capped = 0;

	rollout_policy_default(&p);
	p.max_in_flight = 2;
	c = fleet(10, all, 1, &p, &r);
	for (int i = 0; i < 6; i++) {
		decide_at(i + 1, "1.0.0", NULL, t0, &ans[i]);
		ck_assert_int_eq(ans[i].verdict, POLL_TAKE);
	}
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(db_write(fx.db, reports_offer_take,
		    &ans[i].take), DB_OK);
		granted += ans[i].take.granted;
		capped += ans[i].take.capped;
		poll_answer_free(&ans[i]);
	}
	ck_assert_int_eq(granted, 2);
	ck_assert_int_eq(capped, 4);
	ck_assert_int_eq(flights_campaign(fx.flights, c), 2);
}
END_TEST

START_TEST(the_server_cap_counts_every_campaign)
{
	int64_t r, c;
	int capped;

	fx.pol.max_in_flight = 2;
	c = fleet(5, all, 1, NULL, &r);
	ck_assert_int_eq(poll_capped(1, t0, &capped), POLL_TAKE);
	ck_assert_int_eq(poll_capped(2, t0, &capped), POLL_TAKE);
	ck_assert_int_eq(poll_capped(3, t0, &capped), POLL_NOTHING);
	ck_assert(capped);
	ck_assert_int_eq(flights_total(fx.flights), 2);
	/* the gate's sweep sets a count that drifted (a rolled-back job) */
	flights_add(fx.flights, c, 5);
	ck_assert_int_eq(flights_campaign(fx.flights, c), 7);
	gate_at(t0 + 1);
	ck_assert_int_eq(flights_campaign(fx.flights, c), 2);
	ck_assert_int_eq(flights_total(fx.flights), 2);
	/* an aborted campaign's members no longer count */
	{
		struct gate_act act = { .core = &fx, .campaign = c,
		    .action = ROLLOUT_ACT_ABORT, .actor = "test", .now = t0 + 2 };
		ck_assert_int_eq(db_write(fx.db, gate_act, &act), DB_OK);
	}
	gate_at(t0 + 3);
	ck_assert_int_eq(flights_campaign(fx.flights, c), -1);
	ck_assert_int_eq(flights_total(fx.flights), 0);
}
END_TEST

/* The detail of the device's newest "offered" event. */
static void
offered_note(const struct db_event *e, void *arg)
{
	char *note = arg;

	if (note[0] == '\0' && strcmp(e->kind, "offered") == 0)
		snprintf(note, 512, "%s", e->detail[0] ? e->detail : "-");
}

static void
last_offer_note_is(int64_t device, const char *want)
{
	char note[512] = "";

	ck_assert_int_eq(db_device_events(fx.db, device, 50, offered_note,
	    note), DB_OK);
	ck_assert_str_eq(note, want);
}

START_TEST(retries_wait_their_backoff)
{
	struct rollout_policy p;
	struct db_member m;
	int64_t r, c;

	rollout_policy_default(&p);
	p.max_attempts = 2;		/* one retry at once */
	p.retry_count = 2;		/* then two paced ones */
	p.retry_backoff = 100;
	p.retry_factor = 3.0;
	c = fleet(20, all, 1, &p, &r);
	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0), POLL_TAKE);
	last_offer_note_is(1, "-");
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_FAILED, "download", NULL, t0),
	    DB_OK);
	/* the quick retry: the next poll */
	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0 + 1), POLL_TAKE);
	last_offer_note_is(1, "retry: attempt 2 of 4");
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_ROLLED_BACK, "selftest", NULL,
	    t0 + 10), DB_OK);
	/* the first paced one: 100 s after the failure, not before */
	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0 + 109), POLL_NOTHING);
	state_is(c, 1, "rolled_back", "selftest");
	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0 + 110), POLL_TAKE);
	last_offer_note_is(1, "retry: attempt 3 of 4, 100 s after the failure");
	/* it times out this time: the timeout is the failure's time */
	gate_at(t0 + 110 + 3600);
	state_is(c, 1, "timed_out", "timeout");
	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0 + 110 + 3600 + 299),
	    POLL_NOTHING);
	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0 + 110 + 3600 + 300),
	    POLL_TAKE);
	last_offer_note_is(1, "retry: attempt 4 of 4, 300 s after the failure");
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_FAILED, "install", NULL,
	    t0 + 5000), DB_OK);
	/* spent: nothing more, however long it waits */
	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0 + 5000 + 86400),
	    POLL_NOTHING);
	fx_member(c, 1, &m);
	ck_assert_int_eq(m.attempts, 4);
}
END_TEST

/* The at of the device's newest event of kind (0 if none). */
struct event_at { const char *kind; int64_t at; };

static void
event_at(const struct db_event *e, void *arg)
{
	struct event_at *w = arg;

	if (w->at == 0 && strcmp(e->kind, w->kind) == 0)
		w->at = e->at;
}

static int64_t
last_event_at(int64_t device, const char *kind)
{
	struct event_at w = { kind, 0 };

	ck_assert_int_eq(db_device_events(fx.db, device, 50, event_at, &w),
	    DB_OK);
	return w.at;
}

/* The history shows the times the rules used (the request's), not when
 * the writer got to it: a backoff read off the history holds. */
START_TEST(the_history_keeps_the_rules_times)
{
	struct rollout_policy p;
	int64_t r, c;

	rollout_policy_default(&p);
	p.retry_count = 1;
	p.retry_backoff = 60;
	c = fleet(20, all, 1, &p, &r);
	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0 - 500), POLL_TAKE);
	ck_assert_int_eq(last_event_at(1, "offered"), t0 - 500);
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_FAILED, "download", NULL,
	    t0 - 400), DB_OK);
	ck_assert_int_eq(last_event_at(1, "status"), t0 - 400);
	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0 - 340), POLL_TAKE);
	ck_assert_int_eq(last_event_at(1, "offered"), t0 - 340);
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_INSTALLED, NULL, "boot-a",
	    t0 - 300), DB_OK);
	/* back on the old version in a new boot: the fallback's sighting */
	ck_assert_int_eq(poll_at(1, "1.0.0", "boot-b", t0 - 200),
	    POLL_NOTHING);
	ck_assert_int_eq(last_event_at(1, "fallback"), t0 - 200);
}
END_TEST

/* The take on the writer holds a retry whose backoff has not passed,
 * whatever the poll thought. */
START_TEST(the_take_checks_the_backoff)
{
	struct rollout_policy p;
	struct poll_answer ans;
	int64_t r, c;

	rollout_policy_default(&p);
	p.retry_count = 1;
	p.retry_backoff = 60;
	c = fleet(20, all, 1, &p, &r);
	ck_assert_int_eq(poll_at(1, "1.0.0", NULL, t0), POLL_TAKE);
	ck_assert_int_eq(report(c, 1, ROLLOUT_EV_FAILED, "download", NULL, t0),
	    DB_OK);
	decide_at(1, "1.0.0", NULL, t0 + 60, &ans);
	ck_assert_int_eq(ans.verdict, POLL_TAKE);
	ans.take.now = t0 + 59;
	ck_assert_int_eq(db_write(fx.db, reports_offer_take, &ans.take), DB_OK);
	ck_assert(!ans.take.granted);
	poll_answer_free(&ans);
	state_is(c, 1, "failed", "download");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("core_engine");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, fx_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, status_reports_walk_forward);
	tcase_add_test(tc, the_history_keeps_the_rules_times);
	tcase_add_test(tc, silent_members_time_out_confirmed_ones_bake);
	tcase_add_test(tc, the_first_cause_stands);
	tcase_add_test(tc, a_retry_is_a_new_attempt);
	tcase_add_test(tc, failures_after_healthy_count);
	tcase_add_test(tc, unhealthy_health_report_fails_the_member);
	tcase_add_test(tc, fallback_after_another_boot);
	tcase_add_test(tc, fallback_without_boot_id_times_out);
	tcase_add_test(tc, same_boot_times_out_as_timeout);
	tcase_add_test(tc, failures_halt_the_campaign);
	tcase_add_test(tc, a_passed_stage_advances);
	tcase_add_test(tc, approval_waits_for_advance);
	tcase_add_test(tc, paused_never_widens);
	tcase_add_test(tc, an_expired_release_halts);
	tcase_add_test(tc, updates_are_compare_and_set);
	tcase_add_test(tc, unknown_stored_states_are_refused);
	tcase_add_test(tc, a_scheduled_start_waits_for_its_time);
	tcase_add_test(tc, a_refused_scheduled_start_says_why);
	tcase_add_test(tc, a_scheduled_start_of_nobody_is_refused);
	tcase_add_test(tc, pacing_holds_a_passed_stage);
	tcase_add_test(tc, the_cap_holds_first_offers_not_re_offers);
	tcase_add_test(tc, the_cap_is_exact_on_the_writer);
	tcase_add_test(tc, the_server_cap_counts_every_campaign);
	tcase_add_test(tc, retries_wait_their_backoff);
	tcase_add_test(tc, the_take_checks_the_backoff);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
