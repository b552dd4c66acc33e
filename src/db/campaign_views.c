/* A campaign's members page by page (GET /v1/campaigns/{id}/devices). */
#include "db/campaign_views.h"
#include "db/internal.h"

struct each_member {
	void (*fn)(const struct db_member_view *, void *);
	void *arg;
};

static int
member_row(struct db_st *st, void *arg)
{
	struct each_member *e = arg;
	struct db_member_view m = { 0 };
	char state[20];

	db_col_text(st, 0, m.device_id, sizeof(m.device_id));
	m.bucket = (uint32_t)db_col_i64(st, 1);
	db_col_text(st, 2, state, sizeof(state));
	if (rollout_device_state_parse(state, &m.state) != 0) {
		db_complain("member list: unknown member state");
		return DB_ERR;
	}
	m.attempts = db_col_int(st, 3);
	m.last_change = db_col_i64(st, 4);
	db_col_text(st, 5, m.reason, sizeof(m.reason));
	db_col_text(st, 6, m.fw_version, sizeof(m.fw_version));
	m.last_seen = db_col_i64(st, 7);
	e->fn(&m, e->arg);
	return DB_OK;
}

int
db_member_list(struct db *db, const struct db_member_filter *f,
    void (*fn)(const struct db_member_view *, void *), void *arg)
{
	static const char sql[] = "SELECT d.device_id, m.bucket, m.state, "
	    "m.attempts, COALESCE(m.last_change, 0), COALESCE(m.reason, ''), "
	    "d.fw_version, COALESCE(d.last_seen, 0) "
	    "FROM campaign_devices m JOIN devices d ON d.id = m.device "
	    "WHERE m.campaign = $1 AND m.bucket >= $2 AND m.bucket < $3 "
	    "AND (CAST($4 AS TEXT) IS NULL OR m.state = $4) "
	    "AND (CAST($5 AS TEXT) IS NULL OR d.device_id > $5) "
	    "ORDER BY d.device_id LIMIT $6";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	struct each_member e = { fn, arg };
	int rc = DB_ERR;

	if (st != NULL) {
		db_bind_i64(st, 1, f->campaign);
		db_bind_i64(st, 2, f->lo);
		db_bind_i64(st, 3, f->hi);
		db_bind_text(st, 4, f->any_state ? NULL :
		    rollout_device_state_name(f->state));
		db_bind_text(st, 5, f->after);
		db_bind_i64(st, 6, f->limit);
		rc = db_rows(c, st, "member list", member_row, &e);
	}
	db_rd_put(db, c);
	return rc;
}
