/* libcurl's adapter for the daemon: one blocking POST at a time per
 * caller, failures mapped to enum hc_result. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "core/hclient.h"

int
hc_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
hc_cleanup(void)
{
	curl_global_cleanup();
}

static size_t
drop(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static int
progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	const atomic_int *cancel = arg;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return cancel != NULL && atomic_load(cancel);
}

static enum hc_result
map(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return HC_OK;
	case CURLE_COULDNT_CONNECT:
		return HC_REFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return HC_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
		return HC_NAME;
	case CURLE_ABORTED_BY_CALLBACK:
		return HC_CANCELLED;
	default:
		return HC_ERROR;
	}
}

enum hc_result
hc_post(const char *url, const char *const *headers, const char *body,
    size_t len, int timeout_s, const atomic_int *cancel, long *status,
    char *err, size_t errlen)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = NULL, *t;
	enum hc_result r = HC_ERROR;
	CURL *c = curl_easy_init();
	CURLcode rc;

	*status = 0;
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return HC_ERROR;
	}
	for (size_t i = 0; headers[i] != NULL; i++) {
		if ((t = curl_slist_append(h, headers[i])) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		h = t;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)timeout_s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)timeout_s);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, drop);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)cancel);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "otad-webhooks/1");
	rc = curl_easy_perform(c);
	r = map(rc);
	if (r == HC_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	else
		snprintf(err, errlen, "%s", ebuf[0] ? ebuf :
		    curl_easy_strerror(rc));
out:
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return r;
}

const char *
hc_result_name(enum hc_result r)
{
	static const char *const names[] = { "ok", "refused", "timeout",
	    "name", "cancelled", "error" };

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] :
	    "error";
}
