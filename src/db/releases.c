/* Releases: signed manifests as uploaded, their hw classes, revocation;
 * and direct offers of a release to one device. */
#include <stdlib.h>
#include <string.h>

#include "db/devices.h"
#include "db/internal.h"
#include "db/releases.h"

static int
check_artifact(struct db_tx *tx, struct db_release_add *a)
{
	static const char sql[] = "SELECT size FROM artifacts WHERE sha256 = ?";
	sqlite3_stmt *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, a->r->artifact_sha256);
	rc = db_row(tx->c, st, "release artifact");
	if (rc == DB_NOTFOUND) {
		a->why = "artifact_missing";
		return DB_INVALID;
	}
	if (rc == DB_OK && (uint64_t)sqlite3_column_int64(st, 0) !=
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
	    "WHERE envelope_sha256 = ?";
	sqlite3_stmt *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, a->r->sha256);
	rc = db_row(tx->c, st, "release find");
	if (rc == DB_OK) {
		a->id = sqlite3_column_int64(st, 0);
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
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	static const char hw[] = "INSERT INTO release_hw_classes (release_id, "
	    "hw_class, fw_version) VALUES (?, ?, ?)";
	struct db_release_add *a = arg;
	const struct db_release *r = a->r;
	sqlite3_stmt *st;
	int rc;

	if ((rc = find_existing(tx, a)) != DB_OK || a->existed)
		return rc;
	if ((rc = check_artifact(tx, a)) != DB_OK)
		return rc;
	if ((st = db_stmt(tx->c, ins)) == NULL)
		return DB_ERR;
	sqlite3_bind_blob(st, 1, a->envelope, (int)a->len, SQLITE_STATIC);
	db_bind_text(st, 2, r->sha256);
	db_bind_text(st, 3, r->fw_version);
	sqlite3_bind_int64(st, 4, r->security_counter);
	db_bind_text(st, 5, r->artifact_sha256);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)r->length);
	sqlite3_bind_int64(st, 7, r->expires);
	sqlite3_bind_int64(st, 8, r->created);
	db_bind_text(st, 9, r->notes[0] ? r->notes : NULL);
	sqlite3_bind_int64(st, 10, r->uploaded_at);
	db_bind_text(st, 11, r->uploaded_by);
	if ((rc = db_step_done(tx->c, st, "release add")) != DB_OK)
		return rc;
	a->id = sqlite3_last_insert_rowid(tx->c->h);
	for (int i = 0; i < r->nhw; i++) {
		if ((st = db_stmt(tx->c, hw)) == NULL)
			return DB_ERR;
		sqlite3_bind_int64(st, 1, a->id);
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
	static const char upd[] = "UPDATE releases SET revoked_at = ?, "
	    "revoked_by = ? WHERE id = ? AND revoked_at IS NULL";
	static const char exists[] = "SELECT 1 FROM releases WHERE id = ?";
	static const char drop[] = "DELETE FROM offers WHERE release_id = ? "
	    "AND state IN ('offered', 'downloading')";
	struct db_release_revoke *r = arg;
	sqlite3_stmt *st = db_stmt(tx->c, exists);
	int rc;

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, r->id);
	if ((rc = db_row(tx->c, st, "release revoke")) != DB_OK)
		return rc;
	if ((st = db_stmt(tx->c, upd)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, r->now);
	db_bind_text(st, 2, r->by);
	sqlite3_bind_int64(st, 3, r->id);
	if ((rc = db_step_done(tx->c, st, "release revoke")) != DB_OK)
		return rc;
	if ((st = db_stmt(tx->c, drop)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, r->id);
	return db_step_done(tx->c, st, "release revoke offers");
}

int
db_release_state_tx(struct db_tx *tx, int64_t id, int64_t *revoked_at,
    int64_t *expires, char fw_version[65])
{
	static const char sql[] = "SELECT COALESCE(revoked_at, 0), expires, "
	    "fw_version FROM releases WHERE id = ?";
	sqlite3_stmt *st = db_stmt(tx->c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = db_row(tx->c, st, "release state")) != DB_OK)
		return rc;
	*revoked_at = sqlite3_column_int64(st, 0);
	*expires = sqlite3_column_int64(st, 1);
	db_col_text(st, 2, fw_version, 65);
	return DB_OK;
}

