/* Dynamic campaign membership: the devices a campaign targets now that are
 * not yet its members. */
#ifndef DB_MEMBERSHIP_H
#define DB_MEMBERSHIP_H

#include <stdint.h>

#include "db/campaigns.h"

/* Calls fn on each device that campaign (of release, over cohort; 0: the
 * fleet) targets now, as a start would take it (db_campaign_targets), and
 * that is not its member; stops at fn's first nonzero return, which it
 * returns. In the writer's transaction: fn may add the member. */
int db_campaign_newcomers_tx(struct db_tx *tx, int64_t campaign,
    int64_t release, int64_t cohort, db_target_fn fn, void *arg);

#endif
