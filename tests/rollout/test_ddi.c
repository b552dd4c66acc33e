/* Check suite for src/rollout/ddi.c: every row of the feedback mapping
 * (DDI.md §2.7), the link decision (§2.4), the cancel feedback (§2.9),
 * the polling sleep and the history's detail line. */
#include <stdint.h>
#include <string.h>

#include "check_util.h"
#include "rollout/ddi.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- names ---- */

START_TEST(names_parse_ignoring_case)
{
	enum rollout_ddi_exec e;
	enum rollout_ddi_finished f;

	for (int i = 0; i < ROLLOUT_DDI_EXECS; i++) {
		ck_assert_int_eq(rollout_ddi_exec_parse(
		    rollout_ddi_exec_name((enum rollout_ddi_exec)i), &e), 0);
		ck_assert_int_eq(e, i);
	}
	for (int i = 0; i < ROLLOUT_DDI_FINISHED; i++) {
		ck_assert_int_eq(rollout_ddi_finished_parse(
		    rollout_ddi_finished_name((enum rollout_ddi_finished)i), &f), 0);
		ck_assert_int_eq(f, i);
	}
	ck_assert_int_eq(rollout_ddi_exec_parse("CLOSED", &e), 0);
	ck_assert_int_eq(e, ROLLOUT_DDI_CLOSED);
	ck_assert_int_eq(rollout_ddi_exec_parse("Proceeding", &e), 0);
	ck_assert_int_eq(e, ROLLOUT_DDI_PROCEEDING);
	ck_assert_int_eq(rollout_ddi_finished_parse("FaiLuRe", &f), 0);
	ck_assert_int_eq(f, ROLLOUT_DDI_FAILURE);
	ck_assert_int_eq(rollout_ddi_exec_parse("close", &e), -1);
	ck_assert_int_eq(rollout_ddi_exec_parse("closedx", &e), -1);
	ck_assert_int_eq(rollout_ddi_exec_parse("", &e), -1);
	ck_assert_int_eq(rollout_ddi_exec_parse(NULL, &e), -1);
	ck_assert_int_eq(rollout_ddi_finished_parse("ok", &f), -1);
	ck_assert_int_eq(rollout_ddi_finished_parse("succes\xc3\xa9", &f), -1);
	ck_assert_ptr_null(rollout_ddi_exec_name(ROLLOUT_DDI_EXECS));
	ck_assert_ptr_null(rollout_ddi_finished_name(ROLLOUT_DDI_FINISHED));
}
END_TEST

/* An action's stored states: every name reads back, nothing else does. */
START_TEST(action_state_names)
{
	enum rollout_ddi_end e;
	enum rollout_ddi_cancel_state c;

	for (int i = 0; i < ROLLOUT_DDI_ENDS; i++) {
		ck_assert_int_eq(rollout_ddi_end_parse(
		    rollout_ddi_end_name((enum rollout_ddi_end)i), &e), 0);
		ck_assert_int_eq(e, i);
	}
	for (int i = 0; i < ROLLOUT_DDI_CANCEL_STATES; i++) {
		ck_assert_int_eq(rollout_ddi_cancel_state_parse(
		    rollout_ddi_cancel_state_name(
		    (enum rollout_ddi_cancel_state)i), &c), 0);
		ck_assert_int_eq(c, i);
	}
	ck_assert_str_eq(rollout_ddi_end_name(ROLLOUT_DDI_CLOSE), "closed");
	ck_assert_str_eq(rollout_ddi_cancel_state_name(
	    ROLLOUT_DDI_CANCEL_REJECTED), "rejected");
	ck_assert_int_eq(rollout_ddi_end_parse("close", &e), -1);
	ck_assert_int_eq(rollout_ddi_end_parse(NULL, &e), -1);
	ck_assert_int_eq(rollout_ddi_cancel_state_parse("asked", &c), -1);
	ck_assert_ptr_null(rollout_ddi_end_name(ROLLOUT_DDI_ENDS));
	ck_assert_ptr_null(rollout_ddi_cancel_state_name(
	    ROLLOUT_DDI_CANCEL_STATES));
}
END_TEST

/* ---- feedback (§2.7) ---- */

#define NOEV	(-1)
#define NOWHY	(-1)
#define TP	ROLLOUT_DDI_TESTING_PENDING
#define UF	ROLLOUT_DDI_UPDATE_FAILED
#define ANY_STATE	(-1)

