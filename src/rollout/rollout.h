/* Pure decision logic of staged rollouts: buckets, device states, gates.
 *
 * Nothing here does I/O, SQL, clock reads, allocation or printing: the
 * caller passes plain structs and `now` (seconds since the epoch) and gets
 * a decision back. Every function is thread-safe. Pointers are borrowed for
 * the call only and must be non-NULL unless a comment says otherwise;
 * returned names are static strings. The rules, with the reasons behind
 * them, are in docs/rollouts.md, section "Rules". */
#ifndef ROLLOUT_ROLLOUT_H
#define ROLLOUT_ROLLOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Buckets and stages --------------------------------------------------
 * bucket = uint64(first 8 bytes of SHA-256(salt || device_id), big-endian)
 * mod 10000. A device is in a stage of pct percent iff bucket < pct * 100,
 * so stages nest (1 within 10 within 50 within 100) and the same devices
 * are picked every time. A stage list holds 1..16 integer percentages in
 * 1..100, strictly increasing, the last one 100; the default is
 * [1, 10, 50, 100].
 * A NULL id, a salt over ROLLOUT_SALT_MAX bytes or an id over
 * ROLLOUT_DEVICE_ID_MAX bytes gets ROLLOUT_NO_BUCKET, which is in no stage:
 * such a device is never offered anything.
 * rollout_plan writes nstages entries into each non-NULL output: how many
 * buckets first join at stage i, and how many are reached once stage i is
 * open. Buckets in no stage are not counted; an invalid list gives zeros. */

#define ROLLOUT_BUCKETS		10000
#define ROLLOUT_NO_BUCKET	ROLLOUT_BUCKETS
#define ROLLOUT_SALT_MAX	64	/* bytes of salt at most */
#define ROLLOUT_DEVICE_ID_MAX	256	/* bytes of device id at most */
#define ROLLOUT_MAX_STAGES	16

/* Bucket 0..9999 of device_id, or ROLLOUT_NO_BUCKET for refused input. */
uint32_t rollout_bucket(const uint8_t *salt, size_t salt_len,
    const char *device_id);
/* 1 iff pct is in 1..100 and bucket < pct * 100, else 0. */
int rollout_in_stage(uint32_t bucket, int pct);
/* Index of the first of the n stages that holds bucket, or -1. */
int rollout_stage_index(uint32_t bucket, const int *stages, int n);
/* 0 if the stage list is valid, else -1 and *why (if non-NULL) says why. */
int rollout_stages_validate(const int *stages, int n, const char **why);
/* Writes the default stages [1, 10, 50, 100] and *n = 4. */
void rollout_stages_default(int stages[ROLLOUT_MAX_STAGES], int *n);
/* Counts the buckets per stage: new at each stage and cumulative. */
void rollout_plan(const uint32_t *buckets, size_t n, const int *stages,
    int nstages, uint64_t *per_stage_new, uint64_t *per_stage_cumulative);

/* ---- Gate policy ---------------------------------------------------------
 * Per campaign. Times are seconds, percentages are percent (5.0 is 5 %),
 * compared exactly to a millionth of a percent. Defaults in brackets; the
 * reason each one is safe is in docs/rollouts.md. A time of 0 is allowed
 * and means "at once" (report_timeout 0 times every device out). */

/* ---- Maintenance windows: types (the functions are at the end) ----------
 * A campaign's recurring windows: up to ROLLOUT_WINDOW_SLOTS slots, each a
 * set of days of the week and a start and end time of day (minutes), in
 * one time zone. A slot on Monday 22:00-04:00 (end before start) crosses
 * midnight: it is open from Monday 22:00 to Tuesday 04:00. Times are wall
 * clock in the zone: a start inside a DST gap opens when the clock jumps
 * past it, and a slot in the repeated hour of a fall-back is open for both
 * (docs/rollouts.md, "Maintenance windows"). No slot: always open.
 * The zone is a POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3"), which an
 * IANA name is resolved to once, when the campaign is created or edited
 * (the footer of its TZif file: util_tz_rule); fixed offsets ("+02:00")
 * and "UTC" need no tz database. */

#define ROLLOUT_WINDOW_SLOTS	8
#define ROLLOUT_TZ_NAME		64	/* bytes of a zone's name, NUL included */
#define ROLLOUT_TZ_RULE		64	/* bytes of a POSIX TZ rule, NUL included */

/* A DST change of a POSIX rule: kind 'M' (month a, week b 1..5, day c
 * 0..6 Sunday first), 'J' (day a 1..365, February 29 never counted) or
 * 'D' (day a 0..365, counted from 0); at time seconds of local time. */
struct rollout_tz_change {
	char kind;
	int a, b, c;
	int32_t time;			/* -167 h .. 167 h */
};

