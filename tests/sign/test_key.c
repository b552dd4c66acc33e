/* Keys: RFC 8032 known answers, key ids, public-key files, and encrypted
 * secret key files with every way they must be refused. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_util.h"
#include "fixture.h"
#include "util/util.h"

static char tmp[256];

static void
setup(void)
{
	tu_tmpdir(tmp, sizeof(tmp));
}

static void
teardown(void)
{
	tu_rmtree(tmp);
}

static void
path_in(char *buf, size_t size, const char *name)
{
	ck_assert_int_eq(util_fmt(buf, size, "%s/%s", tmp, name), 0);
}

static void
unhex(const char *hex, uint8_t *out, size_t n)
{
	ck_assert_int_eq(sign_unhex(hex, out, n), 0);
}

/* RFC 8032 section 7.1, tests 1 and 2; key ids computed with
 * `xxd -r -p | sha256sum` over the public keys. */
static const struct {
	const char *seed, *pub, *keyid, *msg, *sig;
} kat[] = {
	{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	  "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9",
	  "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	  "39f713d0a644253f04529421b9f51b9b08979d08295959c4f3990ee617f5139f",
	  "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
};

START_TEST(known_answers)
{
	uint8_t seed[32], pub[32], msg[8], sig[64], want[64];
	size_t mlen = strlen(kat[_i].msg) / 2;
	struct sign_pubkey pk;
	struct sign_key *k;

	unhex(kat[_i].seed, seed, 32);
	unhex(kat[_i].pub, pub, 32);
	unhex(kat[_i].msg, msg, mlen);
	unhex(kat[_i].sig, want, 64);
	k = sign_key_from_seed(seed);
	ck_assert_ptr_nonnull(k);
	sign_key_pubkey(k, &pk);
	ck_assert_mem_eq(pk.pk, pub, 32);
	ck_assert_str_eq(pk.keyid, kat[_i].keyid);
	ck_assert_str_eq(sign_key_id(k), kat[_i].keyid);
	sign_key_sign(k, msg, mlen, sig);
	ck_assert_mem_eq(sig, want, 64);
	ck_assert_int_eq(sign_pubkey_verify(&pk, msg, mlen, sig), 1);
	sig[10] ^= 0x01;
	ck_assert_int_eq(sign_pubkey_verify(&pk, msg, mlen, sig), 0);
	sign_key_free(k);
}
END_TEST

START_TEST(generated_keys_differ)
{
	struct sign_key *a = sign_key_generate(), *b = sign_key_generate();

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_ne(sign_key_id(a), sign_key_id(b));
	sign_key_free(a);
	sign_key_free(b);
	sign_key_free(NULL);
}
END_TEST

START_TEST(pubkey_file_round_trip)
{
	struct sign_key *k = fx_key(7);
	struct sign_pubkey pk, back;
	char path[512], err[256];
	uint8_t *buf;
	size_t len;

	sign_key_pubkey(k, &pk);
	buf = sign_pubkey_encode(&pk, &len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(buf[len - 1], '\n');
	ck_assert_int_eq(sign_pubkey_parse(buf, len, &back, err, sizeof(err)),
	    SIGN_OK);
	ck_assert_mem_eq(back.pk, pk.pk, 32);
	ck_assert_str_eq(back.keyid, pk.keyid);
	free(buf);
	path_in(path, sizeof(path), "k.pub");
	ck_assert_int_eq(sign_pubkey_write(path, &pk, err, sizeof(err)),
	    SIGN_OK);
	memset(&back, 0, sizeof(back));
	ck_assert_int_eq(sign_pubkey_read(path, &back, err, sizeof(err)),
	    SIGN_OK);
	ck_assert_str_eq(back.keyid, pk.keyid);
	sign_key_free(k);
}
END_TEST

START_TEST(pubkey_file_refusals)
{
	struct sign_key *k = fx_key(7);
	struct sign_pubkey pk, back;
	char err[256], path[512];
	uint8_t *buf;
	size_t len;
	const char *bad_point = "{\"keyid\":\"x\",\"keytype\":\"ed25519\","
	    "\"public\":\"01000000000000000000000000000000000000000000000000000"
	    "00000000000\"}";

	sign_key_pubkey(k, &pk);
	buf = sign_pubkey_encode(&pk, &len);
	/* A keyid that is not the key's hash. */
	buf[strstr((char *)buf, "\"keyid\":\"") - (char *)buf + 9] ^= 0x01;
	ck_assert_int_eq(sign_pubkey_parse(buf, len, &back, err, sizeof(err)),
	    SIGN_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "does not match"));
	free(buf);
	/* The identity point (small order) is no key. */
	ck_assert_int_eq(sign_pubkey_parse((const uint8_t *)bad_point,
	    strlen(bad_point), &back, err, sizeof(err)), SIGN_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "Ed25519 point"));
	path_in(path, sizeof(path), "missing.pub");
	ck_assert_int_eq(sign_pubkey_read(path, &back, err, sizeof(err)),
	    SIGN_ERR_IO);
	sign_key_free(k);
}
END_TEST

