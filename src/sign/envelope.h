/* Signed envelopes: {"signed": {...}, "signatures": [{keyid, sig}]}, with
 * Ed25519 signatures over the canonical JSON of "signed", and threshold
 * counting. */
#ifndef SIGN_ENVELOPE_H
#define SIGN_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sign/key.h"
#include "sign/result.h"

enum sign_doc_type {
	SIGN_DOC_ROOT = 1,
	SIGN_DOC_RELEASE,
	SIGN_DOC_ASSIGNMENT
};

struct sign_signature {
	char keyid[SIGN_KEYID_HEX];
	uint8_t sig[SIGN_SIG_LEN];
};

/* A parsed envelope; nothing in it is verified yet. */
struct sign_envelope {
	enum sign_doc_type type;	/* from signed._type */
	json_t *signed_obj;		/* the "signed" object (owned) */
	uint8_t *canonical;		/* canonical JSON of signed_obj (owned) */
	size_t canonical_len;
	struct sign_signature *sigs;	/* as listed (owned) */
	size_t nsigs;
};

/* "root", "release" or "assignment"; "unknown" otherwise. Static. */
const char *sign_doc_type_name(enum sign_doc_type t);

/* Parses an envelope strictly (see sign_cjson_parse): exactly the fields
 * "signed" and "signatures", a known "_type", at most SIGN_MAX_SIGS
 * signatures of {keyid: 64 hex, sig: 128 hex}. Checks no signature. On
 * SIGN_OK the caller frees *out with sign_envelope_free; otherwise
 * SIGN_ERR_FORMAT (or SIGN_ERR_NOMEM) with a message in err. */
enum sign_result sign_envelope_parse(const uint8_t *buf, size_t len,
    struct sign_envelope **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Frees env and all it owns; NULL is a no-op. */
void sign_envelope_free(struct sign_envelope *env);

/* Counts the signatures of env by distinct keys among keys[0..nkeys):
 * a key outside that set is ignored, a key listed twice counts once.
 * SIGN_OK when at least threshold verify; SIGN_ERR_SIGNATURE as soon as a
 * signature by a key of the set does not verify; SIGN_ERR_THRESHOLD when
 * too few. 'what' names the role in messages ("release role"). When
 * signers is not NULL, the ids counted are added to it. */
enum sign_result sign_envelope_verify(const struct sign_envelope *env,
    const struct sign_pubkey *keys, size_t nkeys, int64_t threshold,
    const char *what, struct sign_keyids *signers, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Signs signed_obj (which must hold a known "_type") with key and returns
 * the envelope bytes: canonical JSON in wire form (control characters
 * escaped), no trailing newline. On SIGN_OK *out is malloc'd
 * (NUL-terminated, *len bytes) and the caller frees it. */
enum sign_result sign_envelope_sign(const struct sign_key *key,
    const json_t *signed_obj, uint8_t **out, size_t *len, char *err,
    size_t errlen) __attribute__((warn_unused_result));
/* Adds key's signature to the envelope in buf (replacing an earlier one
 * by the same key), leaving the signed part as it is. On SIGN_OK *out is
 * a new malloc'd envelope (NUL-terminated, *outlen bytes) the caller
 * frees. */
enum sign_result sign_envelope_add_signature(const struct sign_key *key,
    const uint8_t *buf, size_t len, uint8_t **out, size_t *outlen, char *err,
    size_t errlen) __attribute__((warn_unused_result));

#endif
