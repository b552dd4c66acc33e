/* Releases: signed manifests as uploaded, their hw classes, revocation;
 * and direct offers of a release to one device. */
#include <stdlib.h>
#include <string.h>

#include "db/changes.h"
#include "db/devices.h"
#include "db/internal.h"
#include "db/releases.h"

static int
check_artifact(struct db_tx *tx, struct db_release_add *a)
{
	static const char sql[] = "SELECT size FROM artifacts WHERE sha256 = $1";
	struct db_st *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, a->r->artifact_sha256);
	rc = db_row(tx->c, st, "release artifact");
	if (rc == DB_NOTFOUND) {
		a->why = "artifact_missing";
		return DB_INVALID;
	}
	if (rc == DB_OK && (uint64_t)db_col_i64(st, 0) !=
	    a->r->length) {
		a->why = "artifact_mismatch";
		return DB_INVALID;
	}
	return rc;
}

static int
find_existing(struct db_tx *tx, struct db_release_add *a)
{
	static const char sql[] = "SELECT id FROM releases "
	    "WHERE envelope_sha256 = $1";
	struct db_st *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, a->r->sha256);
	rc = db_row(tx->c, st, "release find");
	if (rc == DB_OK) {
		a->id = db_col_i64(st, 0);
		a->existed = 1;
	}
	return rc == DB_NOTFOUND ? DB_OK : rc;
}

int
db_release_add(struct db_tx *tx, void *arg)
{
	static const char ins[] = "INSERT INTO releases (envelope, "
	    "envelope_sha256, fw_version, security_counter, artifact_sha256, "
	    "length, expires, created, notes, uploaded_at, uploaded_by) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
	static const char hw[] = "INSERT INTO release_hw_classes (release_id, "
	    "hw_class, fw_version) VALUES ($1, $2, $3)";
	struct db_release_add *a = arg;
	const struct db_release *r = a->r;
	struct db_st *st;
	int rc;

	if ((rc = find_existing(tx, a)) != DB_OK || a->existed)
		return rc;
	if ((rc = check_artifact(tx, a)) != DB_OK)
		return rc;
	if ((st = db_stmt(tx->c, ins)) == NULL)
		return DB_ERR;
	db_bind_blob(st, 1, a->envelope, a->len);
	db_bind_text(st, 2, r->sha256);
	db_bind_text(st, 3, r->fw_version);
	db_bind_i64(st, 4, r->security_counter);
	db_bind_text(st, 5, r->artifact_sha256);
	db_bind_i64(st, 6, (int64_t)r->length);
	db_bind_i64(st, 7, r->expires);
	db_bind_i64(st, 8, r->created);
	db_bind_text(st, 9, r->notes[0] ? r->notes : NULL);
	db_bind_i64(st, 10, r->uploaded_at);
	db_bind_text(st, 11, r->uploaded_by);
	if ((rc = db_step_id(tx->c, st, "release add", &a->id)) != DB_OK)
		return rc;
	for (int i = 0; i < r->nhw; i++) {
		if ((st = db_stmt(tx->c, hw)) == NULL)
			return DB_ERR;
		db_bind_i64(st, 1, a->id);
		db_bind_text(st, 2, r->hw_classes[i]);
		db_bind_text(st, 3, r->fw_version);
		rc = db_step_done(tx->c, st, "release hw class");
		if (rc == DB_CONFLICT) {
			a->why = "version_exists";
			memcpy(a->conflict_hw, r->hw_classes[i],
			    sizeof(a->conflict_hw));
		}
		if (rc != DB_OK)
			return rc;
	}
	return DB_OK;
}

int
db_release_revoke(struct db_tx *tx, void *arg)
{
	static const char upd[] = "UPDATE releases SET revoked_at = $1, "
	    "revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL";
	static const char exists[] = "SELECT 1 FROM releases WHERE id = $1";
	static const char drop[] = "DELETE FROM offers WHERE release_id = $1 "
	    "AND state IN ('offered', 'downloading')";
	struct db_release_revoke *r = arg;
	struct db_st *st = db_stmt(tx->c, exists);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, r->id);
	if ((rc = db_row(tx->c, st, "release revoke")) != DB_OK)
		return rc;
	if ((st = db_stmt(tx->c, upd)) == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, r->now);
	db_bind_text(st, 2, r->by);
	db_bind_i64(st, 3, r->id);
	if ((rc = db_step_done(tx->c, st, "release revoke")) != DB_OK)
		return rc;
	if ((st = db_stmt(tx->c, drop)) == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, r->id);
	if ((rc = db_step_done(tx->c, st, "release revoke offers")) != DB_OK)
		return rc;
	/* Its offers went from devices the store does not name here. */
	return db_changes(tx->c) > 0 ? db_tx_device_changed(tx, 0) : DB_OK;
}