#define RELEASE_COLS "r.id, r.envelope_sha256, r.fw_version, " \
	"r.security_counter, r.artifact_sha256, r.length, r.expires, " \
	"r.created, r.uploaded_at, COALESCE(r.revoked_at, 0), r.uploaded_by, " \
	"r.revoked_by, r.notes"

static int
row_to_release(struct db_conn *c, sqlite3_stmt *st, struct db_release *r)
{
	static const char hw[] = "SELECT hw_class FROM release_hw_classes "
	    "WHERE release_id = ? ORDER BY hw_class";
	sqlite3_stmt *h;
	int s;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	db_col_text(st, 1, r->sha256, sizeof(r->sha256));
	db_col_text(st, 2, r->fw_version, sizeof(r->fw_version));
	r->security_counter = sqlite3_column_int64(st, 3);
	db_col_text(st, 4, r->artifact_sha256, sizeof(r->artifact_sha256));
	r->length = (uint64_t)sqlite3_column_int64(st, 5);
	r->expires = sqlite3_column_int64(st, 6);
	r->created = sqlite3_column_int64(st, 7);
	r->uploaded_at = sqlite3_column_int64(st, 8);
	r->revoked_at = sqlite3_column_int64(st, 9);
	db_col_text(st, 10, r->uploaded_by, sizeof(r->uploaded_by));
	db_col_text(st, 11, r->revoked_by, sizeof(r->revoked_by));
	db_col_text(st, 12, r->notes, sizeof(r->notes));
	if ((h = db_stmt(c, hw)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(h, 1, r->id);
	while ((s = sqlite3_step(h)) == SQLITE_ROW && r->nhw < DB_REL_HW_MAX)
		db_col_text(h, 0, r->hw_classes[r->nhw++], sizeof(r->hw_classes[0]));
	sqlite3_reset(h);
	return s == SQLITE_ROW || s == SQLITE_DONE ? DB_OK : DB_ERR;
}

int
db_release_get(struct db *db, int64_t id, struct db_release *out,
    uint8_t **envelope, size_t *len)
{
	static const char sql[] = "SELECT " RELEASE_COLS ", r.envelope "
	    "FROM releases r WHERE r.id = ?";
	struct db_conn *c = db_rd_get(db);
	sqlite3_stmt *st = db_stmt(c, sql);
	int rc = DB_ERR, n;

	if (st != NULL) {
		sqlite3_bind_int64(st, 1, id);
		rc = db_row(c, st, "release get");
	}
	if (rc == DB_OK && envelope != NULL) {
		n = sqlite3_column_bytes(st, 13);
		*envelope = malloc((size_t)n + 1);
		if (*envelope == NULL) {
			rc = DB_ERR;
		} else {
			memcpy(*envelope, sqlite3_column_blob(st, 13), (size_t)n);
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
db_release_list(struct db *db, const char *hw_class, int64_t after,
    int64_t limit, void (*fn)(const struct db_release *, void *), void *arg)
{
	static const char sql[] = "SELECT " RELEASE_COLS " FROM releases r "
	    "WHERE r.id > ?1 AND (?2 IS NULL OR EXISTS (SELECT 1 FROM "
	    "release_hw_classes h WHERE h.release_id = r.id AND h.hw_class = ?2)) "
	    "ORDER BY r.id LIMIT ?3";
	struct db_conn *c = db_rd_get(db);
	sqlite3_stmt *st = db_stmt(c, sql);
	struct db_release *r = malloc(sizeof(*r));
	int rc = DB_ERR, s;

	if (st == NULL || r == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, after);
	db_bind_text(st, 2, hw_class);
	sqlite3_bind_int64(st, 3, limit);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (row_to_release(c, st, r) != DB_OK)
			goto out;
		fn(r, arg);
	}
	if (s == SQLITE_DONE)
		rc = DB_OK;
	else
		db_report(c, "release list");
out:
	free(r);
	db_rd_put(db, c);
	return rc;
}

int
db_offer_set(struct db_tx *tx, void *arg)
{
	static const char dev[] = "SELECT id, hw_class FROM devices "
	    "WHERE device_id = ?";
	static const char rel[] = "SELECT r.revoked_at IS NOT NULL, "
	    "EXISTS (SELECT 1 FROM release_hw_classes h WHERE h.release_id = r.id "
	    "AND h.hw_class = ?2), r.expires <= ?3 FROM releases r WHERE r.id = ?1";
	static const char put[] = "INSERT OR REPLACE INTO offers (device, "
	    "release_id, state, created_at, created_by, updated_at) "
	    "VALUES (?, ?, 'offered', ?, ?, ?)";
	struct db_offer_set *o = arg;
	sqlite3_stmt *st = db_stmt(tx->c, dev);
	char hw[65];
	int64_t device;
	int revoked, fits, expired, rc;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, o->device_id);
	if ((rc = db_row(tx->c, st, "offer device")) != DB_OK)
		return rc;
	device = sqlite3_column_int64(st, 0);
	db_col_text(st, 1, hw, sizeof(hw));
	if ((st = db_stmt(tx->c, rel)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, o->release_id);
	db_bind_text(st, 2, hw);
	sqlite3_bind_int64(st, 3, o->now);
	if ((rc = db_row(tx->c, st, "offer release")) != DB_OK) {
		o->why = "no such release";
		return rc == DB_NOTFOUND ? DB_INVALID : rc;
	}
	revoked = sqlite3_column_int(st, 0);
	fits = sqlite3_column_int(st, 1);
	expired = sqlite3_column_int(st, 2);
	if (revoked || expired || !fits) {
		o->why = revoked ? "the release is revoked" : expired ?
		    "the release has expired; sign a new one" :
		    "the release does not list the device's hw_class";
		return DB_INVALID;
	}
	if ((st = db_stmt(tx->c, put)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, device);
	sqlite3_bind_int64(st, 2, o->release_id);
	sqlite3_bind_int64(st, 3, o->now);
	db_bind_text(st, 4, o->by);
	sqlite3_bind_int64(st, 5, o->now);
	if ((rc = db_step_done(tx->c, st, "offer set")) != DB_OK)
		return rc;
	return db_event_add(tx, device, "assigned", o->release_id, 0, "offered",
	    NULL, o->by);
}

int
db_offer_delete(struct db_tx *tx, void *arg)
{
	static const char sql[] = "DELETE FROM offers WHERE device = "
	    "(SELECT id FROM devices WHERE device_id = ?) RETURNING device, "
	    "release_id";
	sqlite3_stmt *st = db_stmt(tx->c, sql);
	int64_t device, release;
	int s;

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, arg);
	s = sqlite3_step(st);
	if (s != SQLITE_ROW) {
		sqlite3_reset(st);
		if (s == SQLITE_DONE)
			return DB_NOTFOUND;
		db_report(tx->c, "offer delete");
		return DB_ERR;
	}
	device = sqlite3_column_int64(st, 0);
	release = sqlite3_column_int64(st, 1);
	sqlite3_step(st);
	sqlite3_reset(st);
	return db_event_add(tx, device, "unassigned", release, 0, NULL, NULL,
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
	    "ON r.id = o.release_id WHERE o.device = ?";
	sqlite3_stmt *st = db_stmt(c, sql);
	int rc;

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, device);
	if ((rc = db_row(c, st, "offer get")) != DB_OK)
		return rc;
	out->release_id = sqlite3_column_int64(st, 0);
	if (rollout_device_state_parse((const char *)sqlite3_column_text(st,
	    1), &out->state) != 0) {
		db_complain("a direct offer has an unknown state");
		return DB_ERR;
	}
	db_col_text(st, 2, out->reason, sizeof(out->reason));
	out->created_at = sqlite3_column_int64(st, 3);
	out->updated_at = sqlite3_column_int64(st, 4);
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
	static const char sql[] = "UPDATE offers SET state = ?, reason = ?, "
	    "updated_at = ?, install_boot = COALESCE(?, install_boot) "
	    "WHERE device = ? AND release_id = ? AND state = ?";
	sqlite3_stmt *st = db_stmt(tx->c, sql);

	if (st == NULL)
		return DB_ERR;
	db_bind_text(st, 1, rollout_device_state_name(state));
	db_bind_text(st, 2, reason);
	sqlite3_bind_int64(st, 3, now);
	db_bind_text(st, 4, install_boot);
	sqlite3_bind_int64(st, 5, device);
	sqlite3_bind_int64(st, 6, expect->release_id);
	db_bind_text(st, 7, rollout_device_state_name(expect->state));
	return db_step_cas(tx->c, st, "offer update");
}