/* A parsed POSIX TZ rule. Offsets are seconds east of UTC. */
struct rollout_tz {
	int32_t std_off, dst_off;
	bool dst;			/* false: std_off all year */
	struct rollout_tz_change start, end;	/* into and out of DST */
};

/* Days are bits, Monday (bit 0) to Sunday (bit 6). */
struct rollout_slot {
	uint8_t days;			/* 1..127 */
	int start;			/* minute of the day 0..1439 */
	int end;			/* 1..1440, != start; < start: next day */
};

struct rollout_window {
	int nslots;			/* 0: no window, always open */
	struct rollout_slot slot[ROLLOUT_WINDOW_SLOTS];
	char tz[ROLLOUT_TZ_NAME];	/* as given: IANA name, "UTC", "+02:00" */
	char rule[ROLLOUT_TZ_RULE];	/* the POSIX rule it stands for */
	struct rollout_tz zone;		/* rule, parsed */
};

struct rollout_policy {
	/* healthy devices a stage needs, capped at those present [5] */
	int min_sample;			/* 1..1e6 */
	/* the allowed failure rate: the test's null hypothesis [5.0] */
	double max_failure_pct;		/* (0, 100) */
	/* a failure rate the test must catch: its alternative [10.0] */
	double bad_failure_pct;		/* (max_failure_pct, 100) */
	/* chance that a campaign at the allowed rate halts [1.0] */
	double false_halt_pct;		/* (0, 50] */
	/* chance that a stage at bad_failure_pct passes early [5.0] */
	double miss_pct;		/* (0, 50] */
	/* a stage passes only if healthy * 100 >= this * started [90.0] */
	double min_healthy_pct;		/* [0, 100] */
	/* confirmed -> healthy after this; also a stage's minimum age [3600] */
	int64_t bake_time;		/* 0..ROLLOUT_MAX_TIME */
	/* offered/downloading/installed silent this long: timed out [3600] */
	int64_t report_timeout;		/* 0..ROLLOUT_MAX_TIME */
	/* stage age after which unseen pending devices are absent [86400] */
	int64_t absent_timeout;		/* 0..ROLLOUT_MAX_TIME */
	/* false: a stage that passes waits for a human advance [true] */
	bool auto_advance;
	/* offers per device, first included: retry while attempts < this [1] */
	int max_attempts;		/* 1..100 */
	/* allow, on top, what old-release members credibly fail [true] */
	bool baseline;
	/* a stage passes no sooner than this after it opened, on top of
	 * bake_time: pacing ("day 1: 1%, day 3: 10%") [0] */
	int64_t min_stage_time;		/* 0..ROLLOUT_MAX_TIME */
	/* members offered/downloading/installed at once; 0: no cap [0] */
	int max_in_flight;		/* 0..ROLLOUT_MAX_IN_FLIGHT */
	/* the retry policy: paced retries of failed members once the
	 * max_attempts ones (at once) are spent; the k-th waits
	 * retry_backoff * retry_factor^(k-1) after the failure [0, 0, 2.0] */
	int retry_count;		/* 0..99, max_attempts + it <= 100 */
	int64_t retry_backoff;		/* 0..ROLLOUT_MAX_TIME */
	double retry_factor;		/* [1, 10] */
	/* maintenance windows: no new offers outside them [none] */
	struct rollout_window window;
	/* membership: false static (the devices targeted at the start),
	 * true dynamic (and those targeted later) [false] */
	bool dynamic;
};

#define ROLLOUT_MAX_TIME	(365 * 86400)	/* one year */
#define ROLLOUT_MAX_IN_FLIGHT	10000000	/* a cap of ten million */

/* Fills p with the defaults: 5, 5.0, 10.0, 1.0, 5.0, 90.0, 3600, 3600,
 * 86400, true, 1, true, 0, 0, 0, 0, 2.0. */
void rollout_policy_default(struct rollout_policy *p);
/* The bad_failure_pct that goes with a max_failure_pct m in (0, 100) when
 * none is given: twice m, or halfway from m to 100 when that is less. */
double rollout_policy_bad_default(double max_failure_pct);
/* 0 if p is valid, else -1 and *bad_field (if non-NULL) names the member. */
int rollout_policy_validate(const struct rollout_policy *p,
    const char **bad_field);

