/* Direct assignment on the writer: the store's facts, the rollout's rule
 * (the one the poll offers by), then the offer. */
#include <string.h>

#include "core/assign.h"
#include "core/members.h"
#include "db/releases.h"
#include "rollout/rollout.h"

int
assign_direct(struct db_tx *tx, void *arg)
{
	struct assign_direct *a = arg;
	struct db_offer_facts f;
	struct rollout_assign_seen w;
	struct db_offer_set put = { a->device_id, a->release_id, a->by, a->now };
	int rc = db_offer_facts_tx(tx, a->device_id, a->release_id, a->now, &f);

	if (rc == DB_INVALID)
		a->why = "no such release";
	if (rc != DB_OK)
		return rc;
	w.fits = f.fits;
	w.revoked = f.revoked;
	w.expired = f.expired;
	w.on_release = strcmp(f.device_fw, f.release_fw) == 0;
	w.newer = !w.on_release && members_is_newer(f.device_fw, f.release_fw);
	if ((a->why = rollout_assign_refusal(&w)) != NULL)
		return DB_INVALID;
	return db_offer_set(tx, &put);
}
