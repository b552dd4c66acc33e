/* otad: the OTA update daemon, and its offline commands on the data dir
 * (token add/list/revoke, backup). */
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
#include "api/config.h"
#include "core/fileio.h"
#include "core/flights.h"
#include "core/webhooks.h"
#include "db/webhooks.h"
#include "core/gate.h"
#include "core/offers.h"
#include "core/reports.h"
#include "core/seen.h"
#include "api/server.h"
#include "core/trust.h"
#include "api/systemd.h"
#include "sign/crypto.h"
#include "util/log.h"
#include "util/util.h"

#define VERSION OTAD_VERSION

struct args {
	const char *config;
	const char *listen, *data_dir, *log_level, *database;
	const char *role;
	const char *pos[4];
	int npos;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: otad [-c FILE] [--listen ADDR:PORT] [--data-dir DIR] "
	    "[--database URL] [--log-level LEVEL]\n"
	    "       otad [options] token add --role admin|release|viewer|gateway NAME\n"
	    "       otad [options] token list\n"
	    "       otad [options] token revoke NAME\n"
	    "       otad [options] backup FILE\n"
	    "       otad [options] online-key next|switch\n");
	exit(2);
}

static void
parse_args(int argc, char **argv, struct args *a)
{
	for (int i = 1; i < argc; i++) {
		const char *f = argv[i];
		const char **dst = NULL;

		if (strcmp(f, "-h") == 0 || strcmp(f, "--help") == 0)
			usage();
		if (strcmp(f, "--version") == 0) {
			printf("otad %s\n", VERSION);
			exit(0);
		}
		if (strcmp(f, "-c") == 0 || strcmp(f, "--config") == 0)
			dst = &a->config;
		else if (strcmp(f, "--listen") == 0)
			dst = &a->listen;
		else if (strcmp(f, "--data-dir") == 0)
			dst = &a->data_dir;
		else if (strcmp(f, "--database") == 0)
			dst = &a->database;
		else if (strcmp(f, "--log-level") == 0)
			dst = &a->log_level;
		else if (strcmp(f, "--role") == 0)
			dst = &a->role;
		else if (f[0] == '-')
			fatal(2, "unknown flag %s (see otad --help)", f);
		if (dst != NULL) {
			if (i + 1 >= argc)
				fatal(2, "flag %s needs a value", f);
			*dst = argv[++i];
			continue;
		}
		if (a->npos >= (int)ARRAY_LEN(a->pos))
			fatal(2, "too many arguments (see otad --help)");
		a->pos[a->npos++] = f;
	}
}

static void
load_config(const struct args *a, struct cfg *c)
{
	char err[512];

	cfg_defaults(c);
	if (a->config != NULL && cfg_load(c, a->config, err, sizeof(err)) != 0)
		fatal(2, "config: %s", err);
	if (a->listen != NULL && cfg_set(c, "listen", a->listen, err,
	    sizeof(err)) != 0)
		fatal(2, "--listen: bad value \"%s\": want ADDR:PORT", a->listen);
	if (a->data_dir != NULL && cfg_set(c, "data_dir", a->data_dir, err,
	    sizeof(err)) != 0)
		fatal(2, "--data-dir: bad value \"%s\"", a->data_dir);
	/* Not echoed: the URL may carry a password. */
	if (a->database != NULL && cfg_set(c, "database", a->database, err,
	    sizeof(err)) != 0)
		fatal(2, "--database: bad value: want a postgresql:// URL or a "
		    "file path");
	if (a->log_level != NULL && cfg_set(c, "log_level", a->log_level, err,
	    sizeof(err)) != 0)
		fatal(2, "--log-level: bad value \"%s\": want error, warn, info "
		    "or debug", a->log_level);
	if (c->threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		c->threads = n > 0 && n <= 256 ? (int)n : 2;
	}
	log_set_level(c->log_level);
}

static void
path_in(const struct cfg *c, const char *name, char *out, size_t size)
{
	if (util_fmt(out, size, "%s/%s", c->data_dir, name) != 0)
		fatal(2, "data_dir: path too long");
}

/* A failing disk fails every write the same way: once per distinct
 * message per 10 s is enough. */
static void
log_db_error(const char *msg)
{
	log_limited(LOG_LVL_ERROR, 10, "%s", msg);
}

