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

enum sim_fw_behavior {
	SIM_FW_OK = 0,		/* boots, self-test passes */
	SIM_FW_SELFTEST_FAIL,	/* boots, self-test fails */
	SIM_FW_CRASH_ON_BOOT,	/* never comes up */
};

struct sim_fw_header {
	char version[SIGN_SEMVER_MAX + 1];
	enum sim_fw_behavior behavior;
};

/* "ok", "selftest-fail" or "crash-on-boot". Static. */
const char *sim_fw_behavior_name(enum sim_fw_behavior b);
/* Parses a behaviour name; 0, or -1 if unknown. */
int sim_fw_behavior_parse(const char *s, enum sim_fw_behavior *out);

/* Parses the header from the first len bytes of an image. 0, or -1 when
 * they do not start with a well-formed header line. */
int sim_fw_parse_header(const uint8_t *buf, size_t len,
    struct sim_fw_header *out);

/* Writes an image of exactly size bytes to path (replacing it), streamed
 * in a small buffer so any size works. The filler depends on the version
 * and the behaviour. 0, or -1 with a message in err (size too small for
 * the header, bad version, I/O). */
int sim_fw_make(const char *path, const char *version,
    enum sim_fw_behavior behavior, uint64_t size, char *err, size_t errlen);

#endif
