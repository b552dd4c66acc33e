/* Fuzzes root metadata: sign_root_load, verify_initial, verify_next and
 * walk against the fixed trusted root. Input: one mode byte, then the
 * envelope. Mode bit 0 cosigns it with R1 and R2 and bit 1 with R3 first,
 * so mutated content gets past the signatures and reaches the checks
 * behind them. */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_setup();
	return 0;
}

static int
role_has(const struct sign_role *ro, const char *keyid)
{
	return sign_role_find(ro, keyid) >= 0;
}

/* Everything sign_root_load promises about a root it returns. */
static void
check_root(const struct sign_root *r)
{
	FZ_ASSERT(r->version >= 1 && r->version < INT64_MAX);
	FZ_ASSERT(r->nkeys >= 1 && r->nkeys <= SIGN_ROOT_MAX_KEYS);
	for (size_t i = 0; i < r->nkeys; i++) {
		struct sign_pubkey pk;

		FZ_ASSERT(sign_pubkey_from_raw(r->keys[i].pk, &pk) == 0);
		FZ_ASSERT(strcmp(pk.keyid, r->keys[i].keyid) == 0);
		for (size_t j = 0; j < i; j++)
			FZ_ASSERT(strcmp(r->keys[i].keyid, r->keys[j].keyid));
	}
	for (int ro = 0; ro < SIGN_ROLE_COUNT; ro++) {
		const struct sign_role *role = &r->roles[ro];

		FZ_ASSERT(role->nkeys >= 1 && role->nkeys <= SIGN_ROLE_MAX_KEYS);
		FZ_ASSERT(role->threshold >= 1 &&
		    role->threshold <= (int64_t)role->nkeys);
		for (size_t i = 0; i < role->nkeys; i++) {
			size_t k;

			for (k = 0; k < r->nkeys; k++)
				if (memcmp(&r->keys[k], &role->keys[i],
				    sizeof(role->keys[i])) == 0)
					break;
			FZ_ASSERT(k < r->nkeys);
			FZ_ASSERT(sign_role_find(role, role->keys[i].keyid) ==
			    (int)i);
		}
	}
}

/* A root loaded from input, re-made from its fields with the fixed keys
 * of its root role, loads back with the same fields. */
