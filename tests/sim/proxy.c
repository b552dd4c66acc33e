/* A hostile middlebox for the otasim end-to-end scripts (built by them
 * with cc; plain C, no libraries): forwards every request to otad, except
 * that it can answer update polls with a saved body (replays, expired or
 * foreign assignments) and serve artifacts from a file of its choosing
 * (longer than signed, or cut short once). With --log it appends, for
 * every request, its request line and the Authorization header it carried
 * ("-" for none), and its Range header if it has one: a mirror on
 * another origin must never see a token. With --forward-cut it forwards
 * the first hawkBit DDI download (a GET of .../softwaremodules/...) but
 * cuts otad's answer after BYTES bytes, so that a client resumes it from
 * otad. One connection at a time, each answered with "Connection: close".
 *
 *   proxy PORTFILE UPSTREAM_PORT [--update-body FILE] [--artifact FILE]
 *         [--artifact-cut BYTES] [--forward-cut BYTES] [--log FILE]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_MAX 65536
#define BODY_MAX (1 << 20)

struct cfg {
	int upstream;
	const char *update_body;
	const char *artifact;
	long cut;
	int artifact_gets;
	long forward_cut;
	int ddi_gets;
	const char *log;
};

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads the request head (and body) into buf; its length, or -1. */
static ssize_t
read_request(int fd, char *buf, size_t cap, size_t *head_len)
{
	size_t len = 0;
	char *end = NULL, *cl;
	long body = 0;

	while (end == NULL) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);

		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end == NULL && len + 1 >= cap)
			return -1;
	}
	*head_len = (size_t)(end + 4 - buf);
	cl = strcasestr(buf, "\r\nContent-Length:");
	if (cl != NULL && cl < end)
		body = strtol(cl + 17, NULL, 10);
	if (body < 0 || *head_len + (size_t)body >= cap)
		return -1;
	while (len < *head_len + (size_t)body) {
		ssize_t n = read(fd, buf + len, *head_len + (size_t)body - len);

		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
	return (ssize_t)len;
}

static void
reply_file(int fd, const char *path, long from, long cut)
{
	char head[512], buf[65536];
	struct stat st;
	int in = open(path, O_RDONLY);
	long size, left;

	if (in < 0 || fstat(in, &st) != 0) {
		dprintf(fd, "HTTP/1.1 500 x\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n");
		return;
	}
	size = (long)st.st_size;
	left = size - from;
	if (from > 0)
		snprintf(head, sizeof(head), "HTTP/1.1 206 Partial\r\n"
		    "Content-Range: bytes %ld-%ld/%ld\r\n", from, size - 1, size);
	else
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n");
	dprintf(fd, "%sContent-Length: %ld\r\nConnection: close\r\n\r\n", head,
	    left);
	if (cut > 0 && cut < left)
		left = cut;
	lseek(in, from, SEEK_SET);
	while (left > 0) {
		ssize_t n = read(in, buf, left < (long)sizeof(buf) ?
		    (size_t)left : sizeof(buf));

		if (n <= 0 || write_all(fd, buf, (size_t)n) != 0)
			break;
		left -= n;
	}
	close(in);
}

/* Forwards the request to otad and its answer back, the first cut bytes
 * of it when cut > 0. */
static void
forward(int fd, int upstream, char *req, size_t len, size_t head_len,
    long cut)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char buf[65536], *conn;
	int up = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t n;

	sa.sin_port = htons((uint16_t)upstream);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (up < 0 || connect(up, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		dprintf(fd, "HTTP/1.1 502 x\r\nContent-Length: 0\r\n\r\n");
		return;
	}
	/* Keep-alive would leave upstream's answer open-ended. */
	conn = strcasestr(req, "\r\nConnection:");
	if (conn != NULL && (size_t)(conn - req) < head_len)
		memcpy(conn + 2, "X-Old-Conn", 10);
	write_all(up, req, head_len - 2);
	write_all(up, "Connection: close\r\n\r\n", 21);
	write_all(up, req + head_len, len - head_len);
	while ((n = read(up, buf, sizeof(buf))) > 0) {
		if (cut > 0 && n >= cut) {
			write_all(fd, buf, (size_t)cut);
			break;
		}
		cut -= cut > 0 ? n : 0;
		if (write_all(fd, buf, (size_t)n) != 0)
			break;
	}
	close(up);
}

