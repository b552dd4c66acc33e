/* The HTTP layer: the only file that includes <microhttpd.h>. Runs
 * libmicrohttpd in epoll mode with an internal thread pool, receives
 * bodies (buffered with a cap, or streamed), queues replies, suspends
 * requests that wait on the writer, and logs one line per request. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "server/http.h"
#include "util/log.h"
#include "util/util.h"

/* After a mid-body reply, the rest of the body is read and dropped up to
 * this much; past it the connection is closed instead. */
#define DISCARD_MAX (16 * 1024 * 1024)
#define HEADERS_MAX 12

enum body_mode { BODY_NONE, BODY_BUFFER, BODY_STREAM };

struct http_req {
	struct MHD_Connection *conn;
	struct http_server *srv;
	enum http_method method;
	const char *method_name;
	const char *path;
	int64_t t0;
	void *data;

	enum body_mode mode;
	uint64_t cap, received, discarded;
	uint8_t *buf;
	size_t buflen, bufsize;
	http_chunk_fn chunk;
	void *chunk_ctx;

	struct MHD_Response *resp;	/* prepared, not yet queued */
	int status, queued;
	char *hdr[HEADERS_MAX][2];
	int nhdr;

	void (*then)(struct http_req *r);
	atomic_int resumed;
	int suspended;
};

struct http_server {
	struct MHD_Daemon *d;
	struct http_app app;
	int log_requests;
	atomic_uint in_flight;
};

/* ---- accessors ---- */

enum http_method
http_method(const struct http_req *r)
{
	return r->method;
}

const char *
http_method_name(const struct http_req *r)
{
	return r->method_name;
}

const char *
http_path(const struct http_req *r)
{
	return r->path;
}

