/* otad's configuration: built-in defaults, then the file (libinih), then
 * command-line flags. Every key is documented in conf/otad.conf. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ini.h>

#include "api/config.h"
#include "rollout/rollout.h"
#include "util/util.h"

void
cfg_defaults(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->listen_addr, "127.0.0.1", sizeof("127.0.0.1"));
	c->listen_port = 8080;
	memcpy(c->data_dir, "./var", sizeof("./var"));
	c->threads = 0;
	c->max_connections = 10000;
	c->max_connections_per_address = 1000;
	c->connection_memory = 16 * 1024;
	c->connection_timeout = 60;
	c->header_timeout = 10;
	c->min_body_rate = 1024;
	c->body_rate_window = 10;
	c->max_json_body = 1024 * 1024;
	c->max_bulk_body = 64 * 1024 * 1024;
	c->max_artifact_size = 8ULL << 30;
	c->log_level = LOG_LVL_INFO;
	c->log_requests = 1;
	c->poll_interval = 300;
	memcpy(c->ddi_tenant, "DEFAULT", sizeof("DEFAULT"));
	c->assignment_ttl = 900;
	c->artifacts_public = 0;
	c->gate_interval = 10;
	c->completed_offer_window = 7 * 86400;
	c->max_in_flight = 0;
	c->event_retention = 30 * 86400;
	c->health_sample_interval = 86400;
	c->health_samples_max = 100;
	c->seen_flush_interval = 5;
	c->reload_interval = 5;
	c->token_cache = 1048576;
	c->token_cache_ttl = 600;
	c->audit_retention_days = 400;
	c->shutdown_timeout = 30;
	c->writer_stall_timeout = 20;
	c->webhook_max_tries = 12;
	c->webhook_backoff = 5;
	c->webhook_backoff_max = 3600;
	c->webhook_timeout = 10;
}

int
cfg_set_listen(struct cfg *c, const char *s)
{
	const char *colon, *host = s;
	size_t hlen;
	int64_t port;
	char addr[64];
	unsigned char tmp[16];

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		host = s + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(addr))
		return -1;
	memcpy(addr, host, hlen);
	addr[hlen] = '\0';
	if (inet_pton(AF_INET, addr, tmp) != 1 &&
	    inet_pton(AF_INET6, addr, tmp) != 1)
		return -1;
	if (util_parse_int(colon + 1, 0, 65535, &port) != 0)
		return -1;
	memcpy(c->listen_addr, addr, hlen + 1);
	c->listen_port = (int)port;
	return 0;
}

static int
set_bool(const char *v, int *out)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ||
	    strcmp(v, "1") == 0 || strcmp(v, "on") == 0)
		*out = 1;
	else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 ||
	    strcmp(v, "0") == 0 || strcmp(v, "off") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int
set_int(const char *v, int64_t min, int64_t max, int *out)
{
	int64_t n;

	if (util_parse_int(v, min, max, &n) != 0)
		return -1;
	*out = (int)n;
	return 0;
}

static int
set_secs(const char *v, int64_t min, int64_t max, int *out)
{
	int64_t n;

	if (util_parse_duration(v, &n) != 0 || n < min || n > max)
		return -1;
	*out = (int)n;
	return 0;
}

static int
set_size(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t n;

	if (util_parse_size(v, &n) != 0 || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static int
set_path(const char *v, char *dst, size_t size)
{
	size_t n = strlen(v);

	if (n >= size)
		return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

/* The store: "" (SQLite in data_dir), a PostgreSQL URL, or a file path;
 * any other URL scheme is a mistake, not a file name. */
static int
set_database(const char *v, char *dst, size_t size)
{
	if (strstr(v, "://") != NULL && strncmp(v, "postgresql://", 13) != 0 &&
	    strncmp(v, "postgres://", 11) != 0)
		return -1;
	return set_path(v, dst, size);
}

