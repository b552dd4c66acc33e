/* Fuzzes whole requests against the real HTTP layer and router: request
 * lines with their query strings, heads (Authorization, If-None-Match,
 * If-Range, Range, framing headers) and bodies, sent on a loopback socket
 * to an otad server started once with a temporary data dir. "@A", "@D"
 * and "@S" in the input stand for an admin token, a device token and a
 * stored artifact's sha256. Every answer must be well formed and alone
 * in its place (no reply inside another; a reset may cut the last one
 * short), a JSON answer must parse, an error must be {"error":{"code",
 * "message"}}, and nothing may be a 500. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "db/db.h"
#include "db/tokens.h"
#include "fuzz.h"
#include "api/api.h"
#include "api/auth.h"
#include "core/campaigns.h"
#include "core/fileio.h"
#include "core/offers.h"
#include "core/seen.h"
#include "core/trust.h"
#include "util/log.h"
#include "util/util.h"

#define REQ_MAX (1 << 20)

static struct srv srv;
static int port;
static char admin[AUTH_TOKEN_MAX], device[AUTH_TOKEN_MAX], sha[65];
static int was_reset;	/* the last exchange ended in a reset */
static int stalled;	/* ... or in a silence of the server's */

/* Sends req on a new connection, then a last request that closes it,
 * and reads everything the server says until it closes. (Not a
 * half-close: libmicrohttpd 0.9.75 may leave a request that came with the
 * client's FIN unread until some later event, here the head deadline.)
 * The length read; a reset ends the reading too. */
static size_t
exchange(const char *req, size_t len, char *out, size_t cap)
{
	static char sendbuf[REQ_MAX + 128];
	static const char last[] = "GET /healthz HTTP/1.1\r\nHost: otad\r\n"
	    "Connection: close\r\n\r\n";
	struct sockaddr_in a = { .sin_family = AF_INET }, b = a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	static uint32_t next;
	size_t n = 0;

	FZ_ASSERT(fd >= 0);
	/* From ever other loopback addresses: the server's TIME_WAITs would
	 * soon use up one address's ports. */
	b.sin_addr.s_addr = htonl(0x7f010000u + (next++ % 0xfffe) + 1);
	FZ_ASSERT(bind(fd, (struct sockaddr *)&b, sizeof(b)) == 0);
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* libFuzzer's timer signal interrupts calls: a connect then goes on
	 * in the background, and the rest is retried. */
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		struct pollfd w = { fd, POLLOUT, 0 };
		int e = 0;
		socklen_t el = sizeof(e);

		FZ_ASSERT(errno == EINTR);
		while (poll(&w, 1, 5000) < 0 && errno == EINTR)
			;
		FZ_ASSERT(getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 &&
		    e == 0);
	}
	stalled = was_reset = 0;
	/* One send: libmicrohttpd can stall on a malformed head that comes
	 * in pieces (until a timeout), which would only slow the run. */
	memcpy(sendbuf, req, len);
	memcpy(sendbuf + len, last, sizeof(last) - 1);
	len += sizeof(last) - 1;
	for (size_t sent = 0; sent < len;) {
		ssize_t w = send(fd, sendbuf + sent, len - sent, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;	/* answered and closed before taking it all */
		sent += (size_t)w;
	}
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		/* The server answers or closes within its own deadlines; once
		 * in a long while the library sits on a connection for some
		 * seconds (not our doing, nor a wedged server: alive() checks). */
		int pr = poll(&p, 1, 3000);

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr != 1) {
			stalled = 1;
			break;
		}
		r = recv(fd, out + n, cap - n - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		was_reset = r < 0;
		if (r <= 0)
			break;
		n += (size_t)r;
		FZ_ASSERT(n < cap - 1);
	}
	close(fd);
	out[n] = '\0';
	return n;
}