const char *
http_query(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
http_header(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int64_t
http_content_length(struct http_req *r)
{
	const char *v = http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	int64_t n;

	if (v == NULL || util_parse_int(v, 0, INT64_MAX, &n) != 0)
		return -1;
	return n;
}

void
http_set_data(struct http_req *r, void *data)
{
	r->data = data;
}

void *
http_data(const struct http_req *r)
{
	return r->data;
}

void
http_expect_body(struct http_req *r, uint64_t cap)
{
	r->mode = BODY_BUFFER;
	r->cap = cap;
}

void
http_expect_stream(struct http_req *r, uint64_t cap, http_chunk_fn fn,
    void *ctx)
{
	r->mode = BODY_STREAM;
	r->cap = cap;
	r->chunk = fn;
	r->chunk_ctx = ctx;
}

const uint8_t *
http_body(const struct http_req *r, size_t *len)
{
	*len = r->buflen;
	return r->buf;
}

int
http_replied(const struct http_req *r)
{
	return r->resp != NULL || r->queued;
}

int
http_status(const struct http_req *r)
{
	return r->status;
}

/* ---- replies ---- */

int
http_add_header(struct http_req *r, const char *name, const char *value)
{
	char *n, *v;

	if (r->nhdr >= HEADERS_MAX)
		return -1;
	n = strdup(name);
	v = strdup(value);
	if (n == NULL || v == NULL) {
		free(n);
		free(v);
		return -1;
	}
	r->hdr[r->nhdr][0] = n;
	r->hdr[r->nhdr][1] = v;
	r->nhdr++;
	return 0;
}

static void
set_response(struct http_req *r, int status, struct MHD_Response *resp,
    const char *content_type)
{
	if (resp == NULL) {
		log_err("%s %s: cannot build a response", r->method_name, r->path);
		/* The static text needs no allocation. */
		static const char oom[] = "{\"error\":{\"code\":\"internal\","
		    "\"message\":\"out of memory\"}}";
		resp = MHD_create_response_from_buffer(sizeof(oom) - 1,
		    (void *)oom, MHD_RESPMEM_PERSISTENT);
		status = 500;
		content_type = "application/json";
		if (resp == NULL)
			return;
	}
	if (r->resp != NULL) {
		log_err("%s %s: replied twice", r->method_name, r->path);
		MHD_destroy_response(resp);
		return;
	}
	if (content_type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    content_type);
	for (int i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr[i][0], r->hdr[i][1]);
	r->resp = resp;
	r->status = status;
}

void
http_reply(struct http_req *r, int status, const char *content_type,
    const void *body, size_t len)
{
	set_response(r, status, MHD_create_response_from_buffer(len,
	    (void *)body, MHD_RESPMEM_MUST_COPY), content_type);
}

void
http_reply_take(struct http_req *r, int status, const char *content_type,
    void *body, size_t len)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		free(body);
	set_response(r, status, resp, content_type);
}

void
http_reply_fd(struct http_req *r, int status, int fd, uint64_t offset,
    uint64_t len, const char *content_type)
{
	struct MHD_Response *resp;

	if (len == 0) {
		close(fd);
		http_reply(r, status, content_type, "", 0);
		return;
	}
	/* MHD sends it with sendfile() and closes fd when done. */
	resp = MHD_create_response_from_fd_at_offset64(len, fd, offset);
	if (resp == NULL)
		close(fd);
	set_response(r, status, resp, content_type);
}

void
http_reply_error(struct http_req *r, int status, const char *code,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	json_t *doc;
	char *text;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	doc = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (text == NULL) {
		set_response(r, 500, NULL, NULL);
		return;
	}
	http_reply_take(r, status, "application/json", text, strlen(text));
}

void
http_suspend(struct http_req *r, void (*then)(struct http_req *r))
{
	r->then = then;
	r->suspended = 1;
	atomic_store(&r->resumed, 0);
	MHD_suspend_connection(r->conn);
}

void
http_resume(struct http_req *r)
{
	atomic_store(&r->resumed, 1);
	MHD_resume_connection(r->conn);
}

/* ---- the request cycle ---- */

static enum http_method
parse_method(const char *m)
{
	static const struct { const char *name; enum http_method m; } tab[] = {
		{ "GET", HTTP_GET }, { "HEAD", HTTP_HEAD }, { "POST", HTTP_POST },
		{ "PUT", HTTP_PUT }, { "DELETE", HTTP_DELETE },
	};

	for (size_t i = 0; i < ARRAY_LEN(tab); i++)
		if (strcmp(m, tab[i].name) == 0)
			return tab[i].m;
	return HTTP_OTHER;
}

static enum MHD_Result
queue(struct http_req *r)
{
	enum MHD_Result rc;

	if (r->resp == NULL)
		http_reply_error(r, 500, "internal", "the handler gave no reply");
	if (r->resp == NULL)
		return MHD_NO;
	rc = MHD_queue_response(r->conn, (unsigned)r->status, r->resp);
	MHD_destroy_response(r->resp);
	r->resp = NULL;
	r->queued = 1;
	return rc;
}

static void
body_chunk(struct http_req *r, const char *p, size_t n)
{
	if (r->mode == BODY_NONE)
		r->cap = 64 * 1024;
	if (r->received + n > r->cap) {
		http_reply_error(r, 413, "body_too_large",
		    "the request body is larger than %llu bytes",
		    (unsigned long long)r->cap);
		return;
	}
	r->received += n;
	if (r->mode == BODY_STREAM) {
		if (r->chunk(r, (const uint8_t *)p, n, r->chunk_ctx) != 0 &&
		    r->resp == NULL)
			http_reply_error(r, 500, "internal", "upload failed");
		return;
	}
	if (r->mode == BODY_NONE)
		return;
	if (r->buflen + n + 1 > r->bufsize) {
		size_t want = r->bufsize ? r->bufsize : 4096;
		uint8_t *nb;
		while (want < r->buflen + n + 1)
			want *= 2;
		nb = realloc(r->buf, want);
		if (nb == NULL) {
			http_reply_error(r, 503, "out_of_memory",
			    "cannot hold the request body");
			return;
		}
		r->buf = nb;
		r->bufsize = want;
	}
	memcpy(r->buf + r->buflen, p, n);
	r->buflen += n;
	r->buf[r->buflen] = '\0';
}

static enum MHD_Result
on_first_call(struct http_server *s, struct MHD_Connection *conn,
    const char *url, const char *method, void **con_cls)
{
	struct http_req *r = calloc(1, sizeof(*r));
	int64_t cl;

	if (r == NULL)
		return MHD_NO;
	r->conn = conn;
	r->srv = s;
	r->method = parse_method(method);
	r->method_name = method;
	r->path = url;
	r->t0 = util_mono_us();
	*con_cls = r;
	atomic_fetch_add(&s->in_flight, 1);
	s->app.begin(r, s->app.app);
	if (r->resp != NULL)
		return queue(r);
	cl = http_content_length(r);
	if (r->mode != BODY_NONE && cl > 0 && (uint64_t)cl > r->cap) {
		/* Refused before a byte of the body is read. */
		http_reply_error(r, 413, "body_too_large", "the request body "
		    "(%lld bytes) is larger than %llu bytes", (long long)cl,
		    (unsigned long long)r->cap);
		return queue(r);
	}
	return MHD_YES;
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct http_req *r = *con_cls;

	(void)version;
	if (r == NULL)
		return on_first_call(s, conn, url, method, con_cls);
	if (r->suspended) {
		if (!atomic_load(&r->resumed))
			return MHD_YES;
		r->suspended = 0;
		r->then(r);
		return queue(r);
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (r->resp != NULL) {
			r->discarded += n;
			return r->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
		}
		body_chunk(r, upload_data, n);
		return MHD_YES;
	}
	if (r->resp != NULL || r->queued)
		return r->queued ? MHD_YES : queue(r);
	s->app.handle(r, s->app.app);
	if (r->suspended)
		return MHD_YES;
	return queue(r);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct http_req *r = *con_cls;
	int ok = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;

	(void)conn;
	if (r == NULL)
		return;
	if (s->log_requests)
		log_info("%s %s %d %lldus%s", r->method_name, r->path,
		    r->status, (long long)(util_mono_us() - r->t0),
		    ok ? "" : " (connection lost)");
	s->app.done(r, s->app.app, ok);
	if (r->resp != NULL)
		MHD_destroy_response(r->resp);
	for (int i = 0; i < r->nhdr; i++) {
		free(r->hdr[i][0]);
		free(r->hdr[i][1]);
	}
	free(r->buf);
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&s->in_flight, 1);
}

