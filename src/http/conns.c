/* The connection table: caps, deadlines and raw answers (see conns.h).
 * Every connection moves through phases that the HTTP threads and the
 * reaper change with compare-and-swap, so exactly one of them acts on a
 * connection at a deadline; the reaper shuts sockets down under the
 * table's lock, which the close notification takes before the library
 * closes the descriptor, so it never touches a reused one. Connections
 * live in chunks of CHUNK, not one allocation each: the reaper visits
 * every one four times a second, and with each a cache and TLB miss
 * between the library's 16 KiB pools that was most of an idle server's
 * CPU (and of the lock's hold time) at tens of thousands of them. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http/conns.h"
#include "util/log.h"
#include "util/util.h"

#define TICK_MS 250
#define REFUSED_LINGER_US (1000 * 1000)
#define LINGER_US (2 * 1000 * 1000)
#define LINGER_MAX (4 * 1024 * 1024)
#define LOG_EVERY_US (10 * 1000 * 1000)
#define BUCKETS 1024
#define CHUNK 256

enum phase { PH_HEAD, PH_BUSY, PH_BODY, PH_LINGER, PH_REFUSED, PH_CUT };

struct slot {			/* connections from one address */
	uint8_t key[17];	/* family, then 4 or 16 bytes */
	int count;
	struct slot *next;
};

struct conn {
	/* What the sweep reads of every connection, first. */
	int used;		/* under t->mu: a live connection */
	atomic_int phase;
	atomic_int_fast64_t since_us;	/* when the phase began */
	struct conns *t;
	struct conn *free_next;	/* under t->mu, while unused */
	struct slot *slot;	/* NULL when refused */
	int fd;
	pthread_t owner;
	void *lib;
	char addr[INET6_ADDRSTRLEN];
	atomic_int line_seen;
	atomic_uint_fast64_t bytes;	/* of this request's body */
	atomic_uint_fast64_t linger_bytes;	/* read and dropped since */
	int64_t mark_us, mark_since;	/* reaper only: the rate window */
	uint64_t mark_bytes;
};

/* What the reaper logs: each kind at most every 10 s. */
enum { N_AT_MAX, N_AT_ADDR, N_HEADS, N_SLOW, N_KINDS };

struct counts {
	unsigned long n[N_KINDS];
	char addr_last[INET6_ADDRSTRLEN], slow_last[INET6_ADDRSTRLEN];
};

struct conns {
	struct conns_opts o;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t reaper;
	int stop;
	struct conn **chunks;	/* CHUNK each, kept until conns_free */
	size_t nchunks;
	struct conn *free;	/* unused entries of the chunks */
	unsigned served;
	struct slot *buckets[BUCKETS];
	struct counts n;
	int64_t logged_at[N_KINDS];
};

/* ---- addresses ---- */

static void
addr_key(const struct sockaddr *sa, uint8_t key[17], char *text, size_t size)
{
	memset(key, 0, 17);
	if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		/* A v4-mapped address counts as the v4 one. */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			key[0] = AF_INET;
			memcpy(key + 1, s6->sin6_addr.s6_addr + 12, 4);
			inet_ntop(AF_INET, key + 1, text, (socklen_t)size);
			return;
		}
		key[0] = AF_INET6;
		memcpy(key + 1, &s6->sin6_addr, 16);
		inet_ntop(AF_INET6, &s6->sin6_addr, text, (socklen_t)size);
	} else if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		key[0] = AF_INET;
		memcpy(key + 1, &s4->sin_addr, 4);
		inet_ntop(AF_INET, &s4->sin_addr, text, (socklen_t)size);
	} else {
		snprintf(text, size, "unknown");
	}
}

static struct slot **
slot_find(struct conns *t, const uint8_t key[17])
{
	uint32_t h = 2166136261u;
	struct slot **p;

	for (int i = 0; i < 17; i++)
		h = (h ^ key[i]) * 16777619u;
	for (p = &t->buckets[h % BUCKETS]; *p != NULL; p = &(*p)->next)
		if (memcmp((*p)->key, key, 17) == 0)
			break;
	return p;
}

static void
slot_put(struct conns *t, struct slot *s)
{
	struct slot **p;

	if (s == NULL || --s->count > 0)
		return;
	p = slot_find(t, s->key);
	*p = s->next;
	free(s);
}

/* ---- raw answers ---- */