/* ---- Device states -------------------------------------------------------
 * pending: member, never offered. offered, downloading, installed,
 * confirmed: in flight. healthy: confirmed, then bake_time without a
 * failure (success). failed, rolled_back, timed_out: failures.
 * superseded: moved on to a newer version; left the campaign.
 * rollout_device_step (the full table is in docs/rollouts.md):
 * - downloading, installed, confirmed move forward from an in-flight state,
 *   jumps allowed (a device may skip reports); the current state again is
 *   a no-op (0, *to == from); backwards, or from any other state, is -1.
 *   A repeated `downloading` is a progress refresh.
 * - offer: pending -> offered is the first attempt; offered and downloading
 *   stay as they are (a re-offer of the same attempt, no new attempt);
 *   failed/rolled_back/timed_out -> offered is a retry, only while
 *   attempts < max_attempts + retry_count (rollout_attempts_max; when a
 *   paced retry may go out is rollout_retry_due's). `attempts` counts attempts already started;
 *   the caller adds one for a first offer or a retry (rollout_offer_kind).
 * - failed, rolled_back: from offered..healthy to that state. unhealthy (a
 *   health report ON THE CAMPAIGN'S RELEASE: boot_ok false, self-test
 *   failed, crashes) -> failed from offered..healthy. fallback (polls on
 *   its old version) -> rolled_back from installed/confirmed/healthy only;
 *   before an install the old version is expected (-1). A regression after
 *   healthy still counts. In a failure state a failure event is a no-op
 *   (the first cause stands), except that the device's own failed or
 *   rolled_back replaces our timed_out guess.
 * - timeout: offered/downloading/installed -> timed_out. A confirmed device
 *   never times out: it waits on us (the bake), not we on it.
 * - baked: confirmed -> healthy (healthy again: no-op); the caller asks
 *   rollout_device_baked first.
 * - newer (the device declares a version newer than the release: it moved
 *   on through another campaign or a direct offer): pending, in flight or
 *   timed_out -> superseded, which is no failure, not in flight and no
 *   success; it has left the campaign. healthy, failed, rolled_back and
 *   superseded stay as they are (what the device proved stands). Nothing
 *   else leaves superseded, and it is never offered again.
 * The caller sets last_change = now when rollout_device_touches says so: a
 * state change or a progress refresh, never a re-offer, so a device that
 * keeps polling without progress still times out. A clock that went back
 * times nothing out and bakes nothing. */

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
	ROLLOUT_DEV_SUPERSEDED,
};
#define ROLLOUT_DEV_STATES	(ROLLOUT_DEV_SUPERSEDED + 1)

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
	ROLLOUT_EV_NEWER,
};
#define ROLLOUT_EVENTS		(ROLLOUT_EV_NEWER + 1)

enum rollout_offer_kind {
	ROLLOUT_OFFER_NONE,	/* not offerable in this state */
	ROLLOUT_OFFER_FIRST,	/* first attempt: the caller adds one */
	ROLLOUT_OFFER_AGAIN,	/* the attempt in flight again: no change */
	ROLLOUT_OFFER_RETRY,	/* new attempt after a failure: adds one */
};

/* "pending", "offered", ... "superseded", or NULL if out of range. */
const char *rollout_device_state_name(enum rollout_device_state s);
/* Exact, case-sensitive name to state: 0, or -1 for any other text. */
int rollout_device_state_parse(const char *name,
    enum rollout_device_state *out);
/* "offer", "downloading", ... "newer", or NULL if out of range. */
const char *rollout_device_event_name(enum rollout_device_event ev);
/* Exact, case-sensitive name to event: 0, or -1 for any other text. */
int rollout_device_event_parse(const char *name,
    enum rollout_device_event *out);

/* 1 for failed, rolled_back and timed_out, else 0. */
int rollout_state_is_failure(enum rollout_device_state s);
/* 1 for offered, downloading, installed and confirmed, else 0. */
int rollout_state_is_in_flight(enum rollout_device_state s);
/* What an offer would be to a device in s with attempts started. */
enum rollout_offer_kind rollout_offer_kind(enum rollout_device_state s,
    int attempts, const struct rollout_policy *p);
/* Applies ev: 0 and *to (maybe == from), or -1 if impossible (*to kept). */
int rollout_device_step(enum rollout_device_state from,
    enum rollout_device_event ev, int attempts,
    const struct rollout_policy *p, enum rollout_device_state *to);
/* 1 if the step from -ev-> to restarts the report timer, else 0. */
int rollout_device_touches(enum rollout_device_state from,
    enum rollout_device_event ev, enum rollout_device_state to);
/* 1 if s times out: in flight before confirmed, silent report_timeout. */
int rollout_device_timed_out(enum rollout_device_state s, int64_t last_change,
    int64_t now, const struct rollout_policy *p);
/* 1 if s is confirmed and now - confirmed_at >= bake_time, else 0. */
int rollout_device_baked(enum rollout_device_state s, int64_t confirmed_at,
    int64_t now, const struct rollout_policy *p);

/* ---- A member's step -------------------------------------------------------
 * Besides the state, an event may restart the report timer
 * (rollout_device_touches), set confirmed_at (entering confirmed), keep
 * the boot id it came with (entering installed), and make the reason it
 * came with the member's cause: a failure keeps its first cause, except
 * that the device's own word (stated) replaces one inferred by the server
 * (a health report, a timeout) once. */

struct rollout_cause {
	bool given;		/* the event comes with a reason class */
	bool stated;		/* the device said so itself */
	bool had_stated;	/* the member's cause so far was stated */
};

