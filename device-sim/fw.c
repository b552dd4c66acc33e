/* Simulated firmware images: header line, filler, parsing. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw.h"
#include "sign/crypto.h"
#include "util/util.h"

#define FW_MAGIC "OTASIM-FW 1 "
#define FILL_BUF (1 << 20)

static const char *const behavior_names[] = {
	[SIM_FW_OK] = "ok",
	[SIM_FW_SELFTEST_FAIL] = "selftest-fail",
	[SIM_FW_CRASH_ON_BOOT] = "crash-on-boot",
	[SIM_FW_DEGRADE] = "degrade-after",
};

#define DEGRADE_PREFIX "degrade-after="
/* A year: a degradation later than that is no test of a bake. */
#define DEGRADE_MAX (366 * 86400LL)

const char *
sim_fw_behavior_name(enum sim_fw_behavior b)
{
	if ((size_t)b >= ARRAY_LEN(behavior_names))
		return "unknown";
	return behavior_names[b];
}

int
sim_fw_behavior_parse(const char *s, struct sim_fw_header *out)
{
	size_t plen = strlen(DEGRADE_PREFIX);
	int64_t d;

	if (strncmp(s, DEGRADE_PREFIX, plen) == 0) {
		if (util_parse_duration(s + plen, &d) != 0 || d < 1 ||
		    d > DEGRADE_MAX)
			return -1;
		out->behavior = SIM_FW_DEGRADE;
		out->degrade_after = d;
		return 0;
	}
	/* The degrading behaviour needs its duration. */
	for (size_t i = 0; i < ARRAY_LEN(behavior_names); i++) {
		if (i != SIM_FW_DEGRADE && strcmp(s, behavior_names[i]) == 0) {
			out->behavior = (enum sim_fw_behavior)i;
			out->degrade_after = 0;
			return 0;
		}
	}
	return -1;
}

int
sim_fw_behavior_format(const struct sim_fw_header *h, char *out, size_t size)
{
	if (h->behavior == SIM_FW_DEGRADE)
		return util_fmt(out, size, DEGRADE_PREFIX "%lld",
		    (long long)h->degrade_after);
	return util_fmt(out, size, "%s", sim_fw_behavior_name(h->behavior));
}

int
sim_fw_degraded(const struct sim_fw_header *h, int64_t uptime_s)
{
	return h->behavior == SIM_FW_DEGRADE && uptime_s >= h->degrade_after;
}

/* Copies the value of "key=" at *p up to the delimiter into out. */
static int
take_field(const char **p, const char *end, const char *key, char delim,
    char *out, size_t outsize)
{
	size_t klen = strlen(key);
	const char *v, *stop;

	if ((size_t)(end - *p) < klen || memcmp(*p, key, klen) != 0)
		return -1;
	v = *p + klen;
	stop = memchr(v, delim, (size_t)(end - v));
	if (stop == NULL || stop == v || (size_t)(stop - v) >= outsize)
		return -1;
	memcpy(out, v, (size_t)(stop - v));
	out[stop - v] = '\0';
	*p = stop + 1;
	return 0;
}

int
sim_fw_parse_header(const uint8_t *buf, size_t len, struct sim_fw_header *out)
{
	const char *p = (const char *)buf;
	const char *end = p + (len < SIM_FW_HEADER_MAX ? len : SIM_FW_HEADER_MAX);
	char behavior[SIM_FW_BEHAVIOR_MAX + 1];
	size_t mlen = strlen(FW_MAGIC);

	if ((size_t)(end - p) < mlen || memcmp(p, FW_MAGIC, mlen) != 0)
		return -1;
	p += mlen;
	if (take_field(&p, end, "version=", ' ', out->version,
	    sizeof(out->version)) != 0 ||
	    take_field(&p, end, "behavior=", '\n', behavior,
	    sizeof(behavior)) != 0)
		return -1;
	if (!sign_semver_valid(out->version) ||
	    sim_fw_behavior_parse(behavior, out) != 0)
		return -1;
	return 0;
}

/* splitmix64: a tiny deterministic generator for the filler. */
static uint64_t
next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
seed_of(const char *version, const char *behavior)
{
	char text[SIM_FW_HEADER_MAX];
	uint8_t d[SIGN_SHA256_LEN];
	uint64_t s = 0;

	if (util_fmt(text, sizeof(text), "otasim-fw\n%s\n%s", version,
	    behavior) != 0)
		text[0] = '\0';
	sign_sha256(text, strlen(text), d);
	for (int i = 0; i < 8; i++)
		s = s << 8 | d[i];
	return s;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes the header and then size - hlen filler bytes. */
static int
write_image(int fd, const char *hdr, size_t hlen, uint64_t size,
    uint64_t seed, uint8_t *buf)
{
	uint64_t left = size - hlen;

	if (write_all(fd, (const uint8_t *)hdr, hlen) != 0)
		return -1;
	while (left > 0) {
		size_t n = left < FILL_BUF ? (size_t)left : FILL_BUF;

		for (size_t i = 0; i < n; i += 8) {
			uint64_t r = next_rand(&seed);
			size_t k = n - i < 8 ? n - i : 8;

			memcpy(buf + i, &r, k);
		}
		if (write_all(fd, buf, n) != 0)
			return -1;
		left -= n;
	}
	return fsync(fd);
}

int
sim_fw_make(const char *path, const struct sim_fw_header *h, uint64_t size,
    char *err, size_t errlen)
{
	char hdr[SIM_FW_HEADER_MAX], behavior[SIM_FW_BEHAVIOR_MAX + 1];
	uint8_t *buf = NULL;
	int fd = -1, rc = -1;

	if (!sign_semver_valid(h->version) ||
	    sim_fw_behavior_format(h, behavior, sizeof(behavior)) != 0 ||
	    util_fmt(hdr, sizeof(hdr), FW_MAGIC "version=%s behavior=%s\n",
	    h->version, behavior) != 0) {
		(void)util_fmt(err, errlen, "--fw-version: not a semantic "
		    "version: %s", h->version);
		return -1;
	}
	if (size < strlen(hdr) || size > INT64_MAX) {
		(void)util_fmt(err, errlen, "--size: %llu bytes cannot hold "
		    "the %zu-byte header", (unsigned long long)size,
		    strlen(hdr));
		return -1;
	}
	buf = malloc(FILL_BUF);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (buf == NULL || fd < 0 || write_image(fd, hdr, strlen(hdr), size,
	    seed_of(h->version, behavior), buf) != 0) {
		(void)util_fmt(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0 && close(fd) != 0)
		rc = -1;
	free(buf);
	return rc;
}
