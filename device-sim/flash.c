/* Emulated flash over pwrite/fallocate/fsync: a counted power cut, injected
 * write and erase failures, and a map of programmed units so that a write
 * onto flash that was not erased is refused, as real NOR or ECC flash
 * would. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flash.h"
#include "util/log.h"
#include "util/util.h"

/* Bits of the unit map one erase block covers (a whole number of bytes). */
#define BLOCK_MAP_BYTES (SIM_FLASH_ERASE_BLOCK / SIM_FLASH_WRITE_UNIT / 8)
/* Most map bytes one write reads at a time. */
#define MAP_CHUNK 4096

struct sim_flash {
	int fd;
	int map_fd;		/* PATH.units: a bit per unit, set = programmed */
	uint64_t size;
};

static _Atomic uint64_t ops_done, writes_done, erases_done, violations;
static _Atomic uint64_t cut_at, fail_write_at, fail_erase_at;
static _Atomic uint64_t bad_off, bad_len;
static _Atomic int durable = 1;

void
sim_flash_cut_after(uint64_t n)
{
	cut_at = n == 0 ? 0 : ops_done + n;
}

void
sim_flash_fail_write(uint64_t n)
{
	fail_write_at = n == 0 ? 0 : writes_done + n;
}

void
sim_flash_fail_erase(uint64_t n)
{
	fail_erase_at = n == 0 ? 0 : erases_done + n;
}

void
sim_flash_bad_region(uint64_t off, uint64_t len)
{
	bad_off = off;
	bad_len = len;
}

uint64_t
sim_flash_ops(void)
{
	return ops_done;
}

uint64_t
sim_flash_violations(void)
{
	return violations;
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

static uint64_t
map_len(uint64_t size)
{
	return size / SIM_FLASH_WRITE_UNIT / 8;
}

/* Opens PATH.units; with create, a new all-erased map. A flash file from
 * before the map gets one that takes it as erased: nothing is refused
 * that was not written since. */
static int
open_map(const char *path, int create, uint64_t size)
{
	char mp[4096];
	struct stat st;
	int fd;

	if (util_fmt(mp, sizeof(mp), "%s.units", path) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(mp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    (create ? O_TRUNC : 0), 0644);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || ((uint64_t)st.st_size < map_len(size) &&
	    ftruncate(fd, (off_t)map_len(size)) != 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

struct sim_flash *
sim_flash_open(const char *path, int create, uint64_t size, char *err,
    size_t errlen)
{
	struct sim_flash *f = NULL;
	struct stat st;
	int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW;
	int fd, map_fd = -1;

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
	map_fd = open_map(path, create, (uint64_t)st.st_size);
	if (map_fd < 0)
		goto fail;
	f = malloc(sizeof(*f));
	if (f == NULL)
		goto fail;
	f->fd = fd;
	f->map_fd = map_fd;
	f->size = (uint64_t)st.st_size;
	return f;
fail:
	set_err(err, errlen, path, errno);
	if (map_fd >= 0)
		close(map_fd);
	close(fd);
	return NULL;
}

void
sim_flash_close(struct sim_flash *f)
{
	if (f == NULL)
		return;
	close(f->map_fd);
	close(f->fd);
	free(f);
}

int
sim_flash_unlink(const char *path)
{
	char mp[4096];
	int rc = unlink(path);

	if (util_fmt(mp, sizeof(mp), "%s.units", path) == 0)
		(void)unlink(mp);
	return rc;
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

static int
pread_all(int fd, uint8_t *p, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, p + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			memset(p + done, 0, len - done);
			break;
		}
		done += (size_t)n;
	}
	return 0;
}

/* Over the map bits of units [u, u + n): with set, marks them programmed;
 * without, finds the first that is programmed. Returns that unit (or
 * u + n when none), or -1 on an I/O error. */
static int64_t
map_walk(struct sim_flash *f, uint64_t u, uint64_t n, int set)
{
	/* Zeroed so that no path reads a byte pread_all did not fill. */
	uint8_t buf[MAP_CHUNK] = { 0 };

	while (n > 0) {
		uint64_t first = u / 8, last = (u + n - 1) / 8, take;
		size_t nb;

		if (last - first + 1 > MAP_CHUNK)
			last = first + MAP_CHUNK - 1;
		nb = (size_t)(last - first + 1);
		take = (last + 1) * 8 - u < n ? (last + 1) * 8 - u : n;
		if (pread_all(f->map_fd, buf, nb, first) != 0)
			return -1;
		for (uint64_t i = u; i < u + take; i++) {
			uint8_t *b = &buf[i / 8 - first], bit = 1u << (i % 8);

			if (!set && (*b & bit))
				return (int64_t)i;
			*b |= bit;
		}
		if (set && pwrite_all(f->map_fd, buf, nb, first) != 0)
			return -1;
		u += take;
		n -= take;
	}
	return (int64_t)u;
}

/* Marks the units of [off, off + len) erased (both block multiples). */
static int
map_erase(struct sim_flash *f, uint64_t off, uint64_t len)
{
	uint64_t first = off / SIM_FLASH_ERASE_BLOCK * BLOCK_MAP_BYTES;

	return fallocate(f->map_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)first, (off_t)(len / SIM_FLASH_ERASE_BLOCK *
	    BLOCK_MAP_BYTES));
}

/* Counts one operation; 1 when the power goes at this one. */
static int
count_op(void)
{
	uint64_t n = atomic_fetch_add(&ops_done, 1) + 1;

	return cut_at != 0 && n == cut_at;
}

/* 1 when this operation is to fail: the n-th of its kind, or one that
 * touches the bad region. */
static int
faulty(_Atomic uint64_t *done, _Atomic uint64_t *at, uint64_t off,
    uint64_t len)
{
	uint64_t n = atomic_fetch_add(done, 1) + 1;

	return (*at != 0 && n == *at) ||
	    (bad_len != 0 && off < bad_off + bad_len && bad_off < off + len);
}

static int
punch(int fd, uint64_t off, uint64_t len)
{
	return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)off, (off_t)len);
}

