/* otad: the OTA update daemon, and its offline commands on the data dir
 * (token add/list/revoke, backup, restore, migrate-to, online-key). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "db/tokens.h"
#include "api/api.h"
#include "api/auth.h"
#include "core/campaigns.h"
#include "core/devcache.h"
#include "api/cli.h"
#include "api/cmds.h"
#include "api/config.h"
#include "core/fileio.h"
#include "core/flights.h"
#include "core/webhooks.h"
#include "db/webhooks.h"
#include "core/gate.h"
#include "core/changes.h"
#include "core/leader.h"
#include "core/offers.h"
#include "core/reports.h"
#include "core/seen.h"
#include "api/server.h"
#include "core/trust.h"
#include "api/systemd.h"
#include "sign/crypto.h"
#include "util/log.h"
#include "util/util.h"

/* The config from the built-in defaults, the file and the flags; 0, or
 * -1 with the reason in err. */
static int
config_from(const struct otad_args *a, struct cfg *c, char *err,
    size_t errlen)
{
	char why[512];

	cfg_defaults(c);
	if (a->config != NULL && cfg_load(c, a->config, why, sizeof(why)) != 0)
		return util_fmt(err, errlen, "config: %s", why), -1;
	if (a->listen != NULL && cfg_set(c, "listen", a->listen, why,
	    sizeof(why)) != 0)
		return util_fmt(err, errlen, "--listen: bad value \"%s\": want "
		    "ADDR:PORT", a->listen), -1;
	if (a->data_dir != NULL && cfg_set(c, "data_dir", a->data_dir, why,
	    sizeof(why)) != 0)
		return util_fmt(err, errlen, "--data-dir: bad value \"%s\"",
		    a->data_dir), -1;
	/* Not echoed: the URL may carry a password. */
	if (a->database != NULL && cfg_set(c, "database", a->database, why,
	    sizeof(why)) != 0)
		return util_fmt(err, errlen, "--database: bad value: want a "
		    "postgresql:// URL or a file path"), -1;
	if (a->log_level != NULL && cfg_set(c, "log_level", a->log_level, why,
	    sizeof(why)) != 0)
		return util_fmt(err, errlen, "--log-level: bad value \"%s\": "
		    "want error, warn, info or debug", a->log_level), -1;
	if (c->threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		c->threads = n > 0 && n <= 256 ? (int)n : 2;
	}
	return 0;
}

static void
load_config(const struct otad_args *a, struct cfg *c)
{
	char err[1024];

	if (config_from(a, c, err, sizeof(err)) != 0)
		fatal(2, "%s", err);
	log_set_level(c->log_level);
}

/* Removes what a crash left in tmp/: uploads never acknowledged. */
static void
clean_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	if (n > 0)
		log_info("removed %d unfinished upload(s) from %s", n, dir);
}

static void
setup_data_dir(struct srv *s)
{
	struct stat st;

	if (util_mkdir(s->cfg.data_dir, 0700) != 0)
		fatal(1, "data_dir %s: %s", s->cfg.data_dir, strerror(errno));
	if (stat(s->cfg.data_dir, &st) == 0 && (st.st_mode & 077) != 0) {
		log_warn("data_dir %s was mode %03o; setting 0700",
		    s->cfg.data_dir, (unsigned)(st.st_mode & 0777));
		if (chmod(s->cfg.data_dir, 0700) != 0)
			fatal(1, "chmod %s: %s", s->cfg.data_dir, strerror(errno));
	}
	cmd_path(&s->cfg, "artifacts", s->artifacts_dir, sizeof(s->artifacts_dir));
	cmd_path(&s->cfg, "tmp", s->tmp_dir, sizeof(s->tmp_dir));
	if (util_mkdir(s->artifacts_dir, 0700) != 0 ||
	    util_mkdir(s->tmp_dir, 0700) != 0)
		fatal(1, "data_dir %s: cannot create artifacts/ and tmp/: %s",
		    s->cfg.data_dir, strerror(errno));
	clean_tmp(s->tmp_dir);
}

/* First start: an admin token in <data-dir>/admin.token (0600). The file
 * is written before the row so a crash cannot leave an unknown token. */