struct rollout_member_change {
	enum rollout_device_state to;
	bool touch;		/* last_change = now */
	bool confirmed;		/* confirmed_at = now */
	bool installed;		/* the event's boot id is the install's */
	bool cause;		/* the event's reason becomes the cause */
};

/* 0 with *out, or -1 when ev is impossible in from (out->to = from and
 * nothing changes). */
int rollout_member_step(enum rollout_device_state from,
    enum rollout_device_event ev, int attempts, const struct rollout_policy *p,
    const struct rollout_cause *cause, struct rollout_member_change *out);

/* ---- What a device's declared version says --------------------------------
 * A poll or a health report declares the version a device runs, and may
 * carry a boot id (opaque, new at every boot). For a member in s:
 * - the release's own version: nothing.
 * - a version newer than the release: newer (-> superseded where allowed).
 * - any other version after `installed`: the device is back on its old
 *   image. That is a fallback only from a boot after the installed report:
 *   both boot ids known and different. The same boot id means the device
 *   has not rebooted yet; without a boot id on either side the old version
 *   alone proves nothing and the member times out at report_timeout like
 *   any silent install. From confirmed or healthy (the device has run the
 *   release) any other version is a fallback, boot id or not.
 * The caller compares the versions (semver) and the ids; rollout_sighting
 * returns 1 with *ev when the sighting is an event that changes s, else 0.
 */

struct rollout_seen {
	bool on_release;	/* declares the release's fw_version */
	bool newer;		/* declares a version newer than the release */
	bool boot_known;	/* both boot ids known: this one and the
				   installed report's */
	bool same_boot;		/* with boot_known: they are equal */
};

int rollout_sighting(enum rollout_device_state s, const struct rollout_seen *w,
    enum rollout_device_event *ev);

/* ---- Reason classes --------------------------------------------------------
 * A failure carries one reason class from a fixed list, used in member
 * reasons, counts and verdicts. A device-reported reason outside the list
 * is kept in the history as sent but counted as "other". */

enum rollout_reason {
	ROLLOUT_WHY_SELFTEST,
	ROLLOUT_WHY_CRASH_ON_BOOT,
	ROLLOUT_WHY_HASH,
	ROLLOUT_WHY_LENGTH,
	ROLLOUT_WHY_SIGNATURE,
	ROLLOUT_WHY_EXPIRED,
	ROLLOUT_WHY_ROLLBACK,
	ROLLOUT_WHY_INCOMPATIBLE,
	ROLLOUT_WHY_FREEZE,
	ROLLOUT_WHY_DOWNLOAD,
	ROLLOUT_WHY_SLOW_RETRIEVAL,
	ROLLOUT_WHY_INSTALL,
	ROLLOUT_WHY_TIMEOUT,
	ROLLOUT_WHY_FALLBACK,
	ROLLOUT_WHY_UNHEALTHY,
	ROLLOUT_WHY_FLASH,
	ROLLOUT_WHY_OTHER,
};
#define ROLLOUT_REASONS		(ROLLOUT_WHY_OTHER + 1)

/* "selftest", "crash_on_boot", ... "other", or NULL if out of range. */
const char *rollout_reason_name(enum rollout_reason r);
/* The class of a reported reason: exact name match, else (NULL, empty or
 * unknown text) ROLLOUT_WHY_OTHER. */
enum rollout_reason rollout_reason_class(const char *reported);
/* The class of an unhealthy health report on the release: a failed boot
 * is crash_on_boot, else a failed self-test is selftest, else (crashes
 * while running) unhealthy. */
enum rollout_reason rollout_health_reason(bool boot_ok, bool selftest_ok);

/* ---- Campaigns -----------------------------------------------------------
 * start: draft -> running, at stage 0. pause: running -> paused. resume:
 * paused -> running. advance: running or paused -> the same, next stage
 * (-1 at the last stage). abort: draft/running/paused/halted -> aborted.
 * Gate outcomes: halt: running or paused -> halted (a pause must neither
 * hide a bad release nor keep re-offering it); complete: running ->
 * completed, at the last stage only. Anything else, and a stage index
 * outside 0..nstages-1 or nstages outside 1..16, is -1: the caller answers
 * 409 with the current state.
 * rollout_should_offer, always for members of the current stage only:
 * running and completed: pending (first attempt), offered/downloading
 * (re-offer), failed/rolled_back/timed_out while attempts <
 * rollout_attempts_max (retry; the caller also asks rollout_retry_due,
 * which needs the time). completed keeps offering so that stragglers coming online late
 * get the fleet's target release. paused: re-offers to offered/downloading
 * only, no new device. draft, halted, aborted: nothing, not even a
 * re-offer. */

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

/* "draft", "running", ... "aborted", or NULL if out of range. */
const char *rollout_campaign_state_name(enum rollout_campaign_state s);
/* Exact, case-sensitive name to campaign state: 0, or -1. */
int rollout_campaign_state_parse(const char *name,
    enum rollout_campaign_state *out);