/* A hawkBit tenant: empty (DDI off), or 1..64 of [A-Za-z0-9._-]. */
static int
set_tenant(const char *v, char *dst, size_t size)
{
	if (strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") != strlen(v))
		return -1;
	return set_path(v, dst, size);
}

int
cfg_webhook_urls(char *buf, const char **urls, int max)
{
	int n = 0;
	char *p = buf;

	for (;;) {
		size_t len;

		p += strspn(p, " \t");
		if (*p == '\0')
			return n;
		len = strcspn(p, " \t");
		if (n == max || (strncmp(p, "http://", 7) != 0 &&
		    strncmp(p, "https://", 8) != 0))
			return -1;
		urls[n++] = p;
		p += len;
		if (*p != '\0')
			*p++ = '\0';
	}
}

static int
set_webhook_urls(const char *v, char *dst, size_t size)
{
	char tmp[sizeof(((struct cfg *)0)->webhook_url)];
	const char *urls[CFG_WEBHOOK_URLS_MAX];

	if (strlen(v) >= sizeof(tmp))
		return -1;
	memcpy(tmp, v, strlen(v) + 1);
	if (cfg_webhook_urls(tmp, urls, CFG_WEBHOOK_URLS_MAX) < 0)
		return -1;
	return set_path(v, dst, size);
}

int
cfg_set(struct cfg *c, const char *k, const char *v, char *err, size_t errlen)
{
	int rc;
	const char *want;

#define KEY(name, expr, what) \
	if (strcmp(k, name) == 0) { rc = (expr); want = (what); goto done; }
	KEY("listen", cfg_set_listen(c, v), "ADDR:PORT, e.g. 127.0.0.1:8080")
	/* Each value is checked before it is stored: a refused one leaves
	 * the setting as it was. */
	KEY("data_dir", v[0] == '\0' ||
	    set_path(v, c->data_dir, sizeof(c->data_dir)), "a directory path")
	KEY("database", set_database(v, c->database, sizeof(c->database)),
	    "empty, a postgresql:// URL or a file path")
	KEY("threads", set_int(v, 0, 256, &c->threads), "0..256 (0: one per core)")
	KEY("max_connections", set_int(v, 1, 1000000, &c->max_connections),
	    "1..1000000")
	KEY("max_connections_per_address", set_int(v, 0, 1000000,
	    &c->max_connections_per_address), "0..1000000 (0: no cap)")
	KEY("header_timeout", set_secs(v, 1, 3600, &c->header_timeout),
	    "a duration from 1s to 1h")
	KEY("min_body_rate", set_size(v, 0, 1ULL << 30, &c->min_body_rate),
	    "a size per second from 0 (no minimum) to 1G")
	KEY("body_rate_window", set_secs(v, 1, 3600, &c->body_rate_window),
	    "a duration from 1s to 1h")
	KEY("connection_memory", set_size(v, 8192, 16 << 20,
	    &c->connection_memory), "a size from 8K to 16M")
	KEY("connection_timeout", set_secs(v, 1, 3600, &c->connection_timeout),
	    "a duration from 1s to 1h")
	KEY("max_json_body", set_size(v, 1024, 1ULL << 30, &c->max_json_body),
	    "a size from 1K to 1G")
	KEY("max_bulk_body", set_size(v, 1024, 1ULL << 30, &c->max_bulk_body),
	    "a size from 1K to 1G")
	KEY("max_artifact_size", set_size(v, 1, 1ULL << 50,
	    &c->max_artifact_size), "a size such as 8G")
	KEY("log_level", log_parse_level(v, &c->log_level),
	    "error, warn, info or debug")
	KEY("log_requests", set_bool(v, &c->log_requests), "true or false")
	KEY("poll_interval", set_secs(v, 1, 86400, &c->poll_interval),
	    "a duration from 1s to 1d")
	KEY("assignment_ttl", set_secs(v, 10, 86400, &c->assignment_ttl),
	    "a duration from 10s to 1d")
	KEY("artifacts_public", set_bool(v, &c->artifacts_public),
	    "true or false")
	KEY("public_url", (v[0] != '\0' && strncmp(v, "http://", 7) != 0 &&
	    strncmp(v, "https://", 8) != 0) ||
	    set_path(v, c->public_url, sizeof(c->public_url)),
	    "an http:// or https:// URL")
	KEY("ddi_tenant", set_tenant(v, c->ddi_tenant, sizeof(c->ddi_tenant)),
	    "empty (DDI off) or 1 to 64 of A-Z a-z 0-9 . _ -")
	KEY("gate_interval", set_secs(v, 1, 3600, &c->gate_interval),
	    "a duration from 1s to 1h")
	KEY("completed_offer_window", set_secs(v, 0, 366 * 86400,
	    &c->completed_offer_window), "a duration from 0s to 366d")
	KEY("max_in_flight", set_int(v, 0, ROLLOUT_MAX_IN_FLIGHT,
	    &c->max_in_flight), "0 (no cap) to 10000000")
	KEY("event_retention", set_secs(v, 3600, 3650 * 86400,
	    &c->event_retention), "a duration from 1h to 3650d")
	KEY("health_sample_interval", set_secs(v, 1, 30 * 86400,
	    &c->health_sample_interval), "a duration from 1s to 30d")
	KEY("health_samples_max", set_int(v, 1, 100000, &c->health_samples_max),
	    "1..100000")
	KEY("seen_flush_interval", set_secs(v, 1, 600,
	    &c->seen_flush_interval), "a duration from 1s to 10m")
	KEY("reload_interval", set_secs(v, 1, 86400, &c->reload_interval),
	    "a duration from 1s to 1d")
	KEY("token_cache", set_int(v, 0, 67108864, &c->token_cache),
	    "0 (off) to 67108864 devices")
	KEY("token_cache_ttl", set_secs(v, 1, 86400, &c->token_cache_ttl),
	    "a duration from 1s to 1d")
	KEY("audit_retention_days", set_int(v, 1, 36500,
	    &c->audit_retention_days), "1..36500 (days)")
	KEY("shutdown_timeout", set_secs(v, 0, 3600, &c->shutdown_timeout),
	    "a duration from 0s to 1h")
	KEY("writer_stall_timeout", set_secs(v, 1, 3600,
	    &c->writer_stall_timeout), "a duration from 1s to 1h")
	KEY("webhook_url", set_webhook_urls(v, c->webhook_url,
	    sizeof(c->webhook_url)), "empty (no webhooks), or up to 8 http:// "
	    "or https:// URLs separated by spaces")
	KEY("webhook_secret_file", set_path(v, c->webhook_secret_file,
	    sizeof(c->webhook_secret_file)), "a file path")
	KEY("webhook_max_tries", set_int(v, 1, 1000, &c->webhook_max_tries),
	    "1..1000")
	KEY("webhook_backoff", set_secs(v, 1, 86400, &c->webhook_backoff),
	    "a duration from 1s to 1d")
	KEY("webhook_backoff_max", set_secs(v, 1, 7 * 86400,
	    &c->webhook_backoff_max), "a duration from 1s to 7d")
	KEY("webhook_timeout", set_secs(v, 1, 300, &c->webhook_timeout),
	    "a duration from 1s to 5m")
	KEY("online_key_passphrase_file", set_path(v,
	    c->online_key_passphrase_file,
	    sizeof(c->online_key_passphrase_file)), "a file path")
#undef KEY
	snprintf(err, errlen, "%s: unknown key", k);
	return -1;
done:
	if (rc != 0) {
		/* A database URL may carry a password: not echoed. */
		if (strcmp(k, "database") == 0)
			snprintf(err, errlen, "%s: bad value: want %s", k, want);
		else
			snprintf(err, errlen, "%s: bad value \"%.64s\": want %s", k,
			    v, want);
		return -1;
	}
	return 0;
}

struct load_ctx {
	struct cfg *c;
	char msg[256];
};

static int
on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *lc = user;

	if (lc->msg[0] != '\0')
		return 0;
	if (section[0] != '\0') {
		snprintf(lc->msg, sizeof(lc->msg), "%s: sections are not used "
		    "(found [%.64s])", name, section);
		return 0;
	}
	return cfg_set(lc->c, name, value, lc->msg, sizeof(lc->msg)) == 0;
}

