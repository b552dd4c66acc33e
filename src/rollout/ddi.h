/* Pure hawkBit DDI rules (docs/api.md, "hawkBit DDI"; the contract is
 * ../shared/DDI.md): what a DDI feedback means for an offer, which link
 * the controller base shows, what a cancel feedback does, the polling
 * `sleep`, and which feedback line the history keeps. Like the rest of
 * src/rollout: no I/O, no clock, no allocation; names are static. */
#ifndef ROLLOUT_DDI_H
#define ROLLOUT_DDI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rollout/rollout.h"

/* status.execution and status.result.finished of a feedback. */
enum rollout_ddi_exec {
	ROLLOUT_DDI_PROCEEDING,
	ROLLOUT_DDI_RESUMED,
	ROLLOUT_DDI_DOWNLOAD,
	ROLLOUT_DDI_DOWNLOADED,
	ROLLOUT_DDI_SCHEDULED,
	ROLLOUT_DDI_REJECTED,
	ROLLOUT_DDI_CLOSED,
	ROLLOUT_DDI_CANCELED,
};
#define ROLLOUT_DDI_EXECS	(ROLLOUT_DDI_CANCELED + 1)

enum rollout_ddi_finished {
	ROLLOUT_DDI_SUCCESS,
	ROLLOUT_DDI_FAILURE,
	ROLLOUT_DDI_NONE,
};
#define ROLLOUT_DDI_FINISHED	(ROLLOUT_DDI_NONE + 1)

/* Case-insensitive (ASCII) name to value, as hawkBit reads them: 0, or -1
 * for NULL or any other text. */
int rollout_ddi_exec_parse(const char *name, enum rollout_ddi_exec *out);
int rollout_ddi_finished_parse(const char *name,
    enum rollout_ddi_finished *out);
/* "proceeding", ... and "success", ...: lowercase, NULL if out of range. */
const char *rollout_ddi_exec_name(enum rollout_ddi_exec e);
const char *rollout_ddi_finished_name(enum rollout_ddi_finished f);

/* ---- Feedback on deploymentBase ------------------------------------------
 * execution x finished x details[0] x the offer's state -> an event for
 * the offer (rollout_device_step applies it, or refuses it: then nothing
 * changes but the history) and what becomes of the action:
 * - proceeding, resumed, download, downloaded: downloading (a progress
 *   report: restarts the report timer), never installed whatever the
 *   progress says (SWUpdate's "All Chunks Installed." is sent also after
 *   failures it missed). Except proceeding/none with details[0] "Update
 *   Installed, Testing Pending.": installed (SWUpdate's boot-time report:
 *   rebooted, the bootloader did not mark the image as testing).
 * - scheduled, rejected ("not now"): no event; the action stays open.
 * - closed/success, closed/none: confirmed; the device now runs the
 *   release (the caller stores its version); the action closes
 *   (success) and configData is asked for.
 * - closed/failure: failed, reason install; rolled_back, reason rollback,
 *   when the offer is installed or details[0] is "Update Failed."
 *   (SWUpdate's boot-time report: the bootloader fell back). The action
 *   closes (failure), configData is asked for.
 * - canceled: no event; the action is canceled. */

enum rollout_ddi_end {	/* also an action's state, as stored */
	ROLLOUT_DDI_OPEN,	/* the action stays open */
	ROLLOUT_DDI_CLOSE,	/* closed, with result success or failure */
	ROLLOUT_DDI_CANCEL,	/* canceled */
};
#define ROLLOUT_DDI_ENDS	(ROLLOUT_DDI_CANCEL + 1)
/* "open", "closed", "canceled"; NULL if out of range. Parse: 0, or -1. */
const char *rollout_ddi_end_name(enum rollout_ddi_end e);
int rollout_ddi_end_parse(const char *name, enum rollout_ddi_end *out);

struct rollout_ddi_feedback {
	bool has_event;
	enum rollout_device_event ev;	/* with has_event */
	bool has_reason;		/* with failed / rolled_back */
	enum rollout_reason reason;
	enum rollout_ddi_end end;
	bool success;			/* with ROLLOUT_DDI_CLOSE */
	bool ask_config;		/* show configData until the next PUT */
};

/* details[0] of SWUpdate's boot-time reports (DDI.md §2.7). */
#define ROLLOUT_DDI_TESTING_PENDING	"Update Installed, Testing Pending."
#define ROLLOUT_DDI_UPDATE_FAILED	"Update Failed."

/* Fills out for a feedback; detail0 may be NULL (no details). */
void rollout_ddi_feedback(enum rollout_ddi_exec e, enum rollout_ddi_finished f,
    const char *detail0, enum rollout_device_state offer,
    struct rollout_ddi_feedback *out);
/* The closing report's text, "execution/finished" ("closed/success"),
 * stored with the action so that its HTTP retry can be told apart. */
int rollout_ddi_closing(enum rollout_ddi_exec e, enum rollout_ddi_finished f,
    char *buf, size_t size);

/* ---- Which link the controller base shows ---------------------------------
 * A is the device's open action (at most one), O what the native poll
 * would offer now (the same decision, with the stored version). */

