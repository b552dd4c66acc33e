/* hawkBit DDI storage: artifacts' SHA-1 and MD5, actions (one attempt of
 * one offer, at most one open per device), device attributes from
 * configData and whether a device is asked for them. */
#ifndef DB_DDI_H
#define DB_DDI_H

#include <stdint.h>

#include "db/artifacts.h"
#include "db/db.h"
#include "rollout/ddi.h"

#define DB_DDI_SHA1_HEX 41
#define DB_DDI_MD5_HEX 33
/* Action ids fit an int32: SWUpdate reads them with json_object_get_int. */
#define DB_DDI_ACTION_MAX 2147483647LL
/* configData caps (DDI.md §2.8). */
#define DB_DDI_ATTRS_MAX 128
#define DB_DDI_KEY_MAX 128
#define DB_DDI_VALUE_MAX 256

/* ---- Artifact digests ---- */

struct db_ddi_digests {
	char sha1[DB_DDI_SHA1_HEX];	/* lowercase hex, "" if not known */
	char md5[DB_DDI_MD5_HEX];
};

/* An upload's row with its digests (write job; as db_artifact_put). */
struct db_ddi_artifact_put {
	struct db_artifact_put put;
	struct db_ddi_digests d;
};
int db_ddi_artifact_put(struct db_tx *tx, void *arg);

/* Stores the digests of an artifact that has none yet (write job): the
 * lazy hashing of artifacts stored before migration 006. Digests already
 * there are kept (DB_OK); DB_NOTFOUND without the artifact. */
struct db_ddi_digests_set {
	const char *sha256;
	struct db_ddi_digests d;
};
int db_ddi_digests_set(struct db_tx *tx, void *arg);
/* The digests of an artifact ("" for those not computed yet); DB_OK,
 * DB_NOTFOUND or DB_ERR. */
int db_ddi_digests(struct db *db, const char *sha256,
    struct db_ddi_digests *out);

/* ---- Actions ---- */

struct db_ddi_action {
	int64_t id, device;
	int64_t campaign_id;		/* 0: a direct offer */
	int64_t release_id;
	int attempt;
	enum rollout_ddi_end state;	/* open, closed, canceled */
	enum rollout_ddi_cancel_state cancel;
	char result[16];		/* "" while open */
	char closing[32];		/* the closing report, "" if none */
	int64_t created_at, closed_at;
};

/* Opens a new action (write job). Its id is the next one; DB_CONFLICT if
 * the device has an open action already, DB_ERR once ids would pass
 * DB_DDI_ACTION_MAX. */
struct db_ddi_action_new {
	int64_t device, campaign_id, release_id;
	int attempt;
	int64_t now;
	int64_t id;			/* out */
};
int db_ddi_action_new(struct db_tx *tx, void *arg);

/* Ends the open action id (write job), compare-and-set on state "open":
 * DB_CONFLICT if it is not open (any more), DB_NOTFOUND if there is no
 * such action of that device. */
struct db_ddi_action_end {
	int64_t id, device;
	enum rollout_ddi_end state;	/* closed or canceled */
	const char *result;		/* success, failure, superseded, ... */
	const char *closing;		/* the closing report, or NULL */
	int64_t now;
};
int db_ddi_action_end(struct db_tx *tx, void *arg);

/* Moves the cancel of the open action id from `from` to `to` (write job),
 * compare-and-set: DB_CONFLICT if it is not open or its cancel is not
 * `from`. */
struct db_ddi_action_cancel {
	int64_t id, device;
	enum rollout_ddi_cancel_state from, to;
};
int db_ddi_action_cancel(struct db_tx *tx, void *arg);

/* The action id of device (any state), in a read or inside a write job
 * (tx non-NULL): DB_OK, DB_NOTFOUND (also another device's) or DB_ERR. */
int db_ddi_action_get(struct db *db, struct db_tx *tx, int64_t device,
    int64_t id, struct db_ddi_action *out);
/* The open action of device, as db_ddi_action_get. */
int db_ddi_action_open(struct db *db, struct db_tx *tx, int64_t device,
    struct db_ddi_action *out);

/* ---- Attributes and the configData link ---- */

enum db_ddi_mode { DB_DDI_MERGE, DB_DDI_REPLACE, DB_DDI_REMOVE };

/* A configData PUT (write job): merge adds or overwrites the keys,
 * replace drops all others first, remove deletes the keys given. Then the
 * device is no longer asked for configData, and an `attributes` history
 * event notes how many keys it has. DB_INVALID past DB_DDI_ATTRS_MAX keys
 * stored. */
struct db_ddi_attrs_put {
	int64_t device;
	enum db_ddi_mode mode;
	int n;
	const char *const *keys, *const *values;
	int64_t now;
	int stored;			/* out: keys the device has now */
};
int db_ddi_attrs_put(struct db_tx *tx, void *arg);
/* Calls fn for each attribute of device in key order; DB_OK or DB_ERR. */
int db_ddi_attrs(struct db *db, int64_t device,
    void (*fn)(const char *key, const char *value, void *arg), void *arg);

/* Asks the device for configData (after a closed action; inside a job). */
int db_ddi_config_ask(struct db_tx *tx, int64_t device);
/* 1 if the controller base should show configData: never sent, or asked
 * for again since. In a read or inside a write job (tx non-NULL). */
int db_ddi_config_asked(struct db *db, struct db_tx *tx, int64_t device,
    int *asked);

#endif
