/* Artifacts: streamed uploads (hashed on the fly, fsync + rename, then the
 * row) and downloads sent from the file descriptor with Range and ETag. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/artifacts.h"
#include "server/handlers.h"
#include "server/metrics.h"
#include "server/range.h"
#include "sign/crypto.h"
#include "util/log.h"
#include "util/util.h"

/* Start writeback every so often so the final fsync has little to do. */
#define WRITEBACK_EVERY (64ULL << 20)

struct upload {
	int fd;
	int renamed;
	char tmp[CFG_PATH_MAX + 32];
	struct sign_sha256 *h;
	uint64_t size, synced;
	char sha[SIGN_SHA256_HEX];
	struct db_artifact_put put;
};

static void
upload_cleanup(struct api_req *a, int ok)
{
	struct upload *u = a->state;

	(void)ok;
	if (u->fd >= 0)
		close(u->fd);
	/* Anything not renamed into artifacts/ was never acknowledged. */
	if (!u->renamed && u->tmp[0] != '\0')
		unlink(u->tmp);
	sign_sha256_free(u->h);
	free(u);
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
upload_chunk(struct http_req *r, const uint8_t *p, size_t n, void *ctx)
{
	struct api_req *a = ctx;
	struct upload *u = a->state;

	if (write_all(u->fd, p, n) != 0) {
		int e = errno;
		log_err("artifact upload: writing %s: %s", u->tmp, strerror(e));
		if (e == ENOSPC || e == EDQUOT)
			http_reply_error(r, 507, "insufficient_storage", "the "
			    "server's disk is full; nothing was stored");
		else
			http_reply_error(r, 500, "internal", "cannot write the "
			    "upload; nothing was stored");
		return -1;
	}
	sign_sha256_update(u->h, p, n);
	u->size += n;
	if (u->size - u->synced >= WRITEBACK_EVERY) {
		sync_file_range(u->fd, (off64_t)u->synced,
		    (off64_t)(u->size - u->synced), SYNC_FILE_RANGE_WRITE);
		u->synced = u->size;
	}
	return 0;
}

int
artifacts_stream(struct api_req *a)
{
	struct upload *u = calloc(1, sizeof(*u));

	if (u == NULL || (u->h = sign_sha256_new()) == NULL) {
		free(u);
		api_err(a, 503, "out_of_memory", "try again later");
		return -1;
	}
	u->fd = -1;
	a->state = u;
	a->cleanup = upload_cleanup;
	if (util_fmt(u->tmp, sizeof(u->tmp), "%s/upload.XXXXXX",
	    a->srv->tmp_dir) != 0 || (u->fd = mkostemp(u->tmp, O_CLOEXEC)) < 0) {
		log_err("artifact upload: cannot create a file in %s: %s",
		    a->srv->tmp_dir, strerror(errno));
		u->tmp[0] = '\0';
		api_err(a, 500, "internal", "cannot store uploads right now");
		return -1;
	}
	http_expect_stream(a->http, a->srv->cfg.max_artifact_size, upload_chunk,
	    a);
	return 0;
}

static void
put_then(struct api_req *a, int rc)
{
	struct upload *u = a->state;

	if (rc != DB_OK) {
		api_err_db(a, rc, "record the artifact");
		return;
	}
	if (u->put.created) {
		metrics_add(M_ARTIFACT_UPLOADS, 1);
		metrics_add(M_ARTIFACT_UPLOAD_BYTES, u->size);
	}
	api_json(a, u->put.created ? 201 : 200, json_pack("{s:s,s:I}",
	    "sha256", u->sha, "size", (json_int_t)u->size));
}

void
h_artifacts_put(struct api_req *a)
{
	struct upload *u = a->state;
	uint8_t digest[SIGN_SHA256_LEN];
	char final[CFG_PATH_MAX + 80];

	if (u->size == 0) {
		api_err(a, 422, "empty_artifact", "the body is empty; send the "
		    "artifact's bytes, e.g. curl --data-binary @fw.bin");
		return;
	}
	sign_sha256_final(u->h, digest);
	sign_hex(digest, sizeof(digest), u->sha);
	if (util_fmt(final, sizeof(final), "%s/%s", a->srv->artifacts_dir,
	    u->sha) != 0)
		goto fail;
	if (fsync(u->fd) != 0) {
		log_err("artifact upload: fsync %s: %s", u->tmp, strerror(errno));
		goto fail;
	}
	/* Same bytes again: the stored copy is already whole. */
	if (access(final, F_OK) == 0) {
		unlink(u->tmp);
		u->renamed = 1;
	} else if (rename(u->tmp, final) != 0 || util_fsync_dir(final) != 0) {
		log_err("artifact upload: storing %s: %s", final, strerror(errno));
		goto fail;
	} else {
		u->renamed = 1;
	}
	u->put = (struct db_artifact_put){ u->sha, u->size, a->who.name,
	    util_now(), 0 };
	api_write(a, db_artifact_put, &u->put, put_then);
	return;
fail:
	api_err(a, 500, "internal", "cannot store the artifact; nothing was "
	    "stored");
}

void
h_artifacts_get(struct api_req *a)
{
	char path[CFG_PATH_MAX + 80], etag[70], hdr[96];
	const char *sha = a->args[0], *inm, *range, *ifr;
	struct stat st;
	uint64_t off = 0, len;
	int fd, ranged;

	if (!jv_valid_sha256(sha) || util_fmt(path, sizeof(path), "%s/%s",
	    a->srv->artifacts_dir, sha) != 0) {
		api_err(a, 404, "not_found", "no artifact %.80s", sha);
		return;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		api_err(a, 404, "not_found", "no artifact %s", sha);
		return;
	}
	snprintf(etag, sizeof(etag), "\"%.64s\"", sha);
	http_add_header(a->http, "ETag", etag);
	http_add_header(a->http, "Accept-Ranges", "bytes");
	/* Content-addressed: the bytes behind a name never change. */
	http_add_header(a->http, "Cache-Control", "public, max-age=31536000, "
	    "immutable");
	inm = http_header(a->http, "If-None-Match");
	/* Weak comparison (RFC 9110): W/"sha" and lists match too. */
	if (inm != NULL && (strstr(inm, etag) != NULL ||
	    strcmp(inm, "*") == 0)) {
		close(fd);
		http_reply(a->http, 304, NULL, "", 0);
		return;
	}
	len = (uint64_t)st.st_size;
	range = http_header(a->http, "Range");
	ifr = http_header(a->http, "If-Range");
	if (ifr != NULL && strcmp(ifr, etag) != 0)
		range = NULL;
	ranged = http_parse_range(range, (uint64_t)st.st_size, &off, &len);
	if (ranged < 0) {
		close(fd);
		snprintf(hdr, sizeof(hdr), "bytes */%llu",
		    (unsigned long long)st.st_size);
		http_add_header(a->http, "Content-Range", hdr);
		api_err(a, 416, "range_not_satisfiable", "the artifact is %llu "
		    "bytes long", (unsigned long long)st.st_size);
		return;
	}
	if (ranged) {
		snprintf(hdr, sizeof(hdr), "bytes %" PRIu64 "-%" PRIu64 "/%llu",
		    off, off + len - 1, (unsigned long long)st.st_size);
		http_add_header(a->http, "Content-Range", hdr);
	}
	metrics_add(M_ARTIFACT_DOWNLOADS, 1);
	http_reply_fd(a->http, ranged ? 206 : 200, fd, off, len,
	    "application/octet-stream");
}
