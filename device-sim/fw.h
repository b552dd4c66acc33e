/* Simulated firmware images: a header line saying which version the image
 * is and how it behaves, then deterministic filler. */
#ifndef SIM_FW_H
#define SIM_FW_H

#include <stddef.h>
#include <stdint.h>

#include "sign/semver.h"

/* The header is the image's first line, at most this many bytes with its
 * newline: "OTASIM-FW 1 version=V behavior=B\n". */
#define SIM_FW_HEADER_MAX 160
/* Longest behaviour text: "degrade-after=" and a number of seconds. */
#define SIM_FW_BEHAVIOR_MAX 40

enum sim_fw_behavior {
	SIM_FW_OK = 0,		/* boots, self-test passes */
	SIM_FW_SELFTEST_FAIL,	/* boots, self-test fails */
	SIM_FW_CRASH_ON_BOOT,	/* never comes up */
	SIM_FW_DEGRADE,		/* passes, confirms, then crashes after a while */
};

struct sim_fw_header {
	char version[SIGN_SEMVER_MAX + 1];
	enum sim_fw_behavior behavior;
	int64_t degrade_after;	/* SIM_FW_DEGRADE: seconds of uptime */
};

/* "ok", "selftest-fail", "crash-on-boot" or "degrade-after". Static. */
const char *sim_fw_behavior_name(enum sim_fw_behavior b);
/* Parses a behaviour ("ok", ..., "degrade-after=DURATION" with a duration
 * of 1 s to a year) into out's behavior and degrade_after; 0, or -1. */
int sim_fw_behavior_parse(const char *s, struct sim_fw_header *out);
/* Writes the behaviour of h as the header spells it ("degrade-after=90").
 * 0, or -1 when it does not fit. */
int sim_fw_behavior_format(const struct sim_fw_header *h, char *out,
    size_t size);
/* Whether a running image that behaves as h and has been up uptime_s
 * seconds has degraded (crashes at every health report from then on). */
int sim_fw_degraded(const struct sim_fw_header *h, int64_t uptime_s);

/* Parses the header from the first len bytes of an image. 0, or -1 when
 * they do not start with a well-formed header line. */
int sim_fw_parse_header(const uint8_t *buf, size_t len,
    struct sim_fw_header *out);

/* Writes an image of exactly size bytes to path (replacing it) with the
 * version and behaviour of h, streamed in a small buffer so any size
 * works. The filler depends on the version and the behaviour. 0, or -1
 * with a message in err (size too small for the header, bad version,
 * I/O). */
int sim_fw_make(const char *path, const struct sim_fw_header *h,
    uint64_t size, char *err, size_t errlen);

#endif
