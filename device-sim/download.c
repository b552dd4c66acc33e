/* Downloads into a slot: bounded, hashed, resumable, read back. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boot.h"
#include "download.h"
#include "util/log.h"
#include "util/util.h"

struct sim_dl {
	struct sim_dl_target t;
	uint64_t base;		/* flash offset of the slot */
	uint64_t length;	/* the signed length */
	uint64_t written;	/* written to flash and hashed */
	uint64_t ckpt;		/* recorded in the metadata */
	uint8_t *page;
	size_t fill;
	struct sign_sha256 *h;
	int started;		/* the current transfer has sent a byte */
	int over;
	int failed;		/* flash error or an answer at a wrong offset */
	int flash_failed;	/* ... and it was the flash */
	uint64_t skip;		/* bytes of this answer already in the slot */
	int slow;		/* the last transfer hit the speed limits */
	char err[256];
};

static uint64_t
round_block(uint64_t n)
{
	return (n + SIM_FLASH_ERASE_BLOCK - 1) / SIM_FLASH_ERASE_BLOCK *
	    SIM_FLASH_ERASE_BLOCK;
}

void
sim_dl_free(struct sim_dl *d)
{
	if (d == NULL)
		return;
	sign_sha256_free(d->h);
	free(d->page);
	free(d);
}

uint64_t
sim_dl_offset(const struct sim_dl *d)
{
	return d->written + d->fill;
}

int
sim_dl_complete(const struct sim_dl *d)
{
	return sim_dl_offset(d) == d->length;
}

int
sim_dl_resumed(const struct sim_dl *d)
{
	return d->ckpt > 0;
}

int
sim_dl_over(const struct sim_dl *d)
{
	return d->over;
}

/* 1 when the slot holds durable progress of this very release. */
static int
can_resume(const struct sim_slot *s, const uint8_t sha[SIGN_SHA256_LEN],
    uint64_t length)
{
	return s->state == SIM_SLOT_WRITING &&
	    sign_memeq(s->release_sha256, sha, SIGN_SHA256_LEN) &&
	    s->length == length && s->written <= length &&
	    (s->written % SIM_DL_PAGE == 0 || s->written == length);
}

/* Records the slot as WRITING this release, then erases its blocks. */
static int
start_fresh(struct sim_dl *d, const uint8_t sha[SIGN_SHA256_LEN], char *err,
    size_t errlen)
{
	const struct sim_dl_target *t = &d->t;
	struct sim_slot *s = &t->m->slot[t->slot];

	sim_slot_clear(s);
	s->state = SIM_SLOT_WRITING;
	memcpy(s->fw_version, t->rel->fw_version, sizeof(s->fw_version));
	s->security_counter = t->rel->security_counter;
	s->length = t->rel->length;
	memcpy(s->sha256, t->rel->sha256, SIGN_SHA256_LEN);
	memcpy(s->release_sha256, sha, SIGN_SHA256_LEN);
	if (strlen(t->campaign) < sizeof(s->campaign))
		memcpy(s->campaign, t->campaign, strlen(t->campaign) + 1);
	if (sim_meta_set_blob(&s->release, &s->release_len, t->release,
	    t->release_len) != 0) {
		(void)util_fmt(err, errlen, "out of memory");
		return -1;
	}
	sim_meta_set_report(t->m, SIM_REPORT_DOWNLOADING, t->campaign, sha,
	    NULL, NULL);
	if (sim_meta_store(t->f, t->m, err, errlen) != 0)
		return -1;
	return sim_flash_erase(t->f, d->base, round_block(d->length), err,
	    errlen);
}

/* Resumes: re-hashes the durable part already in the slot and erases
 * the rest of the image's blocks, which pages written after the last
 * checkpoint (or a torn one) may have programmed before a power cut. */
static int
resume(struct sim_dl *d, char *err, size_t errlen)
{
	const struct sim_slot *s = &d->t.m->slot[d->t.slot];
	uint64_t from = round_block(s->written), to = round_block(d->length);

	d->written = s->written;
	d->ckpt = s->written;
	if (from < to && sim_flash_erase(d->t.f, d->base + from, to - from,
	    err, errlen) != 0)
		return -1;
	return sim_slot_hash_into(d->t.f, d->t.m, d->t.slot, 0, d->written,
	    d->h, err, errlen);
}

