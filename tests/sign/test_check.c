/* The device's update decision, rule by rule, the artifact check, and
 * semantic version precedence. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_util.h"
#include "fixture.h"
#include "util/util.h"

static struct sign_key *r1, *k1, *o1;
static struct sign_root *root;
static struct sign_release *fields;
static uint8_t *rel, *asg;
static size_t rel_len, asg_len;
static struct sign_device_ctx dev;
static char err[512], tmp[256];

/* Root 1 (r1; release k1; online o1); release 1.2.0, counter 5, for
 * board-a and board-b; an assignment of it to dev-1 at poll n-1; dev-1
 * runs 1.1.0 on board-a with counter 5 committed. */
static void
setup(void)
{
	struct fx_root spec = {
		.version = 1, .expires = FX_NOW + 365 * FX_DAY,
		.nkeys = { 1, 1, 1 }, .threshold = { 1, 1, 1 }, .nsign = 1,
	};
	uint8_t *buf;
	size_t len;

	r1 = fx_key(1);
	k1 = fx_key(11);
	o1 = fx_key(21);
	spec.keys[SIGN_ROLE_ROOT][0] = r1;
	spec.keys[SIGN_ROLE_RELEASE][0] = k1;
	spec.keys[SIGN_ROLE_ONLINE][0] = o1;
	spec.sign[0] = r1;
	buf = fx_root_bytes(&spec, &len);
	ck_assert_int_eq(sign_root_verify_initial(buf, len, FX_NOW, &root, err,
	    sizeof(err)), SIGN_OK);
	free(buf);
	fields = fx_release_fields("1.2.0", 5);
	rel = fx_release_bytes(fields, &k1, 1, &rel_len);
	asg = fx_assignment_bytes(o1, "dev-1", rel, rel_len, "n-1",
	    FX_NOW + 300, &asg_len);
	dev = (struct sign_device_ctx){ "dev-1", "board-a", "n-1", 5, "1.1.0",
	    0 };
	tu_tmpdir(tmp, sizeof(tmp));
}

static void
teardown(void)
{
	free(rel);
	free(asg);
	sign_release_free(fields);
	sign_root_free(root);
	sign_key_free(r1);
	sign_key_free(k1);
	sign_key_free(o1);
	tu_rmtree(tmp);
}

static enum sign_result
check(void)
{
	err[0] = '\0';
	return sign_check_update(root, rel, rel_len, asg, asg_len, &dev,
	    FX_NOW, NULL, err, sizeof(err));
}

/* Re-signs the release from fields and a fresh assignment of it. */
static void
remake(void)
{
	free(rel);
	free(asg);
	rel = fx_release_bytes(fields, &k1, 1, &rel_len);
	asg = fx_assignment_bytes(o1, "dev-1", rel, rel_len, "n-1",
	    FX_NOW + 300, &asg_len);
}

START_TEST(update_ok)
{
	struct sign_release *out = NULL;

	ck_assert_msg(sign_check_update(root, rel, rel_len, asg, asg_len, &dev,
	    FX_NOW, &out, err, sizeof(err)) == SIGN_OK, "%s", err);
	ck_assert_str_eq(out->fw_version, "1.2.0");
	ck_assert_uint_eq(out->length, 11);
	sign_release_free(out);
}
END_TEST

START_TEST(update_tampered_release)
{
	uint8_t *bad;
	size_t blen;

	bad = fx_replace(rel, rel_len, "\"security_counter\":5",
	    "\"security_counter\":9", &blen);
	ck_assert_int_eq(sign_check_update(root, bad, blen, asg, asg_len, &dev,
	    FX_NOW, NULL, err, sizeof(err)), SIGN_ERR_SIGNATURE);
	free(bad);
}
END_TEST

START_TEST(update_other_device)
{
	dev.device_id = "dev-2";
	ck_assert_int_eq(check(), SIGN_ERR_DEVICE);
}
END_TEST

START_TEST(update_wrong_nonce)
{
	dev.nonce = "n-0";
	ck_assert_int_eq(check(), SIGN_ERR_NONCE);
}
END_TEST

START_TEST(update_assignment_names_other_release)
{
	uint8_t *other;
	size_t olen;

	fields->security_counter = 6;
	other = fx_release_bytes(fields, &k1, 1, &olen);
	/* The assignment still names the counter-5 release. */
	ck_assert_int_eq(sign_check_update(root, other, olen, asg, asg_len,
	    &dev, FX_NOW, NULL, err, sizeof(err)), SIGN_ERR_RELEASE_MISMATCH);
	free(other);
}
END_TEST

