/* Artifacts: streamed uploads (written, hashed, fsynced and linked into
 * place by the I/O thread, then the row) and downloads sent from the file
 * descriptor with Range and ETag. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/artifacts.h"
#include "db/lifecycle.h"
#include "db/ddi.h"
#include "core/fileio.h"
#include "api/handlers.h"
#include "core/metrics.h"
#include "http/range.h"
#include "sign/crypto.h"
#include "util/log.h"
#include "util/util.h"

_Static_assert(sizeof(((struct db_ddi_digests *)0)->sha1) == SIGN_SHA1_HEX &&
    sizeof(((struct db_ddi_digests *)0)->md5) == SIGN_MD5_HEX,
    "the store keeps the digests' hex as sign_digests has it");

struct upload {
	struct api_req *a;
	struct fio_file *ff;	/* the bytes, written by the I/O thread */
	int renamed;
	int dropped;	/* tmp unlinked, the body refused */
	int place_err;	/* errno of putting tmp in place after the commit */
	uint64_t size;
	char tmp[CFG_PATH_MAX + 32];
	char final[CFG_PATH_MAX + 80];
	char sha[SIGN_SHA256_HEX];
	struct sign_digests ddi;	/* SHA-1 and MD5 for DDI clients */
	struct db_ddi_artifact_put put;
};

/* Our name of the bytes goes, once (the name is free for another upload
 * after it); artifacts/ keeps its own (a link made before the row, or the
 * rename of place_kept). The I/O thread may still write to the open file. */
static void
upload_drop(struct upload *u)
{
	if (!u->renamed && !u->dropped && u->tmp[0] != '\0')
		unlink(u->tmp);
	u->dropped = 1;
}

static void
upload_cleanup(struct api_req *a, int ok)
{
	struct upload *u = a->state;

	(void)ok;
	fio_close(u->ff);
	upload_drop(u);
	free(u);
}

/* The I/O thread resumes the paused request. */
static void
upload_wake(void *arg)
{
	struct upload *u = arg;

	http_resume(u->a->http);
}

static void
upload_failed(struct api_req *a, int e)
{
	struct upload *u = a->state;

	if (e == ECANCELED) {
		api_err(a, 503, "shutting_down", "the server is stopping; nothing "
		    "was stored; try again shortly");
		return;
	}
	log_limited(LOG_LVL_ERROR, 10, "artifact upload: writing %s: %s",
	    u->tmp, strerror(e));
	if (e == ENOSPC || e == EDQUOT)
		api_err(a, 507, "insufficient_storage", "the server's disk is "
		    "full; nothing was stored");
	else
		api_err(a, 500, "internal", "cannot store the upload; nothing was "
		    "stored");
}

static int
upload_chunk(struct http_req *r, const uint8_t *p, size_t n, void *ctx)
{
	struct api_req *a = ctx;
	struct upload *u = a->state;
	int rc;

	(void)r;
	if (p == NULL && n == HTTP_CHUNK_REFUSED) {
		upload_drop(u);
		return 0;
	}
	if (p == NULL) {	/* paused: the I/O thread wakes us */
		fio_wait(u->ff);
		return 0;
	}
	rc = fio_write(u->ff, p, n);
	if (rc < 0) {
		upload_failed(a, fio_error(u->ff));
		return -1;
	}
	u->size += n;
	return rc > 0 ? HTTP_CHUNK_WAIT : 0;
}

/* 1 when the request's Content-Type is type (any case, maybe with
 * parameters), else 0. */
static int
content_type_is(struct api_req *a, const char *type)
{
	const char *ct = http_header(a->http, "Content-Type");
	size_t n = strlen(type);

	if (ct == NULL)
		return 0;
	ct += strspn(ct, " \t");
	return strncasecmp(ct, type, n) == 0 && strchr(" \t;", ct[n]) != NULL;
}

