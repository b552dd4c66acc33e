/* The server's side of the trust model: its online key (which only signs
 * assignments) and the current root metadata, shared by all threads. */
#ifndef CORE_TRUST_H
#define CORE_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "sign/sign.h"

struct db;
struct trust;

/* Where the online key lives: data_dir/online.key (and .pub, the -next
 * and -old files of a switch), sealed with the passphrase in
 * online_key_passphrase_file ("" for data_dir/online.pass). */
struct trust_paths {
	const char *data_dir;
	const char *online_key_passphrase_file;
};

/* One version of the root, held by reference while in use. */
struct trust_root {
	struct sign_root *root;
	uint8_t *bytes;		/* as uploaded */
	size_t len;
	int refs;
};

/* Loads the online key from the data dir, generating it (and, unless the
 * paths name one, a passphrase file) on first start; then the newest
 * root from the store. NULL with a message in err. */
struct trust *trust_open(const struct trust_paths *c, struct db *db, char *err,
    size_t errlen);
void trust_free(struct trust *t);

/* The online public key file (JSON), owned by t. */
const uint8_t *trust_online_pub(const struct trust *t, size_t *len);
const char *trust_online_keyid(const struct trust *t);

/* The current root with a reference taken, or NULL when none was
 * uploaded; release it with trust_root_put. */
struct trust_root *trust_root_get(struct trust *t);
void trust_root_put(struct trust *t, struct trust_root *r);

/* Checks an uploaded root against the current one (version 1 when none,
 * else exactly N+1 signed by both thresholds), unexpired at now. On SIGN_OK
 * *out is the parsed root (caller frees with sign_root_free). */
enum sign_result trust_root_check(struct trust *t, const uint8_t *buf,
    size_t len, int64_t now, struct sign_root **out, char *err,
    size_t errlen);
/* Makes r (ownership taken) with its bytes (copied) the current root,
 * unless the current one is as new (then r is dropped). 0/-1. */
int trust_root_set(struct trust *t, struct sign_root *r, const uint8_t *buf,
    size_t len);

/* Takes the store's newest root when it is newer than the current one
 * (another daemon stored it): 1 when it did, 0 when it was not newer, -1
 * with err filled when the store or the root cannot be read. */
int trust_reload(struct trust *t, struct db *db, char *err, size_t errlen);
/* The current root's version, 0 when none. */
int64_t trust_root_version(struct trust *t);

/* 1 when the current root lists this server's online key in its online
 * role (devices would refuse assignments otherwise), else 0. */
int trust_can_assign(struct trust *t);

/* Offline key rotation on the data dir, in two steps so that a root
 * listing both keys can be published in between:
 * trust_online_next makes online-next.key/.pub (printing nothing; the
 * key id goes to keyid, 65 bytes); trust_online_switch makes it the
 * online key, keeping the old one as online-old-<keyid>.key. 0, or -1
 * with a message in err. */
int trust_online_next(const struct trust_paths *c, char *keyid, char *err,
    size_t errlen);
int trust_online_switch(const struct trust_paths *c, char *keyid, char *err,
    size_t errlen);

/* Signs an assignment with the online key; see sign_assignment_create. */
enum sign_result trust_assign(struct trust *t, const char *device_id,
    const uint8_t release_sha256[SIGN_SHA256_LEN], const char *campaign,
    const char *nonce, int64_t expires, uint8_t **out, size_t *len);

#endif
