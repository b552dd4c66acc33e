/* One device's state in a campaign: names, transitions, timeouts, bake,
 * what a declared version means, and the reason classes of failures. */
#include <string.h>

#include "rollout/rollout.h"

/* These strings are part of the REST API and the database. */
static const char *const state_names[ROLLOUT_DEV_STATES] = {
	[ROLLOUT_DEV_PENDING] = "pending",
	[ROLLOUT_DEV_OFFERED] = "offered",
	[ROLLOUT_DEV_DOWNLOADING] = "downloading",
	[ROLLOUT_DEV_INSTALLED] = "installed",
	[ROLLOUT_DEV_CONFIRMED] = "confirmed",
	[ROLLOUT_DEV_HEALTHY] = "healthy",
	[ROLLOUT_DEV_FAILED] = "failed",
	[ROLLOUT_DEV_ROLLED_BACK] = "rolled_back",
	[ROLLOUT_DEV_TIMED_OUT] = "timed_out",
	[ROLLOUT_DEV_SUPERSEDED] = "superseded",
};

static const char *const event_names[ROLLOUT_EVENTS] = {
	[ROLLOUT_EV_OFFER] = "offer",
	[ROLLOUT_EV_DOWNLOADING] = "downloading",
	[ROLLOUT_EV_INSTALLED] = "installed",
	[ROLLOUT_EV_CONFIRMED] = "confirmed",
	[ROLLOUT_EV_FAILED] = "failed",
	[ROLLOUT_EV_ROLLED_BACK] = "rolled_back",
	[ROLLOUT_EV_FALLBACK] = "fallback",
	[ROLLOUT_EV_UNHEALTHY] = "unhealthy",
	[ROLLOUT_EV_TIMEOUT] = "timeout",
	[ROLLOUT_EV_BAKED] = "baked",
	[ROLLOUT_EV_NEWER] = "newer",
};

/* Also part of the REST API and the database. */
static const char *const reason_names[ROLLOUT_REASONS] = {
	[ROLLOUT_WHY_SELFTEST] = "selftest",
	[ROLLOUT_WHY_CRASH_ON_BOOT] = "crash_on_boot",
	[ROLLOUT_WHY_HASH] = "hash",
	[ROLLOUT_WHY_LENGTH] = "length",
	[ROLLOUT_WHY_SIGNATURE] = "signature",
	[ROLLOUT_WHY_EXPIRED] = "expired",
	[ROLLOUT_WHY_ROLLBACK] = "rollback",
	[ROLLOUT_WHY_INCOMPATIBLE] = "incompatible",
	[ROLLOUT_WHY_FREEZE] = "freeze",
	[ROLLOUT_WHY_DOWNLOAD] = "download",
	[ROLLOUT_WHY_SLOW_RETRIEVAL] = "slow_retrieval",
	[ROLLOUT_WHY_INSTALL] = "install",
	[ROLLOUT_WHY_TIMEOUT] = "timeout",
	[ROLLOUT_WHY_FALLBACK] = "fallback",
	[ROLLOUT_WHY_UNHEALTHY] = "unhealthy",
	[ROLLOUT_WHY_FLASH] = "flash",
	[ROLLOUT_WHY_OTHER] = "other",
};

const char *
rollout_device_state_name(enum rollout_device_state s)
{
	if ((unsigned)s >= ROLLOUT_DEV_STATES)
		return NULL;
	return state_names[s];
}

int
rollout_device_state_parse(const char *name, enum rollout_device_state *out)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < ROLLOUT_DEV_STATES; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum rollout_device_state)i;
			return 0;
		}
	}
	return -1;
}

const char *
rollout_device_event_name(enum rollout_device_event ev)
{
	if ((unsigned)ev >= ROLLOUT_EVENTS)
		return NULL;
	return event_names[ev];
}

int
rollout_device_event_parse(const char *name, enum rollout_device_event *out)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < ROLLOUT_EVENTS; i++) {
		if (strcmp(name, event_names[i]) == 0) {
			*out = (enum rollout_device_event)i;
			return 0;
		}
	}
	return -1;
}

int
rollout_state_is_failure(enum rollout_device_state s)
{
	return s == ROLLOUT_DEV_FAILED || s == ROLLOUT_DEV_ROLLED_BACK ||
	    s == ROLLOUT_DEV_TIMED_OUT;
}

int
rollout_state_is_in_flight(enum rollout_device_state s)
{
	return s == ROLLOUT_DEV_OFFERED || s == ROLLOUT_DEV_DOWNLOADING ||
	    s == ROLLOUT_DEV_INSTALLED || s == ROLLOUT_DEV_CONFIRMED;
}