static const uint8_t pass[] = "correct horse battery staple";
#define PASSLEN (sizeof(pass) - 1)

/* Writes key k to <tmp>/name sealed with pass (interactive KDF). */
static void
write_key(struct sign_key *k, const char *name, char *path, size_t size)
{
	char err[256];

	path_in(path, size, name);
	ck_assert_msg(sign_keyfile_write(path, k, pass, PASSLEN,
	    SIGN_KDF_INTERACTIVE, err, sizeof(err)) == SIGN_OK, "%s", err);
}

START_TEST(keyfile_round_trip)
{
	struct sign_key *k = fx_key(9), *back = NULL;
	uint8_t sig1[64], sig2[64];
	char path[512], err[256];
	struct stat st;

	write_key(k, "k.key", path, sizeof(path));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(sign_keyfile_read(path, pass, PASSLEN, &back, err,
	    sizeof(err)), SIGN_OK);
	ck_assert_str_eq(sign_key_id(back), sign_key_id(k));
	sign_key_sign(k, (const uint8_t *)"m", 1, sig1);
	sign_key_sign(back, (const uint8_t *)"m", 1, sig2);
	ck_assert_mem_eq(sig1, sig2, 64);
	sign_key_free(back);
	sign_key_free(k);
}
END_TEST

START_TEST(keyfile_wrong_passphrase)
{
	struct sign_key *k = fx_key(9), *back = NULL;
	char path[512], err[256];

	write_key(k, "k.key", path, sizeof(path));
	ck_assert_int_eq(sign_keyfile_read(path, (const uint8_t *)"wrong", 5,
	    &back, err, sizeof(err)), SIGN_ERR_PASSPHRASE);
	ck_assert_ptr_null(back);
	ck_assert_ptr_nonnull(strstr(err, "wrong passphrase"));
	/* A prefix of the right passphrase is still wrong. */
	ck_assert_int_eq(sign_keyfile_read(path, pass, PASSLEN - 1, &back, err,
	    sizeof(err)), SIGN_ERR_PASSPHRASE);
	sign_key_free(k);
}
END_TEST

/* Encodes a key file in memory; the caller frees. */
static uint8_t *
encoded(size_t *len)
{
	struct sign_key *k = fx_key(9);
	uint8_t *buf;
	char err[256];

	ck_assert_int_eq(sign_keyfile_encode(k, pass, PASSLEN,
	    SIGN_KDF_INTERACTIVE, &buf, len, err, sizeof(err)), SIGN_OK);
	sign_key_free(k);
	return buf;
}

static void
flip_field(uint8_t *buf, const char *field)
{
	char *p = strstr((char *)buf, field);

	ck_assert_ptr_nonnull(p);
	p += strlen(field) + 3;		/* past "field":" */
	*p = *p == '0' ? '1' : '0';
}