/* Opens the store, refusing a data dir that holds none unless create. */
static struct db *
open_store(const struct cfg *c, int create)
{
	char path[CFG_PATH_MAX + 16], err[512];
	struct db *db;

	if (c->database[0] != '\0')
		util_fmt(path, sizeof(path), "%s", c->database);
	else
		path_in(c, "otad.db", path, sizeof(path));
	/* A PostgreSQL database is made by its administrator, not by otad. */
	if (!create && !db_is_pg(path) && access(path, F_OK) != 0)
		fatal(2, "no database at %s: start otad once with this data dir "
		    "or pass --data-dir", path);
	db_set_error_hook(log_db_error);
	db = db_open(path, c->threads + 4, err, sizeof(err));
	if (db == NULL)
		fatal(1, "%s", err);
	return db;
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
	path_in(&s->cfg, "artifacts", s->artifacts_dir, sizeof(s->artifacts_dir));
	path_in(&s->cfg, "tmp", s->tmp_dir, sizeof(s->tmp_dir));
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
	path_in(&s->cfg, "admin.token", path, sizeof(path));
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
	if (sig == SIGHUP) {
		log_info("SIGHUP ignored: restart otad to apply a new config");
		return 0;
	}
	return sig > 0 ? sig : 0;
}

/* Waits until no request is in flight (0), the deadline passes (-1) or
 * a second signal comes (1). */
static int
wait_idle(struct srv *s, int64_t deadline)
{
	while (http_in_flight(s->http) > 0) {
		if (util_mono_us() >= deadline)
			return -1;
		if (wait_for_signal(20) != 0)
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
	c->offers = offers_new(c->db);
	c->campaigns = campaigns_new(c->db, cfg->completed_offer_window);
	c->fio = fio_new();
	c->flights = flights_new();
	if (c->seen == NULL || c->token_use == NULL || c->offers == NULL ||
	    c->campaigns == NULL || c->fio == NULL || c->flights == NULL ||
	    db_every(c->db, cfg->seen_flush_interval * 1000, seen_flush,
	    c->seen) != 0 ||
	    db_every(c->db, cfg->seen_flush_interval * 1000, seen_flush,
	    c->token_use) != 0 ||
	    db_every(c->db, cfg->gate_interval * 1000, gate_tick, c) != 0 ||
	    db_every(c->db, 10 * 1000, reports_health_prune, c) != 0)
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
	    .timeout = c->webhook_timeout };
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
serve(struct srv *s)
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

	umask(077);
	setup_data_dir(s);
	cfg_core(&s->cfg, &s->core.pol);
	s->core.db = open_store(&s->cfg, 1);
	bootstrap_admin(s);
	s->core.trust = trust_open(&tp, s->core.db, err, sizeof(err));
	if (s->core.trust == NULL)
		fatal(1, "online key: %s", err);
	log_info("online key %s (public key: GET /v1/trust/online-key)",
	    trust_online_keyid(s->core.trust));
	open_services(&s->core, &s->cfg);
	if (db_every(s->core.db, 10 * 1000, audit_prune, s) != 0 ||
	    db_every(s->core.db, 10 * 1000, webhooks_prune, &s->core) != 0)
		fatal(1, "out of memory");
	hooks = open_webhooks(s);

	/* Signals go to this thread only, through sigtimedwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

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
		if (sig != 0)
			break;
		watch(s, wd, &health);
	}
	log_info("%s: draining", strsignal(sig));
	drain(s);
	webhooks_stop(hooks);
	/* What polls noted since the last flush is written before closing. */
	db_write(s->core.db, seen_flush, s->core.seen);
	db_write(s->core.db, seen_flush, s->core.token_use);
	db_close(s->core.db);
	s->core.db = NULL;
	seen_free(s->core.seen);
	seen_free(s->core.token_use);
	offers_free(s->core.offers);
	campaigns_free(s->core.campaigns);
	flights_free(s->core.flights);
	trust_free(s->core.trust);
	log_info("stopped");
	return 0;
}

static void
print_token(const struct db_token *t, void *arg)
{
	char when[21], expires[21] = "-", used[21] = "-";

	(void)arg;
	util_time_fmt(t->created_at, when);
	if (t->expires_at != 0)
		util_time_fmt(t->expires_at, expires);
	if (t->last_used_at != 0)
		util_time_fmt(t->last_used_at, used);
	printf("%-32s %-8s %s expires %s last used %s\n", t->name, t->role,
	    when, expires, used);
}

