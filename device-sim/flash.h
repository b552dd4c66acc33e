/* Emulated flash: one sparse file, written in units and erased in blocks,
 * every write and erase counted so a power cut or a fault can strike at
 * any one, and a write onto a unit that is not erased refused. */
#ifndef SIM_FLASH_H
#define SIM_FLASH_H

#include <stddef.h>
#include <stdint.h>

/* Writes start on a multiple of this; a short last unit is padded with
 * erased bytes. */
#define SIM_FLASH_WRITE_UNIT 16
/* Erases cover whole blocks of this size. */
#define SIM_FLASH_ERASE_BLOCK 4096
/* What erased flash reads as (0x00, unlike NOR's 0xff, so that erased
 * flash stays a hole in the sparse file). */
#define SIM_FLASH_ERASED 0x00
/* The exit status of a simulated power cut. */
#define SIM_FLASH_CUT_STATUS 3
/* The exit status of a run that wrote onto flash that was not erased. */
#define SIM_FLASH_MISUSE_STATUS 4

struct sim_flash;

/* Opens the flash file at path. With create, makes a new file of size
 * bytes (a multiple of SIM_FLASH_ERASE_BLOCK), fully erased, and fails if
 * it exists. Returns the flash, or NULL with a message in err; free with
 * sim_flash_close. */
struct sim_flash *sim_flash_open(const char *path, int create, uint64_t size,
    char *err, size_t errlen);
/* Closes f; NULL is a no-op. */
void sim_flash_close(struct sim_flash *f);
/* Removes the flash file at path and its unit map (PATH.units, which
 * records the units written since their last erase). 0, or -1 (errno)
 * when the flash file could not be removed. */
int sim_flash_unlink(const char *path);
/* Size of the flash in bytes. */
uint64_t sim_flash_size(const struct sim_flash *f);

/* Reads len bytes at off. 0, or -1 with a message in err. */
int sim_flash_read(struct sim_flash *f, uint64_t off, void *buf, size_t len,
    char *err, size_t errlen);
/* Programs len bytes at off (a multiple of SIM_FLASH_WRITE_UNIT), padding
 * the last unit, and makes them durable. One counted write. 0, or -1: a
 * bad argument, an injected fault (the units are then not erased), or a
 * unit written since its last erase (real flash refuses that; it counts
 * as a violation, see sim_flash_violations). */
int sim_flash_write(struct sim_flash *f, uint64_t off, const void *buf,
    size_t len, char *err, size_t errlen);
/* Erases [off, off + len), both multiples of SIM_FLASH_ERASE_BLOCK. One
 * counted erase. 0, or -1 (a bad argument, or an injected fault: then
 * nothing is erased). */
int sim_flash_erase(struct sim_flash *f, uint64_t off, uint64_t len,
    char *err, size_t errlen);

/* Process-wide: cut the power (_exit(SIM_FLASH_CUT_STATUS)) in the middle
 * of the n-th write or erase from now on, leaving it half done; 0 never. */
void sim_flash_cut_after(uint64_t n);
/* Process-wide fault injection: the n-th write (or erase) from now on
 * fails, once; 0 never. */
void sim_flash_fail_write(uint64_t n);
void sim_flash_fail_erase(uint64_t n);
/* Process-wide: every write or erase touching [off, off + len) fails, as
 * on worn-out blocks; len 0 clears it. */
void sim_flash_bad_region(uint64_t off, uint64_t len);
/* Process-wide: writes and erases done so far. */
uint64_t sim_flash_ops(void);
/* Process-wide: writes refused because their units were not erased. Any
 * is a bug in the device code (otasim exits SIM_FLASH_MISUSE_STATUS). */
uint64_t sim_flash_violations(void);
/* Process-wide: with 0, skip fsync (a fleet of simulated devices whose
 * host never loses power); the default 1 syncs every write and erase. */
void sim_flash_set_durable(int durable);

#endif