/* "start", "pause", ... "complete", or NULL if out of range. */
const char *rollout_action_name(enum rollout_action a);
/* Exact, case-sensitive name to action: 0, or -1. */
int rollout_action_parse(const char *name, enum rollout_action *out);
/* Applies a: 0 with *to and *new_stage_index, or -1 (outputs kept). */
int rollout_campaign_action(enum rollout_campaign_state from,
    enum rollout_action a, int stage_index, int nstages,
    enum rollout_campaign_state *to, int *new_stage_index);
/* 1 if the device gets the release on this poll, else 0. */
int rollout_should_offer(enum rollout_campaign_state cs, int stage_pct,
    uint32_t bucket, enum rollout_device_state ds, int attempts,
    const struct rollout_policy *p);

/* ---- The poll ---------------------------------------------------------------
 * What a poll does with one offer the device holds: offer the release now
 * (with the kind of a campaign's offer), and whether the declared version
 * is worth a sighting job (which decides again, in the writer, on the
 * stored state). usable: the release is known, not revoked and not
 * expired. Direct offer: none when failed or superseded, unusable, or the
 * device runs the release; a device on a newer version, or one installed,
 * confirmed or healthy running another, is sighted (installed ones only
 * with a boot id: without one a device may not have rebooted yet), not
 * offered; else it is offered. Campaign member: sighted when
 * rollout_sighting says so; offered as rollout_should_offer says, unless
 * the device runs the release or a newer version, or the release is
 * unusable. */

struct rollout_poll {
	bool offer;			/* offer the release on this poll */
	bool sight;			/* queue a sighting job */
	enum rollout_offer_kind kind;	/* member offers: first/again/retry */
};

/* What the poll knows of a direct offer's release. */
struct rollout_poll_seen {
	bool usable;		/* known, not revoked, not expired */
	bool on_release;	/* the device declares its version */
	bool newer;		/* it declares a newer one (semver) */
	bool boot;		/* the poll came with a boot id */
};

struct rollout_poll rollout_poll_direct(enum rollout_device_state st,
    const struct rollout_poll_seen *w);

/* A direct assignment (an operator's POST /v1/devices/{id}/assign): the
 * release must list the device's hw class, and a fresh direct offer of it
 * must be one rollout_poll_direct offers (usable, not the version the
 * device runs, not older than it); else the device would never install
 * it, and the operator is told why. */
struct rollout_assign_seen {
	bool fits;		/* the release lists the device's hw class */
	bool revoked;
	bool expired;
	bool on_release;	/* the device declares the release's version */
	bool newer;		/* it declares a newer one (semver) */
};

/* NULL when the release may be assigned, else why not (a static
 * sentence fragment: "the release is revoked"). */
const char *rollout_assign_refusal(const struct rollout_assign_seen *w);
struct rollout_poll rollout_poll_member(enum rollout_campaign_state cs,
    int stage_pct, uint32_t bucket, enum rollout_device_state ds,
    int attempts, const struct rollout_policy *p,
    const struct rollout_seen *seen, bool usable);

/* ---- Gate ----------------------------------------------------------------
 * Counts are over the members of the current stage: every device whose
 * bucket is below pct * 100, earlier stages' devices included (stages
 * nest). Superseded members have left the campaign: the gate does not
 * count them as members, started, healthy, failed, pending or in flight
 * (decision.superseded shows them). started = members - pending;
 * failures = failed + rolled_back + timed_out; age = now - stage_opened_at
 * (0 if the clock went back); absent = unseen once age >= absent_timeout,
 * else 0 (a device that polls is never absent); waiting = pending - absent
 * (members that may still start); present = members - absent; needed =
 * min(min_sample, present).
 * The test is a sequential probability ratio test of the failure rate:
 * allowed rate r0 = 1 - (1 - max_failure_pct)(1 - b), bad rate r1 = 1 -
 * (1 - bad_failure_pct)(1 - b), where b is 0, or with the baseline on
 * rollout_baseline_low(baseline_unhealthy, baseline_reporting, miss_pct). A failure weighs ln(r1 / r0), a success
 * ln((1 - r1) / (1 - r0)). Halt evidence counts every started member that
 * has not failed as a success (in flight counted well); pass evidence
 * counts in-flight members as failures (in flight counted badly), so
 * neither verdict can be undone by what the in-flight members do next.
 * 1. HALT when halt evidence >= ln(nstages / false_halt_pct). Checked
 *    first: it beats everything.
 * 2. No members: the stage passes at once (nothing to judge: no bake and
 *    no evidence; the reason says so), except at the last stage when no
 *    device of the campaign has started at all: then it halts ("the
 *    campaign has no devices"), since completing would vouch for nothing.
 * 3. Every member absent (started == 0, waiting == 0): as 2, "none of its
 *    devices showed up".
 * 4. ok = healthy >= needed and healthy * 100 >= min_healthy_pct * (1 - b)
 *    * started. The stage passes early when pass evidence <= ln(miss_pct)
 *    and ok and age >= bake_time.
 * 5. Nothing in flight and nothing waiting: the stage is seen in full; it
 *    passes if ok (once age >= bake_time), else HALTs. So a stage never
 *    waits for ever, and one smaller than min_sample must be all healthy.
 * 6. A passed stage gives ADVANCE, AWAIT_APPROVAL when !auto_advance, or
 *    COMPLETE at the last stage (completing offers nothing new, so it
 *    needs no approval), once age >= min_stage_time (pacing; before,
 *    CONTINUE with the pass and "waiting: stage open 1h00m of min
 *    48h00m" in the reason). Otherwise CONTINUE, the reason saying what
 *    the stage waits for. Pacing never delays a HALT.
 * The baseline counts are about the campaign, not about the counted
 * devices: members still on the old release (pending, in the open stage
 * or a later one) that sent a health report since the stage opened.
 * Buckets are random, so they run the same hardware as the stage.
 * Input the gate cannot trust (policy, stages, stage index, NULL, counts
 * that are negative, do not add up to members, exceed ROLLOUT_MAX_MEMBERS,
 * unseen > pending or baseline_unhealthy > baseline_reporting) gives
 * CONTINUE with a reason starting "invalid input": a caller's bug changes
 * nothing. Reasons number stages from 1, as people do: "stage 1 (1%)". */

