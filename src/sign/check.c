/* The device's acceptance decision and the artifact check. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sign/assignment.h"
#include "sign/check.h"
#include "sign/internal.h"
#include "util/util.h"

/* Rules 4 to 6 of sign_check_update, on a verified release. */
static enum sign_result
check_fit(const struct sign_release *rel, const struct sign_device_ctx *dev,
    char *err, size_t errlen)
{
	int order;

	if (!sign_release_has_hw_class(rel, dev->hw_class))
		return sign_fail(SIGN_ERR_INCOMPATIBLE, err, errlen,
		    "release %s is not for hw class \"%s\"", rel->fw_version,
		    dev->hw_class);
	if (rel->security_counter < dev->security_counter)
		return sign_fail(SIGN_ERR_ROLLBACK, err, errlen,
		    "release %s has security counter %lld, below the "
		    "committed %lld", rel->fw_version,
		    (long long)rel->security_counter,
		    (long long)dev->security_counter);
	if (sign_semver_cmp(rel->fw_version, dev->fw_version, &order) != 0)
		return sign_fail(SIGN_ERR_VERSION, err, errlen,
		    "running version \"%s\" is not a semantic version",
		    dev->fw_version);
	if (order > 0)
		return SIGN_OK;
	if (order == 0 && rel->security_counter == dev->security_counter)
		return SIGN_OK;
	return sign_fail(SIGN_ERR_VERSION, err, errlen,
	    "release %s is not newer than the running %s%s", rel->fw_version,
	    dev->fw_version, order == 0 ?
	    " (a reinstall must keep the committed security counter)" : "");
}

int64_t
sign_time_floor_raise(int64_t floor, int64_t t, const struct sign_root *root)
{
	if (t >= root->expires)
		t = root->expires - 1;
	return t > floor ? t : floor;
}

/* SIGN_ERR_FREEZE when at, the time expiry is judged at, has passed
 * expires although now, the clock, has not (at is the floor then). */
static enum sign_result
check_floor(const char *what, int64_t expires, int64_t now, int64_t at,
    char *err, size_t errlen)
{
	char e[21], c[21], f[21];

	if (at == SIGN_NO_EXPIRY || at < expires)
		return SIGN_OK;
	util_time_fmt(expires, e);
	util_time_fmt(now, c);
	util_time_fmt(at, f);
	return sign_fail(SIGN_ERR_FREEZE, err, errlen, "%s expired at %s: the "
	    "clock says %s, but this device has seen trusted time %s (stale "
	    "metadata, with the clock set back)", what, e, c, f);
}

enum sign_result
sign_check_update(const struct sign_root *root, const uint8_t *release,
    size_t release_len, const uint8_t *assignment, size_t assignment_len,
    const struct sign_device_ctx *dev, int64_t now, struct sign_release **out,
    char *err, size_t errlen)
{
	struct sign_release *rel = NULL;
	struct sign_assignment *asg = NULL;
	int64_t at = now;
	enum sign_result r;

	if (root == NULL || release == NULL || assignment == NULL ||
	    dev == NULL || dev->device_id == NULL || dev->hw_class == NULL ||
	    dev->nonce == NULL || dev->fw_version == NULL)
		return sign_fail(SIGN_ERR_FORMAT, err, errlen,
		    "incomplete update check: a document or a device field "
		    "is missing");
	if (now != SIGN_NO_EXPIRY && dev->time_floor > now)
		at = dev->time_floor;
	if (at != SIGN_NO_EXPIRY && at >= root->expires) {
		char when[21];

		util_time_fmt(root->expires, when);
		return sign_fail(SIGN_ERR_FREEZE, err, errlen,
		    "root version %lld expired at %s",
		    (long long)root->version, when);
	}
	/* sign_root_walk refuses such a root; this guards callers that
	 * did not walk. */
	r = sign_root_check_roles(root, err, errlen);
	if (r != SIGN_OK)
		return r;
	/* Verified at the clock (expired), then held against the floor. */
	r = sign_release_verify(root, release, release_len, now, &rel, err,
	    errlen);
	if (r == SIGN_OK) {
		char what[SIGN_SEMVER_MAX + 16];

		(void)snprintf(what, sizeof(what), "release %s",
		    rel->fw_version);
		r = check_floor(what, rel->expires, now, at, err, errlen);
	}
	if (r == SIGN_OK)
		r = sign_assignment_verify(root, assignment, assignment_len,
		    dev->device_id, dev->nonce, release, release_len, now, &asg,
		    err, errlen);
	if (r == SIGN_OK)
		r = check_floor("the assignment", asg->expires, now, at, err,
		    errlen);
	sign_assignment_free(asg);
	if (r == SIGN_OK)
		r = check_fit(rel, dev, err, errlen);
	if (r != SIGN_OK || out == NULL) {
		sign_release_free(rel);
		return r;
	}
	*out = rel;
	return SIGN_OK;
}

