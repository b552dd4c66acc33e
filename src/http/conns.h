/* The connection table behind the HTTP layer: connection caps (in all and
 * per client address) answered with a quick 503, a deadline for each
 * request head, a minimum rate for request bodies, and answers written
 * straight to a socket when the HTTP library can no longer send one.
 * A reaper thread enforces the deadlines by shutting sockets down; the
 * HTTP library then closes them. No libmicrohttpd in here. */
#ifndef HTTP_CONNS_H
#define HTTP_CONNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct conns;
struct conn;

struct conns_opts {
	int max_connections;	/* served at once; past it: 503 */
	int per_address;	/* served at once per client address; 0: no cap */
	int header_timeout_ms;	/* connect (or last answer) to complete head */
	uint64_t min_body_rate;	/* bytes per second; 0: no minimum */
	int rate_window_ms;	/* the rate is checked over each such window */
	int retry_after;	/* seconds, in the 503 */
};

/* Starts the table and its reaper; NULL on failure. */
struct conns *conns_new(const struct conns_opts *o);
/* Stops the reaper and frees the table; every connection must have been
 * closed (conns_close). NULL ok. */
void conns_free(struct conns *t);

/* A new connection on fd from sa, served by the calling thread; lib is the
 * HTTP library's handle for it (see conns_parsing). Past a cap the
 * connection is answered 503 at once (and half-closed) and marked
 * refused: serve nothing on it. NULL when out of memory. */
struct conn *conns_open(struct conns *t, int fd, const struct sockaddr *sa,
    void *lib);
/* The connection is gone; c is freed. Must come before fd is closed. */
void conns_close(struct conns *t, struct conn *c);

/* Nonzero if c was refused at the cap. */
int conn_refused(const struct conn *c);

/* The request line is in (the head is not complete yet). */
void conn_line_seen(struct conn *c);
/* The head is complete: the header deadline stops. 0, or -1 if the
 * reaper already cut the connection (or it was refused). */
int conn_begin_request(struct conn *c);
/* A body is coming: the rate check starts. */
void conn_begin_body(struct conn *c);
/* n more body bytes arrived. */
void conn_body_bytes(struct conn *c, size_t n);
/* The body is complete. 0, or -1 if the reaper cut the connection. */
int conn_end_body(struct conn *c);
/* The answer went out; the next request's head deadline starts. */
void conn_end_request(struct conn *c);
/* 0; CONN_ANSWERED once c was answered raw (by either side) and lingers:
 * read and drop what comes (conn_linger); CONN_CUT once the reaper shut
 * it down: stop. */
#define CONN_ANSWERED 1
#define CONN_CUT 2
int conn_cut(const struct conn *c);

/* Writes a whole answer straight to the socket, with "Connection: close",
 * and half-closes it; the reading side lingers a little so the client
 * can read the answer before the close. For answers the HTTP library
 * cannot send (mid-body). headers: "" or lines ending in "\r\n". Returns
 * 0, or -1 if the connection was already cut or answered raw. */
int conn_raw_reply(struct conn *c, int status, const char *reason,
    const char *headers, const char *content_type, const char *body,
    size_t len);
/* Nonzero while a connection answered raw may still be read and dropped
 * (for a short time and up to a few MiB). */
int conn_linger(struct conn *c, size_t n);

/* The connection of the calling thread that is between its request line
 * and the start of its request and whose head has been received, as
 * is_parsed(lib) tells from the HTTP library's side. NULL unless there
 * is exactly one. For errors the library finds in a complete head. */
struct conn *conns_parsing(struct conns *t, int (*is_parsed)(void *lib));

/* Connections served now (not counting refused ones). */
unsigned conns_count(struct conns *t);

#endif
