/* Fleet leadership: of the daemons on one PostgreSQL database, the one
 * holding a session-level advisory lock on a connection of its own is
 * the leader and runs what must run once per fleet. On SQLite (one
 * daemon per file) the daemon always leads. */
#ifndef DB_LEADER_H
#define DB_LEADER_H

#include <stddef.h>

/* The advisory lock's key ("otad" in ASCII); the migrations' is another. */
#define DB_LEADER_KEY 1869898084LL

struct db_leader;

/* A leadership handle for the store at where (db_open's): on PostgreSQL
 * its own connection, made now, holding nothing yet; on SQLite one that
 * always leads. NULL with err filled (the URL's password never in it).
 * Free with db_leader_close, which lets the lock go. */
struct db_leader *db_leader_open(const char *where, char *err,
    size_t errlen);
void db_leader_close(struct db_leader *l);	/* NULL ok */
/* One look, from one thread at a time: 1 if l holds the lock after it
 * (held still, or taken now), 0 if another session holds it or the
 * connection is down (reconnected later: a new session holds nothing,
 * so leadership is only had again by taking the lock again). The cause
 * of a failed look is in err ("" when it simply is not ours). */
int db_leader_poll(struct db_leader *l, char *err, size_t errlen);

#endif
