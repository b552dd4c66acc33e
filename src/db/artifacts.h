/* Artifacts: content-addressed files whose rows say they are complete. */
#ifndef DB_ARTIFACTS_H
#define DB_ARTIFACTS_H

#include <stdint.h>

#include "db/db.h"

struct db_artifact_put {
	const char *sha256;		/* lowercase hex */
	uint64_t size;
	const char *by;
	int64_t now;
	int created;			/* out: 1 if new, 0 if it existed */
};
/* Records a stored artifact (write job; idempotent). */
int db_artifact_put(struct db_tx *tx, void *arg);
/* The stored size of an artifact; DB_OK, DB_NOTFOUND or DB_ERR. */
int db_artifact_size(struct db *db, const char *sha256, uint64_t *size);

#endif