struct sim_dl *
sim_dl_begin(const struct sim_dl_target *t, const char **reason, char *err,
    size_t errlen)
{
	uint8_t sha[SIGN_SHA256_LEN];
	struct sim_dl *d = calloc(1, sizeof(*d));
	int rc = -1;

	*reason = "download";
	if (d == NULL || (d->page = malloc(SIM_DL_PAGE)) == NULL ||
	    (d->h = sign_sha256_new()) == NULL) {
		(void)util_fmt(err, errlen, "out of memory");
		goto out;
	}
	d->t = *t;
	d->base = sim_meta_slot_offset(t->m, t->slot);
	d->length = t->rel->length;
	if (d->length > t->m->slot_size ||
	    t->release_len > SIM_META_RELEASE_MAX) {
		*reason = "length";
		(void)util_fmt(err, errlen, "a %llu-byte image does not fit "
		    "the %llu-byte slot", (unsigned long long)d->length,
		    (unsigned long long)t->m->slot_size);
		goto out;
	}
	sign_sha256(t->release, t->release_len, sha);
	if (can_resume(&t->m->slot[t->slot], sha, d->length))
		rc = resume(d, err, errlen);
	else
		rc = start_fresh(d, sha, err, errlen);
	/* Past the allocations, only the flash (or the metadata on it)
	 * fails here. */
	if (rc != 0)
		*reason = "flash";
out:
	if (rc != 0) {
		sim_dl_free(d);
		d = NULL;
	}
	return d;
}

void
sim_dl_attempt(struct sim_dl *d)
{
	d->started = 0;
	d->skip = 0;
}

static int
checkpoint(struct sim_dl *d, char *err, size_t errlen)
{
	d->t.m->slot[d->t.slot].written = d->written;
	if (sim_meta_store(d->t.f, d->t.m, err, errlen) != 0)
		return -1;
	d->ckpt = d->written;
	return 0;
}

/* Writes the buffered bytes to flash and hashes them. */
static int
flush(struct sim_dl *d)
{
	if (d->fill == 0)
		return 0;
	if (sim_flash_write(d->t.f, d->base + d->written, d->page, d->fill,
	    d->err, sizeof(d->err)) != 0)
		goto flash_failed;
	sign_sha256_update(d->h, d->page, d->fill);
	d->written += d->fill;
	d->fill = 0;
	if (d->written - d->ckpt >= SIM_DL_CHECKPOINT &&
	    d->written < d->length && checkpoint(d, d->err,
	    sizeof(d->err)) != 0)
		goto flash_failed;
	return 0;
flash_failed:
	d->flash_failed = 1;
	return -1;
}

/* The first byte of a transfer: resumes where we are, or starts over. */
static int
check_start(struct sim_dl *d, uint64_t start)
{
	uint64_t pos = sim_dl_offset(d);

	d->started = 1;
	if (start == pos)
		return 0;
	if (start == 0) {
		/* The server ignored Range: skip what the slot holds rather
		 * than write it again (flash takes no second write without an
		 * erase). The read-back hash still covers every byte. */
		d->skip = pos;
		return 0;
	}
	(void)util_fmt(d->err, sizeof(d->err), "answer starts at byte %llu, "
	    "asked for %llu", (unsigned long long)start,
	    (unsigned long long)pos);
	return -1;
}

int
sim_dl_feed(struct sim_dl *d, uint64_t start, const uint8_t *p, size_t n)
{
	if (!d->started && check_start(d, start) != 0) {
		d->failed = 1;
		return -1;
	}
	if (d->skip > 0) {
		size_t k = d->skip < n ? (size_t)d->skip : n;

		d->skip -= k;
		p += k;
		n -= k;
	}
	while (n > 0) {
		uint64_t pos = sim_dl_offset(d);
		size_t take = SIM_DL_PAGE - d->fill;

		if (pos >= d->length) {
			d->over = 1;
			return -1;
		}
		if (take > n)
			take = n;
		if (take > d->length - pos)
			take = (size_t)(d->length - pos);
		memcpy(d->page + d->fill, p, take);
		d->fill += take;
		p += take;
		n -= take;
		if (d->fill == SIM_DL_PAGE && flush(d) != 0) {
			d->failed = 1;
			return -1;
		}
	}
	return 0;
}

int
sim_dl_interrupted(struct sim_dl *d, char *err, size_t errlen)
{
	/* Unwritten bytes are not hashed yet, so dropping them is exact. */
	d->fill = 0;
	if (d->written > d->ckpt)
		return checkpoint(d, err, errlen);
	return 0;
}

