/* Devices: identity, token hash, what they run, when they were seen. */
#ifndef DB_DEVICES_H
#define DB_DEVICES_H

#include <stdint.h>

#include "db/db.h"

#define DB_ID_MAX 64

/* What a device's token lookup yields: the device and its direct offer. */
struct db_device_auth {
	int64_t id;
	char device_id[DB_ID_MAX + 1];
	char hw_class[DB_ID_MAX + 1];
	char fw_version[DB_ID_MAX + 1];
	int64_t offer_release;		/* direct offer's release id, or 0 */
	char offer_state[16];		/* its state, "" when none */
};

/* Finds the device whose token hashes to hash (one indexed lookup, hash
 * compared again in constant time). DB_OK, DB_NOTFOUND or DB_ERR. */
int db_device_by_token(struct db *db, const uint8_t hash[32],
    struct db_device_auth *out);

#endif