int
db_release_state_tx(struct db_tx *tx, int64_t id, int64_t *revoked_at,
    int64_t *expires, char fw_version[65])
{
	static const char sql[] = "SELECT COALESCE(revoked_at, 0), expires, "
	    "fw_version FROM releases WHERE id = $1";
	struct db_st *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, id);
	if ((rc = db_row(tx->c, st, "release state")) != DB_OK)
		return rc;
	*revoked_at = db_col_i64(st, 0);
	*expires = db_col_i64(st, 1);
	db_col_text(st, 2, fw_version, 65);
	return DB_OK;
}

#define RELEASE_COLS "r.id, r.envelope_sha256, r.fw_version, " \
	"r.security_counter, r.artifact_sha256, r.length, r.expires, " \
	"r.created, r.uploaded_at, COALESCE(r.revoked_at, 0), r.uploaded_by, " \
	"r.revoked_by, r.notes"

static int
row_to_release(struct db_conn *c, struct db_st *st, struct db_release *r)
{
	static const char hw[] = "SELECT hw_class FROM release_hw_classes "
	    "WHERE release_id = $1 ORDER BY hw_class";
	struct db_st *h;
	int s;

	memset(r, 0, sizeof(*r));
	r->id = db_col_i64(st, 0);
	db_col_text(st, 1, r->sha256, sizeof(r->sha256));
	db_col_text(st, 2, r->fw_version, sizeof(r->fw_version));
	r->security_counter = db_col_i64(st, 3);
	db_col_text(st, 4, r->artifact_sha256, sizeof(r->artifact_sha256));
	r->length = (uint64_t)db_col_i64(st, 5);
	r->expires = db_col_i64(st, 6);
	r->created = db_col_i64(st, 7);
	r->uploaded_at = db_col_i64(st, 8);
	r->revoked_at = db_col_i64(st, 9);
	db_col_text(st, 10, r->uploaded_by, sizeof(r->uploaded_by));
	db_col_text(st, 11, r->revoked_by, sizeof(r->revoked_by));
	db_col_text(st, 12, r->notes, sizeof(r->notes));
	if ((h = db_stmt(c, hw)) == NULL)
		return DB_ERR;
	db_bind_i64(h, 1, r->id);
	while ((s = db_step(h)) == DB_STEP_ROW && r->nhw < DB_REL_HW_MAX)
		db_col_text(h, 0, r->hw_classes[r->nhw++], sizeof(r->hw_classes[0]));
	db_st_reset(h);
	return s == DB_STEP_ROW || s == DB_STEP_DONE ? DB_OK : DB_ERR;
}

int
db_release_get(struct db *db, int64_t id, struct db_release *out,
    uint8_t **envelope, size_t *len)
{
	static const char sql[] = "SELECT " RELEASE_COLS ", r.envelope "
	    "FROM releases r WHERE r.id = $1";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	int rc = DB_ERR, n;

	if (st != NULL) {
		db_bind_i64(st, 1, id);
		rc = db_row(c, st, "release get");
	}
	if (rc == DB_OK && envelope != NULL) {
		n = db_col_bytes(st, 13);
		*envelope = malloc((size_t)n + 1);
		if (*envelope == NULL) {
			rc = DB_ERR;
		} else {
			memcpy(*envelope, db_col_blob(st, 13), (size_t)n);
			(*envelope)[n] = '\0';
			*len = (size_t)n;
		}
	}
	/* The hw class lookup reuses the connection: read this row first. */
	if (rc == DB_OK && (rc = row_to_release(c, st, out)) != DB_OK &&
	    envelope != NULL) {
		free(*envelope);
		*envelope = NULL;
	}
	db_rd_put(db, c);
	return rc;
}

