/* Check suite for src/rollout: buckets, stages, names, device states,
 * campaign actions, offers and whole-fleet scenarios (the gate and its
 * policy are in test_gate.c, its model in test_gate_model.c). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check_util.h"
#include "rollout/rollout.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Short names for the tables below. */
#define XX	(-1)
#define PE	ROLLOUT_DEV_PENDING
#define OF	ROLLOUT_DEV_OFFERED
#define DL	ROLLOUT_DEV_DOWNLOADING
#define IN	ROLLOUT_DEV_INSTALLED
#define CO	ROLLOUT_DEV_CONFIRMED
#define HE	ROLLOUT_DEV_HEALTHY
#define FA	ROLLOUT_DEV_FAILED
#define RB	ROLLOUT_DEV_ROLLED_BACK
#define TO	ROLLOUT_DEV_TIMED_OUT
#define SU	ROLLOUT_DEV_SUPERSEDED

#define DR	ROLLOUT_CAMP_DRAFT
#define RU	ROLLOUT_CAMP_RUNNING
#define PA	ROLLOUT_CAMP_PAUSED
#define HA	ROLLOUT_CAMP_HALTED
#define CM	ROLLOUT_CAMP_COMPLETED
#define AB	ROLLOUT_CAMP_ABORTED

static const int default_stages[] = { 1, 10, 50, 100 };

static struct rollout_policy
policy(void)
{
	struct rollout_policy p;

	rollout_policy_default(&p);
	return p;
}

/* ---- Buckets ------------------------------------------------------------ */

/* Expected buckets computed outside this code, with coreutils and bc:
 *   h=$(printf 'salt''dev-1' | sha256sum | cut -c1-16)
 *   echo "ibase=16; $(echo $h | tr a-f A-F)" | bc | sed 's/$/ % 10000/' | bc
 * and cross-checked with Python's hashlib. */
static const struct {
	const char *salt;
	size_t salt_len;
	const char *id;
	const char *first8;	/* for the reader: the hex that was reduced */
	uint32_t bucket;
} bucket_kat[] = {
	{ "salt", 4, "dev-1", "a1310ebd5b22ab7f", 6431 },
	{ "salt", 4, "dev-2", "dcb650cf022f0ea6", 6038 },
	{ "", 0, "dev-1", "0388fb626ca89a12", 8626 },
	{ "campaign-42", 11, "sensor-0007", "d0d58ba717c383ae", 8910 },
	/* printf '\x00\x01\x02\xff''dev-1': a binary salt with a NUL */
	{ "\x00\x01\x02\xff", 4, "dev-1", "b1f6400128d27f09", 4729 },
	{ "salt", 4, "", "63479ad69a090b25", 5029 },
	{ "k", 1, "\xc3\xb1" "and\xc3\xba-3", "7fe1359083fe4c95", 9269 },
	/* ids found by search whose buckets sit on the 1 % boundary */
	{ "salt", 4, "dev-1268", "86ceb94a4fa859b3", 99 },
	{ "salt", 4, "dev-3990", "bd8a2fa7d10267b4", 100 },
	{ "salt", 4, "dev-5555", "2c54d7cef223517f", 9999 },
	{ "salt", 4, "dev-6795", "5ede1eeedbe1ce10", 0 },
};

START_TEST(test_bucket_kat)
{
	size_t i;

	for (i = 0; i < N_ELEM(bucket_kat); i++) {
		uint32_t b = rollout_bucket((const uint8_t *)bucket_kat[i].salt,
		    bucket_kat[i].salt_len, bucket_kat[i].id);

		ck_assert_msg(b == bucket_kat[i].bucket,
		    "vector %zu (%s): got %u, want %u (first 8 bytes %s)", i,
		    bucket_kat[i].id, b, bucket_kat[i].bucket,
		    bucket_kat[i].first8);
	}
}
END_TEST

START_TEST(test_bucket_caps)
{
	char salt[ROLLOUT_SALT_MAX + 2], id[ROLLOUT_DEVICE_ID_MAX + 2];

	/* A NULL salt of length 0 is the empty salt. */
	ck_assert_uint_eq(rollout_bucket(NULL, 0, "dev-1"), 8626);
	ck_assert_uint_eq(rollout_bucket(NULL, 1, "dev-1"), ROLLOUT_NO_BUCKET);
	ck_assert_uint_eq(rollout_bucket((const uint8_t *)"s", 1, NULL),
	    ROLLOUT_NO_BUCKET);

	/* Largest accepted input: 64 x 'a' then 256 x 'b', computed with
	 * printf '%s%s' "$s" "$i" | sha256sum (6411c4b72ac59b1f...). */
	memset(salt, 'a', sizeof(salt));
	memset(id, 'b', sizeof(id));
	id[ROLLOUT_DEVICE_ID_MAX] = '\0';
	ck_assert_uint_eq(rollout_bucket((const uint8_t *)salt,
	    ROLLOUT_SALT_MAX, id), 7391);
	/* One byte more of either is refused, and lands in no stage. */
	ck_assert_uint_eq(rollout_bucket((const uint8_t *)salt,
	    ROLLOUT_SALT_MAX + 1, id), ROLLOUT_NO_BUCKET);
	id[ROLLOUT_DEVICE_ID_MAX] = 'b';
	id[ROLLOUT_DEVICE_ID_MAX + 1] = '\0';
	ck_assert_uint_eq(rollout_bucket((const uint8_t *)salt, 4, id),
	    ROLLOUT_NO_BUCKET);
	ck_assert_int_eq(rollout_in_stage(ROLLOUT_NO_BUCKET, 100), 0);
	ck_assert_int_eq(rollout_stage_index(ROLLOUT_NO_BUCKET, default_stages,
	    4), -1);
}
END_TEST

/* Every percentage holds exactly pct * 100 buckets, and the sets nest. */
START_TEST(test_membership_exhaustive)
{
	uint32_t b;
	int pct, count;

	/* Plain ifs in the loop: ck_assert per call is slow under ASan. */
	for (pct = 1; pct <= 100; pct++) {
		count = 0;
		for (b = 0; b < ROLLOUT_BUCKETS; b++) {
			int in = rollout_in_stage(b, pct);

			if (in != 0 && in != 1)
				ck_abort_msg("not a bool: %d", in);
			count += in;
			if (in && pct < 100 && !rollout_in_stage(b, pct + 1))
				ck_abort_msg("bucket %u in %d%% but not in %d%%",
				    b, pct, pct + 1);
			/* Buckets fill from 0 upwards: no holes. */
			if (b > 0 && in && !rollout_in_stage(b - 1, pct))
				ck_abort_msg("hole below %u in %d%%", b, pct);
		}
		ck_assert_msg(count == pct * 100, "%d%% holds %d buckets", pct,
		    count);
	}
}
END_TEST