int
cfg_load(struct cfg *c, const char *path, char *err, size_t errlen)
{
	struct load_ctx lc = { c, "" };
	FILE *f;
	int line;

	f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	line = ini_parse_file(f, on_entry, &lc);
	fclose(f);
	if (line == 0)
		return 0;
	if (line < 0)
		snprintf(err, errlen, "%s: cannot read", path);
	else if (lc.msg[0] != '\0')
		snprintf(err, errlen, "%s:%d: %s", path, line, lc.msg);
	else
		snprintf(err, errlen, "%s:%d: syntax error: want key = value",
		    path, line);
	return -1;
}

void
cfg_core(const struct cfg *c, struct core_policy *out)
{
	*out = (struct core_policy){ c->gate_interval,
	    c->completed_offer_window, c->event_retention,
	    c->health_sample_interval, c->health_samples_max,
	    c->max_in_flight };
}

/* Where each key keeps its value, for telling what a reload changed. */
struct field {
	const char *key;
	size_t off, len;
	int text;		/* a NUL-terminated string in a char array */
};

#define NUM(k, f) { k, offsetof(struct cfg, f), sizeof(((struct cfg *)0)->f), 0 }
#define TXT(k, f) { k, offsetof(struct cfg, f), sizeof(((struct cfg *)0)->f), 1 }
static const struct field fields[] = {
	TXT("listen", listen_addr), NUM("listen", listen_port),
	TXT("data_dir", data_dir), TXT("database", database),
	NUM("threads", threads),
	NUM("max_connections", max_connections),
	NUM("max_connections_per_address", max_connections_per_address),
	NUM("connection_memory", connection_memory),
	NUM("connection_timeout", connection_timeout),
	NUM("header_timeout", header_timeout),
	NUM("min_body_rate", min_body_rate),
	NUM("body_rate_window", body_rate_window),
	NUM("max_json_body", max_json_body), NUM("max_bulk_body", max_bulk_body),
	NUM("max_artifact_size", max_artifact_size),
	NUM("log_level", log_level), NUM("log_requests", log_requests),
	NUM("poll_interval", poll_interval),
	NUM("assignment_ttl", assignment_ttl),
	NUM("artifacts_public", artifacts_public),
	TXT("public_url", public_url), TXT("ddi_tenant", ddi_tenant),
	NUM("gate_interval", gate_interval),
	NUM("max_in_flight", max_in_flight),
	NUM("completed_offer_window", completed_offer_window),
	NUM("event_retention", event_retention),
	NUM("health_sample_interval", health_sample_interval),
	NUM("health_samples_max", health_samples_max),
	NUM("seen_flush_interval", seen_flush_interval),
	NUM("reload_interval", reload_interval),
	NUM("token_cache", token_cache),
	NUM("token_cache_ttl", token_cache_ttl),
	NUM("audit_retention_days", audit_retention_days),
	NUM("shutdown_timeout", shutdown_timeout),
	NUM("writer_stall_timeout", writer_stall_timeout),
	TXT("online_key_passphrase_file", online_key_passphrase_file),
	TXT("webhook_url", webhook_url),
	TXT("webhook_secret_file", webhook_secret_file),
	NUM("webhook_max_tries", webhook_max_tries),
	NUM("webhook_backoff", webhook_backoff),
	NUM("webhook_backoff_max", webhook_backoff_max),
	NUM("webhook_timeout", webhook_timeout),
};
#undef NUM
#undef TXT

static int
field_differs(const struct field *f, const struct cfg *a, const struct cfg *b)
{
	const char *x = (const char *)a + f->off, *y = (const char *)b + f->off;

	return f->text ? strncmp(x, y, f->len) != 0 : memcmp(x, y, f->len) != 0;
}

int
cfg_changed(const struct cfg *a, const struct cfg *b, const char **keys,
    int max)
{
	int n = 0;

	for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
		if (!field_differs(&fields[i], a, b) ||
		    (n > 0 && strcmp(keys[n - 1], fields[i].key) == 0))
			continue;
		if (n == max)
			return -1;
		keys[n++] = fields[i].key;
	}
	return n;
}

int
cfg_key_tracked(const char *key)
{
	for (size_t i = 0; i < ARRAY_LEN(fields); i++)
		if (strcmp(fields[i].key, key) == 0)
			return 1;
	return 0;
}