__attribute__((format(printf, 2, 0)))
static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_warn("http: %s", msg);
}

struct http_server *
http_start(const struct http_opts *o, const struct http_app *app, char *err,
    size_t errlen)
{
	struct http_server *s = calloc(1, sizeof(*s));
	struct sockaddr_in v4 = { 0 };
	struct sockaddr_in6 v6 = { 0 };
	struct sockaddr *sa;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_TURBO;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->app = *app;
	s->log_requests = o->log_requests;
	if (inet_pton(AF_INET, o->addr, &v4.sin_addr) == 1) {
		v4.sin_family = AF_INET;
		v4.sin_port = htons((uint16_t)o->port);
		sa = (struct sockaddr *)&v4;
	} else if (inet_pton(AF_INET6, o->addr, &v6.sin6_addr) == 1) {
		v6.sin6_family = AF_INET6;
		v6.sin6_port = htons((uint16_t)o->port);
		sa = (struct sockaddr *)&v6;
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(err, errlen, "listen: bad address %s", o->addr);
		free(s);
		return NULL;
	}
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_access, s,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
	    MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_connections,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->connection_memory,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->connection_timeout,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096u,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_END);
	if (s->d == NULL) {
		snprintf(err, errlen, "cannot listen on %s port %d: %s", o->addr,
		    o->port, errno ? strerror(errno) : "libmicrohttpd refused");
		free(s);
		return NULL;
	}
	return s;
}

int
http_port(struct http_server *s)
{
	const union MHD_DaemonInfo *i;

	i = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	return i ? (int)i->port : -1;
}

void
http_quiesce(struct http_server *s)
{
	MHD_socket fd = MHD_quiesce_daemon(s->d);

	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

unsigned
http_in_flight(struct http_server *s)
{
	return atomic_load(&s->in_flight);
}

unsigned
http_in_flight_of(const struct http_req *r)
{
	return atomic_load(&r->srv->in_flight);
}

void
http_stop(struct http_server *s)
{
	if (s == NULL)
		return;
	MHD_stop_daemon(s->d);
	free(s);
}