int
artifacts_stream(struct api_req *a)
{
	struct upload *u;
	int fd;

	/* curl -d (and -F) send a form: -d drops every CR and LF of the
	 * file, which would store and sign a different artifact. */
	if (content_type_is(a, "application/x-www-form-urlencoded") ||
	    content_type_is(a, "multipart/form-data")) {
		api_err(a, 415, "unsupported_media_type", "an artifact is its raw "
		    "bytes, not a form (curl -d drops its newlines): send curl "
		    "--data-binary @fw.bin -H 'Content-Type: "
		    "application/octet-stream', or curl -T fw.bin");
		return -1;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return -1;
	}
	u->a = a;
	a->state = u;
	a->cleanup = upload_cleanup;
	if (util_fmt(u->tmp, sizeof(u->tmp), "%s/upload.XXXXXX",
	    a->srv->tmp_dir) != 0 || (fd = mkostemp(u->tmp, O_CLOEXEC)) < 0) {
		log_err("artifact upload: cannot create a file in %s: %s",
		    a->srv->tmp_dir, strerror(errno));
		u->tmp[0] = '\0';
		api_err(a, 500, "internal", "cannot store uploads right now");
		return -1;
	}
	if ((u->ff = fio_open(a->srv->core.fio, fd, upload_wake, u)) == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
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
	if (u->place_err != 0) {
		api_err(a, 500, "internal", "the artifact was recorded but its "
		    "file could not be put in place (%s); upload it again",
		    strerror(u->place_err));
		return;
	}
	if (u->put.put.created) {
		metrics_add(M_ARTIFACT_UPLOADS, 1);
		metrics_add(M_ARTIFACT_UPLOAD_BYTES, u->size);
	}
	api_audit_object(a, "%s", u->sha);
	api_audit_note(a, "%llu bytes%s", (unsigned long long)u->size,
	    u->put.put.created ? "" : " (already stored)");
	api_json(a, u->put.put.created ? 201 : 200, json_pack("{s:s,s:I,s:s,s:s}",
	    "sha256", u->sha, "size", (json_int_t)u->size, "sha1", u->ddi.sha1,
	    "md5", u->ddi.md5));
}

/* On the I/O thread, once the bytes are durable: the file goes into
 * artifacts/ under its hash. 0, or an errno. */
static int
store_file(struct fio_file *ff, void *arg)
{
	struct upload *u = arg;
	uint8_t digest[SIGN_SHA256_LEN];

	fio_digest(ff, digest, &u->ddi);
	sign_hex(digest, sizeof(digest), u->sha);
	if (util_fmt(u->final, sizeof(u->final), "%s/%s",
	    u->a->srv->artifacts_dir, u->sha) != 0)
		return ENAMETOOLONG;
	/* The file goes in place before the row (a crash in between leaves
	 * a file without a row, which the next upload takes over), as a
	 * second name of our copy: a delete that commits before our row
	 * may still remove the stored name, and our own name keeps the
	 * bytes until the row has committed (place_kept). Same bytes
	 * stored already: that copy is whole. */
	if (link(u->tmp, u->final) != 0 && errno != EEXIST)
		return errno;
	if (util_fsync_dir(u->final) != 0)
		return errno ? errno : EIO;
	return 0;
}

/* After the row's commit, on the writer thread: a delete of the same
 * artifact that committed before it has removed the stored name by now
 * (its unlink is an after-commit hook too, run in commit order), so the
 * row gets the copy this upload kept. Later deletes come after this. */
static void
place_kept(void *arg)
{
	struct upload *u = arg;

	if (access(u->final, F_OK) == 0)
		return;
	if (rename(u->tmp, u->final) != 0 || util_fsync_dir(u->final) != 0) {
		u->place_err = errno ? errno : EIO;
		log_err("artifact upload: putting %s in place: %s", u->final,
		    strerror(u->place_err));
		return;
	}
	u->renamed = 1;
}

static int
put_job(struct db_tx *tx, void *arg)
{
	struct upload *u = arg;
	int rc = db_ddi_artifact_put(tx, &u->put);

	if (rc == DB_OK && db_tx_after(tx, place_kept, u) != 0)
		return DB_ERR;
	return rc;
}

/* Back on the request's thread after the I/O thread is done. */
static void
put_stored(struct http_req *r)
{
	struct api_req *a = http_data(r);
	struct upload *u = a->state;
	int e = fio_error(u->ff);

	if (e != 0) {
		upload_failed(a, e);
		return;
	}
	u->put.put = (struct db_artifact_put){ u->sha, u->size, a->who.name,
	    util_now(), 0 };
	memcpy(u->put.d.sha1, u->ddi.sha1, sizeof(u->put.d.sha1));
	memcpy(u->put.d.md5, u->ddi.md5, sizeof(u->put.d.md5));
	api_write(a, put_job, u, put_then);
}

void
h_artifacts_put(struct api_req *a)
{
	struct upload *u = a->state;

	if (u->size == 0) {
		api_err(a, 422, "empty_artifact", "the body is empty; send the "
		    "artifact's bytes, e.g. curl --data-binary @fw.bin");
		return;
	}
	/* Paused first, so the I/O thread's wake cannot come too early. */
	http_suspend(a->http, put_stored);
	if (fio_finish(u->ff, store_file, u) != 0)
		http_resume(a->http);	/* failed already: put_stored says so */
}

void
h_artifacts_get(struct api_req *a)
{
	artifacts_send(a, a->args[0]);
}

void
artifacts_send(struct api_req *a, const char *sha)
{
	char path[CFG_PATH_MAX + 80], etag[70], hdr[96];
	const char *inm, *range, *ifr;
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
	if (inm != NULL && http_if_none_match(inm, etag)) {
		close(fd);
		http_reply(a->http, 304, NULL, "", 0);
		return;
	}
	len = (uint64_t)st.st_size;
	range = http_header(a->http, "Range");
	ifr = http_header(a->http, "If-Range");
	if (ifr != NULL && !http_if_range(ifr, etag))
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

/* ---- list and delete ---- */

static void
artifact_one(const struct db_artifact *r, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s,s:I,s:o,s:s,s:I}", "sha256",
	    r->sha256, "size", (json_int_t)r->size, "created_at",
	    api_time(r->created_at), "created_by", r->created_by, "releases",
	    (json_int_t)r->releases));
}

