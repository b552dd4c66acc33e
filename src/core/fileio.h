/* The file I/O thread for uploads: their bytes are written, hashed and
 * made durable here, not on the HTTP threads, so a multi-GiB upload and
 * its final fsync never stall the polls that share a worker thread. Each
 * upload may have a few MiB waiting; past that its sender is paused until
 * the thread catches up. */
#ifndef CORE_FILEIO_H
#define CORE_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "sign/crypto.h"
#include "sign/digest.h"

struct fio;
struct fio_file;

/* Starts the thread; NULL on failure. */
struct fio *fio_new(void);
/* Stops the thread and frees f; every file must be closed. NULL ok. */
void fio_free(struct fio *f);
/* Refuses all work from now on (on = 1): what is queued is dropped (its
 * files fail with ECANCELED, their waiting owners are woken) and new work
 * fails; then waits up to timeout_ms for the step in hand. 0, or -1 if
 * it is still running. on = 0 accepts work again. */
int fio_refuse(struct fio *f, int on, int timeout_ms);

/* A new upload into fd, which it now owns (closed by the last of
 * fio_close and the thread). wake(arg) is how the thread resumes the
 * upload's owner, only ever after the owner asked for it (fio_wait or
 * fio_finish). NULL when out of memory (fd is then closed). */
struct fio_file *fio_open(struct fio *f, int fd, void (*wake)(void *arg),
    void *arg);
/* Appends n bytes (copied). 0: taken. 1: taken, but the owner must pause
 * and then call fio_wait. -1: the file failed (fio_error), nothing taken. */
int fio_write(struct fio_file *ff, const uint8_t *p, size_t n);
/* The paused owner is ready to be woken: wake runs (perhaps at once, on
 * this thread) when the file has room again or has failed. */
void fio_wait(struct fio_file *ff);
/* Writes what is left, fsyncs, takes the SHA-256, then runs then(arg) on
 * the I/O thread (unless the file failed) and wakes the owner. The owner
 * must be paused first. 0, or -1 if the file has failed already (no wake
 * then). */
int fio_finish(struct fio_file *ff, int (*then)(struct fio_file *ff,
    void *arg), void *arg);
/* The errno of the file's first failure (then's return for a failed
 * then), or 0. */
int fio_error(struct fio_file *ff);
/* After a finish: the SHA-256 of the bytes written, and their SHA-1 and
 * MD5 (for DDI clients) in *ddi. */
void fio_digest(struct fio_file *ff, uint8_t digest[SIGN_SHA256_LEN],
    struct sign_digests *ddi);
/* The upload is over (done or abandoned): its queued work is dropped, and
 * nothing of it runs or wakes its owner after the owner is gone. */
void fio_close(struct fio_file *ff);

#endif