static void
bootstrap_admin(struct srv *s)
{
	char path[CFG_PATH_MAX + 16], token[AUTH_TOKEN_MAX], line[AUTH_TOKEN_MAX + 2];
	uint8_t hash[32];
	int64_t n;
	struct db_token_add add;

	if (db_token_count_admin(s->core.db, &n) != DB_OK)
		fatal(1, "cannot read the tokens");
	if (n > 0)
		return;
	cmd_path(&s->cfg, "admin.token", path, sizeof(path));
	if (access(path, F_OK) == 0) {
		log_warn("no admin token in the database, and %s is stale; make "
		    "one with: otad --data-dir %s token add --role admin NAME",
		    path, s->cfg.data_dir);
		return;
	}
	if (auth_token_new("adm_", token, sizeof(token), hash) != 0 ||
	    util_fmt(line, sizeof(line), "%s\n", token) != 0)
		fatal(1, "cannot make a token");
	if (util_write_atomic(path, line, strlen(line), 0600) != 0)
		fatal(1, "cannot write %s: %s", path, strerror(errno));
	add = (struct db_token_add){ "admin", "admin", hash, util_now(), 0 };
	if (db_write(s->core.db, db_token_add, &add) != DB_OK) {
		unlink(path);
		fatal(1, "cannot store the first admin token");
	}
	sign_wipe(token, sizeof(token));
	sign_wipe(line, sizeof(line));
	log_info("first start: wrote an admin token to %s (mode 0600)", path);
}

/* The next of SIGTERM, SIGINT or SIGHUP within timeout_ms, or 0. */
static int
wait_for_signal(int timeout_ms)
{
	sigset_t set;
	struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sig = sigtimedwait(&set, NULL, &ts);
	return sig > 0 ? sig : 0;
}

/* SIGHUP: the config file again. log_level and log_requests apply at
 * once (both are read atomically on every thread); any other key that
 * changed is named and keeps its running value until a restart, since
 * the listener, the store, the caches and the writer's timers were built
 * from it. A file that does not load changes nothing. */