void
h_artifacts_list(struct api_req *a)
{
	int64_t limit;
	const char *after;
	json_t *arr;
	int rc;

	if (api_page(a, &limit, &after) != 0)
		return;
	arr = json_array();
	rc = db_artifact_list(a->srv->core.db, after, limit, artifact_one, arr);
	if (rc != DB_OK) {
		json_decref(arr);
		api_err_db(a, rc, "list the artifacts");
		return;
	}
	api_page_reply(a, "artifacts", arr, limit, "sha256");
}

struct artifact_del {
	struct db_artifact_del d;
	char path[CFG_PATH_MAX + 80];
};

/* After the commit, on the writer thread: the file goes before any later
 * write runs, so an upload of the same bytes that commits after this
 * delete finds it gone and puts its own copy in place (place_kept). The
 * row went first: a crash in between leaves a file without a row, which
 * an upload of the same bytes takes over as it is. */
static void
unlink_deleted(void *arg)
{
	struct artifact_del *x = arg;

	if (unlink(x->path) != 0 && errno != ENOENT)
		log_limited(LOG_LVL_ERROR, 10, "artifact delete: removing %s: %s",
		    x->path, strerror(errno));
}

static int
delete_job(struct db_tx *tx, void *arg)
{
	struct artifact_del *x = arg;
	int rc = db_artifact_delete(tx, &x->d);

	if (rc == DB_OK && db_tx_after(tx, unlink_deleted, x) != 0)
		return DB_ERR;
	return rc;
}

static void
delete_then(struct api_req *a, int rc)
{
	struct db_artifact_del *d = &((struct artifact_del *)a->state)->d;

	if (rc == DB_NOTFOUND) {
		api_err(a, 404, "not_found", "no artifact %s", d->sha256);
		return;
	}
	if (rc == DB_CONFLICT) {
		api_err(a, 409, "artifact_in_use", "release %lld refers to "
		    "artifact %s; nothing was deleted", (long long)d->release,
		    d->sha256);
		return;
	}
	if (rc != DB_OK) {
		api_err_db(a, rc, "delete the artifact");
		return;
	}
	http_reply(a->http, 204, NULL, "", 0);
}

static void
free_state(struct api_req *a, int ok)
{
	(void)ok;
	free(a->state);
}

void
h_artifacts_delete(struct api_req *a)
{
	struct artifact_del *x;

	if (!jv_valid_sha256(a->args[0])) {
		api_err(a, 404, "not_found", "no artifact %.80s", a->args[0]);
		return;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		api_err(a, 503, "out_of_memory", "try again later");
		return;
	}
	a->state = x;
	a->cleanup = free_state;
	x->d.sha256 = a->args[0];
	if (util_fmt(x->path, sizeof(x->path), "%s/%s", a->srv->artifacts_dir,
	    x->d.sha256) != 0) {
		api_err(a, 500, "internal", "the artifact path is too long");
		return;
	}
	api_write(a, delete_job, x, delete_then);
}
