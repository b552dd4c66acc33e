/* Root metadata versions as uploaded, served to devices walking the chain. */
#ifndef DB_TRUST_H
#define DB_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

struct db_root_put {
	int64_t version, expires, now;
	const uint8_t *body;
	size_t len;
	const char *by;
};
/* Stores one root version (write job); DB_CONFLICT if it exists or is not
 * the next one. */
int db_root_put(struct db_tx *tx, void *arg);
/* The newest root's version (0 when none) and bytes (malloc'd, caller
 * frees; NULL when none). */
int db_root_latest(struct db *db, int64_t *version, uint8_t **body,
    size_t *len);
/* Root version N's bytes (malloc'd, caller frees); DB_NOTFOUND if none. */
int db_root_get(struct db *db, int64_t version, uint8_t **body, size_t *len);

#endif