/* The test's numbers for one stage (fractions, not percent). */
struct rollout_test {
	double baseline;	/* b: 0, or the baseline's lower bound */
	double allowed;		/* r0 */
	double bad;		/* r1 */
	double w_fail;		/* ln(r1 / r0), > 0 */
	double w_ok;		/* ln((1 - r1) / (1 - r0)), < 0 */
	double halt_at;		/* ln(nstages / false_halt_pct) */
	double pass_at;		/* ln(miss_pct) */
};

/* A lower bound, confidence 1 - miss (a fraction in (0, 1)), on the rate
 * behind unhealthy of reporting: the Chernoff (Kullback-Leibler) bound,
 * valid for every sample size, so a small baseline is not trusted blindly
 * (1 of 1 gives miss itself). 0 when there is nothing to go on. */
double rollout_baseline_low(int64_t unhealthy, int64_t reporting,
    double miss);
/* Fills t for a valid p, nstages stages and the baseline counts. */
void rollout_test_setup(const struct rollout_policy *p, int nstages,
    int64_t reporting, int64_t unhealthy, struct rollout_test *t);
/* failures * w_fail + successes * w_ok: the log-likelihood ratio. */
double rollout_evidence(const struct rollout_test *t, int64_t failures,
    int64_t successes);

#define ROLLOUT_MAX_MEMBERS	10000000000LL	/* devices in a stage */
#define ROLLOUT_REASON_MAX	256

struct rollout_counts {
	int64_t members;			/* devices in the stage */
	int64_t by_state[ROLLOUT_DEV_STATES];	/* of them, per state */
	int64_t unseen;		/* pending members with no poll since the stage opened */
	int64_t baseline_reporting;	/* pending members (still on the old
				   release) with a health report since the stage opened */
	int64_t baseline_unhealthy;	/* of those, latest report unhealthy */
};

enum rollout_verdict {
	ROLLOUT_CONTINUE,	/* nothing to do yet */
	ROLLOUT_ADVANCE,	/* apply ROLLOUT_ACT_ADVANCE */
	ROLLOUT_AWAIT_APPROVAL,	/* passed; a human must advance */
	ROLLOUT_HALT,		/* apply ROLLOUT_ACT_HALT */
	ROLLOUT_COMPLETE,	/* apply ROLLOUT_ACT_COMPLETE */
};
#define ROLLOUT_VERDICTS	(ROLLOUT_COMPLETE + 1)

/* Which devices a decision counted (see rollout_gate_nested). */
enum rollout_scope {
	ROLLOUT_SCOPE_STAGE,	/* every member of the open stage */
	ROLLOUT_SCOPE_ADDED,	/* the members the open stage added */
};

