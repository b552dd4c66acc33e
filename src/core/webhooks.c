/* The webhook sender thread: due outbox rows are POSTed in order, each
 * with its event id, a timestamp and an HMAC-SHA-256 over both; the
 * attempt's result is a write job. Delivery is at least once: an answer
 * lost before its record is written sends the event again (same id). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/hclient.h"
#include "core/leader.h"
#include "core/metrics.h"
#include "core/webhooks.h"
#include "db/webhooks.h"
#include "rollout/rollout.h"
#include "sign/crypto.h"
#include "util/log.h"
#include "util/util.h"

#define BATCH 16

struct webhooks {
	struct db *db;
	const struct leader *leader;
	char *urls[WEBHOOKS_URLS_MAX];
	int nurls;
	uint8_t secret[WEBHOOKS_SECRET_MAX];
	size_t secret_len;
	int max_tries, timeout;
	int64_t backoff, backoff_max;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_int stop;		/* also read by hc_post's progress */
	/* the batch in hand (the thread's only) */
	struct db_outbox_row *rows;
	int nrows;
};

void
webhooks_sign(const uint8_t *secret, size_t slen, const char *timestamp,
    const char *body, char out[65])
{
	size_t tl = strlen(timestamp), bl = strlen(body);
	uint8_t mac[SIGN_SHA256_LEN];
	char *msg = malloc(tl + 1 + bl);

	if (msg == NULL) {
		out[0] = '\0';
		return;
	}
	memcpy(msg, timestamp, tl);
	msg[tl] = '.';
	memcpy(msg + tl + 1, body, bl);
	sign_hmac_sha256(secret, slen, msg, tl + 1 + bl, mac);
	sign_hex(mac, sizeof(mac), out);
	free(msg);
}

static void
collect(const struct db_outbox_row *r, void *arg)
{
	struct webhooks *w = arg;

	if (w->nrows < BATCH)
		w->rows[w->nrows++] = *r;
}

/* One attempt at r; 1 if it got an answer (the endpoint is up). */
static int
deliver(struct webhooks *w, const struct db_outbox_row *r)
{
	char ts[24], sig[65], h_id[96], h_ts[48], h_sig[96], h_kind[80];
	char err[256] = "", why[300];
	const char *hdrs[] = { "Content-Type: application/json", h_id, h_ts,
	    h_sig, h_kind, "Expect:", NULL };
	int64_t now = util_now(), next;
	int attempt = r->attempts + 1, verdict, sent;
	enum hc_result hr = HC_ERROR;
	long status = 0;

	if (r->body[0] == '\0') {
		snprintf(err, sizeof(err), "the body is over %d bytes",
		    DB_OUTBOX_BODY_MAX);
		attempt = w->max_tries;
	} else {
		snprintf(ts, sizeof(ts), "%lld", (long long)now);
		webhooks_sign(w->secret, w->secret_len, ts, r->body, sig);
		snprintf(h_id, sizeof(h_id), "X-Otad-Event-Id: %s", r->event_id);
		snprintf(h_ts, sizeof(h_ts), "X-Otad-Timestamp: %s", ts);
		snprintf(h_sig, sizeof(h_sig), "X-Otad-Signature: sha256=%s", sig);
		snprintf(h_kind, sizeof(h_kind), "X-Otad-Event: %s", r->kind);
		hr = hc_post(w->urls[r->endpoint - 1], hdrs, r->body,
		    strlen(r->body), w->timeout,
		    &w->stop, &status, err, sizeof(err));
		if (hr == HC_CANCELLED)
			return 0;	/* stopping: still due, not an attempt */
	}
	sent = hr == HC_OK;
	verdict = rollout_webhook_verdict(attempt, w->max_tries, (int)status,
	    sent);
	if (sent)
		snprintf(why, sizeof(why), "HTTP status %ld", status);
	else if (r->body[0] != '\0')
		snprintf(why, sizeof(why), "%s: %s", hc_result_name(hr), err);
	else
		snprintf(why, sizeof(why), "%s", err);
	next = now + rollout_webhook_backoff(attempt, w->backoff,
	    w->backoff_max);
	if (verdict == ROLLOUT_HOOK_DELIVERED)
		metrics_add(M_WEBHOOK_DELIVERED, 1);
	else {
		metrics_add(M_WEBHOOK_FAILED, 1);
		if (verdict == ROLLOUT_HOOK_DEAD) {
			metrics_add(M_WEBHOOK_DEAD, 1);
			log_warn("webhook %s (%s): given up after %d attempts: %s",
			    r->event_id, r->kind, attempt, why);
		} else
			log_info("webhook %s (%s): attempt %d failed (%s); again "
			    "in %lld s", r->event_id, r->kind, attempt, why,
			    (long long)(next - now));
	}
	if (db_outbox_result(w->db, r->id, verdict == ROLLOUT_HOOK_DELIVERED,
	    verdict == ROLLOUT_HOOK_DEAD, next, verdict ==
	    ROLLOUT_HOOK_DELIVERED ? NULL : why, now) == DB_ERR)
		log_err("webhook %s: cannot record the attempt; it will be "
		    "sent again", r->event_id);
	return sent;
}

