/* Signed documents: envelopes, thresholds, root chains, releases and
 * assignments, each with the way it must be refused. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_util.h"
#include "fixture.h"
#include "util/util.h"

/* Root keys r1..r3, new root keys n1 n2, release keys k1 k2, online o1,
 * and x, which is in no role. */
static struct sign_key *r1, *r2, *r3, *n1, *n2, *k1, *k2, *o1, *x;
static char err[512];

static void
setup(void)
{
	r1 = fx_key(1);
	r2 = fx_key(2);
	r3 = fx_key(3);
	n1 = fx_key(31);
	n2 = fx_key(32);
	k1 = fx_key(11);
	k2 = fx_key(12);
	o1 = fx_key(21);
	x = fx_key(99);
	err[0] = '\0';
}

static void
teardown(void)
{
	struct sign_key *all[] = { r1, r2, r3, n1, n2, k1, k2, o1, x };

	for (size_t i = 0; i < ARRAY_LEN(all); i++)
		sign_key_free(all[i]);
}

/* Root 1: root keys r1 r2 (threshold 2), release k1 k2 (threshold t),
 * online o1; signed by r1 and r2. */
static struct fx_root
spec_v1(int64_t release_threshold)
{
	struct fx_root s = {
		.version = 1, .expires = FX_NOW + 365 * FX_DAY,
		.keys = { { r1, r2 }, { k1, k2 }, { o1 } },
		.nkeys = { 2, 2, 1 },
		.threshold = { 2, release_threshold, 1 },
		.sign = { r1, r2 }, .nsign = 2,
	};

	return s;
}

/* Root 1 as verified; the caller frees. */
static struct sign_root *
root_v1(int64_t release_threshold)
{
	struct fx_root spec = spec_v1(release_threshold);
	struct sign_root *root = NULL;
	size_t len;
	uint8_t *buf = fx_root_bytes(&spec, &len);

	ck_assert_msg(sign_root_verify_initial(buf, len, FX_NOW, &root, err,
	    sizeof(err)) == SIGN_OK, "%s", err);
	free(buf);
	return root;
}

/* Root 2 rotates the root keys from r1 r2 to n1 n2 (threshold 2). */
static struct fx_root
spec_v2(void)
{
	struct fx_root s = spec_v1(1);

	s.version = 2;
	s.keys[SIGN_ROLE_ROOT][0] = n1;
	s.keys[SIGN_ROLE_ROOT][1] = n2;
	s.sign[0] = r1;
	s.sign[1] = r2;
	s.sign[2] = n1;
	s.sign[3] = n2;
	s.nsign = 4;
	return s;
}

static enum sign_result
verify_release(const struct sign_root *root, const uint8_t *buf, size_t len,
    int64_t now)
{
	return sign_release_verify(root, buf, len, now, NULL, err, sizeof(err));
}

/* Envelopes ------------------------------------------------------------ */

START_TEST(envelope_format)
{
	static const char *const bad[] = {
		"{\"signed\":{\"_type\":\"nope\"},\"signatures\":[]}",
		"{\"signed\":{\"_type\":\"release\"},\"signatures\":[],"
		"\"extra\":1}",
		"{\"signed\":{\"_type\":\"release\"}}",
		"{\"signed\":[],\"signatures\":[]}",
		"{\"signed\":{\"_type\":\"release\"},\"signatures\":[{"
		"\"keyid\":\"00\",\"sig\":\"00\"}]}",
		"{\"signed\":{\"_type\":\"release\"},\"signatures\":{}}",
	};
	struct sign_envelope *env = NULL;

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		ck_assert_msg(sign_envelope_parse((const uint8_t *)bad[i],
		    strlen(bad[i]), &env, err, sizeof(err)) == SIGN_ERR_FORMAT,
		    "accepted %s", bad[i]);
	ck_assert_ptr_null(env);
	ck_assert_int_eq(sign_envelope_parse((const uint8_t *)bad[0],
	    strlen(bad[0]), &env, err, sizeof(err)), SIGN_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "unknown _type"));
}
END_TEST

START_TEST(envelope_sign_and_cosign)
{
	json_t *doc = json_pack("{s:s, s:s}", "_type", "release", "z", "\n");
	struct sign_envelope *a, *b;
	struct sign_pubkey pks[2];
	struct sign_keyids ids = { 0 };
	uint8_t *one, *two, *again;
	size_t l1, l2, l3;

	ck_assert_int_eq(sign_envelope_sign(k1, doc, &one, &l1, err,
	    sizeof(err)), SIGN_OK);
	/* Wire form: the newline is escaped; no trailing newline. */
	ck_assert_ptr_nonnull(strstr((char *)one, "\\u000a"));
	ck_assert_int_ne(one[l1 - 1], '\n');
	ck_assert_int_eq(sign_envelope_add_signature(k2, one, l1, &two, &l2,
	    err, sizeof(err)), SIGN_OK);
	ck_assert_int_eq(sign_envelope_parse(one, l1, &a, err, sizeof(err)),
	    SIGN_OK);
	ck_assert_int_eq(sign_envelope_parse(two, l2, &b, err, sizeof(err)),
	    SIGN_OK);
	/* The signed part is untouched, byte for byte. */
	ck_assert_uint_eq(a->canonical_len, b->canonical_len);
	ck_assert_mem_eq(a->canonical, b->canonical, a->canonical_len);
	ck_assert_uint_eq(a->nsigs, 1);
	ck_assert_uint_eq(b->nsigs, 2);
	sign_key_pubkey(k1, &pks[0]);
	sign_key_pubkey(k2, &pks[1]);
	ck_assert_int_eq(sign_envelope_verify(b, pks, 2, 2, "test", &ids, err,
	    sizeof(err)), SIGN_OK);
	ck_assert_uint_eq(ids.n, 2);
	/* Cosigning twice with one key keeps one signature by it. */
	ck_assert_int_eq(sign_envelope_add_signature(k2, two, l2, &again, &l3,
	    err, sizeof(err)), SIGN_OK);
	ck_assert_uint_eq(l3, l2);
	ck_assert_mem_eq(again, two, l2);
	sign_envelope_free(a);
	sign_envelope_free(b);
	free(one);
	free(two);
	free(again);
	json_decref(doc);
}
END_TEST