struct rollout_decision {
	enum rollout_verdict verdict;
	enum rollout_scope scope;
	char reason[ROLLOUT_REASON_MAX];	/* one sentence, UTF-8 */
	int64_t members;	/* of the counts, superseded ones excluded */
	int64_t superseded;	/* left the campaign: not counted at all */
	int64_t pending;
	int64_t started;	/* members - pending */
	int64_t in_flight;	/* offered+downloading+installed+confirmed */
	int64_t healthy;
	int64_t failures;	/* failed + rolled_back + timed_out */
	int64_t present;	/* members - absent */
	int64_t absent;		/* unseen, once age >= absent_timeout */
	int64_t unseen;		/* pending, no poll since the stage opened */
	int64_t waiting;	/* pending - absent: may still start */
	int64_t needed;		/* min(min_sample, present) */
	double failure_pct;	/* failures * 100 / started (0 if none) */
	double healthy_pct;	/* healthy * 100 / started (0 if none) */
	double baseline_pct;	/* b * 100: what the baseline adds (0: none) */
	double allowed_pct;	/* r0 * 100 */
	double bad_pct;		/* r1 * 100 */
	double halt_evidence;	/* log-likelihood ratio, in flight as good */
	double pass_evidence;	/* log-likelihood ratio, in flight as failed */
	double halt_at;		/* ln(nstages / false_halt_pct) */
	double pass_at;		/* ln(miss_pct), below 0 */
	int64_t stage_age;	/* now - stage_opened_at, at least 0 */
	int64_t bake_left;	/* seconds until age >= bake_time, or 0 */
	int64_t stage_time_left;	/* until age >= min_stage_time, or 0 */
};

/* "continue", "advance", "await_approval", ..., or NULL if out of range. */
const char *rollout_verdict_name(enum rollout_verdict v);
/* Decides the current stage's fate; always writes all of *d. */
void rollout_gate(const struct rollout_policy *p, const int *stages,
    int nstages, int stage_index, int64_t stage_opened_at,
    const struct rollout_counts *c, int64_t now, struct rollout_decision *d);

/* The daemon's gate over nested stages. Past stage 1, first the halt test
 * (rule 1 alone) over every member of the open stage (`stage`): a HALT
 * there stands, so a device of an earlier stage that regresses still stops
 * the campaign. Then rollout_gate over the devices the stage added
 * (`added`: buckets from the previous stage's pct * 100 up to this one's),
 * scope ROLLOUT_SCOPE_ADDED, its reason prefixed "new devices: ", so a
 * stage never advances on its predecessors' healthy devices alone; it
 * takes the baseline and what the campaign as a whole has started (for
 * rule 2 at the last stage) from `stage`. At stage 1 it is rollout_gate
 * over `stage`.
 * Always writes all of *d. */
void rollout_gate_nested(const struct rollout_policy *p, const int *stages,
    int nstages, int stage_index, int64_t stage_opened_at,
    const struct rollout_counts *stage, const struct rollout_counts *added,
    int64_t now, struct rollout_decision *d);

/* ---- Controls: scheduled start, pacing, concurrency cap -------------------
 * Scheduled start: a draft with start_at > 0 is due once now >= start_at;
 * the caller then starts it with the checks of a manual start (and, when
 * they refuse, leaves it a draft without start_at, saying why).
 * Pacing: a stage that would pass waits stage_time_left more seconds.
 * Concurrency cap: members offered, downloading or installed count
 * against the campaign's max_in_flight and the server's cap (0: none).
 * Only a first offer or a retry is held back, while either count is at
 * its cap; the same offer again (a device in flight polling) never is,
 * or a capped device could never finish. A held-back device is told to
 * poll again sooner than usual: rollout_capped_retry_after. */

/* Retry policy: a failed member may start attempts while attempts <
 * rollout_attempts_max. The first max_attempts - 1 retries go out at once
 * (the next poll: a broken download); the retry_count after them are
 * paced: retry k (1-based, past max_attempts) waits retry_backoff *
 * retry_factor^(k-1) seconds, at most ROLLOUT_MAX_TIME, after the failure
 * (the member's last change). */

/* max_attempts + retry_count: the attempts a member may start in all. */
int rollout_attempts_max(const struct rollout_policy *p);
/* Seconds a retry after `attempts` started attempts waits after the
 * failure (0 for the immediate ones). */
int64_t rollout_retry_wait(const struct rollout_policy *p, int attempts);
/* 1 if that retry may go out at now for a failure at failed_at; a clock
 * that went back holds a paced retry. */
int rollout_retry_due(const struct rollout_policy *p, int attempts,
    int64_t failed_at, int64_t now);

/* 1 if a campaign in s scheduled for start_at (0: none) starts at now. */
int rollout_start_due(enum rollout_campaign_state s, int64_t start_at,
    int64_t now);
/* Seconds until a stage aged age (>= 0) may pass under p's pacing, or 0. */
int64_t rollout_stage_time_left(const struct rollout_policy *p, int64_t age);
/* 1 for offered, downloading and installed: what the cap counts. */
int rollout_state_is_capped(enum rollout_device_state s);
/* The capped-state count's change when a member goes from -> to. */
int rollout_capped_delta(enum rollout_device_state from,
    enum rollout_device_state to);
/* 1 if an offer of this kind must wait: a first offer or a retry while
 * the campaign has in_flight >= max_in_flight (> 0) or the server has
 * total >= server_max (> 0); counts below 0 (unknown) never hold back. */
int rollout_capped(enum rollout_offer_kind kind, int64_t in_flight,
    int max_in_flight, int64_t total, int64_t server_max);
