/* Root metadata: the keys and thresholds of the root, release and online
 * roles, and the chain of root versions that rotates them. */
#ifndef SIGN_ROOT_H
#define SIGN_ROOT_H

#include <stddef.h>
#include <stdint.h>

#include "sign/envelope.h"
#include "sign/key.h"
#include "sign/result.h"

/* Most keys one role may list. */
#define SIGN_ROLE_MAX_KEYS 64
/* Most keys one root may list in "keys". */
#define SIGN_ROOT_MAX_KEYS (3 * SIGN_ROLE_MAX_KEYS)
/* Most root versions walked in one sign_root_walk. */
#define SIGN_ROOT_CHAIN_MAX 64

enum sign_role_id {
	SIGN_ROLE_ROOT = 0,
	SIGN_ROLE_RELEASE,
	SIGN_ROLE_ONLINE,
	SIGN_ROLE_COUNT
};

struct sign_role {
	struct sign_pubkey keys[SIGN_ROLE_MAX_KEYS];	/* in listed order */
	size_t nkeys;
	int64_t threshold;
};

/* A root, plain data (large: allocate it with sign_root_new). */
struct sign_root {
	int64_t version;
	int64_t expires;
	struct sign_role roles[SIGN_ROLE_COUNT];
	struct sign_pubkey keys[SIGN_ROOT_MAX_KEYS];	/* its "keys" */
	size_t nkeys;
	struct sign_keyids signers;	/* root keys whose signatures counted */
};

/* A document's bytes, for lists of them. */
struct sign_bytes {
	const uint8_t *data;
	size_t len;
};

/* "root", "release" or "online"; "unknown" otherwise. Static. */
const char *sign_role_name(enum sign_role_id role);
/* Maps a role name to its id; 0, or -1 if unknown. */
int sign_role_parse(const char *name, enum sign_role_id *out);

/* A zeroed root, or NULL when out of memory; free with sign_root_free. */
struct sign_root *sign_root_new(void);
/* Frees r; NULL is a no-op. */
void sign_root_free(struct sign_root *r);
/* A copy of r, or NULL; free with sign_root_free. */
struct sign_root *sign_root_dup(const struct sign_root *r);

/* Index of keyid in role, or -1. */
int sign_role_find(const struct sign_role *role, const char *keyid);
/* Appends pk to role; 0, or -1 when already there or the role is full. */
int sign_role_add(struct sign_role *role, const struct sign_pubkey *pk);
/* Removes keyid from role; 0, or -1 when it is not there. */
int sign_role_remove(struct sign_role *role, const char *keyid);

/* Checks that no key serves two roles of r: the online key (held by the
 * server) never counts as a root or release key, and no release key
 * signs roots. SIGN_OK, or SIGN_ERR_ROLE_OVERLAP with a message naming
 * the key (in full) and the two roles. */
enum sign_result sign_root_check_roles(const struct sign_root *r, char *err,
    size_t errlen) __attribute__((warn_unused_result));

/* Makes root metadata from fields (version, expires, the three roles;
 * "keys" is written as every key the roles use) and signs it with each of
 * keys[0..nkeys) (none: unsigned, to be signed in turn with
 * sign_envelope_add_signature). Thresholds are not checked here: verify
 * the result.
 * On SIGN_OK *out is a malloc'd envelope (*len bytes) the caller frees. */
enum sign_result sign_root_create(const struct sign_root *fields,
    const struct sign_key *const *keys, size_t nkeys, uint8_t **out,
    size_t *len, char *err, size_t errlen) __attribute__((warn_unused_result));

/* Parses root metadata of any version and checks it is signed by a
 * threshold of its own root keys; expiry is not checked (for a root
 * already trusted, read back from storage). On SIGN_OK the caller frees
 * *out with sign_root_free. */
enum sign_result sign_root_load(const uint8_t *buf, size_t len,
    struct sign_root **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Verifies a first root: version 1, signed by a threshold of its own root
 * keys, no key in two roles (SIGN_ERR_ROLE_OVERLAP), unexpired at now. On SIGN_OK the caller frees *out. */
enum sign_result sign_root_verify_initial(const uint8_t *buf, size_t len,
    int64_t now, struct sign_root **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Verifies root N+1 given trusted root N: signed by a threshold of N's
 * root keys and of its own (SIGN_ERR_THRESHOLD or SIGN_ERR_SIGNATURE),
 * version exactly N+1 (SIGN_ERR_VERSION), no key in two roles
 * (SIGN_ERR_ROLE_OVERLAP), unexpired at now (SIGN_ERR_EXPIRED). On SIGN_OK the caller frees *out. */
enum sign_result sign_root_verify_next(const struct sign_root *trusted,
    const uint8_t *buf, size_t len, int64_t now, struct sign_root **out,
    char *err, size_t errlen) __attribute__((warn_unused_result));
/* Walks from trusted through docs[0..n) (versions N+1, N+2, ... in order,
 * n <= SIGN_ROOT_CHAIN_MAX), each step as sign_root_verify_next but with
 * expiry checked only on the last root reached: an expired newest root is
 * SIGN_ERR_FREEZE. With n == 0 it checks trusted alone. The newest root
 * must also list no key in two roles (SIGN_ERR_ROLE_OVERLAP), so a device
 * never acts on such a root, even one it was built with. On SIGN_OK *out is
 * the newest root, which the caller frees. */
enum sign_result sign_root_walk(const struct sign_root *trusted,
    const struct sign_bytes *docs, size_t n, int64_t now,
    struct sign_root **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Parses root metadata without checking a signature (for tools that
 * report how far a document is signed). On SIGN_OK the caller frees *env
 * and *out. */
enum sign_result sign_root_parse(const uint8_t *buf, size_t len,
    struct sign_envelope **env, struct sign_root **out, char *err,
    size_t errlen) __attribute__((warn_unused_result));

/* How far a document is signed for one role of a root. */
struct sign_tally {
	int64_t threshold;
	struct sign_keyids signed_by;	/* role keys whose signatures verify */
	struct sign_keyids missing;	/* role keys that have not signed */
};

/* Counts env's signatures by root's keys for role as
 * sign_root_verify_role does, without requiring the threshold: SIGN_OK
 * whether it is met or not (compare out->signed_by.n with
 * out->threshold), SIGN_ERR_SIGNATURE when a signature by a key of the
 * role does not verify. */
enum sign_result sign_root_tally(const struct sign_root *root,
    enum sign_role_id role, const struct sign_envelope *env,
    struct sign_tally *out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Checks that env is signed by a threshold of root's keys for role (see
 * sign_envelope_verify); adds the ids counted to signers when not NULL. */
enum sign_result sign_root_verify_role(const struct sign_root *root,
    enum sign_role_id role, const struct sign_envelope *env,
    struct sign_keyids *signers, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
