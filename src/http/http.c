/* The HTTP layer: the only file that includes <microhttpd.h>. Runs
 * libmicrohttpd in epoll mode with an internal thread pool, refuses
 * ambiguous or malformed request heads, receives bodies (buffered with a
 * cap, or streamed with back-pressure), queues replies, suspends requests
 * that wait on another thread, and logs one line per request. Caps and
 * deadlines per connection live in conns.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "http/conns.h"
#include "http/http.h"
#include "util/log.h"
#include "util/util.h"

/* After a mid-body reply, the rest of the body is read and dropped up to
 * this much, keeping the connection; past it the reply is written to the
 * socket at once and the connection closed. */
#define DISCARD_MAX (16 * 1024 * 1024)
#define HEADERS_MAX 12
/* Seconds a client is asked to wait after a 503 while stopping. */
#define STOPPING_RETRY 5

enum body_mode { BODY_NONE, BODY_BUFFER, BODY_STREAM };

/* A reply not yet handed to the library: a buffer, or a file. */
struct reply {
	int set, status;
	const char *ctype;	/* static text */
	uint8_t *body;		/* malloc'd, unless body_static */
	size_t len;
	int body_static;
	int fd;			/* >= 0: a file reply */
	uint64_t off, flen;
};

struct http_req {
	struct MHD_Connection *conn;
	struct http_server *srv;
	struct conn *c;		/* the connection's caps and deadlines */
	enum http_method method;
	const char *method_name;
	const char *path;
	int64_t t0;
	void *data;

	enum body_mode mode;
	uint64_t cap, received, discarded;
	int64_t clen;		/* Content-Length, or -1 (chunked or none) */
	uint8_t *buf;
	size_t buflen, bufsize;
	http_chunk_fn chunk;
	void *chunk_ctx;

	struct reply rep;
	int queued, raw;	/* handed to the library / written raw */
	char *hdr[HEADERS_MAX][2];
	int nhdr;

	void (*then)(struct http_req *r);
	atomic_int resumed;
	int suspended;
	char note[HTTP_NOTE_MAX];	/* the app's words for the log line */
};

struct http_server {
	struct MHD_Daemon *d;
	struct conns *conns;
	struct http_app app;
	atomic_int log_requests;	/* SIGHUP may change it */
	atomic_uint in_flight;
	atomic_int stopping;
};

/* ---- accessors ---- */

void
http_set_log_requests(struct http_server *s, int on)
{
	atomic_store_explicit(&s->log_requests, on, memory_order_relaxed);
}

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

struct query_each {
	void (*fn)(const char *key, void *arg);
	void *arg;
};

static enum MHD_Result
query_one(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct query_each *q = cls;

	(void)kind;
	(void)value;
	q->fn(key, q->arg);
	return MHD_YES;
}

void
http_query_each(struct http_req *r, void (*fn)(const char *key, void *arg),
    void *arg)
{
	struct query_each q = { fn, arg };

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_one, &q);
}

void
http_client_addr(struct http_req *r, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;
	const void *in = NULL;

	if (sa != NULL && sa->sa_family == AF_INET)
		in = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa != NULL && sa->sa_family == AF_INET6)
		in = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (in == NULL || inet_ntop(sa->sa_family, in, buf, size) == NULL)
		util_fmt(buf, size, "-");
}

int64_t
http_elapsed_us(const struct http_req *r)
{
	return util_mono_us() - r->t0;
}

void
http_set_log_note(struct http_req *r, const char *note)
{
	size_t n = strlen(note);

	if (n >= sizeof(r->note))
		n = sizeof(r->note) - 1;
	memcpy(r->note, note, n);
	r->note[n] = '\0';
}