/* The poll hint for a held-back device: a quarter of poll_interval, at
 * least 1 s and at most poll_interval. */
int64_t rollout_capped_retry_after(int64_t poll_interval);

/* ---- Maintenance windows: functions --------------------------------------
 * (the types and the rules are above struct rollout_policy) */

/* Parses a POSIX TZ rule (std offset [dst [offset] [,start[/time],end[/time]]],
 * names alphabetic or <quoted>, a DST without a rule on the US's rule) into
 * tz; 0, or -1 for anything else or over ROLLOUT_TZ_RULE - 1 bytes. */
int rollout_tz_parse(const char *rule, struct rollout_tz *tz);
/* The rule of a zone that needs no database, "UTC", "Z" or a fixed offset
 * "+HH:MM"/"-HH:MM" (at most 14:00), into rule (ROLLOUT_TZ_RULE bytes);
 * 0, or -1 for any other name. */
int rollout_tz_fixed(const char *name, char rule[ROLLOUT_TZ_RULE]);
/* Seconds east of UTC in tz at t. */
int32_t rollout_tz_offset(const struct rollout_tz *tz, int64_t t);
/* "HH:MM" to minutes of the day: 00:00..23:59, and 24:00 when end; 0,
 * or -1. */
int rollout_hhmm_parse(const char *s, int end, int *min);
/* Minutes of the day 0..1440 as "HH:MM" into buf. */
void rollout_hhmm_fmt(int min, char buf[static 6]);
/* "mon".."sun" to its bit 0..6, or -1. */
int rollout_day_parse(const char *s);
/* The name of day bit 0..6, or NULL. */
const char *rollout_day_name(int bit);
/* 0 if w's slots are valid (nslots 0..ROLLOUT_WINDOW_SLOTS, days 1..127,
 * start 0..1439, end 1..1440 and not start), else -1 and *why (if
 * non-NULL) says which and why. */
int rollout_window_validate(const struct rollout_window *w, const char **why);
/* 1 if w is open at t (always, without slots), else 0. */
int rollout_window_open(const struct rollout_window *w, int64_t t);
/* The first second after now at which w opens (want_open 1) or closes
 * (0): open there and not the second before, or the reverse; 0 when it
 * does not within ROLLOUT_WINDOW_HORIZON days (a window without slots,
 * or one open all week, never closes). */
#define ROLLOUT_WINDOW_HORIZON	15
int64_t rollout_window_next(const struct rollout_window *w, int64_t now,
    int want_open);
/* 1 if an offer of this kind waits for w at now: a first offer or a
 * retry while w is closed (the attempt in flight always goes on, so a
 * device mid-update finishes); *wait (if non-NULL) gets the seconds to
 * the next opening, 0 when none is known. */
int rollout_window_holds(enum rollout_offer_kind kind,
    const struct rollout_window *w, int64_t now, int64_t *wait);
/* The poll hint for a device a closed window held back: wait (0:
 * unknown) clamped to 1..poll_interval, so that it comes back as the
 * window opens but never later than its usual poll. */
int64_t rollout_window_retry_after(int64_t wait, int64_t poll_interval);

/* ---- Webhook deliveries ----------------------------------------------------
 * An event is delivered when its endpoint answers 2xx. A failed attempt
 * (no answer, or any other status) is tried again after a backoff that
 * doubles from base per failure, capped at max; after max_tries attempts
 * it is dead (kept, counted, never sent again). */

enum rollout_hook_verdict {
	ROLLOUT_HOOK_DELIVERED,
	ROLLOUT_HOOK_RETRY,
	ROLLOUT_HOOK_DEAD,
};

/* Seconds to wait after failed attempt number attempts (1-based): base,
 * 2 base, 4 base ... at most max (both at least 1). */
int64_t rollout_webhook_backoff(int attempts, int64_t base, int64_t max);
/* What attempt number attempts (1-based) comes to: sent (an answer came)
 * with status 2xx delivers; else retry, or dead once attempts reaches
 * max_tries. */
int rollout_webhook_verdict(int attempts, int max_tries, int status,
    int sent);

/* ---- Membership ---------------------------------------------------------
 * A static campaign's members are the devices it targets at its start. A
 * dynamic one also takes in, at every gate run while running or paused,
 * the devices it targets later (provisioned, added to its cohort, moved
 * to a hw class of its release), each into the stage its bucket falls
 * in. */

/* 1 if a campaign in state s with policy p takes in newly targeted
 * devices now. */
int rollout_membership_takes(const struct rollout_policy *p,
    enum rollout_campaign_state s);
/* "static" or "dynamic". */
const char *rollout_membership_name(bool dynamic);
/* "static" (0) or "dynamic" (1) into *dynamic; 0, or -1 for other text. */
int rollout_membership_parse(const char *s, bool *dynamic);

#endif