START_TEST(envelope_sign_refuses_bad_docs)
{
	json_t *unknown = json_pack("{s:s}", "_type", "other");
	json_t *real = json_pack("{s:s, s:f}", "_type", "release", "n", 0.5);
	uint8_t *out = NULL;
	size_t len;

	ck_assert_int_eq(sign_envelope_sign(k1, unknown, &out, &len, err,
	    sizeof(err)), SIGN_ERR_FORMAT);
	ck_assert_int_eq(sign_envelope_sign(k1, real, &out, &len, err,
	    sizeof(err)), SIGN_ERR_FORMAT);
	ck_assert_ptr_null(out);
	json_decref(unknown);
	json_decref(real);
}
END_TEST

/* Root ----------------------------------------------------------------- */

START_TEST(root_v1_ok)
{
	struct sign_root *root = root_v1(1);

	ck_assert_int_eq(root->version, 1);
	ck_assert_uint_eq(root->roles[SIGN_ROLE_ROOT].nkeys, 2);
	ck_assert_int_eq(root->roles[SIGN_ROLE_ROOT].threshold, 2);
	ck_assert_uint_eq(root->roles[SIGN_ROLE_RELEASE].nkeys, 2);
	ck_assert_uint_eq(root->roles[SIGN_ROLE_ONLINE].nkeys, 1);
	ck_assert_uint_eq(root->nkeys, 5);
	ck_assert_uint_eq(root->signers.n, 2);
	ck_assert(sign_keyids_has(&root->signers, sign_key_id(r1)));
	ck_assert(sign_keyids_has(&root->signers, sign_key_id(r2)));
	sign_root_free(root);
}
END_TEST

START_TEST(root_v1_refusals)
{
	struct fx_root spec = spec_v1(1);
	struct sign_root *root = NULL;
	uint8_t *buf, *bad;
	size_t len, blen;

	/* Below its own root threshold. */
	spec.nsign = 1;
	buf = fx_root_bytes(&spec, &len);
	ck_assert_int_eq(sign_root_verify_initial(buf, len, FX_NOW, &root,
	    err, sizeof(err)), SIGN_ERR_THRESHOLD);
	free(buf);
	/* Expired. */
	spec = spec_v1(1);
	spec.expires = FX_NOW - 1;
	buf = fx_root_bytes(&spec, &len);
	ck_assert_int_eq(sign_root_verify_initial(buf, len, FX_NOW, &root,
	    err, sizeof(err)), SIGN_ERR_EXPIRED);
	ck_assert_int_eq(sign_root_load(buf, len, &root, err, sizeof(err)),
	    SIGN_OK);
	sign_root_free(root);
	root = NULL;
	free(buf);
	/* A first root must be version 1. */
	spec = spec_v1(1);
	spec.version = 2;
	buf = fx_root_bytes(&spec, &len);
	ck_assert_int_eq(sign_root_verify_initial(buf, len, FX_NOW, &root,
	    err, sizeof(err)), SIGN_ERR_VERSION);
	free(buf);
	/* A signed field changed after signing. */
	spec = spec_v1(1);
	buf = fx_root_bytes(&spec, &len);
	bad = fx_replace(buf, len, "\"expires\":\"2027-", "\"expires\":\"2037-",
	    &blen);
	ck_assert_int_eq(sign_root_verify_initial(bad, blen, FX_NOW, &root,
	    err, sizeof(err)), SIGN_ERR_SIGNATURE);
	free(bad);
	/* A release given where a root is expected. */
	ck_assert_ptr_null(root);
	free(buf);
}
END_TEST

START_TEST(root_create_refuses_bad_roles)
{
	struct sign_root *f = sign_root_new();
	struct sign_key *signers[] = { r1 };
	struct sign_pubkey pk;
	uint8_t *out = NULL;
	size_t len;

	/* Every role empty. */
	f->version = 1;
	f->expires = FX_NOW + FX_DAY;
	ck_assert_int_eq(sign_root_create(f, (const struct sign_key *const *)
	    signers, 1, &out, &len, err, sizeof(err)), SIGN_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "\"keys\" must be a non-empty"));
	/* A threshold above the role's key count. */
	for (int r = 0; r < SIGN_ROLE_COUNT; r++) {
		sign_key_pubkey(r == SIGN_ROLE_ROOT ? r1 : r == SIGN_ROLE_RELEASE ?
		    k1 : o1, &pk);
		ck_assert_int_eq(sign_role_add(&f->roles[r], &pk), 0);
		f->roles[r].threshold = 1;
	}
	sign_key_pubkey(r2, &pk);
	ck_assert_int_eq(sign_role_add(&f->roles[SIGN_ROLE_ROOT], &pk), 0);
	ck_assert_int_eq(sign_role_add(&f->roles[SIGN_ROLE_ROOT], &pk), -1);
	f->roles[SIGN_ROLE_RELEASE].threshold = 2;
	ck_assert_int_eq(sign_root_create(f, (const struct sign_key *const *)
	    signers, 1, &out, &len, err, sizeof(err)), SIGN_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "threshold"));
	/* Fixed, it is made. */
	f->roles[SIGN_ROLE_RELEASE].threshold = 1;
	ck_assert_int_eq(sign_root_create(f, (const struct sign_key *const *)
	    signers, 1, &out, &len, err, sizeof(err)), SIGN_OK);
	free(out);
	ck_assert_int_eq(sign_role_remove(&f->roles[SIGN_ROLE_ROOT],
	    sign_key_id(r2)), 0);
	ck_assert_int_eq(sign_role_remove(&f->roles[SIGN_ROLE_ROOT],
	    sign_key_id(r2)), -1);
	ck_assert_uint_eq(f->roles[SIGN_ROLE_ROOT].nkeys, 1);
	sign_root_free(f);
}
END_TEST