START_TEST(update_expired)
{
	/* The assignment (5 minutes), then the release (30 days). */
	ck_assert_int_eq(sign_check_update(root, rel, rel_len, asg, asg_len,
	    &dev, FX_NOW + 300, NULL, err, sizeof(err)), SIGN_ERR_EXPIRED);
	ck_assert_ptr_nonnull(strstr(err, "assignment expired"));
	ck_assert_int_eq(sign_check_update(root, rel, rel_len, asg, asg_len,
	    &dev, FX_NOW + 31 * FX_DAY, NULL, err, sizeof(err)),
	    SIGN_ERR_EXPIRED);
	ck_assert_ptr_nonnull(strstr(err, "release 1.2.0 expired"));
	/* The root itself: a freeze. */
	ck_assert_int_eq(sign_check_update(root, rel, rel_len, asg, asg_len,
	    &dev, FX_NOW + 400 * FX_DAY, NULL, err, sizeof(err)),
	    SIGN_ERR_FREEZE);
}
END_TEST

START_TEST(update_time_floor)
{
	/* A clock behind what the device has seen: a release that the
	 * clock would take but the floor shows expired is a freeze, and so
	 * is an assignment. */
	dev.time_floor = FX_NOW + 31 * FX_DAY;
	ck_assert_int_eq(check(), SIGN_ERR_FREEZE);
	ck_assert_ptr_nonnull(strstr(err, "release 1.2.0 expired"));
	ck_assert_ptr_nonnull(strstr(err, "trusted time"));
	dev.time_floor = FX_NOW + 301;
	ck_assert_int_eq(check(), SIGN_ERR_FREEZE);
	ck_assert_ptr_nonnull(strstr(err, "the assignment expired"));
	/* A floor past the root's expiry freezes at the root. */
	dev.time_floor = FX_NOW + 400 * FX_DAY;
	ck_assert_int_eq(check(), SIGN_ERR_FREEZE);
	ck_assert_ptr_nonnull(strstr(err, "root version 1 expired"));
	/* A floor behind the clock changes nothing, nor does an expiry
	 * the clock has passed (that is plainly expired). */
	dev.time_floor = FX_NOW - FX_DAY;
	ck_assert_int_eq(check(), SIGN_OK);
	ck_assert_int_eq(sign_check_update(root, rel, rel_len, asg, asg_len,
	    &dev, FX_NOW + 31 * FX_DAY, NULL, err, sizeof(err)),
	    SIGN_ERR_EXPIRED);
	/* SIGN_NO_EXPIRY ignores the floor too. */
	dev.time_floor = FX_NOW + 31 * FX_DAY;
	ck_assert_int_eq(sign_check_update(root, rel, rel_len, asg, asg_len,
	    &dev, SIGN_NO_EXPIRY, NULL, err, sizeof(err)), SIGN_OK);
}
END_TEST

START_TEST(time_floor_raise)
{
	/* Up, never down, and never to the root's expiry or past it. */
	ck_assert_int_eq(sign_time_floor_raise(0, FX_NOW, root), FX_NOW);
	ck_assert_int_eq(sign_time_floor_raise(FX_NOW, FX_NOW - 5, root),
	    FX_NOW);
	ck_assert_int_eq(sign_time_floor_raise(FX_NOW, 0, root), FX_NOW);
	ck_assert_int_eq(sign_time_floor_raise(FX_NOW, root->expires, root),
	    root->expires - 1);
	ck_assert_int_eq(sign_time_floor_raise(FX_NOW, INT64_MAX, root),
	    root->expires - 1);
}
END_TEST

START_TEST(update_root_roles_overlap)
{
	struct fx_root spec = {
		.version = 1, .expires = FX_NOW + 365 * FX_DAY,
		.nkeys = { 1, 1, 1 }, .threshold = { 1, 1, 1 }, .nsign = 1,
		.keys = { { r1 }, { k1 }, { o1 } }, .sign = { r1 },
	};
	struct sign_root *bad = NULL;
	uint8_t *buf;
	size_t len;

	/* A root counting the online key as a release key, loaded without
	 * a walk: a release signed by the online key alone is refused. */
	buf = fx_root_overlap(&spec, SIGN_ROLE_RELEASE, o1, &len);
	ck_assert_int_eq(sign_root_load(buf, len, &bad, err, sizeof(err)),
	    SIGN_OK);
	free(buf);
	sign_root_free(root);
	root = bad;
	free(rel);
	free(asg);
	rel = fx_release_bytes(fields, &o1, 1, &rel_len);
	asg = fx_assignment_bytes(o1, "dev-1", rel, rel_len, "n-1",
	    FX_NOW + 300, &asg_len);
	ck_assert_int_eq(check(), SIGN_ERR_ROLE_OVERLAP);
}
END_TEST