static void
send_raw(int fd, int status, const char *reason, const char *headers,
    const char *ctype, const char *body, size_t len)
{
	char head[2048];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nConnection: close\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n%s\r\n", status, reason,
	    ctype != NULL ? ctype : "application/json", len, headers);
	if (n < 0 || (size_t)n >= sizeof(head))
		return;
	/* A short answer fits the socket buffer; if it does not, the client
	 * gets the close without it, as it would have before. */
	(void)!send(fd, head, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE);
	(void)!send(fd, body, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void
send_error(int fd, int status, const char *reason, const char *headers,
    const char *code, const char *msg)
{
	char body[512];
	int n = snprintf(body, sizeof(body), "{\"error\":{\"code\":\"%s\","
	    "\"message\":\"%s\"}}", code, msg);

	if (n > 0 && (size_t)n < sizeof(body))
		send_raw(fd, status, reason, headers, NULL, body, (size_t)n);
}

/* Moves c from phase 'from' to lingering; 0, or -1 if another thread
 * acted first. In the lingering phase since_us holds its deadline. */
static int
to_linger(struct conn *c, int from)
{
	if (!atomic_compare_exchange_strong(&c->phase, &from, PH_LINGER))
		return -1;
	atomic_store(&c->linger_bytes, 0);
	atomic_store(&c->since_us, util_mono_us() + LINGER_US);
	return 0;
}

int
conn_raw_reply(struct conn *c, int status, const char *reason,
    const char *headers, const char *content_type, const char *body,
    size_t len)
{
	int ph = atomic_load(&c->phase);

	if ((ph != PH_HEAD && ph != PH_BUSY && ph != PH_BODY) ||
	    to_linger(c, ph) != 0)
		return -1;
	send_raw(c->fd, status, reason, headers, content_type, body, len);
	shutdown(c->fd, SHUT_WR);
	return 0;
}

int
conn_linger(struct conn *c, size_t n)
{
	uint64_t b = atomic_fetch_add(&c->linger_bytes, n) + n;

	return atomic_load(&c->phase) == PH_LINGER && b <= LINGER_MAX &&
	    util_mono_us() < atomic_load(&c->since_us);
}

/* ---- open and close ---- */

/* An unused entry, zeroed and marked used; NULL when out of memory.
 * Under t->mu. */
static struct conn *
conn_take(struct conns *t)
{
	struct conn *c, **more;

	if (t->free == NULL) {
		more = realloc(t->chunks, (t->nchunks + 1) * sizeof(*more));
		if (more == NULL)
			return NULL;
		t->chunks = more;
		if ((c = calloc(CHUNK, sizeof(*c))) == NULL)
			return NULL;
		more[t->nchunks++] = c;
		for (int i = CHUNK - 1; i >= 0; i--) {
			c[i].free_next = t->free;
			t->free = &c[i];
		}
	}
	c = t->free;
	t->free = c->free_next;
	memset(c, 0, sizeof(*c));
	c->used = 1;
	return c;
}

/* Calls fn on every live connection until it returns nonzero. Under
 * t->mu. */
static void
each_conn(struct conns *t, int (*fn)(struct conn *c, void *arg), void *arg)
{
	for (size_t k = 0; k < t->nchunks; k++)
		for (int i = 0; i < CHUNK; i++)
			if (t->chunks[k][i].used && fn(&t->chunks[k][i], arg))
				return;
}

static void
refuse(struct conns *t, struct conn *c, int at_addr)
{
	char hdr[64];

	atomic_store(&c->phase, PH_REFUSED);
	if (at_addr) {
		t->n.n[N_AT_ADDR]++;
		memcpy(t->n.addr_last, c->addr, sizeof(c->addr));
	} else {
		t->n.n[N_AT_MAX]++;
	}
	snprintf(hdr, sizeof(hdr), "Retry-After: %d\r\n", t->o.retry_after);
	send_error(c->fd, 503, "Service Unavailable", hdr, "too_many_connections",
	    at_addr ? "too many connections from this address; try again "
	    "later" : "the server is at its connection limit; try again later");
	shutdown(c->fd, SHUT_WR);
}

struct conn *
conns_open(struct conns *t, int fd, const struct sockaddr *sa, void *lib)
{
	struct conn *c;
	uint8_t key[17];
	char addr[INET6_ADDRSTRLEN];
	struct slot **p;

	addr_key(sa, key, addr, sizeof(addr));
	pthread_mutex_lock(&t->mu);
	if ((c = conn_take(t)) == NULL) {
		pthread_mutex_unlock(&t->mu);
		return NULL;
	}
	c->t = t;
	c->fd = fd;
	c->lib = lib;
	c->owner = pthread_self();
	memcpy(c->addr, addr, sizeof(addr));
	atomic_store(&c->since_us, util_mono_us());
	p = slot_find(t, key);
	if (t->served >= (unsigned)t->o.max_connections) {
		refuse(t, c, 0);
	} else if (t->o.per_address > 0 && *p != NULL &&
	    (*p)->count >= t->o.per_address) {
		refuse(t, c, 1);
	} else {
		if (*p == NULL && (*p = calloc(1, sizeof(**p))) != NULL)
			memcpy((*p)->key, key, sizeof(key));
		if (*p == NULL) {
			c->used = 0;
			c->free_next = t->free;
			t->free = c;
			pthread_mutex_unlock(&t->mu);
			return NULL;
		}
		c->slot = *p;
		c->slot->count++;
		t->served++;
	}
	pthread_mutex_unlock(&t->mu);
	return c;
}

void
conns_close(struct conns *t, struct conn *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	if (c->slot != NULL) {
		slot_put(t, c->slot);
		t->served--;
	}
	c->used = 0;
	c->free_next = t->free;
	t->free = c;
	pthread_mutex_unlock(&t->mu);
}

int
conn_refused(const struct conn *c)
{
	return c->slot == NULL;
}

unsigned
conns_count(struct conns *t)
{
	unsigned n;

	pthread_mutex_lock(&t->mu);
	n = t->served;
	pthread_mutex_unlock(&t->mu);
	return n;
}

/* ---- phases ---- */

void
conn_line_seen(struct conn *c)
{
	atomic_store(&c->line_seen, 1);
}

int
conn_begin_request(struct conn *c)
{
	int ph = PH_HEAD;

	atomic_store(&c->line_seen, 0);
	return atomic_compare_exchange_strong(&c->phase, &ph, PH_BUSY) ? 0 : -1;
}

void
conn_begin_body(struct conn *c)
{
	int ph = PH_BUSY;

	atomic_store(&c->bytes, 0);
	atomic_store(&c->since_us, util_mono_us());
	atomic_compare_exchange_strong(&c->phase, &ph, PH_BODY);
}

void
conn_body_bytes(struct conn *c, size_t n)
{
	atomic_fetch_add_explicit(&c->bytes, n, memory_order_relaxed);
}

int
conn_end_body(struct conn *c)
{
	int ph = PH_BODY;

	if (atomic_compare_exchange_strong(&c->phase, &ph, PH_BUSY))
		return 0;
	return ph == PH_BUSY ? 0 : -1;
}

void
conn_end_request(struct conn *c)
{
	int ph = PH_BUSY;

	atomic_store(&c->since_us, util_mono_us());
	atomic_compare_exchange_strong(&c->phase, &ph, PH_HEAD);
}

int
conn_cut(const struct conn *c)
{
	switch (atomic_load(&c->phase)) {
	case PH_CUT:
		return CONN_CUT;
	case PH_LINGER:
		return CONN_ANSWERED;
	default:
		return 0;
	}
}

struct parsing {
	int (*is_parsed)(void *lib);
	struct conn *found;
	int n;
};

static int
parsing_one(struct conn *c, void *arg)
{
	struct parsing *q = arg;

	if (pthread_equal(c->owner, pthread_self()) &&
	    atomic_load(&c->line_seen) &&
	    atomic_load(&c->phase) == PH_HEAD && q->is_parsed(c->lib)) {
		q->found = c;
		q->n++;
	}
	return q->n > 1;
}

struct conn *
conns_parsing(struct conns *t, int (*is_parsed)(void *lib))
{
	struct parsing q = { is_parsed, NULL, 0 };

	pthread_mutex_lock(&t->mu);
	each_conn(t, parsing_one, &q);
	pthread_mutex_unlock(&t->mu);
	return q.n == 1 ? q.found : NULL;
}

/* ---- the reaper ---- */

static int
cut(struct conn *c, int from)
{
	if (!atomic_compare_exchange_strong(&c->phase, &from, PH_CUT))
		return 0;
	shutdown(c->fd, SHUT_RDWR);
	return 1;
}

/* Cuts a body that did not keep min_body_rate over the last window. */
static void
check_rate(struct conns *t, struct conn *c, int64_t now)
{
	int64_t since = atomic_load(&c->since_us);
	uint64_t b = atomic_load(&c->bytes);

	if (c->mark_since != since) {
		c->mark_since = since;
		c->mark_us = since;
		c->mark_bytes = 0;
	}
	if (now - c->mark_us < (int64_t)t->o.rate_window_ms * 1000)
		return;
	if ((b - c->mark_bytes) * 1000 >= t->o.min_body_rate *
	    (uint64_t)t->o.rate_window_ms) {
		c->mark_us = now;
		c->mark_bytes = b;
		return;
	}
	/* The client is mid-request and should hear why: answered, then
	 * read and dropped a little longer, as conn_raw_reply does. */
	if (to_linger(c, PH_BODY) != 0)
		return;
	send_error(c->fd, 408, "Request Timeout", "", "too_slow", "the request "
	    "body arrived too slowly; see min_body_rate");
	shutdown(c->fd, SHUT_WR);
	t->n.n[N_SLOW]++;
	memcpy(t->n.slow_last, c->addr, sizeof(c->addr));
}

struct sweep {
	struct conns *t;
	int64_t now;
};

static int
sweep_one(struct conn *c, void *arg)
{
	struct conns *t = ((struct sweep *)arg)->t;
	int64_t now = ((struct sweep *)arg)->now;
	int64_t age = now - atomic_load(&c->since_us);

	switch (atomic_load(&c->phase)) {
	case PH_HEAD:
		if (age > (int64_t)t->o.header_timeout_ms * 1000 &&
		    cut(c, PH_HEAD))
			t->n.n[N_HEADS]++;
		break;
	case PH_REFUSED:
		if (age > REFUSED_LINGER_US)
			cut(c, PH_REFUSED);
		break;
	case PH_LINGER:
		if (age > 0)	/* since_us is the deadline */
			cut(c, PH_LINGER);
		break;
	case PH_BODY:
		if (t->o.min_body_rate > 0)
			check_rate(t, c, now);
		break;
	default:
		break;
	}
	return 0;
}

static void
sweep(struct conns *t, int64_t now)
{
	struct sweep w = { t, now };

	each_conn(t, sweep_one, &w);
}

static void
log_counts(const struct conns_opts *o, const struct counts *n)
{
	if (n->n[N_AT_MAX] > 0)
		log_warn("refused %lu connection(s) at max_connections (%d) with "
		    "503", n->n[N_AT_MAX], o->max_connections);
	if (n->n[N_AT_ADDR] > 0)
		log_warn("refused %lu connection(s) at max_connections_per_address "
		    "(%d) with 503; last from %s", n->n[N_AT_ADDR],
		    o->per_address, n->addr_last);
	if (n->n[N_HEADS] > 0)
		log_info("closed %lu connection(s) without a complete request "
		    "head within header_timeout (%d ms)", n->n[N_HEADS],
		    o->header_timeout_ms);
	if (n->n[N_SLOW] > 0)
		log_warn("answered 408 to %lu request body(ies) slower than "
		    "min_body_rate (%llu bytes/s over %d ms); last from %s",
		    n->n[N_SLOW], (unsigned long long)o->min_body_rate,
		    o->rate_window_ms, n->slow_last);
}

/* Takes from t->n what is due for logging into out. Under t->mu. */
static void
take_due(struct conns *t, int64_t now, struct counts *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->addr_last, t->n.addr_last, sizeof(out->addr_last));
	memcpy(out->slow_last, t->n.slow_last, sizeof(out->slow_last));
	for (int k = 0; k < N_KINDS; k++) {
		if (t->n.n[k] == 0 || now - t->logged_at[k] < LOG_EVERY_US)
			continue;
		out->n[k] = t->n.n[k];
		t->n.n[k] = 0;
		t->logged_at[k] = now;
	}
}