static const struct {
	enum rollout_ddi_exec e;
	enum rollout_ddi_finished f;
	const char *detail0;
	int offer;			/* a state, or ANY_STATE: all of them */
	int ev, why;
	enum rollout_ddi_end end;
	bool success, ask;
} fb_rows[] = {
	/* progress: downloading, whatever finished and details say */
	{ ROLLOUT_DDI_PROCEEDING, ROLLOUT_DDI_NONE, "Installing Update Chunk Artifacts.",
	  ANY_STATE, ROLLOUT_EV_DOWNLOADING, NOWHY, ROLLOUT_DDI_OPEN, 0, 0 },
	{ ROLLOUT_DDI_PROCEEDING, ROLLOUT_DDI_NONE, "All Chunks Installed.",
	  ANY_STATE, ROLLOUT_EV_DOWNLOADING, NOWHY, ROLLOUT_DDI_OPEN, 0, 0 },
	{ ROLLOUT_DDI_PROCEEDING, ROLLOUT_DDI_SUCCESS, "Installed Chunk.",
	  ANY_STATE, ROLLOUT_EV_DOWNLOADING, NOWHY, ROLLOUT_DDI_OPEN, 0, 0 },
	{ ROLLOUT_DDI_PROCEEDING, ROLLOUT_DDI_FAILURE, NULL,
	  ANY_STATE, ROLLOUT_EV_DOWNLOADING, NOWHY, ROLLOUT_DDI_OPEN, 0, 0 },
	{ ROLLOUT_DDI_RESUMED, ROLLOUT_DDI_NONE, TP,
	  ANY_STATE, ROLLOUT_EV_DOWNLOADING, NOWHY, ROLLOUT_DDI_OPEN, 0, 0 },
	{ ROLLOUT_DDI_DOWNLOAD, ROLLOUT_DDI_SUCCESS, NULL,
	  ANY_STATE, ROLLOUT_EV_DOWNLOADING, NOWHY, ROLLOUT_DDI_OPEN, 0, 0 },
	{ ROLLOUT_DDI_DOWNLOADED, ROLLOUT_DDI_SUCCESS, NULL,
	  ANY_STATE, ROLLOUT_EV_DOWNLOADING, NOWHY, ROLLOUT_DDI_OPEN, 0, 0 },
	/* SWUpdate's boot-time "testing pending" report: installed */
	{ ROLLOUT_DDI_PROCEEDING, ROLLOUT_DDI_NONE, TP,
	  ANY_STATE, ROLLOUT_EV_INSTALLED, NOWHY, ROLLOUT_DDI_OPEN, 0, 0 },
	/* ... only with finished none and exactly that text */
	{ ROLLOUT_DDI_PROCEEDING, ROLLOUT_DDI_SUCCESS, TP,
	  ANY_STATE, ROLLOUT_EV_DOWNLOADING, NOWHY, ROLLOUT_DDI_OPEN, 0, 0 },
	{ ROLLOUT_DDI_PROCEEDING, ROLLOUT_DDI_NONE, "Update Installed, Testing Pending",
	  ANY_STATE, ROLLOUT_EV_DOWNLOADING, NOWHY, ROLLOUT_DDI_OPEN, 0, 0 },
	/* not now */
	{ ROLLOUT_DDI_SCHEDULED, ROLLOUT_DDI_NONE, NULL,
	  ANY_STATE, NOEV, NOWHY, ROLLOUT_DDI_OPEN, 0, 0 },
	{ ROLLOUT_DDI_REJECTED, ROLLOUT_DDI_FAILURE, "busy",
	  ANY_STATE, NOEV, NOWHY, ROLLOUT_DDI_OPEN, 0, 0 },
	/* closed, success or none: confirmed */
	{ ROLLOUT_DDI_CLOSED, ROLLOUT_DDI_SUCCESS, "Update Installed.",
	  ANY_STATE, ROLLOUT_EV_CONFIRMED, NOWHY, ROLLOUT_DDI_CLOSE, 1, 1 },
	{ ROLLOUT_DDI_CLOSED, ROLLOUT_DDI_NONE, NULL,
	  ANY_STATE, ROLLOUT_EV_CONFIRMED, NOWHY, ROLLOUT_DDI_CLOSE, 1, 1 },
	/* closed, failure: failed (install), or rolled back */
	{ ROLLOUT_DDI_CLOSED, ROLLOUT_DDI_FAILURE, "No suitable .swu image found",
	  ROLLOUT_DEV_OFFERED, ROLLOUT_EV_FAILED, ROLLOUT_WHY_INSTALL,
	  ROLLOUT_DDI_CLOSE, 0, 1 },
	{ ROLLOUT_DDI_CLOSED, ROLLOUT_DDI_FAILURE, NULL,
	  ROLLOUT_DEV_DOWNLOADING, ROLLOUT_EV_FAILED, ROLLOUT_WHY_INSTALL,
	  ROLLOUT_DDI_CLOSE, 0, 1 },
	{ ROLLOUT_DDI_CLOSED, ROLLOUT_DDI_FAILURE, "x",
	  ROLLOUT_DEV_CONFIRMED, ROLLOUT_EV_FAILED, ROLLOUT_WHY_INSTALL,
	  ROLLOUT_DDI_CLOSE, 0, 1 },
	{ ROLLOUT_DDI_CLOSED, ROLLOUT_DDI_FAILURE, "x",
	  ROLLOUT_DEV_INSTALLED, ROLLOUT_EV_ROLLED_BACK, ROLLOUT_WHY_ROLLBACK,
	  ROLLOUT_DDI_CLOSE, 0, 1 },
	{ ROLLOUT_DDI_CLOSED, ROLLOUT_DDI_FAILURE, UF,
	  ROLLOUT_DEV_DOWNLOADING, ROLLOUT_EV_ROLLED_BACK, ROLLOUT_WHY_ROLLBACK,
	  ROLLOUT_DDI_CLOSE, 0, 1 },
	{ ROLLOUT_DDI_CLOSED, ROLLOUT_DDI_FAILURE, UF,
	  ROLLOUT_DEV_TIMED_OUT, ROLLOUT_EV_ROLLED_BACK, ROLLOUT_WHY_ROLLBACK,
	  ROLLOUT_DDI_CLOSE, 0, 1 },
	/* canceled by the device */
	{ ROLLOUT_DDI_CANCELED, ROLLOUT_DDI_SUCCESS, NULL,
	  ANY_STATE, NOEV, NOWHY, ROLLOUT_DDI_CANCEL, 0, 0 },
	{ ROLLOUT_DDI_CANCELED, ROLLOUT_DDI_FAILURE, NULL,
	  ANY_STATE, NOEV, NOWHY, ROLLOUT_DDI_CANCEL, 0, 0 },
};

