/* bench/idleconns: holds many idle keep-alive connections to one server,
 * for bench/poll's idle case. It opens N connections (spread over the
 * source addresses 127.0.0.1, .2, ... so that no address runs out of
 * ephemeral ports), sends one device poll on each with the next token of
 * TOKENS, reads the answer, and leaves the connection open. Then it
 * prints "OPEN ok=.. failed=.. seconds=..", sleeps HOLD seconds while the
 * caller measures the server, polls once more on every connection, and
 * prints "AGAIN ok=.. closed=.. failed=..": a connection the server
 * dropped while idle counts as closed. Exit 0 when every connection
 * answered 2xx both times.
 * Usage: idleconns PORT N TOKENS HOLD */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Connections per source address: the kernel's search for a free port
 * at connect grows with the ports in use, so keep each address light. */
#define PER_ADDRESS 4000
#define IN_FLIGHT 1000		/* connects and requests at once */
#define HEAD_MAX 1024

enum { C_IDLE, C_WAIT, C_DONE, C_FAILED };

struct conn {
	int fd, state;
	unsigned len;		/* of the answer's head read so far */
	char head[HEAD_MAX];
};

static struct conn *conns;
static char **tokens;
static long ntokens;
static int ep;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
read_tokens(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256], **more;
	long cap = 0;
	int rc = 0;

	if (f == NULL)
		return -1;
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (ntokens == cap) {
			cap = cap ? cap * 2 : 1024;
			more = realloc(tokens, (size_t)cap * sizeof(*tokens));
			if (more == NULL) {
				rc = -1;
				break;
			}
			tokens = more;
		}
		if ((tokens[ntokens] = strdup(line)) == NULL)
			rc = -1;
		else
			ntokens++;
	}
	fclose(f);
	return rc == 0 && ntokens > 0 ? 0 : -1;
}

/* Connects connection i from its source address, without blocking. */
static int
open_conn(long i, int port)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET };
	int one = 1, fd;

	src.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)(i / PER_ADDRESS));
	dst.sin_addr.s_addr = htonl(0x7f000001u);
	dst.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* The port is chosen at connect, per destination: more per address. */
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
	    sizeof(one));
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
	    (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 &&
	    errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	conns[i].fd = fd;
	return 0;
}

/* Sends connection i's poll (round r picks the nonce); the socket is
 * connected, or its connect still under way (then the send waits for
 * EPOLLOUT). */
static int
send_poll(long i, int round)
{
	char req[512];
	int n = snprintf(req, sizeof(req), "GET /v1/device/update?fw_version="
	    "1.0.0&nonce=idle%d-%010ld HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Authorization: Bearer %s\r\n\r\n", round, i, tokens[i % ntokens]);

	if (n < 0 || (size_t)n >= sizeof(req) || send(conns[i].fd, req,
	    (size_t)n, MSG_NOSIGNAL) != n)
		return -1;
	conns[i].state = C_WAIT;
	conns[i].len = 0;
	return 0;
}

/* Reads what connection i has: 1 when its answer is complete and 2xx,
 * -1 when it failed or closed, 0 when more is to come. The answers have
 * no body (204, or nginx's 200 with Content-Length: 0). */
static int
read_answer(long i)
{
	struct conn *c = &conns[i];
	ssize_t n = recv(c->fd, c->head + c->len, HEAD_MAX - 1 - c->len, 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	c->len += (unsigned)n;
	c->head[c->len] = '\0';
	if (strstr(c->head, "\r\n\r\n") == NULL)
		return c->len < HEAD_MAX - 1 ? 0 : -1;
	return strncmp(c->head, "HTTP/1.1 2", 10) == 0 ? 1 : -1;
}

/* One round: a poll on every connection (opening it first in round 0),
 * at most IN_FLIGHT at once. Counts into ok, failed and closed. */
static void
round_trip(long n, int port, int round, long *ok, long *failed)
{
	struct epoll_event ev[256];
	long next = 0, busy = 0;

	*ok = *failed = 0;
	while (next < n || busy > 0) {
		while (next < n && busy < IN_FLIGHT) {
			long i = next++;
			struct epoll_event e = { .events = EPOLLIN, .data.u64 = (uint64_t)i };

			if (conns[i].state == C_FAILED) {
				(*failed)++;
				continue;
			}
			if ((round == 0 && open_conn(i, port) != 0)) {
				conns[i].state = C_FAILED;
				(*failed)++;
				continue;
			}
			/* A connect under way: wait until writable, then send. */
			e.events = round == 0 ? EPOLLOUT : EPOLLIN;
			conns[i].state = round == 0 ? C_IDLE : C_WAIT;
			if (round != 0 && send_poll(i, round) != 0) {
				conns[i].state = C_FAILED;
				(*failed)++;
				continue;
			}
			if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &e) != 0) {
				conns[i].state = C_FAILED;
				(*failed)++;
				continue;
			}
			busy++;
		}
		int k = epoll_wait(ep, ev, 256, 5000);
		if (k == 0) {
			fprintf(stderr, "idleconns: no progress for 5 s with %ld "
			    "busy\n", busy);
			break;
		}
		for (int j = 0; j < k; j++) {
			long i = (long)ev[j].data.u64;
			struct conn *c = &conns[i];
			int rc;

			if (c->state == C_IDLE) {	/* connected (or refused) */
				struct epoll_event e = { .events = EPOLLIN,
				    .data.u64 = (uint64_t)i };
				int err = 0;
				socklen_t len = sizeof(err);
				if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err,
				    &len) != 0 || err != 0 || send_poll(i, round) != 0 ||
				    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e) != 0)
					rc = -1;
				else
					continue;
			} else {
				rc = read_answer(i);
				if (rc == 0)
					continue;
			}
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			busy--;
			if (rc > 0) {
				c->state = C_DONE;
				(*ok)++;
			} else {
				c->state = C_FAILED;
				(*failed)++;
			}
		}
	}
}

int
main(int argc, char **argv)
{
	long n, ok, failed, ok2, failed2;
	int port, hold;
	double t0;

	if (argc != 5 || (port = atoi(argv[1])) <= 0 || (n = atol(argv[2])) <= 0 ||
	    (hold = atoi(argv[4])) < 0) {
		fprintf(stderr, "usage: idleconns PORT N TOKENS HOLD\n");
		return 2;
	}
	if (read_tokens(argv[3]) != 0) {
		fprintf(stderr, "idleconns: cannot read tokens from %s\n", argv[3]);
		return 2;
	}
	if ((conns = calloc((size_t)n, sizeof(*conns))) == NULL ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		perror("idleconns");
		return 2;
	}
	t0 = now_s();
	round_trip(n, port, 0, &ok, &failed);
	printf("OPEN ok=%ld failed=%ld seconds=%.1f\n", ok, failed, now_s() - t0);
	fflush(stdout);
	sleep((unsigned)hold);
	round_trip(n, port, 1, &ok2, &failed2);
	/* Failed the second time after a good first: the server let go. */
	printf("AGAIN ok=%ld closed=%ld failed=%ld\n", ok2, failed2 - failed,
	    failed);
	return ok == n && ok2 == n ? 0 : 1;
}