static void *
reaper_main(void *p)
{
	struct conns *t = p;

	pthread_mutex_lock(&t->mu);
	while (!t->stop) {
		struct timespec ts;
		struct counts n;
		int64_t now = util_mono_us();

		sweep(t, now);
		take_due(t, now, &n);
		pthread_mutex_unlock(&t->mu);
		log_counts(&t->o, &n);
		util_deadline(&ts, TICK_MS);
		pthread_mutex_lock(&t->mu);
		if (!t->stop)
			pthread_cond_timedwait(&t->cv, &t->mu, &ts);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

struct conns *
conns_new(const struct conns_opts *o)
{
	struct conns *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->o = *o;
	for (int k = 0; k < N_KINDS; k++)
		t->logged_at[k] = util_mono_us() - LOG_EVERY_US;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	if (pthread_create(&t->reaper, NULL, reaper_main, t) != 0) {
		pthread_mutex_destroy(&t->mu);
		pthread_cond_destroy(&t->cv);
		free(t);
		return NULL;
	}
	return t;
}

void
conns_free(struct conns *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	t->stop = 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->reaper, NULL);
	log_counts(&t->o, &t->n);
	for (int i = 0; i < BUCKETS; i++) {
		while (t->buckets[i] != NULL) {
			struct slot *s = t->buckets[i];
			t->buckets[i] = s->next;
			free(s);
		}
	}
	for (size_t k = 0; k < t->nchunks; k++)
		free(t->chunks[k]);
	free(t->chunks);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t);
}
