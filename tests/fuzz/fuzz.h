/* Shared by the libFuzzer harnesses and mkcorpus: the fixed keys and the
 * trusted root every signed input is checked against, input splitting,
 * and the check that stops a run when an invariant breaks. Header-only so
 * each harness stays one file. */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign.h"

/* libFuzzer's entry points, declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A fixed "now" (2026-01-01T00:00:00Z): runs never depend on the clock,
 * and the seed documents stay valid forever. */
#define FZ_NOW 1767225600LL
#define FZ_DAY 86400LL

/* Aborts (a crash to libFuzzer) naming the invariant that broke. */
#define FZ_ASSERT(c) do { \
	if (!(c)) { \
		fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, \
		    __LINE__, #c); \
		abort(); \
	} \
} while (0)

/* The fixed keys, by role. Root version 1 lists root {R1, R2} threshold 2,
 * release {L1, L2} threshold 1, online {O1} threshold 1; R3 is the root
 * key that version 2 (a seed) brings in. */
enum fz_key_id { FZ_R1, FZ_R2, FZ_R3, FZ_L1, FZ_L2, FZ_O1, FZ_NKEYS };

struct fz_state {
	struct sign_key *key[FZ_NKEYS];
	struct sign_pubkey pub[FZ_NKEYS];
	uint8_t *root_v1;		/* envelope bytes of the trusted root */
	size_t root_v1_len;
	struct sign_root *trusted;	/* root_v1, verified */
};

static struct fz_state fz;

/* Fills a root's role from the fixed keys ids[0..n). */
static inline void
fz_role(struct sign_root *f, enum sign_role_id role, const enum fz_key_id *ids,
    size_t n, int64_t threshold)
{
	for (size_t i = 0; i < n; i++)
		FZ_ASSERT(sign_role_add(&f->roles[role], &fz.pub[ids[i]]) == 0);
	f->roles[role].threshold = threshold;
}

/* Makes the keys and the trusted root, once; aborts if anything fails. */
static inline void
fz_setup(void)
{
	static const enum fz_key_id root_ids[] = { FZ_R1, FZ_R2 };
	static const enum fz_key_id rel_ids[] = { FZ_L1, FZ_L2 };
	static const enum fz_key_id online_ids[] = { FZ_O1 };
	const struct sign_key *signers[2];
	struct sign_root *f;
	char err[256];

	if (fz.trusted != NULL)
		return;
	FZ_ASSERT(sign_init() == 0);
	for (int i = 0; i < FZ_NKEYS; i++) {
		uint8_t seed[SIGN_SEED_LEN];

		memset(seed, 0x11 + i, sizeof(seed));
		fz.key[i] = sign_key_from_seed(seed);
		FZ_ASSERT(fz.key[i] != NULL);
		sign_key_pubkey(fz.key[i], &fz.pub[i]);
	}
	f = sign_root_new();
	FZ_ASSERT(f != NULL);
	f->version = 1;
	f->expires = FZ_NOW + 365 * FZ_DAY;
	fz_role(f, SIGN_ROLE_ROOT, root_ids, 2, 2);
	fz_role(f, SIGN_ROLE_RELEASE, rel_ids, 2, 1);
	fz_role(f, SIGN_ROLE_ONLINE, online_ids, 1, 1);
	signers[0] = fz.key[FZ_R1];
	signers[1] = fz.key[FZ_R2];
	if (sign_root_create(f, signers, 2, &fz.root_v1, &fz.root_v1_len, err,
	    sizeof(err)) != SIGN_OK ||
	    sign_root_verify_initial(fz.root_v1, fz.root_v1_len, FZ_NOW,
	    &fz.trusted, err, sizeof(err)) != SIGN_OK) {
		fprintf(stderr, "fuzz setup: %s\n", err);
		abort();
	}
	sign_root_free(f);
}

/* The fixed key whose id is keyid, or -1. */
static inline int
fz_key_of(const char *keyid)
{
	for (int i = 0; i < FZ_NKEYS; i++)
		if (strcmp(fz.pub[i].keyid, keyid) == 0)
			return i;
	return -1;
}

/* Adds the signatures of the fixed keys ids[0..n) to the envelope buf
 * (which is replaced). 0, or -1 when the envelope does not parse or
 * outgrows the caps; *buf is then unchanged. */
static inline int
fz_cosign(uint8_t **buf, size_t *len, const enum fz_key_id *ids, size_t n)
{
	uint8_t *cur = *buf, *next;
	size_t curlen = *len, nextlen;

	for (size_t i = 0; i < n; i++) {
		if (sign_envelope_add_signature(fz.key[ids[i]], cur, curlen,
		    &next, &nextlen, NULL, 0) != SIGN_OK) {
			if (cur != *buf)
				free(cur);
			return -1;
		}
		if (cur != *buf)
			free(cur);
		cur = next;
		curlen = nextlen;
	}
	if (cur != *buf) {
		free(*buf);
		*buf = cur;
		*len = curlen;
	}
	return 0;
}

/* A malloc'd copy of len bytes: exactly len, so that ASan sees any read
 * past the end. */
static inline uint8_t *
fz_dup(const uint8_t *p, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);

	FZ_ASSERT(c != NULL);
	if (len > 0)
		memcpy(c, p, len);
	return c;
}

/* A malloc'd NUL-terminated copy of the len bytes at p, cut at the first
 * NUL if any. */
static inline char *
fz_str(const uint8_t *p, size_t len)
{
	const uint8_t *nul = memchr(p, 0, len);
	size_t n = nul != NULL ? (size_t)(nul - p) : len;
	char *s = malloc(n + 1);

	FZ_ASSERT(s != NULL);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Splits the input at its first n - 1 NUL bytes into n parts (missing
 * parts are empty); the last part keeps any further NUL. */
struct fz_part {
	const uint8_t *p;
	size_t len;
};

static inline void
fz_split(const uint8_t *data, size_t size, struct fz_part *parts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t *nul = i + 1 < n ? memchr(data, 0, size) : NULL;
		size_t take = nul != NULL ? (size_t)(nul - data) : size;

		parts[i].p = data;
		parts[i].len = take;
		data += take;
		size -= take;
		if (nul != NULL) {
			data++;
			size--;
		}
	}
}

/* 1 when the s is exactly 64 lowercase hex digits. */
static inline int
fz_is_keyid(const char *s)
{
	if (strlen(s) != SIGN_KEYID_HEX - 1)
		return 0;
	for (size_t i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* 1 when the n bytes at s hold no control character (< 0x20, 0x7f). */
static inline int
fz_no_ctrl(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* The API's identifier rule (1 to max of A-Z a-z 0-9 . _ : -, starting
 * with a letter or digit), read independently from jsonv.h. */
static inline int
fz_ref_ident(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != ':' &&
		    c != '-')))
			return 0;
	}
	return 1;
}

/* 1 when r is a named result (and so a reason a device may report). */
static inline int
fz_result_ok(enum sign_result r)
{
	return (int)r >= 0 && r < SIGN_ERR_COUNT &&
	    strcmp(sign_result_name(r), "unknown") != 0;
}

#endif