/* Every bucket against a few stage lists: its first stage and all later
 * ones hold it, no earlier one does. */
START_TEST(test_stage_index_exhaustive)
{
	static const int l1[] = { 1, 10, 50, 100 };
	static const int l2[] = { 100 };
	static const int l3[] = { 5, 25, 100 };
	static const int l4[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40,
	    50, 75, 100 };
	static const struct {
		const int *s;
		int n;
	} lists[] = { { l1, 4 }, { l2, 1 }, { l3, 3 }, { l4, 16 } };
	size_t l;
	uint32_t b;
	int i, k, hist[ROLLOUT_MAX_STAGES];

	for (l = 0; l < N_ELEM(lists); l++) {
		memset(hist, 0, sizeof(hist));
		ck_assert_int_eq(rollout_stages_validate(lists[l].s, lists[l].n,
		    NULL), 0);
		for (b = 0; b < ROLLOUT_BUCKETS; b++) {
			k = rollout_stage_index(b, lists[l].s, lists[l].n);
			if (k < 0 || k >= lists[l].n)
				ck_abort_msg("list %zu bucket %u: index %d", l,
				    b, k);
			hist[k]++;
			for (i = 0; i < lists[l].n; i++)
				if (rollout_in_stage(b, lists[l].s[i]) != (i >= k))
					ck_abort_msg("list %zu bucket %u stage %d",
					    l, b, i);
		}
		for (i = 0; i < lists[l].n; i++) {
			int prev = i == 0 ? 0 : lists[l].s[i - 1];

			ck_assert_int_eq(hist[i], (lists[l].s[i] - prev) * 100);
		}
	}
}
END_TEST

START_TEST(test_membership_boundaries)
{
	static const struct {
		uint32_t bucket;
		int pct;
		int in;
	} t[] = {
		{ 0, 1, 1 }, { 99, 1, 1 }, { 100, 1, 0 }, { 100, 2, 1 },
		{ 999, 10, 1 }, { 1000, 10, 0 }, { 4999, 50, 1 },
		{ 5000, 50, 0 }, { 9999, 100, 1 }, { 9999, 99, 0 },
		{ 0, 100, 1 }, { 10000, 100, 0 }, { UINT32_MAX, 100, 0 },
		/* percentages outside 1..100 hold nothing */
		{ 0, 0, 0 }, { 0, -1, 0 }, { 0, 101, 0 }, { 5, 1000, 0 },
	};
	size_t i;

	for (i = 0; i < N_ELEM(t); i++)
		ck_assert_msg(rollout_in_stage(t[i].bucket, t[i].pct) == t[i].in,
		    "bucket %u pct %d", t[i].bucket, t[i].pct);
	ck_assert_int_eq(rollout_stage_index(99, default_stages, 4), 0);
	ck_assert_int_eq(rollout_stage_index(100, default_stages, 4), 1);
	ck_assert_int_eq(rollout_stage_index(999, default_stages, 4), 1);
	ck_assert_int_eq(rollout_stage_index(1000, default_stages, 4), 2);
	ck_assert_int_eq(rollout_stage_index(5000, default_stages, 4), 3);
	ck_assert_int_eq(rollout_stage_index(9999, default_stages, 4), 3);
	ck_assert_int_eq(rollout_stage_index(0, NULL, 4), -1);
	ck_assert_int_eq(rollout_stage_index(0, default_stages, 0), -1);
}
END_TEST

/* 10,000 device ids spread like 10,000 fair dice. */
START_TEST(test_distribution)
{
	static const uint8_t salt[] = "fleet-7";
	char id[32];
	int n, in1 = 0, in10 = 0, in50 = 0;

	for (n = 0; n < 10000; n++) {
		uint32_t b;

		ck_assert(snprintf(id, sizeof(id), "dev-%05d", n) < (int)sizeof(id));
		b = rollout_bucket(salt, sizeof(salt) - 1, id);
		ck_assert_uint_lt(b, ROLLOUT_BUCKETS);
		in1 += rollout_in_stage(b, 1);
		in10 += rollout_in_stage(b, 10);
		in50 += rollout_in_stage(b, 50);
	}
	ck_assert_msg(in1 >= 50 && in1 <= 150, "1%%: %d of 10000", in1);
	ck_assert_msg(in10 >= 900 && in10 <= 1100, "10%%: %d", in10);
	ck_assert_msg(in50 >= 4800 && in50 <= 5200, "50%%: %d", in50);
}
END_TEST

/* A different salt picks a different 1 %: canaries are per campaign. */
START_TEST(test_salt_changes_sample)
{
	char id[32];
	int n, both = 0, a = 0;

	for (n = 0; n < 10000; n++) {
		int in_a, in_b;

		ck_assert(snprintf(id, sizeof(id), "dev-%05d", n) < (int)sizeof(id));
		in_a = rollout_in_stage(rollout_bucket((const uint8_t *)"A", 1,
		    id), 10);
		in_b = rollout_in_stage(rollout_bucket((const uint8_t *)"B", 1,
		    id), 10);
		a += in_a;
		both += in_a && in_b;
	}
	/* Independent 10 % samples overlap in about 1 %, not 10 %. */
	ck_assert_msg(a > 800 && both < 200, "a %d both %d", a, both);
}
END_TEST

/* ---- Stage lists and plan ---------------------------------------------- */

