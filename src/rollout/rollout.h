/* Pure decision logic of staged rollouts: buckets, device states, gates.
 *
 * Nothing here does I/O, SQL, clock reads, allocation or printing: the
 * caller passes plain structs and `now` (seconds since the epoch) and gets a
 * decision back. Every function is safe to call from any thread. Pointers
 * are borrowed for the duration of the call only; must be non-NULL unless
 * a comment says otherwise. The rules are written out in docs/rollouts.md,
 * section "Rules". */
#ifndef ROLLOUT_ROLLOUT_H
#define ROLLOUT_ROLLOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Buckets and stages ------------------------------------------------
 * A device's bucket is uint64(first 8 bytes of SHA-256(salt || device_id),
 * big-endian) mod 10000. It is in a stage of pct percent iff
 * bucket < pct * 100, so stages nest (1 within 10 within 50 within 100) and
 * the same devices are chosen every time. Stage lists hold 1..16 integer
 * percentages in 1..100, strictly increasing, the last one 100. */

#define ROLLOUT_BUCKETS		10000
/* What rollout_bucket returns for input it refuses; in no stage. */
#define ROLLOUT_NO_BUCKET	ROLLOUT_BUCKETS
#define ROLLOUT_SALT_MAX	64	/* bytes of campaign salt, at most */
#define ROLLOUT_DEVICE_ID_MAX	256	/* bytes of device id, at most */
#define ROLLOUT_MAX_STAGES	16

/* Bucket 0..9999 of device_id; ROLLOUT_NO_BUCKET for NULL or over-cap input. */
uint32_t rollout_bucket(const uint8_t *salt, size_t salt_len,
    const char *device_id);
/* 1 iff bucket is in a stage of pct percent (bucket < pct * 100), else 0. */
int rollout_in_stage(uint32_t bucket, int pct);
/* Index of the first of n stages that holds bucket, or -1 if none does. */
int rollout_stage_index(uint32_t bucket, const int *stages, int n);
/* 0 if the n stages are valid, else -1 with *why (if non-NULL) a static text. */
int rollout_stages_validate(const int *stages, int n, const char **why);
/* Writes the default stages [1, 10, 50, 100] into stages and 4 into *n. */
void rollout_stages_default(int stages[ROLLOUT_MAX_STAGES], int *n);
/* Counts buckets first reached by each stage and reached by then (zeros if stages invalid); outputs may be NULL. */
void rollout_plan(const uint32_t *buckets, size_t n, const int *stages,
    int nstages, uint64_t *per_stage_new, uint64_t *per_stage_cumulative);

/* ---- Gate policy ---------------------------------------------------------
 * Per campaign. Times are seconds; percentages are percent (5.0 = 5 %) and
 * are compared exactly to a millionth of a percent. Defaults are in
 * docs/rollouts.md with the reason each one is safe. */

struct rollout_policy {
	int min_sample;		/* healthy devices a stage needs (1..1e6; 5) */
	int max_failures;	/* halt needs at least this many failures (1..1e6; 2) */
	double max_failure_pct;	/* ...and failures >= this % of started ((0,100]; 5.0) */
	double min_healthy_pct;	/* advance needs healthy >= this % of started ([0,100]; 90.0) */
	int64_t bake_time;	/* confirmed -> healthy, and minimum stage age (0..1y; 3600) */
	int64_t report_timeout;	/* silence before an in-flight device times out (0..1y; 3600) */
	int64_t absent_timeout;	/* stage age after which pending devices are absent (0..1y; 86400) */
	bool auto_advance;	/* false: a passed stage waits for a human advance (true) */
	int max_attempts;	/* offers of the release per device, first one included (1..100; 1) */
};

#define ROLLOUT_MAX_TIME	(365 * 86400)	/* one year, the cap on every time */

/* Fills p with the defaults (5, 2, 5.0, 90.0, 3600, 3600, 86400, true, 1). */
void rollout_policy_default(struct rollout_policy *p);
/* 0 if p is valid, else -1 with *bad_field (if non-NULL) the member's name. */
int rollout_policy_validate(const struct rollout_policy *p,
    const char **bad_field);

