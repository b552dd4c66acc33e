/* A webhook receiver for tests/e2e/webhooks.sh: listens on 127.0.0.1,
 * answers each POST 500 for the first --fail requests and 200 after, and
 * writes each request's head and body to DIR/N.head and DIR/N.body (N
 * from 1, in arrival order; the files appear once complete). Usage:
 *   hookrecv --dir DIR [--port P] [--port-file F] [--fail N]
 * Single-threaded, one request per connection; SIGTERM ends it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CAP (1 << 20)

static long
num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0) {
		fprintf(stderr, "hookrecv: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static void
put(const char *dir, long n, const char *ext, const char *p, size_t len)
{
	char tmp[4096], path[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.%ld.%s", dir, n, ext);
	snprintf(path, sizeof(path), "%s/%ld.%s", dir, n, ext);
	if ((f = fopen(tmp, "wb")) == NULL || fwrite(p, 1, len, f) != len ||
	    fclose(f) != 0 || rename(tmp, path) != 0) {
		perror("hookrecv: write");
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	const char *dir = NULL, *port_file = NULL;
	long port = 0, fail = 0, n = 0;
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);
	char *buf = malloc(CAP + 1);
	int s, one = 1;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--dir") == 0)
			dir = argv[i + 1];
		else if (strcmp(argv[i], "--port") == 0)
			port = num(argv[i + 1]);
		else if (strcmp(argv[i], "--port-file") == 0)
			port_file = argv[i + 1];
		else if (strcmp(argv[i], "--fail") == 0)
			fail = num(argv[i + 1]);
		else {
			fprintf(stderr, "hookrecv: unknown flag %s\n", argv[i]);
			return 2;
		}
	}
	if (dir == NULL || buf == NULL)
		return 2;
	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(s, 16) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &alen) != 0) {
		perror("hookrecv: listen");
		return 1;
	}
	if (port_file != NULL) {
		char p[16];
		int l = snprintf(p, sizeof(p), "%d\n", ntohs(a.sin_port));

		put(".", 0, "port", p, (size_t)l);
		if (rename("./0.port", port_file) != 0) {
			perror("hookrecv: port file");
			return 1;
		}
	}
	for (;;) {
		int c = accept(s, NULL, NULL);
		size_t have = 0, head = 0, want = 0;
		char *e, *cl;
		const char *answer;

		if (c < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		while (have < CAP) {
			ssize_t r = read(c, buf + have, CAP - have);

			if (r <= 0)
				break;
			have += (size_t)r;
			buf[have] = '\0';
			if (head == 0 && (e = strstr(buf, "\r\n\r\n")) != NULL) {
				head = (size_t)(e - buf) + 4;
				cl = strcasestr(buf, "\r\ncontent-length:");
				want = cl != NULL && cl < e ?
				    (size_t)strtoul(cl + 17, NULL, 10) : 0;
			}
			if (head != 0 && have >= head + want)
				break;
		}
		if (head == 0 || have < head + want) {
			close(c);
			continue;
		}
		n++;
		put(dir, n, "body", buf + head, want);
		put(dir, n, "head", buf, head);
		answer = n <= fail ?
		    "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n" :
		    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n";
		if (write(c, answer, strlen(answer)) < 0)
			perror("hookrecv: answer");
		close(c);
	}
}