static void
reload(struct srv *s, const struct otad_args *a)
{
	static struct cfg n;	/* main thread only */
	const char *keys[64];
	char err[1024], list[1024] = "";
	int nk, applied = 0;

	if (config_from(a, &n, err, sizeof(err)) != 0) {
		log_err("SIGHUP: %s; the running config is kept", err);
		return;
	}
	if (n.log_level != s->cfg.log_level) {
		log_set_level(n.log_level);
		log_info("SIGHUP: log_level is now %s",
		    log_level_name(n.log_level));
		s->cfg.log_level = n.log_level;
		applied++;
	}
	if (n.log_requests != s->cfg.log_requests) {
		http_set_log_requests(s->http, n.log_requests);
		log_info("SIGHUP: log_requests is now %s",
		    n.log_requests ? "true" : "false");
		s->cfg.log_requests = n.log_requests;
		applied++;
	}
	nk = cfg_changed(&s->cfg, &n, keys, (int)ARRAY_LEN(keys));
	for (int i = 0; i < nk; i++)
		if (util_fmt(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%s", i > 0 ? ", " : "", keys[i]) != 0)
			break;
	if (nk > 0)
		log_warn("SIGHUP: %s changed: restart otad to apply %s (until "
		    "then the running %s)", list, nk > 1 ? "them" : "it",
		    nk > 1 ? "values stay" : "value stays");
	else if (applied == 0)
		log_info("SIGHUP: %s read again; nothing changed",
		    a->config != NULL ? a->config : "the config");
}

/* Waits until no request is in flight (0), the deadline passes (-1) or
 * a second signal comes (1). */
static int
wait_idle(struct srv *s, int64_t deadline)
{
	while (http_in_flight(s->http) > 0) {
		if (util_mono_us() >= deadline)
			return -1;
		int sig = wait_for_signal(20);

		if (sig != 0 && sig != SIGHUP)
			return 1;
	}
	return 0;
}

static int
ms_until(int64_t t)
{
	int64_t left = (t - util_mono_us()) / 1000;

	return left > 0 ? (int)left : 0;
}

/* Stops within shutdown_timeout: no new connections, then the requests
 * in flight finish; for those still waiting at the end (a queued write,
 * an upload's disk work) the wait is cancelled: they are answered 503
 * and nothing of them is stored, while what is being committed commits.
 * Only then does the HTTP library stop, with nothing suspended. */
static void
drain(struct srv *s)
{
	int64_t t0 = util_mono_us(), limit = (int64_t)s->cfg.shutdown_timeout *
	    1000000, grace = limit / 4 < 2000000 ? limit / 4 : 2000000, end;
	int rc;

	sysd_stopping();
	http_quiesce(s->http);
	log_info("stopping: no new connections; %u request(s) in flight",
	    http_in_flight(s->http));
	rc = wait_idle(s, t0 + limit - grace);
	if (rc != 0) {
		log_warn("%s: refusing what %u request(s) still wait for",
		    rc > 0 ? "second signal" : "shutdown_timeout",
		    http_in_flight(s->http));
		end = rc > 0 ? util_mono_us() + 500000 : t0 + limit;
		if (db_refuse(s->core.db, 1, ms_until(end)) != 0 ||
		    fio_refuse(s->core.fio, 1, ms_until(end)) != 0) {
			/* Requests still wait on it: the library cannot be
			 * stopped under them, nor the store closed. Nothing
			 * they wait for was acknowledged. */
			log_err("shutdown_timeout: the disk is stuck in a write; "
			    "exiting without it");
			_exit(1);
		}
		/* Their answers go out; a slow client is cut at the end. */
		if (wait_idle(s, end))
			log_warn("closing %u request(s) still in flight",
			    http_in_flight(s->http));
	}
	http_stop(s->http);
	s->http = NULL;
	db_refuse(s->core.db, 0, 0);
	fio_free(s->core.fio);
	s->core.fio = NULL;
}

/* What the last look at the store saw. */
struct watched {
	enum db_writer_state state;
	unsigned failures;	/* db_writer_failures */
};

/* Once a second: the store's health goes to the log and to systemd once
 * per change, and the watchdog hears from us only while the writer
 * makes progress (a stuck writer gets the daemon restarted). A failure
 * that began and ended between two looks is logged too: under load a
 * look can come late, and an operator must see every outage. */
static void
watch(struct srv *s, uint64_t wd, struct watched *last)
{
	char cause[256], missed[256];
	enum db_writer_state h = db_writer_health(s->core.db,
	    s->cfg.writer_stall_timeout, cause, sizeof(cause));
	unsigned failures = db_writer_failures(s->core.db, missed,
	    sizeof(missed));

	if (h == DB_HEALTHY && last->state == DB_HEALTHY &&
	    failures != last->failures) {
		log_err("unhealthy between two looks: %s", missed);
		log_info("healthy again: the store commits");
	} else if (h != last->state) {
		if (h == DB_HEALTHY)
			log_info("healthy again: the store commits");
		else
			log_err("unhealthy: %s", cause);
		sysd_status(h == DB_HEALTHY ? "serving" : cause);
	}
	last->state = h;
	last->failures = failures;
	if (wd && h != DB_STALLED)
		sysd_watchdog_ping();
}

/* As many descriptors as the hard limit allows: each connection is one. */
static void
raise_nofile(const struct cfg *c)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)c->max_connections + c->max_connections / 4 +
	    (rlim_t)c->threads * 4 + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want)
		log_warn("the file descriptor limit (%llu) is below what "
		    "max_connections %d needs (%llu); raise LimitNOFILE",
		    (unsigned long long)rl.rlim_cur, c->max_connections,
		    (unsigned long long)want);
}

/* The caches and the writer's timers of the services (after the store and
 * the trust service). */
static void
open_services(struct core *c, const struct cfg *cfg)
{
	c->seen = seen_new();
	c->token_use = seen_new_for(db_token_used);
	c->offers = offers_new(c->db, cfg->reload_interval);
	if (cfg->token_cache > 0 && (c->devcache = devcache_new(c->db,
	    (size_t)cfg->token_cache, cfg->token_cache_ttl)) == NULL)
		fatal(1, "out of memory for token_cache %d", cfg->token_cache);
	c->campaigns = campaigns_new(c->db, cfg->completed_offer_window,
	    cfg->reload_interval);
	c->fio = fio_new();
	c->flights = flights_new();
	if (c->seen == NULL || c->token_use == NULL || c->offers == NULL ||
	    c->campaigns == NULL || c->fio == NULL || c->flights == NULL ||
	    db_every(c->db, cfg->seen_flush_interval * 1000, seen_flush,
	    c->seen) != 0 ||
	    db_every(c->db, cfg->seen_flush_interval * 1000, seen_flush,
	    c->token_use) != 0 ||
	    leader_every(c->db, c->leader, cfg->gate_interval * 1000,
	    gate_tick, c) != 0 ||
	    leader_every(c->db, c->leader, 10 * 1000, reports_health_prune,
	    c) != 0)
		fatal(1, "out of memory");
	seen_on_change(c->seen, reports_version_changed, c);
}