/* ---- Device states -------------------------------------------------------
 * pending: member of the campaign, never offered. offered, downloading,
 * installed, confirmed: in flight. healthy: confirmed and then quiet for
 * bake_time (success). failed, rolled_back, timed_out: failures.
 *
 * Transitions (rollout_device_step; the full table is in docs/rollouts.md):
 * - progress (downloading, installed, confirmed) only moves forward from
 *   offered/downloading/installed/confirmed; jumps are allowed (a device may
 *   skip reports); repeating the current state is a no-op, going back is -1.
 *   A repeated `downloading` is a progress refresh.
 * - offer: pending -> offered is the first attempt; offered/downloading
 *   keep their state (a re-offer of the same attempt); failed/rolled_back/
 *   timed_out -> offered is a retry, allowed only while attempts <
 *   max_attempts. `attempts` counts the attempts already started; the
 *   caller adds one for a first offer or a retry (see rollout_offer_kind).
 * - failure events are never ignored once a device has been offered:
 *   failed and rolled_back apply from offered..healthy; unhealthy (a health
 *   report ON THE CAMPAIGN'S RELEASE with boot_ok false, selftest failed or
 *   crashes) -> failed from offered..healthy; fallback (device polls on its
 *   old version) -> rolled_back from installed/confirmed/healthy only.
 *   In a failure state a failure event keeps the first cause, except that a
 *   device's own `failed`/`rolled_back` replaces our `timed_out` guess.
 * - timeout applies to offered/downloading/installed only: a confirmed
 *   device waits on us (bake), not we on it, so it never times out.
 * - baked: confirmed -> healthy; the caller first asks rollout_device_baked.
 * - nothing but the events above leaves pending; healthy only leaves on a
 *   failure event. */

enum rollout_device_state {
	ROLLOUT_DEV_PENDING,
	ROLLOUT_DEV_OFFERED,
	ROLLOUT_DEV_DOWNLOADING,
	ROLLOUT_DEV_INSTALLED,
	ROLLOUT_DEV_CONFIRMED,
	ROLLOUT_DEV_HEALTHY,
	ROLLOUT_DEV_FAILED,
	ROLLOUT_DEV_ROLLED_BACK,
	ROLLOUT_DEV_TIMED_OUT,
};
#define ROLLOUT_DEV_STATES	(ROLLOUT_DEV_TIMED_OUT + 1)

enum rollout_device_event {
	ROLLOUT_EV_OFFER,
	ROLLOUT_EV_DOWNLOADING,
	ROLLOUT_EV_INSTALLED,
	ROLLOUT_EV_CONFIRMED,
	ROLLOUT_EV_FAILED,
	ROLLOUT_EV_ROLLED_BACK,
	ROLLOUT_EV_FALLBACK,
	ROLLOUT_EV_UNHEALTHY,
	ROLLOUT_EV_TIMEOUT,
	ROLLOUT_EV_BAKED,
};
#define ROLLOUT_EVENTS		(ROLLOUT_EV_BAKED + 1)

/* What an offer to a device would be. */
enum rollout_offer_kind {
	ROLLOUT_OFFER_NONE,	/* not offerable in this state */
	ROLLOUT_OFFER_FIRST,	/* first attempt: caller adds one to attempts */
	ROLLOUT_OFFER_AGAIN,	/* re-offer of the attempt in flight: no change */
	ROLLOUT_OFFER_RETRY,	/* new attempt after a failure: attempts + 1 */
};

/* "pending", "offered", ... "timed_out"; NULL for a value out of range. */
const char *rollout_device_state_name(enum rollout_device_state s);
/* Exact, case-sensitive name -> state; 0, or -1 for anything else. */
int rollout_device_state_parse(const char *name,
    enum rollout_device_state *out);
/* "offer", "downloading", ... "baked"; NULL for a value out of range. */
const char *rollout_device_event_name(enum rollout_device_event ev);
/* Exact, case-sensitive name -> event; 0, or -1 for anything else. */
int rollout_device_event_parse(const char *name,
    enum rollout_device_event *out);