START_TEST(update_wrong_hw_class)
{
	dev.hw_class = "board-z";
	ck_assert_int_eq(check(), SIGN_ERR_INCOMPATIBLE);
}
END_TEST

START_TEST(update_downgrade_counter)
{
	/* A newer version that lowers the counter is still a rollback. */
	dev.security_counter = 6;
	ck_assert_int_eq(check(), SIGN_ERR_ROLLBACK);
	dev.fw_version = "0.9.0";
	ck_assert_int_eq(check(), SIGN_ERR_ROLLBACK);
}
END_TEST

START_TEST(update_version_rules)
{
	/* Older version, counter allowed: not newer. */
	dev.fw_version = "1.3.0";
	ck_assert_int_eq(check(), SIGN_ERR_VERSION);
	/* The same version and counter: a signed reinstall. */
	dev.fw_version = "1.2.0";
	ck_assert_int_eq(check(), SIGN_OK);
	/* The same version with a higher counter is not a reinstall. */
	dev.security_counter = 4;
	ck_assert_int_eq(check(), SIGN_ERR_VERSION);
	/* A prerelease of it ranks below: upgrade. */
	dev.fw_version = "1.2.0-rc.1";
	ck_assert_int_eq(check(), SIGN_OK);
	dev.fw_version = "factory";
	ck_assert_int_eq(check(), SIGN_ERR_VERSION);
	/* A higher counter on a newer version is fine. */
	dev.fw_version = "1.0.0";
	dev.security_counter = 0;
	fields->security_counter = 7;
	remake();
	ck_assert_int_eq(check(), SIGN_OK);
}
END_TEST

START_TEST(update_incomplete_device)
{
	dev.nonce = NULL;
	ck_assert_int_eq(check(), SIGN_ERR_FORMAT);
}
END_TEST

/* Writes data to <tmp>/name and returns its path in a static buffer. */
static const char *
artifact(const char *name, const void *data, size_t len)
{
	static char path[512];

	ck_assert_int_eq(util_fmt(path, sizeof(path), "%s/%s", tmp, name), 0);
	ck_assert_int_eq(util_write_atomic(path, data, len, 0644), 0);
	return path;
}

START_TEST(artifact_checks)
{
	char flipped[] = "hello world";

	ck_assert_int_eq(sign_check_artifact_path(fields,
	    artifact("ok", "hello world", 11), err, sizeof(err)), SIGN_OK);
	ck_assert_int_eq(sign_check_artifact_path(fields,
	    artifact("long", "hello world!", 12), err, sizeof(err)),
	    SIGN_ERR_LENGTH);
	ck_assert_ptr_nonnull(strstr(err, "12 bytes"));
	ck_assert_int_eq(sign_check_artifact_path(fields,
	    artifact("short", "hello worl", 10), err, sizeof(err)),
	    SIGN_ERR_LENGTH);
	flipped[4] ^= 0x01;
	ck_assert_int_eq(sign_check_artifact_path(fields,
	    artifact("flip", flipped, 11), err, sizeof(err)), SIGN_ERR_HASH);
	ck_assert_int_eq(sign_check_artifact_path(fields, "/nonexistent/x",
	    err, sizeof(err)), SIGN_ERR_IO);
}
END_TEST

/* Feeds data through a pipe, where no size is known beforehand. */
static enum sign_result
check_pipe(const char *data, size_t len)
{
	int p[2];
	enum sign_result r;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], data, len), (ssize_t)len);
	close(p[1]);
	r = sign_check_artifact(fields, p[0], err, sizeof(err));
	close(p[0]);
	return r;
}