START_TEST(test_stages_validate)
{
	static const struct {
		int s[18];
		int n;
		const char *why;	/* NULL: valid */
	} t[] = {
		{ { 1, 10, 50, 100 }, 4, NULL },
		{ { 100 }, 1, NULL },
		{ { 99, 100 }, 2, NULL },
		{ { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 100 }, 16,
		    NULL },
		{ { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 100 },
		    17, "at most 16" },
		{ { 0 }, 0, "at least one" },
		{ { 50 }, 1, "last stage must be 100" },
		{ { 1, 10, 50 }, 3, "last stage must be 100" },
		{ { 10, 10, 100 }, 3, "strictly increasing" },
		{ { 50, 10, 100 }, 3, "strictly increasing" },
		{ { 0, 100 }, 2, "1 to 100" },
		{ { -5, 100 }, 2, "1 to 100" },
		{ { 1, 101 }, 2, "1 to 100" },
		{ { 1, 100, 100 }, 3, "strictly increasing" },
	};
	size_t i;

	for (i = 0; i < N_ELEM(t); i++) {
		const char *why = "untouched";
		int rc = rollout_stages_validate(t[i].s, t[i].n, &why);

		if (t[i].why == NULL) {
			ck_assert_msg(rc == 0, "case %zu: rejected: %s", i, why);
			ck_assert_str_eq(why, "untouched");
		} else {
			ck_assert_msg(rc == -1, "case %zu accepted", i);
			ck_assert_msg(strstr(why, t[i].why) != NULL,
			    "case %zu: '%s' lacks '%s'", i, why, t[i].why);
		}
	}
	ck_assert_int_eq(rollout_stages_validate(NULL, 4, NULL), -1);
}
END_TEST

START_TEST(test_stages_default)
{
	int s[ROLLOUT_MAX_STAGES], n = 0;

	memset(s, 0, sizeof(s));
	rollout_stages_default(s, &n);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(s[0], 1);
	ck_assert_int_eq(s[1], 10);
	ck_assert_int_eq(s[2], 50);
	ck_assert_int_eq(s[3], 100);
	ck_assert_int_eq(rollout_stages_validate(s, n, NULL), 0);
}
END_TEST

START_TEST(test_plan)
{
	static uint32_t all[ROLLOUT_BUCKETS + 2];
	static const uint64_t want_new[] = { 100, 900, 4000, 5000 };
	static const uint64_t want_cum[] = { 100, 1000, 5000, 10000 };
	static const int bad[] = { 10, 1, 100 };
	uint64_t nw[4], cum[4];
	uint32_t b;
	int i;

	for (b = 0; b < ROLLOUT_BUCKETS; b++)
		all[b] = b;
	/* Refused ids are in no stage. */
	all[ROLLOUT_BUCKETS] = ROLLOUT_NO_BUCKET;
	all[ROLLOUT_BUCKETS + 1] = UINT32_MAX;
	rollout_plan(all, N_ELEM(all), default_stages, 4, nw, cum);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(nw[i], want_new[i]);
		ck_assert_uint_eq(cum[i], want_cum[i]);
	}

	/* A small fleet, by hand: buckets 5 (1%), 99 (1%), 100 (10%),
	 * 4999 (50%), 9999 (100%). */
	all[0] = 5; all[1] = 99; all[2] = 100; all[3] = 4999; all[4] = 9999;
	rollout_plan(all, 5, default_stages, 4, nw, NULL);
	ck_assert_uint_eq(nw[0], 2);
	ck_assert_uint_eq(nw[1], 1);
	ck_assert_uint_eq(nw[2], 1);
	ck_assert_uint_eq(nw[3], 1);
	rollout_plan(all, 5, default_stages, 4, NULL, cum);
	ck_assert_uint_eq(cum[0], 2);
	ck_assert_uint_eq(cum[3], 5);

	/* An invalid list gives zeros rather than a wrong answer. */
	memset(nw, 0xff, sizeof(nw));
	memset(cum, 0xff, sizeof(cum));
	rollout_plan(all, 5, bad, 3, nw, cum);
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(nw[i], 0);
		ck_assert_uint_eq(cum[i], 0);
	}
	/* An empty fleet. */
	rollout_plan(NULL, 0, default_stages, 4, nw, cum);
	ck_assert_uint_eq(cum[3], 0);
}
END_TEST

/* ---- Names -------------------------------------------------------------- */

START_TEST(test_names)
{
	static const char *const dev[] = { "pending", "offered", "downloading",
	    "installed", "confirmed", "healthy", "failed", "rolled_back",
	    "timed_out", "superseded" };
	static const char *const ev[] = { "offer", "downloading", "installed",
	    "confirmed", "failed", "rolled_back", "fallback", "unhealthy",
	    "timeout", "baked", "newer" };
	static const char *const cs[] = { "draft", "running", "paused",
	    "halted", "completed", "aborted" };
	static const char *const act[] = { "start", "pause", "resume",
	    "advance", "abort", "halt", "complete" };
	static const char *const verdict[] = { "continue", "advance",
	    "await_approval", "halt", "complete" };
	static const char *const junk[] = { "", "Pending", "running ",
	    " offer", "timedout", "rolled-back", "x" };
	enum rollout_device_state ds;
	enum rollout_device_event de;
	enum rollout_campaign_state c;
	enum rollout_action a;
	size_t i;

	ck_assert_int_eq(N_ELEM(dev), ROLLOUT_DEV_STATES);
	ck_assert_int_eq(N_ELEM(ev), ROLLOUT_EVENTS);
	ck_assert_int_eq(N_ELEM(cs), ROLLOUT_CAMP_STATES);
	ck_assert_int_eq(N_ELEM(act), ROLLOUT_ACTIONS);
	ck_assert_int_eq(N_ELEM(verdict), ROLLOUT_VERDICTS);
	for (i = 0; i < N_ELEM(dev); i++) {
		ck_assert_str_eq(rollout_device_state_name(
		    (enum rollout_device_state)i), dev[i]);
		ck_assert_int_eq(rollout_device_state_parse(dev[i], &ds), 0);
		ck_assert_int_eq(ds, (int)i);
	}
	for (i = 0; i < N_ELEM(ev); i++) {
		ck_assert_str_eq(rollout_device_event_name(
		    (enum rollout_device_event)i), ev[i]);
		ck_assert_int_eq(rollout_device_event_parse(ev[i], &de), 0);
		ck_assert_int_eq(de, (int)i);
	}
	for (i = 0; i < N_ELEM(cs); i++) {
		ck_assert_str_eq(rollout_campaign_state_name(
		    (enum rollout_campaign_state)i), cs[i]);
		ck_assert_int_eq(rollout_campaign_state_parse(cs[i], &c), 0);
		ck_assert_int_eq(c, (int)i);
	}
	for (i = 0; i < N_ELEM(act); i++) {
		ck_assert_str_eq(rollout_action_name((enum rollout_action)i),
		    act[i]);
		ck_assert_int_eq(rollout_action_parse(act[i], &a), 0);
		ck_assert_int_eq(a, (int)i);
	}
	for (i = 0; i < N_ELEM(verdict); i++)
		ck_assert_str_eq(rollout_verdict_name((enum rollout_verdict)i),
		    verdict[i]);

	ck_assert_ptr_null(rollout_device_state_name(ROLLOUT_DEV_STATES));
	ck_assert_ptr_null(rollout_device_event_name(ROLLOUT_EVENTS));
	ck_assert_ptr_null(rollout_campaign_state_name(ROLLOUT_CAMP_STATES));
	ck_assert_ptr_null(rollout_action_name(ROLLOUT_ACTIONS));
	ck_assert_ptr_null(rollout_verdict_name(ROLLOUT_VERDICTS));
	ck_assert_ptr_null(rollout_device_state_name(
	    (enum rollout_device_state)-1));
	for (i = 0; i < N_ELEM(junk); i++) {
		ds = PE; de = ROLLOUT_EV_OFFER; c = DR; a = ROLLOUT_ACT_START;
		ck_assert_int_eq(rollout_device_state_parse(junk[i], &ds), -1);
		ck_assert_int_eq(rollout_device_event_parse(junk[i], &de), -1);
		ck_assert_int_eq(rollout_campaign_state_parse(junk[i], &c), -1);
		ck_assert_int_eq(rollout_action_parse(junk[i], &a), -1);
	}
	ck_assert_int_eq(rollout_device_state_parse(NULL, &ds), -1);
	ck_assert_int_eq(rollout_device_event_parse(NULL, &de), -1);
	ck_assert_int_eq(rollout_campaign_state_parse(NULL, &c), -1);
	ck_assert_int_eq(rollout_action_parse(NULL, &a), -1);
}
END_TEST

