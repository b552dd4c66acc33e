/* SHA-1 and MD5 over nettle (the only file that includes nettle's
 * headers); see digest.h for why otad has them at all. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <nettle/md5.h>
#include <nettle/sha1.h>

#include "sign/crypto.h"
#include "sign/digest.h"

#define READ_BUF (1 << 20)

struct sign_digest {
	struct sha1_ctx sha1;
	struct md5_ctx md5;
};

static void
digest_init(struct sign_digest *d)
{
	sha1_init(&d->sha1);
	md5_init(&d->md5);
}

struct sign_digest *
sign_digest_new(void)
{
	struct sign_digest *d = malloc(sizeof(*d));

	if (d != NULL)
		digest_init(d);
	return d;
}

void
sign_digest_update(struct sign_digest *d, const void *in, size_t len)
{
	sha1_update(&d->sha1, len, in);
	md5_update(&d->md5, len, in);
}

void
sign_digest_final(struct sign_digest *d, struct sign_digests *out)
{
	uint8_t s[SIGN_SHA1_LEN], m[SIGN_MD5_LEN];

	sha1_digest(&d->sha1, sizeof(s), s);
	md5_digest(&d->md5, sizeof(m), m);
	sign_hex(s, sizeof(s), out->sha1);
	sign_hex(m, sizeof(m), out->md5);
}

void
sign_digest_free(struct sign_digest *d)
{
	free(d);
}

void
sign_digest_buf(const void *in, size_t len, struct sign_digests *out)
{
	struct sign_digest d;

	digest_init(&d);
	sign_digest_update(&d, in, len);
	sign_digest_final(&d, out);
}

/* Hashes fd to its end into d; 0, or -1 with errno set. */
static int
digest_fd(int fd, struct sign_digest *d, uint64_t *len)
{
	uint8_t *buf = malloc(READ_BUF);
	ssize_t n;

	if (buf == NULL)
		return -1;
	*len = 0;
	while ((n = read(fd, buf, READ_BUF)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		sign_digest_update(d, buf, (size_t)n);
		*len += (uint64_t)n;
	}
	free(buf);
	return 0;
}

int
sign_digest_file(const char *path, uint64_t *len, struct sign_digests *out)
{
	struct sign_digest d;
	int fd, rc, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	digest_init(&d);
	rc = digest_fd(fd, &d, len);
	saved = errno;
	close(fd);
	if (rc == 0)
		sign_digest_final(&d, out);
	errno = saved;
	return rc;
}