START_TEST(artifact_streams)
{
	uint8_t d[SIGN_SHA256_LEN];

	ck_assert_int_eq(check_pipe("hello world", 11), SIGN_OK);
	ck_assert_int_eq(check_pipe("hello world and more", 20),
	    SIGN_ERR_LENGTH);
	ck_assert_ptr_nonnull(strstr(err, "more than 11 bytes"));
	ck_assert_int_eq(check_pipe("hello", 5), SIGN_ERR_LENGTH);
	ck_assert_int_eq(check_pipe("hello World", 11), SIGN_ERR_HASH);
	sign_sha256("hello world", 11, d);
	ck_assert_int_eq(sign_check_digest(fields, 11, d, err, sizeof(err)),
	    SIGN_OK);
	ck_assert_int_eq(sign_check_digest(fields, 12, d, err, sizeof(err)),
	    SIGN_ERR_LENGTH);
	d[0] ^= 0x80;
	ck_assert_int_eq(sign_check_digest(fields, 11, d, err, sizeof(err)),
	    SIGN_ERR_HASH);
}
END_TEST

START_TEST(sha256_file)
{
	uint8_t d[SIGN_SHA256_LEN], want[SIGN_SHA256_LEN];
	uint64_t len = 0;

	ck_assert_int_eq(sign_sha256_file(artifact("f", "hello world", 11),
	    &len, d), 0);
	ck_assert_uint_eq(len, 11);
	/* sha256("hello world"), as sha256sum prints it. */
	ck_assert_int_eq(sign_unhex("b94d27b9934d3e08a52e52d7da7dabfac484efe3"
	    "7a5380ee9088f7ace2efcde9", want, sizeof(want)), 0);
	ck_assert_mem_eq(d, want, sizeof(d));
	ck_assert_int_eq(sign_sha256_file(artifact("e", "", 0), &len, d), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(sign_sha256_file("/nonexistent/x", &len, d), -1);
}
END_TEST

START_TEST(semver_valid)
{
	static const char *const good[] = { "0.0.0", "1.2.3", "10.20.30",
	    "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7", "1.0.0-x.7.z.92",
	    "1.0.0-x-y-z.--", "18446744073709551616.0.0" };
	static const char *const bad[] = { "", "1", "1.2", "1.2.3.4", "01.2.3",
	    "1.02.3", "1.2.03", "v1.2.3", "1.2.3-", "1.2.3-a..b", "1.2.3-01",
	    "1.2.3+build", "1.2.3-a+b", " 1.2.3", "1.2.3 ", "1.2.-3",
	    "1.2.3-\xc3\xa9",
	    "1.0.0-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	int o;

	for (size_t i = 0; i < ARRAY_LEN(good); i++)
		ck_assert_msg(sign_semver_valid(good[i]), "%s", good[i]);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		ck_assert_msg(!sign_semver_valid(bad[i]), "%s", bad[i]);
		ck_assert_int_eq(sign_semver_cmp(bad[i], "1.0.0", &o), -1);
	}
}
END_TEST

START_TEST(semver_order)
{
	/* semver.org section 11, extended. */
	static const char *const chain[] = { "0.9.99", "1.0.0-alpha",
	    "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
	    "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0",
	    "1.10.0", "2.0.0", "10.0.0" };
	int o;

	for (size_t i = 0; i < ARRAY_LEN(chain); i++) {
		for (size_t j = 0; j < ARRAY_LEN(chain); j++) {
			ck_assert_int_eq(sign_semver_cmp(chain[i], chain[j],
			    &o), 0);
			ck_assert_msg(o == (i < j ? -1 : i > j ? 1 : 0),
			    "%s vs %s: %d", chain[i], chain[j], o);
		}
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("sign_check");
	TCase *tc = tcase_create("update");
	TCase *ts = tcase_create("semver");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, update_ok);
	tcase_add_test(tc, update_tampered_release);
	tcase_add_test(tc, update_other_device);
	tcase_add_test(tc, update_wrong_nonce);
	tcase_add_test(tc, update_assignment_names_other_release);
	tcase_add_test(tc, update_expired);
	tcase_add_test(tc, update_time_floor);
	tcase_add_test(tc, time_floor_raise);
	tcase_add_test(tc, update_root_roles_overlap);
	tcase_add_test(tc, update_wrong_hw_class);
	tcase_add_test(tc, update_downgrade_counter);
	tcase_add_test(tc, update_version_rules);
	tcase_add_test(tc, update_incomplete_device);
	tcase_add_test(tc, artifact_checks);
	tcase_add_test(tc, artifact_streams);
	tcase_add_test(tc, sha256_file);
	suite_add_tcase(s, tc);
	tcase_add_test(ts, semver_valid);
	tcase_add_test(ts, semver_order);
	suite_add_tcase(s, ts);
	return s;
}

int
main(void)
{
	if (sign_init() != 0)
		return EXIT_FAILURE;
	return tu_run(suite());
}