enum sign_result
sim_dl_finish(struct sim_dl *d, char *err, size_t errlen)
{
	const struct sign_release *rel = d->t.rel;
	uint8_t digest[SIGN_SHA256_LEN];
	uint64_t tail = round_block(d->length);
	enum sign_result r;

	if (!sim_dl_complete(d))
		return sign_check_digest(rel, sim_dl_offset(d), rel->sha256,
		    err, errlen);
	if (flush(d) != 0) {
		(void)util_fmt(err, errlen, "%s", d->err);
		return SIGN_ERR_IO;
	}
	sign_sha256_final(d->h, digest);
	sign_sha256_free(d->h);
	d->h = NULL;
	r = sign_check_digest(rel, d->written, digest, err, errlen);
	if (r != SIGN_OK)
		return r;
	if (tail < d->t.m->slot_size && sim_flash_erase(d->t.f, d->base + tail,
	    d->t.m->slot_size - tail, err, errlen) != 0)
		return SIGN_ERR_IO;
	if (sim_slot_hash(d->t.f, d->t.m, d->t.slot, d->length, digest, err,
	    errlen) != 0)
		return SIGN_ERR_IO;
	r = sign_check_digest(rel, d->length, digest, err, errlen);
	if (r != SIGN_OK)
		(void)util_fmt(err, errlen, "the slot read back does not hash "
		    "to the release's sha256");
	return r;
}

static int
feed_cb(uint64_t start, const uint8_t *p, size_t n, void *ctx)
{
	return sim_dl_feed(ctx, start, p, n);
}

static void
backoff(int attempt, int64_t max_ms)
{
	int64_t ms = 250;
	struct timespec ts;

	for (int i = 1; i < attempt && ms < max_ms; i++)
		ms *= 2;
	if (ms > max_ms)
		ms = max_ms;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* A status that no retry will change. */
static int
hopeless(long status)
{
	return status >= 400 && status < 500 && status != 408 &&
	    status != 429;
}

/* One transfer; 1 complete, 0 short (try again), -1 refused/failed. */
static int
transfer(struct sim_dl *d, const struct sim_dl_net *n, int attempt,
    const char **reason, char *err, size_t errlen)
{
	struct sim_http resp;
	int rc;

	sim_dl_attempt(d);
	(void)sim_net_fetch(n->net, n->url, n->token, sim_dl_offset(d),
	    &n->limits, feed_cb, d, &resp);
	d->slow = resp.slow;
	if (d->over || d->failed) {
		*reason = d->over ? "length" : d->flash_failed ? "flash" :
		    "download";
		(void)util_fmt(err, errlen, "%s", d->over ? "the server sent "
		    "more bytes than the signed length" : d->err);
		sim_http_clear(&resp);
		return -1;
	}
	rc = sim_dl_complete(d) ? 1 : 0;
	if (rc == 0) {
		log_warn("%s: download stopped at byte %llu of %llu (%s%s%ld), "
		    "try %d of %d", d->t.m->device_id,
		    (unsigned long long)sim_dl_offset(d),
		    (unsigned long long)d->length, resp.error,
		    resp.error[0] ? ", HTTP " : "HTTP ", resp.status, attempt,
		    n->tries);
		if (sim_dl_interrupted(d, err, errlen) != 0) {
			*reason = "flash";
			rc = -1;
		} else if (hopeless(resp.status)) {
			*reason = "download";
			(void)util_fmt(err, errlen, "artifact answered HTTP %ld",
			    resp.status);
			rc = -1;
		}
	}
	sim_http_clear(&resp);
	return rc;
}

enum sign_result
sim_dl_run(struct sim_dl *d, const struct sim_dl_net *n, const char **reason,
    char *err, size_t errlen)
{
	enum sign_result r;
	int rc = sim_dl_complete(d) ? 1 : 0;

	*reason = "download";
	for (int i = 1; rc == 0 && i <= n->tries; i++) {
		if (i > 1)
			backoff(i - 1, n->backoff_max_ms);
		rc = transfer(d, n, i, reason, err, errlen);
	}
	if (rc < 0)
		return sim_dl_over(d) ? SIGN_ERR_LENGTH : SIGN_ERR_IO;
	if (rc == 0) {
		/* A server that starves the device is its own case: a slow
		 * retrieval attack, or a link too poor for the limits. */
		if (d->slow)
			*reason = "slow_retrieval";
		(void)util_fmt(err, errlen, "gave up after %d tries at byte "
		    "%llu of %llu%s", n->tries,
		    (unsigned long long)sim_dl_offset(d),
		    (unsigned long long)d->length, d->slow ? ", the last too "
		    "slow (below the speed limit for too long, or over the "
		    "time limit)" : "");
		return SIGN_ERR_IO;
	}
	r = sim_dl_finish(d, err, errlen);
	*reason = r == SIGN_OK ? NULL : r == SIGN_ERR_IO ? "flash" :
	    sim_reason_class(r);
	return r;
}