START_TEST(keyfile_truncated)
{
	struct sign_key *back = NULL;
	size_t len;
	uint8_t *buf = encoded(&len);
	char err[256];

	ck_assert_int_eq(sign_keyfile_decode(buf, len / 2, pass, PASSLEN,
	    &back, err, sizeof(err)), SIGN_ERR_KEYFILE);
	ck_assert_int_eq(sign_keyfile_decode(buf, 0, pass, PASSLEN, &back, err,
	    sizeof(err)), SIGN_ERR_KEYFILE);
	ck_assert_ptr_null(back);
	free(buf);
}
END_TEST

START_TEST(keyfile_corrupted)
{
	struct sign_key *back = NULL;
	size_t len;
	uint8_t *buf = encoded(&len);
	char err[256];

	/* A changed sealed byte: the passphrase checks, the seal does not. */
	flip_field(buf, "ciphertext\"");
	ck_assert_int_eq(sign_keyfile_decode(buf, len, pass, PASSLEN, &back,
	    err, sizeof(err)), SIGN_ERR_KEYFILE);
	ck_assert_ptr_nonnull(strstr(err, "corrupted"));
	free(buf);
	/* A changed keyid is associated data: the seal fails too. */
	buf = encoded(&len);
	flip_field(buf, "keyid\"");
	ck_assert_int_eq(sign_keyfile_decode(buf, len, pass, PASSLEN, &back,
	    err, sizeof(err)), SIGN_ERR_KEYFILE);
	free(buf);
	/* Changed KDF inputs derive another key: that reads as a wrong
	 * passphrase, since the two cannot be told apart. */
	buf = encoded(&len);
	fx_patch(buf, len, "\"opslimit\":2", "\"opslimit\":3");
	ck_assert_int_eq(sign_keyfile_decode(buf, len, pass, PASSLEN, &back,
	    err, sizeof(err)), SIGN_ERR_PASSPHRASE);
	/* A KDF cost outside what a reader will spend, or zero. */
	fx_patch(buf, len, "\"opslimit\":3,", "\"opslimit\":99");
	ck_assert_int_eq(sign_keyfile_decode(buf, len, pass, PASSLEN, &back,
	    err, sizeof(err)), SIGN_ERR_KEYFILE);
	fx_patch(buf, len, "\"opslimit\":99", "\"opslimit\":0,");
	ck_assert_int_eq(sign_keyfile_decode(buf, len, pass, PASSLEN, &back,
	    err, sizeof(err)), SIGN_ERR_KEYFILE);
	ck_assert_ptr_nonnull(strstr(err, "opslimit"));
	free(buf);
	ck_assert_int_eq(sign_keyfile_decode((const uint8_t *)"{}", 2, pass,
	    PASSLEN, &back, err, sizeof(err)), SIGN_ERR_KEYFILE);
	ck_assert_ptr_null(back);
}
END_TEST

START_TEST(keyfile_mode_refused)
{
	static const unsigned modes[] = { 0644, 0640, 0604, 0660, 0601 };
	struct sign_key *k = fx_key(9), *back = NULL;
	char path[512], err[512];

	write_key(k, "k.key", path, sizeof(path));
	for (size_t i = 0; i < ARRAY_LEN(modes); i++) {
		ck_assert_int_eq(chmod(path, modes[i]), 0);
		ck_assert_int_eq(sign_keyfile_read(path, pass, PASSLEN, &back,
		    err, sizeof(err)), SIGN_ERR_KEYFILE);
		ck_assert_ptr_nonnull(strstr(err, "must be 0600"));
	}
	ck_assert_ptr_null(back);
	/* Read-only for the owner is fine. */
	ck_assert_int_eq(chmod(path, 0400), 0);
	ck_assert_int_eq(sign_keyfile_read(path, pass, PASSLEN, &back, err,
	    sizeof(err)), SIGN_OK);
	sign_key_free(back);
	sign_key_free(k);
}
END_TEST