/* ---- Device states ------------------------------------------------------ */

/* The whole state x event table, default policy (max_attempts 1): a
 * pending device has 0 attempts, every other one has used its 1. */
static const int device_matrix[ROLLOUT_DEV_STATES][ROLLOUT_EVENTS] = {
	/*        offer dl  inst conf fail rb  fallb unhea tmout baked newer */
	[PE] = { OF,   XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  SU },
	[OF] = { OF,   DL,  IN,  CO,  FA,  RB,  XX,  FA,  TO,  XX,  SU },
	[DL] = { DL,   DL,  IN,  CO,  FA,  RB,  XX,  FA,  TO,  XX,  SU },
	[IN] = { XX,   XX,  IN,  CO,  FA,  RB,  RB,  FA,  TO,  XX,  SU },
	[CO] = { XX,   XX,  XX,  CO,  FA,  RB,  RB,  FA,  XX,  HE,  SU },
	[HE] = { XX,   XX,  XX,  XX,  FA,  RB,  RB,  FA,  XX,  HE,  HE },
	[FA] = { XX,   XX,  XX,  XX,  FA,  FA,  FA,  FA,  FA,  XX,  FA },
	[RB] = { XX,   XX,  XX,  XX,  RB,  RB,  RB,  RB,  RB,  XX,  RB },
	[TO] = { XX,   XX,  XX,  XX,  FA,  RB,  TO,  TO,  TO,  XX,  SU },
	[SU] = { XX,   XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  SU },
};

START_TEST(test_device_matrix)
{
	struct rollout_policy p = policy();
	int s, e;

	for (s = 0; s < ROLLOUT_DEV_STATES; s++) {
		for (e = 0; e < ROLLOUT_EVENTS; e++) {
			enum rollout_device_state to = (enum rollout_device_state)77;
			int attempts = s == PE ? 0 : 1;
			int rc = rollout_device_step((enum rollout_device_state)s,
			    (enum rollout_device_event)e, attempts, &p, &to);
			int want = device_matrix[s][e];

			if (want == XX) {
				ck_assert_msg(rc == -1, "%s + %s allowed (-> %d)",
				    rollout_device_state_name(s),
				    rollout_device_event_name(e), (int)to);
				ck_assert_msg((int)to == 77, "*to written on -1");
			} else {
				ck_assert_msg(rc == 0 && (int)to == want,
				    "%s + %s: rc %d to %s, want %s",
				    rollout_device_state_name(s),
				    rollout_device_event_name(e), rc,
				    rc == 0 ? rollout_device_state_name(to) : "-",
				    rollout_device_state_name(want));
			}
		}
	}
}
END_TEST

/* Retries: only failures, only within max_attempts; re-offers never count. */
START_TEST(test_device_offer_attempts)
{
	static const struct {
		int state;
		int attempts;
		int max;
		enum rollout_offer_kind kind;
		int to;
	} t[] = {
		{ PE, 0, 1, ROLLOUT_OFFER_FIRST, OF },
		{ PE, 0, 3, ROLLOUT_OFFER_FIRST, OF },
		{ PE, 1, 1, ROLLOUT_OFFER_NONE, XX },
		{ OF, 1, 1, ROLLOUT_OFFER_AGAIN, OF },
		{ OF, 5, 1, ROLLOUT_OFFER_AGAIN, OF },
		{ DL, 1, 1, ROLLOUT_OFFER_AGAIN, DL },
		{ IN, 0, 3, ROLLOUT_OFFER_NONE, XX },
		{ CO, 0, 3, ROLLOUT_OFFER_NONE, XX },
		{ HE, 0, 3, ROLLOUT_OFFER_NONE, XX },
		{ FA, 1, 1, ROLLOUT_OFFER_NONE, XX },
		{ FA, 1, 2, ROLLOUT_OFFER_RETRY, OF },
		{ FA, 2, 2, ROLLOUT_OFFER_NONE, XX },
		{ FA, 99, 100, ROLLOUT_OFFER_RETRY, OF },
		{ FA, 100, 100, ROLLOUT_OFFER_NONE, XX },
		{ RB, 1, 3, ROLLOUT_OFFER_RETRY, OF },
		{ RB, 3, 3, ROLLOUT_OFFER_NONE, XX },
		{ TO, 2, 3, ROLLOUT_OFFER_RETRY, OF },
		{ TO, 3, 3, ROLLOUT_OFFER_NONE, XX },
		{ FA, -1, 3, ROLLOUT_OFFER_NONE, XX },
		{ OF, -1, 3, ROLLOUT_OFFER_NONE, XX },
	};
	size_t i;

	for (i = 0; i < N_ELEM(t); i++) {
		struct rollout_policy p = policy();
		enum rollout_device_state to = PE;
		int rc;

		p.max_attempts = t[i].max;
		ck_assert_msg(rollout_offer_kind(t[i].state, t[i].attempts, &p)
		    == t[i].kind, "case %zu: kind", i);
		rc = rollout_device_step(t[i].state, ROLLOUT_EV_OFFER,
		    t[i].attempts, &p, &to);
		if (t[i].to == XX)
			ck_assert_msg(rc == -1, "case %zu: offered", i);
		else
			ck_assert_msg(rc == 0 && (int)to == t[i].to,
			    "case %zu: rc %d to %d", i, rc, (int)to);
	}
}
END_TEST

