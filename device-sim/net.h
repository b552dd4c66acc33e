/* The device's HTTP client: the one adapter over libcurl. Each handle is
 * used by one thread at a time and keeps its connections alive. */
#ifndef SIM_NET_H
#define SIM_NET_H

#include <stddef.h>
#include <stdint.h>

struct sim_net;

/* One answer. body is malloc'd and NUL-terminated (GET and POST only). */
struct sim_http {
	long status;		/* 0 when no answer came (network, timeout) */
	int64_t retry_after;	/* Retry-After in seconds, or -1 */
	int64_t range_start;	/* first byte of a 206, 0 for a 200, else -1 */
	uint8_t *body;
	size_t len;
	int too_big;		/* the body went past its cap */
	int slow;		/* connected, then stopped by the speed or
				 * time limit (a slow retrieval) */
	char error[256];	/* why status is 0, for logs */
};

/* Download limits: abort below low_speed bytes/s for low_speed_time
 * seconds, or after max_time seconds in all (0: no limit). */
struct sim_net_limits {
	long low_speed;
	long low_speed_time;
	long max_time;
};

/* Receives downloaded bytes; start is the offset of the answer's first
 * byte. Returns 0 to go on, -1 to stop the transfer. */
typedef int (*sim_net_sink)(uint64_t start, const uint8_t *p, size_t n,
    void *ctx);

/* Process-wide set-up, once before any thread starts. 0/-1. */
int sim_net_global_init(void);
void sim_net_global_cleanup(void);

/* A handle with timeouts of timeout_s seconds for GET and POST, or NULL.
 * Free with sim_net_free. */
struct sim_net *sim_net_new(long timeout_s);
/* Frees n; NULL is a no-op. */
void sim_net_free(struct sim_net *n);

/* GETs url with "Authorization: Bearer token" (when not NULL), keeping at
 * most cap bytes of body. 0 when an answer came (any status), -1 when
 * none did or the body exceeded cap (too_big). Free with sim_http_clear. */
int sim_net_get(struct sim_net *n, const char *url, const char *token,
    size_t cap, struct sim_http *out);
/* POSTs a JSON body; as sim_net_get (the answer body is capped at 64 KiB). */
int sim_net_post_json(struct sim_net *n, const char *url, const char *token,
    const char *json, struct sim_http *out);
/* GETs url from byte offset (a Range request when offset > 0), passing
 * the body of a 200 or 206 answer to sink. 0 when the transfer ended
 * cleanly (the body may still be short), -1 on a network error, a
 * timeout, a sink stop or another status (see out). */
int sim_net_fetch(struct sim_net *n, const char *url, const char *token,
    uint64_t offset, const struct sim_net_limits *lim, sim_net_sink sink,
    void *ctx, struct sim_http *out);
/* 1 when URLs a and b share an origin (scheme, host and port, the port
 * defaulting by scheme, as curl parses them), 0 when not or when either
 * does not parse. The device token goes only to its server's origin. */
int sim_net_same_origin(const char *a, const char *b);

/* Frees the body of an answer and zeroes it. */
void sim_http_clear(struct sim_http *h);

#endif