START_TEST(root_keyid_must_match)
{
	struct fx_root spec = spec_v1(1);
	struct sign_root *root = NULL;
	char id[SIGN_KEYID_HEX], other[SIGN_KEYID_HEX];
	uint8_t *buf, *bad;
	size_t len, blen;

	buf = fx_root_bytes(&spec, &len);
	/* Rename o1's entry in "keys" (and its role listing) to x's id. */
	memcpy(id, sign_key_id(o1), sizeof(id));
	memcpy(other, sign_key_id(x), sizeof(other));
	bad = fx_replace(buf, len, id, other, &blen);
	free(buf);
	buf = fx_replace(bad, blen, id, other, &len);
	ck_assert_int_eq(sign_root_load(buf, len, &root, err, sizeof(err)),
	    SIGN_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "not the sha256"));
	free(bad);
	free(buf);
}
END_TEST

START_TEST(root_next_ok)
{
	struct sign_root *v1 = root_v1(1), *v2 = NULL;
	struct fx_root spec = spec_v2();
	uint8_t *buf;
	size_t len;

	buf = fx_root_bytes(&spec, &len);
	ck_assert_msg(sign_root_verify_next(v1, buf, len, FX_NOW, &v2, err,
	    sizeof(err)) == SIGN_OK, "%s", err);
	ck_assert_int_eq(v2->version, 2);
	ck_assert_uint_eq(v2->signers.n, 4);
	ck_assert_int_ge(sign_role_find(&v2->roles[SIGN_ROLE_ROOT],
	    sign_key_id(n1)), 0);
	ck_assert_int_lt(sign_role_find(&v2->roles[SIGN_ROLE_ROOT],
	    sign_key_id(r1)), 0);
	free(buf);
	sign_root_free(v1);
	sign_root_free(v2);
}
END_TEST

START_TEST(root_next_only_new_keys)
{
	struct sign_root *v1 = root_v1(1), *v2 = NULL;
	struct fx_root spec = spec_v2();
	uint8_t *buf;
	size_t len;

	spec.sign[0] = n1;
	spec.sign[1] = n2;
	spec.nsign = 2;
	buf = fx_root_bytes(&spec, &len);
	ck_assert_int_eq(sign_root_verify_next(v1, buf, len, FX_NOW, &v2, err,
	    sizeof(err)), SIGN_ERR_THRESHOLD);
	ck_assert_ptr_nonnull(strstr(err, "root role of root version 1"));
	ck_assert_ptr_null(v2);
	free(buf);
	sign_root_free(v1);
}
END_TEST

START_TEST(root_next_only_old_keys)
{
	struct sign_root *v1 = root_v1(1), *v2 = NULL;
	struct fx_root spec = spec_v2();
	uint8_t *buf;
	size_t len;

	spec.nsign = 2;		/* r1 and r2 only */
	buf = fx_root_bytes(&spec, &len);
	ck_assert_int_eq(sign_root_verify_next(v1, buf, len, FX_NOW, &v2, err,
	    sizeof(err)), SIGN_ERR_THRESHOLD);
	ck_assert_ptr_nonnull(strstr(err, "root role of root version 2"));
	ck_assert_ptr_null(v2);
	free(buf);
	sign_root_free(v1);
}
END_TEST

START_TEST(root_next_version_jump)
{
	struct sign_root *v1 = root_v1(1), *v2 = NULL;
	struct fx_root spec = spec_v2();
	uint8_t *buf;
	size_t len;

	spec.version = 3;
	buf = fx_root_bytes(&spec, &len);
	ck_assert_int_eq(sign_root_verify_next(v1, buf, len, FX_NOW, &v2, err,
	    sizeof(err)), SIGN_ERR_VERSION);
	free(buf);
	/* The same version again is no step either. */
	spec = spec_v1(1);
	buf = fx_root_bytes(&spec, &len);
	ck_assert_int_eq(sign_root_verify_next(v1, buf, len, FX_NOW, &v2, err,
	    sizeof(err)), SIGN_ERR_VERSION);
	ck_assert_ptr_null(v2);
	free(buf);
	sign_root_free(v1);
}
END_TEST

START_TEST(root_next_expired)
{
	struct sign_root *v1 = root_v1(1), *v2 = NULL;
	struct fx_root spec = spec_v2();
	uint8_t *buf;
	size_t len;

	spec.expires = FX_NOW;
	buf = fx_root_bytes(&spec, &len);
	ck_assert_int_eq(sign_root_verify_next(v1, buf, len, FX_NOW, &v2, err,
	    sizeof(err)), SIGN_ERR_EXPIRED);
	ck_assert_ptr_null(v2);
	free(buf);
	sign_root_free(v1);
}
END_TEST