START_TEST(test_device_bad_input)
{
	struct rollout_policy p = policy();
	enum rollout_device_state to = PE;

	ck_assert_int_eq(rollout_device_step((enum rollout_device_state)99,
	    ROLLOUT_EV_FAILED, 0, &p, &to), -1);
	ck_assert_int_eq(rollout_device_step(OF, (enum rollout_device_event)99,
	    0, &p, &to), -1);
	ck_assert_int_eq(to, PE);
	ck_assert_int_eq(rollout_state_is_failure((enum rollout_device_state)99), 0);
	ck_assert_int_eq(rollout_state_is_in_flight((enum rollout_device_state)99), 0);
}
END_TEST

START_TEST(test_state_classes)
{
	static const int failure[] = { 0, 0, 0, 0, 0, 0, 1, 1, 1, 0 };
	static const int flight[] = { 0, 1, 1, 1, 1, 0, 0, 0, 0, 0 };
	int s;

	for (s = 0; s < ROLLOUT_DEV_STATES; s++) {
		ck_assert_int_eq(rollout_state_is_failure(s), failure[s]);
		ck_assert_int_eq(rollout_state_is_in_flight(s), flight[s]);
	}
}
END_TEST

/* Which steps restart the report timer. */
START_TEST(test_device_touches)
{
	ck_assert_int_eq(rollout_device_touches(PE, ROLLOUT_EV_OFFER, OF), 1);
	ck_assert_int_eq(rollout_device_touches(OF, ROLLOUT_EV_OFFER, OF), 0);
	ck_assert_int_eq(rollout_device_touches(DL, ROLLOUT_EV_OFFER, DL), 0);
	ck_assert_int_eq(rollout_device_touches(OF, ROLLOUT_EV_DOWNLOADING, DL), 1);
	ck_assert_int_eq(rollout_device_touches(DL, ROLLOUT_EV_DOWNLOADING, DL), 1);
	ck_assert_int_eq(rollout_device_touches(IN, ROLLOUT_EV_INSTALLED, IN), 0);
	ck_assert_int_eq(rollout_device_touches(FA, ROLLOUT_EV_OFFER, OF), 1);
	ck_assert_int_eq(rollout_device_touches(FA, ROLLOUT_EV_ROLLED_BACK, FA), 0);
}
END_TEST

START_TEST(test_device_timed_out)
{
	static const struct {
		int state;
		int64_t last;
		int64_t now;
		int want;
	} t[] = {
		{ OF, 1000, 1000 + 3599, 0 },
		{ OF, 1000, 1000 + 3600, 1 },
		{ DL, 1000, 1000 + 3600, 1 },
		{ DL, 1000, 1000 + 3599, 0 },
		{ IN, 1000, 1000 + 3600, 1 },
		/* a confirmed device waits on us, not we on it */
		{ CO, 1000, 1000 + 10 * 86400, 0 },
		{ PE, 0, 10 * 86400, 0 },
		{ HE, 0, 10 * 86400, 0 },
		{ FA, 0, 10 * 86400, 0 },
		{ TO, 0, 10 * 86400, 0 },
		/* a clock that went back times nothing out */
		{ OF, 5000, 1000, 0 },
		{ OF, INT64_MIN, INT64_MAX, 1 },
	};
	struct rollout_policy p = policy();
	size_t i;

	for (i = 0; i < N_ELEM(t); i++)
		ck_assert_msg(rollout_device_timed_out(t[i].state, t[i].last,
		    t[i].now, &p) == t[i].want, "case %zu", i);
	p.report_timeout = 0;
	ck_assert_int_eq(rollout_device_timed_out(OF, 1000, 1000, &p), 1);
	ck_assert_int_eq(rollout_device_timed_out(OF, 1000, 999, &p), 0);
}
END_TEST

START_TEST(test_device_baked)
{
	struct rollout_policy p = policy();

	ck_assert_int_eq(rollout_device_baked(CO, 1000, 1000 + 3599, &p), 0);
	ck_assert_int_eq(rollout_device_baked(CO, 1000, 1000 + 3600, &p), 1);
	ck_assert_int_eq(rollout_device_baked(CO, 1000, 500, &p), 0);
	ck_assert_int_eq(rollout_device_baked(IN, 0, 1000000, &p), 0);
	ck_assert_int_eq(rollout_device_baked(HE, 0, 1000000, &p), 0);
	ck_assert_int_eq(rollout_device_baked(FA, 0, 1000000, &p), 0);
	p.bake_time = 0;
	ck_assert_int_eq(rollout_device_baked(CO, 1000, 1000, &p), 1);
	p.bake_time = 86400;
	ck_assert_int_eq(rollout_device_baked(CO, 1000, 1000 + 86399, &p), 0);
}
END_TEST

/* ---- Campaigns ---------------------------------------------------------- */

/* from x action -> (state, stage index) at stage 1 of 4; XX: refused. */
static const struct {
	int to;
	int idx;
} campaign_mid[ROLLOUT_CAMP_STATES][ROLLOUT_ACTIONS] = {
	/*          start     pause     resume    advance   abort     halt      complete */
	[DR] = { { RU, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 }, { AB, 1 }, { XX, 0 }, { XX, 0 } },
	[RU] = { { XX, 0 }, { PA, 1 }, { XX, 0 }, { RU, 2 }, { AB, 1 }, { HA, 1 }, { XX, 0 } },
	[PA] = { { XX, 0 }, { XX, 0 }, { RU, 1 }, { PA, 2 }, { AB, 1 }, { HA, 1 }, { XX, 0 } },
	[HA] = { { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 }, { AB, 1 }, { XX, 0 }, { XX, 0 } },
	[CM] = { { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 } },
	[AB] = { { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 } },
};