int
db_release_list(struct db *db, const struct db_release_filter *f,
    void (*fn)(const struct db_release *, void *), void *arg)
{
	/* The states as the API shows them: revoked beats expired. */
	static const char sql[] = "SELECT " RELEASE_COLS " FROM releases r "
	    "WHERE r.id > $1 AND (CAST($2 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM "
	    "release_hw_classes h WHERE h.release_id = r.id AND h.hw_class = $2)) "
	    "AND (CAST($4 AS TEXT) IS NULL OR ($4 = 'revoked' AND r.revoked_at IS NOT NULL) OR "
	    "(r.revoked_at IS NULL AND (($4 = 'expired' AND r.expires <= $5) OR "
	    "($4 = 'active' AND r.expires > $5)))) "
	    "ORDER BY r.id LIMIT $3";
	struct db_conn *c = db_rd_get(db);
	struct db_st *st = db_stmt(c, sql);
	struct db_release *r = malloc(sizeof(*r));
	int rc = DB_ERR, s;

	if (st == NULL || r == NULL)
		goto out;
	db_bind_i64(st, 1, f->after);
	db_bind_text(st, 2, f->hw_class);
	db_bind_i64(st, 3, f->limit);
	db_bind_text(st, 4, f->state);
	db_bind_i64(st, 5, f->now);
	while ((s = db_step(st)) == DB_STEP_ROW) {
		if (row_to_release(c, st, r) != DB_OK)
			goto out;
		fn(r, arg);
	}
	if (s == DB_STEP_DONE)
		rc = DB_OK;
	else
		db_report(c, "release list");
out:
	free(r);
	db_rd_put(db, c);
	return rc;
}

int
db_offer_facts_tx(struct db_tx *tx, const char *device_id, int64_t release,
    int64_t now, struct db_offer_facts *f)
{
	static const char dev[] = "SELECT id, hw_class, fw_version FROM devices "
	    "WHERE device_id = $1";
	static const char rel[] = "SELECT CASE WHEN r.revoked_at IS NOT NULL "
	    "THEN 1 ELSE 0 END, CASE WHEN EXISTS (SELECT 1 FROM "
	    "release_hw_classes h WHERE h.release_id = r.id AND h.hw_class = $2) "
	    "THEN 1 ELSE 0 END, CASE WHEN r.expires <= $3 THEN 1 ELSE 0 END, "
	    "r.fw_version FROM releases r WHERE r.id = $1";
	struct db_st *st = db_stmt(tx->c, dev);
	char hw[65];
	int rc;

	memset(f, 0, sizeof(*f));
	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, device_id);
	if ((rc = db_row(tx->c, st, "offer device")) != DB_OK)
		return rc;
	f->device = db_col_i64(st, 0);
	db_col_text(st, 1, hw, sizeof(hw));
	db_col_text(st, 2, f->device_fw, sizeof(f->device_fw));
	if ((st = db_stmt(tx->c, rel)) == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, release);
	db_bind_text(st, 2, hw);
	db_bind_i64(st, 3, now);
	if ((rc = db_row(tx->c, st, "offer release")) != DB_OK)
		return rc == DB_NOTFOUND ? DB_INVALID : rc;
	f->revoked = db_col_int(st, 0);
	f->fits = db_col_int(st, 1);
	f->expired = db_col_int(st, 2);
	db_col_text(st, 3, f->release_fw, sizeof(f->release_fw));
	return DB_OK;
}

int
db_offer_set(struct db_tx *tx, void *arg)
{
	/* A new offer replaces the old one whole (reason and install_boot
	 * cleared), as a delete and insert would. */
	static const char put[] = "INSERT INTO offers (device, "
	    "release_id, state, created_at, created_by, updated_at) "
	    "SELECT id, $2, 'offered', $3, $4, $3 FROM devices "
	    "WHERE device_id = $1 ON CONFLICT (device) DO UPDATE SET "
	    "release_id = excluded.release_id, state = excluded.state, "
	    "reason = NULL, created_at = excluded.created_at, "
	    "created_by = excluded.created_by, "
	    "updated_at = excluded.updated_at, install_boot = NULL "
	    "RETURNING device";
	struct db_offer_set *o = arg;
	struct db_st *st = db_stmt(tx->c, put);
	int64_t device;
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, o->device_id);
	db_bind_i64(st, 2, o->release_id);
	db_bind_i64(st, 3, o->now);
	db_bind_text(st, 4, o->by);
	if ((rc = db_row(tx->c, st, "offer set")) != DB_OK)
		return rc;
	device = db_col_i64(st, 0);
	db_step(st);
	db_st_reset(st);
	if ((rc = db_tx_device_changed(tx, device)) != DB_OK)
		return rc;
	return db_event_add(tx, device, o->now, "assigned", o->release_id, 0,
	    "offered", NULL, o->by);
}

