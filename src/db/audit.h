/* The audit trail: one row per state-changing management call, with who,
 * from where, what and how it ended; kept apart from device telemetry and
 * pruned by its own retention. */
#ifndef DB_AUDIT_H
#define DB_AUDIT_H

#include <stdint.h>

#include "db/db.h"

struct db_audit {
	int64_t id, at;
	char actor[65];
	char client[48];
	char request_id[65];
	char method[8];
	char path[256];
	char object_type[24];
	char object_id[129];
	char action[40];
	char note[256];
	int status;		/* the reply's HTTP status; 0: not recorded */
	char error[40];		/* the reply's error code, "" for none */
};

/* Inserts r (its id is ignored) and sets *id to the new row's. */
int db_audit_add(struct db_tx *tx, const struct db_audit *r, int64_t *id);
/* Records how call r->id ended: status, error, and the object id and
 * note a handler may have set after the change. DB_NOTFOUND if no row. */
int db_audit_finish(struct db_tx *tx, const struct db_audit *r);

/* NULL / 0 fields do not filter. Newest first: after is the id of the
 * last row of the previous page (0: from the newest). */
struct db_audit_filter {
	const char *actor, *object_type, *object_id;
	int64_t since, until;	/* at >= since, at < until */
	int64_t after, limit;
};
/* Calls fn for each matching row, newest first; DB_OK or DB_ERR. */
int db_audit_list(struct db *db, const struct db_audit_filter *f,
    void (*fn)(const struct db_audit *, void *), void *arg);
/* Deletes up to batch of the oldest rows older than before. */
int db_audit_prune(struct db_tx *tx, int64_t before, int batch,
    int64_t *deleted);

#endif