START_TEST(root_walk_chain)
{
	struct sign_root *v1 = root_v1(1), *last = NULL;
	struct fx_root s2 = spec_v2(), s3 = spec_v2();
	struct sign_bytes docs[2];
	uint8_t *b2, *b3;
	size_t l2, l3;

	/* Root 2 expired long ago: a device that slept walks through it. */
	s2.expires = FX_NOW - 100 * FX_DAY;
	b2 = fx_root_bytes(&s2, &l2);
	/* Root 3 keeps n1 n2 and adds r3, signed by n1 n2 and r3. */
	s3.version = 3;
	s3.keys[SIGN_ROLE_ROOT][2] = r3;
	s3.nkeys[SIGN_ROLE_ROOT] = 3;
	s3.sign[0] = n1;
	s3.sign[1] = n2;
	s3.sign[2] = r3;
	s3.nsign = 3;
	b3 = fx_root_bytes(&s3, &l3);
	docs[0] = (struct sign_bytes){ b2, l2 };
	docs[1] = (struct sign_bytes){ b3, l3 };
	ck_assert_msg(sign_root_walk(v1, docs, 2, FX_NOW, &last, err,
	    sizeof(err)) == SIGN_OK, "%s", err);
	ck_assert_int_eq(last->version, 3);
	sign_root_free(last);
	last = NULL;
	/* Out of order: 3 straight after 1. */
	ck_assert_int_eq(sign_root_walk(v1, docs + 1, 1, FX_NOW, &last, err,
	    sizeof(err)), SIGN_ERR_VERSION);
	/* Stopping at the expired root 2: a freeze. */
	ck_assert_int_eq(sign_root_walk(v1, docs, 1, FX_NOW, &last, err,
	    sizeof(err)), SIGN_ERR_FREEZE);
	/* Nothing newer: the trusted root alone. */
	ck_assert_int_eq(sign_root_walk(v1, docs, 0, FX_NOW, &last, err,
	    sizeof(err)), SIGN_OK);
	ck_assert_int_eq(last->version, 1);
	sign_root_free(last);
	last = NULL;
	ck_assert_int_eq(sign_root_walk(v1, docs, SIGN_ROOT_CHAIN_MAX + 1,
	    FX_NOW, &last, err, sizeof(err)), SIGN_ERR_FORMAT);
	ck_assert_ptr_null(last);
	free(b2);
	free(b3);
	sign_root_free(v1);
}
END_TEST

START_TEST(root_roles_disjoint)
{
	struct fx_root spec = spec_v1(1), s2 = spec_v2();
	struct sign_root *v1 = root_v1(1), *got = NULL, *bad = NULL;
	struct sign_bytes doc;
	uint8_t *b1, *b2, *out = NULL;
	size_t l1, l2, len;

	/* The slip: the server's online key listed as a release key. */
	b1 = fx_root_overlap(&spec, SIGN_ROLE_RELEASE, o1, &l1);
	ck_assert_int_eq(sign_root_verify_initial(b1, l1, FX_NOW, &got, err,
	    sizeof(err)), SIGN_ERR_ROLE_OVERLAP);
	ck_assert_ptr_nonnull(strstr(err, sign_key_id(o1)));
	ck_assert_ptr_nonnull(strstr(err, "release and the online role"));
	ck_assert_str_eq(sign_result_name(SIGN_ERR_ROLE_OVERLAP),
	    "role_overlap");
	/* Loading a root already stored still works (a device so built
	 * keeps booting), but nothing acts on it. */
	ck_assert_int_eq(sign_root_load(b1, l1, &bad, err, sizeof(err)),
	    SIGN_OK);
	ck_assert_int_eq(sign_root_check_roles(bad, err, sizeof(err)),
	    SIGN_ERR_ROLE_OVERLAP);
	ck_assert_int_eq(sign_root_walk(bad, NULL, 0, FX_NOW, &got, err,
	    sizeof(err)), SIGN_ERR_ROLE_OVERLAP);
	ck_assert_int_eq(sign_root_create(bad, (const struct sign_key *const *)
	    &r1, 1, &out, &len, err, sizeof(err)), SIGN_ERR_ROLE_OVERLAP);
	ck_assert_ptr_null(out);
	/* As root 2 after a sound root 1: refused alone and on a walk. */
	b2 = fx_root_overlap(&s2, SIGN_ROLE_RELEASE, o1, &l2);
	ck_assert_int_eq(sign_root_verify_next(v1, b2, l2, FX_NOW, &got, err,
	    sizeof(err)), SIGN_ERR_ROLE_OVERLAP);
	doc = (struct sign_bytes){ b2, l2 };
	ck_assert_int_eq(sign_root_walk(v1, &doc, 1, FX_NOW, &got, err,
	    sizeof(err)), SIGN_ERR_ROLE_OVERLAP);
	ck_assert_ptr_null(got);
	free(b2);
	/* A root key that also signs releases, or serves online. */
	b2 = fx_root_overlap(&s2, SIGN_ROLE_RELEASE, n1, &l2);
	ck_assert_int_eq(sign_root_verify_next(v1, b2, l2, FX_NOW, &got, err,
	    sizeof(err)), SIGN_ERR_ROLE_OVERLAP);
	ck_assert_ptr_nonnull(strstr(err, "root and the release role"));
	free(b2);
	b2 = fx_root_overlap(&s2, SIGN_ROLE_ONLINE, n2, &l2);
	ck_assert_int_eq(sign_root_verify_next(v1, b2, l2, FX_NOW, &got, err,
	    sizeof(err)), SIGN_ERR_ROLE_OVERLAP);
	free(b2);
	/* A sound root 2 after a bad root 1 is the way out. */
	s2 = spec_v2();
	b2 = fx_root_bytes(&s2, &l2);
	doc = (struct sign_bytes){ b2, l2 };
	ck_assert_msg(sign_root_walk(bad, &doc, 1, FX_NOW, &got, err,
	    sizeof(err)) == SIGN_OK, "%s", err);
	ck_assert_int_eq(got->version, 2);
	sign_root_free(got);
	free(b2);
	free(b1);
	sign_root_free(bad);
	sign_root_free(v1);
}
END_TEST