int
db_offer_delete(struct db_tx *tx, void *arg)
{
	static const char sql[] = "DELETE FROM offers WHERE device = "
	    "(SELECT id FROM devices WHERE device_id = $1) RETURNING device, "
	    "release_id";
	struct db_st *st = db_stmt(tx->c, sql);
	int64_t device, release;
	int s;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, arg);
	s = db_step(st);
	if (s != DB_STEP_ROW) {
		db_st_reset(st);
		if (s == DB_STEP_DONE)
			return DB_NOTFOUND;
		db_report(tx->c, "offer delete");
		return DB_ERR;
	}
	device = db_col_i64(st, 0);
	release = db_col_i64(st, 1);
	db_step(st);
	db_st_reset(st);
	if (db_tx_device_changed(tx, device) != DB_OK)
		return DB_ERR;
	return db_event_add(tx, device, 0, "unassigned", release, 0, NULL, NULL,
	    NULL);
}

/* The offer of a device, with its release's envelope sha256 and version
 * (65 bytes each) when sha and fw are not NULL. */
static int
offer_get(struct db_conn *c, int64_t device, struct db_offer *out, char *sha,
    char *fw)
{
	static const char sql[] = "SELECT o.release_id, o.state, o.reason, "
	    "o.created_at, o.updated_at, o.created_by, r.envelope_sha256, "
	    "r.fw_version, o.install_boot FROM offers o JOIN releases r "
	    "ON r.id = o.release_id WHERE o.device = $1";
	struct db_st *st = db_stmt(c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_i64(st, 1, device);
	if ((rc = db_row(c, st, "offer get")) != DB_OK)
		return rc;
	out->release_id = db_col_i64(st, 0);
	if (rollout_device_state_parse(db_col_str(st,
	    1), &out->state) != 0) {
		db_complain("a direct offer has an unknown state");
		return DB_ERR;
	}
	db_col_text(st, 2, out->reason, sizeof(out->reason));
	out->created_at = db_col_i64(st, 3);
	out->updated_at = db_col_i64(st, 4);
	db_col_text(st, 5, out->created_by, sizeof(out->created_by));
	db_col_text(st, 8, out->install_boot, sizeof(out->install_boot));
	if (sha != NULL)
		db_col_text(st, 6, sha, 65);
	if (fw != NULL)
		db_col_text(st, 7, fw, 65);
	return DB_OK;
}

int
db_offer_get(struct db *db, int64_t device, struct db_offer *out)
{
	struct db_conn *c = db_rd_get(db);
	int rc = offer_get(c, device, out, NULL, NULL);

	db_rd_put(db, c);
	return rc;
}

int
db_offer_get_tx(struct db_tx *tx, int64_t device, struct db_offer *out,
    char *release_sha256, char *fw_version)
{
	return offer_get(tx->c, device, out, release_sha256, fw_version);
}

int
db_offer_update(struct db_tx *tx, int64_t device, const struct db_offer *expect,
    enum rollout_device_state state, const char *reason,
    const char *install_boot, int64_t now)
{
	static const char sql[] = "UPDATE offers SET state = $1, reason = $2, "
	    "updated_at = $3, install_boot = COALESCE($4, install_boot) "
	    "WHERE device = $5 AND release_id = $6 AND state = $7";
	struct db_st *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, rollout_device_state_name(state));
	db_bind_text(st, 2, reason);
	db_bind_i64(st, 3, now);
	db_bind_text(st, 4, install_boot);
	db_bind_i64(st, 5, device);
	db_bind_i64(st, 6, expect->release_id);
	db_bind_text(st, 7, rollout_device_state_name(expect->state));
	if ((rc = db_step_cas(tx->c, st, "offer update")) != DB_OK)
		return rc;
	return db_tx_device_changed(tx, device);
}
