/* A cache of release envelopes, read on every offer. */
#ifndef CORE_OFFERS_H
#define CORE_OFFERS_H

#include <stddef.h>
#include <stdint.h>

#include "sign/crypto.h"

struct db;
struct offers;

/* A copy of one release, as offers need it. */
struct rel_snap {
	int64_t id;
	uint8_t *envelope;		/* malloc'd; rel_snap_free frees */
	size_t len;
	uint8_t sha256[SIGN_SHA256_LEN];	/* of the envelope */
	char sha256_hex[SIGN_SHA256_HEX];
	char fw_version[65];
	char artifact_sha256[SIGN_SHA256_HEX];
	int revoked;
	int64_t expires;
};

/* Entries are read again from the store after reload_s seconds. */
struct offers *offers_new(struct db *db, int reload_s);
void offers_free(struct offers *o);
/* Copies release id into out (from the cache, or the store on a miss or
 * after a few seconds). 0, or -1 when unknown or unreadable. */
int offers_release(struct offers *o, int64_t id, struct rel_snap *out);
/* Drops a release from the cache (after a revoke), or all of them. */
void offers_forget(struct offers *o, int64_t id);
void offers_forget_all(struct offers *o);
void rel_snap_free(struct rel_snap *s);


#endif
