/* What one daemon tells the others on a shared PostgreSQL store, and
 * what it does when told: the live campaigns, a release's envelope (a
 * revoke) and the trust root are held in memory by every daemon, and a
 * change committed by one is applied by all within moments instead of
 * at their next periodic reload (reload_interval), which stays as the
 * fallback for a message lost with a connection. On SQLite the senders
 * only touch this daemon's caches and no listener runs. */
#ifndef CORE_CHANGES_H
#define CORE_CHANGES_H

#include <stddef.h>
#include <stdint.h>

struct core;
struct campaigns;
struct db_tx;
struct changes;

/* Inside a job, once its batch commits: the live campaigns changed
 * (this daemon's set is marked stale too). DB_OK or DB_ERR. */
int changes_campaigns(struct db_tx *tx, struct campaigns *c);
/* ... release id was revoked (or otherwise changed for offers). */
int changes_release(struct db_tx *tx, int64_t id);
/* ... a new trust root version was stored. */
int changes_trust(struct db_tx *tx);

/* Starts the listener thread of a PostgreSQL store at where (db_open's)
 * for core's caches, which also reloads the trust root every reload_s
 * seconds; NULL with err filled. Not for SQLite: nobody else writes.
 * Stop with changes_stop before freeing the caches. */
struct changes *changes_start(const char *where, struct core *core,
    int reload_s, char *err, size_t errlen);
void changes_stop(struct changes *ch);	/* NULL ok */

/* What a message asks of the caches: its kind, and the release's or the
 * device's id. */
enum change_kind { CHANGE_UNKNOWN, CHANGE_CAMPAIGNS, CHANGE_RELEASE,
	CHANGE_TRUST, CHANGE_DEVICE, CHANGE_DEVICES };
enum change_kind changes_parse(const char *msg, int64_t *id);

#endif
