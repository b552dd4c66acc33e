/* Small helpers shared by every program: numbers, times, files. */
#ifndef UTIL_UTIL_H
#define UTIL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Parses a whole decimal integer in [min, max]; 0, or -1 on any junk. */
int util_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);
/* Parses a byte size: "4096", "64K", "8M", "8G", "1T" (powers of 1024). */
int util_parse_size(const char *s, uint64_t *out);
/* Parses a duration in seconds: "90", "90s", "15m", "2h", "30d", "1w". */
int util_parse_duration(const char *s, int64_t *out);

/* The identifier rule of device ids, hw classes, tags, cohort names and
 * versions as the API and otactl take them: 1 to UTIL_ID_MAX of
 * [A-Za-z0-9._:-], starting with a letter or digit. 1 if s is one. */
#define UTIL_ID_MAX 64
int util_valid_ident(const char *s);

/* Seconds since the epoch (wall clock). */
int64_t util_now(void);
/* Monotonic microseconds, for measuring. */
int64_t util_mono_us(void);
/* The wall-clock time ms milliseconds (>= 0) from now, for
 * pthread_cond_timedwait. */
void util_deadline(struct timespec *ts, int64_t ms);
/* Formats t as RFC 3339 UTC ("2026-11-22T10:00:00Z"); buf >= 21 bytes. */
void util_time_fmt(int64_t t, char buf[static 21]);
/* Parses exactly "YYYY-MM-DDTHH:MM:SSZ"; 0, or -1. Signed documents
 * use this one form. */
int util_time_parse(const char *s, int64_t *out);
/* Parses an RFC 3339 time as people type it into the API:
 * "YYYY-MM-DDTHH:MM:SS", optional fraction (dropped), then "Z" or an
 * offset "+HH:MM"/"-HH:MM" ("t" and "z" too); at most 40 bytes. 0, or
 * -1. */
int util_time_parse_rfc3339(const char *s, int64_t *out);

/* Creates dir with 'mode' if missing; an existing path must be a dir. */
int util_mkdir(const char *path, unsigned mode);
/* Writes len bytes to path atomically: temp file, fsync, rename, fsync of
 * the directory. The file gets 'mode'. 0, or -1 with errno set. */
int util_write_atomic(const char *path, const void *buf, size_t len,
    unsigned mode);
/* Reads a whole regular file of at most cap bytes (O_NOFOLLOW when
 * nofollow). Returns a malloc'd buffer NUL-terminated at *len, or NULL
 * (errno EFBIG past the cap). Caller frees. */
uint8_t *util_read_file(const char *path, size_t cap, int nofollow,
    size_t *len);
/* fsyncs the directory that holds path; 0/-1. */
int util_fsync_dir(const char *path);
/* snprintf that fails (-1) on truncation instead of cutting. */
int util_fmt(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The candidate closest to word for a "did you mean" hint: at most 2
 * edits (insert, delete, change, swap two neighbours) away and fewer
 * than half of word's length; the first of the closest wins. NULL when
 * none is that close (or word is longer than 64 bytes). */
const char *util_suggest(const char *word, const char *const *cands,
    size_t n);

/* Time zones (util/tz.c). 1 if name may be an IANA zone name: 1 to 63 of
 * A-Z a-z 0-9 / _ + -, no empty part, not starting or ending with /. */
int util_tz_name_ok(const char *name);
/* The POSIX TZ rule at the end of a TZif file of n bytes (version 2 or
 * later), NUL-terminated into rule (len bytes); 0, or -1 when it has none
 * or it does not fit. */
int util_tzif_footer(const uint8_t *buf, size_t n, char *rule, size_t len);
/* The rule of IANA zone name from the tz database ($TZDIR, else
 * /usr/share/zoneinfo) into rule; 0, -1 for no such zone (or a bad
 * name), -2 for a file that has no rule for times to come. */
int util_tz_rule(const char *name, char *rule, size_t len);

#endif