static void
setup_server(void)
{
	static char dir[256];
	char path[512], err[512];
	uint8_t hash[32];
	struct http_app app = api_app_template;
	struct http_opts o;
	struct db_token_add add;
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	FZ_ASSERT(sign_init() == 0);
	log_set_level(LOG_LVL_ERROR);
	snprintf(dir, sizeof(dir), "%s/otad-fuzz-http.XXXXXX", base);
	FZ_ASSERT(mkdtemp(dir) != NULL);
	cfg_defaults(&srv.cfg);
	snprintf(srv.cfg.data_dir, sizeof(srv.cfg.data_dir), "%s", dir);
	srv.cfg.log_requests = 0;
	srv.cfg.threads = 2;
	srv.cfg.max_json_body = 64 * 1024;
	srv.cfg.max_bulk_body = 256 * 1024;
	srv.cfg.max_artifact_size = 1024 * 1024;
	snprintf(srv.artifacts_dir, sizeof(srv.artifacts_dir), "%s/artifacts", dir);
	snprintf(srv.tmp_dir, sizeof(srv.tmp_dir), "%s/tmp", dir);
	FZ_ASSERT(util_mkdir(srv.artifacts_dir, 0700) == 0 &&
	    util_mkdir(srv.tmp_dir, 0700) == 0);
	snprintf(path, sizeof(path), "%s/otad.db", dir);
	srv.core.db = db_open(path, 8, err, sizeof(err));
	FZ_ASSERT(srv.core.db != NULL);
	FZ_ASSERT(auth_token_new("adm_", admin, sizeof(admin), hash) == 0);
	add = (struct db_token_add){ "admin", "admin", hash, util_now(), 0 };
	FZ_ASSERT(db_write(srv.core.db, db_token_add, &add) == DB_OK);
	cfg_core(&srv.cfg, &srv.core.pol);
	srv.core.trust = trust_open(&(struct trust_paths){ srv.cfg.data_dir,
	    srv.cfg.online_key_passphrase_file }, srv.core.db, err, sizeof(err));
	FZ_ASSERT(srv.core.trust != NULL);
	srv.core.seen = seen_new();
	srv.core.token_use = seen_new_for(db_token_used);
	srv.core.offers = offers_new(srv.core.db, 10);
	srv.core.campaigns = campaigns_new(srv.core.db, 0, 5);
	srv.core.fio = fio_new();
	FZ_ASSERT(srv.core.seen && srv.core.token_use && srv.core.offers &&
	    srv.core.campaigns && srv.core.fio);
	o = (struct http_opts){ .addr = "127.0.0.1", .threads = 2,
	    .max_connections = 256, .connection_memory = 16 * 1024,
	    .connection_timeout = 1, .header_timeout = 1,
	    .min_body_rate = 0, .body_rate_window = 10 };
	app.app = &srv;
	srv.http = http_start(&o, &app, err, sizeof(err));
	FZ_ASSERT(srv.http != NULL);
	port = http_port(srv.http);
}

