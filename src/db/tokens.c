/* Admin API tokens: stored as SHA-256 hashes, never in clear. */
#include <string.h>

#include "db/internal.h"
#include "db/tokens.h"
#include "sign/crypto.h"

int
db_token_add(struct db_tx *tx, void *arg)
{
	static const char sql[] = "INSERT INTO tokens (name, role, hash, "
	    "created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
	struct db_token_add *a = arg;
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, a->name);
	db_bind_text(st, 2, a->role);
	db_bind_blob(st, 3, a->hash, 32);
	db_bind_i64(st, 4, a->now);
	db_bind_i64(st, 5, a->expires_at);
	return db_step_done(tx->c, st, "token add");
}

int
db_token_used(struct db_tx *tx, int64_t id, int64_t at)
{
	static const char sql[] = "UPDATE tokens SET last_used_at = $2 "
	    "WHERE id = $1 AND last_used_at < $2";
	struct db_st *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, id);
	db_bind_i64(st, 2, at);
	return db_step_done(tx->c, st, "token used");
}

int
db_token_revoke(struct db_tx *tx, void *arg)
{
	static const char sql[] = "DELETE FROM tokens WHERE name = $1";
	struct db_st *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, arg);
	rc = db_step_done(tx->c, st, "token revoke");
	if (rc == DB_OK && db_changes(tx->c) == 0)
		return DB_NOTFOUND;
	return rc;
}

static void
row_to_token(struct db_st *st, struct db_token *t)
{
	t->id = db_col_i64(st, 0);
	db_col_text(st, 1, t->name, sizeof(t->name));
	db_col_text(st, 2, t->role, sizeof(t->role));
	t->created_at = db_col_i64(st, 3);
	t->expires_at = db_col_i64(st, 4);
	t->last_used_at = db_col_i64(st, 5);
}

int
db_token_find(struct db *db, const uint8_t hash[32], struct db_token *out)
{
	static const char sql[] = "SELECT id, name, role, created_at, "
	    "expires_at, last_used_at, hash FROM tokens WHERE hash = $1";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	int rc = DB_ERR;

	if (st != NULL) {
		db_bind_blob(st, 1, hash, 32);
		rc = db_row(c, st, "token find");
	}
	/* Found by index; compared again without a timing leak. */
	if (rc == DB_OK && (db_col_bytes(st, 6) != 32 ||
	    !sign_memeq(db_col_blob(st, 6), hash, 32)))
		rc = DB_NOTFOUND;
	if (rc == DB_OK)
		row_to_token(st, out);
	db_rd_put(db, c);
	return rc;
}

struct each_token {
	void (*fn)(const struct db_token *, void *);
	void *arg;
};

static int
token_row(struct db_st *st, void *arg)
{
	struct each_token *e = arg;
	struct db_token t;

	row_to_token(st, &t);
	e->fn(&t, e->arg);
	return DB_OK;
}

int
db_token_list(struct db *db, void (*fn)(const struct db_token *, void *),
    void *arg)
{
	static const char sql[] = "SELECT id, name, role, created_at, "
	    "expires_at, last_used_at FROM tokens ORDER BY name";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	struct each_token e = { fn, arg };
	int rc = st ? db_rows(c, st, "token list", token_row, &e) : DB_ERR;

	db_rd_put(db, c);
	return rc;
}

int
db_token_count_admin(struct db *db, int64_t *out)
{
	static const char sql[] = "SELECT COUNT(*) FROM tokens "
	    "WHERE role = 'admin'";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	int rc = st ? db_row(c, st, "token count") : DB_ERR;

	if (rc == DB_OK)
		*out = db_col_i64(st, 0);
	db_rd_put(db, c);
	return rc;
}
