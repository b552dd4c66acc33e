/* The device token cache: what a device token's lookup found, kept in
 * memory so that a poll costs no store read. Every write of what the
 * lookup reads names the device (db_tx_device_changed); the store's hook
 * and the listener of other daemons' messages (core/changes) make this
 * cache forget it before the write is acknowledged. Unknown tokens are
 * never kept: a flood of made-up ones reads the store as before. */
#ifndef CORE_DEVCACHE_H
#define CORE_DEVCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "db/devices.h"

struct db;
struct devcache;

/* A cache of at most entries devices (rounded up to a multiple of its
 * 8 ways), its memory taken only as it fills, each read again from the
 * store after ttl_s seconds (in case a forget was lost); NULL when entries
 * is 0 or on allocation failure. Registers itself as db's device hook. */
struct devcache *devcache_new(struct db *db, size_t entries, int ttl_s);
/* After db_close (db's hook points here until then). NULL ok. */
void devcache_free(struct devcache *dc);

/* db_device_by_token, served from the cache when it holds hash (dc NULL:
 * always from the store). DB_OK, DB_NOTFOUND or DB_ERR. */
int devcache_by_token(struct devcache *dc, struct db *db,
    const uint8_t hash[32], struct db_device_auth *out);

/* Forgets device id (its entry and, as it costs nothing, those few that
 * share its stripe), or every device. */
void devcache_forget(struct devcache *dc, int64_t id);
void devcache_forget_all(struct devcache *dc);

/* The db_on_device_change hook: n ids, or n < 0 for every device. */
void devcache_changed(void *dc, const int64_t *ids, long n);

#endif