enum rollout_offer_kind
rollout_offer_kind(enum rollout_device_state s, int attempts,
    const struct rollout_policy *p)
{
	if (attempts < 0)
		return ROLLOUT_OFFER_NONE;
	switch (s) {
	case ROLLOUT_DEV_PENDING:
		return attempts < p->max_attempts ? ROLLOUT_OFFER_FIRST :
		    ROLLOUT_OFFER_NONE;
	case ROLLOUT_DEV_OFFERED:
	case ROLLOUT_DEV_DOWNLOADING:
		return ROLLOUT_OFFER_AGAIN;
	case ROLLOUT_DEV_FAILED:
	case ROLLOUT_DEV_ROLLED_BACK:
	case ROLLOUT_DEV_TIMED_OUT:
		return attempts < rollout_attempts_max(p) ?
		    ROLLOUT_OFFER_RETRY : ROLLOUT_OFFER_NONE;
	case ROLLOUT_DEV_INSTALLED:
	case ROLLOUT_DEV_CONFIRMED:
	case ROLLOUT_DEV_HEALTHY:
	case ROLLOUT_DEV_SUPERSEDED:
		break;
	}
	return ROLLOUT_OFFER_NONE;
}

/* 1 for the states a member leaves when it moves on to a newer version:
 * not offered yet, in flight, or timed out (our guess, which its own word
 * replaces). */
static int
leaves_for_newer(enum rollout_device_state s)
{
	return s == ROLLOUT_DEV_PENDING || rollout_state_is_in_flight(s) ||
	    s == ROLLOUT_DEV_TIMED_OUT;
}

/* Position of an in-flight state on the way to confirmed; 0 otherwise. */
static int
progress_level(enum rollout_device_state s)
{
	switch (s) {
	case ROLLOUT_DEV_OFFERED:
		return 1;
	case ROLLOUT_DEV_DOWNLOADING:
		return 2;
	case ROLLOUT_DEV_INSTALLED:
		return 3;
	case ROLLOUT_DEV_CONFIRMED:
		return 4;
	default:
		return 0;
	}
}

/* downloading/installed/confirmed: forward or the same, from in flight. */
static int
step_progress(enum rollout_device_state from, enum rollout_device_state target,
    enum rollout_device_state *to)
{
	int have = progress_level(from);

	if (have == 0 || have > progress_level(target))
		return -1;
	*to = target;
	return 0;
}

/* A failure event: sets *to to 'fail' from offered..healthy; in a failure
 * state the first cause stands unless 'device_word' replaces a timeout. */
static int
step_failure(enum rollout_device_state from, enum rollout_device_state fail,
    int device_word, enum rollout_device_state *to)
{
	if (progress_level(from) > 0 || from == ROLLOUT_DEV_HEALTHY) {
		*to = fail;
		return 0;
	}
	if (rollout_state_is_failure(from)) {
		*to = from == ROLLOUT_DEV_TIMED_OUT && device_word ? fail :
		    from;
		return 0;
	}
	return -1;
}