/* The value of header name (with its leading "\r\n" and ":") in the
 * head, and its length in *len; NULL if it has none. */
static const char *
header_value(const char *req, size_t head_len, const char *name, int *len)
{
	const char *h = strcasestr(req, name);

	if (h == NULL || (size_t)(h - req) >= head_len)
		return NULL;
	h += strlen(name);
	while (*h == ' ')
		h++;
	*len = (int)strcspn(h, "\r\n");
	return h;
}

/* Appends "REQUEST-LINE [range=VALUE ]auth=VALUE" for the request head. */
static void
log_request(const char *path, const char *req, size_t head_len)
{
	const char *eol = strstr(req, "\r\n"), *auth, *range;
	FILE *f = fopen(path, "a");
	int alen = 1, rlen = 0;

	if (f == NULL || eol == NULL) {
		if (f != NULL)
			fclose(f);
		return;
	}
	auth = header_value(req, head_len, "\r\nAuthorization:", &alen);
	if (auth == NULL) {
		auth = "-";
		alen = 1;
	}
	range = header_value(req, head_len, "\r\nRange:", &rlen);
	fprintf(f, "%.*s %s%.*s%sauth=%.*s\n", (int)(eol - req), req,
	    range ? "range=" : "", rlen, range ? range : "", range ? " " : "",
	    alen, auth);
	fclose(f);
}

/* 1 if the request line asks for a DDI software module's artifact. */
static int
is_ddi_download(const char *req)
{
	const char *eol = strstr(req, "\r\n"), *p = strstr(req, "/softwaremodules/");

	return p != NULL && eol != NULL && p < eol;
}

static void
serve(int fd, struct cfg *c)
{
	char *req = malloc(BODY_MAX);
	size_t head_len = 0;
	ssize_t len = req ? read_request(fd, req, BODY_MAX, &head_len) : -1;
	char *range;

	if (len < 0) {
		free(req);
		return;
	}
	if (c->log)
		log_request(c->log, req, head_len);
	if (c->update_body && strncmp(req, "GET /v1/device/update", 21) == 0) {
		reply_file(fd, c->update_body, 0, 0);
	} else if (c->artifact && strncmp(req, "GET /v1/artifacts/", 18) == 0) {
		range = strcasestr(req, "\r\nRange: bytes=");
		c->artifact_gets++;
		reply_file(fd, c->artifact, range ? strtol(range + 15, NULL,
		    10) : 0, c->artifact_gets == 1 ? c->cut : 0);
	} else if (c->forward_cut > 0 && strncmp(req, "GET ", 4) == 0 &&
	    is_ddi_download(req)) {
		forward(fd, c->upstream, req, (size_t)len, head_len,
		    c->ddi_gets++ == 0 ? c->forward_cut : 0);
	} else {
		forward(fd, c->upstream, req, (size_t)len, head_len, 0);
	}
	free(req);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct cfg c = { 0, NULL, NULL, 0, 0, 0, 0, NULL };
	FILE *pf;
	int s, one = 1;

	if (argc < 3)
		return 2;
	c.upstream = (int)strtol(argv[2], NULL, 10);
	for (int i = 3; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--update-body") == 0)
			c.update_body = argv[i + 1];
		else if (strcmp(argv[i], "--artifact") == 0)
			c.artifact = argv[i + 1];
		else if (strcmp(argv[i], "--artifact-cut") == 0)
			c.cut = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--forward-cut") == 0)
			c.forward_cut = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--log") == 0)
			c.log = argv[i + 1];
		else
			return 2;
	}
	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(s, 16) != 0 || getsockname(s, (struct sockaddr *)&sa,
	    &sl) != 0)
		return 1;
	pf = fopen(argv[1], "w");
	if (pf == NULL)
		return 1;
	fprintf(pf, "%d\n", ntohs(sa.sin_port));
	fclose(pf);
	for (;;) {
		int fd = accept(s, NULL, NULL);

		if (fd < 0)
			continue;
		serve(fd, &c);
		close(fd);
	}
}
