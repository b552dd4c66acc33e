/* Pure hawkBit DDI rules: feedback mapping, link decision, cancel
 * feedback, polling sleep and the history's detail (see ddi.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rollout/ddi.h"

static const char *const exec_names[ROLLOUT_DDI_EXECS] = {
	"proceeding", "resumed", "download", "downloaded", "scheduled",
	"rejected", "closed", "canceled",
};

static const char *const finished_names[ROLLOUT_DDI_FINISHED] = {
	"success", "failure", "none",
};

static const char *const end_names[ROLLOUT_DDI_ENDS] = {
	"open", "closed", "canceled",
};

static const char *const cancel_names[ROLLOUT_DDI_CANCEL_STATES] = {
	"none", "requested", "rejected",
};

static const char *const close_results[] = {
	[ROLLOUT_DDI_KEEP] = NULL,
	[ROLLOUT_DDI_END_SUPERSEDED] = "superseded",
	[ROLLOUT_DDI_END_TIMED_OUT] = "timed_out",
	[ROLLOUT_DDI_END_FAILURE] = "failure",
	[ROLLOUT_DDI_END_SUCCESS] = "success",
	[ROLLOUT_DDI_END_GONE] = "gone",
};

/* Index of name in the n lowercase names, ignoring case, or -1. No
 * locale is ever set, so strcasecmp compares ASCII letters only. */
static int
lookup(const char *name, const char *const *names, int n)
{
	for (int i = 0; name != NULL && i < n; i++)
		if (strcasecmp(name, names[i]) == 0)
			return i;
	return -1;
}

/* The index of name as *out: 0, or -1 (then *out is unchanged). */
static int
pick(const char *name, const char *const *names, int n, int *out)
{
	int i = lookup(name, names, n);

	if (i < 0)
		return -1;
	*out = i;
	return 0;
}

int
rollout_ddi_exec_parse(const char *name, enum rollout_ddi_exec *out)
{
	int i;

	if (pick(name, exec_names, ROLLOUT_DDI_EXECS, &i) != 0)
		return -1;
	*out = (enum rollout_ddi_exec)i;
	return 0;
}

int
rollout_ddi_end_parse(const char *name, enum rollout_ddi_end *out)
{
	int i;

	if (pick(name, end_names, ROLLOUT_DDI_ENDS, &i) != 0)
		return -1;
	*out = (enum rollout_ddi_end)i;
	return 0;
}

int
rollout_ddi_cancel_state_parse(const char *name,
    enum rollout_ddi_cancel_state *out)
{
	int i;

	if (pick(name, cancel_names, ROLLOUT_DDI_CANCEL_STATES, &i) != 0)
		return -1;
	*out = (enum rollout_ddi_cancel_state)i;
	return 0;
}

const char *
rollout_ddi_end_name(enum rollout_ddi_end e)
{
	return (unsigned)e < ROLLOUT_DDI_ENDS ? end_names[e] : NULL;
}

const char *
rollout_ddi_cancel_state_name(enum rollout_ddi_cancel_state c)
{
	return (unsigned)c < ROLLOUT_DDI_CANCEL_STATES ? cancel_names[c] : NULL;
}

int
rollout_ddi_finished_parse(const char *name, enum rollout_ddi_finished *out)
{
	int i;

	if (pick(name, finished_names, ROLLOUT_DDI_FINISHED, &i) != 0)
		return -1;
	*out = (enum rollout_ddi_finished)i;
	return 0;
}

const char *
rollout_ddi_exec_name(enum rollout_ddi_exec e)
{
	return (unsigned)e < ROLLOUT_DDI_EXECS ? exec_names[e] : NULL;
}

const char *
rollout_ddi_finished_name(enum rollout_ddi_finished f)
{
	return (unsigned)f < ROLLOUT_DDI_FINISHED ? finished_names[f] : NULL;
}

static bool
detail_is(const char *detail0, const char *what)
{
	return detail0 != NULL && strcmp(detail0, what) == 0;
}

static void
closed_feedback(enum rollout_ddi_finished f, const char *detail0,
    enum rollout_device_state offer, struct rollout_ddi_feedback *out)
{
	out->has_event = true;
	out->end = ROLLOUT_DDI_CLOSE;
	out->ask_config = true;
	out->success = f != ROLLOUT_DDI_FAILURE;
	if (out->success) {
		out->ev = ROLLOUT_EV_CONFIRMED;
		return;
	}
	out->has_reason = true;
	if (offer == ROLLOUT_DEV_INSTALLED ||
	    detail_is(detail0, ROLLOUT_DDI_UPDATE_FAILED)) {
		out->ev = ROLLOUT_EV_ROLLED_BACK;
		out->reason = ROLLOUT_WHY_ROLLBACK;
	} else {
		out->ev = ROLLOUT_EV_FAILED;
		out->reason = ROLLOUT_WHY_INSTALL;
	}
}

void
rollout_ddi_feedback(enum rollout_ddi_exec e, enum rollout_ddi_finished f,
    const char *detail0, enum rollout_device_state offer,
    struct rollout_ddi_feedback *out)
{
	memset(out, 0, sizeof(*out));
	out->end = ROLLOUT_DDI_OPEN;
	switch (e) {
	case ROLLOUT_DDI_PROCEEDING:
	case ROLLOUT_DDI_RESUMED:
	case ROLLOUT_DDI_DOWNLOAD:
	case ROLLOUT_DDI_DOWNLOADED:
		out->has_event = true;
		out->ev = e == ROLLOUT_DDI_PROCEEDING && f == ROLLOUT_DDI_NONE &&
		    detail_is(detail0, ROLLOUT_DDI_TESTING_PENDING) ?
		    ROLLOUT_EV_INSTALLED : ROLLOUT_EV_DOWNLOADING;
		break;
	case ROLLOUT_DDI_CLOSED:
		closed_feedback(f, detail0, offer, out);
		break;
	case ROLLOUT_DDI_CANCELED:
		out->end = ROLLOUT_DDI_CANCEL;
		break;
	default:	/* scheduled, rejected: history only */
		break;
	}
}

