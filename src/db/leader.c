/* Fleet leadership through pg_try_advisory_lock on a connection of its
 * own: the lock lives as long as that session, so a leader that dies or
 * loses its connection frees it at once for another daemon to take. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"
#include "db/leader.h"

struct db_leader {
	struct db_conn *c;	/* NULL on SQLite: always the leader */
};

/* Ours if this session holds the lock granted. A 64-bit key is stored
 * as classid (high half), objid (low half) and objsubid 1. */
static const char sql_held[] =
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
    "AND pid = pg_backend_pid() AND granted AND classid = 0 "
    "AND objid = $1 AND objsubid = 1";
static const char sql_take[] = "SELECT pg_try_advisory_lock($1)";

struct db_leader *
db_leader_open(const char *where, char *err, size_t errlen)
{
	struct db_leader *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!db_is_pg(where))
		return l;
	l->c = db_conn_open(where, 0, err, errlen);
	if (l->c == NULL) {
		free(l);
		return NULL;
	}
	return l;
}

void
db_leader_close(struct db_leader *l)
{
	if (l == NULL)
		return;
	if (l->c != NULL)
		db_conn_close(l->c);
	free(l);
}

/* The one integer of sql's first row with the key bound, or -1. */
static int64_t
ask(struct db_leader *l, const char *sql)
{
	struct db_st *st = db_stmt(l->c, sql);
	int64_t v;

	if (st == NULL || db_bind_i64(st, 1, DB_LEADER_KEY) != 0 ||
	    db_row(l->c, st, "leader") != DB_OK)
		return -1;
	v = db_col_i64(st, 0);
	db_st_reset(st);
	return v;
}

int
db_leader_poll(struct db_leader *l, char *err, size_t errlen)
{
	int64_t v;

	if (errlen > 0)
		err[0] = '\0';
	if (l->c == NULL)
		return 1;
	if (db_conn_check(l->c) != 0)
		goto down;
	if ((v = ask(l, sql_held)) > 0)
		return 1;
	if (v == 0 && (v = ask(l, sql_take)) >= 0)
		return v > 0;
down:
	snprintf(err, errlen, "%s", db_errmsg(l->c));
	return 0;
}
