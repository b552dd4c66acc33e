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
	    "WHERE release_id = ?1) AND d.fw_version <> (SELECT fw_version "
	    "FROM releases WHERE id = ?1) AND (?2 = 0 OR d.id IN (SELECT "
	    "device FROM cohort_devices WHERE cohort = ?2)) AND "
	    "d.decommissioned_at IS NULL AND NOT EXISTS (SELECT 1 FROM "
	    "campaign_devices m WHERE m.campaign = ?3 AND m.device = d.id)";
	sqlite3_stmt *st = db_stmt(tx->c, sql);
	int s, rc = DB_OK;

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, release);
	sqlite3_bind_int64(st, 2, cohort);
	sqlite3_bind_int64(st, 3, campaign);
	while (rc == DB_OK && (s = sqlite3_step(st)) == SQLITE_ROW)
		rc = fn(sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1), arg);
	sqlite3_reset(st);
	if (rc != DB_OK)
		return rc;
	if (s != SQLITE_DONE) {
		db_report(tx->c, "campaign newcomers");
		return DB_ERR;
	}
	return DB_OK;
}