static void
check_round_trip(const struct sign_root *r)
{
	const struct sign_role *rr = &r->roles[SIGN_ROLE_ROOT];
	const struct sign_key *keys[SIGN_ROLE_MAX_KEYS];
	struct sign_root *back = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[256];

	for (size_t i = 0; i < rr->nkeys; i++) {
		int k = fz_key_of(rr->keys[i].keyid);

		if (k < 0)
			return;
		keys[i] = fz.key[k];
	}
	if (sign_root_check_roles(r, err, sizeof(err)) != SIGN_OK) {
		/* What verifiers refuse is never made. */
		FZ_ASSERT(sign_root_create(r, keys, rr->nkeys, &buf, &len, err,
		    sizeof(err)) == SIGN_ERR_ROLE_OVERLAP);
		return;
	}
	FZ_ASSERT(sign_root_create(r, keys, rr->nkeys, &buf, &len, err,
	    sizeof(err)) == SIGN_OK);
	FZ_ASSERT(sign_root_load(buf, len, &back, err, sizeof(err)) ==
	    SIGN_OK);
	FZ_ASSERT(back->version == r->version);
	FZ_ASSERT(back->expires == r->expires);
	for (int ro = 0; ro < SIGN_ROLE_COUNT; ro++) {
		FZ_ASSERT(back->roles[ro].nkeys == r->roles[ro].nkeys);
		FZ_ASSERT(back->roles[ro].threshold == r->roles[ro].threshold);
		FZ_ASSERT(memcmp(back->roles[ro].keys, r->roles[ro].keys,
		    r->roles[ro].nkeys * sizeof(r->roles[ro].keys[0])) == 0);
	}
	FZ_ASSERT(back->signers.n == rr->nkeys);
	sign_root_free(back);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum fz_key_id old_keys[] = { FZ_R3, FZ_R1, FZ_R2 };
	struct sign_root *r = NULL, *init = NULL, *next = NULL, *walked = NULL;
	struct sign_bytes doc;
	uint8_t *buf;
	size_t len;
	char err[256] = "";
	enum sign_result rl, ri, rn, rw, want;
	int mode;

	if (size < 1)
		return 0;
	mode = data[0];
	buf = fz_dup(data + 1, size - 1);
	len = size - 1;
	if ((mode & 3) == 1)
		(void)fz_cosign(&buf, &len, old_keys + 1, 2);
	else if ((mode & 3) == 3)
		(void)fz_cosign(&buf, &len, old_keys, 3);

	rl = sign_root_load(buf, len, &r, err, sizeof(err));
	FZ_ASSERT(rl == SIGN_OK || rl == SIGN_ERR_FORMAT ||
	    rl == SIGN_ERR_SIGNATURE || rl == SIGN_ERR_THRESHOLD);
	FZ_ASSERT(rl == SIGN_OK || err[0] != '\0');
	if (rl == SIGN_OK) {
		const struct sign_role *rr = &r->roles[SIGN_ROLE_ROOT];

		check_root(r);
		FZ_ASSERT((int64_t)r->signers.n >= rr->threshold);
		for (size_t i = 0; i < r->signers.n; i++)
			FZ_ASSERT(role_has(rr, r->signers.id[i]));
		check_round_trip(r);
	}

	/* A first root: what load says, then version 1, then unexpired. */
	ri = sign_root_verify_initial(buf, len, FZ_NOW, &init, err,
	    sizeof(err));
	want = rl != SIGN_OK ? rl : r->version != 1 ? SIGN_ERR_VERSION :
	    sign_root_check_roles(r, NULL, 0) != SIGN_OK ?
	    SIGN_ERR_ROLE_OVERLAP : FZ_NOW >= r->expires ? SIGN_ERR_EXPIRED :
	    SIGN_OK;
	FZ_ASSERT(ri == want);

	/* The next root after the trusted one, alone and as a walk. */
	rn = sign_root_verify_next(fz.trusted, buf, len, FZ_NOW, &next, err,
	    sizeof(err));
	FZ_ASSERT(rn == SIGN_OK || rn == SIGN_ERR_FORMAT ||
	    rn == SIGN_ERR_SIGNATURE || rn == SIGN_ERR_THRESHOLD ||
	    rn == SIGN_ERR_VERSION || rn == SIGN_ERR_ROLE_OVERLAP ||
	    rn == SIGN_ERR_EXPIRED);
	if (rn == SIGN_OK) {
		size_t n = 0;

		check_root(next);
		FZ_ASSERT(next->version == fz.trusted->version + 1);
		FZ_ASSERT(next->expires > FZ_NOW);
		/* Both the old and the new root role signed it. */
		for (size_t i = 0; i < next->signers.n; i++)
			n += role_has(&fz.trusted->roles[SIGN_ROLE_ROOT],
			    next->signers.id[i]);
		FZ_ASSERT((int64_t)n >=
		    fz.trusted->roles[SIGN_ROLE_ROOT].threshold);
	}
	/* Its own root role signed it, which is all that load asks. */
	if (rn == SIGN_OK || rn == SIGN_ERR_EXPIRED ||
	    rn == SIGN_ERR_ROLE_OVERLAP)
		FZ_ASSERT(rl == SIGN_OK);
	/* Roles are checked before expiry: an expired root is sound. */
	if (rn == SIGN_OK || rn == SIGN_ERR_EXPIRED)
		FZ_ASSERT(sign_root_check_roles(r, NULL, 0) == SIGN_OK);
	doc.data = buf;
	doc.len = len;
	rw = sign_root_walk(fz.trusted, &doc, 1, FZ_NOW, &walked, err,
	    sizeof(err));
	FZ_ASSERT(rw == (rn == SIGN_ERR_EXPIRED ? SIGN_ERR_FREEZE : rn));
	if (rw == SIGN_OK)
		FZ_ASSERT(memcmp(walked, next, sizeof(*next)) == 0);

	sign_root_free(walked);
	sign_root_free(next);
	sign_root_free(init);
	sign_root_free(r);
	free(buf);
	return 0;
}
