/* A hostile and a busy HTTP client for the end-to-end scripts (built by
 * them with cc; plain C and pthreads): raw bytes on one connection, many
 * keep-alive connections posting JSON, and slowloris connections.
 *
 *   httpc raw PORT [WAIT_MS]
 *       sends stdin as is, prints what comes back, then "<closed>" if the
 *       server closed the connection or "<open>" if it was still open
 *       after WAIT_MS (default 3000) of silence.
 *   httpc load PORT CONNS REPEAT PATH FILE [PID AFTER]
 *       FILE has lines "ID TOKEN BODY"; CONNS keep-alive connections POST
 *       each BODY to PATH with its token, the whole file REPEAT times or
 *       until the server is gone, and print "ID.PASS STATUS" for every
 *       request sent (STATUS 0: no answer: reset or closed before the
 *       status line). "@@" in a BODY stands for ID.PASS.
 *       With PID, sends it SIGTERM once AFTER answers have come back and
 *       prints "# sigterm NANOSECONDS" (CLOCK_REALTIME) to stderr.
 *   httpc slowloris PORT N SRCADDR SECONDS
 *       N connections from SRCADDR each send a request head one byte a
 *       second, reconnecting when the server closes one; then prints
 *       "connects C closed K refused503 R" (K: closed or answered by the
 *       server; R of them answered 503).
 *   httpc polls PORT TOKEN CONNS
 *       CONNS keep-alive connections poll GET /v1/device/update with
 *       TOKEN, each every 10 ms, until SIGINT; then prints "polls N
 *       p50 A p99 B max C" (milliseconds) and the count of failures.
 *   httpc notify SOCKET FILE
 *       a systemd notify socket: appends each message sd_notify sends to
 *       SOCKET to FILE, one line per variable, until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int port;

static int
dial(const char *src)
{
	struct sockaddr_in a = { 0 }, s = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (src != NULL) {
		s.sin_family = AF_INET;
		inet_pton(AF_INET, src, &s.sin_addr);
		if (bind(fd, (struct sockaddr *)&s, sizeof(s)) != 0) {
			close(fd);
			return -1;
		}
	}
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ---- raw ---- */

static int
cmd_raw(int wait_ms)
{
	static char req[1 << 20];
	char buf[65536];
	size_t n = fread(req, 1, sizeof(req), stdin);
	int fd = dial(NULL);
	struct pollfd p;

	if (fd < 0) {
		perror("connect");
		return 1;
	}
	if (send_all(fd, req, n) != 0) {
		/* The server may answer and close before taking it all. */
		fprintf(stderr, "httpc: send: %s\n", strerror(errno));
	}
	p.fd = fd;
	p.events = POLLIN;
	for (;;) {
		ssize_t r;

		if (poll(&p, 1, wait_ms) == 0) {
			fputs("\n<open>\n", stdout);
			break;
		}
		r = recv(fd, buf, sizeof(buf), 0);
		if (r <= 0) {
			fputs(r == 0 ? "\n<closed>\n" : "\n<reset>\n", stdout);
			break;
		}
		fwrite(buf, 1, (size_t)r, stdout);
	}
	close(fd);
	return 0;
}

/* ---- load ---- */

struct item {
	char *id, *token, *body;
};

static struct item *items;
static size_t nitems, repeat;
static int *statuses;		/* per request: item + pass * nitems */
static atomic_size_t next_req;
static atomic_int gone;
static const char *load_path;
static atomic_long answered;
static long kill_after;
static pid_t kill_pid;

static void
maybe_kill(void)
{
	struct timespec ts;

	if (kill_pid <= 0 || atomic_fetch_add(&answered, 1) + 1 != kill_after)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	kill(kill_pid, SIGTERM);
	fprintf(stderr, "# sigterm %lld%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
}

/* Reads one response; its status, 0 on a lost connection. Sets *close_after. */
static int
read_response(int fd, int *close_after)
{
	char buf[16384];
	size_t len = 0;
	char *end, *p;
	long clen = 0;
	int status;

	for (;;) {
		ssize_t r = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);

		if (r <= 0)
			return 0;
		len += (size_t)r;
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		if (len == sizeof(buf) - 1)
			return 0;
	}
	if (strncmp(buf, "HTTP/1.1 ", 9) != 0)
		return 0;
	status = (int)strtol(buf + 9, NULL, 10);
	*close_after = strcasestr(buf, "\r\nConnection: close") != NULL;
	if ((p = strcasestr(buf, "\r\nContent-Length:")) != NULL && p < end)
		clen = strtol(p + 17, NULL, 10);
	clen -= (long)(len - (size_t)(end + 4 - buf));
	while (clen > 0) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);

		if (r <= 0)
			return status;	/* the status line was read */
		clen -= r;
	}
	return status;
}

