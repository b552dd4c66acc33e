/* The webhook outbox's rows (sql/010_webhooks.sql). */
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"
#include "db/webhooks.h"

struct endpoint_job {
	const char *const *urls;
	int n;
};

static int
endpoint_tx(struct db_tx *tx, void *arg)
{
	static const char off[] = "UPDATE webhook_endpoints SET enabled = 0 "
	    "WHERE id > $1";
	static const char on[] = "INSERT INTO webhook_endpoints (id, url, "
	    "enabled) VALUES ($1, $2, 1) ON CONFLICT (id) DO UPDATE SET "
	    "url = excluded.url, enabled = 1";
	const struct endpoint_job *j = arg;
	struct db_st *st;
	int rc;

	for (int i = 0; i < j->n; i++) {
		if ((st = db_stmt(tx->c, on)) == NULL)
			return DB_ERR;
		db_bind_int(st, 1, i + 1);
		db_bind_text(st, 2, j->urls[i]);
		if ((rc = db_step_done(tx->c, st, "webhook endpoint")) != DB_OK)
			return rc;
	}
	if ((st = db_stmt(tx->c, off)) == NULL)
		return DB_ERR;
	db_bind_int(st, 1, j->n);
	return db_step_done(tx->c, st, "webhook endpoints off");
}

int
db_webhook_endpoint_set(struct db *db, const char *const *urls, int n)
{
	struct endpoint_job j = { urls, n };

	if (n < 0 || n > DB_WEBHOOK_ENDPOINTS_MAX)
		return DB_ERR;
	return db_write(db, endpoint_tx, &j);
}

struct due_ctx {
	void (*fn)(const struct db_outbox_row *, void *);
	void *arg;
	struct db_outbox_row row;
};

static int
due_one(struct db_st *st, void *arg)
{
	struct due_ctx *d = arg;
	struct db_outbox_row *r = &d->row;

	r->id = db_col_i64(st, 0);
	db_col_text(st, 1, r->event_id, sizeof(r->event_id));
	db_col_text(st, 2, r->kind, sizeof(r->kind));
	if (db_col_text(st, 3, r->body, sizeof(r->body)) != 0)
		r->body[0] = '\0';
	r->attempts = db_col_int(st, 4);
	r->created_at = db_col_i64(st, 5);
	r->endpoint = db_col_int(st, 6);
	d->fn(r, d->arg);
	return 0;
}

int
db_outbox_due(struct db *db, int64_t now, int limit,
    void (*fn)(const struct db_outbox_row *row, void *arg), void *arg)
{
	static const char sql[] = "SELECT o.id, o.event_id, o.kind, o.body, "
	    "o.attempts, o.created_at, o.endpoint FROM webhook_outbox o JOIN "
	    "webhook_endpoints e ON e.id = o.endpoint AND e.enabled = 1 "
	    "WHERE o.state = 'pending' AND o.next_at <= $1 ORDER BY o.next_at, "
	    "o.id LIMIT $2";
	/* The row holds a body of 8 KiB: not on the caller's stack. */
	struct due_ctx *d = malloc(sizeof(*d));
	struct db_conn *c;
	struct db_st *st;
	int rc = DB_ERR;

	if (d == NULL)
		return DB_ERR;
	if ((c = db_rd_get(db)) == NULL)
		goto out;
	d->fn = fn;
	d->arg = arg;
	if ((st = db_stmt(c, sql)) != NULL) {
		db_bind_i64(st, 1, now);
		db_bind_int(st, 2, limit);
		rc = db_rows(c, st, "outbox due", due_one, d);
	}
	db_rd_put(db, c);
out:
	free(d);
	return rc;
}

struct result_job {
	int64_t id, next_at, now;
	int delivered, dead;
	const char *error;
};

static int
result_tx(struct db_tx *tx, void *arg)
{
	static const char sql[] = "UPDATE webhook_outbox SET attempts = "
	    "attempts + 1, state = $1, next_at = $2, last_error = $3, done_at = $4 "
	    "WHERE id = $5 AND state = 'pending'";
	const struct result_job *j = arg;
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, j->delivered ? "delivered" : j->dead ? "dead" :
	    "pending");
	db_bind_i64(st, 2, j->next_at);
	db_bind_text(st, 3, j->error);
	if (j->delivered || j->dead)
		db_bind_i64(st, 4, j->now);
	else
		db_bind_null(st, 4);
	db_bind_i64(st, 5, j->id);
	return db_step_cas(tx->c, st, "outbox result") == DB_CONFLICT ?
	    DB_NOTFOUND : DB_OK;
}

int
db_outbox_result(struct db *db, int64_t id, int delivered, int dead,
    int64_t next_at, const char *error, int64_t now)
{
	struct result_job j = { id, next_at, now, delivered, dead, error };

	return db_write(db, result_tx, &j);
}

static int
count_one(struct db_st *st, void *arg)
{
	int64_t *out = arg;
	const char *s = db_col_str(st, 0);

	if (s != NULL && strcmp(s, "pending") == 0)
		out[0] = db_col_i64(st, 1);
	else if (s != NULL && strcmp(s, "dead") == 0)
		out[1] = db_col_i64(st, 1);
	return 0;
}

int
db_outbox_counts(struct db *db, int64_t *pending, int64_t *dead)
{
	static const char sql[] = "SELECT state, COUNT(*) FROM webhook_outbox "
	    "WHERE state IN ('pending', 'dead') GROUP BY state";
	struct db_conn *c = db_rd_get(db);
	int64_t n[2] = { 0, 0 };
	struct db_st *st;
	int rc;

	if (c == NULL)
		return DB_ERR;
	if ((st = db_stmt(c, sql)) == NULL) {
		db_rd_put(db, c);
		return DB_ERR;
	}
	rc = db_rows(c, st, "outbox counts", count_one, n);
	db_rd_put(db, c);
	*pending = n[0];
	*dead = n[1];
	return rc;
}

int
db_outbox_prune(struct db_tx *tx, int64_t before, int batch, int64_t *deleted)
{
	/* Among the oldest rows by id, the finished ones done before the
	 * cutoff go: a pass reads at most batch rows. */
	static const char sql[] = "DELETE FROM webhook_outbox WHERE id IN "
	    "(SELECT id FROM webhook_outbox ORDER BY id LIMIT $1) AND state <> "
	    "'pending' AND done_at < $2";

	return db_prune(tx, sql, batch, before, "outbox prune", deleted);
}
