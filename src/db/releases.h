/* Releases: signed manifests as uploaded, their hw classes, revocation;
 * and direct offers of a release to one device. */
#ifndef DB_RELEASES_H
#define DB_RELEASES_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "rollout/rollout.h"

#define DB_REL_HW_MAX 32

struct db_release {
	int64_t id;
	char sha256[65];		/* of the envelope bytes */
	char fw_version[65];
	int64_t security_counter;
	char artifact_sha256[65];
	uint64_t length;
	int64_t expires, created, uploaded_at, revoked_at;
	char uploaded_by[65], revoked_by[65];
	char notes[4097];
	char hw_classes[DB_REL_HW_MAX][65];
	int nhw;
};

struct db_release_add {
	const uint8_t *envelope;
	size_t len;
	const struct db_release *r;	/* fields; id, revoked ignored */
	int64_t id;			/* out */
	int existed;			/* out: the same envelope was there */
	const char *why;		/* out with DB_INVALID or DB_CONFLICT */
	char conflict_hw[65];		/* out with DB_CONFLICT */
};
/* Registers a release (write job). DB_INVALID when its artifact is not
 * stored or differs in size (why says which); DB_CONFLICT when one of its
 * hw classes already has this fw_version. The same envelope again is
 * DB_OK with existed set. */
int db_release_add(struct db_tx *tx, void *arg);

struct db_release_revoke {
	int64_t id;
	const char *by;
	int64_t now;
};
/* Marks a release revoked (write job; idempotent); DB_NOTFOUND. Removes
 * its direct offers that have not been installed yet. */
int db_release_revoke(struct db_tx *tx, void *arg);

/* Inside a write job: whether release id is revoked (*revoked_at, 0 if
 * not), when it expires, and its version (65 bytes). DB_NOTFOUND. */
int db_release_state_tx(struct db_tx *tx, int64_t id, int64_t *revoked_at,
    int64_t *expires, char fw_version[65]);

/* One release; DB_OK, DB_NOTFOUND or DB_ERR. With envelope non-NULL, also
 * its bytes (malloc'd, caller frees). */
int db_release_get(struct db *db, int64_t id, struct db_release *out,
    uint8_t **envelope, size_t *len);
/* Releases by id, after the cursor id, at most limit, optionally only
 * those listing hw_class. */
int db_release_list(struct db *db, const char *hw_class, int64_t after,
    int64_t limit, void (*fn)(const struct db_release *, void *), void *arg);

struct db_offer_set {
	const char *device_id;
	int64_t release_id;
	const char *by;
	int64_t now;
	const char *why;		/* out with DB_INVALID */
};
/* Offers a release to one device directly (write job), replacing its
 * earlier direct offer. DB_NOTFOUND (no device), DB_INVALID (release
 * unknown, revoked or not for the device's hw class; why says which). */
int db_offer_set(struct db_tx *tx, void *arg);
/* Cancels a device's direct offer (write job; arg is the device_id);
 * DB_NOTFOUND when it has none. */
int db_offer_delete(struct db_tx *tx, void *arg);

struct db_offer {
	int64_t release_id;
	enum rollout_device_state state;
	char reason[41];
	int64_t created_at, updated_at;
	char created_by[65];
	char install_boot[65];		/* boot id of the installed report */
};
/* A device's direct offer; DB_NOTFOUND when none. */
int db_offer_get(struct db *db, int64_t device, struct db_offer *out);
/* The same inside a write job, with the release's envelope sha256 and
 * fw_version (each 65 bytes). */
int db_offer_get_tx(struct db_tx *tx, int64_t device, struct db_offer *out,
    char *release_sha256, char *fw_version);
/* Sets a direct offer's state and reason (write job body), and its
 * install_boot unless that is NULL, if it is still the offer expect (as
 * read: the same release in the same state); else DB_CONFLICT, unchanged
 * (replaced or moved on by another writer). */
int db_offer_update(struct db_tx *tx, int64_t device,
    const struct db_offer *expect, enum rollout_device_state state,
    const char *reason,
    const char *install_boot, int64_t now);

#endif