/* The torn half of a write: the first half of the units land. */
static void
cut_write(struct sim_flash *f, const uint8_t *p, size_t len, uint64_t off)
{
	size_t half = len / 2 / SIM_FLASH_WRITE_UNIT * SIM_FLASH_WRITE_UNIT;

	if (half == 0)
		half = len / 2;
	(void)pwrite_all(f->fd, p, half, off);
	(void)map_walk(f, off / SIM_FLASH_WRITE_UNIT,
	    (half + SIM_FLASH_WRITE_UNIT - 1) / SIM_FLASH_WRITE_UNIT, 1);
	(void)fdatasync(f->fd);
	(void)fdatasync(f->map_fd);
	_exit(SIM_FLASH_CUT_STATUS);
}

/* Refuses a write onto a unit programmed since its last erase, which real
 * flash refuses too (or corrupts); counted as a violation. 0, or -1. */
static int
check_erased(struct sim_flash *f, uint64_t off, uint64_t units, char *err,
    size_t errlen)
{
	int64_t u = map_walk(f, off / SIM_FLASH_WRITE_UNIT, units, 0);

	if (u < 0) {
		set_err(err, errlen, "write: unit map", errno);
		return -1;
	}
	if ((uint64_t)u == off / SIM_FLASH_WRITE_UNIT + units)
		return 0;
	violations++;
	(void)util_fmt(err, errlen, "flash write at 0x%llx: the unit at 0x%llx "
	    "is not erased (written since its last erase)",
	    (unsigned long long)off,
	    (unsigned long long)u * SIM_FLASH_WRITE_UNIT);
	log_err("%s: a bug in the device code", err);
	return -1;
}

int
sim_flash_write(struct sim_flash *f, uint64_t off, const void *buf,
    size_t len, char *err, size_t errlen)
{
	uint8_t tail[SIM_FLASH_WRITE_UNIT];
	size_t whole = len / SIM_FLASH_WRITE_UNIT * SIM_FLASH_WRITE_UNIT;
	size_t rest = len - whole;
	uint64_t padded = whole + (rest ? SIM_FLASH_WRITE_UNIT : 0);
	uint64_t units = padded / SIM_FLASH_WRITE_UNIT;

	if (off % SIM_FLASH_WRITE_UNIT != 0 || !in_range(f, off, padded)) {
		set_err(err, errlen, "write", EINVAL);
		return -1;
	}
	/* Refused before the power can go: it never lands. */
	if (check_erased(f, off, units, err, errlen) != 0)
		return -1;
	if (count_op())
		cut_write(f, buf, len, off);
	if (faulty(&writes_done, &fail_write_at, off, padded)) {
		/* A failed program leaves its units unknown, not erased. */
		(void)map_walk(f, off / SIM_FLASH_WRITE_UNIT, units, 1);
		set_err(err, errlen, "write (injected fault)", EIO);
		return -1;
	}
	memset(tail, SIM_FLASH_ERASED, sizeof(tail));
	if (rest)
		memcpy(tail, (const uint8_t *)buf + whole, rest);
	if (pwrite_all(f->fd, buf, whole, off) != 0 ||
	    (rest && pwrite_all(f->fd, tail, sizeof(tail), off + whole) != 0) ||
	    map_walk(f, off / SIM_FLASH_WRITE_UNIT, units, 1) < 0 ||
	    sync_fd(f->fd) != 0 || sync_fd(f->map_fd) != 0) {
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

		half = half ? half : SIM_FLASH_ERASE_BLOCK;
		(void)punch(f->fd, off, half);
		(void)map_erase(f, off, half);
		(void)fdatasync(f->fd);
		(void)fdatasync(f->map_fd);
		_exit(SIM_FLASH_CUT_STATUS);
	}
	if (faulty(&erases_done, &fail_erase_at, off, len)) {
		set_err(err, errlen, "erase (injected fault)", EIO);
		return -1;
	}
	if (punch(f->fd, off, len) != 0 || map_erase(f, off, len) != 0 ||
	    sync_fd(f->fd) != 0 || sync_fd(f->map_fd) != 0) {
		set_err(err, errlen, "erase", errno);
		return -1;
	}
	return 0;
}