/* One call of the setup's own, through the server; its body. */
static json_t *
call(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *
call(const char *fmt, ...)
{
	static char req[8192], out[65536];
	va_list ap;
	size_t n;
	char *body;
	json_t *doc;

	va_start(ap, fmt);
	vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	n = exchange(req, strlen(req), out, sizeof(out));
	body = strstr(out, "\r\n\r\n");
	FZ_ASSERT(n > 0 && body != NULL);
	doc = json_loads(body + 4, JSON_DISABLE_EOF_CHECK, NULL);
	FZ_ASSERT(doc != NULL);
	return doc;
}

static void
setup_world(void)
{
	static const char dev[] = "{\"device_id\":\"fz-1\",\"hw_class\":\"hw-a\","
	    "\"fw_version\":\"1.0.0\"}";
	json_t *d;

	d = call("POST /v1/devices HTTP/1.1\r\nHost: otad\r\nAuthorization: "
	    "Bearer %s\r\nContent-Length: %zu\r\n\r\n%s", admin, strlen(dev), dev);
	snprintf(device, sizeof(device), "%s",
	    json_string_value(json_object_get(d, "token")));
	json_decref(d);
	d = call("POST /v1/artifacts HTTP/1.1\r\nHost: otad\r\nAuthorization: "
	    "Bearer %s\r\nContent-Length: 10\r\n\r\n0123456789", admin);
	snprintf(sha, sizeof(sha), "%s",
	    json_string_value(json_object_get(d, "sha256")));
	json_decref(d);
	FZ_ASSERT(strncmp(device, "dev_", 4) == 0 && strlen(sha) == 64);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setup_server();
	setup_world();
	return 0;
}

/* The input with @A, @D and @S replaced; its length in *len. */
static char *
expand(const uint8_t *data, size_t size, size_t *len)
{
	char *out = malloc(size * 70 + 1);
	size_t o = 0;

	FZ_ASSERT(out != NULL);
	for (size_t i = 0; i < size; i++) {
		const char *sub = NULL;

		if (data[i] == '@' && i + 1 < size)
			sub = data[i + 1] == 'A' ? admin : data[i + 1] == 'D' ?
			    device : data[i + 1] == 'S' ? sha : NULL;
		if (sub != NULL) {
			memcpy(out + o, sub, strlen(sub));
			o += strlen(sub);
			i++;
			continue;
		}
		out[o++] = (char)data[i];
	}
	out[o] = '\0';
	*len = o;
	return out;
}

/* Content-Length of a reply head, or -1. */
static long
reply_length(const char *head, const char *end)
{
	for (const char *p = head; p < end; p++) {
		if (strncasecmp(p, "\r\nContent-Length:", 17) != 0)
			continue;
		return strtol(p + 17, NULL, 10);
	}
	return -1;
}

/* Checks one reply at p; returns where the next one would start. */
static const char *
check_reply(const char *p, const char *end, int head_request)
{
	const char *hend = strstr(p, "\r\n\r\n"), *body;
	long status, clen;
	json_t *doc;

	/* What a reset cut short cannot be judged. */
	if (was_reset && (hend == NULL || (size_t)(end - p) < 13))
		return end;
	FZ_ASSERT(strncmp(p, "HTTP/1.1 ", 9) == 0);
	status = strtol(p + 9, NULL, 10);
	FZ_ASSERT(status >= 100 && status <= 599 && p[12] == ' ');
	FZ_ASSERT(status != 500);
	FZ_ASSERT(hend != NULL && hend < end);
	body = hend + 4;
	clen = reply_length(p, hend);
	if (head_request || status == 204 || status == 304 || status < 200)
		clen = 0;
	if (was_reset && clen > end - body)
		return end;
	FZ_ASSERT(clen >= 0 && clen <= end - body);
	if (memmem(p, (size_t)(hend - p), "Content-Type: application/json",
	    30) != NULL && clen > 0) {
		doc = json_loadb(body, (size_t)clen, JSON_REJECT_DUPLICATES, NULL);
		FZ_ASSERT(doc != NULL);
		if (status >= 400) {
			json_t *e = json_object_get(doc, "error");
			FZ_ASSERT(json_is_string(json_object_get(e, "code")));
			FZ_ASSERT(json_is_string(json_object_get(e, "message")));
		}
		json_decref(doc);
	}
	return body + clen;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[4 << 20];
	size_t len, n;
	char *req;
	const char *p, *end;

	if (size > REQ_MAX / 70)
		return 0;
	req = expand(data, size, &len);
	n = exchange(req, len, out, sizeof(out));
	if (stalled) {
		/* The server must still serve: a wedged one fails here. */
		int ok = 0;
		for (int i = 0; i < 3 && !ok; i++)
			ok = exchange("", 0, out, sizeof(out)) > 0 && !stalled &&
			    strncmp(out, "HTTP/1.1 200 ", 13) == 0;
		FZ_ASSERT(ok);
		free(req);
		return 0;
	}
	end = out + n;
	/* Each reply starts where the one before ended: none inside another.
	 * Where a HEAD may be among them, only the first reply can be read
	 * (a HEAD's reply announces a body it does not carry); after the
	 * first one's, the library's own bad-Content-Length answer (to a
	 * method it does not tell) may carry a body before the close. */
	for (p = out; p < end;) {
		int head = strncmp(req, "HEAD ", 5) == 0 && p == out;

		p = check_reply(p, end, head);
		if (memmem(req, len, "HEAD", 4) != NULL)
			break;
	}
	free(req);
	return 0;
}