/* The same at the last stage (3 of 4): no advance, complete from running. */
static const struct {
	int to;
	int idx;
} campaign_last[ROLLOUT_CAMP_STATES][ROLLOUT_ACTIONS] = {
	[DR] = { { RU, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 }, { AB, 3 }, { XX, 0 }, { XX, 0 } },
	[RU] = { { XX, 0 }, { PA, 3 }, { XX, 0 }, { XX, 0 }, { AB, 3 }, { HA, 3 }, { CM, 3 } },
	[PA] = { { XX, 0 }, { XX, 0 }, { RU, 3 }, { XX, 0 }, { AB, 3 }, { HA, 3 }, { XX, 0 } },
	[HA] = { { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 }, { AB, 3 }, { XX, 0 }, { XX, 0 } },
	[CM] = { { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 } },
	[AB] = { { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 }, { XX, 0 } },
};

static void
check_campaign_table(int stage, int nstages, int table_to[][ROLLOUT_ACTIONS],
    int table_idx[][ROLLOUT_ACTIONS])
{
	int s, a;

	for (s = 0; s < ROLLOUT_CAMP_STATES; s++) {
		for (a = 0; a < ROLLOUT_ACTIONS; a++) {
			enum rollout_campaign_state to = (enum rollout_campaign_state)77;
			int idx = 77;
			int rc = rollout_campaign_action(
			    (enum rollout_campaign_state)s,
			    (enum rollout_action)a, stage, nstages, &to, &idx);

			if (table_to[s][a] == XX) {
				ck_assert_msg(rc == -1 && (int)to == 77 && idx == 77,
				    "%s + %s at %d/%d allowed",
				    rollout_campaign_state_name(s),
				    rollout_action_name(a), stage, nstages);
			} else {
				ck_assert_msg(rc == 0 && (int)to == table_to[s][a] &&
				    idx == table_idx[s][a],
				    "%s + %s at %d/%d: rc %d -> %d stage %d",
				    rollout_campaign_state_name(s),
				    rollout_action_name(a), stage, nstages, rc,
				    (int)to, idx);
			}
		}
	}
}

START_TEST(test_campaign_matrix)
{
	int to[ROLLOUT_CAMP_STATES][ROLLOUT_ACTIONS];
	int idx[ROLLOUT_CAMP_STATES][ROLLOUT_ACTIONS];
	int s, a;

	for (s = 0; s < ROLLOUT_CAMP_STATES; s++)
		for (a = 0; a < ROLLOUT_ACTIONS; a++) {
			to[s][a] = campaign_mid[s][a].to;
			idx[s][a] = campaign_mid[s][a].idx;
		}
	check_campaign_table(1, 4, to, idx);
	for (s = 0; s < ROLLOUT_CAMP_STATES; s++)
		for (a = 0; a < ROLLOUT_ACTIONS; a++) {
			to[s][a] = campaign_last[s][a].to;
			idx[s][a] = campaign_last[s][a].idx;
		}
	check_campaign_table(3, 4, to, idx);
}
END_TEST

START_TEST(test_campaign_edges)
{
	enum rollout_campaign_state to = DR;
	int idx = -7;

	/* A single-stage campaign: start at 0, complete at once, no advance. */
	ck_assert_int_eq(rollout_campaign_action(DR, ROLLOUT_ACT_START, 0, 1,
	    &to, &idx), 0);
	ck_assert_int_eq(to, RU);
	ck_assert_int_eq(idx, 0);
	ck_assert_int_eq(rollout_campaign_action(RU, ROLLOUT_ACT_ADVANCE, 0, 1,
	    &to, &idx), -1);
	ck_assert_int_eq(rollout_campaign_action(RU, ROLLOUT_ACT_COMPLETE, 0, 1,
	    &to, &idx), 0);
	ck_assert_int_eq(to, CM);
	/* Walking the default stages with advance, then complete. */
	idx = 0;
	to = RU;
	while (rollout_campaign_action(to, ROLLOUT_ACT_ADVANCE, idx, 4, &to,
	    &idx) == 0)
		;
	ck_assert_int_eq(idx, 3);
	ck_assert_int_eq(to, RU);
	ck_assert_int_eq(rollout_campaign_action(RU, ROLLOUT_ACT_COMPLETE, 0, 4,
	    &to, &idx), -1);
	/* Nonsense stage positions are refused, whatever the action. */
	to = RU;
	idx = 5;
	ck_assert_int_eq(rollout_campaign_action(RU, ROLLOUT_ACT_PAUSE, -1, 4,
	    &to, &idx), -1);
	ck_assert_int_eq(rollout_campaign_action(RU, ROLLOUT_ACT_PAUSE, 4, 4,
	    &to, &idx), -1);
	ck_assert_int_eq(rollout_campaign_action(RU, ROLLOUT_ACT_PAUSE, 0, 0,
	    &to, &idx), -1);
	ck_assert_int_eq(rollout_campaign_action(RU, ROLLOUT_ACT_PAUSE, 0, 17,
	    &to, &idx), -1);
	ck_assert_int_eq(rollout_campaign_action(RU, (enum rollout_action)99,
	    0, 4, &to, &idx), -1);
	ck_assert_int_eq(rollout_campaign_action((enum rollout_campaign_state)99,
	    ROLLOUT_ACT_ABORT, 0, 4, &to, &idx), -1);
	ck_assert_int_eq(to, RU);
	ck_assert_int_eq(idx, 5);
}
END_TEST

/* Who gets an offer, per campaign state x device state, for a member
 * (bucket 50 at 1 %) whose retry is allowed (E) or used up (U). */
static const struct {
	int e;
	int u;
} offer_table[ROLLOUT_CAMP_STATES][ROLLOUT_DEV_STATES] = {
	/*         pending  offered  dl       inst     conf     healthy  failed   rb       timed_out superseded */
	[DR] = { { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 } },
	[RU] = { { 1, 1 }, { 1, 1 }, { 1, 1 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 1, 0 }, { 1, 0 }, { 1, 0 }, { 0, 0 } },
	[PA] = { { 0, 0 }, { 1, 1 }, { 1, 1 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 } },
	[HA] = { { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 } },
	[CM] = { { 1, 1 }, { 1, 1 }, { 1, 1 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 1, 0 }, { 1, 0 }, { 1, 0 }, { 0, 0 } },
	[AB] = { { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 } },
};