enum rollout_ddi_cancel_state {
	ROLLOUT_DDI_CANCEL_NONE,
	ROLLOUT_DDI_CANCEL_REQUESTED,
	ROLLOUT_DDI_CANCEL_REJECTED,
};
#define ROLLOUT_DDI_CANCEL_STATES	(ROLLOUT_DDI_CANCEL_REJECTED + 1)
/* "none", "requested", "rejected"; NULL if out of range. Parse: 0, or -1. */
const char *rollout_ddi_cancel_state_name(enum rollout_ddi_cancel_state c);
int rollout_ddi_cancel_state_parse(const char *name,
    enum rollout_ddi_cancel_state *out);

struct rollout_ddi_poll {
	bool has_action;			/* A exists */
	enum rollout_device_state member;	/* A's offer's state now */
	enum rollout_ddi_cancel_state cancel;	/* A's cancel */
	enum rollout_offer_kind offer;		/* O: NONE if nothing */
	bool same_offer;	/* O is A's offer: same campaign (or both
				   direct) and the same release */
};

enum rollout_ddi_link {
	ROLLOUT_DDI_LINK_NONE,
	ROLLOUT_DDI_LINK_DEPLOY,	/* deploymentBase of A */
	ROLLOUT_DDI_LINK_NEW,		/* make an action for O, show it */
	ROLLOUT_DDI_LINK_CANCEL,	/* cancelAction of A (request it
					   first when not requested yet) */
};

/* How A ends before the link, if it does. */
enum rollout_ddi_close {
	ROLLOUT_DDI_KEEP,		/* A stays as it is */
	ROLLOUT_DDI_END_SUPERSEDED,	/* a retry of its offer replaces it */
	ROLLOUT_DDI_END_TIMED_OUT,	/* its offer timed out, no retry */
	ROLLOUT_DDI_END_FAILURE,	/* its offer failed or rolled back */
	ROLLOUT_DDI_END_SUCCESS,	/* its offer is confirmed or healthy */
	ROLLOUT_DDI_END_GONE,		/* its offer left (superseded by a
					   newer version, or never started) */
};

struct rollout_ddi_decision {
	enum rollout_ddi_close close;
	enum rollout_ddi_link link;
};

/* The rows, first match wins:
 * 1. no A: O exists (first, retry, or the attempt in flight again after a
 *    cancel was acknowledged) -> NEW; else NONE.
 * 2. A's cancel rejected, A's offer offered/downloading/installed ->
 *    NONE until the device closes A or its offer ends (rows 5, 6).
 * 3. A's offer installed -> DEPLOY A whatever O is: SWUpdate posts its
 *    result after the reboot to whatever deploymentBase is shown.
 * 4. A's offer offered/downloading: O is A's offer again -> DEPLOY A (no
 *    state change); O none or another offer, or A's cancel requested ->
 *    CANCEL A.
 * 5. A's offer timed out: O a retry of A's offer -> close A superseded,
 *    NEW; else close A timed_out, then NEW if O exists (another offer),
 *    else NONE.
 * 6. A's offer over in any other way (failed, rolled back, confirmed,
 *    healthy, superseded, pending): close A accordingly, then as row 1. */
void rollout_ddi_decide(const struct rollout_ddi_poll *p,
    struct rollout_ddi_decision *out);
/* "superseded", "timed_out", "failure", "success", "gone": the result
 * stored for an action ended by rollout_ddi_decide; NULL for KEEP. */
const char *rollout_ddi_close_result(enum rollout_ddi_close c);

/* ---- Feedback on cancelAction ---------------------------------------------
 * closed/success, closed/none, canceled -> the action is canceled (the
 * offer's state is left as it is); rejected, closed/failure -> the cancel
 * is rejected (the action stays open, without links); anything else
 * (proceeding, scheduled, ...) changes nothing. */

enum rollout_ddi_cancel_outcome {
	ROLLOUT_DDI_CANCEL_IGNORED,
	ROLLOUT_DDI_CANCEL_DONE,
	ROLLOUT_DDI_CANCEL_REFUSED,
};

enum rollout_ddi_cancel_outcome rollout_ddi_cancel_feedback(
    enum rollout_ddi_exec e, enum rollout_ddi_finished f);

/* ---- Polling sleep and history detail -------------------------------------- */

#define ROLLOUT_DDI_SLEEP_MIN	1
#define ROLLOUT_DDI_SLEEP_MAX	(24 * 3600 - 1)
#define ROLLOUT_DDI_SLEEP_LEN	9	/* "HH:MM:SS" and its NUL */
#define ROLLOUT_DDI_DETAIL_MAX	256	/* bytes of the history's detail */

/* config.polling.sleep for a poll interval in seconds: "HH:MM:SS",
 * clamped to 00:00:01..23:59:59 (SWUpdate takes 00:00:00 as 45 s). */
void rollout_ddi_sleep(int64_t seconds, char out[ROLLOUT_DDI_SLEEP_LEN]);

/* The feedback line the history keeps: the first of the n details that
 * starts with "ERROR", else the first; *len is its length cut to
 * ROLLOUT_DDI_DETAIL_MAX bytes, never inside a UTF-8 sequence. The index,
 * or -1 when n is 0 (NULL entries are skipped). */
int rollout_ddi_detail(const char *const *details, size_t n, size_t *len);

#endif