/* The webhook sender, when webhook_url is set: the secret from its file
 * (trailing newlines dropped), fatal when missing or empty. */
static struct webhooks *
open_webhooks(struct srv *s)
{
	const struct cfg *c = &s->cfg;
	struct webhooks_cfg w = { .max_tries = c->webhook_max_tries,
	    .backoff = c->webhook_backoff, .backoff_max = c->webhook_backoff_max,
	    .timeout = c->webhook_timeout, .leader = s->core.leader };
	struct webhooks *hooks;
	char list[sizeof(c->webhook_url)];
	uint8_t *secret = NULL;
	size_t n = 0;

	_Static_assert(CFG_WEBHOOK_URLS_MAX == WEBHOOKS_URLS_MAX &&
	    WEBHOOKS_URLS_MAX == DB_WEBHOOK_ENDPOINTS_MAX, "one limit");
	memcpy(list, c->webhook_url, sizeof(list));
	w.nurls = cfg_webhook_urls(list, w.urls, WEBHOOKS_URLS_MAX);
	if (w.nurls < 0)
		fatal(2, "webhook_url: up to %d http(s) URLs", WEBHOOKS_URLS_MAX);
	if (w.nurls > 0) {
		if (c->webhook_secret_file[0] == '\0')
			fatal(2, "webhook_url needs webhook_secret_file");
		secret = util_read_file(c->webhook_secret_file,
		    WEBHOOKS_SECRET_MAX + 2, 1, &n);
		if (secret == NULL)
			fatal(1, "webhook_secret_file %s: %s",
			    c->webhook_secret_file, strerror(errno));
		while (n > 0 && (secret[n - 1] == '\n' || secret[n - 1] == '\r'))
			n--;
		if (n < 16 || n > WEBHOOKS_SECRET_MAX)
			fatal(1, "webhook_secret_file %s: the secret must be 16 to "
			    "%d bytes", c->webhook_secret_file, WEBHOOKS_SECRET_MAX);
		w.secret = secret;
		w.secret_len = n;
	}
	hooks = webhooks_start(s->core.db, &w);
	if (secret != NULL) {
		sign_wipe(secret, n);
		free(secret);
	}
	if (w.nurls > 0 && hooks == NULL)
		fatal(1, "webhooks: cannot start the sender");
	for (int i = 0; hooks != NULL && i < w.nurls; i++)
		log_info("webhooks: delivering to %s", w.urls[i]);
	return hooks;
}