START_TEST(test_should_offer)
{
	struct rollout_policy p = policy();
	int c, s;

	for (c = 0; c < ROLLOUT_CAMP_STATES; c++) {
		for (s = 0; s < ROLLOUT_DEV_STATES; s++) {
			int attempts = s == PE ? 0 : 1;
			int e, u;

			p.max_attempts = 2;
			e = rollout_should_offer(c, 1, 50, s, attempts, &p);
			p.max_attempts = 1;
			u = rollout_should_offer(c, 1, 50, s, attempts, &p);
			ck_assert_msg(e == offer_table[c][s].e &&
			    u == offer_table[c][s].u,
			    "%s/%s: got %d/%d, want %d/%d",
			    rollout_campaign_state_name(c),
			    rollout_device_state_name(s), e, u,
			    offer_table[c][s].e, offer_table[c][s].u);
			/* Outside the stage: never, whatever the states. */
			p.max_attempts = 2;
			ck_assert_int_eq(rollout_should_offer(c, 1, 100, s,
			    attempts, &p), 0);
			ck_assert_int_eq(rollout_should_offer(c, 100,
			    ROLLOUT_NO_BUCKET, s, attempts, &p), 0);
			ck_assert_int_eq(rollout_should_offer(c, 0, 0, s,
			    attempts, &p), 0);
		}
	}
	/* The stage decides membership: bucket 150 waits for 10 %. */
	ck_assert_int_eq(rollout_should_offer(RU, 1, 150, PE, 0, &p), 0);
	ck_assert_int_eq(rollout_should_offer(RU, 10, 150, PE, 0, &p), 1);
	ck_assert_int_eq(rollout_should_offer(RU, 100, 9999, PE, 0, &p), 1);
	ck_assert_int_eq(rollout_should_offer((enum rollout_campaign_state)99,
	    100, 0, PE, 0, &p), 0);
}
END_TEST

/* ---- Whole fleets --------------------------------------------------------
 * A small model of the daemon and 1000 devices, driving only the public
 * functions, minute by minute: devices poll every 15 minutes; an offered
 * device reports downloading after 1 minute, installed after 5, and after
 * its reboot at 7 either confirmed (good release) or rolled_back (its
 * self-test fails and the bootloader falls back). These are the worked
 * examples of docs/rollouts.md. */

#define FLEET	1000

struct sim {
	struct rollout_policy p;
	int stages[ROLLOUT_MAX_STAGES];
	int nstages;
	enum rollout_campaign_state cs;
	int stage;
	int64_t opened;
	uint32_t bucket[FLEET];
	enum rollout_device_state ds[FLEET];
	int attempts[FLEET];
	int64_t offered_at[FLEET];
	int64_t last_change[FLEET];
	int64_t confirmed_at[FLEET];
	int online[FLEET];
	int64_t last_poll[FLEET];	/* -1: never */
	int ever_offered;
	int max_stage_offered;	/* highest stage of any device offered */
	int64_t stage_opened[ROLLOUT_MAX_STAGES];
	int64_t ended;
};

static void
sim_step(struct sim *s, int i, enum rollout_device_event ev, int64_t now)
{
	enum rollout_device_state to;

	ck_assert_msg(rollout_device_step(s->ds[i], ev, s->attempts[i], &s->p,
	    &to) == 0, "device %d: %s + %s", i,
	    rollout_device_state_name(s->ds[i]), rollout_device_event_name(ev));
	if (rollout_device_touches(s->ds[i], ev, to))
		s->last_change[i] = now;
	if (to == CO && s->ds[i] != CO)
		s->confirmed_at[i] = now;
	s->ds[i] = to;
}

static void
sim_init(struct sim *s)
{
	static const uint8_t salt[] = "fleet-9";
	char id[16];
	int i;

	memset(s, 0, sizeof(*s));
	s->p = policy();
	rollout_stages_default(s->stages, &s->nstages);
	for (i = 0; i < FLEET; i++) {
		ck_assert(snprintf(id, sizeof(id), "dev-%04d", i) < (int)sizeof(id));
		s->bucket[i] = rollout_bucket(salt, sizeof(salt) - 1, id);
		s->ds[i] = PE;
		s->online[i] = 1;
		s->last_poll[i] = -1;
	}
	s->cs = DR;
	s->max_stage_offered = -1;
}

/* Runs the campaign until it ends or max_t seconds pass. */
static void
sim_run(struct sim *s, int good, int64_t max_t)
{
	int64_t now;
	int i, idx;

	ck_assert_int_eq(rollout_campaign_action(s->cs, ROLLOUT_ACT_START, 0,
	    s->nstages, &s->cs, &s->stage), 0);
	s->opened = 0;
	s->stage_opened[0] = 0;
	for (now = 0; now <= max_t; now += 60) {
		struct rollout_counts c, added;
		struct rollout_decision d;
		enum rollout_action act;

		for (i = 0; i < FLEET; i++) {
			int64_t since = now - s->offered_at[i];

			if (!s->online[i])
				continue;
			/* Polls every 15 minutes, phase by device. */
			if ((now / 60 + i) % 15 == 0)
				s->last_poll[i] = now;
			if ((now / 60 + i) % 15 == 0 &&
			    rollout_should_offer(s->cs, s->stages[s->stage],
			    s->bucket[i], s->ds[i], s->attempts[i], &s->p)) {
				enum rollout_offer_kind k = rollout_offer_kind(
				    s->ds[i], s->attempts[i], &s->p);

				sim_step(s, i, ROLLOUT_EV_OFFER, now);
				if (k != ROLLOUT_OFFER_AGAIN) {
					s->attempts[i]++;
					s->offered_at[i] = now;
					s->ever_offered++;
					idx = rollout_stage_index(s->bucket[i],
					    s->stages, s->nstages);
					if (idx > s->max_stage_offered)
						s->max_stage_offered = idx;
				}
				continue;
			}
			if (s->ds[i] == OF && since == 60)
				sim_step(s, i, ROLLOUT_EV_DOWNLOADING, now);
			else if (s->ds[i] == DL && since == 300)
				sim_step(s, i, ROLLOUT_EV_INSTALLED, now);
			else if (s->ds[i] == IN && since == 420)
				sim_step(s, i, good ? ROLLOUT_EV_CONFIRMED :
				    ROLLOUT_EV_ROLLED_BACK, now);
		}
		/* The daemon's sweeps: bake and report timeouts. */
		for (i = 0; i < FLEET; i++) {
			if (rollout_device_baked(s->ds[i], s->confirmed_at[i], now,
			    &s->p))
				sim_step(s, i, ROLLOUT_EV_BAKED, now);
			else if (rollout_device_timed_out(s->ds[i],
			    s->last_change[i], now, &s->p))
				sim_step(s, i, ROLLOUT_EV_TIMEOUT, now);
		}
		if (s->cs != RU)
			continue;
		memset(&c, 0, sizeof(c));
		memset(&added, 0, sizeof(added));
		for (i = 0; i < FLEET; i++) {
			/* Unseen: pending, no poll since the stage opened. */
			int unseen = s->ds[i] == PE && s->last_poll[i] < s->opened;

			if (!rollout_in_stage(s->bucket[i], s->stages[s->stage]))
				continue;
			c.members++;
			c.by_state[s->ds[i]]++;
			c.unseen += unseen;
			if (s->stage > 0 && rollout_in_stage(s->bucket[i],
			    s->stages[s->stage - 1]))
				continue;
			added.members++;
			added.by_state[s->ds[i]]++;
			added.unseen += unseen;
		}
		rollout_gate_nested(&s->p, s->stages, s->nstages, s->stage,
		    s->opened, &c, &added, now, &d);
		/* ROLLOUT_SIM_TRACE=1: every verdict; =all: every minute. */
		if (getenv("ROLLOUT_SIM_TRACE") != NULL &&
		    (d.verdict != ROLLOUT_CONTINUE ||
		    strcmp(getenv("ROLLOUT_SIM_TRACE"), "all") == 0))
			printf("sim %lld:%02lld %s\n", (long long)(now / 3600),
			    (long long)(now % 3600 / 60), d.reason);
		switch (d.verdict) {
		case ROLLOUT_ADVANCE: act = ROLLOUT_ACT_ADVANCE; break;
		case ROLLOUT_HALT: act = ROLLOUT_ACT_HALT; break;
		case ROLLOUT_COMPLETE: act = ROLLOUT_ACT_COMPLETE; break;
		default: continue;
		}
		ck_assert_int_eq(rollout_campaign_action(s->cs, act, s->stage,
		    s->nstages, &s->cs, &idx), 0);
		if (idx != s->stage) {
			s->stage = idx;
			s->opened = now;
			s->stage_opened[idx] = now;
		}
		if (s->cs != RU) {
			s->ended = now;
			return;
		}
	}
}