const char *
http_header(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int64_t
http_content_length(struct http_req *r)
{
	return r->clen;
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
	return r->rep.set || r->queued;
}

int
http_status(const struct http_req *r)
{
	return r->rep.status;
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
reply_clear(struct reply *p)
{
	if (!p->body_static)
		free(p->body);
	if (p->fd >= 0)
		close(p->fd);
	p->body = NULL;
	p->fd = -1;
}

/* Takes body (and fd) in any case; the first reply wins. */
static void
set_reply(struct http_req *r, int status, const char *ctype, uint8_t *body,
    size_t len, int fd)
{
	/* The static text needs no allocation. */
	static const char oom[] = "{\"error\":{\"code\":\"internal\","
	    "\"message\":\"out of memory\"}}";

	if (r->rep.set || r->queued) {
		log_err("%s %s: replied twice", r->method_name, r->path);
		free(body);
		if (fd >= 0)
			close(fd);
		return;
	}
	r->rep = (struct reply){ 1, status, ctype, body, len, 0, fd, 0, 0 };
	if (body == NULL && len > 0) {
		log_err("%s %s: cannot build a response", r->method_name, r->path);
		r->rep = (struct reply){ 1, 500, "application/json",
		    (uint8_t *)oom, sizeof(oom) - 1, 1, -1, 0, 0 };
	}
}

void
http_reply(struct http_req *r, int status, const char *content_type,
    const void *body, size_t len)
{
	uint8_t *copy = len > 0 ? malloc(len) : NULL;

	if (copy != NULL)
		memcpy(copy, body, len);
	set_reply(r, status, content_type, copy, len, -1);
}

void
http_reply_take(struct http_req *r, int status, const char *content_type,
    void *body, size_t len)
{
	set_reply(r, status, content_type, body, len, -1);
}

void
http_reply_fd(struct http_req *r, int status, int fd, uint64_t offset,
    uint64_t len, const char *content_type)
{
	if (len == 0) {
		close(fd);
		http_reply(r, status, content_type, "", 0);
		return;
	}
	set_reply(r, status, content_type, NULL, 0, fd);
	if (r->rep.fd == fd) {
		r->rep.off = offset;
		r->rep.flen = len;
	}
}

/* Makes s valid UTF-8 in place: each byte that does not start or continue
 * a well-formed sequence becomes '?'. JSON strings must be UTF-8. */
static void
utf8_fix(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p != '\0') {
		int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 && *p >= 0xc2 ? 2 :
		    (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 && *p <= 0xf4 ?
		    4 : 0;
		int ok = n > 0;

		for (int i = 1; ok && i < n; i++)
			ok = (p[i] & 0xc0) == 0x80;
		/* Overlong forms and surrogates are not UTF-8 either. */
		if (ok && n == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] >= 0xa0)))
			ok = 0;
		if (ok && n == 4 && ((p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] >= 0x90)))
			ok = 0;
		if (!ok) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

/* The JSON error document for code and msg, malloc'd; NULL on failure. */
static char *
error_doc(const char *code, char *msg)
{
	json_t *doc;
	char *text;

	utf8_fix(msg);
	doc = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	return text;
}

void
http_reply_error(struct http_req *r, int status, const char *code,
    const char *fmt, ...)
{
	char msg[512], *text;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	text = error_doc(code, msg);
	set_reply(r, status, "application/json", (uint8_t *)text,
	    text ? strlen(text) : 1, -1);
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

/* ---- handing replies over ---- */

static struct MHD_Response *
make_response(struct http_req *r)
{
	struct reply *p = &r->rep;
	struct MHD_Response *resp;

	if (p->fd >= 0) {
		/* MHD sends it with sendfile() and closes fd when done. */
		resp = MHD_create_response_from_fd_at_offset64(p->flen, p->fd,
		    p->off);
		if (resp != NULL)
			p->fd = -1;
	} else {
		resp = MHD_create_response_from_buffer(p->len, p->body,
		    p->body_static || p->body == NULL ? MHD_RESPMEM_PERSISTENT :
		    MHD_RESPMEM_MUST_FREE);
		if (resp != NULL && !p->body_static)
			p->body = NULL;
	}
	return resp;
}

static enum MHD_Result
queue(struct http_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;

	if (!r->rep.set)
		http_reply_error(r, 500, "internal", "the handler gave no reply");
	resp = make_response(r);
	reply_clear(&r->rep);
	if (resp == NULL) {
		log_err("%s %s: cannot build a response", r->method_name, r->path);
		return MHD_NO;
	}
	if (r->rep.ctype != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    r->rep.ctype);
	for (int i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr[i][0], r->hdr[i][1]);
	/* While stopping, every answer ends its connection. */
	if (atomic_load(&r->srv->stopping))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	rc = MHD_queue_response(r->conn, (unsigned)r->rep.status, resp);
	MHD_destroy_response(resp);
	r->queued = 1;
	return rc;
}

/* Writes the pending reply straight to the socket (the library cannot
 * send one in the middle of a body) and closes the connection's sending
 * side; the rest of the body is then read and dropped for a moment. */
static enum MHD_Result
queue_raw(struct http_req *r)
{
	char hdrs[1024] = "";
	size_t n = 0;

	for (int i = 0; i < r->nhdr; i++) {
		int w = snprintf(hdrs + n, sizeof(hdrs) - n, "%s: %s\r\n",
		    r->hdr[i][0], r->hdr[i][1]);
		if (w < 0 || (size_t)w >= sizeof(hdrs) - n)
			break;
		n += (size_t)w;
	}
	r->raw = 1;
	/* A HEAD is answered without the body, like any other. */
	if (r->c == NULL || r->rep.fd >= 0 ||
	    conn_raw_reply(r->c, r->rep.status, MHD_get_reason_phrase_for(
	    (unsigned)r->rep.status), hdrs, r->rep.ctype, (const char *)r->rep.body,
	    r->method == HTTP_HEAD ? 0 : r->rep.len) != 0) {
		reply_clear(&r->rep);
		return MHD_NO;
	}
	reply_clear(&r->rep);
	return MHD_YES;
}

/* ---- the request head ---- */

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

static int
is_token(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!is_tchar((unsigned char)*s))
			return 0;
	return 1;
}

