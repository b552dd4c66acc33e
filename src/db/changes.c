/* LISTEN/NOTIFY on the channel otad_changes. NOTIFY is transactional in
 * PostgreSQL: a message sent inside the writer's batch is delivered when
 * (and only if) the batch commits, so no daemon drops its cache for a
 * change that never happened, nor reloads before the change is visible. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/changes.h"
#include "db/internal.h"

#define CHANNEL "otad_changes"

static const char sql_notify[] = "SELECT pg_notify('" CHANNEL "', $1)";
static const char sql_listen[] = "LISTEN " CHANNEL;

struct db_listener {
	struct db_conn *c;
	int down;		/* lost: the next wait reconnects */
};

int
db_tx_notify(struct db_tx *tx, const char *what)
{
	struct db_st *st;

	if (strlen(what) >= DB_CHANGE_MAX)
		return DB_ERR;
	if (!db_conn_is_pg(tx->c))
		return DB_OK;
	st = db_stmt(tx->c, sql_notify);
	if (st == NULL || db_bind_text(st, 1, what) != 0 ||
	    db_row(tx->c, st, "tell the other daemons") != DB_OK)
		return DB_ERR;
	db_st_reset(st);
	return DB_OK;
}

/* Past this many in one batch, the hook hears "any device". */
#define DEV_LIST_MAX 65536

static void
list_device(struct db_tx *tx, int64_t id)
{
	int64_t *grown;
	size_t cap;

	if (tx->dev_all)
		return;
	if (id == 0 || tx->ndev >= DEV_LIST_MAX) {
		tx->dev_all = 1;
		return;
	}
	if (tx->ndev == tx->capdev) {
		cap = tx->capdev ? tx->capdev * 2 : 64;
		if ((grown = realloc(tx->dev, cap * sizeof(*grown))) == NULL) {
			tx->dev_all = 1;
			return;
		}
		tx->dev = grown;
		tx->capdev = cap;
	}
	tx->dev[tx->ndev++] = id;
}

int
db_tx_device_changed(struct db_tx *tx, int64_t id)
{
	char msg[DB_CHANGE_MAX];

	list_device(tx, id);
	if (tx->dev_told > DB_DEVICE_TOLD)
		return DB_OK;	/* "devices" is on its way */
	if (id == 0 || tx->dev_told == DB_DEVICE_TOLD) {
		tx->dev_told = DB_DEVICE_TOLD + 1;
		return db_tx_notify(tx, "devices");
	}
	tx->dev_told++;
	snprintf(msg, sizeof(msg), "device %lld", (long long)id);
	return db_tx_notify(tx, msg);
}

struct db_listener *
db_listener_open(const char *where, char *err, size_t errlen)
{
	struct db_listener *l;

	if (!db_is_pg(where)) {
		snprintf(err, errlen, "only a PostgreSQL store has listeners");
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((l->c = db_conn_open(where, 0, err, errlen)) == NULL) {
		free(l);
		return NULL;
	}
	if (db_exec(l->c, sql_listen) != DB_OK) {
		snprintf(err, errlen, "LISTEN: %s", db_errmsg(l->c));
		db_listener_close(l);
		return NULL;
	}
	return l;
}

void
db_listener_close(struct db_listener *l)
{
	if (l == NULL)
		return;
	db_conn_close(l->c);
	free(l);
}

enum db_heard
db_listener_wait(struct db_listener *l, int timeout_ms, char *what,
    size_t len, char *err, size_t errlen)
{
	int r;

	if (errlen > 0)
		err[0] = '\0';
	if (l->down) {
		/* A new session listens to nothing until told again. */
		if (db_conn_check(l->c) != 0 || db_exec(l->c, sql_listen) != DB_OK)
			goto down;
		l->down = 0;
		return DB_HEARD_GAP;
	}
	r = db_conn_wait_notify(l->c, timeout_ms, what, len);
	if (r > 0)
		return DB_HEARD_MESSAGE;
	if (r == 0)
		return DB_HEARD_NOTHING;
	l->down = 1;
down:
	snprintf(err, errlen, "%s", db_errmsg(l->c));
	return DB_HEARD_DOWN;
}
