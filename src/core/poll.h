/* The poll's decision, made before any reply: what a device that polls
 * now is offered (nothing, its direct offer, or a campaign's release) and
 * what its declared version is worth telling the store. The native poll
 * (src/api/h_device.c) signs an assignment and replies; the DDI
 * controller base (issue #13) builds its links from the same answer. */
#ifndef CORE_POLL_H
#define CORE_POLL_H

#include <stdint.h>

#include "core/offers.h"
#include "core/reports.h"
#include "rollout/rollout.h"

struct core;

/* The polling device as its token lookup found it. */
struct poll_device {
	int64_t id;			/* the device's row */
	const char *device_id, *hw_class;
	const char *fw_version;		/* declared; NULL: stored_fw */
	const char *stored_fw;		/* the version last recorded */
	const char *boot_id;		/* NULL: none sent */
	int64_t offer_release;		/* its direct offer's release, 0: none */
	enum rollout_device_state offer_state;	/* and that offer's state */
};

enum poll_verdict {
	POLL_NOTHING,	/* no offer: answer with the poll-interval hint */
	POLL_OFFER,	/* offer rel now: direct, or a campaign's again */
	POLL_TAKE,	/* a first offer or a retry: run take on the writer
			 * (reports_offer_take) and offer only if granted */
};

#define POLL_SIGHT_MAX 2

struct poll_answer {
	enum poll_verdict verdict;
	int64_t campaign;		/* 0: the direct offer */
	char campaign_name[24];		/* "direct" or the id, as assigned */
	enum rollout_offer_kind kind;	/* campaigns: first, again or retry */
	struct rel_snap rel;		/* OFFER, TAKE: the release */
	struct offer_take take;		/* TAKE: the write job's argument */
	/* What the declared version may change (sighting jobs, which
	 * decide again on the stored state): -1 the direct offer, else a
	 * campaign id. */
	int64_t sight[POLL_SIGHT_MAX];
	int nsight;
	/* NOTHING: a first offer or retry held back by a concurrency cap
	 * (the campaign's max_in_flight or the server's): the device is due
	 * and should poll again sooner (rollout_capped_retry_after). A TAKE
	 * not granted says the same in take.capped. */
	int capped;
	/* NOTHING: a first offer or retry held back by the campaign's
	 * closed maintenance window; window_wait the seconds to its next
	 * opening (0: none known). */
	int windowed;
	int64_t window_wait;
};

/* Decides what the device d gets on a poll at now: its direct offer
 * first, else the newest live campaign of its hw class whose open stage
 * holds it and that it is a member of (rollout_poll_direct and
 * rollout_poll_member say what the offers are worth). Reads the caches
 * and, for a device inside an open stage, its membership; writes nothing
 * and signs nothing. With d->fw_version NULL the stored version stands
 * for the declared one (DDI: a poll there is not a version report, so
 * its caller does not poll_record). 0 with *out filled (free it with
 * poll_answer_free), or -1 when the store failed (*out is POLL_NOTHING
 * with the sightings found before). Any thread. */
int poll_decide(struct core *c, const struct poll_device *d, int64_t now,
    struct poll_answer *out);
/* Queues the sighting jobs of an answer to a poll that declared its
 * version (nothing when d->fw_version is NULL); the poll does not wait
 * for them, and a lost one is found again at the next poll. */
void poll_record(struct core *c, const struct poll_device *d,
    const struct poll_answer *a, int64_t now);
void poll_answer_free(struct poll_answer *a);
/* The poll hint for an answer that offers nothing, poll_interval
 * seconds: shorter (rollout_capped_retry_after) for a device a
 * concurrency cap held back, on the poll or at its take, and the time
 * to the window's opening, if sooner, for one a closed window held
 * back (rollout_window_retry_after). */
int64_t poll_hint(const struct poll_answer *a, int64_t poll_interval);

#endif