/* Valid UTF-8 without control bytes. */
static int
clean_text(const char *s)
{
	size_t n = strlen(s);
	char *copy = strdup(s);
	int ok = copy != NULL;

	if (ok) {
		utf8_fix(copy);
		ok = strcmp(copy, s) == 0;
	}
	free(copy);
	for (size_t i = 0; ok && i < n; i++)
		ok = (unsigned char)s[i] >= 0x20 && s[i] != 0x7f;
	return ok;
}

struct head {
	int ncl, nte, nhost, bad_name, folded, bad_value;
	const char *cl, *te;
};

static enum MHD_Result
scan_header(void *cls, enum MHD_ValueKind kind, const char *name,
    const char *value)
{
	struct head *h = cls;
	size_t len = strlen(name);
	const char *gap = name + len + 1;

	(void)kind;
	if (value == NULL)
		value = "";
	if (!is_token(name))
		h->bad_name = 1;
	/* libmicrohttpd 0.9.75 keeps "Name: value" where it read them, the
	 * value right after the name's colon and blanks; a folded line
	 * ("Name: a\r\n b") makes it move the name elsewhere and glue the
	 * continuation to it. Anywhere else, the line was folded. */
	if (value < gap || value - gap > 64)
		h->folded = 1;
	else
		for (; gap < value; gap++)
			if (*gap != ' ' && *gap != '\t')
				h->folded = 1;
	for (const char *p = value; *p != '\0'; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			h->bad_value = 1;
	if (strcasecmp(name, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0 && h->ncl++ == 0)
		h->cl = value;
	if (strcasecmp(name, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0 &&
	    h->nte++ == 0)
		h->te = value;
	if (strcasecmp(name, MHD_HTTP_HEADER_HOST) == 0)
		h->nhost++;
	return MHD_YES;
}

/* Refuses what RFC 9112 says a server must not guess at, and bytes that
 * have no place in a head. 0, or -1 having replied (the library then
 * closes the connection: an early reply ends it). */
static int
check_head(struct http_req *r, const char *version)
{
	struct head h = { 0 };
	int v11 = strcmp(version, MHD_HTTP_VERSION_1_1) == 0;
	int64_t n;

	if (!is_token(r->method_name)) {
		http_reply_error(r, 400, "bad_request", "the method is not a token");
		return -1;
	}
	if (!clean_text(r->path)) {
		http_reply_error(r, 400, "bad_request", "the path is not UTF-8 "
		    "text (control or invalid bytes)");
		return -1;
	}
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, scan_header, &h);
#define REFUSE(status, code, ...) do { \
	http_reply_error(r, status, code, __VA_ARGS__); return -1; } while (0)
	if (h.folded)
		REFUSE(400, "bad_request", "obsolete line folding in a header");
	if (h.bad_name)
		REFUSE(400, "bad_request", "a header name is not a token");
	if (h.bad_value)
		REFUSE(400, "bad_request", "a header value has control bytes");
	if (v11 && h.nhost != 1)
		REFUSE(400, "bad_request", h.nhost ? "several Host headers" :
		    "HTTP/1.1 needs a Host header");
	if (h.ncl > 1)
		REFUSE(400, "bad_request", "several Content-Length headers");
	if (h.ncl > 0 && h.nte > 0)
		REFUSE(400, "bad_request", "both Content-Length and "
		    "Transfer-Encoding");
	if (h.nte > 1 || (h.nte > 0 && !v11))
		REFUSE(400, "bad_request", "Transfer-Encoding must be one "
		    "header, in HTTP/1.1");
	if (h.nte > 0 && strcasecmp(h.te, "chunked") != 0)
		REFUSE(501, "not_implemented", "transfer coding \"%.40s\": only "
		    "chunked is understood", h.te);
#undef REFUSE
	r->clen = -1;
	/* The library parsed it already: digits only, within 64 bits. */
	if (h.cl != NULL && util_parse_int(h.cl, 0, INT64_MAX, &n) != 0) {
		http_reply_error(r, 413, "body_too_large", "Content-Length is too "
		    "large");
		return -1;
	}
	if (h.cl != NULL)
		r->clen = n;
	else if (h.nte == 0)
		r->clen = 0;
	return 0;
}

/* ---- the request cycle ---- */

static enum http_method
parse_method(const char *m)
{
	static const struct { const char *name; enum http_method m; } tab[] = {
		{ "GET", HTTP_GET }, { "HEAD", HTTP_HEAD }, { "POST", HTTP_POST },
		{ "PUT", HTTP_PUT }, { "DELETE", HTTP_DELETE }, { "PATCH", HTTP_PATCH },
	};

	for (size_t i = 0; i < ARRAY_LEN(tab); i++)
		if (strcmp(m, tab[i].name) == 0)
			return tab[i].m;
	return HTTP_OTHER;
}

static struct conn *
conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return i != NULL ? i->socket_context : NULL;
}

