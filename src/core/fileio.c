/* The upload I/O thread (see fileio.h). Owners fill a buffer of their own
 * and queue it when full; the thread writes, hashes and fsyncs in queue
 * order. One lock guards the queue and every file's shared state; a file
 * is freed by whichever of its owner and the thread lets go last. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/fileio.h"
#include "util/util.h"

#define BUF_SIZE (1024 * 1024)
/* Past HIGH bytes waiting, the owner pauses; it is woken at LOW. */
#define HIGH (4 * BUF_SIZE)
#define LOW (2 * BUF_SIZE)
/* Start writeback every so often so the final fsync has little to do. */
#define WRITEBACK_EVERY (64ULL << 20)

/* What a paused owner waits for. */
enum { WAIT_NONE, WAIT_ROOM, WAIT_DONE };

struct item {
	struct fio_file *ff;
	uint8_t *buf;		/* bytes to write, or NULL for the finish */
	size_t len;
	struct item *next;
};

struct fio_file {
	struct fio *f;
	int fd;
	void (*wake)(void *arg);
	void *wake_arg;
	/* Under f->mu. */
	int refs;		/* the owner's, and one per item */
	int closed, waiting, failed;	/* waiting: WAIT_* */
	size_t pending;		/* bytes queued or being written */
	uint8_t digest[SIGN_SHA256_LEN];
	struct sign_digests ddi;	/* SHA-1 and MD5, for DDI clients */
	int (*then)(struct fio_file *ff, void *arg);
	void *then_arg;
	/* The owner's only. */
	uint8_t *cur;
	size_t curlen;
	/* The thread's only. */
	struct sign_sha256 *h;
	struct sign_digest *d;
	uint64_t written, synced;
};

struct fio {
	pthread_mutex_t mu;
	pthread_cond_t cv, idle_cv;
	pthread_t th;
	struct item *head, *tail;
	int stop, refusing, busy;
};

