/* libcurl adapter: GET, POST of JSON, and ranged streaming downloads. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "net.h"
#include "util/util.h"

#define POST_ANSWER_CAP (64 * 1024)
#define HEADER_VALUE_MAX 128

struct sim_net {
	CURL *curl;
	long timeout;
};

/* Where one transfer's bytes and headers go. */
struct xfer {
	CURL *curl;
	struct sim_http *out;
	size_t cap;
	sim_net_sink sink;
	void *ctx;
	int sink_stopped;
	int connected;		/* the server accepted the connection */
};

int
sim_net_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
sim_net_global_cleanup(void)
{
	curl_global_cleanup();
}

struct sim_net *
sim_net_new(long timeout_s)
{
	struct sim_net *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->curl = curl_easy_init();
	if (n->curl == NULL) {
		free(n);
		return NULL;
	}
	n->timeout = timeout_s > 0 ? timeout_s : 30;
	return n;
}

void
sim_net_free(struct sim_net *n)
{
	if (n == NULL)
		return;
	curl_easy_cleanup(n->curl);
	free(n);
}

void
sim_http_clear(struct sim_http *h)
{
	free(h->body);
	memset(h, 0, sizeof(*h));
	h->retry_after = -1;
	h->range_start = -1;
}

/* A header's value without surrounding blanks, if the line is name. */
static int
header_value(const char *line, size_t len, const char *name, char *out,
    size_t outsize)
{
	size_t nlen = strlen(name), vlen;
	const char *v;

	if (len <= nlen || line[nlen] != ':' || strncasecmp(line, name,
	    nlen) != 0)
		return -1;
	v = line + nlen + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
	    v[vlen - 1] == ' '))
		vlen--;
	if (vlen >= outsize)
		return -1;
	memcpy(out, v, vlen);
	out[vlen] = '\0';
	return 0;
}

/* "bytes X-Y/Z" to X. */
static int64_t
range_first(const char *v)
{
	char num[32];
	const char *dash;
	int64_t x;

	if (strncmp(v, "bytes ", 6) != 0)
		return -1;
	v += 6;
	dash = strchr(v, '-');
	if (dash == NULL || (size_t)(dash - v) >= sizeof(num))
		return -1;
	memcpy(num, v, (size_t)(dash - v));
	num[dash - v] = '\0';
	return util_parse_int(num, 0, INT64_MAX, &x) == 0 ? x : -1;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * nmemb;
	char v[HEADER_VALUE_MAX];
	int64_t n;

	/* A new status line (after a redirect or 100) resets what we saw. */
	if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
		x->out->retry_after = -1;
		x->out->range_start = -1;
	} else if (header_value(p, len, "Retry-After", v, sizeof(v)) == 0 &&
	    util_parse_int(v, 0, 86400, &n) == 0) {
		x->out->retry_after = n;
	} else if (header_value(p, len, "Content-Range", v, sizeof(v)) == 0) {
		x->out->range_start = range_first(v);
	}
	return len;
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * nmemb;
	struct sim_http *o = x->out;
	uint8_t *nb;

	if (x->sink != NULL) {
		long code = 0;
		int64_t start;

		/* Only the body of a 200 or 206 is the artifact. */
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
		if (code != 200 && code != 206)
			return len;
		start = o->range_start < 0 ? 0 : o->range_start;
		if (x->sink(start, (const uint8_t *)p, len, x->ctx) != 0) {
			x->sink_stopped = 1;
			return 0;
		}
		return len;
	}
	if (len > x->cap - o->len) {
		o->too_big = 1;
		return 0;
	}
	nb = realloc(o->body, o->len + len + 1);
	if (nb == NULL)
		return 0;
	memcpy(nb + o->len, p, len);
	o->body = nb;
	o->len += len;
	o->body[o->len] = '\0';
	return len;
}

static struct curl_slist *
auth_header(const char *token)
{
	char h[64 + 1024];

	if (token == NULL || util_fmt(h, sizeof(h), "Authorization: Bearer %s",
	    token) != 0)
		return NULL;
	return curl_slist_append(NULL, h);
}

/* Called once connected, before the request goes out. */
static int
on_connected(void *arg, char *ip, char *local_ip, int port, int local_port)
{
	struct xfer *x = arg;

	(void)ip;
	(void)local_ip;
	(void)port;
	(void)local_port;
	x->connected = 1;
	return CURL_PREREQFUNC_OK;
}

/* Sets what every request shares. */
static void
prepare(struct sim_net *n, const char *url, struct curl_slist *hdrs,
    struct xfer *x)
{
	CURL *c = n->curl;