/* Answers 413 for a body past the cap. A stream's consumer hears of it
 * first, so what it kept (a partial file) is gone before the client reads
 * the answer, not when the connection ends after the lingering read. */
static void
refuse_too_large(struct http_req *r, const char *what)
{
	if (r->mode == BODY_STREAM)
		(void)r->chunk(r, NULL, HTTP_CHUNK_REFUSED, r->chunk_ctx);
	http_reply_error(r, 413, "body_too_large", "the request body%s is "
	    "larger than %llu bytes", what, (unsigned long long)r->cap);
}

/* Takes a chunk of the body; HTTP_CHUNK_WAIT when the consumer asks the
 * sender to pause. */
static int
body_chunk(struct http_req *r, const char *p, size_t n)
{
	int rc;

	if (r->mode == BODY_NONE)
		r->cap = 64 * 1024;
	if (r->received + n > r->cap) {
		refuse_too_large(r, "");
		return 0;
	}
	r->received += n;
	if (r->mode == BODY_STREAM) {
		rc = r->chunk(r, (const uint8_t *)p, n, r->chunk_ctx);
		if (rc < 0 && !r->rep.set)
			http_reply_error(r, 500, "internal", "upload failed");
		return rc > 0 ? HTTP_CHUNK_WAIT : 0;
	}
	if (r->mode == BODY_NONE)
		return 0;
	if (r->buflen + n + 1 > r->bufsize) {
		size_t want = r->bufsize ? r->bufsize : 4096;
		uint8_t *nb;
		while (want < r->buflen + n + 1)
			want *= 2;
		nb = realloc(r->buf, want);
		if (nb == NULL) {
			http_reply_error(r, 503, "out_of_memory",
			    "cannot hold the request body");
			return 0;
		}
		r->buf = nb;
		r->bufsize = want;
	}
	memcpy(r->buf + r->buflen, p, n);
	r->buflen += n;
	r->buf[r->buflen] = '\0';
	return 0;
}

/* After a reply in the middle of the body: keep the connection if the
 * rest is small enough to drop, else answer now and close. */
static int
answer_now(struct http_req *r)
{
	uint64_t seen = r->received + r->discarded;

	return atomic_load(&r->srv->stopping) || r->clen < 0 ||
	    (uint64_t)r->clen - seen > DISCARD_MAX - r->discarded;
}

