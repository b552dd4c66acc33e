/* Dynamic campaign membership: newly targeted devices, found by the gate. */
#include "db/internal.h"
#include "db/membership.h"

int
db_campaign_newcomers_tx(struct db_tx *tx, int64_t campaign,
    int64_t release, int64_t cohort, db_target_fn fn, void *arg)
{
	/* The targets of db/campaigns.c (TARGETS), less the members. */
	static const char sql[] = "SELECT d.id, d.device_id FROM devices d "
	    "WHERE d.hw_class IN (SELECT hw_class FROM release_hw_classes "
	    "WHERE release_id = $1) AND d.fw_version <> (SELECT fw_version "
	    "FROM releases WHERE id = $1) AND ($2 = 0 OR d.id IN (SELECT "
	    "device FROM cohort_devices WHERE cohort = $2)) AND "
	    "d.decommissioned_at IS NULL AND NOT EXISTS (SELECT 1 FROM "
	    "campaign_devices m WHERE m.campaign = $3 AND m.device = d.id)";
	struct db_st *st = db_stmt(tx->c, sql);
	int s, rc = DB_OK;

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, release);
	db_bind_i64(st, 2, cohort);
	db_bind_i64(st, 3, campaign);
	while (rc == DB_OK && (s = db_step(st)) == DB_STEP_ROW)
		rc = fn(db_col_i64(st, 0),
		    db_col_str(st, 1), arg);
	db_st_reset(st);
	if (rc != DB_OK)
		return rc;
	if (s != DB_STEP_DONE) {
		db_report(tx->c, "campaign newcomers");
		return DB_ERR;
	}
	return DB_OK;
}