static int
serve(struct srv *s, const struct otad_args *a)
{
	struct webhooks *hooks;
	struct http_app app = api_app_template;
	struct http_opts o;
	sigset_t set;
	char err[512], status[128];
	struct watched health = { DB_HEALTHY, 0 };
	const struct trust_paths tp = { s->cfg.data_dir,
	    s->cfg.online_key_passphrase_file };
	uint64_t wd;
	int sig;

	/* Signals go to this thread only, through sigtimedwait: blocked
	 * before any thread starts, so that every thread inherits the mask
	 * (a SIGTERM taken by another thread would kill without a drain). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	umask(077);
	setup_data_dir(s);
	cmd_lock(&s->cfg, "refusing to start a second daemon on one data dir");
	cfg_core(&s->cfg, &s->core.pol);
	s->core.db = cmd_open_store(&s->cfg, 1);
	bootstrap_admin(s);
	s->core.trust = trust_open(&tp, s->core.db, err, sizeof(err));
	if (s->core.trust == NULL)
		fatal(1, "online key: %s", err);
	log_info("online key %s (public key: GET /v1/trust/online-key)",
	    trust_online_keyid(s->core.trust));
	/* Of several daemons on one store, the leader runs the fleet's jobs:
	 * the gate, scheduled starts, webhooks and retention. */
	s->core.leader = leader_start(s->cfg.database, err,
	    sizeof(err));
	if (s->core.leader == NULL)
		fatal(1, "leadership: %s", err);
	open_services(&s->core, &s->cfg);
	if (leader_every(s->core.db, s->core.leader, 10 * 1000, audit_prune,
	    s) != 0 ||
	    leader_every(s->core.db, s->core.leader, 10 * 1000, webhooks_prune,
	    &s->core) != 0)
		fatal(1, "out of memory");
	hooks = open_webhooks(s);
	/* Other daemons on the store tell what they changed. */
	if (db_is_pg(s->cfg.database) && (s->core.changes = changes_start(
	    s->cfg.database, &s->core, s->cfg.reload_interval, err,
	    sizeof(err))) == NULL)
		fatal(1, "listening to other daemons: %s", err);

	raise_nofile(&s->cfg);
	o = (struct http_opts){ s->cfg.listen_addr, s->cfg.listen_port,
	    s->cfg.threads, s->cfg.max_connections,
	    s->cfg.max_connections_per_address, s->cfg.connection_memory,
	    s->cfg.connection_timeout, s->cfg.header_timeout,
	    s->cfg.min_body_rate, s->cfg.body_rate_window, s->cfg.log_requests };
	app.app = s;
	s->http = http_start(&o, &app, err, sizeof(err));
	if (s->http == NULL)
		fatal(1, "%s", err);
	snprintf(status, sizeof(status), "listening on %s:%d",
	    s->cfg.listen_addr, http_port(s->http));
	log_info("%s (data dir %s, database %s, %d threads, schema %d)",
	    status, s->cfg.data_dir, db_where(s->core.db), s->cfg.threads,
	    db_schema_version(s->core.db));
	sysd_ready(status);

	wd = sysd_watchdog_usec();
	for (;;) {
		sig = wait_for_signal(wd && wd < 2000000 ? (int)(wd / 2000) : 1000);
		if (sig == SIGHUP)
			reload(s, a);
		else if (sig != 0)
			break;
		watch(s, wd, &health);
	}
	log_info("%s: draining", strsignal(sig));
	drain(s);
	webhooks_stop(hooks);
	changes_stop(s->core.changes);
	s->core.changes = NULL;
	/* What polls noted since the last flush is written before closing. */
	db_write(s->core.db, seen_flush, s->core.seen);
	db_write(s->core.db, seen_flush, s->core.token_use);
	db_close(s->core.db);
	s->core.db = NULL;
	seen_free(s->core.seen);
	seen_free(s->core.token_use);
	offers_free(s->core.offers);
	devcache_free(s->core.devcache);
	campaigns_free(s->core.campaigns);
	flights_free(s->core.flights);
	trust_free(s->core.trust);
	leader_stop(s->core.leader);
	s->core.leader = NULL;
	log_info("stopped");
	return 0;
}

int
main(int argc, char **argv)
{
	static struct srv s;
	struct otad_args a = { 0 };
	const char *cmd;

	log_set_prog("otad");
	cli_parse(argc, argv, &a);
	load_config(&a, &s.cfg);
	if (sign_init() != 0)
		fatal(1, "libsodium failed to initialise");
	cmd = a.npos > 0 ? a.pos[0] : "serve";
	if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "token") != 0 &&
	    strcmp(cmd, "backup") != 0 && strcmp(cmd, "restore") != 0 &&
	    strcmp(cmd, "migrate-to") != 0 && strcmp(cmd, "online-key") != 0)
		cli_unknown_command(cmd);
	cmd_as_owner(&s.cfg);
	if (strcmp(cmd, "serve") == 0)
		return serve(&s, &a);
	if (strcmp(cmd, "token") == 0)
		return cmd_token(&s, &a);
	if (strcmp(cmd, "backup") == 0)
		return cmd_backup(&s, &a);
	if (strcmp(cmd, "restore") == 0)
		return cmd_restore(&s, &a);
	if (strcmp(cmd, "migrate-to") == 0)
		return cmd_migrate_to(&s, &a);
	return cmd_online_key(&s, &a);
}