static enum MHD_Result
on_body(struct http_req *r, const char *data, size_t n)
{
	int cut = r->c != NULL ? conn_cut(r->c) : 0;

	if (cut == CONN_CUT)
		return MHD_NO;
	if (cut == CONN_ANSWERED && !r->raw) {
		/* The reaper answered 408 for a body too slow. */
		r->raw = 1;
		reply_clear(&r->rep);
		r->rep.status = 408;
	}
	if (r->raw)
		return r->c != NULL && conn_linger(r->c, n) ? MHD_YES : MHD_NO;
	if (r->c != NULL)
		conn_body_bytes(r->c, n);
	if (r->rep.set) {
		r->discarded += n;
		return answer_now(r) ? queue_raw(r) : MHD_YES;
	}
	if (body_chunk(r, data, n) == HTTP_CHUNK_WAIT && !r->rep.set) {
		/* Suspended first, so the consumer's resume cannot come early. */
		http_suspend(r, NULL);
		r->chunk(r, NULL, 0, r->chunk_ctx);
		return MHD_YES;
	}
	if (r->rep.set && answer_now(r))
		return queue_raw(r);
	return MHD_YES;
}

static enum MHD_Result
on_first_call(struct http_server *s, struct MHD_Connection *conn,
    const char *url, const char *method, const char *version, void **con_cls)
{
	struct http_req *r;
	struct conn *c = conn_of(conn);

	/* Refused at the cap (already answered), or cut by the reaper. */
	if (c != NULL && (conn_refused(c) || conn_begin_request(c) != 0))
		return MHD_NO;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return MHD_NO;
	r->conn = conn;
	r->srv = s;
	r->c = c;
	r->rep.fd = -1;
	r->method = parse_method(method);
	r->method_name = method;
	r->path = url;
	r->t0 = util_mono_us();
	*con_cls = r;
	atomic_fetch_add(&s->in_flight, 1);
	if (check_head(r, version) != 0)
		return queue(r);
	if (atomic_load(&s->stopping)) {
		char retry[16];
		snprintf(retry, sizeof(retry), "%d", STOPPING_RETRY);
		http_add_header(r, "Retry-After", retry);
		http_reply_error(r, 503, "shutting_down", "the server is stopping; "
		    "try again shortly");
		return queue(r);
	}
	s->app.begin(r, s->app.app);
	if (r->rep.set)
		return queue(r);
	if (r->mode != BODY_NONE && r->clen > 0 && (uint64_t)r->clen > r->cap) {
		/* Refused before a byte of the body is read. A client that
		 * waits for 100 Continue, or a body too big to drop, is
		 * answered now; a small body already on its way is read and
		 * dropped first, because closing with its bytes unread resets
		 * the connection before the client reads the 413. */
		char what[32];
		snprintf(what, sizeof(what), " (%lld bytes)", (long long)r->clen);
		refuse_too_large(r, what);
		if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_EXPECT) != NULL || answer_now(r))
			return queue(r);
	}
	if (c != NULL && r->clen != 0)
		conn_begin_body(c);
	return MHD_YES;
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct http_req *r = *con_cls;

	if (r == NULL)
		return on_first_call(s, conn, url, method, version, con_cls);
	if (r->suspended) {
		if (!atomic_load(&r->resumed))
			return MHD_YES;
		r->suspended = 0;
		if (r->then != NULL) {
			r->then(r);
			/* It may have handed the request on to another wait. */
			return r->suspended ? MHD_YES : queue(r);
		}
		/* Resumed after a pause in the body: go on reading it. */
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		return on_body(r, upload_data, n);
	}
	if (r->raw)
		return MHD_NO;
	if (r->queued)
		return MHD_YES;
	if (r->c != NULL && conn_end_body(r->c) != 0)
		return MHD_NO;
	if (r->rep.set)
		return queue(r);
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
	struct conn *c = conn_of(conn);
	int ok = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;

	if (c != NULL)
		conn_end_request(c);
	if (r == NULL)
		return;
	if (atomic_load_explicit(&s->log_requests, memory_order_relaxed))
		log_info("%s %s %d %lldus%s%s%s", r->method_name, r->path,
		    r->rep.status, (long long)(util_mono_us() - r->t0),
		    r->note[0] != '\0' ? " " : "", r->note,
		    r->raw ? " (answered, then closed)" :
		    ok ? "" : " (connection lost)");
	s->app.done(r, s->app.app, ok && !r->raw);
	reply_clear(&r->rep);
	for (int i = 0; i < r->nhdr; i++) {
		free(r->hdr[i][0]);
		free(r->hdr[i][1]);
	}
	free(r->buf);
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&s->in_flight, 1);
}