static void
check_fb_row(size_t i, enum rollout_device_state s)
{
	struct rollout_ddi_feedback out;

	memset(&out, 0xA5, sizeof(out));
	rollout_ddi_feedback(fb_rows[i].e, fb_rows[i].f, fb_rows[i].detail0, s,
	    &out);
	ck_assert_msg(out.has_event == (fb_rows[i].ev != NOEV), "row %zu", i);
	if (out.has_event)
		ck_assert_msg((int)out.ev == fb_rows[i].ev, "row %zu state %d: "
		    "event %d, want %d", i, s, out.ev, fb_rows[i].ev);
	ck_assert_msg(out.has_reason == (fb_rows[i].why != NOWHY), "row %zu", i);
	if (out.has_reason)
		ck_assert_msg((int)out.reason == fb_rows[i].why, "row %zu", i);
	ck_assert_msg(out.end == fb_rows[i].end, "row %zu", i);
	if (out.end == ROLLOUT_DDI_CLOSE)
		ck_assert_msg(out.success == fb_rows[i].success, "row %zu", i);
	ck_assert_msg(out.ask_config == fb_rows[i].ask, "row %zu", i);
}

START_TEST(feedback_rows)
{
	for (size_t i = 0; i < N_ELEM(fb_rows); i++) {
		if (fb_rows[i].offer != ANY_STATE) {
			check_fb_row(i, (enum rollout_device_state)fb_rows[i].offer);
			continue;
		}
		for (int s = 0; s < ROLLOUT_DEV_STATES; s++)
			check_fb_row(i, (enum rollout_device_state)s);
	}
}
END_TEST

/* Progress never says installed, whatever is in progress or details:
 * only the one boot-time text does (SWUpdate's false "All Chunks
 * Installed." after a failure it missed, DDI.md F3). */
