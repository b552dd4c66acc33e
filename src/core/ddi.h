/* hawkBit DDI services (docs/api.md §13; the contract is ../shared/DDI.md):
 * what a controller base poll shows and does to actions, what a feedback
 * does to the offer behind its action, cancels, and the artifact digests
 * DDI clients check. The rules themselves are pure, in rollout/ddi.h. */
#ifndef CORE_DDI_H
#define CORE_DDI_H

#include <stdbool.h>
#include <stdint.h>

#include "core/poll.h"
#include "db/ddi.h"
#include "rollout/ddi.h"

struct core;

/* ---- the controller base ---- */

enum ddi_show { DDI_SHOW_NONE, DDI_SHOW_DEPLOY, DDI_SHOW_CANCEL };

struct ddi_poll {
	struct core *core;
	int64_t device, now;
	struct poll_answer ans;		/* what the native poll would offer */
	/* out */
	enum ddi_show show;
	int64_t action;			/* with DEPLOY or CANCEL */
	int config;			/* show configData */
};

/* Decides a poll of device d (its version: the stored one; a DDI poll
 * declares none) at now. 1 when the decision needs the writer (there is
 * an open action or an offer): then run ddi_poll_tx as a write job; 0
 * when p is final already (nothing shown but maybe configData); -1 when
 * the store failed. Free p with ddi_poll_free in any case. */
int ddi_poll_begin(struct core *c, const struct poll_device *d, int64_t now,
    struct ddi_poll *p);
/* Write job: decides again on the stored state (rollout_ddi_decide) and
 * applies it: ends the open action, takes a first offer or a retry and
 * opens its action, or asks for a cancel. */
int ddi_poll_tx(struct db_tx *tx, void *arg);
void ddi_poll_free(struct ddi_poll *p);

/* ---- feedback ---- */

struct ddi_report {
	struct core *core;
	int64_t device, action, now;
	bool cancel;			/* on cancelAction/{id}/feedback */
	enum rollout_ddi_exec exec;
	enum rollout_ddi_finished finished;
	const char *detail0;		/* details[0], or NULL */
	const char *detail;		/* the line the history keeps, or NULL */
	size_t detail_len;
	/* out: 200, 404 (no such action of the device), 410 (closed) */
	int status;
};
/* Write job: a feedback on deploymentBase (the mapping of DDI.md 2.7:
 * the offer's event through the native state table, the action closed or
 * canceled, configData asked for, the device's version on success) or
 * on cancelAction (2.9). A report the state table refuses is kept in the
 * history and still answered 200. */
int ddi_report_tx(struct db_tx *tx, void *arg);

/* ---- what a deploymentBase shows ---- */

struct ddi_deployment {
	int64_t action, release;
	char fw_version[65];
	char sha256[65];
	uint64_t size;
	struct db_ddi_digests d;
};
/* The open action id of device, with its release's artifact and digests
 * (computed once from the file in artifacts_dir and stored, for artifacts
 * from before the digests were kept). DB_OK, DB_NOTFOUND (no such open
 * action) or DB_ERR. Blocks for the hashing and its write the first time. */
int ddi_deployment(struct core *c, const char *artifacts_dir, int64_t device,
    int64_t action, struct ddi_deployment *out);
/* The same for a release (a download, with_digests false, or its
 * .MD5SUM), action 0. */
int ddi_release(struct core *c, const char *artifacts_dir, int64_t release,
    bool with_digests, struct ddi_deployment *out);

#endif