START_TEST(root_tally_of_a_draft)
{
	struct sign_root *v1 = root_v1(1), *d = NULL;
	struct fx_root spec = spec_v2();
	struct sign_envelope *env = NULL;
	struct sign_tally t;
	uint8_t *buf, *next = NULL, *bad;
	size_t len, nlen, blen;

	/* No signer: an unsigned draft, which parses but verifies nowhere. */
	spec.nsign = 0;
	buf = fx_root_bytes(&spec, &len);
	ck_assert_int_eq(sign_root_verify_next(v1, buf, len, FX_NOW, &d, err,
	    sizeof(err)), SIGN_ERR_THRESHOLD);
	ck_assert_int_eq(sign_root_parse(buf, len, &env, &d, err,
	    sizeof(err)), SIGN_OK);
	ck_assert_uint_eq(env->nsigs, 0);
	ck_assert_int_eq(sign_root_tally(v1, SIGN_ROLE_ROOT, env, &t, err,
	    sizeof(err)), SIGN_OK);
	ck_assert_int_eq(t.threshold, 2);
	ck_assert_uint_eq(t.signed_by.n, 0);
	ck_assert_uint_eq(t.missing.n, 2);
	sign_envelope_free(env);
	/* One old root key signs: it counts there, and is no longer
	 * missing; the new root's side still lacks both of its keys. */
	ck_assert_int_eq(sign_envelope_add_signature(r1, buf, len, &next,
	    &nlen, err, sizeof(err)), SIGN_OK);
	ck_assert_int_eq(sign_envelope_parse(next, nlen, &env, err,
	    sizeof(err)), SIGN_OK);
	ck_assert_int_eq(sign_root_tally(v1, SIGN_ROLE_ROOT, env, &t, err,
	    sizeof(err)), SIGN_OK);
	ck_assert_uint_eq(t.signed_by.n, 1);
	ck_assert_str_eq(t.signed_by.id[0], sign_key_id(r1));
	ck_assert_uint_eq(t.missing.n, 1);
	ck_assert_str_eq(t.missing.id[0], sign_key_id(r2));
	ck_assert_int_eq(sign_root_tally(d, SIGN_ROLE_ROOT, env, &t, err,
	    sizeof(err)), SIGN_OK);
	ck_assert_uint_eq(t.signed_by.n, 0);
	ck_assert_uint_eq(t.missing.n, 2);
	sign_envelope_free(env);
	/* Changed after r1 signed: the tally refuses it. */
	bad = fx_replace(next, nlen, "\"version\":2", "\"version\":7", &blen);
	ck_assert_int_eq(sign_envelope_parse(bad, blen, &env, err,
	    sizeof(err)), SIGN_OK);
	ck_assert_int_eq(sign_root_tally(v1, SIGN_ROLE_ROOT, env, &t, err,
	    sizeof(err)), SIGN_ERR_SIGNATURE);
	sign_envelope_free(env);
	free(bad);
	free(next);
	free(buf);
	sign_root_free(d);
	sign_root_free(v1);
}
END_TEST

/* Release -------------------------------------------------------------- */

START_TEST(release_ok)
{
	struct sign_root *root = root_v1(1);
	struct sign_release *f = fx_release_fields("1.2.0-rc.1", 5), *rel;
	uint8_t *buf, h[SIGN_SHA256_LEN];
	size_t len;

	f->notes = strdup("multi\nline \"notes\"");
	buf = fx_release_bytes(f, &k1, 1, &len);
	ck_assert_int_eq(sign_release_verify(root, buf, len, FX_NOW, &rel, err,
	    sizeof(err)), SIGN_OK);
	ck_assert_str_eq(rel->fw_version, "1.2.0-rc.1");
	ck_assert_uint_eq(rel->nhw_classes, 2);
	ck_assert_str_eq(rel->hw_classes[1], "board-b");
	ck_assert_int_eq(rel->security_counter, 5);
	ck_assert_uint_eq(rel->length, 11);
	ck_assert_mem_eq(rel->sha256, f->sha256, SIGN_SHA256_LEN);
	ck_assert_int_eq(rel->expires, f->expires);
	ck_assert_int_eq(rel->created, f->created);
	ck_assert_str_eq(rel->notes, "multi\nline \"notes\"");
	sign_sha256(buf, len, h);
	ck_assert_mem_eq(rel->envelope_sha256, h, SIGN_SHA256_LEN);
	/* The envelope is already in its one canonical spelling, so a device
	 * that gets it inside a JSON response can re-encode it to the exact
	 * bytes an assignment names. */
	{
		uint8_t *canon;
		size_t clen;

		ck_assert_int_eq(sign_cjson_canonicalize(buf, len, &canon,
		    &clen, err, sizeof(err)), SIGN_OK);
		ck_assert_uint_eq(clen, len);
		ck_assert_mem_eq(canon, buf, len);
		free(canon);
	}
	ck_assert_uint_eq(rel->signers.n, 1);
	ck_assert_str_eq(rel->signers.id[0], sign_key_id(k1));
	sign_release_free(rel);
	free(buf);
	sign_release_free(f);
	sign_root_free(root);
}
END_TEST

START_TEST(release_over_4gib)
{
	struct sign_root *root = root_v1(1);
	struct sign_release *f = fx_release_fields("1.0.0", 0), *rel;
	uint8_t *buf;
	size_t len;

	f->length = 5000000000ULL;
	buf = fx_release_bytes(f, &k1, 1, &len);
	ck_assert_ptr_nonnull(strstr((char *)buf, "\"length\":5000000000"));
	ck_assert_int_eq(sign_release_verify(root, buf, len, FX_NOW, &rel, err,
	    sizeof(err)), SIGN_OK);
	ck_assert_uint_eq(rel->length, 5000000000ULL);
	sign_release_free(rel);
	free(buf);
	sign_release_free(f);
	sign_root_free(root);
}
END_TEST

