/* Direct assignment: an operator offers one release to one device, once
 * src/rollout agrees the device would take it. */
#ifndef CORE_ASSIGN_H
#define CORE_ASSIGN_H

#include <stdint.h>

struct db_tx;

struct assign_direct {
	const char *device_id;
	int64_t release_id;
	const char *by;
	int64_t now;
	const char *why;	/* out with DB_INVALID: why the device would
				   refuse it (or that the release is unknown) */
};
/* Write job (arg: struct assign_direct): reads the device and release,
 * asks rollout_assign_refusal, and stores the offer. DB_OK, DB_NOTFOUND
 * (no device), DB_INVALID (why says it), DB_ERR. */
int assign_direct(struct db_tx *tx, void *arg);

#endif