int
rollout_ddi_closing(enum rollout_ddi_exec e, enum rollout_ddi_finished f,
    char *buf, size_t size)
{
	const char *en = rollout_ddi_exec_name(e);
	const char *fn = rollout_ddi_finished_name(f);
	int n;

	if (en == NULL || fn == NULL)
		return -1;
	n = snprintf(buf, size, "%s/%s", en, fn);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Row 1: no action, or the one there was is ended. */
static enum rollout_ddi_link
link_for_offer(enum rollout_offer_kind o)
{
	return o == ROLLOUT_OFFER_NONE ? ROLLOUT_DDI_LINK_NONE :
	    ROLLOUT_DDI_LINK_NEW;
}

/* Row 6: how an action whose offer is over ends. */
static enum rollout_ddi_close
close_for_state(enum rollout_device_state s)
{
	if (s == ROLLOUT_DEV_FAILED || s == ROLLOUT_DEV_ROLLED_BACK)
		return ROLLOUT_DDI_END_FAILURE;
	if (s == ROLLOUT_DEV_CONFIRMED || s == ROLLOUT_DEV_HEALTHY)
		return ROLLOUT_DDI_END_SUCCESS;
	return ROLLOUT_DDI_END_GONE;
}

void
rollout_ddi_decide(const struct rollout_ddi_poll *p,
    struct rollout_ddi_decision *out)
{
	bool again = p->same_offer && p->offer == ROLLOUT_OFFER_AGAIN;

	out->close = ROLLOUT_DDI_KEEP;
	out->link = ROLLOUT_DDI_LINK_NONE;
	if (!p->has_action) {
		out->link = link_for_offer(p->offer);
		return;
	}
	/* A rejected cancel holds while the device may still close A. */
	if (p->cancel == ROLLOUT_DDI_CANCEL_REJECTED &&
	    (p->member == ROLLOUT_DEV_OFFERED ||
	    p->member == ROLLOUT_DEV_DOWNLOADING ||
	    p->member == ROLLOUT_DEV_INSTALLED))
		return;
	switch (p->member) {
	case ROLLOUT_DEV_INSTALLED:
		out->link = ROLLOUT_DDI_LINK_DEPLOY;
		return;
	case ROLLOUT_DEV_OFFERED:
	case ROLLOUT_DEV_DOWNLOADING:
		out->link = again && p->cancel == ROLLOUT_DDI_CANCEL_NONE ?
		    ROLLOUT_DDI_LINK_DEPLOY : ROLLOUT_DDI_LINK_CANCEL;
		return;
	case ROLLOUT_DEV_TIMED_OUT:
		out->close = p->same_offer && p->offer == ROLLOUT_OFFER_RETRY ?
		    ROLLOUT_DDI_END_SUPERSEDED : ROLLOUT_DDI_END_TIMED_OUT;
		break;
	default:
		out->close = close_for_state(p->member);
		break;
	}
	out->link = link_for_offer(p->offer);
}

const char *
rollout_ddi_close_result(enum rollout_ddi_close c)
{
	return (unsigned)c < sizeof(close_results) / sizeof(close_results[0]) ?
	    close_results[c] : NULL;
}

enum rollout_ddi_cancel_outcome
rollout_ddi_cancel_feedback(enum rollout_ddi_exec e,
    enum rollout_ddi_finished f)
{
	if (e == ROLLOUT_DDI_CANCELED ||
	    (e == ROLLOUT_DDI_CLOSED && f != ROLLOUT_DDI_FAILURE))
		return ROLLOUT_DDI_CANCEL_DONE;
	if (e == ROLLOUT_DDI_REJECTED || e == ROLLOUT_DDI_CLOSED)
		return ROLLOUT_DDI_CANCEL_REFUSED;
	return ROLLOUT_DDI_CANCEL_IGNORED;
}

void
rollout_ddi_sleep(int64_t seconds, char out[ROLLOUT_DDI_SLEEP_LEN])
{
	int s;

	if (seconds < ROLLOUT_DDI_SLEEP_MIN)
		seconds = ROLLOUT_DDI_SLEEP_MIN;
	if (seconds > ROLLOUT_DDI_SLEEP_MAX)
		seconds = ROLLOUT_DDI_SLEEP_MAX;
	s = (int)seconds;
	out[0] = (char)('0' + s / 36000);
	out[1] = (char)('0' + s / 3600 % 10);
	out[2] = ':';
	out[3] = (char)('0' + s / 600 % 6);
	out[4] = (char)('0' + s / 60 % 10);
	out[5] = ':';
	out[6] = (char)('0' + s % 60 / 10);
	out[7] = (char)('0' + s % 10);
	out[8] = '\0';
}

/* The length of s cut to max bytes, backed off to a UTF-8 lead byte. */
static size_t
cut_utf8(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

int
rollout_ddi_detail(const char *const *details, size_t n, size_t *len)
{
	int first = -1;

	for (size_t i = 0; i < n; i++) {
		if (details[i] == NULL)
			continue;
		if (first < 0)
			first = (int)i;
		if (strncmp(details[i], "ERROR", 5) == 0) {
			first = (int)i;
			break;
		}
	}
	if (first >= 0)
		*len = cut_utf8(details[first], ROLLOUT_DDI_DETAIL_MAX);
	return first;
}
