/* Telling the other daemons on one PostgreSQL database what changed, so
 * that they drop what they hold in memory at once rather than at their
 * next periodic reload: a write job names the change with db_tx_notify,
 * and PostgreSQL delivers it, on commit only, to every daemon's listener
 * (LISTEN/NOTIFY). On SQLite, one daemon per file, there is nobody to
 * tell: db_tx_notify does nothing and there is no listener. */
#ifndef DB_CHANGES_H
#define DB_CHANGES_H

#include <stddef.h>

#include "db/db.h"

/* The longest message, NUL included. */
#define DB_CHANGE_MAX 64

/* Inside a job: once its batch commits, every listener of the database
 * hears what (printable, under DB_CHANGE_MAX bytes); a job rolled back
 * sends nothing. Messages alike in one batch arrive once. DB_OK, or
 * DB_ERR: the store's error (reported through the error hook), or what
 * of DB_CHANGE_MAX bytes or more (not reported: the senders' messages
 * are short constant words). */
int db_tx_notify(struct db_tx *tx, const char *what);

/* Inside a job that changed what db_device_by_token reads of device id
 * (0: of any number of devices): lists it for the store's device hook
 * (db_on_device_change) and tells the other daemons, "device N" for the
 * first DB_DEVICE_TOLD of a batch and then "devices" once. DB_OK, or
 * DB_ERR (the store's error, reported). Every write of those columns
 * calls it: a token cache would otherwise keep serving a revoked token. */
#define DB_DEVICE_TOLD 16
int db_tx_device_changed(struct db_tx *tx, int64_t id);

struct db_listener;

/* A listener on a connection of its own to the PostgreSQL database at
 * where; NULL with err filled (the URL's password never in it), also
 * for a SQLite store. */
struct db_listener *db_listener_open(const char *where, char *err,
    size_t errlen);
void db_listener_close(struct db_listener *l);	/* NULL ok */

/* What db_listener_wait heard. */
enum db_heard {
	DB_HEARD_DOWN = -1,	/* the connection is lost; cause in err */
	DB_HEARD_NOTHING = 0,	/* timeout_ms passed */
	DB_HEARD_MESSAGE = 1,	/* one message, in what */
	/* Listening again after a lost connection: what was sent in between
	 * is lost, so the caller takes everything as changed. */
	DB_HEARD_GAP = 2,
};

/* Waits up to timeout_ms for the next message; from one thread at a
 * time. After DB_HEARD_DOWN the next call reconnects (returning at once,
 * DB_HEARD_DOWN again while the server stays away), so a caller waits
 * between calls then. */
enum db_heard db_listener_wait(struct db_listener *l, int timeout_ms,
    char *what, size_t len, char *err, size_t errlen);

#endif
