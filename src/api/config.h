/* otad's configuration: built-in defaults, then the file, then flags. */
#ifndef API_CONFIG_H
#define API_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "util/log.h"

#define CFG_PATH_MAX 4096

struct cfg {
	char listen_addr[64];		/* numeric IPv4 or IPv6 */
	int listen_port;		/* 0: any free port (tests) */
	char data_dir[CFG_PATH_MAX];
	/* "": SQLite's otad.db in data_dir; else a postgresql:// (or
	 * postgres://) URL, or the path of a SQLite file. May hold a
	 * password: never logged as given (db_open logs it without). */
	char database[1024];
	int threads;			/* 0: one per core */
	int max_connections;
	int max_connections_per_address;	/* 0: no cap */
	uint64_t connection_memory;	/* bytes per connection */
	int connection_timeout;		/* seconds idle */
	int header_timeout;		/* seconds to send a request head */
	uint64_t min_body_rate;		/* bytes/s of a request body; 0: none */
	int body_rate_window;		/* seconds the rate is checked over */
	uint64_t max_json_body;		/* most API calls */
	uint64_t max_bulk_body;		/* POST /v1/devices arrays */
	uint64_t max_artifact_size;
	enum log_level log_level;
	int log_requests;
	int poll_interval;		/* Retry-After on 204, seconds */
	int assignment_ttl;		/* seconds an assignment is valid */
	int artifacts_public;
	char public_url[512];		/* "" = artifact_url relative */
	char ddi_tenant[65];		/* hawkBit DDI tenant; "": DDI off */
	int gate_interval;		/* seconds between gate runs */
	int max_in_flight;		/* campaign members offered, downloading
					 * or installed at once, server-wide;
					 * 0: no cap */
	int completed_offer_window;	/* seconds a completed campaign offers */
	int event_retention;		/* seconds health samples are kept */
	int health_sample_interval;	/* seconds between kept samples */
	int health_samples_max;		/* samples kept per device */
	int seen_flush_interval;	/* seconds between last-seen flushes */
	int reload_interval;		/* caches read again from the store */
	int token_cache;		/* device tokens kept in memory; 0: off */
	int token_cache_ttl;		/* seconds one is kept at most */
	int audit_retention_days;	/* audit records are kept */
	int shutdown_timeout;		/* seconds to let requests finish */
	int writer_stall_timeout;	/* seconds without progress: unhealthy */
	char online_key_passphrase_file[CFG_PATH_MAX];
	/* webhooks (docs/rollouts.md, "Webhooks"): "" is none, else up to
	 * CFG_WEBHOOK_URLS_MAX URLs separated by spaces */
	char webhook_url[1024];
	char webhook_secret_file[CFG_PATH_MAX];
	int webhook_max_tries;		/* attempts, then a dead letter */
	int webhook_backoff;		/* seconds after the first failure */
	int webhook_backoff_max;	/* the doubling's cap, seconds */
	int webhook_timeout;		/* seconds per attempt */
};

/* Fills c with the built-in defaults (127.0.0.1:8080, ./var, ...). */
void cfg_defaults(struct cfg *c);
#define CFG_WEBHOOK_URLS_MAX 8
/* Splits webhook_url's list in buf (modified in place) into urls; the
 * count (0: none), or -1 when one is no http(s) URL or there are more
 * than max. */
int cfg_webhook_urls(char *buf, const char **urls, int max);
/* Sets one key from text; 0, or -1 with the reason in err. */
int cfg_set(struct cfg *c, const char *key, const char *value, char *err,
    size_t errlen);
/* Reads an INI-style file of "key = value" lines over c. 0, or -1 with
 * "FILE:LINE: key: reason" in err. */
int cfg_load(struct cfg *c, const char *path, char *err, size_t errlen);
/* The values the services decide by, from c. */
void cfg_core(const struct cfg *c, struct core_policy *out);
/* The keys whose values differ between a and b (each named once, in the
 * order of conf/otad.conf) into keys; their count, or -1 when more than
 * max differ. For SIGHUP's report. */
int cfg_changed(const struct cfg *a, const struct cfg *b, const char **keys,
    int max);
/* 1 if cfg_changed compares key (every key must be: a test checks the
 * keys of conf/otad.conf). */
int cfg_key_tracked(const char *key);
/* Parses "ADDR:PORT" or "[V6]:PORT" into c; 0/-1. */
int cfg_set_listen(struct cfg *c, const char *s);

#endif