static void *
run(void *arg)
{
	struct webhooks *w = arg;
	struct timespec ts;

	while (!atomic_load(&w->stop)) {
		int down[WEBHOOKS_URLS_MAX] = { 0 };

		w->nrows = 0;
		if (leader_is(w->leader) &&
		    db_outbox_due(w->db, util_now(), BATCH, collect, w) != DB_OK)
			w->nrows = 0;
		for (int i = 0; i < w->nrows && !atomic_load(&w->stop); i++) {
			int e = w->rows[i].endpoint;

			/* Only enabled endpoints' rows come (1..nurls). No
			 * answer: that endpoint is down; its other rows wait
			 * for the next round rather than all timing out now,
			 * and the other endpoints' go on. */
			if (e < 1 || e > w->nurls || down[e - 1])
				continue;
			if (!deliver(w, &w->rows[i]))
				down[e - 1] = 1;
		}
		if (w->nrows == BATCH)
			continue;
		pthread_mutex_lock(&w->mu);
		util_deadline(&ts, 1000);
		if (!atomic_load(&w->stop))
			pthread_cond_timedwait(&w->cv, &w->mu, &ts);
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

struct webhooks *
webhooks_start(struct db *db, const struct webhooks_cfg *cfg)
{
	struct webhooks *w;

	if (db_webhook_endpoint_set(db, cfg->urls, cfg->nurls) != DB_OK) {
		log_err("webhooks: cannot record the endpoints");
		return NULL;
	}
	if (cfg->nurls == 0)
		return NULL;
	if (cfg->secret_len < 1 || cfg->secret_len > WEBHOOKS_SECRET_MAX ||
	    (w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->db = db;
	w->leader = cfg->leader;
	w->nurls = cfg->nurls;
	for (int i = 0; i < cfg->nurls; i++)
		if ((w->urls[i] = strdup(cfg->urls[i])) == NULL)
			w->nurls = -1;
	w->rows = calloc(BATCH, sizeof(*w->rows));
	memcpy(w->secret, cfg->secret, cfg->secret_len);
	w->secret_len = cfg->secret_len;
	w->max_tries = cfg->max_tries;
	w->timeout = cfg->timeout;
	w->backoff = cfg->backoff;
	w->backoff_max = cfg->backoff_max;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (w->nurls < 0 || w->rows == NULL || hc_init() != 0 ||
	    pthread_create(&w->thread, NULL, run, w) != 0) {
		log_err("webhooks: cannot start the sender");
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		for (int i = 0; i < WEBHOOKS_URLS_MAX; i++)
			free(w->urls[i]);
		free(w->rows);
		sign_wipe(w->secret, sizeof(w->secret));
		free(w);
		return NULL;
	}
	return w;
}

void
webhooks_stop(struct webhooks *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	atomic_store(&w->stop, 1);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	hc_cleanup();
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	sign_wipe(w->secret, sizeof(w->secret));
	for (int i = 0; i < WEBHOOKS_URLS_MAX; i++)
		free(w->urls[i]);
	free(w->rows);
	free(w);
}

int
webhooks_prune(struct db_tx *tx, void *arg)
{
	const struct core *c = arg;
	int64_t gone;

	return db_outbox_prune(tx, util_now() - c->pol.event_retention, 500,
	    &gone);
}
