/* Admin API tokens: stored as SHA-256 hashes, never in clear. */
#ifndef DB_TOKENS_H
#define DB_TOKENS_H

#include <stdint.h>

#include "db/db.h"

#define DB_NAME_MAX 64

struct db_token {
	int64_t id;
	char name[DB_NAME_MAX + 1];
	char role[16];
	int64_t created_at;
	int64_t expires_at;	/* 0: never */
	int64_t last_used_at;	/* 0: never; written every few seconds */
};

struct db_token_add {
	const char *name, *role;
	const uint8_t *hash;	/* 32 bytes */
	int64_t now;
	int64_t expires_at;	/* 0: never */
};
/* Inserts a token (a write job). DB_CONFLICT if the name or hash exists. */
int db_token_add(struct db_tx *tx, void *arg /* struct db_token_add */);
/* Deletes the token named arg (a char *); DB_NOTFOUND if none. */
int db_token_revoke(struct db_tx *tx, void *arg);
/* Finds the token with this hash; DB_OK, DB_NOTFOUND or DB_ERR. The hash
 * found is compared again in constant time. */
int db_token_find(struct db *db, const uint8_t hash[32], struct db_token *out);
/* Calls fn for each token in name order; DB_OK or DB_ERR. */
int db_token_list(struct db *db, void (*fn)(const struct db_token *, void *),
    void *arg);
/* Moves token id's last use forward to at (never back); a missing token
 * (revoked meanwhile) is no error. For the coalesced flush. */
int db_token_used(struct db_tx *tx, int64_t id, int64_t at);
/* Number of tokens with role "admin". */
int db_token_count_admin(struct db *db, int64_t *out);

#endif