START_TEST(progress_is_never_installed)
{
	static const char *const d[] = { NULL, "", "All Chunks Installed.",
	    "Installed Chunk.", "Update Installed.", UF };
	struct rollout_ddi_feedback out;

	for (int e = 0; e < ROLLOUT_DDI_EXECS; e++)
		for (int f = 0; f < ROLLOUT_DDI_FINISHED; f++)
			for (size_t k = 0; k < N_ELEM(d); k++)
				for (int s = 0; s < ROLLOUT_DEV_STATES; s++) {
					rollout_ddi_feedback(e, f, d[k], s, &out);
					ck_assert(!out.has_event ||
					    out.ev != ROLLOUT_EV_INSTALLED);
				}
}
END_TEST

/* What the mapping gives and the native table does to a member: a
 * feedback the table refuses changes nothing (the caller keeps it in the
 * history and answers 200). */
START_TEST(feedback_through_the_state_table)
{
	struct rollout_policy p;
	struct rollout_ddi_feedback out;
	enum rollout_device_state to;

	rollout_policy_default(&p);
	/* installed, then the post-reboot closed/failure: rolled_back */
	rollout_ddi_feedback(ROLLOUT_DDI_CLOSED, ROLLOUT_DDI_FAILURE, UF,
	    ROLLOUT_DEV_INSTALLED, &out);
	ck_assert_int_eq(rollout_device_step(ROLLOUT_DEV_INSTALLED, out.ev, 1,
	    &p, &to), 0);
	ck_assert_int_eq(to, ROLLOUT_DEV_ROLLED_BACK);
	/* downloading, then closed/success: confirmed (installed skipped) */
	rollout_ddi_feedback(ROLLOUT_DDI_CLOSED, ROLLOUT_DDI_SUCCESS, NULL,
	    ROLLOUT_DEV_DOWNLOADING, &out);
	ck_assert_int_eq(rollout_device_step(ROLLOUT_DEV_DOWNLOADING, out.ev, 1,
	    &p, &to), 0);
	ck_assert_int_eq(to, ROLLOUT_DEV_CONFIRMED);
	/* a late progress report after confirmed is refused */
	rollout_ddi_feedback(ROLLOUT_DDI_PROCEEDING, ROLLOUT_DDI_NONE, NULL,
	    ROLLOUT_DEV_CONFIRMED, &out);
	ck_assert_int_eq(rollout_device_step(ROLLOUT_DEV_CONFIRMED, out.ev, 1,
	    &p, &to), -1);
}
END_TEST

