/* Devices: identity, token hash, what they run, when they were seen. */
#include <string.h>

#include "db/devices.h"
#include "db/internal.h"
#include "sign/crypto.h"

int
db_device_by_token(struct db *db, const uint8_t hash[32],
    struct db_device_auth *out)
{
	static const char sql[] = "SELECT d.id, d.device_id, d.hw_class, "
	    "d.fw_version, d.token_hash, o.release_id, o.state "
	    "FROM devices d LEFT JOIN offers o ON o.device = d.id "
	    "WHERE d.token_hash = ?";
	struct db_conn *c = db_rd_get(db);
	sqlite3_stmt *st = db_stmt(c, sql);
	int rc = DB_ERR;

	if (st == NULL)
		goto out;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		rc = DB_NOTFOUND;
		if (sqlite3_column_bytes(st, 4) != 32 ||
		    !sign_memeq(sqlite3_column_blob(st, 4), hash, 32))
			break;
		out->id = sqlite3_column_int64(st, 0);
		db_col_text(st, 1, out->device_id, sizeof(out->device_id));
		db_col_text(st, 2, out->hw_class, sizeof(out->hw_class));
		db_col_text(st, 3, out->fw_version, sizeof(out->fw_version));
		out->offer_release = sqlite3_column_int64(st, 5);
		db_col_text(st, 6, out->offer_state, sizeof(out->offer_state));
		rc = DB_OK;
		break;
	case SQLITE_DONE:
		rc = DB_NOTFOUND;
		break;
	default:
		db_report(c, "device by token");
	}
out:
	db_rd_put(db, c);
	return rc;
}