/* The item's body with "@@" replaced by ID.PASS; 0/-1. */
static int
make_body(char *out, size_t size, const struct item *it, size_t pass)
{
	const char *at = strstr(it->body, "@@");
	int n;

	if (at == NULL)
		n = snprintf(out, size, "%s", it->body);
	else
		n = snprintf(out, size, "%.*s%s.%zu%s", (int)(at - it->body),
		    it->body, it->id, pass, at + 2);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static void *
load_worker(void *arg)
{
	char req[8192];
	int fd = -1;

	(void)arg;
	for (;;) {
		size_t i = atomic_fetch_add(&next_req, 1);
		struct item *it;
		char body[4096];
		int n, close_after = 0;

		if (i >= nitems * repeat || atomic_load(&gone))
			break;
		it = &items[i % nitems];
		if (make_body(body, sizeof(body), it, i / nitems) != 0)
			continue;
		n = snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: otad\r\n"
		    "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n%s", load_path, it->token,
		    strlen(body), body);
		if (n < 0 || (size_t)n >= sizeof(req))
			continue;
		if (fd < 0 && (fd = dial(NULL)) < 0) {
			atomic_store(&gone, 1);	/* not sent: not printed */
			statuses[i] = -1;
			break;
		}
		statuses[i] = 0;
		if (send_all(fd, req, (size_t)n) == 0)
			statuses[i] = read_response(fd, &close_after);
		if (statuses[i] != 0)
			maybe_kill();
		if (statuses[i] == 0 || close_after) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int
read_items(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	size_t cap = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *id = line, *tok = strchr(line, ' '), *body;

		if (tok == NULL || (body = strchr(tok + 1, ' ')) == NULL)
			continue;
		*tok++ = '\0';
		*body++ = '\0';
		body[strcspn(body, "\n")] = '\0';
		if (nitems == cap) {
			cap = cap ? cap * 2 : 1024;
			items = realloc(items, cap * sizeof(*items));
			if (items == NULL)
				return -1;
		}
		items[nitems++] = (struct item){ strdup(id), strdup(tok),
		    strdup(body) };
	}
	fclose(f);
	return 0;
}

static int
cmd_load(int conns, const char *path, const char *file)
{
	pthread_t *t = calloc((size_t)conns, sizeof(*t));
	pthread_attr_t attr;

	load_path = path;
	if (t == NULL || read_items(file) != 0 ||
	    (statuses = calloc(nitems * repeat + 1, sizeof(int))) == NULL) {
		perror(file);
		return 1;
	}
	for (size_t i = 0; i < nitems * repeat; i++)
		statuses[i] = -1;	/* not sent */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	for (int i = 0; i < conns; i++)
		if (pthread_create(&t[i], &attr, load_worker, NULL) != 0)
			return 1;
	for (int i = 0; i < conns; i++)
		pthread_join(t[i], NULL);
	for (size_t i = 0; i < nitems * repeat; i++)
		if (statuses[i] >= 0)
			printf("%s.%zu %d\n", items[i % nitems].id, i / nitems,
			    statuses[i]);
	return 0;
}

/* ---- slowloris ---- */

static const char *loris_src;
static time_t loris_end;
static atomic_long connects, closed, refused;

static void *
loris_worker(void *arg)
{
	static const char head[] = "GET /healthz HTTP/1.1\r\nHost: otad\r\n"
	    "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
	    "X-Slower: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n";
	(void)arg;
	while (time(NULL) < loris_end) {
		int fd = dial(loris_src);
		size_t sent = 0;

		if (fd < 0) {
			usleep(100 * 1000);
			continue;
		}
		atomic_fetch_add(&connects, 1);
		while (time(NULL) < loris_end) {
			struct pollfd p = { fd, POLLIN, 0 };
			char buf[512];
			ssize_t r;

			/* Never the blank line that ends the head. */
			if (send(fd, head + sent % (sizeof(head) - 1), 1,
			    MSG_NOSIGNAL) != 1) {
				atomic_fetch_add(&closed, 1);
				break;
			}
			sent++;
			if (poll(&p, 1, 1000) == 0)
				continue;
			r = recv(fd, buf, sizeof(buf) - 1, 0);
			if (r > 0) {
				buf[r] = '\0';
				if (strncmp(buf, "HTTP/1.1 503", 12) == 0)
					atomic_fetch_add(&refused, 1);
			}
			atomic_fetch_add(&closed, 1);
			break;
		}
		close(fd);
		/* A pause, so the test machine is not all reconnects. */
		usleep(300 * 1000);
	}
	return NULL;
}

static int
cmd_slowloris(int n, const char *src, int secs)
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	pthread_attr_t attr;

	if (t == NULL)
		return 1;
	loris_src = src;
	loris_end = time(NULL) + secs;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], &attr, loris_worker, NULL) != 0)
			return 1;
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("connects %ld closed %ld refused503 %ld\n", atomic_load(&connects),
	    atomic_load(&closed), atomic_load(&refused));
	return 0;
}