static int
cmd_token(struct srv *s, const struct args *a)
{
	const char *sub = a->npos > 1 ? a->pos[1] : "";
	int rc;

	if (strcmp(sub, "add") == 0) {
		char token[AUTH_TOKEN_MAX];
		uint8_t hash[32];
		struct db_token_add add;

		if (a->npos != 3 || a->role == NULL)
			fatal(2, "usage: otad token add --role ROLE NAME");
		if (auth_role_parse(a->role) == ROLE_NONE)
			fatal(2, "--role: bad value \"%s\": want admin, release, "
			    "viewer or gateway", a->role);
		if (!util_valid_ident(a->pos[2]))
			fatal(2, "NAME: want 1 to 64 of A-Z a-z 0-9 . _ : -");
		s->core.db = open_store(&s->cfg, 0);
		if (auth_token_new("adm_", token, sizeof(token), hash) != 0)
			fatal(1, "cannot make a token");
		add = (struct db_token_add){ a->pos[2], a->role, hash,
		    util_now(), 0 };
		rc = db_write(s->core.db, db_token_add, &add);
		if (rc == DB_CONFLICT)
			fatal(1, "a token named %s exists", a->pos[2]);
		if (rc != DB_OK)
			fatal(1, "cannot store the token");
		printf("%s\n", token);
		sign_wipe(token, sizeof(token));
	} else if (strcmp(sub, "list") == 0 && a->npos == 2) {
		s->core.db = open_store(&s->cfg, 0);
		if (db_token_list(s->core.db, print_token, NULL) != DB_OK)
			fatal(1, "cannot list the tokens");
	} else if (strcmp(sub, "revoke") == 0 && a->npos == 3) {
		s->core.db = open_store(&s->cfg, 0);
		rc = db_write(s->core.db, db_token_revoke, (void *)a->pos[2]);
		if (rc == DB_NOTFOUND)
			fatal(1, "no token named %s", a->pos[2]);
		if (rc != DB_OK)
			fatal(1, "cannot revoke the token");
		printf("revoked %s\n", a->pos[2]);
	} else {
		fatal(2, "usage: otad token add --role ROLE NAME | token list | "
		    "token revoke NAME");
	}
	db_close(s->core.db);
	return 0;
}

static int
cmd_backup(struct srv *s, const struct args *a)
{
	char err[512];

	if (a->npos != 2)
		fatal(2, "usage: otad backup FILE");
	s->core.db = open_store(&s->cfg, 0);
	if (db_backup(s->core.db, a->pos[1], err, sizeof(err)) != 0)
		fatal(1, "backup: %s", err);
	db_close(s->core.db);
	printf("backed up the database to %s\n", a->pos[1]);
	return 0;
}

/* Two-step rotation of the online key; see docs/operations.md. */
static int
cmd_online_key(struct srv *s, const struct args *a)
{
	char keyid[SIGN_KEYID_HEX], err[512];
	const char *sub = a->npos == 2 ? a->pos[1] : "";
	const struct trust_paths tp = { s->cfg.data_dir,
	    s->cfg.online_key_passphrase_file };

	if (strcmp(sub, "next") == 0) {
		if (trust_online_next(&tp, keyid, err, sizeof(err)) != 0)
			fatal(1, "online-key next: %s", err);
		printf("%s\n", keyid);
		fprintf(stderr, "made the next online key %s in %s/online-next.key;"
		    " publish a root listing it (online-next.pub), then run "
		    "\"otad online-key switch\" and restart otad\n", keyid,
		    s->cfg.data_dir);
	} else if (strcmp(sub, "switch") == 0) {
		if (trust_online_switch(&tp, keyid, err, sizeof(err)) != 0)
			fatal(1, "online-key switch: %s", err);
		printf("%s\n", keyid);
		fprintf(stderr, "the online key is now %s; restart otad to use it\n",
		    keyid);
	} else {
		fatal(2, "usage: otad online-key next | online-key switch");
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct srv s;
	struct args a = { 0 };

	log_set_prog("otad");
	parse_args(argc, argv, &a);
	load_config(&a, &s.cfg);
	if (sign_init() != 0)
		fatal(1, "libsodium failed to initialise");
	if (a.npos == 0)
		return serve(&s);
	if (strcmp(a.pos[0], "token") == 0)
		return cmd_token(&s, &a);
	if (strcmp(a.pos[0], "backup") == 0)
		return cmd_backup(&s, &a);
	if (strcmp(a.pos[0], "online-key") == 0)
		return cmd_online_key(&s, &a);
	fatal(2, "unknown command %s (see otad --help)", a.pos[0]);
}