int
rollout_device_step(enum rollout_device_state from,
    enum rollout_device_event ev, int attempts,
    const struct rollout_policy *p, enum rollout_device_state *to)
{
	if ((unsigned)from >= ROLLOUT_DEV_STATES)
		return -1;
	switch (ev) {
	case ROLLOUT_EV_OFFER:
		switch (rollout_offer_kind(from, attempts, p)) {
		case ROLLOUT_OFFER_FIRST:
		case ROLLOUT_OFFER_RETRY:
			*to = ROLLOUT_DEV_OFFERED;
			return 0;
		case ROLLOUT_OFFER_AGAIN:
			/* The same offer: a download in progress stays one. */
			*to = from;
			return 0;
		case ROLLOUT_OFFER_NONE:
			break;
		}
		return -1;
	case ROLLOUT_EV_DOWNLOADING:
		return step_progress(from, ROLLOUT_DEV_DOWNLOADING, to);
	case ROLLOUT_EV_INSTALLED:
		return step_progress(from, ROLLOUT_DEV_INSTALLED, to);
	case ROLLOUT_EV_CONFIRMED:
		return step_progress(from, ROLLOUT_DEV_CONFIRMED, to);
	case ROLLOUT_EV_FAILED:
		return step_failure(from, ROLLOUT_DEV_FAILED, 1, to);
	case ROLLOUT_EV_ROLLED_BACK:
		return step_failure(from, ROLLOUT_DEV_ROLLED_BACK, 1, to);
	case ROLLOUT_EV_FALLBACK:
		/* Before an install the old version is expected. */
		if (from == ROLLOUT_DEV_OFFERED ||
		    from == ROLLOUT_DEV_DOWNLOADING)
			return -1;
		return step_failure(from, ROLLOUT_DEV_ROLLED_BACK, 0, to);
	case ROLLOUT_EV_UNHEALTHY:
		return step_failure(from, ROLLOUT_DEV_FAILED, 0, to);
	case ROLLOUT_EV_TIMEOUT:
		if (from == ROLLOUT_DEV_OFFERED ||
		    from == ROLLOUT_DEV_DOWNLOADING ||
		    from == ROLLOUT_DEV_INSTALLED) {
			*to = ROLLOUT_DEV_TIMED_OUT;
			return 0;
		}
		if (rollout_state_is_failure(from)) {
			*to = from;
			return 0;
		}
		return -1;
	case ROLLOUT_EV_BAKED:
		if (from == ROLLOUT_DEV_CONFIRMED ||
		    from == ROLLOUT_DEV_HEALTHY) {
			*to = ROLLOUT_DEV_HEALTHY;
			return 0;
		}
		return -1;
	case ROLLOUT_EV_NEWER:
		/* What a device proved (healthy, or a failure) stands. */
		*to = leaves_for_newer(from) ? ROLLOUT_DEV_SUPERSEDED : from;
		return 0;
	}
	return -1;
}

int
rollout_sighting(enum rollout_device_state s, const struct rollout_seen *w,
    enum rollout_device_event *ev)
{
	if ((unsigned)s >= ROLLOUT_DEV_STATES || w->on_release)
		return 0;
	if (w->newer) {
		if (!leaves_for_newer(s))
			return 0;
		*ev = ROLLOUT_EV_NEWER;
		return 1;
	}
	/* Installed but maybe not rebooted yet: only a later boot counts. */
	if ((s == ROLLOUT_DEV_INSTALLED && w->boot_known && !w->same_boot) ||
	    s == ROLLOUT_DEV_CONFIRMED || s == ROLLOUT_DEV_HEALTHY) {
		*ev = ROLLOUT_EV_FALLBACK;
		return 1;
	}
	return 0;
}

const char *
rollout_reason_name(enum rollout_reason r)
{
	if ((unsigned)r >= ROLLOUT_REASONS)
		return NULL;
	return reason_names[r];
}

enum rollout_reason
rollout_reason_class(const char *reported)
{
	if (reported == NULL)
		return ROLLOUT_WHY_OTHER;
	for (int i = 0; i < ROLLOUT_REASONS; i++)
		if (strcmp(reported, reason_names[i]) == 0)
			return (enum rollout_reason)i;
	return ROLLOUT_WHY_OTHER;
}

enum rollout_reason
rollout_health_reason(bool boot_ok, bool selftest_ok)
{
	if (!boot_ok)
		return ROLLOUT_WHY_CRASH_ON_BOOT;
	return selftest_ok ? ROLLOUT_WHY_UNHEALTHY : ROLLOUT_WHY_SELFTEST;
}

int
rollout_device_touches(enum rollout_device_state from,
    enum rollout_device_event ev, enum rollout_device_state to)
{
	if (from != to)
		return 1;
	/* A re-offer is not progress: a device that keeps polling without
	 * getting anywhere must still time out. */
	return ev == ROLLOUT_EV_DOWNLOADING && from == ROLLOUT_DEV_DOWNLOADING;
}

/* now - then in seconds, or -1 when then is in the future. */
static int64_t
elapsed(int64_t then, int64_t now)
{
	uint64_t d;

	if (now < then)
		return -1;
	d = (uint64_t)now - (uint64_t)then;
	return d > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)d;
}

int
rollout_device_timed_out(enum rollout_device_state s, int64_t last_change,
    int64_t now, const struct rollout_policy *p)
{
	if (s != ROLLOUT_DEV_OFFERED && s != ROLLOUT_DEV_DOWNLOADING &&
	    s != ROLLOUT_DEV_INSTALLED)
		return 0;
	return elapsed(last_change, now) >= p->report_timeout;
}

int
rollout_device_baked(enum rollout_device_state s, int64_t confirmed_at,
    int64_t now, const struct rollout_policy *p)
{
	if (s != ROLLOUT_DEV_CONFIRMED)
		return 0;
	return elapsed(confirmed_at, now) >= p->bake_time;
}