START_TEST(test_fleet_good_release)
{
	static struct sim s;
	uint64_t nw[4], cum[4];
	int i, healthy = 0;

	sim_init(&s);
	rollout_plan(s.bucket, FLEET, s.stages, s.nstages, nw, cum);
	ck_assert_uint_eq(cum[3], FLEET);
	sim_run(&s, 1, 7 * 86400);
	ck_assert_int_eq(s.cs, CM);
	ck_assert_int_eq(s.stage, 3);
	for (i = 0; i < FLEET; i++)
		healthy += s.ds[i] == HE;
	/* Completion needs 90 % of the last stage; the rest bake after. */
	ck_assert_int_ge(healthy, 900);
	/* Every stage lasted at least the bake time. */
	for (i = 1; i < 4; i++)
		ck_assert_int_ge(s.stage_opened[i] - s.stage_opened[i - 1],
		    s.p.bake_time);
	ck_assert_int_le(s.ended, 12 * 3600);
}
END_TEST

START_TEST(test_fleet_bad_release)
{
	static struct sim s;
	uint64_t nw[4];
	int i, failures = 0;

	sim_init(&s);
	rollout_plan(s.bucket, FLEET, s.stages, s.nstages, nw, NULL);
	sim_run(&s, 0, 7 * 86400);
	ck_assert_int_eq(s.cs, HA);
	ck_assert_int_eq(s.stage, 0);
	/* Only the 1 % stage was ever offered the release. */
	ck_assert_int_eq(s.max_stage_offered, 0);
	ck_assert_int_le(s.ever_offered, (int)nw[0]);
	ck_assert_int_le(s.ever_offered, 15);
	for (i = 0; i < FLEET; i++)
		failures += rollout_state_is_failure(s.ds[i]);
	ck_assert_int_ge(failures, 2);
	/* Halted before the first devices could even have baked. */
	ck_assert_int_lt(s.ended, s.p.bake_time);
	/* Halted means nothing more goes out, not even re-offers. */
	for (i = 0; i < FLEET; i++)
		ck_assert_int_eq(rollout_should_offer(s.cs, 100, s.bucket[i],
		    s.ds[i], s.attempts[i], &s.p), 0);
}
END_TEST

/* Devices of the 1 % stage that never come online hold it for a day,
 * then count as absent and let it pass on those that did. */
START_TEST(test_fleet_absent_canaries)
{
	static struct sim s;
	int i, offline = 0, online_members = 0;

	sim_init(&s);
	for (i = 0; i < FLEET; i++) {
		if (!rollout_in_stage(s.bucket[i], 1))
			continue;
		if (online_members < 3) {
			online_members++;
		} else {
			s.online[i] = 0;
			offline++;
		}
	}
	ck_assert_int_gt(offline, 0);
	sim_run(&s, 1, 7 * 86400);
	ck_assert_int_eq(s.cs, CM);
	ck_assert_int_ge(s.stage_opened[1], s.p.absent_timeout);
	ck_assert_int_lt(s.stage_opened[1], s.p.absent_timeout + 3600);
}
END_TEST

static Suite *
rollout_suite(void)
{
	Suite *s = suite_create("rollout");
	TCase *tc;

	tc = tcase_create("bucket");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bucket_kat);
	tcase_add_test(tc, test_bucket_caps);
	tcase_add_test(tc, test_membership_exhaustive);
	tcase_add_test(tc, test_stage_index_exhaustive);
	tcase_add_test(tc, test_membership_boundaries);
	tcase_add_test(tc, test_distribution);
	tcase_add_test(tc, test_salt_changes_sample);
	tcase_add_test(tc, test_stages_validate);
	tcase_add_test(tc, test_stages_default);
	tcase_add_test(tc, test_plan);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("device");
	tcase_add_test(tc, test_device_matrix);
	tcase_add_test(tc, test_device_offer_attempts);
	tcase_add_test(tc, test_device_bad_input);
	tcase_add_test(tc, test_state_classes);
	tcase_add_test(tc, test_device_touches);
	tcase_add_test(tc, test_device_timed_out);
	tcase_add_test(tc, test_device_baked);
	suite_add_tcase(s, tc);

	tc = tcase_create("campaign");
	tcase_add_test(tc, test_campaign_matrix);
	tcase_add_test(tc, test_campaign_edges);
	tcase_add_test(tc, test_should_offer);
	suite_add_tcase(s, tc);

	tc = tcase_create("fleet");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fleet_good_release);
	tcase_add_test(tc, test_fleet_bad_release);
	tcase_add_test(tc, test_fleet_absent_canaries);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(rollout_suite());
}
