/* Fuzzes the configuration setters and file reader. Input: a mode byte,
 * then: key NUL value (cfg_set), an address (cfg_set_listen) or a whole
 * file (cfg_load, read from a memfd). Whatever is accepted leaves every
 * setting inside its documented range; a refused value changes nothing. */
#include <arpa/inet.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "api/config.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int
is_str(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* The ranges conf/otad.conf documents, for every setting at once. */
static void
check_cfg(const struct cfg *c)
{
	unsigned char tmp[16];

	FZ_ASSERT(is_str(c->listen_addr, sizeof(c->listen_addr)));
	FZ_ASSERT(inet_pton(AF_INET, c->listen_addr, tmp) == 1 ||
	    inet_pton(AF_INET6, c->listen_addr, tmp) == 1);
	FZ_ASSERT(c->listen_port >= 0 && c->listen_port <= 65535);
	FZ_ASSERT(is_str(c->data_dir, sizeof(c->data_dir)));
	FZ_ASSERT(c->data_dir[0] != '\0');
	FZ_ASSERT(c->threads >= 0 && c->threads <= 256);
	FZ_ASSERT(c->max_connections >= 1 && c->max_connections <= 1000000);
	FZ_ASSERT(c->connection_memory >= 8192 &&
	    c->connection_memory <= 16 << 20);
	FZ_ASSERT(c->connection_timeout >= 1 && c->connection_timeout <= 3600);
	FZ_ASSERT(c->max_json_body >= 1024 && c->max_json_body <= 1ULL << 30);
	FZ_ASSERT(c->max_bulk_body >= 1024 && c->max_bulk_body <= 1ULL << 30);
	FZ_ASSERT(c->max_artifact_size >= 1 &&
	    c->max_artifact_size <= 1ULL << 50);
	FZ_ASSERT(c->log_level >= LOG_LVL_ERROR &&
	    c->log_level <= LOG_LVL_DEBUG);
	FZ_ASSERT(c->log_requests == 0 || c->log_requests == 1);
	FZ_ASSERT(c->poll_interval >= 1 && c->poll_interval <= 86400);
	FZ_ASSERT(c->assignment_ttl >= 10 && c->assignment_ttl <= 86400);
	FZ_ASSERT(c->artifacts_public == 0 || c->artifacts_public == 1);
	FZ_ASSERT(is_str(c->public_url, sizeof(c->public_url)));
	FZ_ASSERT(c->public_url[0] == '\0' ||
	    strncmp(c->public_url, "http://", 7) == 0 ||
	    strncmp(c->public_url, "https://", 8) == 0);
	FZ_ASSERT(c->gate_interval >= 1 && c->gate_interval <= 3600);
	FZ_ASSERT(c->seen_flush_interval >= 1 && c->seen_flush_interval <= 600);
	FZ_ASSERT(c->shutdown_timeout >= 0 && c->shutdown_timeout <= 3600);
	FZ_ASSERT(is_str(c->online_key_passphrase_file,
	    sizeof(c->online_key_passphrase_file)));
}

static void
load(struct cfg *c, const uint8_t *p, size_t n)
{
	char path[64], err[512] = "";
	int fd, rc;

	fd = memfd_create("otad.conf", MFD_CLOEXEC);
	FZ_ASSERT(fd >= 0);
	FZ_ASSERT(write(fd, p, n) == (ssize_t)n);
	FZ_ASSERT(lseek(fd, 0, SEEK_SET) == 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rc = cfg_load(c, path, err, sizeof(err));
	close(fd);
	FZ_ASSERT(rc == 0 || rc == -1);
	/* Every message starts with the file's name. */
	FZ_ASSERT(rc == 0 || strncmp(err, path, strlen(path)) == 0);
	/* A file is applied line by line: on error, what came before the
	 * bad line stays set, so only a success is checked whole. */
	if (rc == 0)
		check_cfg(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg c, before;
	struct fz_part parts[2];
	char *key, *val, err[256] = "";
	int rc;

	if (size < 1)
		return 0;
	cfg_defaults(&c);
	check_cfg(&c);
	memcpy(&before, &c, sizeof(c));
	switch (data[0] % 3) {
	case 0:
		fz_split(data + 1, size - 1, parts, 2);
		key = fz_str(parts[0].p, parts[0].len);
		val = fz_str(parts[1].p, parts[1].len);
		rc = cfg_set(&c, key, val, err, sizeof(err));
		FZ_ASSERT(rc == 0 || rc == -1);
		if (rc == 0) {
			check_cfg(&c);
		} else {
			/* The message names the key (cut to fit err). */
			FZ_ASSERT(strncmp(err, key, strlen(key) < sizeof(err) ?
			    strlen(key) : sizeof(err) - 1) == 0);
			FZ_ASSERT(memcmp(&c, &before, sizeof(c)) == 0);
		}
		free(key);
		free(val);
		break;
	case 1:
		val = fz_str(data + 1, size - 1);
		rc = cfg_set_listen(&c, val);
		FZ_ASSERT(rc == 0 || rc == -1);
		if (rc == 0)
			check_cfg(&c);
		else
			FZ_ASSERT(memcmp(&c, &before, sizeof(c)) == 0);
		free(val);
		break;
	default:
		load(&c, data + 1, size - 1);
		break;
	}
	return 0;
}