/* Drops a reference; frees ff on the last one. Under f->mu. */
static void
put_ref(struct fio_file *ff)
{
	if (--ff->refs > 0)
		return;
	close(ff->fd);
	sign_sha256_free(ff->h);
	sign_digest_free(ff->d);
	free(ff->cur);
	free(ff);
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One step of a file, on the thread: 0, or an errno. */
static int
do_write(struct fio_file *ff, const uint8_t *p, size_t n)
{
	int e = write_all(ff->fd, p, n);

	if (e != 0)
		return e;
	sign_sha256_update(ff->h, p, n);
	sign_digest_update(ff->d, p, n);
	ff->written += n;
	if (ff->written - ff->synced >= WRITEBACK_EVERY) {
		sync_file_range(ff->fd, (off64_t)ff->synced,
		    (off64_t)(ff->written - ff->synced), SYNC_FILE_RANGE_WRITE);
		ff->synced = ff->written;
	}
	return 0;
}

static int
do_finish(struct fio_file *ff, uint8_t digest[SIGN_SHA256_LEN])
{
	struct sign_digests ddi;
	int e;

	if (fsync(ff->fd) != 0)
		return errno;
	sign_sha256_final(ff->h, digest);
	sign_digest_final(ff->d, &ddi);
	pthread_mutex_lock(&ff->f->mu);
	memcpy(ff->digest, digest, SIGN_SHA256_LEN);
	ff->ddi = ddi;
	pthread_mutex_unlock(&ff->f->mu);
	e = ff->then != NULL ? ff->then(ff, ff->then_arg) : 0;
	return e;
}

static void
run_item(struct fio *f, struct item *it)
{
	struct fio_file *ff = it->ff;
	uint8_t digest[SIGN_SHA256_LEN];
	int skip, e = 0, wake;

	skip = ff->failed || ff->closed;
	f->busy = 1;
	pthread_mutex_unlock(&f->mu);
	if (!skip)
		e = it->buf != NULL ? do_write(ff, it->buf, it->len) :
		    do_finish(ff, digest);
	free(it->buf);
	pthread_mutex_lock(&f->mu);
	if (e != 0 && ff->failed == 0)
		ff->failed = e;
	ff->pending -= it->len;
	wake = !ff->closed && (ff->failed ? ff->waiting != WAIT_NONE :
	    ff->waiting == WAIT_DONE ? it->buf == NULL :
	    ff->waiting == WAIT_ROOM && ff->pending <= LOW);
	if (wake) {
		ff->waiting = WAIT_NONE;
		pthread_mutex_unlock(&f->mu);
		/* The owner is paused and cannot go away before this. */
		ff->wake(ff->wake_arg);
		pthread_mutex_lock(&f->mu);
	}
	put_ref(ff);
	free(it);
	f->busy = 0;
	pthread_cond_broadcast(&f->idle_cv);
}

static void *
fio_main(void *p)
{
	struct fio *f = p;

	pthread_mutex_lock(&f->mu);
	for (;;) {
		struct item *it;

		while (f->head == NULL && !f->stop)
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->head == NULL)
			break;
		it = f->head;
		f->head = it->next;
		if (f->head == NULL)
			f->tail = NULL;
		run_item(f, it);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

struct fio *
fio_new(void)
{
	struct fio *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	pthread_cond_init(&f->idle_cv, NULL);
	if (pthread_create(&f->th, NULL, fio_main, f) != 0) {
		pthread_mutex_destroy(&f->mu);
		pthread_cond_destroy(&f->cv);
		pthread_cond_destroy(&f->idle_cv);
		free(f);
		return NULL;
	}
	return f;
}

void
fio_free(struct fio *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->th, NULL);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	pthread_cond_destroy(&f->idle_cv);
	free(f);
}

int
fio_refuse(struct fio *f, int on, int timeout_ms)
{
	struct item *it, *next;
	struct timespec ts;
	int rc = 0;

	pthread_mutex_lock(&f->mu);
	f->refusing = on;
	it = on ? f->head : NULL;
	if (on)
		f->head = f->tail = NULL;
	for (; it != NULL; it = next) {
		struct fio_file *ff = it->ff;

		next = it->next;
		if (ff->failed == 0)
			ff->failed = ECANCELED;
		ff->pending -= it->len;
		if (ff->waiting != WAIT_NONE && !ff->closed) {
			ff->waiting = WAIT_NONE;
			pthread_mutex_unlock(&f->mu);
			ff->wake(ff->wake_arg);
			pthread_mutex_lock(&f->mu);
		}
		put_ref(ff);
		free(it->buf);
		free(it);
	}
	util_deadline(&ts, timeout_ms);
	while (on && f->busy && rc == 0)
		rc = pthread_cond_timedwait(&f->idle_cv, &f->mu, &ts);
	rc = on && f->busy ? -1 : 0;
	pthread_mutex_unlock(&f->mu);
	return rc;
}

struct fio_file *
fio_open(struct fio *f, int fd, void (*wake)(void *arg), void *arg)
{
	struct fio_file *ff = calloc(1, sizeof(*ff));

	if (ff == NULL || (ff->h = sign_sha256_new()) == NULL ||
	    (ff->d = sign_digest_new()) == NULL) {
		if (ff != NULL)
			sign_sha256_free(ff->h);
		free(ff);
		close(fd);
		return NULL;
	}
	ff->f = f;
	ff->fd = fd;
	ff->wake = wake;
	ff->wake_arg = arg;
	ff->refs = 1;
	return ff;
}

/* Queues a buffer (buf NULL: the finish); 0, or -1 if ff failed. Takes
 * buf in any case. Under f->mu. */
static int
enqueue(struct fio_file *ff, uint8_t *buf, size_t len)
{
	struct fio *f = ff->f;
	struct item *it;

	if (f->refusing && ff->failed == 0)
		ff->failed = ECANCELED;
	if (ff->failed || (it = calloc(1, sizeof(*it))) == NULL) {
		if (ff->failed == 0)
			ff->failed = ENOMEM;
		free(buf);
		return -1;
	}
	*it = (struct item){ ff, buf, len, NULL };
	if (f->tail != NULL)
		f->tail->next = it;
	else
		f->head = it;
	f->tail = it;
	ff->pending += len;
	ff->refs++;
	pthread_cond_signal(&f->cv);
	return 0;
}

int
fio_write(struct fio_file *ff, const uint8_t *p, size_t n)
{
	struct fio *f = ff->f;
	int rc = 0;

	while (n > 0 && rc == 0) {
		size_t k;

		if (ff->cur == NULL && (ff->cur = malloc(BUF_SIZE)) == NULL) {
			pthread_mutex_lock(&f->mu);
			ff->failed = ff->failed ? ff->failed : ENOMEM;
			pthread_mutex_unlock(&f->mu);
			return -1;
		}
		k = BUF_SIZE - ff->curlen < n ? BUF_SIZE - ff->curlen : n;
		memcpy(ff->cur + ff->curlen, p, k);
		ff->curlen += k;
		p += k;
		n -= k;
		if (ff->curlen < BUF_SIZE)
			continue;
		pthread_mutex_lock(&f->mu);
		if (enqueue(ff, ff->cur, ff->curlen) != 0)
			rc = -1;
		else if (ff->pending >= HIGH)
			rc = 1;
		pthread_mutex_unlock(&f->mu);
		ff->cur = NULL;
		ff->curlen = 0;
	}
	if (rc == 0) {
		pthread_mutex_lock(&f->mu);
		rc = ff->failed ? -1 : 0;
		pthread_mutex_unlock(&f->mu);
	}
	return rc;
}

void
fio_wait(struct fio_file *ff)
{
	struct fio *f = ff->f;
	int now;

	pthread_mutex_lock(&f->mu);
	now = ff->failed || ff->pending <= LOW;
	ff->waiting = now ? WAIT_NONE : WAIT_ROOM;
	pthread_mutex_unlock(&f->mu);
	if (now)
		ff->wake(ff->wake_arg);
}

int
fio_finish(struct fio_file *ff, int (*then)(struct fio_file *ff, void *arg),
    void *arg)
{
	struct fio *f = ff->f;
	int rc = 0;

	pthread_mutex_lock(&f->mu);
	ff->then = then;
	ff->then_arg = arg;
	if (ff->curlen > 0 && enqueue(ff, ff->cur, ff->curlen) != 0)
		rc = -1;
	ff->cur = NULL;
	ff->curlen = 0;
	if (rc == 0 && enqueue(ff, NULL, 0) != 0)
		rc = -1;
	ff->waiting = rc == 0 ? WAIT_DONE : WAIT_NONE;
	pthread_mutex_unlock(&f->mu);
	return rc;
}

int
fio_error(struct fio_file *ff)
{
	int e;

	pthread_mutex_lock(&ff->f->mu);
	e = ff->failed;
	pthread_mutex_unlock(&ff->f->mu);
	return e;
}

void
fio_digest(struct fio_file *ff, uint8_t digest[SIGN_SHA256_LEN],
    struct sign_digests *ddi)
{
	pthread_mutex_lock(&ff->f->mu);
	memcpy(digest, ff->digest, SIGN_SHA256_LEN);
	*ddi = ff->ddi;
	pthread_mutex_unlock(&ff->f->mu);
}

void
fio_close(struct fio_file *ff)
{
	struct fio *f;

	if (ff == NULL)
		return;
	f = ff->f;
	pthread_mutex_lock(&f->mu);
	ff->closed = 1;
	ff->waiting = WAIT_NONE;
	put_ref(ff);
	pthread_mutex_unlock(&f->mu);
}
