/* The HTTP layer: libmicrohttpd (epoll, thread pool) behind our own types.
 * Only http.c includes <microhttpd.h>. */
#ifndef HTTP_HTTP_H
#define HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct http_server;
struct http_req;

enum http_method {
	HTTP_GET = 1, HTTP_HEAD = 2, HTTP_POST = 4, HTTP_PUT = 8,
	HTTP_DELETE = 16, HTTP_PATCH = 32, HTTP_OTHER = 64,
};

/* The application's side of every request. Each callback runs on the
 * thread that owns the connection. */
struct http_app {
	/* Headers are in. Must reply (e.g. 404, 401), or accept a body with
	 * http_expect_body / http_expect_stream, or do neither (no body). */
	void (*begin)(struct http_req *req, void *app);
	/* The whole body is in. Must reply or http_suspend. */
	void (*handle)(struct http_req *req, void *app);
	/* The request is over: reply sent (ok=1) or connection lost (ok=0).
	 * Frees what the app attached with http_set_data. */
	void (*done)(struct http_req *req, void *app, int ok);
	void *app;
};

struct http_opts {
	const char *addr;
	int port;		/* 0: any free port; see http_port */
	int threads;
	int max_connections;	/* served at once; past it a quick 503 */
	int per_address;	/* the same per client address; 0: no cap */
	size_t connection_memory;
	int connection_timeout;	/* seconds idle */
	int header_timeout;	/* seconds to send a whole request head */
	uint64_t min_body_rate;	/* bytes per second of a body; 0: none */
	int body_rate_window;	/* seconds over which the rate is checked */
	int log_requests;
};

/* Starts listening; NULL with a message in err. */
struct http_server *http_start(const struct http_opts *o,
    const struct http_app *app, char *err, size_t errlen);
/* The port actually bound. */
int http_port(struct http_server *s);
/* Turns the per-request log line on or off (SIGHUP), from any thread. */
void http_set_log_requests(struct http_server *s, int on);
/* Requests begun and not yet done, on the server of this request. */
unsigned http_in_flight_of(const struct http_req *r);
/* Open connections (not counting refused ones), on r's server. */
unsigned http_connections_of(const struct http_req *r);
/* Stops accepting new connections; requests in flight go on, every reply
 * closes its connection, and new requests on open connections are
 * answered 503 shutting_down. */
void http_quiesce(struct http_server *s);
/* Requests begun and not yet done. */
unsigned http_in_flight(struct http_server *s);
/* Closes everything and frees s. NULL ok. */
void http_stop(struct http_server *s);

/* ---- the request ---- */
enum http_method http_method(const struct http_req *r);
const char *http_method_name(const struct http_req *r);
/* The path without the query string. */
const char *http_path(const struct http_req *r);
/* A query argument or NULL. */
const char *http_query(struct http_req *r, const char *name);
/* Calls fn with the name of each query argument, in order (a name given
 * twice comes twice). */
void http_query_each(struct http_req *r, void (*fn)(const char *key,
    void *arg), void *arg);
/* The client's address as text ("127.0.0.1", "::1"), or "-". */
void http_client_addr(struct http_req *r, char *buf, size_t size);
/* Microseconds since the request's head arrived. */
int64_t http_elapsed_us(const struct http_req *r);
/* Words the request log line ends with ("actor=... request_id=...");
 * copied, cut at HTTP_NOTE_MAX - 1 bytes. */
#define HTTP_NOTE_MAX 224
void http_set_log_note(struct http_req *r, const char *note);
/* A request header (case-insensitive name) or NULL. */
const char *http_header(struct http_req *r, const char *name);
/* Content-Length: 0 without a body, -1 for a chunked body. */
int64_t http_content_length(struct http_req *r);

/* Application data for this request; freed by the app in done(). */
void http_set_data(struct http_req *r, void *data);
void *http_data(const struct http_req *r);

/* Accept a body of at most cap bytes, kept in memory (413 past it). */
void http_expect_body(struct http_req *r, uint64_t cap);
/* The body received so far (NUL-terminated), or NULL/0 for none. */
const uint8_t *http_body(const struct http_req *r, size_t *len);
/* Stream the body to fn chunk by chunk (413 past cap). fn returns 0; or
 * -1 after having replied (the rest of the body is then discarded, or,
 * when too much of it is left, the reply is written at once and the
 * connection closed); or HTTP_CHUNK_WAIT, having taken the chunk, to
 * pause the sender: the request is then suspended and fn is called once
 * more with p NULL and n 0, after which the consumer calls http_resume
 * exactly once (perhaps from inside that call) when it wants more. When
 * the body is refused past cap, fn is called once with p NULL and n
 * HTTP_CHUNK_REFUSED, before the 413 goes out: it drops what it kept. */
#define HTTP_CHUNK_WAIT 1
#define HTTP_CHUNK_REFUSED SIZE_MAX
typedef int (*http_chunk_fn)(struct http_req *r, const uint8_t *p, size_t n,
    void *ctx);
void http_expect_stream(struct http_req *r, uint64_t cap, http_chunk_fn fn,
    void *ctx);

/* ---- replies: exactly one per request ---- */
/* Adds a header to the reply that follows (copied). 0/-1. */
int http_add_header(struct http_req *r, const char *name, const char *value);
/* Replies with len bytes of body (copied). */
void http_reply(struct http_req *r, int status, const char *content_type,
    const void *body, size_t len);
/* Replies with a body we already own; it is freed with free(). */
void http_reply_take(struct http_req *r, int status, const char *content_type,
    void *body, size_t len);
/* Replies with len bytes of an open file from offset, sent with sendfile;
 * takes ownership of fd. */
void http_reply_fd(struct http_req *r, int status, int fd, uint64_t offset,
    uint64_t len, const char *content_type);
/* {"error": {"code": code, "message": message}} with the status. */
void http_reply_error(struct http_req *r, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Nonzero once a reply has been queued. */
int http_replied(const struct http_req *r);
/* The status replied (0 before). */
int http_status(const struct http_req *r);

/* Suspends the request until http_resume (from any thread); then 'then'
 * runs on the connection's thread and must reply. */
void http_suspend(struct http_req *r, void (*then)(struct http_req *r));
void http_resume(struct http_req *r);

#endif
