/* Emulated flash over pwrite/fallocate/fsync, with a counted power cut. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flash.h"
#include "util/util.h"

struct sim_flash {
	int fd;
	uint64_t size;
};

static _Atomic uint64_t ops_done;
static _Atomic uint64_t cut_at;
static _Atomic int durable = 1;

void
sim_flash_cut_after(uint64_t n)
{
	cut_at = n == 0 ? 0 : ops_done + n;
}

uint64_t
sim_flash_ops(void)
{
	return ops_done;
}

void
sim_flash_set_durable(int d)
{
	durable = d;
}

static void
set_err(char *err, size_t errlen, const char *what, int e)
{
	if (util_fmt(err, errlen, "flash %s: %s", what, strerror(e)) != 0 &&
	    errlen > 0)
		err[0] = '\0';
}

static int
sync_fd(int fd)
{
	return durable ? fdatasync(fd) : 0;
}

struct sim_flash *
sim_flash_open(const char *path, int create, uint64_t size, char *err,
    size_t errlen)
{
	struct sim_flash *f = NULL;
	struct stat st;
	int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW;
	int fd;

	if (create && (size == 0 || size % SIM_FLASH_ERASE_BLOCK != 0 ||
	    size > INT64_MAX)) {
		set_err(err, errlen, "size", EINVAL);
		return NULL;
	}
	fd = open(path, create ? flags | O_CREAT | O_EXCL : flags, 0644);
	if (fd < 0) {
		set_err(err, errlen, path, errno);
		return NULL;
	}
	/* ftruncate makes the whole device a hole: erased and sparse. */
	if ((create && ftruncate(fd, (off_t)size) != 0) || fstat(fd, &st) != 0)
		goto fail;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size % SIM_FLASH_ERASE_BLOCK != 0) {
		errno = EINVAL;
		goto fail;
	}
	f = malloc(sizeof(*f));
	if (f == NULL)
		goto fail;
	f->fd = fd;
	f->size = (uint64_t)st.st_size;
	return f;
fail:
	set_err(err, errlen, path, errno);
	close(fd);
	return NULL;
}

void
sim_flash_close(struct sim_flash *f)
{
	if (f == NULL)
		return;
	close(f->fd);
	free(f);
}

uint64_t
sim_flash_size(const struct sim_flash *f)
{
	return f->size;
}

static int
in_range(const struct sim_flash *f, uint64_t off, uint64_t len)
{
	return off <= f->size && len <= f->size - off;
}

int
sim_flash_read(struct sim_flash *f, uint64_t off, void *buf, size_t len,
    char *err, size_t errlen)
{
	size_t done = 0;

	if (!in_range(f, off, len)) {
		set_err(err, errlen, "read", ERANGE);
		return -1;
	}
	while (done < len) {
		ssize_t n = pread(f->fd, (uint8_t *)buf + done, len - done,
		    (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			set_err(err, errlen, "read", n < 0 ? errno : EIO);
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static int
pwrite_all(int fd, const uint8_t *p, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, p + done, len - done,
		    (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* Counts one operation; 1 when the power goes at this one. */
static int
count_op(void)
{
	uint64_t n = atomic_fetch_add(&ops_done, 1) + 1;

	return cut_at != 0 && n == cut_at;
}

static int
punch(int fd, uint64_t off, uint64_t len)
{
	return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)off, (off_t)len);
}

/* The torn half of a write: the first half of the units land. */
static void
cut_write(int fd, const uint8_t *p, size_t len, uint64_t off)
{
	size_t half = len / 2 / SIM_FLASH_WRITE_UNIT * SIM_FLASH_WRITE_UNIT;

	if (half == 0)
		half = len / 2;
	(void)pwrite_all(fd, p, half, off);
	(void)fdatasync(fd);
	_exit(SIM_FLASH_CUT_STATUS);
}

int
sim_flash_write(struct sim_flash *f, uint64_t off, const void *buf,
    size_t len, char *err, size_t errlen)
{
	uint8_t tail[SIM_FLASH_WRITE_UNIT];
	size_t whole = len / SIM_FLASH_WRITE_UNIT * SIM_FLASH_WRITE_UNIT;
	size_t rest = len - whole;
	uint64_t padded = whole + (rest ? SIM_FLASH_WRITE_UNIT : 0);

	if (off % SIM_FLASH_WRITE_UNIT != 0 || !in_range(f, off, padded)) {
		set_err(err, errlen, "write", EINVAL);
		return -1;
	}
	if (count_op())
		cut_write(f->fd, buf, len, off);
	memset(tail, SIM_FLASH_ERASED, sizeof(tail));
	if (rest)
		memcpy(tail, (const uint8_t *)buf + whole, rest);
	if (pwrite_all(f->fd, buf, whole, off) != 0 ||
	    (rest && pwrite_all(f->fd, tail, sizeof(tail), off + whole) != 0) ||
	    sync_fd(f->fd) != 0) {
		set_err(err, errlen, "write", errno);
		return -1;
	}
	return 0;
}

int
sim_flash_erase(struct sim_flash *f, uint64_t off, uint64_t len, char *err,
    size_t errlen)
{
	if (off % SIM_FLASH_ERASE_BLOCK != 0 ||
	    len % SIM_FLASH_ERASE_BLOCK != 0 || !in_range(f, off, len)) {
		set_err(err, errlen, "erase", EINVAL);
		return -1;
	}
	if (len == 0)
		return 0;
	if (count_op()) {
		/* A cut erase leaves its first half erased. */
		uint64_t half = len / 2 / SIM_FLASH_ERASE_BLOCK *
		    SIM_FLASH_ERASE_BLOCK;

		(void)punch(f->fd, off, half ? half : SIM_FLASH_ERASE_BLOCK);
		(void)fdatasync(f->fd);
		_exit(SIM_FLASH_CUT_STATUS);
	}
	if (punch(f->fd, off, len) != 0 || sync_fd(f->fd) != 0) {
		set_err(err, errlen, "erase", errno);
		return -1;
	}
	return 0;
}