/* 1 for failed, rolled_back and timed_out, else 0. */
int rollout_state_is_failure(enum rollout_device_state s);
/* 1 for offered, downloading, installed and confirmed (started, not done), else 0. */
int rollout_state_is_in_flight(enum rollout_device_state s);
/* Kind of offer a device in state s with attempts started would get (NONE if attempts < 0). */
enum rollout_offer_kind rollout_offer_kind(enum rollout_device_state s,
    int attempts, const struct rollout_policy *p);
/* Applies ev to from: 0 with *to set (possibly == from), or -1 if impossible (*to untouched). */
int rollout_device_step(enum rollout_device_state from,
    enum rollout_device_event ev, int attempts,
    const struct rollout_policy *p, enum rollout_device_state *to);
/* 1 if the step from -ev-> to should set last_change = now (state changed or progress refreshed), else 0. */
int rollout_device_touches(enum rollout_device_state from,
    enum rollout_device_event ev, enum rollout_device_state to);
/* 1 if an offered/downloading/installed device silent since last_change has reached report_timeout, else 0. */
int rollout_device_timed_out(enum rollout_device_state s, int64_t last_change,
    int64_t now, const struct rollout_policy *p);
/* 1 if a confirmed device confirmed at confirmed_at has baked for bake_time by now, else 0. */
int rollout_device_baked(enum rollout_device_state s, int64_t confirmed_at,
    int64_t now, const struct rollout_policy *p);

/* ---- Campaigns -----------------------------------------------------------
 * Actions: start draft->running (opens stage 0); pause running->paused;
 * resume paused->running; advance running/paused -> same state, next stage
 * (-1 at the last stage); abort draft/running/paused/halted->aborted.
 * Gate outcomes: halt running/paused->halted (a pause must not hide a bad
 * release); complete running->completed, at the last stage only.
 * Anything else is -1 (the caller answers 409 with the current state).
 *
 * Offers (rollout_should_offer), always to members of the current stage:
 * running and completed: pending (first), offered/downloading (re-offer)
 * and failed/rolled_back/timed_out with attempts < max_attempts (retry);
 * completed keeps offering so stragglers that come online late still get
 * the fleet's target release. paused: only offered/downloading get their
 * offer again. draft, halted, aborted: nothing, not even a re-offer. */

enum rollout_campaign_state {
	ROLLOUT_CAMP_DRAFT,
	ROLLOUT_CAMP_RUNNING,
	ROLLOUT_CAMP_PAUSED,
	ROLLOUT_CAMP_HALTED,
	ROLLOUT_CAMP_COMPLETED,
	ROLLOUT_CAMP_ABORTED,
};
#define ROLLOUT_CAMP_STATES	(ROLLOUT_CAMP_ABORTED + 1)

enum rollout_action {
	ROLLOUT_ACT_START,
	ROLLOUT_ACT_PAUSE,
	ROLLOUT_ACT_RESUME,
	ROLLOUT_ACT_ADVANCE,
	ROLLOUT_ACT_ABORT,
	ROLLOUT_ACT_HALT,
	ROLLOUT_ACT_COMPLETE,
};
#define ROLLOUT_ACTIONS		(ROLLOUT_ACT_COMPLETE + 1)

/* "draft", "running", "paused", "halted", "completed", "aborted"; NULL if out of range. */
const char *rollout_campaign_state_name(enum rollout_campaign_state s);
/* Exact, case-sensitive name -> campaign state; 0, or -1. */
int rollout_campaign_state_parse(const char *name,
    enum rollout_campaign_state *out);
/* "start", "pause", "resume", "advance", "abort", "halt", "complete"; NULL if out of range. */
const char *rollout_action_name(enum rollout_action a);
/* Exact, case-sensitive name -> action; 0, or -1. */
int rollout_action_parse(const char *name, enum rollout_action *out);
/* Applies a to (from, stage_index of nstages): 0 with *to and *new_stage_index set, or -1 (outputs untouched). */
int rollout_campaign_action(enum rollout_campaign_state from,
    enum rollout_action a, int stage_index, int nstages,
    enum rollout_campaign_state *to, int *new_stage_index);
