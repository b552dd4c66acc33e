/* The HTTP client of the services (webhook deliveries): libcurl's one
 * adapter in the daemon. Failures map to a small enum the retry policy
 * can key on. */
#ifndef CORE_HCLIENT_H
#define CORE_HCLIENT_H

#include <stdatomic.h>
#include <stddef.h>

enum hc_result {
	HC_OK,		/* an answer came: its status in *status */
	HC_REFUSED,	/* nothing listens there, or no route to it */
	HC_TIMEOUT,	/* no answer in time */
	HC_NAME,	/* the host name did not resolve */
	HC_CANCELLED,	/* *cancel was set meanwhile */
	HC_ERROR,	/* anything else (TLS, a broken answer) */
};

/* Once, before any thread uses hc_post; 0/-1. */
int hc_init(void);
void hc_cleanup(void);
/* POSTs len bytes of body to url with the NULL-terminated "Name: value"
 * headers, waiting at most timeout_s seconds; the answer's body is read
 * and dropped. A nonzero *cancel (read while it waits) gives up. HC_OK
 * with *status, or the failure with curl's words in err. Any thread;
 * blocks. */
enum hc_result hc_post(const char *url, const char *const *headers,
    const char *body, size_t len, int timeout_s, const atomic_int *cancel,
    long *status, char *err, size_t errlen);
/* "ok", "refused", "timeout", "name", "cancelled", "error". */
const char *hc_result_name(enum hc_result r);

#endif
