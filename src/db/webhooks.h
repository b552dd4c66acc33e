/* The webhook outbox (sql/010_webhooks.sql): the configured endpoint, the
 * deliveries due, and each attempt's result. The rows themselves are
 * written by triggers, in the transaction of the event that causes them. */
#ifndef DB_WEBHOOKS_H
#define DB_WEBHOOKS_H

#include <stdint.h>

#include "db/db.h"

#define DB_OUTBOX_BODY_MAX 8192

#define DB_WEBHOOK_ENDPOINTS_MAX 8

/* Makes endpoints 1..n the urls, enabled, and disables every other one
 * (n = 0: all): from then on each event queues once per enabled
 * endpoint. Rows already queued stay with their endpoint. A write job
 * (waits for its commit); DB_OK or DB_ERR. */
int db_webhook_endpoint_set(struct db *db, const char *const *urls, int n);

struct db_outbox_row {
	int64_t id;
	int endpoint;			/* 1..DB_WEBHOOK_ENDPOINTS_MAX */
	char event_id[64];
	char kind[48];
	char body[DB_OUTBOX_BODY_MAX];	/* a body over the cap is cut: "" */
	int attempts;
	int64_t created_at;
};

/* Calls fn on up to limit pending deliveries due at now, oldest first
 * (a reader). DB_OK or DB_ERR. row is only valid during the call. */
int db_outbox_due(struct db *db, int64_t now, int limit,
    void (*fn)(const struct db_outbox_row *row, void *arg), void *arg);
/* Records an attempt on delivery id: delivered, or failed with error
 * and, unless dead, due again at next_at. A write job; DB_OK, DB_NOTFOUND
 * (no pending delivery id) or DB_ERR. */
int db_outbox_result(struct db *db, int64_t id, int delivered, int dead,
    int64_t next_at, const char *error, int64_t now);
/* Write job step: deletes deliveries finished (delivered or dead) before
 * 'before', among the oldest batch rows; *deleted says how many. */
int db_outbox_prune(struct db_tx *tx, int64_t before, int batch,
    int64_t *deleted);
/* How many deliveries are pending and dead. DB_OK or DB_ERR. */
int db_outbox_counts(struct db *db, int64_t *pending, int64_t *dead);

#endif
