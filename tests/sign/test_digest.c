/* SHA-1 and MD5: the RFC 3174 / RFC 1321 known answers, in one piece, in
 * odd-sized chunks and from a file. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_util.h"
#include "sign/digest.h"
#include "util/util.h"

static const struct {
	const char *in;
	size_t repeat;
	const char *sha1, *md5;
} vec[] = {
	{ "", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709",
	  "d41d8cd98f00b204e9800998ecf8427e" },
	{ "abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d",
	  "900150983cd24fb0d6963f7d28e17f72" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
	  "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
	  "8215ef0796a20bcaaae116d3876c664a" },
	{ "a", 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
	  "7707d6ae4e027c70eea2a935c2296f21" },
	{ "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
	  1, "50abf5706a150990a08b2c5ea40fa0e585554732",
	  "57edf4a22be3c955ac49da2e2107b67a" },
};

/* The vector's bytes (freed by the caller) and their length. */
static char *
vec_bytes(int i, size_t *len)
{
	size_t k = strlen(vec[i].in);
	char *b = malloc(k * vec[i].repeat + 1);

	ck_assert_ptr_nonnull(b);
	for (size_t j = 0; j < vec[i].repeat; j++)
		memcpy(b + j * k, vec[i].in, k);
	*len = k * vec[i].repeat;
	return b;
}

START_TEST(known_answers_whole)
{
	struct sign_digests d;
	size_t len;
	char *b = vec_bytes(_i, &len);

	sign_digest_buf(b, len, &d);
	ck_assert_str_eq(d.sha1, vec[_i].sha1);
	ck_assert_str_eq(d.md5, vec[_i].md5);
	free(b);
}
END_TEST

START_TEST(known_answers_chunked)
{
	/* Odd chunk sizes cross the 64-byte block boundaries in every way. */
	static const size_t step[] = { 1, 7, 63, 64, 65, 4093 };
	struct sign_digests d;
	size_t len;
	char *b = vec_bytes(_i, &len);

	for (size_t s = 0; s < sizeof(step) / sizeof(step[0]); s++) {
		struct sign_digest *h = sign_digest_new();

		ck_assert_ptr_nonnull(h);
		for (size_t off = 0; off < len; off += step[s])
			sign_digest_update(h, b + off,
			    len - off < step[s] ? len - off : step[s]);
		sign_digest_final(h, &d);
		sign_digest_free(h);
		ck_assert_str_eq(d.sha1, vec[_i].sha1);
		ck_assert_str_eq(d.md5, vec[_i].md5);
	}
	free(b);
}
END_TEST

START_TEST(from_file)
{
	char dir[256], path[300];
	struct sign_digests d;
	uint64_t flen = 99;
	size_t len;
	char *b = vec_bytes(_i, &len);
	FILE *f;

	tu_tmpdir(dir, sizeof(dir));
	ck_assert_int_eq(util_fmt(path, sizeof(path), "%s/a", dir), 0);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(b, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(sign_digest_file(path, &flen, &d), 0);
	ck_assert_uint_eq(flen, len);
	ck_assert_str_eq(d.sha1, vec[_i].sha1);
	ck_assert_str_eq(d.md5, vec[_i].md5);
	tu_rmtree(dir);
	free(b);
}
END_TEST

START_TEST(missing_file)
{
	struct sign_digests d;
	uint64_t len;

	errno = 0;
	ck_assert_int_eq(sign_digest_file("/nonexistent/otad/x", &len, &d), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("digest");
	int n = (int)(sizeof(vec) / sizeof(vec[0]));

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, known_answers_whole, 0, n);
	tcase_add_loop_test(tc, known_answers_chunked, 0, n);
	tcase_add_loop_test(tc, from_file, 0, n);
	tcase_add_test(tc, missing_file);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