	x->curl = c;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, n->timeout);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, on_connected);
	curl_easy_setopt(c, CURLOPT_PREREQDATA, x);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "otasim/1");
}

/* Runs the prepared transfer; fills status and error. 0/-1. */
static int
perform(struct sim_net *n, struct xfer *x)
{
	CURLcode rc = curl_easy_perform(n->curl);
	long code = 0;

	curl_easy_getinfo(n->curl, CURLINFO_RESPONSE_CODE, &code);
	x->out->status = code;
	if (rc == CURLE_OK)
		return 0;
	/* A server that took the connection and then starved it, not one
	 * that could not be reached. */
	x->out->slow = rc == CURLE_OPERATION_TIMEDOUT && x->connected;
	(void)util_fmt(x->out->error, sizeof(x->out->error), "%s",
	    x->out->too_big ? "answer too large" : x->sink_stopped ?
	    "stopped by the device" : curl_easy_strerror(rc));
	return -1;
}

static void
start_answer(struct sim_http *out, struct xfer *x, size_t cap)
{
	memset(out, 0, sizeof(*out));
	out->retry_after = -1;
	out->range_start = -1;
	memset(x, 0, sizeof(*x));
	x->out = out;
	x->cap = cap;
}

int
sim_net_get(struct sim_net *n, const char *url, const char *token,
    size_t cap, struct sim_http *out)
{
	struct curl_slist *hdrs = auth_header(token);
	struct xfer x;
	int rc;

	start_answer(out, &x, cap);
	prepare(n, url, hdrs, &x);
	rc = perform(n, &x);
	curl_slist_free_all(hdrs);
	return rc;
}

int
sim_net_post_json(struct sim_net *n, const char *url, const char *token,
    const char *json, struct sim_http *out)
{
	struct curl_slist *hdrs = auth_header(token);
	struct curl_slist *all = curl_slist_append(hdrs,
	    "Content-Type: application/json");
	struct xfer x;
	int rc = -1;

	start_answer(out, &x, POST_ANSWER_CAP);
	if (all == NULL) {
		curl_slist_free_all(hdrs);
		(void)util_fmt(out->error, sizeof(out->error), "out of memory");
		return -1;
	}
	prepare(n, url, all, &x);
	curl_easy_setopt(n->curl, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(n->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
	rc = perform(n, &x);
	curl_slist_free_all(all);
	return rc;
}

int
sim_net_fetch(struct sim_net *n, const char *url, const char *token,
    uint64_t offset, const struct sim_net_limits *lim, sim_net_sink sink,
    void *ctx, struct sim_http *out)
{
	struct curl_slist *hdrs = auth_header(token);
	char range[48];
	struct xfer x;
	int rc;

	start_answer(out, &x, 0);
	x.sink = sink;
	x.ctx = ctx;
	prepare(n, url, hdrs, &x);
	if (offset > 0 && util_fmt(range, sizeof(range), "%llu-",
	    (unsigned long long)offset) == 0)
		curl_easy_setopt(n->curl, CURLOPT_RANGE, range);
	curl_easy_setopt(n->curl, CURLOPT_TIMEOUT, lim->max_time);
	curl_easy_setopt(n->curl, CURLOPT_LOW_SPEED_LIMIT, lim->low_speed);
	curl_easy_setopt(n->curl, CURLOPT_LOW_SPEED_TIME, lim->low_speed_time);
	curl_easy_setopt(n->curl, CURLOPT_FAILONERROR, 1L);
	rc = perform(n, &x);
	curl_slist_free_all(hdrs);
	if (rc == 0 && out->status != 200 && out->status != 206)
		rc = -1;
	return rc;
}

/* The parts of url that make its origin; 0, or -1 when it does not parse.
 * The caller frees the three strings with curl_free. */
static int
origin_of(const char *url, char **scheme, char **host, char **port)
{
	CURLU *u = curl_url();
	int rc = -1;

	*scheme = *host = *port = NULL;
	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) ==
	    CURLUE_OK)
		rc = 0;
	curl_url_cleanup(u);
	return rc;
}

int
sim_net_same_origin(const char *a, const char *b)
{
	char *p[2][3] = { { NULL } };
	int same;

	/* Parsed by the parser that makes the request, so a URL cannot
	 * look like the server's here and reach another host there. */
	same = origin_of(a, &p[0][0], &p[0][1], &p[0][2]) == 0 &&
	    origin_of(b, &p[1][0], &p[1][1], &p[1][2]) == 0 &&
	    strcasecmp(p[0][0], p[1][0]) == 0 &&
	    strcasecmp(p[0][1], p[1][1]) == 0 && strcmp(p[0][2], p[1][2]) == 0;
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 3; j++)
			curl_free(p[i][j]);
	return same;
}