START_TEST(release_field_changed)
{
	struct sign_root *root = root_v1(1);
	struct sign_release *f = fx_release_fields("1.0.0", 5);
	uint8_t *buf, *bad;
	size_t len, blen;

	buf = fx_release_bytes(f, &k1, 1, &len);
	bad = fx_replace(buf, len, "\"security_counter\":5",
	    "\"security_counter\":6", &blen);
	ck_assert_int_eq(verify_release(root, bad, blen, FX_NOW),
	    SIGN_ERR_SIGNATURE);
	free(bad);
	bad = fx_replace(buf, len, "board-a", "board-c", &blen);
	ck_assert_int_eq(verify_release(root, bad, blen, FX_NOW),
	    SIGN_ERR_SIGNATURE);
	free(bad);
	free(buf);
	sign_release_free(f);
	sign_root_free(root);
}
END_TEST

START_TEST(release_key_outside_role)
{
	struct sign_root *root = root_v1(1);
	struct sign_release *f = fx_release_fields("1.0.0", 5);
	uint8_t *buf;
	size_t len;

	/* x is in no role; o1 and r1 hold other roles. */
	buf = fx_release_bytes(f, &x, 1, &len);
	ck_assert_int_eq(verify_release(root, buf, len, FX_NOW),
	    SIGN_ERR_THRESHOLD);
	ck_assert_ptr_nonnull(strstr(err, "0 valid signatures"));
	free(buf);
	buf = fx_release_bytes(f, &o1, 1, &len);
	ck_assert_int_eq(verify_release(root, buf, len, FX_NOW),
	    SIGN_ERR_THRESHOLD);
	free(buf);
	buf = fx_release_bytes(f, &r1, 1, &len);
	ck_assert_int_eq(verify_release(root, buf, len, FX_NOW),
	    SIGN_ERR_THRESHOLD);
	free(buf);
	sign_release_free(f);
	sign_root_free(root);
}
END_TEST

START_TEST(release_duplicate_signature)
{
	struct sign_root *root = root_v1(2);
	struct sign_release *f = fx_release_fields("1.0.0", 5);
	struct sign_key *both[] = { k1, k2 };
	uint8_t *buf, *dup;
	json_t *env, *sigs;
	size_t len, dlen;

	buf = fx_release_bytes(f, &k1, 1, &len);
	/* The same signature object twice: still one key. */
	env = json_loadb((const char *)buf, len, 0, NULL);
	ck_assert_ptr_nonnull(env);
	sigs = json_object_get(env, "signatures");
	ck_assert_int_eq(json_array_append(sigs, json_array_get(sigs, 0)), 0);
	dup = (uint8_t *)json_dumps(env, JSON_COMPACT);
	ck_assert_ptr_nonnull(dup);
	dlen = strlen((char *)dup);
	json_decref(env);
	ck_assert_int_eq(verify_release(root, dup, dlen, FX_NOW),
	    SIGN_ERR_THRESHOLD);
	ck_assert_ptr_nonnull(strstr(err, "1 valid signature by"));
	free(dup);
	free(buf);
	/* Two keys meet threshold 2. */
	buf = fx_release_bytes(f, both, 2, &len);
	ck_assert_int_eq(verify_release(root, buf, len, FX_NOW), SIGN_OK);
	free(buf);
	sign_release_free(f);
	sign_root_free(root);
}
END_TEST

START_TEST(release_cosign_reaches_threshold)
{
	struct sign_root *root = root_v1(2);
	struct sign_release *f = fx_release_fields("1.0.0", 5);
	uint8_t *buf, *two;
	size_t len, l2;

	buf = fx_release_bytes(f, &k1, 1, &len);
	ck_assert_int_eq(verify_release(root, buf, len, FX_NOW),
	    SIGN_ERR_THRESHOLD);
	ck_assert_int_eq(sign_envelope_add_signature(k2, buf, len, &two, &l2,
	    err, sizeof(err)), SIGN_OK);
	ck_assert_int_eq(verify_release(root, two, l2, FX_NOW), SIGN_OK);
	free(two);
	free(buf);
	sign_release_free(f);
	sign_root_free(root);
}
END_TEST

START_TEST(release_expired)
{
	struct sign_root *root = root_v1(1);
	struct sign_release *f = fx_release_fields("1.0.0", 5);
	uint8_t *buf;
	size_t len;

	buf = fx_release_bytes(f, &k1, 1, &len);
	ck_assert_int_eq(verify_release(root, buf, len, f->expires),
	    SIGN_ERR_EXPIRED);
	ck_assert_ptr_nonnull(strstr(err, "release 1.0.0 expired at"));
	ck_assert_int_eq(verify_release(root, buf, len, f->expires - 1),
	    SIGN_OK);
	ck_assert_int_eq(verify_release(root, buf, len, SIGN_NO_EXPIRY),
	    SIGN_OK);
	free(buf);
	sign_release_free(f);
	sign_root_free(root);
}
END_TEST