START_TEST(closing_text)
{
	char buf[32];

	ck_assert_int_eq(rollout_ddi_closing(ROLLOUT_DDI_CLOSED,
	    ROLLOUT_DDI_SUCCESS, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "closed/success");
	ck_assert_int_eq(rollout_ddi_closing(ROLLOUT_DDI_CANCELED,
	    ROLLOUT_DDI_NONE, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "canceled/none");
	ck_assert_int_eq(rollout_ddi_closing(ROLLOUT_DDI_CLOSED,
	    ROLLOUT_DDI_FAILURE, buf, 10), -1);
	ck_assert_int_eq(rollout_ddi_closing(ROLLOUT_DDI_EXECS,
	    ROLLOUT_DDI_FAILURE, buf, sizeof(buf)), -1);
}
END_TEST

/* ---- link decision (§2.4) ---- */

#define OFF	ROLLOUT_DEV_OFFERED
#define DL	ROLLOUT_DEV_DOWNLOADING
#define INS	ROLLOUT_DEV_INSTALLED
#define CONF	ROLLOUT_DEV_CONFIRMED
#define HLT	ROLLOUT_DEV_HEALTHY
#define FAIL	ROLLOUT_DEV_FAILED
#define RB	ROLLOUT_DEV_ROLLED_BACK
#define TO	ROLLOUT_DEV_TIMED_OUT
#define SUP	ROLLOUT_DEV_SUPERSEDED
#define PEND	ROLLOUT_DEV_PENDING
#define C_NO	ROLLOUT_DDI_CANCEL_NONE
#define C_REQ	ROLLOUT_DDI_CANCEL_REQUESTED
#define C_REJ	ROLLOUT_DDI_CANCEL_REJECTED
#define O_NO	ROLLOUT_OFFER_NONE
#define O_1ST	ROLLOUT_OFFER_FIRST
#define O_AG	ROLLOUT_OFFER_AGAIN
#define O_RE	ROLLOUT_OFFER_RETRY
#define KEEP	ROLLOUT_DDI_KEEP
#define E_SUP	ROLLOUT_DDI_END_SUPERSEDED
#define E_TO	ROLLOUT_DDI_END_TIMED_OUT
#define E_FAIL	ROLLOUT_DDI_END_FAILURE
#define E_OK	ROLLOUT_DDI_END_SUCCESS
#define E_GONE	ROLLOUT_DDI_END_GONE
#define L_NO	ROLLOUT_DDI_LINK_NONE
#define L_DEP	ROLLOUT_DDI_LINK_DEPLOY
#define L_NEW	ROLLOUT_DDI_LINK_NEW
#define L_CAN	ROLLOUT_DDI_LINK_CANCEL

static const struct {
	struct rollout_ddi_poll p;
	enum rollout_ddi_close close;
	enum rollout_ddi_link link;
} link_rows[] = {
	/* 1. no action: a new one for O, or nothing */
	{ { false, PEND, C_NO, O_1ST, false }, KEEP, L_NEW },
	{ { false, FAIL, C_NO, O_RE, false }, KEEP, L_NEW },
	{ { false, OFF, C_NO, O_AG, false }, KEEP, L_NEW },
	{ { false, PEND, C_NO, O_NO, false }, KEEP, L_NO },
	/* 2. cancel rejected: no link while the device may close A */
	{ { true, OFF, C_REJ, O_NO, false }, KEEP, L_NO },
	{ { true, DL, C_REJ, O_AG, true }, KEEP, L_NO },
	{ { true, INS, C_REJ, O_NO, false }, KEEP, L_NO },
	/* 3. installed: A whatever O is (F5) */
	{ { true, INS, C_NO, O_NO, false }, KEEP, L_DEP },
	{ { true, INS, C_NO, O_1ST, false }, KEEP, L_DEP },
	{ { true, INS, C_REQ, O_NO, false }, KEEP, L_DEP },
	/* 4. in flight: A again, or cancel */
	{ { true, OFF, C_NO, O_AG, true }, KEEP, L_DEP },
	{ { true, DL, C_NO, O_AG, true }, KEEP, L_DEP },
	{ { true, OFF, C_NO, O_NO, false }, KEEP, L_CAN },
	{ { true, DL, C_NO, O_1ST, false }, KEEP, L_CAN },
	{ { true, DL, C_NO, O_AG, false }, KEEP, L_CAN },
	{ { true, OFF, C_REQ, O_NO, false }, KEEP, L_CAN },
	{ { true, OFF, C_REQ, O_AG, true }, KEEP, L_CAN },
	/* 5. timed out: a retry replaces A, else A ends timed out */
	{ { true, TO, C_NO, O_RE, true }, E_SUP, L_NEW },
	{ { true, TO, C_NO, O_NO, false }, E_TO, L_NO },
	{ { true, TO, C_NO, O_1ST, false }, E_TO, L_NEW },
	{ { true, TO, C_NO, O_RE, false }, E_TO, L_NEW },
	{ { true, TO, C_REJ, O_NO, false }, E_TO, L_NO },
	{ { true, TO, C_REQ, O_RE, true }, E_SUP, L_NEW },
	/* 6. over in another way: A ends, then as with no action */
	{ { true, FAIL, C_NO, O_RE, true }, E_FAIL, L_NEW },
	{ { true, RB, C_NO, O_NO, true }, E_FAIL, L_NO },
	{ { true, CONF, C_NO, O_NO, true }, E_OK, L_NO },
	{ { true, HLT, C_REJ, O_1ST, false }, E_OK, L_NEW },
	{ { true, SUP, C_NO, O_NO, false }, E_GONE, L_NO },
	{ { true, PEND, C_REQ, O_1ST, true }, E_GONE, L_NEW },
};

START_TEST(link_rows_table)
{
	struct rollout_ddi_decision d;

	for (size_t i = 0; i < N_ELEM(link_rows); i++) {
		rollout_ddi_decide(&link_rows[i].p, &d);
		ck_assert_msg(d.close == link_rows[i].close &&
		    d.link == link_rows[i].link, "row %zu: close %d link %d, "
		    "want %d %d", i, d.close, d.link, link_rows[i].close,
		    link_rows[i].link);
	}
}
END_TEST

/* Invariants over every input: a cancel only for an offer in flight
 * before the install (F7), never a new action beside an open one, and
 * DEPLOY only of an action that stays open. */
START_TEST(link_invariants)
{
	struct rollout_ddi_poll p;
	struct rollout_ddi_decision d;

	for (int a = 0; a < 2; a++)
	for (int s = 0; s < ROLLOUT_DEV_STATES; s++)
	for (int c = 0; c < 3; c++)
	for (int o = 0; o < 4; o++)
	for (int same = 0; same < 2; same++) {
		p = (struct rollout_ddi_poll){ a, s, c, o, same };
		rollout_ddi_decide(&p, &d);
		if (d.link == L_CAN)
			ck_assert(a && (s == OFF || s == DL));
		if (d.link == L_NEW)
			ck_assert(o != O_NO && (!a || d.close != KEEP));
		if (d.link == L_DEP)
			ck_assert(a && d.close == KEEP);
		if (!a)
			ck_assert_int_eq(d.close, KEEP);
	}
}
END_TEST

START_TEST(close_results)
{
	ck_assert_ptr_null(rollout_ddi_close_result(KEEP));
	ck_assert_str_eq(rollout_ddi_close_result(E_SUP), "superseded");
	ck_assert_str_eq(rollout_ddi_close_result(E_TO), "timed_out");
	ck_assert_str_eq(rollout_ddi_close_result(E_FAIL), "failure");
	ck_assert_str_eq(rollout_ddi_close_result(E_OK), "success");
	ck_assert_str_eq(rollout_ddi_close_result(E_GONE), "gone");
	ck_assert_ptr_null(rollout_ddi_close_result(E_GONE + 1));
}
END_TEST

/* ---- cancel feedback (§2.9) ---- */

START_TEST(cancel_feedback_table)
{
	/* exec x finished: success, failure, none */
	static const enum rollout_ddi_cancel_outcome want[ROLLOUT_DDI_EXECS][3] = {
		[ROLLOUT_DDI_PROCEEDING] = { ROLLOUT_DDI_CANCEL_IGNORED,
		    ROLLOUT_DDI_CANCEL_IGNORED, ROLLOUT_DDI_CANCEL_IGNORED },
		[ROLLOUT_DDI_RESUMED] = { ROLLOUT_DDI_CANCEL_IGNORED,
		    ROLLOUT_DDI_CANCEL_IGNORED, ROLLOUT_DDI_CANCEL_IGNORED },
		[ROLLOUT_DDI_DOWNLOAD] = { ROLLOUT_DDI_CANCEL_IGNORED,
		    ROLLOUT_DDI_CANCEL_IGNORED, ROLLOUT_DDI_CANCEL_IGNORED },
		[ROLLOUT_DDI_DOWNLOADED] = { ROLLOUT_DDI_CANCEL_IGNORED,
		    ROLLOUT_DDI_CANCEL_IGNORED, ROLLOUT_DDI_CANCEL_IGNORED },
		[ROLLOUT_DDI_SCHEDULED] = { ROLLOUT_DDI_CANCEL_IGNORED,
		    ROLLOUT_DDI_CANCEL_IGNORED, ROLLOUT_DDI_CANCEL_IGNORED },
		[ROLLOUT_DDI_REJECTED] = { ROLLOUT_DDI_CANCEL_REFUSED,
		    ROLLOUT_DDI_CANCEL_REFUSED, ROLLOUT_DDI_CANCEL_REFUSED },
		[ROLLOUT_DDI_CLOSED] = { ROLLOUT_DDI_CANCEL_DONE,
		    ROLLOUT_DDI_CANCEL_REFUSED, ROLLOUT_DDI_CANCEL_DONE },
		[ROLLOUT_DDI_CANCELED] = { ROLLOUT_DDI_CANCEL_DONE,
		    ROLLOUT_DDI_CANCEL_DONE, ROLLOUT_DDI_CANCEL_DONE },
	};

	for (int e = 0; e < ROLLOUT_DDI_EXECS; e++)
		for (int f = 0; f < ROLLOUT_DDI_FINISHED; f++)
			ck_assert_msg(rollout_ddi_cancel_feedback(e, f) ==
			    want[e][f], "exec %d finished %d", e, f);
}
END_TEST

/* ---- sleep and detail ---- */

START_TEST(sleep_format_and_clamp)
{
	static const struct { int64_t s; const char *want; } rows[] = {
		{ INT64_MIN, "00:00:01" }, { -5, "00:00:01" }, { 0, "00:00:01" },
		{ 1, "00:00:01" }, { 59, "00:00:59" }, { 60, "00:01:00" },
		{ 300, "00:05:00" }, { 3599, "00:59:59" }, { 3600, "01:00:00" },
		{ 36000 + 754, "10:12:34" }, { 86399, "23:59:59" },
		{ 86400, "23:59:59" }, { INT64_MAX, "23:59:59" },
	};
	char out[ROLLOUT_DDI_SLEEP_LEN];

	for (size_t i = 0; i < N_ELEM(rows); i++) {
		rollout_ddi_sleep(rows[i].s, out);
		ck_assert_str_eq(out, rows[i].want);
	}
	/* Every value in range formats and reads back. */
	for (int64_t s = 1; s <= ROLLOUT_DDI_SLEEP_MAX; s += 7) {
		rollout_ddi_sleep(s, out);
		ck_assert_int_eq(((out[0] - '0') * 10 + out[1] - '0') * 3600 +
		    ((out[3] - '0') * 10 + out[4] - '0') * 60 +
		    (out[6] - '0') * 10 + out[7] - '0', s);
	}
}
END_TEST

START_TEST(detail_selection)
{
	static const char *const swu[] = { "Installing Update Chunk Artifacts.",
	    "ERROR : HW compatibility not found", "ERROR : JSON File corrupted",
	    "No suitable .swu image found" };
	static const char *const plain[] = { "No suitable .swu image found" };
	static const char *const holes[] = { NULL, "b", NULL, "ERROR x" };
	static const char *const none[] = { NULL };
	char longer[600], utf[300];
	const char *one[1];
	size_t len = 0;

	ck_assert_int_eq(rollout_ddi_detail(swu, N_ELEM(swu), &len), 1);
	ck_assert_uint_eq(len, strlen(swu[1]));
	ck_assert_int_eq(rollout_ddi_detail(plain, 1, &len), 0);
	ck_assert_int_eq(rollout_ddi_detail(holes, N_ELEM(holes), &len), 3);
	ck_assert_int_eq(rollout_ddi_detail(holes, 2, &len), 1);
	ck_assert_int_eq(rollout_ddi_detail(none, 1, &len), -1);
	ck_assert_int_eq(rollout_ddi_detail(swu, 0, &len), -1);
	/* "ERRORS" starts with ERROR too; "error" does not (hawkBit's
	 * clients write it in capitals). */
	one[0] = "error: x";
	ck_assert_int_eq(rollout_ddi_detail(one, 1, &len), 0);
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	one[0] = longer;
	ck_assert_int_eq(rollout_ddi_detail(one, 1, &len), 0);
	ck_assert_uint_eq(len, ROLLOUT_DDI_DETAIL_MAX);
	/* 255 ASCII bytes, then a 2-byte character across the cut. */
	memset(utf, 'b', 255);
	memcpy(utf + 255, "\xc3\xa9zz", 5);
	one[0] = utf;
	ck_assert_int_eq(rollout_ddi_detail(one, 1, &len), 0);
	ck_assert_uint_eq(len, 255);
	utf[254] = '\0';
	ck_assert_int_eq(rollout_ddi_detail(one, 1, &len), 0);
	ck_assert_uint_eq(len, 254);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rollout_ddi");
	TCase *tc = tcase_create("ddi");

	tcase_add_test(tc, names_parse_ignoring_case);
	tcase_add_test(tc, action_state_names);
	tcase_add_test(tc, feedback_rows);
	tcase_add_test(tc, progress_is_never_installed);
	tcase_add_test(tc, feedback_through_the_state_table);
	tcase_add_test(tc, closing_text);
	tcase_add_test(tc, link_rows_table);
	tcase_add_test(tc, link_invariants);
	tcase_add_test(tc, close_results);
	tcase_add_test(tc, cancel_feedback_table);
	tcase_add_test(tc, sleep_format_and_clamp);
	tcase_add_test(tc, detail_selection);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