static void
on_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;
	const union MHD_ConnectionInfo *fd, *sa;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		conns_close(s->conns, *socket_context);
		*socket_context = NULL;
		return;
	}
	fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	sa = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	/* Out of memory: served without caps rather than dropped. */
	*socket_context = fd == NULL ? NULL : conns_open(s->conns, fd->connect_fd,
	    sa != NULL ? sa->client_addr : NULL, conn);
}

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct conn *c = conn_of(conn);

	(void)cls;
	(void)uri;
	if (c != NULL)
		conn_line_seen(c);
	return NULL;
}

static int
hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Unescapes %XX in the path and the query in place, except %00: a NUL
 * would end the C string there, so "/v1/tokens%00junk" was served as
 * /v1/tokens and "/healthz%00.html" as /healthz. Kept as its three
 * characters it matches no route and no valid value. */
static size_t
on_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	char *w = s;
	const char *r = s;
	int hi, lo;

	(void)cls;
	(void)conn;
	while (*r != '\0') {
		if (r[0] == '%' && (hi = hex_digit(r[1])) >= 0 &&
		    (lo = hex_digit(r[2])) >= 0 && (hi | lo) != 0) {
			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static int
head_received(void *lib)
{
	return MHD_get_connection_info(lib,
	    MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE) != NULL;
}

/* libmicrohttpd 0.9.75 answers a bad Content-Length itself and then
 * builds that answer's head a second time, so the client reads one reply
 * inside another (and the access handler never runs). It logs the error
 * first, on the connection's thread: we answer in JSON on the socket and
 * close it, so its broken reply can no longer be sent. */
static void
answer_bad_length(struct http_server *s, const char *msg)
{
	static const char bad[] = "{\"error\":{\"code\":\"bad_request\","
	    "\"message\":\"Content-Length is not one decimal number\"}}";
	static const char big[] = "{\"error\":{\"code\":\"body_too_large\","
	    "\"message\":\"Content-Length is too large\"}}";
	int too_large = strstr(msg, "Too large") != NULL;
	struct conn *c = conns_parsing(s->conns, head_received);

	if (c == NULL)
		return;
	conn_raw_reply(c, too_large ? 413 : 400, too_large ?
	    "Content Too Large" : "Bad Request", "", "application/json",
	    too_large ? big : bad, too_large ? sizeof(big) - 1 : sizeof(bad) - 1);
}

__attribute__((format(printf, 2, 0)))
static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (strstr(msg, "Content-Length' header") != NULL)
		answer_bad_length(cls, msg);
	/* Clients can make these at will: once per kind per minute. */
	log_limited(LOG_LVL_WARN, 60, "http: %s", msg);
}

struct http_server *
http_start(const struct http_opts *o, const struct http_app *app, char *err,
    size_t errlen)
{
	struct http_server *s = calloc(1, sizeof(*s));
	struct sockaddr_in v4 = { 0 };
	struct sockaddr_in6 v6 = { 0 };
	struct sockaddr *sa;
	struct conns_opts co;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
	/* Past max_connections the library still accepts this many more, so
	 * that they hear 503 instead of waiting in the listen queue. */
	unsigned reserve = (unsigned)o->max_connections / 4 + 16;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->app = *app;
	atomic_init(&s->log_requests, o->log_requests);
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
	co = (struct conns_opts){ o->max_connections, o->per_address,
	    o->header_timeout * 1000, o->min_body_rate, o->body_rate_window * 1000,
	    STOPPING_RETRY };
	if ((s->conns = conns_new(&co)) == NULL) {
		snprintf(err, errlen, "cannot start the connection reaper");
		free(s);
		return NULL;
	}
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_access, s,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
	    MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_connections + reserve,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->connection_memory,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->connection_timeout,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096u,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_NOTIFY_CONNECTION, on_notify, s,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
	    MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, s,
	    MHD_OPTION_END);
	if (s->d == NULL) {
		snprintf(err, errlen, "cannot listen on %s port %d: %s", o->addr,
		    o->port, errno ? strerror(errno) : "libmicrohttpd refused");
		conns_free(s->conns);
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
	MHD_socket fd;

	atomic_store(&s->stopping, 1);
	fd = MHD_quiesce_daemon(s->d);
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

unsigned
http_connections_of(const struct http_req *r)
{
	return conns_count(r->srv->conns);
}

void
http_stop(struct http_server *s)
{
	if (s == NULL)
		return;
	MHD_stop_daemon(s->d);
	conns_free(s->conns);
	free(s);
}