/* 1 if a device (bucket, state, attempts) gets the release now under cs at stage_pct, else 0. */
int rollout_should_offer(enum rollout_campaign_state cs, int stage_pct,
    uint32_t bucket, enum rollout_device_state ds, int attempts,
    const struct rollout_policy *p);

/* ---- Gate ------------------------------------------------------------------
 * Counts are over the members of the current stage: every device whose
 * bucket is below pct * 100, earlier stages' devices included (stages nest).
 * started = members - pending; failures = failed + rolled_back + timed_out.
 * 1. HALT when failures >= max_failures and failures * 100 >=
 *    max_failure_pct * started. Checked first; it beats everything.
 * 2. A stage with no members passes at once (no bake).
 * 3. Otherwise, with age = now - stage_opened_at (0 if negative), absent =
 *    (age >= absent_timeout ? pending : 0), present = members - absent and
 *    needed = min(min_sample, present), the stage passes when age >=
 *    bake_time and healthy >= needed and (started == 0 ? needed == 0 :
 *    healthy * 100 >= min_healthy_pct * started).
 * 4. A passed stage gives ADVANCE, or AWAIT_APPROVAL when !auto_advance,
 *    or COMPLETE at the last stage (completing offers nothing new, so it
 *    needs no approval). Otherwise CONTINUE, the reason saying what it
 *    waits for.
 * Invalid input (policy, stages, index, counts that do not add up to
 * members, more than ROLLOUT_MAX_MEMBERS) gives CONTINUE with a reason
 * starting "invalid input": no state change on a caller's bug. */

#define ROLLOUT_MAX_MEMBERS	10000000000LL	/* devices per stage, at most */
#define ROLLOUT_REASON_MAX	256

struct rollout_counts {
	int64_t members;			/* devices in the current stage */
	int64_t by_state[ROLLOUT_DEV_STATES];	/* how many of them in each state */
};

enum rollout_verdict {
	ROLLOUT_CONTINUE,	/* nothing to do yet */
	ROLLOUT_ADVANCE,	/* apply ROLLOUT_ACT_ADVANCE */
	ROLLOUT_AWAIT_APPROVAL,	/* stage passed; a human must advance */
	ROLLOUT_HALT,		/* apply ROLLOUT_ACT_HALT */
	ROLLOUT_COMPLETE,	/* apply ROLLOUT_ACT_COMPLETE */
};
#define ROLLOUT_VERDICTS	(ROLLOUT_COMPLETE + 1)

struct rollout_decision {
	enum rollout_verdict verdict;
	char reason[ROLLOUT_REASON_MAX];	/* one human sentence, UTF-8 */
	int64_t members;
	int64_t pending;
	int64_t started;	/* members - pending */
	int64_t in_flight;	/* offered + downloading + installed + confirmed */
	int64_t healthy;
	int64_t failures;	/* failed + rolled_back + timed_out */
	int64_t present;	/* members - absent */
	int64_t absent;		/* pending, once the stage is absent_timeout old */
	int64_t needed;		/* min(min_sample, present) */
	double failure_pct;	/* failures * 100 / started (0 if none started) */
	double healthy_pct;	/* healthy * 100 / started (0 if none started) */
	int64_t stage_age;	/* now - stage_opened_at, at least 0 */
	int64_t bake_left;	/* seconds until bake_time is reached, 0 once it is */
};

/* "continue", "advance", "await_approval", "halt", "complete"; NULL if out of range. */
const char *rollout_verdict_name(enum rollout_verdict v);
/* Evaluates the current stage's gate into *d (always fully written). */
void rollout_gate(const struct rollout_policy *p, const int *stages,
    int nstages, int stage_index, int64_t stage_opened_at,
    const struct rollout_counts *c, int64_t now, struct rollout_decision *d);

#endif
