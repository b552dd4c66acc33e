/* The messages between daemons and the thread that hears them. A message
 * is a word: "campaigns", "trust", "release N", "device N" or "devices". */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/changes.h"
#include "core/campaigns.h"
#include "core/changes.h"
#include "core/core.h"
#include "core/devcache.h"
#include "core/offers.h"
#include "core/trust.h"
#include "util/log.h"
#include "util/util.h"

/* How long one wait for a message lasts: the stop flag and the trust
 * root's periodic reload are looked at in between. */
#define WAIT_MS 1000

struct changes {
	struct db_listener *l;
	struct core *core;
	int reload_s;
	atomic_int stop;
	pthread_t thread;
};

int
changes_campaigns(struct db_tx *tx, struct campaigns *c)
{
	db_tx_after(tx, campaigns_changed, c);
	return db_tx_notify(tx, "campaigns");
}

int
changes_release(struct db_tx *tx, int64_t id)
{
	char msg[DB_CHANGE_MAX];

	snprintf(msg, sizeof(msg), "release %lld", (long long)id);
	return db_tx_notify(tx, msg);
}

int
changes_trust(struct db_tx *tx)
{
	return db_tx_notify(tx, "trust");
}

enum change_kind
changes_parse(const char *msg, int64_t *id)
{
	if (strcmp(msg, "campaigns") == 0)
		return CHANGE_CAMPAIGNS;
	if (strcmp(msg, "trust") == 0)
		return CHANGE_TRUST;
	if (strcmp(msg, "devices") == 0)
		return CHANGE_DEVICES;
	if (strncmp(msg, "release ", 8) == 0 &&
	    util_parse_int(msg + 8, 1, INT64_MAX, id) == 0)
		return CHANGE_RELEASE;
	if (strncmp(msg, "device ", 7) == 0 &&
	    util_parse_int(msg + 7, 1, INT64_MAX, id) == 0)
		return CHANGE_DEVICE;
	return CHANGE_UNKNOWN;
}

static void
reload_trust(struct changes *ch)
{
	char err[256];

	if (trust_reload(ch->core->trust, ch->core->db, err, sizeof(err)) < 0)
		log_err("trust: cannot reload the root from the store: %s", err);
}

/* Everything may have changed: after a gap in listening. */
static void
forget_all(struct changes *ch)
{
	campaigns_changed(ch->core->campaigns);
	offers_forget_all(ch->core->offers);
	devcache_forget_all(ch->core->devcache);
	reload_trust(ch);
}

static void
apply(struct changes *ch, const char *msg)
{
	int64_t id;

	switch (changes_parse(msg, &id)) {
	case CHANGE_CAMPAIGNS:
		campaigns_changed(ch->core->campaigns);
		break;
	case CHANGE_RELEASE:
		offers_forget(ch->core->offers, id);
		break;
	case CHANGE_TRUST:
		reload_trust(ch);
		break;
	case CHANGE_DEVICE:
		devcache_forget(ch->core->devcache, id);
		break;
	case CHANGE_DEVICES:
		devcache_forget_all(ch->core->devcache);
		break;
	case CHANGE_UNKNOWN:
		/* A newer daemon's word: the safe reading is "anything". */
		log_warn("changes: unknown message \"%s\"; reloading all", msg);
		forget_all(ch);
		break;
	}
}

/* A second between two tries to reconnect, in steps that see a stop. */
static void
nap(struct changes *ch)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	for (int i = 0; i < WAIT_MS / 100 && !atomic_load(&ch->stop); i++)
		nanosleep(&ts, NULL);
}

static void *
run(void *arg)
{
	struct changes *ch = arg;
	char msg[DB_CHANGE_MAX], err[256];
	int64_t last_trust = util_now();
	int down = 0;

	while (!atomic_load(&ch->stop)) {
		switch (db_listener_wait(ch->l, WAIT_MS, msg, sizeof(msg), err,
		    sizeof(err))) {
		case DB_HEARD_MESSAGE:
			apply(ch, msg);
			break;
		case DB_HEARD_GAP:
			log_info("changes: listening again; reloading all");
			down = 0;
			forget_all(ch);
			break;
		case DB_HEARD_DOWN:
			/* Deaf to others' revokes: tokens are read from the
			 * store until it hears again. */
			devcache_forget_all(ch->core->devcache);
			if (!down++)
				log_warn("changes: lost the connection that hears "
				    "other daemons (%s); their changes show within "
				    "reload_interval", err);
			nap(ch);
			break;
		case DB_HEARD_NOTHING:
			break;
		}
		if (util_now() - last_trust >= ch->reload_s) {
			last_trust = util_now();
			reload_trust(ch);
		}
	}
	return NULL;
}

struct changes *
changes_start(const char *where, struct core *core, int reload_s, char *err,
    size_t errlen)
{
	struct changes *ch = calloc(1, sizeof(*ch));

	if (ch == NULL) {
		util_fmt(err, errlen, "out of memory");
		return NULL;
	}
	ch->core = core;
	ch->reload_s = reload_s;
	if ((ch->l = db_listener_open(where, err, errlen)) == NULL) {
		free(ch);
		return NULL;
	}
	if (pthread_create(&ch->thread, NULL, run, ch) != 0) {
		util_fmt(err, errlen, "cannot start the listener thread");
		db_listener_close(ch->l);
		free(ch);
		return NULL;
	}
	return ch;
}

void
changes_stop(struct changes *ch)
{
	if (ch == NULL)
		return;
	atomic_store(&ch->stop, 1);
	pthread_join(ch->thread, NULL);
	db_listener_close(ch->l);
	free(ch);
}