START_TEST(release_revoked_key)
{
	struct sign_root *v1 = root_v1(1), *v2 = NULL;
	struct fx_root spec = spec_v2();
	struct sign_release *f = fx_release_fields("1.0.0", 5);
	uint8_t *rb, *buf;
	size_t rlen, len;

	/* Root 2 drops the leaked k1 from the release role. */
	spec.keys[SIGN_ROLE_RELEASE][0] = k2;
	spec.nkeys[SIGN_ROLE_RELEASE] = 1;
	rb = fx_root_bytes(&spec, &rlen);
	ck_assert_int_eq(sign_root_verify_next(v1, rb, rlen, FX_NOW, &v2, err,
	    sizeof(err)), SIGN_OK);
	buf = fx_release_bytes(f, &k1, 1, &len);
	ck_assert_int_eq(verify_release(v1, buf, len, FX_NOW), SIGN_OK);
	ck_assert_int_eq(verify_release(v2, buf, len, FX_NOW),
	    SIGN_ERR_THRESHOLD);
	free(buf);
	free(rb);
	sign_release_free(f);
	sign_root_free(v1);
	sign_root_free(v2);
}
END_TEST

START_TEST(release_format_refusals)
{
	struct sign_root *root = root_v1(1);
	struct sign_release *f = fx_release_fields("1.0.0", 5);
	uint8_t *buf, *bad, *big;
	size_t len, blen;

	buf = fx_release_bytes(f, &k1, 1, &len);
	/* A float value. */
	bad = fx_replace(buf, len, "\"length\":11", "\"length\":11.0", &blen);
	ck_assert_int_eq(verify_release(root, bad, blen, FX_NOW),
	    SIGN_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "floating-point"));
	free(bad);
	/* Duplicate keys. */
	bad = fx_replace(buf, len, "\"length\":11",
	    "\"length\":11,\"length\":11", &blen);
	ck_assert_int_eq(verify_release(root, bad, blen, FX_NOW),
	    SIGN_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "duplicate"));
	free(bad);
	/* Trailing bytes. */
	bad = malloc(len + 2);
	memcpy(bad, buf, len);
	memcpy(bad + len, "x", 2);
	ck_assert_int_eq(verify_release(root, bad, len + 1, FX_NOW),
	    SIGN_ERR_FORMAT);
	free(bad);
	/* Oversized: padded past the cap. */
	big = malloc(SIGN_DOC_MAX + 1);
	memset(big, ' ', SIGN_DOC_MAX + 1);
	memcpy(big, buf, len);
	ck_assert_int_eq(verify_release(root, big, SIGN_DOC_MAX + 1, FX_NOW),
	    SIGN_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "over the cap"));
	free(big);
	/* An unknown _type, and a root where a release belongs. */
	bad = fx_replace(buf, len, "\"_type\":\"release\"",
	    "\"_type\":\"firmware\"", &blen);
	ck_assert_int_eq(verify_release(root, bad, blen, FX_NOW),
	    SIGN_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "unknown _type"));
	free(bad);
	bad = fx_replace(buf, len, "\"_type\":\"release\"",
	    "\"_type\":\"release\",\"x\":1", &blen);
	ck_assert_int_eq(verify_release(root, bad, blen, FX_NOW),
	    SIGN_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "unknown field"));
	free(bad);
	free(buf);
	sign_release_free(f);
	sign_root_free(root);
}
END_TEST

START_TEST(release_create_refusals)
{
	struct sign_release *f = fx_release_fields("1.0", 5);
	uint8_t *out = NULL;
	size_t len;

	ck_assert_int_eq(sign_release_create(f, (const struct sign_key *const *)
	    &k1, 1, &out, &len, err, sizeof(err)), SIGN_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "fw_version"));
	memcpy(f->fw_version, "1.0.0", 6);
	memcpy(f->hw_classes[1], "board-a", 8);
	ck_assert_int_eq(sign_release_create(f, (const struct sign_key *const *)
	    &k1, 1, &out, &len, err, sizeof(err)), SIGN_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "listed twice"));
	f->nhw_classes = 0;
	ck_assert_int_eq(sign_release_create(f, (const struct sign_key *const *)
	    &k1, 1, &out, &len, err, sizeof(err)), SIGN_ERR_FORMAT);
	f->nhw_classes = 1;
	f->length = 0;
	ck_assert_int_eq(sign_release_create(f, (const struct sign_key *const *)
	    &k1, 1, &out, &len, err, sizeof(err)), SIGN_ERR_FORMAT);
	f->length = 1;
	f->security_counter = -1;
	ck_assert_int_eq(sign_release_create(f, (const struct sign_key *const *)
	    &k1, 1, &out, &len, err, sizeof(err)), SIGN_ERR_FORMAT);
	ck_assert_ptr_null(out);
	sign_release_free(f);
}
END_TEST

/* Assignment ----------------------------------------------------------- */

START_TEST(assignment_checks)
{
	struct sign_root *root = root_v1(1);
	struct sign_release *f = fx_release_fields("1.0.0", 5);
	struct sign_assignment *a = NULL;
	uint8_t *rel, *rel2, *as;
	size_t rlen, r2len, alen;

	rel = fx_release_bytes(f, &k1, 1, &rlen);
	f->security_counter = 6;
	rel2 = fx_release_bytes(f, &k1, 1, &r2len);
	as = fx_assignment_bytes(o1, "dev-1", rel, rlen, "n-123",
	    FX_NOW + 600, &alen);
	ck_assert_int_eq(sign_assignment_verify(root, as, alen, "dev-1",
	    "n-123", rel, rlen, FX_NOW, &a, err, sizeof(err)), SIGN_OK);
	ck_assert_str_eq(a->device_id, "dev-1");
	ck_assert_str_eq(a->campaign, "camp-1");
	ck_assert_str_eq(a->nonce, "n-123");
	ck_assert_int_eq(a->created, FX_NOW + 300);
	sign_assignment_free(a);
	/* Another device, another poll, another release, too late. */
	ck_assert_int_eq(sign_assignment_verify(root, as, alen, "dev-2",
	    "n-123", rel, rlen, FX_NOW, NULL, err, sizeof(err)),
	    SIGN_ERR_DEVICE);
	ck_assert_int_eq(sign_assignment_verify(root, as, alen, "dev-1",
	    "n-124", rel, rlen, FX_NOW, NULL, err, sizeof(err)),
	    SIGN_ERR_NONCE);
	ck_assert_int_eq(sign_assignment_verify(root, as, alen, "dev-1",
	    "n-123", rel2, r2len, FX_NOW, NULL, err, sizeof(err)),
	    SIGN_ERR_RELEASE_MISMATCH);
	ck_assert_int_eq(sign_assignment_verify(root, as, alen, "dev-1",
	    "n-123", rel, rlen, FX_NOW + 600, NULL, err, sizeof(err)),
	    SIGN_ERR_EXPIRED);
	free(as);
	/* Made with a release key instead of the online key. */
	as = fx_assignment_bytes(k1, "dev-1", rel, rlen, "n-123",
	    FX_NOW + 600, &alen);
	ck_assert_int_eq(sign_assignment_verify(root, as, alen, "dev-1",
	    "n-123", rel, rlen, FX_NOW, NULL, err, sizeof(err)),
	    SIGN_ERR_THRESHOLD);
	free(as);
	free(rel);
	free(rel2);
	sign_release_free(f);
	sign_root_free(root);
}
END_TEST