START_TEST(keyfile_symlink_and_missing)
{
	struct sign_key *k = fx_key(9), *back = NULL;
	char path[512], link[512], err[512];

	write_key(k, "k.key", path, sizeof(path));
	path_in(link, sizeof(link), "link.key");
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_int_eq(sign_keyfile_read(link, pass, PASSLEN, &back, err,
	    sizeof(err)), SIGN_ERR_KEYFILE);
	ck_assert_ptr_nonnull(strstr(err, "symbolic link"));
	path_in(link, sizeof(link), "missing.key");
	ck_assert_int_eq(sign_keyfile_read(link, pass, PASSLEN, &back, err,
	    sizeof(err)), SIGN_ERR_IO);
	ck_assert_ptr_null(back);
	sign_key_free(k);
}
END_TEST

START_TEST(keyfile_empty_passphrase)
{
	struct sign_key *k = fx_key(9);
	uint8_t *buf = NULL;
	size_t len;
	char err[256];

	ck_assert_int_eq(sign_keyfile_encode(k, pass, 0, SIGN_KDF_INTERACTIVE,
	    &buf, &len, err, sizeof(err)), SIGN_ERR_PASSPHRASE);
	ck_assert_ptr_null(buf);
	sign_key_free(k);
}
END_TEST

START_TEST(kdf_names)
{
	enum sign_kdf_level l;

	ck_assert_int_eq(sign_kdf_parse("interactive", &l), 0);
	ck_assert_int_eq(l, SIGN_KDF_INTERACTIVE);
	ck_assert_int_eq(sign_kdf_parse("moderate", &l), 0);
	ck_assert_int_eq(l, SIGN_KDF_MODERATE);
	ck_assert_int_eq(sign_kdf_parse("sensitive", &l), 0);
	ck_assert_int_eq(sign_kdf_parse("fast", &l), -1);
}
END_TEST

START_TEST(result_names)
{
	ck_assert_str_eq(sign_result_name(SIGN_OK), "ok");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_FORMAT), "format");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_SIGNATURE), "signature");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_THRESHOLD), "threshold");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_EXPIRED), "expired");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_ROLLBACK), "rollback");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_INCOMPATIBLE),
	    "incompatible");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_HASH), "hash");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_LENGTH), "length");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_VERSION), "version");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_DEVICE), "device");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_NONCE), "nonce");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_PASSPHRASE), "passphrase");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_KEYFILE), "keyfile");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_IO), "io");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_FREEZE), "freeze");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_RELEASE_MISMATCH),
	    "release_mismatch");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_NOMEM), "nomem");
	ck_assert_str_eq(sign_result_name(SIGN_ERR_COUNT), "unknown");
	for (int r = 0; r < SIGN_ERR_COUNT; r++)
		ck_assert_str_ne(sign_result_name((enum sign_result)r),
		    "unknown");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("sign_key");
	TCase *tc = tcase_create("keys");
	TCase *tf = tcase_create("keyfiles");

	tcase_add_loop_test(tc, known_answers, 0, (int)ARRAY_LEN(kat));
	tcase_add_test(tc, generated_keys_differ);
	tcase_add_test(tc, kdf_names);
	tcase_add_test(tc, result_names);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, pubkey_file_round_trip);
	tcase_add_test(tc, pubkey_file_refusals);
	suite_add_tcase(s, tc);
	/* Argon2id at the interactive cost takes a moment per call. */
	tcase_set_timeout(tf, 120);
	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_add_test(tf, keyfile_round_trip);
	tcase_add_test(tf, keyfile_wrong_passphrase);
	tcase_add_test(tf, keyfile_truncated);
	tcase_add_test(tf, keyfile_corrupted);
	tcase_add_test(tf, keyfile_mode_refused);
	tcase_add_test(tf, keyfile_symlink_and_missing);
	tcase_add_test(tf, keyfile_empty_passphrase);
	suite_add_tcase(s, tf);
	return s;
}

int
main(void)
{
	if (sign_init() != 0)
		return EXIT_FAILURE;
	return tu_run(suite());
}
