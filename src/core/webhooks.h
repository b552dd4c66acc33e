/* The webhook sender: a thread that delivers the outbox's due events
 * (sql/010_webhooks.sql) to the configured endpoints, signed, and records
 * every attempt; retries with backoff, dead letters after max_tries. */
#ifndef CORE_WEBHOOKS_H
#define CORE_WEBHOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

#define WEBHOOKS_SECRET_MAX 1024

#define WEBHOOKS_URLS_MAX 8	/* = DB_WEBHOOK_ENDPOINTS_MAX */

struct leader;

struct webhooks_cfg {
	const char *urls[WEBHOOKS_URLS_MAX];	/* endpoint i + 1 */
	int nurls;				/* 0: no webhooks */
	const uint8_t *secret;		/* copied */
	size_t secret_len;		/* 1..WEBHOOKS_SECRET_MAX */
	int max_tries;
	int64_t backoff, backoff_max;	/* seconds */
	int timeout;			/* seconds per attempt */
	/* Rows are sent only while this daemon leads (NULL: always), so
	 * that of several daemons one sends each event. */
	const struct leader *leader;
};

struct webhooks;

/* Makes the configured endpoints the outbox's (db_webhook_endpoint_set)
 * and starts the sender; NULL on failure (logged). With no urls,
 * disables the endpoints and returns NULL without a thread (not an
 * error: check nurls). Every endpoint gets every event, signed with the
 * one secret. */
struct webhooks *webhooks_start(struct db *db, const struct webhooks_cfg *cfg);
/* Stops the sender: a delivery in progress is cancelled (it stays due
 * and goes out after the next start), the thread joined, w freed.
 * NULL is a no-op. Before db_close. */
void webhooks_stop(struct webhooks *w);
/* Periodic write job (arg: the struct core): deliveries finished more
 * than event_retention ago leave the outbox, 500 at a time, so it holds
 * what is pending and the recent past, not every event ever sent. */
int webhooks_prune(struct db_tx *tx, void *arg);
/* The signature of a delivery: hex HMAC-SHA-256 under secret of
 * "TIMESTAMP.BODY" into out (65 bytes). */
void webhooks_sign(const uint8_t *secret, size_t slen, const char *timestamp,
    const char *body, char out[65]);

#endif