enum sign_result
sign_check_digest(const struct sign_release *rel, uint64_t len,
    const uint8_t sha256[SIGN_SHA256_LEN], char *err, size_t errlen)
{
	if (len != rel->length)
		return sign_fail(SIGN_ERR_LENGTH, err, errlen,
		    "artifact is %llu bytes, the release says %llu",
		    (unsigned long long)len, (unsigned long long)rel->length);
	if (!sign_memeq(sha256, rel->sha256, SIGN_SHA256_LEN))
		return sign_fail(SIGN_ERR_HASH, err, errlen,
		    "artifact sha256 differs from the release's");
	return SIGN_OK;
}

enum sign_result
sign_check_artifact(const struct sign_release *rel, int fd, char *err,
    size_t errlen)
{
	const size_t bufsz = 1 << 20;
	uint8_t digest[SIGN_SHA256_LEN];
	struct sign_sha256 *h = NULL;
	struct stat st;
	uint8_t *buf = NULL;
	uint64_t total = 0;
	off_t pos;
	enum sign_result r;

	/* A regular file of the wrong size fails before a byte is read. */
	pos = lseek(fd, 0, SEEK_CUR);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && pos >= 0 &&
	    pos <= st.st_size &&
	    (uint64_t)(st.st_size - pos) != rel->length)
		return sign_fail(SIGN_ERR_LENGTH, err, errlen,
		    "artifact is %llu bytes, the release says %llu",
		    (unsigned long long)(st.st_size - pos),
		    (unsigned long long)rel->length);
	buf = malloc(bufsz);
	h = sign_sha256_new();
	if (buf == NULL || h == NULL) {
		r = sign_fail(SIGN_ERR_NOMEM, err, errlen, "out of memory");
		goto out;
	}
	/* Read at most length + 1 bytes: one extra tells a longer stream. */
	while (total <= rel->length) {
		uint64_t want = rel->length + 1 - total;
		ssize_t n = read(fd, buf, want < bufsz ? (size_t)want : bufsz);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = sign_fail(SIGN_ERR_IO, err, errlen,
			    "reading the artifact: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		sign_sha256_update(h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	if (total != rel->length) {
		r = sign_fail(SIGN_ERR_LENGTH, err, errlen,
		    "artifact is %s%llu bytes, the release says %llu",
		    total > rel->length ? "more than " : "",
		    (unsigned long long)(total > rel->length ? rel->length :
		    total), (unsigned long long)rel->length);
		goto out;
	}
	sign_sha256_final(h, digest);
	r = sign_check_digest(rel, total, digest, err, errlen);
out:
	sign_sha256_free(h);
	free(buf);
	return r;
}

enum sign_result
sign_check_artifact_path(const struct sign_release *rel, const char *path,
    char *err, size_t errlen)
{
	enum sign_result r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sign_fail(SIGN_ERR_IO, err, errlen, "%s: %s", path,
		    strerror(errno));
	r = sign_check_artifact(rel, fd, err, errlen);
	close(fd);
	return r;
}