START_TEST(assignment_created)
{
	struct sign_root *root = root_v1(1);
	struct sign_assignment *a = NULL;
	uint8_t h[SIGN_SHA256_LEN] = { 0 }, *out = NULL;
	size_t len;

	/* Without "created" (as servers before it wrote): 0. */
	ck_assert_int_eq(sign_assignment_create(o1, "d", h, "c", "n", 0,
	    FX_NOW + 60, &out, &len, err, sizeof(err)), SIGN_OK);
	ck_assert_ptr_null(strstr((const char *)out, "created"));
	ck_assert_int_eq(sign_assignment_verify_sig(root, out, len, FX_NOW, &a,
	    err, sizeof(err)), SIGN_OK);
	ck_assert_int_eq(a->created, 0);
	sign_assignment_free(a);
	free(out);
	/* Made at or after its own expiry: not well formed. */
	ck_assert_int_eq(sign_assignment_create(o1, "d", h, "c", "n",
	    FX_NOW + 60, FX_NOW + 60, &out, &len, err, sizeof(err)),
	    SIGN_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "created"));
	sign_root_free(root);
}
END_TEST

START_TEST(assignment_create_refusals)
{
	uint8_t h[SIGN_SHA256_LEN] = { 0 }, *out = NULL;
	char long_id[SIGN_ID_MAX + 2];
	size_t len;

	memset(long_id, 'd', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	ck_assert_int_eq(sign_assignment_create(o1, "", h, "c", "n", 0, FX_NOW,
	    &out, &len, err, sizeof(err)), SIGN_ERR_FORMAT);
	ck_assert_int_eq(sign_assignment_create(o1, long_id, h, "c", "n",
	    0, FX_NOW, &out, &len, err, sizeof(err)), SIGN_ERR_FORMAT);
	ck_assert_int_eq(sign_assignment_create(o1, "d", h, "c", "n\n", 0, FX_NOW,
	    &out, &len, err, sizeof(err)), SIGN_ERR_FORMAT);
	ck_assert_int_eq(sign_assignment_create(o1, "d", h, "c", NULL, 0, FX_NOW,
	    &out, &len, err, sizeof(err)), SIGN_ERR_FORMAT);
	ck_assert_ptr_null(out);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("sign_docs");
	TCase *te = tcase_create("envelope");
	TCase *tr = tcase_create("root");
	TCase *tl = tcase_create("release");
	TCase *ta = tcase_create("assignment");

	tcase_add_checked_fixture(te, setup, teardown);
	tcase_add_test(te, envelope_format);
	tcase_add_test(te, envelope_sign_and_cosign);
	tcase_add_test(te, envelope_sign_refuses_bad_docs);
	suite_add_tcase(s, te);
	tcase_add_checked_fixture(tr, setup, teardown);
	tcase_add_test(tr, root_v1_ok);
	tcase_add_test(tr, root_v1_refusals);
	tcase_add_test(tr, root_create_refuses_bad_roles);
	tcase_add_test(tr, root_keyid_must_match);
	tcase_add_test(tr, root_next_ok);
	tcase_add_test(tr, root_next_only_new_keys);
	tcase_add_test(tr, root_next_only_old_keys);
	tcase_add_test(tr, root_next_version_jump);
	tcase_add_test(tr, root_next_expired);
	tcase_add_test(tr, root_roles_disjoint);
	tcase_add_test(tr, root_tally_of_a_draft);
	tcase_add_test(tr, root_walk_chain);
	suite_add_tcase(s, tr);
	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_add_test(tl, release_ok);
	tcase_add_test(tl, release_over_4gib);
	tcase_add_test(tl, release_field_changed);
	tcase_add_test(tl, release_key_outside_role);
	tcase_add_test(tl, release_duplicate_signature);
	tcase_add_test(tl, release_cosign_reaches_threshold);
	tcase_add_test(tl, release_expired);
	tcase_add_test(tl, release_revoked_key);
	tcase_add_test(tl, release_format_refusals);
	tcase_add_test(tl, release_create_refusals);
	suite_add_tcase(s, tl);
	tcase_add_checked_fixture(ta, setup, teardown);
	tcase_add_test(ta, assignment_checks);
	tcase_add_test(ta, assignment_created);
	tcase_add_test(ta, assignment_create_refusals);
	suite_add_tcase(s, ta);
	return s;
}

int
main(void)
{
	if (sign_init() != 0)
		return EXIT_FAILURE;
	return tu_run(suite());
}
