/* Artifacts over 4 GiB: lengths and hashing stay 64-bit all the way. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_util.h"
#include "fixture.h"
#include "util/util.h"

/* 4 GiB of zeros then "end": 4294967299 bytes. The digest was computed
 * once, outside this code, with
 *   { head -c 4294967296 /dev/zero; printf end; } | sha256sum */
#define BIG_LEN 4294967299ULL
#define BIG_SHA256 \
	"318e01702cd7413290bc5004d33f5a0bc296ca51e70ed23a0c41922589640900"

static char tmp[256], path[512];

static void
setup(void)
{
	int fd;

	tu_tmpdir(tmp, sizeof(tmp));
	ck_assert_int_eq(util_fmt(path, sizeof(path), "%s/big.bin", tmp), 0);
	/* Sparse: the zeros take no disk and read fast. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "end", 3, (off_t)(BIG_LEN - 3)), 3);
	ck_assert_int_eq(close(fd), 0);
}

static void
teardown(void)
{
	tu_rmtree(tmp);
}

START_TEST(artifact_over_4gib)
{
	struct sign_release *rel = fx_release_fields("1.0.0", 0);
	char err[256];

	rel->length = BIG_LEN;
	ck_assert_int_eq(sign_unhex(BIG_SHA256, rel->sha256, SIGN_SHA256_LEN),
	    0);
	ck_assert_msg(sign_check_artifact_path(rel, path, err, sizeof(err)) ==
	    SIGN_OK, "%s", err);
	/* Lengths that differ only above bit 32 are told apart. */
	rel->length = BIG_LEN - (1ULL << 32);
	ck_assert_int_eq(sign_check_artifact_path(rel, path, err, sizeof(err)),
	    SIGN_ERR_LENGTH);
	ck_assert_ptr_nonnull(strstr(err, "4294967299 bytes"));
	rel->length = BIG_LEN + 1;
	ck_assert_int_eq(sign_check_artifact_path(rel, path, err, sizeof(err)),
	    SIGN_ERR_LENGTH);
	sign_release_free(rel);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("sign_bigfile");
	TCase *tc = tcase_create("bigfile");

	/* Hashing 4 GiB takes some 15 s with libsodium's SHA-256. */
	tcase_set_timeout(tc, 180);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, artifact_over_4gib);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	if (sign_init() != 0)
		return EXIT_FAILURE;
	return tu_run(suite());
}
