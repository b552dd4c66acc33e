/* The services' shared state: the store and the caches every core
 * service reads, with the policy numbers they need from the config. Built
 * by the daemon's main (src/api), which owns the config itself. */
#ifndef CORE_CORE_H
#define CORE_CORE_H

struct db;
struct trust;
struct seen;
struct offers;
struct campaigns;
struct fio;
struct flights;
struct leader;
struct changes;
struct devcache;

/* The config values the services decide by (seconds, or a count). */
struct core_policy {
	int gate_interval;		/* between gate runs */
	int completed_offer_window;	/* a completed campaign still offers */
	int event_retention;		/* health samples are kept */
	int health_sample_interval;	/* between kept samples */
	int health_samples_max;		/* samples kept per device */
	int max_in_flight;		/* server-wide concurrency cap, 0: none */
};

struct core {
	struct db *db;
	struct trust *trust;		/* online key and current root */
	struct seen *seen;		/* coalesced last-seen updates */
	struct seen *token_use;		/* coalesced tokens' last use */
	struct offers *offers;		/* release cache */
	struct campaigns *campaigns;	/* live campaigns, for polls */
	struct devcache *devcache;	/* device tokens; NULL: none */
	struct fio *fio;		/* upload I/O thread */
	struct flights *flights;	/* the concurrency cap's counts */
	struct leader *leader;		/* NULL: this daemon always leads */
	struct changes *changes;	/* NULL: no other daemon (SQLite) */
	struct core_policy pol;
};

#endif