/* ---- polls ---- */

#define LAT_MAX (1 << 22)

static const char *polls_token;
static atomic_int polls_stop;
static atomic_long polls_failed;
static int64_t *lat;
static atomic_long nlat;

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *
poll_worker(void *arg)
{
	char req[1024];
	int fd = -1;
	long n = 0, id = (long)(intptr_t)arg;

	while (!atomic_load(&polls_stop)) {
		int len, close_after = 0, status;
		int64_t t0;

		len = snprintf(req, sizeof(req), "GET /v1/device/update?fw_version="
		    "1.0.0&nonce=bench-%ld-%ld HTTP/1.1\r\nHost: otad\r\n"
		    "Authorization: Bearer %s\r\n\r\n", id, n++, polls_token);
		if (fd < 0 && (fd = dial(NULL)) < 0) {
			atomic_fetch_add(&polls_failed, 1);
			usleep(100 * 1000);
			continue;
		}
		t0 = mono_us();
		status = send_all(fd, req, (size_t)len) == 0 ?
		    read_response(fd, &close_after) : 0;
		if (status != 204 && status != 200)
			atomic_fetch_add(&polls_failed, 1);
		else if (atomic_load(&nlat) < LAT_MAX)
			lat[atomic_fetch_add(&nlat, 1) % LAT_MAX] = mono_us() - t0;
		if (status == 0 || close_after) {
			close(fd);
			fd = -1;
		}
		usleep(10 * 1000);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void
on_int(int sig)
{
	(void)sig;
	atomic_store(&polls_stop, 1);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmd_polls(const char *token, int conns)
{
	pthread_t *t = calloc((size_t)conns, sizeof(*t));
	long n;

	polls_token = token;
	lat = calloc(LAT_MAX, sizeof(*lat));
	if (t == NULL || lat == NULL)
		return 1;
	signal(SIGINT, on_int);
	for (long i = 0; i < conns; i++)
		if (pthread_create(&t[i], NULL, poll_worker, (void *)(intptr_t)i))
			return 1;
	for (int i = 0; i < conns; i++)
		pthread_join(t[i], NULL);
	n = atomic_load(&nlat);
	if (n > LAT_MAX)
		n = LAT_MAX;
	qsort(lat, (size_t)n, sizeof(*lat), cmp_i64);
	printf("polls %ld p50 %.1f p99 %.1f max %.1f failed %ld\n", n,
	    n ? lat[n / 2] / 1000.0 : 0, n ? lat[n * 99 / 100] / 1000.0 : 0,
	    n ? lat[n - 1] / 1000.0 : 0, atomic_load(&polls_failed));
	return 0;
}

/* ---- notify ---- */

static int
cmd_notify(const char *path, const char *file)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	char buf[4096];

	if (fd < 0 || strlen(path) >= sizeof(a.sun_path))
		return 1;
	memcpy(a.sun_path, path, strlen(path) + 1);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror(path);
		return 1;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		FILE *f;

		if (n <= 0)
			continue;
		buf[n] = '\0';
		if ((f = fopen(file, "a")) == NULL)
			return 1;
		fprintf(f, "%s\n", buf);
		fclose(f);
	}
}

static int
num(const char *s)
{
	return (int)strtol(s, NULL, 10);
}

int
main(int argc, char **argv)
{
	if (argc < 3) {
		fputs("usage: httpc raw|load|slowloris PORT ...\n", stderr);
		return 2;
	}
	port = strcmp(argv[1], "notify") == 0 ? 0 : num(argv[2]);
	if (strcmp(argv[1], "raw") == 0)
		return cmd_raw(argc > 3 ? num(argv[3]) : 3000);
	if (strcmp(argv[1], "load") == 0 && (argc == 7 || argc == 9)) {
		if (argc == 9) {
			kill_pid = (pid_t)num(argv[7]);
			kill_after = num(argv[8]);
		}
		repeat = (size_t)num(argv[4]);
		return cmd_load(num(argv[3]), argv[5], argv[6]);
	}
	if (strcmp(argv[1], "polls") == 0 && argc == 5)
		return cmd_polls(argv[3], num(argv[4]));
	if (strcmp(argv[1], "notify") == 0 && argc == 4)
		return cmd_notify(argv[2], argv[3]);
	if (strcmp(argv[1], "slowloris") == 0 && argc == 6)
		return cmd_slowloris(num(argv[3]), argv[4], num(argv[5]));
	fputs("httpc: bad arguments\n", stderr);
	return 2;
}
